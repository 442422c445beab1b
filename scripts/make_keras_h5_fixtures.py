#!/usr/bin/env python
"""Write the Keras HDF5 test files of ``tests/data/keras_h5/`` with real
Keras, together with Keras's own predictions on fixed inputs.

Each fixture is ``NAME.h5`` (written by Keras's ``model.save()`` or
``model.save_weights()``) and ``NAME.npz`` (``x``: the inputs, ``y``: what
Keras predicted for them from that file's model).  Everything is float64
(``K.set_floatx('float64')``), so that theano_rnn's predictions can be
compared to 1e-5 in the tests (``tests/test_hdf5.py``).

Run it once with Keras 2.3.1 and once with Keras 1.2.2, each installed
(without its dependencies) beside theano-pymc in a scratch environment
outside the repository; it writes the fixtures of the version it finds::

    python3 -m venv /tmp/keras2 && . /tmp/keras2/bin/activate
    pip install "numpy==1.23.5" "scipy<1.12" theano-pymc==1.1.2 \\
        "setuptools<81" "h5py<3.12"
    pip install --no-deps Keras==2.3.1 Keras-Applications==1.0.8 \\
        Keras-Preprocessing==1.1.2 six pyyaml
    PYTHONPATH=. KERAS_HOME=/tmp/keras2home python \\
        scripts/make_keras_h5_fixtures.py
    # and in a second environment: pip install --no-deps Keras==1.2.2 six pyyaml

Keras 1.2.2 runs there too (theano-pymc, Python 3.11) with the same import
fixes as Keras 2.3.1 (``keras_reference.fix_keras_imports``), so the Keras 1
files are Keras 1.2.2's own.  Only the CuDNN-format file is not written by a
CuDNN layer (those need a GPU and TensorFlow): it is Keras 2.3.1's own
``LSTM``/``GRU`` weights put in the CuDNN layout by Keras's own converter
(``keras.engine.saving._convert_rnn_weights``), under the layer classes
``CuDNNLSTM``/``CuDNNGRU``.

Exits with status 2 (naming the install command) where Keras is missing.
"""
import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.dirname(HERE))          # theano_rnn
OUT = os.path.join(HERE, os.pardir, "tests", "data", "keras_h5")
INSTALL = ("pip install \"h5py<3.12\" and, without dependencies, Keras "
           "2.3.1 or 1.2.2: pip install --no-deps Keras==2.3.1 "
           "Keras-Applications==1.0.8 Keras-Preprocessing==1.1.2 six pyyaml")


def import_keras():
    import theano_rnn  # noqa: F401  (sets Theano's flags first)
    import keras_reference
    keras_reference.fix_keras_imports()
    try:
        import h5py  # noqa: F401
        import keras
    except ImportError as error:
        sys.stderr.write("make_keras_h5_fixtures.py: error: %s; install: "
                         "%s\n" % (error, INSTALL))
        sys.exit(2)
    from keras import backend as K
    K.set_floatx("float64")
    return keras


def sequences(rng, n=4, steps=5, features=2):
    return rng.uniform(-1, 1, (n, steps, features))


def token_ids(rng, n=4, steps=6, vocabulary=10):
    """Left-padded id sequences (0 = padding) of different lengths."""
    x = rng.randint(1, vocabulary, (n, steps))
    for i, length in enumerate([6, 4, 2, 5][:n]):
        x[i, :steps - length] = 0
    return x


def write(name, model, x, weights_only=False):
    path = os.path.join(OUT, name + ".h5")
    if os.path.exists(path):
        os.remove(path)
    if weights_only:
        model.save_weights(path)
    else:
        model.save(path)
    np.savez(os.path.join(OUT, name + ".npz"), x=x, y=model.predict(x))
    print("wrote %s (%d bytes)" % (path, os.path.getsize(path)))


def train(model, x, y):
    """One epoch, so that the optimizer state in the file is not zero
    (Keras 1 calls the number of epochs ``nb_epoch``)."""
    import keras
    epochs = "epochs" if keras.__version__.startswith("2.") else "nb_epoch"
    model.fit(x, y, batch_size=2, verbose=0, **{epochs: 1})


