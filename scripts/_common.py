"""Code shared by the example scripts (``train_imdb.py``, ``train_sine.py``,
``predict.py``); the scripts themselves only say what is particular to them.

What lives here
---------------
* **Command line**: ``argparse`` types that reject bad values with a message
  naming the argument (:func:`int_at_least`, :func:`rate`,
  :func:`existing_path`), the options every training script has
  (:func:`add_training_arguments`), the check of output paths before any
  training starts (:func:`check_output_paths`) and :func:`run`, which turns
  the errors a user can cause (missing file, bad data...) into one line on
  stderr and a non-zero exit status instead of a traceback.
* **Models**: :func:`recurrent_layer` (``--cell lstm|gru|rnn``), and
  :func:`load_model`, which loads a model saved by :func:`save_results`
  together with the facts needed to use it (the task, the IMDB
  vocabulary...).
* **IMDB text**: :func:`imdb_vocabulary` records how ``train_imdb.py`` turned
  reviews into word indices, and :func:`encode_texts` applies the same
  recipe to any text, so ``predict.py`` tokenises exactly as training did.
* **Checkpoints**: ``--checkpoint`` / ``--resume`` (:func:`open_checkpoint`
  before loading the data, then :func:`train` instead of ``model.fit``).
* **Results**: :func:`write_history` (``.csv`` or ``.json``) and
  :func:`save_plot` (a PNG if matplotlib is installed; otherwise one line
  saying the plot was skipped).

Where the metadata goes
-----------------------
Into the model file itself: :func:`save_results` sets ``model.metadata``
(the task, the IMDB vocabulary, the command-line settings, the test
results) before :meth:`theano_rnn.models.Sequential.save`, and
``theano_rnn.models.load_model`` gives it back as ``model.metadata``.  A
model file therefore always travels with the vocabulary it was trained
with: there is no second file to lose or to mix up.
"""
import argparse
import csv
import io
import json
import math
import os
import re
import sys
import time

import numpy as np

#: The recurrent layers ``--cell`` can choose: name -> layer class name.
CELLS = {"lstm": "LSTM", "gru": "GRU", "rnn": "SimpleRNN"}
#: Formats :func:`write_history` can write, by file-name extension.
HISTORY_FORMATS = (".csv", ".json")


# --- Command line -----------------------------------------------------------

def int_at_least(minimum):
    """An argparse ``type`` accepting integers >= ``minimum``.

    argparse reports a rejected value as ``argument --name: <message>``,
    so the message need not repeat the option's name.
    """
    def parse(text):
        try:
            value = int(text)
        except ValueError:
            value = None
        if value is None or value < minimum:
            raise argparse.ArgumentTypeError(
                "must be an integer >= %d, got %r" % (minimum, text))
        return value
    parse.__name__ = "integer >= %d" % minimum  # shown in argparse errors
    return parse


def rate(text):
    """An argparse ``type``: a dropout rate or a fraction, in [0, 1)."""
    try:
        value = float(text)
    except ValueError:
        value = None
    if value is None or not 0.0 <= value < 1.0:
        raise argparse.ArgumentTypeError(
            "must be a number in [0, 1), got %r" % text)
    return value


def positive_float(text):
    """An argparse ``type``: a number > 0 (a learning rate)."""
    try:
        value = float(text)
    except ValueError:
        value = None
    if value is None or not value > 0:
        raise argparse.ArgumentTypeError("must be a number > 0, got %r" % text)
    return value


def existing_path(text):
    """An argparse ``type``: a file or directory that exists."""
    if not os.path.exists(text):
        raise argparse.ArgumentTypeError(
            "no such file or directory: %r" % text)
    return text


def make_parser(description):
    """An ``ArgumentParser`` keeping the layout of ``description`` (the
    script's docstring) and showing the options' defaults."""
    class Formatter(argparse.RawDescriptionHelpFormatter):
        def _get_help_string(self, action):
            # Like ArgumentDefaultsHelpFormatter, but silent on "no value".
            if action.option_strings and action.default not in (
                    None, False, argparse.SUPPRESS):
                return action.help + " (default: %(default)s)"
            return action.help
    return argparse.ArgumentParser(description=description,
                                   formatter_class=Formatter)


