"""The per-step product ``h U`` of the fused loops, and their threads.

Why not one BLAS call per step
------------------------------
A recurrence multiplies a small ``(batch, units)`` matrix by the same
recurrent matrix ``U`` at every step.  BLAS ``gemm`` copies ("packs") both
operands into its internal layout on every call, so a loop of 100 calls packs
``U`` 100 times; for 32 x 128 times 128 x 512 that packing and the call
overhead cost more than the arithmetic.  Measured on the 2-core development
machine, one thread, float32 (``OPENBLAS_CORETYPE=Haswell``, as it is set
there):

============================  =============  ==============
product (m x k times k x n)   OpenBLAS gemm  packed product
============================  =============  ==============
16 x 128 times 128 x 512      25.7 us        8.6 us
32 x 128 times 128 x 512      42.9 us        17.1 us
32 x 512 times 512 x 128      41.6 us        16.9 us
============================  =============  ==============

So the fused ops pack ``U`` (or ``U^T`` for the backward pass) once per call,
with :c:func:`fused_pack`, into panels of ``NR`` columns: panel ``p`` holds
columns ``p*NR .. p*NR+NR-1`` of every row, row after row, zero-padded at the
right edge.  :c:func:`fused_packed_product` then computes ``C = A B`` (or
``C += A B``) block by block: a block of ``MR`` rows of ``C`` by one panel is
``MR x 2`` SIMD vectors kept in registers while ``k`` runs, each step loading
two vectors of the panel and broadcasting one element of ``A`` per row.  The
vectors are GCC vector extensions of 64 bytes (16 floats, 8 doubles), which
GCC maps to whatever the compiler targets -- Theano compiles with
``-march`` of the machine, so one AVX-512 register each where there is
AVX-512, two AVX registers otherwise.  ``MR`` is 8 with AVX-512 (16
accumulators of the 32 registers) and 2 otherwise (8 of the 16).

Threads
-------
The rows of a batch are independent through the whole recurrence, so the
loops split the batch across threads once per call (:c:func:`fused_parallel`)
and each thread runs every step for its rows: no synchronisation between
steps, unlike a multi-threaded BLAS call per step, whose threads wait for
each other 100 times per pass and degrade badly when another process takes a
core.  The number of threads is what OpenBLAS would use:
``$OPENBLAS_NUM_THREADS``, else ``$OMP_NUM_THREADS``, else the CPUs the
process may run on; each thread gets at least ``MR`` rows.
"""

#: Headers the C++ below needs.
HEADERS = ["<thread>", "<vector>", "<sched.h>", "<stdlib.h>"]

#: C++ of the packed product and of the thread split, part of every fused
#: op's support code (see :class:`theano_rnn.fused._base.FusedRecurrenceOp`).
PACKED_PRODUCT_C = r"""
/* ---- theano_rnn.fused.packed: the per-step product and the threads ---- */

/* FUSED_MR: the rows of C in one register block.  A definition on the
   compiler's command line (-DFUSED_MR=3) overrides the choice below; the
   tests use it to check other block shapes than this machine's. */
#ifndef FUSED_MR
#ifdef __AVX512F__
#define FUSED_MR 8
#else
#define FUSED_MR 2
#endif
#endif

/* A SIMD vector of 64 bytes of T and the panel width NR (two vectors). */
template<typename T> struct fused_vec {
    typedef T type __attribute__((vector_size(64)));
    enum { width = 64 / sizeof(T), panel = 2 * (64 / sizeof(T)) };
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
"""
