"""The simple layers: ``Dense``, ``Dropout``, ``SpatialDropout1D``,
``Activation``, ``RepeatVector``, ``Masking``, ``Permute``, ``Reshape``,
``Flatten`` and ``Lambda``."""
import importlib

import numpy as np
from ..runtime import theano, T, addbroadcast

from .. import activations, initializers, legacy, random
from ..cells import check_positive_int
from .base import InputSpec, Layer, check_rate
from .regularization import Regularized
from .shapes import as_list, check_rank, first, no_mask, shape_str


class KernelLayer(Regularized, Layer):
    """A layer ``y = act(f(x, kernel) + bias)``: the arguments, weights and
    config shared by ``Dense`` and ``Conv1D``.

    Also takes ``kernel_regularizer``, ``bias_regularizer``,
    ``activity_regularizer``, ``kernel_constraint``, ``bias_constraint``
    (see :mod:`theano_rnn.layers.regularization`).
    """

    regularized_weights = ("kernel", "bias")

    def __init__(self, activation=None, use_bias=True,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 **kwargs):
        kwargs = self._init_regularization(kwargs)
        super(KernelLayer, self).__init__(**kwargs)
        self.activation = activations.get(activation, "activation")
        self.use_bias = bool(use_bias)
        self.kernel_initializer = initializers.get(kernel_initializer,
                                                   "kernel_initializer")
        self.bias_initializer = initializers.get(bias_initializer,
                                                 "bias_initializer")
        self.kernel = self.bias = None

    def build_kernel(self, kernel_shape, input_shape):
        """Create ``kernel`` of ``kernel_shape`` and ``bias`` of its last
        size, then mark the layer built."""
        self.kernel = self.add_weight(self.kernel_initializer(kernel_shape),
                                      "kernel")
        if self.use_bias:
            self.bias = self.add_weight(
                self.bias_initializer((kernel_shape[-1],)), "bias")
        self._attach_constraints()
        Layer.build(self, input_shape)

    @property
    def weights(self):
        if not self.built:
            return []
        return [self.kernel, self.bias] if self.use_bias else [self.kernel]

    def activate(self, output, training=False):
        """``act(output + bias)`` (its activity penalty remembered when
        ``training``)."""
        if self.use_bias:
            output = output + self.bias
        return self._record_activity(self.activation(output), training)

    def get_config(self):
        config = super(KernelLayer, self).get_config()
        config.update(activation=activations.serialize(self.activation),
                      use_bias=self.use_bias,
                      kernel_initializer=initializers.serialize(
                          self.kernel_initializer),
                      bias_initializer=initializers.serialize(
                          self.bias_initializer),
                      **self.regularization_config())
        return config


class Dense(KernelLayer):
    """Fully connected layer ``y = act(x W + b)`` on the last axis.

    Weights: ``kernel`` (input_dim, units), ``bias`` (units,).  A 3-D input
    (the output of a recurrent layer with ``return_sequences=True``) is
    transformed at every time step, as in Keras 2; its mask passes through.
    Also takes ``input_dim`` (for ``input_shape=(input_dim,)``) and Keras
    1's names (``output_dim``, ``init``, ``W_regularizer``...;
    :data:`theano_rnn.legacy.DENSE`).
    """

    supports_masking = True
    input_spec = InputSpec(min_ndim=2)

    @legacy.dense_support
    def __init__(self, units, **kwargs):
        super(Dense, self).__init__(**kwargs)
        self.units = check_positive_int(units, "units")

    def build(self, input_shape):
        input_dim = check_positive_int(input_shape[-1], "input feature size")
        self.build_kernel((input_dim, self.units), input_shape)
        self.input_spec = InputSpec(min_ndim=2, axes={-1: input_dim})

    def call(self, inputs, mask=None, training=False):
        return self.activate(T.dot(inputs, self.kernel), training)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:-1]) + (self.units,)

    def get_config(self):
        config = super(Dense, self).get_config()
        config.update(units=self.units)
        return config


