"""Keras 2's RNN cell API: cells that :class:`~theano_rnn.layers.RNN`
unrolls over time, one ``call`` per step.

A *Keras cell* is any object with

* ``call(inputs, states[, constants=...][, training=...])`` returning
  ``(output, new_states)`` for one time step: ``inputs`` (batch, features),
  ``states`` a list of (batch, size) tensors;
* ``state_size``: an int (one state) or a sequence of ints (one per state);
* optionally ``output_size`` (default: the first state's size) and, if it is
  a :class:`~theano_rnn.layers.Layer`, ``build(step_input_shape)`` -- the
  input shape *without* the time axis, ``[shape] + constant shapes`` when
  the layer is called with ``constants=``.

``RNN(cell)`` (or ``RNN([cell, cell, ...])``, a :class:`StackedRNNCells`)
runs such a cell with the project's one scan driver
(:func:`theano_rnn.recurrence.rnn`): :func:`step_function` turns the cell's
``call`` into the driver's step function.

The three built-in cells here (:class:`SimpleRNNCell`, :class:`LSTMCell`,
:class:`GRUCell`) are Keras cells *and* the cells of
:mod:`theano_rnn.cells` (same equations, weights and gate order): their
``call`` is one step of the cell's step function on ``x_t W + b``.  The
layers ``SimpleRNN``, ``LSTM`` and ``GRU`` use them on their own faster
path (the input projection of all steps at once, the fused C loop).
"""
import inspect

import numpy as np
from ..runtime import theano, T, clone_replace, graph_inputs

from .. import cells
from .base import Layer
from .regularization import Regularized


# --- what RNN needs to know about any Keras cell -------------------------------
def _size(size):
    return None if size is None else int(size)


def state_sizes(cell):
    """``cell.state_size`` as a list of ints (one per state; ``None`` where
    a cell sets its sizes only when it is built)."""
    size = cell.state_size
    return ([_size(s) for s in size] if hasattr(size, "__len__")
            else [_size(size)])


def output_size(cell):
    """The size of the cell's output: ``output_size``, else the first
    state's size (Keras's rule)."""
    size = getattr(cell, "output_size", None)
    return _size(size) if size is not None else state_sizes(cell)[0]


def takes_argument(function, name):
    """Whether ``function`` accepts the keyword argument ``name``."""
    try:
        parameters = inspect.signature(function).parameters
    except (TypeError, ValueError):
        return False
    return name in parameters or any(
        p.kind == p.VAR_KEYWORD for p in parameters.values())


def check_cell(cell, what="cell"):
    """Raise Keras's ``ValueError`` unless ``cell`` has ``call`` and
    ``state_size``."""
    if not hasattr(cell, "call"):
        raise ValueError("%s should have a `call` method (one time step: "
                         "call(inputs, states) -> (output, new_states)); "
                         "got %r" % (what, cell))
    if not hasattr(cell, "state_size"):
        raise ValueError("%s should have an attribute `state_size` (an int, "
                         "or a tuple of ints, one per state); got %r"
                         % (what, cell))


def call_cell(cell, inputs, states, constants=None, training=False):
    """``cell.call`` for one step, with ``constants=`` and ``training=``
    only where the cell takes them; returns ``(output, [new states])``."""
    kwargs = {}
    if takes_argument(cell.call, "training"):
        kwargs["training"] = training
    if constants:
        if not takes_argument(cell.call, "constants"):
            raise ValueError("RNN cell %r does not support constants (its "
                             "call has no `constants` argument)" % (cell,))
        kwargs["constants"] = list(constants)
    output, new_states = cell.call(inputs, list(states), **kwargs)
    if not isinstance(new_states, (list, tuple)):
        new_states = [new_states]
    return output, list(new_states)


