"""The functional API and the engine both model kinds share: graphs of
layer calls, shared layers, several inputs and outputs, nested models,
masks through graphs, configs and files, sample and class weights, and
Keras's compile/fit signatures."""
import json
import warnings

import numpy as np
import pytest
from theano_rnn.runtime import theano, T

from theano_rnn import legacy, optimizers
from theano_rnn.layers import (LSTM, Dense, Dropout, Embedding, GRU, Input,
                               InputLayer, Layer, SimpleRNN)
from theano_rnn.models import (Model, Sequential, load_model,
                               model_from_config, model_from_json)


class Sum(Layer):
    """A tiny merge layer for these tests: the elementwise sum of its
    inputs (the merge layers proper live on another branch)."""

    supports_masking = True

    def call(self, inputs, mask=None, training=False):
        total = inputs[0]
        for x in inputs[1:]:
            total = total + x
        return total

    def compute_output_shape(self, input_shape):
        return input_shape[0]

    def compute_mask(self, inputs, mask=None):
        return None


class NoMasks(Layer):
    """The identity, without mask support."""

    def call(self, inputs, mask=None, training=False):
        return inputs


def copy_weights(source, target):
    target.set_weights(source.get_weights())


# -- functional models against Sequential --------------------------------------

def test_a_functional_model_predicts_and_trains_like_the_sequential(float64):
    np.random.seed(0)
    sequential = Sequential([Embedding(12, 4, input_length=6, mask_zero=True),
                             LSTM(5), Dense(1, activation="sigmoid")])
    tokens = Input(shape=(6,), dtype="int32")
    h = LSTM(5)(Embedding(12, 4, mask_zero=True)(tokens))
    functional = Model(inputs=tokens, outputs=Dense(1, activation="sigmoid")(h))
    copy_weights(sequential, functional)
    x = np.random.RandomState(1).randint(1, 12, (5, 6))
    x[:2, :3] = 0                                       # padding, masked
    y = np.array([0, 1, 1, 0, 1])
    np.testing.assert_allclose(functional.predict(x), sequential.predict(x),
                               rtol=1e-12)
    for model in (sequential, functional):
        model.compile(optimizers.SGD(lr=0.5), "binary_crossentropy")
    assert functional.train_on_batch(x, y) == pytest.approx(
        sequential.train_on_batch(x, y), rel=1e-12)
    for a, b in zip(functional.get_weights(), sequential.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-12)


def test_the_mask_flows_through_the_graph(float64):
    """Padding with id 0 changes nothing: the LSTM skips masked steps."""
    tokens = Input(shape=(None,), dtype="int32")
    model = Model(tokens, LSTM(3)(Embedding(9, 2, mask_zero=True)(tokens)))
    short = np.array([[4, 5, 6]])
    padded = np.array([[0, 0, 4, 5, 6]])
    np.testing.assert_allclose(model.predict(padded), model.predict(short),
                               rtol=1e-12)


def test_a_layer_without_mask_support_refuses_a_mask():
    tokens = Input(shape=(4,), dtype="int32")
    embedded = Embedding(9, 2, mask_zero=True)(tokens)
    with pytest.raises(TypeError, match="does not support masking"):
        NoMasks(name="plain")(embedded)


def test_layer_outputs_are_theano_variables_of_the_inference_graph(float64):
    x = Input(shape=(3,))
    dense = Dense(2, name="d")
    y = Dropout(0.5)(dense(x))
    f = theano.function([x], [dense.output, y])
    value = np.ones((4, 3))
    hidden, out = f(value)
    np.testing.assert_allclose(out, hidden)            # no dropout: inference
    assert y._keras_shape == (None, 2)
    assert dense.input is x and dense.input_shape == (None, 3)
    assert dense.output_shape == (None, 2)


# -- shared layers ---------------------------------------------------------------

