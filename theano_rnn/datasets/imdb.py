"""IMDB movie reviews for sentiment classification, the Keras way.

The Large Movie Review Dataset v1.0 (Maas et al., "Learning Word Vectors for
Sentiment Analysis", ACL 2011) has 25,000 training and 25,000 test reviews,
half positive (label 1) and half negative (label 0).  :func:`load_data`
returns them as lists of word indices with the conventions of
``keras.datasets.imdb.load_data``, but built here from the original text, so
the vocabulary (and thus the indices) is this module's own, not Keras's.

Where the data comes from
-------------------------
:func:`find_source` looks, in the order described in
:mod:`theano_rnn.datasets` (``path`` argument, ``$THEANO_RNN_DATA``, cache
folder), for

* ``aclImdb_v1.tar.gz`` -- the official archive (84 MB; its unlabeled
  ``train/unsup/`` reviews and ``*.feat`` files are ignored),
* ``aclImdb_labeled.tar.gz`` -- the same without those members,
* an extracted ``aclImdb/`` folder (or the location itself, if it is one),

or at a file given directly.  A ``path`` argument that holds none of these
is an error (:func:`source_at`), not a reason to look further: the data
used is always the data asked for.  The reviews must be laid out as
``aclImdb/{train,test}/{pos,neg}/<id>_<rating>.txt``.  Archives are read
straight from the ``.tar.gz`` (no extraction).  Files are decoded as UTF-8;
an invalid byte would become U+FFFD (``errors='replace'``) rather than abort.

If nothing is found, the official archive is downloaded into the cache
folder and checked against its size (84,125,825 bytes) and SHA-256 as
recorded in the Hugging Face ``datasets`` metadata of ``imdb`` and in other
public loaders (values not checked against a real download when this was
written).  If the download fails, an ``OSError`` lists every place looked at
and how to provide the file.

Tokenisation and word ranks
---------------------------
A review is split into words by
``text_to_word_sequence(clean_review(text))``: ``<br />`` tags become spaces,
text is lower-cased, punctuation removed (apostrophes kept).  Reviews are
read in a fixed order: train before test, ``neg`` before ``pos``, then by
file name (sorted as strings).  Words are ranked by their number of
occurrences in the *training* reviews, rank 1 being the most frequent; equal
counts are ordered by first occurrence in that reading order.  Words that
occur only in test reviews come after all training words, ranked the same way
by their test-set counts.

Cache
-----
The tokenised corpus (ranks of every review, labels, vocabulary), before any
``load_data`` option is applied, is saved in the cache folder as
``imdb_<hash of the source path>.npz`` (plain arrays, loaded with
``allow_pickle=False``).  It stores a signature of the source (path, size and
modification time of an archive; names, sizes and modification times of the
files of a folder) and is rebuilt when the source changes or the file is
unreadable.  On a 2-core machine the first load of the real data takes about
6 s, later ones about 1 s.
"""
import contextlib
import gzip
import hashlib
import http.client
import os
import re
import sys
import tarfile
import urllib.request
import uuid
import warnings
import zipfile
import zlib
from collections import namedtuple

import numpy as np

from . import DATA_ENV, DatasetError, cache_dir, search_locations
from ..preprocessing.text import clean_review, text_to_word_sequence
from ..validation import is_integer

#: Where the official archive is downloaded from.
URL = "https://ai.stanford.edu/~amaas/data/sentiment/aclImdb_v1.tar.gz"
#: Size in bytes and SHA-256 of ``aclImdb_v1.tar.gz`` (see the docstring).
ARCHIVE_SIZE = 84125825
ARCHIVE_SHA256 = ("c40f74a18d3b61f90feba1e17730e0d38e8b97c05fde7008942e91923"
                  "d1658fe")
#: Archive names looked for in a directory, in order of preference.
ARCHIVE_NAMES = ("aclImdb_v1.tar.gz", "aclImdb_labeled.tar.gz")
#: Name of the extracted folder.
FOLDER_NAME = "aclImdb"

_SPLITS = ("train", "test")
_LABELS = {"neg": 0, "pos": 1}
_FILE = r"\d+_\d+\.txt"
_MEMBER = re.compile(r"(?:\./)?%s/(train|test)/(pos|neg)/(%s)"
                     % (FOLDER_NAME, _FILE))
