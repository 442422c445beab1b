r"""The fused SimpleRNN, and the pieces the fused GRU shares with it.

The recurrence (:func:`theano_rnn.cells.simple_rnn_step` under
:func:`theano_rnn.recurrence.rnn`), for ``t = 0 .. T-1``::

    hin_t  = h_{t-1} * rmask         recurrent dropout (rmask = 1 without)
    y_t    = act(xw_t + hin_t U)     (batch, units)
    h_t    = m_t ? y_t : h_{t-1}     padded steps (m_t = 0) keep the state

with ``xw`` = ``x W + b`` for all steps, computed before the loop.

Forward op, :class:`FusedSimpleRNN`
    inputs  ``xw (T, B, H)``, ``h0 (B, H)``, ``U (H, H)``, optionally
            ``rmask (B, H)`` and ``mask (T, B)``;
    output  ``hs (T + 1, B, H)``: ``hs[0] = h0``, ``hs[t + 1] = h_t``.

    Keeping ``h0`` as row 0 gives the backward pass ``h_{t-1}`` for every step
    as the contiguous view ``hs[:-1]``.  Nothing else needs saving: the
    derivative of every activation here is a function of its *output*, and
    the output of a real step is ``h_t`` itself (for a padded step ``hs`` holds
    ``h_{t-1}`` instead of ``y_t``, but a padded step gets no gradient).

Backward op, :class:`FusedSimpleRNNGrad`, for ``t = T-1 .. 0``, with ``dh``
the gradient reaching ``h_t`` (from the outputs and from step ``t + 1``)::

    dy_t     = m_t ? dh * act'(h_t) : 0      = d xw_t, the gradient of xw
    dhin_t   = dy_t U^T                      the only product per step
    dh       = m_t ? dhin_t * rmask : dh     (+ the output gradient of h_{t-1})
    drmask  += dhin_t * h_{t-1}

    outputs ``d xw (T, B, H)``, ``dh0 (B, H)``, and ``drmask (B, H)`` when
    there is a recurrent mask.

The per-step products ``hin_t U`` and ``dy_t U^T`` are those of
:mod:`theano_rnn.fused.packed`: each op packs ``U`` (the backward op ``U^T``)
once per call, and splits the batch across threads, each thread running
every step for its own rows (the rows are independent through the whole
recurrence, so the threads never wait for each other).

The weight gradient is not a per-step product: it is one large matrix
product over all steps, done in plain Theano outside the op, where BLAS is
at its most efficient::

    dU = sum_t hin_t^T dy_t = Hin^T dY      with Hin = hs[:-1] * rmask
         (H, T*B) x (T*B, H)                     and dY = d xw, both flattened

The gradient of the time mask is disconnected (it is data, not a
parameter).  The recurrent dropout mask gets its true gradient (its
per-step sum is cheap to accumulate in the loop), so the op's gradient is
complete and ``verify_grad`` can check all of it.

What the fused GRU shares with the SimpleRNN (C++ helpers for inputs,
outputs and activations, the activations in NumPy for ``perform``, and
:class:`~theano_rnn.fused._base.FusedLoopOp`, the Python side of the ops) is
in :mod:`theano_rnn.fused._base`.
"""
import numpy as np
import theano.tensor as T
from theano.gradient import DisconnectedType, grad_not_implemented
from theano.graph.basic import Apply

from ._base import (FusedLoopOp, as_tensors, common_dtype, flat,
                    np_activation, np_activation_grad, np_check_shapes,
                    np_keep, output_gradient, tensor)


# ---------------------------------------------------------------------------
# The SimpleRNN
# ---------------------------------------------------------------------------

