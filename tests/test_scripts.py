"""Tests of the example scripts (``scripts/``), run as a user would run them:
as subprocesses, on small settings, checking that they learn and write
their files.

* ``train_sine.py`` trains a tiny GRU (200 waves of 20 steps, 8 units);
  ``predict.py`` then forecasts from the saved model.
* ``train_imdb.py`` trains a small LSTM on 2,000 real reviews, found only
  through the data-path setting (``THEANO_RNN_DATA``); skipped when
  ``theano_rnn.datasets.imdb.find_source()`` finds no data.  ``predict.py``
  then classifies text with a copy of the model file alone: the vocabulary
  travels inside it (``model.metadata``).
* Bad arguments and bad model files end with a message and a non-zero exit
  status, without a traceback.

Every subprocess writes into ``tmp_path``.  ``THEANO_RNN_HOME`` (the dataset
cache) is pointed there too, but ``HOME`` is left alone: Theano's compile
cache lives in ``~/.theano`` and moving it would recompile everything.

Thresholds were measured on a 2-core machine (seeds 1 to 6 for the sine,
1 to 4 for IMDB) and leave a clear margin; see the constants below.
"""
import csv
import importlib.util
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from theano_rnn import datasets
from theano_rnn.datasets import imdb
from theano_rnn.models import load_model

SCRIPTS = Path(__file__).resolve().parent.parent / "scripts"
HAS_MATPLOTLIB = importlib.util.find_spec("matplotlib") is not None

# train_sine.py --samples 200 --seq-length 20 --units 8 --epochs 60: test MSE
# 0.0001 with --seed 1 (0.00005 to 0.0025 over seeds 1-6, ~10 s); a
# constant guess scores about 0.5.
SINE_ARGS = ["--samples", 200, "--seq-length", 20, "--units", 8,
             "--epochs", 60, "--seed", 1]
SINE_MAX_MSE = 0.02
# train_imdb.py on 2,000 + 2,000 reviews, 3 epochs: test accuracy 0.76-0.78
# with --seed 2 (0.74 to 0.78 over seeds 1-4), ~30 s of which training 3 s.
IMDB_ARGS = ["--limit", 2000, "--units", 32, "--embed-dim", 32,
             "--maxlen", 100, "--max-features", 5000, "--epochs", 3,
             "--seed", 2]
IMDB_MIN_ACCURACY = 0.70

POSITIVE = ("This movie was wonderful: a great, beautiful film with "
            "excellent acting. I loved it, one of the best of the year.")
NEGATIVE = ("This was the worst movie I have ever seen. Terrible acting, an "
            "awful and boring plot, a complete waste of time.")


def run_script(name, *args, env=None, stdin=None, timeout=900):
    """Run ``scripts/<name>`` with ``args``; return the CompletedProcess
    (``stdout``/``stderr`` as text)."""
    return subprocess.run(
        [sys.executable, str(SCRIPTS / name)] + [str(a) for a in args],
        input=stdin, capture_output=True, text=True, env=env,
        timeout=timeout)


def run_script_without(module, name, *args):
    """Run ``scripts/<name>`` as :func:`run_script` does, with ``module``
    made unimportable (an optional extra that is not installed)."""
    script = str(SCRIPTS / name)
    code = ("import runpy, sys; sys.modules[%r] = None;"
            "sys.path.insert(0, %r); sys.argv = [%r] + %r;"
            "runpy.run_path(%r, run_name='__main__')"
            % (module, str(SCRIPTS), script, [str(a) for a in args], script))
    return subprocess.run([sys.executable, "-c", code], capture_output=True,
                          text=True)


def check_ok(result):
    """Fail with the script's output if it did not exit with status 0."""
    assert result.returncode == 0, (
        "exit status %d\n--- stdout\n%s\n--- stderr\n%s"
        % (result.returncode, result.stdout, result.stderr))
    return result


def value_after(label, text):
    """The number following ``label`` on its line of ``text``."""
    for line in text.splitlines():
        if line.startswith(label):
            return float(line[len(label):].split()[0])
    raise AssertionError("no line starting with %r in:\n%s" % (label, text))


