"""Six fixes to the C-module cache that Theano and PyTensor share.

**Stable versions for ``ExternalCOp``** (theano-pymc only;
:func:`stable_external_op_versions`).  theano-pymc 1.1.2 versions an op
whose C code lives in files (``ExternalCOp``: ``DimShuffle`` among others)
with Python's ``hash()`` of that code, which is salted afresh in every
process (``PYTHONHASHSEED``).  The cache key of every module holding such an
op is then new in every process: the module is compiled again, a second or
two each time, and one more copy is left in the cache.  PyTensor replaced the
salted hash with a hash of the code's bytes; so does this.

**Compiling outside the lock** (both backends; :func:`compile_outside_lock`).

Theano (and PyTensor, which kept the code) compiles every new C module
*inside* its compile lock (``ModuleCache.module_from_key``): the lock is one
per compile directory, so when two processes -- the two workers of
``pytest -n 2``, or a training script beside a notebook -- both meet modules
that are not in the cache yet, one waits while the other runs ``g++``.  With
an empty cache that doubles the time of a two-process test run.

:func:`compile_outside_lock` moves the compilation out of the lock.  The
lock is still taken to *register* the new module in the shared cache, and
what the original does under it is done the same way:

1. The module is looked up in the cache (by key, then by source hash), as
   before; if it is there, nothing is compiled.
2. Otherwise it is compiled, without the lock, in a fresh directory of the
   compile directory.  The directory is made non-empty *before* it appears
   there (made beside it, a placeholder file written, then renamed in), so
   another process's cache clean-up, which deletes empty directories, never
   sees it empty.
3. Under the lock the cache is refreshed and looked up again: if another
   process registered the same module meanwhile, that one is used and ours
   is deleted (the original would have waited and used it too); otherwise
   ours is registered exactly as the original registers it.

Nothing else changes: the same keys, files and directory layout, so caches
stay shared with processes that do not use this (they only wait longer).

**Key files written whole** (both backends; :func:`atomic_key_files`).  A
module's ``key.pkl`` lists every cache key that uses it, and is written
again each time a process adds one (``KeyData.save_pkl``: ``open(path,
"wb")``, then ``pickle.dump``).  A process that starts meanwhile reads the
cache (``ModuleCache.refresh``) and may find the file empty or cut short;
on an ``EOFError`` it deletes the module's whole directory ("Happened
once... not sure why", says the code), while the other processes still
hold the module in their tables: the next time one of them adds a key to
it, it fails with ``FileNotFoundError`` (twice in cold runs of the test
suite, which starts dozens of processes beside its two workers).  The file
is now written beside itself and renamed over the old one, so a reader sees
the old list or the new one, never a part.

**The CPU's ``-march`` flags found once per machine** (both backends, with
``g++``; :func:`remembered_march_flags`).  Each process's first C compile
asks ``g++`` what ``-march=native`` means here and then compiles and runs a
test program with the answer: about 0.4 s in every process, even when all
its modules are in the cache (every script, every ``predict.py``).  The
answer is kept in the compile directory (``theano_rnn_march.json``), under
a key made of the compiler (its path, size and date) and the CPU
(``/proc/cpuinfo``'s model name and flags), and read back by the next
process; a machine or compiler the file does not know is asked as before.

**Precompiled headers** (both backends, with ``g++``;
:func:`precompiled_header`).  Every module the backend generates starts
with the same includes -- ``Python.h``, the backend's helper header, NumPy's
``arrayobject.h``... -- and ``g++`` spends more than half of a small
module's compile time (0.8 of 1.1-2 CPU seconds, measured here) reading
them.  They are written to one header (``headers.h``, in
``<compiledir>/theano_rnn_pch/<key>/``), compiled once beside it
(``headers.h.gch``) with exactly the flags the modules are compiled with,
and given to ``g++ -include``: it reads the precompiled header when it was
built with the same options, and the text header otherwise (a compiler
upgraded under the cache, say), whose includes the module's own then
repeat harmlessly, so the module is the same either way.  The header is
given on the ``g++`` command line only; the modules' cache keys do not
change.  One header is built per set of compile flags and header block
(about 2 CPU seconds and 40 MB each; the test suite made 7 on
theano-pymc).  ``THEANO_RNN_PCH=0`` turns this off.

**No debug information** (both backends; :func:`debug_options`).  Both
backends put ``-g`` on every ``g++`` command; writing the debug information
takes 15-30% of a small module's compile time, and nobody reads it unless
they run the module under a debugger.  ``-g0`` after it turns it off (the
machine code is the same: ``-g`` never changes it), unless the user's own
``gcc__cxxflags`` ask for ``-g``.  It is on the command line only, like the
precompiled header, so cache keys do not change.
"""
import hashlib
import json
import os
import pickle
import re
import shutil
import subprocess
import tempfile

