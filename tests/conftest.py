"""Shared fixtures.  Importing theano_rnn first configures Theano."""
import numpy as np
import pytest

from theano_rnn.runtime import theano


@pytest.fixture
def float64():
    """Build and run the test's graphs in float64 (the reference precision)."""
    with theano.config.change_flags(floatX="float64"):
        yield


@pytest.fixture
def rng():
    return np.random.RandomState(1234)