def step_function(cell, x_t, states, constants, training=False):
    """The step of :func:`theano_rnn.recurrence.rnn` for ``cell``, and the
    non-sequences it needs.

    ``x_t``, ``states`` and ``constants`` are example tensors of one step
    (types only).  The cell's ``call`` is traced once on placeholders of
    those types; everything else its graph reads (its ``theano.shared``
    weights, a tensor it captured) becomes a non-sequence of the scan, and
    the step substitutes the scan's variables for the placeholders.  The
    step's states are ``[output] + cell states``: the output is carried as
    a state, so that a masked step repeats the previous output (Keras's
    rule) even when the output is not the first state.

    Returns ``(step, free)``: ``step(x_t, output_tm1, *states, *constants,
    *free) -> [output, *new_states]``, and the list ``free`` to pass after
    the constants as non-sequences.
    """
    x_in = x_t.type()
    s_in = [s.type() for s in states]
    c_in = [c.type() for c in constants]
    output, new_states = call_cell(cell, x_in, s_in, c_in, training)
    if len(new_states) != len(states):
        raise ValueError("RNN cell %r returned %d states, but its state_size "
                         "%r has %d" % (cell, len(new_states),
                                        cell.state_size, len(states)))
    traced = [output] + new_states
    placeholders = set([x_in] + s_in + c_in)
    free = [v for v in graph_inputs(traced)
            if v not in placeholders and
            not isinstance(v, theano.graph.basic.Constant)]
    dtypes = [x_t.dtype] + [s.dtype for s in states]   # output: as x

    def step(x, output_tm1, *rest):
        n = len(states)
        inner = rest[:n]
        inner_constants = rest[n:n + len(constants)]
        inner_free = rest[n + len(constants):]
        replace = dict(zip([x_in] + s_in + c_in + free,
                           [x] + list(inner) + list(inner_constants) +
                           list(inner_free)))
        result = clone_replace(traced, replace)
        result[0] = T.cast(result[0], output_tm1.dtype)
        return [result[0]] + [T.cast(r, d) for r, d in
                              zip(result[1:], dtypes[1:])]
    return step, free


# --- the built-in Keras cells ---------------------------------------------------
class KerasCell(Regularized, Layer):
    """What the three built-in Keras cells add to a :mod:`theano_rnn.cells`
    cell: Keras's cell interface (``call``, ``state_size``, ``build`` from a
    shape, ``losses`` of its weight regularisers, ``trainable``,
    ``get_config``).

    Keras's cell-level ``dropout`` and ``recurrent_dropout`` are not
    implemented here: give them to the layer (``LSTM(units, dropout=...)``)
    instead; a non-zero value is a ``ValueError``.
    """

    regularized_weights = ("kernel", ("recurrent", "recurrent_kernel"),
                           "bias")

    def __init__(self, units, dropout=0.0, recurrent_dropout=0.0,
                 implementation=None, **kwargs):
        kwargs = self._init_regularization(kwargs)
        layer_kwargs = {k: kwargs.pop(k) for k in ("name", "trainable",
                                                   "dtype") if k in kwargs}
        if dropout or recurrent_dropout:
            raise ValueError(
                "%s: dropout=%r, recurrent_dropout=%r: dropout inside a "
                "Keras cell is not implemented by theano_rnn; give it to the "
                "recurrent layer (e.g. LSTM(units, dropout=..., "
                "recurrent_dropout=...))" % (type(self).__name__, dropout,
                                             recurrent_dropout))
        Layer.__init__(self, **layer_kwargs)
        self._cell_class().__init__(self, units, **kwargs)

    @classmethod
    def _cell_class(cls):
        """The :mod:`theano_rnn.cells` class this cell is."""
        return next(c for c in cls.__mro__ if issubclass(
            c, cells.RecurrentCell) and not issubclass(c, KerasCell))

    @property
    def state_size(self):
        return (self.units,) * len(self.state_names) \
            if len(self.state_names) > 1 else self.units

    @property
    def output_size(self):
        return self.units

    def build(self, input_shape, name=None, rng=None):
        """Create the weights for step inputs of ``input_shape`` ((batch,
        features), or ``[that] + constant shapes``), or for ``input_shape``
        features (an int; what the recurrent layers give)."""
        if isinstance(input_shape, list):
            input_shape = input_shape[0]
        input_dim = (input_shape if isinstance(input_shape, (int, np.integer))
                     else input_shape[-1])
        self._cell_class().build(self, input_dim, name=name or self.name,
                                 rng=rng)
        self._attach_constraints()
        self.built = True

    @property
    def weights(self):
        return self._cell_class().weights.fget(self) if self.built else []

    def call(self, inputs, states, training=None):
        """One step: ``(output, new_states)`` for ``inputs`` (batch,
        features) and ``states`` (the list of the cell's states)."""
        new_states = self.step(self.project_inputs(inputs), *(
            list(states) + self.step_non_sequences()))
        if not isinstance(new_states, (list, tuple)):
            new_states = [new_states]
        return new_states[0], list(new_states)

    def cell_config(self):
        """The :mod:`theano_rnn.cells` arguments only (what the recurrent
        layers put in their own config)."""
        return self._cell_class().get_config(self)

    def get_config(self):
        config = Layer.get_config(self)
        config.update(self.cell_config())
        config.update(self.regularization_config())
        config.pop("activity_regularizer", None)
        config.update(dropout=0.0, recurrent_dropout=0.0)
        return config


