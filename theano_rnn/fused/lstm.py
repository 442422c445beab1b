r"""The fused LSTM: the loop over time as one Theano op, and its gradient.

The scan path (:func:`theano_rnn.cells.lstm_step` unrolled by
:func:`theano_rnn.recurrence.rnn`) computes, for t = 0 .. T-1, with the gate
order **i, f, c, o** of :class:`theano_rnn.cells.LSTMCell`::

    z_t  = x_t W + (h_{t-1} * r) U         (batch, 4 units)   r: recurrent
    i_t  = sigma(z_t[:, 0H:1H])                               dropout mask
    f_t  = sigma(z_t[:, 1H:2H])
    g_t  = act(z_t[:, 2H:3H])              (the candidate cell, "c~")
    o_t  = sigma(z_t[:, 3H:4H])
    c_t  = f_t * c_{t-1} + i_t * g_t
    h_t  = o_t * act(c_t)

and where the time mask m_t[b] is 0 (padding) the row keeps its previous
state: ``h_t = h_{t-1}``, ``c_t = c_{t-1}`` (``T.switch(m_t, new, old)``).

:class:`LSTMForward` runs that loop in C.  At every step two matrix products
compute ``z_t = x_t W + (h_{t-1} * r) U`` into a small (B, 4H) scratch
buffer, and one element-wise pass applies the activations, writes them to
``gates[t]`` and updates ``c`` and ``h``.  The products are
:mod:`theano_rnn.fused.packed`'s, with ``W`` and ``U`` packed once per call
(rather than by BLAS at every step) and kept in cache, and the batch is split
across threads, each running the whole loop for its rows.  The scan path
hoists the input projection out of the loop as one large product (Lasagne's
``precompute_input``); here it is done step by step, like cuDNN's RNN, which
costs the same arithmetic and never writes the (T, B, 4H) array ``x W`` to
memory.  With ``use_bias`` the op gets ``[x, 1]`` and ``[W; b]``.

What is saved for the backward pass, and why
--------------------------------------------
The forward op has three outputs: ``hs`` and ``cs`` (T + 1, B, H), the
states with the initial ones as row 0 (``hs[0] = h0``, ``hs[t + 1] = h_t``),
and ``gates`` (T, B, 4H), the gates *after* their activations
``[i, f, g, o]``.  Every derivative of the step can be written through
these values (the helpers ``d_tanh(y) = 1 - y^2`` etc. of
``csrc/activations.h`` take the activation's *output*), so the
backward pass never recomputes the forward one -- which is exactly what
the gradient of ``scan`` does at every step (a second ``gemm`` per step).
Only ``act(c_t)`` is recomputed, from ``cs`` (one ``tanh`` per element is
cheaper than storing another (T, B, H) array).  Keeping ``h0`` as row 0
gives every step's ``h_{t-1}`` as the contiguous view ``hs[:-1]``.
``gates`` is an internal output: nothing outside this module should use
it, and differentiating it raises ``NotImplementedError``.

The backward pass (cuDNN / Lasagne style)
-----------------------------------------
:class:`LSTMBackward` walks back from t = T-1 carrying ``dh`` and ``dc``,
the gradients reaching ``h_t`` and ``c_t`` (from the later steps and from
the outputs: they start as ``dhs[T]``, ``dcs[T]``)::

    dc    = dc + dh * o * act'(act(c_t))
    dxw_t = [dc * g * sigma'(i),  dc * c_{t-1} * sigma'(f),
             dc * i * act'(g),    dh * act(c_t) * sigma'(o)]
    dc    = dc * f + dcs[t]              -> gradient of c_{t-1}
    dh    = (dxw_t U^T) * r + dhs[t]     -> gradient of h_{t-1} (one product)

(a padded row passes ``dh`` and ``dc`` through, plus ``dhs[t]``, ``dcs[t]``,
with dxw_t = 0).  ``dxw`` (T, B, 4H) is the gradient of the
pre-activations ``x W + (h * r) U``; the op also returns the gradients of
``h0``, ``c0`` and, with recurrent dropout, of the mask ``r``
(``sum_t h_{t-1} * (dxw_t U^T)``, a few flops per step, so it is computed
properly rather than declared undefined).  The weight gradients need no
loop: they are three large products in the graph (one BLAS call each),
as for the GRU and the SimpleRNN::

    dx = dxw W^T     dW = x^T dxw     dU = (hs[:-1] * r)^T dxw

with the (T, B, .) arrays seen as (T B, .) matrices.

The time mask gets no gradient (it is not differentiable;
``connection_pattern`` says so).

The ops
-------
Both are :class:`~theano_rnn.fused._base.FusedLoopOp`\ s, like the GRU's and
the SimpleRNN's: keyword-only properties (``activation``,
``recurrent_activation``, ``has_recurrent_mask``, ``has_mask``), C code that
is one call of a C++ function templated on the element type (float32 and
float64) and on the two activations (``csrc/lstm.h``), using the helpers
of ``csrc/arrays.h`` (contiguous inputs, shape checks, reused outputs)
and ``csrc/loop_helpers.h`` (activations as functor classes), and a NumPy
``perform`` (used when Theano has no C compiler).  In float32 ``tanh`` is
the approximation of :mod:`theano_rnn.fastmath`, exactly as the scan path
computes it, so the two paths agree to rounding.

Forward op, :class:`LSTMForward`
    inputs  ``x (T, B, D)``, ``h0``, ``c0 (B, H)``, ``W (D, 4H)``,
            ``U (H, 4H)``, optionally ``rmask (B, H)`` and ``mask (T, B)``;
    outputs ``hs``, ``cs (T + 1, B, H)`` and ``gates (T, B, 4H)``.

Backward op, :class:`LSTMBackward`
    inputs  ``U``, optionally ``rmask`` and ``mask``, the forward op's
            outputs ``hs``, ``cs``, ``gates`` and the gradients ``dhs``,
            ``dcs`` of the cost with respect to ``hs`` and ``cs``;
    outputs ``dxw (T, B, 4H)``, ``dh0``, ``dc0 (B, H)`` and
            ``drmask (B, H)`` with a recurrent mask.

An input of the wrong shape is refused with a ``ValueError`` naming the op,
the input (as the layers name it: ``kernel``, ``recurrent_kernel``,
``recurrent_mask``...) and both shapes.
"""
import numpy as np
from ..runtime import T

