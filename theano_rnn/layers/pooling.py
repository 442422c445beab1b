"""Pooling over time: ``MaxPooling1D``, ``AveragePooling1D`` (windows of
``pool_size`` steps moved by ``strides``) and ``GlobalMaxPooling1D``,
``GlobalAveragePooling1D`` (over all steps).

Input (batch, steps, features).  ``padding='valid'``: full windows only,
``(steps - pool_size) // strides + 1`` outputs.  ``padding='same'``:
``ceil(steps / strides)`` outputs, with the windows placed as Keras's Theano
backend places them (``pool_size - 1`` padding steps on the left, or
``pool_size - 2`` for an odd pool size above 2); padding never enters a
maximum or an average.  Computed by Theano's ``pool_2d``.
"""
from ..runtime import T
from theano.tensor.signal.pool import pool_2d

from .. import legacy
from ..cells import check_positive_int
from .base import InputSpec, Layer
from .convolutional import PADDINGS, _single, conv_output_length, pad_steps
from .core import check_data_format
from .shapes import check_rank, first_mask, no_mask


class _Pooling1D(Layer):
    """Windowed pooling; also takes Keras 1's ``pool_length``, ``stride``
    and ``border_mode`` (:data:`theano_rnn.legacy.POOLING1D`)."""

    compute_mask = no_mask
    input_spec = InputSpec(ndim=3)

    @legacy.pooling1d_support
    def __init__(self, pool_size=2, strides=None, padding="valid",
                 data_format="channels_last", **kwargs):
        super(_Pooling1D, self).__init__(**kwargs)
        self.pool_size = check_positive_int(_single(pool_size), "pool_size")
        self.strides = check_positive_int(
            _single(strides) if strides is not None else self.pool_size,
            "strides")
        if padding not in PADDINGS[:2]:
            raise ValueError("padding must be 'valid' or 'same', got %r"
                             % (padding,))
        self.padding = padding
        if check_data_format(data_format) != "channels_last":
            raise ValueError("%s supports data_format='channels_last' only, "
                             "got %r" % (type(self).__name__, data_format))
        self.data_format = "channels_last"

    def build(self, input_shape):
        input_shape = check_rank(self, input_shape, 3, what=
                                 "inputs (batch, steps, features)")
        if conv_output_length(input_shape[1], self.pool_size, self.strides,
                              self.padding) == 0:
            raise ValueError("layer %r: inputs of %s steps are shorter than "
                             "pool_size=%d" % (self.name, input_shape[1],
                                               self.pool_size))
        super(_Pooling1D, self).build(input_shape)

    def _left_padding(self):
        if self.padding == "valid":
            return 0
        p = self.pool_size
        return p - 2 if p > 2 and p % 2 == 1 else p - 1

    def _pool(self, inputs, mode, pad=0, steps=None):
        """``pool_2d`` over the steps of (batch, steps, features), cropped
        to ``ceil(steps / strides)`` windows for ``padding='same'`` (``steps``:
        the unpadded input's, by default ``inputs``')."""
        steps = inputs.shape[1] if steps is None else steps
        image = inputs.dimshuffle(0, 2, 1, "x")     # (batch, features, steps, 1)
        out = pool_2d(image, ws=(self.pool_size, 1), stride=(self.strides, 1),
                      pad=(pad, 0), ignore_border=True, mode=mode)
        if self.padding == "same":
            out = out[:, :, :(steps + self.strides - 1) // self.strides]
        return out[:, :, :, 0].dimshuffle(0, 2, 1)

    def compute_output_shape(self, input_shape):
        return (input_shape[0],
                conv_output_length(input_shape[1], self.pool_size,
                                   self.strides, self.padding),
                input_shape[2])

    def get_config(self):
        config = super(_Pooling1D, self).get_config()
        config.update(pool_size=(self.pool_size,), strides=(self.strides,),
                      padding=self.padding, data_format=self.data_format)
        return config


class MaxPooling1D(_Pooling1D):
    """Maximum over each window.  No mask."""

    def call(self, inputs, mask=None, training=False):
        return self._pool(inputs, "max", pad=self._left_padding())


class AveragePooling1D(_Pooling1D):
    """Mean over each window (of its real steps).  No mask.

    With ``padding='same'`` it is computed as the windows' sums of the
    zero-padded input over their counts of real steps: Theano's average
    pooling has no gradient with padding."""

    def call(self, inputs, mask=None, training=False):
        if self.padding == "valid":
            return self._pool(inputs, "average_exc_pad")
        left = self._left_padding()
        steps = inputs.shape[1]
        windows = (steps + self.strides - 1) // self.strides
        right = T.maximum(0, (windows - 1) * self.strides + self.pool_size
                          - steps - left)
        sums = self._pool(pad_steps(inputs, left, right), "sum",
                          steps=steps)
        counts = self._pool(pad_steps(T.ones_like(inputs[:, :, :1]), left,
                                      right), "sum", steps=steps)
        return sums / T.addbroadcast(counts, 2)


class _GlobalPooling1D(Layer):
    compute_mask = no_mask
    input_spec = InputSpec(ndim=3)

    def __init__(self, data_format="channels_last", **kwargs):
        super(_GlobalPooling1D, self).__init__(**kwargs)
        if check_data_format(data_format) != "channels_last":
            raise ValueError("%s supports data_format='channels_last' only, "
                             "got %r" % (type(self).__name__, data_format))
        self.data_format = "channels_last"

    def build(self, input_shape):
        super(_GlobalPooling1D, self).build(check_rank(
            self, input_shape, 3, what="inputs (batch, steps, features)"))

    def compute_output_shape(self, input_shape):
        return (input_shape[0], input_shape[2])

    def get_config(self):
        config = super(_GlobalPooling1D, self).get_config()
        config.update(data_format=self.data_format)
        return config


class GlobalMaxPooling1D(_GlobalPooling1D):
    """(batch, steps, features) -> (batch, features): the maximum over all
    steps.  Does not support masks (as in Keras 2.3.1)."""

    def call(self, inputs, mask=None, training=False):
        return inputs.max(axis=1)


class GlobalAveragePooling1D(_GlobalPooling1D):
    """(batch, steps, features) -> (batch, features): the mean over the
    steps; with a (batch, steps) mask, over the real steps only (as in Keras
    2.3.1: ``sum(x * mask) / sum(mask)``).  The output has no mask."""

    supports_masking = True

    def call(self, inputs, mask=None, training=False):
        mask = first_mask(mask)
        if mask is None:
            return inputs.mean(axis=1)
        weights = T.cast(mask, inputs.dtype).dimshuffle(0, 1, "x")
        return (inputs * weights).sum(axis=1) / weights.sum(axis=1)
