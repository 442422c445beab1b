/* theano_rnn/fused/csrc/gru.h

   The GRU loops (see theano_rnn/fused/gru.py). */
#ifndef THEANO_RNN_FUSED_GRU_H
#define THEANO_RNN_FUSED_GRU_H

#include <string.h>
#include <stdlib.h>
#include "loop_helpers.h"
#include "packed.h"

/* The shapes every GRU loop checks: gates (n_steps, batch, 3 units) when
   given, U (units, 3 units), h0/rmask (batch, units), mask (n_steps,
   batch), b_rec (3 units). */
static int fused_gru_check(const char *op, npy_intp n_steps, npy_intp batch,
                           npy_intp units, PyArrayObject *gates,
                           PyArrayObject *U, PyArrayObject *h0,
                           PyArrayObject *b_rec, PyArrayObject *rmask,
                           PyArrayObject *mask)
{
    const npy_intp s_g[3] = {n_steps, batch, 3 * units};
    const npy_intp s_U[2] = {units, 3 * units}, s_h[2] = {batch, units};
    const npy_intp s_mask[2] = {n_steps, batch}, s_b[1] = {3 * units};
    if ((gates && fused_check_shape(op, "gates", gates, 3, s_g)) ||
        fused_check_shape(op, "recurrent_kernel", U, 2, s_U) ||
        (h0 && fused_check_shape(op, "h0", h0, 2, s_h)) ||
        (b_rec && fused_check_shape(op, "recurrent_bias", b_rec, 1, s_b)) ||
        (rmask && fused_check_shape(op, "recurrent_mask", rmask, 2, s_h)) ||
        (mask && fused_check_shape(op, "mask", mask, 2, s_mask)))
        return -1;
    return 0;
}

/* The forward loop, both forms, for rows (samples) r0 .. r1-1 of the
   batch.  Shapes: x (n_steps, batch, D), gates (n_steps, batch, 3H), hs
   (n_steps+1, batch, H) with hs[0] = h0 already written, saved (n_steps,
   batch, H), b (3H) for reset_after, rm (batch, H) or NULL, m (n_steps,
   batch) or NULL, hin_buffer (batch, H) used with a recurrent mask.
   Packed by fused_pack: packed_W = W (D, 3H), packed_zr = U_zr (H, 2H),
   packed_h = U_h (H, H).  Each step first writes x_t W into gates[t] and
   adds hin U_zr to its z and r columns; the candidate's product follows
   the gates (reset_after=False) or goes to saved (reset_after=True).  The
   input projection x_t W is thus done here, step by step, as in the
   LSTM's loop (see lstm.h).  The rows are independent through the whole
   recurrence: this reads and writes rows r0 .. r1-1 of every array and
   nothing else, so threads given disjoint row ranges run it side by
   side. */
