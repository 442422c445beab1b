"""Set up PyTensor, Theano's maintained successor, the way theano_rnn needs it.

:mod:`theano_rnn.runtime` runs :func:`configure` when it picks PyTensor,
before PyTensor is first imported.  Flags the user set in ``PYTENSOR_FLAGS``
or a ``.pytensorrc`` always win.

1. **BLAS.**  PyTensor does not find Debian's ``libopenblas-dev`` by
   itself; ``blas__ldflags=-lopenblas`` is set where the system OpenBLAS
   can be linked (:func:`theano_rnn.runtime.theano_setup.find_openblas`).
2. **floatX.**  ``float32``, as on Theano.
3. **Linker.**  ``cvm`` (the C virtual machine) unless the user chose a
   linker or a mode: PyTensor's default, Numba, runs the fused C ops in
   Python object mode and cannot compile ``fast_tanh``.  The functions
   theano_rnn compiles itself use :func:`function_mode`, C whatever the
   default.
4. **OpenBLAS's idle threads** sleep soon after a call
   (``OPENBLAS_THREAD_TIMEOUT``, as on Theano; a value the user set is
   kept).

PyTensor's **JAX** mode is there when asked for (``compile(...,
mode="JAX")``): :func:`compile_function` gives a :class:`StaticShapeFunction`,
and :func:`register_jax` the JAX implementations of theano_rnn's ops.

This module also holds what PyTensor spells differently from Theano, under
the names :mod:`theano_rnn.runtime` exports.
"""
import functools
import math
import sys
import types

from .theano_setup import (add_flags, find_openblas, inplace_position,
                           set_openblas_thread_timeout, user_flags)

#: What this module decided.
SETTINGS = {}


def configure():
    """Add theano_rnn's defaults to ``PYTENSOR_FLAGS``; a no-op for anything
    the user set."""
    if SETTINGS:
        return SETTINGS
    chosen = user_flags("PYTENSOR_FLAGS", "PYTENSORRC",
                        ("~/.pytensorrc", "~/.pytensorrc.txt"))
    extra = []
    if "blas__ldflags" not in chosen:
        flags = find_openblas()
        if flags:
            extra.append("blas__ldflags=%s" % flags)
    if "floatx" not in chosen:
        extra.append("floatX=float32")
    extra += _default_linker_flags(chosen)
    add_flags("PYTENSOR_FLAGS", extra, SETTINGS)
    set_openblas_thread_timeout(SETTINGS)
    SETTINGS["configured"] = True
    return SETTINGS


#: The linkers that run ops' C code; any other (Numba, JAX, PyTorch, the
#: Python VM) is replaced by ``cvm`` in :func:`function_mode`.
C_LINKERS = ("cvm", "cvm_nogc", "c", "c|py", "c|py_nogc")


def _default_linker_flags(user_flags):
    """``linker=cvm`` unless the user chose a linker or a mode: PyTensor's
    default is Numba, under which the fused C ops run in Python object mode
    and ``fast_tanh`` fails."""
    if "linker" in user_flags or "mode" in user_flags:
        return []
    return ["linker=cvm"]


# ===========================================================================
# What PyTensor spells differently from Theano, under the names
# theano_rnn.runtime exports (Theano's side: theano_setup.py, same order).
# ===========================================================================

# --- T.nnet ------------------------------------------------------------------

