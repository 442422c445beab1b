"""Keras HDF5 files in and out (theano_rnn.hdf5).

The files in tests/data/keras_h5/ were written by Keras 2.3.1 and Keras
1.2.2 themselves (scripts/make_keras_h5_fixtures.py), in float64, with
Keras's predictions beside them; theano_rnn must predict the same to 1e-5.
"""
import builtins
import json
import os
import shutil
import warnings
import zipfile

import numpy as np
import pytest

h5py = pytest.importorskip("h5py", reason="h5py is not installed (pip "
                           "install \"theano_rnn[h5]\")")

from theano_rnn import hdf5  # noqa: E402
from theano_rnn.layers import (GRU, LSTM, Bidirectional, Dense,  # noqa: E402
                               Embedding, SimpleRNN)
from theano_rnn.models import Sequential  # noqa: E402
from theano_rnn.saving import ModelFileError  # noqa: E402

DATA = os.path.join(os.path.dirname(__file__), "data", "keras_h5")


def fixture(name):
    expected = np.load(os.path.join(DATA, name + ".npz"))
    return os.path.join(DATA, name + ".h5"), expected["x"], expected["y"]


# -- Keras's files predict the same ----------------------------------------

@pytest.mark.parametrize("name", [
    "simple_rnn", "lstm", "gru", "gru_reset_after", "bidirectional",
    "stacked", "masked",
    "keras1_lstm", "keras1_lstm_gpu", "keras1_gru", "keras1_bidirectional",
    "keras1_masked"])
def test_keras_model_file_predicts_as_keras(float64, name):
    path, x, y = fixture(name)
    model = hdf5.load_model(path, compile=False)
    np.testing.assert_allclose(model.predict(x), y, rtol=0, atol=1e-5)


def test_keras2_file_is_compiled_with_its_optimizer_and_state(float64):
    path, x, y = fixture("lstm")
    model = hdf5.load_model(path)
    assert type(model.optimizer).__name__ == "Adam"
    assert np.isclose(float(model.optimizer.lr.get_value()), 0.01)
    assert model.metrics_names == ["loss", "mae"]
    with h5py.File(path, "r") as f:
        group = f["optimizer_weights"]
        saved = [np.asarray(group[n]) for n in group.attrs["weight_names"]]
    state = model.optimizer.get_weights()
    # Keras: iterations, 5 m, 5 v, 5 (1,)-shaped vhat placeholders.
    assert len(saved) == 16 and len(state) == 11
    assert int(state[0]) == int(saved[0]) == 2     # one epoch, two batches
    for ours, theirs in zip(state[1:], saved[1:11]):
        np.testing.assert_array_equal(ours, theirs)


@pytest.mark.parametrize("name,optimizer", [
    ("gru", "SGD"), ("gru_reset_after", "Nadam"), ("simple_rnn", "RMSprop")])
def test_keras2_optimizer_state_restored(float64, name, optimizer):
    path, _, _ = fixture(name)
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        model = hdf5.load_model(path)
    assert not [w for w in record if "optimizer" in str(w.message)]
    assert type(model.optimizer).__name__ == optimizer
    assert int(model.optimizer.get_weights()[0]) == 2


def test_keras1_state_in_another_order_starts_afresh_with_a_warning(float64):
    path, x, y = fixture("keras1_lstm")
    with pytest.warns(UserWarning, match="optimizer starts afresh"):
        model = hdf5.load_model(path)
    assert int(model.optimizer.get_weights()[0]) == 0


def test_fine_tuning_a_loaded_model_changes_weights_and_lowers_loss(float64):
    path, x, _ = fixture("stacked")
    model = hdf5.load_model(path)
    y = np.array([[1.0], [0.0], [1.0], [0.0]])
    before = model.get_weights()
    loss_before = model.evaluate(x, y)[0]
    model.fit(x, y, batch_size=4, epochs=5, verbose=0)
    assert any(not np.array_equal(a, b)
               for a, b in zip(before, model.get_weights()))
    assert model.evaluate(x, y)[0] < loss_before


# -- weights-only files ------------------------------------------------------

