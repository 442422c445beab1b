"""The one place that decides which Theano theano_rnn runs on.

theano_rnn is written against Theano's programming model -- symbolic step
functions over shared variables, ``scan``, ``grad``, compiled functions --
and runs on either of its two living implementations:

* **theano-pymc 1.1.2** (``THEANO_RNN_BACKEND=theano``), frozen in 2021: it
  needs NumPy < 1.24 and so Python <= 3.11.  The default wherever it is
  installed and usable.
* **PyTensor** (``THEANO_RNN_BACKEND=pytensor``), Theano's maintained
  successor, for Python >= 3.12 and NumPy 2.  The default where theano-pymc
  is not usable.

Every other module imports the backend from here, under Theano's names::

    from theano_rnn.runtime import theano, T

so that ``theano.shared``, ``theano.scan``, ``theano.function`` and
``T.grad`` read the same on both: on PyTensor, ``theano`` *is* the
``pytensor`` module and ``T`` is ``pytensor.tensor``.  What the two spell
differently (``T.nnet`` is gone from PyTensor, its random streams and op
base classes moved) is exported from here too, under one name each, and
implemented per backend in :mod:`theano_rnn.runtime.theano_setup` and
:mod:`theano_rnn.runtime.pytensor_setup`.

Importing this module configures the chosen backend before it is first
imported (flags the user set always win) and mends its C-module cache
(:mod:`theano_rnn.runtime.compile_cache`: processes compile side by side,
and theano-pymc stops compiling ``DimShuffle`` again in every process);
``python -m theano_rnn`` prints what was chosen (:func:`describe`).
"""
import importlib.util
import os
import sys

#: The environment setting that chooses the backend explicitly.
ENV_VAR = "THEANO_RNN_BACKEND"
#: The backends, in the order they are preferred when none is chosen.
BACKENDS = ("theano", "pytensor")


class BackendError(ImportError):
    """The backend asked for (or every backend) cannot be used here.  Its
    message is one line that says what to install or set."""


def _installed(module):
    return importlib.util.find_spec(module) is not None


def _numpy_version():
    import numpy
    return tuple(int(p) for p in numpy.__version__.split(".")[:2]
                 if p.isdigit())


def theano_unusable_reason():
    """Why theano-pymc cannot be used in this interpreter, or ``None``."""
    if sys.version_info >= (3, 12):
        return ("theano-pymc 1.1.2 needs Python <= 3.11 (this is %d.%d)"
                % sys.version_info[:2])
    if not _installed("theano"):
        return "theano-pymc is not installed"
    if _numpy_version() >= (1, 24):
        return ("theano-pymc 1.1.2 needs NumPy < 1.24 (this is %s)"
                % __import__("numpy").__version__)
    return None


def pytensor_unusable_reason():
    """Why PyTensor cannot be used in this interpreter, or ``None``."""
    if not _installed("pytensor"):
        return "PyTensor is not installed"
    return None


def _install_hint(backend):
    """How to get ``backend`` where it is missing, for this Python: setup.py
    installs theano-pymc on Python <= 3.11 and PyTensor on 3.12+; PyTensor
    on 3.11 needs NumPy 2, so an environment of its own."""
    if backend == "theano":
        return ("in a Python <= 3.11 environment, pip install theano_rnn "
                "(it brings theano-pymc 1.1.2 and NumPy < 1.24)")
    if sys.version_info >= (3, 12):
        return "pip install theano_rnn (it brings PyTensor and NumPy 2)"
    return ("PyTensor needs NumPy 2, which theano-pymc cannot share: in a "
            "Python 3.11 environment of its own, pip install pytensor==3.0.7 "
            "and then pip install --no-deps theano_rnn")


