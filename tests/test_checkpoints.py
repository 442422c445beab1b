"""Tests of ``--checkpoint`` / ``--resume`` in the training scripts, on
``train_sine.py`` (``train_imdb.py`` shares the code, ``scripts/_common.py``).

* A run started with ``--checkpoint --resume`` and no checkpoint file yet
  starts from scratch (the documented choice: the same command line can be
  rerun until the run completes).  It is killed with SIGKILL as soon as the
  checkpoint file exists (one epoch done), then resumed with the same
  command: the final weights and history are identical to those of an
  uninterrupted run without checkpoints.
* Resuming a checkpoint whose epochs are all done only evaluates and saves.
* Resuming with another setting fails with a message naming the option.
* Resuming on the other backend (theano-pymc / PyTensor) is refused.

No timing values: the test waits for the checkpoint file to appear and
kills at once; if the run nevertheless ended first (a very fast machine),
it retries with epochs ten times longer (more waves).
"""
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from theano_rnn import runtime, saving
from theano_rnn.models import load_model

SCRIPTS = Path(__file__).resolve().parent.parent / "scripts"
EPOCHS = 6
# The waves per epoch of each attempt: 125 then 1,250 batches per epoch
# (the kill comes within milliseconds of the checkpoint file; the five
# epochs left take about a second on these machines).
SAMPLES = (1000, 10000)


def sine_args(samples, *extra):
    """The run's arguments; no plot (other tests check it)."""
    return [str(a) for a in (
        "--samples", samples, "--seq-length", 10, "--units", 8,
        "--epochs", EPOCHS, "--seed", 3, "--batch-size", 8, "--quiet",
        "--no-plot") + extra]


def command(args):
    return [sys.executable, str(SCRIPTS / "train_sine.py")] + args


def run(args):
    return subprocess.run(command(args), capture_output=True, text=True,
                          timeout=600)


def check_ok(result):
    assert result.returncode == 0, (
        "exit status %d\n--- stdout\n%s\n--- stderr\n%s"
        % (result.returncode, result.stdout, result.stderr))
    return result


def start_and_kill(args, checkpoint, log):
    """Start the script, SIGKILL it as soon as ``checkpoint`` exists.
    Returns True if it was killed, False if it ended first."""
    with open(log, "w") as out:
        process = subprocess.Popen(command(args), stdout=out,
                                   stderr=subprocess.STDOUT)
        try:
            while process.poll() is None and not checkpoint.exists():
                time.sleep(0.002)
            if process.poll() is None:
                process.send_signal(signal.SIGKILL)
        finally:
            process.wait()
    if process.returncode == 0:
        return False
    assert process.returncode == -signal.SIGKILL, log.read_text()
    return True


def weights_equal(path_a, path_b):
    a, b = load_model(str(path_a), compile=False), \
        load_model(str(path_b), compile=False)
    return len(a.get_weights()) == len(b.get_weights()) and all(
        np.array_equal(x, y) for x, y in zip(a.get_weights(),
                                             b.get_weights()))


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """Kill a checkpointed run and resume it; run the same uninterrupted."""
    out = tmp_path_factory.mktemp("checkpoints")
    for samples in SAMPLES:
        checkpoint = out / ("ck%d.npz" % samples)
        resumed = out / ("resumed%d.npz" % samples)
        resumable = sine_args(samples, "--checkpoint", checkpoint,
                              "--resume", "--save", resumed,
                              "--history", out / "resumed.json")
        resumable.remove("--quiet")  # to see what it says it does
        log = out / "killed.log"
        if start_and_kill(resumable, checkpoint, log):
            break
    else:
        pytest.fail("every run ended before it could be killed")
    killed_log = log.read_text()
    assert not resumed.exists()  # killed before the end
    epochs_at_kill = load_model(str(checkpoint), compile=False).metadata[
        "checkpoint"]["epochs"]
    resume = check_ok(run(resumable))
    plain = out / "plain.npz"
    check_ok(run(sine_args(samples, "--save", plain,
                           "--history", out / "plain.json")))
    return {"out": out, "samples": samples, "checkpoint": checkpoint,
            "resumed": resumed, "plain": plain, "resume": resume,
            "killed_log": killed_log, "epochs_at_kill": epochs_at_kill,
            "resumable": resumable}


