"""PyTensor's JAX backend (issue 15, item 6): graphs compiled with
``mode="JAX"`` compute what the C backend computes.

Every op of theano_rnn has a JAX implementation next to its NumPy
``perform`` (``jax_perform`` / ``jax_function``: the fused loops as
``lax.scan``, forward and reverse); PyTensor's own ops cover the scan path.
The references here are the C code of the same graphs, which the other test
files check against NumPy and finite differences.  JAX computes in float32
here (PyTensor turns JAX's 64-bit types on only when floatX is float64), so
the comparisons are float32's.

A model compiled with ``compile(..., mode="JAX")`` gets functions that
compile once per shape of their inputs
(:class:`theano_rnn.runtime.pytensor_setup.StaticShapeFunction`).
"""
import importlib.util

import numpy as np
import pytest

from theano_rnn import runtime
from theano_rnn.runtime import T, compile_function

from fused_harness import assert_all_close, compiled, op_types
from theano_rnn.cells import GRUCell, LSTMCell, SimpleRNNCell

ON_PYTENSOR = runtime.BACKEND == "pytensor"
HAS_JAX = importlib.util.find_spec("jax") is not None

needs_jax = pytest.mark.skipif(
    not (ON_PYTENSOR and HAS_JAX),
    reason="JAX mode is PyTensor's and needs jax (pip install "
           "'theano_rnn[jax]' with THEANO_RNN_BACKEND=pytensor)"
    if ON_PYTENSOR else "JAX mode is PyTensor's; this backend is theano-pymc")

#: case -> (cell class, cell options, Pair options)
CASES = {
    "lstm-masked-dropout-backwards": (
        LSTMCell, {}, {"use_mask": True, "use_rmask": True,
                       "go_backwards": True}),
    "lstm-hard_sigmoid": (LSTMCell, {"recurrent_activation": "hard_sigmoid"},
                          {}),
    "gru-masked-dropout": (GRUCell, {}, {"use_mask": True,
                                         "use_rmask": True}),
    "gru_reset_after-masked-dropout": (
        GRUCell, {"reset_after": True, "recurrent_activation": "sigmoid"},
        {"use_mask": True, "use_rmask": True}),
    "simple_rnn-relu-masked-dropout": (
        SimpleRNNCell, {"activation": "relu"},
        {"use_mask": True, "use_rmask": True}),
}


def jax_function(inputs, outputs):
    return compile_function(inputs, outputs, mode="JAX")


def linker_op_types(function, shapes):
    """The op classes of ``function`` as compiled for these input shapes."""
    return op_types(function.functions[shapes])


def check_under_jax(case, rng, path):
    """The ``path`` (``"fused"`` or ``"scan"``) graph of ``case`` compiled
    with JAX equals its C-compiled twin; returns the names of the ops JAX
    ran."""
    cls, options, pair_options = CASES[case]
    pair = compiled(cls, options, dtype="float32", input_dim=3, units=5,
                    **pair_options)
    outputs, reference = {"fused": (pair.fused_outputs, pair.fused),
                          "scan": (pair.scan_outputs, pair.scan)}[path]
    function = jax_function(pair.inputs, outputs)
    values = pair.random_inputs(rng, steps=6, batch=4)
    assert_all_close(function(*values), reference(*values), pair.names,
                     rtol=2e-5, atol=2e-6)
    return {t.__name__ for t in linker_op_types(
        function, tuple(v.shape for v in values))}


@needs_jax
@pytest.mark.parametrize("case", sorted(CASES))
def test_the_fused_ops_under_jax_compute_what_their_c_code_does(case, rng):
    prefix = {"LSTMCell": "LSTM", "GRUCell": "GRU",
              "SimpleRNNCell": "SimpleRNN"}[CASES[case][0].__name__]
    assert {prefix + "Forward", prefix + "Backward"} <= check_under_jax(
        case, rng, "fused")


@needs_jax
@pytest.mark.parametrize("case", sorted(CASES))
def test_the_scan_path_under_jax_computes_what_the_c_scan_does(case, rng):
    names = check_under_jax(case, rng, "scan")
    assert "Scan" in names and not any(n.endswith("Forward") for n in names)


