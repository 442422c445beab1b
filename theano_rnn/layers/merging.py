"""Merge layers: several inputs, one output.

Keras 2's ``Add``, ``Subtract``, ``Multiply``, ``Average``, ``Maximum``,
``Minimum`` (element-wise, with NumPy broadcasting; a lower-rank input is
expanded at axis 1 as in Keras), ``Concatenate(axis)`` and
``Dot(axes, normalize)``; their functions (``add([a, b])`` is
``Add()([a, b])``); and Keras 1's ``Merge(mode=...)`` / ``merge(...)``.

(The module is ``merging``, not ``merge``, so that the Keras 1 function
``theano_rnn.layers.merge`` does not hide it.)

Inputs, shapes and masks arrive as lists (see :mod:`.base`).  Shapes are
checked in :meth:`build`: a ``ValueError`` names the layer and the shapes.
"""
import numpy as np
from ..runtime import T, addbroadcast

from .. import backend
from .base import Layer
from .core import function_name, named_function
from .shapes import as_list, shape_str

#: Keras's ``K.epsilon()``, the floor of the norms in ``Dot(normalize=True)``.
EPSILON = 1e-7


def _shapes_str(shapes):
    return ", ".join(shape_str(s) for s in shapes)


class _Merge(Layer):
    """Element-wise merge of two or more inputs (``_merge_function``)."""

    supports_masking = True
    #: Exact number of inputs, or ``None`` for two or more.
    n_inputs = None

    def _check_inputs(self, input_shape):
        shapes = as_list(input_shape)
        if shapes is None or len(shapes) < 2 or (
                self.n_inputs is not None and len(shapes) != self.n_inputs):
            raise ValueError(
                "layer %r (%s) must be called on a list of %s inputs, got %s"
                % (self.name, type(self).__name__,
                   self.n_inputs or "2 or more",
                   "a list of %d" % len(shapes) if shapes is not None
                   else "shape %s" % shape_str(input_shape)))
        shapes = [tuple(s) for s in shapes]
        batches = set(s[0] for s in shapes) - {None}
        if len(batches) > 1:
            raise ValueError("layer %r cannot merge inputs of different batch "
                             "sizes: %s" % (self.name, _shapes_str(shapes)))
        return shapes

    def build(self, input_shape):
        shapes = self._check_inputs(input_shape)
        self.compute_output_shape(shapes)              # checks the shapes
        self._input_shapes = shapes
        super(_Merge, self).build(shapes[0])
        self.input_shape = shapes

    def _broadcast(self, shape1, shape2, shapes):
        """Keras's element-wise output shape of two per-sample shapes."""
        if len(shape1) < len(shape2):
            shape1, shape2 = shape2, shape1
        if not shape2:
            return shape1
        out = list(shape1[:len(shape1) - len(shape2)])
        for i, j in zip(shape1[len(shape1) - len(shape2):], shape2):
            if i is None or j is None:
                out.append(None)
            elif i == 1 or j == 1:
                out.append(j if i == 1 else i)
            elif i != j:
                raise ValueError(
                    "layer %r (%s) cannot merge inputs of shapes %s: they do "
                    "not broadcast together" % (self.name, type(self).__name__,
                                                _shapes_str(shapes)))
            else:
                out.append(i)
        return tuple(out)

    def compute_output_shape(self, input_shape):
        shapes = self._check_inputs(input_shape)
        out = shapes[0][1:]
        for shape in shapes[1:]:
            out = self._broadcast(out, shape[1:], shapes)
        batches = set(s[0] for s in shapes) - {None}
        return (batches.pop() if batches else None,) + out

    def _aligned(self, inputs):
        """The inputs at one rank (lower ones expanded at axis 1), with
        axes of static size 1 broadcastable."""
        ndim = max(x.ndim for x in inputs)
        shapes = getattr(self, "_input_shapes", None)
        out = []
        for i, x in enumerate(inputs):
            static = shapes[i] if shapes else (None,) * x.ndim
            while x.ndim < ndim:
                x = T.shape_padaxis(x, 1)
                static = static[:1] + (1,) + tuple(static[1:])
            ones = [a for a, d in enumerate(static) if d == 1 and a]
            out.append(addbroadcast(x, *ones) if ones else x)
        return out

    def call(self, inputs, mask=None, training=False):
        inputs = as_list(inputs)
        if inputs is None:
            raise ValueError("layer %r (%s) must be called on a list of "
                             "inputs" % (self.name, type(self).__name__))
        if self.built:      # a built layer called on other inputs
            self._check_inputs([getattr(x, "_keras_shape", None) or
                                (None,) * x.ndim for x in inputs])
        return self._merge_function(self._aligned(inputs))

    def compute_mask(self, inputs, mask=None):
        """All given masks must be on: the element-wise ``and``."""
        if mask is None:
            return None
        check_mask_list(self, inputs, mask)
        masks = [m for m in mask if m is not None]
        if not masks:
            return None
        out = masks[0]
        for m in masks[1:]:
            out = T.and_(T.neq(out, 0), T.neq(m, 0))
        return out