def test_a_layer_called_twice_shares_its_weights_and_sums_gradients(float64):
    a, b = Input(shape=(3,)), Input(shape=(3,))
    shared = Dense(1, use_bias=False, name="shared")
    model = Model([a, b], Sum()([shared(a), shared(b)]))
    assert len(model.weights) == 1 and len(shared.inbound_nodes) == 2
    rng = np.random.RandomState(2)
    xa, xb, y = rng.randn(4, 3), rng.randn(4, 3), rng.randn(4, 1)
    w = shared.get_weights()[0]
    model.compile(optimizers.SGD(lr=0.1), "mse")
    model.train_on_batch([xa, xb], y)
    residual = (xa + xb).dot(w) - y
    gradient = 2.0 / len(y) * (xa + xb).T.dot(residual)   # both calls' terms
    np.testing.assert_allclose(shared.get_weights()[0], w - 0.1 * gradient,
                               rtol=1e-10)
    with pytest.raises(AttributeError, match="multiple inbound nodes"):
        shared.output


# -- several inputs and outputs -------------------------------------------------

def two_headed(float_inputs=True):
    a = Input(shape=(3,), name="a")
    b = Input(shape=(2,), name="b")
    first = Dense(1, name="first")(a)
    second = Dense(2, name="second")(Sum()([Dense(2)(a), b]))
    return Model(inputs=[a, b], outputs=[first, second])


def test_loss_weights_and_per_output_losses_match_numpy(float64):
    model = two_headed()
    model.compile("sgd", loss={"first": "mse", "second": "mae"},
                  loss_weights={"first": 0.3, "second": 2.0},
                  metrics={"second": ["mse"]})
    assert model.metrics_names == ["loss", "first_loss", "second_loss",
                                   "second_mse"]
    rng = np.random.RandomState(3)
    xa, xb = rng.randn(6, 3), rng.randn(6, 2)
    y1, y2 = rng.randn(6, 1), rng.randn(6, 2)
    p1, p2 = model.predict({"a": xa, "b": xb})
    mse = np.mean((p1 - y1) ** 2)
    mae = np.mean(np.abs(p2 - y2))
    expected = [0.3 * mse + 2.0 * mae, mse, mae, np.mean((p2 - y2) ** 2)]
    np.testing.assert_allclose(model.evaluate([xa, xb], [y1, y2]), expected,
                               rtol=1e-10)
    np.testing.assert_allclose(
        model.evaluate({"a": xa, "b": xb}, {"second": y2, "first": y1}),
        expected, rtol=1e-10)
    history = model.fit({"a": xa, "b": xb}, [y1, y2], epochs=2, batch_size=3,
                        verbose=0, validation_split=0.5)
    assert set(history.history) == {
        "loss", "first_loss", "second_loss", "second_mse", "val_loss",
        "val_first_loss", "val_second_loss", "val_second_mse"}


def test_multi_output_data_is_checked_by_name():
    model = two_headed()
    model.compile("sgd", ["mse", "mse"])
    x = [np.zeros((2, 3)), np.zeros((2, 2))]
    with pytest.raises(ValueError, match="the outputs are"):
        model.evaluate(x, {"first": np.zeros((2, 1))})
    with pytest.raises(ValueError, match=r"y\[1\]: expected targets"):
        model.evaluate(x, [np.zeros((2, 1)), np.zeros((2, 3))])
    with pytest.raises(ValueError, match="2 input"):
        model.predict(np.zeros((2, 3)))
    with pytest.raises(ValueError, match="loss: the model has 2 output"):
        model.compile("sgd", ["mse"])
    with pytest.raises(ValueError, match="unknown output name"):
        model.compile("sgd", {"first": "mse", "third": "mse"})
    with pytest.raises(ValueError, match=r"loss: no entry for output\(s\) "
                                         r"\['second'\]"):
        model.compile("sgd", {"first": "mse"})
    with pytest.raises(ValueError, match="no loss for output 'second'"):
        model.compile("sgd", ["mse", None])


# -- return_state and nested models -------------------------------------------

def test_return_state_outputs_the_final_states_in_a_graph(float64):
    x = Input(shape=(4, 2))
    output, h, c = LSTM(3, return_state=True)(x)
    assert h._keras_shape == (None, 3) and c._keras_shape == (None, 3)
    model = Model(x, [output, h, c])
    value = np.random.RandomState(4).randn(2, 4, 2)
    out, h_value, c_value = model.predict(value)
    np.testing.assert_allclose(out, h_value)
    assert c_value.shape == (2, 3) and not np.allclose(c_value, h_value)