def add_training_arguments(parser, cell, units, epochs, batch_size,
                           save_pattern, lr=None):
    """Add the options every training script has, with these defaults
    (``lr=None``: the optimizer's own default).

    ``save_pattern`` is the default of ``--save``, with ``{cell}`` standing
    for the chosen cell (e.g. ``'runs/imdb_{cell}.npz'``); it is filled in
    by :func:`check_output_paths`.
    """
    from theano_rnn.layers.recurrent import IMPLEMENTATIONS
    from theano_rnn.optimizers import OPTIMIZERS
    group = parser.add_argument_group("model and training")
    group.add_argument("--cell", choices=list(CELLS), default=cell,
                       help="recurrent layer: LSTM, GRU or SimpleRNN")
    group.add_argument("--units", type=int_at_least(1), default=units,
                       help="size of the recurrent layer's state")
    group.add_argument("--implementation", choices=IMPLEMENTATIONS,
                       default="auto",
                       help="the recurrent layer's loop: 'scan' (the cell's "
                            "step function in theano.scan, the reference), "
                            "'fused' (one C op, several times faster) or "
                            "'auto' (fused where the layer allows it)")
    group.add_argument("--epochs", type=int_at_least(1), default=epochs,
                       help="passes over the training data")
    group.add_argument("--batch-size", type=int_at_least(1),
                       default=batch_size, help="samples per gradient step")
    group.add_argument("--optimizer", choices=sorted(OPTIMIZERS),
                       default="adam",
                       help="optimizer, with its default (Keras 2) settings")
    group.add_argument("--lr", type=positive_float, default=lr,
                       help="learning rate (default: %s)" % (
                           lr if lr is not None else "the optimizer's own"))
    group.add_argument("--validation-split", type=rate, default=0.0,
                       metavar="FRACTION",
                       help="hold out this fraction of the training data "
                            "(the last samples) and report the loss on it "
                            "after every epoch; 0 holds out nothing")
    group.add_argument("--seed", type=int_at_least(0), default=None,
                       help="seed of NumPy's random generator (data, "
                            "initial weights, dropout, shuffling) for a "
                            "repeatable run; unseeded by default")
    group = parser.add_argument_group("output")
    group.add_argument("--save", metavar="PATH", default=save_pattern,
                       help="where to save the trained model, with its "
                            "metadata (task, settings...) in the same file; "
                            "{cell} is replaced by the cell")
    group.add_argument("--history", metavar="PATH", default=None,
                       help="write the per-epoch loss and metrics to this "
                            ".csv or .json file (default: beside --save, "
                            "as .csv)")
    group.add_argument("--plot", metavar="PATH", default=None,
                       help="draw the results into this PNG file (default: "
                            "beside --save, as .png; needs matplotlib: pip "
                            "install 'theano_rnn[plot]', else skipped)")
    group.add_argument("--no-history", dest="history", action="store_false",
                       help="write no history file")
    group.add_argument("--no-plot", dest="plot", action="store_false",
                       help="draw no plot")
    group.add_argument("--quiet", action="store_true",
                       help="no model summary and no progress bar; print "
                            "only the results")
    group = parser.add_argument_group("checkpoints")
    group.add_argument("--checkpoint", metavar="PATH", default=None,
                       help="save the whole training state (model, "
                            "optimizer, random generators, epochs done, "
                            "history, settings) to this file, atomically, "
                            "at the end of every epoch; without --seed, a "
                            "seed is drawn and recorded in it")
    group.add_argument("--resume", action="store_true",
                       help="continue the run saved in --checkpoint, which "
                            "must have the same settings (--epochs may be "
                            "larger, and the output options may differ); "
                            "the result is as from an uninterrupted run.  "
                            "If the file does not exist yet, start from "
                            "scratch")


def make_optimizer(args):
    """The optimizer named by ``--optimizer``, with ``--lr`` when given."""
    from theano_rnn.optimizers import OPTIMIZERS
    if args.lr is None:
        return OPTIMIZERS[args.optimizer]()
    return OPTIMIZERS[args.optimizer](lr=args.lr)