def check_mask_list(layer, inputs, mask):
    """Keras's checks of a merge layer's ``compute_mask`` arguments: one
    mask (or ``None``) per input, both lists of the same length."""
    if not isinstance(mask, list):
        raise ValueError("layer %r: compute_mask's mask should be a list "
                         "(one mask or None per input), got %r"
                         % (layer.name, mask))
    if not isinstance(inputs, list):
        raise ValueError("layer %r: compute_mask's inputs should be a list, "
                         "got %r" % (layer.name, inputs))
    if len(mask) != len(inputs):
        raise ValueError("layer %r: compute_mask got %d inputs but %d masks "
                         "(the lists must have the same length)"
                         % (layer.name, len(inputs), len(mask)))


class Add(_Merge):
    """``x1 + x2 + ...``"""

    def _merge_function(self, inputs):
        return sum(inputs[1:], inputs[0])


class Subtract(_Merge):
    """``x1 - x2`` (exactly two inputs)."""

    n_inputs = 2

    def _merge_function(self, inputs):
        return inputs[0] - inputs[1]


class Multiply(_Merge):
    """``x1 * x2 * ...`` element-wise."""

    def _merge_function(self, inputs):
        out = inputs[0]
        for x in inputs[1:]:
            out = out * x
        return out


class Average(_Merge):
    """``(x1 + x2 + ...) / n``"""

    def _merge_function(self, inputs):
        return sum(inputs[1:], inputs[0]) / len(inputs)


class Maximum(_Merge):
    """Element-wise maximum."""

    def _merge_function(self, inputs):
        out = inputs[0]
        for x in inputs[1:]:
            out = T.maximum(out, x)
        return out


class Minimum(_Merge):
    """Element-wise minimum."""

    def _merge_function(self, inputs):
        out = inputs[0]
        for x in inputs[1:]:
            out = T.minimum(out, x)
        return out


class Concatenate(_Merge):
    """Concatenation along ``axis`` (default the last); every other axis must
    agree.  The output mask (for 3-D inputs with (batch, steps) masks) is on
    where every input's mask is on, inputs without a mask counting as on."""

    def __init__(self, axis=-1, **kwargs):
        super(Concatenate, self).__init__(**kwargs)
        if isinstance(axis, bool) or not isinstance(axis, (int, np.integer)):
            raise ValueError("axis must be an integer, got %r" % (axis,))
        self.axis = int(axis)

    def compute_output_shape(self, input_shape):
        shapes = self._check_inputs(input_shape)
        ranks = set(len(s) for s in shapes)
        axis = self.axis % len(shapes[0]) if len(ranks) == 1 else None
        if axis is None or axis == 0:
            raise ValueError(
                "layer %r (Concatenate, axis=%d) needs inputs of one rank "
                "and a non-batch axis, got shapes %s"
                % (self.name, self.axis, _shapes_str(shapes)))
        rest = set(tuple(d for a, d in enumerate(s[1:], 1) if a != axis)
                   for s in shapes)
        if len(rest) > 1:
            raise ValueError(
                "layer %r (Concatenate, axis=%d) needs inputs whose shapes "
                "agree except along the axis, got %s"
                % (self.name, self.axis, _shapes_str(shapes)))
        out = list(shapes[0])
        sizes = [s[axis] for s in shapes]
        out[axis] = None if None in sizes else sum(sizes)
        return tuple(out)

    def _merge_function(self, inputs):
        return T.concatenate(inputs, axis=self.axis)

    def compute_mask(self, inputs, mask=None):
        if mask is None:
            return None
        check_mask_list(self, inputs, mask)
        masks = list(mask)
        if all(m is None for m in masks):
            return None
        inputs = as_list(inputs)
        expanded = []
        for x, m in zip(inputs, masks):
            if m is None:
                m = T.ones_like(x, dtype="int8")
            elif m.ndim < x.ndim:
                m = T.shape_padright(m) * T.ones_like(x, dtype="int8")
            expanded.append(T.neq(m, 0))
        return T.all(T.concatenate(expanded, axis=self.axis), axis=-1)

    def get_config(self):
        config = super(Concatenate, self).get_config()
        config.update(axis=self.axis)
        return config


