#!/usr/bin/env python
"""Train the source's IMDB model with Keras 2.3.1 itself, or with
theano_rnn through the same code, to compare the two on the same data.

The model and the protocol are those of Keras's ``imdb_lstm.py``, written
once and run with either library's ``Sequential``, ``Embedding``, ``LSTM``
and ``Dense`` (porting Theano-era Keras code to theano_rnn is a change of
imports)::

    np.random.seed(SEED)
    Embedding(20000, 128) -> LSTM(128, dropout=0.2, recurrent_dropout=0.2)
    -> Dense(1, sigmoid); binary cross-entropy, Adam, batch 32,
    reviews cut/padded to 100 words, the test set as validation data

Both read the reviews with ``theano_rnn.datasets.imdb.load_data`` (Keras's
own ``imdb.npz`` cannot be downloaded here), so only the libraries differ.

What Keras 2.3.1 really runs on Theano differs from what the code asks for:
its LSTM's gates default to ``sigmoid`` and it *switches RNN dropout off*
(with a warning) on the Theano backend.  ``--as-keras-on-theano`` gives
theano_rnn that same configuration; without it theano_rnn runs the model as
written (``hard_sigmoid`` gates, Keras <= 2.2's default, and working
dropout).

Keras 2.3.1 is not a dependency of theano_rnn.  Install it beside it without
its own dependencies (which would pull in TensorFlow-era packages)::

    pip install --no-deps Keras==2.3.1 Keras-Applications==1.0.8 \\
        Keras-Preprocessing==1.1.2 six pyyaml

It needs three fixes to import on Python 3.10+ with theano-pymc, which this
script makes before importing it: ``collections.Iterable``, ``Mapping`` and
``Sequence`` (moved to ``collections.abc``) and
``theano.sandbox.rng_mrg.MRG_RandomStreams`` (renamed ``MRG_RandomStream``).

Prints the test accuracy and the training loss after every epoch.
"""
import collections
import collections.abc
import os
import sys
import time

import _common

KERAS_INSTALL = ("pip install --no-deps Keras==2.3.1 "
                 "Keras-Applications==1.0.8 Keras-Preprocessing==1.1.2 "
                 "six pyyaml")


def parse_args(argv=None):
    parser = _common.make_parser(__doc__)
    parser.add_argument("--library", choices=("keras", "theano_rnn"),
                        default="theano_rnn",
                        help="whose Sequential, Embedding, LSTM and Dense "
                             "to train")
    parser.add_argument("--as-keras-on-theano", action="store_true",
                        help="theano_rnn only: sigmoid gates and no RNN "
                             "dropout, which is what Keras 2.3.1 runs on "
                             "Theano")
    parser.add_argument("--seed", type=_common.int_at_least(0), default=1,
                        help="np.random.seed before anything else")
    parser.add_argument("--epochs", type=_common.int_at_least(1), default=1)
    parser.add_argument("--limit", metavar="N",
                        type=_common.int_at_least(1),
                        help="use only the first N training and N test "
                             "reviews (quick runs)")
    parser.add_argument("--data", metavar="PATH",
                        type=_common.existing_path,
                        help="the IMDB archive or folder (default: "
                             "$THEANO_RNN_DATA, then the cache folder)")
    args = parser.parse_args(argv)
    if args.as_keras_on_theano and args.library == "keras":
        parser.error("argument --as-keras-on-theano: only with --library "
                     "theano_rnn (Keras on Theano runs that way anyway)")
    return args


def fix_keras_imports():
    """Make Keras 2.3.1 (or 1.2.2) importable on Python 3.10+ with
    theano-pymc, on the Theano backend: the ``collections`` aliases it
    imports and ``MRG_RandomStreams`` under its old name.  Call it before
    ``import keras`` (after ``import theano_rnn``, which sets Theano's
    flags)."""
    for name in ("Iterable", "Mapping", "Sequence"):
        if not hasattr(collections, name):
            setattr(collections, name, getattr(collections.abc, name))
    try:
        import theano.sandbox.rng_mrg as rng_mrg
    except ImportError:
        return   # PyTensor only: importing Keras fails and says so.
    if not hasattr(rng_mrg, "MRG_RandomStreams"):
        rng_mrg.MRG_RandomStreams = rng_mrg.MRG_RandomStream
    os.environ["KERAS_BACKEND"] = "theano"


