"""Sequential: building, compile/fit/evaluate/predict, callbacks, real
learning tasks, reproducibility and the checking of user input."""
import itertools

import numpy as np
import pytest

from theano_rnn import callbacks, optimizers
from theano_rnn.layers import GRU, LSTM, Dense, Dropout, Embedding
from theano_rnn.models import Sequential


# -- data --------------------------------------------------------------------

def bit_strings(length, repeat=1):
    """Every bit string of ``length`` (``repeat`` times), as +-1 inputs of
    shape (n, length, 1), and the bits themselves."""
    bits = np.array(list(itertools.product([0, 1], repeat=length)) * repeat)
    return (2 * bits - 1).astype("float32")[:, :, None], bits


def adding_problem(n, length, rng):
    """Hochreiter & Schmidhuber's adding problem: each step holds a value in
    [0, 1) and a marker; the target is the sum of the two marked values."""
    values = rng.uniform(0, 1, (n, length))
    marks = np.zeros((n, length))
    for row in marks:
        row[rng.choice(length, 2, replace=False)] = 1
    x = np.stack([values, marks], axis=-1).astype("float32")
    return x, (values * marks).sum(axis=1, keepdims=True)


def lstm_classifier(steps=4, units=8, **lstm_args):
    return Sequential([LSTM(units, input_shape=(steps, 1), **lstm_args),
                       Dense(1, activation="sigmoid")])


@pytest.fixture(scope="module")
def compiled():
    """A compiled LSTM classifier for tests that do not train it."""
    np.random.seed(0)
    model = lstm_classifier()
    model.compile("adam", "binary_crossentropy", metrics=["acc"])
    return model


@pytest.fixture
def data():
    x, bits = bit_strings(4)
    return x, bits[:, 0].astype("float32")


# -- structure -----------------------------------------------------------------

def test_predict_works_without_compile_in_batches_of_any_size():
    model = lstm_classifier()
    x, _ = bit_strings(4)
    assert model.train_function is None
    whole = model.predict(x, batch_size=len(x))
    batched = model.predict(x, batch_size=5)        # 16 = 5 + 5 + 5 + 1
    assert whole.shape == (16, 1)
    np.testing.assert_allclose(batched, whole, rtol=1e-6)
    np.testing.assert_allclose(model.predict_on_batch(x[:3]), whole[:3],
                               rtol=1e-6)
    assert model.predict_function is not None and model.train_function is None


def test_each_function_is_compiled_when_first_used(monkeypatch, data):
    """As in Keras, compile() compiles nothing yet: predicting compiles only
    the predict function, fitting then the train function, evaluating the
    test function, each once."""
    from theano_rnn.runtime import theano
    compiled_names, function = [], theano.function

    def recording(*args, **kwargs):
        compiled_names.append(kwargs.get("name"))
        return function(*args, **kwargs)

    monkeypatch.setattr(theano, "function", recording)
    x, y = data
    model = lstm_classifier()
    model.compile("adam", "binary_crossentropy", metrics=["acc"])
    assert compiled_names == []
    model.predict(x)
    model.predict(x)
    assert compiled_names == ["predict_function"]
    model.fit(x, y, epochs=2, verbose=0)
    assert compiled_names == ["predict_function", "train_function"]
    model.evaluate(x, y)
    assert model.test_function is not None
    assert compiled_names == ["predict_function", "train_function",
                              "test_function"]


def test_summary_lists_layers_output_shapes_and_parameter_counts():
    model = Sequential([Embedding(10, 3, input_length=5), GRU(4),
                        Dense(2)], name="net")
    lines = []
    model.summary(print_fn=lines.append)
    text = "\n".join(lines)
    gru, dense = model.layers[1].name, model.layers[2].name
    # Embedding 10*3, GRU 3 gates * (3*4 + 4*4 + 4), Dense 4*2 + 2.
    assert model.count_params() == 30 + 96 + 10
    assert "(None, 5, 3)" in text and "(None, 4)" in text
    assert "%s (GRU)" % gru in text and "%s (Dense)" % dense in text
    assert "Total params: 136" in text
    assert "Trainable params: 136" in text and "Non-trainable params: 0" in text


