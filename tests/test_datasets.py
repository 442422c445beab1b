"""Tests of theano_rnn.datasets: data-path setting, IMDB loader, sine waves.

The IMDB tests build tiny fake corpora in ``tmp_path``; every test gets its
own cache folder (``THEANO_RNN_HOME``) and no ``THEANO_RNN_DATA``.  Only
``test_real_imdb_*`` uses the real data, found through the environment the
tests were started with, and is skipped when there is none.
"""
import hashlib
import http.client
import io
import os
import pathlib
import tarfile
import urllib.error
import urllib.request

import numpy as np
import pytest

from theano_rnn import datasets
from theano_rnn.datasets import DatasetError, imdb, sine

ORIGINAL_ENV = {name: os.environ.get(name)
                for name in (datasets.DATA_ENV, datasets.HOME_ENV)}

# A corpus small enough to rank by hand.  Reading order is train/neg,
# train/pos, test/neg, test/pos, by file name.  Training counts: bad 3,
# movie 3, great 3 (first seen in that order), boring 1, acting 1, good 1;
# test-only words: zebra 2, fun 1.
REVIEWS = {
    ("train", "pos", "0_9.txt"): "Great movie, great acting!<br /><br />"
                                 "Great.",
    ("train", "pos", "1_8.txt"): "good movie",
    ("train", "neg", "0_2.txt"): "Bad movie. Bad bad.",
    ("train", "neg", "1_3.txt"): "boring",
    ("test", "pos", "0_10.txt"): "great fun",
    ("test", "neg", "0_1.txt"): "bad zebra zebra",
}
WORD_INDEX = {"bad": 1, "movie": 2, "great": 3, "boring": 4, "acting": 5,
              "good": 6, "zebra": 7, "fun": 8}
# Default options (start_char=1, index_from=3), in reading order.
TRAIN = [([1, 4, 5, 4, 4], 0), ([1, 7], 0), ([1, 6, 5, 6, 8, 6], 1),
         ([1, 9, 5], 1)]
TEST = [([1, 4, 10, 10], 0), ([1, 6, 11], 1)]
# Members of the official archive that the loader must ignore.
OFFICIAL_EXTRAS = {
    "aclImdb/README": "Large Movie Review Dataset v1.0",
    "aclImdb/imdb.vocab": "the\nand\n",
    "aclImdb/train/unsup/0_0.txt": "unsupword unsupword unsupword",
    "aclImdb/train/labeledBow.feat": "0 0:9 1:1",
    "aclImdb/train/unsupBow.feat": "0 0:9",
    "aclImdb/train/urls_pos.txt": "http://www.imdb.com/title/tt0/usercomments",
    "aclImdb/test/pos/notes.txt": "notaword notaword",
}


def member_name(key):
    return "aclImdb/%s/%s/%s" % key


def write_archive(filename, members):
    """Write ``{member name: text}`` as a .tar.gz."""
    with tarfile.open(str(filename), "w:gz") as tar:
        for name, text in members.items():
            data = text.encode("utf-8")
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return str(filename)


def labeled_archive(folder, reviews=REVIEWS):
    members = {member_name(key): text for key, text in reviews.items()}
    return write_archive(folder / "aclImdb_labeled.tar.gz", members)


def official_archive(folder, reviews=REVIEWS):
    members = dict(OFFICIAL_EXTRAS)
    members.update((member_name(key), text) for key, text in reviews.items())
    return write_archive(folder / "aclImdb_v1.tar.gz", members)


def extracted_folder(folder, reviews=REVIEWS):
    for name, text in list(OFFICIAL_EXTRAS.items()) + [
            (member_name(key), text) for key, text in reviews.items()]:
        filename = folder / name
        filename.parent.mkdir(parents=True, exist_ok=True)
        filename.write_text(text, encoding="utf-8")
    return str(folder / "aclImdb")


def pairs(x, y):
    return [(list(seq), int(label)) for seq, label in zip(x, y)]


def mkdir(path):
    path = pathlib.Path(path)
    path.mkdir(parents=True, exist_ok=True)
    return path


