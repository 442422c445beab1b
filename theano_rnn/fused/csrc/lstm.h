/* theano_rnn/fused/csrc/lstm.h

   The LSTM loops (see theano_rnn/fused/lstm.py). */
#ifndef THEANO_RNN_FUSED_LSTM_H
#define THEANO_RNN_FUSED_LSTM_H

#include <string.h>
#include <stdlib.h>
#include "loop_helpers.h"
#include "packed.h"
#include "gemm.h"

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

#endif  /* THEANO_RNN_FUSED_LSTM_H */
