"""Training callbacks with the Keras 2 API.

``fit`` drives the callbacks through a :class:`CallbackList`::

    callbacks = CallbackList([BaseLogger(), History(), ProgbarLogger()] + user)
    callbacks.set_model(model)
    callbacks.set_params({'epochs': 5, 'steps': 782, 'samples': 50000,
                          'batch_size': 64, 'verbose': 1,
                          'metrics': ['loss', 'acc', 'val_loss', 'val_acc']})
    model.stop_training = False
    callbacks.on_train_begin()
    for epoch in range(epochs):
        callbacks.on_epoch_begin(epoch)
        epoch_logs = {}
        for batch in range(steps):
            batch_logs = {'batch': batch, 'size': batch_size}
            callbacks.on_batch_begin(batch, batch_logs)
            batch_logs['loss'], batch_logs['acc'] = ...  # one training step
            callbacks.on_batch_end(batch, batch_logs)
            if model.stop_training:
                break
        epoch_logs['val_loss'], epoch_logs['val_acc'] = ...  # validation
        callbacks.on_epoch_end(epoch, epoch_logs)  # BaseLogger adds 'loss'...
        if model.stop_training:
            break
    callbacks.on_train_end()

The same ``logs`` dict is handed to every callback in turn, so what one
callback adds (e.g. :class:`BaseLogger` the epoch averages of the batch
metrics) is seen by the following ones.

The model a callback sees needs only: ``stop_training`` (bool),
``save(path)``, ``save_weights(path)``, ``get_weights()`` and
``set_weights(list_of_arrays)``.
"""
import collections
import csv
import os
import sys
import time
import warnings

import numpy as np

__all__ = ["Callback", "CallbackList", "BaseLogger", "History", "Progbar",
           "ProgbarLogger", "EarlyStopping", "ModelCheckpoint", "CSVLogger",
           "TerminateOnNaN", "LambdaCallback", "LearningRateScheduler",
           "ReduceLROnPlateau", "RemoteMonitor", "TensorBoard"]


def _say(message):
    """Print a callback's message (to ``sys.stdout``) at once."""
    print(message)
    sys.stdout.flush()


def _is_tty(stream):
    """Whether ``stream`` is an interactive terminal."""
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


class Callback(object):
    """Base class of the callbacks; every hook does nothing.

    Attributes
    ----------
    params : dict
        Given by ``fit``: ``epochs``, ``steps``, ``samples``, ``batch_size``,
        ``verbose`` and ``metrics`` (the names of everything logged, e.g.
        ``['loss', 'acc', 'val_loss', 'val_acc']``).
    model : object
        The model being trained.

    Notes
    -----
    Batch logs hold ``'batch'``, ``'size'`` (the number of samples in the
    batch) and the batch's loss and metrics; epoch logs hold the epoch's
    metrics, including the ``'val_'`` ones.
    """

    def __init__(self):
        self.validation_data = None
        self.model = None
        self.params = {}

    def set_params(self, params):
        self.params = params

    def set_model(self, model):
        self.model = model

    def on_epoch_begin(self, epoch, logs=None):
        pass

    def on_epoch_end(self, epoch, logs=None):
        pass

    def on_batch_begin(self, batch, logs=None):
        pass

    def on_batch_end(self, batch, logs=None):
        pass

    def on_train_begin(self, logs=None):
        pass

    def on_train_end(self, logs=None):
        pass


