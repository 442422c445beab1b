"""MNIST handwritten digits, from Keras's ``mnist.npz``.

``load_data()`` returns ``(x_train, y_train), (x_test, y_test)``: uint8
images ``(60000, 28, 28)`` and ``(10000, 28, 28)``, uint8 labels 0-9, exactly
the arrays of the file Keras 2 downloads (its ``x_train``, ``y_train``,
``x_test``, ``y_test``).  The file is looked for as
:func:`theano_rnn.datasets.find_file` says (a ``path`` argument,
``$THEANO_RNN_DATA``, the cache folder) and downloaded into the cache folder
otherwise, checked against Keras's MD5.
"""
import numpy as np

from . import DatasetError, find_file

URL = "https://s3.amazonaws.com/img-datasets/mnist.npz"
#: The MD5 Keras 2.3.1 checks the file against.
FILE_HASH = "8a61469f7ea1b51cbae51d4f78837e45"
_KEYS = ("x_train", "y_train", "x_test", "y_test")


def load_data(path="mnist.npz"):
    """``(x_train, y_train), (x_test, y_test)`` from ``mnist.npz``.

    ``path``: Keras's file name (looked for in ``$THEANO_RNN_DATA`` and the
    cache folder), or the file itself, or a folder holding ``mnist.npz``.
    """
    filename = find_file("mnist.npz", path, URL, FILE_HASH, "MNIST data")
    try:
        with np.load(filename, allow_pickle=False) as f:
            missing = [k for k in _KEYS if k not in f.files]
            if missing:
                raise DatasetError("%s is not Keras's mnist.npz: it lacks %s"
                                   % (filename, ", ".join(missing)))
            x_train, y_train, x_test, y_test = (f[k] for k in _KEYS)
    except (OSError, ValueError) as err:
        if isinstance(err, DatasetError):
            raise
        raise DatasetError("%s is not a readable .npz file (%s)"
                           % (filename, err)) from err
    return (x_train, y_train), (x_test, y_test)