class Dropout(Layer):
    """Inverted dropout (Srivastava et al., 2014): in the training graph each
    unit is zeroed with probability ``rate`` and the rest scaled by
    ``1 / (1 - rate)``; the inference graph is the identity.

    ``noise_shape`` (e.g. ``(None, 1, features)``) shares one mask along the
    axes given as 1, Keras-style; ``None`` entries follow the input.  The
    mask passes through.  Keras 1's ``p`` is ``rate``.
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
            shape = tuple(inputs.shape[i] if d is None else d
                          for i, d in enumerate(self.noise_shape))
            pattern = [d == 1 for d in self.noise_shape]
        drop = random.dropout_mask(self.stream, shape, self.rate,
                                   theano.config.floatX)
        if pattern is not None:
            drop = addbroadcast(drop, *[i for i, b in enumerate(pattern)
                                        if b])
        return inputs * drop

    def get_config(self):
        config = super(Dropout, self).get_config()
        config.update(rate=self.rate, seed=self.seed,
                      noise_shape=(list(self.noise_shape)
                                   if self.noise_shape else None))
        return config


class Activation(Layer):
    """``y = activation(x)`` element-wise; the mask passes through.

    ``activation`` is a name of :mod:`theano_rnn.activations` or a callable.
    """

    supports_masking = True

    def __init__(self, activation, **kwargs):
        super(Activation, self).__init__(**kwargs)
        self.activation = activations.get(activation, "activation")

    def call(self, inputs, mask=None, training=False):
        return self.activation(inputs)

    def get_config(self):
        config = super(Activation, self).get_config()
        config.update(activation=activations.serialize(self.activation))
        return config


class SpatialDropout1D(Dropout):
    """Dropout of whole feature channels: one mask per sample and feature,
    the same at every step (input (batch, steps, features), Tompson et al.,
    2015); the inference graph is the identity."""

    input_spec = InputSpec(ndim=3)

    def __init__(self, rate, seed=None, **kwargs):
        kwargs.pop("noise_shape", None)
        super(SpatialDropout1D, self).__init__(rate, noise_shape=(None, 1, None),
                                               seed=seed, **kwargs)

    def build(self, input_shape):
        super(SpatialDropout1D, self).build(check_rank(self, input_shape, 3))

    def get_config(self):
        config = super(SpatialDropout1D, self).get_config()
        del config["noise_shape"]
        return config


class RepeatVector(Layer):
    """(batch, features) -> (batch, n, features): the input repeated ``n``
    times along a new time axis.  No mask."""

    compute_mask = no_mask
    input_spec = InputSpec(ndim=2)

    def __init__(self, n, **kwargs):
        super(RepeatVector, self).__init__(**kwargs)
        self.n = check_positive_int(n, "n")

    def build(self, input_shape):
        super(RepeatVector, self).build(check_rank(self, input_shape, 2))

    def call(self, inputs, mask=None, training=False):
        return T.repeat(inputs.dimshuffle(0, "x", 1), self.n, axis=1)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.n, input_shape[1])

    def get_config(self):
        config = super(RepeatVector, self).get_config()
        config.update(n=self.n)
        return config


class Masking(Layer):
    """Marks the steps whose features all equal ``mask_value`` as padding:
    output mask ``any(x != mask_value, axis=-1)`` (batch, steps), and those
    steps' outputs set to zero."""

    supports_masking = True

    def __init__(self, mask_value=0.0, **kwargs):
        super(Masking, self).__init__(**kwargs)
        self.mask_value = float(mask_value)

    def build(self, input_shape):
        super(Masking, self).build(check_rank(self, input_shape, min_ndim=2))

    def compute_mask(self, inputs, mask=None):
        return T.any(T.neq(inputs, self.mask_value), axis=-1)

    def call(self, inputs, mask=None, training=False):
        keep = T.any(T.neq(inputs, self.mask_value), axis=-1, keepdims=True)
        return inputs * T.cast(keep, inputs.dtype)

    def get_config(self):
        config = super(Masking, self).get_config()
        config.update(mask_value=self.mask_value)
        return config


class Permute(Layer):
    """Permute the non-batch axes: ``dims`` is a permutation of
    ``1..ndim-1`` (1-based, as in Keras), e.g. ``(2, 1)`` swaps steps and
    features.  No mask."""

    compute_mask = no_mask

    def __init__(self, dims, **kwargs):
        super(Permute, self).__init__(**kwargs)
        self.dims = tuple(dims)
        if sorted(self.dims) != list(range(1, len(self.dims) + 1)):
            raise ValueError("dims must be a permutation of 1..%d (the axes "
                             "after the batch axis), got %r"
                             % (len(self.dims), dims))

    def build(self, input_shape):
        super(Permute, self).build(
            check_rank(self, input_shape, len(self.dims) + 1))

    def call(self, inputs, mask=None, training=False):
        return inputs.dimshuffle((0,) + self.dims)

    def compute_output_shape(self, input_shape):
        return (input_shape[0],) + tuple(input_shape[d] for d in self.dims)

    def get_config(self):
        config = super(Permute, self).get_config()
        config.update(dims=list(self.dims))
        return config