def make_nnet():
    """Theano's ``T.nnet`` functions that theano_rnn uses, on PyTensor."""
    import pytensor.tensor as pt
    from pytensor.tensor.special import softmax as _softmax

    def hard_sigmoid(x):
        """Theano's ``hard_sigmoid``: ``clip(0.2 x + 0.5, 0, 1)``."""
        # Constants in x's dtype: PyTensor makes a Python float floatX.
        return pt.clip(pt.constant(0.2, dtype=x.dtype) * x
                       + pt.constant(0.5, dtype=x.dtype), 0.0, 1.0)

    def relu(x, alpha=0):
        if alpha == 0:
            return pt.maximum(x, 0)
        return pt.switch(x > 0, x, alpha * x)

    def elu(x, alpha=1):
        return pt.switch(x > 0, x, alpha * pt.expm1(x))

    def softmax(x, axis=-1):
        return _softmax(x, axis=axis)

    def binary_crossentropy(output, target):
        return -(target * pt.log(output) + (1.0 - target) * pt.log1p(-output))

    def categorical_crossentropy(coding_dist, true_dist):
        return -pt.sum(true_dist * pt.log(coding_dist), axis=-1)

    return types.SimpleNamespace(
        sigmoid=pt.sigmoid, hard_sigmoid=hard_sigmoid, relu=relu, elu=elu,
        softplus=pt.softplus, softmax=softmax,
        binary_crossentropy=binary_crossentropy,
        categorical_crossentropy=categorical_crossentropy)


# --- Graphs: compiled functions, loops, broadcasting, rewriting -------------

def function_mode(mode=None):
    """The mode theano_rnn compiles its functions with.

    Without ``mode``: PyTensor's default mode if its linker runs C code,
    else the same optimizer with the C virtual machine (``cvm``).  Scan's
    inner graphs follow the outer function's linker.

    ``mode`` (a name such as ``"JAX"`` or ``"FAST_COMPILE"``, or a
    ``Mode``) is the user's explicit choice, as ``theano.function(mode=...)``
    takes it, and is used as it is: a JAX mode with :func:`register_jax`'s
    implementations of theano_rnn's ops, once ``jax`` is found
    (:func:`check_jax`)."""
    import pytensor
    from pytensor.compile.mode import Mode, get_default_mode, get_mode
    if mode is not None:
        try:
            mode = get_mode(mode)
        except (TypeError, ValueError) as error:
            raise ValueError("mode: expected a PyTensor mode or its name "
                             "(e.g. 'JAX', 'FAST_RUN', 'FAST_COMPILE'), got "
                             "%r (%s)" % (mode, error)) from None
        if is_jax_mode(mode):
            check_jax()
        return mode
    config = pytensor.config
    mode = get_default_mode()
    if config.linker in C_LINKERS and type(mode) is Mode:
        return mode
    mode = Mode(linker="cvm", optimizer=config.optimizer)
    if config.optimizer_excluding:
        mode = mode.excluding(*config.optimizer_excluding.split(":"))
    if config.optimizer_including:
        mode = mode.including(*config.optimizer_including.split(":"))
    return mode


def compile_function(inputs, outputs, updates=(), mode=None, **kwargs):
    """``pytensor.function(inputs, outputs, updates=updates, ...)`` in
    :func:`function_mode` ``(mode)``; under a JAX mode a
    :class:`StaticShapeFunction`, which compiles once per input shapes."""
    mode = function_mode(mode)
    if is_jax_mode(mode):
        return StaticShapeFunction(inputs, outputs, updates, mode, **kwargs)
    import pytensor
    return pytensor.function(inputs, outputs, updates=updates, mode=mode,
                             **kwargs)


