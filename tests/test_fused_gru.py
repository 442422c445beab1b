"""The fused GRU and SimpleRNN ops against the scan path they replace.

The reference is :func:`theano_rnn.recurrence.rnn` over the cell's step
function (itself checked against NumPy and finite differences elsewhere).
Both graphs are built from the same symbolic inputs and the same cell and
compiled into one function, so every comparison is of the same numbers.

Op variants compile their C code once per (properties, dtype): the cases
below are few on purpose, and sizes of one reuse the variants of the others.
"""
import numpy as np
import pytest
import theano
import theano.tensor as T
from theano.graph.basic import io_toposort
from theano.link.vm import VMLinker

from theano_rnn import fused, recurrence
from theano_rnn.cells import GRUCell, SimpleRNNCell
from theano_rnn.fused.gru import FusedGRU, FusedGRUGrad
from theano_rnn.fused.simple_rnn import FusedSimpleRNN, FusedSimpleRNNGrad
from theano_rnn.layers import GRU, SimpleRNN

FUSED_OPS = (FusedGRU, FusedGRUGrad, FusedSimpleRNN, FusedSimpleRNNGrad)

# name -> (cell class, cell options, mask, recurrent mask, go_backwards)
CASES = {
    "rnn": (SimpleRNNCell, {}, False, False, False),
    "rnn-masked-dropout-backwards": (SimpleRNNCell, {}, True, True, True),
    "rnn-relu-masked": (SimpleRNNCell, {"activation": "relu"}, True, False,
                        False),
    "gru": (GRUCell, {}, False, False, False),
    "gru-masked-dropout-backwards": (GRUCell, {}, True, True, True),
    "gru-sigmoid-masked": (GRUCell, {"recurrent_activation": "sigmoid"},
                           True, False, False),
    "gru_reset_after": (GRUCell, {"reset_after": True}, False, False, False),
    "gru_reset_after-masked-dropout-backwards": (
        GRUCell, {"reset_after": True}, True, True, True),
    "gru_reset_after-sigmoid-dropout": (
        GRUCell, {"reset_after": True, "recurrent_activation": "sigmoid"},
        False, True, False),
    "gru_reset_after-no-bias-masked": (
        GRUCell, {"reset_after": True, "use_bias": False}, True, False,
        False),
}


def make_cell(cls, options, input_dim, units, rng, dtype):
    """A built cell with random weights (biases too: zeros hide bugs)."""
    cell = cls(units, **options)
    with theano.config.change_flags(floatX=dtype):
        cell.build(input_dim, rng=rng)
    for w in cell.weights:
        w.set_value(rng.uniform(-0.6, 0.6, w.get_value().shape).astype(dtype))
    return cell


def padding_mask(steps, batch, rng, dtype="float64"):
    """Left padding, right padding, a hole and an all-padding row."""
    mask = (rng.rand(steps, batch) > 0.2).astype(dtype)
    mask[:2, 0] = 0              # left padding
    if batch > 1:
        mask[0] = 1
        mask[:, 1] = 0           # a sequence that is all padding
    if batch > 2:
        mask[-2:, 2] = 0         # right padding
    return mask