def check_plot(result, path):
    """With matplotlib the PNG exists; without it, one line says why the
    plot was skipped."""
    if HAS_MATPLOTLIB:
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    else:
        assert not path.exists()
        skipped = [line for line in result.stdout.splitlines()
                   if line.startswith("Plot skipped")]
        assert len(skipped) == 1 and "matplotlib" in skipped[0]


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    """The test environment, with the dataset cache in a temporary folder
    (HOME, and so Theano's compile cache, unchanged)."""
    environment = dict(os.environ)
    environment[datasets.HOME_ENV] = str(tmp_path_factory.mktemp("home"))
    return environment


# --- Sine waves -------------------------------------------------------------

@pytest.fixture(scope="module")
def sine_run(tmp_path_factory, env):
    """Train the small sine model once for the tests below."""
    out = tmp_path_factory.mktemp("sine")
    # --history and --plot left to their defaults: beside the model.
    paths = {"model": out / "sine.npz", "history": out / "sine.csv",
             "plot": out / "sine.png"}
    result = check_ok(run_script(
        "train_sine.py", *SINE_ARGS, "--quiet", "--save", paths["model"],
        env=env))
    return result, paths


def test_train_sine_learns_the_next_value(sine_run):
    result, _ = sine_run
    assert value_after("Test MSE:", result.stdout) < SINE_MAX_MSE
    assert "Wall time:" in result.stdout
    assert "Epoch 1/" not in result.stdout  # --quiet: no progress


def saved_metadata(path):
    """The metadata inside the model file at ``path``."""
    return load_model(str(path), compile=False).metadata


def check_no_other_files(paths):
    """The run's folder holds only the files asked for (``paths``, all in
    one folder): no metadata file beside the model."""
    assert {f.name for f in paths["model"].parent.iterdir()} == {
        p.name for p in paths.values() if p.exists()}


def test_train_sine_writes_model_history_and_plot(sine_run):
    result, paths = sine_run
    metadata = saved_metadata(paths["model"])
    assert metadata["task"] == "sine" and metadata["seq_length"] == 20
    assert metadata["settings"]["units"] == 8
    check_no_other_files(paths)
    with open(paths["history"], newline="") as f:
        rows = list(csv.reader(f))
    assert rows[0] == ["epoch", "loss"]
    assert [int(row[0]) for row in rows[1:]] == list(range(1, 61))
    losses = [float(row[1]) for row in rows[1:]]
    assert losses[-1] < losses[0] / 10
    check_plot(result, paths["plot"])


def _wave(start, n):
    """``n`` points of a sine sampled as by generate_sine_wave(seq_length=20)
    (20 steps per two periods), from ``start``."""
    return np.sin(start + np.arange(n) * 4 * np.pi / 20)


def test_predict_forecasts_the_sine_from_arguments_and_stdin(sine_run, env):
    _, paths = sine_run
    wave = _wave(1.0, 23)
    # Arguments form one series (negative numbers and commas allowed);
    # --steps rolls forward.
    numbers = ["%.6f" % v for v in wave[:20]]
    result = check_ok(run_script("predict.py", paths["model"], "--steps", 3,
                                 ",".join(numbers[:10]), *numbers[10:],
                                 env=env))
    forecast = [float(v) for v in result.stdout.strip().split(",")]
    np.testing.assert_allclose(forecast, wave[20:], atol=0.1)
    # Standard input: one series per line, one forecast line each.
    lines = "\n".join(" ".join("%.6f" % v for v in _wave(s, 20))
                      for s in (0.3, 2.0))
    result = check_ok(run_script("predict.py", paths["model"], env=env,
                                 stdin=lines + "\n"))
    forecast = [float(v) for v in result.stdout.split()]
    np.testing.assert_allclose(forecast, [_wave(0.3, 21)[-1],
                                          _wave(2.0, 21)[-1]], atol=0.1)


