"""What the tests of the fused ops share (``tests/test_fused_<cell>.py``).

The reference is :func:`theano_rnn.recurrence.rnn` over the cell's step
function (itself checked against NumPy and finite differences elsewhere),
compiled with :data:`REFERENCE_MODE`, the C backend without the graph
optimisations of ``fast_run`` (the scan's step and its gradient's too) and
with Theano's element-wise ops through NumPy: the same graph, computed op by
op, without the fused element-wise kernels that would be C modules of their
own for every case.  The fused graph compiles in the suite's mode
(:data:`C_MODE`): the fused ops' C code, NumPy around it.
A :class:`Pair` builds the fused and the scan graph of one cell from the
same symbolic inputs and compiles both, so every comparison is of the same
numbers: the outputs, the last states and the gradients of a cost with
respect to the inputs, the initial states, the weights and the recurrent
dropout mask.

Op variants compile their C code once per (properties, dtype), and the
scan graph's gradient takes seconds to compile: :func:`compiled` keeps each
pair for the whole session, and the cases of each file are few on purpose.
"""
import importlib

import numpy as np
from theano_rnn import runtime
from theano_rnn.runtime import T, theano

from theano_rnn import fused, recurrence

import compile_mode


def time_mask(steps, batch, rng=None, dtype="float64"):
    """A (steps, batch) mask (1: real step, 0: padding): left padding,
    right padding, an all-padding row and a hole, as far as the batch
    allows; further rows get random holes (with ``rng``) or none."""
    mask = np.ones((steps, batch))
    rows = [lambda m: m[:2, 0].fill(0),       # left padding
            lambda m: m[3:, 1].fill(0),       # right padding
            lambda m: m[:, 2].fill(0),        # only padding
            lambda m: m[2:3, 3].fill(0)]      # a hole
    for padding in rows[:batch]:
        padding(mask)
    if rng is not None and batch > len(rows):
        mask[:, len(rows):] *= rng.rand(steps, batch - len(rows)) > 0.2
    return mask.astype(dtype)


def random_cell(cls, units, input_dim, dtype, rng, **options):
    """A built cell with random weights (biases too: zeros hide bugs)."""
    cell = cls(units, **options)
    with theano.config.change_flags(floatX=dtype):
        cell.build(input_dim, rng=rng)
    for w in cell.weights:
        w.set_value(rng.uniform(-0.6, 0.6, w.get_value().shape).astype(dtype))
    return cell


#: The mode of the tests' compiled functions: the suite's
#: (:mod:`compile_mode`), which is the C backend on both backends with
#: Theano's element-wise ops through NumPy: theano_rnn's ops run their C
#: code.  (PyTensor's default linker is Numba, under which the fused ops also
#: run their C code: tests/test_fused_numba.py.)
C_MODE = compile_mode.TEST_MODE


#: The mode of the scan references: the C backend, ``fast_compile``'s
#: rewrites only (no element-wise fusion, no scan rewrites) and the
#: element-wise ops through NumPy, so that their C modules are the few ops
#: every case shares.
REFERENCE_MODE = theano.compile.mode.Mode(
    linker="cvm", optimizer="fast_compile").including(compile_mode.TAG)


def c_function(inputs, outputs, **kwargs):
    """``theano.function`` compiled with :data:`C_MODE`."""
    return theano.function(inputs, outputs, mode=C_MODE, **kwargs)


#: The environment variable of the backend's flags (for a subprocess).
FLAGS_VARIABLE = {"theano": "THEANO_FLAGS",
                  "pytensor": "PYTENSOR_FLAGS"}[runtime.BACKEND]


def with_flag(environ, flag):
    """A copy of ``environ`` with ``flag`` added to the backend's flags."""
    environ = dict(environ)
    environ[FLAGS_VARIABLE] = ",".join(
        f for f in [environ.get(FLAGS_VARIABLE, ""), flag] if f)
    return environ


#: The class of scan's op (``theano.scan`` is the function).
Scan = importlib.import_module(theano.__name__ + ".scan.op").Scan


