"""The fused ops and fast_tanh under PyTensor's Numba linker (its default).

Numba cannot compile an op that has only C and Python code and falls back
to the op's ``perform`` in object mode: for the fused loops a Python loop
over time, several times slower.  ``theano_rnn.runtime.COp`` makes Numba
call the op's C code instead, and ``fast_tanh`` has a Numba implementation;
these tests check both give the numbers of the C backend.  theano-pymc has
no Numba linker: skipped there.
"""
import warnings

import numpy as np
import pytest

import compile_mode
from fused_harness import time_mask
from theano_rnn import runtime
from theano_rnn.fastmath import fast_tanh, tanh_float32
from theano_rnn.fused.adam import AdamUpdate, adam_update
from theano_rnn.fused.lstm import LSTMBackward, LSTMForward
from theano_rnn.fused.rows import RowGather, RowScatterAdd
from theano_rnn.runtime import T, theano

pytestmark = pytest.mark.skipif(runtime.BACKEND != "pytensor",
                                reason="theano-pymc has no Numba linker")


def numba_mode():
    return theano.compile.mode.get_mode("NUMBA")


def compile_both(inputs, outputs, **kwargs):
    """The function under the C backend (the production mode: every op's C
    code, fast_tanh's too) and under Numba; Numba must not fall back to
    object mode (it warns when it does)."""
    c_code = compile_mode.production_function(inputs, outputs, **kwargs)
    with warnings.catch_warnings():
        warnings.filterwarnings("error", message=".*object mode.*")
        numba = theano.function(inputs, outputs, mode=numba_mode(), **kwargs)
    return c_code, numba


def test_fused_lstm_under_numba_runs_its_c_code(float64, rng, monkeypatch):
    op = LSTMForward(activation="tanh", recurrent_activation="sigmoid",
                     has_recurrent_mask=True, has_mask=True)
    x, W, U, h0, c0, rmask, mask = (
        T.tensor3("x"), T.matrix("W"), T.matrix("U"), T.matrix("h0"),
        T.matrix("c0"), T.matrix("rmask"), T.matrix("mask"))
    hs, cs, _ = op(x, h0, c0, W, U, rmask, mask)
    inputs = [x, W, U, h0, c0, rmask, mask]
    outputs = [hs, cs] + T.grad((hs ** 2).sum() + cs.sum(), inputs[:-1])
    c_code, numba = compile_both(inputs, outputs)
    for cls in (LSTMForward, LSTMBackward):
        monkeypatch.setattr(cls, "perform", None)       # no Python fallback
    values = [rng.randn(5, 4, 3), rng.uniform(-0.6, 0.6, (3, 8)),
              rng.uniform(-0.6, 0.6, (2, 8)), rng.randn(4, 2),
              rng.randn(4, 2), rng.uniform(0.5, 1.5, (4, 2)),
              time_mask(5, 4)]
    expected = c_code(*values)
    first = numba(*values)
    kept = [a.copy() for a in first]
    for got, want in zip(first, expected):
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-14)
    # a second call writes new arrays: the first call's results stay
    numba(*[v * 0.5 for v in values])
    for got, want in zip(first, kept):
        np.testing.assert_array_equal(got, want)


def test_row_gather_under_numba_runs_its_c_code(rng, monkeypatch):
    """The Embedding's lookup and its gradient (repeated ids) under Numba:
    the numbers of the C backend, new arrays at every call."""
    table, ids = T.matrix("table", dtype="float32"), T.imatrix("ids")
    c = T.tensor3("c", dtype="float32")
    y = RowGather()(table, ids)
    c_code, numba = compile_both([table, ids, c],
                                 [y, T.grad(T.sum(c * y), table)])
    for cls in (RowGather, RowScatterAdd):
        monkeypatch.setattr(cls, "perform", None)       # no Python fallback
    values = [rng.randn(6, 3).astype("float32"),
              np.array([[1, 4, 1], [5, 1, 0]], dtype="int32"),
              rng.randn(2, 3, 3).astype("float32")]
    first = numba(*values)
    kept = [a.copy() for a in first]
    for got, want in zip(first, c_code(*values)):
        np.testing.assert_array_equal(got, want)
    numba(values[0], values[1][:, ::-1].copy(), values[2])
    for got, want in zip(first, kept):
        np.testing.assert_array_equal(got, want)


def test_fast_tanh_under_numba_is_the_approximation():
    """The float32 approximation, computed as NumPy computes it (the C
    code, compiled with fast-math, rounds differently near +-1); NaN stays
    NaN."""
    x = T.vector("x", dtype="float32")
    c_code, numba = compile_both([x], fast_tanh(x))
    values = np.concatenate([np.linspace(-20, 20, 40001),
                             [0.0, 1e-30, -1e-30, np.inf, -np.inf]]
                            ).astype("float32")
    got = numba(values)
    assert got.dtype == np.float32
    assert np.abs(got - np.tanh(values.astype("float64"))).max() < 4e-7
    np.testing.assert_allclose(got, tanh_float32(values), rtol=2e-7, atol=0)
    np.testing.assert_allclose(got, c_code(values), rtol=0, atol=4e-7)
    assert np.isnan(numba(np.array([np.nan], dtype="float32"))[0])


def test_float64_fast_tanh_under_numba_is_exact(float64):
    x = T.vector("x")
    _, numba = compile_both([x], fast_tanh(x))
    values = np.linspace(-30, 30, 1001)
    np.testing.assert_allclose(numba(values), np.tanh(values), rtol=1e-15,
                               atol=1e-15)


def test_adam_under_numba_is_in_place_and_right(rng):
    p0 = rng.randn(3, 4).astype("float32")
    p, m, v = [theano.shared(a.copy()) for a in
               (p0, np.zeros_like(p0), np.zeros_like(p0))]
    g = T.matrix("g", dtype="float32")
    updates = list(zip((p, m, v), adam_update(p, g, m, v, 0.1, 0.9, 0.99,
                                              1e-7)))
    with warnings.catch_warnings():
        warnings.filterwarnings("error", message=".*object mode.*")
        step = theano.function([g], [], updates=updates, mode=numba_mode())
    nodes = [node.op for node in step.maker.fgraph.toposort()
             if isinstance(node.op, AdamUpdate)]
    assert len(nodes) == 1 and nodes[0].inplace
    gradient = rng.randn(3, 4).astype("float32")
    step(gradient)
    m1 = 0.1 * gradient
    v1 = 0.01 * gradient ** 2
    np.testing.assert_allclose(m.get_value(), m1, rtol=1e-6)
    np.testing.assert_allclose(v.get_value(), v1, rtol=1e-5)
    np.testing.assert_allclose(p.get_value(),
                               p0 - 0.1 * m1 / (np.sqrt(v1) + 1e-7),
                               rtol=1e-5, atol=1e-6)
