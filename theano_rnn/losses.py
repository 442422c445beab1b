"""Loss functions, written in plain Theano with Keras 2.x semantics.

Every loss has the signature ``f(y_true, y_pred)`` and returns a *symbolic*
tensor with one value per sample: the last axis (the features or classes) is
reduced, every other axis is kept.  For a ``(batch, classes)`` output this is
a ``(batch,)`` vector; for a ``(batch, time, classes)`` sequence output it is a
``(batch, time)`` matrix.  Averaging over the batch (and applying sample
weights or masks) is the model's job, exactly as in Keras.

The crossentropies clip the predicted probabilities to
``[EPSILON, 1 - EPSILON]`` before taking logarithms, as Keras does, so that a
prediction of exactly 0 or 1 gives a large but finite loss instead of
``inf``/``nan``.

Look-ups by name go through :func:`get`; :func:`serialize` gives the name back.
"""
from .runtime import T

#: Clipping constant of the crossentropies (Keras's ``K.epsilon()``).
EPSILON = 1e-7


def _clip_probabilities(p):
    """Clip probabilities to ``[EPSILON, 1 - EPSILON]``."""
    return T.clip(p, EPSILON, 1.0 - EPSILON)


def sparse_to_one_hot(y_true, y_pred):
    """Turn integer class labels into one-hot rows shaped like ``y_pred``.

    Parameters
    ----------
    y_true : tensor
        Integer labels (any dtype), shaped either like ``y_pred`` without its
        last axis, e.g. ``(batch,)``, or with a last axis of length 1, e.g.
        ``(batch, 1)`` as Keras targets usually are.
    y_pred : tensor
        Predictions of shape ``(..., classes)``.

    Returns
    -------
    tensor
        One-hot targets, same shape and dtype as ``y_pred``.
    """
    labels = T.cast(y_true.flatten(), "int32")
    one_hot = T.extra_ops.to_one_hot(labels, y_pred.shape[-1],
                                     dtype=y_pred.dtype)
    return one_hot.reshape(y_pred.shape, ndim=y_pred.ndim)


def mean_squared_error(y_true, y_pred):
    r"""Mean squared error over the last axis.

    .. math:: L = \frac{1}{K}\sum_{k=1}^{K} (\hat y_k - y_k)^2
    """
    return T.mean(T.sqr(y_pred - y_true), axis=-1)


def mean_absolute_error(y_true, y_pred):
    r"""Mean absolute error over the last axis.

    .. math:: L = \frac{1}{K}\sum_{k=1}^{K} |\hat y_k - y_k|
    """
    return T.mean(abs(y_pred - y_true), axis=-1)


def binary_crossentropy(y_true, y_pred):
    r"""Binary crossentropy, averaged over the last axis.

    With :math:`p = \mathrm{clip}(\hat y, \epsilon, 1-\epsilon)`,

    .. math:: L = -\frac{1}{K}\sum_{k=1}^{K}
              \left[y_k \log p_k + (1 - y_k) \log(1 - p_k)\right]

    ``y_pred`` holds probabilities (the output of a sigmoid).  This equals the
    logit form Keras's TensorFlow backend uses, evaluated at the clipped p.
    """
    p = _clip_probabilities(y_pred)
    elementwise = -(y_true * T.log(p) + (1.0 - y_true) * T.log(1.0 - p))
    return T.mean(elementwise, axis=-1)


def categorical_crossentropy(y_true, y_pred):
    r"""Categorical crossentropy over the last (class) axis.

    The predictions are first renormalised to sum to one, then clipped,
    as in Keras:

    .. math:: p_k = \mathrm{clip}\Big(\hat y_k \big/ \textstyle\sum_j \hat y_j,
              \ \epsilon,\ 1-\epsilon\Big), \qquad
              L = -\sum_{k=1}^{K} y_k \log p_k

    ``y_true`` holds one-hot (or soft) targets shaped like ``y_pred``.
    """
    p = y_pred / T.sum(y_pred, axis=-1, keepdims=True)
    p = _clip_probabilities(p)
    return -T.sum(y_true * T.log(p), axis=-1)


def sparse_categorical_crossentropy(y_true, y_pred):
    r"""Categorical crossentropy with integer targets.

    .. math:: L = -\log p_{y}

    with ``p`` renormalised and clipped as in
    :func:`categorical_crossentropy` and ``y`` the integer class label.
    ``y_true`` is shaped like ``y_pred`` without its class axis, or with a
    class axis of length 1 (see :func:`sparse_to_one_hot`).
    """
    return categorical_crossentropy(sparse_to_one_hot(y_true, y_pred), y_pred)


# Short aliases, as in Keras.
mse = MSE = mean_squared_error
mae = MAE = mean_absolute_error

#: Name -> loss function, for :func:`get`.
LOSSES = {
    "mean_squared_error": mean_squared_error,
    "mse": mean_squared_error,
    "mean_absolute_error": mean_absolute_error,
    "mae": mean_absolute_error,
    "binary_crossentropy": binary_crossentropy,
    "categorical_crossentropy": categorical_crossentropy,
    "sparse_categorical_crossentropy": sparse_categorical_crossentropy,
}


def lookup(table, name, kind):
    """Return ``table[name]`` or raise a ``ValueError`` listing the names.

    Shared by the ``get`` functions of the losses, metrics and optimizers.

    Parameters
    ----------
    table : dict
        Known names mapped to objects.
    name : str
        The name asked for.
    kind : str
        What is being looked up, for the error message (e.g. ``'loss'``).
    """
    try:
        return table[name]
    except (KeyError, TypeError):
        raise ValueError("Unknown %s %r; known names are: %s"
                         % (kind, name, ", ".join(sorted(table))))


def get(identifier):
    """Return the loss function for ``identifier``.

    Parameters
    ----------
    identifier : str, callable or None
        A name from :data:`LOSSES` (``'mse'``, ``'binary_crossentropy'``,
        ...), or a callable ``f(y_true, y_pred)`` which is returned as it is.
        ``None`` gives ``None``.

    Raises
    ------
    ValueError
        For an unknown name or an identifier of another type.
    """
    if identifier is None or callable(identifier):
        return identifier
    return lookup(LOSSES, identifier, "loss")


def serialize(loss):
    """Return the name of a loss function (its ``__name__``)."""
    return loss.__name__