def cache_files():
    folder = datasets.cache_dir()
    return sorted(os.listdir(folder)) if os.path.isdir(folder) else []


@pytest.fixture(autouse=True)
def isolated_env(monkeypatch, tmp_path):
    monkeypatch.setenv(datasets.HOME_ENV, str(tmp_path / "home"))
    monkeypatch.delenv(datasets.DATA_ENV, raising=False)


@pytest.fixture
def offline(monkeypatch):
    def refuse(url, timeout=None):
        raise urllib.error.URLError("network is unreachable")
    monkeypatch.setattr(urllib.request, "urlopen", refuse)


# --- data-path setting ----------------------------------------------------

def test_cache_dir_defaults_to_home_and_follows_theano_rnn_home(monkeypatch):
    monkeypatch.delenv(datasets.HOME_ENV)
    assert datasets.cache_dir() == os.path.expanduser(
        os.path.join("~", ".theano_rnn", "datasets"))
    monkeypatch.setenv(datasets.HOME_ENV, "/somewhere")
    assert datasets.cache_dir() == os.path.join("/somewhere", "datasets")


def test_data_dir_reads_theano_rnn_data(monkeypatch):
    assert datasets.data_dir() is None
    monkeypatch.setenv(datasets.DATA_ENV, "/data/shared")
    assert datasets.data_dir() == "/data/shared"


def test_find_source_accepts_file_archive_dir_folder_and_aclimdb_itself(
        tmp_path):
    archive = labeled_archive(tmp_path)
    assert imdb.find_source(archive) == archive
    assert imdb.find_source(str(tmp_path)) == archive
    folder = extracted_folder(tmp_path / "x")
    assert imdb.find_source(str(tmp_path / "x")) == folder
    assert imdb.find_source(folder) == folder


def test_find_source_prefers_official_archive_to_labeled_one(tmp_path):
    labeled_archive(tmp_path)
    official = official_archive(tmp_path)
    assert imdb.find_source(str(tmp_path)) == official


def test_find_source_order_is_argument_then_env_then_cache(
        tmp_path, monkeypatch):
    in_cache = labeled_archive(mkdir(datasets.cache_dir()))
    assert imdb.find_source() == in_cache
    in_env = labeled_archive(mkdir(tmp_path / "env"))
    monkeypatch.setenv(datasets.DATA_ENV, str(tmp_path / "env"))
    assert imdb.find_source() == in_env
    in_arg = labeled_archive(mkdir(tmp_path / "arg"))
    assert imdb.find_source(str(tmp_path / "arg")) == in_arg
    assert imdb.find_source(str(tmp_path / "empty")) == in_env


def test_find_source_returns_none_when_nothing_is_anywhere(tmp_path):
    assert imdb.find_source(str(tmp_path)) is None


# --- IMDB: reading and indexing -------------------------------------------

def test_word_index_ranks_by_training_frequency_ties_by_first_occurrence(
        tmp_path):
    assert imdb.get_word_index(labeled_archive(tmp_path)) == WORD_INDEX


@pytest.mark.parametrize("make_source", [labeled_archive, official_archive,
                                         extracted_folder])
def test_every_source_layout_gives_the_same_data(tmp_path, make_source):
    source = make_source(tmp_path)
    (x_train, y_train), (x_test, y_test) = imdb.load_data(source)
    assert sorted(pairs(x_train, y_train)) == sorted(TRAIN)
    assert sorted(pairs(x_test, y_test)) == sorted(TEST)
    assert imdb.get_word_index(source) == WORD_INDEX


def test_load_data_types_match_keras(tmp_path):
    (x_train, y_train), _ = imdb.load_data(labeled_archive(tmp_path))
    assert x_train.dtype == object and x_train.shape == (4,)
    assert all(isinstance(seq, list) for seq in x_train)
    assert y_train.dtype == np.int64