def test_get_and_set_weights_cover_all_layers_in_order():
    model = lstm_classifier(units=4)
    shapes = [w.shape for w in model.get_weights()]
    assert shapes == [(1, 16), (4, 16), (16,), (4, 1), (1,)]
    new = [np.full(s, i, dtype="float32") for i, s in enumerate(shapes)]
    model.set_weights(new)
    for got, want in zip(model.get_weights(), new):
        np.testing.assert_array_equal(got, want)


def test_set_weights_with_a_wrong_shape_names_the_layer_and_changes_nothing():
    model = lstm_classifier(units=4)
    before = model.get_weights()
    bad = model.get_weights()
    bad[3] = np.zeros((5, 1), dtype="float32")
    with pytest.raises(ValueError, match=model.layers[1].name):
        model.set_weights(bad)
    with pytest.raises(ValueError, match="5 weight arrays"):
        model.set_weights(bad[:2])
    for got, want in zip(model.get_weights(), before):
        np.testing.assert_array_equal(got, want)


# -- compile, fit, evaluate ------------------------------------------------------

def test_fit_returns_history_with_loss_and_metric_per_epoch(compiled, data):
    x, y = data
    history = compiled.fit(x, y, batch_size=6, epochs=3, verbose=0)
    assert history is compiled.history
    assert history.epoch == [0, 1, 2]
    assert sorted(history.history) == ["acc", "loss"]
    assert all(len(v) == 3 for v in history.history.values())
    assert compiled.metrics_names == ["loss", "acc"]
    loss, acc = compiled.evaluate(x, y, batch_size=5)
    assert loss > 0 and 0 <= acc <= 1
    # The model's loss is the batch mean of the per-sample loss.
    p = np.clip(compiled.predict(x)[:, 0], 1e-7, 1 - 1e-7)
    expected = -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))
    assert loss == pytest.approx(expected, rel=1e-4)
    assert acc == pytest.approx(np.mean((p > 0.5) == y))


def test_train_and_test_on_batch_return_loss_and_metrics(compiled, data):
    x, y = data
    before = compiled.get_weights()
    loss, acc = compiled.test_on_batch(x, y)
    assert compiled.train_on_batch(x, y)[0] == pytest.approx(loss, rel=1e-5)
    assert not np.array_equal(before[0], compiled.get_weights()[0])


def test_compiled_functions_are_public_and_callable(compiled, data):
    x, y = data
    loss, acc = compiled.test_function(x, y[:, None])
    assert [float(loss), float(acc)] == pytest.approx(
        compiled.evaluate(x, y, batch_size=len(x)), rel=1e-5)
    np.testing.assert_array_equal(compiled.predict_function(x),
                                  compiled.predict(x, batch_size=len(x)))


def test_metric_names_are_logged_as_written_and_evaluate_without_metrics():
    x, bits = bit_strings(4)
    model = Sequential([GRU(4, input_shape=(4, 1)),
                        Dense(1, activation="sigmoid")])
    model.compile("sgd", "binary_crossentropy", metrics=["accuracy", "mse"])
    history = model.fit(x, bits[:, 0], epochs=1, verbose=0,
                        validation_data=(x, bits[:, 0]))
    assert sorted(history.history) == ["accuracy", "loss", "mse",
                                       "val_accuracy", "val_loss", "val_mse"]
    model.compile("sgd", "mse")
    assert isinstance(model.evaluate(x, bits[:, :1]), float)