def test_resumed_run_equals_uninterrupted_run(runs):
    # The first run found no checkpoint and started from scratch.
    assert "No checkpoint at %s yet: starting from scratch" % (
        runs["checkpoint"]) in runs["killed_log"]
    assert 1 <= runs["epochs_at_kill"] <= EPOCHS
    assert weights_equal(runs["resumed"], runs["plain"])
    out = runs["out"]
    resumed = json.loads((out / "resumed.json").read_text())
    plain = json.loads((out / "plain.json").read_text())
    assert resumed == plain and len(plain["loss"]) == EPOCHS
    assert "Resuming from %s" % runs["checkpoint"] in runs["resume"].stdout
    assert "%d of %d epochs done" % (runs["epochs_at_kill"], EPOCHS) \
        in runs["resume"].stdout
    # The checkpoint now records the whole run.
    info = load_model(str(runs["checkpoint"]),
                      compile=False).metadata["checkpoint"]
    assert info["epochs"] == EPOCHS
    assert info["history"] == {k: v for k, v in plain.items()
                               if k != "epoch"}
    assert info["settings"]["seed"] == 3 and info["settings"]["units"] == 8


def test_resume_with_all_epochs_done_only_evaluates(runs):
    again = runs["out"] / "again.npz"
    args = sine_args(runs["samples"], "--checkpoint", runs["checkpoint"],
                     "--resume", "--save", again)
    args.remove("--quiet")
    result = check_ok(run(args))
    assert "All %d epochs were done: no training" % EPOCHS in result.stdout
    assert "Epoch " not in result.stdout  # no progress bar: fit not run
    assert weights_equal(again, runs["plain"])


@pytest.mark.parametrize("change, option", [
    (["--units", "9"], "--units 8"),
    (["--seed", "4"], "--seed 3"),
])
def test_resume_with_other_settings_names_the_option(runs, change, option):
    args = sine_args(runs["samples"], "--checkpoint", runs["checkpoint"],
                     "--resume", "--save", runs["out"] / "other.npz")
    flag = change[0]
    position = args.index(flag)
    args[position + 1] = change[1]
    mtime = os.stat(runs["checkpoint"]).st_mtime_ns
    result = run(args)
    assert result.returncode == 1
    assert "cannot resume" in result.stderr and option in result.stderr
    assert "%s %s" % (flag, change[1]) in result.stderr
    assert "Traceback" not in result.stderr
    assert not (runs["out"] / "other.npz").exists()
    assert os.stat(runs["checkpoint"]).st_mtime_ns == mtime


def test_resume_on_the_other_backend_is_refused(runs, tmp_path):
    """The dropout streams of one backend cannot continue the other's, so
    a checkpoint written on one is not resumed on the other."""
    header, groups = saving.read_file(str(runs["checkpoint"]),
                                      saving.MODEL_FORMAT)
    other = {"theano": "pytensor", "pytensor": "theano"}[runtime.BACKEND]
    checkpoint = tmp_path / "other_backend.npz"
    saving.write_file(str(checkpoint), saving.MODEL_FORMAT,
                      dict(header, backend=other), groups)
    args = sine_args(runs["samples"], "--checkpoint", checkpoint, "--resume",
                     "--save", tmp_path / "m.npz")
    result = run(args)
    assert result.returncode == 1
    assert ("cannot resume: the checkpoint %s was written on %s, this run "
            "is on %s" % (checkpoint, other, runtime.BACKEND)) in result.stderr
    assert "THEANO_RNN_BACKEND=%s" % other in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "m.npz").exists()


def test_resume_needs_a_checkpoint_path(tmp_path):
    result = run(sine_args(200, "--resume", "--save", tmp_path / "m.npz"))
    assert result.returncode == 2
    assert "--resume" in result.stderr and "--checkpoint" in result.stderr
