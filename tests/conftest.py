"""Shared fixtures.  Importing theano_rnn first configures Theano; then the
tests' graphs compile in the suite's mode (:mod:`compile_mode`: NumPy for
Theano's element-wise ops, C for the rest)."""
import numpy as np
import pytest

from theano_rnn.runtime import theano

import compile_mode

compile_mode.use_test_mode()


@pytest.fixture
def float64():
    """Build and run the test's graphs in float64 (the reference precision)."""
    with theano.config.change_flags(floatX="float64"):
        yield


@pytest.fixture
def production_mode():
    """Compile the test's graphs in theano_rnn's production mode (Theano's
    fused element-wise C code, the production compiler options) instead of
    the suite's."""
    with compile_mode.production():
        yield


@pytest.fixture
def rng():
    return np.random.RandomState(1234)
