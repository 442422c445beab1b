"""Weight initialisers: NumPy arrays drawn from a ``numpy.random.RandomState``.

Every initialiser is a callable ``f(shape, rng=None)`` returning a floatX
array.  The set is Keras 2.3.1's, under Keras's names:

* classes, configurable and serialised as ``{'class_name': ..., 'config':
  ...}`` like Keras's: :class:`Zeros`, :class:`Ones`, :class:`Constant`,
  :class:`RandomNormal`, :class:`RandomUniform`, :class:`TruncatedNormal`,
  :class:`VarianceScaling`, :class:`Orthogonal`, :class:`Identity`;
* named functions, serialised by name: ``zeros``, ``ones``, ``uniform``,
  ``normal``, ``glorot_uniform``, ``glorot_normal``, ``he_uniform``,
  ``he_normal``, ``lecun_uniform``, ``lecun_normal``, ``orthogonal``,
  ``identity``.  Called with a shape they draw; the variance-scaling ones
  called without one (Keras 2's ``he_normal(seed=None)``) return the
  configured :class:`VarianceScaling`;
* Keras's other spellings as aliases (``zero``, ``one``, ``constant``,
  ``random_normal``, ``random_uniform``, ``truncated_normal``; Keras 1's
  ``normal``/``uniform`` are ``N(0, 0.05)``/``U(-0.05, 0.05)`` as in both
  Kerases).

Defaults follow Keras 2 (``glorot_uniform`` for input kernels,
``orthogonal`` for recurrent kernels, ``uniform(-0.05, 0.05)`` for
embeddings, ``zeros`` for biases).  The random source is the ``rng``
argument, else the initialiser's ``seed``, else NumPy's global generator, so
``np.random.seed(n)`` makes a model's initial weights repeat, as in Keras.

Fans (Keras's ``_compute_fans``): a 2-D ``(fan_in, fan_out)`` kernel; a 3-
to 5-D convolution kernel ``(..., in, out)`` multiplies both by the
receptive field; any other rank uses ``sqrt(size)`` for both.
"""
import inspect

import numpy as np
from .runtime import theano


def _rng(rng, seed=None):
    if rng is not None:
        return rng
    if seed is not None:
        return np.random.RandomState(seed)
    return np.random.mtrand._rand


def _floatx(array):
    return np.asarray(array, dtype=theano.config.floatX)


def compute_fans(shape):
    """``(fan_in, fan_out)`` of a weight of ``shape``, as Keras computes
    them."""
    shape = tuple(shape)
    if len(shape) == 2:
        return shape[0], shape[1]
    if len(shape) in (3, 4, 5):
        receptive_field = int(np.prod(shape[:-2]))
        return shape[-2] * receptive_field, shape[-1] * receptive_field
    size = np.sqrt(np.prod(shape))
    return size, size


def _truncated_normal(rng, mean, stddev, shape):
    """Normal draws, those beyond two standard deviations drawn again."""
    values = rng.normal(0.0, 1.0, size=shape)
    outside = np.abs(values) > 2
    while outside.any():
        values[outside] = rng.normal(0.0, 1.0, size=int(outside.sum()))
        outside = np.abs(values) > 2
    return mean + stddev * values


class Initializer(object):
    """Base class of the configurable initialisers."""

    def __call__(self, shape, rng=None):
        raise NotImplementedError

    def get_config(self):
        return {}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        return "%s(%s)" % (type(self).__name__, ", ".join(
            "%s=%r" % item for item in sorted(self.get_config().items())))


class Zeros(Initializer):
    """All zeros."""

    def __call__(self, shape, rng=None):
        return _floatx(np.zeros(shape))


class Ones(Initializer):
    """All ones."""

    def __call__(self, shape, rng=None):
        return _floatx(np.ones(shape))


class Constant(Initializer):
    """Every entry ``value``."""

    def __init__(self, value=0):
        self.value = value

    def __call__(self, shape, rng=None):
        return _floatx(np.full(shape, self.value))

    def get_config(self):
        value = self.value
        return {"value": value.tolist() if isinstance(value, np.ndarray)
                else value}