def test_predict_rejects_text_for_a_sine_model(sine_run, env):
    result = run_script("predict.py", sine_run[1]["model"], "a", "review",
                        env=env)
    assert result.returncode == 1
    assert "not a number: 'a'" in result.stderr
    assert "Traceback" not in result.stderr


# --- IMDB -------------------------------------------------------------------

@pytest.fixture(scope="module")
def imdb_run(tmp_path_factory, env):
    """Train the small IMDB model once, on the real data found through the
    data-path setting."""
    source = imdb.find_source()
    if source is None:
        pytest.skip("real IMDB data not found: set %s to the folder holding "
                    "aclImdb_v1.tar.gz or aclImdb_labeled.tar.gz"
                    % datasets.DATA_ENV)
    env = dict(env, **{datasets.DATA_ENV: source})
    out = tmp_path_factory.mktemp("imdb")
    paths = {"model": out / "imdb.npz", "history": out / "history.json",
             "plot": out / "imdb.png"}
    result = check_ok(run_script(
        "train_imdb.py", *IMDB_ARGS, "--save", paths["model"],
        "--history", paths["history"], "--plot", paths["plot"], env=env))
    return result, paths, env


def test_train_imdb_learns_on_2000_reviews(imdb_run):
    result = imdb_run[0]
    assert "2000 training and 2000 test reviews" in result.stdout
    assert "Epoch 3/3" in result.stdout  # the progress of fit
    assert value_after("Test accuracy:", result.stdout) > IMDB_MIN_ACCURACY
    assert "Wall time:" in result.stdout


def test_train_imdb_saves_the_vocabulary_with_the_model(imdb_run):
    result, paths, _ = imdb_run
    metadata = saved_metadata(paths["model"])
    assert metadata["task"] == "imdb"
    assert (metadata["max_features"], metadata["maxlen"],
            metadata["index_from"], metadata["start_char"],
            metadata["oov_char"]) == (5000, 100, 3, 1, 2)
    ranks = metadata["word_index"]
    # Exactly the words whose index (rank + index_from) is below 5000.
    assert sorted(ranks.values()) == list(range(1, 4997))
    assert ranks["the"] == 1
    check_no_other_files(paths)
    history = json.loads(paths["history"].read_text())
    assert history["epoch"] == [1, 2, 3]
    assert len(history["loss"]) == len(history["acc"]) == 3
    check_plot(result, paths["plot"])


def test_predict_classifies_text_with_the_model_file_alone(imdb_run,
                                                           tmp_path):
    _, paths, env = imdb_run
    # Only the model file, copied elsewhere under another name: the
    # vocabulary comes with it.
    model = tmp_path / "copied_model.npz"
    shutil.copyfile(str(paths["model"]), str(model))
    result = check_ok(run_script("predict.py", model, POSITIVE, NEGATIVE,
                                 env=env))
    lines = result.stdout.splitlines()
    assert len(lines) == 2
    (p_pos, verdict_pos), (p_neg, verdict_neg) = [
        line.split("\t")[:2] for line in lines]
    assert verdict_pos == "positive" and float(p_pos) > 0.6
    assert verdict_neg == "negative" and float(p_neg) < 0.4
    # The same texts on standard input, one per line (blank lines skipped).
    result = check_ok(run_script("predict.py", model, env=env,
                                 stdin="%s\n\n%s\n" % (POSITIVE, NEGATIVE)))
    assert result.stdout == "\n".join(lines) + "\n"


def test_predict_refuses_steps_for_an_imdb_model(imdb_run):
    _, paths, env = imdb_run
    result = run_script("predict.py", paths["model"], "--steps", 2, "good",
                        env=env)
    assert result.returncode == 2
    assert "--steps" in result.stderr and "Traceback" not in result.stderr


# --- Bad input --------------------------------------------------------------

