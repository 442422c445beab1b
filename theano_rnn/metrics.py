"""Metrics, written in plain Theano with Keras 2.x semantics.

A metric has the same signature as a loss, ``f(y_true, y_pred)``, and returns
one value per sample (the last axis reduced).  Every loss of
:mod:`theano_rnn.losses` is also a metric (``metrics=['mse']`` works).

The name ``'accuracy'`` (or ``'acc'``) does not name one function: which
accuracy is meant depends on the loss and the output shape, and is decided by
:func:`get` with the rules of Keras 2 (see there).  The name the user wrote is
the name to log, which :func:`resolve` returns alongside the function.
"""
from .runtime import theano, T

from . import losses
# The losses are metrics too; import them so that ``metrics.mse`` works.
from .losses import (mean_squared_error, mean_absolute_error,  # noqa: F401
                     mse, mae, binary_crossentropy, categorical_crossentropy,
                     sparse_categorical_crossentropy)

#: The names that mean "the accuracy appropriate to this model".
ACCURACY_NAMES = ("accuracy", "acc")


def _as_float(condition):
    """Cast a boolean tensor to floatX (1.0 for true, 0.0 for false)."""
    return T.cast(condition, theano.config.floatX)


def binary_accuracy(y_true, y_pred, threshold=0.5):
    r"""Fraction of correct binary predictions over the last axis.

    .. math:: A = \frac{1}{K}\sum_{k=1}^{K}
              \big[\, y_k = \mathbb{1}(\hat y_k > 0.5) \,\big]

    A prediction of exactly 0.5 counts as class 0 (Keras 2 rounds it down).
    """
    predicted = _as_float(T.gt(y_pred, threshold))
    return T.mean(_as_float(T.eq(y_true, predicted)), axis=-1)


def categorical_accuracy(y_true, y_pred):
    r"""1 where the most probable class is the target class, else 0.

    .. math:: A = \big[\arg\max_k y_k = \arg\max_k \hat y_k\big]

    ``y_true`` holds one-hot targets shaped like ``y_pred``.
    """
    return _as_float(T.eq(T.argmax(y_true, axis=-1),
                          T.argmax(y_pred, axis=-1)))


def sparse_categorical_accuracy(y_true, y_pred):
    r"""Categorical accuracy with integer targets.

    .. math:: A = \big[\, y = \arg\max_k \hat y_k \,\big]

    ``y_true`` holds integer labels shaped like ``y_pred`` without its class
    axis, or with a class axis of length 1 (e.g. ``(batch, 1)``).
    """
    labels = T.cast(y_true, "int64")
    if labels.ndim == y_pred.ndim:
        labels = labels.reshape(y_pred.shape[:-1], ndim=y_pred.ndim - 1)
    return _as_float(T.eq(labels, T.argmax(y_pred, axis=-1)))


#: Name -> metric function, for :func:`get` (the losses are metrics too).
METRICS = dict(losses.LOSSES,
               binary_accuracy=binary_accuracy,
               categorical_accuracy=categorical_accuracy,
               sparse_categorical_accuracy=sparse_categorical_accuracy)


def _accuracy_for(loss, output_shape):
    """The Keras 2 choice of accuracy for a loss and an output shape."""
    loss = losses.get(loss)
    last_dim = None
    if output_shape is not None:
        last_dim = output_shape if isinstance(output_shape, int) \
            else output_shape[-1]
    if last_dim == 1 or loss is losses.binary_crossentropy:
        return binary_accuracy
    if loss is losses.sparse_categorical_crossentropy:
        return sparse_categorical_accuracy
    return categorical_accuracy


def get(identifier, loss=None, output_shape=None):
    """Return the metric function for ``identifier``.

    Parameters
    ----------
    identifier : str or callable
        A name from :data:`METRICS`, ``'accuracy'``/``'acc'``, or a callable
        ``f(y_true, y_pred)`` (returned as it is).
    loss : str or callable, optional
        The model's loss for this output; used only for ``'accuracy'``.
    output_shape : tuple or int, optional
        The shape of this output, e.g. ``(None, 10)``, or just its last
        dimension; used only for ``'accuracy'``.

    Returns
    -------
    callable
        For ``'accuracy'``/``'acc'``, as in Keras 2:
        :func:`binary_accuracy` if the loss is ``binary_crossentropy`` or the
        output's last dimension is 1, else :func:`sparse_categorical_accuracy`
        if the loss is ``sparse_categorical_crossentropy``, else
        :func:`categorical_accuracy`.

    Raises
    ------
    ValueError
        For an unknown name.
    """
    if callable(identifier):
        return identifier
    if identifier in ACCURACY_NAMES:
        return _accuracy_for(loss, output_shape)
    return losses.lookup(METRICS, identifier, "metric")


def resolve(identifier, loss=None, output_shape=None):
    """Return ``(log_name, function)`` for a metric identifier.

    The log name is the name the user gave (``'acc'`` stays ``'acc'``,
    ``'accuracy'`` stays ``'accuracy'``), or the function's ``__name__`` for
    a callable; the function is ``get(identifier, loss, output_shape)``.
    The model prefixes ``'val_'`` for the validation logs.
    """
    function = get(identifier, loss, output_shape)
    name = identifier if isinstance(identifier, str) else function.__name__
    return name, function


def serialize(metric):
    """Return the name of a metric function (its ``__name__``)."""
    return metric.__name__
