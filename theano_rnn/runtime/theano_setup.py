"""Make theano-pymc 1.1.2 work on a modern Python before Theano is imported.

:mod:`theano_rnn.runtime` runs :func:`configure` when it picks Theano, before
Theano is first imported.  It does these things, and only
where the user has not decided otherwise (a flag set in ``THEANO_FLAGS`` or in
a ``.theanorc`` file always wins), and one more once Theano is imported:

1. **BLAS.**  Theano 1.1.2 asks ``numpy.distutils`` for ``blas_opt_info``,
   which recent NumPy no longer has, and crashes at import unless
   ``blas__ldflags`` is set.  We set ``-lopenblas`` when the system OpenBLAS
   (Debian: ``libopenblas-dev``) can be linked, and otherwise an empty value,
   which makes Theano call BLAS through NumPy's C API (about 20% slower); a
   warning says so, once.
2. **floatX.**  Defaults to ``float32``, the precision Theano-era models
   trained in.  Tests switch to ``float64`` with
   ``theano.config.change_flags(floatX='float64')``.
3. **pkg_resources.**  Theano imports ``pkg_resources``, whose deprecation
   warning setuptools prints on every run; that one warning is filtered out.
   setuptools 81 removed the module, and ``theano.gpuarray``, which Scan
   imports when a loop is built, needs it for one exception class; setup.py
   asks for ``setuptools<81``, and where something upgraded it anyway
   (installing PyTorch does), :func:`import_gpuarray_without_pkg_resources`
   imports ``theano.gpuarray`` beside a stand-in for that class.
4. **Scan.**  Theano's pre-generated Cython scan loop (``scan_perform``) does
   not compile on Python >= 3.11.  Registering its module as unimportable
   (``sys.modules[...] = None``) makes ``Scan`` fall back to its Python loop,
   which computes the same thing.
5. **Compile cache.**  theano-pymc 1.1.2 counts an op whose ``__props__``
   is empty (``Alloc``, ``Dot22``, ``AdvancedSubtensor1``,
   ``ScalarFromTensor``...) as *unversioned*, so the C modules of those ops
   are compiled again in every new process, about half a second each and
   three to four seconds for a model (:func:`version_cache_keys`).
6. **OpenBLAS's idle threads.**  After a multi-threaded call, OpenBLAS's
   worker threads keep polling for new work (``sched_yield`` in a loop) for
   2^28 cycles, about a tenth of a second, and on a small machine they take
   the cores that the fused ops' own threads (:mod:`theano_rnn.fused.packed`)
   need next.  ``OPENBLAS_THREAD_TIMEOUT=20`` (2^20 cycles, a quarter of a
   millisecond) puts them to sleep soon after.  On the 2-core development
   machine a training step of the IMDB LSTM went from 15.8 ms to 14.2 ms;
   the scan path, whose small products come every 100 us or so, is
   unchanged (with 4, OpenBLAS's minimum, its threads would sleep between
   two steps: GRU training on the scan path fell from 1022 to 692
   samples/s).  OpenBLAS reads the variable when it is loaded, which for the
   library Theano links is when the first compiled module is, after this
   module ran; a value the user set is kept.
"""
import configparser
import glob
import os
import sys
import sysconfig
import warnings

#: What this module decided, for ``theano_rnn.runtime.SETTINGS`` look-ups.
SETTINGS = {}

_SCAN_EXT = "theano.scan.scan_perform_ext"
#: OpenBLAS's thread timeout (log2 of the cycles an idle thread polls).
OPENBLAS_THREAD_TIMEOUT = "20"
_LIB_DIRS = ("/usr/lib/x86_64-linux-gnu", "/usr/lib/aarch64-linux-gnu",
             "/usr/lib64", "/usr/lib", "/usr/local/lib", "/opt/homebrew/lib")


def user_flags(variable="THEANO_FLAGS", rc_variable="THEANORC",
               rc_files=("~/.theanorc", "~/.theanorc.txt")):
    """Return the flag names (``section__name``, lower case) the user set in
    the flags variable or the rc files (PyTensor: ``PYTENSOR_FLAGS``,
    ``PYTENSORRC``, ``~/.pytensorrc``)."""
    names = set()
    for item in os.environ.get(variable, "").split(","):
        if "=" in item:
            names.add(item.split("=", 1)[0].strip().replace(".", "__").lower())
    default_rc = os.pathsep.join(os.path.expanduser(p) for p in rc_files)
    for path in os.environ.get(rc_variable, default_rc).split(os.pathsep):
        if not os.path.isfile(path):
            continue
        parser = configparser.ConfigParser()
        try:
            parser.read(path)
        except configparser.Error:
            continue  # The backend will report a broken file itself.
        for section in parser.sections():
            for option in parser.options(section):
                names.add((option if section == "global"
                           else "%s__%s" % (section, option)).lower())
    return names