def test_save_weights_file_loads_into_the_same_architecture(float64):
    path, x, y = fixture("stacked_weights")
    model = Sequential([GRU(4, input_shape=(5, 2), return_sequences=True,
                            recurrent_activation="sigmoid"),
                        LSTM(3, return_sequences=True,
                             recurrent_activation="sigmoid"),
                        SimpleRNN(2), Dense(1, activation="sigmoid")])
    hdf5.load_weights(model, path)
    np.testing.assert_allclose(model.predict(x), y, atol=1e-5)


def test_keras1_save_weights_file(float64):
    path, x, y = fixture("keras1_gru_weights")
    model = Sequential([GRU(3, input_shape=(5, 2), return_sequences=True),
                        GRU(2), Dense(1)])
    hdf5.load_weights(model, path)
    np.testing.assert_allclose(model.predict(x), y, atol=1e-5)


def test_cudnn_weights_load_into_lstm_and_gru_reset_after(float64):
    path, x, y = fixture("cudnn_weights")
    model = Sequential([
        LSTM(3, input_shape=(5, 2), return_sequences=True,
             recurrent_activation="sigmoid"),
        GRU(2, reset_after=True, recurrent_activation="sigmoid"), Dense(1)])
    hdf5.load_weights(model, path)
    np.testing.assert_allclose(model.predict(x), y, atol=1e-5)


def test_cudnn_gru_weights_refused_by_gru_without_reset_after(float64):
    path, _, _ = fixture("cudnn_weights")
    model = Sequential([
        LSTM(3, input_shape=(5, 2), return_sequences=True),
        GRU(2, reset_after=False, name="plain_gru"), Dense(1)])
    with pytest.raises(ValueError, match="plain_gru.*reset_after=True"):
        hdf5.load_weights(model, path)


def _lstm_model(units=3, name="lstm_a"):
    return Sequential([LSTM(units, input_shape=(5, 2), name=name,
                            recurrent_activation="sigmoid"),
                       Dense(1, name="dense_a")])


def test_by_name_loads_matching_layers_only(float64, tmp_path):
    path, x, y = fixture("lstm_weights")
    with h5py.File(path, "r") as f:
        names = [hdf5._text(n) for n in f.attrs["layer_names"]]
    model = Sequential([LSTM(3, input_shape=(5, 2), name=names[0],
                             recurrent_activation="sigmoid"),
                        Dense(1, name="not_in_file")])
    dense_before = model.layers[1].get_weights()
    hdf5.load_weights(model, path, by_name=True)
    with h5py.File(path, "r") as f:
        group = f[names[0]]
        kernel = np.asarray(group[hdf5._text(group.attrs["weight_names"][0])])
    np.testing.assert_array_equal(model.layers[0].get_weights()[0], kernel)
    for a, b in zip(dense_before, model.layers[1].get_weights()):
        np.testing.assert_array_equal(a, b)


def test_by_name_skip_mismatch_warns_and_keeps_the_layer(float64):
    path, _, _ = fixture("lstm_weights")
    with h5py.File(path, "r") as f:
        names = [hdf5._text(n) for n in f.attrs["layer_names"]]
    model = Sequential([LSTM(4, input_shape=(5, 2), name=names[0]),
                        Dense(1, name=names[1])])
    model.build()
    before = model.layers[0].get_weights()
    with pytest.raises(ValueError, match=r"%s.*\(2, 16\).*\(2, 12\)"
                       % names[0]):
        hdf5.load_weights(model, path, by_name=True)
    with pytest.warns(UserWarning, match="skipping"):
        hdf5.load_weights(model, path, by_name=True, skip_mismatch=True)
    np.testing.assert_array_equal(before[0], model.layers[0].get_weights()[0])


# -- theano_rnn's own .h5 files ------------------------------------------------

def _small_model():
    model = Sequential([
        Embedding(7, 3, input_length=4, mask_zero=True),
        Bidirectional(LSTM(2, return_sequences=True)),
        GRU(2, reset_after=True), Dense(1, activation="sigmoid")])
    model.compile(loss="binary_crossentropy", optimizer="adam",
                  metrics=["acc"])
    return model


def _trained_and_saved(folder):
    """A small trained model and the .h5 file it was saved to."""
    model = _small_model()
    x = np.array([[0, 1, 2, 3], [0, 0, 4, 5]])
    model.fit(x, np.array([[1.0], [0.0]]), verbose=0)
    path = str(folder / "model.h5")
    hdf5.save_model(model, path)
    return model, x, path


