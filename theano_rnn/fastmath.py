"""A ``tanh`` that Theano's fused element-wise loops can vectorise.

Profiling an LSTM step in theano-pymc shows the gate non-linearities, not
the recurrent matrix product, taking most of the time: Theano's ``tanh``
calls the C library's scalar ``tanhf`` for each element (about 14 ns), and a
loop with a library call in it cannot be vectorised.

:data:`fast_tanh` is an element-wise op whose C code, for ``float32``, is a
rational polynomial with no call in it (the approximation Eigen, and hence
TensorFlow, use for ``float32``): Theano fuses it into the surrounding
``Composite`` loops like any other scalar op, and GCC vectorises those loops.
It is accurate to 4e-7 absolute (``float32`` itself resolves 6e-8 near 1).
For ``float64`` it calls the exact ``tanh``, so float64 graphs are unchanged.
PyTensor's Numba and JAX linkers compute the same approximation
(:func:`_numba_tanh`, :func:`jax_tanh`).

:func:`fast_sigmoid` is ``0.5 + 0.5 * fast_tanh(x / 2)``, the logistic
function written through ``tanh``.

:func:`affine` is ``x W + b`` with a faster gradient for ``b``.
"""
import numpy as np
from .runtime import (T, UnaryScalarOp, register_jax, register_numba_scalar,
                      theano)

scalar = theano.scalar

# tanh(x) ~ x P(x^2) / Q(x^2) on [-CLAMP, CLAMP]; beyond it tanh(x) rounds
# to +-1 in float32.  Coefficients from Eigen's generic_fast_tanh_float.
CLAMP = 7.99881172180175781
NUMERATOR = (4.89352455891786e-03, 6.37261928875436e-04,
             1.48572235717979e-05, 5.12229709037114e-08,
             -8.60467152213735e-11, 2.00018790482477e-13,
             -2.76076847742355e-16)
DENOMINATOR = (4.89352518554385e-03, 2.26843463243900e-03,
               1.18534705686654e-04, 1.19825839466702e-06)


def _horner(variable, coefficients, suffix):
    """``c0 + v (c1 + v (c2 + ...))`` as a C expression."""
    expression = "%.17g%s" % (coefficients[-1], suffix)
    for c in reversed(coefficients[:-1]):
        expression = "(%.17g%s + %s * %s)" % (c, suffix, variable, expression)
    return expression


#: C definition of ``theano_rnn_tanhf``, shared with :mod:`theano_rnn.fused`.
C_SUPPORT_CODE = """
static inline float theano_rnn_tanhf(float x)
{
    /* Rational approximation of tanh, free of library calls. */
    const float c = %(clamp).9gf;
    float x2;
    x = x < -c ? -c : (x > c ? c : x);
    x2 = x * x;
    return x * %(numerator)s / %(denominator)s;
}
""" % {"clamp": CLAMP, "numerator": _horner("x2", NUMERATOR, "f"),
       "denominator": _horner("x2", DENOMINATOR, "f")}


def tanh_float32(x):
    """The same approximation in NumPy (float32), for Theano's Python path."""
    x = np.clip(np.asarray(x, dtype=np.float32), -CLAMP, CLAMP)
    x2 = x * x
    p = np.polyval(np.array(NUMERATOR[::-1], dtype=np.float32), x2)
    q = np.polyval(np.array(DENOMINATOR[::-1], dtype=np.float32), x2)
    return (x * p / q).astype(np.float32)


def _numba_tanh(dtype):
    """The scalar function Numba compiles for PyTensor's Numba linker: the
    approximation of :func:`tanh_float32` for float32, ``np.tanh``
    otherwise."""
    if dtype != "float32":
        def exact_tanh(x):
            return np.tanh(x)
        return exact_tanh
    f = np.float32
    clamp = f(CLAMP)
    p0, p1, p2, p3, p4, p5, p6 = [f(c) for c in NUMERATOR]
    q0, q1, q2, q3 = [f(c) for c in DENOMINATOR]

    def tanh(x):
        x = -clamp if x < -clamp else (clamp if x > clamp else x)
        x2 = x * x
        num = p0 + x2 * (p1 + x2 * (p2 + x2 * (p3 + x2 * (
            p4 + x2 * (p5 + x2 * p6)))))
        return x * num / (q0 + x2 * (q1 + x2 * (q2 + x2 * q3)))
    return tanh


