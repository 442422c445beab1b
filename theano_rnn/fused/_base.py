"""What the fused recurrences share: BLAS linkage and C helpers.

Every fused recurrence is a :class:`FusedRecurrenceOp`: a Theano ``COp``
whose C code loops over time itself, with the per-step product ``h U`` of
:mod:`theano_rnn.fused.packed` and the batch split across threads, so the
Python loop of ``theano.scan`` disappears.  This module gives them

* the BLAS linkage Theano's own ``Gemm`` uses (``-lopenblas`` or NumPy's
  fallback, whatever :mod:`theano_rnn.runtime` configured), for the large
  products after a loop, and the packed product and thread split;
* C++ helpers, templated on the element type, so one loop serves ``float32``
  and ``float64``: ``gemm_rowmajor`` (row-major ``C = alpha A B + beta C``
  on top of the column-major Fortran BLAS) and the activations with their
  derivatives written in terms of the activation's *output*;
* :func:`c_dtype`, the C type name of a Theano dtype;
* for the SimpleRNN, LSTM and GRU loops, :class:`FusedLoopOp` (their Python
  side: optional inputs and outputs, the call of one templated C++ function)
  with its C++ helpers (``HELPERS_C``: C-contiguous inputs, shape checks,
  reused output buffers, activations as functor classes) and the NumPy
  versions of the activations for ``perform``.
"""
import numpy as np
import theano
import theano.tensor as T
from theano.gradient import DisconnectedType
from theano.graph.op import COp
from theano.tensor.blas import ldflags
from theano.tensor.blas_headers import blas_header_text, blas_header_version

from ..fastmath import C_SUPPORT_CODE as _FAST_TANH
from ..fastmath import tanh_float32
from . import packed

#: Activations the fused C code implements; other ones fall back to scan.
ACTIVATIONS = ("tanh", "sigmoid", "hard_sigmoid", "linear", "relu")

#: C: ``format_shape(buf, size, a)`` writes the shape of ``a`` as Python
#: prints a tuple, "(2, 3)" or "(5,)", for the ops' shape errors.
FORMAT_SHAPE_C = r"""
static void format_shape(char *buf, size_t size, PyArrayObject *a)
{
    int n = snprintf(buf, size, "(");
    for (int k = 0; k < PyArray_NDIM(a) && n < (int)size; ++k)
        n += snprintf(buf + n, size - n, k ? ", %ld" : "%ld",
                      (long)PyArray_DIMS(a)[k]);
    if (n < (int)size)
        snprintf(buf + n, size - n, PyArray_NDIM(a) == 1 ? ",)" : ")");
}
"""

_SUPPORT = r"""
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
        return (blas_header_text() + _FAST_TANH + FORMAT_SHAPE_C + _SUPPORT
                + packed.PACKED_PRODUCT_C)

    def c_headers(self, **kwargs):
        return ["<math.h>", "<string.h>"] + packed.HEADERS

    def c_libraries(self, **kwargs):
        return ldflags()

    def c_compile_args(self, **kwargs):
        return ldflags(libs=False, flags=True) + ["-pthread"]

    def c_lib_dirs(self, **kwargs):
        return ldflags(libs=False, libs_dir=True)

    def c_header_dirs(self, **kwargs):
        return ldflags(libs=False, include_dir=True)

    def c_code_cache_version(self):
        return self.code_version + (9,) + blas_header_version()


# ---------------------------------------------------------------------------
# The loop ops of the SimpleRNN, the LSTM and the GRU: what they share
# ---------------------------------------------------------------------------

#: C++ shared by the loop ops: input and output handling and
#: the activations as functor classes, so that a loop can be a template on
#: its activations and the compiler inlines them into vectorised loops.
HELPERS_C = r"""
/* ---- theano_rnn.fused._base: helpers of the loop ops ---- */

/* An input as a C-contiguous, aligned array: the array itself when it is
   one already (a new reference), a copy otherwise; released at the end of
   the scope.  A NULL input (an absent optional input) stays NULL. */