def test_saved_h5_has_keras_layout(float64, tmp_path):
    model, x, path = _trained_and_saved(tmp_path)
    with h5py.File(path, "r") as f:
        assert hdf5._text(f.attrs["keras_version"]) == "2.3.1"
        assert hdf5._text(f.attrs["backend"]) == "theano"
        config = json.loads(hdf5._text(f.attrs["model_config"]))
        assert config["class_name"] == "Sequential"
        layers = config["config"]["layers"]
        assert [l["class_name"] for l in layers] == [
            "Embedding", "Bidirectional", "GRU", "Dense"]
        lstm = layers[1]["config"]["layer"]["config"]
        assert lstm["implementation"] == 2 and "seed" not in lstm
        assert "truncate_gradient" not in lstm
        training = json.loads(hdf5._text(f.attrs["training_config"]))
        assert training["optimizer_config"]["class_name"] == "Adam"
        assert "learning_rate" in training["optimizer_config"]["config"]
        assert training["loss"] == "binary_crossentropy"
        group = f["model_weights"]
        names = [hdf5._text(n) for n in group.attrs["layer_names"]]
        assert names == [l.name for l in model.layers]
        bi = model.layers[1]
        weight_names = [hdf5._text(n)
                        for n in group[bi.name].attrs["weight_names"]]
        assert weight_names[0] == "%s/forward_%s/kernel" % (
            bi.name, bi.forward_layer.name)
        assert weight_names[3] == "%s/backward_%s/kernel" % (
            bi.name, bi.forward_layer.name)
        for layer in model.layers:
            g = group[layer.name]
            shapes = [g[hdf5._text(n)].shape for n in g.attrs["weight_names"]]
            assert shapes == [w.get_value().shape for w in layer.weights]
        optimizer = f["optimizer_weights"]
        n_params = len(model.trainable_weights)
        # Keras's Adam: iterations, m and v per parameter, (1,) vhat each.
        assert len(optimizer.attrs["weight_names"]) == 1 + 3 * n_params


def test_saved_h5_loads_back_to_identical_predictions(float64, tmp_path):
    model, x, path = _trained_and_saved(tmp_path)
    loaded = hdf5.load_model(path)
    np.testing.assert_array_equal(loaded.predict(x), model.predict(x))
    for a, b in zip(model.optimizer.get_weights(),
                    loaded.optimizer.get_weights()):
        np.testing.assert_array_equal(a, b)
    weights_path = str(tmp_path / "weights.h5")
    hdf5.save_weights(model, weights_path)
    fresh = _small_model()
    hdf5.load_weights(fresh, weights_path)
    np.testing.assert_array_equal(fresh.predict(x), model.predict(x))


def test_uncompiled_model_saved_without_training_config(float64, tmp_path):
    model = _lstm_model()
    path = str(tmp_path / "model.hdf5")
    hdf5.save_model(model, path)
    with h5py.File(path, "r") as f:
        assert "training_config" not in f.attrs
        assert "optimizer_weights" not in f
    loaded = hdf5.load_model(path)
    assert loaded.optimizer is None
    x = np.random.RandomState(0).rand(2, 5, 2)
    np.testing.assert_array_equal(loaded.predict(x), model.predict(x))


def test_loading_does_not_consume_np_random():
    path, _, _ = fixture("lstm")
    state = np.random.get_state()
    hdf5.load_model(path, compile=False)
    assert np.random.rand() == (np.random.set_state(state) or
                                np.random.rand())


@pytest.mark.parametrize("layer,key", [
    (lambda: LSTM(2, input_shape=(3, 1), truncate_gradient=2,
                  name="short_bptt"), "truncate_gradient"),
    (lambda: Embedding(5, 2, input_length=3, dropout=0.5,
                       name="short_bptt"), "dropout")])
def test_setting_keras_lacks_refused_before_writing(tmp_path, layer, key):
    model = Sequential([layer()])
    path = tmp_path / "model.h5"
    path.write_bytes(b"previous")
    with pytest.raises(ValueError, match="short_bptt.*Keras 2.3.1 has no %s"
                       % key):
        hdf5.save_model(model, str(path))
    assert path.read_bytes() == b"previous"