#: The file that keeps a compile directory non-empty until ``mod.cpp`` is
#: written; removed once the module is compiled.
PLACEHOLDER = "theano_rnn_compiling"


def _private_workdir(compiledir):
    """A new ``tmp*`` directory in ``compiledir``, never seen empty there."""
    staging = tempfile.mkdtemp(prefix="tmp", dir=os.path.dirname(compiledir))
    with open(os.path.join(staging, PLACEHOLDER), "w") as handle:
        handle.write("compiled by process %d\n" % os.getpid())
    location = os.path.join(compiledir, os.path.basename(staging))
    os.rename(staging, location)
    return location


#: The environment setting that turns precompiled headers off (``0``).
PCH_ENV = "THEANO_RNN_PCH"
#: The folder of the compile directory that holds the precompiled headers.
PCH_FOLDER = "theano_rnn_pch"
#: The headers a precompiled header may hold: those every module of either
#: backend starts with (``Python.h`` first), in the module's own order.
PCH_HEADERS = ("Python.h", "iostream", "theano_mod_helper.h",
               "pytensor_mod_helper.h", "math.h", "numpy/arrayobject.h",
               "numpy/arrayscalars.h", "numpy/npy_math.h")
_INCLUDE = re.compile(r'#include\s*[<"]([^>"]+)[>"]$')
#: Keys whose header failed to build in this process (not tried again).
_PCH_FAILED = set()


def leading_headers(src_code):
    """The include lines a module's source starts with, as far as they name
    :data:`PCH_HEADERS`; ``[]`` unless the first is ``Python.h``."""
    lines = []
    for line in src_code.splitlines():
        match = _INCLUDE.match(line.strip())
        if match is None or match.group(1) not in PCH_HEADERS:
            break
        lines.append(line.strip())
    return lines if lines and lines[0] == "#include <Python.h>" else []


def header_command(cmodule, preargs, include_dirs):
    """The ``g++`` options a module is compiled with (``compile_str``'s,
    without the output, the source and the libraries), for its header."""
    config = cmodule.config
    if config.cmodule__remove_gxx_opt:
        preargs = [p for p in preargs if not p.startswith("-O")]
    include_dirs = [d for d in include_dirs if d] + cmodule.std_include_dirs()
    return ([config.cxx, "-g"] + list(preargs) +
            ["-I%s" % d for d in include_dirs] + ["-fvisibility=hidden"])


def _write_atomically(path, write):
    """Create ``path`` whole (by ``write(temporary_path)`` and a rename) or
    not at all."""
    handle, partial = tempfile.mkstemp(dir=os.path.dirname(path),
                                       prefix=".partial-")
    os.close(handle)
    try:
        write(partial)
        os.replace(partial, path)
    finally:
        if os.path.exists(partial):
            os.remove(partial)


