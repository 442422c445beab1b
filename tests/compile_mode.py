"""The mode the test suite compiles its graphs in: Theano's element-wise ops
run through NumPy, everything else as in production, the fused recurrences
compiled at ``-O1``.

Theano generates and compiles a C module for every distinct element-wise
node: one per scalar op, dtype, number of dimensions, broadcast pattern and
in-place pattern, and one per fused expression.  In a run of this suite with
an empty compile cache they were 1,146 of the 1,465 modules, at about a
second of ``g++`` each: most of the run.  The tests check theano_rnn's graphs,
ops and models, not Theano's code generator, so by default they compile with
:data:`TEST_MODE`:

* Theano's optimizer (``fast_run``) without element-wise fusion, and
* the element-wise nodes left at the end swapped for :class:`NumPyElemwise`,
  which has no C code, so Theano runs its Python implementation: one NumPy
  ufunc call per node (the reference implementation Theano's own tests
  check the C code against).

theano_rnn's own C ops (the fused recurrences, Adam, the row gathers), BLAS,
indexing, reductions and scan compile as in production; the fused
recurrences with ``g++ -O1`` instead of ``-O3`` (:func:`_suite_compile_args`:
1.3 s instead of 2.2 each).

What still runs Theano's production mode (fusion, C element-wise code):

* :func:`production` and :func:`production_function` (the
  ``production_mode`` fixture): the fast-math tests (``fast_tanh``'s C
  code), the Numba-against-C tests and those of the suite's mode itself;
* every test that runs a script or another Python process (training,
  prediction, benchmark, checkpoints, the compile cache): the mode is set
  in this process only, except in the child processes whose code runs
  :data:`CHILD_SETUP` (the probes of the fused ops' build options and of
  concurrent compilation) or that :func:`module_command` starts (the Keras
  runner, whose small scripts compiled 40 modules each in production).

``tests/test_compile_mode.py`` checks that the sine script's models train to
the same weights in both modes, and that the NumPy paths give the C code's
numbers.  With this mode a run with an empty compile cache compiled 404
modules instead of 1,294 (2026-12-02).
"""
import contextlib
import functools
import os
import sys

import numpy as np
from theano_rnn import runtime
from theano_rnn.fastmath import ScalarFastTanh
from theano_rnn.fused._base import FusedRecurrenceOp
from theano_rnn.runtime import theano

if runtime.BACKEND == "theano":
    from theano.compile import optdb
    from theano.graph.opt import GlobalOptimizer as _GraphRewriter
    from theano.graph.utils import MethodNotDefined
    from theano.tensor.elemwise import Elemwise
else:
    from pytensor.compile import optdb
    from pytensor.graph.rewriting.basic import GraphRewriter as _GraphRewriter
    from pytensor.graph.utils import MethodNotDefined
    from pytensor.tensor.elemwise import Elemwise

#: The rewrite's name in ``optdb`` and its tag, which no standard query
#: includes.
NAME, TAG = "theano_rnn_tests_numpy_elemwise", "numpy_elemwise_for_tests"
#: Where it runs: after the in-place rewrites (Theano 75, PyTensor 50.5),
#: before the last merge (Theano 100, PyTensor 100).
POSITION = 99.0


def array_function(scalar_op):
    """A function of whole arrays for the scalar ops that have no NumPy
    ufunc for their inputs (``nfunc_spec``), which ``Elemwise.perform``
    would otherwise run element by element in Python (``np.frompyfunc``):
    sums and products of more than two terms, casts, clip, fast_tanh.
    ``None`` for the others.  (PyTensor does the first two itself.)"""
    name = type(scalar_op).__name__
    if name in ("Add", "Mul"):
        binary = np.add if name == "Add" else np.multiply
        return lambda *terms: functools.reduce(binary, terms)
    if name == "Cast":
        dtype = np.dtype(scalar_op.o_type.dtype)
        return lambda x: np.asarray(x).astype(dtype)
    if name == "Clip":
        # Theano's order of tests, not np.clip's (they differ for lo > hi)
        return lambda x, lo, hi: np.where(x < lo, lo, np.where(x > hi, hi, x))
    if isinstance(scalar_op, ScalarFastTanh):
        return lambda x: scalar_op.impl(x)  # written for arrays
    return None


class NumPyElemwise(Elemwise):
    """An :class:`Elemwise` without C code: Theano falls back to
    ``Elemwise.perform``, which calls the scalar op's NumPy ufunc (or the
    :func:`array_function` of the ops that have none)."""

    def c_code(self, node, nodename, inames, onames, sub):
        raise MethodNotDefined("c_code", type(self), "NumPyElemwise",
                               "tests run element-wise ops through NumPy")

    def prepare_node(self, node, storage_map, compute_map, impl):
        super().prepare_node(node, storage_map, compute_map, impl)
        function = array_function(self.scalar_op) if impl == "py" else None
        if function is not None:
            function.nout = 1  # what perform reads of a ufunc
            self.ufunc = function


