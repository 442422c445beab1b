"""utils.to_categorical, utils.get_file (local file:// URLs: cache, hash
match and mismatch, extraction, offline message) and the mnist / reuters
loaders on tiny files written here."""
import hashlib
import json
import os
import pathlib
import tarfile
import warnings
import zipfile

import numpy as np
import pytest

from theano_rnn import datasets, legacy
from theano_rnn.datasets import imdb, mnist, reuters
from theano_rnn.utils import np_utils, to_categorical
from theano_rnn.utils.data_utils import get_file


@pytest.fixture(autouse=True)
def isolated_home(monkeypatch, tmp_path):
    monkeypatch.setenv(datasets.HOME_ENV, str(tmp_path / "home"))
    monkeypatch.delenv(datasets.DATA_ENV, raising=False)


def test_to_categorical_one_hot():
    np.testing.assert_array_equal(to_categorical([0, 2, 1]),
                                  np.eye(3)[[0, 2, 1]])
    out = to_categorical(np.array([[1], [3]]), 5)
    assert out.shape == (2, 5) and out.dtype == np.float32
    np.testing.assert_array_equal(out.argmax(1), [1, 3])
    assert to_categorical(np.array([[0, 1], [1, 0]])).shape == (2, 2, 2)
    assert np_utils.to_categorical is to_categorical


def test_to_categorical_refuses_bad_labels():
    with pytest.raises(ValueError, match=r"labels must lie in \[0, 2\)"):
        to_categorical([0, 2], 2)
    with pytest.raises(ValueError, match="integer class labels"):
        to_categorical([0.5, 1.0])


def _served(tmp_path, name, payload):
    path = tmp_path / "server" / name
    path.parent.mkdir(exist_ok=True)
    path.write_bytes(payload)
    return path.as_uri(), hashlib.sha256(payload).hexdigest()


def test_get_file_downloads_into_the_cache_once(tmp_path, capsys):
    url, sha = _served(tmp_path, "a.txt", b"hello")
    path = get_file("a.txt", url, file_hash=sha)
    assert path == str(tmp_path / "home" / "datasets" / "a.txt")
    assert pathlib.Path(path).read_bytes() == b"hello"
    assert "Downloading a.txt" in capsys.readouterr().err
    os.remove(tmp_path / "server" / "a.txt")     # the cache is used now
    assert get_file("a.txt", url, file_hash=sha) == path
    md5 = hashlib.md5(b"hello").hexdigest()
    assert get_file("a.txt", url, md5_hash=md5) == path


def test_get_file_hash_mismatch_removes_the_file_and_names_both(tmp_path):
    url, sha = _served(tmp_path, "b.bin", b"payload")
    wrong = "0" * 64
    with pytest.raises(OSError) as err:
        get_file("b.bin", url, file_hash=wrong)
    assert sha in str(err.value) and wrong in str(err.value)
    folder = tmp_path / "home" / "datasets"
    assert not folder.exists() or os.listdir(folder) == []


def test_get_file_replaces_a_stale_cached_file(tmp_path):
    url, sha = _served(tmp_path, "c.txt", b"new")
    stale = tmp_path / "home" / "datasets" / "c.txt"
    stale.parent.mkdir(parents=True)
    stale.write_bytes(b"old")
    assert pathlib.Path(get_file("c.txt", url, file_hash=sha)).read_bytes() \
        == b"new"


def test_get_file_extracts_tar_and_zip_archives(tmp_path):
    source = tmp_path / "src"
    source.mkdir()
    (source / "data.txt").write_text("inside")
    with tarfile.open(tmp_path / "pack.tar.gz", "w:gz") as tar:
        tar.add(source / "data.txt", arcname="pack/data.txt")
    with zipfile.ZipFile(tmp_path / "z.zip", "w") as z:
        z.write(source / "data.txt", "zipped/data.txt")
    folder = tmp_path / "home" / "datasets"
    get_file("pack.tar.gz", (tmp_path / "pack.tar.gz").as_uri(), extract=True)
    assert (folder / "pack" / "data.txt").read_text() == "inside"
    get_file("z.zip", (tmp_path / "z.zip").as_uri(), extract=True)
    assert (folder / "zipped" / "data.txt").read_text() == "inside"
    untarred = get_file("pack", (tmp_path / "pack.tar.gz").as_uri(),
                        untar=True, cache_subdir="other")
    assert pathlib.Path(untarred, "data.txt").read_text() == "inside"


def test_get_file_offline_names_the_file_and_where_to_put_it(tmp_path):
    missing = (tmp_path / "nowhere" / "d.npz").as_uri()
    with pytest.raises(OSError) as err:
        get_file("d.npz", missing)
    message = str(err.value)
    assert "d.npz" in message and missing in message
    assert str(tmp_path / "home" / "datasets" / "d.npz") in message