def check_output_paths(parser, args):
    """Check ``--save``, ``--history``, ``--plot`` and ``--checkpoint``
    (and that ``--resume`` has one) before training, so
    that a typo does not cost a training run.  Creates the folders they go
    to; reports a problem through ``parser.error`` (exit status 2)."""
    args.save = args.save.replace("{cell}", args.cell)
    if not args.save:
        parser.error("argument --save: give a file name")
    # --history and --plot default to files beside the model; their --no-
    # forms store False.
    stem = os.path.splitext(args.save)[0]
    if args.history is None:
        args.history = stem + ".csv"
    if args.plot is None:
        args.plot = stem + ".png"
    if args.resume and not args.checkpoint:
        parser.error("argument --resume: needs --checkpoint PATH")
    if args.checkpoint and os.path.abspath(args.checkpoint) == \
            os.path.abspath(args.save):
        parser.error("argument --checkpoint: must differ from --save (%r)"
                     % args.save)
    if args.history and os.path.splitext(args.history)[1].lower() \
            not in HISTORY_FORMATS:
        parser.error("argument --history: the file name must end with %s, "
                     "got %r" % (" or ".join(HISTORY_FORMATS), args.history))
    for option in ("save", "history", "plot", "checkpoint"):
        path = getattr(args, option)
        if not path:
            continue
        folder = os.path.dirname(os.path.abspath(path))
        problem = None
        if os.path.isdir(path):
            problem = "%r is a directory; give a file name" % path
        else:
            try:
                os.makedirs(folder, exist_ok=True)
            except OSError as error:
                problem = "cannot create the folder %r (%s)" % (
                    folder, error.strerror or error)
            else:
                if not os.access(folder, os.W_OK):
                    problem = "cannot write to the folder %r" % folder
        if problem:
            parser.error("argument --%s: %s" % (option, problem))


def seed_everything(seed):
    """Seed ``np.random`` (which draws initial weights and the dropout
    streams' seeds).  Does nothing for ``None``."""
    if seed is not None:
        np.random.seed(seed)


def say(quiet, *args):
    """``print(*args)`` unless ``quiet``, flushed at once (progress lines)."""
    if not quiet:
        print(*args)
        sys.stdout.flush()


def fail(message, status=1):
    """Print ``<script>: error: <message>`` on stderr and exit."""
    prog = os.path.basename(sys.argv[0])
    sys.stderr.write("%s: error: %s\n" % (prog, message))
    sys.exit(status)


def run(main):
    """Run ``main()`` and exit with its return value (None means 0).

    Errors a user can cause -- a missing or corrupt file (``OSError``), bad
    data or a model file of the wrong kind (``ValueError``, which the
    library's ``DatasetError`` and ``ModelFileError`` are) -- end the script
    with one line on stderr and exit status 1; Ctrl-C with status 130.
    """
    try:
        status = main()
    except KeyboardInterrupt:
        fail("interrupted", 130)
    except FileNotFoundError as error:
        fail("no such file: %s" % (error.filename or error))
    except (OSError, ValueError) as error:
        fail(str(error) or type(error).__name__)
    sys.exit(status or 0)


class Stopwatch(object):
    """Wall-clock time since creation: ``str(watch)`` gives ``'12.3 s'``."""

    def __init__(self):
        self.start = time.time()

    def seconds(self):
        return time.time() - self.start

    def __str__(self):
        seconds = self.seconds()
        if seconds < 10:
            return "%.2f s" % seconds
        if seconds < 120:
            return "%.1f s" % seconds
        return "%d min %02d s" % divmod(int(round(seconds)), 60)


# --- Models -----------------------------------------------------------------

def recurrent_layer(args, **kwargs):
    """The recurrent layer named by ``--cell``: ``LSTM``, ``GRU`` or
    ``SimpleRNN`` with ``--units`` units, ``--implementation`` and the layer
    arguments ``kwargs``."""
    from theano_rnn import layers
    return getattr(layers, CELLS[args.cell])(
        args.units, implementation=args.implementation, **kwargs)


def load_model(path):
    """Load a model saved by a training script (:func:`save_results`), for
    prediction only: not compiled for training (faster to load).

    Its ``metadata`` says what it was trained for (``task``) and how to
    prepare its input (e.g. the IMDB vocabulary).

    Raises
    ------
    FileNotFoundError
        If ``path`` does not exist.
    ValueError
        If ``path`` is not a valid model file (``ModelFileError``), or holds
        a model saved without metadata.
    """
    from theano_rnn.models import load_model as load_sequential
    model = load_sequential(path, compile=False)
    if not model.metadata:
        raise ValueError(
            "%s has no metadata: this script needs a model saved by "
            "train_imdb.py or train_sine.py" % path)
    return model


# --- Checkpoints ------------------------------------------------------------
#
# ``--checkpoint PATH`` saves the whole model file (weights, optimizer state,
# dropout and shuffling RNG states: see Sequential.save) at the end of every
# epoch, atomically, with ``metadata = {"checkpoint": {"epochs": <epochs
# done>, "history": <logs so far>, "settings": <run_settings(args)>}}``.
# ``--resume`` loads it, checks the settings and continues ``fit`` from
# ``initial_epoch = epochs done``; the model, history and results are then
# those of an uninterrupted run.  ``--resume`` with no checkpoint file yet
# starts from scratch (so the same command line can be rerun until the run
# completes).