class Pair(object):
    """The fused and the scan graph of one case, compiled.

    Both are functions of ``inputs`` = ``(x, h0[, mask][, rmask])``
    returning the outputs, the last state and the gradients of a cost mixing
    both (or of the last state only) with respect to x, h0, the weights and
    rmask; ``names`` names these results."""

    def __init__(self, case, dtype, input_dim, units, last_state_only,
                 mask_dtype):
        cls, options, use_mask, use_rmask, go_backwards = CASES[case]
        rng = np.random.RandomState(1234)
        self.cell = cell = make_cell(cls, options, input_dim, units, rng,
                                     dtype)
        x = T.tensor3("x", dtype=dtype)
        h0 = T.matrix("h0", dtype=dtype)
        mask = (T.matrix("mask", dtype=mask_dtype or dtype) if use_mask
                else None)
        rmask = T.matrix("rmask", dtype=dtype) if use_rmask else None
        xw = cell.project_inputs(x)
        non_sequences = cell.step_non_sequences() + (
            [rmask] if use_rmask else [])
        graphs = [fused.fused_rnn(cell, x, [h0], rmask, mask,
                                  go_backwards=go_backwards),
                  recurrence.rnn(cell.step, xw, [h0], non_sequences,
                                 mask=mask, go_backwards=go_backwards)]
        wrt = [x, h0] + cell.weights + ([rmask] if use_rmask else [])
        self.inputs = [x, h0] + [v for v in (mask, rmask) if v is not None]
        weighting = T.constant(np.random.RandomState(5).randn(units),
                               dtype=dtype)
        results = []
        for outputs, (last,) in graphs:
            if last_state_only:
                cost = (last * weighting).sum()
            else:
                # fixed weights: the cost depends on every step and unit
                cost = (outputs * T.sin(T.arange(outputs.size).reshape(
                    outputs.shape) * 0.37)).sum() + (last ** 2).sum()
            results.append([outputs, last] + T.grad(cost, wrt))
        self.fused_outputs = results[0]
        self.fused = theano.function(self.inputs, results[0])
        self.scan = theano.function(self.inputs, results[1])
        self.names = ["outputs", "last state", "d x", "d h0", "d kernel",
                      "d recurrent kernel", "d bias", "d rmask"]
        if not cell.use_bias:
            self.names.remove("d bias")


_PAIRS = {}


def compiled(case, dtype="float64", input_dim=3, units=5,
             last_state_only=False, mask_dtype=None):
    """The :class:`Pair` of a case, compiled once per test session (the
    scan graph's gradient takes seconds to compile)."""
    key = (case, dtype, input_dim, units, last_state_only, mask_dtype)
    if key not in _PAIRS:
        _PAIRS[key] = Pair(*key)
    return _PAIRS[key]


def random_inputs(inputs, rng, dtype, steps, batch, input_dim, units):
    values = [rng.randn(steps, batch, input_dim).astype(dtype),
              rng.randn(batch, units).astype(dtype)]
    for v in inputs[2:]:
        if v.name == "mask":
            values.append(padding_mask(steps, batch, rng, v.dtype))
        else:
            values.append(((rng.rand(batch, units) > 0.3) / 0.7).astype(dtype))
    return values


def assert_all_close(fused_values, scan_values, names, rtol, atol):
    for name, a, b in zip(names, fused_values, scan_values):
        np.testing.assert_allclose(a, b, rtol=rtol, atol=atol,
                                   err_msg="fused and scan differ in " + name)


DROPOUT_CASES = ["rnn-masked-dropout-backwards",
                 "gru-masked-dropout-backwards",
                 "gru_reset_after-masked-dropout-backwards"]


def check_pair(pair, rng, steps, batch, rtol=1e-10, atol=1e-12):
    dtype = pair.inputs[0].dtype
    values = random_inputs(pair.inputs, rng, dtype, steps, batch,
                           pair.cell.input_dim, pair.cell.units)
    fused_values = pair.fused(*values)
    assert all(v.dtype == dtype for v in fused_values)
    assert_all_close(fused_values, pair.scan(*values), pair.names, rtol, atol)


@pytest.mark.parametrize("case", sorted(CASES))
def test_fused_outputs_and_gradients_equal_scan_float64(rng, case):
    check_pair(compiled(case), rng, steps=6, batch=4)


@pytest.mark.parametrize("case", DROPOUT_CASES)
def test_sizes_of_one_equal_scan(rng, case):
    """units = 1, batch = 1, time = 1 (broadcastable dimensions in Theano)."""
    pair = compiled(case, input_dim=1, units=1)
    for steps, batch in [(1, 1), (3, 1), (1, 3)]:
        check_pair(pair, rng, steps, batch)


@pytest.mark.parametrize("case", DROPOUT_CASES)
def test_gradients_through_the_last_state_only_equal_scan(rng, case):
    check_pair(compiled(case, last_state_only=True), rng, steps=6, batch=4)