template<typename T, class RACT, class ACT, bool RESET_AFTER>
__attribute__((noinline)) static void fused_gru_forward_rows(
    npy_intp r0, npy_intp r1, npy_intp n_steps, npy_intp batch, npy_intp H,
    npy_intp D, const T *x_all, const T *packed_W, const T *packed_zr,
    const T *packed_h, const T *b, const T *rm, const T *m, T *hs,
    T *gates, T *saved, T *hin_buffer)
{
    const npy_intp H3 = 3 * H, BH = batch * H, BD = batch * D;
    const npy_intp lo = r0 * H;
    const int rows = (int)(r1 - r0);
    for (npy_intp t = 0; t < n_steps; ++t) {
        const T *h_prev = hs + t * BH;                  /* (B, H) */
        T *h = hs + (t + 1) * BH;                       /* (B, H) */
        const T *x = x_all + t * BD;                    /* (B, D) */
        T *g = gates + t * batch * H3;                  /* (B, 3H) */
        T *s = saved + t * BH;                          /* (B, H) */
        const T *hin = fused_masked_state(h_prev, rm, hin_buffer, lo,
                                          r1 * H);      /* (B, H) */
        /* g = x_t W, then g_zr += hin U_zr
           (rows, D) x (D, 3H), then (rows, H) x (H, 2H) */
        fused_packed_product<T>(rows, (int)H3, (int)D, x + r0 * D, (int)D,
                                packed_W, g + r0 * H3, (int)H3, false);
        fused_packed_product<T>(rows, (int)(2 * H), (int)H, hin + lo, (int)H,
                                packed_zr, g + r0 * H3, (int)H3, true);
        if (RESET_AFTER) {
            /* s = hin U_h      (rows, H) x (H, H); then with the biases
               hu_h = s + b_h, z, r and hh, in place */
            fused_packed_product<T>(rows, (int)H, (int)H, hin + lo, (int)H,
                                    packed_h, s + lo, (int)H, false);
            for (npy_intp i = r0; i < r1; ++i) {
                T *__restrict__ gi = g + i * H3, *__restrict__ si = s + i * H;
                const T *__restrict__ bi = b;
                for (npy_intp j = 0; j < H; ++j) {
                    const T z = RACT::f(gi[j] + bi[j]);
                    const T r = RACT::f(gi[H + j] + bi[H + j]);
                    si[j] += bi[2 * H + j];                 /* hu_h */
                    gi[j] = z;
                    gi[H + j] = r;
                    gi[2 * H + j] = ACT::f(gi[2 * H + j] + r * si[j]);
                }
            }
        } else {
            /* z, r; s = r * hin; g_h += s U_h      (rows, H) x (H, H); hh */
            for (npy_intp i = r0; i < r1; ++i) {
                T *__restrict__ gi = g + i * H3, *__restrict__ si = s + i * H;
                const T *__restrict__ hi = hin + i * H;
                for (npy_intp j = 0; j < H; ++j) {
                    gi[j] = RACT::f(gi[j]);
                    gi[H + j] = RACT::f(gi[H + j]);
                    si[j] = gi[H + j] * hi[j];              /* r * hin */
                }
            }
            fused_packed_product<T>(rows, (int)H, (int)H, s + lo, (int)H,
                                    packed_h, g + r0 * H3 + 2 * H, (int)H3,
                                    true);
            for (npy_intp i = r0; i < r1; ++i) {
                T *__restrict__ gi = g + i * H3;
                for (npy_intp j = 0; j < H; ++j)
                    gi[2 * H + j] = ACT::f(gi[2 * H + j]);
            }
        }
        for (npy_intp i = r0; i < r1; ++i) {
            const T *__restrict__ gi = g + i * H3;
            const T *__restrict__ pi = h_prev + i * H;
            T *__restrict__ hi = h + i * H;
            if (m == NULL || m[t * batch + i] != 0)
                for (npy_intp j = 0; j < H; ++j)
                    hi[j] = gi[j] * pi[j] + (1 - gi[j]) * gi[2 * H + j];
            else
                memcpy(hi, pi, sizeof(T) * H);          /* padding: keep h */
        }
    }
}

/* Forward, both forms, from x (T, B, D), h0 (B, H), W (D, 3H), U (H, 3H),
   b_rec (3H) (NULL for reset_after=False), rmask (B, H) or NULL and mask
   (T, B) or NULL.  Outputs: hs (T+1, B, H), gates (T, B, 3H) = [z, r, hh],
   saved (T, B, H) = r * hin (reset_after=False) or hu_h (reset_after=True).
   W, U_zr and U_h are packed once, then the batch is split across threads
   (fused_parallel), each running every step for its rows. */