#: Options that may differ between a checkpointed run and its resumption:
#: where results go, how much is printed, and --epochs (a larger value
#: trains on; the epochs done are the same as in a run asked for more).
#: Every other option is compared.
NOT_COMPARED = ("save", "history", "plot", "quiet", "checkpoint", "resume",
                "epochs", "data")


def run_settings(args):
    """The settings a checkpoint records and ``--resume`` compares: the
    JSON-ready options, without those in :data:`NOT_COMPARED`."""
    return {k: v for k, v in sorted(vars(args).items())
            if k not in NOT_COMPARED
            and isinstance(v, (bool, int, float, str, type(None)))}


def _option_value(value):
    if value is None:
        return "not given"
    if isinstance(value, bool):
        return "given" if value else "not given"
    return repr(value)


class Resumed(object):
    """A run loaded from a checkpoint: the compiled ``model``, the number
    of ``epochs`` done and the ``history`` (name -> list) so far."""

    def __init__(self, model, epochs, history):
        self.model = model
        self.epochs = epochs
        self.history = history


def open_checkpoint(args):
    """Prepare ``--checkpoint`` / ``--resume``, before the data is loaded.

    Returns a :class:`Resumed` if ``--resume`` finds the checkpoint file,
    else None (no checkpoint, or a new run).  A checkpointed run needs a
    seed so that its data, shuffling and dropout can be replayed: without
    ``--seed`` it takes the checkpoint's, or for a new run draws one (and
    prints it); ``args.seed`` is set accordingly.

    Raises
    ------
    ValueError
        If the file is not a checkpoint, or was made with other settings
        (the message names the first mismatching option), or has more
        epochs done than ``--epochs``.
    """
    if not args.checkpoint:
        return None
    path = args.checkpoint
    if not (args.resume and os.path.exists(path)):
        if args.resume:
            say(args.quiet, "No checkpoint at %s yet: starting from scratch"
                % path)
        if args.seed is None:
            args.seed = int.from_bytes(os.urandom(4), "little") % (2 ** 31)
            say(args.quiet, "Seed for the checkpointed run: %d" % args.seed)
        return None
    from theano_rnn import saving
    from theano_rnn.models import load_model as load_sequential
    say(args.quiet, "Resuming from %s..." % path)
    # The settings first, from the file's header: a mismatch is reported
    # before the model is rebuilt and compiled.
    header, _ = saving.read_file(path, saving.MODEL_FORMAT)
    info = (header.get("metadata") or {}).get("checkpoint")
    if not (isinstance(info, dict) and isinstance(info.get("epochs"), int)
            and isinstance(info.get("history"), dict)
            and isinstance(info.get("settings"), dict)
            and header.get("training_config") is not None):
        raise ValueError("%s is not a checkpoint written by --checkpoint"
                         % path)
    _check_same_backend(path, header)
    saved = info["settings"]
    if args.seed is None:
        args.seed = saved.get("seed")
    current = run_settings(args)
    for key in sorted(set(saved) | set(current)):
        if saved.get(key) != current.get(key):
            raise ValueError(
                "cannot resume: the checkpoint %s was made with --%s %s, "
                "this run has --%s %s; use the same settings or another "
                "--checkpoint" % (path, key.replace("_", "-"),
                                  _option_value(saved.get(key)),
                                  key.replace("_", "-"),
                                  _option_value(current.get(key))))
    if info["epochs"] > args.epochs:
        raise ValueError(
            "cannot resume: the checkpoint %s has %d epochs done, more than "
            "--epochs %d" % (path, info["epochs"], args.epochs))
    model = load_sequential(path)
    say(args.quiet, "%d of %d epochs done" % (info["epochs"], args.epochs))
    model.metadata = {}
    return Resumed(model, info["epochs"], info["history"])


def _check_same_backend(path, header):
    """ValueError unless the checkpoint was written on this backend: the
    dropout streams of theano-pymc (MRG31k3p) and PyTensor (PCG64) cannot
    continue each other, so the run would not be the uninterrupted one."""
    from theano_rnn import runtime
    saved = header.get("backend", "theano")  # older files: theano-pymc
    if saved != runtime.BACKEND:
        raise ValueError(
            "cannot resume: the checkpoint %s was written on %s, this run "
            "is on %s, whose random streams cannot continue it; resume with "
            "THEANO_RNN_BACKEND=%s or use another --checkpoint"
            % (path, saved, runtime.BACKEND, saved))


