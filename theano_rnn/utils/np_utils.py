"""NumPy helpers of Keras's ``keras.utils.np_utils``."""
import numpy as np


def to_categorical(y, num_classes=None, dtype="float32"):
    """One-hot encode integer class labels.

    ``y`` of shape ``(...)`` (a trailing axis of size 1 is dropped, as in
    Keras) becomes ``(..., num_classes)`` with a 1 at each label;
    ``num_classes`` defaults to ``max(y) + 1``.  Labels must be integers in
    ``[0, num_classes)``.  Keras 1 called the argument ``nb_classes``; use
    the positional form or ``num_classes``.
    """
    y = np.asarray(y)
    if y.size and not (np.issubdtype(y.dtype, np.integer) or
                       np.array_equal(y, np.round(y))):
        raise ValueError("to_categorical: y must hold integer class labels, "
                         "got dtype %s" % y.dtype)
    y = y.astype("int64")
    if y.ndim and y.shape[-1] == 1 and y.ndim > 1:
        y = y[..., 0]
    if num_classes is None:
        num_classes = int(y.max()) + 1 if y.size else 0
    if y.size and (y.min() < 0 or y.max() >= num_classes):
        raise ValueError("to_categorical: labels must lie in [0, %d) "
                         "(num_classes=%d), found %d to %d"
                         % (num_classes, num_classes, y.min(), y.max()))
    categorical = np.zeros(y.shape + (num_classes,), dtype=dtype)
    np.put_along_axis(categorical, y[..., None], 1, axis=-1)
    return categorical


def normalize(x, axis=-1, order=2):
    """``x`` divided by its ``order``-norm along ``axis`` (zero norms left
    as zeros)."""
    norms = np.atleast_1d(np.linalg.norm(x, order, axis))
    norms[norms == 0] = 1
    return x / np.expand_dims(norms, axis)


def probas_to_classes(y_pred):
    """Keras 1: the class of each row of probabilities (a threshold at 0.5
    for a single column)."""
    y_pred = np.asarray(y_pred)
    if y_pred.ndim > 1 and y_pred.shape[-1] > 1:
        return y_pred.argmax(axis=-1)
    return (y_pred > 0.5).astype("int32").reshape(len(y_pred))
