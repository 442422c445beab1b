"""Layers, Keras-2 style: ``Embedding``, ``SimpleRNN``, ``LSTM``, ``GRU``,
``Dense``, ``Dropout`` and ``Bidirectional``, and ``Input``/``InputLayer``
for functional models.

See :mod:`theano_rnn.layers.base` for the protocol every layer follows.

``_LAYERS`` is the registry :func:`deserialize` looks class names up in
(models' configs): a plain dict, name -> class; a module adding layers adds
them to it (or calls :func:`register`).
"""
from .base import InputSpec, Layer, Node
from .core import Dense, Dropout
from .embeddings import Embedding
from .input_layer import Input, InputLayer
from .recurrent import GRU, LSTM, RNN, SimpleRNN
from .wrappers import Bidirectional

_LAYERS = {cls.__name__: cls for cls in
           (InputLayer, Dense, Dropout, Embedding, SimpleRNN, LSTM, GRU,
            Bidirectional)}


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
    ``custom_objects`` maps further class names to classes."""
    try:
        cls = dict(_LAYERS, **(custom_objects or {}))[spec["class_name"]]
    except (KeyError, TypeError):
        raise ValueError("unknown layer specification %r; expected a dict "
                         "with 'class_name' one of %s and 'config'"
                         % (spec, ", ".join(sorted(_LAYERS))))
    return cls.from_config(dict(spec.get("config", {})))


__all__ = ["Layer", "InputSpec", "Node", "Input", "InputLayer", "Dense",
           "Dropout", "Embedding", "RNN", "SimpleRNN", "LSTM", "GRU",
           "Bidirectional", "serialize", "deserialize", "register"]
