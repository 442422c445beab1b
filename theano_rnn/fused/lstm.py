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
The forward op has three outputs: ``hs`` (T, B, H), ``cs`` (T, B, H) and
``gates`` (T, B, 4H), the gates *after* their activations
``[i, f, g, o]``.  Every derivative of the step can be written through
these values (the helpers ``d_tanh(y) = 1 - y^2`` etc. of
:mod:`theano_rnn.fused._base` take the activation's *output*), so the
backward pass never recomputes the forward one -- which is exactly what
the gradient of ``scan`` does at every step (a second ``gemm`` per step).
Only ``act(c_t)`` is recomputed, from ``cs`` (one ``tanh`` per element is
cheaper than storing another (T, B, H) array).  ``gates`` is an internal
output: nothing outside this module should use it, and differentiating it
raises ``NotImplementedError``.

The backward pass (cuDNN / Lasagne style)
-----------------------------------------
:class:`LSTMBackward` walks back from t = T-1 carrying ``dh`` and ``dc``,
the gradients reaching ``h_t`` and ``c_t`` from the later steps::

    dh   = dh + dhs[t]                   dhs, dcs: gradients of the outputs
    dc   = dc + dcs[t]
    dc   = dc + dh * o * act'(act(c_t))
    dz_t = [dc * g * sigma'(i),  dc * c_{t-1} * sigma'(f),
            dc * i * act'(g),    dh * act(c_t) * sigma'(o)]
    dc   = dc * f                        -> gradient of c_{t-1}
    dh   = (dz_t U^T) * r                -> gradient of h_{t-1}   (one product)

(a padded row passes ``dh`` and ``dc`` through unchanged, with dz_t = 0).
``dz`` (T, B, 4H) is the gradient of ``xw = x W``, which gives those of
``x`` (``dz W^T``) and ``W`` (``x^T dz``) as two large products in the graph;
the op also returns the
gradients of ``h0``, ``c0`` and, with recurrent dropout, of the mask ``r``
(``sum_t h_{t-1} * (dz_t U^T)``, a few flops per step, so it is computed
properly rather than declared undefined).  The gradient of ``U`` needs no
loop at all::

    dU = sum_t (h_{t-1} * r)^T dz_t = Hprev^T dZ

one large matrix product after the loop, with ``Hprev = [h0, hs[:-1]] * r``
seen as (T B, H) and ``dZ`` as (T B, 4H).  It is done by the op rather than
by ``T.dot`` in the graph (as the GRU and the SimpleRNN do it) for a Theano
reason: when an optimizer uses the gradient twice, e.g. Adam's
``(1 - beta_1) g`` and ``g ** 2``, Theano's ``local_dot22_to_dot22scalar``
folds the scalar into a *second* copy of the product (a ``Dot22Scalar`` next
to the ``Dot22``), computing the largest product of the backward pass twice.

The time mask gets no gradient (it is not differentiable;
``connection_pattern`` says so).

The ops
-------
Both are :class:`~theano_rnn.fused._base.FusedLoopOp`\ s, like the GRU's and
the SimpleRNN's: keyword-only properties (``activation``,
``recurrent_activation``, ``has_recurrent_mask``, ``has_mask``), C code that
is one call of a C++ function templated on the element type (float32 and
float64) and on the two activations, using the helpers of
:mod:`theano_rnn.fused._base` (``HELPERS_C``: contiguous inputs, shape
checks, reused outputs, activations as functor classes), and a NumPy
``perform`` (used when Theano has no C compiler).  In float32 ``tanh`` is
the approximation of :mod:`theano_rnn.fastmath`, exactly as the scan path
computes it, so the two paths agree to rounding.

Forward op, :class:`LSTMForward`
    inputs  ``x (T, B, D)``, ``h0``, ``c0 (B, H)``, ``W (D, 4H)``,
            ``U (H, 4H)``, optionally ``rmask (B, H)`` and ``mask (T, B)``;
    outputs ``hs``, ``cs (T, B, H)`` and ``gates (T, B, 4H)``.

Backward op, :class:`LSTMBackward`
    inputs  ``U``, optionally ``rmask`` and ``mask``, ``h0``, ``c0``, the
            forward op's outputs ``hs``, ``cs``, ``gates`` and the gradients
            ``dhs``, ``dcs`` of the cost with respect to ``hs`` and ``cs``;
    outputs ``dz (T, B, 4H)``, ``dU (H, 4H)``, ``dh0``, ``dc0 (B, H)`` and
            ``drmask (B, H)`` with a recurrent mask.

