"""Which backend theano_rnn runs on (``theano_rnn.runtime.select_backend``)
and how it is shown (``describe()``, ``python -m theano_rnn``).

The choice is checked through ``select_backend``'s ``environ`` argument with
the availability checks replaced, so that every case runs on either backend;
the subprocess tests check what a user sees on this interpreter.
"""
import os
import subprocess
import sys
import types

import pytest

from theano_rnn import runtime
from theano_rnn.runtime import BackendError, select_backend

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
USABLE = None


@pytest.fixture
def available(monkeypatch):
    """``available(theano=..., pytensor=...)``: make each backend usable
    (``True``) or not (a reason string) for ``select_backend``."""
    def set_available(theano=True, pytensor=True):
        for name, state in (("theano", theano), ("pytensor", pytensor)):
            reason = USABLE if state is True else state
            monkeypatch.setattr(runtime, "%s_unusable_reason" % name,
                                lambda reason=reason: reason)
    return set_available


def environ(value=None):
    return {} if value is None else {runtime.ENV_VAR: value}


@pytest.mark.parametrize("value, expected", [
    ("theano", "theano"), ("pytensor", "pytensor"),
    (" PyTensor ", "pytensor"), ("THEANO", "theano")])
def test_the_setting_chooses_the_backend(available, value, expected):
    available()
    assert select_backend(environ(value)) == expected


@pytest.mark.parametrize("value", [None, "", "  "])
def test_without_a_setting_theano_pymc_is_preferred(available, value):
    available()
    assert select_backend(environ(value)) == "theano"


def test_without_a_setting_pytensor_where_theano_pymc_is_unusable(available):
    available(theano="theano-pymc is not installed")
    assert select_backend(environ()) == "pytensor"


@pytest.mark.parametrize("value", ["tensorflow", "theano-pymc", "jax"])
def test_an_unknown_setting_names_the_choices(available, value):
    available()
    with pytest.raises(BackendError) as error:
        select_backend(environ(value))
    message = str(error.value)
    assert "\n" not in message
    assert runtime.ENV_VAR in message
    assert "'theano'" in message and "'pytensor'" in message
    assert repr(value) in message


def test_an_unknown_setting_is_refused_even_if_both_are_usable(available):
    available()
    with pytest.raises(BackendError):
        select_backend(environ("bogus"))


def test_backend_error_is_an_import_error():
    # so that code guarding an optional import with ImportError sees it
    assert issubclass(BackendError, ImportError)


def fake_python(monkeypatch, version, numpy_version=(1, 23), installed=True):
    """Make ``runtime`` see another Python/NumPy/installed set."""
    monkeypatch.setattr(runtime, "sys", types.SimpleNamespace(
        version_info=version, stderr=sys.stderr))
    monkeypatch.setattr(runtime, "_numpy_version", lambda: numpy_version)
    monkeypatch.setattr(runtime, "_installed",
                        lambda module: installed is True
                        or module in installed)


def test_theano_asked_for_on_python_3_12_says_what_to_do(monkeypatch):
    fake_python(monkeypatch, (3, 12, 1), (2, 5), installed={"pytensor"})
    with pytest.raises(BackendError) as error:
        select_backend(environ("theano"))
    message = str(error.value)
    assert "\n" not in message
    assert "Python <= 3.11" in message and "3.12" in message
    assert "pip install" in message
    assert "unset %s" % runtime.ENV_VAR in message


def test_on_python_3_12_the_default_is_pytensor(monkeypatch):
    # even with theano-pymc installed: it cannot run there
    fake_python(monkeypatch, (3, 12, 1), (2, 5), installed=True)
    assert select_backend(environ()) == "pytensor"


def test_theano_pymc_with_numpy_1_24_is_unusable(monkeypatch):
    fake_python(monkeypatch, (3, 11, 7), (1, 24), installed=True)
    reason = runtime.theano_unusable_reason()
    assert "NumPy < 1.24" in reason
    assert select_backend(environ()) == "pytensor"
    with pytest.raises(BackendError, match="NumPy < 1.24"):
        select_backend(environ("theano"))