class CallbackList(object):
    """A list of callbacks, called in order by each hook.

    A hook called without ``logs`` gives every callback the same new empty
    dict.
    """

    def __init__(self, callbacks=None):
        self.callbacks = list(callbacks or [])

    def append(self, callback):
        self.callbacks.append(callback)

    def __iter__(self):
        return iter(self.callbacks)

    def set_params(self, params):
        for callback in self.callbacks:
            callback.set_params(params)

    def set_model(self, model):
        for callback in self.callbacks:
            callback.set_model(model)

    def _call(self, hook, *args):
        """Call ``hook(*args, logs)`` on every callback; the last argument
        is the logs dict, replaced by ``{}`` if it is ``None``."""
        args = list(args)
        if args[-1] is None:
            args[-1] = {}
        for callback in self.callbacks:
            getattr(callback, hook)(*args)

    def on_epoch_begin(self, epoch, logs=None):
        self._call("on_epoch_begin", epoch, logs)

    def on_epoch_end(self, epoch, logs=None):
        self._call("on_epoch_end", epoch, logs)

    def on_batch_begin(self, batch, logs=None):
        self._call("on_batch_begin", batch, logs)

    def on_batch_end(self, batch, logs=None):
        self._call("on_batch_end", batch, logs)

    def on_train_begin(self, logs=None):
        self._call("on_train_begin", logs)

    def on_train_end(self, logs=None):
        self._call("on_train_end", logs)


def _metric_names(params, logs):
    """The names to report from ``logs``: those of ``params['metrics']``
    present in it, or, without that list, every key but batch/size."""
    names = params.get("metrics")
    if names is None:
        names = [k for k in logs if k not in ("batch", "size")]
    return [k for k in names if k in logs]


class BaseLogger(Callback):
    """Put the epoch averages of the batch metrics into the epoch logs.

    The average is weighted by the batch sizes (``logs['size']``); the
    metrics named in ``stateful_metrics`` are taken from the last batch
    instead.  Only metrics not already in the epoch logs are filled in.
    """

    def __init__(self, stateful_metrics=None):
        super(BaseLogger, self).__init__()
        self.stateful_metrics = set(stateful_metrics or ())

    def on_epoch_begin(self, epoch, logs=None):
        self.seen = 0
        self.totals = {}

    def on_batch_end(self, batch, logs=None):
        logs = logs or {}
        size = logs.get("size", 0)
        self.seen += size
        for name in _metric_names(self.params, logs):
            value = logs[name]
            if name in self.stateful_metrics:
                self.totals[name] = value
            else:
                self.totals[name] = self.totals.get(name, 0.0) + value * size

    def on_epoch_end(self, epoch, logs=None):
        if logs is None:
            return
        for name, total in self.totals.items():
            if name in logs:
                continue
            if name in self.stateful_metrics:
                logs[name] = total
            else:
                logs[name] = total / max(self.seen, 1)


class History(Callback):
    """Record the epoch logs.

    Attributes
    ----------
    epoch : list of int
        The (0-based) epochs seen.
    history : dict of lists
        For every logged name, its value at each epoch.
    """

    def __init__(self):
        super(History, self).__init__()
        self.on_train_begin()

    def on_train_begin(self, logs=None):
        self.epoch = []
        self.history = _HistoryDict()

    def on_epoch_end(self, epoch, logs=None):
        self.epoch.append(epoch)
        for name, value in (logs or {}).items():
            self.history.setdefault(name, []).append(value)


class _HistoryDict(dict):
    """:attr:`History.history`: Keras 2.3 logs the accuracy as
    ``accuracy`` / ``val_accuracy``, Keras 1 and 2.0-2.2 as ``acc`` /
    ``val_acc``; a lookup by either name finds the values logged under the
    other, so legacy code reading ``history['val_acc']`` works."""

    _OTHER_NAME = {"acc": "accuracy", "accuracy": "acc",
                   "val_acc": "val_accuracy", "val_accuracy": "val_acc"}

    def __missing__(self, key):
        other = self._OTHER_NAME.get(key)
        if other is None or other not in self:
            raise KeyError(key)
        return self[other]


def _format_number(value):
    """Keras's format for a logged number: 4 decimals, or 4 significant
    digits in exponent notation for values of magnitude <= 1e-3."""
    value = float(value)
    return "%.4f" % value if abs(value) > 1e-3 else "%.4e" % value


