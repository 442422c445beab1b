r"""The fused GRU: the whole loop over time as one C op, and its gradient.

Gate order **z, r, h** as in :class:`theano_rnn.cells.GRUCell`; ``sigma`` is
the recurrent activation, ``act`` the activation; ``U_z, U_r, U_h`` are the
column blocks of ``U`` (H, 3H) and ``xw_z, xw_r, xw_h`` those of the step's
input projection ``xw_t = x_t W + b_in`` (B, 3H).  For ``t = 0 .. T-1``,
with ``hin = h_{t-1} * rmask`` (``rmask`` the recurrent dropout mask, 1
without)::

  reset_after=False (Cho et al. 2014)     reset_after=True (cuDNN, PyTorch)
  z  = sigma(xw_z + hin U_z)              hu = hin U + b_rec
  r  = sigma(xw_r + hin U_r)              z  = sigma(xw_z + hu_z)
  hh = act(xw_h + (r * hin) U_h)          r  = sigma(xw_r + hu_r)
                                          hh = act(xw_h + r * hu_h)

  h_t = m_t ? z * h_{t-1} + (1 - z) * hh : h_{t-1}    (m_t = 0: padding)

The op computes ``xw_t`` itself, step by step, as the LSTM's op does
(:mod:`theano_rnn.fused.lstm`): it gets ``[x, 1]`` and ``[W; b_in]``
(:func:`~theano_rnn.fused._base.input_factors`; ``x`` and ``W`` without a
bias) and never writes the (T, B, 3H) array ``x W``.  A step is three
products, ``x_t W`` into the gates' row, ``hin U_zr`` added to its ``z``
and ``r`` columns, and the candidate's: with ``reset_after=False``
``(r * hin) U_h``, added to the ``h`` columns once ``r`` is known; with
``reset_after=True`` ``hin U_h``, kept apart (``hu_h``) since ``r``
multiplies it.  The two forms thus pack ``U`` alike, as ``U_zr`` and
``U_h``.  Against the projection by one BLAS product before the loop (this
op's earlier form), on the 2-core AVX2 machine (AMD EPYC, no AVX-512,
where the packed kernel is about as fast as OpenBLAS) under a load of 4-7,
a layer of 128 units on (32, 100, 128) float32 inputs took, in CPU time
per call (the median of 7 interleaved runs): prediction 28.4 ms in the
loop, 26.7 ms before it; a training step 63.0 and 66.4 ms -- the same
within that machine's noise (runs differed by 20%).  ``reset_after`` and
the SimpleRNN measured the same.

The per-step products (these, and those of the backward pass below) are
those of :mod:`theano_rnn.fused.packed`: each op packs the matrices it
multiplies by (the forward op ``W``, ``U_zr`` and ``U_h``, the backward op
the transposes of blocks of ``U``) once per call, and splits the batch
across threads, each thread running every step for its own rows (the rows
are independent through the whole recurrence, so the threads never wait
for each other).  ``db_rec``, a sum over all rows, is summed after the
threads are done.

Forward op, :class:`GRUForward`
    inputs  ``x (T, B, D)``, ``h0 (B, H)``, ``W (D, 3H)``, ``U (H, 3H)``,
            ``b_rec (3H,)`` (reset_after=True only), optionally
            ``rmask (B, H)`` and ``mask (T, B)``;
    outputs ``hs (T + 1, B, H)`` (``hs[0] = h0``, ``hs[t + 1] = h_t``) and,
            saved for the backward pass,
            ``gates (T, B, 3H)``: ``[z, r, hh]`` after their activations --
            every activation derivative is a function of the output, so
            nothing before the activations is needed; and
            ``saved (T, B, H)``: ``r * hin`` for reset_after=False (the left
            factor of ``dU_h``), ``hu_h = hin U_h + b_rec_h`` for
            reset_after=True (``dr`` needs it).
    ``hin`` itself is not saved: it is ``hs[:-1] * rmask``.

Backward op, :class:`GRUBackward`, for ``t = T-1 .. 0``, ``dh`` the
gradient reaching ``h_t`` (from the outputs and from step ``t + 1``), on
the rows with ``m_t != 0`` (padded rows pass ``dh`` on unchanged and get
zeros)::

  dz~ = dh * (h_{t-1} - hh) * sigma'(z)          pre-activation gradients
  dh~ = dh * (1 - z) * act'(hh)

  reset_after=False                       reset_after=True
  drh  = dh~ U_h^T            product 1   dr~  = dh~ * hu_h * sigma'(r)
  dr~  = drh * hin * sigma'(r)            dhu  = [dz~, dr~, dh~ * r]
  dhin = drh * r                          dhin = dhu U^T        the product
       + [dz~, dr~] U_zr^T    product 2   db_rec += sum over the batch of dhu

  dxw_t   = [dz~, dr~, dh~]                     the gradient of xw_t
  dh      = dh * z + dhin * rmask,   then + the output gradient of h_{t-1}
  drmask += dhin * h_{t-1}

    outputs ``dxw (T, B, 3H)``, ``dh0 (B, H)``, for reset_after=True also
    ``dhu (T, B, 3H)`` and ``db_rec (3H,)`` (accumulated in double), and
    ``drmask (B, H)`` when there is a recurrent mask.

The weight and input gradients are large products over all steps, in plain
Theano outside the ops (one BLAS call each; ``Hin = hs[:-1] * rmask``,
matrices flattened to T*B rows), as for the LSTM and the SimpleRNN::

  dx = dxw W^T        dW = x^T dxw          (with [x, 1]: dW holds db_in)
  reset_after=False:  dU = [Hin^T dxw_zr,  (r * Hin)^T dxw_h]
  reset_after=True:   dU = Hin^T dhu

The time mask's gradient is disconnected; the recurrent mask gets its true
gradient.  The C++ of both ops is ``csrc/gru.h``; the helpers (input/output
handling, activation classes, the Python side of the ops) are in
:mod:`theano_rnn.fused._base`.
"""
import numpy as np
from ..runtime import T