class StaticShapeFunction:
    """A function compiled by PyTensor's JAX linker once per shape of its
    inputs, called like a ``pytensor.function``; it returns NumPy arrays.

    JAX's loop, ``lax.scan``, needs its number of steps when the function
    is traced, and its splits (the gradients of a concatenation, as in
    ``[W; b]``) their sizes.  PyTensor computes those from shapes, which are
    known when the graph is compiled only where its types say so.  So at
    each new combination of input shapes the graph is compiled again with
    every input's and every shared variable's shape given to it
    (:func:`known_shape`), and PyTensor's rewrites make all shapes
    constants.

    Under JAX a compiled function draws its random numbers from its own
    copy of each random stream, taken when it is compiled (PyTensor's JAX
    linker says so in a warning, silenced here): seeded runs repeat, but
    the streams' shared variables do not advance.  JAX drops the run-time
    checks of the graph (``Assert``; also silenced): the shapes given here
    are the values' own.  And with floatX float32 PyTensor leaves JAX's
    64-bit types off, so the few float64 values of a float32 graph (an
    int64 ``arange`` times a float, an accumulator) are computed in
    float32; JAX's warning saying so at each trace is silenced too.
    """

    def __init__(self, inputs, outputs, updates, mode, **kwargs):
        _register_static_scan_shapes()
        mode = mode.including(STATIC_SCAN_SHAPES)
        self.inputs = list(inputs)
        self.single = not isinstance(outputs, (list, tuple))
        self.outputs = [outputs] if self.single else list(outputs)
        self.updates = list(updates.items() if isinstance(updates, dict)
                            else updates or ())
        self.mode = mode
        self.kwargs = kwargs
        #: input shapes -> the function compiled for them
        self.functions = {}

    def __call__(self, *values):
        import numpy as np
        import warnings
        key = tuple(np.shape(v) for v in values)
        if key in self.functions:
            results = self.functions[key](*values)
        else:
            self.functions[key] = self._compile(key)
            with warnings.catch_warnings():     # JAX traces the graph now
                warnings.filterwarnings(
                    "ignore", message="Explicitly requested dtype float64")
                results = self.functions[key](*values)
        results = [np.asarray(r) for r in results]
        return results[0] if self.single else results

    def _compile(self, shapes):
        import warnings
        import pytensor
        from pytensor.compile.sharedvalue import SharedVariable
        from pytensor.tensor.type import TensorType
        if len(shapes) != len(self.inputs):
            raise TypeError("this function takes %d inputs, got %d"
                            % (len(self.inputs), len(shapes)))
        new_values = [value for _, value in self.updates]
        graph = self.outputs + new_values
        given = dict(zip(self.inputs, shapes))
        given.update((v, v.get_value(borrow=True).shape)
                     for v in graph_inputs(graph)
                     if isinstance(v, SharedVariable) and
                     isinstance(v.type, TensorType))
        graph = clone_replace(graph, {
            v: known_shape(v, shape) for v, shape in given.items()
            if isinstance(v.type, TensorType) and v.ndim == len(shape)})
        outputs = graph[:len(self.outputs)]
        updates = [(variable, value) for (variable, _), value in
                   zip(self.updates, graph[len(self.outputs):])]
        with warnings.catch_warnings():
            warnings.filterwarnings(
                "ignore", message="The RandomType SharedVariables")
            warnings.filterwarnings("ignore", message="Skipping Assert")
            function = pytensor.function(self.inputs, outputs,
                                         updates=updates, mode=self.mode,
                                         **self.kwargs)
        return function


def known_shape(x, shape):
    """``x``, whose shape PyTensor's shape inference takes to be ``shape``
    (a :class:`KnownShape` node)."""
    return known_shape_op()(tuple(int(n) for n in shape))(x)


@functools.lru_cache(maxsize=None)
def known_shape_op():
    """The class :class:`KnownShape`, made at its first use (this module is
    imported before PyTensor, which it configures)."""
    from pytensor.graph.basic import Apply
    from pytensor.graph.op import Op
    import pytensor.tensor as pt

    class KnownShape(Op):
        """The identity, with a shape known when the graph is compiled.

        Its ``infer_shape`` gives the constant ``shape``, so every shape
        computed from ``x`` folds to a constant -- what JAX needs -- while
        ``x``'s type stays as it is.  (``specify_shape`` would make a size
        of 1 part of the type, broadcastable, which a weight's update or a
        scan's state must not become.)  :class:`StaticShapeFunction` puts
        it on a function's inputs and weights, with the shapes of the values
        it is called with, and :func:`_scan_with_static_inner_shapes` on a
        loop's inner inputs.
        """

        __props__ = ("shape",)
        view_map = {0: [0]}

        def __init__(self, shape):
            self.shape = shape

        def make_node(self, x):
            x = pt.as_tensor_variable(x)
            if x.ndim != len(self.shape):
                raise TypeError("KnownShape: %s for a %d-d tensor"
                                % (self.shape, x.ndim))
            return Apply(self, [x], [x.type()])

        def perform(self, node, inputs, outputs):
            outputs[0][0] = inputs[0]

        def infer_shape(self, node, shapes):     # PyTensor >= 3.1's hook
            return [tuple(pt.constant(n, dtype="int64") for n in self.shape)]

    register_jax(KnownShape, lambda op, node: lambda x: x)
    return KnownShape


