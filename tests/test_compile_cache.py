"""C modules compile outside the backend's compile lock and with a
precompiled header (:mod:`theano_rnn.runtime.compile_cache`), and are
registered in the shared cache as before."""
import glob
import json
import os
import pickle
import shlex
import subprocess
import sys
import time

import pytest
from theano_rnn.runtime import theano
from theano_rnn.runtime.compile_cache import (MARCH_FILE, PCH_ENV, PCH_FOLDER,
                                              PLACEHOLDER)

# Graphs no other test compiles.  The child compiles ``exp(x) * 2.5 + 1``;
# with ``wait=True`` it then says "ready" and, once it reads a line, compiles
# a second graph with one more output, whose module is new in a cache that
# has the first graph's.
CHILD = """
import sys
import theano_rnn
from theano_rnn.runtime import theano, T
x = T.vector()
f = theano.function([x], [T.exp(x) * 2.5 + 1.0])
print(float(f([0.0])[0][0]), flush=True)
if {wait}:
    print("ready", flush=True)
    sys.stdin.readline()
    g = theano.function([x], [T.exp(x) * 2.5 + 1.0, T.cosh(x) * T.sinh(x)])
    print(float(g([0.0])[0][0]), flush=True)
"""


def child_environment(compiledir, flags=(), **environ):
    """This process's environment with ``environ``, and both backends'
    flags with ``flags`` added and pointing at ``compiledir``."""
    env = dict(os.environ, **environ)
    for name in ("THEANO_FLAGS", "PYTENSOR_FLAGS"):
        env[name] = ",".join(
            f for f in [env.get(name, "")] + list(flags) +
            ["compiledir=%s" % compiledir] if f)
    return env


def run_child(compiledir, wait=False):
    """A fresh interpreter compiling :data:`CHILD`'s graphs into
    ``compiledir``."""
    env = child_environment(compiledir)
    return subprocess.Popen(
        [sys.executable, "-c", CHILD.format(wait=wait)], env=env,
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True)


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

    # The child opens the cache (PyTensor takes the lock to read it, and
    # gives up after compile__timeout) before we hold the lock; the module
    # it compiles next is new.
    child = run_child(compiledir, wait=True)
    assert child.stdout.readline().strip() == "3.5", child.communicate()
    assert child.stdout.readline().strip() == "ready", child.communicate()
    lock = theano.compile.compilelock.lock_ctx(lock_dir=str(compiledir))
    with lock:
        child.stdin.write("go\n")
        child.stdin.flush()
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


# -- precompiled headers ------------------------------------------------------

# Compiles a graph of its own and prints the g++ command lines the backend
# logged (``compile_str`` logs each one at debug level).
COMMANDS_CHILD = """
import io, logging
import theano_rnn
from theano_rnn.runtime import BACKEND, theano, T
log = logging.getLogger(
    ("theano" if BACKEND == "theano" else "pytensor") + ".link.c.cmodule")
stream = io.StringIO()
log.addHandler(logging.StreamHandler(stream))
log.setLevel(logging.DEBUG)
x = T.vector()
f = theano.function([x], [T.exp(x) * {scale} - 1.0])
print(float(f([0.0])[0][0]))
for line in stream.getvalue().splitlines():
    if line.startswith("Running cmd: "):
        print(line)
"""


