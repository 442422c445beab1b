"""Pooling over time: ``MaxPooling1D``, ``AveragePooling1D`` (windows of
``pool_size`` steps moved by ``strides``) and ``GlobalMaxPooling1D``,
``GlobalAveragePooling1D`` (over all steps).

Input (batch, steps, features).  ``padding='valid'``: full windows only,
``(steps - pool_size) // strides + 1`` outputs.  ``padding='same'``:
``ceil(steps / strides)`` outputs, with the windows placed as Keras's Theano
backend places them (``pool_size - 1`` padding steps on the left, or
``pool_size - 2`` for an odd pool size above 2); padding never enters a
maximum or an average.

Computed from the ``pool_size`` shifted views of the (padded) input that
make the windows (:func:`.convolutional.window_slices`), stacked and reduced
with ``max`` or ``sum``: plain ``T`` operations, the same on both backends.
"""
import numpy as np
from ..runtime import T

from .. import legacy
from ..cells import check_positive_int
from .base import InputSpec, Layer
from .convolutional import (PADDINGS, _single, conv_output_length, pad_steps,
                            same_padding, window_slices)
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

    def _windows(self, inputs, pad_value):
        """(pool_size, batch, windows, features): the steps of every window,
        ``inputs`` padded with ``pad_value`` for ``padding='same'`` (as many
        steps on the right as the last window needs, so there are
        ``ceil(steps / strides)`` windows, each with at least one real
        step)."""
        if self.padding == "same":
            inputs = pad_steps(inputs, *same_padding(
                inputs.shape[1], self.pool_size, self.strides,
                left=self._left_padding()), value=pad_value)
        return T.stack(window_slices(inputs, self.pool_size, self.strides))

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
    """Maximum over each window (padding is ``-inf``).  No mask."""

    def call(self, inputs, mask=None, training=False):
        return self._windows(inputs, -np.inf).max(axis=0)


class AveragePooling1D(_Pooling1D):
    """Mean over each window, of its real steps only: the window's sum over
    the zero-padded input divided by its count of real steps.  No mask."""

    def call(self, inputs, mask=None, training=False):
        sums = self._windows(inputs, 0).sum(axis=0)
        if self.padding == "valid":
            return sums / np.asarray(self.pool_size, dtype=inputs.dtype)
        steps = inputs.shape[1]
        first = (T.arange((steps + self.strides - 1) // self.strides)
                 * self.strides - self._left_padding())
        counts = (T.minimum(first + self.pool_size, steps)
                  - T.maximum(first, 0))          # real steps per window
        return sums / T.cast(counts, inputs.dtype).dimshuffle("x", 0, "x")


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