def op_types(function):
    """The classes of the ops of a compiled function."""
    return {type(node.op) for node in function.maker.fgraph.toposort()}


def graph_op_types(outputs):
    """The classes of the ops of the (uncompiled) graph of ``outputs``."""
    types, seen, stack = set(), set(), list(outputs)
    while stack:
        node = stack.pop().owner
        if node is not None and node not in seen:
            seen.add(node)
            types.add(type(node.op))
            stack.extend(node.inputs)
    return types


def python_mode():
    """A mode running every op's ``perform`` (as without a C compiler)."""
    return theano.compile.mode.Mode(
        linker=theano.link.vm.VMLinker(use_cloop=False, c_thunks=False),
        optimizer="fast_run")


class Pair(object):
    """The fused and the scan graph of one cell, compiled.

    Both are functions of ``inputs`` = ``(x, initial states[, mask][,
    rmask])`` returning ``[outputs] + last states + gradients`` of a cost
    (a fixed weighting of every output and last state, or of the last
    ``h`` only) with respect to x, the initial states, the weights and
    rmask; ``names`` names these results."""

    def __init__(self, cls, options, dtype, input_dim, units, use_mask=False,
                 use_rmask=False, go_backwards=False, last_state_only=False,
                 mask_dtype=None):
        rng = np.random.RandomState(1234)
        self.cell = cell = random_cell(cls, units, input_dim, dtype, rng,
                                       **options)
        x = T.tensor3("x", dtype=dtype)
        states = [T.matrix(name + "0", dtype=dtype)
                  for name in cell.state_names]
        mask = (T.matrix("mask", dtype=mask_dtype or dtype) if use_mask
                else None)
        rmask = T.matrix("rmask", dtype=dtype) if use_rmask else None
        non_sequences = cell.step_non_sequences() + (
            [rmask] if use_rmask else [])
        graphs = [fused.fused_rnn(cell, x, states, rmask, mask,
                                  go_backwards=go_backwards),
                  recurrence.rnn(cell.step, cell.project_inputs(x), states,
                                 non_sequences, mask=mask,
                                 go_backwards=go_backwards,
                                 mode=REFERENCE_MODE)]
        wrt = [x] + states + cell.weights + ([rmask] if use_rmask else [])
        self.inputs = [x] + states + [v for v in (mask, rmask)
                                      if v is not None]
        weighting = T.constant(np.random.RandomState(5).randn(units),
                               dtype=dtype)
        results = []
        for outputs, last in graphs:
            if last_state_only:
                cost = (last[0] * weighting).sum()
            else:
                # fixed weights: the cost depends on every step and unit
                # (0.37 in the graph's dtype: as a Python float it is a
                # float32 constant, and the fused graph, compiled with
                # fast_run, and the reference gave gradients 1e-6 apart)
                step = T.constant(0.37, dtype=dtype)
                cost = (outputs * T.sin(T.arange(outputs.size).reshape(
                    outputs.shape) * step)).sum() + sum(
                        (s ** 2 * (k + 1)).sum() for k, s in enumerate(last))
            results.append([outputs] + list(last) + T.grad(cost, wrt))
        self.fused_outputs, self.scan_outputs = results
        self.fused = c_function(self.inputs, results[0])
        self.scan = theano.function(self.inputs, results[1],
                                    mode=REFERENCE_MODE)
        self.names = (["outputs"] + ["last " + s for s in cell.state_names]
                      + ["d " + v.name.split("/")[-1] for v in wrt])

    def random_inputs(self, rng, steps, batch):
        """Values for ``inputs``: normal x and states, a :func:`time_mask`,
        an inverted-dropout recurrent mask."""
        dtype, units = self.inputs[0].dtype, self.cell.units
        values = [rng.randn(steps, batch, self.cell.input_dim).astype(dtype)]
        values += [rng.randn(batch, units).astype(dtype)
                   for _ in self.cell.state_names]
        for v in self.inputs[len(values):]:
            if v.name == "mask":
                values.append(time_mask(steps, batch, rng, v.dtype))
            else:
                values.append(((rng.rand(batch, units) > 0.3) / 0.7)
                              .astype(dtype))
        return values


