"""The `keras` alias: `python -m theano_rnn.keras SCRIPT.py` runs a script
written for Keras 1 and one written for Keras 2 unchanged; missing Keras
features fail where they are named, with the feature's name."""
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import compile_mode

ROOT = Path(__file__).resolve().parent.parent

KERAS1_SCRIPT = """
    '''A Keras 1.2.2-style script: its module paths and argument names.'''
    from __future__ import print_function
    import sys
    import numpy as np
    np.random.seed(1337)

    from keras.preprocessing import sequence
    from keras.models import Sequential
    from keras.layers.core import Dense, Dropout
    from keras.layers.embeddings import Embedding
    from keras.layers.recurrent import LSTM
    from keras.regularizers import l2
    from keras.utils import np_utils

    rng = np.random.RandomState(0)
    X = sequence.pad_sequences(
        [rng.randint(1, 20, size=rng.randint(2, 8)).tolist()
         for _ in range(16)], maxlen=6)
    y = (X.sum(axis=1) > 50).astype('int32')

    model = Sequential()
    model.add(Embedding(20, 8, input_length=6, dropout=0.2))
    model.add(LSTM(output_dim=4, dropout_W=0.2, dropout_U=0.2,
                   inner_activation='sigmoid', consume_less='gpu'))
    model.add(Dropout(p=0.5))
    model.add(Dense(output_dim=1, activation='sigmoid', init='glorot_normal',
                    W_regularizer=l2(0.01)))
    model.compile(loss='binary_crossentropy', optimizer='adam',
                  metrics=['accuracy'])
    # Keras 1 spells `epochs` nb_epoch; fit's signature is the engine's
    model.fit(X, y, batch_size=8, epochs=1, verbose=0)
    score, acc = model.evaluate(X, y, batch_size=8, verbose=0)
    print('categorical', np_utils.to_categorical([0, 1]).tolist())
    print('argv', sys.argv[1:])
    print('score', float(score) > 0, 0 <= acc <= 1)
"""

KERAS2_SCRIPT = """
    '''A Keras 2.3.1-style script, with a custom loss on the backend.'''
    import numpy as np
    import keras
    from keras import backend as K
    from keras import initializers, regularizers, constraints
    from keras.callbacks import LambdaCallback
    from keras.layers import Bidirectional, Dense, GRU, SimpleRNN
    from keras.models import Sequential
    from keras.utils import to_categorical

    def smooth_crossentropy(y_true, y_pred):
        y_true = y_true * 0.9 + 0.05
        return K.mean(K.categorical_crossentropy(y_true, y_pred), axis=-1) \\
            if K.ndim(y_pred) > 2 else K.categorical_crossentropy(y_true,
                                                                  y_pred)

    rng = np.random.RandomState(1)
    x = rng.rand(12, 5, 3).astype(K.floatx())
    y = to_categorical(rng.randint(0, 3, 12), num_classes=3)
    model = Sequential()
    model.add(Bidirectional(GRU(4, return_sequences=True, implementation=2,
                                kernel_initializer=initializers.he_normal(
                                    seed=1)),
                            input_shape=(5, 3)))
    model.add(SimpleRNN(4, recurrent_initializer=initializers.Identity(1.0),
                        kernel_constraint=constraints.max_norm(2.0)))
    model.add(Dense(3, activation='softmax',
                    kernel_regularizer=regularizers.l1_l2(0.01, 0.01)))
    model.compile(loss=smooth_crossentropy, optimizer='rmsprop')
    epochs = []
    model.fit(x, y, epochs=2, batch_size=4, verbose=0,
              callbacks=[LambdaCallback(
                  on_epoch_end=lambda epoch, logs: epochs.append(epoch))])
    print('keras', keras.__version__, 'epochs', epochs)
    print('predictions', model.predict(x).shape)
"""


def _run(tmp_path, source, *args):
    script = tmp_path / "legacy_script.py"
    script.write_text(textwrap.dedent(source))
    env = dict(os.environ, PYTHONPATH=str(ROOT),
               THEANO_RNN_HOME=str(tmp_path / "home"))
    return subprocess.run(
        compile_mode.module_command("theano_rnn.keras", script, *args),
        capture_output=True, text=True, env=env, timeout=900,
        cwd=str(tmp_path))


