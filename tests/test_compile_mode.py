"""The suite's compile mode (:mod:`compile_mode`): Theano's element-wise
ops run through NumPy, and models train in it as they do in production."""
import contextlib
import importlib.util
import os
import sys

import numpy as np
import pytest
from theano_rnn.runtime import T, scan, theano

import compile_mode
from fused_harness import Scan
from theano_rnn.fastmath import fast_tanh
from theano_rnn.fused.lstm import LSTMForward


def elemwise_ops(fgraph):
    """The element-wise ops of a compiled graph, by class name (a fused
    expression as ``Composite``)."""
    names = []
    for node in fgraph.apply_nodes:
        op = node.op
        if isinstance(op, compile_mode.Elemwise):
            names.append("Composite" if type(op.scalar_op).__name__
                         == "Composite" else type(op).__name__)
    return names


def scan_inner_graphs(fgraph):
    return [node.op.fn.maker.fgraph for node in fgraph.apply_nodes
            if isinstance(node.op, Scan)]


def expression():
    x = T.matrix("x")
    return x, T.tanh(x) * 2 + T.exp(-x)


def test_the_suites_default_mode_runs_element_wise_ops_through_numpy():
    x, y = expression()
    f = theano.function([x], y)
    ops = elemwise_ops(f.maker.fgraph)
    assert ops and set(ops) == {"NumPyElemwise"}
    values = np.linspace(-2, 2, 6).reshape(2, 3).astype(x.dtype)
    np.testing.assert_allclose(f(values), np.tanh(values) * 2
                               + np.exp(-values), rtol=1e-6)


def test_the_production_mode_fuses_them_into_c_code(production_mode):
    x, y = expression()
    ops = elemwise_ops(theano.function([x], y).maker.fgraph)
    assert ops == ["Composite"]


def test_the_suite_compiles_fused_recurrences_at_O1_and_production_does_not():
    op = LSTMForward(activation="tanh", recurrent_activation="sigmoid",
                     has_recurrent_mask=False, has_mask=False)
    assert op.c_compile_args()[-1] == "-O1"
    with compile_mode.production():
        assert "-O1" not in op.c_compile_args()
    assert op.c_compile_args()[-1] == "-O1"


def test_numpy_paths_compute_what_the_c_code_computes(rng):
    """The ops without a NumPy ufunc of their own (n-ary sums and products,
    casts, clip with bounds either way round, fast_tanh) run on whole
    arrays, never element by element, and give the C code's numbers."""
    x, lo, hi = T.matrix("x"), T.row("lo"), T.col("hi")
    ints = T.imatrix("ints")
    outputs = [x * lo * hi, x + lo + hi + 1, T.cast(ints, "float32") * x,
               T.clip(x, lo, hi), fast_tanh(x)]
    values = [rng.randn(3, 4).astype(x.dtype),
              rng.randn(1, 4).astype(x.dtype),
              rng.randn(3, 1).astype(x.dtype),
              rng.randint(-5, 5, (3, 4)).astype("int32")]
    suite = theano.function([x, lo, hi, ints], outputs)
    got = suite(*values)
    for node in suite.maker.fgraph.apply_nodes:
        assert not isinstance(getattr(node.op, "ufunc", None), np.ufunc), \
            node  # np.frompyfunc: element by element
    production = compile_mode.production_function([x, lo, hi, ints], outputs)
    for a, b in zip(got, production(*values)):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)


def test_scan_inner_graphs_follow_the_default_mode():
    x = T.tensor3("x")
    h = scan(lambda x_t, h: T.tanh(x_t + h), sequences=x,
             outputs_info=T.zeros_like(x[0]))
    f = theano.function([x], h[-1])
    inner = scan_inner_graphs(f.maker.fgraph)
    assert inner and set(elemwise_ops(inner[0])) == {"NumPyElemwise"}


def sine_script():
    """``scripts/train_sine.py`` as a module (its sibling ``_common`` found as
    when it runs)."""
    scripts = os.path.join(os.path.dirname(os.path.dirname(
        os.path.abspath(__file__))), "scripts")
    if scripts not in sys.path:
        sys.path.insert(0, scripts)
    spec = importlib.util.spec_from_file_location(
        "train_sine", os.path.join(scripts, "train_sine.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def train(script, options, weights, x, y, compiling):
    """The sine script's model for ``options``, set to ``weights``,
    compiled and trained for four batches in the context ``compiling()``
    (:func:`compile_mode.production`, or nothing for the suite's mode); its
    weights afterwards."""
    with compiling():
        model = script.build_model(script.parse_args(options))
        model.set_weights(weights)
        for start in range(0, len(x), 8):
            model.train_on_batch(x[start:start + 8], y[start:start + 8])
    return model.get_weights()


@pytest.mark.parametrize("options", [
    # the models of tests/test_scripts.py (their production modules are the
    # ones its runs of the script compile)
    ["--cell", "rnn", "--units", "3", "--implementation", "scan"],
    ["--cell", "rnn", "--units", "3", "--implementation", "fused"],
    ["--units", "8"]], ids=["rnn-scan", "rnn-fused", "gru"])
def test_the_sine_model_trains_to_the_same_weights_in_both_modes(
        rng, options):
    """The substitution the suite relies on: four Adam steps of the sine
    script's model end with the same weights whether Theano's element-wise
    ops ran as fused C code or through NumPy."""
    script = sine_script()
    options = options + ["--seed", "3"]
    x = rng.randn(32, 5, 1).astype("float32")
    y = rng.randn(32, 1).astype("float32")
    with compile_mode.production():
        weights = script.build_model(script.parse_args(options)).get_weights()
    in_production = train(script, options, weights, x, y,
                          compile_mode.production)
    in_the_suite = train(script, options, weights, x, y,
                         contextlib.nullcontext)
    assert any(np.abs(a - b).max() > 1e-3
               for a, b in zip(weights, in_production))  # it trained
    for a, b in zip(in_production, in_the_suite):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