SIMPLE_RNN_C = r"""
/* ---- theano_rnn.fused.simple_rnn: the SimpleRNN loops ---- */

/* The forward loop for rows (samples) r0 .. r1-1 of the batch.  Shapes:
   x (n_steps, batch, H), packed_U: U (H, H) packed by fused_pack, rm
   (batch, H) or NULL, m (n_steps, batch) or NULL, hs (n_steps+1, batch, H)
   with hs[0] = h0 already written; hin_buffer (batch, H) is used with a
   recurrent mask.  The rows are independent through the whole recurrence:
   this reads and writes rows r0 .. r1-1 of every array and nothing else,
   so threads given disjoint row ranges run it side by side. */
template<typename T, class ACT>
__attribute__((noinline)) static void fused_simple_rnn_forward_rows(
    npy_intp r0, npy_intp r1, npy_intp n_steps, npy_intp batch, npy_intp H,
    const T *x, const T *packed_U, const T *rm, const T *m, T *hs,
    T *hin_buffer)
{
    const npy_intp BH = batch * H, lo = r0 * H, hi = r1 * H;
    for (npy_intp t = 0; t < n_steps; ++t) {
        const T *h_prev = hs + t * BH;                 /* (B, H) */
        T *h = hs + (t + 1) * BH;                      /* (B, H) */
        const T *x_t = x + t * BH;                     /* (B, H) */
        const T *hin = fused_masked_state(h_prev, rm, hin_buffer, lo, hi);
        /* h = hin U      (rows, H) x (H, H); xw_t is added below */
        fused_packed_product<T>((int)(r1 - r0), (int)H, (int)H, hin + lo,
                                (int)H, packed_U, h + lo, (int)H, false);
        for (npy_intp b = r0; b < r1; ++b) {
            T *__restrict__ hb = h + b * H;
            const T *__restrict__ xb = x_t + b * H;
            if (m == NULL || m[t * batch + b] != 0)
                for (npy_intp j = 0; j < H; ++j)
                    hb[j] = ACT::f(xb[j] + hb[j]);
            else
                memcpy(hb, h_prev + b * H, sizeof(T) * H);  /* padding */
        }
    }
}

/* Forward: hs (T+1, B, H), hs[0] = h0,
   hs[t+1] = m_t ? act(xw_t + hin U) : hs[t].  U is packed once, then the
   batch is split across threads (fused_parallel), each running every step
   for its rows. */
template<typename T, class ACT>
static int fused_simple_rnn_forward(
    PyArrayObject *xw_, PyArrayObject *h0_, PyArrayObject *U_,
    PyArrayObject *rmask_, PyArrayObject *mask_, PyArrayObject **hs_)
{
    const char *op = "FusedSimpleRNN";
    FusedInput xw(xw_), h0(h0_), U(U_), rmask(rmask_), mask(mask_);
    if (xw.failed || h0.failed || U.failed || rmask.failed || mask.failed)
        return -1;
    const npy_intp any3[3] = {-1, -1, -1};
    if (fused_check_shape(op, "xw", xw.array, 3, any3))
        return -1;
    const npy_intp n_steps = xw.dim(0), batch = xw.dim(1), units = xw.dim(2);
    const npy_intp s_U[2] = {units, units}, s_h[2] = {batch, units};
    const npy_intp s_mask[2] = {n_steps, batch};
    if (fused_check_shape(op, "recurrent_kernel", U.array, 2, s_U) ||
        fused_check_shape(op, "h0", h0.array, 2, s_h) ||
        (rmask.array && fused_check_shape(op, "recurrent_mask", rmask.array,
                                          2, s_h)) ||
        (mask.array && fused_check_shape(op, "mask", mask.array, 2, s_mask)))
        return -1;
    const npy_intp s_hs[3] = {n_steps + 1, batch, units};
    if (fused_output(hs_, 3, s_hs, PyArray_TYPE(xw.array)))
        return -1;

    const npy_intp H = units, BH = batch * units;
    const T *x = xw.data<T>(), *u = U.data<T>(), *rm = rmask.data<T>();
    const T *m = mask.data<T>();
    T *hs = (T *)PyArray_DATA(*hs_);
    memcpy(hs, h0.data<T>(), sizeof(T) * BH);
    if (BH == 0)                        /* no step has an element */
        return 0;
    /* Shared by the threads: packed U (read only) and hin (batch, H), of
       which each thread writes and reads its own rows. */
    T *packed = (T *)malloc(sizeof(T) * fused_packed_size<T>((int)H, (int)H));
    T *hin_buffer = rm ? (T *)malloc(sizeof(T) * BH) : NULL;
    if (packed == NULL || (rm && hin_buffer == NULL)) {
        free(packed); free(hin_buffer); PyErr_NoMemory(); return -1;
    }
    fused_pack<T>(u, (int)H, (int)H, (int)H, false, packed);
    fused_parallel((int)batch, [&](int r0, int r1) {
        fused_simple_rnn_forward_rows<T, ACT>(r0, r1, n_steps, batch, H, x,
                                              packed, rm, m, hs, hin_buffer);
    });
    free(packed);
    free(hin_buffer);
    return 0;
}

/* The backward loop for rows r0 .. r1-1 (see fused_simple_rnn_forward_rows
   for the row split: the same holds here).  packed_Ut: U^T (H, H) packed by
   fused_pack; dh (batch, H) holds the gradient reaching h_{n_steps-1} on
   entry and the gradient of h0 on return; drm (batch, H) is zero on entry,
   or NULL; dhin (batch, H) is scratch. */
template<typename T, class ACT>
__attribute__((noinline)) static void fused_simple_rnn_backward_rows(
    npy_intp r0, npy_intp r1, npy_intp n_steps, npy_intp batch, npy_intp H,
    const T *packed_Ut, const T *rm, const T *m, const T *h_all,
    const T *dh_out, T *dxw, T *dh, T *drm, T *dhin)
{
    const npy_intp BH = batch * H;
    for (npy_intp t = n_steps - 1; t >= 0; --t) {
        const T *h = h_all + (t + 1) * BH, *h_prev = h_all + t * BH;
        T *dy = dxw + t * BH;
        for (npy_intp b = r0; b < r1; ++b) {
            if (m == NULL || m[t * batch + b] != 0)
                for (npy_intp j = 0; j < H; ++j)
                    dy[b * H + j] = dh[b * H + j] * ACT::df(h[b * H + j]);
            else
                memset(dy + b * H, 0, sizeof(T) * H);
        }
        /* dhin = dy U^T      (rows, H) x (H, H) */
        fused_packed_product<T>((int)(r1 - r0), (int)H, (int)H, dy + r0 * H,
                                (int)H, packed_Ut, dhin + r0 * H, (int)H,
                                false);
        const T *dh_t = dh_out + t * BH;
        for (npy_intp b = r0; b < r1; ++b) {
            const bool keep = m == NULL || m[t * batch + b] != 0;
            T *__restrict__ db = dh + b * H;
            const T *__restrict__ gb = dhin + b * H;
            const T *__restrict__ ob = dh_t + b * H;
            if (keep && rm) {
                const T *__restrict__ rb = rm + b * H;
                const T *__restrict__ pb = h_prev + b * H;
                T *__restrict__ drb = drm + b * H;
                for (npy_intp j = 0; j < H; ++j) {
                    drb[j] += gb[j] * pb[j];
                    db[j] = gb[j] * rb[j] + ob[j];
                }
            } else if (keep) {
                for (npy_intp j = 0; j < H; ++j)
                    db[j] = gb[j] + ob[j];
            } else {
                for (npy_intp j = 0; j < H; ++j)
                    db[j] += ob[j];
            }
        }
    }
}

/* Backward: d xw (T, B, H), dh0 (B, H), drmask (B, H) from the output
   gradient dhs (T+1, B, H).  U^T is packed once, then the batch is split
   across threads as in the forward pass. */
template<typename T, class ACT>
static int fused_simple_rnn_backward(
    PyArrayObject *U_, PyArrayObject *rmask_, PyArrayObject *mask_,
    PyArrayObject *hs_, PyArrayObject *dhs_,
    PyArrayObject **dxw_, PyArrayObject **dh0_, PyArrayObject **drmask_)
{
    const char *op = "FusedSimpleRNNGrad";
    FusedInput U(U_), rmask(rmask_), mask(mask_), hs(hs_), dhs(dhs_);
    if (U.failed || rmask.failed || mask.failed || hs.failed || dhs.failed)
        return -1;
    npy_intp n_steps, batch, units;
    if (fused_state_sizes(op, hs.array, &n_steps, &batch, &units))
        return -1;
    const npy_intp s_U[2] = {units, units}, s_h[2] = {batch, units};
    const npy_intp s_mask[2] = {n_steps, batch};
    if (fused_check_shape(op, "recurrent_kernel", U.array, 2, s_U) ||
        fused_check_shape(op, "dhs", dhs.array, 3, PyArray_DIMS(hs.array)) ||
        (rmask.array && fused_check_shape(op, "recurrent_mask", rmask.array,
                                          2, s_h)) ||
        (mask.array && fused_check_shape(op, "mask", mask.array, 2, s_mask)))
        return -1;
    const int typenum = PyArray_TYPE(hs.array);
    const npy_intp s_dxw[3] = {n_steps, batch, units};
    if (fused_output(dxw_, 3, s_dxw, typenum) ||
        fused_output(dh0_, 2, s_h, typenum) ||
        (drmask_ && fused_output(drmask_, 2, s_h, typenum)))
        return -1;

    const npy_intp H = units, BH = batch * units;
    const T *u = U.data<T>(), *rm = rmask.data<T>(), *m = mask.data<T>();
    const T *h_all = hs.data<T>(), *dh_out = dhs.data<T>();
    T *dxw = (T *)PyArray_DATA(*dxw_);
    T *dh = (T *)PyArray_DATA(*dh0_);      /* the carried gradient, (B, H) */
    T *drm = rm ? (T *)PyArray_DATA(*drmask_) : NULL;
    memcpy(dh, dh_out + n_steps * BH, sizeof(T) * BH);
    if (drm)
        memset(drm, 0, sizeof(T) * BH);
    if (BH == 0)                        /* d xw has no element either */
        return 0;
    /* Shared by the threads: packed U^T (read only) and dhin (batch, H), of
       which each thread writes and reads its own rows. */
    T *packed = (T *)malloc(sizeof(T) * fused_packed_size<T>((int)H, (int)H));
    T *dhin = (T *)malloc(sizeof(T) * BH);
    if (packed == NULL || dhin == NULL) {
        free(packed); free(dhin); PyErr_NoMemory(); return -1;
    }
    fused_pack<T>(u, (int)H, (int)H, (int)H, true, packed);
    fused_parallel((int)batch, [&](int r0, int r1) {
        fused_simple_rnn_backward_rows<T, ACT>(r0, r1, n_steps, batch, H,
                                               packed, rm, m, h_all, dh_out,
                                               dxw, dh, drm, dhin);
    });
    free(packed);
    free(dhin);
    return 0;
}
"""