class SimpleRNNCell(KerasCell, cells.SimpleRNNCell):
    """Keras's ``SimpleRNNCell``: :class:`theano_rnn.cells.SimpleRNNCell`
    (``h_t = act(x_t W + h_{t-1} U + b)``) as a Keras cell."""


class LSTMCell(KerasCell, cells.LSTMCell):
    """Keras's ``LSTMCell``: :class:`theano_rnn.cells.LSTMCell` (gate order
    i, f, c, o; states ``[h, c]``) as a Keras cell."""


class GRUCell(KerasCell, cells.GRUCell):
    """Keras's ``GRUCell``: :class:`theano_rnn.cells.GRUCell` (gate order
    z, r, h) as a Keras cell."""


# --- a stack of cells as one cell ---------------------------------------------
class StackedRNNCells(Layer):
    """Keras's ``StackedRNNCells``: ``cells`` run one after the other within
    each time step, as one cell (``RNN([cell1, cell2])`` makes one).

    The states are the cells' states in order (``reverse_state_order=True``:
    the last cell's first, Keras's deprecated order); the output is the
    last cell's; each cell's step input is the previous cell's output.
    """

    def __init__(self, cells, reverse_state_order=False, **kwargs):
        cells = list(cells)
        if not cells:
            raise ValueError("StackedRNNCells: cells must be a non-empty "
                             "list of RNN cells")
        for cell in cells:
            check_cell(cell, "StackedRNNCells: every cell")
        self.cells = cells
        self.reverse_state_order = bool(reverse_state_order)
        super(StackedRNNCells, self).__init__(**kwargs)

    def _ordered(self, items):
        return items[::-1] if self.reverse_state_order else items

    @property
    def state_size(self):
        return tuple(size for cell in self._ordered(self.cells)
                     for size in state_sizes(cell))

    @property
    def output_size(self):
        return output_size(self.cells[-1])

    def call(self, inputs, states, constants=None, training=None):
        states, nested = list(states), []
        for cell in self._ordered(self.cells):
            n = len(state_sizes(cell))
            nested.append(states[:n])
            states = states[n:]
        new_nested = []
        for cell, cell_states in zip(self.cells, self._ordered(nested)):
            inputs, cell_states = call_cell(
                cell, inputs, cell_states,
                constants if takes_argument(cell.call, "constants") else None,
                training)
            new_nested.append(cell_states)
        return inputs, [s for cell_states in self._ordered(new_nested)
                        for s in cell_states]

    def build(self, input_shape):
        constant_shapes = []
        if isinstance(input_shape, list):
            input_shape, constant_shapes = input_shape[0], input_shape[1:]
        for cell in self.cells:
            if isinstance(cell, Layer) and not cell.built:
                cell.build([tuple(input_shape)] + list(constant_shapes)
                           if constant_shapes and
                           takes_argument(cell.call, "constants")
                           else tuple(input_shape))
                cell.built = True
            input_shape = (input_shape[0], output_size(cell))
        self.built = True

    def _layers(self):
        return [cell for cell in self.cells if isinstance(cell, Layer)]

    @property
    def weights(self):
        return [w for cell in self._layers() for w in cell.weights]

    @property
    def trainable_weights(self):
        if not self.trainable:
            return []
        return [w for cell in self._layers() for w in cell.trainable_weights]

    @property
    def non_trainable_weights(self):
        if not self.trainable:
            return self.weights
        return [w for cell in self._layers()
                for w in cell.non_trainable_weights]

    @property
    def losses(self):
        return ([loss for cell in self._layers() for loss in cell.losses] +
                self.added_losses())

    def get_losses_for(self, inputs):
        return ([loss for cell in self._layers()
                 for loss in cell.get_losses_for(inputs)] +
                self.added_losses(inputs))

    @property
    def constraints(self):
        found = {}
        for cell in self._layers():
            found.update(cell.constraints)
        return found

    def get_config(self):
        config = super(StackedRNNCells, self).get_config()
        config["cells"] = [{"class_name": type(cell).__name__,
                            "config": cell.get_config()}
                           for cell in self.cells]
        if self.reverse_state_order:
            config["reverse_state_order"] = True
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None):
        from . import deserialize
        config = dict(config)
        cells_ = [deserialize(c, custom_objects)
                  for c in config.pop("cells")]
        return cls(cells_, **config)


# The built-in Keras cells compute exactly what their theano_rnn.cells class
# does (they do not override ``step``), so the recurrent layers built on them
# keep the fused C loop of that class.
from .. import fused as _fused  # noqa: E402
for _keras_cell in (SimpleRNNCell, LSTMCell, GRUCell):
    _fused._IMPLEMENTATIONS.setdefault(
        _keras_cell, _fused._IMPLEMENTATIONS[_keras_cell._cell_class()])
