"""The structure of a model: a graph of layer calls from inputs to outputs.

A :class:`Network` is built from the tensors returned by
:func:`~theano_rnn.layers.Input` and by layer calls (see
:mod:`theano_rnn.layers.base`): walking back from the outputs along the
recorded nodes gives the nodes that belong to the model, their depth (the
outputs at depth 0) and so the order to compute them in, deepest first
(Keras 2's ``_map_graph_network``).  A tensor needed on the way that is not
one of the inputs is reported as Keras reports it: ``Graph disconnected``.

The graph is *replayed* to get the Theano expressions a model compiles::

    outputs, masks, state_updates = network.run_graph(inputs, masks,
                                                      training)

runs ``layer.call(..., training=training)`` node by node from the given
input variables, threading the masks (``layer.compute_mask``) and
collecting the stateful layers' state updates.  ``training=True`` gives
the training graph (dropout on), ``training=False`` the inference graph.
A ``Sequential`` model is replayed the same way and so computes exactly
the graphs it always did: one ``call`` per layer, in order.

A network is itself a :class:`~theano_rnn.layers.Layer`: calling it on
tensors records a node on it (its node 0 links its own inputs to its
outputs, as in Keras), and its ``call`` replays its graph on the new
inputs, so a model can be nested in another.
"""
import itertools
import json

import numpy as np

from .. import layers as layers_module
from ..layers.base import Layer, Node, is_keras_tensor, to_list, unpack
from ..layers.input_layer import InputLayer

_model_counter = itertools.count(1)


def next_model_name(prefix):
    return "%s_%d" % (prefix, next(_model_counter))