class FusedSimpleRNN(FusedLoopOp):
    """The SimpleRNN loop: ``(xw, h0, U[, rmask][, mask]) -> hs (T+1, B, H)``
    with ``hs[0] = h0`` (see the module docstring)."""

    __props__ = ("activation", "has_recurrent_mask", "has_mask")
    input_names = ("xw", "h0", "U", "rmask", "mask")
    output_names = ("hs",)
    optional_inputs = {"rmask": "has_recurrent_mask", "mask": "has_mask"}
    c_function = "fused_simple_rnn_forward"
    activation_props = ("activation",)
    c_support_code_own = SIMPLE_RNN_C
    code_version = (4,)

    def make_node(self, *inputs):
        i = self.named_inputs(self.check_inputs(inputs))
        dtype = common_dtype(i["xw"], i["h0"], i["U"])
        inputs = as_tensors(dtype, *inputs)
        return Apply(self, inputs, [tensor(dtype, 3)])

    def infer_shape(self, fgraph, node, shapes):
        xw = shapes[0]
        return [(xw[0] + 1, xw[1], xw[2])]

    def connection_pattern(self, node):
        return [[name != "mask"] for name in self.present_inputs]

    def perform(self, node, inputs, outputs):
        i = self.named_inputs(inputs)
        xw, h0, U, rmask, mask = (i[n] for n in self.input_names)
        np_check_shapes(self, {"xw": (xw, (None, None, None))})
        T_, B, H = xw.shape
        np_check_shapes(self, {"recurrent_kernel": (U, (H, H)),
                               "h0": (h0, (B, H)),
                               "recurrent_mask": (rmask, (B, H)),
                               "mask": (mask, (T_, B))})
        hs = np.empty((xw.shape[0] + 1,) + h0.shape, dtype=xw.dtype)
        hs[0] = h0
        for t in range(xw.shape[0]):
            hin = hs[t] if rmask is None else hs[t] * rmask
            y = np_activation(self.activation, xw[t] + hin.dot(U))
            hs[t + 1] = np.where(np_keep(mask, t, len(y)), y, hs[t])
        outputs[0][0] = hs

    def L_op(self, inputs, outputs, output_gradients):
        i = self.named_inputs(inputs)
        (hs,), (dhs,) = outputs, output_gradients
        dhs = output_gradient(dhs, hs)
        grad_op = FusedSimpleRNNGrad(
            activation=self.activation,
            has_recurrent_mask=self.has_recurrent_mask,
            has_mask=self.has_mask)
        backward_inputs = [i["U"], i["rmask"], i["mask"], hs, dhs]
        d = grad_op.named_outputs(grad_op(*[v for v in backward_inputs
                                            if v is not None]))
        hin = hs[:-1] if i["rmask"] is None else hs[:-1] * i["rmask"]
        gradients = {"xw": d["dxw"], "h0": d["dh0"],
                     "U": T.dot(flat(hin).T, flat(d["dxw"])),  # (H, TB)(TB, H)
                     "rmask": d["drmask"],
                     "mask": DisconnectedType()()}
        return [gradients[n] for n in self.present_inputs]