def test_load_data_shuffles_with_one_random_state_train_then_test(tmp_path):
    (x_train, y_train), (x_test, y_test) = imdb.load_data(
        labeled_archive(tmp_path), seed=7)
    rng = np.random.RandomState(7)
    assert pairs(x_train, y_train) == [TRAIN[i] for i in rng.permutation(4)]
    assert pairs(x_test, y_test) == [TEST[i] for i in rng.permutation(2)]


def test_load_data_shuffle_keeps_labels_with_their_reviews(tmp_path):
    source = labeled_archive(tmp_path)
    label_of = {tuple(seq): label for seq, label in TRAIN}
    orders = set()
    for seed in range(6):
        (x, y), _ = imdb.load_data(source, seed=seed)
        assert [label_of[tuple(seq)] for seq in x] == list(y)
        orders.add(tuple(map(tuple, x)))
    assert len(orders) > 1


def _load_sorted(tmp_path, **kwargs):
    (x_train, y_train), (x_test, y_test) = imdb.load_data(
        labeled_archive(tmp_path), **kwargs)
    return sorted(pairs(x_train, y_train)), sorted(pairs(x_test, y_test))


def test_num_words_turns_indices_from_num_words_up_into_oov(tmp_path):
    train, test = _load_sorted(tmp_path, num_words=7)
    assert train == sorted([([1, 4, 5, 4, 4], 0), ([1, 2], 0),
                            ([1, 6, 5, 6, 2, 6], 1), ([1, 2, 5], 1)])
    assert test == sorted([([1, 4, 2, 2], 0), ([1, 6, 2], 1)])


def test_skip_top_turns_most_frequent_words_into_oov(tmp_path):
    train, _ = _load_sorted(tmp_path, skip_top=2)
    assert train == sorted([([1, 2, 2, 2, 2], 0), ([1, 7], 0),
                            ([1, 6, 2, 6, 8, 6], 1), ([1, 9, 2], 1)])


def test_oov_char_none_drops_cut_words(tmp_path):
    train, _ = _load_sorted(tmp_path, num_words=6, oov_char=None)
    assert train == sorted([([1, 4, 5, 4, 4], 0), ([1], 0), ([1, 5], 1),
                            ([1, 5], 1)])


def test_start_char_and_index_from_shift_the_ranks(tmp_path):
    train, test = _load_sorted(tmp_path, start_char=None, index_from=0)
    assert train == sorted([([1, 2, 1, 1], 0), ([4], 0),
                            ([3, 2, 3, 5, 3], 1), ([6, 2], 1)])
    assert test == sorted([([1, 7, 7], 0), ([3, 8], 1)])
    train, _ = _load_sorted(tmp_path, start_char=9, oov_char=8,
                            index_from=10, num_words=12)
    assert train == sorted([([9, 11, 8, 11, 11], 0), ([9, 8], 0),
                            ([9, 8, 8, 8, 8, 8], 1), ([9, 8, 8], 1)])


def test_maxlen_keeps_sequences_strictly_shorter_counting_start_char(
        tmp_path):
    train, test = _load_sorted(tmp_path, maxlen=4)
    assert train == sorted([([1, 7], 0), ([1, 9, 5], 1)])
    assert test == [([1, 6, 11], 1)]


def test_maxlen_uses_lengths_before_oov_words_are_dropped(tmp_path):
    train, _ = _load_sorted(tmp_path, maxlen=5, num_words=5, oov_char=None)
    assert train == sorted([([1], 0), ([1], 1)])


def test_maxlen_that_leaves_nothing_raises_value_error(tmp_path):
    with pytest.raises(ValueError, match="maxlen"):
        imdb.load_data(labeled_archive(tmp_path), maxlen=2)


@pytest.mark.parametrize("kwargs, argument", [
    (dict(num_words=3), "num_words"),
    (dict(num_words=5, index_from=5), "num_words"),
    (dict(num_words=10.0), "num_words"),
    (dict(maxlen=0), "maxlen"),
    (dict(skip_top=-1), "skip_top"),
    (dict(index_from=-1), "index_from"),
    (dict(start_char="1"), "start_char"),
    (dict(oov_char=-2), "oov_char"),
])
def test_load_data_bad_argument_raises_value_error_naming_it(
        tmp_path, kwargs, argument):
    with pytest.raises(ValueError, match=argument):
        imdb.load_data(str(tmp_path), **kwargs)


