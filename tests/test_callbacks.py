"""Callbacks driven by hand with a tiny fake model (no Theano involved)."""
import csv
import io
import re

import numpy as np
import pytest

import theano_rnn  # noqa: F401
from theano_rnn import callbacks
from theano_rnn.callbacks import (BaseLogger, CallbackList, CSVLogger,
                                  EarlyStopping, History, ModelCheckpoint,
                                  Progbar, ProgbarLogger, TerminateOnNaN)


class FakeModel(object):
    """What callbacks may use of a model; records saves and weight sets."""

    def __init__(self):
        self.stop_training = False
        self.weights = [np.zeros(2)]
        self.saved = []

    def save(self, path):
        self.saved.append(("model", path))

    def save_weights(self, path):
        self.saved.append(("weights", path))

    def get_weights(self):
        return [w.copy() for w in self.weights]

    def set_weights(self, weights):
        self.weights = [np.array(w) for w in weights]


class TTY(io.StringIO):
    """A captured stream that claims to be a terminal."""

    def isatty(self):
        return True


def train(callback_list, epoch_logs, model=None, params=None):
    """Drive callbacks through epochs whose logs are given (no batches).

    Before epoch ``e`` ends, the model's weights are set to ``[e, e]`` so
    that restored weights tell which epoch they come from.  Returns the
    model and the number of epochs run.
    """
    model = model or FakeModel()
    cbs = CallbackList(callback_list)
    cbs.set_model(model)
    cbs.set_params(params or {"epochs": len(epoch_logs), "verbose": 0})
    cbs.on_train_begin()
    epochs_run = 0
    for epoch, logs in enumerate(epoch_logs):
        cbs.on_epoch_begin(epoch)
        model.weights = [np.full(2, float(epoch))]
        cbs.on_epoch_end(epoch, dict(logs))
        epochs_run += 1
        if model.stop_training:
            break
    cbs.on_train_end()
    return model, epochs_run


def losses_to_logs(values, key="val_loss"):
    return [{key: v} for v in values]


# -- CallbackList, BaseLogger, History ----------------------------------------

def test_callback_list_calls_every_callback_with_the_same_logs():
    calls = []

    class Recorder(callbacks.Callback):
        def __init__(self, tag):
            super(Recorder, self).__init__()
            self.tag = tag

        def on_epoch_end(self, epoch, logs=None):
            logs[self.tag] = epoch
            calls.append((self.tag, sorted(logs)))

    cbs = CallbackList([Recorder("a"), Recorder("b")])
    logs = {}
    cbs.on_epoch_end(3, logs)
    assert calls == [("a", ["a"]), ("b", ["a", "b"])]
    assert logs == {"a": 3, "b": 3}
    cbs.on_epoch_end(4)  # no logs given: a fresh dict, shared as well
    assert calls[-1] == ("b", ["a", "b"])


def test_base_logger_averages_batches_weighted_by_size():
    logger = BaseLogger()
    cbs = CallbackList([logger])
    cbs.set_params({"metrics": ["loss", "acc", "val_loss"]})
    cbs.on_epoch_begin(0)
    for batch, (size, loss, acc) in enumerate([(4, 1.0, 0.25), (4, 2.0, 0.5),
                                               (2, 4.0, 1.0)]):
        cbs.on_batch_end(batch, {"batch": batch, "size": size,
                                 "loss": loss, "acc": acc})
    logs = {"val_loss": 0.5}
    cbs.on_epoch_end(0, logs)
    assert logs["loss"] == pytest.approx((4 * 1 + 4 * 2 + 2 * 4) / 10.0)
    assert logs["acc"] == pytest.approx((4 * 0.25 + 4 * 0.5 + 2 * 1) / 10.0)
    assert logs["val_loss"] == 0.5


def test_history_records_every_epoch_and_resets_at_train_begin():
    history = History()
    train([history], [{"loss": 1.0, "acc": 0.1}, {"loss": 0.5, "acc": 0.2}])
    assert history.epoch == [0, 1]
    assert history.history == {"loss": [1.0, 0.5], "acc": [0.1, 0.2]}
    train([history], [{"loss": 9.0}])
    assert history.epoch == [0]
    assert history.history == {"loss": [9.0]}


# -- EarlyStopping ------------------------------------------------------------

def test_early_stopping_waits_patience_epochs_without_improvement():
    stopper = EarlyStopping(patience=2)
    model, run = train([stopper], losses_to_logs([1.0, 0.9, 0.95, 0.93, 0.8]))
    assert run == 4 and model.stop_training
    assert stopper.stopped_epoch == 3
    assert stopper.best == 0.9


