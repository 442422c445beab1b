"""Random streams for dropout, seeded from NumPy.

A stream is :data:`theano_rnn.runtime.RandomStream`: Theano's
``MRG_RandomStream`` (the MRG31k3p generator) on theano-pymc, the same
methods over NumPy Generators (PCG64) on PyTensor.  Masks are drawn
*outside* any scan, so the compiled functions pick up the streams' state
updates by themselves through each state's ``default_update``, and every
call of a training function draws fresh masks.  Seeds come from NumPy's
global generator unless given, so ``np.random.seed(n)`` makes dropout repeat
exactly on each backend (the two backends draw different masks for a seed).
"""
import numpy as np

from .runtime import RandomStream, rng_state_from_array, rng_state_to_array
from .validation import is_integer


def make_stream(seed=None):
    """A new random stream, seeded from ``np.random`` when ``seed`` is
    ``None``."""
    if seed is None:
        seed = int(np.random.randint(1, 2 ** 30))
    elif not is_integer(seed) or not 0 < seed < 2 ** 31 - 1:
        raise ValueError("seed must be None or an integer in [1, 2**31 - 1), "
                         "got %r" % (seed,))
    return RandomStream(int(seed))


def stream_states(stream):
    """The state shared variables of ``stream``, in creation order."""
    return [update[0] for update in stream.state_updates]


def get_state(variable):
    """The state held by a stream's state ``variable``, as an integer
    array (what a model file stores)."""
    return rng_state_to_array(variable.get_value(borrow=True))


def set_state(variable, array):
    """Restore a state :func:`get_state` returned (on the same backend);
    ``ValueError`` for an array of another shape."""
    rng_state_from_array(variable, np.asarray(array))


def dropout_mask(stream, shape, rate, dtype):
    """A 0/1 mask of ``shape`` keeping each unit with probability
    ``1 - rate``, scaled by ``1 / (1 - rate)`` (inverted dropout), so the
    expected activation is unchanged and inference needs no rescaling."""
    keep = 1.0 - rate
    mask = stream.binomial(shape, p=keep, dtype=dtype)
    return mask / np.asarray(keep, dtype=dtype)