@needs_jax
@pytest.mark.parametrize("path", ["fused", "scan"])
def test_a_jax_function_compiles_once_per_input_shapes(rng, path):
    """Sizes of one included: a batch of one and a single step (a static
    size of 1 broadcasts, which a scan's state must not)."""
    pair = compiled(GRUCell, {}, dtype="float32", input_dim=3, units=5,
                    use_mask=True)
    outputs, reference = {"fused": (pair.fused_outputs, pair.fused),
                          "scan": (pair.scan_outputs, pair.scan)}[path]
    function = jax_function(pair.inputs, outputs)
    shapes = [(6, 4), (6, 1), (1, 4), (1, 1), (6, 4), (1, 1)]
    for steps, batch in shapes:
        values = pair.random_inputs(rng, steps=steps, batch=batch)
        assert_all_close(function(*values), reference(*values), pair.names,
                         rtol=2e-5, atol=2e-6)
    assert sorted(function.functions) == sorted(
        {((s, b, 3), (b, 5), (s, b)) for s, b in shapes})


@needs_jax
def test_fast_tanh_under_jax_is_the_approximation_of_its_c_code():
    from theano_rnn.fastmath import CLAMP, fast_tanh, tanh_float32
    x = T.vector("x", dtype="float32")
    values = np.concatenate([np.linspace(-12, 12, 2001),
                             [-CLAMP, CLAMP, 0.0]]).astype("float32")
    result = jax_function([x], fast_tanh(x))(values)
    assert result.dtype == np.float32
    np.testing.assert_allclose(result, tanh_float32(values), rtol=1e-6,
                               atol=1e-7)
    # the approximation, not the exact tanh: they differ by up to 4e-7
    assert np.abs(result - np.tanh(values.astype(np.float64))).max() > 1e-8


@needs_jax
def test_the_row_gather_and_its_gradient_under_jax_equal_numpy(rng):
    from theano_rnn.fused.rows import RowGather
    table = T.matrix("table", dtype="float32")
    ids = T.imatrix("ids")
    rows = RowGather("input_dim")(table, ids)
    weights = T.constant(rng.randn(2, 3, 4).astype("float32"))
    gradient = T.grad((rows * weights).sum(), table)
    function = jax_function([table, ids], [rows, gradient])
    table_value = rng.randn(6, 4).astype("float32")
    ids_value = np.array([[3, 1, 3], [5, 0, 3]], dtype="int32")
    got_rows, got_gradient = function(table_value, ids_value)
    np.testing.assert_array_equal(got_rows, table_value[ids_value])
    expected = np.zeros_like(table_value)
    np.add.at(expected, ids_value, weights.data)
    np.testing.assert_allclose(got_gradient, expected, rtol=1e-6)
    # A jitted function cannot raise: an id out of range is a row of NaN.
    bad = function(table_value, np.array([[3, 6, 0], [-7, 1, 2]],
                                         dtype="int32"))[0]
    assert np.isnan(bad[0, 1]).all() and np.isnan(bad[1, 0]).all()
    np.testing.assert_array_equal(bad[0, 0], table_value[3])


def _model(cell, implementation, mode, dropout=0.0, seed=None):
    from theano_rnn.layers import GRU, LSTM, SimpleRNN, Dense, Embedding
    from theano_rnn.models import Sequential
    layer = {"lstm": LSTM, "gru": GRU, "simple_rnn": SimpleRNN}[cell]
    np.random.seed(7)
    model = Sequential([
        Embedding(50, 6, input_length=8, mask_zero=True),
        layer(5, implementation=implementation, dropout=dropout,
              recurrent_dropout=dropout, seed=seed),
        Dense(1, activation="sigmoid")])
    model.compile("adam", "binary_crossentropy", metrics=["acc"], mode=mode)
    return model


def _data():
    rng = np.random.RandomState(3)
    x = rng.randint(1, 50, size=(20, 8))
    x[:, :3] *= rng.rand(20, 3) > 0.5          # padding (0) at the start
    return x, rng.randint(0, 2, size=(20, 1))


@needs_jax
@pytest.mark.parametrize("cell, implementation", [
    ("lstm", "fused"), ("lstm", "scan"), ("gru", "fused"),
    ("simple_rnn", "scan")])