def test_early_stopping_with_zero_patience_stops_at_the_first_bad_epoch():
    _, run = train([EarlyStopping()], losses_to_logs([1.0, 0.9, 0.9, 0.1]))
    assert run == 3  # an equal value is not an improvement


def test_early_stopping_min_delta_requires_a_large_enough_improvement():
    stopper = EarlyStopping(patience=2, min_delta=0.1)
    _, run = train([stopper], losses_to_logs([1.0, 0.95, 0.92, 0.5]))
    assert run == 3
    assert stopper.best == 1.0
    # Improvements by more than min_delta keep it going.
    _, run = train([EarlyStopping(patience=1, min_delta=0.1)],
                   losses_to_logs([1.0, 0.85, 0.7, 0.55]))
    assert run == 4


@pytest.mark.parametrize("monitor, mode, values, epochs_run", [
    ("val_acc", "auto", [0.5, 0.6, 0.55, 0.9], 3),   # auto: acc is maximised
    ("val_accuracy", "auto", [0.5, 0.6, 0.55, 0.9], 3),
    ("val_acc", "min", [0.5, 0.6, 0.4, 0.3], 2),
    ("val_loss", "max", [0.5, 0.6, 0.55, 0.9], 3),
    ("val_loss", "auto", [0.5, 0.6, 0.4, 0.3], 2),   # auto: loss is minimised
    ("val_loss", "sideways", [0.5, 0.6, 0.4, 0.3], 2),  # unknown: auto
])
def test_early_stopping_mode(monitor, mode, values, epochs_run):
    if mode == "sideways":
        with pytest.warns(RuntimeWarning, match="mode sideways is unknown"):
            stopper = EarlyStopping(monitor=monitor, mode=mode)
    else:
        stopper = EarlyStopping(monitor=monitor, mode=mode)
    _, run = train([stopper], losses_to_logs(values, key=monitor))
    assert run == epochs_run


def test_early_stopping_restores_the_weights_of_the_best_epoch(capsys):
    stopper = EarlyStopping(patience=2, restore_best_weights=True, verbose=1)
    model, run = train([stopper], losses_to_logs([1.0, 0.5, 0.7, 0.8, 0.1]))
    assert run == 4
    np.testing.assert_array_equal(model.weights[0], [1.0, 1.0])
    out = capsys.readouterr().out
    assert "Restoring model weights" in out
    assert "Epoch 00004: early stopping" in out


def test_early_stopping_without_restore_keeps_the_last_weights():
    model, _ = train([EarlyStopping(patience=1)],
                     losses_to_logs([1.0, 0.5, 0.7, 0.8]))
    np.testing.assert_array_equal(model.weights[0], [2.0, 2.0])


def test_early_stopping_baseline_must_be_beaten():
    stopper = EarlyStopping(patience=2, baseline=0.5,
                            restore_best_weights=True)
    model, run = train([stopper], losses_to_logs([0.6, 0.55, 0.4]))
    assert run == 2
    # No epoch beat the baseline: there is nothing to restore.
    np.testing.assert_array_equal(model.weights[0], [1.0, 1.0])


def test_early_stopping_on_a_missing_metric_warns_and_goes_on():
    with pytest.warns(RuntimeWarning, match="val_loss.*not available.*loss"):
        _, run = train([EarlyStopping()], [{"loss": 1.0}, {"loss": 2.0}])
    assert run == 2


# -- ModelCheckpoint ----------------------------------------------------------

def test_checkpoint_saves_every_epoch_with_formatted_names(tmp_path):
    pattern = str(tmp_path / "model.{epoch:02d}-{val_loss:.2f}.npz")
    model, _ = train([ModelCheckpoint(pattern)],
                     losses_to_logs([1.0, 1.234]))
    assert model.saved == [("model", str(tmp_path / "model.01-1.00.npz")),
                           ("model", str(tmp_path / "model.02-1.23.npz"))]


def test_checkpoint_save_best_only_saves_only_improving_epochs():
    checkpoint = ModelCheckpoint("w{epoch}-{val_loss:.1f}",
                                 save_best_only=True, save_weights_only=True)
    model, _ = train([checkpoint],
                     losses_to_logs([1.0, 1.2, 0.8, 0.8, 0.5, 0.6]))
    assert model.saved == [("weights", "w1-1.0"), ("weights", "w3-0.8"),
                           ("weights", "w5-0.5")]
    assert checkpoint.best == 0.5


def test_checkpoint_save_best_only_maximises_accuracy(capsys):
    checkpoint = ModelCheckpoint("best.npz", monitor="val_acc",
                                 save_best_only=True, verbose=1)
    model, _ = train([checkpoint], losses_to_logs([0.5, 0.7, 0.6],
                                                  key="val_acc"))
    assert model.saved == [("model", "best.npz"), ("model", "best.npz")]
    out = capsys.readouterr().out
    assert "Epoch 00002: val_acc improved from 0.50000 to 0.70000" in out
    assert "Epoch 00003: val_acc did not improve from 0.70000" in out


