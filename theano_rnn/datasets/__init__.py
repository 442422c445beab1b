"""Data sets for the examples and tests (pure NumPy, no Theano).

* :mod:`theano_rnn.datasets.imdb` -- the IMDB movie-review sentiment data
  (Maas et al., 2011) as sequences of word indices, Keras style.
* :mod:`theano_rnn.datasets.mnist` -- Keras's ``mnist.npz`` (handwritten
  digits).
* :mod:`theano_rnn.datasets.reuters` -- Keras's ``reuters.npz`` (newswire
  topics) and ``reuters_word_index.json``.
* :mod:`theano_rnn.datasets.sine` -- synthetic sine waves for sequence
  regression.

Import the one you need: ``from theano_rnn.datasets import imdb``.

Where data files are looked for
-------------------------------
A loader looks for its files in these places, in this order, and uses the
first that holds them:

1. the ``path`` argument of the loader, if given (then it must hold them:
   a loader raises rather than fall back to another copy);
2. the directory (or file) named by the environment variable
   ``THEANO_RNN_DATA`` -- e.g. ``export THEANO_RNN_DATA=/data/shared``;
3. the cache folder ``~/.theano_rnn/datasets``.  Setting the environment
   variable ``THEANO_RNN_HOME`` moves it to ``$THEANO_RNN_HOME/datasets``.

The cache folder is also where downloaded files and the loaders' caches of
preprocessed data are written (it is created when first needed).
"""
import os

from ..utils.data_utils import HOME_ENV, get_file, home_dir  # noqa: F401

#: Environment variable naming a directory (or file) that holds data files.
DATA_ENV = "THEANO_RNN_DATA"


class DatasetError(ValueError):
    """A data file or folder exists but is not what the loader expects
    (truncated or corrupt archive, missing folders...)."""


def data_dir():
    """Return the location named by ``$THEANO_RNN_DATA``, or None if unset."""
    value = os.environ.get(DATA_ENV)
    return os.path.expanduser(value) if value else None


def cache_dir():
    """Return the cache folder: ``$THEANO_RNN_HOME/datasets``, or
    ``~/.theano_rnn/datasets`` when ``THEANO_RNN_HOME`` is unset.

    The folder is not created here.
    """
    return os.path.join(home_dir(), "datasets")


def search_locations(path=None):
    """List the places a loader looks at, in order.

    Parameters
    ----------
    path : str or None
        The loader's ``path`` argument.

    Returns
    -------
    list of (str, str or None)
        ``(description, location)`` pairs; ``location`` is None for a place
        that is not set (no ``path`` argument, ``THEANO_RNN_DATA`` unset).
    """
    return [("the path argument", path),
            ("$%s" % DATA_ENV, data_dir()),
            ("the cache folder", cache_dir())]


def not_found_message(what, names, path, err, url, size=None):
    """The error of a loader that found its data nowhere and could not
    download it: every place looked at, and how to provide the file."""
    places = "\n".join("  - %s: %s" % (where, location or "not set")
                       for where, location in search_locations(path))
    return ("%s not found, and downloading it failed (%s).\n"
            "Looked for %s in:\n%s\n"
            "Get %s%s by other means, then either pass its location "
            "as load_data(path=...) or set the environment variable "
            "%s to the directory that holds it (or put it in the cache "
            "folder)." % (what, err, names, places, url,
                          " (%.0f MB)" % (size / 1e6) if size else "",
                          DATA_ENV))


def find_file(filename, path, url, file_hash, what):
    """The path of the data file ``filename`` (Keras's name, e.g.
    ``mnist.npz``), found or downloaded as the module docstring says.

    ``path`` is the loader's argument: a file, or a folder holding
    ``filename`` (a ``DatasetError`` if it is neither), or Keras's bare file
    name (``'mnist.npz'``), which is looked for in ``$THEANO_RNN_DATA`` and
    the cache folder.  Downloads go to the cache folder, checked against
    ``file_hash``; offline, an ``OSError`` lists every place looked at.
    """
    if path is not None and (os.path.dirname(path) or os.path.exists(path)):
        path = os.path.expanduser(path)
        candidate = os.path.join(path, filename) if os.path.isdir(path) \
            else path
        if not os.path.isfile(candidate):
            raise DatasetError("%s: %s holds no %s" % (what, path, filename))
        return candidate
    if path is not None:
        filename = path
    for _, location in search_locations()[1:]:
        if location is None:
            continue
        candidate = location if os.path.isfile(location) and \
            os.path.basename(location) == filename else \
            os.path.join(location, filename)
        if os.path.isfile(candidate):
            return candidate
    try:
        return get_file(filename, url, file_hash=file_hash,
                        cache_dir=os.path.dirname(cache_dir()),
                        cache_subdir=os.path.basename(cache_dir()))
    except OSError as err:
        raise OSError(not_found_message(what, filename, None, err.__cause__
                                        or err, url)) from err