def test_a_model_nested_as_a_layer(float64):
    inner_input = Input(shape=(3,))
    inner = Model(inner_input, Dense(2, activation="tanh")(inner_input),
                  name="inner")
    x = Input(shape=(3,))
    outer = Model(x, Dense(1)(inner(x)))
    assert outer.layers[1] is inner and len(outer.weights) == 4
    value = np.random.RandomState(5).randn(4, 3)
    k1, b1, k2, b2 = outer.get_weights()
    expected = np.tanh(value.dot(k1) + b1).dot(k2) + b2
    np.testing.assert_allclose(outer.predict(value), expected, rtol=1e-10)
    outer.compile("sgd", "mse")
    outer.train_on_batch(value, np.ones((4, 1)))
    assert not np.allclose(inner.get_weights()[0], k1)  # trained through
    config = json.loads(outer.to_json())["config"]
    nested = config["layers"][1]
    assert nested["class_name"] == "Model" and nested["inbound_nodes"] == [
        [[x._keras_history[0].name, 0, 0, {}]]]
    assert outer.get_config()["output_layers"][0][1] == 0
    rebuilt = model_from_json(outer.to_json())
    rebuilt.set_weights(outer.get_weights())
    np.testing.assert_allclose(rebuilt.predict(value), outer.predict(value))


# -- configs and files ----------------------------------------------------------

def test_config_round_trip_in_keras_format(float64):
    model = two_headed()
    config = model.get_config()
    assert config["input_layers"] == [["a", 0, 0], ["b", 0, 0]]
    assert config["output_layers"] == [["first", 0, 0], ["second", 0, 0]]
    a_spec = config["layers"][0]
    assert a_spec["class_name"] == "InputLayer" and \
        a_spec["config"] == {"batch_input_shape": [None, 3],
                             "dtype": theano.config.floatX,
                             "sparse": False, "name": "a"}
    rebuilt = model_from_config({"class_name": "Model",
                                 "config": json.loads(json.dumps(config))},
                                custom_objects={"Sum": Sum})
    assert rebuilt.get_config() == config
    rebuilt.set_weights(model.get_weights())
    x = [np.ones((2, 3)), np.ones((2, 2))]
    for p, q in zip(rebuilt.predict(x), model.predict(x)):
        np.testing.assert_array_equal(p, q)


def test_a_multi_io_model_saves_and_loads_identically(tmp_path):
    model = two_headed()
    model.compile("adam", ["mse", "mae"], loss_weights=[1.0, 0.5])
    rng = np.random.RandomState(6)
    x = [rng.randn(4, 3), rng.randn(4, 2)]
    y = [rng.randn(4, 1), rng.randn(4, 2)]
    model.fit(x, y, epochs=1, verbose=0)
    path = str(tmp_path / "two.npz")
    model.save(path)
    loaded = load_model(path, custom_objects={"Sum": Sum})
    assert isinstance(loaded, Model) and loaded.output_names == [
        "first", "second"]
    for p, q in zip(loaded.predict(x), model.predict(x)):
        np.testing.assert_array_equal(p, q)
    assert loaded.evaluate(x, y) == model.evaluate(x, y)
    assert loaded.train_on_batch(x, y) == model.train_on_batch(x, y)


def test_sequential_weights_load_into_the_functional_model(tmp_path):
    sequential = Sequential([Dense(3, input_shape=(2,)), Dense(1)])
    x = Input(shape=(2,))
    functional = Model(x, Dense(1)(Dense(3)(x)))
    path = str(tmp_path / "w.npz")
    sequential.save_weights(path)
    functional.load_weights(path)
    value = np.ones((2, 2))
    np.testing.assert_array_equal(functional.predict(value),
                                  sequential.predict(value))


# -- bad input -------------------------------------------------------------------

def test_a_layer_called_on_an_array_names_the_layer():
    with pytest.raises(ValueError, match="Layer dense_x was called with an "
                                         "input that isn't a symbolic"):
        Dense(2, name="dense_x")(np.zeros((3, 4)))