class RandomNormal(Initializer):
    """Normal ``N(mean, stddev^2)``."""

    def __init__(self, mean=0.0, stddev=0.05, seed=None):
        self.mean, self.stddev, self.seed = mean, stddev, seed

    def __call__(self, shape, rng=None):
        return _floatx(_rng(rng, self.seed).normal(self.mean, self.stddev,
                                                   size=shape))

    def get_config(self):
        return {"mean": self.mean, "stddev": self.stddev, "seed": self.seed}


class RandomUniform(Initializer):
    """Uniform on ``[minval, maxval)``."""

    def __init__(self, minval=-0.05, maxval=0.05, seed=None):
        self.minval, self.maxval, self.seed = minval, maxval, seed

    def __call__(self, shape, rng=None):
        return _floatx(_rng(rng, self.seed).uniform(self.minval, self.maxval,
                                                    size=shape))

    def get_config(self):
        return {"minval": self.minval, "maxval": self.maxval,
                "seed": self.seed}


class TruncatedNormal(Initializer):
    """Normal ``N(mean, stddev^2)`` restricted to ``mean ± 2 stddev`` (values
    outside are drawn again)."""

    def __init__(self, mean=0.0, stddev=0.05, seed=None):
        self.mean, self.stddev, self.seed = mean, stddev, seed

    def __call__(self, shape, rng=None):
        return _floatx(_truncated_normal(_rng(rng, self.seed), self.mean,
                                         self.stddev, shape))

    def get_config(self):
        return {"mean": self.mean, "stddev": self.stddev, "seed": self.seed}


_MODES = ("fan_in", "fan_out", "fan_avg")
_DISTRIBUTIONS = ("normal", "uniform")


class VarianceScaling(Initializer):
    """Weights of variance ``scale / n``, ``n`` being the ``mode``'s fan
    (``fan_in``, ``fan_out`` or their average ``fan_avg``).

    ``distribution='normal'``: a normal truncated at two standard deviations,
    of standard deviation ``sqrt(scale / n) / 0.8796`` (0.8796 is the
    standard deviation of a standard normal truncated there, so the variance
    comes out as ``scale / n``); ``'uniform'``: ``U(-limit, limit)``,
    ``limit = sqrt(3 scale / n)``.
    """

    def __init__(self, scale=1.0, mode="fan_in", distribution="normal",
                 seed=None):
        if not scale > 0:
            raise ValueError("VarianceScaling: scale must be a positive "
                             "number, got %r" % (scale,))
        if mode not in _MODES:
            raise ValueError("VarianceScaling: mode must be one of %s, got "
                             "%r" % (", ".join(_MODES), mode))
        distribution = str(distribution).lower()
        if distribution not in _DISTRIBUTIONS:
            raise ValueError("VarianceScaling: distribution must be 'normal' "
                             "or 'uniform', got %r" % (distribution,))
        self.scale, self.mode = scale, mode
        self.distribution, self.seed = distribution, seed

    def __call__(self, shape, rng=None):
        fan_in, fan_out = compute_fans(shape)
        n = {"fan_in": fan_in, "fan_out": fan_out,
             "fan_avg": (fan_in + fan_out) / 2.0}[self.mode]
        variance = self.scale / max(1.0, n)
        rng = _rng(rng, self.seed)
        if self.distribution == "normal":
            stddev = np.sqrt(variance) / 0.87962566103423978
            return _floatx(_truncated_normal(rng, 0.0, stddev, shape))
        limit = np.sqrt(3.0 * variance)
        return _floatx(rng.uniform(-limit, limit, size=shape))

    def get_config(self):
        return {"scale": self.scale, "mode": self.mode,
                "distribution": self.distribution, "seed": self.seed}


class Orthogonal(Initializer):
    """Saxe et al. (2014): a (semi-)orthogonal matrix from the SVD of a
    standard normal one, times ``gain``; for ``(units, k * units)`` its rows
    are orthonormal.  Higher ranks are flattened to
    ``(shape[0], prod(shape[1:]))``."""

    def __init__(self, gain=1.0, seed=None):
        self.gain, self.seed = gain, seed

    def __call__(self, shape, rng=None):
        flat_shape = (shape[0], int(np.prod(shape[1:])))
        a = _rng(rng, self.seed).normal(0.0, 1.0, flat_shape)
        u, _, v = np.linalg.svd(a, full_matrices=False)
        q = u if u.shape == flat_shape else v
        return _floatx(self.gain * q.reshape(shape))

    def get_config(self):
        return {"gain": self.gain, "seed": self.seed}


