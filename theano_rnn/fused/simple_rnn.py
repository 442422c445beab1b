r"""The fused SimpleRNN: the loop over time as one op, and its gradient.

The recurrence (:func:`theano_rnn.cells.simple_rnn_step` under
:func:`theano_rnn.recurrence.rnn`), for ``t = 0 .. T-1``::

    hin_t  = h_{t-1} * rmask         recurrent dropout (rmask = 1 without)
    y_t    = act(x_t W + b + hin_t U)     (batch, units)
    h_t    = m_t ? y_t : h_{t-1}     padded steps (m_t = 0) keep the state

The op computes ``x_t W + b`` itself, step by step, as the LSTM's op does
(:mod:`theano_rnn.fused.lstm`): it gets ``[x, 1]`` and ``[W; b]``
(:func:`~theano_rnn.fused._base.input_factors`; ``x`` and ``W`` without a
bias), so a step is two products into ``h_t``'s row, ``x_t W`` and then
``+ hin_t U``, and the (T, B, H) array ``x W`` is never written.

Forward op, :class:`SimpleRNNForward`
    inputs  ``x (T, B, D)``, ``h0 (B, H)``, ``W (D, H)``, ``U (H, H)``,
            optionally ``rmask (B, H)`` and ``mask (T, B)``;
    output  ``hs (T + 1, B, H)``: ``hs[0] = h0``, ``hs[t + 1] = h_t``.

    Keeping ``h0`` as row 0 gives the backward pass ``h_{t-1}`` for every step
    as the contiguous view ``hs[:-1]``.  Nothing else needs saving: the
    derivative of every activation here is a function of its *output*, and
    the output of a real step is ``h_t`` itself (for a padded step ``hs`` holds
    ``h_{t-1}`` instead of ``y_t``, but a padded step gets no gradient).

Backward op, :class:`SimpleRNNBackward`, for ``t = T-1 .. 0``, with ``dh``
the gradient reaching ``h_t`` (from the outputs and from step ``t + 1``)::

    dy_t     = m_t ? dh * act'(h_t) : 0      = dxw_t, the gradient of x_t W
    dhin_t   = dy_t U^T                      the only product per step
    dh       = m_t ? dhin_t * rmask : dh     (+ the output gradient of h_{t-1})
    drmask  += dhin_t * h_{t-1}

    outputs ``dxw (T, B, H)``, ``dh0 (B, H)``, and ``drmask (B, H)`` when
    there is a recurrent mask.

The per-step products ``x_t W``, ``hin_t U`` and ``dy_t U^T`` are those of
:mod:`theano_rnn.fused.packed`: each op packs ``W`` and ``U`` (the backward
op ``U^T``) once per call, and splits the batch across threads, each thread
running every step for its own rows (the rows are independent through the
whole recurrence, so the threads never wait for each other).

The weight and input gradients are not per-step products: they are large
matrix products over all steps, done in plain Theano outside the op, where
BLAS is at its most efficient, as for the LSTM and the GRU::

    dx = dY W^T     dW = X^T dY     dU = Hin^T dY
    with dY = dxw, X = x, Hin = hs[:-1] * rmask flattened to T*B rows
    (with [x, 1], dW holds db)

The gradient of the time mask is disconnected (it is data, not a
parameter).  The recurrent dropout mask gets its true gradient (its
per-step sum is cheap to accumulate in the loop), so the op's gradient is
complete and ``verify_grad`` can check all of it.

The C++ of both ops is ``csrc/simple_rnn.h``.  What the three cells share
(C++ helpers for inputs, outputs and activations, the activations in NumPy
for ``perform``, the input projection's factors and gradients, and
:class:`~theano_rnn.fused._base.FusedLoopOp`, the Python side of the ops) is
in :mod:`theano_rnn.fused._base`.
"""
import numpy as np
from ..runtime import T

from ._base import (Apply, FusedForwardOp, FusedLoopOp, disconnected,
                    input_factors, input_gradients, jax_activation,
                    jax_activation_grad, jax_keep, no_second_derivatives,
                    np_activation, np_activation_grad, np_check_shapes,
                    np_keep, output_gradient, recurrent_inputs, tensor,
                    weight_gradient)


