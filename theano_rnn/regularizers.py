"""Weight and activity regularisers: penalties added to the training loss.

A regulariser maps a weight (or a layer's output) to a scalar penalty::

    L1L2(l1, l2)(w) = l1 * sum(|w|) + l2 * sum(w ** 2)

Layers take them as ``kernel_regularizer``, ``recurrent_regularizer``,
``bias_regularizer``, ``embeddings_regularizer`` and
``activity_regularizer`` (Keras 1: ``W_regularizer``, ``U_regularizer``,
``b_regularizer``) and list the penalties in ``layer.losses``, which the
model adds to the loss it minimises.  Names as in Keras 2.3.1: ``l1(0.01)``,
``l2(0.01)``, ``l1_l2(l1=0.01, l2=0.01)``, the class :class:`L1L2`, and
Keras 1's :class:`WeightRegularizer`/:class:`ActivityRegularizer` and
``activity_l1``/``activity_l2``/``activity_l1l2``.  The strings ``'l1'``,
``'l2'`` and ``'l1_l2'`` give those functions at their default strength.
"""
import numpy as np
from .runtime import T

from .utils.generic_utils import (deserialize_object, get_object,
                                  serialize_object)


class Regularizer(object):
    """Base class: ``regularizer(x)`` is a scalar penalty."""

    def __call__(self, x):
        return 0.0

    def get_config(self):
        return {}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


class L1L2(Regularizer):
    """``l1 * sum(|x|) + l2 * sum(x ** 2)``."""

    def __init__(self, l1=0.0, l2=0.0):
        for name, value in (("l1", l1), ("l2", l2)):
            if not isinstance(value, (int, float, np.number)) or \
                    isinstance(value, bool) or value < 0:
                raise ValueError("%s: the %s factor must be a number >= 0, "
                                 "got %r" % (type(self).__name__, name, value))
        self.l1 = float(l1)
        self.l2 = float(l2)

    def __call__(self, x):
        penalty = 0.0
        if self.l1:
            penalty = penalty + self.l1 * T.sum(abs(x))
        if self.l2:
            penalty = penalty + self.l2 * T.sum(T.sqr(x))
        return penalty

    def get_config(self):
        return {"l1": self.l1, "l2": self.l2}


class WeightRegularizer(L1L2):
    """Keras 1's weight regulariser (``W_regularizer=WeightRegularizer(l2=
    0.01)``): the same penalty as :class:`L1L2`."""


class ActivityRegularizer(L1L2):
    """Keras 1's activity regulariser: the same penalty as :class:`L1L2`,
    applied to a layer's output."""


def l1(l=0.01):  # noqa: E741  (Keras's argument name)
    """``l * sum(|x|)``."""
    return L1L2(l1=l)


def l2(l=0.01):  # noqa: E741
    """``l * sum(x ** 2)``."""
    return L1L2(l2=l)


def l1_l2(l1=0.01, l2=0.01):  # noqa: F811  (Keras's argument names)
    """``l1 * sum(|x|) + l2 * sum(x ** 2)``."""
    return L1L2(l1=l1, l2=l2)


# Keras 1's names
l1l2 = l1_l2
activity_l1 = l1
activity_l2 = l2
activity_l1l2 = l1_l2

_CLASSES = {c.__name__: c for c in
            (L1L2, WeightRegularizer, ActivityRegularizer)}
_FUNCTIONS = {"l1": l1, "l2": l2, "l1_l2": l1_l2, "l1l2": l1_l2,
              "activity_l1": l1, "activity_l2": l2, "activity_l1l2": l1_l2}


_TABLE = dict(_CLASSES, **_FUNCTIONS)


def serialize(regularizer):
    """Keras's ``{'class_name': ..., 'config': ...}`` (None as is)."""
    return serialize_object(regularizer, Regularizer, "regularizer")


def deserialize(config, custom_objects=None, argument="regularizer"):
    """A regularizer from a name or a ``{'class_name', 'config'}`` dict."""
    return deserialize_object(config, _TABLE, "regularizer", argument,
                              custom_objects, "a Regularizer or a callable f(weight) -> penalty")


def get(identifier, argument="regularizer"):
    """``None``, a name, a config dict or a callable -> a regularizer (or
    ``None``)."""
    return get_object(identifier, deserialize, "regularizer", argument)


def penalties(pairs):
    """The scalar penalties of ``(regularizer, tensor)`` pairs whose
    regulariser is set (the entries of a layer's ``losses``)."""
    return [regularizer(tensor) for regularizer, tensor in pairs
            if regularizer is not None and tensor is not None]
