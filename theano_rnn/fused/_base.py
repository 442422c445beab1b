"""What the fused recurrences share: BLAS linkage and C helpers.

Every fused recurrence is a :class:`FusedRecurrenceOp`: a Theano ``COp``
whose C code loops over time itself and calls BLAS ``gemm`` for ``h U`` at
each step, so the Python loop of ``theano.scan`` disappears.  This module
gives them

* the BLAS linkage Theano's own ``Gemm`` uses (``-lopenblas`` or NumPy's
  fallback, whatever :mod:`theano_rnn.runtime` configured);
* C++ helpers, templated on the element type, so one loop serves ``float32``
  and ``float64``: ``gemm_rowmajor`` (row-major ``C = alpha A B + beta C``
  on top of the column-major Fortran BLAS) and the activations with their
  derivatives written in terms of the activation's *output*;
* :func:`c_dtype`, the C type name of a Theano dtype.
"""
from theano.graph.op import COp
from theano.tensor.blas import ldflags
from theano.tensor.blas_headers import blas_header_text, blas_header_version

from ..fastmath import C_SUPPORT_CODE as _FAST_TANH

#: Activations the fused C code implements; other ones fall back to scan.
ACTIVATIONS = ("tanh", "sigmoid", "hard_sigmoid", "linear", "relu")

_SUPPORT = r"""
/* Row-major C (m x n) = alpha A (m x k) B (k x n) + beta C, all C-contiguous
   with leading dimensions lda, ldb, ldc (in elements).  Fortran BLAS is
   column-major, so compute C^T = B^T A^T instead. */
static inline void gemm_rowmajor(char trans_a, char trans_b, int m, int n,
                                 int k, float alpha, const float *A, int lda,
                                 const float *B, int ldb, float beta,
                                 float *C, int ldc)
{
    sgemm_(&trans_b, &trans_a, &n, &m, &k, &alpha, B, &ldb, A, &lda,
           &beta, C, &ldc);
}
static inline void gemm_rowmajor(char trans_a, char trans_b, int m, int n,
                                 int k, double alpha, const double *A, int lda,
                                 const double *B, int ldb, double beta,
                                 double *C, int ldc)
{
    dgemm_(&trans_b, &trans_a, &n, &m, &k, &alpha, B, &ldb, A, &lda,
           &beta, C, &ldc);
}

/* Activations (of a pre-activation x) and their derivatives expressed
   through the output y = act(x).  tanh in float32 is the call-free
   approximation of theano_rnn.fastmath, exactly as the scan path computes
   it; in float64 the exact tanh. */
static inline float rnn_tanh(float x) { return theano_rnn_tanhf(x); }
static inline double rnn_tanh(double x) { return tanh(x); }
template<typename T> static inline T rnn_sigmoid(T x)
{ return (T)0.5 + (T)0.5 * rnn_tanh((T)0.5 * x); }
template<typename T> static inline T rnn_hard_sigmoid(T x)
{ T y = (T)0.2 * x + (T)0.5; return y < 0 ? 0 : (y > 1 ? 1 : y); }

template<typename T> static inline T d_tanh(T y) { return 1 - y * y; }
template<typename T> static inline T d_sigmoid(T y) { return y * (1 - y); }
template<typename T> static inline T d_hard_sigmoid(T y)
{ return (y > 0 && y < 1) ? (T)0.2 : (T)0; }
template<typename T> static inline T rnn_linear(T x) { return x; }
template<typename T> static inline T d_linear(T y) { return 1; }
template<typename T> static inline T rnn_relu(T x) { return x > 0 ? x : 0; }
template<typename T> static inline T d_relu(T y) { return y > 0 ? 1 : 0; }
"""


def c_dtype(dtype):
    """The C type of a Theano float dtype ('float32' -> 'float')."""
    try:
        return {"float32": "float", "float64": "double"}[dtype]
    except KeyError:
        raise TypeError("the fused recurrences support float32 and float64, "
                        "got %s" % dtype)


class FusedRecurrenceOp(COp):
    """Base class of the fused recurrence ops: BLAS linkage and support code.

    Subclasses add their own C in ``c_support_code`` by calling
    ``super().c_support_code()`` first, and bump ``code_version``.
    """

    code_version = (1,)

    def c_support_code(self, **kwargs):
        return blas_header_text() + _FAST_TANH + _SUPPORT

    def c_headers(self, **kwargs):
        return ["<math.h>", "<string.h>"]

    def c_libraries(self, **kwargs):
        return ldflags()

    def c_compile_args(self, **kwargs):
        return ldflags(libs=False, flags=True)

    def c_lib_dirs(self, **kwargs):
        return ldflags(libs=False, libs_dir=True)

    def c_header_dirs(self, **kwargs):
        return ldflags(libs=False, include_dir=True)

    def c_code_cache_version(self):
        return self.code_version + (2,) + blas_header_version()