class SimpleRNNForward(FusedForwardOp):
    """The SimpleRNN loop: ``(x, h0, W, U[, rmask][, mask]) -> hs (T+1, B,
    H)`` with ``hs[0] = h0`` (see the module docstring).  The op computes the
    input projection ``x W`` itself; :func:`fused_simple_rnn` passes
    ``[x, 1]`` and ``[W; b]`` when the cell has a bias."""

    __props__ = ("activation", "has_recurrent_mask", "has_mask")
    input_names = ("x", "h0", "W", "U", "rmask", "mask")
    output_names = ("hs",)
    optional_inputs = {"rmask": "has_recurrent_mask", "mask": "has_mask"}
    c_function = "fused_simple_rnn_forward"
    activation_props = ("activation",)
    csrc = FusedLoopOp.csrc + ("simple_rnn.h",)
    code_version = (5,)

    def infer_shape(self, node, shapes):
        s = self.named_inputs(shapes)
        x, U = s["x"], s["U"]
        return [(x[0] + 1, x[1], U[0])]

    def perform(self, node, inputs, outputs):
        i = self.named_inputs(inputs)
        x, h0, W, U, rmask, mask = (i[n] for n in self.input_names)
        np_check_shapes(self, {"x": (x, (None, None, None)),
                               "recurrent_kernel": (U, (None, None))})
        n_steps, batch, D = x.shape
        H = U.shape[0]
        np_check_shapes(self, {"kernel": (W, (D, H)),
                               "recurrent_kernel": (U, (H, H)),
                               "h0": (h0, (batch, H)),
                               "recurrent_mask": (rmask, (batch, H)),
                               "mask": (mask, (n_steps, batch))})
        hs = np.empty((n_steps + 1, batch, H), dtype=x.dtype)
        hs[0] = h0
        for t in range(n_steps):
            hin = hs[t] if rmask is None else hs[t] * rmask
            y = np_activation(self.activation, x[t].dot(W) + hin.dot(U))
            hs[t + 1] = np.where(np_keep(mask, t, batch), y, hs[t])
        outputs[0][0] = hs

    def jax_perform(self, i):
        """``perform``'s loop as ``lax.scan`` over the steps (PyTensor's
        JAX linker)."""
        import jax.numpy as jnp
        from jax import lax
        W, U, rmask = i["W"], i["U"], i["rmask"]

        def step(h, inputs):
            x_t, m_t = inputs
            hin = h if rmask is None else h * rmask
            y = jax_activation(self.activation, x_t.dot(W) + hin.dot(U))
            h_new = jax_keep(m_t, y, h)
            return h_new, h_new

        _, hs = lax.scan(step, i["h0"], (i["x"], i["mask"]))
        return {"hs": jnp.concatenate([i["h0"][None], hs])}

    def pullback(self, inputs, outputs, output_gradients):
        i = self.named_inputs(inputs)
        (hs,), (dhs,) = outputs, output_gradients
        dhs = output_gradient(dhs, hs)
        grad_op = SimpleRNNBackward(
            activation=self.activation,
            has_recurrent_mask=self.has_recurrent_mask,
            has_mask=self.has_mask)
        backward_inputs = [i["U"], i["rmask"], i["mask"], hs, dhs]
        d = grad_op.named_outputs(grad_op(*[v for v in backward_inputs
                                            if v is not None]))
        dx, dW = input_gradients(i["x"], i["W"], d["dxw"])
        hin = recurrent_inputs(hs, i["rmask"])
        gradients = {"x": dx, "W": dW, "h0": d["dh0"],
                     "U": weight_gradient(hin, d["dxw"]),
                     "rmask": d["drmask"],
                     "mask": disconnected()}
        return [gradients[n] for n in self.present_inputs]