class Reshape(Layer):
    """Reshape each sample to ``target_shape`` (without the batch axis); one
    entry may be -1, inferred from the others.  No mask."""

    compute_mask = no_mask

    def __init__(self, target_shape, **kwargs):
        super(Reshape, self).__init__(**kwargs)
        self.target_shape = tuple(target_shape)
        if (self.target_shape.count(-1) > 1 or
                any(d != -1 and (isinstance(d, bool) or not isinstance(
                    d, (int, np.integer)) or d < 1)
                    for d in self.target_shape)):
            raise ValueError("target_shape must hold positive integers and "
                             "at most one -1, got %r" % (target_shape,))

    def build(self, input_shape):
        input_shape = check_rank(self, input_shape, min_ndim=2)
        self.compute_output_shape(input_shape)          # checks the sizes
        super(Reshape, self).build(input_shape)

    def compute_output_shape(self, input_shape):
        known = [d for d in self.target_shape if d != -1]
        if None in input_shape[1:]:
            size = None
        else:
            size = int(np.prod(input_shape[1:]))
        target = list(self.target_shape)
        if -1 in target:
            if size is not None:
                if size % int(np.prod(known)):
                    self._size_error(input_shape)
                target[target.index(-1)] = size // int(np.prod(known))
            else:
                target[target.index(-1)] = None
        elif size is not None and size != int(np.prod(known)):
            self._size_error(input_shape)
        return (input_shape[0],) + tuple(target)

    def _size_error(self, input_shape):
        raise ValueError("layer %r cannot reshape inputs of shape %s to "
                         "target_shape %s: the sizes differ" % (
                             self.name, shape_str(input_shape),
                             shape_str(self.target_shape)))

    def call(self, inputs, mask=None, training=False):
        return inputs.reshape((inputs.shape[0],) + self.target_shape,
                              ndim=len(self.target_shape) + 1)

    def get_config(self):
        config = super(Reshape, self).get_config()
        config.update(target_shape=list(self.target_shape))
        return config


class Flatten(Layer):
    """(batch, d1, d2, ...) -> (batch, d1 * d2 * ...).  ``data_format=
    'channels_first'`` moves axis 1 last first (Keras's weight-order
    convention).  No mask."""

    compute_mask = no_mask
    input_spec = InputSpec(min_ndim=3)

    def __init__(self, data_format=None, **kwargs):
        super(Flatten, self).__init__(**kwargs)
        self.data_format = check_data_format(data_format)

    def build(self, input_shape):
        super(Flatten, self).build(check_rank(self, input_shape, min_ndim=3))

    def compute_output_shape(self, input_shape):
        rest = input_shape[1:]
        if None in rest:
            raise ValueError(
                "layer %r: the shape of its input is not fully defined (got "
                "%s); give the model's first layer a complete input_shape"
                % (self.name, shape_str(input_shape)))
        return (input_shape[0], int(np.prod(rest)))

    def call(self, inputs, mask=None, training=False):
        if self.data_format == "channels_first":
            inputs = inputs.dimshuffle([0] + list(range(2, inputs.ndim)) + [1])
        return inputs.flatten(2)

    def get_config(self):
        config = super(Flatten, self).get_config()
        config.update(data_format=self.data_format)
        return config


def check_data_format(data_format):
    """``None`` -> ``'channels_last'``; the two Keras values pass."""
    if data_format is None:
        return "channels_last"
    if data_format not in ("channels_last", "channels_first"):
        raise ValueError("data_format must be 'channels_last' or "
                         "'channels_first', got %r" % (data_format,))
    return data_format