#: The name of the rewrite giving scans' inner graphs the static shapes of
#: their outer inputs (:func:`_scan_with_static_inner_shapes`), which
#: :class:`StaticShapeFunction` includes.
STATIC_SCAN_SHAPES = "theano_rnn_static_scan_shapes"


def _register_static_scan_shapes():
    """Register :func:`_scan_with_static_inner_shapes` in ``optdb`` (once),
    after ``canonicalize`` (1), which makes the outer shapes constants, and
    before scan's own rewrites (1.6), which rebuild loops and fail where an
    outer input has become broadcastable (a batch of one) and the inner one
    has not; the inner graphs are rewritten for the backend later (100)."""
    from pytensor.compile import optdb
    from pytensor.graph.rewriting.basic import (WalkingGraphRewriter,
                                                node_rewriter)
    from pytensor.scan.op import Scan
    if STATIC_SCAN_SHAPES in optdb:
        return
    rewrite = node_rewriter([Scan])(_scan_with_static_inner_shapes)
    # No tag: only a mode that includes it by name runs it.
    optdb.register(STATIC_SCAN_SHAPES, WalkingGraphRewriter(rewrite),
                   position=1.55)


def _compile_time_shape(fgraph, variable):
    """The sizes of ``variable`` known when the graph is compiled (``None``
    where not): from its type, else from the graph's shape feature."""
    from pytensor.tensor.basic import get_scalar_constant_value
    from pytensor.tensor.exceptions import NotScalarConstantError
    from pytensor.tensor.type import TensorType
    if not isinstance(variable.type, TensorType):
        return ()
    feature = getattr(fgraph, "shape_feature", None)
    sizes = list(variable.type.shape)
    for axis, size in enumerate(sizes):
        if size is None and feature is not None:
            try:
                sizes[axis] = int(get_scalar_constant_value(
                    feature.get_shape(variable, axis)))
            except NotScalarConstantError:
                pass
    return tuple(sizes)


def _given(fgraph, variable):
    """Whether ``variable`` is used only through :class:`KnownShape` (this
    rewrite's own, on a loop it has rewritten already)."""
    clients = fgraph.clients[variable]
    return bool(clients) and all(isinstance(getattr(client, "op", None),
                                            known_shape_op())
                                 for client, _ in clients)