class Network(Layer):
    """A graph of layers from ``inputs`` to ``outputs``.

    Parameters
    ----------
    inputs : tensor or list of tensors
        Made by :func:`~theano_rnn.layers.Input`.
    outputs : tensor or list of tensors
        Made by layer calls that depend on ``inputs`` only.
    name : str, optional

    Raises
    ------
    ValueError
        If an input does not come from ``Input(...)``, an output is not a
        layer's output, the outputs need a tensor that is not one of the
        inputs (``Graph disconnected``), or two layers share a name.
    """

    #: masks reaching a nested network flow on to its layers
    supports_masking = True

    def __init__(self, inputs, outputs, name=None):
        super(Network, self).__init__(name=name or next_model_name("model"))
        self._init_graph(inputs, outputs)

    # -- construction ------------------------------------------------------
    def _init_graph(self, inputs, outputs):
        self.inputs = to_list(inputs)
        self.outputs = to_list(outputs)
        for argument, tensors in (("inputs", self.inputs),
                                  ("outputs", self.outputs)):
            for tensor in tensors:
                if not is_keras_tensor(tensor):
                    raise ValueError(
                        "Model %r: %s must be tensors from Input(...) or "
                        "layer calls, got %r" % (self.name, argument, tensor))
        for tensor in self.inputs:
            layer, node_index, _ = tensor._keras_history
            if not isinstance(layer, InputLayer) or node_index != 0:
                raise ValueError(
                    "Model %r: input tensors must come from Input(...); %s "
                    "is an output of layer %r" % (self.name, tensor,
                                                  layer.name))
        self._input_layers = [t._keras_history[0] for t in self.inputs]
        self._output_coordinates = [t._keras_history for t in self.outputs]
        self._output_layers = [c[0] for c in self._output_coordinates]
        self.input_names = [layer.name for layer in self._input_layers]
        self.output_names = [layer.name for layer in self._output_layers]
        self._map_graph()
        self._graph_cache = {}
        self._call_state_updates = {}
        self.built = True
        # node 0: the network's own inputs to its outputs (as in Keras)
        Node(self, [], [], [], self.inputs, self.outputs,
             [None] * len(self.inputs),
             [t._keras_mask for t in self.outputs],
             [t._keras_shape for t in self.inputs],
             [t._keras_shape for t in self.outputs])

    def _map_graph(self):
        """Nodes by depth, layers in Keras's order, the disconnection and
        name checks (Keras 2's ``_map_graph_network``)."""
        finished, in_progress = set(), set()
        nodes_in_decreasing_depth, layer_indices = [], {}

        def build_map(tensor):
            layer, node_index, _ = tensor._keras_history
            node = layer._inbound_nodes[node_index]
            if id(node) in in_progress:
                raise ValueError("The tensor %s at layer %r is part of a "
                                 "cycle." % (tensor, layer.name))
            if id(node) in finished:
                return
            layer_indices.setdefault(layer, len(layer_indices))
            in_progress.add(id(node))
            for x in node.input_tensors:
                if is_keras_tensor(x) and x._keras_history[0] is not layer:
                    build_map(x)
            finished.add(id(node))
            in_progress.discard(id(node))
            nodes_in_decreasing_depth.append(node)

        for tensor in self.outputs:
            build_map(tensor)
        node_depths, layer_depths = {}, {}
        for node in reversed(nodes_in_decreasing_depth):
            depth = max(node_depths.setdefault(id(node), 0),
                        layer_depths.get(node.outbound_layer, 0))
            layer_depths[node.outbound_layer] = depth
            node_depths[id(node)] = depth
            for layer, index in zip(node.inbound_layers, node.node_indices):
                inbound = layer._inbound_nodes[index]
                node_depths[id(inbound)] = max(depth + 1,
                                               node_depths.get(id(inbound), 0))
        by_depth = {}
        for node in nodes_in_decreasing_depth:
            by_depth.setdefault(node_depths[id(node)], []).append(node)
        for tensor in self.inputs:  # an unused input is still an input
            layer = tensor._keras_history[0]
            if layer not in layer_depths:
                layer_indices.setdefault(layer, len(layer_indices))
                layer_depths[layer] = max(by_depth or [0]) + 1
                by_depth.setdefault(layer_depths[layer], []).append(
                    layer._inbound_nodes[0])
        self._execution_order = [node for depth in sorted(by_depth,
                                                          reverse=True)
                                 for node in by_depth[depth]]
        layers = []
        for depth in sorted(set(layer_depths.values()), reverse=True):
            layers += sorted((l for l, d in layer_depths.items()
                              if d == depth), key=lambda l: layer_indices[l])
        self._layers = layers
        self._network_nodes = {id(node) for node in self._execution_order}

        computable = {id(t) for t in self.inputs}
        accessed = []
        for node in self._execution_order:
            layer = node.outbound_layer
            for x in node.input_tensors:
                if id(x) not in computable:
                    raise ValueError(
                        "Graph disconnected: cannot obtain value for tensor "
                        "%s at layer %r. The following previous layers were "
                        "accessed without issue: %s"
                        % (x, layer.name, accessed))
            computable.update(id(x) for x in node.output_tensors)
            accessed.append(layer.name)
        names = [layer.name for layer in layers]
        for name in names:
            if names.count(name) != 1:
                raise ValueError("The name %r is used %d times in the model. "
                                 "All layer names should be unique."
                                 % (name, names.count(name)))

    # -- structure ---------------------------------------------------------
    @property
    def layers(self):
        """The layers, inputs first, in Keras's (topological) order."""
        return list(self._layers)

    def get_layer(self, name=None, index=None):
        """A layer by ``name`` or by ``index`` in :attr:`layers`."""
        layers = self.layers
        if index is not None:
            if name is not None:
                raise ValueError("get_layer: give name or index, not both")
            if not -len(layers) <= index < len(layers):
                raise ValueError("Was asked to retrieve layer at index %d "
                                 "but model only has %d layers."
                                 % (index, len(layers)))
            return layers[index]
        if name is None:
            raise ValueError("Provide either a layer name or layer index.")
        for layer in layers:
            if layer.name == name:
                return layer
        raise ValueError("No such layer: %s" % name)

    @property
    def input_layers(self):
        return list(self._input_layers)

    @property
    def output_layers(self):
        return list(self._output_layers)

    @property
    def input_shape(self):
        """The input shape(s), batch axis first."""
        return unpack([t._keras_shape for t in self.inputs])

    @input_shape.setter
    def input_shape(self, value):   # set by Layer's constructor and build
        self._built_input_shape = value

    @property
    def output_shape(self):
        return unpack([t._keras_shape for t in self.outputs])

    @property
    def batch_input_shape(self):
        """The input shape of a single-input network (``None`` for
        several), so that it can be the first layer of a ``Sequential``."""
        shape = self.input_shape
        if shape is None or (shape and isinstance(shape[0], tuple)):
            return None
        return tuple(shape)

    @batch_input_shape.setter
    def batch_input_shape(self, value):   # set by Layer's constructor
        pass

    @property
    def input_dtype(self):
        """The dtype of the (first) input."""
        return self.inputs[0].dtype if self.inputs else "floatX"

    def _node_index(self, layer, node):
        """The index of ``node`` among ``layer``'s nodes in this network
        (Keras numbers a nested network's nodes from 1: its node 0 links
        its own inputs to its outputs)."""
        kept = 1 if isinstance(layer, Network) else 0
        for original in layer._inbound_nodes:
            if original is node:
                return kept
            if id(original) in self._network_nodes:
                kept += 1
        raise ValueError("node of layer %r not in model %r"
                         % (layer.name, self.name))

    def _coordinates(self, tensor):
        layer, node_index, tensor_index = tensor._keras_history
        return [layer.name,
                self._node_index(layer, layer._inbound_nodes[node_index]),
                tensor_index]

    # -- the graph ---------------------------------------------------------
    def run_graph(self, inputs, masks=None, training=False):
        """``(outputs, output masks, state updates)`` of the graph replayed
        from the Theano variables ``inputs`` (one per model input), each
        layer called with ``training``; cached per inputs, masks and flag,
        so a graph is written once."""
        inputs = to_list(inputs)
        masks = [None] * len(inputs) if masks is None else to_list(masks)
        key = (tuple(map(id, inputs)), tuple(map(id, masks)), bool(training))
        if key not in self._graph_cache:
            self._graph_cache[key] = self._replay(inputs, masks, training)
        return self._graph_cache[key]

    def _replay(self, inputs, masks, training):
        computed = {id(t): (x, m)
                    for t, x, m in zip(self.inputs, inputs, masks)}
        updates = []
        for node in self._execution_order:
            layer = node.outbound_layer
            if isinstance(layer, InputLayer):
                continue
            values = [computed[id(x)] for x in node.input_tensors]
            arguments = dict(node.arguments)
            arguments.setdefault("training", training)
            if len(values) == 1:
                x, mask = values[0]
            else:
                x, mask = [v[0] for v in values], [v[1] for v in values]
            outputs = to_list(layer.call(x, mask=mask, **arguments))
            out_masks = layer.compute_mask(x, mask)
            if not isinstance(out_masks, list):
                out_masks = [out_masks] * len(outputs)
            updates += layer.state_updates(training)
            for tensor, value, out_mask in zip(node.output_tensors, outputs,
                                               out_masks):
                computed[id(tensor)] = (value, out_mask)
        results = [computed[id(t)] for t in self.outputs]
        return ([r[0] for r in results], [r[1] for r in results], updates)

    # -- as a layer --------------------------------------------------------
    def call(self, inputs, mask=None, training=False):
        outputs, _, updates = self.run_graph(inputs, mask, training)
        self._call_state_updates[bool(training)] = updates
        return unpack(outputs)

    def compute_mask(self, inputs, mask=None):
        masks = self.run_graph(inputs, mask, False)[1]
        return masks if len(masks) > 1 else masks[0]

    def compute_output_shape(self, input_shape):
        shapes = {id(t): tuple(s) if s is not None else None
                  for t, s in zip(self.inputs, to_list(input_shape)
                                  if len(self.inputs) > 1 else [input_shape])}
        for node in self._execution_order:
            layer = node.outbound_layer
            if isinstance(layer, InputLayer):
                continue
            ins = [shapes[id(x)] for x in node.input_tensors]
            out = layer.compute_output_shape(unpack(ins) if len(ins) == 1
                                             else ins)
            out = out if isinstance(out, list) else [out]
            for tensor, shape in zip(node.output_tensors, out):
                shapes[id(tensor)] = tuple(shape)
        return unpack([shapes[id(t)] for t in self.outputs])

    def build(self, input_shape=None):
        """A network is built when it is made; nothing to do."""

    def state_updates(self, training):
        return list(self._call_state_updates.get(bool(training), []))

    @property
    def stateful(self):
        """Whether a layer carries its states from batch to batch."""
        return any(layer.stateful for layer in self.layers)

    def reset_states(self):
        """Set the carried states of every stateful layer back to zero."""
        self.build()
        for layer in self.layers:
            if layer.stateful:
                layer.reset_states()

    @property
    def losses(self):
        return [loss for layer in self.layers for loss in layer.losses]

    @property
    def constraints(self):
        constraints = {}
        for layer in self.layers:
            constraints.update(layer.constraints)
        return constraints

    # -- weights -----------------------------------------------------------
    @property
    def weights(self):
        """All weights (shared variables), layer by layer in Keras order;
        a layer's weights appear once however often it is called."""
        return _unique(w for layer in self.layers for w in layer.weights)

    @property
    def trainable_weights(self):
        if not self.trainable:
            return []
        return _unique(w for layer in self.layers
                       for w in layer.trainable_weights)

    @property
    def non_trainable_weights(self):
        trainable = {id(w) for w in self.trainable_weights}
        return [w for w in self.weights if id(w) not in trainable]

    def count_params(self):
        """The total number of weights (scalars) of the model."""
        return int(sum(np.prod(w.get_value(borrow=True).shape)
                       for w in self.weights))

    # -- summary -----------------------------------------------------------
    def summary(self, line_length=None, positions=None, print_fn=print):
        """Print a table of the layers, their output shapes, number of
        parameters and (for a graph) the layers each is connected to, with
        the totals, as Keras does.

        Parameters
        ----------
        line_length : int, optional
        positions : list of float, optional
            Right edges of the columns, as fractions of ``line_length``.
        print_fn : callable
            Called with each line (``print`` by default).
        """
        rows = self._summary_rows()
        connected = any(row[3] for row in rows) or \
            not self._is_sequential_summary()
        line_length = line_length or (98 if connected else 65)
        positions = positions or ([0.33, 0.55, 0.67, 1.0] if connected
                                  else [0.45, 0.85, 1.0])
        ends = [int(line_length * p) if p <= 1 else int(p)
                for p in positions]
        headers = ["Layer (type)", "Output Shape", "Param #", "Connected to"]

        def row(fields):
            line = ""
            for field, end in zip(fields, ends):
                line = (line + str(field))[:end - 1].ljust(end)
            print_fn(line.rstrip())

        print_fn('Model: "%s"' % self.name)
        print_fn("_" * line_length)
        row(headers)
        print_fn("=" * line_length)
        for i, (name, shape, params, connections) in enumerate(rows):
            row([name, shape, params, connections[0] if connections else ""])
            for extra in connections[1:]:
                row(["", "", "", extra])
            print_fn(("=" if i == len(rows) - 1 else "_") * line_length)
        total = self.count_params()
        trainable = int(sum(np.prod(w.get_value(borrow=True).shape)
                            for w in self.trainable_weights))
        print_fn("Total params: {:,}".format(total))
        print_fn("Trainable params: {:,}".format(trainable))
        print_fn("Non-trainable params: {:,}".format(total - trainable))
        print_fn("_" * line_length)

    def _is_sequential_summary(self):
        return False

    def _summary_rows(self):
        """``(name (type), output shape, params, [connections])`` per
        layer."""
        rows = []
        for layer in self.layers:
            nodes = [n for n in layer._inbound_nodes
                     if id(n) in self._network_nodes]
            connections = [
                "%s[%d][%d]" % (inbound.name,
                                self._node_index(
                                    inbound, inbound._inbound_nodes[index]),
                                tensor_index)
                for node in nodes for inbound, index, tensor_index in zip(
                    node.inbound_layers, node.node_indices,
                    node.tensor_indices)]
            shapes = [n.output_shapes for n in nodes]
            shape = unpack(shapes[0]) if len(shapes) == 1 else "multiple"
            rows.append(("%s (%s)" % (layer.name, type(layer).__name__),
                         shape, layer.count_params(), connections))
        return rows

    # -- configuration -----------------------------------------------------
    def get_config(self):
        """Keras 2.3.1's functional config: ``{'name', 'layers': [{'name',
        'class_name', 'config', 'inbound_nodes'}], 'input_layers',
        'output_layers'}``."""
        layer_configs = []
        for layer in self.layers:
            inbound = []
            for node in layer._inbound_nodes:
                if id(node) not in self._network_nodes or \
                        isinstance(layer, InputLayer):
                    continue
                inbound.append([[name, self._node_index(
                    inbound_layer,
                    inbound_layer._inbound_nodes[index]), tensor_index,
                                 _json_kwargs(node.arguments)]
                                for (name, _, tensor_index, _), inbound_layer,
                                index in zip(node.get_config(),
                                             node.inbound_layers,
                                             node.node_indices)])
            spec = layers_module.serialize(layer)
            layer_configs.append({"name": layer.name,
                                  "class_name": spec["class_name"],
                                  "config": spec["config"],
                                  "inbound_nodes": inbound})
        return {"name": self.name, "layers": layer_configs,
                "input_layers": [self._coordinates(t) for t in self.inputs],
                "output_layers": [self._coordinates(t)
                                  for t in self.outputs]}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        """Rebuild a functional model (without weights) from
        :meth:`get_config`'s output (Keras 2.3.1's format)."""
        inputs, outputs = graph_from_config(config, custom_objects)
        return cls(inputs=inputs, outputs=outputs, name=config.get("name"))

    def to_json(self, **kwargs):
        """The model's architecture as Keras's JSON
        (``{'class_name', 'config', 'backend'}``)."""
        return json.dumps({"class_name": type(self).__name__,
                           "config": self.get_config(),
                           "backend": "theano"}, **kwargs)