_PAIRS = {}


def compiled(cls, options=None, dtype="float64", input_dim=3, units=5,
             **pair_options):
    """The :class:`Pair` of these arguments, compiled once per session."""
    options = options or {}
    key = (cls, tuple(sorted(options.items())), dtype, input_dim, units,
           tuple(sorted(pair_options.items())))
    if key not in _PAIRS:
        _PAIRS[key] = Pair(cls, options, dtype, input_dim, units,
                           **pair_options)
    return _PAIRS[key]


def assert_all_close(actual, expected, names, rtol, atol):
    assert len(actual) == len(expected) == len(names)
    for name, a, e in zip(names, actual, expected):
        assert a.shape == e.shape, name
        np.testing.assert_allclose(a, e, rtol=rtol, atol=atol,
                                   err_msg="fused and scan differ in " + name)


def check_pair(pair, rng, steps, batch, rtol=1e-10, atol=1e-12):
    """Fused and scan agree on random inputs; returns ``(values, fused
    results)``."""
    dtype = pair.inputs[0].dtype
    values = pair.random_inputs(rng, steps, batch)
    fused_values = pair.fused(*values)
    assert all(v.dtype == dtype for v in fused_values)
    assert_all_close(fused_values, pair.scan(*values), pair.names, rtol, atol)
    return values, fused_values


def check_python_implementation(pair, rng, monkeypatch, op_classes):
    """``perform`` (used without a C compiler) computes what scan does, and
    runs for the forward and the backward op."""
    calls = []
    for op_class in op_classes:
        def counted(self, node, inputs, outputs, _perform=op_class.perform):
            calls.append(type(self))
            return _perform(self, node, inputs, outputs)
        monkeypatch.setattr(op_class, "perform", counted)
    python = theano.function(pair.inputs, pair.fused_outputs,
                             mode=python_mode())
    values = pair.random_inputs(rng, 6, 4)
    assert_all_close(python(*values), pair.scan(*values), pair.names,
                     rtol=1e-10, atol=1e-12)
    assert sorted(c.__name__ for c in calls) == sorted(
        c.__name__ for c in op_classes)


def check_split_across_threads(pair, rng, monkeypatch, batch=27):
    """The batch split across 3 threads, each running every step for its
    rows, computes what scan does, and one thread the same numbers (the
    threads split rows, not sums).

    27 rows over 3 threads: 9 rows each, which the packed product takes as
    a block of 8 rows (with AVX-512) or two of 4, and a single row; with 37
    units the packed U and U^T have full and partial panels."""
    dtype = pair.inputs[0].dtype
    monkeypatch.setenv("OPENBLAS_NUM_THREADS", "3")
    values = pair.random_inputs(rng, 6, batch)
    expected = pair.scan(*values)
    actual = pair.fused(*values)
    tolerance = 1e-10 if dtype == "float64" else 1e-4
    for a, e, name in zip(actual, expected, pair.names):
        assert a.dtype == dtype, name
        scale = max(1.0, np.abs(e).max())
        np.testing.assert_allclose(a, e, rtol=0, atol=tolerance * scale,
                                   err_msg="fused and scan differ in " + name)
    monkeypatch.setenv("OPENBLAS_NUM_THREADS", "1")
    for a, b, name in zip(pair.fused(*values), actual, pair.names):
        np.testing.assert_allclose(a, b, rtol=1e-6 if dtype == "float32"
                                   else 1e-13, err_msg=name)


def _over(cases):
    """Mark a test of :class:`ScanComparisons` to run over ``cases``: the
    name of the class attribute listing them."""
    def mark(test):
        test.cases = cases
        return test
    return mark