def _scan_with_static_inner_shapes(fgraph, node):
    """A ``Scan`` node whose inner graph knows the shapes its outer inputs
    have, or ``False``: inner inputs typed with the outer inputs' static
    shapes, and the sizes that cannot be in a type given by
    :func:`known_shape`.

    Scan types its inner inputs when the loop is built, before
    :class:`StaticShapeFunction` gives the outer shapes; inside, the
    shapes stay symbolic, and JAX cannot trace the arithmetic on them that
    the step's slices and gradients do (``units = h.shape[1]``, ``[:,
    2 * units:]``)."""
    from pytensor.scan.op import Scan
    from pytensor.tensor.type import TensorType
    op = node.op                    # a Scan: the rewrite tracks only those
    # PyTensor 3.3 freezes the inner graph; thaw a copy to rewrite it.
    thawed = (op.fgraph.unfreeze() if hasattr(op.fgraph, "unfreeze")
              else op.fgraph.clone())
    inner, outer = list(thawed.inputs), node.inputs
    # (inner input, the outer input it comes from, its leading axes to drop)
    sources = [(i, o, 1) for i, o in zip(op.inner_seqs(inner),
                                         op.outer_seqs(outer))]
    for groups, buffers in ((op.inner_mitmot_grouped(inner),
                             op.outer_mitmot(outer)),
                            (op.inner_mitsot_grouped(inner),
                             op.outer_mitsot(outer)),
                            ([[i] for i in op.inner_sitsot(inner)],
                             op.outer_sitsot(outer))):
        for group, buffer in zip(groups, buffers):
            sources += [(i, buffer, 1) for i in group]
    for inners, outers in ((op.inner_untraced_sit_sot(inner),
                            op.outer_untraced_sit_sot(outer)),
                           (op.inner_non_seqs(inner),
                            op.outer_non_seqs(outer))):
        sources += [(i, o, 0) for i, o in zip(inners, outers)]
    retyped, given = {}, {}
    for variable, source, drop in sources:
        if not (isinstance(variable.type, TensorType) and
                isinstance(source.type, TensorType)) or \
                _given(thawed, variable):
            continue
        known = _compile_time_shape(fgraph, source)[drop:]
        if len(known) != variable.ndim:
            continue
        # The type: the outer type's static sizes, the inner one's, and the
        # other known sizes but 1 (a static 1 broadcasts; the outer type
        # decides that).
        shape = tuple(
            outer if outer is not None else
            own if own is not None else (None if size == 1 else size)
            for outer, own, size in zip(source.type.shape[drop:],
                                        variable.type.shape, known))
        new = variable
        if shape != variable.type.shape:
            new = retyped[variable] = variable.type.clone(shape=shape)(
                name=variable.name)
        if None in shape and None not in known:
            given[variable] = known_shape(new, known)
        elif new is not variable:
            given[variable] = new
    if not given:
        return False
    inner = [retyped.get(v, v) for v in inner]
    loop = Scan(inner, clone_replace(list(thawed.outputs), given), op.info,
                mode=op.mode, profile=op.profile,
                truncate_gradient=op.truncate_gradient,
                allow_gc=op.allow_gc, name=op.name)
    return loop(*outer, return_list=True)


def is_jax_mode(mode):
    """Whether the ``Mode`` ``mode`` compiles with PyTensor's JAX linker."""
    from pytensor.link.jax.linker import JAXLinker
    return isinstance(getattr(mode, "linker", None), JAXLinker)


def check_jax():
    """Raise a one-line ``ValueError`` saying what to install if ``jax`` is
    not importable (the ``[jax]`` extra)."""
    import importlib.util
    if importlib.util.find_spec("jax") is None:
        raise ValueError("mode='JAX' needs jax, which is not installed: "
                         "pip install 'theano_rnn[jax]' (or jax jaxlib)")


def scan(fn, **kwargs):
    """``pytensor.scan`` returning the outputs only (``return_updates=
    False``, PyTensor's new signature): theano_rnn draws no random numbers
    inside a loop, so a loop has no shared-variable updates."""
    import pytensor
    return pytensor.scan(fn, return_updates=False, **kwargs)


def unbroadcast(x, like=None):
    """``x`` typed to be a recurrent state of scan.  PyTensor has no
    ``unbroadcast``: a size-1 dimension is part of the static shape, and
    scan wants a step's new state to have its initial state's static shape,
    so ``like``'s static shape is imposed on ``x`` (``specify_shape``).
    Without ``like``, ``x`` is returned as it is."""
    import pytensor.tensor as pt
    if like is None or x.type.shape == like.type.shape:
        return x
    return pt.specify_shape(x, like.type.shape)


def addbroadcast(x, *axes):
    """Theano's ``T.addbroadcast``: PyTensor's ``specify_broadcastable`` (a
    static length of 1 on ``axes``, checked at run time)."""
    import pytensor.tensor as pt
    return pt.specify_broadcastable(x, *axes)