def test_num_words_just_above_index_from_is_accepted(tmp_path):
    (x, _), _ = imdb.load_data(labeled_archive(tmp_path), num_words=4)
    assert {w for seq in x for w in seq} <= {1, 2}


# --- IMDB: cache ------------------------------------------------------------

def test_second_load_uses_cache_without_reading_source(tmp_path,
                                                       monkeypatch):
    source = labeled_archive(tmp_path)
    first = imdb.load_data(source)
    (npz,) = cache_files()
    assert npz.startswith("imdb_") and npz.endswith(".npz")

    def fail(_):
        raise AssertionError("the source was read again")
    monkeypatch.setattr(imdb, "_read_reviews", fail)
    second = imdb.load_data(source, num_words=7)
    assert len(second[0][0]) == len(first[0][0])
    assert imdb.get_word_index(source) == WORD_INDEX


def test_cache_holds_only_plain_arrays(tmp_path):
    imdb.load_data(labeled_archive(tmp_path))
    (npz,) = cache_files()
    with np.load(os.path.join(datasets.cache_dir(), npz),
                 allow_pickle=False) as data:
        for name in data.files:
            assert data[name].dtype != object


def _rewrite_archive(source, reviews):
    before = os.stat(source).st_mtime_ns
    labeled_archive(pathlib.Path(source).parent, reviews)
    os.utime(source, ns=(before + 10**9, before + 10**9))


def test_cache_is_rebuilt_when_archive_changes(tmp_path):
    source = labeled_archive(tmp_path)
    imdb.load_data(source)
    changed = dict(REVIEWS)
    changed[("train", "neg", "1_3.txt")] = "awful awful awful awful"
    _rewrite_archive(source, changed)
    assert imdb.get_word_index(source)["awful"] == 1
    assert len(cache_files()) == 1


def test_cache_is_rebuilt_when_a_folder_file_changes(tmp_path):
    folder = extracted_folder(tmp_path)
    imdb.load_data(folder)
    review = os.path.join(folder, "train", "neg", "1_3.txt")
    with open(review, "w") as f:
        f.write("awful awful awful awful")
    assert imdb.get_word_index(folder)["awful"] == 1


def test_corrupt_cache_is_ignored_and_rewritten(tmp_path):
    source = labeled_archive(tmp_path)
    imdb.load_data(source)
    (npz,) = cache_files()
    cache_file = os.path.join(datasets.cache_dir(), npz)
    with open(cache_file, "wb") as f:
        f.write(b"PK\x03\x04 not really a zip file")
    with pytest.warns(UserWarning, match="unreadable IMDB cache"):
        (x, y), _ = imdb.load_data(source)
    assert sorted(pairs(x, y)) == sorted(TRAIN)
    assert cache_files() == [npz]
    with np.load(cache_file, allow_pickle=False) as data:
        assert "train_ranks" in data.files


# --- IMDB: errors -----------------------------------------------------------