def select_backend(environ=None):
    """Return ``'theano'`` or ``'pytensor'``: the one ``THEANO_RNN_BACKEND``
    names, else theano-pymc where it is usable, else PyTensor.

    Raises :class:`BackendError` (one line: what to install or set) for an
    unknown name, a backend that cannot be used here, or when neither can.
    """
    environ = os.environ if environ is None else environ
    choice = environ.get(ENV_VAR, "").strip().lower()
    reasons = {"theano": theano_unusable_reason,
               "pytensor": pytensor_unusable_reason}
    if choice:
        if choice not in BACKENDS:
            raise BackendError(
                "%s must be one of %s, got %r"
                % (ENV_VAR, ", ".join(repr(b) for b in BACKENDS),
                   environ[ENV_VAR]))
        reason = reasons[choice]()
        if reason is not None:
            raise BackendError("%s=%s, but %s: %s, or unset %s"
                               % (ENV_VAR, choice, reason,
                                  _install_hint(choice), ENV_VAR))
        return choice
    found = {}
    for name in BACKENDS:
        found[name] = reasons[name]()
        if found[name] is None:
            return name
    raise BackendError(
        "theano_rnn needs theano-pymc or PyTensor, and neither can be used "
        "(%s; %s): %s" % (found["theano"], found["pytensor"],
                          _install_hint("theano" if sys.version_info < (3, 12)
                                        else "pytensor")))


def _select_or_explain():
    """:func:`select_backend`; if it fails, the error, left uncaught, prints
    as its one line instead of a trace through the imports."""
    try:
        return select_backend()
    except BackendError:
        previous = sys.excepthook

        def one_line(kind, value, traceback):
            if isinstance(value, BackendError):
                print("theano_rnn: %s" % value, file=sys.stderr)
            else:
                previous(kind, value, traceback)

        sys.excepthook = one_line
        raise


#: ``'theano'`` or ``'pytensor'``: the backend this process runs on.
BACKEND = _select_or_explain()

if BACKEND == "theano":
    from . import theano_setup as _setup
else:
    from . import pytensor_setup as _setup

_setup.configure()

#: What the backend's set-up decided (flags it added and the like).
SETTINGS = _setup.SETTINGS

# The backend under Theano's names, and what the two spell differently.
from . import compile_cache  # noqa: E402  # isort: skip
from .theano_setup import (  # noqa: E402,F401  (re-exported)  # isort: skip
    OPENBLAS_THREAD_TIMEOUT, default_flags, find_openblas,
    scan_extension_builds)

if BACKEND == "theano":
    import theano  # noqa: E402
    import theano.tensor as T  # noqa: E402
    from theano.graph.op import ExternalCOp as _ExternalCOp  # noqa: E402
    from theano.link.c import cmodule as _cmodule  # noqa: E402

    _setup.version_cache_keys()
    _setup.import_gpuarray_without_pkg_resources()
    compile_cache.stable_external_op_versions(_ExternalCOp)
else:
    import pytensor as theano  # noqa: E402,F401
    import pytensor.tensor as T  # noqa: E402,F401
    from pytensor.link.c import cmodule as _cmodule  # noqa: E402

#: ``T.nnet`` (sigmoid, softmax, binary_crossentropy...): Theano's own; on
#: PyTensor, which dropped the module, the same functions.
nnet = _setup.make_nnet()
compile_cache.compile_outside_lock(_cmodule)
compile_cache.atomic_key_files(_cmodule)
compile_cache.remembered_march_flags(_cmodule, theano.config)

#: The backend's version string.
VERSION = theano.__version__


def describe():
    """One line naming the backend, its version and the versions beside it,
    for ``python -m theano_rnn`` and the benchmark's output."""
    import numpy
    name = "theano-pymc" if BACKEND == "theano" else "PyTensor"
    return ("%s %s (Python %d.%d.%d, NumPy %s, floatX=%s, %s)"
            % (name, VERSION, sys.version_info[0], sys.version_info[1],
               sys.version_info[2], numpy.__version__, theano.config.floatX,
               "chosen by %s" % ENV_VAR if os.environ.get(ENV_VAR)
               else "the default here"))


# --- What the two backends spell differently: one name each, implemented in
# theano_setup.py and pytensor_setup.py (the same sections, in this order).

