#!/usr/bin/env python
"""Check that Keras 2.3.1 itself reads the ``.h5`` files theano_rnn writes.

For a few small models (each recurrent cell, both GRU forms, Bidirectional,
a masked Embedding -> LSTM stack and, where theano_rnn has the functional
API, a functional model; each with an optimizer state after one epoch),
theano_rnn writes ``model.h5`` (``theano_rnn.hdf5.save_model``) and
``weights.h5`` (``save_weights``); then Keras 2.3.1 (Theano backend, float64)
loads them with ``keras.models.load_model`` and ``model.load_weights`` and
must predict what theano_rnn predicted, to 1e-5, restore the optimizer
state without a warning and train on for an epoch.

Runs only where Keras 2.3.1 and h5py are installed beside theano-pymc (see
``scripts/make_keras_h5_fixtures.py`` for the environment); exits 2 with the
install command otherwise, 1 if any check fails.
"""
import os
import sys
import tempfile
import warnings

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.dirname(HERE))          # theano_rnn


def theano_rnn_models():
    from theano_rnn.layers import (GRU, LSTM, Bidirectional, Dense,
                                   Embedding, SimpleRNN)
    from theano_rnn import models
    from theano_rnn.models import Sequential
    rng = np.random.RandomState(3)
    x = rng.uniform(-1, 1, (4, 5, 2))
    ids = np.array([[0, 0, 1, 2, 3, 4], [0, 5, 6, 7, 8, 9],
                    [1, 2, 3, 4, 5, 6], [0, 0, 0, 0, 2, 3]])
    y = rng.uniform(size=(4, 1))
    functional = []
    if hasattr(models, "Model"):            # the functional API
        from theano_rnn.layers import Input
        inputs = Input(shape=(5, 2))
        hidden = LSTM(3, return_sequences=True)(inputs)
        functional = [("functional", models.Model(
            inputs, Dense(1)(GRU(2)(hidden))), x, y)]
    return functional + [
        ("SimpleRNN", Sequential([SimpleRNN(3, input_shape=(5, 2)),
                                  Dense(1)]), x, y),
        ("LSTM", Sequential([LSTM(3, input_shape=(5, 2),
                                  return_sequences=True),
                             LSTM(2, recurrent_activation="sigmoid"),
                             Dense(1)]), x, y),
        ("GRU", Sequential([GRU(3, input_shape=(5, 2)), Dense(1)]), x, y),
        ("GRU reset_after", Sequential([
            GRU(3, input_shape=(5, 2), reset_after=True,
                recurrent_activation="sigmoid"), Dense(1)]), x, y),
        ("Bidirectional", Sequential([
            Bidirectional(LSTM(3, return_sequences=True),
                          input_shape=(5, 2)),
            Bidirectional(GRU(2), merge_mode="sum"),
            Dense(1, activation="sigmoid")]), x, y),
        ("masked", Sequential([Embedding(10, 4, input_length=6,
                                         mask_zero=True),
                               LSTM(3), Dense(1, activation="sigmoid")]),
         ids, y),
    ]


def main():
    import theano_rnn  # noqa: F401  (sets Theano's flags first)
    from theano_rnn.runtime import theano
    import keras_reference
    keras_reference.fix_keras_imports()
    try:
        import h5py  # noqa: F401
        import keras
    except ImportError as error:
        sys.stderr.write("check_h5_with_keras.py: error: %s; install: %s "
                         "and pip install \"h5py<3.12\"\n"
                         % (error, keras_reference.KERAS_INSTALL))
        return 2
    keras_reference.fix_keras_h5py()
    from keras import backend as K
    from theano_rnn import hdf5
    K.set_floatx("float64")
    theano.config.floatX = "float64"
    failures = 0
    with tempfile.TemporaryDirectory() as folder:
        for name, model, x, y in theano_rnn_models():
            model.compile(loss="mse", optimizer="adam", metrics=["mae"])
            model.fit(x, y, batch_size=2, epochs=1, verbose=0)
            expected = model.predict(x)
            path = os.path.join(folder, "model.h5")
            weights = os.path.join(folder, "weights.h5")
            hdf5.save_model(model, path)
            hdf5.save_weights(model, weights)
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                theirs = keras.models.load_model(path)
            optimizer_warnings = [str(w.message) for w in caught
                                  if "optimizer" in str(w.message)]
            difference = np.abs(theirs.predict(x) - expected).max()
            theirs.load_weights(weights)
            weights_difference = np.abs(theirs.predict(x) - expected).max()
            state = K.batch_get_value(theirs.optimizer.weights)
            ours = model.optimizer.get_weights()
            state_equal = all(np.array_equal(a, b)
                              for a, b in zip(ours, state))
            loss = theirs.fit(x, y, batch_size=2, epochs=1,
                              verbose=0).history["loss"][-1]
            ok = (difference <= 1e-5 and weights_difference <= 1e-5 and
                  not optimizer_warnings and state_equal and
                  np.isfinite(loss))
            failures += not ok
            print("%-16s %s  max |keras - theano_rnn| = %.1e (model.h5), "
                  "%.1e (weights.h5); optimizer state %s; Keras trains on "
                  "(loss %.4f)%s"
                  % (name, "ok  " if ok else "FAIL", difference,
                     weights_difference,
                     "restored" if state_equal else "DIFFERENT", loss,
                     "; " + "; ".join(optimizer_warnings)
                     if optimizer_warnings else ""))
    print("Keras %s read %s" % (keras.__version__,
                                "every file" if not failures
                                else "%d files wrongly" % failures))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
