"""Data sets for the examples and tests (pure NumPy, no Theano).

* :mod:`theano_rnn.datasets.imdb` -- the IMDB movie-review sentiment data
  (Maas et al., 2011) as sequences of word indices, Keras style.
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

#: Environment variable naming a directory (or file) that holds data files.
DATA_ENV = "THEANO_RNN_DATA"
#: Environment variable overriding the ``~/.theano_rnn`` home folder.
HOME_ENV = "THEANO_RNN_HOME"


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
    home = os.environ.get(HOME_ENV) or os.path.join("~", ".theano_rnn")
    return os.path.join(os.path.expanduser(home), "datasets")


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