def graph_from_config(config, custom_objects=None):
    """``(input tensors, output tensors)`` of a functional config: each
    layer deserialized, then called on its inbound nodes in order (a node
    waits until the nodes it needs exist)."""
    created, pending = {}, []
    for spec in config["layers"]:
        layer = layers_module.deserialize(
            {"class_name": spec["class_name"], "config": spec["config"]},
            custom_objects)
        if spec.get("name") and layer.name != spec["name"]:
            raise ValueError("layer config named %r rebuilt a layer named %r"
                             % (spec["name"], layer.name))
        created[layer.name] = layer
        pending.append([layer, list(spec.get("inbound_nodes", []))])

    def tensor(name, node_index, tensor_index):
        return created[name]._inbound_nodes[node_index].output_tensors[
            tensor_index]

    def ready(node_data):
        return all(name in created and
                   node_index < len(created[name]._inbound_nodes)
                   for name, node_index, *_ in node_data)

    while any(nodes for _, nodes in pending):
        progress = False
        for entry in pending:
            layer, nodes = entry
            while nodes and ready(nodes[0]):
                node_data = nodes.pop(0)
                kwargs = node_data[0][3] if len(node_data[0]) > 3 else {}
                tensors = [tensor(*data[:3]) for data in node_data]
                layer(unpack(tensors), **(kwargs or {}))
                progress = True
        if not progress:
            stuck = [layer.name for layer, nodes in pending if nodes]
            raise ValueError("the model config cannot be rebuilt: the "
                             "inbound nodes of %s refer to layers or nodes "
                             "that never exist" % ", ".join(stuck))
    for key in ("input_layers", "output_layers"):
        for coordinates in config[key]:
            if coordinates[0] not in created:
                raise ValueError("%s names an unknown layer %r"
                                 % (key, coordinates[0]))
    return ([tensor(*c[:3]) for c in config["input_layers"]],
            [tensor(*c[:3]) for c in config["output_layers"]])


def _json_kwargs(arguments):
    """The non-tensor keyword arguments of a call, for a config."""
    try:
        json.dumps(arguments)
    except TypeError:
        raise ValueError("the model cannot be serialised: a layer call has "
                         "keyword arguments that are not JSON-ready: %r"
                         % (arguments,))
    return dict(arguments)


def _unique(values):
    seen, result = set(), []
    for value in values:
        if id(value) not in seen:
            seen.add(id(value))
            result.append(value)
    return result