def test_an_integer_mask_is_cast(rng):
    pair = compiled("gru-sigmoid-masked", mask_dtype="int8")
    check_pair(pair, rng, steps=6, batch=4)


@pytest.mark.parametrize("case", DROPOUT_CASES)
def test_python_implementation_equals_scan(rng, monkeypatch, case):
    """``perform`` (used without a C compiler) computes the same."""
    pair = compiled(case)
    calls = []
    for op_class in FUSED_OPS:
        def counted(self, node, inputs, outputs, _perform=op_class.perform):
            calls.append(type(self))
            return _perform(self, node, inputs, outputs)
        monkeypatch.setattr(op_class, "perform", counted)
    python_mode = theano.compile.mode.Mode(
        linker=VMLinker(use_cloop=False, c_thunks=False), optimizer="fast_run")
    python = theano.function(pair.inputs, pair.fused_outputs,
                             mode=python_mode)
    values = random_inputs(pair.inputs, rng, "float64", 6, 4, 3, 5)
    assert_all_close(python(*values), pair.scan(*values), pair.names,
                     rtol=1e-10, atol=1e-12)
    assert len(calls) == 2      # the forward and the backward op


@pytest.mark.parametrize("case", DROPOUT_CASES)
def test_float32_fused_agrees_with_scan(rng, case):
    pair = compiled(case, dtype="float32", units=8)
    check_pair(pair, rng, steps=12, batch=4, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("case", DROPOUT_CASES)
def test_fused_split_across_threads_equals_scan(monkeypatch, rng, case,
                                                dtype):
    """The batch split across threads, each running every step for its rows.

    27 rows over 3 threads: 9 rows each, which the packed product takes as
    a block of 8 rows (with AVX-512) and a single row.  37 units give full
    and partial panels of the packed U and U^T: 3H = 111 and 2H = 74
    columns (the GRU's U and U_zr), H = 37 (U_h, the SimpleRNN's U and
    every U^T)."""
    monkeypatch.setenv("OPENBLAS_NUM_THREADS", "3")
    pair = compiled(case, dtype=dtype, units=37)
    values = random_inputs(pair.inputs, rng, dtype, 6, 27,
                           pair.cell.input_dim, pair.cell.units)
    expected = pair.scan(*values)
    actual = pair.fused(*values)
    tolerance = 1e-10 if dtype == "float64" else 1e-4
    for a, e, name in zip(actual, expected, pair.names):
        assert a.dtype == dtype, name
        scale = max(1.0, np.abs(e).max())
        np.testing.assert_allclose(a, e, rtol=0, atol=tolerance * scale,
                                   err_msg="fused and scan differ in " + name)
    # one thread gives the same numbers: the threads split rows, not sums
    monkeypatch.setenv("OPENBLAS_NUM_THREADS", "1")
    for a, b, name in zip(pair.fused(*values), actual, pair.names):
        np.testing.assert_allclose(a, b, rtol=1e-6 if dtype == "float32"
                                   else 1e-13, err_msg=name)


@pytest.mark.parametrize("reset_after", [False, True],
                         ids=["gru", "gru_reset_after"])
def test_fused_gru_verify_grad(float64, reset_after):
    rng = np.random.RandomState(42)
    steps, batch, units = 4, 3, 2
    op = FusedGRU(activation="tanh", recurrent_activation="sigmoid",
                  reset_after=reset_after, has_recurrent_mask=True,
                  has_mask=True)
    values = [rng.randn(steps, batch, 3 * units), rng.randn(batch, units),
              rng.randn(units, 3 * units)]
    if reset_after:
        values.append(rng.randn(3 * units))
    values.append(rng.uniform(0.5, 1.5, (batch, units)))        # rmask
    values.append(padding_mask(steps, batch, rng))              # constant

    n_differentiable = len(values) - 1
    mask = T.constant(values[-1])
    theano.gradient.verify_grad(
        lambda *args: op(*(list(args) + [mask]))[0],
        values[:n_differentiable], rng=rng, abs_tol=1e-6, rel_tol=1e-6)


def test_fused_simple_rnn_verify_grad(float64):
    rng = np.random.RandomState(42)
    steps, batch, units = 4, 3, 2
    op = FusedSimpleRNN(activation="tanh", has_recurrent_mask=True,
                        has_mask=True)
    values = [rng.randn(steps, batch, units), rng.randn(batch, units),
              rng.randn(units, units), rng.uniform(0.5, 1.5, (batch, units))]
    mask = T.constant(padding_mask(steps, batch, rng))
    theano.gradient.verify_grad(lambda *args: op(*(list(args) + [mask])),
                                values, rng=rng, abs_tol=1e-6, rel_tol=1e-6)


def op_classes(function):
    return {type(node.op) for node in function.maker.fgraph.toposort()}


@pytest.mark.parametrize("layer_class,forward,backward", [
    (GRU, FusedGRU, FusedGRUGrad),
    (SimpleRNN, FusedSimpleRNN, FusedSimpleRNNGrad)])
def test_implementation_auto_picks_the_fused_ops(layer_class, forward,
                                                 backward):
    layer = layer_class(4, implementation="auto")
    layer.build((None, 5, 3))
    x = T.tensor3("x")
    loss = layer.call(x).sum()
    train = theano.function([x], T.grad(loss, layer.weights))
    assert {forward, backward} <= op_classes(train)
    scan_layer = layer_class(4, implementation="scan")
    scan_layer.build((None, 5, 3))
    scan_graph = T.grad(scan_layer.call(x).sum(), scan_layer.weights)
    assert not any(isinstance(node.op, FUSED_OPS)
                   for node in io_toposort([x], scan_graph))


@pytest.mark.parametrize("layer_class,options", [
    (GRU, {"reset_after": True}), (SimpleRNN, {})])
def test_fused_and_scan_layers_with_shared_weights_agree(float64, rng,
                                                         layer_class,
                                                         options):
    layers = [layer_class(1, return_sequences=True, go_backwards=True,
                          implementation=implementation, **options)
              for implementation in ("fused", "scan")]
    for layer in layers:
        layer.build((None, 1, 1))
    weights = [rng.uniform(-0.6, 0.6, w.shape)
               for w in layers[0].get_weights()]
    x, mask = T.tensor3("x"), T.matrix("mask")
    functions = []
    for layer in layers:
        layer.set_weights(weights)
        out = layer.call(x, mask=mask)
        functions.append(theano.function(
            [x, mask], [out] + T.grad((out ** 3).sum(), [x] + layer.weights)))
    value, mask_value = rng.randn(1, 1, 1), np.ones((1, 1))
    for a, b in zip(*[f(value, mask_value) for f in functions]):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("implementation", ["C", "Python"])
def test_a_wrong_shape_is_a_clear_error(implementation):
    op = FusedGRU(activation="tanh", recurrent_activation="hard_sigmoid",
                  reset_after=False, has_recurrent_mask=False, has_mask=False)
    xw, h0, U = T.tensor3("xw"), T.matrix("h0"), T.matrix("U")
    mode = None if implementation == "C" else theano.compile.mode.Mode(
        linker=VMLinker(use_cloop=False, c_thunks=False))
    f = theano.function([xw, h0, U], op(xw, h0, U)[0], mode=mode)
    dtype = theano.config.floatX
    with pytest.raises(ValueError, match=r"FusedGRU: h0 has shape \(2, 3\), "
                                         r"expected \(2, 4\)"):
        f(np.zeros((5, 2, 12), dtype), np.zeros((2, 3), dtype),
          np.zeros((4, 12), dtype))


def test_the_internal_outputs_have_no_gradient():
    op = FusedGRU(activation="tanh", recurrent_activation="hard_sigmoid",
                  reset_after=False, has_recurrent_mask=False, has_mask=False)
    xw, h0, U = T.tensor3("xw"), T.matrix("h0"), T.matrix("U")
    hs, gates, saved = op(xw, h0, U)
    with pytest.raises(NotImplementedError, match="internal outputs"):
        T.grad(gates.sum(), U)