def test_a_wrong_rank_or_size_names_the_layer_and_the_shapes():
    with pytest.raises(ValueError, match=r"layer rnn_x: expected ndim=3, "
                                         r"found ndim=2 \(input shape "
                                         r"\(None, 4\)\)"):
        SimpleRNN(2, name="rnn_x")(Input(shape=(4,)))
    dense = Dense(2, name="dense_y")
    dense(Input(shape=(4,)))
    with pytest.raises(ValueError, match=r"dense_y: expected axis -1 of "
                                         r"input shape to have value 4 but "
                                         r"got shape \(None, 5\)"):
        dense(Input(shape=(5,)))


def test_a_disconnected_graph_names_the_missing_tensor():
    a, b = Input(shape=(2,), name="in_a"), Input(shape=(2,), name="in_b")
    out = Sum()([a, b])
    with pytest.raises(ValueError, match="Graph disconnected: cannot obtain "
                                         "value for tensor in_b"):
        Model(a, out)


def test_two_layers_with_one_name_are_refused():
    x = Input(shape=(2,))
    y = Dense(2, name="twin")(Dense(2, name="twin")(x))
    with pytest.raises(ValueError, match="The name 'twin' is used 2 times"):
        Model(x, y)


def test_model_inputs_must_come_from_input():
    x = Input(shape=(2,))
    hidden = Dense(2)(x)
    with pytest.raises(ValueError, match="must come from Input"):
        Model(hidden, Dense(1)(hidden))


# -- structure -------------------------------------------------------------------

def test_layers_get_layer_summary_and_keras1_names():
    a = Input(shape=(3,), name="a")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model = Model(input=a, output=Dense(1, name="out")(a))
    assert [str(w.message) for w in caught] == [
        "Model: `%s` is a Keras 1 argument, converted to `%ss`; update the "
        "call to the Keras 2 name" % (name, name)
        for name in ("input", "output")]
    assert [l.name for l in model.layers] == ["a", "out"]
    assert model.get_layer("out") is model.get_layer(index=1)
    assert model.input is a and isinstance(model.layers[0], InputLayer)
    with pytest.raises(ValueError, match="No such layer: nope"):
        model.get_layer("nope")
    lines = []
    model.summary(print_fn=lines.append)
    text = "\n".join(lines)
    assert "Connected to" in text and "a[0][0]" in text


# -- sample and class weights ---------------------------------------------------

def linear_model():
    x = Input(shape=(2,))
    model = Model(x, Dense(1)(x))
    model.compile("sgd", "mse")
    return model


def test_sample_weights_weight_the_loss_as_keras_does(float64):
    model = linear_model()
    rng = np.random.RandomState(7)
    x, y = rng.randn(5, 2), rng.randn(5, 1)
    weights = np.array([1.0, 0.0, 2.0, 0.5, 0.0])
    per_sample = ((model.predict(x) - y) ** 2)[:, 0]
    expected = np.mean(per_sample * weights) / np.mean(weights != 0)
    assert model.evaluate(x, y, sample_weight=weights) == pytest.approx(
        expected, rel=1e-10)
    assert model.test_on_batch(x, y, sample_weight=weights) == \
        pytest.approx(expected, rel=1e-10)
    assert model.evaluate(x, y) == pytest.approx(np.mean(per_sample))


def test_class_weights_weight_each_sample_by_its_class(float64):
    x = Input(shape=(2,))
    model = Model(x, Dense(1, activation="sigmoid")(x))
    model.compile("sgd", "binary_crossentropy")
    rng = np.random.RandomState(8)
    data, labels = rng.randn(6, 2), np.array([0, 1, 1, 0, 1, 1])
    p = model.predict(data)[:, 0]
    per_sample = -(labels * np.log(p) + (1 - labels) * np.log(1 - p))
    weights = np.where(labels == 1, 3.0, 1.0)
    before = model.get_weights()
    loss = model.train_on_batch(data, labels, class_weight={0: 1.0, 1: 3.0})
    assert loss == pytest.approx(np.mean(per_sample * weights), rel=1e-10)
    assert not np.allclose(model.get_weights()[0], before[0])
    with pytest.raises(ValueError, match="must contain all classes"):
        model.train_on_batch(data, labels, class_weight={0: 1.0})