class SimpleRNNBackward(FusedLoopOp):
    """The SimpleRNN's backward loop: ``(U[, rmask][, mask], hs, dhs) ->
    (dxw, dh0[, drmask])`` (see the module docstring)."""

    __props__ = ("activation", "has_recurrent_mask", "has_mask")
    input_names = ("U", "rmask", "mask", "hs", "dhs")
    output_names = ("dxw", "dh0", "drmask")
    optional_inputs = {"rmask": "has_recurrent_mask", "mask": "has_mask"}
    optional_outputs = {"drmask": "has_recurrent_mask"}
    c_function = "fused_simple_rnn_backward"
    activation_props = ("activation",)
    csrc = FusedLoopOp.csrc + ("simple_rnn.h",)
    code_version = (4,)

    def make_node(self, *inputs):
        inputs = [T.as_tensor_variable(v) for v in self.check_inputs(inputs)]
        dtype = inputs[-1].dtype
        outputs = [tensor(dtype, 3), tensor(dtype, 2)]
        if self.has_recurrent_mask:
            outputs.append(tensor(dtype, 2))
        return Apply(self, inputs, outputs)

    def infer_shape(self, node, shapes):
        hs = shapes[self.present_inputs.index("hs")]
        h = (hs[1], hs[2])
        return [(hs[0] - 1, hs[1], hs[2]), h] + [h] * self.has_recurrent_mask

    def perform(self, node, inputs, outputs):
        i = self.named_inputs(inputs)
        U, rmask, mask, hs, dhs = (i[n] for n in self.input_names)
        np_check_shapes(self, {"hs": (hs, (None, None, None))})
        T1, B, H = hs.shape
        np_check_shapes(self, {"recurrent_kernel": (U, (H, H)),
                               "dhs": (dhs, hs.shape),
                               "recurrent_mask": (rmask, (B, H)),
                               "mask": (mask, (T1 - 1, B))})
        n_steps = hs.shape[0] - 1
        dxw = np.zeros((n_steps,) + hs.shape[1:], dtype=hs.dtype)
        dh = dhs[-1].copy()
        drmask = None if rmask is None else np.zeros_like(rmask)
        for t in range(n_steps - 1, -1, -1):
            keep = np_keep(mask, t, hs.shape[1])
            dxw[t] = np.where(keep, dh * np_activation_grad(self.activation,
                                                            hs[t + 1]), 0)
            dhin = dxw[t].dot(U.T)
            if rmask is not None:
                drmask += dhin * hs[t]
                dhin = dhin * rmask
            dh = np.where(keep, dhin, dh) + dhs[t]
        results = [dxw, dh] + ([drmask] if rmask is not None else [])
        for storage, value in zip(outputs, results):
            storage[0] = value

    def jax_perform(self, i):
        """``perform``'s loop as a reverse ``lax.scan`` (PyTensor's JAX
        linker)."""
        import jax.numpy as jnp
        from jax import lax
        U, rmask, hs, dhs = i["U"], i["rmask"], i["hs"], i["dhs"]

        def step(carry, inputs):
            dh, drmask = carry
            h_prev, h, dh_t, m_t = inputs
            dxw_t = jax_keep(m_t, dh * jax_activation_grad(self.activation,
                                                           h), 0)
            dhin = dxw_t.dot(U.T)
            if rmask is not None:
                drmask = drmask + dhin * h_prev
                dhin = dhin * rmask
            return (jax_keep(m_t, dhin, dh) + dh_t, drmask), dxw_t

        no_rmask = None if rmask is None else jnp.zeros_like(rmask)
        (dh0, drmask), dxw = lax.scan(
            step, (dhs[-1], no_rmask),
            (hs[:-1], hs[1:], dhs[:-1], i["mask"]), reverse=True)
        return {"dxw": dxw, "dh0": dh0, "drmask": drmask}

    def pullback(self, inputs, outputs, output_gradients):
        return no_second_derivatives(self, inputs, "SimpleRNN")


def fused_simple_rnn(cell, x, initial_states, recurrent_mask=None,
                     mask=None):
    """``rnn(cell.step, cell.project_inputs(x), initial_states, ...)`` with
    the loop, and the input projection, as one op.

    ``x`` (time, batch, features) time-major, already reversed for
    ``go_backwards``; ``mask`` (time, batch) of any dtype or ``None``;
    ``recurrent_mask`` (batch, units) or ``None``.  Returns
    ``(outputs (time, batch, units), [h_last])``.
    """
    x, W = input_factors(cell, x)                # [x, 1], [W; b]
    op = SimpleRNNForward(activation=cell.activation.__name__,
                          has_recurrent_mask=recurrent_mask is not None,
                          has_mask=mask is not None)
    inputs = [x, initial_states[0], W, cell.recurrent_kernel, recurrent_mask,
              mask]
    hs = op(*[v for v in inputs if v is not None])  # (time + 1, batch, units)
    return hs[1:], [hs[-1]]
