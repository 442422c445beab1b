"""The fused LSTM (:mod:`theano_rnn.fused.lstm`) against the scan path.

The comparisons are those of ``tests/fused_harness.py`` (fused and scan
graphs of the same cell and inputs, compiled once per session): outputs,
both last states and every gradient, in float64 to rounding and in float32
to its precision, with masks, recurrent dropout, go_backwards, sizes of one
and the batch split across threads; then the op's gradient against finite
differences (``verify_grad``), its NumPy ``perform`` against its C code,
and the layers' choice of implementation.

Sizes are small and the op variants few, so that the file runs fast.
"""
import numpy as np
import pytest
from theano_rnn.runtime import T, theano

import compile_mode
from fused_harness import (Scan, assert_all_close, c_function, check_pair,
                           check_split_across_threads, compiled, op_types,
                           random_cell, time_mask, with_flag)
from theano_rnn import fused, runtime
from theano_rnn.cells import LSTMCell
from theano_rnn.fused.lstm import LSTMBackward, LSTMForward
from theano_rnn.layers import LSTM

# (id, cell options, steps, batch, features, units, Pair options)
CASES = [
    ("plain", {}, 5, 4, 3, 3, {}),
    ("masked", {}, 5, 4, 3, 3, {"use_mask": True}),
    ("recurrent_dropout", {}, 5, 4, 3, 3, {"use_rmask": True}),
    ("masked-recurrent_dropout-sigmoid", {"recurrent_activation": "sigmoid"},
     5, 4, 3, 3, {"use_mask": True, "use_rmask": True}),
    ("go_backwards-int8_mask", {}, 5, 4, 3, 3,
     {"use_mask": True, "mask_dtype": "int8", "go_backwards": True}),
    ("only_h_last_used", {}, 5, 4, 3, 3, {"last_state_only": True}),
    ("relu-linear", {"activation": "relu", "recurrent_activation": "linear"},
     4, 3, 2, 3, {}),
    ("sizes_of_one", {}, 1, 1, 1, 1, {"use_mask": True}),
    ("units_and_batch_of_one", {}, 4, 1, 2, 1, {}),
]


