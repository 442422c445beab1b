/* theano_rnn/fused/csrc/packed.h

   The per-step packed product and the thread split (see
   theano_rnn/fused/packed.py). */
#ifndef THEANO_RNN_FUSED_PACKED_H
#define THEANO_RNN_FUSED_PACKED_H

#include <string.h>
#include <stdlib.h>
#include <sched.h>
#include <thread>
#include <vector>

/* FUSED_VECTOR_BYTES: the width of one SIMD register of the target: 64
   bytes with AVX-512, 32 with AVX, 16 otherwise (SSE, NEON).  A GCC vector
   wider than the target's registers is not split into them: on an AVX2
   machine 64-byte vectors ran the product at 1.6 GFLOP/s, 32-byte ones at
   40 (see packed.py). */
#ifndef FUSED_VECTOR_BYTES
#if defined(__AVX512F__)
#define FUSED_VECTOR_BYTES 64
#elif defined(__AVX__)
#define FUSED_VECTOR_BYTES 32
#else
#define FUSED_VECTOR_BYTES 16
#endif
#endif

/* FUSED_MR: the rows of C in one register block, whose 2 * FUSED_MR
   accumulators take half the SIMD registers: 8 rows with AVX-512 (32
   registers), 4 otherwise (16).  A definition on the compiler's command
   line (-DFUSED_MR=3) overrides the choice; the tests use it to check
   other block shapes than this machine's. */
#ifndef FUSED_MR
#ifdef __AVX512F__
#define FUSED_MR 8
#else
#define FUSED_MR 4
#endif
#endif

/* A SIMD vector of T (one register) and the panel width NR (two
   vectors). */
template<typename T> struct fused_vec {
    typedef T type __attribute__((vector_size(FUSED_VECTOR_BYTES)));
    enum { width = FUSED_VECTOR_BYTES / sizeof(T),
           panel = 2 * (FUSED_VECTOR_BYTES / sizeof(T)) };
};

/* The number of elements fused_pack writes for a k x n matrix. */
template<typename T>
static inline size_t fused_packed_size(int k, int n)
{
    const int NR = fused_vec<T>::panel;
    return (size_t)((n + NR - 1) / NR) * NR * k;
}

/* Pack B (k x n, row-major with leading dimension ldb) into panels of NR
   columns; with transpose, pack B^T where B is given as n x k (B^T's
   element (r, c) is B[c * ldb + r]). */
template<typename T>
static void fused_pack(const T *B, int ldb, int k, int n, bool transpose,
                       T *packed)
{
    const int NR = fused_vec<T>::panel;
    for (int p = 0; p * NR < n; ++p)
        for (int r = 0; r < k; ++r) {
            T *out = packed + ((size_t)p * k + r) * NR;
            for (int j = 0; j < NR; ++j) {
                const int c = p * NR + j;
                out[j] = c >= n ? (T)0
                       : transpose ? B[(size_t)c * ldb + r]
                                   : B[(size_t)r * ldb + c];
            }
        }
}

/* Row c[0 .. nc-1] (nc <= NR) into two vectors, zero-padded, and back. */
template<typename T>
static inline void fused_load_row(const T *c, int nc,
                                  typename fused_vec<T>::type &lo,
                                  typename fused_vec<T>::type &hi)
{
    const int W = fused_vec<T>::width;
    T row[2 * W] = {};
    memcpy(row, c, sizeof(T) * nc);
    memcpy(&lo, row, sizeof(lo));
    memcpy(&hi, row + W, sizeof(hi));
}
template<typename T>
static inline void fused_store_row(T *c, int nc,
                                   const typename fused_vec<T>::type &lo,
                                   const typename fused_vec<T>::type &hi)
{
    const int W = fused_vec<T>::width;
    T row[2 * W];
    memcpy(row, &lo, sizeof(lo));
    memcpy(row + W, &hi, sizeof(hi));
    memcpy(c, row, sizeof(T) * nc);
}

/* One block: rows 0..R-1 of C (leading dimension ldc) by columns 0..nc-1
   of one panel (nc <= NR): C = A panel, or C += A panel with accumulate
   (the accumulators then start from C). */