def add_flags(variable, extra, settings):
    """Append the ``name=value`` items ``extra`` to the flags variable and
    record them in ``settings``."""
    settings.update(item.split("=", 1) for item in extra)
    if extra:
        current = os.environ.get(variable, "")
        os.environ[variable] = ",".join([f for f in [current] + extra if f])


def set_openblas_thread_timeout(settings):
    """``OPENBLAS_THREAD_TIMEOUT`` (see the module docstring, item 6),
    unless the user set it."""
    if "OPENBLAS_THREAD_TIMEOUT" not in os.environ:
        os.environ["OPENBLAS_THREAD_TIMEOUT"] = OPENBLAS_THREAD_TIMEOUT
        settings["openblas_thread_timeout"] = OPENBLAS_THREAD_TIMEOUT


def find_openblas():
    """Return the linker flags for the system OpenBLAS, or ``None``.

    Linking needs the development symlink ``libopenblas.so`` (not only the
    run-time ``libopenblas.so.0``), so that is what we look for.
    """
    dirs = list(_LIB_DIRS)
    libdir = sysconfig.get_config_var("LIBDIR")
    if libdir:
        dirs.insert(0, libdir)
    for directory in dirs:
        if glob.glob(os.path.join(directory, "libopenblas.so")) or \
                glob.glob(os.path.join(directory, "libopenblas.dylib")):
            if directory in _LIB_DIRS:
                return "-lopenblas"
            return "-L%s -lopenblas -Wl,-rpath,%s" % (directory, directory)
    return None


def scan_extension_builds():
    """Whether Theano's Cython scan loop can be compiled on this Python."""
    return sys.version_info < (3, 11)


def default_flags(user_flags, find_blas=find_openblas):
    """The ``THEANO_FLAGS`` items to add, given the (lower-case) names of the
    flags the user set.

    ``find_blas`` is only called when the user has not chosen BLAS flags.
    """
    extra = []
    if "blas__ldflags" not in user_flags:
        flags = find_blas()
        if flags is None:
            _warn_one_line(
                "theano_rnn: the system OpenBLAS was not found (Debian: "
                "apt-get install libopenblas-dev); Theano will call BLAS "
                "through NumPy's C API, which is about 20% slower.")
            flags = ""
        extra.append("blas__ldflags=%s" % flags)
    if "floatx" not in user_flags:
        extra.append("floatX=float32")
    return extra


def _warn_one_line(message):
    """A ``RuntimeWarning`` that prints as one line.

    ``warnings.warn`` prints the source line of the frame it names under the
    message; from here that is ``configure()`` or an ``import theano_rnn``,
    neither of which says anything.  The warning names this module, line 0,
    which has no source line to print."""
    warnings.warn_explicit(message, RuntimeWarning, filename=__file__,
                           lineno=0, module=__name__)


def configure():
    """Set up Theano's flags; a no-op for anything the user set themselves.

    Should run before ``theano`` is first imported: Theano reads its flags
    once, when it is imported.  If Theano was imported earlier (which, on a
    recent NumPy, only works when the user set ``blas__ldflags``), its flags
    are left as they are -- a warning says which of ours did not apply --
    but what does not go through the flags is still done: Scan's Python loop
    on 3.11, OpenBLAS's thread timeout and the warning filter.
    """
    if SETTINGS:
        return SETTINGS
    theano_first = "theano" in sys.modules
    chosen = user_flags()
    if theano_first:
        _warn_flags_not_applied(chosen)
    else:
        add_flags("THEANO_FLAGS", default_flags(chosen, find_openblas),
                  SETTINGS)
    warnings.filterwarnings("ignore", message="pkg_resources is deprecated",
                            category=UserWarning)
    set_openblas_thread_timeout(SETTINGS)
    if not scan_extension_builds() and _SCAN_EXT not in sys.modules:
        # Works after ``import theano`` too: Scan imports the extension
        # when its first node is compiled.
        sys.modules[_SCAN_EXT] = None
        SETTINGS["scan"] = "python"
    SETTINGS["configured"] = not theano_first
    return SETTINGS


def _warn_flags_not_applied(user_flags):
    """Warn that Theano, imported before theano_rnn, keeps default flags
    that theano_rnn would have changed (today only ``floatX``)."""
    import theano
    if "floatx" in user_flags or theano.config.floatX == "float32":
        return
    warnings.warn(
        "theano_rnn: Theano was imported before theano_rnn, so its flags "
        "are Theano's defaults: floatX=%s instead of theano_rnn's float32.  "
        "Import theano_rnn first, or set THEANO_FLAGS=floatX=float32."
        % theano.config.floatX, RuntimeWarning, stacklevel=4)