template<typename T, class RACT, class ACT, bool RESET_AFTER>
static int fused_gru_forward_impl(
    PyArrayObject *x_, PyArrayObject *h0_, PyArrayObject *W_,
    PyArrayObject *U_, PyArrayObject *b_rec_, PyArrayObject *rmask_,
    PyArrayObject *mask_, PyArrayObject **hs_, PyArrayObject **gates_,
    PyArrayObject **saved_)
{
    const char *op = "GRUForward";
    FusedInput x(x_), h0(h0_), W(W_), U(U_), b_rec(b_rec_), rmask(rmask_);
    FusedInput mask(mask_);
    if (x.failed || h0.failed || W.failed || U.failed || b_rec.failed ||
            rmask.failed || mask.failed)
        return -1;
    const npy_intp any3[3] = {-1, -1, -1};
    if (fused_check_shape(op, "x", x.array, 3, any3) ||
            fused_check_shape(op, "recurrent_kernel", U.array, 2, any3))
        return -1;
    const npy_intp n_steps = x.dim(0), batch = x.dim(1), D = x.dim(2);
    const npy_intp H = U.dim(0), H3 = 3 * H, BH = batch * H;
    const npy_intp s_W[2] = {D, H3};
    if (fused_check_shape(op, "kernel", W.array, 2, s_W) ||
        fused_gru_check(op, n_steps, batch, H, NULL, U.array, h0.array,
                        b_rec.array, rmask.array, mask.array))
        return -1;
    const int typenum = PyArray_TYPE(x.array);
    const npy_intp s_hs[3] = {n_steps + 1, batch, H};
    const npy_intp s_g[3] = {n_steps, batch, H3};
    const npy_intp s_saved[3] = {n_steps, batch, H};
    if (fused_output(hs_, 3, s_hs, typenum) ||
        fused_output(gates_, 3, s_g, typenum) ||
        fused_output(saved_, 3, s_saved, typenum))
        return -1;

    const T *xd = x.data<T>(), *u = U.data<T>(), *b = b_rec.data<T>();
    const T *rm = rmask.data<T>(), *m = mask.data<T>();
    T *hs = (T *)PyArray_DATA(*hs_), *gates = (T *)PyArray_DATA(*gates_);
    T *saved = (T *)PyArray_DATA(*saved_);
    memcpy(hs, h0.data<T>(), sizeof(T) * BH);
    if (BH == 0 || n_steps == 0)        /* no step to compute */
        return 0;
    /* Shared by the threads: W, U_zr and U_h packed (read only) and hin
       (batch, H), of which each thread writes and reads its own rows. */
    const size_t size_W = fused_packed_size<T>((int)D, (int)H3);
    const size_t size_zr = fused_packed_size<T>((int)H, (int)(2 * H));
    const size_t size_h = fused_packed_size<T>((int)H, (int)H);
    T *packed = (T *)malloc(sizeof(T) * (size_W + size_zr + size_h));
    T *hin_buffer = rm ? (T *)malloc(sizeof(T) * BH) : NULL;
    if (packed == NULL || (rm && hin_buffer == NULL)) {
        free(packed); free(hin_buffer); PyErr_NoMemory(); return -1;
    }
    T *packed_W = packed, *packed_zr = packed + size_W;
    T *packed_h = packed_zr + size_zr;
    fused_pack<T>(W.data<T>(), (int)H3, (int)D, (int)H3, false, packed_W);
    fused_pack<T>(u, (int)H3, (int)H, (int)(2 * H), false, packed_zr);
    fused_pack<T>(u + 2 * H, (int)H3, (int)H, (int)H, false, packed_h);
    fused_parallel((int)batch, [&](int r0, int r1) {
        fused_gru_forward_rows<T, RACT, ACT, RESET_AFTER>(
            r0, r1, n_steps, batch, H, D, xd, packed_W, packed_zr, packed_h,
            b, rm, m, hs, gates, saved, hin_buffer);
    });
    free(packed);
    free(hin_buffer);
    return 0;
}

template<typename T, class RACT, class ACT>
static int fused_gru_forward(
    PyArrayObject *x, PyArrayObject *h0, PyArrayObject *W, PyArrayObject *U,
    PyArrayObject *b_rec, PyArrayObject *rmask, PyArrayObject *mask,
    PyArrayObject **hs, PyArrayObject **gates, PyArrayObject **saved)
{
    return fused_gru_forward_impl<T, RACT, ACT, false>(
        x, h0, W, U, NULL, rmask, mask, hs, gates, saved);
}

template<typename T, class RACT, class ACT>
static int fused_gru_reset_after_forward(
    PyArrayObject *x, PyArrayObject *h0, PyArrayObject *W, PyArrayObject *U,
    PyArrayObject *b_rec, PyArrayObject *rmask, PyArrayObject *mask,
    PyArrayObject **hs, PyArrayObject **gates, PyArrayObject **saved)
{
    return fused_gru_forward_impl<T, RACT, ACT, true>(
        x, h0, W, U, b_rec, rmask, mask, hs, gates, saved);
}

