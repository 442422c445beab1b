"""Synthetic sine waves: predict the next value of a sampled sine.

Each sample is the sine sampled at ``seq_length + 1`` equally spaced points
over two periods, starting at a random phase::

    start = uniform in [0, 4*pi)
    t = np.linspace(start, start + 4*pi, seq_length + 1)
    wave = np.sin(t)

The input is ``wave[:seq_length]`` and the target is ``wave[seq_length]``.
"""

import numpy as np

from ..validation import is_integer

#: Both the range of the random start and the span sampled (two periods).
SPAN = 4 * np.pi


def generate_sine_wave(seq_length, num_samples, seed=None):
    """Generate sine-wave snippets and the value that follows each one.

    Parameters
    ----------
    seq_length : int
        Number of input time steps (> 0).
    num_samples : int
        Number of waves (> 0).
    seed : int or None
        Seed of the ``np.random.RandomState`` drawing the start points.

    Returns
    -------
    X : numpy.ndarray, float32, shape (num_samples, seq_length, 1)
        The first ``seq_length`` points of each wave.
    y : numpy.ndarray, float32, shape (num_samples, 1)
        The last point of each wave.
    """
    _check_positive("seq_length", seq_length)
    _check_positive("num_samples", num_samples)
    starts = np.random.RandomState(seed).uniform(0, SPAN, size=num_samples)
    t = np.linspace(starts, starts + SPAN, seq_length + 1, axis=1)
    waves = np.sin(t).astype(np.float32)
    return waves[:, :seq_length, np.newaxis], waves[:, seq_length:]


def load_data(num_train=1000, num_test=200, seq_length=50, seed=0):
    """Return a training and a test set of sine waves.

    The training set is generated with ``seed`` and the test set with
    ``seed + 1`` (both unseeded if ``seed`` is None).

    Returns
    -------
    (x_train, y_train), (x_test, y_test)
        As returned by :func:`generate_sine_wave`.
    """
    _check_positive("num_train", num_train)
    _check_positive("num_test", num_test)
    test_seed = None if seed is None else seed + 1
    return (generate_sine_wave(seq_length, num_train, seed),
            generate_sine_wave(seq_length, num_test, test_seed))


def _check_positive(name, value):
    if not is_integer(value) or value <= 0:
        raise ValueError("`%s` must be a positive int, got %r"
                         % (name, value))
