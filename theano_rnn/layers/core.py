"""Dense and Dropout."""
import theano
import theano.tensor as T

from .. import activations, initializers, legacy, random
from ..cells import check_positive_int
from .base import InputSpec, Layer, check_rate
from .regularization import Regularized


class Dense(Regularized, Layer):
    """Fully connected layer ``y = act(x W + b)`` on the last axis.

    Weights: ``kernel`` (input_dim, units), ``bias`` (units,).  A 3-D input
    (the output of a recurrent layer with ``return_sequences=True``) is
    transformed at every time step, as in Keras 2.

    Also takes ``kernel_regularizer``, ``bias_regularizer``,
    ``activity_regularizer``, ``kernel_constraint``, ``bias_constraint``
    (see :mod:`theano_rnn.layers.regularization`), ``input_dim`` (for
    ``input_shape=(input_dim,)``) and Keras 1's names (``output_dim``,
    ``init``, ``W_regularizer``...; :data:`theano_rnn.legacy.DENSE`).
    """

    supports_masking = True
    input_spec = InputSpec(min_ndim=2)

    regularized_weights = ("kernel", "bias")

    @legacy.dense_support
    def __init__(self, units, activation=None, use_bias=True,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 **kwargs):
        kwargs = self._init_regularization(kwargs)
        super(Dense, self).__init__(**kwargs)
        self.units = check_positive_int(units, "units")
        self.activation = activations.get(activation, "activation")
        self.use_bias = bool(use_bias)
        self.kernel_initializer = initializers.get(kernel_initializer,
                                                   "kernel_initializer")
        self.bias_initializer = initializers.get(bias_initializer,
                                                 "bias_initializer")
        self.kernel = self.bias = None

    def build(self, input_shape):
        input_dim = check_positive_int(input_shape[-1], "input feature size")
        self.kernel = self.add_weight(
            self.kernel_initializer((input_dim, self.units)), "kernel")
        if self.use_bias:
            self.bias = self.add_weight(self.bias_initializer((self.units,)),
                                        "bias")
        self.input_spec = InputSpec(min_ndim=2, axes={-1: input_dim})
        self._attach_constraints()
        super(Dense, self).build(input_shape)

    @property
    def weights(self):
        if not self.built:
            return []
        return [self.kernel, self.bias] if self.use_bias else [self.kernel]

    def call(self, inputs, mask=None, training=False):
        output = T.dot(inputs, self.kernel)
        if self.use_bias:
            output = output + self.bias
        return self._record_activity(self.activation(output), training)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:-1]) + (self.units,)

    def get_config(self):
        config = super(Dense, self).get_config()
        config.update(units=self.units,
                      activation=activations.serialize(self.activation),
                      use_bias=self.use_bias,
                      kernel_initializer=initializers.serialize(
                          self.kernel_initializer),
                      bias_initializer=initializers.serialize(
                          self.bias_initializer),
                      **self.regularization_config())
        return config


class Dropout(Layer):
    """Inverted dropout (Srivastava et al., 2014): in the training graph each
    unit is zeroed with probability ``rate`` and the rest scaled by
    ``1 / (1 - rate)``; the inference graph is the identity.

    ``noise_shape`` (e.g. ``(None, 1, features)``) shares one mask along the
    axes given as 1, Keras-style; ``None`` entries follow the input.
    Keras 1's ``p`` is ``rate``.
    """

    supports_masking = True

    @legacy.dropout_support
    def __init__(self, rate, noise_shape=None, seed=None, **kwargs):
        super(Dropout, self).__init__(**kwargs)
        self.rate = check_rate(rate, "rate")
        self.noise_shape = tuple(noise_shape) if noise_shape else None
        self.seed = seed
        self.stream = random.make_stream(seed)

    def call(self, inputs, mask=None, training=False):
        if not training or self.rate == 0:
            return inputs
        if self.noise_shape is None:
            shape, pattern = inputs.shape, None
        else:
            shape = [inputs.shape[i] if d is None else d
                     for i, d in enumerate(self.noise_shape)]
            pattern = [d == 1 for d in self.noise_shape]
        drop = random.dropout_mask(self.stream, shape, self.rate,
                                   theano.config.floatX)
        if pattern is not None:
            drop = T.addbroadcast(drop, *[i for i, b in enumerate(pattern)
                                          if b])
        return inputs * drop

    def get_config(self):
        config = super(Dropout, self).get_config()
        config.update(rate=self.rate, seed=self.seed,
                      noise_shape=(list(self.noise_shape)
                                   if self.noise_shape else None))
        return config