def test_truncated_archive_raises_dataset_error_and_writes_no_cache(
        tmp_path):
    reviews = dict(REVIEWS)
    noise = np.random.RandomState(0).bytes(200 * 40).hex()  # incompressible
    for i in range(2, 42):
        reviews[("train", "pos", "%d_7.txt" % i)] = noise[400 * (i - 2):
                                                          400 * (i - 1)]
    source = labeled_archive(tmp_path, reviews)
    with open(source, "rb") as f:
        data = f.read()
    with open(source, "wb") as f:
        f.write(data[:len(data) // 2])
    with pytest.raises(DatasetError, match="truncated or corrupt"):
        imdb.load_data(source)
    assert cache_files() == []


def test_file_that_is_not_an_archive_raises_dataset_error(tmp_path):
    source = tmp_path / "aclImdb_v1.tar.gz"
    source.write_bytes(b"<html>404 Not Found</html>")
    with pytest.raises(DatasetError, match="expected a complete .tar.gz"):
        imdb.load_data(str(source))


def test_archive_without_train_neg_raises_dataset_error_naming_it(tmp_path):
    reviews = {k: v for k, v in REVIEWS.items() if k[:2] != ("train", "neg")}
    with pytest.raises(DatasetError, match="train/neg/.*expected the layout"):
        imdb.load_data(labeled_archive(tmp_path, reviews))
    assert cache_files() == []


def test_folder_without_test_split_raises_dataset_error(tmp_path):
    reviews = {k: v for k, v in REVIEWS.items() if k[0] == "train"}
    with pytest.raises(DatasetError, match="test/neg/"):
        imdb.load_data(extracted_folder(tmp_path, reviews))


@pytest.mark.parametrize("make", [
    lambda tmp_path: str(tmp_path / "missing.tar.gz"),
    lambda tmp_path: str(mkdir(tmp_path / "empty")),
], ids=["missing", "empty folder"])
def test_path_without_data_is_an_error_not_a_fallback(
        tmp_path, monkeypatch, make):
    """A wrong ``path`` must not quietly load $THEANO_RNN_DATA's copy (or
    download one): the error names the argument and what was expected."""
    labeled_archive(mkdir(tmp_path / "env"))
    monkeypatch.setenv(datasets.DATA_ENV, str(tmp_path / "env"))
    path = make(tmp_path)
    with pytest.raises(DatasetError) as info:
        imdb.load_data(path)
    for part in ("path=%r" % path, imdb.ARCHIVE_NAMES[0], "aclImdb/"):
        assert part in str(info.value)
    assert cache_files() == []


def test_offline_error_lists_every_place_looked_and_how_to_fix(
        tmp_path, monkeypatch, offline):
    monkeypatch.setenv(datasets.DATA_ENV, str(tmp_path / "shared"))
    with pytest.raises(OSError) as info:
        imdb.load_data()
    message = str(info.value)
    for place in (str(tmp_path / "shared"),
                  datasets.cache_dir(), "network is unreachable",
                  "THEANO_RNN_DATA", "path=", imdb.URL):
        assert place in message
    assert cache_files() == []


def test_offline_error_says_which_places_are_not_set(offline):
    with pytest.raises(OSError, match="the path argument: not set"):
        imdb.load_data()


# --- IMDB: download (with a fake server) -----------------------------------

def _serve(monkeypatch, payload):
    monkeypatch.setattr(urllib.request, "urlopen",
                        lambda url, timeout=None: io.BytesIO(payload))


def test_download_with_wrong_checksum_leaves_nothing_behind(tmp_path,
                                                            monkeypatch):
    with open(labeled_archive(mkdir(tmp_path / "server")), "rb") as f:
        _serve(monkeypatch, f.read())
    with pytest.raises(OSError, match="SHA-256"):
        imdb.load_data()
    assert cache_files() == []


def test_download_cut_off_by_the_server_is_an_oserror_leaving_nothing(
        monkeypatch):
    class CutOff(io.BytesIO):
        def read(self, size=-1):
            raise http.client.IncompleteRead(b"partial", 1000)
    monkeypatch.setattr(urllib.request, "urlopen",
                        lambda url, timeout=None: CutOff())
    with pytest.raises(OSError, match="IncompleteRead|more expected"):
        imdb.load_data()
    assert cache_files() == []


def test_download_of_verified_archive_lands_in_cache_and_loads(
        tmp_path, monkeypatch, capsys):
    with open(official_archive(tmp_path), "rb") as f:
        payload = f.read()
    os.remove(os.path.join(str(tmp_path), "aclImdb_v1.tar.gz"))
    _serve(monkeypatch, payload)
    monkeypatch.setattr(imdb, "ARCHIVE_SIZE", len(payload))
    monkeypatch.setattr(imdb, "ARCHIVE_SHA256",
                        hashlib.sha256(payload).hexdigest())
    (x, y), _ = imdb.load_data()
    assert sorted(pairs(x, y)) == sorted(TRAIN)
    assert "100%" in capsys.readouterr().err
    assert imdb.find_source() == os.path.join(datasets.cache_dir(),
                                              "aclImdb_v1.tar.gz")
    assert not [f for f in cache_files() if f.endswith(".part")]


# --- IMDB: the real data ----------------------------------------------------

@pytest.fixture
def real_source(monkeypatch, tmp_path_factory):
    """The real archive, found through the environment tests started with;
    the cache goes to $THEANO_RNN_HOME if it was set, else a temp folder."""
    for name, value in ORIGINAL_ENV.items():
        if value is not None:
            monkeypatch.setenv(name, value)
    source = imdb.find_source()
    if source is None:
        pytest.skip("real IMDB data not found: set THEANO_RNN_DATA to the "
                    "directory holding aclImdb_v1.tar.gz or "
                    "aclImdb_labeled.tar.gz")
    if ORIGINAL_ENV[datasets.HOME_ENV] is None:
        monkeypatch.setenv(datasets.HOME_ENV,
                           str(tmp_path_factory.mktemp("theano_rnn_home")))
    return source


def test_real_imdb_has_25000_balanced_reviews_and_num_words_caps_indices(
        real_source):
    (x_train, y_train), (x_test, y_test) = imdb.load_data(
        real_source, num_words=20000)
    assert len(x_train) == len(y_train) == 25000
    assert len(x_test) == len(y_test) == 25000
    assert np.bincount(y_train).tolist() == [12500, 12500]
    assert np.bincount(y_test).tolist() == [12500, 12500]
    for x in (x_train, x_test):
        assert max(max(seq) for seq in x) == 19999
        assert min(min(seq) for seq in x) == 1
        assert all(seq[0] == 1 for seq in x)
    assert imdb.get_word_index(real_source)["the"] == 1


# --- sine waves -------------------------------------------------------------

def test_sine_wave_follows_the_documented_rule():
    X, y = sine.generate_sine_wave(seq_length=7, num_samples=3, seed=5)
    starts = np.random.RandomState(5).uniform(0, 4 * np.pi, size=3)
    for i, start in enumerate(starts):
        wave = np.sin(np.linspace(start, start + 4 * np.pi, 8))
        np.testing.assert_allclose(X[i, :, 0], wave[:7], rtol=1e-6)
        np.testing.assert_allclose(y[i, 0], wave[7], rtol=1e-6)


def test_sine_wave_shapes_and_dtype():
    X, y = sine.generate_sine_wave(10, 4)
    assert X.shape == (4, 10, 1) and y.shape == (4, 1)
    assert X.dtype == y.dtype == np.float32


def test_sine_wave_seed_makes_it_reproducible():
    a = sine.generate_sine_wave(5, 2, seed=1)
    b = sine.generate_sine_wave(5, 2, seed=1)
    c = sine.generate_sine_wave(5, 2, seed=2)
    np.testing.assert_array_equal(a[0], b[0])
    assert not np.array_equal(a[0], c[0])


def test_sine_load_data_uses_different_seeds_for_train_and_test():
    (x_train, y_train), (x_test, y_test) = sine.load_data(
        num_train=6, num_test=6, seq_length=4, seed=3)
    assert x_train.shape == (6, 4, 1) and y_test.shape == (6, 1)
    assert not np.array_equal(x_train, x_test)
    np.testing.assert_array_equal(
        x_test, sine.generate_sine_wave(4, 6, seed=4)[0])


@pytest.mark.parametrize("call, argument", [
    (lambda: sine.generate_sine_wave(0, 3), "seq_length"),
    (lambda: sine.generate_sine_wave(3, -1), "num_samples"),
    (lambda: sine.generate_sine_wave(2.5, 3), "seq_length"),
    (lambda: sine.load_data(num_train=0), "num_train"),
    (lambda: sine.load_data(num_test=True), "num_test"),
])
def test_sine_bad_argument_raises_value_error_naming_it(call, argument):
    with pytest.raises(ValueError, match=argument):
        call()
