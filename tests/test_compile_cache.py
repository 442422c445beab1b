"""C modules compile outside the backend's compile lock
(:mod:`theano_rnn.runtime.compile_cache`), and are registered in the shared
cache as before."""
import glob
import os
import subprocess
import sys
import time

from theano_rnn.runtime import theano
from theano_rnn.runtime.compile_cache import PLACEHOLDER

# Graphs no other test compiles; ``{extra}`` adds an output, whose module is
# new in a cache that has the first graph's.
CHILD = ("import theano_rnn; from theano_rnn.runtime import theano, T;"
         "x = T.vector(); f = theano.function([x], [T.exp(x) * 2.5 + 1.0]{extra});"
         "print(float(f([0.0])[0][0]))")


def run_child(compiledir, extra="", **kwargs):
    """A fresh interpreter compiling ``exp(x) * 2.5 + 1`` (and ``extra``
    outputs) into ``compiledir``."""
    env = dict(os.environ)
    for name in ("THEANO_FLAGS", "PYTENSOR_FLAGS"):
        env[name] = ",".join(
            f for f in [env.get(name, ""), "compiledir=%s" % compiledir] if f)
    return subprocess.Popen(
        [sys.executable, "-c", CHILD.format(extra=extra)], env=env,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kwargs)


def shared_objects(compiledir):
    return set(glob.glob(os.path.join(str(compiledir), "tmp*", "*.so")))


def test_a_process_compiles_while_another_holds_the_lock(tmp_path):
    compiledir = tmp_path / "compiledir"
    # First a run without contention: the backend compiles its own helper
    # modules at import, under the lock, and those must exist beforehand.
    warm = run_child(compiledir)
    out, err = warm.communicate(timeout=600)
    assert warm.returncode == 0, err
    assert float(out.split()[-1]) == 3.5
    before = shared_objects(compiledir)

    lock = theano.compile.compilelock.lock_ctx(lock_dir=str(compiledir))
    with lock:
        child = run_child(compiledir, " + [T.cosh(x) * T.sinh(x)]")
        deadline = time.time() + 300
        while not shared_objects(compiledir) - before:
            assert child.poll() is None, child.communicate()
            assert time.time() < deadline, "no module compiled in 300 s"
            time.sleep(0.2)
        # Compiled while we hold the lock; registering it waits for us.
        assert child.poll() is None
    out, err = child.communicate(timeout=600)
    assert child.returncode == 0, err
    assert float(out.split()[-1]) == 3.5
    assert not glob.glob(os.path.join(str(compiledir), "tmp*", PLACEHOLDER))


def test_a_module_compiled_elsewhere_is_reused_not_compiled_again(tmp_path):
    compiledir = tmp_path / "compiledir"
    for _ in range(2):
        child = run_child(compiledir)
        out, err = child.communicate(timeout=600)
        assert child.returncode == 0, err
        assert float(out.split()[-1]) == 3.5
        if _ == 0:
            first = shared_objects(compiledir)
    assert shared_objects(compiledir) == first
