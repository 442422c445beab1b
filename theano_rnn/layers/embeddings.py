"""Embedding: token ids to dense vectors."""
import numpy as np
from ..runtime import T

from .. import initializers, legacy, random
from ..cells import check_positive_int
from ..fused.rows import gather_rows
from .base import Layer, check_rate
from .regularization import Regularized


class Embedding(Regularized, Layer):
    """Look up a ``output_dim`` vector for each token id in ``[0, input_dim)``.

    Input (batch, steps) integers; output (batch, steps, output_dim).
    Weights: ``embeddings`` (input_dim, output_dim), ``uniform(-0.05, 0.05)``
    by default as in Keras.

    With ``mask_zero=True`` id 0 is padding: the layer emits a mask
    ``(batch, steps)`` that later recurrent layers honour by carrying their
    state through padded steps, and id 0 cannot be a real token.

    Also takes ``embeddings_regularizer``, ``activity_regularizer`` and
    ``embeddings_constraint``, and Keras 1's names (``init``,
    ``W_regularizer``, ``W_constraint``).

    ``dropout`` is Keras 1's word dropout (Keras 2 dropped the argument): in
    the training graph each row of the embedding matrix -- each word of the
    vocabulary -- is zeroed with probability ``dropout`` for the whole batch,
    the others scaled by ``1 / (1 - dropout)``.

    The lookup and its gradient are the C ops of
    :mod:`theano_rnn.fused.rows` (a row gather; a row scatter-add into the
    dense gradient of ``embeddings``); an id outside ``[0, input_dim)``
    is a ``ValueError`` naming ``input_dim``.
    """

    input_dtype = "int32"
    supports_masking = True
    regularized_weights = ("embeddings",)

    @legacy.embedding_support
    def __init__(self, input_dim, output_dim,
                 embeddings_initializer="uniform", input_length=None,
                 mask_zero=False, dropout=0.0, seed=None, **kwargs):
        kwargs = self._init_regularization(kwargs)
        input_length = _input_length(input_length)
        if input_length is not None and "input_shape" not in kwargs \
                and "batch_input_shape" not in kwargs:
            kwargs["input_shape"] = input_length
        super(Embedding, self).__init__(**kwargs)
        self.input_dim = check_positive_int(input_dim, "input_dim")
        self.output_dim = check_positive_int(output_dim, "output_dim")
        self.embeddings_initializer = initializers.get(
            embeddings_initializer, "embeddings_initializer")
        self.input_length = (input_length[0] if input_length is not None and
                             len(input_length) == 1 else input_length)
        if self.batch_input_shape is not None:
            self._input_lengths(self.batch_input_shape)
        self.mask_zero = bool(mask_zero)
        self.dropout = check_rate(dropout, "Embedding: dropout")
        self.seed = seed
        self.stream = random.make_stream(seed) if self.dropout else None
        self.embeddings = None
        if self.batch_input_shape is None:
            self.batch_input_shape = (None, None)

    def build(self, input_shape):
        self.embeddings = self.add_weight(
            self.embeddings_initializer((self.input_dim, self.output_dim)),
            "embeddings")
        self._attach_constraints()
        super(Embedding, self).build(input_shape)

    @property
    def weights(self):
        return [self.embeddings] if self.built else []

    def call(self, inputs, mask=None, training=False):
        if not inputs.dtype.startswith(("int", "uint")):
            inputs = T.cast(inputs, "int32")    # a float Input of token ids
        embeddings = self.embeddings
        if training and self.dropout:
            keep = random.dropout_mask(self.stream, (self.input_dim,),
                                       self.dropout, embeddings.dtype)
            embeddings = embeddings * keep.dimshuffle(0, "x")
        return self._record_activity(
            gather_rows(embeddings, inputs, "input_dim"), training)

    def compute_mask(self, inputs, mask=None):
        return T.neq(inputs, 0) if self.mask_zero else None

    def compute_output_shape(self, input_shape):
        return ((input_shape[0],) + self._input_lengths(input_shape) +
                (self.output_dim,))

    def _input_lengths(self, input_shape):
        """The input's non-batch axes, ``input_length`` filling the unknown
        ones; a ``ValueError`` if they contradict ``input_length`` (Keras's
        check)."""
        lengths = tuple(input_shape[1:])
        if self.input_length is None:
            return lengths
        expected = _input_length(self.input_length)
        if len(expected) != len(lengths) or any(
                a is not None and b is not None and a != b
                for a, b in zip(expected, lengths)):
            raise ValueError(
                "layer %r: input_length is %r, but the input has shape %s "
                "(one length per axis after the batch axis)"
                % (self.name, self.input_length, tuple(input_shape)))
        return tuple(b if a is None else a for a, b in zip(expected,
                                                             lengths))

    def check_input(self, array, argument="x", shape=None):
        """Token ids must be integers in ``[0, input_dim)``."""
        super(Embedding, self).check_input(array, argument, shape)
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
                      mask_zero=self.mask_zero,
                      **self.regularization_config())
        if self.dropout:        # Keras 1 only: absent from Keras 2 configs
            config.update(dropout=self.dropout, seed=self.seed)
        return config


def _input_length(value):
    """``input_length`` as a tuple (one length per input axis after the
    batch axis, each a positive int or ``None``; Keras takes an int, or a
    tuple for inputs of rank 3 and more), or ``None``."""
    if value is None:
        return None
    lengths = tuple(value) if isinstance(value, (list, tuple)) else (value,)
    return tuple(None if n is None else check_positive_int(n, "input_length")
                 for n in lengths)