def test_temporal_sample_weights_weight_each_step(float64):
    x = Input(shape=(3, 2))
    model = Model(x, SimpleRNN(1, return_sequences=True)(x))
    model.compile("sgd", "mse", sample_weight_mode="temporal")
    rng = np.random.RandomState(9)
    data, target = rng.randn(2, 3, 2), rng.randn(2, 3, 1)
    weights = np.array([[1.0, 0.0, 2.0], [0.5, 1.0, 0.0]])
    per_step = ((model.predict(data) - target) ** 2)[..., 0]
    expected = np.mean(per_step * weights) / np.mean(weights != 0)
    assert model.evaluate(data, target, sample_weight=weights) == \
        pytest.approx(expected, rel=1e-10)
    with pytest.raises(ValueError, match=r"sample_weight: expected weights "
                                         r"of shape \(2, 3\)"):
        model.evaluate(data, target, sample_weight=np.ones(2))


# -- Keras's signatures ----------------------------------------------------------

def test_compile_takes_the_optimizer_first():
    model = linear_model()
    model.compile(optimizers.SGD(lr=0.1), "mae")
    assert model.loss.__name__ == "mean_absolute_error"
    assert isinstance(model.optimizer, optimizers.SGD)


def test_a_loss_given_first_is_taken_with_a_warning_naming_keras_order():
    model = linear_model()
    with pytest.warns(UserWarning, match=r"Keras's order is "
                                         r"compile\(optimizer, loss\)"):
        model.compile("mae", "adam")
    assert model.loss.__name__ == "mean_absolute_error"
    assert isinstance(model.optimizer, optimizers.Adam)
    with pytest.raises(ValueError, match=r"'mse' is a loss, given as the "
                                         r"optimizer; Keras's order"):
        model.compile("mse")


def test_nb_epoch_is_keras1s_epochs():
    model = linear_model()
    x, y = np.zeros((4, 2)), np.zeros((4, 1))
    with pytest.warns(legacy.LegacyArgumentWarning,
                      match="fit: `nb_epoch` is a Keras 1 argument, "
                            "converted to `epochs`"):
        history = model.fit(x, y, nb_epoch=2, verbose=0)
    assert len(history.history["loss"]) == 2
    with pytest.raises(TypeError, match="both the Keras 1 argument `nb_epoch`"
                                        " and its Keras 2 name `epochs`"):
        model.fit(x, y, epochs=3, nb_epoch=2, verbose=0)
    with pytest.raises(TypeError, match="unexpected argument.*no_such"):
        model.fit(x, y, no_such=1)


def test_predict_classes_and_proba_on_sequential():
    model = Sequential([Dense(3, activation="softmax", input_shape=(2,))])
    x = np.random.RandomState(10).randn(5, 2)
    proba = model.predict_proba(x)
    np.testing.assert_array_equal(model.predict_classes(x),
                                  proba.argmax(axis=-1))
    binary = Sequential([Dense(1, activation="sigmoid", input_shape=(2,))])
    classes = binary.predict_classes(x)
    assert classes.dtype == np.int32 and classes.shape == (5, 1)
    np.testing.assert_array_equal(classes, binary.predict(x) > 0.5)


def test_a_lazily_built_sequential_still_works():
    model = Sequential()
    model.add(GRU(2, input_shape=(3, 1)))
    model.add(Dense(1))
    assert model.input_shape == (None, 3, 1) and model.output_shape == (None,
                                                                        1)
    assert [l.name for l in model.layers][-1] == model.layers[1].name
    model.add(Dense(2))                       # grows after being built
    assert model.predict(np.zeros((2, 3, 1))).shape == (2, 2)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model.compile("sgd", "mse")


