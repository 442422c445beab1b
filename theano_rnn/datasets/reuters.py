"""Reuters newswire topics, from Keras's ``reuters.npz`` and
``reuters_word_index.json``.

``load_data`` follows ``keras.datasets.reuters.load_data`` of Keras 2.3.1:
the 11,228 newswires (lists of word ranks, rank 1 the most frequent word)
and their 46 topic labels are shuffled together with
``np.random.RandomState(seed)``; every rank is shifted by ``index_from`` and
``start_char`` put in front; sequences with ``maxlen`` or more items are
dropped; indices outside ``[skip_top, num_words)`` become ``oov_char`` (or
are dropped when it is ``None``; ``num_words`` defaults to the largest
index); the first ``1 - test_split`` of the samples are the training set.
Keras 1's ``nb_words`` is ``num_words`` (with a warning).

Files are found as :func:`theano_rnn.datasets.find_file` says and otherwise
downloaded into the cache folder, checked against Keras's MD5 hashes.  The
``.npz`` holds object arrays of lists, so it is read with
``allow_pickle=True``: only load files you trust.
"""
import json

import numpy as np

from . import DatasetError, find_file
from .. import legacy

URL = "https://s3.amazonaws.com/text-datasets/reuters.npz"
FILE_HASH = "87aedbeb0cb229e378797a632c1997b6"
WORD_INDEX_URL = ("https://s3.amazonaws.com/text-datasets/"
                  "reuters_word_index.json")
WORD_INDEX_HASH = "4d44cc38712099c9e383dc6e5f11a921"


def _read(filename):
    try:
        with np.load(filename, allow_pickle=True) as f:
            if "x" not in f.files or "y" not in f.files:
                raise DatasetError("%s is not Keras's reuters.npz: it needs "
                                   "the arrays x and y, found %s"
                                   % (filename, ", ".join(f.files)))
            return f["x"], f["y"]
    except DatasetError:
        raise
    except (OSError, ValueError) as err:
        raise DatasetError("%s is not a readable .npz file (%s)"
                           % (filename, err)) from err


@legacy.dataset_support
def load_data(path="reuters.npz", num_words=None, skip_top=0, maxlen=None,
              test_split=0.2, seed=113, start_char=1, oov_char=2,
              index_from=3):
    """``(x_train, y_train), (x_test, y_test)``: object arrays of lists of
    word indices, and integer topic labels (see the module docstring)."""
    if not 0 <= test_split <= 1:
        raise ValueError("test_split must be in [0, 1], got %r"
                         % (test_split,))
    xs, labels = _read(find_file("reuters.npz", path, URL, FILE_HASH,
                                 "Reuters data"))
    indices = np.arange(len(xs))
    np.random.RandomState(seed).shuffle(indices)
    xs, labels = xs[indices], labels[indices]
    prefix = [] if start_char is None else [start_char]
    xs = [prefix + [w + index_from for w in x] for x in xs]
    if maxlen:
        kept = [i for i, x in enumerate(xs) if len(x) < maxlen]
        xs, labels = [xs[i] for i in kept], labels[kept]
        if not xs:
            raise ValueError("maxlen=%d leaves no newswire: every sequence "
                             "has maxlen items or more" % maxlen)
    if not num_words:
        num_words = max(max(x) for x in xs if x)
    if oov_char is not None:
        xs = [[w if skip_top <= w < num_words else oov_char for w in x]
              for x in xs]
    else:
        xs = [[w for w in x if skip_top <= w < num_words] for x in xs]
    split = int(len(xs) * (1 - test_split))
    return ((_object_array(xs[:split]), np.array(labels[:split])),
            (_object_array(xs[split:]), np.array(labels[split:])))


def _object_array(lists):
    out = np.empty(len(lists), dtype=object)
    out[:] = lists
    return out


def get_word_index(path="reuters_word_index.json"):
    """The word -> rank dictionary of ``reuters_word_index.json``."""
    filename = find_file("reuters_word_index.json", path, WORD_INDEX_URL,
                         WORD_INDEX_HASH, "Reuters word index")
    try:
        with open(filename, encoding="utf-8") as f:
            return json.load(f)
    except ValueError as err:
        raise DatasetError("%s is not a JSON word index (%s)"
                           % (filename, err)) from err