def test_theano_pymc_usable_on_python_3_11_with_numpy_1_23(monkeypatch):
    fake_python(monkeypatch, (3, 11, 7), (1, 23), installed=True)
    assert runtime.theano_unusable_reason() is None
    assert select_backend(environ()) == "theano"


@pytest.mark.parametrize("version, hint", [
    ((3, 12, 1), "pip install theano_rnn"),
    # on 3.11 PyTensor cannot share theano-pymc's NumPy < 1.24
    ((3, 11, 7), "pytensor==3.0.7")])
def test_pytensor_asked_for_but_missing_says_what_to_install(
        monkeypatch, version, hint):
    fake_python(monkeypatch, version, installed={"theano"})
    with pytest.raises(BackendError) as error:
        select_backend(environ("pytensor"))
    message = str(error.value)
    assert "\n" not in message
    assert "PyTensor is not installed" in message
    assert hint in message


@pytest.mark.parametrize("version", [(3, 11, 7), (3, 12, 1)])
def test_neither_installed_is_one_line_naming_both(monkeypatch, version):
    fake_python(monkeypatch, version, installed=set())
    with pytest.raises(BackendError) as error:
        select_backend(environ())
    message = str(error.value)
    assert "\n" not in message
    assert "theano-pymc" in message and "PyTensor" in message
    assert "pip install" in message


def test_describe_names_the_backend_its_version_and_python(monkeypatch):
    monkeypatch.delenv(runtime.ENV_VAR, raising=False)
    line = runtime.describe()
    name = {"theano": "theano-pymc", "pytensor": "PyTensor"}[runtime.BACKEND]
    assert line.startswith("%s %s " % (name, runtime.VERSION))
    assert "Python %d.%d.%d" % sys.version_info[:3] in line
    assert "NumPy " in line and "default" in line
    monkeypatch.setenv(runtime.ENV_VAR, runtime.BACKEND)
    assert "chosen by %s" % runtime.ENV_VAR in runtime.describe()


def run(code_or_module, setting=None):
    """Run ``python -m theano_rnn`` (or ``-c code``) from the checkout."""
    env = dict(os.environ, PYTHONPATH=ROOT)
    env.pop(runtime.ENV_VAR, None)
    if setting is not None:
        env[runtime.ENV_VAR] = setting
    args = ([sys.executable, "-m", code_or_module]
            if code_or_module == "theano_rnn"
            else [sys.executable, "-c", code_or_module])
    return subprocess.run(args, env=env, cwd=ROOT, capture_output=True,
                          text=True, timeout=300)


def test_python_m_theano_rnn_names_the_backend_and_version():
    result = run("theano_rnn")
    assert result.returncode == 0, result.stderr
    name = {"theano": "theano-pymc", "pytensor": "PyTensor"}[runtime.BACKEND]
    assert "%s %s" % (name, runtime.VERSION) in result.stdout


@pytest.mark.parametrize("target", ["theano_rnn", "import theano_rnn"])
def test_a_bogus_setting_is_one_line_and_a_failure(target):
    result = run(target, setting="bogus")
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("theano_rnn: %s must be one of"
                               % runtime.ENV_VAR)
    assert result.stdout == ""


def test_the_backend_not_usable_here_is_one_line_and_a_failure():
    other = {"theano": "pytensor", "pytensor": "theano"}[runtime.BACKEND]
    reason = getattr(runtime, "%s_unusable_reason" % other)()
    if reason is None:
        pytest.skip("both backends are usable in this environment")
    result = run("theano_rnn", setting=other)
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("theano_rnn: %s=%s, but " % (runtime.ENV_VAR,
                                                          other))
    assert reason in lines[0] and "pip install" in lines[0]