class Identity(Initializer):
    """``gain`` times the identity matrix (2-D only; a non-square matrix gets
    zero rows or columns), e.g. the recurrent kernel of an IRNN (Le et al.,
    2015)."""

    def __init__(self, gain=1.0):
        self.gain = gain

    def __call__(self, shape, rng=None):
        if len(shape) != 2:
            raise ValueError("Identity initializer: only 2-D weights have an "
                             "identity matrix, got shape %s" % (tuple(shape),))
        return _floatx(self.gain * np.eye(shape[0], shape[1]))

    def get_config(self):
        return {"gain": self.gain}


# --- named functions ---------------------------------------------------------

def zeros(shape, rng=None):
    """All zeros."""
    return Zeros()(shape, rng)


def ones(shape, rng=None):
    """All ones."""
    return Ones()(shape, rng)


# Keras 1's signatures (``uniform(shape, scale=0.05, name=None,
# dim_ordering='th')``...) are accepted too: ``scale`` is the limit, standard
# deviation or gain, ``name`` and ``dim_ordering`` are ignored.

def uniform(shape, rng=None, limit=0.05, scale=None, name=None,
            dim_ordering=None):
    """Uniform on ``[-limit, limit]`` (Keras's embedding default)."""
    limit = limit if scale is None else scale
    return RandomUniform(-limit, limit)(shape, rng)


def normal(shape, rng=None, stddev=0.05, scale=None, name=None,
           dim_ordering=None):
    """Normal ``N(0, stddev^2)`` (Keras 1's ``normal``)."""
    return RandomNormal(0.0, stddev if scale is None else scale)(shape, rng)


def orthogonal(shape, rng=None, gain=1.0, scale=None, name=None,
               dim_ordering=None):
    """:class:`Orthogonal` with this ``gain``."""
    return Orthogonal(gain if scale is None else scale)(shape, rng)


def identity(shape, rng=None, gain=1.0, scale=None, name=None,
             dim_ordering=None):
    """:class:`Identity` with this ``gain`` (Keras 1's ``identity``)."""
    return Identity(gain if scale is None else scale)(shape, rng)


def _variance_scaling(name, scale, mode, distribution, reference):
    def initializer(shape=None, rng=None, seed=None, name=None,
                    dim_ordering=None):
        configured = VarianceScaling(scale, mode, distribution, seed)
        if shape is None:
            return configured
        return configured(shape, rng)
    initializer.__name__ = initializer.__qualname__ = name
    initializer.__doc__ = (
        "%s: :class:`VarianceScaling` (scale=%s, mode=%r, distribution=%r).\n"
        "\nCalled with a shape it draws; without one (``%s(seed=None)``, as "
        "in Keras 2) it returns the configured initialiser."
        % (reference, scale, mode, distribution, name))
    return initializer


glorot_uniform = _variance_scaling(
    "glorot_uniform", 1.0, "fan_avg", "uniform",
    "Glorot & Bengio (2010), uniform on ±sqrt(6 / (fan_in + fan_out))")
glorot_normal = _variance_scaling(
    "glorot_normal", 1.0, "fan_avg", "normal",
    "Glorot & Bengio (2010), variance 2 / (fan_in + fan_out)")
he_uniform = _variance_scaling(
    "he_uniform", 2.0, "fan_in", "uniform",
    "He et al. (2015), uniform on ±sqrt(6 / fan_in)")
he_normal = _variance_scaling(
    "he_normal", 2.0, "fan_in", "normal",
    "He et al. (2015), variance 2 / fan_in")
lecun_uniform = _variance_scaling(
    "lecun_uniform", 1.0, "fan_in", "uniform",
    "LeCun et al. (1998), uniform on ±sqrt(3 / fan_in)")
lecun_normal = _variance_scaling(
    "lecun_normal", 1.0, "fan_in", "normal",
    "LeCun et al. (1998), variance 1 / fan_in")

