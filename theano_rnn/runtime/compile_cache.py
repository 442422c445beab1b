"""Two fixes to the C-module cache that Theano and PyTensor share.

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
"""
import hashlib
import os
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


def _compile_unlocked(linker, location):
    """``CLinker.compile_cmodule(location)`` without its lock: the same
    steps (``g++`` into the private ``location``, then import the module).
    Any other kind of linker compiles through its own method."""
    needed = ("get_dynamic_module", "c_compiler", "libraries", "compile_args",
              "header_dirs", "lib_dirs")
    if not all(hasattr(linker, name) for name in needed):
        return linker.compile_cmodule(location)
    mod = linker.get_dynamic_module()
    try:
        return linker.c_compiler().compile_str(
            module_name=mod.code_hash, src_code=mod.code(), location=location,
            include_dirs=linker.header_dirs(), lib_dirs=linker.lib_dirs(),
            libs=linker.libraries(), preargs=linker.compile_args())
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
            module = _compile_unlocked(lnk, location)
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