def test_checkpoint_period_saves_every_nth_epoch():
    model, _ = train([ModelCheckpoint("m{epoch}", period=2)],
                     losses_to_logs([5, 4, 3, 2, 1]))
    assert [path for _, path in model.saved] == ["m2", "m4"]


def test_checkpoint_save_best_only_without_the_metric_warns_and_skips():
    checkpoint = ModelCheckpoint("m", save_best_only=True)
    with pytest.warns(RuntimeWarning, match="val_loss"):
        model, _ = train([checkpoint], [{"loss": 1.0}])
    assert model.saved == []


def test_checkpoint_name_with_an_unknown_field_raises():
    with pytest.raises(KeyError, match="val_acc"):
        train([ModelCheckpoint("m{val_acc:.2f}")], [{"val_loss": 1.0}])


# -- CSVLogger ----------------------------------------------------------------

def read_rows(path, separator=","):
    with open(str(path), newline="") as f:
        return list(csv.reader(f, delimiter=separator))


def test_csv_logger_writes_a_sorted_header_and_flushes_each_epoch(tmp_path):
    path = tmp_path / "log.csv"
    logger = CSVLogger(str(path))
    model = FakeModel()
    logger.set_model(model)
    logger.on_train_begin()
    logger.on_epoch_end(0, {"val_loss": 0.5, "loss": 0.75, "acc": 0.25})
    # Readable before training ends.
    assert read_rows(path) == [["epoch", "acc", "loss", "val_loss"],
                               ["0", "0.25", "0.75", "0.5"]]
    logger.on_epoch_end(1, {"loss": 0.125, "acc": 0.5})  # val_loss missing
    logger.on_train_end()
    rows = read_rows(path)
    assert rows[2] == ["1", "0.5", "0.125", "NA"]
    assert float(rows[1][2]) == 0.75


def test_csv_logger_append_continues_without_a_second_header(tmp_path):
    path = tmp_path / "log.tsv"
    train([CSVLogger(str(path), separator=";")], [{"loss": 1.5}])
    train([CSVLogger(str(path), separator=";", append=True)],
          [{"loss": 0.5}, {"loss": 0.25}])
    assert read_rows(path, ";") == [["epoch", "loss"], ["0", "1.5"],
                                    ["0", "0.5"], ["1", "0.25"]]
    # Without append the file starts over.
    train([CSVLogger(str(path), separator=";")], [{"loss": 2.0}])
    assert read_rows(path, ";") == [["epoch", "loss"], ["0", "2.0"]]


# -- TerminateOnNaN -----------------------------------------------------------

@pytest.mark.parametrize("bad", [float("nan"), float("inf"), -np.inf,
                                 np.float32("nan")])
def test_terminate_on_nan_stops_on_invalid_batch_loss(bad, capsys):
    terminator = TerminateOnNaN()
    model = FakeModel()
    terminator.set_model(model)
    terminator.on_batch_end(11, {"loss": 0.7})
    assert not model.stop_training and terminator.message is None
    terminator.on_batch_end(12, {"loss": bad})
    assert model.stop_training
    expected = "Batch 12: invalid loss %s, terminating training" % float(bad)
    assert terminator.message == expected
    assert expected in capsys.readouterr().out
    assert re.search(r"invalid loss -?(nan|inf)", expected)


# -- Progbar and ProgbarLogger ------------------------------------------------

PARAMS = {"epochs": 2, "steps": 3, "samples": 100, "batch_size": 40,
          "metrics": ["loss", "acc", "val_loss", "val_acc"]}
BATCHES = [(40, 1.0, 0.5), (40, 2.0, 0.75), (20, 3.0, 1.0)]  # size, loss, acc


def run_progbar(stream, verbose, count_mode="samples"):
    """Two epochs of three batches through BaseLogger + ProgbarLogger."""
    cbs = CallbackList([BaseLogger(),
                        ProgbarLogger(count_mode, stream=stream, interval=0)])
    cbs.set_params(dict(PARAMS, verbose=verbose))
    cbs.on_train_begin()
    for epoch in range(2):
        cbs.on_epoch_begin(epoch)
        for batch, (size, loss, acc) in enumerate(BATCHES):
            logs = {"batch": batch, "size": size}
            cbs.on_batch_begin(batch, logs)
            logs.update(loss=loss, acc=acc)
            cbs.on_batch_end(batch, logs)
        cbs.on_epoch_end(epoch, {"val_loss": 0.0001234, "val_acc": 0.5})
    cbs.on_train_end()
    return stream.getvalue()