@pytest.mark.parametrize("options,steps,batch,features,units,pair_options",
                         [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_fused_outputs_and_gradients_equal_scan_in_float64(
        rng, options, steps, batch, features, units, pair_options):
    pair = compiled(LSTMCell, options, "float64", features, units,
                    **pair_options)
    # the comparison is really fused against scan
    assert {LSTMForward, LSTMBackward} <= op_types(pair.fused)
    assert Scan not in op_types(pair.fused) and Scan in op_types(pair.scan)
    values, actual = check_pair(pair, rng, steps, batch)
    if pair_options.get("use_mask"):
        # padded steps keep the state and pass no gradient to their input
        mask = values[[v.name for v in pair.inputs].index("mask")]
        grad_x = actual[pair.names.index("d x")]
        assert np.all(grad_x[mask == 0] == 0)


def test_fused_lstm_float32_agrees_with_scan(rng):
    pair = compiled(LSTMCell, {}, "float32", 4, 6, use_mask=True,
                    use_rmask=True)
    values = pair.random_inputs(rng, 7, 5)
    expected = pair.scan(*values)
    actual = pair.fused(*values)
    for a, e, name in zip(actual, expected, pair.names):
        assert a.dtype == np.float32, name
        scale = max(1.0, np.abs(e).max())
        np.testing.assert_allclose(a, e, rtol=0, atol=1e-5 * scale,
                                   err_msg=name)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_fused_lstm_split_across_threads_equals_scan(monkeypatch, rng, dtype):
    """37 units make 4H = 148 columns, full panels and a partial last one,
    for U (forward) and 37 columns, one partial panel, for U^T (backward).
    (The ops are those of the "masked-recurrent_dropout-sigmoid" case and
    of the float32 test above: no C module to compile for this test.)"""
    options = {"recurrent_activation": "sigmoid"} if dtype == "float64" else {}
    pair = compiled(LSTMCell, options, dtype, 5, 37, use_mask=True,
                    use_rmask=True)
    check_split_across_threads(pair, rng, monkeypatch)


def forward_function(activation, recurrent_activation, mask, dtype="float64"):
    """``f(x, W, U, h0, c0, rmask) -> hs + 0.5 cs``, the fused op with a
    fixed time mask, for ``verify_grad``."""
    op = LSTMForward(activation=activation,
                     recurrent_activation=recurrent_activation,
                     has_recurrent_mask=True, has_mask=True)

    def f(x, W, U, h0, c0, rmask):
        hs, cs, _ = op(x, h0, c0, W, U, rmask,
                       T.constant(mask.astype(dtype)))
        return hs + 0.5 * cs
    return f


@pytest.mark.parametrize("recurrent_activation", ["sigmoid", "hard_sigmoid"])
def test_fused_gradient_matches_finite_differences(recurrent_activation):
    rng = np.random.RandomState(42)
    steps, batch, features, units = 4, 3, 3, 2
    point = [rng.randn(steps, batch, features),             # x
             rng.uniform(-0.8, 0.8, (features, 4 * units)), # W
             rng.uniform(-0.8, 0.8, (units, 4 * units)),    # U
             rng.randn(batch, units), rng.randn(batch, units),
             rng.uniform(0.5, 1.5, (batch, units))]         # recurrent mask
    mask = time_mask(steps, batch)
    theano.gradient.verify_grad(
        forward_function("tanh", recurrent_activation, mask), point,
        rng=np.random.RandomState(7), eps=1e-6, abs_tol=1e-6, rel_tol=1e-5)
    # (Theano's differences are one-sided: their error is of the order of
    # eps; a wrong gradient is off by far more)


def test_python_perform_equals_c_code(float64, rng):
    """Theano runs ``perform`` when it has no C compiler: the same numbers."""
    cell = random_cell(LSTMCell, 3, 2, "float64", rng,
                       recurrent_activation="sigmoid")
    x = T.tensor3("x")
    h0, c0, mask, rmask = (T.matrix(n) for n in ("h0", "c0", "m", "r"))
    outputs, (h, c) = fused.fused_rnn(cell, x, [h0, c0], rmask, mask)
    loss = (outputs ** 2).sum() + (h * c).sum()
    results = [outputs, h, c] + T.grad(loss, [x] + cell.weights +
                                       [h0, c0, rmask])
    inputs = [x, h0, c0, mask, rmask]
    c_code = c_function(inputs, results)
    python = theano.function(inputs, results,
                             mode=theano.Mode(linker="py",
                                              optimizer="fast_compile"))
    values = [rng.randn(5, 4, 2), rng.randn(4, 3), rng.randn(4, 3),
              time_mask(5, 4), rng.uniform(0.5, 1.5, (4, 3))]
    assert_all_close(python(*values), c_code(*values),
                     [str(i) for i in range(len(results))], 1e-12, 1e-13)


@pytest.mark.parametrize("linker", [
    "cvm", "py", pytest.param("numba", marks=pytest.mark.skipif(
        runtime.BACKEND != "pytensor", reason="PyTensor's Numba linker"))])
def test_fused_op_refuses_mismatched_shapes_with_a_value_error(float64,
                                                               linker):
    op = LSTMForward(activation="tanh", recurrent_activation="hard_sigmoid",
                     has_recurrent_mask=False, has_mask=False)
    x, W, U, h0, c0 = T.tensor3(), T.matrix(), T.matrix(), T.matrix(), \
        T.matrix()
    f = theano.function([x, W, U, h0, c0], op(x, h0, c0, W, U)[0],
                        mode=theano.Mode(linker=linker))
    good = [np.zeros((3, 2, 5)), np.zeros((5, 8)), np.zeros((2, 8)),
            np.zeros((2, 2)), np.zeros((2, 2))]
    assert f(*good).shape == (4, 2, 2)      # hs[0] = h0, then 3 steps
    with pytest.raises(ValueError, match=r"LSTMForward: recurrent_kernel "
                                         r"has shape \(2, 7\)"):
        f(good[0], good[1], np.zeros((2, 7)), good[3], good[4])
    with pytest.raises(ValueError, match=r"LSTMForward: kernel has shape "
                                         r"\(4, 8\)"):
        f(good[0], np.zeros((4, 8)), good[2], good[3], good[4])
    with pytest.raises(ValueError, match=r"h0 has shape \(3, 2\)"):
        f(good[0], good[1], good[2], np.zeros((3, 2)), good[4])


# -- the layers ---------------------------------------------------------------

def lstm_training_function(implementation, **options):
    layer = LSTM(3, return_sequences=True, dropout=0.3, recurrent_dropout=0.3,
                 seed=5, implementation=implementation, **options)
    layer.build((None, 5, 2))
    x, mask = T.tensor3("x"), T.matrix("mask")
    out = layer.call(x, mask=mask, training=True)
    return layer, c_function([x, mask], [out] + T.grad(
        (out ** 2).sum(), layer.weights))


def test_auto_implementation_uses_the_fused_ops(float64):
    _, f = lstm_training_function("auto")
    assert {LSTMForward, LSTMBackward} <= op_types(f)
    assert Scan not in op_types(f)


def test_fused_layer_with_dropout_equals_scan_layer(float64, rng):
    """Same seed, same weights: the same dropout masks and the same numbers."""
    fused_layer, fused_f = lstm_training_function("fused")
    scan_layer, scan_f = lstm_training_function("scan")
    weights = [rng.uniform(-0.6, 0.6, w.shape)
               for w in fused_layer.get_weights()]
    fused_layer.set_weights(weights)
    scan_layer.set_weights(weights)
    x = rng.randn(4, 5, 2)
    mask = time_mask(5, 4).T
    assert_all_close(fused_f(x, mask), scan_f(x, mask),
                     ["output", "d kernel", "d recurrent_kernel", "d bias"],
                     1e-10, 1e-12)


def test_fused_with_unroll_raises_a_value_error_naming_the_reason():
    layer = LSTM(3, unroll=True, implementation="fused")
    layer.build((None, 5, 2))
    with pytest.raises(ValueError, match="unroll=True"):
        layer.call(T.tensor3("x"))


def test_custom_activation_falls_back_to_scan_or_is_refused_by_name():
    def softsign(x):
        return x / (1 + abs(x))
    layer = LSTM(3, activation=softsign)
    layer.build((None, 5, 2))
    x = T.tensor3("x")
    assert Scan in op_types(c_function([x], layer.call(x)))
    layer = LSTM(3, activation=softsign, implementation="fused")
    layer.build((None, 5, 2))
    with pytest.raises(ValueError, match="softsign"):
        layer.call(x)


def test_a_subclass_of_a_cell_is_left_to_scan():
    # A subclass may override step(); only scan computes what it means.
    class PeepholeLSTMCell(LSTMCell):
        pass

    cell = PeepholeLSTMCell(3)
    cell.build(2)
    assert "no fused loop for PeepholeLSTMCell" in fused.unsupported_reason(
        cell, "float64")


_NO_BLAS_PROBE = """
import numpy as np
import theano_rnn
from theano_rnn.layers import GRU, LSTM
from theano_rnn.models import Sequential
from theano_rnn.optimizers import SGD

x = np.random.RandomState(0).randn(3, 6, 4).astype("float32")
y = np.zeros((3, 5), "float32")
for layer in (LSTM, GRU):
    models = []
    for implementation in ("fused", "scan"):
        np.random.seed(1)
        models.append(Sequential([layer(5, input_shape=(6, 4),
                                        implementation=implementation)]))
        # a step of lr=1: the weights move by the gradient itself
        models[-1].compile(loss="mse", optimizer=SGD(lr=1.0))
    fused, scan = models
    assert np.allclose(fused.predict(x), scan.predict(x), atol=1e-5), layer
    # one training step links and runs the fused backward ops too; the
    # scan path's gradient (its own BLAS calls) checks what they computed
    before = fused.predict(x)
    fused.train_on_batch(x, y)
    scan.train_on_batch(x, y)
    assert not np.allclose(before, fused.predict(x), atol=1e-5), layer
    for a, b in zip(fused.get_weights(), scan.get_weights()):
        assert np.allclose(a, b, atol=1e-5, rtol=1e-4), layer
print("ok")
"""


def test_fused_ops_work_without_a_blas_library():
    # With blas__ldflags empty Theano defines sgemm_ itself (on NumPy); the
    # fused ops must link against that one rather than look for a library.
    import os
    import subprocess
    import sys
    env = with_flag(os.environ, "blas__ldflags=")
    process = subprocess.run([sys.executable, "-c",
                              compile_mode.CHILD_SETUP + _NO_BLAS_PROBE],
                             env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             universal_newlines=True, timeout=600)
    assert process.returncode == 0, process.stderr[-2000:]
    assert process.stdout.strip().endswith("ok")