@pytest.mark.parametrize("script, args, argument", [
    ("train_imdb.py", ["--maxlen", 0], "--maxlen"),
    ("train_imdb.py", ["--max-features", 3], "--max-features"),
    ("train_imdb.py", ["--data", "{tmp}/missing"], "--data"),
    ("train_imdb.py", ["--data", "{tmp}"], "--data"),  # exists, no IMDB data
    ("train_imdb.py", ["--dropout", 1], "--dropout"),
    ("train_imdb.py", ["--history", "{tmp}/history.txt"], "--history"),
    ("train_sine.py", ["--seq-length", 0], "--seq-length"),
    ("train_sine.py", ["--cell", "transformer"], "--cell"),
    ("train_sine.py", ["--save", "{tmp}"], "--save"),  # a directory
])
def test_bad_arguments_exit_with_a_message_naming_them(
        tmp_path, env, script, args, argument):
    args = [str(a).format(tmp=tmp_path) for a in args]
    if "--save" not in args:  # never the default runs/ of the current dir
        args += ["--save", str(tmp_path / "m.npz")]
    result = run_script(script, *args, env=env)
    assert result.returncode == 2
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("%s: error: argument %s" % (script, argument))
    assert "Traceback" not in result.stderr
    assert list(tmp_path.iterdir()) == []  # nothing written


def test_corrupt_data_archive_ends_the_run_with_one_line(tmp_path, env):
    """An archive that exists but is damaged: exit status 1 with the
    loader's message, before any model is built, and no cache left."""
    data = tmp_path / "data"
    data.mkdir()
    (data / "aclImdb_v1.tar.gz").write_bytes(b"\x1f\x8b" + b"junk" * 100)
    home = tmp_path / "home"
    result = run_script("train_imdb.py", "--data", data, "--quiet",
                        "--save", tmp_path / "m.npz",
                        env=dict(env, **{datasets.HOME_ENV: str(home)}))
    assert result.returncode == 1
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("train_imdb.py: error: cannot read the IMDB "
                           "archive") and "corrupt" in last
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "m.npz").exists()
    leftovers = [p for p in home.rglob("*") if p.is_file()]
    assert leftovers == []


def _save_model(path, metadata):
    """A valid model file with ``metadata``, not written by the training
    scripts."""
    from theano_rnn.layers import Dense
    from theano_rnn.models import Sequential
    Sequential([Dense(1, input_shape=(3,))]).save(str(path), metadata)


@pytest.mark.parametrize("case, message", [
    ("missing", "no such file"),
    ("corrupt", "not a theano_rnn.model file"),
    ("no metadata", "has no metadata"),
    ("other task", "predict.py knows the tasks"),
    ("sine without seq_length", "lacks seq_length"),
    ("imdb without vocabulary", "lacks word_index"),
])
def test_predict_rejects_bad_model_files(tmp_path, env, case, message):
    model = tmp_path / "model.npz"
    if case == "corrupt":
        model.write_bytes(b"this is not a model")
    elif case == "no metadata":
        _save_model(model, {})
    elif case == "other task":
        _save_model(model, {"task": "translation"})
    elif case == "sine without seq_length":
        _save_model(model, {"task": "sine"})
    elif case == "imdb without vocabulary":
        _save_model(model, {"task": "imdb", "maxlen": 3})
    result = run_script("predict.py", model, "1 2 3", env=env)
    assert result.returncode == 1
    assert message in result.stderr
    assert result.stderr.strip().splitlines()[-1].startswith(
        "predict.py: error: ")
    assert "Traceback" not in result.stderr


def test_learning_rate_option_reaches_the_optimizer(tmp_path):
    """--lr sets the optimizer's learning rate; 0 is refused by name."""
    model_path = tmp_path / "sine.npz"
    check_ok(run_script("train_sine.py", "--samples", "40", "--seq-length",
                        "5", "--units", "2", "--epochs", "1", "--lr", "0.0123",
                        "--quiet", "--no-plot", "--seed", "1",
                        "--save", str(model_path)))
    from theano_rnn.models import load_model
    model = load_model(str(model_path))
    assert abs(float(model.optimizer.lr.get_value()) - 0.0123) < 1e-7
    result = run_script("train_sine.py", "--lr", "0")
    assert result.returncode != 0 and "--lr" in result.stderr


