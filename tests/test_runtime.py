"""The Theano set-up done by ``import theano_rnn``."""
import json
import os
import subprocess
import sys

import pytest

from theano_rnn import runtime

#: Tests of theano-pymc's own set-up (its flags, scan fallback, C cache keys).
theano_only = pytest.mark.skipif(runtime.BACKEND != "theano",
                                 reason="theano-pymc's set-up")

PROBE = ("import json, sys, theano_rnn, theano;"
         "print(json.dumps([theano.config.floatX, theano.config.blas__ldflags,"
         " sys.modules.get('theano.scan.scan_perform_ext', 'absent') is None]))")


def probe(tmp_path, flags=None, theanorc=None):
    """Import theano_rnn in a fresh interpreter; return Theano's settings."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("THEANO_FLAGS", "THEANORC")}
    env["HOME"] = str(tmp_path)
    if flags is not None:
        env["THEANO_FLAGS"] = flags
    if theanorc is not None:
        (tmp_path / ".theanorc").write_text(theanorc)
    out = subprocess.run([sys.executable, "-c", PROBE], env=env,
                         capture_output=True, text=True, check=True).stdout
    return json.loads(out.strip().splitlines()[-1])


@theano_only
def test_import_sets_float32_blas_and_scan_fallback(tmp_path):
    floatx, ldflags, scan_blocked = probe(tmp_path)
    assert floatx == "float32"
    assert ldflags == (runtime.find_openblas() or "")
    assert scan_blocked == (not runtime.scan_extension_builds())


@theano_only
def test_flags_set_in_theano_flags_win(tmp_path):
    floatx, ldflags, _ = probe(tmp_path, flags="floatX=float64,blas__ldflags=")
    assert (floatx, ldflags) == ("float64", "")


@theano_only
def test_flags_set_in_theanorc_win(tmp_path):
    floatx, ldflags, _ = probe(tmp_path, theanorc=(
        "[global]\nfloatX = float64\n[blas]\nldflags =\n"))
    assert (floatx, ldflags) == ("float64", "")


@theano_only
def test_theano_imported_first_still_gets_scan_fallback_and_a_warning(
        tmp_path):
    """A user who set blas__ldflags can import Theano before theano_rnn:
    the flags stay Theano's (a warning names floatX), and scan still runs
    (on 3.11 its Cython loop would fail to compile)."""
    code = ("import theano, theano.tensor as T, theano_rnn;"
            "x = T.vector();"
            "s, _ = theano.scan(lambda a, acc: acc + a, sequences=x,"
            " outputs_info=T.zeros((), dtype=x.dtype));"
            "print(theano.function([x], s[-1])([1., 2., 3.]),"
            " theano.config.floatX)")
    empty_rc = tmp_path / "theanorc"
    empty_rc.write_text("")
    env = {k: v for k, v in os.environ.items() if k != "THEANO_FLAGS"}
    # No .theanorc, and the usual compile cache (a new HOME would compile
    # Theano's own modules from scratch).
    env.update(THEANORC=str(empty_rc), THEANO_FLAGS="blas__ldflags=")
    run = subprocess.run([sys.executable, "-c", code], env=env,
                         capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert run.stdout.split()[-2:] == ["6.0", "float64"]
    assert "Theano was imported before theano_rnn" in run.stderr
    assert "floatX=float64" in run.stderr


def test_missing_openblas_falls_back_to_numpy_with_one_warning():
    with pytest.warns(RuntimeWarning, match="OpenBLAS was not found"):
        flags = runtime.default_flags(set(), find_blas=lambda: None)
    assert flags == ["blas__ldflags=", "floatX=float32"]


def test_the_missing_openblas_warning_prints_as_one_line():
    """No source line under the message (``configure()`` or the user's
    ``import theano_rnn`` would say nothing)."""
    import warnings
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        runtime.default_flags(set(), find_blas=lambda: None)
    (warning,) = caught
    printed = warnings.formatwarning(warning.message, warning.category,
                                     warning.filename, warning.lineno,
                                     warning.line)
    assert printed.count("\n") == 1 and printed.endswith("\n"), printed
    assert "RuntimeWarning: theano_rnn: the system OpenBLAS" in printed


def test_user_blas_choice_is_not_second_guessed():
    def must_not_be_called():
        raise AssertionError("looked for BLAS although the user chose")
    assert runtime.default_flags({"blas__ldflags", "floatx"},
                                 must_not_be_called) == []


def _cache_key_version(outputs, inputs):
    from theano.graph.fg import FunctionGraph
    from theano.link.c.basic import CLinker
    fgraph = FunctionGraph(inputs, outputs)
    return CLinker().accept(fgraph).cmodule_key()[0]


@theano_only
def test_ops_with_empty_props_get_a_versioned_cache_key():
    # Alloc has __props__ == () and a c_code_cache_version: theano-pymc
    # 1.1.2 alone calls its module unversioned and recompiles it in every
    # process; after runtime.version_cache_keys() it is cached on disk.
    import theano.tensor as T
    n = T.lscalar("n")
    out = T.alloc(T.constant(1.0, dtype="float32"), n, 3)
    assert type(out.owner.op).__props__ == ()
    assert _cache_key_version([out], [n]) != ()
    assert runtime.SETTINGS["cache_keys"] == "versioned"


@theano_only
def test_ops_without_a_cache_version_stay_unversioned():
    import theano.tensor as T
    from theano.graph.basic import Apply
    from theano.graph.op import COp

    class Unversioned(COp):
        __props__ = ()

        def make_node(self, x):
            return Apply(self, [x], [x.type()])

        def perform(self, node, inputs, outputs):
            outputs[0][0] = inputs[0]

        def c_code(self, node, name, inputs, outputs, sub):
            return "Py_XDECREF(%s); %s = %s; Py_XINCREF(%s);" % (
                outputs[0], outputs[0], inputs[0], outputs[0])

    x = T.vector("x")
    assert _cache_key_version([Unversioned()(x)], [x]) == ()


@pytest.mark.parametrize("given,expected", [
    (None, runtime.OPENBLAS_THREAD_TIMEOUT), ("12", "12")])
def test_openblas_idle_threads_sleep_at_once_unless_the_user_chose(
        tmp_path, given, expected):
    env = {k: v for k, v in os.environ.items()
           if k != "OPENBLAS_THREAD_TIMEOUT"}
    if given is not None:
        env["OPENBLAS_THREAD_TIMEOUT"] = given
    code = ("import os, theano_rnn;"
            "print(os.environ['OPENBLAS_THREAD_TIMEOUT'])")
    out = subprocess.run([sys.executable, "-c", code], env=env,
                         capture_output=True, text=True, check=True).stdout
    assert out.strip().splitlines()[-1] == expected


# setuptools 81 removed pkg_resources; Scan imports theano.gpuarray, which
# imports it.  Blocked here (as if setuptools were 81 or newer), a scan must
# still build, compile and run, and pkg_resources stay unimportable after.
NO_PKG_RESOURCES = """
import sys
sys.modules["pkg_resources"] = None
import numpy as np
from theano_rnn.runtime import SETTINGS, T, theano, scan
x = T.vector("x")
doubled = scan(lambda v: v * 2, sequences=[x])
print(theano.function([x], doubled)(np.arange(3, dtype=x.dtype)).tolist())
print(SETTINGS.get("pkg_resources"), sys.modules["pkg_resources"])
"""


@theano_only
def test_scan_works_without_pkg_resources():
    done = subprocess.run([sys.executable, "-c", NO_PKG_RESOURCES],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.splitlines()[-2:] == ["[0.0, 2.0, 4.0]",
                                             "stand-in None"]