def test_failed_write_leaves_previous_file(float64, tmp_path, monkeypatch):
    model = _lstm_model()
    path = tmp_path / "model.h5"
    path.write_bytes(b"previous")

    def full_disk(fd):
        raise OSError(28, "No space left on device")
    monkeypatch.setattr(os, "fsync", full_disk)   # after the bytes are out
    with pytest.raises(OSError):
        hdf5.save_model(model, str(path))
    assert path.read_bytes() == b"previous"
    assert os.listdir(str(tmp_path)) == ["model.h5"]   # no temporary left


# -- recognising files -------------------------------------------------------

def test_is_hdf5_by_signature_not_name(tmp_path):
    path, _, _ = fixture("lstm")
    renamed = tmp_path / "model.npz"
    shutil.copy(path, str(renamed))
    assert hdf5.is_hdf5(str(renamed))
    other = tmp_path / "model.h5"
    other.write_bytes(b"PK\x03\x04 not hdf5")
    assert not hdf5.is_hdf5(str(other))


def test_save_format_by_argument_or_name():
    assert hdf5.wants_hdf5("model.h5") and hdf5.wants_hdf5("M.HDF5")
    assert hdf5.wants_hdf5("model.keras")
    assert not hdf5.wants_hdf5("model.npz")
    assert hdf5.wants_hdf5("model.npz", save_format="h5")
    assert not hdf5.wants_hdf5("model.h5", save_format="npz")
    with pytest.raises(ValueError, match="save_format"):
        hdf5.wants_hdf5("model", save_format="tf")


def test_is_hdf5_after_a_user_block(tmp_path):
    path = str(tmp_path / "with_user_block")
    with h5py.File(path, "w", userblock_size=1024) as f:
        f.attrs["x"] = 1
    with open(path, "r+b") as stream:
        stream.write(b"a user block, not HDF5")
    assert hdf5.is_hdf5(path)


def test_split_layer_names_and_str_attributes(float64, tmp_path):
    path, x, y = fixture("stacked")
    copy = str(tmp_path / "split.h5")
    shutil.copy(path, copy)
    with h5py.File(copy, "r+") as f:
        group = f["model_weights"]
        names = [hdf5._text(n) for n in group.attrs["layer_names"]]
        del group.attrs["layer_names"]
        group.attrs["layer_names0"] = [n.encode("utf8") for n in names[:2]]
        group.attrs["layer_names1"] = names[2:]          # str, as h5py 3
    model = hdf5.load_model(copy, compile=False)
    np.testing.assert_allclose(model.predict(x), y, atol=1e-5)


def _edited_copy(tmp_path, name, edit):
    path, x, y = fixture(name)
    copy = str(tmp_path / ("edited_" + name + ".h5"))
    shutil.copy(path, copy)
    with h5py.File(copy, "r+") as f:
        edit(f)
    return copy, x, y


def _set_json(f, key, edit):
    value = json.loads(hdf5._text(f.attrs[key]))
    value = edit(value) or value
    f.attrs[key] = json.dumps(value).encode("utf8")


def test_tensorflow_backend_file_needs_no_conversion_for_rnn(float64,
                                                              tmp_path):
    def as_tensorflow(f):
        for group in (f, f["model_weights"]):
            group.attrs["backend"] = b"tensorflow"
    copy, x, y = _edited_copy(tmp_path, "bidirectional", as_tensorflow)
    model = hdf5.load_model(copy, compile=False)
    np.testing.assert_allclose(model.predict(x), y, atol=1e-5)


def test_keras2_list_form_config_and_input_layer(float64, tmp_path):
    def list_form_with_input_layer(f):
        def edit(config):
            layers = config["config"]["layers"]
            shape = layers[0]["config"].pop("batch_input_shape")
            config["config"] = [{"class_name": "InputLayer", "config": {
                "batch_input_shape": shape, "dtype": "float64",
                "sparse": False, "name": "input_1"}}] + layers
        _set_json(f, "model_config", edit)
    copy, x, y = _edited_copy(tmp_path, "stacked",
                              list_form_with_input_layer)
    model = hdf5.load_model(copy)
    assert model.input_shape == (None, 5, 2)
    np.testing.assert_allclose(model.predict(x), y, atol=1e-5)