class FusedSimpleRNNGrad(FusedLoopOp):
    """The SimpleRNN's backward loop: ``(U[, rmask][, mask], hs, dhs) ->
    (d xw, dh0[, drmask])`` (see the module docstring)."""

    __props__ = ("activation", "has_recurrent_mask", "has_mask")
    input_names = ("U", "rmask", "mask", "hs", "dhs")
    output_names = ("dxw", "dh0", "drmask")
    optional_inputs = {"rmask": "has_recurrent_mask", "mask": "has_mask"}
    optional_outputs = {"drmask": "has_recurrent_mask"}
    c_function = "fused_simple_rnn_backward"
    activation_props = ("activation",)
    c_support_code_own = SIMPLE_RNN_C
    code_version = (4,)

    def make_node(self, *inputs):
        inputs = [T.as_tensor_variable(v) for v in self.check_inputs(inputs)]
        dtype = inputs[-1].dtype
        outputs = [tensor(dtype, 3), tensor(dtype, 2)]
        if self.has_recurrent_mask:
            outputs.append(tensor(dtype, 2))
        return Apply(self, inputs, outputs)

    def infer_shape(self, fgraph, node, shapes):
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

    def grad(self, inputs, output_gradients):
        return [grad_not_implemented(self, k, v, "second derivatives of the "
                                     "fused SimpleRNN")
                for k, v in enumerate(inputs)]


def fused_simple_rnn(cell, x, initial_states, recurrent_mask=None,
                     mask=None):
    """``rnn(cell.step, cell.project_inputs(x), initial_states, ...)`` with
    the loop as one op.

    ``x`` (time, batch, features) time-major, already reversed for
    ``go_backwards``; ``mask`` (time, batch) of any dtype or ``None``;
    ``recurrent_mask`` (batch, units) or ``None``.  Returns
    ``(outputs (time, batch, units), [h_last])``.
    """
    xw = cell.project_inputs(x)                  # (time, batch, units)
    op = FusedSimpleRNN(activation=cell.activation.__name__,
                        has_recurrent_mask=recurrent_mask is not None,
                        has_mask=mask is not None)
    inputs = [xw, initial_states[0], cell.recurrent_kernel, recurrent_mask,
              mask]
    hs = op(*[v for v in inputs if v is not None])  # (time + 1, batch, units)
    return hs[1:], [hs[-1]]