_LAYOUT = FOLDER_NAME + "/{train,test}/{pos,neg}/<id>_<rating>.txt"
#: Bump when tokenisation or the cache layout changes, to rebuild caches.
_CACHE_VERSION = 1

#: One split of the tokenised corpus: the word ranks of all reviews in one
#: flat int32 array, review ``i`` being ``ranks[offsets[i]:offsets[i+1]]``.
_Split = namedtuple("_Split", "ranks offsets labels")
#: ``words[r - 1]`` is the word of rank ``r``.
_Corpus = namedtuple("_Corpus", "words train test")


def load_data(path=None, num_words=None, skip_top=0, maxlen=None, seed=113,
              start_char=1, oov_char=2, index_from=3):
    """Load the IMDB reviews as sequences of word indices.

    Parameters
    ----------
    path : str or None
        An archive, an ``aclImdb`` folder or a directory holding one (a
        ``DatasetError`` if it holds none of these).  None: look in
        ``$THEANO_RNN_DATA`` and the cache folder, then download; see the
        module docstring.
    num_words : int or None
        Keep only word indices below ``num_words`` (indices are
        ``rank + index_from``, so the ``num_words - index_from - 1`` most
        frequent words); others become ``oov_char``.  As in Keras, every
        index in the output is then below ``num_words``.  None keeps all.
    skip_top : int
        The ``skip_top`` most frequent words (ranks ``1..skip_top``) become
        ``oov_char`` too.
    maxlen : int or None
        Drop reviews whose sequence, ``start_char`` included, has ``maxlen``
        or more items -- Keras keeps only ``len(x) < maxlen``.  The test is
        made before words are dropped by ``oov_char=None``.
    seed : int
        Seed of the ``np.random.RandomState`` that shuffles the training and
        then the test reviews (labels in step).
    start_char : int or None
        Put at the start of every sequence (None: nothing is added).  It is
        never replaced by ``oov_char``.
    oov_char : int or None
        Replaces the words cut by ``num_words``/``skip_top``; None drops them.
    index_from : int
        Added to the ranks, leaving the indices ``0..index_from`` free for
        padding, start and out-of-vocabulary marks.

    Returns
    -------
    (x_train, y_train), (x_test, y_test)
        ``x``: 1-D object arrays of lists of int; ``y``: int64 arrays of 0
        (negative) and 1 (positive).

    Raises
    ------
    ValueError
        For an invalid argument, or if ``maxlen`` leaves no review.
    DatasetError
        If the source found is corrupt or not laid out as expected.
    OSError
        If no source is found and the download fails.

    Notes
    -----
    Unlike Keras, ``num_words=None`` keeps every word (Keras turns the
    highest index into ``oov_char``) and ``skip_top`` counts word ranks
    (Keras compares it with ``rank + index_from``).
    """
    _check_int("index_from", index_from, 0)
    _check_int("num_words", num_words, index_from + 1, allow_none=True,
               why=" (greater than index_from=%d)" % index_from)
    _check_int("skip_top", skip_top, 0)
    _check_int("maxlen", maxlen, 1, allow_none=True)
    _check_int("start_char", start_char, 0, allow_none=True)
    _check_int("oov_char", oov_char, 0, allow_none=True)
    corpus = _load_corpus(path)
    rng = np.random.RandomState(seed)
    options = dict(num_words=num_words, skip_top=skip_top, maxlen=maxlen,
                   start_char=start_char, oov_char=oov_char,
                   index_from=index_from)
    train = _sequences(corpus.train, rng, **options)
    test = _sequences(corpus.test, rng, **options)
    if not len(train[0]) and not len(test[0]):
        raise ValueError("`maxlen`=%d leaves no review: every sequence has "
                         "maxlen items or more; increase maxlen" % maxlen)
    return train, test


def get_word_index(path=None):
    """Return the vocabulary as a dict word -> rank (1 = most frequent).

    As in Keras the ranks do not include ``index_from``: in sequences from
    :func:`load_data` word ``w`` has index ``word_index[w] + index_from``.
    ``path`` is as for :func:`load_data`.
    """
    words = _load_corpus(path).words
    return {word: rank for rank, word in enumerate(words, 1)}


