"""Weight constraints: projections applied to a weight after every update.

A constraint maps the optimiser's new value of a weight to the value
actually stored.  Layers take them as ``kernel_constraint``,
``recurrent_constraint``, ``bias_constraint``, ``embeddings_constraint``
(Keras 1: ``W_constraint``, ``U_constraint``, ``b_constraint``); a layer lists
them in ``layer.constraints`` (``{weight: constraint}``) and sets each as the
weight's ``constraint`` attribute, which :mod:`theano_rnn.optimizers` applies
to the update.

As in Keras 2.3.1, with ``eps = 1e-7`` and ``n = sqrt(sum(w ** 2, axis))``
(the norm of each column for ``axis=0``, i.e. of each unit's incoming
weights in a ``(input_dim, units)`` kernel):

* :class:`MaxNorm` ``w * clip(n, 0, max_value) / (eps + n)``,
* :class:`NonNeg` ``w * (w >= 0)``,
* :class:`UnitNorm` ``w / (eps + n)``,
* :class:`MinMaxNorm` ``w * (rate * clip(n, min, max) + (1 - rate) n) /
  (eps + n)``.
"""
from .runtime import T

from .utils.generic_utils import (deserialize_object, get_object,
                                  serialize_object)

#: Keras's fuzz factor in the norms' denominators.
EPSILON = 1e-7


class Constraint(object):
    """Base class: ``constraint(w)`` is the constrained value (identity)."""

    def __call__(self, w):
        return w

    def get_config(self):
        return {}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


def _norms(w, axis):
    return T.sqrt(T.sum(T.sqr(w), axis=axis, keepdims=True))


class MaxNorm(Constraint):
    """Scale down the vectors along ``axis`` whose norm exceeds
    ``max_value``."""

    def __init__(self, max_value=2, axis=0):
        self.max_value, self.axis = max_value, axis

    def __call__(self, w):
        norms = _norms(w, self.axis)
        desired = T.clip(norms, 0, self.max_value)
        return w * (desired / (EPSILON + norms))

    def get_config(self):
        return {"max_value": self.max_value, "axis": self.axis}


class NonNeg(Constraint):
    """Set negative entries to zero."""

    def __call__(self, w):
        return w * T.cast(T.ge(w, 0.0), w.dtype)


class UnitNorm(Constraint):
    """Scale the vectors along ``axis`` to norm 1."""

    def __init__(self, axis=0):
        self.axis = axis

    def __call__(self, w):
        return w / (EPSILON + _norms(w, self.axis))

    def get_config(self):
        return {"axis": self.axis}


class MinMaxNorm(Constraint):
    """Move the norms of the vectors along ``axis`` into ``[min_value,
    max_value]``, by the fraction ``rate`` of the way."""

    def __init__(self, min_value=0.0, max_value=1.0, rate=1.0, axis=0):
        self.min_value, self.max_value = min_value, max_value
        self.rate, self.axis = rate, axis

    def __call__(self, w):
        norms = _norms(w, self.axis)
        desired = (self.rate * T.clip(norms, self.min_value, self.max_value) +
                   (1 - self.rate) * norms)
        return w * (desired / (EPSILON + norms))

    def get_config(self):
        return {"min_value": self.min_value, "max_value": self.max_value,
                "rate": self.rate, "axis": self.axis}


# Keras 2's function-style names and Keras 1's
max_norm = maxnorm = MaxNorm
non_neg = nonneg = NonNeg
unit_norm = unitnorm = UnitNorm
min_max_norm = MinMaxNorm

_CLASSES = {c.__name__: c for c in (MaxNorm, NonNeg, UnitNorm, MinMaxNorm)}
_ALIASES = {"max_norm": MaxNorm, "maxnorm": MaxNorm, "non_neg": NonNeg,
            "nonneg": NonNeg, "unit_norm": UnitNorm, "unitnorm": UnitNorm,
            "min_max_norm": MinMaxNorm}


_TABLE = dict(_CLASSES, **_ALIASES)


def serialize(constraint):
    """Keras's ``{'class_name': ..., 'config': ...}`` (None as is)."""
    return serialize_object(constraint, Constraint, "constraint")


def deserialize(config, custom_objects=None, argument="constraint"):
    """A constraint from a name or a ``{'class_name', 'config'}`` dict."""
    return deserialize_object(config, _TABLE, "constraint", argument,
                              custom_objects, "a callable f(weight) -> weight")


def get(identifier, argument="constraint"):
    """``None``, a name, a config dict or a callable -> a constraint (or
    ``None``)."""
    return get_object(identifier, deserialize, "constraint", argument)


def attach(pairs):
    """Set each ``(weight, constraint)``'s constraint as the weight's
    ``constraint`` attribute (what the optimisers apply) and return them as
    the ``{weight: constraint}`` dict of a layer's ``constraints``."""
    found = {}
    for weight, constraint in pairs:
        if weight is not None and constraint is not None:
            weight.constraint = constraint
            found[weight] = constraint
    return found