class Lambda(Layer):
    """Wraps ``function(inputs, **arguments)`` as a layer (no weights).

    Parameters
    ----------
    function : callable
        Of a tensor (or of the list of tensors, for several inputs).
    output_shape : tuple, callable or None
        The output shape without the batch axis, or a function of the input
        shape(s) returning the full shape; ``None``: the input's shape.
    mask : tensor, callable or None
        The output mask, or ``mask(inputs, input_mask)``; given, the layer
        supports masking (as in Keras); ``None``: no output mask.
    arguments : dict
        Extra keyword arguments of ``function``.
    """

    def __init__(self, function, output_shape=None, mask=None, arguments=None,
                 **kwargs):
        super(Lambda, self).__init__(**kwargs)
        if not callable(function):
            raise TypeError("function must be callable, got %r" % (function,))
        if output_shape is not None and not callable(output_shape):
            output_shape = tuple(output_shape)
        self.function = function
        self._output_shape = output_shape
        self.mask = mask
        self.supports_masking = mask is not None
        self.arguments = dict(arguments or {})

    def call(self, inputs, mask=None, training=False):
        return self.function(inputs, **self.arguments)

    def compute_output_shape(self, input_shape):
        if self._output_shape is None:
            return input_shape
        if callable(self._output_shape):
            shape = self._output_shape(input_shape)
            return shape if as_list(shape) is not None else tuple(shape)
        return (first(input_shape)[0],) + self._output_shape

    def compute_mask(self, inputs, mask=None):
        if callable(self.mask):
            return self.mask(inputs, mask)
        return self.mask

    def get_config(self):
        """The function (and a callable ``output_shape``) saved by name:
        an activation's name, or ``module:qualified.name`` of a function
        importable from its module.  Lambdas, closures, methods and a mask
        cannot be saved (Keras's marshalled bytecode is not portable): that
        raises ``ValueError`` saying what to do instead."""
        config = super(Lambda, self).get_config()
        if self.mask is not None:
            raise ValueError("layer %r: a Lambda with a mask cannot be "
                             "saved; rebuild it in code" % self.name)
        shape = self._output_shape
        config.update(function=function_name(self, self.function, "function"),
                      output_shape=(
                          function_name(self, shape, "output_shape")
                          if callable(shape) else
                          (list(shape) if shape is not None else None)),
                      output_shape_type=("function" if callable(shape)
                                         else "raw"),
                      arguments=self.arguments)
        return config

    @classmethod
    def from_config(cls, config):
        """Also reads Keras 2's Lambda configs whose function was saved by
        name (``function_type='function'`` with its ``module``); Keras's
        marshalled lambdas (``'lambda'``) cannot be loaded."""
        config = dict(config)
        for key in ("function", "output_shape"):
            kind = config.pop(key + "_type" if key == "output_shape"
                              else "function_type", None)
            module = config.pop("module" if key == "function"
                                else "output_shape_module", None)
            if kind == "lambda":
                raise ValueError(
                    "layer %r: this Lambda's %s was saved as Python bytecode "
                    "(Keras's 'lambda' type), which cannot be loaded; "
                    "rebuild the layer in code" % (config.get("name"), key))
            if kind == "function" or key == "function":
                name = config[key]
                if module and ":" not in name and \
                        name not in activations._ACTIVATIONS:
                    name = "%s:%s" % (module, name)
                config[key] = named_function(name)
        return cls(**config)


def function_name(layer, function, argument):
    """The name that :func:`named_function` turns back into ``function``."""
    if activations._ACTIVATIONS.get(getattr(function, "__name__", None)) \
            is function:
        return function.__name__
    module = getattr(function, "__module__", None)
    qualname = getattr(function, "__qualname__", "")
    if module and qualname and "<" not in qualname:
        try:
            if named_function("%s:%s" % (module, qualname)) is function:
                return "%s:%s" % (module, qualname)
        except ValueError:
            pass
    raise ValueError(
        "layer %r: cannot save %s %r: only activations and functions "
        "importable by name (module-level def) can be saved, not lambdas or "
        "nested functions" % (layer.name, argument, function))


def named_function(name):
    """The function saved as ``name`` by :func:`function_name`."""
    if name in activations._ACTIVATIONS:
        return activations._ACTIVATIONS[name]
    module_name, _, qualname = str(name).partition(":")
    try:
        value = importlib.import_module(module_name)
        for part in qualname.split("."):
            value = getattr(value, part)
    except (ImportError, AttributeError, ValueError):
        value = None
    if not qualname or not callable(value):
        raise ValueError("cannot find the function %r saved with a Lambda "
                         "layer; expected an activation name or "
                         "'module:function'" % (name,))
    return value
