"""Layers, Keras-2 style: ``Embedding``, ``SimpleRNN``, ``LSTM``, ``GRU``,
``Dense``, ``Dropout`` and ``Bidirectional``.

See :mod:`theano_rnn.layers.base` for the protocol every layer follows.
"""
from .base import Layer
from .core import Dense, Dropout
from .embeddings import Embedding
from .recurrent import GRU, LSTM, RNN, SimpleRNN
from .wrappers import Bidirectional

_LAYERS = {cls.__name__: cls for cls in
           (Dense, Dropout, Embedding, SimpleRNN, LSTM, GRU, Bidirectional)}


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


__all__ = ["Layer", "Dense", "Dropout", "Embedding", "RNN", "SimpleRNN",
           "LSTM", "GRU", "Bidirectional", "serialize", "deserialize"]