def batched_dot(x, y):
    """``(batch, m, k) x (batch, k, n) -> (batch, m, n)``: PyTensor's
    ``matmul`` (``batched_dot`` is gone; its rewrites turn this into the
    same ``BatchedDot`` op)."""
    import pytensor.tensor as pt
    return pt.matmul(x, y)


def clone_replace(outputs, replace):
    """Theano's ``theano.clone(outputs, replace=...)``: PyTensor's
    ``pytensor.graph.clone_replace``."""
    from pytensor.graph import clone_replace as _clone_replace
    return _clone_replace(outputs, replace=replace)


def graph_inputs(outputs):
    """Theano's ``graph_inputs``: PyTensor's ``pytensor.graph.graph_inputs``
    (moved to ``pytensor.graph.traversal`` in 2.x)."""
    from pytensor.graph import graph_inputs as _graph_inputs
    return list(_graph_inputs(outputs))


# --- Random streams ----------------------------------------------------------

class RandomStream(object):
    """Theano's ``MRG_RandomStream`` interface (``uniform``, ``normal``,
    ``binomial``; ``state_updates``) over NumPy Generators (PCG64), one
    shared generator per draw, each seeded from ``seed`` in the order the
    draws are made, so that a seeded run repeats exactly.  Each generator's
    ``default_update`` is its next state, so every compiled function that
    uses a draw advances it (as Theano does for MRG's states).  The numbers
    are not MRG31k3p's: a seed gives other masks than on Theano."""

    def __init__(self, seed):
        import numpy as np
        self.seeds = np.random.SeedSequence(int(seed))
        #: ``[(generator shared variable, its next state), ...]``.
        self.state_updates = []

    def _rng(self):
        import numpy as np
        import pytensor.tensor as pt
        (child,) = self.seeds.spawn(1)
        rng = pt.random.shared_rng(np.random.default_rng(child), borrow=True)
        return rng

    def _draw(self, method, size, dtype, *args):
        import pytensor
        import pytensor.tensor as pt
        rng = self._rng()
        next_rng, value = getattr(rng, method)(*args, size=size)
        rng.default_update = next_rng
        self.state_updates.append((rng, next_rng))
        return pt.cast(value, dtype or pytensor.config.floatX)

    def uniform(self, size, low=0.0, high=1.0, ndim=None, dtype=None):
        """Uniform draws in ``[low, high)``."""
        return self._draw("uniform", size, dtype, low, high)

    def normal(self, size, avg=0.0, std=1.0, ndim=None, dtype=None,
               truncate=False):
        """Normal draws; ``truncate=True``: only within two standard
        deviations of ``avg`` (the inverse normal CDF of a uniform draw
        between those bounds' probabilities)."""
        if not truncate:
            return self._draw("normal", size, dtype, avg, std)
        import pytensor.tensor as pt
        low = 0.5 * (1.0 + math.erf(-2.0 / math.sqrt(2.0)))   # P(z < -2)
        u = self._draw("uniform", size, "float64", low, 1.0 - low)
        z = pt.sqrt(2.0) * pt.erfinv(2.0 * u - 1.0)
        return pt.cast(avg + std * z, dtype or u.dtype)

    def binomial(self, size=None, n=1, p=0.5, ndim=None, dtype="int64"):
        """0/1 draws, 1 with probability ``p`` (``n=1`` only, as theano_rnn
        uses them)."""
        if n != 1:
            raise NotImplementedError(
                "RandomStream.binomial: only n=1 is implemented on PyTensor, "
                "got n=%r" % (n,))
        import pytensor.tensor as pt
        u = self._draw("uniform", size, "float64", 0.0, 1.0)
        return pt.cast(pt.lt(u, p), dtype)


def random_stream_class():
    """:class:`RandomStream`: MRG_RandomStream's interface over PCG64."""
    return RandomStream


_PCG64_WORDS = 4   # 32-bit words in one of PCG64's 128-bit numbers