def find_source(path=None):
    """Return the IMDB archive or folder to read, or None if none is found.

    Parameters
    ----------
    path : str or None
        Looked at first; then ``$THEANO_RNN_DATA``, then the cache folder.

    Returns
    -------
    str or None
        Absolute path of an archive or of an extracted ``aclImdb`` folder.
    """
    for _, location in search_locations(path):
        source = _source_at(location) if location else None
        if source is not None:
            return source
    return None


def source_at(path):
    """Return the archive or folder at ``path`` (as :func:`find_source`
    would find it there), or raise ``DatasetError`` naming ``path``."""
    source = _source_at(path)
    if source is None:
        raise DatasetError(
            "path=%r: %s; expected %s, a directory holding one of them, or "
            "an extracted %s/ folder (path=None looks in $%s and the cache "
            "folder, then downloads)"
            % (path, "no such file or directory" if not os.path.exists(path)
               else "no IMDB data there", " or ".join(ARCHIVE_NAMES),
               FOLDER_NAME, DATA_ENV))
    return source


def _source_at(location):
    """Return the archive or folder found at ``location``, or None."""
    if os.path.isfile(location):
        return os.path.abspath(location)
    for name in ARCHIVE_NAMES:
        if os.path.isfile(os.path.join(location, name)):
            return os.path.abspath(os.path.join(location, name))
    folder = os.path.join(location, FOLDER_NAME)
    if os.path.isdir(folder):
        return os.path.abspath(folder)
    if any(os.path.isdir(os.path.join(location, s)) for s in _SPLITS):
        return os.path.abspath(location)  # ``location`` is an aclImdb folder
    return None


def _check_int(name, value, minimum, allow_none=False, why=""):
    """Raise ValueError unless ``value`` is an int >= ``minimum``."""
    if value is None and allow_none:
        return
    if not is_integer(value) or value < minimum:
        raise ValueError("`%s` must be %san int >= %d%s, got %r"
                         % (name, "None or " if allow_none else "", minimum,
                            why, value))


def _sequences(split, rng, num_words, skip_top, maxlen, start_char, oov_char,
               index_from):
    """Shuffle one split and apply the ``load_data`` options to it."""
    order = rng.permutation(len(split.labels))
    index = split.ranks.astype(np.int64) + index_from
    oov = split.ranks <= skip_top
    if num_words is not None:
        oov |= index >= num_words
    if oov_char is None:
        kept_before = np.concatenate([[0], np.cumsum(~oov)])
        index, offsets = index[~oov], kept_before[split.offsets]
    else:
        index[oov] = oov_char
        offsets = split.offsets
    tokens, offsets = index.tolist(), offsets.tolist()
    prefix = [] if start_char is None else [start_char]
    lengths = np.diff(split.offsets) + len(prefix)
    keep = order if maxlen is None else order[lengths[order] < maxlen]
    x = np.empty(len(keep), dtype=object)
    for row, i in enumerate(keep):
        x[row] = prefix + tokens[offsets[i]:offsets[i + 1]]
    return x, split.labels[keep].astype(np.int64)


def _load_corpus(path):
    """Return the tokenised corpus, from the cache or built from the source."""
    source = source_at(path) if path is not None else find_source()
    if source is None:
        source = _download_archive(path)
    signature = _signature(source)
    key = hashlib.sha1(source.encode("utf-8")).hexdigest()[:16]
    cache_file = os.path.join(cache_dir(), "imdb_%s.npz" % key)
    corpus = _read_cache(cache_file, signature)
    if corpus is None:
        corpus = _tokenise(_read_reviews(source))
        _write_cache(cache_file, signature, corpus)
    return corpus


# --- Reading the source ---------------------------------------------------

def _read_reviews(source):
    """Return ``{(split, label_dir, file_name): text}`` of all reviews."""
    if os.path.isdir(source):
        reviews = {key: _read_text(filename)
                   for key, filename in _folder_files(source)}
    else:
        reviews = _read_archive(source)
    found = {key[:2] for key in reviews}
    for split in _SPLITS:
        for label in _LABELS:
            if (split, label) not in found:
                raise DatasetError(
                    "%s has no review under %s/%s/%s/; expected the layout "
                    "%s (as in %s)" % (source, FOLDER_NAME, split, label,
                                       _LAYOUT, ARCHIVE_NAMES[0]))
    return reviews