from ._base import (Apply, FusedForwardOp, FusedLoopOp, as_tensors, c_dtype,
                    check_internal_gradients, disconnected, input_factors,
                    input_gradients, jax_activation, jax_activation_grad,
                    jax_keep, no_second_derivatives, np_activation,
                    np_activation_grad, np_check_shapes, np_keep,
                    output_gradient, recurrent_inputs, tensor,
                    weight_gradient)

_PROPS = ("activation", "recurrent_activation", "has_recurrent_mask",
          "has_mask")


class LSTMForward(FusedForwardOp):
    """The LSTM over all time steps: ``(x, h0, c0, W, U[, rmask][, mask])
    -> (hs, cs, gates)`` (see the module docstring).

    ``x`` (T, B, D), ``h0``, ``c0`` (B, H), ``W`` (D, 4H), ``U`` (H, 4H),
    ``rmask`` (B, H) if ``has_recurrent_mask``, ``mask`` (T, B) if
    ``has_mask`` (0 = padding).  The op computes the input projection
    ``x W`` itself; :func:`fused_lstm` passes ``[x, 1]`` and ``[W; b]``
    (:func:`theano_rnn.fastmath.affine_factors`), so that the bias rides
    along in the product.  All inputs are cast to the upcast dtype of ``x``
    and ``W``.

    Outputs: ``hs``, ``cs`` (T + 1, B, H), ``hs[0] = h0``, ``cs[0] = c0``,
    and ``gates`` (T, B, 4H), the activated gates ``[i, f, g, o]`` kept for
    :class:`LSTMBackward`.
    """

    __props__ = _PROPS
    input_names = ("x", "h0", "c0", "W", "U", "rmask", "mask")
    output_names = ("hs", "cs", "gates")
    optional_inputs = {"rmask": "has_recurrent_mask", "mask": "has_mask"}
    activation_props = ("recurrent_activation", "activation")
    c_function = "fused_lstm_forward"
    csrc = FusedLoopOp.csrc + ("lstm.h",)
    code_version = (10,)

    def infer_shape(self, node, shapes):
        s = self.named_inputs(shapes)
        x, W, U = s["x"], s["W"], s["U"]
        hs = (x[0] + 1, x[1], U[0])
        return [hs, hs, (x[0], x[1], W[1])]

    def perform(self, node, inputs, outputs):
        i = self.named_inputs(inputs)
        x, h0, c0, W, U, rmask, mask = (i[n] for n in self.input_names)
        np_check_shapes(self, {"x": (x, (None, None, None)),
                               "recurrent_kernel": (U, (None, None))})
        steps, batch, D = x.shape
        H = U.shape[0]
        np_check_shapes(self, {"kernel": (W, (D, 4 * H)),
                               "recurrent_kernel": (U, (H, 4 * H)),
                               "h0": (h0, (batch, H)), "c0": (c0, (batch, H)),
                               "recurrent_mask": (rmask, (batch, H)),
                               "mask": (mask, (steps, batch))})
        ract = lambda v: np_activation(self.recurrent_activation, v)
        act = lambda v: np_activation(self.activation, v)
        hs = np.empty((steps + 1, batch, H), dtype=x.dtype)
        cs = np.empty_like(hs)
        gates = np.empty((steps, batch, 4 * H), dtype=x.dtype)
        hs[0], cs[0] = h0, c0
        for t in range(steps):
            h, c = hs[t], cs[t]
            h_in = h if rmask is None else h * rmask
            z = x[t].dot(W) + h_in.dot(U)
            i, f = ract(z[:, :H]), ract(z[:, H:2 * H])
            g, o = act(z[:, 2 * H:3 * H]), ract(z[:, 3 * H:])
            c_new = f * c + i * g
            h_new = o * act(c_new)
            keep = np_keep(mask, t, batch)
            gates[t] = np.concatenate([i, f, g, o], axis=1)
            hs[t + 1] = np.where(keep, h_new, h)
            cs[t + 1] = np.where(keep, c_new, c)
        for storage, value in zip(outputs, (hs, cs, gates)):
            storage[0] = value

    def jax_perform(self, i):
        """``perform``'s loop as ``lax.scan`` over the steps (PyTensor's
        JAX linker)."""
        import jax.numpy as jnp
        from jax import lax
        W, U, rmask = i["W"], i["U"], i["rmask"]
        H = U.shape[0]
        ract = lambda v: jax_activation(self.recurrent_activation, v)
        act = lambda v: jax_activation(self.activation, v)

        def step(state, inputs):
            (h, c), (x_t, m_t) = state, inputs
            h_in = h if rmask is None else h * rmask
            z = x_t.dot(W) + h_in.dot(U)
            i, f = ract(z[:, :H]), ract(z[:, H:2 * H])
            g, o = act(z[:, 2 * H:3 * H]), ract(z[:, 3 * H:])
            c_new = f * c + i * g
            h_new = o * act(c_new)
            h_new, c_new = jax_keep(m_t, h_new, h), jax_keep(m_t, c_new, c)
            return (h_new, c_new), (h_new, c_new,
                                    jnp.concatenate([i, f, g, o], axis=1))

        _, (hs, cs, gates) = lax.scan(step, (i["h0"], i["c0"]),
                                      (i["x"], i["mask"]))
        return {"hs": jnp.concatenate([i["h0"][None], hs]),
                "cs": jnp.concatenate([i["c0"][None], cs]), "gates": gates}

    def pullback(self, inputs, outputs, output_gradients):
        i = self.named_inputs(inputs)
        hs, cs, gates = outputs
        dhs, dcs = (output_gradient(g, v).astype(v.dtype) for g, v in
                    zip(output_gradients[:2], (hs, cs)))
        check_internal_gradients(self, output_gradients[2:])
        backward = LSTMBackward(**{p: getattr(self, p) for p in _PROPS})
        backward_inputs = {"U": i["U"], "rmask": i["rmask"],
                           "mask": i["mask"], "hs": hs, "cs": cs,
                           "gates": gates, "dhs": dhs, "dcs": dcs}
        d = backward.named_outputs(backward(*[backward_inputs[n] for n in
                                              backward.present_inputs]))
        # The three large products of the weight gradients are left to
        # Theano (one BLAS call each), as for the GRU and the SimpleRNN.
        dx, dW = input_gradients(i["x"], i["W"], d["dxw"])
        hin = recurrent_inputs(hs, i["rmask"])
        gradients = {"x": dx, "W": dW,
                     "U": weight_gradient(hin, d["dxw"]),
                     "h0": d["dh0"], "c0": d["dc0"], "rmask": d["drmask"],
                     "mask": disconnected()}
        return [gradients[n] for n in self.present_inputs]


