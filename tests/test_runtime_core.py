"""The names theano_rnn.runtime exports for the core, on either backend:
the compiled-function mode, scan states of size 1, scan without updates,
and the random streams with their states as arrays."""
import numpy as np
import pytest

from theano_rnn import random, runtime
from theano_rnn.runtime import T, theano


def test_function_mode_runs_c_code_whatever_the_default_linker():
    if runtime.BACKEND == "theano":
        assert runtime.function_mode() is None  # Theano's default: C
        return
    from pytensor.link.vm import VMLinker
    with theano.config.change_flags(linker="numba"):
        mode = runtime.function_mode()
    assert isinstance(mode.linker, VMLinker) and mode.linker.c_thunks
    x = T.vector("x")
    f = theano.function([x], T.tanh(x), mode=mode)
    np.testing.assert_allclose(f(np.array([0.5], dtype=x.dtype)),
                               np.tanh([0.5]), rtol=1e-6)


def test_a_size_one_state_runs_through_scan():
    """A (batch, 1) state: broadcastable on Theano, static shape 1 on
    PyTensor; ``unbroadcast`` makes scan accept the step's new state."""
    x = T.tensor3("x")                      # (time, batch, 1)
    u = theano.shared(np.full((1, 1), 0.5, dtype=theano.config.floatX))
    h0 = runtime.unbroadcast(T.zeros((x.shape[1], 1)))

    def step(x_t, h, u):
        return runtime.unbroadcast(T.tanh(x_t + T.dot(h, u)), like=h)

    h = runtime.scan(step, sequences=[x], outputs_info=[h0],
                     non_sequences=[u], strict=True)
    data = np.ones((3, 2, 1), dtype=theano.config.floatX)
    expected, state = [], np.zeros((2, 1))
    for t in range(3):
        state = np.tanh(data[t] + 0.5 * state)
        expected.append(state)
    np.testing.assert_allclose(theano.function([x], h)(data), expected,
                               rtol=1e-6)


def test_scan_refuses_a_loop_with_updates():
    stream = random.make_stream(3)
    x = T.vector("x")
    with pytest.raises(ValueError, match="updates"):
        runtime.scan(lambda x_t: x_t * stream.uniform((1,))[0],
                     sequences=[x])


def test_seeded_streams_repeat_and_advance_on_every_call():
    def draws(seed):
        stream = random.make_stream(seed)
        f = theano.function([], stream.uniform((4,)))
        return f(), f()

    first, second = draws(5)
    assert not np.array_equal(first, second)          # the state advanced
    np.testing.assert_array_equal(draws(5), (first, second))
    assert not np.array_equal(draws(6)[0], first)


def test_binomial_and_truncated_normal_draws():
    stream = random.make_stream(9)
    mask = stream.binomial((20000,), p=0.3, dtype="float32")
    normal = stream.normal((20000,), avg=1.0, std=2.0, truncate=True)
    m, n = theano.function([], [mask, normal])()
    assert set(np.unique(m)) == {0.0, 1.0} and abs(m.mean() - 0.3) < 0.02
    assert np.all(np.abs(n - 1.0) <= 4.0 + 1e-5)
    assert abs(n.mean() - 1.0) < 0.05 and 1.6 < n.std() < 1.9


def test_stream_state_round_trips_through_an_array():
    stream = random.make_stream(11)
    f = theano.function([], stream.uniform((3,)))
    (state,) = random.stream_states(stream)
    saved = random.get_state(state)
    assert saved.dtype.kind in "iu"
    expected = f()
    random.set_state(state, saved)
    np.testing.assert_array_equal(f(), expected)
    with pytest.raises(ValueError):
        random.set_state(state, np.zeros(3, dtype=saved.dtype))