struct FusedInput
{
    PyArrayObject *array;
    bool failed;
    explicit FusedInput(PyArrayObject *a) : array(NULL), failed(false)
    {
        if (a != NULL) {
            array = (PyArrayObject *)PyArray_FROM_OF((PyObject *)a,
                                                     NPY_ARRAY_IN_ARRAY);
            failed = (array == NULL);
        }
    }
    ~FusedInput() { Py_XDECREF(array); }
    template<typename T> const T *data() const
    { return array == NULL ? NULL : (const T *)PyArray_DATA(array); }
    npy_intp dim(int i) const { return PyArray_DIMS(array)[i]; }
private:
    FusedInput(const FusedInput &);
    FusedInput &operator=(const FusedInput &);
};

/* 0 when `a` has `nd` dimensions of the `expected` sizes (-1: any size);
   otherwise -1 with a ValueError such as
   "FusedGRU: h0 has shape (4, 3), expected (4, 5)". */
static int fused_check_shape(const char *op, const char *what,
                             PyArrayObject *a, int nd,
                             const npy_intp *expected)
{
    bool ok = PyArray_NDIM(a) == nd;
    for (int i = 0; ok && i < nd; ++i)
        ok = expected[i] < 0 || PyArray_DIMS(a)[i] == expected[i];
    if (ok)
        return 0;
    char got[160], want[160] = "";
    int n_want = 0;
    format_shape(got, sizeof(got), a);
    for (int i = 0; i < nd && n_want < 120; ++i) {
        if (expected[i] < 0)
            n_want += snprintf(want + n_want, sizeof(want) - n_want, "%s?",
                               i ? ", " : "");
        else
            n_want += snprintf(want + n_want, sizeof(want) - n_want, "%s%ld",
                               i ? ", " : "", (long)expected[i]);
    }
    if (nd == 1)
        snprintf(want + n_want, sizeof(want) - n_want, ",");
    PyErr_Format(PyExc_ValueError, "%s: %s has shape %s, expected (%s)",
                 op, what, got, want);
    return -1;
}

/* The recurrent input h_{t-1} * rmask of elements lo .. hi-1 (a thread's
   rows): written into the same elements of buffer, which is returned; h
   itself without a recurrent mask (rm NULL). */
template<typename T>
static inline const T *fused_masked_state(const T *h, const T *rm,
                                          T *buffer, size_t lo, size_t hi)
{
    if (rm == NULL)
        return h;
    for (size_t k = lo; k < hi; ++k)
        buffer[k] = h[k] * rm[k];
    return buffer;
}

/* The sizes of hs (n_steps + 1, batch, units), a state sequence whose
   first entry is the initial state: 0, or -1 with a ValueError when hs is
   not 3-D or has no entry at all. */
static int fused_state_sizes(const char *op, PyArrayObject *hs,
                             npy_intp *n_steps, npy_intp *batch,
                             npy_intp *units)
{
    const npy_intp any3[3] = {-1, -1, -1};
    if (fused_check_shape(op, "hs", hs, 3, any3))
        return -1;
    if (PyArray_DIMS(hs)[0] < 1) {
        PyErr_Format(PyExc_ValueError, "%s: hs has no initial state", op);
        return -1;
    }
    *n_steps = PyArray_DIMS(hs)[0] - 1;
    *batch = PyArray_DIMS(hs)[1];
    *units = PyArray_DIMS(hs)[2];
    return 0;
}

/* Make *out a C-contiguous array of shape `dims` and type `typenum`, keeping
   the one of the previous call when it already is one (no allocation in the
   steady state).  0 on success, -1 with a MemoryError. */
static int fused_output(PyArrayObject **out, int nd, const npy_intp *dims,
                        int typenum)
{
    PyArrayObject *a = *out;
    if (a != NULL && PyArray_NDIM(a) == nd && PyArray_TYPE(a) == typenum &&
            PyArray_IS_C_CONTIGUOUS(a) && PyArray_ISALIGNED(a) &&
            PyArray_ISWRITEABLE(a)) {
        bool same = true;
        for (int i = 0; i < nd; ++i)
            same = same && PyArray_DIMS(a)[i] == dims[i];
        if (same)
            return 0;
    }
    Py_XDECREF(a);
    *out = (PyArrayObject *)PyArray_EMPTY(nd, (npy_intp *)dims, typenum, 0);
    return *out == NULL ? -1 : 0;
}

/* The activations of _base as classes: f(x) the activation, df(y) its
   derivative through the output y = f(x). */
