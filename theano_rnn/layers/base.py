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
"""
import itertools

import numpy as np
import theano

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
    """

    #: dtype of the input this layer expects as the first layer of a model.
    input_dtype = "floatX"
    #: Whether the layer carries states from batch to batch (see
    #: :meth:`state_updates`); recurrent layers with ``stateful=True`` do.
    stateful = False

    def __init__(self, name=None, input_shape=None, batch_input_shape=None,
                 batch_size=None, trainable=True):
        self.name = name or "%s_%d" % (type(self).__name__.lower(),
                                       next(_layer_counter))
        if batch_size is not None and (
                isinstance(batch_size, bool) or
                not isinstance(batch_size, (int, np.integer)) or
                batch_size < 1):
            raise ValueError("batch_size must be a positive integer or None, "
                             "got %r" % (batch_size,))
        if batch_input_shape is None and input_shape is not None:
            batch_input_shape = (batch_size,) + tuple(input_shape)
        self.batch_input_shape = (tuple(batch_input_shape)
                                  if batch_input_shape is not None else None)
        self.trainable = bool(trainable)
        self.built = False
        self.input_shape = None

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

    def check_input(self, array, argument="x"):
        """Check a NumPy input for this layer as the first of a model.

        Raises ``ValueError`` naming ``argument`` on a wrong rank or feature
        size; layers with more to check (token ids) extend it.
        """
        expected = self.batch_input_shape or self.input_shape
        if expected is None:
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
        """All shared weights, in the order of :meth:`get_weights`."""
        return []

    @property
    def trainable_weights(self):
        return self.weights if self.trainable else []

    @property
    def non_trainable_weights(self):
        return [] if self.trainable else self.weights

    def add_weight(self, value, name):
        """A ``theano.shared`` weight named ``<layer>/<name>``."""
        return theano.shared(value, name="%s/%s" % (self.name, name))

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


def _shape_str(shape):
    return "(%s)" % ", ".join("batch" if i == 0 and d is None
                              else ("any" if d is None else str(d))
                              for i, d in enumerate(shape))
