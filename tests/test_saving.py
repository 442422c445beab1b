"""Saving and loading: exact round trips, exact resumption of training,
clear errors for bad files, and atomic writes."""
import json
import errno
import os
import pickle
import zipfile

import numpy as np
import pytest

from theano_rnn import callbacks, optimizers, saving
from theano_rnn.layers import LSTM, Bidirectional, Dense, Dropout, SimpleRNN
from theano_rnn.models import Sequential, load_model
from theano_rnn.saving import ModelFileError


def dropout_model(seed=3):
    """An LSTM classifier with input, recurrent and output dropout."""
    return Sequential([LSTM(6, input_shape=(5, 2), dropout=0.2,
                            recurrent_dropout=0.2, seed=11),
                       Dropout(0.3, seed=12),
                       Dense(1, activation="sigmoid")], seed=seed)


def task(n=24):
    rng = np.random.RandomState(0)
    x = rng.uniform(-1, 1, (n, 5, 2)).astype("float32")
    return x, (x[:, 0, 0] * x[:, -1, 1] > 0).astype("float32")


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A compiled and briefly trained dropout model, and its file."""
    np.random.seed(0)
    model = dropout_model()
    model.compile(optimizers.Adam(lr=0.01), "binary_crossentropy",
                  metrics=["acc"])
    model.fit(*task(), batch_size=8, epochs=2, verbose=0)
    path = str(tmp_path_factory.mktemp("saved") / "model.npz")
    model.save(path)
    return model, path


def assert_same_weights(first, second):
    assert len(first) == len(second)
    for a, b in zip(first, second):
        np.testing.assert_array_equal(a, b)


# -- round trips -----------------------------------------------------------------

def test_loaded_model_predicts_bit_identically_and_is_compiled(trained):
    model, path = trained
    loaded = load_model(path)
    x, y = task()
    np.testing.assert_array_equal(loaded.predict(x), model.predict(x))
    assert_same_weights(loaded.get_weights(), model.get_weights())
    assert loaded.train_function is not None
    assert loaded.metrics_names == ["loss", "acc"]
    assert [l.name for l in loaded.layers] == [l.name for l in model.layers]
    assert loaded.evaluate(x, y) == model.evaluate(x, y)
    assert_same_weights(loaded.optimizer.get_weights(),
                        model.optimizer.get_weights())


def test_the_file_is_a_plain_npz_readable_without_pickle(trained):
    _, path = trained
    with np.load(path, allow_pickle=False) as archive:
        header = json.loads(archive["header"].tobytes().decode("utf-8"))
    assert header["format"] == "theano_rnn.model" and header["version"] == 1
    assert [l["class_name"] for l in header["model"]["config"]["layers"]] \
        == ["LSTM", "Dropout", "Dense"]
    assert header["training_config"]["loss"] == "binary_crossentropy"
    assert header["training_config"]["optimizer"]["class_name"] == "Adam"


def test_loading_does_not_consume_the_global_numpy_generator(trained):
    np.random.seed(5)
    expected = np.random.rand()
    np.random.seed(5)
    load_model(trained[1], compile=False)
    assert np.random.rand() == expected


def test_an_uncompiled_model_round_trips_without_compiling(tmp_path):
    model = Sequential([Bidirectional(SimpleRNN(3, return_sequences=True),
                                      input_shape=(4, 2)),
                        Dense(2)])
    x = np.random.RandomState(1).randn(3, 4, 2).astype("float32")
    path = str(tmp_path / "plain.npz")
    model.save(path)
    loaded = load_model(path)
    assert loaded.train_function is None
    np.testing.assert_array_equal(loaded.predict(x), model.predict(x))


@pytest.mark.parametrize("model_seed", [3, None])
def test_training_resumes_exactly_after_save_and_load(tmp_path, model_seed):
    """N + M epochs in one go == N epochs, save, load, M epochs: the
    weights, the optimizer state, the dropout streams and the shuffling
    all carry over (shuffling by the model's seed, or by np.random)."""
    x, y = task()

    def start():
        np.random.seed(0)
        model = dropout_model(seed=model_seed)
        model.compile(optimizers.Adam(lr=0.01), "binary_crossentropy")
        return model

    straight = start()
    straight.fit(x, y, batch_size=8, epochs=3, verbose=0)

    resumed = start()
    resumed.fit(x, y, batch_size=8, epochs=2, verbose=0)
    path = str(tmp_path / "checkpoint.npz")
    resumed.save(path)
    resumed = load_model(path)
    history = resumed.fit(x, y, batch_size=8, epochs=3, initial_epoch=2,
                          verbose=0)

    assert history.epoch == [2]
    assert_same_weights(resumed.get_weights(), straight.get_weights())
    assert_same_weights(resumed.optimizer.get_weights(),
                        straight.optimizer.get_weights())


def test_weights_round_trip_and_mismatches_name_the_layer(tmp_path):
    np.random.seed(0)
    model = Sequential([LSTM(4, input_shape=(5, 2)), Dense(1)])
    path = str(tmp_path / "weights.npz")
    model.save_weights(path)
    twin = Sequential([LSTM(4, input_shape=(5, 2)), Dense(1)])
    twin.load_weights(path)
    assert_same_weights(twin.get_weights(), model.get_weights())

    wider = Sequential([LSTM(5, input_shape=(5, 2)), Dense(1)])
    before = wider.get_weights()
    with pytest.raises(ValueError, match=wider.layers[0].name):
        wider.load_weights(path)
    assert_same_weights(wider.get_weights(), before)

    deeper = Sequential([LSTM(4, input_shape=(5, 2)), Dense(3), Dense(1)])
    with pytest.raises(ValueError, match="2 layers .* 3 layers"):
        deeper.load_weights(path)
    biasless = Sequential([LSTM(4, input_shape=(5, 2)),
                           Dense(1, use_bias=False)])
    with pytest.raises(ValueError, match=biasless.layers[1].name):
        biasless.load_weights(path)


def test_load_weights_accepts_a_whole_model_file(trained):
    model, path = trained
    twin = dropout_model()
    twin.load_weights(path)
    assert_same_weights(twin.get_weights(), model.get_weights())


def doubled_mse(y_true, y_pred):
    return 2 * ((y_pred - y_true) ** 2).mean(axis=-1)


def test_custom_losses_are_found_through_custom_objects(tmp_path):
    model = Sequential([Dense(1, input_shape=(3,))])
    model.compile("sgd", doubled_mse, metrics=["mae"])
    path = str(tmp_path / "custom.npz")
    model.save(path)
    with pytest.raises(ModelFileError, match="custom_objects.*doubled_mse"):
        load_model(path)
    loaded = load_model(path, custom_objects={"doubled_mse": doubled_mse})
    x, y = np.ones((4, 3)), np.zeros((4, 1))
    assert loaded.evaluate(x, y) == model.evaluate(x, y)
    assert loaded.metrics_names == ["loss", "mae"]


def test_model_checkpoint_writes_loadable_models_with_metadata(tmp_path):
    model = Sequential([Dense(1, input_shape=(3,))])
    model.compile("sgd", "mse")
    model.metadata = {"task": "demo"}
    pattern = str(tmp_path / "epoch{epoch:02d}.npz")
    model.fit(np.ones((4, 3)), np.zeros(4), epochs=2, verbose=0,
              callbacks=[callbacks.ModelCheckpoint(pattern)])
    assert sorted(os.listdir(str(tmp_path))) == ["epoch01.npz",
                                                 "epoch02.npz"]
    loaded = load_model(pattern.format(epoch=2))
    assert_same_weights(loaded.get_weights(), model.get_weights())
    assert loaded.metadata == {"task": "demo"}


# -- metadata -----------------------------------------------------------------

#: Every kind of JSON value, nested, with text JSON must escape.
METADATA = {"task": "imdb", "word_index": {"the": 1, "caf\u00e9": 2,
                                           "a \"quoted\"\nline": 3},
            "maxlen": 100, "rate": 0.1 + 0.2, "big": 2 ** 70, "tiny": 5e-324,
            "flags": [True, False, None], "nested": [[], {}, [1.5, "x"]],
            "": "empty key"}


def small_model():
    return Sequential([Dense(1, input_shape=(3,))])


def test_metadata_round_trips_exactly_inside_the_model_file(tmp_path):
    model = small_model()
    assert model.metadata == {}
    model.metadata = METADATA
    path = str(tmp_path / "model.npz")
    model.save(path)
    assert os.listdir(str(tmp_path)) == ["model.npz"]  # no other file
    for compile in (True, False):
        loaded = load_model(path, compile=compile)
        assert loaded.metadata == METADATA
        assert json.dumps(loaded.metadata, sort_keys=True) == \
            json.dumps(METADATA, sort_keys=True)  # same types, same floats
    with np.load(path, allow_pickle=False) as archive:
        header = json.loads(archive["header"].tobytes().decode("utf-8"))
    assert header["version"] == 1 and header["metadata"] == METADATA


def test_save_metadata_argument_overrides_the_attribute_for_that_file(
        tmp_path):
    model = small_model()
    model.metadata = {"kept": True}
    path = str(tmp_path / "model.npz")
    model.save(path, metadata={"task": "sine"})
    assert load_model(path).metadata == {"task": "sine"}
    assert model.metadata == {"kept": True}
    model.save(path, metadata={})
    assert load_model(path).metadata == {}


def test_files_without_metadata_load_with_an_empty_dict(tmp_path):
    path = str(tmp_path / "model.npz")
    small_model().save(path)
    assert load_model(path).metadata == {}
    # A file written before metadata existed has no entry at all.
    old = rewrite_header(path, tmp_path / "old.npz",
                         lambda h: h.pop("metadata"))
    assert load_model(old).metadata == {}


def test_metadata_that_is_not_an_object_in_the_file_is_reported(tmp_path):
    path = str(tmp_path / "model.npz")
    small_model().save(path)
    bad = rewrite_header(path, tmp_path / "bad.npz",
                         lambda h: h.update(metadata=[1, 2]))
    with pytest.raises(ModelFileError, match="metadata is a list"):
        load_model(bad)


@pytest.mark.parametrize("metadata, reason", [
    (["a", "list"], "must be a dict, got list"),
    ({"x": np.float32(1.5)}, "JSON-serialisable.*float32"),
    ({"x": object()}, "JSON-serialisable.*object"),
    ({"x": float("nan")}, "JSON-serialisable.*float"),
    ({"x": (1, 2)}, "tuples"),
    ({1: "one"}, "non-string keys"),
])
@pytest.mark.parametrize("how", ["attribute", "argument"])
def test_bad_metadata_is_refused_before_anything_is_written(
        tmp_path, metadata, reason, how):
    model = small_model()
    path = str(tmp_path / "model.npz")
    model.save(path)
    before = open(path, "rb").read()
    if how == "attribute":
        model.metadata = metadata
        arguments = {}
    else:
        arguments = {"metadata": metadata}
    with pytest.raises(ValueError, match="^metadata .*" + reason):
        model.save(path, **arguments)
    assert os.listdir(str(tmp_path)) == ["model.npz"]
    assert open(path, "rb").read() == before


# -- bad files ---------------------------------------------------------------------

def test_a_missing_file_is_a_file_not_found_error(tmp_path):
    with pytest.raises(FileNotFoundError):
        load_model(str(tmp_path / "nothing.npz"))


def write_bytes(path, data):
    with open(path, "wb") as stream:
        stream.write(data)
    return str(path)


@pytest.mark.parametrize("keep", [0, 10, 200, 0.5, -30, -1])
def test_a_truncated_file_is_reported(trained, tmp_path, keep):
    data = open(trained[1], "rb").read()
    size = int(len(data) * keep) if isinstance(keep, float) else keep
    path = write_bytes(tmp_path / "cut.npz", data[:size])
    with pytest.raises(ModelFileError,
                       match="empty|truncated|damaged|expected a zip"):
        load_model(path)


def test_flipped_bytes_anywhere_are_reported(trained, tmp_path):
    data = bytearray(open(trained[1], "rb").read())
    rng = np.random.RandomState(0)
    positions = sorted(set(rng.randint(0, len(data), 40)) |
                       {0, 40, len(data) // 2, len(data) - 10})
    for position in positions:
        flipped = bytearray(data)
        flipped[position] ^= 0x5A
        path = write_bytes(tmp_path / "flipped.npz", bytes(flipped))
        try:
            loaded = load_model(path, compile=False)
        except ModelFileError:
            continue
        # A flip in a part of the zip nobody reads (e.g. a timestamp) is
        # harmless: then the model must be exactly the saved one.
        assert_same_weights(loaded.get_weights(), trained[0].get_weights())


def test_random_bytes_are_not_a_model_file(tmp_path):
    path = write_bytes(tmp_path / "random.npz",
                       np.random.RandomState(0).bytes(1000))
    with pytest.raises(ModelFileError, match="expected a zip"):
        load_model(path)


def test_a_zip_or_npz_from_another_program_is_not_a_model_file(tmp_path):
    path = str(tmp_path / "other.zip")
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("readme.txt", "hello")
    with pytest.raises(ModelFileError, match="without a theano_rnn header"):
        load_model(path)
    path = str(tmp_path / "arrays.npz")
    np.savez(path, weights=np.zeros(3))
    with pytest.raises(ModelFileError, match="weights.npy"):
        load_model(path)


def test_a_weights_file_is_not_a_model_file(tmp_path):
    model = Sequential([Dense(2, input_shape=(3,))])
    path = str(tmp_path / "w.npz")
    model.save_weights(path)
    with pytest.raises(ModelFileError, match="load_weights"):
        load_model(path)


def rewrite_header(source, target, change):
    """Copy an archive, changing its JSON header with ``change(header)``."""
    with np.load(source, allow_pickle=False) as archive:
        arrays = dict(archive)
    header = json.loads(arrays["header"].tobytes().decode("utf-8"))
    change(header)
    arrays["header"] = np.frombuffer(json.dumps(header).encode("utf-8"),
                                     dtype=np.uint8)
    with open(target, "wb") as stream:
        np.savez(stream, **arrays)
    return str(target)


def test_a_newer_format_version_is_refused(trained, tmp_path):
    path = rewrite_header(trained[1], tmp_path / "v2.npz",
                          lambda h: h.update(version=2))
    with pytest.raises(ModelFileError, match="version 2 is newer"):
        load_model(path)


def test_a_missing_array_is_reported(trained, tmp_path):
    path = rewrite_header(trained[1], tmp_path / "more.npz",
                          lambda h: h["groups"].update(weights=99))
    with pytest.raises(ModelFileError, match="weights/0005"):
        load_model(path)


class _Exploit(object):
    """Unpickling this would create the file named ``marker``."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (open, (self.marker, "w"))


def test_a_pickled_payload_is_never_unpickled(trained, tmp_path):
    marker = str(tmp_path / "pwned")
    with np.load(trained[1], allow_pickle=False) as archive:
        arrays = dict(archive)
    payload = np.empty(1, dtype=object)
    payload[0] = _Exploit(marker)
    arrays["weights/0000"] = payload
    path = str(tmp_path / "evil.npz")
    with open(path, "wb") as stream:
        np.savez(stream, **arrays)
    pickle.dumps(payload)                 # the payload is a real pickle
    with pytest.raises(ModelFileError, match="pickle"):
        load_model(path)
    assert not os.path.exists(marker)


# -- atomic writes -------------------------------------------------------------------

def _fail(*args, **kwargs):
    raise OSError("disk full (simulated)")


@pytest.mark.parametrize("target", ["fsync", "replace", "savez"])
def test_a_failing_save_leaves_the_previous_file_and_no_temp_file(
        trained, tmp_path, monkeypatch, target):
    model, _ = trained
    path = str(tmp_path / "model.npz")
    model.save(path)
    before = open(path, "rb").read()
    if target == "savez":
        def partial_savez(stream, **arrays):
            stream.write(b"PK\x03\x04 half an archive")
            _fail()
        monkeypatch.setattr(saving.np, "savez", partial_savez)
    else:
        monkeypatch.setattr(saving.os, target, _fail)
    with pytest.raises(OSError, match="simulated"):
        model.save(path)
    monkeypatch.undo()
    assert os.listdir(str(tmp_path)) == ["model.npz"]
    assert open(path, "rb").read() == before


def test_save_keeps_the_file_name_and_permissions(trained, tmp_path):
    model, _ = trained
    path = str(tmp_path / "model.h5")
    open(path, "w").close()
    os.chmod(path, 0o640)
    model.save(path)
    assert os.listdir(str(tmp_path)) == ["model.h5"]
    assert os.stat(path).st_mode & 0o777 == 0o640
    x = task()[0]
    np.testing.assert_array_equal(load_model(path, compile=False).predict(x),
                                  model.predict(x))


def test_saving_into_a_missing_directory_fails_cleanly(trained, tmp_path):
    with pytest.raises(OSError):
        trained[0].save(str(tmp_path / "no" / "such" / "model.npz"))
    assert os.listdir(str(tmp_path)) == []


@pytest.mark.parametrize("error", [
    OSError(errno.ENOSPC, "No space left on device"),
    PermissionError(errno.EACCES, "Permission denied")])
def test_a_full_disk_or_read_only_folder_is_reported_and_the_old_file_kept(
        trained, tmp_path, monkeypatch, error):
    model, _ = trained
    path = str(tmp_path / "model.npz")
    model.save(path)
    before = open(path, "rb").read()

    def refuse(*args, **kwargs):
        raise error
    # a full disk fails the write, a read-only folder the temporary file
    target = "fsync" if error.errno == errno.ENOSPC else "mkstemp"
    monkeypatch.setattr(saving.os if target == "fsync" else saving.tempfile,
                        target, refuse)
    with pytest.raises(OSError) as raised:
        model.save(path)
    monkeypatch.undo()
    assert raised.value.errno == error.errno
    assert str(raised.value).endswith(
        "could not write %s: %s; the previous file is unchanged"
        % (path, error.strerror))
    assert os.listdir(str(tmp_path)) == ["model.npz"]
    assert open(path, "rb").read() == before