def fix_keras_h5py():
    """Let Keras 2.3.1 read HDF5 files with h5py 3: h5py 3 returns string
    attributes as ``str`` where h5py 2 (Keras 2.3.1's) returned ``bytes``,
    and Keras calls ``.decode`` on them ("'str' object has no attribute
    'decode'").  Makes h5py return them as bytes again, in this process."""
    import h5py
    import numpy as np
    manager = h5py.AttributeManager
    if getattr(manager, "_bytes_for_keras", False):
        return
    read = manager.__getitem__

    def as_bytes(value):
        if isinstance(value, str):
            return value.encode("utf8")
        if isinstance(value, np.ndarray) and value.dtype == object:
            return np.array([as_bytes(v) for v in value.flat],
                            dtype=object).reshape(value.shape)
        return value

    manager.__getitem__ = lambda self, name: as_bytes(read(self, name))
    manager._bytes_for_keras = True


def import_keras():
    """Keras 2.3.1's Sequential, Embedding, LSTM and Dense on the Theano
    backend, after the fixes it needs here; exits (status 2) naming the
    install command when Keras is not installed."""
    fix_keras_imports()
    try:
        import keras
    except ImportError as error:
        _common.fail("argument --library: Keras is not installed (%s); "
                     "install it with: %s" % (error, KERAS_INSTALL), 2)
    if keras.__version__ != "2.3.1":
        sys.stderr.write("warning: this compares with Keras 2.3.1; found "
                         "Keras %s\n" % keras.__version__)
    from keras.layers import LSTM, Dense, Embedding
    from keras.models import Sequential
    return Sequential, Embedding, LSTM, Dense


def import_theano_rnn():
    from theano_rnn.layers import LSTM, Dense, Embedding
    from theano_rnn.models import Sequential
    return Sequential, Embedding, LSTM, Dense


def main(argv=None):
    args = parse_args(argv)
    import numpy as np
    import theano_rnn  # noqa: F401  (sets Theano's flags, Keras's too)
    np.random.seed(args.seed)
    if args.library == "keras":
        Sequential, Embedding, LSTM, Dense = import_keras()
    else:
        Sequential, Embedding, LSTM, Dense = import_theano_rnn()
    from theano_rnn.datasets import imdb
    from theano_rnn.preprocessing import pad_sequences

    (x_train, y_train), (x_test, y_test) = imdb.load_data(
        path=args.data, num_words=20000)
    if args.limit:
        x_train, y_train = x_train[:args.limit], y_train[:args.limit]
        x_test, y_test = x_test[:args.limit], y_test[:args.limit]
    x_train = pad_sequences(x_train, maxlen=100)
    x_test = pad_sequences(x_test, maxlen=100)

    lstm_options = {"dropout": 0.2, "recurrent_dropout": 0.2}
    if args.as_keras_on_theano:
        lstm_options = {"recurrent_activation": "sigmoid"}
    model = Sequential()
    model.add(Embedding(20000, 128, input_length=100))
    model.add(LSTM(128, **lstm_options))
    model.add(Dense(1, activation="sigmoid"))
    model.compile(loss="binary_crossentropy", optimizer="adam",
                  metrics=["accuracy"])
    start = time.time()
    history = model.fit(x_train, y_train, batch_size=32, epochs=args.epochs,
                        validation_data=(x_test, y_test), verbose=0).history
    accuracy = history.get("val_accuracy", history.get("val_acc"))
    label = args.library + (" (as Keras on Theano)"
                            if args.as_keras_on_theano else "")
    for epoch, (acc, loss) in enumerate(zip(accuracy, history["loss"]), 1):
        print("%s, seed %d, epoch %d: test accuracy %.4f, training loss "
              "%.4f" % (label, args.seed, epoch, acc, loss))
    print("Wall time: %.0f s" % (time.time() - start))


if __name__ == "__main__":
    _common.run(main)