from ._base import (Apply, FusedForwardOp, FusedLoopOp,
                    check_internal_gradients, disconnected, flat,
                    input_factors, input_gradients, jax_activation,
                    jax_activation_grad, jax_keep, no_second_derivatives,
                    np_activation, np_activation_grad, np_check_shapes,
                    np_keep, output_gradient, recurrent_inputs, tensor,
                    weight_gradient)

_PROPS = ("activation", "recurrent_activation", "reset_after",
          "has_recurrent_mask", "has_mask")


class GRUForward(FusedForwardOp):
    """The GRU loop: ``(x, h0, W, U[, b_rec][, rmask][, mask]) -> (hs,
    gates, saved)`` with ``hs (T+1, B, H)``, ``hs[0] = h0`` (see the module
    docstring); ``b_rec`` is an input when ``reset_after``.  The op
    computes the input projection ``x W`` itself; :func:`fused_gru` passes
    ``[x, 1]`` and ``[W; b_in]`` when the cell has a bias."""

    __props__ = _PROPS
    input_names = ("x", "h0", "W", "U", "b_rec", "rmask", "mask")
    output_names = ("hs", "gates", "saved")
    optional_inputs = {"b_rec": "reset_after", "rmask": "has_recurrent_mask",
                       "mask": "has_mask"}
    activation_props = ("recurrent_activation", "activation")
    csrc = FusedLoopOp.csrc + ("gru.h",)
    code_version = (6,)

    @property
    def c_function(self):
        return ("fused_gru_reset_after_forward" if self.reset_after
                else "fused_gru_forward")

    def infer_shape(self, node, shapes):
        s = self.named_inputs(shapes)
        x, W, U = s["x"], s["W"], s["U"]
        return [(x[0] + 1, x[1], U[0]), (x[0], x[1], W[1]),
                (x[0], x[1], U[0])]

    def perform(self, node, inputs, outputs):
        i = self.named_inputs(inputs)
        x, h0, W, U, b_rec, rmask, mask = (i[n] for n in self.input_names)
        np_check_shapes(self, {"x": (x, (None, None, None)),
                               "recurrent_kernel": (U, (None, None))})
        n_steps, batch, D = x.shape
        H = U.shape[0]
        np_check_shapes(self, {"kernel": (W, (D, 3 * H)),
                               "recurrent_kernel": (U, (H, 3 * H)),
                               "h0": (h0, (batch, H)),
                               "recurrent_bias": (b_rec, (3 * H,)),
                               "recurrent_mask": (rmask, (batch, H)),
                               "mask": (mask, (n_steps, batch))})
        hs = np.empty((n_steps + 1, batch, H), dtype=x.dtype)
        gates = np.empty((n_steps, batch, 3 * H), dtype=x.dtype)
        saved = np.empty((n_steps, batch, H), dtype=x.dtype)
        hs[0] = h0
        sigma = lambda v: np_activation(self.recurrent_activation, v)
        act = lambda v: np_activation(self.activation, v)
        for t in range(n_steps):
            xw = x[t].dot(W)
            hin = hs[t] if rmask is None else hs[t] * rmask
            if self.reset_after:
                hu = hin.dot(U) + b_rec
                z = sigma(xw[:, :H] + hu[:, :H])
                r = sigma(xw[:, H:2 * H] + hu[:, H:2 * H])
                saved[t] = hu[:, 2 * H:]
                hh = act(xw[:, 2 * H:] + r * saved[t])
            else:
                zr = xw[:, :2 * H] + hin.dot(U[:, :2 * H])
                z, r = sigma(zr[:, :H]), sigma(zr[:, H:])
                saved[t] = r * hin
                hh = act(xw[:, 2 * H:] + saved[t].dot(U[:, 2 * H:]))
            gates[t] = np.concatenate([z, r, hh], axis=1)
            new = z * hs[t] + (1 - z) * hh
            hs[t + 1] = np.where(np_keep(mask, t, batch), new, hs[t])
        for storage, value in zip(outputs, (hs, gates, saved)):
            storage[0] = value

    def jax_perform(self, i):
        """``perform``'s loop as ``lax.scan`` over the steps (PyTensor's
        JAX linker)."""
        import jax.numpy as jnp
        from jax import lax
        W, U, b_rec, rmask = i["W"], i["U"], i["b_rec"], i["rmask"]
        H = U.shape[0]
        sigma = lambda v: jax_activation(self.recurrent_activation, v)
        act = lambda v: jax_activation(self.activation, v)

        def step(h, inputs):
            x_t, m_t = inputs
            xw = x_t.dot(W)
            hin = h if rmask is None else h * rmask
            if self.reset_after:
                hu = hin.dot(U) + b_rec
                z = sigma(xw[:, :H] + hu[:, :H])
                r = sigma(xw[:, H:2 * H] + hu[:, H:2 * H])
                saved = hu[:, 2 * H:]
                hh = act(xw[:, 2 * H:] + r * saved)
            else:
                zr = xw[:, :2 * H] + hin.dot(U[:, :2 * H])
                z, r = sigma(zr[:, :H]), sigma(zr[:, H:])
                saved = r * hin
                hh = act(xw[:, 2 * H:] + saved.dot(U[:, 2 * H:]))
            h_new = jax_keep(m_t, z * h + (1 - z) * hh, h)
            return h_new, (h_new, jnp.concatenate([z, r, hh], axis=1), saved)

        _, (hs, gates, saved) = lax.scan(step, i["h0"], (i["x"], i["mask"]))
        return {"hs": jnp.concatenate([i["h0"][None], hs]), "gates": gates,
                "saved": saved}

    def pullback(self, inputs, outputs, output_gradients):
        i = self.named_inputs(inputs)
        hs, gates, saved = outputs
        dhs = output_gradient(output_gradients[0], hs)
        check_internal_gradients(self, output_gradients[1:])
        grad_op = GRUBackward(**{p: getattr(self, p) for p in _PROPS})
        backward_inputs = {"U": i["U"], "rmask": i["rmask"],
                           "mask": i["mask"], "hs": hs, "gates": gates,
                           "saved": saved, "dhs": dhs}
        d = grad_op.named_outputs(grad_op(*[backward_inputs[n] for n in
                                            grad_op.present_inputs]))
        hin = recurrent_inputs(hs, i["rmask"])
        if self.reset_after:
            dU = weight_gradient(hin, d["dhu"])      # (H, TB) (TB, 3H)
        else:
            H2 = 2 * i["U"].shape[0]
            dxw = flat(d["dxw"])                         # (TB, 3H)
            dU = T.concatenate([T.dot(flat(hin).T, dxw[:, :H2]),
                                T.dot(flat(saved).T, dxw[:, H2:])], axis=1)
        dx, dW = input_gradients(i["x"], i["W"], d["dxw"])
        gradients = {"x": dx, "W": dW, "h0": d["dh0"], "U": dU,
                     "b_rec": d["db_rec"], "rmask": d["drmask"],
                     "mask": disconnected()}
        return [gradients[n] for n in self.present_inputs]


