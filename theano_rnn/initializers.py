"""Weight initialisers: NumPy arrays drawn from a ``numpy.random.RandomState``.

They follow Keras 2 (``glorot_uniform`` for input kernels, ``orthogonal`` for
recurrent kernels, ``uniform(-0.05, 0.05)`` for embeddings, ``zeros`` for
biases).  The random source defaults to NumPy's global generator, so
``np.random.seed(n)`` makes a model's initial weights repeat, as in Keras.
"""
import numpy as np
import theano


def _rng(rng):
    return np.random.mtrand._rand if rng is None else rng


def _floatx(array):
    return np.asarray(array, dtype=theano.config.floatX)


def zeros(shape, rng=None):
    """All zeros."""
    return _floatx(np.zeros(shape))


def ones(shape, rng=None):
    """All ones."""
    return _floatx(np.ones(shape))


def uniform(shape, rng=None, limit=0.05):
    """Uniform on ``[-limit, limit]`` (Keras's embedding default)."""
    return _floatx(_rng(rng).uniform(-limit, limit, size=shape))


def glorot_uniform(shape, rng=None):
    """Glorot & Bengio (2010): uniform on ``±sqrt(6 / (fan_in + fan_out))``.

    For a 2-D kernel ``(input_dim, k * units)`` the fans are its two sizes,
    exactly as Keras computes them for a stacked gate matrix.
    """
    fan_in, fan_out = shape[0], shape[-1]
    limit = np.sqrt(6.0 / (fan_in + fan_out))
    return _floatx(_rng(rng).uniform(-limit, limit, size=shape))


def orthogonal(shape, rng=None, gain=1.0):
    """Saxe et al. (2014): a (semi-)orthogonal matrix from the SVD of a
    standard normal one; for ``(units, k * units)`` its rows are orthonormal.
    """
    flat_shape = (shape[0], int(np.prod(shape[1:])))
    a = _rng(rng).normal(0.0, 1.0, flat_shape)
    u, _, v = np.linalg.svd(a, full_matrices=False)
    q = u if u.shape == flat_shape else v
    return _floatx(gain * q.reshape(shape))


_INITIALIZERS = {f.__name__: f for f in
                 (zeros, ones, uniform, glorot_uniform, orthogonal)}


def get(identifier, argument="initializer"):
    """Return the initialiser called ``identifier``, or a callable as is."""
    if callable(identifier):
        return identifier
    if isinstance(identifier, str) and identifier in _INITIALIZERS:
        return _INITIALIZERS[identifier]
    raise ValueError("%s: unknown initializer %r; expected one of %s or a "
                     "callable f(shape, rng)" % (
                         argument, identifier,
                         ", ".join(sorted(_INITIALIZERS))))


def serialize(initializer):
    """The name under which ``initializer`` can be looked up again."""
    name = getattr(initializer, "__name__", None)
    if _INITIALIZERS.get(name) is not initializer:
        raise ValueError("cannot serialize the custom initializer %r"
                         % (initializer,))
    return name