def _format_duration(seconds):
    """``'1:02:03'``, ``'1:02'`` or ``'45s'``, as Keras shows an ETA."""
    if seconds > 3600:
        return "%d:%02d:%02d" % (seconds // 3600, (seconds % 3600) // 60,
                                 seconds % 60)
    if seconds > 60:
        return "%d:%02d" % (seconds // 60, seconds % 60)
    return "%ds" % seconds


def _format_rate(seconds_per_unit):
    """``'2s/step'``, ``'80ms/step'`` or ``'80us/step'``."""
    if seconds_per_unit >= 1:
        return "%.0fs/step" % seconds_per_unit
    if seconds_per_unit >= 1e-3:
        return "%.0fms/step" % (seconds_per_unit * 1e3)
    return "%.0fus/step" % (seconds_per_unit * 1e6)


class Progbar(object):
    """A progress bar, or one summary line when it cannot be redrawn.

    With ``verbose=1`` on an interactive terminal (``stream.isatty()``), the
    ``title`` is printed on its own line and the bar is redrawn in place
    (``'\\r'``), at most every ``interval`` seconds::

        12/782 [>.............................] - ETA: 1:02 - loss: 0.6931

    and ends, when ``target`` is reached, as
    ``782/782 [==============================] - 63s 80us/step - loss: ...``.
    Otherwise (``verbose=2``, or output to a file or a pipe) it writes a
    single line when ``target`` is reached:
    ``Epoch 1/5 - 63s - loss: 0.6931 - acc: 0.5000``.
    ``verbose=0`` writes nothing.

    Parameters
    ----------
    target : int or None
        Total number of steps (or samples) expected; ``None`` if unknown.
    width : int
        Width of the bar, in characters.
    verbose : {0, 1, 2}
    interval : float
        Minimum time between two redraws of the bar, in seconds.
    stateful_metrics : iterable of str, optional
        Names whose values are shown as given rather than averaged.
    title : str, optional
        E.g. ``'Epoch 1/5'``.
    stream : file-like, optional
        Where to write; ``sys.stdout`` by default.
    """

    def __init__(self, target, width=30, verbose=1, interval=0.05,
                 stateful_metrics=None, title=None, stream=None):
        self.target = target
        self.width = width
        self.verbose = verbose
        self.interval = interval
        self.stateful_metrics = set(stateful_metrics or ())
        self.title = title
        self.stream = sys.stdout if stream is None else stream
        self.dynamic = verbose == 1 and _is_tty(self.stream)
        # name -> [weighted sum, total weight], or a value shown as it is.
        self._values = collections.OrderedDict()
        self._seen_so_far = 0
        self._start = time.time()
        self._last_update = 0.0
        self._line_width = 0
        self._done = False
        if self.dynamic and title:
            self._write(title + "\n")

    def _write(self, text):
        self.stream.write(text)
        self.stream.flush()

    def update(self, current, values=None, exact_values=None):
        """Record progress and redraw.

        Parameters
        ----------
        current : int
            Steps (or samples) done so far.
        values : list of (str, float), optional
            Values of the latest step(s); each is averaged over the run,
            weighted by the progress made since the previous update (unless
            its name is in ``stateful_metrics``).
        exact_values : list of (str, float), optional
            Values to show as they are (e.g. the epoch averages and the
            validation metrics, given at the end).
        """
        step = current - self._seen_so_far
        for name, value in values or ():
            if name in self.stateful_metrics:
                self._values[name] = value
                continue
            total = self._values.setdefault(name, [0.0, 0])
            if not isinstance(total, list):  # was exact; start averaging
                total = self._values[name] = [0.0, 0]
            total[0] += value * step
            total[1] += step
        for name, value in exact_values or ():
            self._values[name] = value
        self._seen_so_far = current

        finished = self.target is not None and current >= self.target
        if self.verbose == 0 or self._done:
            return
        now = time.time()
        if self.dynamic:
            if not finished and now - self._last_update < self.interval:
                return
            self._draw_bar(current, now, finished)
        elif finished:
            parts = [self.title] if self.title else []
            parts.append("%.0fs" % (now - self._start))
            self._write(" - ".join(parts) + self._metrics_text() + "\n")
        self._done = finished
        self._last_update = now

    def add(self, n, values=None):
        """Advance by ``n`` steps; see :meth:`update`."""
        self.update(self._seen_so_far + n, values)

    def _metrics_text(self):
        """``' - loss: 0.6931 - acc: 0.5000'`` for the values so far."""
        text = ""
        for name, value in self._values.items():
            if isinstance(value, list):
                value = value[0] / max(value[1], 1)
            try:
                shown = _format_number(value)
            except (TypeError, ValueError):
                shown = str(value)
            text += " - %s: %s" % (name, shown)
        return text

    def _bar_text(self, current):
        """``' 12/782 [>....]'``, or ``'     12/Unknown'``."""
        if self.target is None:
            return "%7d/Unknown" % current
        digits = len(str(self.target))
        bar = "%*d/%d [" % (digits, current, self.target)
        fraction = float(current) / self.target if self.target else 1.0
        filled = int(self.width * min(fraction, 1.0))
        if filled > 0:
            bar += "=" * (filled - 1)
            bar += ">" if current < self.target else "="
        bar += "." * (self.width - filled) + "]"
        return bar

    def _draw_bar(self, current, now, finished):
        """Redraw the bar over the previous one."""
        elapsed = now - self._start
        per_unit = elapsed / current if current else 0.0
        if finished or self.target is None:
            timing = " - %.0fs %s" % (elapsed, _format_rate(per_unit))
        else:
            eta = per_unit * (self.target - current)
            timing = " - ETA: %s" % _format_duration(eta)
        line = self._bar_text(current) + timing + self._metrics_text()
        padding = " " * max(self._line_width - len(line), 0)
        self._line_width = len(line)
        self._write("\r" + line + padding + ("\n" if finished else ""))


class ProgbarLogger(Callback):
    """Show training progress (see :class:`Progbar` for what is shown).

    Verbosity comes from ``params['verbose']``: 0 shows nothing, 1 a bar
    per epoch on a terminal and one line per epoch otherwise, 2 one line per
    epoch.

    Parameters
    ----------
    count_mode : {'samples', 'steps'}
        Count progress in samples (``logs['size']`` per batch; the target is
        ``params['samples']``) or in batches (the target is
        ``params['steps']``).  Without ``params['samples']``, steps are
        counted.
    stateful_metrics : iterable of str, optional
        Metrics shown as given rather than averaged over the epoch.
    stream : file-like, optional
        Where to write (attribute ``stream``); ``sys.stdout`` by default.
    interval : float
        Minimum time between two redraws of the bar, in seconds.
    """

    def __init__(self, count_mode="samples", stateful_metrics=None,
                 stream=None, interval=0.05):
        super(ProgbarLogger, self).__init__()
        if count_mode not in ("samples", "steps"):
            raise ValueError("count_mode must be 'samples' or 'steps', got %r"
                             % (count_mode,))
        self.count_mode = count_mode
        self.stateful_metrics = set(stateful_metrics or ())
        self.stream = sys.stdout if stream is None else stream
        self.interval = interval
        self.progbar = None

    def on_epoch_begin(self, epoch, logs=None):
        self.verbose = self.params.get("verbose", 1)
        self.epochs = self.params.get("epochs")
        self.count_steps = (self.count_mode == "steps"
                            or not self.params.get("samples"))
        self.target = self.params.get("steps" if self.count_steps
                                      else "samples")
        self.seen = 0
        self.last_batch_values = []
        title = "Epoch %d/%s" % (epoch + 1, self.epochs or "?")
        self.progbar = Progbar(self.target, verbose=self.verbose,
                               interval=self.interval,
                               stateful_metrics=self.stateful_metrics,
                               title=title, stream=self.stream)

    def on_batch_end(self, batch, logs=None):
        logs = logs or {}
        if self.count_steps:
            self.seen += 1
        else:
            self.seen += logs.get("size", self.params.get("batch_size", 0))
        values = [(k, logs[k]) for k in _metric_names(self.params, logs)]
        if self.target is not None and self.seen >= self.target:
            # The last batch is shown with the epoch's logs at epoch end.
            self.last_batch_values = values
        else:
            self.progbar.update(self.seen, values)

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        if self.target is None or self.seen < self.target:
            self.progbar.target = self.seen  # stopped early, or no target
        exact = [(k, logs[k]) for k in _metric_names(self.params, logs)]
        self.progbar.update(self.seen, self.last_batch_values, exact)


def _monitor_op(owner, mode, monitor):
    """``np.less`` or ``np.greater``: the comparison meaning "better".

    ``'auto'`` chooses ``np.greater`` for accuracies (``'acc'`` in the
    name) and ``np.less`` otherwise, as Keras does; an unknown mode is
    treated as ``'auto'`` with a warning.
    """
    if mode not in ("auto", "min", "max"):
        warnings.warn("%s mode %s is unknown, fallback to auto mode."
                      % (owner, mode), RuntimeWarning)
        mode = "auto"
    if mode == "max" or (mode == "auto" and ("acc" in monitor or
                                             monitor.startswith("fmeasure"))):
        return np.greater
    return np.less


def _monitor_value(owner, monitor, logs):
    """``logs[monitor]``, or ``None`` with a warning listing the keys."""
    value = (logs or {}).get(monitor)
    if value is None:
        warnings.warn("%s conditioned on metric `%s` which is not available. "
                      "Available metrics are: %s"
                      % (owner, monitor, ",".join(logs or {})),
                      RuntimeWarning)
    return value


class EarlyStopping(Callback):
    """Stop training when a monitored quantity has stopped improving.

    An epoch improves on the best value so far when ``current - min_delta >
    best`` (mode ``'max'``) or ``current + min_delta < best`` (mode
    ``'min'``).  After ``patience`` epochs in a row without improvement,
    ``model.stop_training`` is set.

    Parameters
    ----------
    monitor : str
        The epoch log to watch.
    min_delta : float
        Smallest change counted as an improvement (its sign is ignored).
    patience : int
        Number of epochs without improvement after which training stops.
    verbose : int
        1 prints a message when stopping and when restoring weights.
    mode : {'auto', 'min', 'max'}
        Whether lower or higher is better; ``'auto'`` guesses from the name.
    baseline : float, optional
        The value to improve on from the start.
    restore_best_weights : bool
        When stopping, put back the model weights of the best epoch (if an
        epoch improved on the baseline).

    Attributes
    ----------
    best, wait, stopped_epoch, best_weights
    """

    def __init__(self, monitor="val_loss", min_delta=0, patience=0,
                 verbose=0, mode="auto", baseline=None,
                 restore_best_weights=False):
        super(EarlyStopping, self).__init__()
        self.monitor = monitor
        self.patience = patience
        self.verbose = verbose
        self.baseline = baseline
        self.restore_best_weights = restore_best_weights
        self.monitor_op = _monitor_op("EarlyStopping", mode, monitor)
        self.min_delta = abs(min_delta) if self.monitor_op is np.greater \
            else -abs(min_delta)
        self.on_train_begin()

    def on_train_begin(self, logs=None):
        self.wait = 0
        self.stopped_epoch = 0
        self.best_weights = None
        if self.baseline is not None:
            self.best = self.baseline
        else:
            self.best = np.inf if self.monitor_op is np.less else -np.inf

    def on_epoch_end(self, epoch, logs=None):
        current = _monitor_value("Early stopping", self.monitor, logs)
        if current is None:
            return
        if self.monitor_op(current - self.min_delta, self.best):
            self.best = current
            self.wait = 0
            if self.restore_best_weights:
                self.best_weights = self.model.get_weights()
            return
        self.wait += 1
        if self.wait >= self.patience:
            self.stopped_epoch = epoch
            self.model.stop_training = True
            if self.restore_best_weights and self.best_weights is not None:
                if self.verbose > 0:
                    _say("Restoring model weights from the end of the best "
                         "epoch")
                self.model.set_weights(self.best_weights)

    def on_train_end(self, logs=None):
        if self.stopped_epoch > 0 and self.verbose > 0:
            _say("Epoch %05d: early stopping" % (self.stopped_epoch + 1))


class ModelCheckpoint(Callback):
    """Save the model (or its weights) after every ``period`` epochs.

    Parameters
    ----------
    filepath : str
        May contain ``str.format`` fields naming ``epoch`` (1-based) and any
        epoch log, e.g. ``'weights.{epoch:02d}-{val_loss:.2f}.npz'``.
    monitor : str
        The epoch log compared when ``save_best_only``.
    verbose : int
        1 prints a message at each check.
    save_best_only : bool
        Save only when ``monitor`` improves on the best value so far.
    save_weights_only : bool
        Call ``model.save_weights(path)`` rather than ``model.save(path)``.
    mode : {'auto', 'min', 'max'}
        Whether lower or higher ``monitor`` is better (see
        :class:`EarlyStopping`).
    period : int
        Number of epochs between checks.
    """

    def __init__(self, filepath, monitor="val_loss", verbose=0,
                 save_best_only=False, save_weights_only=False, mode="auto",
                 period=1):
        super(ModelCheckpoint, self).__init__()
        self.filepath = filepath
        self.monitor = monitor
        self.verbose = verbose
        self.save_best_only = save_best_only
        self.save_weights_only = save_weights_only
        self.period = period
        self.monitor_op = _monitor_op("ModelCheckpoint", mode, monitor)
        self.best = np.inf if self.monitor_op is np.less else -np.inf
        self.epochs_since_last_save = 0

    def format_filepath(self, epoch, logs):
        """The file name for a (0-based) ``epoch`` and its logs."""
        fields = dict(logs or {}, epoch=epoch + 1)
        try:
            return self.filepath.format(**fields)
        except KeyError as error:
            raise KeyError("ModelCheckpoint filepath %r refers to %s, which "
                           "is not in the logs (%s)"
                           % (self.filepath, error, ", ".join(fields)))

    def _save(self, filepath):
        if self.save_weights_only:
            self.model.save_weights(filepath)
        else:
            self.model.save(filepath)

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        self.epochs_since_last_save += 1
        if self.epochs_since_last_save < self.period:
            return
        self.epochs_since_last_save = 0
        filepath = self.format_filepath(epoch, logs)
        if not self.save_best_only:
            if self.verbose > 0:
                _say("Epoch %05d: saving model to %s" % (epoch + 1, filepath))
            self._save(filepath)
            return
        current = _monitor_value("ModelCheckpoint (save_best_only)",
                                 self.monitor, logs)
        if current is None:
            return
        if self.monitor_op(current, self.best):
            if self.verbose > 0:
                _say("Epoch %05d: %s improved from %0.5f to %0.5f, saving "
                     "model to %s" % (epoch + 1, self.monitor, self.best,
                                      current, filepath))
            self.best = current
            self._save(filepath)
        elif self.verbose > 0:
            _say("Epoch %05d: %s did not improve from %0.5f"
                 % (epoch + 1, self.monitor, self.best))


class CSVLogger(Callback):
    """Write the epoch logs to a CSV file, one row per epoch.

    The columns are ``epoch`` (0-based, as in Keras) then the log names of
    the first epoch, sorted; a later missing value is written ``NA``.  The
    file is flushed after every row.

    Parameters
    ----------
    filename : str
    separator : str
        Field separator.
    append : bool
        Append to an existing file (without repeating the header if the
        file is not empty) instead of overwriting it.
    """

    def __init__(self, filename, separator=",", append=False):
        super(CSVLogger, self).__init__()
        self.filename = filename
        self.sep = separator
        self.append = append
        self.keys = None
        self.writer = None
        self.csv_file = None

    def on_train_begin(self, logs=None):
        write_header = True
        if self.append and os.path.exists(self.filename):
            write_header = os.path.getsize(self.filename) == 0
        self.keys = None
        self._write_header = write_header
        self.csv_file = open(self.filename, "a" if self.append else "w",
                             newline="")
        self.writer = None

    @staticmethod
    def _cell(value):
        """A log value as a CSV cell (sequences as ``"[1, 2]"``)."""
        if isinstance(value, str):
            return value
        if isinstance(value, (list, tuple)) or \
                (isinstance(value, np.ndarray) and value.ndim > 0):
            return "[%s]" % ", ".join(map(str, value))
        return value

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        if self.keys is None:
            self.keys = sorted(logs)
        if self.writer is None:
            self.writer = csv.writer(self.csv_file, delimiter=self.sep)
            if self._write_header:
                self.writer.writerow(["epoch"] + self.keys)
        self.writer.writerow([epoch] + [self._cell(logs.get(k, "NA"))
                                        for k in self.keys])
        self.csv_file.flush()

    def on_train_end(self, logs=None):
        if self.csv_file is not None:
            self.csv_file.close()
        self.csv_file = None
        self.writer = None


class TerminateOnNaN(Callback):
    """Stop training as soon as a batch loss is NaN or infinite.

    Sets ``model.stop_training = True`` and prints, and keeps in
    :attr:`message`, e.g. ``'Batch 12: invalid loss nan, terminating
    training'``.
    """

    def __init__(self):
        super(TerminateOnNaN, self).__init__()
        self.message = None

    def on_batch_end(self, batch, logs=None):
        loss = (logs or {}).get("loss")
        if loss is not None and not np.isfinite(loss):
            self.message = ("Batch %d: invalid loss %s, terminating training"
                            % (batch, float(loss)))
            _say(self.message)
            self.model.stop_training = True


class LambdaCallback(Callback):
    """A callback made of functions: ``on_epoch_begin(epoch, logs)``,
    ``on_epoch_end(epoch, logs)``, ``on_batch_begin(batch, logs)``,
    ``on_batch_end(batch, logs)``, ``on_train_begin(logs)``,
    ``on_train_end(logs)``; those not given do nothing."""

    def __init__(self, on_epoch_begin=None, on_epoch_end=None,
                 on_batch_begin=None, on_batch_end=None, on_train_begin=None,
                 on_train_end=None, **kwargs):
        super(LambdaCallback, self).__init__()
        self.__dict__.update(kwargs)
        given = dict(on_epoch_begin=on_epoch_begin, on_epoch_end=on_epoch_end,
                     on_batch_begin=on_batch_begin, on_batch_end=on_batch_end)
        for hook, function in given.items():
            setattr(self, hook, function or (lambda index, logs=None: None))
        self.on_train_begin = on_train_begin or (lambda logs=None: None)
        self.on_train_end = on_train_end or (lambda logs=None: None)


def _learning_rate(owner, model):
    """The optimiser's learning-rate shared variable."""
    lr = getattr(getattr(model, "optimizer", None), "lr", None)
    if lr is None or not hasattr(lr, "set_value"):
        raise ValueError("%s: the model's optimizer must have a learning "
                         "rate `lr` (compile the model first)" % owner)
    return lr


class LearningRateScheduler(Callback):
    """Set the learning rate at the start of every epoch to
    ``schedule(epoch, lr)`` (or ``schedule(epoch)``, Keras 1's form), and log
    it as ``lr`` at its end."""

    def __init__(self, schedule, verbose=0):
        super(LearningRateScheduler, self).__init__()
        self.schedule = schedule
        self.verbose = verbose

    def on_epoch_begin(self, epoch, logs=None):
        lr = _learning_rate("LearningRateScheduler", self.model)
        try:
            new = self.schedule(epoch, float(lr.get_value()))
        except TypeError:           # Keras 1: schedule(epoch)
            new = self.schedule(epoch)
        if isinstance(new, bool) or not isinstance(
                new, (int, float, np.floating, np.integer)):
            raise ValueError("LearningRateScheduler: the schedule must return "
                             "a number, got %r" % (new,))
        lr.set_value(np.asarray(new, dtype=lr.dtype))
        if self.verbose > 0:
            _say("Epoch %05d: LearningRateScheduler setting learning rate "
                 "to %s." % (epoch + 1, new))

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None:
            logs["lr"] = float(_learning_rate("LearningRateScheduler",
                                              self.model).get_value())


class ReduceLROnPlateau(Callback):
    """Multiply the learning rate by ``factor`` once ``monitor`` has not
    improved by more than ``min_delta`` for ``patience`` epochs, then wait
    ``cooldown`` epochs before counting again; never below ``min_lr``.
    Keras 1's ``epsilon`` is ``min_delta``."""

    def __init__(self, monitor="val_loss", factor=0.1, patience=10, verbose=0,
                 mode="auto", min_delta=1e-4, cooldown=0, min_lr=0,
                 **kwargs):
        super(ReduceLROnPlateau, self).__init__()
        if "epsilon" in kwargs:
            warnings.warn("ReduceLROnPlateau: `epsilon` is deprecated, use "
                          "`min_delta`", stacklevel=2)
            min_delta = kwargs.pop("epsilon")
        if kwargs:
            raise TypeError("ReduceLROnPlateau: unexpected argument(s) %s"
                            % ", ".join(sorted(kwargs)))
        if factor >= 1.0:
            raise ValueError("ReduceLROnPlateau: factor must be < 1, got %r"
                             % (factor,))
        self.monitor, self.factor, self.patience = monitor, factor, patience
        self.verbose, self.min_delta = verbose, min_delta
        self.cooldown, self.min_lr = cooldown, min_lr
        self.better = _monitor_op("ReduceLROnPlateau", mode, monitor)
        self._reset()

    def _reset(self):
        self.best = np.inf if self.better is np.less else -np.inf
        self.wait = 0
        self.cooldown_counter = 0

    def _improved(self, current):
        if self.better is np.less:
            return current < self.best - self.min_delta
        return current > self.best + self.min_delta

    def on_train_begin(self, logs=None):
        self._reset()

    def on_epoch_end(self, epoch, logs=None):
        logs = logs if logs is not None else {}
        lr = _learning_rate("ReduceLROnPlateau", self.model)
        logs["lr"] = float(lr.get_value())
        current = _monitor_value("Reduce LR on plateau", self.monitor, logs)
        if current is None:
            return
        if self.cooldown_counter > 0:
            self.cooldown_counter -= 1
            self.wait = 0
        if self._improved(current):
            self.best = current
            self.wait = 0
        elif self.cooldown_counter == 0:
            self.wait += 1
            if self.wait >= self.patience:
                old = float(lr.get_value())
                if old > self.min_lr:
                    new = max(old * self.factor, self.min_lr)
                    lr.set_value(np.asarray(new, dtype=lr.dtype))
                    if self.verbose > 0:
                        _say("Epoch %05d: ReduceLROnPlateau reducing learning "
                             "rate to %s." % (epoch + 1, new))
                    self.cooldown_counter = self.cooldown
                    self.wait = 0


class _Refused(Callback):
    """A Keras callback theano_rnn does not provide."""

    reason = ""

    def __init__(self, *args, **kwargs):
        raise NotImplementedError("keras.callbacks.%s is not implemented by "
                                  "theano_rnn: %s" % (type(self).__name__,
                                                      self.reason))


class RemoteMonitor(_Refused):
    reason = ("it posts every epoch's logs to a web server; use "
              "LambdaCallback(on_epoch_end=...) to send them yourself")


class TensorBoard(_Refused):
    reason = ("it writes TensorFlow event files; use CSVLogger for the "
              "epoch logs")