template<typename T, int R>
static inline void fused_block(int k, const T *A, int lda, const T *panel,
                               T *C, int ldc, int nc, bool accumulate)
{
    typedef typename fused_vec<T>::type vec;
    const int W = fused_vec<T>::width;
    const bool full = nc == 2 * W;
    vec lo[R], hi[R];
    for (int r = 0; r < R; ++r) {
        const T *c = C + (size_t)r * ldc;
        if (!accumulate) {
            lo[r] = hi[r] = vec{};
        } else if (full) {                  /* unaligned vector loads */
            memcpy(&lo[r], c, sizeof(vec));
            memcpy(&hi[r], c + W, sizeof(vec));
        } else {
            fused_load_row<T>(c, nc, lo[r], hi[r]);
        }
    }
    for (int i = 0; i < k; ++i) {
        vec b0, b1;
        memcpy(&b0, panel + (size_t)i * 2 * W, sizeof(vec));
        memcpy(&b1, panel + (size_t)i * 2 * W + W, sizeof(vec));
        for (int r = 0; r < R; ++r) {
            const T a = A[(size_t)r * lda + i];
            lo[r] += a * b0;
            hi[r] += a * b1;
        }
    }
    for (int r = 0; r < R; ++r) {
        T *c = C + (size_t)r * ldc;
        if (full) {
            memcpy(c, &lo[r], sizeof(vec));
            memcpy(c + W, &hi[r], sizeof(vec));
        } else {
            fused_store_row<T>(c, nc, lo[r], hi[r]);
        }
    }
}

/* C (m x n) = A (m x k) B, or C += A B with accumulate, where B was packed
   by fused_pack(B, ., k, n, ...).  A and C are row-major with leading
   dimensions lda and ldc. */
template<typename T>
static void fused_packed_product(int m, int n, int k, const T *A, int lda,
                                 const T *packed, T *C, int ldc,
                                 bool accumulate)
{
    const int NR = fused_vec<T>::panel;
    for (int p = 0; p * NR < n; ++p) {
        const T *panel = packed + (size_t)p * k * NR;
        const int nc = n - p * NR < NR ? n - p * NR : NR;
        T *Cp = C + p * NR;
        int i = 0;
        for (; i + FUSED_MR <= m; i += FUSED_MR)
            fused_block<T, FUSED_MR>(k, A + (size_t)i * lda, lda, panel,
                                     Cp + (size_t)i * ldc, ldc, nc,
                                     accumulate);
        for (; i < m; ++i)                  /* the last rows, one by one */
            fused_block<T, 1>(k, A + (size_t)i * lda, lda, panel,
                              Cp + (size_t)i * ldc, ldc, nc, accumulate);
    }
}

/* The number of threads OpenBLAS would use: $OPENBLAS_NUM_THREADS, else
   $OMP_NUM_THREADS, else the CPUs this process may run on. */
static int fused_thread_count(void)
{
    const char *names[] = {"OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS"};
    for (int i = 0; i < 2; ++i) {
        const char *value = getenv(names[i]);
        if (value != NULL && atoi(value) > 0)
            return atoi(value);
    }
    cpu_set_t cpus;
    if (sched_getaffinity(0, sizeof(cpus), &cpus) == 0 && CPU_COUNT(&cpus) > 0)
        return CPU_COUNT(&cpus);
    return 1;
}

/* Run work(first_row, end_row) over rows 0..rows-1 split into contiguous
   ranges, one per thread (the calling thread takes the first one); each
   range has at least FUSED_MR rows.  Where a thread cannot be started, its
   range runs in the calling thread. */
template<class Work>
static void fused_parallel(int rows, Work work)
{
    int n = fused_thread_count();
    if (n > rows / FUSED_MR)
        n = rows / FUSED_MR;
    if (n <= 1) {
        work(0, rows);
        return;
    }
    std::vector<std::thread> threads;
    for (int i = 1; i < n; ++i) {
        const int r0 = (int)((long)rows * i / n);
        const int r1 = (int)((long)rows * (i + 1) / n);
        try {
            threads.emplace_back(work, r0, r1);
        } catch (...) {
            work(r0, r1);
        }
    }
    work(0, (int)((long)rows / n));
    for (size_t i = 0; i < threads.size(); ++i)
        threads[i].join();
}

#endif  /* THEANO_RNN_FUSED_PACKED_H */
