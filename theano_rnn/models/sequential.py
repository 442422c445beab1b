"""``Sequential``: a linear stack of layers, the special case of
:class:`~theano_rnn.models.training.Model` with one input and one output.

When the first layer knows its input shape (``input_shape=``,
``batch_input_shape=`` or, for ``Embedding``, ``input_length=``),
:meth:`Sequential.add` creates the model's ``InputLayer`` (``int32`` token
ids for an ``Embedding``, floatX otherwise), as Keras 2 does.  The layers
are called on it -- built, in order -- the first time the model needs its
graph (``compile``, ``predict``, ``weights``, ``summary``...), so that
``np.random`` is drawn from in the same order as by the models of earlier
versions (the layers' constructors first, then their weights).  A model
whose first layer has no input shape is built by ``build(input_shape)``
or fails with a message saying what to give.
"""
import warnings

from ..runtime import theano

from ..layers.base import Layer, to_list
from ..layers.input_layer import InputLayer
from .network import Network, next_model_name
from .training import Model


class Sequential(Model):
    """A linear stack of layers, Keras style.

    Parameters
    ----------
    layers : list of Layer, optional
        Added in order with :meth:`add`.
    name : str, optional
    seed : int, optional
        Seed of the model's own ``numpy.random.RandomState``, used to
        shuffle the training data in :meth:`fit`; its position is saved by
        :meth:`save`.  ``None`` (the default, as in Keras) shuffles with
        ``np.random``.
    """

    def __init__(self, layers=None, name=None, seed=None):
        Layer.__init__(self, name=name or next_model_name("sequential"))
        self._stack = []
        self._build_input_shape = None
        self._building = False
        self._input_layer = None
        self._inputs, self._outputs = [], []
        self._graph_cache, self._call_state_updates = {}, {}
        self.built = False
        self._init_training(seed)
        if layers is not None:
            if isinstance(layers, Layer) or not hasattr(layers, "__iter__"):
                raise ValueError("layers: expected a list of layers, got %r"
                                 % (layers,))
            for layer in layers:
                self.add(layer)

    # -- structure ---------------------------------------------------------
    def add(self, layer):
        """Append ``layer`` to the stack (an ``InputLayer`` first sets the
        input).  The model must be compiled again afterwards."""
        if not isinstance(layer, Layer):
            raise ValueError("add: expected a theano_rnn layer, got %r"
                             % (layer,))
        if getattr(layer, "return_state", False) or (
                isinstance(layer, Network) and layer.built and
                len(layer.outputs) > 1):
            raise ValueError("add: layer %r has return_state=True or several "
                             "outputs; a Sequential model has a single "
                             "output" % layer.name)
        if isinstance(layer, InputLayer):
            if self._stack or self._input_layer is not None:
                raise ValueError("add: an InputLayer can only be the first "
                                 "layer of a Sequential model")
            self._input_layer = layer
            return
        self._stack.append(layer)
        self._reset_compiled()
        if self.built:          # the graph grows by one call
            output = layer(self.outputs[0])
            if isinstance(output, list):
                raise ValueError("add: layer %r has several outputs; a "
                                 "Sequential model has a single output"
                                 % layer.name)
            self._init_graph(self.inputs, [output])
        elif len(self._stack) == 1 and self._input_layer is None and \
                layer.batch_input_shape is not None:
            self._input_layer = self._make_input_layer(
                layer.batch_input_shape)

    def pop(self):
        """Remove the last layer (Keras's ``pop``)."""
        if not self._stack:
            raise TypeError("There are no layers in the model.")
        self._stack.pop()
        self._reset_compiled()
        if self.built:
            if self._stack:
                output = self._stack[-1]._inbound_nodes[-1].output_tensors[0]
                self._init_graph(self.inputs, [output])
            else:
                self.built = False
                self._inputs, self._outputs = [], []

    def _make_input_layer(self, shape):
        first = self._stack[0]
        dtype = (theano.config.floatX if first.input_dtype == "floatX"
                 else first.input_dtype)
        return InputLayer(batch_input_shape=tuple(shape), dtype=dtype,
                          name=first.name + "_input")

    @property
    def layers(self):
        """The layers added, in order (without the ``InputLayer``)."""
        return list(self._stack)

    def build(self, input_shape=None):
        """Call the layers in order on the model's input (once).

        Parameters
        ----------
        input_shape : tuple, optional
            The input shape with the batch axis, for a model whose first
            layer does not know it.

        Raises
        ------
        ValueError
            If the model has no layers or does not know its input shape.
        """
        if self.built:
            return
        if not self._stack:
            raise ValueError("the model has no layers yet; add some with "
                             "model.add(layer)")
        first = self._stack[0]
        if self._input_layer is None and first.inbound_nodes:
            # Keras 1: a first layer already called on branches (a Merge
            # over Sequential branches): the model's inputs are the
            # branches' inputs, and the stack continues from its output
            x = first.inbound_nodes[0].output_tensors[0]
            for layer in self._stack[1:]:
                x = layer(x)
            self._init_graph(_source_inputs(x), [x])
            return
        if self._input_layer is None:
            shape = input_shape or first.batch_input_shape
            if shape is None:
                raise ValueError(
                    "the model does not know the shape of its input: give "
                    "its first layer (%r) input_shape=(steps, features), or "
                    "input_length=steps for an Embedding" % first.name)
            self._input_layer = self._make_input_layer(shape)
            if input_shape is not None:
                self._build_input_shape = tuple(input_shape)
        x = self._input_layer._inbound_nodes[0].output_tensors[0]
        inputs = [x]
        self._building = True
        try:
            for layer in self._stack:
                x = layer(x)
                if isinstance(x, list):
                    raise ValueError("layer %r has several outputs; a "
                                     "Sequential model has a single output"
                                     % layer.name)
            self._init_graph(inputs, [x])
        finally:
            self._building = False

    def _init_graph(self, inputs, outputs):
        own = [n for n in self._inbound_nodes if not n.inbound_layers]
        self._inbound_nodes = [n for n in self._inbound_nodes
                               if n not in own]
        super(Sequential, self)._init_graph(inputs, outputs)
        # keep the network's own node first, as Keras numbers it
        self._inbound_nodes.insert(0, self._inbound_nodes.pop())

    def _build_if_known(self):
        """Build if the input shape is known (Keras 2 builds on ``add``)."""
        if not self.built and not self._building and \
                self.input_shape is not None:
            self.build()

    @property
    def inputs(self):
        """The input tensors (``[]`` while the input shape is unknown)."""
        self._build_if_known()
        return self._inputs

    @inputs.setter
    def inputs(self, value):
        self._inputs = value

    @property
    def outputs(self):
        self._build_if_known()
        return self._outputs

    @outputs.setter
    def outputs(self, value):
        self._outputs = value

    def get_layer(self, name=None, index=None):
        self._build_if_known()
        return super(Sequential, self).get_layer(name, index)

    @property
    def input_shape(self):
        """The input shape with the batch axis, e.g. ``(None, 10, 3)``, or
        ``None`` if the model does not know it yet."""
        if self.built:
            return self.inputs[0]._keras_shape
        if self._input_layer is not None:
            return self._input_layer.batch_input_shape
        return self._stack[0].batch_input_shape if self._stack else None

    @input_shape.setter
    def input_shape(self, value):
        self._built_input_shape = value

    @property
    def input_dtype(self):
        if self.built or self._input_layer is not None:
            return self.input.dtype if self.built else \
                self._input_layer.dtype
        return self._stack[0].input_dtype if self._stack else "floatX"

    @property
    def output_shape(self):
        """The output shape with the batch axis, e.g. ``(None, 1)``."""
        self.build()
        return self.outputs[0]._keras_shape

    @property
    def input(self):
        """The symbolic input variable of the compiled functions."""
        self.build()
        return self.inputs[0]

    @property
    def output(self):
        """The symbolic output of the inference graph (``training=False``)."""
        self.build()
        return self.outputs[0]

    @property
    def weights(self):
        self.build()
        return super(Sequential, self).weights

    @property
    def trainable_weights(self):
        self.build()
        return super(Sequential, self).trainable_weights

    def count_params(self):
        self.build()
        return super(Sequential, self).count_params()

    def summary(self, line_length=None, positions=None, print_fn=print):
        self.build()
        super(Sequential, self).summary(line_length, positions, print_fn)

    def _is_sequential_summary(self):
        return True

    def _summary_rows(self):
        return [(name, shape, params, [])
                for name, shape, params, _ in
                super(Sequential, self)._summary_rows()]

    def __call__(self, inputs, **kwargs):
        self.build()
        return super(Sequential, self).__call__(inputs, **kwargs)

    # -- Keras's Sequential-only methods -------------------------------------
    def predict_proba(self, x, batch_size=32, verbose=0):
        """:meth:`predict`, warning when the outputs are not in [0, 1]."""
        predictions = self.predict(x, batch_size=batch_size, verbose=verbose)
        if predictions.min() < 0.0 or predictions.max() > 1.0:
            warnings.warn("Network returning invalid probability values. "
                          "The last layer might not normalize predictions "
                          "into probabilities (like softmax or sigmoid "
                          "would).")
        return predictions

    def predict_classes(self, x, batch_size=32, verbose=0):
        """Class ids: the arg-max over the last axis, or ``p > 0.5`` (as
        int32, shape ``(n, 1)``) for a single sigmoid output."""
        proba = self.predict(x, batch_size=batch_size, verbose=verbose)
        if proba.shape[-1] > 1:
            return proba.argmax(axis=-1)
        return (proba > 0.5).astype("int32")

    # -- configuration -------------------------------------------------------
    def get_config(self):
        """Keras 2.3.1's ``{'name', 'layers': [{'class_name', 'config'}]}``
        (plus theano_rnn's ``seed``), with ``build_input_shape`` when the
        model was built by ``build(input_shape)``."""
        from .. import layers as layers_module
        config = {"name": self.name, "seed": self.seed,
                  "layers": [layers_module.serialize(l) for l in self._stack]}
        if self._build_input_shape is not None:
            config["build_input_shape"] = list(self._build_input_shape)
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None):
        """Rebuild from :meth:`get_config`'s output, or from Keras 1's
        config (the list of layer specs)."""
        from .. import layers as layers_module
        if isinstance(config, list):
            config = {"layers": config}
        layers = [layers_module.deserialize(spec, custom_objects)
                  for spec in to_list(config["layers"])]
        model = cls(name=config.get("name"), seed=config.get("seed"))
        for layer in layers:
            model.add(layer)
        if config.get("build_input_shape") and model.input_shape is None:
            model.build(tuple(config["build_input_shape"]))
        return model


def _source_inputs(tensor):
    """The Input tensors ``tensor`` is computed from, in first-use order."""
    layer, node_index, _ = tensor._keras_history
    node = layer.inbound_nodes[node_index]
    if not node.inbound_layers:
        return [tensor]
    found = []
    for t in node.input_tensors:
        for source in _source_inputs(t):
            if not any(source is f for f in found):
                found.append(source)
    return found