def _read_text(filename):
    with open(filename, "rb") as f:
        return f.read().decode("utf-8", errors="replace")


def _folder_files(folder):
    """Yield ``((split, label_dir, name), path)`` of an extracted folder."""
    for split in _SPLITS:
        for label in _LABELS:
            subdir = os.path.join(folder, split, label)
            names = os.listdir(subdir) if os.path.isdir(subdir) else []
            for name in names:
                if re.fullmatch(_FILE, name):
                    yield (split, label, name), os.path.join(subdir, name)


def _read_archive(filename):
    """Read the reviews of a ``.tar.gz``, streaming through its members.

    The gzip layer is opened with :mod:`gzip` rather than tarfile's own
    ``'r|gz'`` stream, and read to its end after the last member, because
    only :class:`gzip.GzipFile` checks the CRC-32 and length in the gzip
    trailer: a corrupt byte in the compressed data must not load as
    different review text.
    """
    reviews = {}
    try:
        with gzip.open(filename, "rb") as compressed, \
                tarfile.open(fileobj=compressed, mode="r|") as tar:
            for member in tar:
                match = _MEMBER.fullmatch(member.name)
                if match and member.isfile():
                    data = tar.extractfile(member).read()
                    reviews[match.groups()] = data.decode("utf-8",
                                                          errors="replace")
            while compressed.read(1 << 20):   # to the end: checks the CRC
                pass
    except (tarfile.TarError, EOFError, zlib.error,
            gzip.BadGzipFile) as err:
        raise DatasetError(
            "cannot read the IMDB archive %s (%s): it is truncated or "
            "corrupt; expected a complete .tar.gz such as %s"
            % (filename, err, ARCHIVE_NAMES[0])) from err
    return reviews


def _signature(source):
    """Describe the source so that any change to it changes the result."""
    if os.path.isdir(source):
        entries = []
        for key, filename in sorted(_folder_files(source)):
            stat = os.stat(filename)
            entries.append("%s %d %d" % ("/".join(key), stat.st_size,
                                         stat.st_mtime_ns))
        digest = hashlib.sha1("\n".join(entries).encode("utf-8")).hexdigest()
        description = "folder %s %s" % (source, digest)
    else:
        stat = os.stat(source)
        description = "archive %s %d %d" % (source, stat.st_size,
                                             stat.st_mtime_ns)
    return "v%d %s" % (_CACHE_VERSION, description)


# --- Tokenising -----------------------------------------------------------

def _tokenise(reviews):
    """Turn ``{(split, label_dir, name): text}`` into a :data:`_Corpus`.

    Words first get ids in order of first occurrence (train reviews first,
    so training words have the smallest ids); these are then replaced by
    frequency ranks.
    """
    ids = {}
    encoded = {}
    for split in _SPLITS:
        keys = sorted(k for k in reviews if k[0] == split)
        docs = [np.array([ids.setdefault(word, len(ids)) for word in
                          text_to_word_sequence(clean_review(reviews[k]))],
                         dtype=np.int32) for k in keys]
        labels = np.array([_LABELS[k[1]] for k in keys], dtype=np.int8)
        encoded[split] = docs, labels
        if split == "train":
            num_train_words = len(ids)

    counts = {split: np.bincount(np.concatenate(docs), minlength=len(ids))
              for split, (docs, _) in encoded.items()}
    # Stable sorts keep first-occurrence order among equal counts.
    order = np.concatenate([
        np.argsort(-counts["train"][:num_train_words], kind="stable"),
        num_train_words + np.argsort(-counts["test"][num_train_words:],
                                     kind="stable")])
    rank_of_id = np.empty(len(ids), dtype=np.int32)
    rank_of_id[order] = np.arange(1, len(ids) + 1)
    words_by_id = list(ids)
    words = [words_by_id[i] for i in order]

    splits = []
    for split in _SPLITS:
        docs, labels = encoded[split]
        offsets = np.concatenate([[0], np.cumsum([len(d) for d in docs])])
        ranks = rank_of_id[np.concatenate(docs)]
        splits.append(_Split(ranks, offsets.astype(np.int64), labels))
    return _Corpus(words, *splits)