def test_a_model_file_written_by_the_previous_version_loads_and_resumes():
    """tests/data/model_v1_sequential.npz was written by theano_rnn before
    the engine became a package (models.py): Sequential([Embedding(6, 3,
    input_length=4, mask_zero=True), LSTM(3), Dense(1, 'sigmoid')],
    seed=4), compiled with adam and binary_crossentropy, fit for 2 epochs
    (batch_size=2) after np.random.seed(0), saved with its data and
    predictions as metadata; that run then fit one more epoch, ending with
    the Dense bias and the loss checked here."""
    import os
    path = os.path.join(os.path.dirname(__file__), "data",
                        "model_v1_sequential.npz")
    model = load_model(path)
    assert isinstance(model, Sequential) and model.metrics_names == [
        "loss", "acc"]
    x, y = np.array(model.metadata["x"]), np.array(model.metadata["y"])
    np.testing.assert_allclose(model.predict(x).ravel(),
                               model.metadata["prediction"], rtol=1e-6)
    model.fit(x, y, batch_size=2, epochs=1, verbose=0)
    assert model.get_weights()[-1][0] == pytest.approx(-0.0014372766017913818,
                                                       rel=1e-5)
    assert model.evaluate(x, y)[0] == pytest.approx(0.692875325679779,
                                                    rel=1e-6)


def test_a_sequential_nested_in_a_sequential_and_in_a_graph(float64):
    inner = Sequential([Embedding(7, 2, input_length=3), GRU(2)])
    outer = Sequential([inner, Dense(1)])
    assert outer.input_shape == (None, 3) and outer.input.dtype == "int32"
    tokens = np.array([[1, 2, 3], [4, 5, 6]])
    k, b = outer.layers[1].get_weights()
    np.testing.assert_allclose(outer.predict(tokens),
                               inner.predict(tokens).dot(k) + b, rtol=1e-10)
    x = Input(shape=(3,), dtype="int32")
    graph = Model(x, outer(x))
    np.testing.assert_allclose(graph.predict(tokens), outer.predict(tokens),
                               rtol=1e-12)


def test_the_generator_methods_match_the_array_methods(float64):
    model = linear_model()
    rng = np.random.RandomState(11)
    x, y = rng.randn(6, 2), rng.randn(6, 1)

    def batches():
        while True:
            for start in (0, 3):
                yield x[start:start + 3], y[start:start + 3]

    assert model.evaluate_generator(batches(), steps=2) == pytest.approx(
        model.evaluate(x, y), rel=1e-12)
    np.testing.assert_allclose(model.predict_generator(batches(), steps=2),
                               model.predict(x))
    reference = linear_model()
    reference.set_weights(model.get_weights())
    history = model.fit_generator(batches(), steps_per_epoch=2, epochs=2,
                                  verbose=0, validation_data=batches(),
                                  validation_steps=2)
    reference.fit(x, y, batch_size=3, epochs=2, shuffle=False, verbose=0)
    for a, b in zip(model.get_weights(), reference.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-12)
    assert len(history.history["val_loss"]) == 2
    with pytest.warns(legacy.LegacyArgumentWarning) as caught:
        keras1 = model.fit_generator(batches(), samples_per_epoch=2,
                                     nb_epoch=1, nb_worker=1, verbose=0)
    assert len(keras1.history["loss"]) == 1 and len(caught) == 3
    with pytest.raises(ValueError, match="steps_per_epoch is required"):
        model.fit_generator(batches())
    with pytest.raises(ValueError, match="should be a tuple"):
        model.fit_generator(iter([x]), steps_per_epoch=1, verbose=0)


class PenalisedDense(Dense):
    """Dense with a penalty 0.5 * sum(kernel ** 2) added to the loss and
    its kernel clipped to [-0.01, 0.01] after each update (the ``losses``
    and ``constraints`` hooks, as regularizers and constraints use them)."""

    @property
    def losses(self):
        return [0.5 * T.sum(T.sqr(self.kernel))]

    @property
    def constraints(self):
        return {self.kernel: lambda value: T.clip(value, -0.01, 0.01)}


def test_layer_losses_join_the_loss_and_constraints_bind_the_update(float64):
    x = Input(shape=(2,))
    layer = PenalisedDense(1, use_bias=False)
    model = Model(x, layer(x))
    model.compile(optimizers.SGD(lr=1.0), "mse")
    rng = np.random.RandomState(12)
    data, target = rng.randn(4, 2), rng.randn(4, 1)
    kernel = layer.get_weights()[0]
    expected = np.mean((data.dot(kernel) - target) ** 2) + \
        0.5 * np.sum(kernel ** 2)
    assert model.evaluate(data, target) == pytest.approx(expected, rel=1e-10)
    assert model.train_on_batch(data, target) == pytest.approx(expected,
                                                               rel=1e-10)
    assert np.abs(layer.get_weights()[0]).max() <= 0.01