def batch_dot(x, y, axes, normalize=False):
    """Per-sample dot product of ``x`` and ``y`` over ``axes`` (one axis of
    each, batch axis excluded); a per-sample scalar comes out as (batch, 1).
    With ``normalize`` both are first divided by their L2 norm along those
    axes (the cosine similarity)."""
    if normalize:
        x = x / T.sqrt(T.maximum(T.sqr(x).sum(axis=axes[0], keepdims=True),
                                 EPSILON))
        y = y / T.sqrt(T.maximum(T.sqr(y).sum(axis=axes[1], keepdims=True),
                                 EPSILON))
    return backend.batch_dot(x, y, axes)


class Dot(_Merge):
    """Per-sample dot product of two inputs along ``axes`` (an int for both,
    or one axis each); ``normalize=True`` gives the cosine similarity.  Two
    (batch, n) inputs give (batch, 1); (batch, n, d) and (batch, m, d) with
    ``axes=2`` give (batch, n, m).  No output mask."""

    n_inputs = 2

    def __init__(self, axes, normalize=False, **kwargs):
        super(Dot, self).__init__(**kwargs)
        if isinstance(axes, (list, tuple)):
            axes = list(axes)
            if len(axes) != 2 or not all(isinstance(a, int) for a in axes):
                raise ValueError("axes must be an int or two ints, got %r"
                                 % (axes,))
        elif isinstance(axes, bool) or not isinstance(axes, int):
            raise TypeError("axes must be an int or two ints, got %r"
                            % (axes,))
        self.axes = axes
        self.normalize = bool(normalize)

    def _axes(self, ndims):
        axes = self.axes if isinstance(self.axes, list) else [self.axes] * 2
        return [a % n for a, n in zip(axes, ndims)]

    def compute_output_shape(self, input_shape):
        shape1, shape2 = self._check_inputs(input_shape)
        axes = self._axes([len(shape1), len(shape2)])
        if 0 in axes or None not in (shape1[axes[0]], shape2[axes[1]]) and \
                shape1[axes[0]] != shape2[axes[1]]:
            raise ValueError(
                "layer %r (Dot, axes=%r) cannot take the dot product of "
                "shapes %s and %s: axis %d of the first (%s) and axis %d of "
                "the second (%s) must be equal non-batch axes"
                % (self.name, self.axes, shape_str(shape1), shape_str(shape2),
                   axes[0], shape1[axes[0]], axes[1], shape2[axes[1]]))
        out = [d for a, d in enumerate(shape1) if a != axes[0]] + \
              [d for a, d in enumerate(shape2) if a not in (0, axes[1])]
        return tuple(out) if len(out) > 1 else tuple(out) + (1,)

    def call(self, inputs, mask=None, training=False):
        x, y = self._pair(inputs)
        return batch_dot(x, y, self._axes([x.ndim, y.ndim]), self.normalize)

    def _pair(self, inputs):
        inputs = as_list(inputs)
        if inputs is None or len(inputs) != 2:
            raise ValueError("layer %r (Dot) must be called on a list of 2 "
                             "inputs" % self.name)
        return inputs

    def compute_mask(self, inputs, mask=None):
        return None

    def get_config(self):
        config = super(Dot, self).get_config()
        config.update(axes=self.axes, normalize=self.normalize)
        return config


