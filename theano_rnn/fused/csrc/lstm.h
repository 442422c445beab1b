/* theano_rnn/fused/csrc/lstm.h

   The LSTM loops (see theano_rnn/fused/lstm.py). */
#ifndef THEANO_RNN_FUSED_LSTM_H
#define THEANO_RNN_FUSED_LSTM_H

#include <string.h>
#include <stdlib.h>
#include "loop_helpers.h"
#include "packed.h"

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
static inline void fused_lstm_forward_row(npy_intp n,
                                          const T *__restrict__ z,
                                          const T *__restrict__ c_prev,
                                          T *__restrict__ g,
                                          T *__restrict__ c,
                                          T *__restrict__ h)
{
    const T *zi = z, *zf = z + n, *zc = z + 2 * n, *zo = z + 3 * n;
    T *gi = g, *gf = g + n, *gc = g + 2 * n, *go = g + 3 * n;
    for (npy_intp j = 0; j < n; ++j) {
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
   reaching h_t, c_t (dh_next, dc_next: from the later steps and the
   outputs), the row's dxw_t (4n, the gradient of the pre-activations) and
   the parts of the gradients of h_{t-1}, c_{t-1} that do not go through
   the recurrent product: dh_next = dhs_prev (the output gradient of
   h_{t-1}; the product then adds dxw_t U^T), dc_next = dc * f + dcs_prev. */
template<typename T, class RACT, class ACT>
static inline void fused_lstm_backward_row(npy_intp n,
                                           const T *__restrict__ g,
                                           const T *__restrict__ c,
                                           const T *__restrict__ c_prev,
                                           const T *__restrict__ dhs_prev,
                                           const T *__restrict__ dcs_prev,
                                           T *__restrict__ dh_next,
                                           T *__restrict__ dc_next,
                                           T *__restrict__ dxw)
{
    const T *gi = g, *gf = g + n, *gc = g + 2 * n, *go = g + 3 * n;
    T *di = dxw, *df = dxw + n, *dcc = dxw + 2 * n, *dout = dxw + 3 * n;
    for (npy_intp j = 0; j < n; ++j) {
        T i = gi[j], f = gf[j], cc = gc[j], o = go[j];
        T tc = ACT::f(c[j]);                            /* act(c_t) */
        T dh = dh_next[j];
        T dc = dc_next[j] + dh * o * ACT::df(tc);
        di[j] = dc * cc * RACT::df(i);
        df[j] = dc * c_prev[j] * RACT::df(f);
        dcc[j] = dc * i * ACT::df(cc);
        dout[j] = dh * tc * RACT::df(o);
        dc_next[j] = dc * f + dcs_prev[j];
        dh_next[j] = dhs_prev[j];
    }
}

/* Forward loop, for rows (samples) r0 .. r1-1 of the batch.  Shapes (all
   C-contiguous):
     x (n_steps, batch, D)
     mask (n_steps, batch) or NULL        rmask (batch, H) or NULL
     packed_W, packed_U: W (D, 4H) and U (H, 4H) packed by fused_pack
   outputs hs, cs (n_steps + 1, batch, H) with hs[0] = h0, cs[0] = c0
   already written, gates (n_steps, batch, 4H) post-activation;
   scratch (batch, 4H + H): the pre-activations z_t, then h_{t-1} * rmask
   (with a recurrent mask).  Each thread only reads and writes its own rows
   of all of these, so threads given disjoint row ranges run side by side.
   The input projection x_t W is done here, step by step, rather than as
   one large product before the loop: W stays packed in cache next to U, and
   the (n_steps, batch, 4H) array x W is never written to memory. */
template<typename T, class RACT, class ACT>
__attribute__((noinline)) static void fused_lstm_forward_rows(
    npy_intp r0, npy_intp r1, npy_intp n_steps, npy_intp batch, npy_intp H,
    npy_intp D, const T *x, const T *packed_W, const T *packed_U,
    const T *mask, const T *rmask, T *hs, T *cs, T *gates, T *scratch)
{
    const npy_intp G = 4 * H, rows = r1 - r0;
    const npy_intp BH = batch * H, BG = batch * G, BD = batch * D;
    const npy_intp lo = r0 * H, hi = r1 * H;
    T *z = scratch, *h_masked = scratch + BG;
    for (npy_intp t = 0; t < n_steps; ++t) {
        const T *h_prev = hs + t * BH, *c_prev = cs + t * BH;
        T *g_t = gates + t * BG, *h_t = hs + (t + 1) * BH;
        T *c_t = cs + (t + 1) * BH;
        const T *h_in = fused_masked_state(h_prev, rmask, h_masked, lo,
                                           hi);         /* h_{t-1} * r */
        /* z = x_t W + h_in U      (rows, D) x (D, 4H) + (rows, H) x (H, 4H) */
        T *z_rows = z + r0 * G;
        fused_packed_product<T>((int)rows, (int)G, (int)D,
                                x + t * BD + r0 * D, (int)D, packed_W,
                                z_rows, (int)G, false);
        fused_packed_product<T>((int)rows, (int)G, (int)H, h_in + lo,
                                (int)H, packed_U, z_rows, (int)G, true);
        for (npy_intp b = r0; b < r1; ++b) {
            const npy_intp ob = b * H, og = b * G;
            fused_lstm_forward_row<T, RACT, ACT>(H, z + og, c_prev + ob,
                                                 g_t + og, c_t + ob,
                                                 h_t + ob);
            if (mask && mask[t * batch + b] == 0) {
                /* padding: carry the state through (the gates are still
                   computed, so that they equal perform()'s; unused) */
                memcpy(h_t + ob, h_prev + ob, sizeof(T) * H);
                memcpy(c_t + ob, c_prev + ob, sizeof(T) * H);
            }
        }
    }
}

/* Forward: hs, cs (n_steps + 1, batch, H), hs[0] = h0, cs[0] = c0, and
   gates (n_steps, batch, 4H) from x (n_steps, batch, D), h0, c0
   (batch, H), W (D, 4H), U (H, 4H), rmask (batch, H) or NULL and mask
   (n_steps, batch) or NULL.  W and U are packed once, then the batch is
   split across threads (fused_parallel), each running every step for its
   rows. */
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
            fused_check_shape(op, "recurrent_kernel", U.array, 2, any3))
        return -1;
    const npy_intp n_steps = x.dim(0), batch = x.dim(1), D = x.dim(2);
    const npy_intp H = U.dim(0), G = 4 * H, BH = batch * H;
    const npy_intp s_W[2] = {D, G}, s_U[2] = {H, G}, s_h[2] = {batch, H};
    const npy_intp s_mask[2] = {n_steps, batch};
    if (fused_check_shape(op, "kernel", W.array, 2, s_W) ||
        fused_check_shape(op, "recurrent_kernel", U.array, 2, s_U) ||
        fused_check_shape(op, "h0", h0.array, 2, s_h) ||
        fused_check_shape(op, "c0", c0.array, 2, s_h) ||
        (rmask.array && fused_check_shape(op, "recurrent_mask", rmask.array,
                                          2, s_h)) ||
        (mask.array && fused_check_shape(op, "mask", mask.array, 2, s_mask)))
        return -1;
    const int typenum = PyArray_TYPE(x.array);
    const npy_intp s_hs[3] = {n_steps + 1, batch, H};
    const npy_intp s_g[3] = {n_steps, batch, G};
    if (fused_output(hs_, 3, s_hs, typenum) ||
        fused_output(cs_, 3, s_hs, typenum) ||
        fused_output(gates_, 3, s_g, typenum))
        return -1;
    T *hs = (T *)PyArray_DATA(*hs_), *cs = (T *)PyArray_DATA(*cs_);
    T *gates = (T *)PyArray_DATA(*gates_);
    memcpy(hs, h0.data<T>(), sizeof(T) * BH);
    memcpy(cs, c0.data<T>(), sizeof(T) * BH);
    if (BH == 0 || n_steps == 0)        /* no step to compute */
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
    const T *xd = x.data<T>(), *rm = rmask.data<T>(), *m = mask.data<T>();
    T *packed_W = packed, *packed_U = packed + size_W;
    fused_pack<T>(W.data<T>(), (int)G, (int)D, (int)G, false, packed_W);
    fused_pack<T>(U.data<T>(), (int)G, (int)H, (int)G, false, packed_U);
    fused_parallel((int)batch, [&](int r0, int r1) {
        fused_lstm_forward_rows<T, RACT, ACT>(
            r0, r1, n_steps, batch, H, D, xd, packed_W, packed_U, m, rm, hs,
            cs, gates, scratch);
    });
    free(packed);
    free(scratch);
    return 0;
}