def test_runner_runs_a_keras1_script_unchanged(tmp_path):
    result = _run(tmp_path, KERAS1_SCRIPT, "--flag", "7")
    assert result.returncode == 0, result.stderr
    assert "with `keras` resolving to theano_rnn" in result.stderr
    assert "`output_dim` is a Keras 1 argument" in result.stderr
    assert "categorical [[1.0, 0.0], [0.0, 1.0]]" in result.stdout
    assert "argv ['--flag', '7']" in result.stdout
    assert "score True True" in result.stdout


def test_runner_runs_a_keras2_script_unchanged(tmp_path):
    result = _run(tmp_path, KERAS2_SCRIPT)
    assert result.returncode == 0, result.stderr
    assert "keras 2.3.1 epochs [0, 1]" in result.stdout
    assert "predictions (12, 3)" in result.stdout


def test_a_missing_keras_feature_is_named(tmp_path):
    result = _run(tmp_path, "from keras.layers import Dense, Conv3D\n")
    assert result.returncode == 1
    assert ("KerasImportNotImplemented: keras.layers.Conv3D is not "
            "implemented by theano_rnn") in result.stderr


def test_runner_usage():
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    result = subprocess.run([sys.executable, "-m", "theano_rnn.keras"],
                            capture_output=True, text=True, env=env)
    assert result.returncode == 2 and "usage:" in result.stderr


@pytest.fixture
def alias():
    from theano_rnn import keras_alias
    keras_alias.install()
    yield keras_alias
    keras_alias.uninstall()


def test_alias_inside_a_process(alias):
    import keras
    import keras.layers.recurrent
    from keras import backend as K
    from keras.initializations import normal
    from keras.objectives import binary_crossentropy
    from theano_rnn import backend, initializers, losses
    from theano_rnn.layers import LSTM
    assert keras.layers.recurrent.LSTM is LSTM
    assert K.epsilon is backend.epsilon
    assert normal is initializers.normal
    assert binary_crossentropy is losses.binary_crossentropy
    assert keras.layers.recurrent.Recurrent is keras.layers.RNN


def test_keras2_top_level_names_and_lower_case_optimizers(alias):
    import keras
    from keras import optimizers
    from theano_rnn import layers, models
    assert (keras.Input, keras.Model, keras.Sequential) == (
        layers.Input, models.Model, models.Sequential)
    assert isinstance(optimizers.rmsprop(lr=0.01), optimizers.RMSprop)
    assert optimizers.adam is optimizers.Adam


def test_alias_missing_names_and_modules(alias):
    import keras.layers
    assert not hasattr(keras.layers, "Conv3D")
    with pytest.raises(AttributeError,
                       match="keras.layers.Conv3D is not implemented"):
        keras.layers.Conv3D
    with pytest.raises(ImportError,
                       match="keras.layers.Conv3D is not implemented"):
        from keras.layers import Conv3D  # noqa: F401
    with pytest.raises(ModuleNotFoundError,
                       match="keras.applications is not implemented"):
        import keras.applications  # noqa: F401


def test_alias_resolves_names_added_later(alias, monkeypatch):
    import keras.layers
    import theano_rnn.layers
    sentinel = object()
    monkeypatch.setattr(theano_rnn.layers, "Conv1D", sentinel, raising=False)
    assert keras.layers.Conv1D is sentinel
    assert keras.layers.convolutional.Convolution1D is sentinel


def test_keras1_helpers_slice_x_and_the_acc_history_keys(alias):
    import numpy as np
    from keras.engine.training import slice_X
    from keras.layers import Dense
    from keras.models import Sequential
    x, y = np.arange(10.0).reshape(5, 2), np.arange(5.0)
    np.testing.assert_array_equal(slice_X(x, 1, 3), x[1:3])
    a, b = slice_X([x, y], np.array([4, 0]))
    np.testing.assert_array_equal(a, x[[4, 0]])
    np.testing.assert_array_equal(b, y[[4, 0]])
    model = Sequential([Dense(1, activation="sigmoid", input_shape=(2,))])
    model.compile(optimizer="sgd", loss="binary_crossentropy",
                  metrics=["accuracy"])
    history = model.fit(x, (y > 2).astype(float), validation_data=(x, y > 2),
                        epochs=2, verbose=0).history
    assert history["val_acc"] is history["val_accuracy"]
    assert len(history["acc"]) == 2
    with pytest.raises(KeyError):
        history["no_such_metric"]