class LSTMBackward(FusedLoopOp):
    """The gradient of :class:`LSTMForward`: ``(U[, rmask][, mask], hs, cs,
    gates, dhs, dcs) -> (dxw, dh0, dc0[, drmask])`` (see the module
    docstring).

    ``hs``, ``cs``, ``gates`` are the forward op's outputs, ``dhs``, ``dcs``
    the gradients of the cost with respect to ``hs`` and ``cs``.  ``dxw``
    (T, B, 4H) is the gradient of the pre-activations; ``dh0``, ``dc0``
    (B, H); ``drmask`` (B, H) if ``has_recurrent_mask``.
    """

    __props__ = _PROPS
    input_names = ("U", "rmask", "mask", "hs", "cs", "gates", "dhs", "dcs")
    output_names = ("dxw", "dh0", "dc0", "drmask")
    optional_inputs = {"rmask": "has_recurrent_mask", "mask": "has_mask"}
    optional_outputs = {"drmask": "has_recurrent_mask"}
    activation_props = ("recurrent_activation", "activation")
    c_function = "fused_lstm_backward"
    csrc = FusedLoopOp.csrc + ("lstm.h",)
    code_version = (10,)
    _NDIM = {"dxw": 3, "dh0": 2, "dc0": 2, "drmask": 2}

    def make_node(self, *inputs):
        i = self.named_inputs(self.check_inputs(inputs))
        dtype = T.as_tensor_variable(i["U"]).dtype
        c_dtype(dtype)
        inputs = as_tensors(dtype, *inputs)
        return Apply(self, inputs, [tensor(dtype, self._NDIM[n])
                                    for n in self.present_outputs])

    def infer_shape(self, node, shapes):
        s = self.named_inputs(shapes)
        hs = s["hs"]
        shape = {"dxw": s["gates"], "dh0": (hs[1], hs[2]),
                 "dc0": (hs[1], hs[2]), "drmask": (hs[1], hs[2])}
        return [shape[n] for n in self.present_outputs]

    def perform(self, node, inputs, outputs):
        i = self.named_inputs(inputs)
        U, rmask, mask, hs, cs, gates, dhs, dcs = (
            i[n] for n in self.input_names)
        np_check_shapes(self, {"hs": (hs, (None, None, None))})
        steps, batch, H = hs.shape[0] - 1, hs.shape[1], hs.shape[2]
        np_check_shapes(self, {"recurrent_kernel": (U, (H, 4 * H)),
                               "recurrent_mask": (rmask, (batch, H)),
                               "mask": (mask, (steps, batch)),
                               "cs": (cs, hs.shape),
                               "gates": (gates, (steps, batch, 4 * H)),
                               "dhs": (dhs, hs.shape),
                               "dcs": (dcs, hs.shape)})
        act = lambda v: np_activation(self.activation, v)
        d_act = lambda y: np_activation_grad(self.activation, y)
        d_ract = lambda y: np_activation_grad(self.recurrent_activation, y)
        dxw = np.zeros_like(gates)
        dh, dc = dhs[-1].copy(), dcs[-1].copy()
        drmask = None if rmask is None else np.zeros_like(rmask)
        for t in range(steps - 1, -1, -1):
            c_prev, h_prev = cs[t], hs[t]
            i, f = gates[t, :, :H], gates[t, :, H:2 * H]
            g, o = gates[t, :, 2 * H:3 * H], gates[t, :, 3 * H:]
            tc = act(cs[t + 1])
            dc_full = dc + dh * o * d_act(tc)
            keep = np_keep(mask, t, batch)
            dxw_t = np.where(keep, np.concatenate(
                [dc_full * g * d_ract(i), dc_full * c_prev * d_ract(f),
                 dc_full * i * d_act(g), dh * tc * d_ract(o)], axis=1), 0)
            dxw[t] = dxw_t
            dh_in = dxw_t.dot(U.T)                  # gradient of h_{t-1} * r
            if rmask is not None:
                drmask += dh_in * h_prev
                dh_in = dh_in * rmask
            dh = np.where(keep, dh_in, dh) + dhs[t]
            dc = np.where(keep, dc_full * f, dc) + dcs[t]
        results = {"dxw": dxw, "dh0": dh, "dc0": dc, "drmask": drmask}
        for storage, name in zip(outputs, self.present_outputs):
            storage[0] = np.asarray(results[name], dtype=U.dtype)

    def jax_perform(self, i):
        """``perform``'s loop as a reverse ``lax.scan`` from the saved
        gates (PyTensor's JAX linker)."""
        import jax.numpy as jnp
        from jax import lax
        U, rmask, hs, cs, dhs, dcs = (i[n] for n in ("U", "rmask", "hs",
                                                       "cs", "dhs", "dcs"))
        H = U.shape[0]
        act = lambda v: jax_activation(self.activation, v)
        d_act = lambda y: jax_activation_grad(self.activation, y)
        d_ract = lambda y: jax_activation_grad(self.recurrent_activation, y)

        def step(carry, inputs):
            dh, dc, drmask = carry
            h_prev, c_prev, c, gates, dh_t, dc_t, m_t = inputs
            i, f = gates[:, :H], gates[:, H:2 * H]
            g, o = gates[:, 2 * H:3 * H], gates[:, 3 * H:]
            tc = act(c)
            dc_full = dc + dh * o * d_act(tc)
            dxw_t = jax_keep(m_t, jnp.concatenate(
                [dc_full * g * d_ract(i), dc_full * c_prev * d_ract(f),
                 dc_full * i * d_act(g), dh * tc * d_ract(o)], axis=1), 0)
            dh_in = dxw_t.dot(U.T)                  # gradient of h_{t-1} * r
            if rmask is not None:
                drmask = drmask + dh_in * h_prev
                dh_in = dh_in * rmask
            dh = jax_keep(m_t, dh_in, dh) + dh_t
            dc = jax_keep(m_t, dc_full * f, dc) + dc_t
            return (dh, dc, drmask), dxw_t

        no_rmask = None if rmask is None else jnp.zeros_like(rmask)
        (dh0, dc0, drmask), dxw = lax.scan(
            step, (dhs[-1], dcs[-1], no_rmask),
            (hs[:-1], cs[:-1], cs[1:], i["gates"], dhs[:-1], dcs[:-1],
             i["mask"]), reverse=True)
        return {"dxw": dxw, "dh0": dh0, "dc0": dc0, "drmask": drmask}

    def pullback(self, inputs, outputs, output_gradients):
        return no_second_derivatives(self, inputs, "LSTM")


def fused_lstm(cell, x, initial_states, recurrent_mask=None, mask=None):
    """The fused counterpart of ``rnn(cell.step, cell.project_inputs(x),
    [h0, c0], non_sequences=[U] (+ [recurrent_mask]), mask=mask)``.

    Parameters
    ----------
    cell : LSTMCell (built)
    x : tensor (time, batch, features), the inputs, time-major (already
        reversed by the caller for ``go_backwards``); the op projects them.
    initial_states : [h0, c0], each (batch, units).
    recurrent_mask : (batch, units) recurrent dropout mask, or None.
    mask : (time, batch) time mask of any dtype (nonzero = real step), or
        None.

    Returns ``(hs (time, batch, units), [h_last, c_last])``.
    """
    x, W = input_factors(cell, x)
    op = LSTMForward(activation=cell.activation.__name__,
                     recurrent_activation=cell.recurrent_activation.__name__,
                     has_recurrent_mask=recurrent_mask is not None,
                     has_mask=mask is not None)
    h0, c0 = initial_states
    inputs = [x, h0, c0, W, cell.recurrent_kernel, recurrent_mask, mask]
    hs, cs, _ = op(*[v for v in inputs if v is not None])
    return hs[1:], [hs[-1], cs[-1]]