/* Backward loop for rows r0 .. r1-1 (the row split of
   fused_lstm_forward_rows holds here too).  Inputs as saved by the forward
   pass (hs, cs (n_steps + 1, batch, H), gates), and packed_Ut: U^T (4H, H)
   packed by fused_pack; dhs, dcs (n_steps + 1, batch, H), the gradients of
   the outputs hs and cs.  Outputs, for these rows:
     dxw (n_steps, batch, 4H)   gradient of the pre-activations x W + h U
     dh, dc (batch, H)          the running gradients of h_t, c_t, holding
                                those of hs[n_steps], cs[n_steps] on entry
                                and of h0, c0 on return
     drmask (batch, H)          gradient of rmask, or NULL when there is none
   scratch (batch, H) receives dxw_t U^T when there is a recurrent mask. */
template<typename T, class RACT, class ACT>
__attribute__((noinline)) static void fused_lstm_backward_rows(
    npy_intp r0, npy_intp r1, npy_intp n_steps, npy_intp batch, npy_intp H,
    const T *packed_Ut, const T *mask, const T *rmask, const T *hs,
    const T *cs, const T *gates, const T *dhs, const T *dcs, T *dxw, T *dh,
    T *dc, T *drmask, T *scratch)
{
    const npy_intp G = 4 * H, BH = batch * H, BG = batch * G;
    const npy_intp lo = r0 * H, hi = r1 * H;
    for (npy_intp t = n_steps - 1; t >= 0; --t) {
        /* step t computes hs[t + 1] from hs[t] = h_{t-1} */
        const T *c_prev = cs + t * BH, *c_t = cs + (t + 1) * BH;
        const T *dhs_prev = dhs + t * BH, *dcs_prev = dcs + t * BH;
        const T *g_t = gates + t * BG;
        T *dxw_t = dxw + t * BG;
        for (npy_intp b = r0; b < r1; ++b) {
            const npy_intp ob = b * H, og = b * G;
            if (mask && mask[t * batch + b] == 0) {
                /* padding: h_t = h_{t-1}, c_t = c_{t-1} pass their
                   gradients through; the step's inputs get none */
                for (npy_intp j = 0; j < H; ++j) {
                    dh[ob + j] += dhs_prev[ob + j];
                    dc[ob + j] += dcs_prev[ob + j];
                }
                memset(dxw_t + og, 0, sizeof(T) * G);
                continue;
            }
            fused_lstm_backward_row<T, RACT, ACT>(
                H, g_t + og, c_t + ob, c_prev + ob, dhs_prev + ob,
                dcs_prev + ob, dh + ob, dc + ob, dxw_t + og);
        }
        /* the rows padded at step t took no product: masked below */
        const T *dxw_rows = dxw_t + r0 * G;
        if (!rmask) {
            /* dh += dxw_t U^T      (rows, 4H) x (4H, H) */
            fused_packed_product<T>((int)(r1 - r0), (int)H, (int)G, dxw_rows,
                                    (int)G, packed_Ut, dh + lo, (int)H,
                                    true);
        } else {
            const T *h_prev = hs + t * BH;
            fused_packed_product<T>((int)(r1 - r0), (int)H, (int)G, dxw_rows,
                                    (int)G, packed_Ut, scratch + lo, (int)H,
                                    false);
            for (npy_intp k = lo; k < hi; ++k) {
                dh[k] += scratch[k] * rmask[k];
                drmask[k] += scratch[k] * h_prev[k];
            }
        }
    }
}