class ScanComparisons(object):
    """The fused-against-scan tests of a cell whose cases are all alike.

    A test file subclasses it (``class TestGRU(ScanComparisons)``) with
    ``cell_class``, ``ops`` (the forward and the backward op class),
    ``CASES`` (name -> (cell options, :class:`Pair` options)) and
    ``DROPOUT_CASES`` (the names of the cases with masks, recurrent dropout
    and go_backwards, which the more expensive tests take), and
    ``layer_class`` with the ``layer_options`` of the layer test."""

    cell_class = layer_class = None
    layer_options = {}
    ops = ()
    CASES = {}
    DROPOUT_CASES = []
    #: units giving full and partial panels in the thread test
    thread_units = 37

    def pytest_generate_tests(self, metafunc):
        cases = getattr(metafunc.function, "cases", None)
        if cases is not None:
            metafunc.parametrize("case", sorted(getattr(self, cases)))

    def pair(self, case, **options):
        cell_options, pair_options = self.CASES[case]
        return compiled(self.cell_class, cell_options,
                        **dict(pair_options, **options))

    @_over("CASES")
    def test_fused_outputs_and_gradients_equal_scan_float64(self, rng, case):
        check_pair(self.pair(case), rng, steps=6, batch=4)

    @_over("DROPOUT_CASES")
    def test_sizes_of_one_equal_scan(self, rng, case):
        """units = 1, batch = 1, time = 1 (broadcastable dimensions in
        Theano)."""
        one = self.pair(case, input_dim=1, units=1)
        for steps, batch in [(1, 1), (3, 1), (1, 3)]:
            check_pair(one, rng, steps, batch)

    @_over("DROPOUT_CASES")
    def test_gradients_through_the_last_state_only_equal_scan(self, rng,
                                                              case):
        check_pair(self.pair(case, last_state_only=True), rng, steps=6,
                   batch=4)

    @_over("DROPOUT_CASES")
    def test_python_implementation_equals_scan(self, rng, monkeypatch, case):
        check_python_implementation(self.pair(case), rng, monkeypatch,
                                    self.ops)

    @_over("DROPOUT_CASES")
    def test_float32_fused_agrees_with_scan(self, rng, case):
        # float32 rounding over 12 steps, summed in another order by the
        # reference's unfused ops: differences up to 3e-5 on values near 1
        check_pair(self.pair(case, dtype="float32", units=8), rng, steps=12,
                   batch=4, rtol=1e-4, atol=1e-4)

    @_over("DROPOUT_CASES")
    def test_fused_split_across_threads_equals_scan_float64(
            self, monkeypatch, rng, case):
        check_split_across_threads(
            self.pair(case, units=self.thread_units), rng, monkeypatch)

    @_over("DROPOUT_CASES")
    def test_fused_split_across_threads_equals_scan_float32(
            self, monkeypatch, rng, case):
        check_split_across_threads(
            self.pair(case, dtype="float32", units=self.thread_units), rng,
            monkeypatch)

    def test_implementation_auto_picks_the_fused_ops(self):
        layer_class = self.layer_class
        layer = layer_class(4, implementation="auto")
        layer.build((None, 5, 3))
        x = T.tensor3("x")
        loss = layer.call(x).sum()
        train = c_function([x], T.grad(loss, layer.weights))
        assert set(self.ops) <= op_types(train)
        scan_layer = layer_class(4, implementation="scan")
        scan_layer.build((None, 5, 3))
        scan_graph = T.grad(scan_layer.call(x).sum(), scan_layer.weights)
        assert not set(self.ops) & graph_op_types(scan_graph)

    def test_fused_and_scan_layers_with_shared_weights_agree(self, float64,
                                                             rng):
        """Sizes of one through the layers, go_backwards, a mask."""
        layers = [self.layer_class(1, return_sequences=True,
                                   go_backwards=True,
                                   implementation=implementation,
                                   **self.layer_options)
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
            functions.append(c_function(
                [x, mask],
                [out] + T.grad((out ** 3).sum(), [x] + layer.weights)))
        value, mask_value = rng.randn(1, 1, 1), np.ones((1, 1))
        for a, b in zip(*[f(value, mask_value) for f in functions]):
            np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)