def rng_state_to_array(value):
    """A dropout generator's state (a NumPy ``Generator`` on PCG64) as a
    ``uint32`` array that a model file can hold: the 128-bit state and
    increment in 32-bit words, ``has_uint32`` and ``uinteger``."""
    import numpy as np
    state = value.bit_generator.state
    if state["bit_generator"] != "PCG64":
        raise TypeError("rng_state_to_array: expected a PCG64 generator, got "
                        "%s" % state["bit_generator"])
    words = []
    for number in (state["state"]["state"], state["state"]["inc"]):
        words += [(number >> (32 * i)) & 0xFFFFFFFF
                  for i in range(_PCG64_WORDS)]
    words += [state["has_uint32"], state["uinteger"]]
    return np.array(words, dtype=np.uint32)


def rng_state_from_array(variable, array):
    """Set the generator held by ``variable`` to a state
    :func:`rng_state_to_array` made; ``ValueError`` for another array."""
    import numpy as np
    array = np.asarray(array)
    if array.shape != (2 * _PCG64_WORDS + 2,):
        raise ValueError("a PCG64 state array has shape (%d,), got %s"
                         % (2 * _PCG64_WORDS + 2, array.shape))
    words = [int(w) for w in array]

    def number(start):
        return sum(w << (32 * i) for i, w in
                   enumerate(words[start:start + _PCG64_WORDS]))

    generator = np.random.Generator(np.random.PCG64())
    generator.bit_generator.state = {
        "bit_generator": "PCG64",
        "state": {"state": number(0), "inc": number(_PCG64_WORDS)},
        "has_uint32": words[-2], "uinteger": words[-1]}
    variable.set_value(generator, borrow=True)


# --- Ops with C code (theano_rnn.fused, theano_rnn.fastmath) ----------------

#: The in-place rewrites (by name in ``optdb``) that theano_rnn's in-place
#: rewrites go between: after the first, just before the second.
INPLACE_AFTER, INPLACE_BEFORE = "InplaceBlasOpt", "inplace_elemwise"


def make_c_op():
    """PyTensor's ``COp``, and under the Numba linker the op's C code (see
    :func:`_register_c_thunk_for_numba`)."""
    from pytensor.link.c.op import COp as PyTensorCOp

    class COp(PyTensorCOp):
        __doc__ = PyTensorCOp.__doc__

    _register_c_thunk_for_numba(COp)
    return COp


def make_unary_scalar_op():
    from pytensor.scalar import UnaryScalarOp
    return UnaryScalarOp


def _register_c_thunk_for_numba(op_class):
    """Run the C code of the ``op_class`` ops under the Numba linker.

    Numba cannot compile an op that has only C and Python code; its linker
    falls back to calling the op's ``perform`` in object mode, which for the
    fused loops is a Python loop over time (about 5x slower).  Here Numba
    calls, from object mode, a thunk of the op's C code compiled by
    PyTensor's C linker for that one node instead: one call per function
    run, whose cost (a few microseconds) is small against the loop's.  The
    outputs are fresh arrays at every call (the C code would otherwise
    reuse the previous call's buffers, which Numba may still hold).
    """
    try:
        import numba
        from pytensor.link.numba.dispatch.basic import (
            generate_fallback_impl, get_numba_type, numba_funcify, numba_njit)
    except ImportError:                     # PyTensor without Numba
        return
    import pytensor

    @numba_funcify.register(op_class)
    def c_thunk_funcify(op, node, storage_map=None, **kwargs):
        if not pytensor.config.cxx:         # no C compiler: Python it is
            return generate_fallback_impl(op, node, storage_map, **kwargs)
        storage = {v: [None] for v in node.inputs + node.outputs}
        compute = {v: [False] for v in node.inputs + node.outputs}
        thunk = op.make_c_thunk(node, storage, compute, no_recycling=())
        inputs = [storage[v] for v in node.inputs]
        outputs = [storage[v] for v in node.outputs]
        single = len(outputs) == 1

        def run_c_code(values):
            for cell, value in zip(inputs, values):
                cell[0] = value
            for cell in outputs:
                cell[0] = None
            thunk()
            results = tuple(cell[0] for cell in outputs)
            for cell in inputs + outputs:
                cell[0] = None
            return results[0] if single else results

        types = [get_numba_type(v.type) for v in node.outputs]
        signature = types[0] if single else numba.types.Tuple(types)

        @numba_njit
        def call_c_code(*values):
            with numba.objmode(results=signature):
                results = run_c_code(values)
            return results

        return call_c_code