A sequence without a time step is refused with a ``ValueError``, and so is
an input of the wrong shape (naming the op, the input and both shapes).
"""
import numpy as np
import theano.tensor as T
from theano.gradient import DisconnectedType, grad_not_implemented
from theano.graph.basic import Apply

from .. import fastmath
from ._base import (FusedLoopOp, as_tensors, c_dtype, common_dtype, flat,
                    np_activation, np_activation_grad, np_check_shapes,
                    np_keep, output_gradient, tensor)

LSTM_C = r"""
/* ---- theano_rnn.fused.lstm: the LSTM loops ---- */

/* fused_lstm_forward_rows and fused_lstm_backward_rows are kept out of line
   (noinline): inlined into the large function Theano generates around
   c_code, their element-wise loops were left scalar by GCC (measured: 2.2 ms
   more per forward pass of 100 x 32 x 128). */

/* The element-wise part of one forward step, for one row (sample) of n
   units.  z points to the row's 4n pre-activations (x_t W + h U), g
   receives the 4n activated gates.  The gates are addressed through one
   pointer each and every pointer is a restrict parameter: with indices like
   z[2 * n + j] and a run-time n GCC does not vectorise the loop. */
template<typename T, class RACT, class ACT>
static inline void fused_lstm_forward_row(int n, const T *__restrict__ z,
                                          const T *__restrict__ c_prev,
                                          T *__restrict__ g,
                                          T *__restrict__ c,
                                          T *__restrict__ h)
{
    const T *zi = z, *zf = z + n, *zc = z + 2 * n, *zo = z + 3 * n;
    T *gi = g, *gf = g + n, *gc = g + 2 * n, *go = g + 3 * n;
    for (int j = 0; j < n; ++j) {
        T i = RACT::f(zi[j]);
        T f = RACT::f(zf[j]);
        T cc = ACT::f(zc[j]);
        T o = RACT::f(zo[j]);
        gi[j] = i; gf[j] = f; gc[j] = cc; go[j] = o;
        T cj = f * c_prev[j] + i * cc;
        c[j] = cj;
        h[j] = o * ACT::f(cj);
    }
}

/* The element-wise part of one backward step, for one row of n units:
   from the saved gates g (4n), c_t, c_{t-1} and the gradients dh, dc
   reaching h_t, c_t (from the later steps: dh_next, dc_next; from the
   outputs: dhs, dcs), the row's dz (4n) and dc_{t-1} (into dc_next).
   dh_next is zeroed: the recurrent product adds dz U^T to it. */
template<typename T, class RACT, class ACT>
static inline void fused_lstm_backward_row(int n, const T *__restrict__ g,
                                           const T *__restrict__ c,
                                           const T *__restrict__ c_prev,
                                           const T *__restrict__ dhs,
                                           const T *__restrict__ dcs,
                                           T *__restrict__ dh_next,
                                           T *__restrict__ dc_next,
                                           T *__restrict__ dz)
{
    const T *gi = g, *gf = g + n, *gc = g + 2 * n, *go = g + 3 * n;
    T *di = dz, *df = dz + n, *dcc = dz + 2 * n, *dout = dz + 3 * n;
    for (int j = 0; j < n; ++j) {
        T i = gi[j], f = gf[j], cc = gc[j], o = go[j];
        T tc = ACT::f(c[j]);                            /* act(c_t) */
        T dh = dh_next[j] + dhs[j];
        T dc = dc_next[j] + dcs[j] + dh * o * ACT::df(tc);
        di[j] = dc * cc * RACT::df(i);
        df[j] = dc * c_prev[j] * RACT::df(f);
        dcc[j] = dc * i * ACT::df(cc);
        dout[j] = dh * tc * RACT::df(o);
        dc_next[j] = dc * f;
        dh_next[j] = 0;
    }
}

/* Forward loop, for rows (samples) r0 .. r1-1 of the batch.  Shapes (all
   C-contiguous):
     x (steps, batch, D)     h0, c0 (batch, H)
     mask (steps, batch) or NULL          rmask (batch, H) or NULL
     packed_W, packed_U: W (D, 4H) and U (H, 4H) packed by fused_pack
   outputs hs, cs (steps, batch, H), gates (steps, batch, 4H) post-activation;
   scratch (batch, 4H + H): the pre-activations z_t, then h_{t-1} * rmask
   (with a recurrent mask).  Each thread only reads and writes its own rows
   of all of these, so threads given disjoint row ranges run side by side.
   The input projection x_t W is done here, step by step, rather than as
   one large product before the loop: W stays packed in cache next to U, and
   the (steps, batch, 4H) array x W is never written to memory. */
