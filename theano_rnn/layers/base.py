"""The layer protocol every layer follows.

A layer turns a symbolic input into a symbolic output::

    layer.build(input_shape)              # creates its theano.shared weights
    y = layer.call(x, mask=None, training=False)
    mask_out = layer.compute_mask(x, mask)
    shape_out = layer.compute_output_shape(input_shape)

Shapes are tuples that include the batch axis as ``None``, as in Keras:
``(None, steps, features)``.  ``training=True`` builds the training graph
(dropout on); ``training=False`` the deterministic inference graph.

Weights are ``theano.shared`` variables listed by :attr:`Layer.weights` in
Keras's order; :meth:`get_weights` and :meth:`set_weights` exchange them as
NumPy arrays.

Calling a layer on symbolic tensors (the functional API)
--------------------------------------------------------
``y = layer(x)`` (``x`` from :func:`~theano_rnn.layers.Input` or from another
layer call, or a list of them) builds the layer if needed, computes its
inference graph (``training=False``) and records a :class:`Node`: which
layers and tensors went in, what came out, with their shapes and masks.
The returned Theano variables carry

* ``_keras_shape``: the Keras shape, batch axis first;
* ``_keras_mask``: the output mask (``None`` without one);
* ``_keras_history``: ``(layer, node_index, tensor_index)``,

so models can be built from the recorded nodes
(:mod:`theano_rnn.models.network` replays them, with ``training=True`` for
the training graph) and code such as ``theano.function([x], layer.output)``
works on them directly.  Calling a layer again on other tensors records
another node and shares the weights.
"""
import itertools

import numpy as np
from ..runtime import theano
Variable = theano.graph.basic.Variable

from .. import backend
from ..validation import is_integer

_layer_counter = itertools.count(1)


def check_rate(value, argument):
    """Raise ``ValueError`` unless ``0 <= value < 1``."""
    try:
        rate = float(value)
    except (TypeError, ValueError):
        rate = None
    if rate is None or not 0.0 <= rate < 1.0:
        raise ValueError("%s must be a number in [0, 1), got %r"
                         % (argument, value))
    return rate


class InputSpec(object):
    """What a layer accepts, as in Keras: ``ndim`` (exact rank),
    ``min_ndim`` and ``axes`` (``{axis: size}``, e.g. ``{-1: 16}`` once a
    Dense layer is built for 16 features).  :meth:`Layer.__call__` checks
    every input against ``layer.input_spec`` (one spec, or one per
    input)."""

    def __init__(self, ndim=None, min_ndim=None, axes=None, dtype=None):
        self.ndim = ndim
        self.min_ndim = min_ndim
        self.axes = dict(axes or {})
        self.dtype = dtype


class Node(object):
    """One call of ``outbound_layer`` on tensors, as Keras records it.

    ``inbound_layers[i]``, ``node_indices[i]`` and ``tensor_indices[i]``
    locate input ``i``: output ``tensor_indices[i]`` of node
    ``node_indices[i]`` of that layer.  ``arguments`` are the keyword
    arguments of the call other than the tensors (given to ``call`` again
    when a model replays the node).  Input layers have nodes without
    inbound layers.
    """

    def __init__(self, outbound_layer, inbound_layers, node_indices,
                 tensor_indices, input_tensors, output_tensors, input_masks,
                 output_masks, input_shapes, output_shapes, arguments=None):
        self.outbound_layer = outbound_layer
        self.inbound_layers = list(inbound_layers)
        self.node_indices = list(node_indices)
        self.tensor_indices = list(tensor_indices)
        self.input_tensors = list(input_tensors)
        self.output_tensors = list(output_tensors)
        self.input_masks = list(input_masks)
        self.output_masks = list(output_masks)
        self.input_shapes = list(input_shapes)
        self.output_shapes = list(output_shapes)
        self.arguments = dict(arguments or {})
        for layer in self.inbound_layers:
            layer._outbound_nodes.append(self)
        outbound_layer._inbound_nodes.append(self)

    def get_config(self):
        """``[[layer name, node index, tensor index, kwargs], ...]``."""
        return [[layer.name, node_index, tensor_index, self.arguments]
                for layer, node_index, tensor_index in zip(
                    self.inbound_layers, self.node_indices,
                    self.tensor_indices)]


