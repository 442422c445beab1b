"""The entry point of a functional model: ``Input`` and ``InputLayer``.

``x = Input(shape=(steps, features))`` makes a symbolic Theano tensor of
rank ``len(shape) + 1`` (floatX unless ``dtype`` says otherwise) that
layers can be called on; it is the only output of the node of an
:class:`InputLayer`, a layer without weights that does nothing but be
the source of the graph.  A ``Model`` takes these tensors as its inputs.
"""
import itertools

from ..runtime import theano, T

from .base import Layer, Node, _shape_str

_input_counter = itertools.count(1)


class InputLayer(Layer):
    """The layer behind :func:`Input` (Keras 2's arguments).

    Parameters
    ----------
    input_shape : tuple, optional
        Shape of one sample, without the batch axis.
    batch_size : int, optional
    batch_input_shape : tuple, optional
        The shape with the batch axis (``None`` for any batch size).
    dtype : str, optional
        ``'float32'``, ``'int32'``, ...; floatX by default.
    input_tensor : Theano variable, optional
        Use this variable as the input instead of making one.
    sparse : bool
        Only ``False``: theano_rnn has no sparse inputs.
    name : str, optional
    """

    def __init__(self, input_shape=None, batch_size=None,
                 batch_input_shape=None, dtype=None, input_tensor=None,
                 sparse=False, name=None, **kwargs):
        if sparse:
            raise ValueError("InputLayer %r: sparse=True is not supported "
                             "by theano_rnn (dense inputs only)" % (name,))
        if kwargs:
            raise TypeError("InputLayer: unexpected argument(s) %s"
                            % ", ".join(sorted(kwargs)))
        if name is None:
            name = "input_%d" % next(_input_counter)
        if batch_input_shape is None and input_shape is None:
            if input_tensor is None:
                raise ValueError(
                    "InputLayer %r: give shape=(...) (without the batch "
                    "axis) or batch_shape=(...)" % name)
            batch_input_shape = getattr(input_tensor, "_keras_shape",
                                        (None,) * input_tensor.ndim)
        super(InputLayer, self).__init__(
            name=name, input_shape=input_shape, batch_size=batch_size,
            batch_input_shape=batch_input_shape)
        shape = self.batch_input_shape
        if dtype is None:
            dtype = (input_tensor.dtype if input_tensor is not None
                     else theano.config.floatX)
        self.dtype = str(dtype)
        self.input_dtype = self.dtype
        self.sparse = False
        if input_tensor is None:
            input_tensor = T.TensorType(self.dtype, (False,) * len(shape))(
                name)
        elif input_tensor.ndim != len(shape):
            raise ValueError("InputLayer %r: input_tensor has rank %d, the "
                             "shape %s rank %d" % (name, input_tensor.ndim,
                                                   _shape_str(shape),
                                                   len(shape)))
        self.built = True
        self.input_shape = shape
        input_tensor._keras_shape = shape
        input_tensor._keras_mask = None
        input_tensor._keras_history = (self, 0, 0)
        Node(self, [], [], [], [input_tensor], [input_tensor], [None],
             [None], [shape], [shape])

    def __call__(self, inputs, **kwargs):
        raise ValueError("InputLayer %r cannot be called on tensors; it "
                         "makes its own (use Input(...))" % self.name)

    def call(self, inputs, mask=None, training=False):
        return inputs

    def get_config(self):
        return {"batch_input_shape": list(self.batch_input_shape),
                "dtype": self.dtype, "sparse": False, "name": self.name}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        shape = config.pop("batch_input_shape", None)
        return cls(batch_input_shape=tuple(shape) if shape else None,
                   **config)


def Input(shape=None, batch_shape=None, name=None, dtype=None, sparse=False,
          tensor=None):
    """A symbolic input tensor for a functional model (Keras 2's ``Input``).

    Parameters
    ----------
    shape : tuple, optional
        Shape of one sample, e.g. ``(steps, features)``; ``None`` for a
        dimension of any size.
    batch_shape : tuple, optional
        The shape with the batch axis instead (a fixed batch size for
        stateful layers).
    name, dtype, sparse, tensor
        As for :class:`InputLayer`.

    Returns
    -------
    Theano variable
        Carrying ``_keras_shape``, ``_keras_mask`` (``None``) and
        ``_keras_history``.
    """
    if shape is None and batch_shape is None and tensor is None:
        raise ValueError("Input: give shape=(...) (without the batch axis) "
                         "or batch_shape=(...)")
    layer = InputLayer(input_shape=tuple(shape) if shape is not None
                       else None,
                       batch_input_shape=tuple(batch_shape)
                       if batch_shape is not None else None,
                       name=name, dtype=dtype, sparse=sparse,
                       input_tensor=tensor)
    return layer._inbound_nodes[0].output_tensors[0]