def test_a_model_trains_under_jax_as_under_c(cell, implementation):
    """Embedding (masked), a recurrent layer and Adam: two epochs in each
    mode from the same weights end at the same weights."""
    x, y = _data()
    results = []
    for mode in (None, "JAX"):
        model = _model(cell, implementation, mode)
        history = model.fit(x, y, batch_size=8, epochs=2, shuffle=False,
                            verbose=0)
        results.append((history.history["loss"], model.get_weights(),
                        model.predict(x[:5])))
    (c_loss, c_weights, c_pred), (j_loss, j_weights, j_pred) = results
    np.testing.assert_allclose(j_loss, c_loss, rtol=1e-5)
    for c_weight, j_weight in zip(c_weights, j_weights):
        np.testing.assert_allclose(j_weight, c_weight, rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(j_pred, c_pred, rtol=1e-5, atol=1e-6)


@needs_jax
@pytest.mark.parametrize("implementation", ["fused", "scan"])
def test_the_sine_model_trains_under_jax_as_under_c(implementation):
    """One feature per step, as the sine task has (a weight with a size of
    one), and a prediction for a single sample."""
    from theano_rnn.layers import GRU, Dense
    from theano_rnn.models import Sequential
    wave = np.sin(np.linspace(0, 20, 110, dtype="float32"))[:, None]
    x = np.stack([wave[i:i + 10] for i in range(100)])
    y = wave[10:110]
    results = []
    for mode in (None, "JAX"):
        np.random.seed(5)
        model = Sequential([GRU(6, input_shape=(10, 1),
                                implementation=implementation), Dense(1)])
        model.compile("adam", "mse", mode=mode)
        history = model.fit(x, y, batch_size=32, epochs=2, shuffle=False,
                            verbose=0)
        results.append((history.history["loss"], model.predict(x[:1]),
                        model.get_weights()))
    (c_loss, c_pred, c_weights), (j_loss, j_pred, j_weights) = results
    np.testing.assert_allclose(j_loss, c_loss, rtol=1e-5)
    np.testing.assert_allclose(j_pred, c_pred, rtol=1e-5, atol=1e-6)
    for c_weight, j_weight in zip(c_weights, j_weights):
        np.testing.assert_allclose(j_weight, c_weight, rtol=1e-4, atol=1e-6)


@needs_jax
def test_dropout_under_jax_is_reproducible_with_a_seed():
    x, y = _data()
    weights = []
    for _ in range(2):
        model = _model("lstm", "fused", "JAX", dropout=0.3, seed=11)
        model.fit(x, y, batch_size=8, epochs=1, shuffle=False, verbose=0)
        weights.append(model.get_weights())
    for a, b in zip(*weights):
        np.testing.assert_array_equal(a, b)
    without = _model("lstm", "fused", "JAX", seed=11)
    without.fit(x, y, batch_size=8, epochs=1, shuffle=False, verbose=0)
    assert not np.allclose(without.get_weights()[2], weights[0][2])


@needs_jax
def test_the_backend_function_takes_the_jax_mode():
    from theano_rnn import backend as K
    x = K.placeholder(ndim=2)
    function = K.function([x], [K.tanh(x) * 2], mode="JAX")
    value = np.linspace(-1, 1, 6, dtype="float32").reshape(2, 3)
    np.testing.assert_allclose(function([value])[0], np.tanh(value) * 2,
                               rtol=1e-6)


@pytest.mark.skipif(not ON_PYTENSOR, reason="the PyTensor backend's error")
def test_mode_jax_without_jax_is_a_one_line_error_saying_what_to_install(
        monkeypatch):
    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: (
        None if name == "jax" else real_find_spec(name, *a)))
    with pytest.raises(ValueError, match=r"needs jax.*pip install "
                                         r"'theano_rnn\[jax\]'"):
        runtime.function_mode("JAX")


@pytest.mark.skipif(ON_PYTENSOR, reason="theano-pymc's error")
def test_mode_jax_on_theano_says_it_needs_pytensor():
    with pytest.raises(ValueError, match="needs PyTensor"):
        _model("lstm", "scan", "JAX")


@pytest.mark.skipif(not ON_PYTENSOR, reason="PyTensor's mode names")
def test_an_unknown_mode_is_an_error_naming_the_argument():
    with pytest.raises(ValueError, match=r"mode: expected a PyTensor mode"):
        _model("lstm", "scan", "TURBO")


def test_compile_without_a_mode_compiles_c_code():
    model = _model("lstm", "fused", None)
    x, _ = _data()
    model.predict(x[:2])
    names = {t.__name__ for t in op_types(model.predict_function)}
    assert "LSTMForward" in names
    assert type(model.predict_function).__name__ != "StaticShapeFunction"