class GRUBackward(FusedLoopOp):
    """The GRU's backward loop: ``(U[, rmask][, mask], hs, gates[, saved],
    dhs) -> (dxw, dh0[, dhu, db_rec][, drmask])`` (see the module
    docstring); ``saved`` (the forward op's ``hu_h``), ``dhu`` and
    ``db_rec`` for ``reset_after``."""

    __props__ = _PROPS
    input_names = ("U", "rmask", "mask", "hs", "gates", "saved", "dhs")
    output_names = ("dxw", "dh0", "dhu", "db_rec", "drmask")
    optional_inputs = {"rmask": "has_recurrent_mask", "mask": "has_mask",
                       "saved": "reset_after"}
    optional_outputs = {"dhu": "reset_after", "db_rec": "reset_after",
                        "drmask": "has_recurrent_mask"}
    activation_props = ("recurrent_activation", "activation")
    csrc = FusedLoopOp.csrc + ("gru.h",)
    code_version = (5,)
    _NDIM = {"dxw": 3, "dh0": 2, "dhu": 3, "db_rec": 1, "drmask": 2}

    @property
    def c_function(self):
        return ("fused_gru_reset_after_backward" if self.reset_after
                else "fused_gru_backward")

    def make_node(self, *inputs):
        inputs = [T.as_tensor_variable(v) for v in self.check_inputs(inputs)]
        dtype = inputs[-1].dtype
        return Apply(self, inputs, [tensor(dtype, self._NDIM[n])
                                    for n in self.present_outputs])

    def infer_shape(self, node, shapes):
        s = self.named_inputs(shapes)
        hs, gates = s["hs"], s["gates"]
        shape = {"dxw": gates, "dh0": (hs[1], hs[2]), "dhu": gates,
                 "db_rec": (gates[2],), "drmask": (hs[1], hs[2])}
        return [shape[n] for n in self.present_outputs]

    def perform(self, node, inputs, outputs):
        i = self.named_inputs(inputs)
        U, rmask, mask, hs, gates, hu_h, dhs = (i[n] for n in
                                                self.input_names)
        np_check_shapes(self, {"hs": (hs, (None, None, None))})
        n_steps, batch, H = hs.shape[0] - 1, hs.shape[1], hs.shape[2]
        np_check_shapes(self, {"gates": (gates, (n_steps, batch, 3 * H)),
                               "recurrent_kernel": (U, (H, 3 * H)),
                               "dhs": (dhs, hs.shape),
                               "saved": (hu_h, (n_steps, batch, H)),
                               "recurrent_mask": (rmask, (batch, H)),
                               "mask": (mask, (n_steps, batch))})
        dsigma = lambda y: np_activation_grad(self.recurrent_activation, y)
        dact = lambda y: np_activation_grad(self.activation, y)
        dxw = np.zeros_like(gates)
        dhu = np.zeros_like(gates)
        db_rec = np.zeros(3 * H, dtype=np.float64)
        drmask = None if rmask is None else np.zeros_like(rmask)
        dh = dhs[-1].copy()
        for t in range(n_steps - 1, -1, -1):
            keep = np_keep(mask, t, batch)
            z, r, hh = (gates[t][:, k * H:(k + 1) * H] for k in range(3))
            hin = hs[t] if rmask is None else hs[t] * rmask
            d = np.where(keep, dh, 0)
            dz = d * (hs[t] - hh) * dsigma(z)
            dhh = d * (1 - z) * dact(hh)
            if self.reset_after:
                dr = dhh * hu_h[t] * dsigma(r)
                dhu[t] = np.concatenate([dz, dr, dhh * r], axis=1)
                dhin = dhu[t].dot(U.T)
                db_rec += dhu[t].sum(axis=0)
            else:
                drh = dhh.dot(U[:, 2 * H:].T)
                dr = drh * hin * dsigma(r)
                dhin = drh * r + np.concatenate([dz, dr], axis=1).dot(
                    U[:, :2 * H].T)
            dxw[t] = np.concatenate([dz, dr, dhh], axis=1)
            if rmask is not None:
                drmask += dhin * hs[t]
                dhin = dhin * rmask
            dh = np.where(keep, dh * z + dhin, dh) + dhs[t]
        results = {"dxw": dxw, "dh0": dh, "dhu": dhu,
                   "db_rec": db_rec.astype(gates.dtype), "drmask": drmask}
        for storage, name in zip(outputs, self.present_outputs):
            storage[0] = results[name]

    def jax_perform(self, i):
        """``perform``'s loop as a reverse ``lax.scan`` from the saved
        gates (PyTensor's JAX linker)."""
        import jax.numpy as jnp
        from jax import lax
        U, rmask, hs, dhs = i["U"], i["rmask"], i["hs"], i["dhs"]
        H = U.shape[0]
        dsigma = lambda y: jax_activation_grad(self.recurrent_activation, y)
        dact = lambda y: jax_activation_grad(self.activation, y)

        def step(carry, inputs):
            dh, drmask = carry
            h_prev, gates, hu_h, dh_t, m_t = inputs
            z, r, hh = (gates[:, k * H:(k + 1) * H] for k in range(3))
            hin = h_prev if rmask is None else h_prev * rmask
            d = jax_keep(m_t, dh, 0)
            dz = d * (h_prev - hh) * dsigma(z)
            dhh = d * (1 - z) * dact(hh)
            if self.reset_after:
                dr = dhh * hu_h * dsigma(r)
                dhu = jnp.concatenate([dz, dr, dhh * r], axis=1)
                dhin = dhu.dot(U.T)
            else:
                drh = dhh.dot(U[:, 2 * H:].T)
                dr = drh * hin * dsigma(r)
                dhu = None
                dhin = drh * r + jnp.concatenate([dz, dr], axis=1).dot(
                    U[:, :2 * H].T)
            if rmask is not None:
                drmask = drmask + dhin * h_prev
                dhin = dhin * rmask
            dh = jax_keep(m_t, dh * z + dhin, dh) + dh_t
            return (dh, drmask), (jnp.concatenate([dz, dr, dhh], axis=1), dhu)

        no_rmask = None if rmask is None else jnp.zeros_like(rmask)
        (dh0, drmask), (dxw, dhu) = lax.scan(
            step, (dhs[-1], no_rmask),
            (hs[:-1], i["gates"], i["saved"], dhs[:-1], i["mask"]),
            reverse=True)
        db_rec = None if dhu is None else dhu.sum(axis=(0, 1))
        return {"dxw": dxw, "dh0": dh0, "dhu": dhu, "db_rec": db_rec,
                "drmask": drmask}

    def pullback(self, inputs, outputs, output_gradients):
        return no_second_derivatives(self, inputs, "GRU")


def fused_gru(cell, x, initial_states, recurrent_mask=None, mask=None):
    """``rnn(cell.step, cell.project_inputs(x), initial_states, ...)`` with
    the loop, and the input projection, as one op.

    ``x`` (time, batch, features) time-major, already reversed for
    ``go_backwards``; ``mask`` (time, batch) of any dtype or ``None``;
    ``recurrent_mask`` (batch, units) or ``None``.  Returns
    ``(outputs (time, batch, units), [h_last])``.
    """
    x, W = input_factors(cell, x)                # [x, 1], [W; b_in]
    op = GRUForward(activation=cell.activation.__name__,
                    recurrent_activation=cell.recurrent_activation.__name__,
                    reset_after=cell.reset_after,
                    has_recurrent_mask=recurrent_mask is not None,
                    has_mask=mask is not None)
    non_sequences = cell.step_non_sequences()    # [U] or [U, b_rec]
    inputs = [x, initial_states[0], W] + non_sequences + [recurrent_mask,
                                                          mask]
    hs, _, _ = op(*[v for v in inputs if v is not None])
    return hs[1:], [hs[-1]]                      # (time, batch, units)