# --- mnist and reuters on tiny files ---------------------------------------------

def _tiny_mnist(path):
    rng = np.random.RandomState(0)
    arrays = {"x_train": rng.randint(0, 256, (5, 28, 28)).astype("uint8"),
              "y_train": rng.randint(0, 10, 5).astype("uint8"),
              "x_test": rng.randint(0, 256, (2, 28, 28)).astype("uint8"),
              "y_test": rng.randint(0, 10, 2).astype("uint8")}
    np.savez(path, **arrays)
    return arrays


def test_mnist_from_a_path_a_folder_and_the_data_folder(tmp_path,
                                                        monkeypatch):
    arrays = _tiny_mnist(tmp_path / "mnist.npz")
    for where in (str(tmp_path / "mnist.npz"), str(tmp_path)):
        (x_train, y_train), (x_test, y_test) = mnist.load_data(where)
        np.testing.assert_array_equal(x_train, arrays["x_train"])
        np.testing.assert_array_equal(y_test, arrays["y_test"])
    monkeypatch.setenv(datasets.DATA_ENV, str(tmp_path))
    (x_train, _), _ = mnist.load_data()
    assert x_train.shape == (5, 28, 28)


def test_mnist_bad_path_and_offline_messages(tmp_path, monkeypatch):
    with pytest.raises(datasets.DatasetError, match="holds no mnist.npz"):
        mnist.load_data(str(tmp_path))
    monkeypatch.setattr(mnist, "URL", (tmp_path / "gone.npz").as_uri())
    with pytest.raises(OSError) as err:
        mnist.load_data()
    message = str(err.value)
    assert "MNIST data not found" in message and "mnist.npz" in message
    assert "THEANO_RNN_DATA" in message and "cache folder" in message


def _tiny_reuters(folder):
    xs = [[1, 2, 3], [4, 5], [1, 1, 1, 1, 9], [2], [7, 3, 2], [8, 8]]
    x = np.empty(len(xs), dtype=object)
    x[:] = xs
    np.savez(folder / "reuters.npz", x=x, y=np.arange(len(xs)))
    (folder / "reuters_word_index.json").write_text(json.dumps(
        {"the": 1, "of": 2}))
    return xs


def _keras_reuters(xs, labels, num_words=None, skip_top=0, maxlen=None,
                   test_split=0.2, seed=113, start_char=1, oov_char=2,
                   index_from=3):
    """Keras 2.3.1's documented steps, written out for the test."""
    order = np.arange(len(xs))
    np.random.RandomState(seed).shuffle(order)
    xs = [[start_char] + [w + index_from for w in xs[i]] for i in order]
    labels = [labels[i] for i in order]
    if maxlen:
        pairs = [(x, y) for x, y in zip(xs, labels) if len(x) < maxlen]
        xs, labels = [p[0] for p in pairs], [p[1] for p in pairs]
    num_words = num_words or max(max(x) for x in xs)
    xs = [[w if skip_top <= w < num_words else oov_char for w in x]
          for x in xs]
    cut = int(len(xs) * (1 - test_split))
    return (xs[:cut], labels[:cut]), (xs[cut:], labels[cut:])


@pytest.mark.parametrize("options", [{}, {"num_words": 8, "skip_top": 2},
                                     {"maxlen": 5, "test_split": 0.5}])
def test_reuters_follows_keras_semantics(tmp_path, options):
    xs = _tiny_reuters(tmp_path)
    (x_train, y_train), (x_test, y_test) = reuters.load_data(
        str(tmp_path / "reuters.npz"), **options)
    (ex_train, ey_train), (ex_test, ey_test) = _keras_reuters(
        xs, list(range(len(xs))), **options)
    assert [list(x) for x in x_train] == ex_train
    assert [list(x) for x in x_test] == ex_test
    assert list(y_train) == ey_train and list(y_test) == ey_test


def test_reuters_keras1_nb_words_and_word_index(tmp_path):
    _tiny_reuters(tmp_path)
    with pytest.warns(legacy.LegacyArgumentWarning, match="num_words"):
        old = reuters.load_data(str(tmp_path), nb_words=6)
    new = reuters.load_data(str(tmp_path), num_words=6)
    assert [list(x) for x in old[0][0]] == [list(x) for x in new[0][0]]
    assert reuters.get_word_index(str(tmp_path)) == {"the": 1, "of": 2}


def test_imdb_accepts_keras1_nb_words():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with pytest.raises(TypeError, match="both"):
            imdb.load_data(nb_words=10, num_words=10)
    assert not caught
