"""One-dimensional convolution over time: ``Conv1D`` (Keras 1:
``Convolution1D``).

Shapes: input (batch, steps, input_dim), kernel (kernel_size, input_dim,
filters) as in Keras, output (batch, new_steps, filters)::

    y[b, i, f] = act(sum_{j, c} x_pad[b, i * stride + j * dilation, c]
                                 * kernel[j, c, f] + bias[f])

(a cross-correlation, Keras's convention: the kernel is not flipped), where
``x_pad`` is ``x`` with zero steps added by ``padding``:

- ``'valid'``: none; ``new_steps = (steps - span) // stride + 1`` with
  ``span = dilation * (kernel_size - 1) + 1``.
- ``'causal'``: ``span - 1`` steps on the left, so output ``i`` sees only
  inputs up to ``i`` (stride 1: ``new_steps = steps``).
- ``'same'``: ``new_steps = ceil(steps / stride)``; ``span // 2`` steps on the
  left and the rest on the right, as Keras's Theano backend pads (for an even
  span this is one more on the left than TensorFlow's convention).

It is computed as one matrix product: the ``kernel_size`` shifted views
``x_pad[:, j * dilation :: stride]`` of the input (:func:`window_slices`),
side by side on the feature axis, make a (batch, new_steps, kernel_size *
input_dim) tensor whose last axis runs over ``(j, c)`` in the order of the
reshaped kernel (kernel_size * input_dim, filters); the same im2col + GEMM
scheme as Theano's ``CorrMM``, written with ``T`` alone so that it runs on
both backends.
"""
from ..runtime import T

from .. import legacy
from ..cells import check_positive_int
from .base import InputSpec
from .core import KernelLayer, check_data_format
from .shapes import check_rank, no_mask, shape_str

PADDINGS = ("valid", "same", "causal")