/* Backward: dxw (n_steps, batch, 4H), dh0, dc0 (batch, H) and drmask
   (batch, H) (NULL without a recurrent mask), from U, rmask or NULL, mask
   or NULL, the forward outputs hs, cs, gates and the output gradients dhs,
   dcs.  U^T is packed once, then the loop runs over the batch split across
   threads as in the forward pass. */
template<typename T, class RACT, class ACT>
static int fused_lstm_backward(
    PyArrayObject *U_, PyArrayObject *rmask_, PyArrayObject *mask_,
    PyArrayObject *hs_, PyArrayObject *cs_, PyArrayObject *gates_,
    PyArrayObject *dhs_, PyArrayObject *dcs_, PyArrayObject **dxw_,
    PyArrayObject **dh0_, PyArrayObject **dc0_, PyArrayObject **drmask_)
{
    const char *op = "LSTMBackward";
    FusedInput U(U_), rmask(rmask_), mask(mask_), hs_in(hs_), cs_in(cs_);
    FusedInput gates_in(gates_), dhs_in(dhs_), dcs_in(dcs_);
    if (U.failed || rmask.failed || mask.failed || hs_in.failed ||
            cs_in.failed || gates_in.failed || dhs_in.failed ||
            dcs_in.failed)
        return -1;
    npy_intp n_steps, batch, H;
    if (fused_state_sizes(op, hs_in.array, &n_steps, &batch, &H))
        return -1;
    const npy_intp G = 4 * H, BH = batch * H;
    const npy_intp s_U[2] = {H, G}, s_h[2] = {batch, H};
    const npy_intp s_mask[2] = {n_steps, batch};
    const npy_intp s_g[3] = {n_steps, batch, G};
    const npy_intp *s_hs = PyArray_DIMS(hs_in.array);
    if (fused_check_shape(op, "recurrent_kernel", U.array, 2, s_U) ||
        (rmask.array && fused_check_shape(op, "recurrent_mask", rmask.array,
                                          2, s_h)) ||
        (mask.array && fused_check_shape(op, "mask", mask.array, 2, s_mask)) ||
        fused_check_shape(op, "cs", cs_in.array, 3, s_hs) ||
        fused_check_shape(op, "gates", gates_in.array, 3, s_g) ||
        fused_check_shape(op, "dhs", dhs_in.array, 3, s_hs) ||
        fused_check_shape(op, "dcs", dcs_in.array, 3, s_hs))
        return -1;
    const int typenum = PyArray_TYPE(hs_in.array);
    if (fused_output(dxw_, 3, s_g, typenum) ||
        fused_output(dh0_, 2, s_h, typenum) ||
        fused_output(dc0_, 2, s_h, typenum) ||
        (drmask_ && fused_output(drmask_, 2, s_h, typenum)))
        return -1;

    const T *u = U.data<T>(), *rm = rmask.data<T>(), *m = mask.data<T>();
    const T *hs = hs_in.data<T>(), *cs = cs_in.data<T>();
    const T *gates = gates_in.data<T>();
    const T *dhs = dhs_in.data<T>(), *dcs = dcs_in.data<T>();
    T *dxw = (T *)PyArray_DATA(*dxw_);
    T *dh = (T *)PyArray_DATA(*dh0_), *dc = (T *)PyArray_DATA(*dc0_);
    T *drm = rm ? (T *)PyArray_DATA(*drmask_) : NULL;
    /* the carried gradients start as those of the last states */
    memcpy(dh, dhs + n_steps * BH, sizeof(T) * BH);
    memcpy(dc, dcs + n_steps * BH, sizeof(T) * BH);
    if (drm)
        memset(drm, 0, sizeof(T) * BH);
    if (BH == 0 || n_steps == 0)        /* nothing to differentiate */
        return 0;
    /* Shared by the threads: U^T packed (read only) and, with a recurrent
       mask, the scratch (batch, H), each thread writing and reading its own
       rows. */
    T *packed = (T *)malloc(sizeof(T) * fused_packed_size<T>((int)G,
                                                             (int)H));
    T *scratch = rm ? (T *)malloc(sizeof(T) * BH) : NULL;
    if (packed == NULL || (rm && scratch == NULL)) {
        free(packed); free(scratch); PyErr_NoMemory(); return -1;
    }
    fused_pack<T>(u, (int)G, (int)G, (int)H, true, packed);
    fused_parallel((int)batch, [&](int r0, int r1) {
        fused_lstm_backward_rows<T, RACT, ACT>(
            r0, r1, n_steps, batch, H, packed, m, rm, hs, cs, gates, dhs, dcs,
            dxw, dh, dc, drm, scratch);
    });
    free(packed);
    free(scratch);
    return 0;
}

#endif  /* THEANO_RNN_FUSED_LSTM_H */