def compile_commands(compiledir, scale=3.5, flags=(), **environ):
    """The value ``exp(0) * scale - 1`` a child computed in ``compiledir``
    (with the backend ``flags`` and the environment ``environ`` added) and
    the g++ commands it ran for modules of the cache (``tmp*`` folders; not
    the backend's own helper modules)."""
    env = child_environment(compiledir, flags, **environ)
    done = subprocess.run([sys.executable, "-c",
                           COMMANDS_CHILD.format(scale=scale)], env=env,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    commands = [shlex.split(line[len("Running cmd: "):]) for line in lines[1:]]
    return float(lines[0]), [
        c for c in commands if os.path.basename(os.path.dirname(
            c[c.index("-o") + 2])).startswith("tmp")]


@pytest.fixture(scope="module")
def default_compile(tmp_path_factory):
    """``(compiledir, value, commands)`` of one :func:`compile_commands`
    child with the default settings, shared by the tests that read it."""
    compiledir = tmp_path_factory.mktemp("default") / "compiledir"
    return (compiledir,) + compile_commands(compiledir)


def test_modules_compile_with_the_precompiled_header(default_compile,
                                                     tmp_path):
    compiledir, value, commands = default_compile
    assert value == 2.5
    assert commands, "no module was compiled"
    command = commands[-1]
    header = command[command.index("-include") + 1]
    assert header.startswith(str(compiledir / PCH_FOLDER))
    assert os.path.exists(header + ".gch")
    # g++ really reads the precompiled header (-H marks it with "!"); an
    # unusable one would be an error here, not a silent slow compile.
    output = command.index("-o") + 1
    command[output] = str(tmp_path / "again.so")
    again = subprocess.run(command + ["-H", "-Winvalid-pch",
                                      "-Werror=invalid-pch"],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           text=True)
    assert again.returncode == 0, again.stderr
    assert "! %s.gch" % header in again.stderr


def test_precompiled_headers_are_off_with_the_setting(tmp_path):
    compiledir = tmp_path / "compiledir"
    value, commands = compile_commands(compiledir, **{PCH_ENV: "0"})
    assert value == 2.5
    assert commands and not any("-include" in c for c in commands)
    assert not (compiledir / PCH_FOLDER).exists()


def test_a_header_that_cannot_be_built_leaves_modules_compiling(tmp_path):
    compiledir = tmp_path / "compiledir"
    compiledir.mkdir()
    # Where the headers would go, a file: no header can be written there.
    (compiledir / PCH_FOLDER).write_text("not a folder\n")
    value, commands = compile_commands(compiledir, scale=4.5)
    assert value == 3.5
    assert commands and not any("-include" in c for c in commands)


# -- debug information --------------------------------------------------------

def has_debug_information(shared_object):
    """Whether an ELF shared object has DWARF sections (their names are
    plain text in the file's section-name table)."""
    with open(shared_object, "rb") as handle:
        return b".debug_info" in handle.read()


def test_modules_compile_without_debug_information(default_compile):
    compiledir, value, commands = default_compile
    assert value == 2.5 and commands
    for command in commands:
        assert [c for c in command if c.startswith("-g")][-1] == "-g0"
        assert not has_debug_information(command[command.index("-o") + 1])


def test_debug_information_is_kept_when_the_user_asks_for_it(tmp_path):
    compiledir = tmp_path / "compiledir"
    value, commands = compile_commands(compiledir, scale=4.5,
                                       flags=["gcc__cxxflags=-g"])
    assert value == 3.5 and commands
    for command in commands:
        assert "-g0" not in command
        assert has_debug_information(command[command.index("-o") + 1])


class ReadsTheKeyFileWhilePickled:
    """A cache key part that, while its key file is being written, reads
    that file as another process's cache refresh would."""

    def __init__(self, key_pkl):
        self.key_pkl = key_pkl
        self.seen = []

    def __getstate__(self):
        with open(self.key_pkl, "rb") as handle:
            self.seen.append(len(pickle.load(handle).keys))
        return {"key_pkl": self.key_pkl, "seen": []}


def test_a_key_file_is_never_seen_half_written(tmp_path):
    """Adding a key to a module rewrites its key.pkl; a process reading the
    cache meanwhile must find the old list of keys or the new one (on an
    empty file, Theano's refresh deletes the module's directory)."""
    cmodule = theano.link.c.cmodule
    key_pkl = str(tmp_path / "key.pkl")
    probe = ReadsTheKeyFileWhilePickled(key_pkl)
    key_data = cmodule.KeyData(keys={("v1", "first")}, module_hash="h",
                               key_pkl=key_pkl, entry=str(tmp_path / "m.so"))
    key_data.save_pkl()
    key_data.add_key(("v1", probe))           # pickles the probe: it reads
    assert probe.seen == [1]                  # the old file, whole
    with open(key_pkl, "rb") as handle:
        assert len(pickle.load(handle).keys) == 2
    assert os.listdir(str(tmp_path)) == ["key.pkl"]


MARCH_CHILD = """
import json
import theano_rnn
from theano_rnn.runtime import theano
from theano_rnn.runtime.compile_cache import machine_key
print(json.dumps({"args": theano.link.c.cmodule.GCC_compiler.compile_args(),
                  "key": machine_key(theano.config.cxx)}))
"""


def march_child(compiledir):
    """``GCC_compiler.compile_args()`` of a fresh interpreter, and the key
    of this machine and compiler."""
    done = subprocess.run([sys.executable, "-c", MARCH_CHILD],
                          env=child_environment(compiledir),
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.splitlines()[-1])


def test_the_march_flags_are_found_once_and_read_back(tmp_path):
    compiledir = tmp_path / "compiledir"
    first = march_child(compiledir)
    if first["key"] is None:
        pytest.skip("no /proc/cpuinfo or no g++ here: nothing is kept")
    kept = json.loads((compiledir / MARCH_FILE).read_text())
    flags = kept[first["key"]]
    assert any(flag.startswith("-march=") for flag in flags)
    assert all(flag in first["args"] for flag in flags)
    # The next process takes them from the file: give it other ones.
    kept[first["key"]] = ["-march=x86-64", "-mtune=generic"]
    (compiledir / MARCH_FILE).write_text(json.dumps(kept))
    second = march_child(compiledir)
    assert "-march=x86-64" in second["args"]
    assert [f for f in second["args"] if f.startswith("-march")] == \
        ["-march=x86-64"]
