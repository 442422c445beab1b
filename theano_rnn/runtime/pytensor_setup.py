"""Set up PyTensor, Theano's maintained successor, the way theano_rnn needs it.

:mod:`theano_rnn.runtime` runs :func:`configure` when it picks PyTensor,
before PyTensor is first imported.  Flags the user set in ``PYTENSOR_FLAGS``
or a ``.pytensorrc`` always win.

1. **BLAS.**  PyTensor does not find Debian's ``libopenblas-dev`` by
   itself; ``blas__ldflags=-lopenblas`` is set where the system OpenBLAS
   can be linked (:func:`theano_rnn.runtime.theano_setup.find_openblas`).
2. **floatX.**  ``float32``, as on Theano.

This module also holds what PyTensor spells differently from Theano, under
the names :mod:`theano_rnn.runtime` exports.
"""
import configparser
import os
import types

from .theano_setup import find_openblas

#: What this module decided.
SETTINGS = {}


def _user_flags():
    """The flag names (``section__name``, lower case) the user set."""
    names = set()
    for item in os.environ.get("PYTENSOR_FLAGS", "").split(","):
        if "=" in item:
            names.add(item.split("=", 1)[0].strip().replace(".", "__").lower())
    default_rc = os.pathsep.join(
        os.path.expanduser(p) for p in ("~/.pytensorrc", "~/.pytensorrc.txt"))
    for path in os.environ.get("PYTENSORRC", default_rc).split(os.pathsep):
        if not os.path.isfile(path):
            continue
        parser = configparser.ConfigParser()
        try:
            parser.read(path)
        except configparser.Error:
            continue
        for section in parser.sections():
            for option in parser.options(section):
                names.add((option if section == "global"
                           else "%s__%s" % (section, option)).lower())
    return names


def configure():
    """Add theano_rnn's defaults to ``PYTENSOR_FLAGS``; a no-op for anything
    the user set."""
    if SETTINGS:
        return SETTINGS
    user_flags = _user_flags()
    extra = []
    if "blas__ldflags" not in user_flags:
        flags = find_openblas()
        if flags:
            extra.append("blas__ldflags=%s" % flags)
    if "floatx" not in user_flags:
        extra.append("floatX=float32")
    SETTINGS.update(item.split("=", 1) for item in extra)
    if extra:
        current = os.environ.get("PYTENSOR_FLAGS", "")
        os.environ["PYTENSOR_FLAGS"] = ",".join(
            [f for f in [current] + extra if f])
    SETTINGS["configured"] = True
    return SETTINGS


def make_nnet():
    """Theano's ``T.nnet`` functions that theano_rnn uses, on PyTensor."""
    import pytensor.tensor as pt
    from pytensor.tensor.special import softmax as _softmax

    def hard_sigmoid(x):
        """Theano's ``hard_sigmoid``: ``clip(0.2 x + 0.5, 0, 1)``."""
        return pt.clip(0.2 * x + 0.5, 0.0, 1.0)

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



# ---------------------------------------------------------------------------
# C ops (theano_rnn.fused, theano_rnn.fastmath): PyTensor's side of the names
# of theano_rnn.runtime's "C ops" block.  Added by the ``ptfused`` branch.
# ---------------------------------------------------------------------------

from .theano_setup import inplace_position  # noqa: E402

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


def blas_module():
    import pytensor.tensor.blas
    return pytensor.tensor.blas


def unbroadcast_all(x, like=None):
    if like is None or x.type.shape == like.type.shape:
        return x
    import pytensor.tensor as pt
    return pt.specify_shape(x, like.type.shape)


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