def _cache_version(linker, fgraph):
    """The version part of a C module's cache key, as Theano 1.1.2 builds it
    (``CLinker.cmodule_key_``) except that an op's *empty* ``__props__``
    does not count as "no version": it is no version number at all, only
    the (empty) list of the op's parameters, which the key's signature part
    holds anyway.  ``()`` if an op or a type really has no version."""
    from theano.link.c.interface import CLinkerObject
    version = []
    for node in linker.schedule(fgraph):
        if hasattr(node.op, "c_code_cache_version_apply"):
            version.append(node.op.c_code_cache_version_apply(node))
        if getattr(node.op, "__props__", None):
            version.append(node.op.__props__)
        for variable in node.inputs + node.outputs:
            if isinstance(variable.type, CLinkerObject):
                version.append(variable.type.c_code_cache_version())
    version = tuple(version)
    return version if all(version) else ()


def version_cache_keys():
    """Let Theano cache the C modules of ops with empty ``__props__``.

    Wraps ``CLinker.cmodule_key_``: where Theano calls a module unversioned,
    the version is computed again by :func:`_cache_version`; if every op and
    type in it has a version, the key gets it and the module is cached on
    disk like any other.  Modules that are unversioned for a real reason
    (an op without ``c_code_cache_version``) stay unversioned.
    """
    from theano.link.c.basic import CLinker
    original = CLinker.cmodule_key_
    if getattr(original, "versions_empty_props", False):
        return

    def cmodule_key_(self, fgraph, *args, **kwargs):
        key = original(self, fgraph, *args, **kwargs)
        if key is not None and key[0] == ():
            version = _cache_version(self, fgraph)
            if version:
                return version, key[1]
        return key

    cmodule_key_.versions_empty_props = True
    cmodule_key_.__doc__ = original.__doc__
    CLinker.cmodule_key_ = cmodule_key_
    SETTINGS["cache_keys"] = "versioned"


def import_gpuarray_without_pkg_resources():
    """Import ``theano.gpuarray`` where ``pkg_resources`` is missing, and say
    whether it was.  Scan imports ``theano.gpuarray`` when it builds a loop,
    and its ``linalg`` module imports ``pkg_resources`` for one name, the
    ``DistributionNotFound`` of an ``except`` clause (raised when the CUDA
    libraries it looks for are not installed).  A stand-in module holding
    that class is in ``sys.modules`` during the import only, so nothing else
    mistakes it for setuptools' module."""
    import importlib.util
    import types
    if importlib.util.find_spec("pkg_resources") is not None:
        return False
    stand_in = types.ModuleType("pkg_resources")
    stand_in.DistributionNotFound = type("DistributionNotFound", (Exception,),
                                         {"__module__": "pkg_resources"})
    blocked = "pkg_resources" in sys.modules   # as ``None``, by the user
    sys.modules["pkg_resources"] = stand_in
    try:
        import theano.gpuarray  # noqa: F401
    finally:
        if blocked:
            sys.modules["pkg_resources"] = None
        else:
            del sys.modules["pkg_resources"]
    SETTINGS["pkg_resources"] = "stand-in"
    return True


# ===========================================================================
# What the two backends spell differently, under the names
# theano_rnn.runtime exports (PyTensor's side: pytensor_setup.py, same order).
# Theano is imported inside the functions: this module configures it first.
# ===========================================================================

# --- T.nnet ------------------------------------------------------------------

def make_nnet():
    """Theano's own ``T.nnet``."""
    from theano.tensor import nnet
    return nnet


# --- Graphs: compiled functions, loops, broadcasting, rewriting -------------

def function_mode(mode=None):
    """Theano's default mode (``None``: its default linker is C), or the
    user's explicit ``mode``; JAX is PyTensor's."""
    if isinstance(mode, str) and mode.upper() == "JAX":
        raise ValueError("mode='JAX' needs PyTensor (Python 3.12+, or "
                         "THEANO_RNN_BACKEND=pytensor), not theano-pymc")
    return mode


def compile_function(inputs, outputs, updates=(), mode=None, **kwargs):
    """``theano.function`` in :func:`function_mode` ``(mode)``."""
    import theano
    return theano.function(inputs, outputs, updates=updates,
                           mode=function_mode(mode), **kwargs)


def scan(fn, **kwargs):
    """``theano.scan`` returning the outputs only, like PyTensor's
    ``scan(return_updates=False)``; a loop with shared-variable updates
    (random draws inside the step) is refused."""
    import theano
    outputs, updates = theano.scan(fn, **kwargs)
    if updates:
        raise ValueError("scan: the loop has shared-variable updates "
                         "(%s); draw random numbers outside the loop"
                         % ", ".join(str(k) for k in updates))
    return outputs


