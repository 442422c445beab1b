"""Element-wise activation functions, looked up by their Keras names.

Each entry maps a symbolic tensor to a symbolic tensor.  ``hard_sigmoid`` is
Theano's piecewise-linear approximation ``clip(0.2 x + 0.5, 0, 1)``, the
default recurrent activation of Keras 2.0-2.2, and cheaper than ``sigmoid``.

``tanh`` and ``sigmoid`` go through :mod:`theano_rnn.fastmath`: exact in
float64, and in float32 a vectorisable approximation accurate to 4e-7 that
makes the gate arithmetic of a recurrent step about ten times faster than
Theano's own ``T.tanh`` and ``nnet.sigmoid``.
"""
from .runtime import T, nnet

from .fastmath import fast_sigmoid, fast_tanh


def linear(x):
    """Identity: ``f(x) = x``."""
    return x


def tanh(x):
    """Hyperbolic tangent."""
    return fast_tanh(x)


def sigmoid(x):
    """Logistic function ``1 / (1 + exp(-x)) = 0.5 + 0.5 tanh(x / 2)``."""
    return fast_sigmoid(x)


def hard_sigmoid(x):
    """Piecewise-linear sigmoid ``clip(0.2 x + 0.5, 0, 1)``."""
    return nnet.hard_sigmoid(x)


def relu(x):
    """Rectified linear unit ``max(x, 0)``."""
    return nnet.relu(x)


def softmax(x):
    """Softmax over the last axis, for 2-D or 3-D tensors."""
    if x.ndim == 2:
        return nnet.softmax(x)
    flat = x.reshape((-1, x.shape[-1]))
    return nnet.softmax(flat).reshape(x.shape)


def elu(x):
    """Exponential linear unit ``x`` for ``x > 0``, ``exp(x) - 1`` else."""
    return nnet.elu(x)


def selu(x):
    """Scaled ELU (Klambauer et al., 2017), Keras's constants."""
    alpha, scale = 1.6732632423543772, 1.0507009873554805
    return scale * nnet.elu(x, alpha)


def softplus(x):
    """``log(1 + exp(x))``."""
    return nnet.softplus(x)


def softsign(x):
    """``x / (1 + |x|)``."""
    return x / (1 + abs(x))


def exponential(x):
    """``exp(x)``."""
    return T.exp(x)


_ACTIVATIONS = {f.__name__: f for f in
                (linear, tanh, sigmoid, hard_sigmoid, relu, softmax, elu,
                 selu, softplus, softsign, exponential)}


def get(identifier, argument="activation"):
    """Return the activation called ``identifier`` (``None`` means linear).

    A callable is returned unchanged.  ``argument`` names the constructor
    argument in the error message for an unknown name.
    """
    if identifier is None:
        return linear
    if callable(identifier):
        return identifier
    if isinstance(identifier, str) and identifier in _ACTIVATIONS:
        return _ACTIVATIONS[identifier]
    raise ValueError("%s: unknown activation %r; expected one of %s or a "
                     "callable" % (argument, identifier,
                                   ", ".join(sorted(_ACTIVATIONS))))


def serialize(activation):
    """The name under which ``activation`` can be looked up again.

    As in Keras, a function is saved by its name: one named like an
    activation here (``theano_rnn.backend.relu``, Keras's ``K.tanh``)
    is saved as that activation."""
    name = getattr(activation, "__name__", None)
    if name not in _ACTIVATIONS:
        raise ValueError("cannot serialize the custom activation %r; only "
                         "named activations can be saved" % (activation,))
    return name