#define FUSED_ACTIVATION(NAME)                                              \
    template<typename T> struct fused_act_##NAME {                          \
        static inline T f(T x) { return rnn_##NAME(x); }                   \
        static inline T df(T y) { return d_##NAME(y); }                    \
    };
FUSED_ACTIVATION(tanh)
FUSED_ACTIVATION(sigmoid)
FUSED_ACTIVATION(hard_sigmoid)
FUSED_ACTIVATION(linear)
FUSED_ACTIVATION(relu)
#undef FUSED_ACTIVATION
"""


def c_activation(name, ctype):
    """The C++ class of activation ``name`` for element type ``ctype``."""
    if name not in ACTIVATIONS:
        raise ValueError("no C implementation of the activation %r" % name)
    return "fused_act_%s<%s>" % (name, ctype)


def np_activation(name, x):
    """Activation ``name`` in NumPy, in the dtype of ``x``, computing what
    the C code computes (float32 ``tanh``: the approximation of
    :mod:`theano_rnn.fastmath`)."""
    dtype = x.dtype.type
    if name == "tanh":
        return tanh_float32(x) if x.dtype == np.float32 else np.tanh(x)
    if name == "sigmoid":
        return dtype(0.5) + dtype(0.5) * np_activation("tanh", dtype(0.5) * x)
    if name == "hard_sigmoid":
        return np.clip(dtype(0.2) * x + dtype(0.5), 0, 1).astype(x.dtype)
    if name == "relu":
        return np.maximum(x, 0)
    if name == "linear":
        return x.copy()
    raise ValueError("unknown activation %r" % name)


def np_activation_grad(name, y):
    """The derivative of activation ``name`` through its output ``y``."""
    dtype = y.dtype.type
    if name == "tanh":
        return 1 - y * y
    if name == "sigmoid":
        return y * (1 - y)
    if name == "hard_sigmoid":
        return np.where((y > 0) & (y < 1), dtype(0.2), dtype(0))
    if name == "relu":
        return (y > 0).astype(y.dtype)
    if name == "linear":
        return np.ones_like(y)
    raise ValueError("unknown activation %r" % name)


def np_check_shapes(op, shapes):
    """Raise the ValueError of the C code if an array has a wrong shape.

    ``shapes`` maps a name to ``(array or None, expected shape)``, ``None``
    in the expected shape standing for any size."""
    for name, (array, expected) in shapes.items():
        if array is None:
            continue
        ok = array.ndim == len(expected) and all(
            e is None or s == e for s, e in zip(array.shape, expected))
        if not ok:
            raise ValueError("%s: %s has shape (%s), expected (%s)" % (
                type(op).__name__, name, ", ".join(map(str, array.shape)),
                ", ".join("?" if e is None else str(e) for e in expected)))


def np_keep(mask, t, n_rows):
    """Rows of step ``t`` that are real steps: a (batch, 1) boolean array."""
    if mask is None:
        return np.ones((n_rows, 1), dtype=bool)
    return (mask[t] != 0)[:, None]


def as_tensors(dtype, *variables):
    """Each variable as a tensor of ``dtype`` with no broadcastable
    dimension (``None`` stays ``None``): a batch or a ``units`` of one must
    not change the op's types, and the gradient of a cast or an unbroadcast
    is Theano's business."""
    result = []
    for v in variables:
        if v is not None:
            v = T.as_tensor_variable(v)
            if v.dtype != dtype:
                v = T.cast(v, dtype)
            if any(v.broadcastable):
                v = T.unbroadcast(v, *range(v.ndim))
        result.append(v)
    return result


def common_dtype(*variables):
    """The float dtype the op computes in: the upcast of its float inputs."""
    return theano.scalar.upcast(*[T.as_tensor_variable(v).dtype
                                  for v in variables])


def tensor(dtype, ndim):
    """A tensor type of ``ndim`` non-broadcastable dimensions."""
    return T.TensorType(dtype, (False,) * ndim)()


def output_gradient(gradient, output):
    """An output gradient, with a disconnected one read as zeros."""
    if isinstance(gradient.type, DisconnectedType):
        return T.zeros_like(output)
    return gradient


def check_internal_gradients(op, gradients):
    """The saved-for-backward outputs are internal: nothing of the user's
    may depend on them, so their gradients must be disconnected."""
    for g in gradients:
        if not isinstance(g.type, DisconnectedType):
            raise NotImplementedError(
                "%s: the gradient through the internal outputs (saved for "
                "the backward pass) is not implemented; use hs only" % op)


def flat(x):
    """A (T, B, n) tensor as the (T * B, n) matrix of its rows."""
    return x.reshape((-1, x.shape[-1]))


class FusedLoopOp(FusedRecurrenceOp):
    """What the SimpleRNN, LSTM and GRU ops share.

    The C code of every op is one call of a templated C++ function in
    ``c_support_code``::

        if (fused_gru_forward<float, fused_act_hard_sigmoid<float>,
                              fused_act_tanh<float> >(xw, h0, U, NULL, NULL,
                                                      &hs, &gates, &rh) != 0)
            fail;

    which takes every possible input (``NULL`` for an absent optional one)
    and the address of every possible output, reuses the output buffers of
    the previous call when their shapes match, and returns -1 with a Python
    exception set on error.  Subclasses give

    * ``input_names`` / ``output_names``: all possible arguments, in the C
      function's order; ``optional_inputs`` / ``optional_outputs`` map a name
      to the property saying whether it is present;
    * ``c_function``: the C++ function name;
    * ``activation_props``: the properties naming the activations, in the
      function's template order;
    * ``c_support_code_own``: the C++ of the op (shared by its forward and
      backward op, so that a module holding both includes it once).
    """

    __props__ = ()
    input_names = output_names = ()
    optional_inputs = optional_outputs = {}
    c_function = None
    activation_props = ()
    c_support_code_own = ""

    def __init__(self, **props):
        missing = [name for name in self.__props__ if name not in props]
        if missing:
            raise TypeError("%s: missing properties %s"
                            % (type(self).__name__, missing))
        for name in self.__props__:
            setattr(self, name, props.pop(name))
        if props:
            raise TypeError("%s: unknown properties %s"
                            % (type(self).__name__, sorted(props)))
        for name in self.activation_props:
            if getattr(self, name) not in ACTIVATIONS:
                raise ValueError("%s: %s %r has no C implementation"
                                 % (type(self).__name__, name,
                                    getattr(self, name)))

    def _present(self, names, optional):
        return [n for n in names
                if n not in optional or getattr(self, optional[n])]

    @property
    def present_inputs(self):
        return self._present(self.input_names, self.optional_inputs)

    @property
    def present_outputs(self):
        return self._present(self.output_names, self.optional_outputs)

    def named_inputs(self, values):
        """``{name: value}`` for every possible input, ``None`` when absent."""
        result = dict.fromkeys(self.input_names)
        result.update(zip(self.present_inputs, values))
        return result

    def named_outputs(self, values):
        """``{name: value}`` for every possible output, ``None`` if absent."""
        result = dict.fromkeys(self.output_names)
        result.update(zip(self.present_outputs, values))
        return result

    def check_inputs(self, inputs):
        """``inputs``, if they are as many as the present inputs."""
        if len(inputs) != len(self.present_inputs):
            raise TypeError("%s takes %d inputs (%s), got %d"
                            % (self, len(self.present_inputs),
                               ", ".join(self.present_inputs), len(inputs)))
        return inputs

    # -- C ------------------------------------------------------------------
    def c_support_code(self, **kwargs):
        # A list: Theano includes each distinct string once per module.
        return [super(FusedLoopOp, self).c_support_code(**kwargs), HELPERS_C,
                self.c_support_code_own]

    def c_code(self, node, name, inputs, outputs, sub):
        ctype = c_dtype(node.outputs[0].dtype)
        template = [ctype] + [c_activation(getattr(self, p), ctype)
                              for p in self.activation_props]
        given_in = self.named_inputs(inputs)
        given_out = self.named_outputs(outputs)
        arguments = ([given_in[n] or "NULL" for n in self.input_names] +
                     ["&" + given_out[n] if given_out[n] else "NULL"
                      for n in self.output_names])
        # Braces: Theano's generated code jumps (goto) over this block.
        return """
        {
            if (%(function)s<%(template)s >(%(arguments)s) != 0) {
                %(fail)s
            }
        }
        """ % {"function": self.c_function, "template": ", ".join(template),
               "arguments": ",\n                ".join(arguments),
               "fail": sub["fail"]}