/* The backward loop, both forms, for rows r0 .. r1-1 (the row split of
   fused_gru_forward_rows holds here too).  Inputs as saved by the forward
   pass (h_all (n_steps+1, batch, H), g_all (n_steps, batch, 3H), huh_all
   (n_steps, batch, H) for reset_after) and dh_out (n_steps+1, batch, H),
   the output gradient.  Packed by fused_pack:
   reset_after  packed_a = U^T (3H, H)
   otherwise    packed_a = U_zr^T (2H, H), packed_h = U_h^T (H, H).
   dh (batch, H) holds the gradient reaching h_{n_steps-1} on entry and
   the gradient of h0 on return; drm (batch, H) is zero on entry, or NULL.
   Writes dxw and, for reset_after, dhu (both (n_steps, batch, 3H)); dhin
   and drh (batch, H) are scratch.  db_rec is summed after the loop, by the
   caller: it is a sum over the rows of all threads. */
template<typename T, class RACT, class ACT, bool RESET_AFTER>
__attribute__((noinline)) static void fused_gru_backward_rows(
    npy_intp r0, npy_intp r1, npy_intp n_steps, npy_intp batch, npy_intp H,
    const T *packed_a, const T *packed_h, const T *rm, const T *m,
    const T *h_all, const T *g_all, const T *huh_all, const T *dh_out,
    T *dxw, T *dh, T *dhu, T *drm, T *dhin, T *drh)
{
    const npy_intp H3 = 3 * H, BH = batch * H;
    const npy_intp lo = r0 * H, rows = r1 - r0;
    for (npy_intp t = n_steps - 1; t >= 0; --t) {
        const T *h_prev = h_all + t * BH;               /* (B, H) */
        const T *g = g_all + t * batch * H3;            /* (B, 3H) z, r, hh */
        T *dx = dxw + t * batch * H3;                   /* (B, 3H) */
        T *du = RESET_AFTER ? dhu + t * batch * H3 : NULL;
        for (npy_intp i = r0; i < r1; ++i) {
            const T *__restrict__ gi = g + i * H3;
            const T *__restrict__ pi = h_prev + i * H;
            const T *__restrict__ di = dh + i * H;
            T *__restrict__ dxi = dx + i * H3;
            if (m != NULL && m[t * batch + i] == 0) {
                memset(dxi, 0, sizeof(T) * H3);
                if (RESET_AFTER)
                    memset(du + i * H3, 0, sizeof(T) * H3);
                continue;
            }
            for (npy_intp j = 0; j < H; ++j) {
                const T z = gi[j], hh = gi[2 * H + j];
                dxi[j] = di[j] * (pi[j] - hh) * RACT::df(z);
                dxi[2 * H + j] = di[j] * (1 - z) * ACT::df(hh);
            }
            if (RESET_AFTER) {
                const T *__restrict__ si = huh_all + t * BH + i * H;
                T *__restrict__ dui = du + i * H3;
                for (npy_intp j = 0; j < H; ++j) {
                    const T r = gi[H + j], dhh = dxi[2 * H + j];
                    dxi[H + j] = dhh * si[j] * RACT::df(r);
                    dui[j] = dxi[j];
                    dui[H + j] = dxi[H + j];
                    dui[2 * H + j] = dhh * r;
                }
            }
        }
        if (RESET_AFTER) {
            /* dhin = dhu U^T      (rows, 3H) x (3H, H) */
            fused_packed_product<T>((int)rows, (int)H, (int)H3, du + r0 * H3,
                                    (int)H3, packed_a, dhin + lo, (int)H,
                                    false);
        } else {
            /* drh = dh~ U_h^T; dr~; dhin = drh * r + [dz~, dr~] U_zr^T */
            fused_packed_product<T>((int)rows, (int)H, (int)H,
                                    dx + r0 * H3 + 2 * H, (int)H3, packed_h,
                                    drh + lo, (int)H, false);
            for (npy_intp i = r0; i < r1; ++i) {
                const T *__restrict__ gi = g + i * H3;
                const T *__restrict__ pi = h_prev + i * H;
                const T *__restrict__ rmi = rm ? rm + i * H : NULL;
                const T *__restrict__ ri = drh + i * H;
                T *__restrict__ dxi = dx + i * H3;
                T *__restrict__ dii = dhin + i * H;
                for (npy_intp j = 0; j < H; ++j) {
                    const T r = gi[H + j];
                    const T hin = rmi ? pi[j] * rmi[j] : pi[j];
                    dxi[H + j] = ri[j] * hin * RACT::df(r);
                    dii[j] = ri[j] * r;
                }
            }
            fused_packed_product<T>((int)rows, (int)H, (int)(2 * H),
                                    dx + r0 * H3, (int)H3, packed_a,
                                    dhin + lo, (int)H, true);
        }
        /* dh <- dh * z + dhin * rmask (+ the output gradient of h_{t-1}) */
        const T *dh_t = dh_out + t * BH;
        for (npy_intp i = r0; i < r1; ++i) {
            const T *__restrict__ gi = g + i * H3;
            const T *__restrict__ pi = h_prev + i * H;
            const T *__restrict__ dii = dhin + i * H;
            const T *__restrict__ oi = dh_t + i * H;
            T *__restrict__ di = dh + i * H;
            if (m != NULL && m[t * batch + i] == 0) {
                for (npy_intp j = 0; j < H; ++j)
                    di[j] += oi[j];
            } else if (rm) {
                const T *__restrict__ rmi = rm + i * H;
                T *__restrict__ dri = drm + i * H;
                for (npy_intp j = 0; j < H; ++j) {
                    dri[j] += dii[j] * pi[j];
                    di[j] = di[j] * gi[j] + dii[j] * rmi[j] + oi[j];
                }
            } else {
                for (npy_intp j = 0; j < H; ++j)
                    di[j] = di[j] * gi[j] + dii[j] + oi[j];
            }
        }
    }
}