def is_keras_tensor(value):
    """Whether ``value`` came out of :func:`Input` or a layer call."""
    return (isinstance(value, Variable) and
            hasattr(value, "_keras_history"))


def to_list(value):
    """``value`` as a list (a list or tuple as a list, anything else as
    ``[value]``)."""
    return list(value) if isinstance(value, (list, tuple)) else [value]


def unpack(values):
    """The single element of a one-element list, else the list."""
    return values[0] if len(values) == 1 else values


class Layer(object):
    """Base class: naming, input shapes, weights and their (de)serialisation.

    Parameters
    ----------
    name : str, optional
    input_shape : tuple, optional
        Shape of one sample, e.g. ``(steps, features)``; only the first
        layer of a model needs it.
    batch_input_shape : tuple, optional
        The same with the batch size in front.
    batch_size : int, optional
        With ``input_shape``: a fixed batch size, as in
        ``batch_input_shape=(batch_size,) + input_shape`` (stateful
        recurrent layers need one).
    trainable : bool
        Whether the optimiser updates this layer's weights.
    weights : list of arrays, optional
        Initial weights in :meth:`get_weights` order (Keras's ``weights=``,
        e.g. a pre-trained embedding matrix), set when the layer is built
        by its first call; a wrong count or shape is a ``ValueError``
        naming the layer.  Not part of the config.
    """

    #: dtype of the input this layer expects as the first layer of a model.
    input_dtype = "floatX"
    #: Whether the layer carries states from batch to batch (see
    #: :meth:`state_updates`); recurrent layers with ``stateful=True`` do.
    stateful = False
    #: Whether the layer accepts a mask; one that does not and receives a
    #: mask raises Keras's ``TypeError`` when called.
    supports_masking = False
    #: :class:`InputSpec` checked when the layer is called: a list of them,
    #: one per input, or a single one for the first input; ``None`` accepts
    #: anything.
    input_spec = None

    def __init__(self, name=None, input_shape=None, batch_input_shape=None,
                 batch_size=None, dtype=None, trainable=True, weights=None):
        self.name = name or "%s_%d" % (type(self).__name__.lower(),
                                       next(_layer_counter))
        if batch_size is not None and (not is_integer(batch_size) or
                                       batch_size < 1):
            raise ValueError("batch_size must be a positive integer or None, "
                             "got %r" % (batch_size,))
        if batch_input_shape is None and input_shape is not None:
            batch_input_shape = (batch_size,) + tuple(input_shape)
        self.batch_input_shape = (tuple(batch_input_shape)
                                  if batch_input_shape is not None else None)
        if dtype is not None:
            self.input_dtype = dtype
        self.trainable = bool(trainable)
        # Keras's weights=: the initial weights, set when the layer is built
        # by its first call (get_weights order; not part of the config)
        self._initial_weights = (None if weights is None
                                 else [np.asarray(w) for w in weights])
        self.built = False
        self._built_input_shape = None
        self._inbound_nodes = []
        self._outbound_nodes = []

    # -- the functional API -------------------------------------------------
    def __call__(self, inputs, **kwargs):
        """Apply the layer to symbolic tensor(s), recording a :class:`Node`.

        Parameters
        ----------
        inputs : tensor or list of tensors
            Outputs of :func:`~theano_rnn.layers.Input` or of layer calls.
        **kwargs
            ``mask=`` overrides the inputs' masks; anything else is passed
            on to :meth:`call` (now and whenever a model replays the call).

        Returns
        -------
        tensor or list of tensors
            Theano variables of the inference graph carrying
            ``_keras_shape``, ``_keras_mask`` and ``_keras_history``.

        Raises
        ------
        ValueError
            If an input is not a symbolic tensor (e.g. a NumPy array) or
            does not fit the layer (rank, feature size), naming the layer
            and the shapes.
        TypeError
            If the layer does not support masking and gets a mask.
        """
        tensors = to_list(inputs)
        for tensor in tensors:
            if not isinstance(tensor, Variable):
                raise ValueError(
                    "Layer %s was called with an input that isn't a symbolic "
                    "tensor. Received type: %s. Full input: %r. All inputs "
                    "to the layer should be tensors (from Input(...) or "
                    "another layer)." % (self.name, type(tensor), inputs))
        shapes = [getattr(t, "_keras_shape", None) or (None,) * t.ndim
                  for t in tensors]
        self._check_input_spec(tensors, shapes)
        masks = to_list(kwargs.pop("mask")) if "mask" in kwargs else \
            [getattr(t, "_keras_mask", None) for t in tensors]
        if any(m is not None for m in masks) and not self.supports_masking:
            raise TypeError("Layer %s does not support masking, but was "
                            "passed an input_mask: %s"
                            % (self.name, unpack(masks)))
        single = not isinstance(inputs, (list, tuple))
        if not self.built:
            self.build(shapes[0] if single else shapes)
            if self._initial_weights is not None:
                self.set_weights(self._initial_weights)
                self._initial_weights = None
        x, mask = (tensors[0], masks[0]) if single else (tensors, masks)
        call_kwargs = dict(kwargs)
        call_kwargs.setdefault("training", False)
        # K.in_train_phase inside a Lambda or a custom layer follows the
        # graph being written (the inference graph here).
        with backend.learning_phase_scope(int(bool(call_kwargs["training"]))):
            called = self.call(x, mask=mask, **call_kwargs)
        outputs = to_list(called)
        output_masks = self.compute_mask(x, mask)
        output_shapes = self.compute_output_shape(shapes[0] if single
                                                  else shapes)
        # one tensor from call is one output, even where the (default)
        # output shape is the list of the input shapes: it gets the first
        multi = isinstance(called, (list, tuple))
        if isinstance(output_shapes, list) and not multi:
            output_shapes = output_shapes[0]
        output_masks = (to_list(output_masks) if isinstance(output_masks, list)
                        else [output_masks] * len(outputs))
        output_shapes = ([tuple(s) for s in output_shapes] if multi
                         else [tuple(output_shapes)])
        # a layer may return its input itself (Dropout at inference): give
        # the output its own variable so that each carries its own history
        outputs = [theano.tensor.tensor_copy(o) if is_keras_tensor(o) or
                   any(o is t for t in tensors) else o for o in outputs]
        # inbound coordinates of the tensors that came from layer calls (a
        # plain Theano variable has none: a model needing it is then
        # reported as disconnected)
        histories = [t._keras_history for t in tensors if is_keras_tensor(t)]
        Node(self, [h[0] for h in histories], [h[1] for h in histories],
             [h[2] for h in histories], tensors, outputs, masks,
             output_masks, shapes, output_shapes, kwargs)
        node_index = len(self._inbound_nodes) - 1  # the node just made
        for i, (output, shape, out_mask) in enumerate(
                zip(outputs, output_shapes, output_masks)):
            output._keras_shape = shape
            output._keras_mask = out_mask
            output._keras_history = (self, node_index, i)
        return outputs if multi else outputs[0]

    def _check_input_spec(self, tensors, shapes):
        """Check the inputs against :attr:`input_spec` (Keras's
        ``assert_input_compatibility``), naming the layer and the shapes."""
        if self.input_spec is None:
            return
        if isinstance(self.input_spec, (list, tuple)):
            specs = list(self.input_spec)
        else:   # one spec: the first input's (an RNN given initial states)
            specs = [self.input_spec] + [None] * (len(tensors) - 1)
        if len(specs) != len(tensors):
            raise ValueError("Layer %s expects %d input(s), but it received "
                             "%d input tensors" % (self.name, len(specs),
                                                   len(tensors)))
        for i, (spec, tensor, shape) in enumerate(zip(specs, tensors,
                                                      shapes)):
            if spec is None:
                continue
            if spec.ndim is not None and tensor.ndim != spec.ndim:
                raise ValueError(
                    "Input %d is incompatible with layer %s: expected "
                    "ndim=%d, found ndim=%d (input shape %s)"
                    % (i, self.name, spec.ndim, tensor.ndim, shape))
            if spec.min_ndim is not None and tensor.ndim < spec.min_ndim:
                raise ValueError(
                    "Input %d is incompatible with layer %s: expected "
                    "min_ndim=%d, found ndim=%d (input shape %s)"
                    % (i, self.name, spec.min_ndim, tensor.ndim, shape))
            for axis, size in spec.axes.items():
                got = shape[axis] if -len(shape) <= axis < len(shape) \
                    else None
                if size is not None and got is not None and got != size:
                    raise ValueError(
                        "Input %d is incompatible with layer %s: expected "
                        "axis %d of input shape to have value %d but got "
                        "shape %s" % (i, self.name, axis, size, shape))

    @property
    def inbound_nodes(self):
        return self._inbound_nodes

    @property
    def outbound_nodes(self):
        return self._outbound_nodes

    def _node_attribute(self, node_index, attribute, what):
        if not self._inbound_nodes:
            raise AttributeError("Layer %s is not connected, no %s to return."
                                 % (self.name, what))
        try:
            values = getattr(self._inbound_nodes[node_index], attribute)
        except IndexError:
            raise ValueError("Asked to get %s at node %d, but the layer has "
                             "only %d inbound nodes." % (
                                 what, node_index, len(self._inbound_nodes)))
        return unpack(values)

    def _single_node_attribute(self, attribute, what):
        if len(self._inbound_nodes) > 1:
            raise AttributeError(
                "Layer %s has multiple inbound nodes, hence the notion of "
                "\"layer %s\" is ill-defined. Use `get_%s_at(node_index)` "
                "instead." % (self.name, what, what.replace(" ", "_")))
        return self._node_attribute(0, attribute, what)

    def get_input_at(self, node_index):
        return self._node_attribute(node_index, "input_tensors", "input")

    def get_output_at(self, node_index):
        return self._node_attribute(node_index, "output_tensors", "output")

    def get_input_shape_at(self, node_index):
        return self._node_attribute(node_index, "input_shapes", "input shape")

    def get_output_shape_at(self, node_index):
        return self._node_attribute(node_index, "output_shapes",
                                    "output shape")

    def get_input_mask_at(self, node_index):
        return self._node_attribute(node_index, "input_masks", "input mask")

    def get_output_mask_at(self, node_index):
        return self._node_attribute(node_index, "output_masks", "output mask")

    @property
    def input(self):
        """The input tensor(s) of the layer's only node (Keras's
        ``AttributeError`` when it has none or several)."""
        return self._single_node_attribute("input_tensors", "input")

    @property
    def output(self):
        return self._single_node_attribute("output_tensors", "output")

    @property
    def input_mask(self):
        return self._single_node_attribute("input_masks", "input mask")

    @property
    def output_mask(self):
        return self._single_node_attribute("output_masks", "output mask")

    def _shape_of_nodes(self, attribute, what):
        shapes = {repr(node.__dict__[attribute])
                  for node in self._inbound_nodes}
        if len(shapes) > 1:
            raise AttributeError(
                'The layer "%s" has multiple inbound nodes, with different '
                "%ss. Hence the notion of \"%s\" is ill-defined for the "
                "layer. Use `get_%s_at(node_index)` instead."
                % (self.name, what, what, what.replace(" ", "_")))
        return self._node_attribute(0, attribute, what)

    @property
    def input_shape(self):
        """The input shape(s) of the layer's calls, batch axis first; for a
        layer never called on tensors (e.g. in a ``Sequential`` not yet
        built), the shape it was built for (``None`` before)."""
        if not self._inbound_nodes:
            return self._built_input_shape
        return self._shape_of_nodes("input_shapes", "input shape")

    @input_shape.setter
    def input_shape(self, value):
        self._built_input_shape = value

    @property
    def output_shape(self):
        """The output shape(s) of the layer's calls (Keras's
        ``AttributeError`` if it was never called)."""
        if not self._inbound_nodes:
            raise AttributeError("The layer has never been called and thus "
                                 "has no defined output shape.")
        return self._shape_of_nodes("output_shapes", "output shape")

    @property
    def losses(self):
        """Scalar Theano expressions added to the training loss
        (regularisation penalties); by default the penalties of the weights
        :meth:`add_weight` made with a regularizer, and :meth:`add_loss`'s."""
        return self.weight_penalties() + self.added_losses()

    @property
    def constraints(self):
        """``{shared weight: f(new value) -> constrained value}`` applied to
        the optimizer's updates; by default those :meth:`add_weight` set."""
        return {w: w.constraint for w in self.weights
                if getattr(w, "constraint", None) is not None}

    # -- to be provided by subclasses --------------------------------------
    def build(self, input_shape):
        """Create the weights for inputs of ``input_shape``."""
        self.input_shape = tuple(input_shape)
        self.built = True

    def call(self, inputs, mask=None, training=False):
        raise NotImplementedError

    def compute_output_shape(self, input_shape):
        return input_shape

    def compute_mask(self, inputs, mask=None):
        """The mask of this layer's output (by default, the input's)."""
        return mask

    def state_updates(self, training):
        """``(shared variable, new value)`` pairs that a function computing
        this layer's ``training`` (or inference) graph must apply: the
        states a stateful recurrent layer carries from batch to batch.
        Valid once :meth:`call` has built that graph; none by default."""
        return []

    def check_input(self, array, argument="x", shape=None):
        """Check a NumPy input for this layer as the first of a model.

        Raises ``ValueError`` naming ``argument`` on a wrong rank or feature
        size; layers with more to check (token ids) extend it.  ``shape``
        is the Keras shape of the tensor the layer was called on (a model's
        input), by default the shape the layer was built for.
        """
        expected = shape or self.batch_input_shape or self._built_input_shape
        if expected is None or isinstance(expected[0], (tuple, list)):
            return
        if array.ndim != len(expected):
            raise ValueError(
                "%s: expected a %d-D array of shape %s for layer %r, got "
                "shape %s" % (argument, len(expected), _shape_str(expected),
                              self.name, array.shape))
        for axis, (want, got) in enumerate(zip(expected, array.shape)):
            if axis and want is not None and want != got:
                raise ValueError(
                    "%s: expected shape %s for layer %r, got %s (axis %d "
                    "must be %d)" % (argument, _shape_str(expected), self.name,
                                     array.shape, axis, want))

    # -- weights -----------------------------------------------------------
    @property
    def weights(self):
        """All shared weights, in the order of :meth:`get_weights` (by
        default those :meth:`add_weight` made, trainable ones first, as in
        Keras)."""
        return self._tracked("trainable") + self._tracked("non_trainable")

    @property
    def trainable_weights(self):
        frozen = {id(w) for w in self._tracked("non_trainable")}
        return ([w for w in self.weights if id(w) not in frozen]
                if self.trainable else [])

    @property
    def non_trainable_weights(self):
        frozen = {id(w) for w in self._tracked("non_trainable")}
        return ([w for w in self.weights if id(w) in frozen]
                if self.trainable else self.weights)

    def add_weight(self, value=None, name=None, shape=None, dtype=None,
                   initializer=None, regularizer=None, trainable=True,
                   constraint=None):
        """A ``theano.shared`` weight named ``<layer>/<name>``.

        theano_rnn's layers give its initial value: ``add_weight(value,
        name)``.  Keras's custom layers (and RNN cells) give Keras 2's
        keywords: ``add_weight(name=..., shape=..., initializer=...,
        regularizer=None, trainable=True, constraint=None)`` (an initializer
        name, config or callable; ``'glorot_uniform'`` by default).  Either
        way the weight is listed by :attr:`weights` (and
        ``trainable_weights`` or ``non_trainable_weights``), its
        regulariser's penalty by :attr:`losses` and its constraint applied
        after each update.
        """
        from .. import constraints as constraints_module
        from .. import initializers, regularizers
        if isinstance(value, str) and name is not None and shape is None:
            value, name, shape = None, value, name   # Keras: (name, shape)
        if value is None:
            if shape is None:
                raise ValueError("layer %r: add_weight needs an initial "
                                 "value or shape= (weight %r)"
                                 % (self.name, name))
            init = initializers.get(initializer or "glorot_uniform",
                                    "%s: initializer" % self.name)
            value = np.asarray(init(tuple(shape)),
                               dtype=dtype or theano.config.floatX)
        weight = theano.shared(value, name="%s/%s" % (self.name, name))
        self._tracked("trainable" if trainable else "non_trainable").append(
            weight)
        regularizer = regularizers.get(regularizer, "%s: regularizer"
                                       % self.name)
        if regularizer is not None:
            self._tracked("regularizers").append((regularizer, weight))
        constraints_module.attach([(weight, constraints_module.get(
            constraint, "%s: constraint" % self.name))])
        return weight

    def get_weights(self):
        """The weights as a list of NumPy arrays (copies)."""
        return [w.get_value() for w in self.weights]

    def set_weights(self, weights):
        """Set the weights from NumPy arrays in :meth:`get_weights` order."""
        params = self.weights
        weights = list(weights)
        if len(weights) != len(params):
            raise ValueError(
                "layer %r expects %d weight arrays (%s), got %d"
                % (self.name, len(params),
                   ", ".join(p.name for p in params), len(weights)))
        for param, value in zip(params, weights):
            value = np.asarray(value)
            expected = param.get_value(borrow=True).shape
            if value.shape != expected:
                raise ValueError("layer %r: weight %r must have shape %s, got "
                                 "%s" % (self.name, param.name, expected,
                                         value.shape))
            param.set_value(value.astype(param.dtype))

    def count_params(self):
        return int(sum(np.prod(w.get_value(borrow=True).shape)
                       for w in self.weights))

    # -- configuration -----------------------------------------------------
    def get_config(self):
        """Constructor arguments that rebuild this layer (without weights)."""
        config = {"name": self.name, "trainable": self.trainable}
        if self.batch_input_shape is not None:
            config["batch_input_shape"] = list(self.batch_input_shape)
        return config

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    # -- Keras's losses and updates API (custom layers, RNN cells) ---------
    def _tracked(self, kind):
        """The list of what :meth:`add_weight`, :meth:`add_loss` and
        :meth:`add_update` recorded (``kind``: ``'trainable'``,
        ``'non_trainable'``, ``'regularizers'``, ``'losses'``,
        ``'updates'``), created on first use (a Keras custom layer may set
        attributes before calling ``Layer.__init__``)."""
        return self.__dict__.setdefault("_keras_tracked", {}).setdefault(
            kind, [])

    def _own_losses(self):
        """:attr:`losses` without what inner layers or cells contribute
        (layers that hold others override it)."""
        return self.losses

    def weight_penalties(self):
        """The penalties of the regularizers given to :meth:`add_weight`."""
        from .. import regularizers
        return regularizers.penalties(self._tracked("regularizers"))

    def added_losses(self, inputs=False):
        """The losses :meth:`add_loss` recorded: all, or (``inputs`` given,
        ``None`` included) those conditional on ``inputs``."""
        return [loss for loss, on in self._tracked("losses")
                if inputs is False or _same_inputs(on, inputs)]

    def add_loss(self, losses, inputs=None):
        """Keras's ``add_loss``: a scalar tensor (or a list) added to the
        layer's :attr:`losses` -- so to the loss of a model containing it --
        conditional on ``inputs`` (``None``: unconditional)."""
        for loss in losses if isinstance(losses, list) else [losses]:
            self._tracked("losses").append((loss, inputs))

    def get_losses_for(self, inputs):
        """Keras's ``get_losses_for``: ``None`` gives the unconditional
        losses (weight penalties, ``add_loss(..., inputs=None)``); a tensor
        (or list) the losses conditional on it -- ``add_loss``'s, and the
        activity regulariser's penalty of this layer's output for that
        input."""
        if inputs is None:
            added = [loss for loss, _ in self._tracked("losses")]
            return [loss for loss in self._own_losses()
                    if loss is not getattr(self, "_activity_penalty", None)
                    and not any(loss is a for a in added)] + \
                self.added_losses(None)
        found = self.added_losses(inputs)
        activity = getattr(self, "activity_regularizer", None)
        if activity is not None:
            found += [activity(unpack(node.output_tensors))
                      for node in self._inbound_nodes
                      if _same_inputs(node.input_tensors, inputs)]
        return found

    def add_update(self, updates, inputs=None):
        """Keras's ``add_update``: ``(variable, new value)`` pairs (or
        anything Keras allows there), conditional on ``inputs``; listed by
        :attr:`updates` and :meth:`get_updates_for`."""
        for update in updates if isinstance(updates, list) else [updates]:
            self._tracked("updates").append((update, inputs))

    @property
    def updates(self):
        """What :meth:`add_update` recorded (none while not trainable)."""
        if not self.trainable and not self.stateful:
            return []
        return [update for update, _ in self._tracked("updates")]

    def get_updates_for(self, inputs):
        """The updates conditional on ``inputs`` (``None``: the
        unconditional ones)."""
        return [update for update, on in self._tracked("updates")
                if _same_inputs(on, inputs)]


def _shape_str(shape):
    return "(%s)" % ", ".join("batch" if i == 0 and d is None
                              else ("any" if d is None else str(d))
                              for i, d in enumerate(shape))


def _same_inputs(a, b):
    """Whether two ``inputs`` arguments (``None``, a tensor or a list) are
    the same tensors."""
    if a is None or b is None:
        return a is None and b is None
    a, b = to_list(a), to_list(b)
    return len(a) == len(b) and all(x is y for x, y in zip(a, b))