def test_validation_split_validates_on_the_last_samples_before_shuffling():
    x, bits = bit_strings(4)
    y = bits[:, 0]
    np.random.seed(0)
    model = lstm_classifier()
    model.compile("adam", "binary_crossentropy", metrics=["acc"])
    history = model.fit(x, y, batch_size=4, epochs=2, verbose=0,
                        validation_split=0.25)
    assert sorted(history.history) == ["acc", "loss", "val_acc", "val_loss"]
    val_loss, val_acc = model.evaluate(x[12:], y[12:])
    assert history.history["val_loss"][-1] == pytest.approx(val_loss,
                                                            rel=1e-5)
    assert history.history["val_acc"][-1] == pytest.approx(val_acc)
    assert model.evaluate(x[:12], y[:12])[0] != pytest.approx(val_loss)


def test_initial_epoch_resumes_the_epoch_count(compiled, data):
    history = compiled.fit(*data, epochs=4, initial_epoch=2, verbose=0)
    assert history.epoch == [2, 3]


def test_verbose_fit_shows_progress(compiled, data, capsys):
    compiled.fit(*data, epochs=2, verbose=2)
    out = capsys.readouterr().out
    assert "Epoch 1/2" in out and "Epoch 2/2" in out and "loss:" in out


def test_early_stopping_stops_training(compiled, data):
    stopper = callbacks.EarlyStopping(monitor="loss", min_delta=10,
                                      patience=1)
    history = compiled.fit(*data, epochs=20, verbose=0, callbacks=[stopper])
    assert history.epoch == [0, 1]
    assert compiled.stop_training


def test_terminate_on_nan_stops_a_diverging_run_by_default(capsys):
    x, bits = bit_strings(4)
    model = Sequential([LSTM(4, input_shape=(4, 1)), Dense(1)])
    model.compile(optimizers.SGD(lr=1e12), "mse")
    history = model.fit(x, bits[:, :1], batch_size=2, epochs=5, verbose=0)
    assert len(history.epoch) == 1
    assert not np.isfinite(history.history["loss"][0])
    assert "invalid loss" in capsys.readouterr().out


def test_sparse_targets_may_be_a_vector_and_masked_steps_do_not_count():
    """Embedding(mask_zero) -> LSTM(return_sequences) -> Dense softmax with
    integer targets: the loss only averages over the real (non-padded)
    steps, so the targets at padded steps do not change it."""
    rng = np.random.RandomState(0)
    x = rng.randint(1, 6, (8, 5))
    x[:, :2] = 0                                           # left padding
    y = (x % 3)[:, :, None]
    np.random.seed(1)
    model = Sequential([Embedding(6, 4, input_length=5, mask_zero=True),
                        LSTM(6, return_sequences=True),
                        Dense(3, activation="softmax")])
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["acc"])
    loss, acc = model.evaluate(x, y)
    y_changed = y.copy()
    y_changed[:, :2] = 2 - y_changed[:, :2]
    assert model.evaluate(x, y_changed) == pytest.approx([loss, acc])
    p = model.predict(x)[:, 2:]
    expected = -np.mean(np.log(np.take_along_axis(p, y[:, 2:], axis=-1)))
    assert loss == pytest.approx(expected, rel=1e-4)
    # A vector target for a (batch, classes) output.
    model2 = Sequential([Embedding(6, 4, input_length=5), LSTM(6),
                         Dense(3, activation="softmax")])
    model2.compile("adam", "sparse_categorical_crossentropy", metrics=["acc"])
    first = model2.evaluate(x, x[:, -1] % 3)
    model2.fit(x, x[:, -1] % 3, epochs=20, batch_size=4, verbose=0)
    assert model2.evaluate(x, x[:, -1] % 3)[0] < first[0]


# -- learning real tasks -----------------------------------------------------------

def test_lstm_learns_the_parity_of_4_bit_strings():
    x, bits = bit_strings(4, repeat=4)
    y = bits.sum(axis=1) % 2
    np.random.seed(0)
    model = Sequential([LSTM(16, input_shape=(4, 1),
                             recurrent_activation="sigmoid"),
                        Dense(1, activation="sigmoid")], seed=1)
    model.compile(optimizers.Adam(lr=0.02), "binary_crossentropy",
                  metrics=["acc"])
    model.fit(x, y, batch_size=16, epochs=150, verbose=0)
    loss, acc = model.evaluate(x, y)
    assert acc >= 0.95 and loss < 0.1