def precompiled_header(cmodule, compiledir, preargs, include_dirs, src_code):
    """The header holding the includes a module compiled with ``preargs``
    and ``include_dirs`` from ``src_code`` starts with, precompiled beside
    it (``headers.h.gch``, built now if it is not there yet), for ``g++
    -include``; or ``None``: turned off, not ``g++``, a module that does not
    start with :data:`PCH_HEADERS`, or the header could not be built."""
    lines = leading_headers(src_code)
    if (not lines or os.environ.get(PCH_ENV, "1").strip() == "0" or
            "g++" not in os.path.basename(cmodule.config.cxx)):
        return None
    command = header_command(cmodule, preargs, include_dirs)
    compiler = shutil.which(command[0]) or command[0]
    try:
        stamp = os.stat(os.path.realpath(compiler)).st_mtime_ns
    except OSError:
        return None
    key = hashlib.sha256(json.dumps([command, lines, stamp]).encode(
        "utf-8")).hexdigest()[:20]
    header = os.path.join(compiledir, PCH_FOLDER, key, "headers.h")
    if os.path.exists(header + ".gch"):
        return header
    if key in _PCH_FAILED:
        return None

    def write_text(path):
        with open(path, "w") as text:
            text.write("\n".join(lines) + "\n")

    def compile_header(path):
        built = subprocess.run(
            command + ["-x", "c++-header", "-o", path, header],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        if built.returncode != 0:
            raise OSError(built.stderr.decode("utf-8", "replace"))

    try:
        os.makedirs(os.path.dirname(header), exist_ok=True)
        if not os.path.exists(header):
            _write_atomically(header, write_text)
        _write_atomically(header + ".gch", compile_header)
    except OSError:
        _PCH_FAILED.add(key)
        return None
    return header


def debug_options(config):
    """``["-g0"]``, to follow the backend's ``-g``, unless the user's
    ``gcc__cxxflags`` hold a ``-g`` option (then ``[]``: theirs counts)."""
    user_flags = str(getattr(config, "gcc__cxxflags", "")).split()
    return [] if any(f.startswith("-g") for f in user_flags) else ["-g0"]


def _compile_unlocked(linker, location, cmodule):
    """``CLinker.compile_cmodule(location)`` without its lock: the same
    steps (``g++`` into the private ``location``, then import the module),
    without debug information and with the precompiled header when there
    is one.  Any other kind of linker compiles through its own method."""
    needed = ("get_dynamic_module", "c_compiler", "libraries", "compile_args",
              "header_dirs", "lib_dirs")
    if not all(hasattr(linker, name) for name in needed):
        return linker.compile_cmodule(location)
    mod = linker.get_dynamic_module()
    src_code = mod.code()
    preargs = linker.compile_args() + debug_options(cmodule.config)
    include_dirs = linker.header_dirs()
    header = precompiled_header(cmodule, os.path.dirname(location), preargs,
                                include_dirs, src_code)
    if header is not None:
        preargs = preargs + ["-include", header]
    try:
        return linker.c_compiler().compile_str(
            module_name=mod.code_hash, src_code=src_code, location=location,
            include_dirs=include_dirs, lib_dirs=linker.lib_dirs(),
            libs=linker.libraries(), preargs=preargs)
    except Exception as error:
        error.args += (str(linker.fgraph),)  # as compile_cmodule does
        raise


def compile_outside_lock(cmodule):
    """Patch ``cmodule.ModuleCache.module_from_key`` (``cmodule`` is
    ``theano.link.c.cmodule`` or ``pytensor.link.c.cmodule``) so that C
    modules compile outside the compile lock.  Idempotent."""
    cache_class = cmodule.ModuleCache
    original = cache_class.module_from_key
    if getattr(original, "compiles_outside_lock", False):
        return

    def module_from_key(self, key, lnk=None):
        module = self._get_from_key(key)
        if module is not None:
            return module
        src_code = lnk.get_src_code()
        module_hash = cmodule.get_module_hash(src_code, key)
        module = self._get_from_hash(module_hash, key)
        if module is not None:
            return module

        hash_key = hash(key)
        location = _private_workdir(self.dirname)
        try:
            module = _compile_unlocked(lnk, location, cmodule)
        except BaseException:
            cmodule._rmtree(location, ignore_if_missing=True,
                            msg="exception during compilation")
            raise
        os.remove(os.path.join(location, PLACEHOLDER))
        # Changing the hash of the key is not allowed during compilation.
        assert hash(key) == hash_key

        with cmodule.lock_ctx():
            self.refresh(cleanup=False)
            theirs = self._get_from_key(key)
            if theirs is None:
                theirs = self._get_from_hash(module_hash, key)
            if theirs is not None:
                # Another process compiled and registered it meanwhile.
                cmodule._rmtree(location, ignore_nocleanup=True,
                                ignore_if_missing=True,
                                msg="compiled by another process too")
                return theirs
            name = module.__file__
            assert name.startswith(location)
            assert name not in self.module_from_name
            self.module_from_name[name] = module
            key_data = self._add_to_cache(module, key, module_hash)
            self.module_hash_to_key_data[module_hash] = key_data
        self.stats[2] += 1
        return module

    module_from_key.compiles_outside_lock = True
    module_from_key.__doc__ = original.__doc__
    cache_class.module_from_key = module_from_key


def atomic_key_files(cmodule):
    """Patch ``cmodule.KeyData.save_pkl`` to write ``key.pkl`` whole: into a
    file beside it, renamed over it.  Idempotent."""
    key_data_class = cmodule.KeyData
    original = key_data_class.save_pkl
    if getattr(original, "atomic", False):
        return

    def save_pkl(self):
        # Named by process (the file's mode is the usual one, unlike
        # mkstemp's); processes write key files under the compile lock.
        partial = "%s.%d.partial" % (self.key_pkl, os.getpid())
        try:
            with open(partial, "wb") as handle:
                pickle.dump(self, handle, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(partial, self.key_pkl)
        except pickle.PicklingError:
            # As the original: a key that cannot be pickled leaves the
            # module without a key file (a later refresh removes it).
            if os.path.exists(self.key_pkl):
                os.remove(self.key_pkl)
            raise
        finally:
            if os.path.exists(partial):
                os.remove(partial)

    save_pkl.atomic = True
    save_pkl.__doc__ = original.__doc__
    key_data_class.save_pkl = save_pkl


#: The file of the compile directory that keeps the ``-march`` flags.
MARCH_FILE = "theano_rnn_march.json"


def machine_key(cxx):
    """A key naming the compiler ``cxx`` (path, size, date) and this CPU
    (``/proc/cpuinfo``'s first model name and flags), or ``None`` when
    either is unknown (no ``/proc/cpuinfo``: not Linux)."""
    compiler = shutil.which(cxx)
    try:
        stat = os.stat(os.path.realpath(compiler)) if compiler else None
        with open("/proc/cpuinfo") as handle:
            lines = handle.read().splitlines()
    except OSError:
        return None
    cpu = [next((line for line in lines if line.startswith(field)), "")
           for field in ("model name", "flags")]
    if stat is None or not all(cpu):
        return None
    text = "\n".join([os.path.realpath(compiler), str(stat.st_size),
                      str(stat.st_mtime_ns)] + cpu)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:20]


def _read_json(path):
    try:
        with open(path) as handle:
            value = json.load(handle)
    except (OSError, ValueError):
        return {}
    return value if isinstance(value, dict) else {}


def remembered_march_flags(cmodule, config):
    """Patch ``cmodule.GCC_compiler.compile_args`` so that the ``-march``
    flags it detects are kept in :data:`MARCH_FILE` of the compile
    directory, and read from there by the next process on the same machine
    and compiler.  Only where the backend detects them itself: ``g++``, and
    no ``-march`` in the user's ``gcc__cxxflags``.  Idempotent."""
    compiler = cmodule.GCC_compiler
    original = compiler.compile_args
    if getattr(original, "remembers_march_flags", False):
        return

    def compile_args(march_flags=True):
        if (not march_flags or compiler.march_flags is not None
                or "g++" not in os.path.basename(config.cxx)
                or "-march" in str(config.gcc__cxxflags)):
            return original(march_flags)
        key = machine_key(config.cxx)
        path = os.path.join(str(config.compiledir), MARCH_FILE)
        known = _read_json(path) if key else {}
        if isinstance(known.get(key), list):
            compiler.march_flags = [str(flag) for flag in known[key]]
            return original(march_flags)
        args = original(march_flags)
        if key and compiler.march_flags is not None:
            known = dict(_read_json(path), **{key: compiler.march_flags})
            try:
                _write_atomically(path, lambda partial: _write_json(
                    partial, known))
            except OSError:
                pass            # a read-only cache: detect again next time
        return args

    compile_args.remembers_march_flags = True
    compile_args.__doc__ = original.__doc__
    compiler.compile_args = staticmethod(compile_args)


def _write_json(path, value):
    with open(path, "w") as handle:
        json.dump(value, handle, indent=1, sort_keys=True)


def stable_external_op_versions(external_cop_class):
    """Make ``external_cop_class.c_code_cache_version`` (theano-pymc's
    ``ExternalCOp``) the same in every process: a SHA-256 of the op's C code
    instead of Python's salted ``hash()``.  Idempotent."""
    original = external_cop_class.c_code_cache_version
    if getattr(original, "stable_across_processes", False):
        return

    def c_code_cache_version(self):
        code = "\n".join(self.func_codes).encode("utf-8")
        version = ("sha256:" + hashlib.sha256(code).hexdigest(),)
        if hasattr(self, "params_type"):
            version += (self.params_type.c_code_cache_version(),)
        return version

    c_code_cache_version.stable_across_processes = True
    c_code_cache_version.__doc__ = original.__doc__
    external_cop_class.c_code_cache_version = c_code_cache_version