def test_implementation_option_picks_the_loop_and_both_train_alike(tmp_path):
    """--implementation reaches the recurrent layer, and a short run on the
    scan path ends with the weights of the same run on the fused path."""
    weights = {}
    for implementation in ("scan", "fused"):
        path = tmp_path / ("%s.npz" % implementation)
        check_ok(run_script(
            "train_sine.py", "--cell", "rnn", "--samples", "40",
            "--seq-length", "5", "--units", "3", "--epochs", "2", "--quiet",
            "--no-plot", "--seed", "3",
            "--implementation", implementation, "--save", str(path)))
        model = load_model(str(path), compile=False)
        assert model.layers[0].implementation == implementation
        weights[implementation] = model.get_weights()
    for scan, fused in zip(weights["scan"], weights["fused"]):
        np.testing.assert_allclose(scan, fused, rtol=1e-4, atol=1e-5)
    result = run_script("train_sine.py", "--implementation", "cudnn")
    assert result.returncode == 2 and "--implementation" in result.stderr


def test_no_history_and_no_plot_leave_the_model_alone(tmp_path):
    check_ok(run_script(
        "train_sine.py", "--cell", "rnn", "--samples", "40", "--seq-length",
        "5", "--units", "3", "--epochs", "1", "--quiet", "--seed", "3",
        "--no-history", "--no-plot", "--save", str(tmp_path / "m.npz")))
    assert [f.name for f in tmp_path.iterdir()] == ["m.npz"]


def test_without_matplotlib_the_plot_is_skipped_with_one_line(tmp_path):
    """matplotlib is an optional extra: hidden from the script, the run
    still succeeds, says once why there is no plot, and writes the rest."""
    result = check_ok(run_script_without(
        "matplotlib", "train_sine.py", "--cell", "rnn", "--samples", "40",
        "--seq-length", "5", "--units", "3", "--epochs", "1", "--quiet",
        "--seed", "3", "--save", tmp_path / "m.npz"))
    skipped = [line for line in result.stdout.splitlines()
               if line.startswith("Plot skipped")]
    assert len(skipped) == 1 and "matplotlib" in skipped[0]
    assert sorted(f.name for f in tmp_path.iterdir()) == ["m.csv", "m.npz"]


def test_keras_reference_without_keras_names_the_install_command(tmp_path):
    """Keras 2.3.1 is optional: hidden from the comparison script, it exits
    with status 2 and the command that installs it, before loading data."""
    result = run_script_without("keras", "keras_reference.py",
                                "--library", "keras")
    assert result.returncode == 2
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("keras_reference.py: error: argument --library: "
                           "Keras is not installed")
    assert "pip install --no-deps Keras==2.3.1" in last
    assert "Traceback" not in result.stderr
    result = run_script("keras_reference.py", "--library", "keras",
                        "--as-keras-on-theano")
    assert result.returncode == 2 and "--as-keras-on-theano" in result.stderr


@pytest.mark.parametrize("script", ["make_keras_h5_fixtures.py",
                                    "check_h5_with_keras.py"])
@pytest.mark.parametrize("module", ["keras", "h5py"])
def test_keras_h5_scripts_without_keras_name_the_install_command(script,
                                                                 module):
    """The .h5 fixture generator and the Keras read-back check need Keras
    2.3.1 and h5py; without either they exit with status 2 naming what to
    install, and write nothing."""
    before = sorted(os.listdir(str(SCRIPTS.parent / "tests" / "data"
                                   / "keras_h5")))
    result = run_script_without(module, script)
    assert result.returncode == 2, result.stderr
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith(script + ": error:")
    assert "pip install --no-deps Keras==2.3.1" in last
    assert "h5py<3.12" in last
    assert "Traceback" not in result.stderr
    assert sorted(os.listdir(str(SCRIPTS.parent / "tests" / "data"
                                 / "keras_h5"))) == before