def test_gru_learns_the_adding_problem():
    rng = np.random.RandomState(0)
    x, y = adding_problem(256, 6, rng)
    x_test, y_test = adding_problem(200, 6, rng)
    np.random.seed(0)
    model = Sequential([GRU(16, input_shape=(6, 2)), Dense(1)], seed=1)
    model.compile(optimizers.Adam(lr=0.01), "mse")
    history = model.fit(x, y, batch_size=16, epochs=40, verbose=0,
                        validation_data=(x_test, y_test))
    # Predicting the mean gives the variance of the sum, 2/12 = 0.167.
    assert history.history["val_loss"][-1] < 0.01
    assert model.evaluate(x_test, y_test) < 0.01


def test_lstm_with_dropout_learns_xor_of_first_and_last_bit():
    x, bits = bit_strings(6, repeat=4)
    y = bits[:, 0] ^ bits[:, -1]
    np.random.seed(0)
    model = Sequential([LSTM(16, input_shape=(6, 1), dropout=0.1,
                             recurrent_dropout=0.1, seed=1),
                        Dropout(0.1, seed=2),
                        Dense(1, activation="sigmoid")], seed=3)
    model.compile(optimizers.Adam(lr=0.02), "binary_crossentropy",
                  metrics=["acc"])
    history = model.fit(x, y, batch_size=16, epochs=100, verbose=0)
    assert model.evaluate(x, y)[1] >= 0.95
    # Dropout is on while training: the logged training loss (dropout on)
    # is clearly above the loss of the deterministic graph.
    assert history.history["loss"][-1] > 2 * model.evaluate(x, y)[0]


# -- reproducibility -----------------------------------------------------------

def _dropout_run(np_seed, model_seed):
    x, bits = bit_strings(4)
    np.random.seed(np_seed)
    model = Sequential([LSTM(4, input_shape=(4, 1), dropout=0.2,
                             recurrent_dropout=0.2),
                        Dense(1, activation="sigmoid")], seed=model_seed)
    model.compile("adam", "binary_crossentropy")
    model.fit(x, bits[:, 1], batch_size=5, epochs=3, verbose=0)
    return model.get_weights()


def test_same_seeds_give_identical_weights_and_other_seeds_do_not():
    # np.random seeds the initial weights, the dropout streams and (without
    # a model seed) the shuffling.
    first, second = _dropout_run(7, None), _dropout_run(7, None)
    for a, b in zip(first, second):
        np.testing.assert_array_equal(a, b)
    other = _dropout_run(8, None)
    assert not np.array_equal(first[0], other[0])
    # The model's own seed changes only the shuffling.
    assert not np.array_equal(_dropout_run(7, 5)[0], first[0])


# -- checking user input ---------------------------------------------------------

def test_training_before_compile_is_a_runtime_error(data):
    with pytest.raises(RuntimeError, match="compile"):
        lstm_classifier().fit(*data, verbose=0)