def test_a_sequential_built_from_an_input_shape_keeps_it_in_its_config():
    model = Sequential([Dense(2)])
    model.build((None, 3))
    config = model.get_config()
    assert config["build_input_shape"] == [None, 3]
    assert Sequential.from_config(config).output_shape == (None, 2)


def test_a_mask_flows_into_a_nested_model(float64):
    steps = Input(shape=(None, 2))
    inner = Model(steps, LSTM(3)(steps))
    tokens = Input(shape=(None,), dtype="int32")
    model = Model(tokens, inner(Embedding(9, 2, mask_zero=True)(tokens)))
    np.testing.assert_allclose(model.predict(np.array([[0, 0, 4, 5]])),
                               model.predict(np.array([[4, 5]])), rtol=1e-12)


def test_a_stateful_layer_in_a_graph_carries_its_states(float64):
    x = Input(batch_shape=(2, 3, 1))
    model = Model(x, SimpleRNN(2, stateful=True)(x))
    data = np.random.RandomState(13).randn(2, 3, 1)
    first = model.predict(data, batch_size=2)
    assert not np.allclose(model.predict(data, batch_size=2), first)
    model.reset_states()
    np.testing.assert_allclose(model.predict(data, batch_size=2), first)
    with pytest.raises(ValueError, match="batch_size: the model is stateful"):
        model.predict(data, batch_size=1)


class SumOfInputs(Layer):
    """A custom layer on a list of tensors returning one tensor, with the
    base class's compute_output_shape (the list of input shapes)."""

    def call(self, inputs, mask=None, training=False):
        return inputs[0] + inputs[1]


def test_a_custom_layer_on_a_list_returning_one_tensor_gives_a_tensor(
        float64):
    a, b = Input(shape=(3,)), Input(shape=(3,))
    total = SumOfInputs()([a, b])
    assert not isinstance(total, list) and total._keras_shape == (None, 3)
    model = Model([a, b], total)
    np.testing.assert_allclose(model.predict([np.ones((2, 3)),
                                              np.ones((2, 3))]), 2.0)


def test_predict_checks_inputs_against_the_model_inputs_shape():
    """A layer built for one shape and called again on a model input of
    another rank (Keras: the model's input decides)."""
    dense = Dense(4)
    dense(Input(shape=(3,)))
    x = Input(shape=(2, 3))
    model = Model(x, dense(x))
    assert model.predict(np.ones((5, 2, 3))).shape == (5, 2, 4)
    ids = Input(shape=(2, 5), dtype="int32")
    words = Model(ids, Embedding(10, 4)(ids))
    assert words.predict(np.zeros((3, 2, 5), "int32")).shape == (3, 2, 5, 4)
    with pytest.raises(ValueError, match=r"token ids must lie in \[0, 10\)"):
        words.predict(np.full((3, 2, 5), 10, "int32"))


def test_initial_weights_given_to_a_layer_are_set_when_it_is_built(float64):
    matrix = np.arange(30.0).reshape(10, 3)
    embedding = Embedding(10, 3, weights=[matrix], input_length=4)
    model = Sequential([embedding, LSTM(2)])
    model.compile("adam", "mse")
    np.testing.assert_array_equal(embedding.get_weights()[0], matrix)
    assert "weights" not in embedding.get_config()
    kernel, bias = np.ones((3, 2)), np.zeros(2)
    x = Input(shape=(3,))
    model = Model(x, Dense(2, weights=[kernel, bias])(x))
    np.testing.assert_allclose(model.predict(np.ones((1, 3))), [[3.0, 3.0]])
    with pytest.raises(ValueError, match="dense_wrong.*shape"):
        Dense(2, weights=[np.ones((4, 2)), bias], name="dense_wrong")(x)


def test_a_recurrent_layer_takes_initial_weights(float64):
    weights = [np.full((2, 12), 0.1), np.eye(3, 12), np.zeros(12)]
    layer = LSTM(3, weights=weights)
    x = Input(shape=(4, 2))
    Model(x, layer(x))
    for got, want in zip(layer.get_weights(), weights):
        np.testing.assert_array_equal(got, want)