def add(inputs, **kwargs):
    """``Add(**kwargs)(inputs)``"""
    return Add(**kwargs)(inputs)


def subtract(inputs, **kwargs):
    """``Subtract(**kwargs)(inputs)``"""
    return Subtract(**kwargs)(inputs)


def multiply(inputs, **kwargs):
    """``Multiply(**kwargs)(inputs)``"""
    return Multiply(**kwargs)(inputs)


def average(inputs, **kwargs):
    """``Average(**kwargs)(inputs)``"""
    return Average(**kwargs)(inputs)


def maximum(inputs, **kwargs):
    """``Maximum(**kwargs)(inputs)``"""
    return Maximum(**kwargs)(inputs)


def minimum(inputs, **kwargs):
    """``Minimum(**kwargs)(inputs)``"""
    return Minimum(**kwargs)(inputs)


def concatenate(inputs, axis=-1, **kwargs):
    """``Concatenate(axis=axis, **kwargs)(inputs)``"""
    return Concatenate(axis=axis, **kwargs)(inputs)


def dot(inputs, axes, normalize=False, **kwargs):
    """``Dot(axes=axes, normalize=normalize, **kwargs)(inputs)``"""
    return Dot(axes=axes, normalize=normalize, **kwargs)(inputs)


# -- Keras 1 ------------------------------------------------------------------

#: Keras 1's merge modes and the Keras 2 layer computing each.
_MODES = {"sum": Add, "mul": Multiply, "ave": Average, "max": Maximum,
          "concat": Concatenate, "dot": Dot, "cos": Dot}