template<typename T, class RACT, class ACT>
__attribute__((noinline)) static void fused_lstm_forward_rows(
    int r0, int r1, int steps, int batch, int H, int D, const T *x,
    const T *packed_W, const T *packed_U, const T *h0, const T *c0,
    const T *mask, const T *rmask, T *hs, T *cs, T *gates, T *scratch)
{
    const int G = 4 * H, rows = r1 - r0;
    const size_t step_h = (size_t)batch * H, step_g = (size_t)batch * G;
    const size_t step_x = (size_t)batch * D;
    const size_t lo = (size_t)r0 * H, hi = (size_t)r1 * H;
    T *z = scratch, *h_masked = scratch + step_g;
    for (int t = 0; t < steps; ++t) {
        const T *h_prev = t ? hs + (t - 1) * step_h : h0;
        const T *c_prev = t ? cs + (t - 1) * step_h : c0;
        T *g_t = gates + t * step_g, *h_t = hs + t * step_h,
          *c_t = cs + t * step_h;
        const T *h_in = fused_masked_state(h_prev, rmask, h_masked, lo,
                                           hi);         /* h_{t-1} * r */
        /* z = x_t W + h_in U      (rows, D) x (D, 4H) + (rows, H) x (H, 4H) */
        T *z_rows = z + (size_t)r0 * G;
        fused_packed_product<T>(rows, G, D, x + t * step_x + (size_t)r0 * D,
                                D, packed_W, z_rows, G, false);
        fused_packed_product<T>(rows, G, H, h_in + lo, H, packed_U, z_rows,
                                G, true);
        for (int b = r0; b < r1; ++b) {
            const size_t ob = (size_t)b * H, og = (size_t)b * G;
            fused_lstm_forward_row<T, RACT, ACT>(H, z + og, c_prev + ob,
                                                 g_t + og, c_t + ob,
                                                 h_t + ob);
            if (mask && mask[(size_t)t * batch + b] == 0) {
                /* padding: carry the state through (the gates are still
                   computed, so that they equal perform()'s; unused) */
                memcpy(h_t + ob, h_prev + ob, sizeof(T) * H);
                memcpy(c_t + ob, c_prev + ob, sizeof(T) * H);
            }
        }
    }
}

/* Forward: hs, cs (steps, batch, H) and gates (steps, batch, 4H) from
   x (steps, batch, D), h0, c0 (batch, H), W (D, 4H), U (H, 4H), rmask
   (batch, H) or NULL and mask (steps, batch) or NULL.  W and U are packed
   once, then the batch is split across threads (fused_parallel), each
   running every step for its rows. */
template<typename T, class RACT, class ACT>
static int fused_lstm_forward(
    PyArrayObject *x_, PyArrayObject *h0_, PyArrayObject *c0_,
    PyArrayObject *W_, PyArrayObject *U_, PyArrayObject *rmask_,
    PyArrayObject *mask_, PyArrayObject **hs_, PyArrayObject **cs_,
    PyArrayObject **gates_)
{
    const char *op = "LSTMForward";
    FusedInput x(x_), h0(h0_), c0(c0_), W(W_), U(U_), rmask(rmask_);
    FusedInput mask(mask_);
    if (x.failed || h0.failed || c0.failed || W.failed || U.failed ||
            rmask.failed || mask.failed)
        return -1;
    const npy_intp any3[3] = {-1, -1, -1};
    if (fused_check_shape(op, "x", x.array, 3, any3) ||
            fused_check_shape(op, "U", U.array, 2, any3))
        return -1;
    const npy_intp steps = x.dim(0), batch = x.dim(1), D = x.dim(2);
    const npy_intp H = U.dim(0), G = 4 * H;
    if (steps == 0) {
        PyErr_Format(PyExc_ValueError, "%s: the sequence has no time step",
                     op);
        return -1;
    }
    const npy_intp s_W[2] = {D, G}, s_U[2] = {H, G}, s_h[2] = {batch, H};
    const npy_intp s_mask[2] = {steps, batch};
    if (fused_check_shape(op, "W", W.array, 2, s_W) ||
        fused_check_shape(op, "U", U.array, 2, s_U) ||
        fused_check_shape(op, "h0", h0.array, 2, s_h) ||
        fused_check_shape(op, "c0", c0.array, 2, s_h) ||
        (mask.array && fused_check_shape(op, "mask", mask.array, 2, s_mask)) ||
        (rmask.array && fused_check_shape(op, "rmask", rmask.array, 2, s_h)))
        return -1;
    const int typenum = PyArray_TYPE(x.array);
    const npy_intp s_hs[3] = {steps, batch, H}, s_g[3] = {steps, batch, G};
    if (fused_output(hs_, 3, s_hs, typenum) ||
        fused_output(cs_, 3, s_hs, typenum) ||
        fused_output(gates_, 3, s_g, typenum))
        return -1;
    if (batch == 0 || H == 0)           /* the outputs have no element */
        return 0;

    /* Shared by the threads: W and U packed (read only) and the scratch
       (batch, 4H + H), of which each thread writes and reads its own rows. */
    const size_t size_W = fused_packed_size<T>((int)D, (int)G);
    const size_t size_U = fused_packed_size<T>((int)H, (int)G);
    T *packed = (T *)malloc(sizeof(T) * (size_W + size_U));
    T *scratch = (T *)malloc(sizeof(T) * batch * (G + H));
    if (packed == NULL || scratch == NULL) {
        free(packed); free(scratch); PyErr_NoMemory(); return -1;
    }
    const T *xd = x.data<T>(), *h0d = h0.data<T>(), *c0d = c0.data<T>();
    const T *rm = rmask.data<T>(), *m = mask.data<T>();
    T *hs = (T *)PyArray_DATA(*hs_), *cs = (T *)PyArray_DATA(*cs_);
    T *gates = (T *)PyArray_DATA(*gates_);
    T *packed_W = packed, *packed_U = packed + size_W;
    fused_pack<T>(W.data<T>(), (int)G, (int)D, (int)G, false, packed_W);
    fused_pack<T>(U.data<T>(), (int)G, (int)H, (int)G, false, packed_U);
    fused_parallel((int)batch, [&](int r0, int r1) {
        fused_lstm_forward_rows<T, RACT, ACT>(
            r0, r1, (int)steps, (int)batch, (int)H, (int)D, xd, packed_W,
            packed_U, h0d, c0d, m, rm, hs, cs, gates, scratch);
    });
    free(packed);
    free(scratch);
    return 0;
}

