/* theano_rnn/fused/csrc/gemm.h

   gemm_rowmajor(): row-major C = alpha A B + beta C on the Fortran BLAS.
   Uses sgemm_ and dgemm_ as Theano's blas_header_text() declares them
   (generated in Python: the support code puts it first, and the test that
   compiles this file on its own passes it with -include). */
#ifndef THEANO_RNN_FUSED_GEMM_H
#define THEANO_RNN_FUSED_GEMM_H

/* Row-major C (m x n) = alpha A (m x k) B (k x n) + beta C, all C-contiguous
   with leading dimensions lda, ldb, ldc (in elements).  Fortran BLAS is
   column-major, so compute C^T = B^T A^T instead.
   A and B are passed as non-const pointers on purpose: without a BLAS
   library (blas__ldflags empty) Theano defines [sd]gemm_ itself on top of
   NumPy, with non-const A and B -- in C++ an overload of the declared
   extern "C" function, which only a non-const argument selects. */
static inline void gemm_rowmajor(char trans_a, char trans_b, int m, int n,
                                 int k, float alpha, const float *A, int lda,
                                 const float *B, int ldb, float beta,
                                 float *C, int ldc)
{
    sgemm_(&trans_b, &trans_a, &n, &m, &k, &alpha, (float *)B, &ldb,
           (float *)A, &lda, &beta, C, &ldc);
}
static inline void gemm_rowmajor(char trans_a, char trans_b, int m, int n,
                                 int k, double alpha, const double *A, int lda,
                                 const double *B, int ldb, double beta,
                                 double *C, int ldc)
{
    dgemm_(&trans_b, &trans_a, &n, &m, &k, &alpha, (double *)B, &ldb,
           (double *)A, &lda, &beta, C, &ldc);
}

#endif  /* THEANO_RNN_FUSED_GEMM_H */