@pytest.mark.parametrize("x, y, kwargs, message", [
    (np.zeros((16, 4, 1)), np.zeros(15), {}, "x and y .* 16 and 15"),
    (np.zeros((16, 4)), np.zeros(16), {}, "x: expected a 3-D array"),
    (np.zeros((16, 4, 2)), np.zeros(16), {}, "x: expected shape"),
    (np.full((16, 4, 1), np.nan), np.zeros(16), {}, "x: contains NaN"),
    (np.zeros((16, 4, 1)), np.full(16, np.inf), {}, "y: contains NaN"),
    (np.full((16, 4, 1), "a"), np.zeros(16), {}, "x: expected a numeric"),
    ([[[0]], [[0], [1]]], [0, 1], {}, "x: could not make a numeric array"),
    (np.zeros((16, 4, 1)), np.zeros((16, 2)), {}, r"y: expected targets"),
    (np.zeros((0, 4, 1)), np.zeros(0), {}, "x: got no samples"),
    (None, np.zeros(16), {}, "x: an array is required"),
    (np.zeros((16, 4, 1)), np.zeros(16), {"batch_size": 0}, "batch_size"),
    (np.zeros((16, 4, 1)), np.zeros(16), {"batch_size": 2.5}, "batch_size"),
    (np.zeros((16, 4, 1)), np.zeros(16), {"epochs": -1}, "epochs"),
    (np.zeros((16, 4, 1)), np.zeros(16), {"verbose": 3}, "verbose"),
    (np.zeros((16, 4, 1)), np.zeros(16), {"validation_split": 1.0},
     "validation_split"),
    (np.zeros((1, 4, 1)), np.zeros(1), {"validation_split": 0.5},
     "validation_split=0.5 of 1 samples leaves 0 to train"),
    (np.zeros((16, 4, 1)), np.zeros(16),
     {"validation_data": (np.zeros((2, 4, 3)), np.zeros(2))},
     r"validation_data\[0\]"),
    (np.zeros((16, 4, 1)), np.zeros(16), {"callbacks": callbacks.History()},
     "callbacks"),
])
def test_fit_rejects_bad_input_naming_the_argument(compiled, x, y, kwargs,
                                                   message):
    before = compiled.get_weights()
    with pytest.raises(ValueError, match=message):
        compiled.fit(x, y, **dict({"verbose": 0}, **kwargs))
    for a, b in zip(before, compiled.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_evaluate_and_predict_check_their_input(compiled):
    with pytest.raises(ValueError, match="x: expected shape"):
        compiled.predict(np.zeros((3, 5, 1)))
    with pytest.raises(ValueError, match="batch_size"):
        compiled.predict(np.zeros((3, 4, 1)), batch_size=0)
    with pytest.raises(ValueError, match="y: expected targets"):
        compiled.evaluate(np.zeros((3, 4, 1)), np.zeros((3, 4)))


@pytest.mark.parametrize("kwargs, message", [
    ({"loss": "no_such_loss", "optimizer": "adam"}, "loss 'no_such_loss'"),
    ({"loss": None, "optimizer": "adam"}, "loss is required"),
    ({"loss": "mse", "optimizer": "no_such_opt"}, "optimizer 'no_such_opt'"),
    ({"loss": "mse", "optimizer": "adam", "metrics": ["no_such_metric"]},
     "metric 'no_such_metric'"),
    ({"loss": "mse", "optimizer": "adam", "metrics": "acc"}, "metrics"),
    ({"loss": "mse", "optimizer": "adam", "metrics": ["acc", "acc"]},
     "metrics: the name 'acc' appears twice"),
])
def test_compile_rejects_unknown_names(kwargs, message):
    with pytest.raises(ValueError, match=message):
        lstm_classifier().compile(**kwargs)


def test_a_model_without_input_shape_cannot_predict():
    model = Sequential([LSTM(4), Dense(1)])
    with pytest.raises(ValueError, match="input_shape"):
        model.predict(np.zeros((2, 4, 1)))
    with pytest.raises(ValueError, match="no layers"):
        Sequential().predict(np.zeros((2, 4, 1)))


def test_embedding_models_check_token_ids():
    model = Sequential([Embedding(5, 2, input_length=3), LSTM(2)])
    with pytest.raises(ValueError, match=r"x: token ids must lie in \[0, 5\)"):
        model.predict(np.array([[1, 2, 5]]))
    with pytest.raises(ValueError, match="x: token ids must be integers"):
        model.predict(np.array([[1, 2, 0.5]]))
    assert model.predict(np.array([[1, 2, 4.0]])).shape == (1, 2)


def test_add_rejects_what_a_sequential_model_cannot_hold():
    with pytest.raises(ValueError, match="expected a theano_rnn layer"):
        Sequential().add("lstm")
    with pytest.raises(ValueError, match="return_state"):
        Sequential([LSTM(2, input_shape=(3, 1), return_state=True)])