/* Backward loop for rows r0 .. r1-1 (the row split of
   fused_lstm_forward_rows holds here too).  Inputs as saved by the forward
   pass, plus dhs, dcs (steps, batch, H), the gradients of the outputs hs
   and cs, and packed_Ut: U^T (4H, H) packed by fused_pack.  Outputs, for
   these rows:
     dz (steps, batch, 4H)   gradient of xw (pre-activation gates)
     dh, dc (batch, H)       gradients of h0 and c0; used as the running
                             gradients of h_t, c_t during the loop
     drmask (batch, H)       gradient of rmask, or NULL when there is none
   scratch (batch, H) receives dz_t U^T when there is a recurrent mask. */
template<typename T, class RACT, class ACT>
__attribute__((noinline)) static void fused_lstm_backward_rows(
    int r0, int r1, int steps, int batch, int H, const T *packed_Ut,
    const T *h0, const T *c0, const T *mask, const T *rmask, const T *hs,
    const T *cs, const T *gates, const T *dhs, const T *dcs, T *dz, T *dh,
    T *dc, T *drmask, T *scratch)
{
    const int G = 4 * H;
    const size_t step_h = (size_t)batch * H, step_g = (size_t)batch * G;
    const size_t lo = (size_t)r0 * H, hi = (size_t)r1 * H;
    for (int t = steps - 1; t >= 0; --t) {
        const T *c_prev = t ? cs + (t - 1) * step_h : c0;
        const T *g_t = gates + t * step_g;
        T *dz_t = dz + t * step_g;
        for (int b = r0; b < r1; ++b) {
            const size_t ob = (size_t)b * H, og = (size_t)b * G;
            const size_t ot = t * step_h + ob;
            if (mask && mask[(size_t)t * batch + b] == 0) {
                /* padding: h_t = h_{t-1}, c_t = c_{t-1} pass their
                   gradients through; the step's inputs get none */
                for (int j = 0; j < H; ++j) {
                    dh[ob + j] += dhs[ot + j];
                    dc[ob + j] += dcs[ot + j];
                }
                memset(dz_t + og, 0, sizeof(T) * G);
                continue;
            }
            fused_lstm_backward_row<T, RACT, ACT>(H, g_t + og, cs + ot,
                                                  c_prev + ob, dhs + ot,
                                                  dcs + ot, dh + ob, dc + ob,
                                                  dz_t + og);
        }
        const T *dz_rows = dz_t + (size_t)r0 * G;
        if (!rmask) {
            /* dh += dz_t U^T      (rows, 4H) x (4H, H) */
            fused_packed_product<T>(r1 - r0, H, G, dz_rows, G, packed_Ut,
                                    dh + lo, H, true);
        } else {
            const T *h_prev = t ? hs + (t - 1) * step_h : h0;
            fused_packed_product<T>(r1 - r0, H, G, dz_rows, G, packed_Ut,
                                    scratch + lo, H, false);
            for (size_t k = lo; k < hi; ++k) {
                dh[k] += scratch[k] * rmask[k];
                drmask[k] += scratch[k] * h_prev[k];
            }
        }
    }
}