def unbroadcast(x, like=None):
    """``x`` with no dimension broadcastable, so that scan accepts it as a
    recurrent state whatever the size of its dimensions."""
    import theano.tensor as T
    return T.unbroadcast(x, *range(x.ndim))


def addbroadcast(x, *axes):
    """Theano's ``T.addbroadcast``: ``x`` with ``axes`` (of length 1) marked
    broadcastable."""
    import theano.tensor as T
    return T.addbroadcast(x, *axes)


def batched_dot(x, y):
    """``(batch, m, k) x (batch, k, n) -> (batch, m, n)``: Theano's
    ``T.batched_dot``."""
    import theano.tensor as T
    return T.batched_dot(x, y)


def clone_replace(outputs, replace):
    """``outputs`` (a variable or a list) rebuilt with the variables of
    ``replace`` (``{old: new}``) substituted: Theano's ``theano.clone``."""
    import theano
    return theano.clone(outputs, replace=replace)


def graph_inputs(outputs):
    """The variables ``outputs`` are computed from (shared variables,
    constants and free tensors)."""
    from theano.graph.basic import graph_inputs as _graph_inputs
    return list(_graph_inputs(outputs))


# --- Random streams ----------------------------------------------------------

def random_stream_class():
    """Theano's ``MRG_RandomStream`` (the MRG31k3p generator)."""
    from theano.sandbox.rng_mrg import MRG_RandomStream
    return MRG_RandomStream


def rng_state_to_array(value):
    """A copy of an MRG stream's state, already an ``int32`` array."""
    return value.copy()


def rng_state_from_array(variable, array):
    """Set an MRG stream's state; ``ValueError`` for another shape."""
    current = variable.get_value(borrow=True)
    if array.shape != current.shape:
        raise ValueError("an MRG state array has shape %s, got %s"
                         % (current.shape, array.shape))
    variable.set_value(array.astype(current.dtype))


# --- Ops with C code (theano_rnn.fused, theano_rnn.fastmath) ----------------

#: The in-place rewrites (by name in ``optdb``) that theano_rnn's in-place
#: rewrites go between: after the first, just before the second.
INPLACE_AFTER, INPLACE_BEFORE = "InplaceBlasOpt", "inplace_elemwise_opt"


def with_pytensor_hooks(base):
    """A subclass of the Theano op class ``base`` whose subclasses write
    PyTensor's hooks: ``pullback(inputs, outputs, output_gradients)``
    (Theano calls ``L_op``) and ``infer_shape(node, shapes)`` (Theano passes
    the ``fgraph`` first)."""
    import inspect

    class PyTensorHooks(base):
        __doc__ = base.__doc__

        def __init_subclass__(cls, **kwargs):
            super().__init_subclass__(**kwargs)
            method = cls.__dict__.get("infer_shape")
            if method is not None and \
                    len(inspect.signature(method).parameters) == 3:
                def infer_shape(self, fgraph, node, shapes, _method=method):
                    return _method(self, node, shapes)
                infer_shape.__doc__ = method.__doc__
                cls.infer_shape = infer_shape

        def L_op(self, inputs, outputs, output_gradients):
            return self.pullback(inputs, outputs, output_gradients)

        def pullback(self, inputs, outputs, output_gradients):
            return base.L_op(self, inputs, outputs, output_gradients)

    PyTensorHooks.__name__ = PyTensorHooks.__qualname__ = base.__name__
    return PyTensorHooks


def make_c_op():
    from theano.graph.op import COp
    return with_pytensor_hooks(COp)


def make_unary_scalar_op():
    from theano.scalar import UnaryScalarOp
    return with_pytensor_hooks(UnaryScalarOp)


def register_numba_scalar(op_class, make_function):
    """Theano has no Numba linker: nothing to register."""


def register_jax(op_class, make_function):
    """Theano has no JAX linker: nothing to register."""


def blas_module():
    import theano.tensor.blas
    return theano.tensor.blas


def inplace_position(optdb, after_name, before_name):
    """The position in ``optdb`` just before the rewrite ``before_name``,
    after ``after_name`` (a tenth of the gap between them before the
    first); both backends' positions are found by name."""
    after = optdb.__position__[after_name]
    before = optdb.__position__[before_name]
    assert after < before, (after_name, after, before_name, before)
    return before - (before - after) / 10.0


def register_inplace_rewrite(name, rewrite, tracks):
    from theano.compile import optdb
    from theano.graph.opt import TopoOptimizer, local_optimizer
    local = local_optimizer(list(tracks), inplace=True)(rewrite)
    position = inplace_position(optdb, INPLACE_AFTER, INPLACE_BEFORE)
    optdb.register(name, TopoOptimizer(
        local, failure_callback=TopoOptimizer.warn_inplace),
        position, "fast_run", "inplace")
    return position
