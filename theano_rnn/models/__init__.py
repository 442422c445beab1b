"""Models: ``Sequential`` and the functional ``Model``, Keras style.

One engine serves both (see the modules for the details):

* :mod:`~theano_rnn.models.network` -- the structure: a graph of layer
  calls from inputs to outputs (nodes, their order, ``layers``,
  ``get_layer``, ``summary``, configs), replayed into Theano graphs;
* :mod:`~theano_rnn.models.training` -- ``Model``: ``compile``, ``fit``,
  ``evaluate``, ``predict`` and the ``*_on_batch`` methods;
* :mod:`~theano_rnn.models.sequential` -- ``Sequential``, a ``Model`` with
  one input and one output built by ``add``;
* :mod:`~theano_rnn.models.persistence` -- ``save``/``load_model``,
  ``save_weights``/``load_weights``, ``model_from_config``/``_json``
  (the file format is :mod:`theano_rnn.saving`'s).

Usage, as in Keras::

    model = Sequential([LSTM(32, input_shape=(steps, features)),
                        Dense(1, activation='sigmoid')])
    model.compile('adam', 'binary_crossentropy', metrics=['acc'])
    history = model.fit(x, y, batch_size=32, epochs=10,
                        validation_split=0.1)
    model.metadata = {'vocabulary_size': 20000}   # any JSON-ready dict
    model.save('model.npz')
    model = load_model('model.npz')   # model.metadata comes back with it

    a, b = Input(shape=(steps, features)), Input(shape=(steps, features))
    lstm = LSTM(16)                   # called twice: one set of weights
    model = Model(inputs=[a, b], outputs=[Dense(1)(lstm(a)),
                                          Dense(1)(lstm(b))])
"""
from .. import layers as _layers
from ..layers.input_layer import Input, InputLayer
from .network import Network
from .persistence import (load_model, model_from_config, model_from_json,
                          save_model)
from .sequential import Sequential
from .training import Model

# models are layers too: configs of models nested in models name them
_layers.register(Model)
_layers.register(Sequential)

__all__ = ["Sequential", "Model", "Network", "Input", "InputLayer",
           "load_model", "save_model", "model_from_config", "model_from_json"]