def jax_tanh(x):
    """``fast_tanh`` of a JAX array: the approximation of
    :func:`tanh_float32` for float32, ``jnp.tanh`` otherwise."""
    import jax.numpy as jnp
    if x.dtype != jnp.float32:
        return jnp.tanh(x)
    f = np.float32
    x = jnp.clip(x, f(-CLAMP), f(CLAMP))
    x2 = x * x
    num = f(NUMERATOR[-1])
    for c in reversed(NUMERATOR[:-1]):
        num = f(c) + x2 * num
    den = f(DENOMINATOR[-1])
    for c in reversed(DENOMINATOR[:-1]):
        den = f(c) + x2 * den
    return x * num / den


class ScalarFastTanh(UnaryScalarOp):
    """Scalar ``tanh``: a call-free approximation for float32, exact
    otherwise.  Its gradient is ``1 - tanh(x)^2``.

    It has C code, NumPy code (``impl``) and, on PyTensor, a Numba
    implementation (:func:`_numba_tanh`) and a JAX one
    (:func:`jax_tanh`)."""

    nfunc_spec = None

    def impl(self, x):
        if np.asarray(x).dtype == np.float32:
            return tanh_float32(x)
        return np.tanh(x)

    def pullback(self, inputs, outputs, output_gradients):
        (x,), (gz,) = inputs, output_gradients
        return [gz * (1 - scalar.sqr(self(x)))]

    def c_support_code(self, **kwargs):
        return C_SUPPORT_CODE

    def c_code(self, node, name, inputs, outputs, sub):
        (x,), (z,) = inputs, outputs
        if node.inputs[0].type not in scalar.float_types:
            raise NotImplementedError("fast_tanh is for floating point inputs")
        if node.inputs[0].type == scalar.float32:
            return "%s = theano_rnn_tanhf(%s);" % (z, x)
        return "%s = tanh(%s);" % (z, x)

    def c_code_cache_version(self):
        return (1,)


scalar_fast_tanh = ScalarFastTanh(scalar.upgrade_to_float, name="fast_tanh")

#: Element-wise ``tanh`` that vectorises in float32 (see the module docs).
fast_tanh = T.elemwise.Elemwise(scalar_fast_tanh, name="fast_tanh")
register_numba_scalar(ScalarFastTanh, _numba_tanh)
register_jax(ScalarFastTanh, lambda op, node: jax_tanh)


def fast_sigmoid(x):
    """Logistic function as ``0.5 + 0.5 tanh(x / 2)``, through :data:`fast_tanh`."""
    return 0.5 + 0.5 * fast_tanh(0.5 * x)



def affine(x, W, b):
    """``x W + b`` over the last axis of ``x``, with a fast gradient for ``b``.

    Written as ``[x, 1] · [W; b]``: the bias is the last row of the weight
    matrix and the ones column of the input, so one matrix product computes
    ``x W + b`` and the product for the weight gradient also yields the bias
    gradient.  The plain ``T.dot(x, W) + b`` leaves the bias gradient to a
    float64-accumulating ``Sum`` that takes about 8 ms for a (100, 32, 512)
    float32 gradient -- more than the rest of the projection's gradient.
    """
    return T.dot(*affine_factors(x, W, b))


def affine_factors(x, W, b):
    """The two factors ``[x, 1]`` and ``[W; b]`` of :func:`affine`, for an
    op that computes the product itself (the fused LSTM)."""
    ones = T.ones_like(x[..., :1])
    return (T.concatenate([x, ones], axis=-1),
            T.concatenate([W, b.dimshuffle('x', 0)], axis=0))
