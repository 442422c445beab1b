"""Layers, Keras-2 style: the recurrent layers (``SimpleRNN``, ``LSTM``,
``GRU``), ``Embedding``, the core layers (``Dense``, ``Dropout``,
``SpatialDropout1D``, ``Activation``, ``RepeatVector``, ``Masking``,
``Permute``, ``Reshape``, ``Flatten``, ``Lambda``), the merge layers and
functions (Keras 2's ``Concatenate``/``concatenate``... and Keras 1's
``Merge``/``merge``), ``Conv1D``, the 1-D pooling layers,
``BatchNormalization``, the wrappers ``Bidirectional`` and
``TimeDistributed``, and ``Input``/``InputLayer`` for functional models.

See :mod:`theano_rnn.layers.base` for the protocol every layer follows.

``_LAYERS`` is the registry :func:`deserialize` looks class names up in
(models' configs): a plain dict, name -> class; a module adding layers adds
them to it (or calls :func:`register`).
"""
from .base import InputSpec, Layer, Node
from .convolutional import Conv1D, Convolution1D
from .core import (Activation, Dense, Dropout, Flatten, Lambda, Masking,
                   Permute, RepeatVector, Reshape, SpatialDropout1D)
from .embeddings import Embedding
from .input_layer import Input, InputLayer
from .merging import (Add, Average, Concatenate, Dot, Maximum, Merge, Minimum,
                      Multiply, Subtract, add, average, concatenate, dot,
                      maximum, merge, minimum, multiply, subtract)
from .normalization import BatchNormalization
from .pooling import (AveragePooling1D, GlobalAveragePooling1D,
                      GlobalMaxPooling1D, MaxPooling1D)
from .recurrent import GRU, LSTM, RNN, SimpleRNN
from .rnn_cells import GRUCell, LSTMCell, SimpleRNNCell, StackedRNNCells
from .wrappers import Bidirectional, TimeDistributed

_LAYERS = {cls.__name__: cls for cls in (
    InputLayer, Dense, Dropout, SpatialDropout1D, Activation, RepeatVector,
    Masking, Permute, Reshape, Flatten, Lambda, Embedding, SimpleRNN, LSTM,
    GRU, Add, Subtract, Multiply, Average, Maximum, Minimum, Concatenate, Dot,
    Merge, Conv1D, Convolution1D, MaxPooling1D, AveragePooling1D,
    GlobalMaxPooling1D, GlobalAveragePooling1D, BatchNormalization,
    Bidirectional, TimeDistributed, RNN, SimpleRNNCell, LSTMCell, GRUCell,
    StackedRNNCells)}


def register(cls, name=None):
    """Add a layer class to the registry of :func:`deserialize` (under its
    class name by default); returns the class, so it can decorate one."""
    _LAYERS[name or cls.__name__] = cls
    return cls


def serialize(layer):
    """``{'class_name': ..., 'config': ...}``, JSON-ready."""
    return {"class_name": type(layer).__name__, "config": layer.get_config()}


def deserialize(spec, custom_objects=None):
    """Build a layer (without weights) from :func:`serialize`'s output;
    ``custom_objects`` maps further class names to classes (as do those of
    an active ``CustomObjectScope``)."""
    from ..utils.generic_utils import get_custom_objects
    try:
        cls = dict(_LAYERS, **dict(get_custom_objects(),
                                   **(custom_objects or {})))[
            spec["class_name"]]
    except (KeyError, TypeError):
        raise ValueError("unknown layer specification %r; expected a dict "
                         "with 'class_name' one of %s and 'config'"
                         % (spec, ", ".join(sorted(_LAYERS))))
    return cls.from_config(dict(spec.get("config", {})))


__all__ = ["Layer", "InputSpec", "Node", "Input", "RNN", "serialize",
           "deserialize", "register",
           "add", "subtract", "multiply", "average", "maximum", "minimum",
           "concatenate", "dot", "merge"] + sorted(_LAYERS)