# --- Cache ----------------------------------------------------------------

def _read_cache(filename, signature):
    """Return the corpus cached in ``filename`` for ``signature``, or None."""
    try:
        with np.load(filename, allow_pickle=False) as data:
            if str(data["signature"]) != signature:
                return None
            text = str(data["words"])
            splits = [_Split(*(data["%s_%s" % (split, field)]
                               for field in _Split._fields))
                      for split in _SPLITS]
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, EOFError,
            zipfile.BadZipFile) as err:
        warnings.warn("ignoring unreadable IMDB cache %s (%s); rebuilding it"
                      % (filename, err))
        return None
    return _Corpus(text.split("\n") if text else [], *splits)


def _write_cache(filename, signature, corpus):
    """Save the corpus atomically; only warn if the cache is not writable."""
    arrays = {"signature": np.array(signature),
              "words": np.array("\n".join(corpus.words))}
    for split, data in zip(_SPLITS, (corpus.train, corpus.test)):
        for field, value in data._asdict().items():
            arrays["%s_%s" % (split, field)] = value
    try:
        with _atomic_write(filename) as f:
            np.savez(f, **arrays)
    except OSError as err:
        warnings.warn("could not write the IMDB cache %s (%s); the reviews "
                      "will be tokenised again next time" % (filename, err))


@contextlib.contextmanager
def _atomic_write(filename):
    """Write to a hidden temporary file beside ``filename``, renamed to it
    only if the ``with`` block succeeds (and removed otherwise)."""
    folder, name = os.path.split(filename)
    os.makedirs(folder, exist_ok=True)
    tmp = os.path.join(folder, ".%s.%s.part" % (name, uuid.uuid4().hex))
    try:
        with open(tmp, "xb") as f:
            yield f
        os.replace(tmp, filename)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


# --- Download -------------------------------------------------------------

def _download_archive(path):
    """Download the official archive into the cache folder, or explain
    where the data was looked for."""
    filename = os.path.join(cache_dir(), ARCHIVE_NAMES[0])
    try:
        _download(URL, filename, ARCHIVE_SIZE, ARCHIVE_SHA256)
    except (OSError, http.client.HTTPException) as err:
        # HTTPException: e.g. IncompleteRead, the server closing mid-file
        raise OSError(_not_found_message(path, err)) from err
    return filename


def _download(url, filename, size, sha256):
    """Download ``url`` to ``filename`` with a progress bar on stderr,
    checking its size and SHA-256; nothing is left behind on failure."""
    digest = hashlib.sha256()
    done = 0
    with _atomic_write(filename) as out, \
            urllib.request.urlopen(url, timeout=60) as response:
        while True:
            chunk = response.read(1 << 20)
            if not chunk:
                break
            out.write(chunk)
            digest.update(chunk)
            done += len(chunk)
            _show_progress(os.path.basename(filename), done, size)
        sys.stderr.write("\n")
        if done != size or digest.hexdigest() != sha256:
            raise OSError("downloaded %d bytes with SHA-256 %s; expected %d "
                          "bytes with SHA-256 %s"
                          % (done, digest.hexdigest(), size, sha256))


def _show_progress(name, done, total):
    fraction = min(done / total, 1.0)
    bar = "=" * int(30 * fraction)
    sys.stderr.write("\rDownloading %s [%-30s] %3d%% %.1f/%.1f MB"
                     % (name, bar, 100 * fraction, done / 1e6, total / 1e6))
    sys.stderr.flush()


def _not_found_message(path, err):
    places = "\n".join("  - %s: %s" % (what, where or "not set")
                       for what, where in search_locations(path))
    return ("IMDB data not found, and downloading it failed (%s).\n"
            "Looked for %s, or an extracted %s/ folder, in:\n%s\n"
            "Get %s (%.0f MB) by other means, then either pass its location "
            "as load_data(path=...) or set the environment variable "
            "THEANO_RNN_DATA to the directory that holds it."
            % (err, " or ".join(ARCHIVE_NAMES), FOLDER_NAME, places, URL,
               ARCHIVE_SIZE / 1e6))