/* Backward: dz (steps, batch, 4H), dU (H, 4H), dh0, dc0 (batch, H) and
   drmask (batch, H) (NULL without a recurrent mask), from U, rmask or
   NULL, mask or NULL, h0, c0, the forward outputs hs, cs, gates and the
   output gradients dhs, dcs.  U^T is packed once, the loop runs over the
   batch split across threads as in the forward pass, then dU is one
   product over all steps. */
template<typename T, class RACT, class ACT>
static int fused_lstm_backward(
    PyArrayObject *U_, PyArrayObject *rmask_, PyArrayObject *mask_,
    PyArrayObject *h0_, PyArrayObject *c0_, PyArrayObject *hs_,
    PyArrayObject *cs_, PyArrayObject *gates_, PyArrayObject *dhs_,
    PyArrayObject *dcs_, PyArrayObject **dz_, PyArrayObject **dU_,
    PyArrayObject **dh0_, PyArrayObject **dc0_, PyArrayObject **drmask_)
{
    const char *op = "LSTMBackward";
    FusedInput U(U_), rmask(rmask_), mask(mask_), h0(h0_), c0(c0_);
    FusedInput hs_in(hs_), cs_in(cs_), gates_in(gates_), dhs_in(dhs_);
    FusedInput dcs_in(dcs_);
    if (U.failed || rmask.failed || mask.failed || h0.failed || c0.failed ||
            hs_in.failed || cs_in.failed || gates_in.failed ||
            dhs_in.failed || dcs_in.failed)
        return -1;
    const npy_intp any3[3] = {-1, -1, -1};
    if (fused_check_shape(op, "hs", hs_in.array, 3, any3))
        return -1;
    const npy_intp steps = hs_in.dim(0), batch = hs_in.dim(1);
    const npy_intp H = hs_in.dim(2), G = 4 * H;
    if (steps == 0) {
        PyErr_Format(PyExc_ValueError, "%s: the sequence has no time step",
                     op);
        return -1;
    }
    const npy_intp s_U[2] = {H, G}, s_h[2] = {batch, H};
    const npy_intp s_mask[2] = {steps, batch};
    const npy_intp s_hs[3] = {steps, batch, H}, s_g[3] = {steps, batch, G};
    if (fused_check_shape(op, "U", U.array, 2, s_U) ||
        fused_check_shape(op, "h0", h0.array, 2, s_h) ||
        fused_check_shape(op, "c0", c0.array, 2, s_h) ||
        (mask.array && fused_check_shape(op, "mask", mask.array, 2, s_mask)) ||
        (rmask.array && fused_check_shape(op, "rmask", rmask.array, 2, s_h)) ||
        fused_check_shape(op, "cs", cs_in.array, 3, s_hs) ||
        fused_check_shape(op, "gates", gates_in.array, 3, s_g) ||
        fused_check_shape(op, "dhs", dhs_in.array, 3, s_hs) ||
        fused_check_shape(op, "dcs", dcs_in.array, 3, s_hs))
        return -1;
    const int typenum = PyArray_TYPE(U.array);
    if (fused_output(dz_, 3, s_g, typenum) ||
        fused_output(dU_, 2, s_U, typenum) ||
        fused_output(dh0_, 2, s_h, typenum) ||
        fused_output(dc0_, 2, s_h, typenum) ||
        (rmask.array && fused_output(drmask_, 2, s_h, typenum)))
        return -1;

    const T *u = U.data<T>(), *rm = rmask.data<T>(), *m = mask.data<T>();
    const T *h0d = h0.data<T>(), *c0d = c0.data<T>();
    const T *hs = hs_in.data<T>(), *cs = cs_in.data<T>();
    const T *gates = gates_in.data<T>();
    const T *dhs = dhs_in.data<T>(), *dcs = dcs_in.data<T>();
    T *dz = (T *)PyArray_DATA(*dz_), *dU = (T *)PyArray_DATA(*dU_);
    T *dh = (T *)PyArray_DATA(*dh0_), *dc = (T *)PyArray_DATA(*dc0_);
    T *drm = rm ? (T *)PyArray_DATA(*drmask_) : NULL;
    const size_t step_h = (size_t)batch * H, step_g = (size_t)batch * G;
    memset(dh, 0, sizeof(T) * step_h);
    memset(dc, 0, sizeof(T) * step_h);
    if (drm)
        memset(drm, 0, sizeof(T) * step_h);
    if (batch == 0 || H == 0) {         /* nothing to differentiate */
        memset(dU, 0, sizeof(T) * H * G);
        return 0;
    }
    /* Shared by the threads: U^T packed (read only) and, with a recurrent
       mask, the scratch (steps * batch, H): (batch, H) of it during the
       loop, each thread writing and reading its own rows; all of it for
       Hprev after the loop. */
    T *packed = (T *)malloc(sizeof(T) * fused_packed_size<T>((int)G,
                                                             (int)H));
    T *scratch = rm ? (T *)malloc(sizeof(T) * steps * step_h) : NULL;
    if (packed == NULL || (rm && scratch == NULL)) {
        free(packed); free(scratch); PyErr_NoMemory(); return -1;
    }
    fused_pack<T>(u, (int)G, (int)G, (int)H, true, packed);
    fused_parallel((int)batch, [&](int r0, int r1) {
        fused_lstm_backward_rows<T, RACT, ACT>(
            r0, r1, (int)steps, (int)batch, (int)H, packed, h0d, c0d, m, rm,
            hs, cs, gates, dhs, dcs, dz, dh, dc, drm, scratch);
    });
    /* dU = sum_t (h_{t-1} * r)^T dz_t, as one product over all steps:
       Hprev^T dZ with Hprev (steps * batch, H), dZ (steps * batch, 4H).
       Without a recurrent mask Hprev is h0 followed by hs[0 .. steps-2]. */
    if (!rm) {
        gemm_rowmajor('T', 'N', (int)H, (int)G, (int)batch, (T)1, h0d,
                      (int)H, dz, (int)G, (T)0, dU, (int)G);
        if (steps > 1)
            gemm_rowmajor('T', 'N', (int)H, (int)G, (int)((steps - 1) * batch),
                          (T)1, hs, (int)H, dz + step_g, (int)G, (T)1, dU,
                          (int)G);
    } else {
        for (npy_intp t = 0; t < steps; ++t)
            fused_masked_state(t ? hs + (t - 1) * step_h : h0d, rm,
                               scratch + t * step_h, 0, step_h);
        gemm_rowmajor('T', 'N', (int)H, (int)G, (int)(steps * batch), (T)1,
                      scratch, (int)H, dz, (int)G, (T)0, dU, (int)G);
    }
    free(packed);
    free(scratch);
    return 0;
}
"""

_PROPS = ("activation", "recurrent_activation", "has_recurrent_mask",
          "has_mask")


class LSTMForward(FusedLoopOp):
    """The LSTM over all time steps: ``(x, h0, c0, W, U[, rmask][, mask])
    -> (hs, cs, gates)`` (see the module docstring).

    ``x`` (T, B, D), ``h0``, ``c0`` (B, H), ``W`` (D, 4H), ``U`` (H, 4H),
    ``rmask`` (B, H) if ``has_recurrent_mask``, ``mask`` (T, B) if
    ``has_mask`` (0 = padding).  The op computes the input projection
    ``xw = x W`` itself; :func:`fused_lstm` passes ``[x, 1]`` and ``[W; b]``
    (:func:`theano_rnn.fastmath.affine_factors`), so that the bias rides
    along in the product.  All inputs are cast to the upcast dtype of ``x``
    and ``W``.

    Outputs: ``hs``, ``cs`` (T, B, H) and ``gates`` (T, B, 4H), the
    activated gates ``[i, f, g, o]`` kept for :class:`LSTMBackward`.
    """

    __props__ = _PROPS
    input_names = ("x", "h0", "c0", "W", "U", "rmask", "mask")
    output_names = ("hs", "cs", "gates")
    optional_inputs = {"rmask": "has_recurrent_mask", "mask": "has_mask"}
    activation_props = ("recurrent_activation", "activation")
    c_function = "fused_lstm_forward"
    c_support_code_own = LSTM_C
    code_version = (9,)

    def make_node(self, *inputs):
        i = self.named_inputs(self.check_inputs(inputs))
        dtype = common_dtype(i["x"], i["W"])
        c_dtype(dtype)                      # float32 or float64, or TypeError
        inputs = as_tensors(dtype, *inputs)
        return Apply(self, inputs, [tensor(dtype, 3) for _ in range(3)])

    def infer_shape(self, fgraph, node, shapes):
        s = self.named_inputs(shapes)
        x, W, U = s["x"], s["W"], s["U"]
        hs = (x[0], x[1], U[0])
        return [hs, hs, (x[0], x[1], W[1])]

    def connection_pattern(self, node):
        # the time mask is not differentiable
        return [[name != "mask"] * 3 for name in self.present_inputs]

    def perform(self, node, inputs, outputs):
        i = self.named_inputs(inputs)
        x, h0, c0, W, U, rmask, mask = (i[n] for n in self.input_names)
        np_check_shapes(self, {"x": (x, (None, None, None)),
                               "U": (U, (None, None))})
        steps, batch, D = x.shape
        H = U.shape[0]
        if steps == 0:
            raise ValueError("LSTMForward: the sequence has no time step")
        np_check_shapes(self, {"W": (W, (D, 4 * H)), "U": (U, (H, 4 * H)),
                               "h0": (h0, (batch, H)), "c0": (c0, (batch, H)),
                               "mask": (mask, (steps, batch)),
                               "rmask": (rmask, (batch, H))})
        ract = lambda v: np_activation(self.recurrent_activation, v)
        act = lambda v: np_activation(self.activation, v)
        hs = np.empty((steps, batch, H), dtype=x.dtype)
        cs = np.empty_like(hs)
        gates = np.empty((steps, batch, 4 * H), dtype=x.dtype)
        h, c = h0, c0
        for t in range(steps):
            h_in = h if rmask is None else h * rmask
            z = x[t].dot(W) + h_in.dot(U)
            i, f = ract(z[:, :H]), ract(z[:, H:2 * H])
            g, o = act(z[:, 2 * H:3 * H]), ract(z[:, 3 * H:])
            c_new = f * c + i * g
            h_new = o * act(c_new)
            keep = np_keep(mask, t, batch)
            gates[t] = np.concatenate([i, f, g, o], axis=1)
            hs[t] = h = np.where(keep, h_new, h)
            cs[t] = c = np.where(keep, c_new, c)
        for storage, value in zip(outputs, (hs, cs, gates)):
            storage[0] = value

    def L_op(self, inputs, outputs, output_gradients):
        i = self.named_inputs(inputs)
        hs, cs, gates = outputs
        dhs, dcs, dgates = output_gradients
        if not isinstance(dgates.type, DisconnectedType):
            raise NotImplementedError("the gates output of LSTMForward is "
                                      "internal and cannot be differentiated")
        backward = LSTMBackward(**{p: getattr(self, p) for p in _PROPS})
        backward_inputs = {
            "U": i["U"], "rmask": i["rmask"], "mask": i["mask"],
            "h0": i["h0"], "c0": i["c0"], "hs": hs, "cs": cs, "gates": gates,
            "dhs": T.cast(output_gradient(dhs, hs), hs.dtype),
            "dcs": T.cast(output_gradient(dcs, cs), cs.dtype)}
        d = backward.named_outputs(backward(*[backward_inputs[n] for n in
                                              backward.present_inputs]))
        # dz is the gradient of xw = x W: the two large products of the
        # projection's gradient are left to Theano (one BLAS call each).
        dz = d["dz"]
        gradients = {"x": T.dot(dz, i["W"].T),
                     "W": T.dot(flat(i["x"]).T, flat(dz)),
                     "U": d["dU"], "h0": d["dh0"], "c0": d["dc0"],
                     "rmask": d["drmask"], "mask": DisconnectedType()()}
        return [gradients[n] for n in self.present_inputs]


class LSTMBackward(FusedLoopOp):
    """The gradient of :class:`LSTMForward`: ``(U[, rmask][, mask], h0, c0,
    hs, cs, gates, dhs, dcs) -> (dz, dU, dh0, dc0[, drmask])`` (see the
    module docstring).

    ``hs``, ``cs``, ``gates`` are the forward op's outputs, ``dhs``, ``dcs``
    the gradients of the cost with respect to ``hs`` and ``cs``.  ``dz``
    (T, B, 4H) is the gradient of ``xw``; ``dU`` (H, 4H); ``dh0``, ``dc0``
    (B, H); ``drmask`` (B, H) if ``has_recurrent_mask``.
    """

    __props__ = _PROPS
    input_names = ("U", "rmask", "mask", "h0", "c0", "hs", "cs", "gates",
                   "dhs", "dcs")
    output_names = ("dz", "dU", "dh0", "dc0", "drmask")
    optional_inputs = {"rmask": "has_recurrent_mask", "mask": "has_mask"}
    optional_outputs = {"drmask": "has_recurrent_mask"}
    activation_props = ("recurrent_activation", "activation")
    c_function = "fused_lstm_backward"
    c_support_code_own = LSTM_C
    code_version = (9,)
    _NDIM = {"dz": 3, "dU": 2, "dh0": 2, "dc0": 2, "drmask": 2}

    def make_node(self, *inputs):
        i = self.named_inputs(self.check_inputs(inputs))
        dtype = T.as_tensor_variable(i["U"]).dtype
        c_dtype(dtype)
        inputs = as_tensors(dtype, *inputs)
        return Apply(self, inputs, [tensor(dtype, self._NDIM[n])
                                    for n in self.present_outputs])

    def infer_shape(self, fgraph, node, shapes):
        s = self.named_inputs(shapes)
        shape = {"dz": s["gates"], "dU": s["U"], "dh0": s["h0"],
                 "dc0": s["c0"], "drmask": s["rmask"]}
        return [shape[n] for n in self.present_outputs]

    def perform(self, node, inputs, outputs):
        i = self.named_inputs(inputs)
        U, rmask, mask, h0, c0, hs, cs, gates, dhs, dcs = (
            i[n] for n in self.input_names)
        np_check_shapes(self, {"hs": (hs, (None, None, None))})
        steps, batch, H = hs.shape
        if steps == 0:
            raise ValueError("LSTMBackward: the sequence has no time step")
        np_check_shapes(self, {"U": (U, (H, 4 * H)), "h0": (h0, (batch, H)),
                               "c0": (c0, (batch, H)),
                               "mask": (mask, (steps, batch)),
                               "rmask": (rmask, (batch, H)),
                               "cs": (cs, hs.shape),
                               "gates": (gates, (steps, batch, 4 * H)),
                               "dhs": (dhs, hs.shape),
                               "dcs": (dcs, hs.shape)})
        act = lambda v: np_activation(self.activation, v)
        d_act = lambda y: np_activation_grad(self.activation, y)
        d_ract = lambda y: np_activation_grad(self.recurrent_activation, y)
        dz = np.zeros_like(gates)
        dh = np.zeros_like(h0)
        dc = np.zeros_like(c0)
        drmask = None if rmask is None else np.zeros_like(rmask)
        for t in range(steps - 1, -1, -1):
            c_prev = cs[t - 1] if t else c0
            h_prev = hs[t - 1] if t else h0
            i, f = gates[t, :, :H], gates[t, :, H:2 * H]
            g, o = gates[t, :, 2 * H:3 * H], gates[t, :, 3 * H:]
            tc = act(cs[t])
            dh_t = dh + dhs[t]
            dc_t = dc + dcs[t]
            dc_full = dc_t + dh_t * o * d_act(tc)
            keep = np_keep(mask, t, batch)
            dz_t = np.where(keep, np.concatenate(
                [dc_full * g * d_ract(i), dc_full * c_prev * d_ract(f),
                 dc_full * i * d_act(g), dh_t * tc * d_ract(o)], axis=1), 0)
            dz[t] = dz_t
            dh_in = dz_t.dot(U.T)                   # gradient of h_{t-1} * r
            if rmask is not None:
                drmask += dh_in * h_prev
                dh_in = dh_in * rmask
            dh = (dh_in + np.where(keep, 0, dh_t)).astype(h0.dtype)
            dc = np.where(keep, dc_full * f, dc_t)
        h_prev = np.concatenate([h0[None], hs[:-1]])
        if rmask is not None:
            h_prev = h_prev * rmask
        dU = h_prev.reshape((-1, H)).T.dot(dz.reshape((-1, 4 * H)))
        results = {"dz": dz, "dU": dU, "dh0": dh, "dc0": dc,
                   "drmask": drmask}
        for storage, name in zip(outputs, self.present_outputs):
            storage[0] = np.asarray(results[name], dtype=U.dtype)

    def grad(self, inputs, output_gradients):
        return [grad_not_implemented(self, k, v, "second derivatives of the "
                                     "fused LSTM")
                for k, v in enumerate(inputs)]


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
    x = T.as_tensor_variable(x)
    if cell.use_bias:
        x, W = fastmath.affine_factors(x, cell.kernel, cell.input_bias)
    else:
        W = cell.kernel
    op = LSTMForward(activation=cell.activation.__name__,
                     recurrent_activation=cell.recurrent_activation.__name__,
                     has_recurrent_mask=recurrent_mask is not None,
                     has_mask=mask is not None)
    h0, c0 = initial_states
    inputs = [x, h0, c0, W, cell.recurrent_kernel, recurrent_mask, mask]
    hs, cs, _ = op(*[v for v in inputs if v is not None])
    return hs, [hs[-1], cs[-1]]
