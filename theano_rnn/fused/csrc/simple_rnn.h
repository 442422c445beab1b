/* theano_rnn/fused/csrc/simple_rnn.h

   The SimpleRNN loops (see theano_rnn/fused/simple_rnn.py). */
#ifndef THEANO_RNN_FUSED_SIMPLE_RNN_H
#define THEANO_RNN_FUSED_SIMPLE_RNN_H

#include <string.h>
#include <stdlib.h>
#include "loop_helpers.h"
#include "packed.h"

/* The forward loop for rows (samples) r0 .. r1-1 of the batch.  Shapes:
   x (n_steps, batch, D), packed_W, packed_U: W (D, H) and U (H, H) packed
   by fused_pack, rm (batch, H) or NULL, m (n_steps, batch) or NULL, hs
   (n_steps+1, batch, H) with hs[0] = h0 already written; hin_buffer
   (batch, H) is used with a recurrent mask.  The rows are independent
   through the whole recurrence: this reads and writes rows r0 .. r1-1 of
   every array and nothing else, so threads given disjoint row ranges run
   it side by side.  The input projection x_t W is done here, step by step,
   as in the LSTM's loop (see lstm.h). */
template<typename T, class ACT>
__attribute__((noinline)) static void fused_simple_rnn_forward_rows(
    npy_intp r0, npy_intp r1, npy_intp n_steps, npy_intp batch, npy_intp H,
    npy_intp D, const T *x, const T *packed_W, const T *packed_U,
    const T *rm, const T *m, T *hs, T *hin_buffer)
{
    const npy_intp BH = batch * H, BD = batch * D, lo = r0 * H, hi = r1 * H;
    const int rows = (int)(r1 - r0);
    for (npy_intp t = 0; t < n_steps; ++t) {
        const T *h_prev = hs + t * BH;                 /* (B, H) */
        T *h = hs + (t + 1) * BH;                      /* (B, H) */
        const T *hin = fused_masked_state(h_prev, rm, hin_buffer, lo, hi);
        /* h = x_t W + hin U      (rows, D) x (D, H) + (rows, H) x (H, H);
           the activation is applied below */
        fused_packed_product<T>(rows, (int)H, (int)D, x + t * BD + r0 * D,
                                (int)D, packed_W, h + lo, (int)H, false);
        fused_packed_product<T>(rows, (int)H, (int)H, hin + lo, (int)H,
                                packed_U, h + lo, (int)H, true);
        for (npy_intp b = r0; b < r1; ++b) {
            T *__restrict__ hb = h + b * H;
            if (m == NULL || m[t * batch + b] != 0)
                for (npy_intp j = 0; j < H; ++j)
                    hb[j] = ACT::f(hb[j]);
            else
                memcpy(hb, h_prev + b * H, sizeof(T) * H);  /* padding */
        }
    }
}

/* Forward: hs (T+1, B, H), hs[0] = h0,
   hs[t+1] = m_t ? act(x_t W + hin U) : hs[t], from x (T, B, D), h0
   (B, H), W (D, H), U (H, H), rmask (B, H) or NULL and mask (T, B) or NULL.
   W and U are packed once, then the batch is split across threads
   (fused_parallel), each running every step for its rows. */
template<typename T, class ACT>
static int fused_simple_rnn_forward(
    PyArrayObject *x_, PyArrayObject *h0_, PyArrayObject *W_,
    PyArrayObject *U_, PyArrayObject *rmask_, PyArrayObject *mask_,
    PyArrayObject **hs_)
{
    const char *op = "SimpleRNNForward";
    FusedInput x(x_), h0(h0_), W(W_), U(U_), rmask(rmask_), mask(mask_);
    if (x.failed || h0.failed || W.failed || U.failed || rmask.failed ||
            mask.failed)
        return -1;
    const npy_intp any3[3] = {-1, -1, -1};
    if (fused_check_shape(op, "x", x.array, 3, any3) ||
            fused_check_shape(op, "recurrent_kernel", U.array, 2, any3))
        return -1;
    const npy_intp n_steps = x.dim(0), batch = x.dim(1), D = x.dim(2);
    const npy_intp H = U.dim(0), BH = batch * H;
    const npy_intp s_W[2] = {D, H}, s_U[2] = {H, H}, s_h[2] = {batch, H};
    const npy_intp s_mask[2] = {n_steps, batch};
    if (fused_check_shape(op, "kernel", W.array, 2, s_W) ||
        fused_check_shape(op, "recurrent_kernel", U.array, 2, s_U) ||
        fused_check_shape(op, "h0", h0.array, 2, s_h) ||
        (rmask.array && fused_check_shape(op, "recurrent_mask", rmask.array,
                                          2, s_h)) ||
        (mask.array && fused_check_shape(op, "mask", mask.array, 2, s_mask)))
        return -1;
    const npy_intp s_hs[3] = {n_steps + 1, batch, H};
    if (fused_output(hs_, 3, s_hs, PyArray_TYPE(x.array)))
        return -1;

    const T *xd = x.data<T>(), *rm = rmask.data<T>(), *m = mask.data<T>();
    T *hs = (T *)PyArray_DATA(*hs_);
    memcpy(hs, h0.data<T>(), sizeof(T) * BH);
    if (BH == 0 || n_steps == 0)        /* no step to compute */
        return 0;
    /* Shared by the threads: W and U packed (read only) and hin (batch, H),
       of which each thread writes and reads its own rows. */
    const size_t size_W = fused_packed_size<T>((int)D, (int)H);
    const size_t size_U = fused_packed_size<T>((int)H, (int)H);
    T *packed = (T *)malloc(sizeof(T) * (size_W + size_U));
    T *hin_buffer = rm ? (T *)malloc(sizeof(T) * BH) : NULL;
    if (packed == NULL || (rm && hin_buffer == NULL)) {
        free(packed); free(hin_buffer); PyErr_NoMemory(); return -1;
    }
    T *packed_W = packed, *packed_U = packed + size_W;
    fused_pack<T>(W.data<T>(), (int)H, (int)D, (int)H, false, packed_W);
    fused_pack<T>(U.data<T>(), (int)H, (int)H, (int)H, false, packed_U);
    fused_parallel((int)batch, [&](int r0, int r1) {
        fused_simple_rnn_forward_rows<T, ACT>(r0, r1, n_steps, batch, H, D,
                                              xd, packed_W, packed_U, rm, m,
                                              hs, hin_buffer);
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

/* Backward: dxw (T, B, H), the gradient of the steps' x_t W (and of
   hin U: they are added), dh0 (B, H), drmask (B, H) from the output
   gradient dhs (T+1, B, H).  U^T is packed once, then the batch is split
   across threads as in the forward pass. */
template<typename T, class ACT>
static int fused_simple_rnn_backward(
    PyArrayObject *U_, PyArrayObject *rmask_, PyArrayObject *mask_,
    PyArrayObject *hs_, PyArrayObject *dhs_,
    PyArrayObject **dxw_, PyArrayObject **dh0_, PyArrayObject **drmask_)
{
    const char *op = "SimpleRNNBackward";
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
    if (BH == 0)                        /* dxw has no element either */
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

#endif  /* THEANO_RNN_FUSED_SIMPLE_RNN_H */
