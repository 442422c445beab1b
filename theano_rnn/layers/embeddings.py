"""Embedding: token ids to dense vectors."""
import numpy as np
import theano.tensor as T

from .. import initializers
from ..cells import check_positive_int
from .base import Layer


class Embedding(Layer):
    """Look up a ``output_dim`` vector for each token id in ``[0, input_dim)``.

    Input (batch, steps) integers; output (batch, steps, output_dim).
    Weights: ``embeddings`` (input_dim, output_dim), ``uniform(-0.05, 0.05)``
    by default as in Keras.

    With ``mask_zero=True`` id 0 is padding: the layer emits a mask
    ``(batch, steps)`` that later recurrent layers honour by carrying their
    state through padded steps, and id 0 cannot be a real token.
    """

    input_dtype = "int32"
    supports_masking = True

    def __init__(self, input_dim, output_dim,
                 embeddings_initializer="uniform", input_length=None,
                 mask_zero=False, **kwargs):
        if input_length is not None and "input_shape" not in kwargs \
                and "batch_input_shape" not in kwargs:
            kwargs["input_shape"] = (check_positive_int(input_length,
                                                        "input_length"),)
        super(Embedding, self).__init__(**kwargs)
        self.input_dim = check_positive_int(input_dim, "input_dim")
        self.output_dim = check_positive_int(output_dim, "output_dim")
        self.embeddings_initializer = initializers.get(
            embeddings_initializer, "embeddings_initializer")
        self.input_length = input_length
        self.mask_zero = bool(mask_zero)
        self.embeddings = None
        if self.batch_input_shape is None:
            self.batch_input_shape = (None, None)

    def build(self, input_shape):
        self.embeddings = self.add_weight(
            self.embeddings_initializer((self.input_dim, self.output_dim)),
            "embeddings")
        super(Embedding, self).build(input_shape)

    @property
    def weights(self):
        return [self.embeddings] if self.built else []

    def call(self, inputs, mask=None, training=False):
        if not inputs.dtype.startswith(("int", "uint")):
            inputs = T.cast(inputs, "int32")    # a float Input of token ids
        return self.embeddings[inputs]

    def compute_mask(self, inputs, mask=None):
        return T.neq(inputs, 0) if self.mask_zero else None

    def compute_output_shape(self, input_shape):
        return tuple(input_shape) + (self.output_dim,)

    def check_input(self, array, argument="x"):
        """Token ids must be integers in ``[0, input_dim)``."""
        super(Embedding, self).check_input(array, argument)
        if array.size == 0:
            return
        if not (np.issubdtype(array.dtype, np.integer) or
                np.array_equal(array, np.round(array))):
            raise ValueError("%s: token ids must be integers, got dtype %s"
                             % (argument, array.dtype))
        low, high = array.min(), array.max()
        if low < 0 or high >= self.input_dim:
            raise ValueError(
                "%s: token ids must lie in [0, %d) for layer %r "
                "(input_dim=%d), found ids from %d to %d"
                % (argument, self.input_dim, self.name, self.input_dim,
                   low, high))

    def get_config(self):
        config = super(Embedding, self).get_config()
        config.update(input_dim=self.input_dim, output_dim=self.output_dim,
                      embeddings_initializer=initializers.serialize(
                          self.embeddings_initializer),
                      input_length=self.input_length,
                      mask_zero=self.mask_zero)
        return config
