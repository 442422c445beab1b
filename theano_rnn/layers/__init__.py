"""Layers, Keras-2 style: the recurrent layers (``SimpleRNN``, ``LSTM``,
``GRU``), ``Embedding``, the core layers (``Dense``, ``Dropout``,
``SpatialDropout1D``, ``Activation``, ``RepeatVector``, ``Masking``,
``Permute``, ``Reshape``, ``Flatten``, ``Lambda``), the merge layers and
functions (Keras 2's ``Concatenate``/``concatenate``... and Keras 1's
``Merge``/``merge``), ``Conv1D``, the 1-D pooling layers,
``BatchNormalization`` and the wrappers ``Bidirectional`` and
``TimeDistributed``.

See :mod:`theano_rnn.layers.base` for the protocol every layer follows.
"""
from .base import Layer
from .convolutional import Conv1D, Convolution1D
from .core import (Activation, Dense, Dropout, Flatten, Lambda, Masking,
                   Permute, RepeatVector, Reshape, SpatialDropout1D)
from .embeddings import Embedding
from .merging import (Add, Average, Concatenate, Dot, Maximum, Merge, Minimum,
                      Multiply, Subtract, add, average, concatenate, dot,
                      maximum, merge, minimum, multiply, subtract)
from .normalization import BatchNormalization
from .pooling import (AveragePooling1D, GlobalAveragePooling1D,
                      GlobalMaxPooling1D, MaxPooling1D)
from .recurrent import GRU, LSTM, RNN, SimpleRNN
from .wrappers import Bidirectional, TimeDistributed

_LAYERS = {cls.__name__: cls for cls in (
    Dense, Dropout, SpatialDropout1D, Activation, RepeatVector, Masking,
    Permute, Reshape, Flatten, Lambda, Embedding, SimpleRNN, LSTM, GRU,
    Add, Subtract, Multiply, Average, Maximum, Minimum, Concatenate, Dot,
    Merge, Conv1D, Convolution1D, MaxPooling1D, AveragePooling1D,
    GlobalMaxPooling1D, GlobalAveragePooling1D, BatchNormalization,
    Bidirectional, TimeDistributed)}


def serialize(layer):
    """``{'class_name': ..., 'config': ...}``, JSON-ready."""
    return {"class_name": type(layer).__name__, "config": layer.get_config()}


def deserialize(spec):
    """Build a layer (without weights) from :func:`serialize`'s output."""
    try:
        cls = _LAYERS[spec["class_name"]]
    except (KeyError, TypeError):
        raise ValueError("unknown layer specification %r; expected a dict "
                         "with 'class_name' one of %s and 'config'"
                         % (spec, ", ".join(sorted(_LAYERS))))
    return cls.from_config(dict(spec.get("config", {})))


__all__ = ["Layer", "RNN", "serialize", "deserialize",
           "add", "subtract", "multiply", "average", "maximum", "minimum",
           "concatenate", "dot", "merge"] + sorted(_LAYERS)