/* Backward, both forms.  For reset_after=False hu_h_, dhu_, db_rec_ are
   NULL.  Outputs: dxw (T, B, 3H), dh0 (B, H), dhu (T, B, 3H), db_rec (3H),
   drmask (B, H) (NULL without a recurrent mask).  U^T is packed once, then
   the batch is split across threads as in the forward pass; db_rec, a sum
   over all rows, is summed after the threads are done. */
template<typename T, class RACT, class ACT, bool RESET_AFTER>
static int fused_gru_backward_impl(
    PyArrayObject *U_, PyArrayObject *rmask_, PyArrayObject *mask_,
    PyArrayObject *hs_, PyArrayObject *gates_, PyArrayObject *hu_h_,
    PyArrayObject *dhs_, PyArrayObject **dxw_, PyArrayObject **dh0_,
    PyArrayObject **dhu_, PyArrayObject **db_rec_, PyArrayObject **drmask_)
{
    const char *op = "GRUBackward";
    FusedInput U(U_), rmask(rmask_), mask(mask_), hs(hs_), gates(gates_);
    FusedInput hu_h(hu_h_), dhs(dhs_);
    if (U.failed || rmask.failed || mask.failed || hs.failed ||
            gates.failed || hu_h.failed || dhs.failed)
        return -1;
    npy_intp n_steps, batch, units;
    if (fused_state_sizes(op, hs.array, &n_steps, &batch, &units))
        return -1;
    const npy_intp s_h[2] = {batch, units}, s_s[3] = {n_steps, batch, units};
    if (fused_gru_check(op, n_steps, batch, units, gates.array, U.array,
                        NULL, NULL, rmask.array, mask.array) ||
        fused_check_shape(op, "dhs", dhs.array, 3, PyArray_DIMS(hs.array)) ||
        (hu_h.array && fused_check_shape(op, "saved", hu_h.array, 3, s_s)))
        return -1;
    const int typenum = PyArray_TYPE(hs.array);
    const npy_intp s_b[1] = {3 * units};
    if (fused_output(dxw_, 3, PyArray_DIMS(gates.array), typenum) ||
        fused_output(dh0_, 2, s_h, typenum) ||
        (RESET_AFTER &&
         (fused_output(dhu_, 3, PyArray_DIMS(gates.array), typenum) ||
          fused_output(db_rec_, 1, s_b, typenum))) ||
        (rmask.array && fused_output(drmask_, 2, s_h, typenum)))
        return -1;

    const npy_intp H = units, H3 = 3 * units, BH = batch * units;
    const T *u = U.data<T>(), *rm = rmask.data<T>(), *m = mask.data<T>();
    const T *h_all = hs.data<T>(), *g_all = gates.data<T>();
    const T *huh_all = hu_h.data<T>(), *dh_out = dhs.data<T>();
    T *dxw = (T *)PyArray_DATA(*dxw_);
    T *dh = (T *)PyArray_DATA(*dh0_);       /* the carried gradient, (B, H) */
    T *dhu = RESET_AFTER ? (T *)PyArray_DATA(*dhu_) : NULL;
    T *drm = rm ? (T *)PyArray_DATA(*drmask_) : NULL;
    memcpy(dh, dh_out + n_steps * BH, sizeof(T) * BH);
    if (drm)
        memset(drm, 0, sizeof(T) * BH);
    if (RESET_AFTER)
        memset(PyArray_DATA(*db_rec_), 0, sizeof(T) * H3);
    if (BH == 0)                        /* nothing else has an element */
        return 0;
    /* Shared by the threads: U^T packed (read only) -- reset_after: U^T
       whole; otherwise U_zr^T, then U_h^T at packed + size_a -- and the
       scratch dhin, drh (batch, H), of which each thread writes and reads
       its own rows. */
    const size_t size_a = RESET_AFTER
        ? fused_packed_size<T>((int)H3, (int)H)
        : fused_packed_size<T>((int)(2 * H), (int)H);
    const size_t size_h = RESET_AFTER ? 0 : fused_packed_size<T>((int)H,
                                                                 (int)H);
    T *packed = (T *)malloc(sizeof(T) * (size_a + size_h));
    T *dhin = (T *)malloc(sizeof(T) * 2 * BH);
    double *db = RESET_AFTER ? (double *)calloc(H3, sizeof(double)) : NULL;
    if (packed == NULL || dhin == NULL || (RESET_AFTER && db == NULL)) {
        free(packed); free(dhin); free(db); PyErr_NoMemory(); return -1;
    }
    T *drh = dhin + BH;
    if (RESET_AFTER) {
        fused_pack<T>(u, (int)H3, (int)H3, (int)H, true, packed);
    } else {
        fused_pack<T>(u, (int)H3, (int)(2 * H), (int)H, true, packed);
        fused_pack<T>(u + 2 * H, (int)H3, (int)H, (int)H, true,
                      packed + size_a);
    }
    fused_parallel((int)batch, [&](int r0, int r1) {
        fused_gru_backward_rows<T, RACT, ACT, RESET_AFTER>(
            r0, r1, n_steps, batch, H, packed, packed + size_a, rm, m, h_all,
            g_all, huh_all, dh_out, dxw, dh, dhu, drm, dhin, drh);
    });
    if (RESET_AFTER) {
        /* db_rec = the column sums of dhu, accumulated in double (in the
           order of the loop: the last step first) */
        for (npy_intp t = n_steps - 1; t >= 0; --t)
            for (npy_intp i = 0; i < batch; ++i) {
                const T *du = dhu + (t * batch + i) * H3;
                for (npy_intp k = 0; k < H3; ++k)
                    db[k] += du[k];
            }
        T *db_out = (T *)PyArray_DATA(*db_rec_);
        for (npy_intp k = 0; k < H3; ++k)
            db_out[k] = (T)db[k];
    }
    free(packed);
    free(dhin);
    free(db);
    return 0;
}