def test_lr_or_learning_rate(float64, tmp_path):
    def old_name(f):
        def edit(training):
            config = training["optimizer_config"]["config"]
            config["lr"] = config.pop("learning_rate")
        _set_json(f, "training_config", edit)
    copy, _, _ = _edited_copy(tmp_path, "gru", old_name)
    model = hdf5.load_model(copy)
    assert np.isclose(float(model.optimizer.lr.get_value()), 0.05)


class Conv1D(object):
    """Stands for a Conv1D layer (the conversion goes by class name)."""
    kernel_size, filters = 3, 4


class TimeDistributed(object):
    def __init__(self, layer):
        self.layer = layer


def test_conv1d_kernel_flipped_for_theano_files_only():
    """Keras on Theano convolved (flipped kernel); theano_rnn's Conv1D
    correlates, as TensorFlow and CNTK did."""
    kernel = np.arange(3 * 2 * 4.0).reshape(3, 2, 4)    # (length, in, out)
    bias = np.zeros(4)
    flipped, _ = hdf5.convert_weights(Conv1D(), [kernel, bias], "2.3.1",
                                      "theano")
    np.testing.assert_array_equal(flipped, kernel[::-1])
    for backend in ("tensorflow", "cntk", None):
        same, _ = hdf5.convert_weights(Conv1D(), [kernel, bias], "2.3.1",
                                       backend)
        np.testing.assert_array_equal(same, kernel)


def test_keras1_conv1d_kernel_layouts():
    kernel = np.arange(3 * 2 * 4.0).reshape(3, 2, 4)
    keras12 = kernel[:, None, :, :]                  # (length, 1, in, out)
    keras11 = np.transpose(keras12, (3, 2, 0, 1))    # (out, in, length, 1)
    for legacy in (keras12, keras11):
        converted, _ = hdf5.convert_weights(Conv1D(), [legacy, np.zeros(4)],
                                            "1", None)
        np.testing.assert_array_equal(converted, kernel)


def test_time_distributed_weights_convert_as_the_inner_layer(float64):
    lstm = LSTM(3, input_shape=(5, 2))
    rng = np.random.RandomState(0)
    gates = {g: [rng.rand(2, 3), rng.rand(3, 3), rng.rand(3)]
             for g in "icfo"}
    keras1 = [a for g in "icfo" for a in gates[g]]
    kernel, recurrent, bias = hdf5.convert_weights(TimeDistributed(lstm),
                                                   keras1, "1")
    np.testing.assert_array_equal(
        kernel, np.hstack([gates[g][0] for g in "ifco"]))
    np.testing.assert_array_equal(
        recurrent, np.hstack([gates[g][1] for g in "ifco"]))
    np.testing.assert_array_equal(
        bias, np.concatenate([gates[g][2] for g in "ifco"]))


# -- bad input ------------------------------------------------------------------