class SwapElemwise(_GraphRewriter):
    """Give every :class:`Elemwise` node of a graph a :class:`NumPyElemwise`
    op with the same scalar op and in-place pattern, in place.

    The node keeps its inputs, its outputs (their types) and its destroy
    and view maps: nothing the graph's features track changes, so none has
    to hear of it.  Replacing each node by a new one through the graph
    instead (``fgraph.replace``) made every feature update itself for the
    new node and the old one; as a node-by-node rewriter (``TopoOptimizer``)
    it also made Theano search the whole graph for destroy cycles after
    each swap, which is quadratic in the graph's size.  Compiling and
    fitting an encoder-decoder LSTM for one epoch took 47 s node by node,
    23-26 s with one ``replace_all`` and no validation, and 20-22.5 s with
    the swap in place (three runs each)."""

    def apply(self, fgraph):
        for node in fgraph.toposort():
            op = node.op
            if type(op) is not Elemwise:
                continue
            node.op = NumPyElemwise(op.scalar_op, op.inplace_pattern,
                                    name=op.name, nfunc_spec=op.nfunc_spec)


if runtime.BACKEND == "theano":
    optdb.register(NAME, SwapElemwise(), POSITION, TAG)
else:
    optdb.register(NAME, SwapElemwise(), TAG, position=POSITION)

#: The default mode when this module was imported: theano_rnn's production
#: mode (``runtime.function_mode()`` and scan's inner graphs use it).
PRODUCTION_MODE = (runtime.function_mode()
                   or theano.compile.mode.get_default_mode())
#: The production mode without element-wise fusion and with NumPy
#: element-wise ops.
TEST_MODE = PRODUCTION_MODE.excluding("fusion").including(TAG)


#: What the suite's mode adds to the fused recurrences' C compiler options:
#: ``-O1``, after the ``-O3`` that the backend puts first (the last ``-O``
#: counts; a level in the user's ``gcc__cxxflags`` comes later still).
FUSED_OPTIMIZATION = "-O1"
_production_compile_args = FusedRecurrenceOp.c_compile_args
#: Whether :func:`production` is compiling (the fused ops' options then).
_in_production = False


def _suite_compile_args(self, **kwargs):
    """``FusedRecurrenceOp.c_compile_args`` in the suite's mode:
    :data:`FUSED_OPTIMIZATION` added, except under :func:`production`.

    Why: at ``-O3`` ``g++`` spends most of a fused recurrence's compile
    optimising it (2.2 s against 1.3 s at ``-O1``, with the precompiled
    header), and the suite compiles about a hundred of them, one per cell,
    option set and dtype.  The tests check what the ops compute, which does
    not depend on the level (no fast-math option is involved).  The compile
    options are in the modules' cache keys, so these never stand in for
    production modules.  Theano's own modules keep the production options:
    they take 0.05-0.2 s less at ``-O1``, and keeping them lets the tests
    share them with the scripts the tests run, which compile as in
    production (``train_sine.py`` compares the fused and scan loops
    there)."""
    args = _production_compile_args(self, **kwargs)
    return args if _in_production else args + [FUSED_OPTIMIZATION]


def use_test_mode():
    """Make :data:`TEST_MODE` the default mode of this process (the tests'
    ``theano.function`` calls and scan's inner graphs), compile the fused
    recurrences at :data:`FUSED_OPTIMIZATION`, and keep no stack trace on
    new variables.

    Theano records where each variable was made, for its error messages:
    it walks the stack past its own frames and reads the source lines of
    the next ``traceback__limit`` (8 by default), for every variable it
    makes, in the optimizer too.  Six of the layer and model test files ran
    7% faster without it.  No test reads those traces."""
    theano.config.mode = TEST_MODE
    FusedRecurrenceOp.c_compile_args = _suite_compile_args
    theano.config.traceback__limit = 0


@contextlib.contextmanager
def production():
    """Compile in :data:`PRODUCTION_MODE`, the fused recurrences with their
    production options (the ``production_mode`` fixture, for a whole
    test)."""
    global _in_production
    outer, _in_production = _in_production, True
    try:
        with theano.config.change_flags(mode=PRODUCTION_MODE):
            yield
    finally:
        _in_production = outer


def production_function(inputs, outputs, **kwargs):
    """``theano.function`` compiled as in production: Theano's element-wise
    C code, fused, and the fused recurrences' production options."""
    with production():
        return theano.function(inputs, outputs, mode=PRODUCTION_MODE,
                               **kwargs)


#: Lines that put a child process (``python -c``) in the suite's mode; they
#: import theano_rnn, so they go before the child's own imports of it.
CHILD_SETUP = ("import sys\n"
               "sys.path.insert(0, %r)\n"
               "import compile_mode\n"
               "compile_mode.use_test_mode()\n"
               % os.path.dirname(os.path.abspath(__file__)))


def module_command(module, *args):
    """The command that runs ``python -m module args...`` in the suite's
    mode (``runpy`` runs the module as ``-m`` does, ``sys.argv[0]`` its
    file)."""
    return [sys.executable, "-c", CHILD_SETUP +
            "import runpy\n"
            "runpy.run_module(%r, run_name='__main__', alter_sys=True)\n"
            % module] + [str(a) for a in args]