template<typename T, class RACT, class ACT>
static int fused_gru_backward(
    PyArrayObject *U, PyArrayObject *rmask, PyArrayObject *mask,
    PyArrayObject *hs, PyArrayObject *gates, PyArrayObject *hu_h,
    PyArrayObject *dhs, PyArrayObject **dxw, PyArrayObject **dh0,
    PyArrayObject **dhu, PyArrayObject **db_rec, PyArrayObject **drmask)
{
    return fused_gru_backward_impl<T, RACT, ACT, false>(
        U, rmask, mask, hs, gates, NULL, dhs, dxw, dh0, NULL, NULL, drmask);
}

template<typename T, class RACT, class ACT>
static int fused_gru_reset_after_backward(
    PyArrayObject *U, PyArrayObject *rmask, PyArrayObject *mask,
    PyArrayObject *hs, PyArrayObject *gates, PyArrayObject *hu_h,
    PyArrayObject *dhs, PyArrayObject **dxw, PyArrayObject **dh0,
    PyArrayObject **dhu, PyArrayObject **db_rec, PyArrayObject **drmask)
{
    return fused_gru_backward_impl<T, RACT, ACT, true>(
        U, rmask, mask, hs, gates, hu_h, dhs, dxw, dh0, dhu, db_rec, drmask);
}

#endif  /* THEANO_RNN_FUSED_GRU_H */