def keras2_fixtures(keras, rng):
    from keras.layers import (GRU, LSTM, Bidirectional, Dense, Embedding,
                              Input, SimpleRNN)
    from keras.models import Model, Sequential
    from keras.optimizers import SGD, Adam, Nadam, RMSprop

    x = sequences(rng)
    y1 = rng.uniform(size=(len(x), 1))

    model = Sequential([SimpleRNN(3, input_shape=(5, 2),
                                  return_sequences=True), Dense(2)])
    model.compile(RMSprop(lr=0.01), "mse")
    train(model, x, rng.uniform(size=(len(x), 5, 2)))
    write("simple_rnn", model, x)

    model = Sequential([LSTM(3, input_shape=(5, 2)), Dense(1)])
    model.compile(Adam(learning_rate=0.01), "mse", metrics=["mae"])
    train(model, x, y1)
    write("lstm", model, x)
    write("lstm_weights", model, x, weights_only=True)

    model = Sequential([GRU(3, input_shape=(5, 2), reset_after=False,
                            recurrent_activation="hard_sigmoid"), Dense(1)])
    model.compile(SGD(lr=0.05, momentum=0.9, nesterov=True), "mse")
    train(model, x, y1)
    write("gru", model, x)

    model = Sequential([GRU(3, input_shape=(5, 2), reset_after=True,
                            return_sequences=True), Dense(1)])
    model.compile(Nadam(), "mse")
    train(model, x, rng.uniform(size=(len(x), 5, 1)))
    write("gru_reset_after", model, x)

    model = Sequential([Bidirectional(LSTM(3, return_sequences=True),
                                      input_shape=(5, 2)),
                        Bidirectional(GRU(2), merge_mode="sum"),
                        Dense(1, activation="sigmoid")])
    model.compile("adam", "binary_crossentropy", metrics=["accuracy"])
    train(model, x, (y1 > 0.5).astype("float64"))
    write("bidirectional", model, x)

    model = Sequential([GRU(4, input_shape=(5, 2), return_sequences=True),
                        LSTM(3, return_sequences=True),
                        SimpleRNN(2), Dense(1, activation="sigmoid")])
    model.compile("rmsprop", "binary_crossentropy", metrics=["acc"])
    train(model, x, (y1 > 0.5).astype("float64"))
    write("stacked", model, x)
    write("stacked_weights", model, x, weights_only=True)

    ids = token_ids(rng)
    model = Sequential([Embedding(10, 4, mask_zero=True, input_length=6),
                        LSTM(3), Dense(1, activation="sigmoid")])
    model.compile("adam", "binary_crossentropy", metrics=["accuracy"])
    train(model, ids, (y1 > 0.5).astype("float64"))
    write("masked", model, ids)

    inputs = Input(shape=(5, 2))
    hidden = LSTM(3, return_sequences=True)(inputs)
    outputs = Dense(1)(GRU(2)(hidden))
    model = Model(inputs, outputs)
    model.compile("adam", "mse")
    write("functional", model, x)

    cudnn_fixture(x)


def cudnn_fixture(x):
    """A save_weights file of an LSTM and a GRU(reset_after=True) whose
    weights are in the CuDNN layout, under CuDNNLSTM/CuDNNGRU layer names;
    the expected predictions are those of the plain layers."""
    import h5py
    from keras.engine.saving import _convert_rnn_weights
    from keras.layers import GRU, LSTM, Dense
    from keras.models import Sequential

    model = Sequential([
        LSTM(3, input_shape=(5, 2), return_sequences=True,
             recurrent_activation="sigmoid"),
        GRU(2, reset_after=True, recurrent_activation="sigmoid"),
        Dense(1)])
    name = "cudnn_weights"
    write(name, model, x, weights_only=True)

    class CuDNNLSTM(object):
        pass

    class CuDNNGRU(object):
        pass

    path = os.path.join(OUT, name + ".h5")
    with h5py.File(path, "r+") as f:
        for layer, target in zip(model.layers[:2], (CuDNNLSTM, CuDNNGRU)):
            group = f[layer.name]
            names = [n.decode("utf8") if isinstance(n, bytes) else n
                     for n in group.attrs["weight_names"]]
            values = [np.asarray(group[n]) for n in names]
            converted = _convert_rnn_weights(target(), values)
            for n in names:
                del group[n]
            for n, value in zip(names, converted):
                group.create_dataset(n, data=value)
    print("rewrote %s in the CuDNN layout" % path)


def keras1_fixtures(keras, rng):
    from keras.layers import GRU, LSTM, Bidirectional, Dense, Embedding
    from keras.models import Sequential

    x = sequences(rng)
    y1 = rng.uniform(size=(len(x), 1))

    model = Sequential([LSTM(3, input_dim=2, input_length=5), Dense(1)])
    model.compile("adam", "mse")
    train(model, x, y1)
    write("keras1_lstm", model, x)

    model = Sequential([LSTM(3, input_dim=2, input_length=5,
                             consume_less="gpu"), Dense(1)])
    model.compile("sgd", "mse")
    write("keras1_lstm_gpu", model, x)

    model = Sequential([GRU(3, input_dim=2, input_length=5,
                            return_sequences=True), GRU(2), Dense(1)])
    model.compile("rmsprop", "mse")
    write("keras1_gru", model, x)
    write("keras1_gru_weights", model, x, weights_only=True)

    model = Sequential([Bidirectional(LSTM(3), input_shape=(5, 2)),
                        Dense(1)])
    model.compile("adam", "mse")
    write("keras1_bidirectional", model, x)

    ids = token_ids(rng)
    model = Sequential([Embedding(10, 4, mask_zero=True, input_length=6),
                        LSTM(3), Dense(1, activation="sigmoid")])
    model.compile("adam", "binary_crossentropy", metrics=["accuracy"])
    write("keras1_masked", model, ids)


def main():
    keras = import_keras()
    os.makedirs(OUT, exist_ok=True)
    np.random.seed(1)                     # Keras's initialisers
    rng = np.random.RandomState(2)        # the inputs and targets
    if keras.__version__.startswith("2."):
        keras2_fixtures(keras, rng)
    elif keras.__version__.startswith("1."):
        keras1_fixtures(keras, rng)
    else:
        sys.stderr.write("make_keras_h5_fixtures.py: error: Keras %s; this "
                         "writes Keras 2.3.1 or 1.2.2 files\n"
                         % keras.__version__)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