def _checkpoint_saver(path, settings, history):
    """The callback saving the checkpoint at the end of every epoch (a
    function so that ``_common`` imports theano_rnn only when needed)."""
    from theano_rnn.callbacks import Callback

    class CheckpointSaver(Callback):
        """Save the model to ``path`` after every complete epoch, with the
        epochs done, the history so far and ``settings`` as metadata."""

        def __init__(self):
            super(CheckpointSaver, self).__init__()
            self.history = {k: list(v) for k, v in history.items()}

        def on_epoch_end(self, epoch, logs=None):
            if self.model.stop_training:  # an unfinished epoch (NaN loss)
                return
            for name, value in sorted((logs or {}).items()):
                self.history.setdefault(name, []).append(float(value))
            self.model.save(path, metadata={"checkpoint": {
                "epochs": epoch + 1, "history": self.history,
                "settings": settings}})

    return CheckpointSaver()


def model_to_train(args, resumed, build_model):
    """The checkpoint's model when resuming, else ``build_model(args)``
    (compiled); its summary is printed unless ``--quiet``."""
    say(args.quiet, "Compiling the model (Theano builds C code; the first "
                    "time takes a while)...")
    model = resumed.model if resumed else build_model(args)
    if not args.quiet:
        model.summary()
    return model


def train(model, args, resumed, x, y, **fit_kwargs):
    """``model.fit(x, y, epochs=args.epochs, ...)`` with the checkpoint
    options: starting after the epochs ``resumed`` (from
    :func:`open_checkpoint`) has done, saving ``--checkpoint`` after every
    epoch.  Returns the ``History``, holding the logs of all the epochs
    (those of the checkpoint first).
    """
    from theano_rnn.callbacks import History
    done = resumed.epochs if resumed else 0
    before = resumed.history if resumed else {}
    callbacks = []
    if args.checkpoint:
        callbacks.append(_checkpoint_saver(args.checkpoint,
                                           run_settings(args), before))
    if done < args.epochs:
        history = model.fit(x, y, epochs=args.epochs, initial_epoch=done,
                            callbacks=callbacks, **fit_kwargs)
    else:
        say(args.quiet, "All %d epochs were done: no training" % done)
        history = History()
    logs = history.history
    history.history = {name: list(before.get(name, [])) + list(
        logs.get(name, [])) for name in sorted(set(before) | set(logs))}
    history.epoch = list(range(max(
        [len(v) for v in history.history.values()] or [0])))
    model.history = history
    return history


# --- IMDB text --------------------------------------------------------------

def imdb_vocabulary(word_index, max_features, maxlen, start_char=1,
                    oov_char=2, index_from=3):
    """Describe how reviews were turned into padded word indices.

    ``theano_rnn.datasets.imdb.load_data(num_words=max_features, ...)``
    gives the word of rank ``r`` the index ``r + index_from`` if that is
    below ``max_features`` and ``oov_char`` otherwise, and starts every
    review with ``start_char``; ``pad_sequences(maxlen)`` then pads and
    truncates at the front.  This returns all of that as a JSON-ready dict,
    with ``word_index`` (word -> rank, as from ``imdb.get_word_index()``)
    cut down to the words the model knows.
    """
    kept = {word: rank for word, rank in word_index.items()
            if rank + index_from < max_features}
    return {"word_index": kept, "max_features": max_features,
            "maxlen": maxlen, "start_char": start_char, "oov_char": oov_char,
            "index_from": index_from, "padding": "pre", "truncating": "pre",
            "tokenizer": "text_to_word_sequence(clean_review(text))"}


def encode_texts(texts, vocabulary):
    """Turn raw texts into the padded index array the IMDB model takes,
    exactly as its training data was made (see :func:`imdb_vocabulary`).

    Returns
    -------
    numpy.ndarray, int32, shape (len(texts), maxlen)
    """
    from theano_rnn.preprocessing import (clean_review, pad_sequences,
                                          text_to_word_sequence)
    v = vocabulary
    sequences = []
    for text in texts:
        words = text_to_word_sequence(clean_review(text))
        indices = [v["word_index"][w] + v["index_from"]
                   if w in v["word_index"] else v["oov_char"] for w in words]
        sequences.append([v["start_char"]] + indices)
    return pad_sequences(sequences, maxlen=v["maxlen"], padding=v["padding"],
                         truncating=v["truncating"])