_FUNCTIONS = {f.__name__: f for f in
              (zeros, ones, uniform, normal, orthogonal, identity,
               glorot_uniform, glorot_normal, he_uniform, he_normal,
               lecun_uniform, lecun_normal)}
_CLASSES = {c.__name__: c for c in
            (Zeros, Ones, Constant, RandomNormal, RandomUniform,
             TruncatedNormal, VarianceScaling, Orthogonal, Identity)}
#: Keras's other names: lower-case class aliases and Keras 1's names.
_ALIASES = {"zero": Zeros, "one": Ones, "constant": Constant,
            "random_normal": RandomNormal, "random_uniform": RandomUniform,
            "truncated_normal": TruncatedNormal}

# Keras 2 module-level aliases (``keras.initializers.zero`` ...)
zero = Zeros
one = Ones
constant = Constant
random_normal = RandomNormal
random_uniform = RandomUniform
truncated_normal = TruncatedNormal


def _known():
    return ", ".join(sorted(set(_FUNCTIONS) | set(_CLASSES) | set(_ALIASES)))


def deserialize(config, custom_objects=None, argument="initializer"):
    """An initialiser from a name or a ``{'class_name', 'config'}`` dict."""
    if isinstance(config, dict):
        name, options = config.get("class_name"), config.get("config") or {}
    else:
        name, options = config, {}
    custom_objects = custom_objects or {}
    if name in custom_objects:
        found = custom_objects[name]
        return found(**options) if isinstance(found, type) else found
    if name in _FUNCTIONS and not options:
        return _FUNCTIONS[name]
    cls = _CLASSES.get(name) or _ALIASES.get(name)
    if cls is None and name in _FUNCTIONS:     # e.g. he_normal with a seed
        return _FUNCTIONS[name](**options)
    if cls is None:
        raise ValueError("%s: unknown initializer %r; expected one of %s or "
                         "a callable f(shape, rng)" % (argument, name,
                                                       _known()))
    try:
        return cls(**options)
    except TypeError as err:
        raise ValueError("%s: bad configuration %r for initializer %s (%s)"
                         % (argument, options, name, err))


def _as_array(value):
    """An initialiser's result as a floatX array (Keras's initialisers
    return backend tensors or variables)."""
    if hasattr(value, "get_value"):
        value = value.get_value()
    elif isinstance(value, theano.graph.basic.Variable):
        value = value.eval()
    return _floatx(value)


def adapt(function):
    """A user's initialiser called the way it expects: ``f(shape, rng)``
    (theano_rnn's), Keras 2's ``f(shape, dtype=None)``, Keras 1's ``f(shape,
    name=None)`` (e.g. ``lambda shape, name: normal(shape, scale=0.01,
    name=name)``) or ``f(shape)``; a tensor result is evaluated."""
    try:
        parameters = list(inspect.signature(function).parameters)
    except (TypeError, ValueError):
        parameters = ["shape", "rng"]
    second = parameters[1] if len(parameters) > 1 else None
    if second not in ("dtype", "name", None):
        return function

    def adapted(shape, rng=None):
        if second is None:
            return _as_array(function(shape))
        return _as_array(function(shape, **{
            second: theano.config.floatX if second == "dtype" else None}))
    adapted.__wrapped__ = function
    return adapted


def get(identifier, argument="initializer"):
    """Return the initialiser ``identifier`` names (a name or a Keras config
    dict), or a callable (adapted to its signature by :func:`adapt`)."""
    if isinstance(identifier, (str, dict)):
        return deserialize(identifier, argument=argument)
    if isinstance(identifier, Initializer) or \
            identifier in _FUNCTIONS.values():
        return identifier
    if callable(identifier):
        return adapt(identifier)
    raise ValueError("%s: unknown initializer %r; expected one of %s or a "
                     "callable f(shape, rng)" % (argument, identifier,
                                                 _known()))


def serialize(initializer):
    """A named function's name, or Keras's ``{'class_name', 'config'}`` for
    an :class:`Initializer`."""
    if isinstance(initializer, Initializer):
        return {"class_name": type(initializer).__name__,
                "config": initializer.get_config()}
    name = getattr(initializer, "__name__", None)
    if _FUNCTIONS.get(name) is not initializer:
        raise ValueError("cannot serialize the custom initializer %r"
                         % (initializer,))
    return name