def register_numba_scalar(op_class, make_function):
    """Numba compiles ``make_function(dtype)``, a function of NumPy scalars,
    for the scalar op ``op_class`` (in its ``Elemwise`` loops), without
    PyTensor's fast-math flags: it computes what it says, as the op's C and
    NumPy code do."""
    try:
        from pytensor.link.numba.dispatch.basic import numba_njit
        from pytensor.link.numba.dispatch.scalar import (
            register_scalar_funcify, scalar_op_cache_key)
    except ImportError:                     # PyTensor without Numba
        return

    import inspect

    @register_scalar_funcify(op_class)
    def scalar_funcify(op, node, **kwargs):
        dtype = node.outputs[0].type.dtype
        function = make_function(dtype)
        # Numba's disk cache is keyed by this: the code and its constants
        code = (inspect.getsource(make_function), repr([
            cell.cell_contents for cell in function.__closure__ or ()]))
        return (numba_njit(function, fastmath=False),
                scalar_op_cache_key(op, dtype=dtype, code=code))


#: ``(op class, make_function)`` pairs given to :func:`register_jax` and
#: not yet registered with PyTensor's ``jax_funcify`` (which imports jax).
_JAX_PENDING = []


def register_jax(op_class, make_function):
    """PyTensor's JAX linker runs the ``op_class`` ops as
    ``make_function(op, node)``, a function of JAX arrays.

    The registration with ``jax_funcify`` waits until the JAX linker first
    converts a graph (importing jax costs a second; most processes never
    use it): :func:`_hook_jax_linker` makes the linker register what is
    pending first, whichever way the function was compiled."""
    _JAX_PENDING.append((op_class, make_function))
    _hook_jax_linker()
    if "pytensor.link.jax.dispatch" in sys.modules:
        _register_pending_jax()


def _register_pending_jax():
    from pytensor.link.jax.dispatch import jax_funcify
    while _JAX_PENDING:
        op_class, make_function = _JAX_PENDING.pop(0)

        def funcify(op, node=None, _make=make_function, **kwargs):
            return _make(op, node)
        jax_funcify.register(op_class)(funcify)


def _hook_jax_linker():
    """Make ``JAXLinker.fgraph_convert`` register the pending JAX
    implementations before it converts a graph (once per process)."""
    try:
        from pytensor.link.jax.linker import JAXLinker
    except ImportError:                     # PyTensor without a JAX linker
        return
    convert = JAXLinker.fgraph_convert
    if getattr(convert, "registers_theano_rnn_ops", False):
        return

    @functools.wraps(convert)
    def fgraph_convert(self, *args, **kwargs):
        _register_pending_jax()
        return convert(self, *args, **kwargs)
    fgraph_convert.registers_theano_rnn_ops = True
    JAXLinker.fgraph_convert = fgraph_convert


def blas_module():
    import pytensor.tensor.blas
    return pytensor.tensor.blas


def register_inplace_rewrite(name, rewrite, tracks):
    from pytensor.compile import optdb
    from pytensor.graph.rewriting.basic import (WalkingGraphRewriter,
                                                node_rewriter)
    local = node_rewriter(list(tracks), inplace=True)(rewrite)
    position = inplace_position(optdb, INPLACE_AFTER, INPLACE_BEFORE)
    optdb.register(name, WalkingGraphRewriter(
        local, failure_callback=WalkingGraphRewriter.warn_inplace),
        "fast_run", "inplace", position=position)
    return position