def conv_output_length(steps, span, stride, padding):
    """Output length of a window of ``span`` steps moved by ``stride``."""
    if steps is None:
        return None
    if padding == "same":
        return (steps + stride - 1) // stride
    if padding == "causal":
        steps += span - 1
    return max(0, (steps - span) // stride + 1)


def same_padding(steps, span, stride, left=None):
    """``(left, right)`` zero steps for ``padding='same'`` (symbolic or int
    ``steps``): ``left`` (by default ``span // 2``) and as many on the right
    as the last of the ``ceil(steps / stride)`` windows needs."""
    if left is None:
        left = span // 2
    out = (steps + stride - 1) // stride
    right = T.maximum(0, (out - 1) * stride + span - steps - left) \
        if not isinstance(steps, int) else max(0, (out - 1) * stride + span
                                                 - steps - left)
    return left, right


def window_slices(x, size, stride=1, dilation=1):
    """The ``size`` shifted views of ``x`` (batch, steps, features) that make
    the windows of ``size`` steps (``dilation`` apart) moved by ``stride``:
    view ``j`` is ``x[:, j * dilation + i * stride, :]`` for the windows
    ``i = 0 .. n - 1``, ``n = (steps - span) // stride + 1`` (full windows
    only), each (batch, n, features)."""
    span = dilation * (size - 1) + 1
    count = (x.shape[1] - span) // stride + 1
    return [x[:, j * dilation:j * dilation + (count - 1) * stride + 1:stride]
            for j in range(size)]


def pad_steps(x, left, right, value=0):
    """``x`` (batch, steps, features) with ``left`` and ``right`` steps of
    ``value`` (zeros by default) on either side."""
    if (isinstance(left, int) and left == 0 and isinstance(right, int) and
            right == 0):
        return x
    padded = T.alloc(T.constant(value, dtype=x.dtype), x.shape[0],
                     x.shape[1] + left + right, x.shape[2])
    return T.set_subtensor(padded[:, left:left + x.shape[1]], x)


class Conv1D(KernelLayer):
    """Temporal convolution (see the module docstring for the equation).

    Parameters
    ----------
    filters : int
    kernel_size : int (or a 1-tuple)
    strides : int (or a 1-tuple)
    padding : {'valid', 'same', 'causal'}
    dilation_rate : int (or a 1-tuple); with strides 1 only, as in Keras.
    activation, use_bias, kernel_initializer, bias_initializer : as Dense
        (:class:`.core.KernelLayer`).
    data_format : only ``'channels_last'`` (the default).

    Weights: ``kernel`` (kernel_size, input_dim, filters), ``bias``
    (filters,).  No mask.
    """

    compute_mask = no_mask
    input_spec = InputSpec(ndim=3)

    @legacy.conv1d_support
    def __init__(self, filters, kernel_size, strides=1, padding="valid",
                 data_format="channels_last", dilation_rate=1, **kwargs):
        super(Conv1D, self).__init__(**kwargs)
        self.filters = check_positive_int(filters, "filters")
        self.kernel_size = check_positive_int(_single(kernel_size),
                                              "kernel_size")
        self.strides = check_positive_int(_single(strides), "strides")
        self.dilation_rate = check_positive_int(_single(dilation_rate),
                                                "dilation_rate")
        if padding not in PADDINGS:
            raise ValueError("padding must be one of %s, got %r"
                             % (", ".join(map(repr, PADDINGS)), padding))
        if self.strides != 1 and self.dilation_rate != 1:
            raise ValueError("strides > 1 and dilation_rate > 1 together are "
                             "not supported (as in Keras), got strides=%d, "
                             "dilation_rate=%d"
                             % (self.strides, self.dilation_rate))
        self.padding = padding
        if check_data_format(data_format) != "channels_last":
            raise ValueError("Conv1D supports data_format='channels_last' "
                             "only, got %r" % (data_format,))
        self.data_format = "channels_last"

    @property
    def span(self):
        """Steps one output sees: ``dilation * (kernel_size - 1) + 1``."""
        return self.dilation_rate * (self.kernel_size - 1) + 1

    def build(self, input_shape):
        input_shape = check_rank(self, input_shape, 3, what=
                                 "inputs (batch, steps, features)")
        input_dim = input_shape[-1]
        if input_dim is None:
            raise ValueError("layer %r needs a known feature size, got input "
                             "shape %s" % (self.name, shape_str(input_shape)))
        if conv_output_length(input_shape[1], self.span, self.strides,
                              self.padding) == 0:
            raise ValueError("layer %r: inputs of %s steps are shorter than "
                             "its kernel (span %d)" % (self.name,
                                                       input_shape[1],
                                                       self.span))
        self.build_kernel((self.kernel_size, input_dim, self.filters),
                          input_shape)

    def call(self, inputs, mask=None, training=False):
        if self.padding == "causal":
            inputs = pad_steps(inputs, self.span - 1, 0)
        elif self.padding == "same":
            inputs = pad_steps(inputs, *same_padding(inputs.shape[1],
                                                     self.span, self.strides))
        # (batch, steps', kernel_size * in): the windows, one step each.
        columns = T.concatenate(window_slices(inputs, self.kernel_size,
                                              self.strides,
                                              self.dilation_rate), axis=2)
        kernel = self.kernel.reshape((-1, self.filters))  # (k * in, filters)
        return self.activate(T.dot(columns, kernel), training)

    def compute_output_shape(self, input_shape):
        return (input_shape[0],
                conv_output_length(input_shape[1], self.span, self.strides,
                                   self.padding),
                self.filters)

    def get_config(self):
        config = super(Conv1D, self).get_config()
        config.update(filters=self.filters, kernel_size=(self.kernel_size,),
                      strides=(self.strides,), padding=self.padding,
                      data_format=self.data_format,
                      dilation_rate=(self.dilation_rate,))
        return config


class Convolution1D(Conv1D):
    """Keras 1's name of :class:`Conv1D`; both take Keras 1's arguments
    (``nb_filter``, ``filter_length``, ``init``, ``border_mode``,
    ``subsample_length``, ``bias``, ``W_regularizer``..., ``input_dim``,
    ``input_length``; :data:`theano_rnn.legacy.CONV1D`) as well as Keras
    2's."""


def _single(value):
    """Keras accepts ``3`` or ``(3,)`` for a 1-D size."""
    if isinstance(value, (list, tuple)) and len(value) == 1:
        return value[0]
    return value