# --- Results ----------------------------------------------------------------

def write_history(history, path):
    """Write the per-epoch logs of ``fit`` to ``path``, atomically.

    Parameters
    ----------
    history : dict
        ``History.history``: log name -> list of one value per epoch.
    path : str
        ``.csv``: a header ``epoch,<names...>`` and one row per epoch
        (epochs counted from 1); ``.json``: ``{"epoch": [1, 2, ...],
        "<name>": [...], ...}``.
    """
    from theano_rnn.saving import atomic_write
    names = sorted(history)
    epochs = list(range(1, 1 + max((len(v) for v in history.values()),
                                   default=0)))
    columns = {name: [float(x) for x in history[name]] for name in names}
    if path.lower().endswith(".json"):
        text = json.dumps(dict(columns, epoch=epochs), indent=1)
    else:
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(["epoch"] + names)
        for i, epoch in enumerate(epochs):
            writer.writerow([epoch] + [
                repr(columns[n][i]) if i < len(columns[n]) else ""
                for n in names])
        text = buffer.getvalue()
    atomic_write(path, lambda stream: stream.write(text.encode("utf-8")))


def history_panel(history, metric, label=None, log_scale=False):
    """A panel for :func:`save_plot`: ``metric`` (and ``val_<metric>`` if
    logged) against the epoch, on a logarithmic axis with ``log_scale``."""
    def draw(axes):
        if log_scale:
            axes.set_yscale("log")
        for name, style in ((metric, "o-"), ("val_" + metric, "s--")):
            values = history.get(name)
            if values:
                axes.plot(range(1, len(values) + 1), values, style,
                          label=name)
        axes.set_xlabel("epoch")
        axes.xaxis.get_major_locator().set_params(integer=True)
        axes.set_ylabel(label or metric)
        axes.set_title(label or metric)
        axes.grid(alpha=0.3)
        axes.legend()
    return draw


def save_results(args, model, history, metadata, panels, title):
    """Write what a training run produces, as the options ask.

    Saves the model to ``--save`` with ``metadata`` (a JSON-ready dict) plus
    the command-line settings as its ``model.metadata``, the per-epoch logs
    to ``--history`` and ``panels`` (see :func:`save_plot`) to ``--plot``,
    printing where each went.
    """
    settings = {k: v for k, v in sorted(vars(args).items())
                if isinstance(v, (int, float, str, type(None)))}
    model.metadata = dict(metadata, settings=settings)
    model.save(args.save)
    print("Model saved to %s (metadata included)" % args.save)
    if args.history:
        write_history(history.history, args.history)
        print("History written to %s" % args.history)
    if args.plot:
        save_plot(args.plot, panels, title)


def save_plot(path, panels, title=None):
    """Draw ``panels`` (functions drawing on a matplotlib ``Axes``) side by
    side and save them as a PNG at ``path``.

    matplotlib is an optional extra: without it, one line saying the plot
    was skipped is printed instead.

    Returns
    -------
    bool
        Whether the file was written.
    """
    try:
        import matplotlib
        matplotlib.use("Agg")  # draw to files; no display needed
        import matplotlib.pyplot as plt
    except ImportError as error:
        print("Plot skipped: matplotlib is not installed (%s); install it "
              "with: pip install 'theano_rnn[plot]'" % error)
        return False
    from theano_rnn.saving import atomic_write
    figure, axes = plt.subplots(1, len(panels), squeeze=False,
                                figsize=(5.5 * len(panels), 4.2))
    for draw, ax in zip(panels, axes[0]):
        draw(ax)
    if title:
        figure.suptitle(title)
    figure.tight_layout()
    try:
        atomic_write(path, lambda stream: figure.savefig(stream, format="png",
                                                         dpi=100))
    finally:
        plt.close(figure)
    print("Plot saved to %s" % path)
    return True


def parse_numbers(text):
    """The numbers in ``text``, separated by commas and/or white space.

    Raises
    ------
    ValueError
        Naming the first item that is not a number.
    """
    values = []
    for item in re.split(r"[,\s]+", text.strip()):
        if not item:
            continue
        try:
            value = float(item)
        except ValueError:
            value = None
        if value is None or not math.isfinite(value):
            raise ValueError("not a number: %r (expected finite numbers "
                             "separated by commas or spaces)" % item)
        values.append(value)
    return values