# Graphs: compiled functions, loops, broadcasting, rewriting.
#: ``function_mode(mode=None)``: the mode for every ``theano.function``
#: theano_rnn compiles: Theano's default (``None``); on PyTensor the C
#: virtual machine whatever the default linker (Numba), with the default
#: optimizer.  An explicit ``mode`` (``compile(..., mode="JAX")``) is used
#: as given; ``"JAX"`` needs PyTensor and jax (a one-line error says so).
function_mode = _setup.function_mode
#: ``compile_function(inputs, outputs, updates=(), mode=None, **kwargs)``:
#: ``theano.function`` in ``function_mode(mode)``; under PyTensor's JAX
#: mode a function that compiles once per input shapes (JAX's loops need
#: static shapes: ``pytensor_setup.StaticShapeFunction``).
compile_function = _setup.compile_function
#: ``scan(fn, sequences=..., ...)``: the outputs only (PyTensor's
#: ``return_updates=False``); a loop with updates is refused on both.
scan = _setup.scan
#: ``unbroadcast(x, like=None)``: ``x`` typed as a scan state: no axis
#: broadcastable on Theano (``T.unbroadcast``); on PyTensor, which has no
#: unbroadcast, ``like``'s static shape (``specify_shape``).
unbroadcast = _setup.unbroadcast
#: ``addbroadcast(x, *axes)``: Theano's ``T.addbroadcast`` (PyTensor:
#: ``specify_broadcastable``).
addbroadcast = _setup.addbroadcast
#: ``batched_dot(x, y)``: ``(batch, m, k) x (batch, k, n) -> (batch, m, n)``,
#: Theano's ``T.batched_dot`` (PyTensor: ``matmul``).
batched_dot = _setup.batched_dot
#: ``clone_replace(outputs, {old: new})``: Theano's ``theano.clone``,
#: PyTensor's ``graph.clone_replace``.  ``graph_inputs(outputs)``: the
#: variables a graph is computed from (moved module in PyTensor).
clone_replace = _setup.clone_replace
graph_inputs = _setup.graph_inputs

# Random streams.
#: ``RandomStream(seed)``: Theano's ``MRG_RandomStream``; on PyTensor, the
#: same methods over NumPy Generators (other numbers for a seed).
RandomStream = _setup.random_stream_class()
#: ``rng_state_to_array(value)`` / ``rng_state_from_array(variable, array)``:
#: a random stream's state as an integer array a model file holds (MRG's
#: ``int32`` states; PCG64's words on PyTensor).
rng_state_to_array = _setup.rng_state_to_array
rng_state_from_array = _setup.rng_state_from_array

# Ops with C code (theano_rnn.fused, theano_rnn.fastmath).
#: Base class of theano_rnn's ops with C code.  Ops write PyTensor's hooks,
#: ``infer_shape(node, shapes)`` and ``pullback(inputs, outputs,
#: output_gradients)``; on Theano the class translates them to Theano's
#: ``infer_shape(fgraph, node, shapes)`` and ``L_op``.  On PyTensor it also
#: makes the ops run their C code under the Numba linker (PyTensor's
#: default), which would otherwise run their Python ``perform`` in Numba's
#: object mode, several times slower.
COp = _setup.make_c_op()
#: The base class of a unary scalar op (for an ``Elemwise``), with the same
#: hooks; ``register_numba_scalar`` gives it a Numba implementation.
UnaryScalarOp = _setup.make_unary_scalar_op()
#: ``register_numba_scalar(op_class, make_function)``: on PyTensor, Numba
#: compiles ``make_function(dtype)`` (NumPy code on scalars) for
#: ``op_class``; a no-op on Theano, which has no Numba linker.
register_numba_scalar = _setup.register_numba_scalar
#: ``register_jax(op_class, make_function)``: on PyTensor, its JAX linker
#: runs ``op_class`` ops as ``make_function(op, node)`` (a function of JAX
#: arrays; registered when the linker is first used, so jax is imported only
#: then); a no-op on Theano.
register_jax = _setup.register_jax
#: The backend's ``tensor.blas`` module: ``ldflags``, ``blas_header_text``
#: and ``blas_header_version`` for C code calling BLAS (the same names on
#: both; PyTensor 3.3 moved the module's files).
blas = _setup.blas_module()
#: ``register_inplace_rewrite(name, rewrite, tracks)``: register the node
#: rewrite ``rewrite(fgraph, node)`` (returning the replacement outputs or
#: ``False``) for ops of the classes ``tracks``, in phase ``inplace``, after
#: the in-place BLAS rewrite and just before the in-place ``Elemwise`` one
#: (Theano: 70 and 75; PyTensor: 50.2 and 50.5).  Returns the position.
register_inplace_rewrite = _setup.register_inplace_rewrite
