"""Random streams for dropout: Theano's MRG31k3p generator, seeded from NumPy.

Masks are drawn by ``MRG_RandomStream`` *outside* any scan, so Theano picks
up the streams' state updates by itself through each state's
``default_update`` and every call of a training function draws fresh masks.
Seeds come from NumPy's global generator unless given, so
``np.random.seed(n)`` makes dropout repeat exactly.
"""
import numpy as np
from theano.sandbox.rng_mrg import MRG_RandomStream

from .validation import is_integer


def make_stream(seed=None):
    """A new ``MRG_RandomStream``, seeded from ``np.random`` when ``seed`` is
    ``None``."""
    if seed is None:
        seed = int(np.random.randint(1, 2 ** 30))
    elif not is_integer(seed) or not 0 < seed < 2 ** 31 - 1:
        raise ValueError("seed must be None or an integer in [1, 2**31 - 1), "
                         "got %r" % (seed,))
    return MRG_RandomStream(int(seed))


def stream_states(stream):
    """The state shared variables of ``stream``, in creation order."""
    return [update[0] for update in stream.state_updates]


def dropout_mask(stream, shape, rate, dtype):
    """A 0/1 mask of ``shape`` keeping each unit with probability
    ``1 - rate``, scaled by ``1 / (1 - rate)`` (inverted dropout), so the
    expected activation is unchanged and inference needs no rescaling."""
    keep = 1.0 - rate
    mask = stream.binomial(shape, p=keep, dtype=dtype)
    return mask / np.asarray(keep, dtype=dtype)