# Epoch averages: loss (40*1 + 40*2 + 20*3) / 100, acc (20 + 30 + 20) / 100.
EPOCH_METRICS = " - loss: 1.8000 - acc: 0.7000 - val_loss: 1.2340e-04" \
                " - val_acc: 0.5000"


@pytest.mark.parametrize("make_stream, verbose", [(io.StringIO, 1),
                                                  (io.StringIO, 2),
                                                  (TTY, 2)])
def test_progbar_writes_one_line_per_epoch_when_it_cannot_redraw(make_stream,
                                                                 verbose):
    out = run_progbar(make_stream(), verbose)
    assert "\r" not in out
    lines = out.splitlines()
    assert len(lines) == 2
    for epoch, line in enumerate(lines, 1):
        assert re.match(r"^Epoch %d/2 - \d+s%s$" % (epoch, re.escape(
            EPOCH_METRICS)), line), line


def test_progbar_redraws_a_bar_on_a_terminal():
    out = run_progbar(TTY(), verbose=1)
    epochs = out.split("Epoch ")[1:]
    assert len(epochs) == 2
    for epoch, text in enumerate(epochs, 1):
        assert text.startswith("%d/2\n\r" % epoch)
        draws = text.split("\r")[1:]
        # Batches 1 and 2 show running averages; the last draw the epoch.
        assert draws[0].startswith(" 40/100 [===========>" + "." * 18 + "]"
                                   " - ETA: 0s - loss: 1.0000 - acc: 0.5000")
        assert draws[1].startswith(" 80/100 [" + "=" * 23 + ">......]"
                                   " - ETA: 0s - loss: 1.5000 - acc: 0.6250")
        assert re.match(r"^100/100 \[={30}\] - \d+s \d+[mu]?s/step%s\n$"
                        % re.escape(EPOCH_METRICS), draws[2]), draws[2]
        assert len(draws) == 3


def test_progbar_counts_steps_when_asked():
    out = run_progbar(TTY(), verbose=1, count_mode="steps")
    assert "\r1/3 [" + "=" * 9 + ">" in out
    assert "\r3/3 [" + "=" * 30 + "]" in out


@pytest.mark.parametrize("make_stream", [io.StringIO, TTY])
def test_progbar_is_silent_with_verbose_0(make_stream):
    assert run_progbar(make_stream(), verbose=0) == ""


def test_progbar_logger_defaults_to_stdout(capsys):
    cbs = CallbackList([ProgbarLogger()])
    cbs.set_params(dict(PARAMS, verbose=2))
    cbs.on_epoch_begin(0)
    cbs.on_batch_end(0, {"size": 100, "loss": 0.5})
    cbs.on_epoch_end(0, {"loss": 0.5})
    assert re.match(r"^Epoch 1/2 - \d+s - loss: 0\.5000\n$",
                    capsys.readouterr().out)


def test_progbar_shows_eta_and_step_time_like_keras(monkeypatch):
    clock = [100.0]
    monkeypatch.setattr(callbacks.time, "time", lambda: clock[0])
    stream = TTY()
    bar = Progbar(782, stream=stream, title="Epoch 1/5")
    clock[0] += 0.97  # 12 steps in 0.97 s: 62 s left for 770 steps
    bar.update(12, [("loss", 0.6931), ("acc", 0.5)])
    assert stream.getvalue() == (
        "Epoch 1/5\n\r 12/782 [" + "." * 30 + "] - ETA: 1:02"
        " - loss: 0.6931 - acc: 0.5000")
    clock[0] = 100.0 + 63
    bar.update(782, [("loss", 0.25), ("acc", 1.0)])
    last = stream.getvalue().split("\r")[-1]
    # Running averages weighted by progress: (0.6931 * 12 + 0.25 * 770) / 782
    assert last.startswith("782/782 [" + "=" * 30 + "] - 63s 81ms/step"
                           " - loss: 0.2568 - acc: 0.9923")
    assert last.endswith("\n")


def test_progbar_eta_beyond_an_hour_has_hours(monkeypatch):
    clock = [0.0]
    monkeypatch.setattr(callbacks.time, "time", lambda: clock[0])
    stream = TTY()
    bar = Progbar(100, stream=stream)
    clock[0] = 40.0  # 10 steps in 40 s: 360 s left... then 90 steps in 2 h
    bar.update(10)
    assert stream.getvalue().endswith("- ETA: 6:00")
    clock[0] = 7200.0
    bar.update(20)  # 360 s/step, 80 steps: 8 h
    assert stream.getvalue().rstrip().endswith("- ETA: 8:00:00")