def test_truncated_file(tmp_path):
    path, _, _ = fixture("lstm")
    data = open(path, "rb").read()
    truncated = tmp_path / "truncated.h5"
    truncated.write_bytes(data[:len(data) // 3])
    with pytest.raises(ModelFileError, match="truncated.h5"):
        hdf5.load_model(str(truncated))


def test_corrupt_file(tmp_path):
    corrupt = tmp_path / "corrupt.h5"
    corrupt.write_bytes(hdf5.SIGNATURE + b"\x00" * 600)
    with pytest.raises(ModelFileError, match="cannot be read"):
        hdf5.load_model(str(corrupt))


def test_weights_file_has_no_model_config():
    path, _, _ = fixture("lstm_weights")
    with pytest.raises(ModelFileError, match="no model_config.*load_weights"):
        hdf5.load_model(path)


def test_wrong_number_of_layers_names_both():
    path, _, _ = fixture("stacked_weights")
    with pytest.raises(ValueError, match="4 layers.*2 layers"):
        hdf5.load_weights(_lstm_model(), path)


def test_wrong_shape_names_layer_and_both_shapes(float64):
    path, _, _ = fixture("lstm_weights")
    model = _lstm_model(units=4)
    before = model.get_weights()
    with pytest.raises(ValueError,
                       match=r"lstm_a.*\(2, 16\).*\(2, 12\)"):
        hdf5.load_weights(model, path)
    for a, b in zip(before, model.get_weights()):        # nothing changed
        np.testing.assert_array_equal(a, b)


def _with_model_config(tmp_path, edit, name="edited.h5"):
    path, _, _ = fixture("lstm")
    copy = str(tmp_path / name)
    shutil.copy(path, copy)
    with h5py.File(copy, "r+") as f:
        config = json.loads(hdf5._text(f.attrs["model_config"]))
        training = json.loads(hdf5._text(f.attrs["training_config"]))
        edit(config, training)
        f.attrs["model_config"] = json.dumps(config).encode("utf8")
        f.attrs["training_config"] = json.dumps(training).encode("utf8")
    return copy


def test_unknown_layer_class_named(tmp_path):
    def edit(config, training):
        config["config"]["layers"][0]["class_name"] = "ConvLSTM2D"
    with pytest.raises(ValueError, match="lstm_.*ConvLSTM2D"):
        hdf5.load_model(_with_model_config(tmp_path, edit))


def test_non_default_setting_reaches_the_layer(tmp_path):
    def edit(config, training):
        config["config"]["layers"][0]["config"]["kernel_regularizer"] = {
            "class_name": "L1L2", "config": {"l1": 0.0, "l2": 0.01}}
    model = hdf5.load_model(_with_model_config(tmp_path, edit),
                            compile=False)
    regularizer = model.layers[0].get_config()["kernel_regularizer"]
    assert regularizer["config"]["l2"] == pytest.approx(0.01)
    assert len(model.layers[0].losses) == 1


def test_setting_theano_rnn_cannot_honour_names_layer_and_key(tmp_path):
    def edit(config, training):
        config["config"]["layers"][0]["config"]["kernel_regularizer"] = {
            "class_name": "OrthogonalRegularizer", "config": {}}
    with pytest.raises(ValueError, match="lstm_.*LSTM.*kernel_regularizer"):
        hdf5.load_model(_with_model_config(tmp_path, edit))


def test_malformed_config_is_a_model_file_error(tmp_path):
    def edit(config, training):
        del training["optimizer_config"]
    with pytest.raises(ModelFileError, match="training_config.*"
                       "optimizer_config"):
        hdf5.load_model(_with_model_config(tmp_path, edit))


def test_layer_config_without_its_required_argument_names_the_layer(
        tmp_path):
    def edit(config, training):
        del config["config"]["layers"][0]["config"]["units"]
    with pytest.raises(ValueError, match="lstm_.*LSTM.*units"):
        hdf5.load_model(_with_model_config(tmp_path, edit))


def test_unknown_optimizer_class_named(tmp_path):
    def edit(config, training):
        training["optimizer_config"]["class_name"] = "Ftrl"
    with pytest.raises(ValueError, match="(?i)ftrl"):
        hdf5.load_model(_with_model_config(tmp_path, edit))


def test_functional_model_without_functional_api_is_a_clear_error():
    from theano_rnn import models
    path, x, y = fixture("functional")
    if hasattr(models, "Model"):
        model = hdf5.load_model(path, compile=False)
        np.testing.assert_allclose(model.predict(x), y, atol=1e-5)
    else:
        with pytest.raises(ValueError, match="functional"):
            hdf5.load_model(path)


def test_functional_model_saved_as_keras_model_and_loaded_back(float64,
                                                              tmp_path):
    from theano_rnn import layers, models
    if not hasattr(models, "Model"):
        pytest.skip("this version of theano_rnn has no functional API")
    inputs = layers.Input(shape=(5, 2))
    hidden = LSTM(3, return_sequences=True)(inputs)
    model = models.Model(inputs, Dense(1)(GRU(2)(hidden)))
    model.compile(optimizer="adam", loss="mse")
    x = np.random.RandomState(0).rand(3, 5, 2)
    model.fit(x, np.ones((3, 1)), verbose=0)
    path = str(tmp_path / "functional.h5")
    hdf5.save_model(model, path)
    with h5py.File(path, "r") as f:
        config = json.loads(hdf5._text(f.attrs["model_config"]))
        assert config["class_name"] == "Model"
        assert [l["class_name"] for l in config["config"]["layers"]] == [
            "InputLayer", "LSTM", "GRU", "Dense"]
    loaded = hdf5.load_model(path)
    np.testing.assert_array_equal(loaded.predict(x), model.predict(x))


def test_keras3_archive(tmp_path):
    path = tmp_path / "model.keras"
    with zipfile.ZipFile(str(path), "w") as archive:
        archive.writestr("config.json", "{}")
        archive.writestr("metadata.json", "{}")
        archive.writestr("model.weights.h5", b"")
    assert hdf5.is_keras3_archive(str(path))
    with pytest.raises(ModelFileError, match="Keras 3"):
        hdf5.load_model(str(path))


def test_without_h5py_one_line_says_what_to_install(monkeypatch):
    real_import = builtins.__import__

    def no_h5py(name, *args, **kwargs):
        if name == "h5py":
            raise ImportError("No module named 'h5py'")
        return real_import(name, *args, **kwargs)
    monkeypatch.setattr(builtins, "__import__", no_h5py)
    path, _, _ = fixture("lstm")
    with pytest.raises(ImportError) as error:
        hdf5.load_model(path)
    assert str(error.value).count("\n") == 0
    assert 'pip install "theano_rnn[h5]"' in str(error.value)


# -- through the models' own entry points ----------------------------------

def test_models_load_model_reads_a_keras_file_by_its_signature(float64,
                                                                tmp_path):
    from theano_rnn.models import load_model
    path, x, y = fixture("lstm")
    renamed = str(tmp_path / "no_extension")      # found by content
    shutil.copy(path, renamed)
    model = load_model(renamed, compile=False)
    np.testing.assert_allclose(model.predict(x), y, rtol=0, atol=1e-5)


@pytest.mark.parametrize("name,save_format", [
    ("model.h5", None), ("model.hdf5", None), ("model.bin", "h5")])
def test_model_save_writes_keras_hdf5_by_name_or_format(float64, tmp_path,
                                                        name, save_format):
    from theano_rnn.models import load_model
    model, x, _ = _trained_and_saved(tmp_path)
    path = str(tmp_path / name)
    model.save(path, save_format=save_format)
    assert hdf5.is_hdf5(path)
    with h5py.File(path, "r") as f:
        assert "model_config" in f.attrs and "model_weights" in f
    np.testing.assert_array_equal(load_model(path).predict(x),
                                  model.predict(x))


def test_model_save_with_another_name_keeps_the_npz_format(tmp_path):
    model, _, _ = _trained_and_saved(tmp_path)
    path = str(tmp_path / "model.npz")
    model.save(path)
    assert not hdf5.is_hdf5(path) and zipfile.is_zipfile(path)


def test_model_save_weights_and_load_weights_through_h5(float64, tmp_path):
    model, x, _ = _trained_and_saved(tmp_path)
    path = str(tmp_path / "weights.h5")
    model.save_weights(path)
    other = _small_model()
    other.load_weights(path)
    np.testing.assert_array_equal(other.predict(x), model.predict(x))


def test_skip_mismatch_is_refused_for_a_theano_rnn_weights_file(tmp_path):
    model, _, _ = _trained_and_saved(tmp_path)
    path = str(tmp_path / "weights.npz")
    model.save_weights(path)
    with pytest.raises(ValueError, match="skip_mismatch.*HDF5"):
        model.load_weights(path, skip_mismatch=True)


def test_a_model_nested_in_a_model_saves_and_loads_back(float64, tmp_path):
    """Keras names a nested model's weights by its own layers (checked with
    Keras 2.3.1, which loads this file and predicts the same)."""
    from theano_rnn.layers import Input
    from theano_rnn.models import Model, load_model
    inner = Sequential([Dense(3, input_shape=(4,), name="in_a"),
                        Dense(2, name="in_b")], name="inner")
    x = Input(shape=(4,))
    model = Model(x, Dense(1, name="top")(inner(x)))
    model.compile(optimizer="adam", loss="mse")
    path = str(tmp_path / "nested.h5")
    model.save(path)
    with h5py.File(path, "r") as f:
        names = [n.decode() if isinstance(n, bytes) else n
                 for n in f["model_weights/inner"].attrs["weight_names"]]
    assert names == ["in_a/kernel", "in_a/bias", "in_b/kernel", "in_b/bias"]
    data = np.random.RandomState(2).rand(5, 4)
    np.testing.assert_array_equal(load_model(path).predict(data),
                                  model.predict(data))