class Merge(Layer):
    """Keras 1's merge layer: ``mode`` one of 'sum', 'mul', 'concat', 'ave',
    'max', 'dot', 'cos' or a callable ``mode(inputs, **arguments)``.

    The string modes compute what the Keras 2 layers do (``concat`` along
    ``concat_axis``; ``dot`` / ``cos`` over ``dot_axes``, ``cos`` being the
    normalised dot product, of shape (batch, 1) for two (batch, n) inputs,
    the shape Keras 1 declares).  As in Keras 1, 'sum', 'mul', 'ave', 'max'
    and 'cos' need inputs of identical shapes.  A callable mode needs
    ``output_shape`` (a shape without the batch axis, or a function of the
    input shapes) and may give ``output_mask`` (a mask or a function of the
    input masks).

    ``Merge(layers=[branch, ...])`` (layers or models that already have an
    output, e.g. ``Sequential`` branches with an input shape) calls the
    merge on their outputs at once, as Keras 1 does: ``merge_layer.output``
    is then the merged tensor, and ``Model(inputs=[branch inputs...],
    outputs=merge_layer.output)`` trains it.  (A ``Sequential`` whose first
    layer is such a ``Merge`` needs the engine's ``Sequential`` to start
    from that layer's output; see the branch report.)
    """

    supports_masking = True

    def __init__(self, layers=None, mode="sum", concat_axis=-1, dot_axes=-1,
                 output_shape=None, output_mask=None, arguments=None,
                 node_indices=None, tensor_indices=None, **kwargs):
        super(Merge, self).__init__(**kwargs)
        if not callable(mode) and mode not in _MODES:
            raise ValueError("layer %r: unknown merge mode %r; expected one "
                             "of %s or a callable" % (
                                 self.name, mode, ", ".join(sorted(_MODES))))
        self.mode = mode
        self.concat_axis = concat_axis
        self.dot_axes = dot_axes
        self._output_shape = (tuple(output_shape) if output_shape is not None
                              and not callable(output_shape) else output_shape)
        self._output_mask = output_mask
        self.arguments = dict(arguments or {})
        self._merge = None
        if not callable(mode):
            options = {"concat": {"axis": concat_axis},
                       "dot": {"axes": dot_axes},
                       "cos": {"axes": dot_axes, "normalize": True}}
            self._merge = _MODES[mode](name=self.name,
                                       **options.get(mode, {}))
        if layers is not None:
            self(self._branch_outputs(layers))

    def _branch_outputs(self, layers):
        """The output tensors of Keras 1's ``layers=`` branches."""
        if not isinstance(layers, (list, tuple)) or len(layers) < 2:
            raise ValueError("layer %r: Merge(layers=...) needs a list of at "
                             "least 2 layers or models, got %r"
                             % (self.name, layers))
        outputs = []
        for branch in layers:
            try:
                output = branch.output
            except (AttributeError, ValueError) as error:
                raise ValueError(
                    "layer %r: the branch %r has no output to merge (%s); "
                    "give its first layer an input shape or call it on a "
                    "tensor first" % (self.name, getattr(branch, "name",
                                                         branch), error))
            if isinstance(output, list):
                raise ValueError("layer %r: the branch %r has several outputs"
                                 % (self.name, branch.name))
            outputs.append(output)
        return outputs

    def build(self, input_shape):
        if self._merge is not None:
            shapes = self._merge._check_inputs(input_shape)
            if self.mode in ("sum", "mul", "ave", "max", "cos") and \
                    len(set(shapes)) > 1:
                raise ValueError(
                    "layer %r: merge mode %r needs inputs of one shape, got "
                    "%s" % (self.name, self.mode, _shapes_str(shapes)))
            self._merge.build(shapes)
        super(Merge, self).build(as_list(input_shape)[0])
        self.input_shape = [tuple(s) for s in as_list(input_shape)]

    def call(self, inputs, mask=None, training=False):
        if self._merge is not None:
            return self._merge.call(inputs, mask, training)
        return self.mode(as_list(inputs), **self.arguments)

    def compute_output_shape(self, input_shape):
        if self._merge is not None:
            return self._merge.compute_output_shape(input_shape)
        if callable(self._output_shape):
            return tuple(self._output_shape(as_list(input_shape)))
        if self._output_shape is None:
            raise ValueError(
                "layer %r: a Merge with a callable mode needs output_shape= "
                "(a shape without the batch axis, or a function of the input "
                "shapes)" % self.name)
        return (as_list(input_shape)[0][0],) + self._output_shape

    def compute_mask(self, inputs, mask=None):
        if self._merge is not None:
            return self._merge.compute_mask(inputs, mask)
        if callable(self._output_mask):
            return self._output_mask(mask)
        return self._output_mask

    def get_config(self):
        """Keras 1's format; a callable mode or output shape is saved by
        name (see :class:`.core.Lambda`), an output mask not at all."""
        config = super(Merge, self).get_config()
        if self._output_mask is not None:
            raise ValueError("layer %r: a Merge with output_mask cannot be "
                             "saved; rebuild it in code" % self.name)
        shape = self._output_shape
        config.update(
            mode=(function_name(self, self.mode, "mode")
                  if callable(self.mode) else self.mode),
            mode_type="function" if callable(self.mode) else "raw",
            concat_axis=self.concat_axis, dot_axes=self.dot_axes,
            output_shape=(function_name(self, shape, "output_shape")
                          if callable(shape) else
                          (list(shape) if shape is not None else None)),
            output_shape_type="function" if callable(shape) else "raw",
            output_mask=None, output_mask_type="raw",
            arguments=self.arguments)
        return config

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        for key in ("mode", "output_shape", "output_mask"):
            kind = config.pop(key + "_type", "raw")
            if kind == "function":
                config[key] = named_function(config[key])
            elif kind != "raw":
                raise ValueError("Merge: the %s was saved as Python bytecode "
                                 "(Keras's %r type), which cannot be loaded; "
                                 "rebuild the layer in code" % (key, kind))
        return cls(**config)


def merge(inputs, mode="sum", concat_axis=-1, dot_axes=-1, output_shape=None,
          output_mask=None, arguments=None, name=None):
    """Keras 1's functional merge: ``Merge(mode=..., ...)(inputs)``."""
    return Merge(mode=mode, concat_axis=concat_axis, dot_axes=dot_axes,
                 output_shape=output_shape, output_mask=output_mask,
                 arguments=arguments, name=name)(inputs)
