"""Recurrent layers: a cell from :mod:`theano_rnn.cells`, unrolled over time
by the scan driver :func:`theano_rnn.recurrence.rnn`.

The data path of one layer, shapes in comments::

    x                       (batch, time, input_dim)
    to time-major           (time, batch, input_dim)
    x * input dropout mask  the same mask at every step
    xw = x W + b            (time, batch, k * units)   all steps, one product
    state_{-1}              (batch, units) given (``initial_state``), carried
                            over (stateful) or zeros
    scan over time:  state_t = cell.step(xw_t, state_{t-1}, U, rec. mask)
    output                  (batch, units) last h, or (batch, time, units)
"""
import numpy as np
from ..runtime import theano, T

from .. import fused, legacy, random
from ..cells import RecurrentCell
from ..recurrence import rnn
from . import rnn_cells
from .base import InputSpec, Layer, check_rate, is_keras_tensor
from .regularization import Regularized
from .rnn_cells import (GRUCell, LSTMCell, SimpleRNNCell, StackedRNNCells,
                        step_function)
from .shapes import as_list, first_mask


#: Values of the recurrent layers' ``implementation`` argument.
IMPLEMENTATIONS = ("auto", "scan", "fused")


def with_initial_state(layer, inputs, initial_state):
    """``inputs`` with ``initial_state`` (a tensor or a list) appended as
    further inputs, Keras 2's convention for ``initial_state=``."""
    if initial_state is None:
        return inputs
    if isinstance(inputs, (list, tuple)):
        raise ValueError("layer %r: give the initial states either in the "
                         "inputs list or as initial_state=, not both"
                         % layer.name)
    if not isinstance(initial_state, (list, tuple)):
        initial_state = [initial_state]
    return [inputs] + list(initial_state)


class RNN(Regularized, Layer):
    """A recurrent layer around ``cell``.

    Parameters
    ----------
    cell : RecurrentCell, Keras cell, or list of Keras cells
        A :mod:`theano_rnn.cells` cell (the input projection of all steps
        at once, then its step function; the subclasses ``SimpleRNN``,
        ``LSTM``, ``GRU``), or -- ``RNN(cell)`` as in Keras 2 -- any *Keras
        cell* (see :mod:`theano_rnn.layers.rnn_cells`: an object with
        ``call(inputs, states)`` and ``state_size``, e.g. a user-written
        ``Layer``, or ``SimpleRNNCell``/``LSTMCell``/``GRUCell`` from
        :mod:`theano_rnn.layers`), whose ``call`` becomes the step of the
        scan; a list of cells is a :class:`StackedRNNCells`.  Such a layer
        takes ``constants=`` (tensors every step sees, given to
        ``cell.call(..., constants=...)``), its config holds the cell's
        (``{'cell': {'class_name', 'config'}}``) and its weights, losses and
        trainability are the cell's.  Dropout is then the cell's business
        (``dropout``/``recurrent_dropout`` here must be 0).
    return_sequences : bool
        Output the hidden state at every step (batch, time, units) instead of
        the last one (batch, units).
    return_state : bool
        Also return the final states: ``[output, h]`` or ``[output, h, c]``
        (and, from :meth:`compute_output_shape` and :meth:`compute_mask`,
        one shape / mask per output; the states carry no mask).
    go_backwards : bool
        Process the sequence from its end; with ``return_sequences`` the
        outputs come in that reversed order, as in Keras.
    dropout, recurrent_dropout : float in [0, 1)
        Fraction of the inputs / of the recurrent state to drop in the
        training graph.  Variational dropout (Gal & Ghahramani, 2016): one
        mask per sequence, the same at every time step, sampled *outside* the
        scan and given to it as a constant, so it cannot get lost inside the
        scan the way Keras 2.1-2.3 lost it on Theano.
    unroll : bool
        Unroll the loop in Python instead of scanning (fixed ``steps`` only).
    truncate_gradient : int
        Back-propagation through time over at most this many steps (-1: all).
    stateful : bool
        Carry the final states of one batch over as the initial states of
        the next (sample ``i`` of a batch continues sample ``i`` of the
        previous one), as in Keras: the states are ``theano.shared``
        variables of shape ``(batch, units)``, so the batch size must be
        fixed (``batch_input_shape`` or ``batch_size`` on the model's first
        layer).  Every compiled function advances them -- training from its
        training graph, evaluation and prediction from the inference graph;
        :meth:`reset_states` sets them back to zero.  They are not saved
        with the model.
    seed : int, optional
        Seed of the dropout stream (default: drawn from ``np.random``).
    implementation : {'auto', 'scan', 'fused'}
        ``'scan'``: the cell's step function unrolled by ``theano.scan``,
        the reference path.  ``'fused'``: the loop over time as one C op
        (:mod:`theano_rnn.fused`), the same function computed several times
        faster; an error if this layer cannot use it.  ``'auto'`` (default):
        fused when the layer can (no ``unroll``, no ``truncate_gradient``,
        activations with a C implementation), scan otherwise.  Keras's
        integers are accepted too: 0 and 2 mean ``'auto'``, 1 ``'scan'``
        (see :mod:`theano_rnn.legacy`).
    kernel_regularizer, recurrent_regularizer, bias_regularizer, \
activity_regularizer, kernel_constraint, recurrent_constraint, \
bias_constraint
        See :mod:`theano_rnn.layers.regularization`.

    The subclasses also take Keras 1's names (``output_dim``, ``init``,
    ``inner_init``, ``inner_activation``, ``dropout_W``, ``dropout_U``,
    ``consume_less``, ``forget_bias_init``, ``W_regularizer``...,
    ``input_dim``/``input_length``; :data:`theano_rnn.legacy.RECURRENT`).

    The layer supports masks (``supports_masking``): masked steps carry the
    states through unchanged.

    Initial states
    --------------
    As in Keras 2, ``layer(x, initial_state=[h0])`` (``[h0, c0]`` for the
    LSTM) makes the layer's inputs the list ``[x, h0, (c0)]``, each state of
    shape ``(batch, units)``: :meth:`build`, :meth:`call`,
    :meth:`compute_output_shape` and :meth:`compute_mask` take that list
    (and a list of shapes / masks) as well as a lone ``x``.  The recurrence
    starts from the given states on both paths, and gradients flow into
    them.  A stateful layer given initial states starts this call from them
    instead of its carried states (as Keras does) and still carries the
    final states over.
    """

    regularized_weights = ("kernel", ("recurrent", "recurrent_kernel"),
                           "bias")
    supports_masking = True
    input_spec = InputSpec(ndim=3)

    def __init__(self, cell, return_sequences=False, return_state=False,
                 go_backwards=False, dropout=0.0, recurrent_dropout=0.0,
                 unroll=False, truncate_gradient=-1, stateful=False,
                 seed=None, implementation="auto", **kwargs):
        num_constants = kwargs.pop("num_constants", None)
        kwargs = self._init_regularization(kwargs)
        super(RNN, self).__init__(**kwargs)
        if isinstance(cell, (list, tuple)):
            cell = StackedRNNCells(cell)
        # Keras's RNN(cell): the cell's call is the step (a bare
        # theano_rnn.cells cell, and the subclasses, keep their own path)
        self._generic = not isinstance(cell, RecurrentCell) or (
            type(self) is RNN and isinstance(cell, Layer))
        if self._generic:
            rnn_cells.check_cell(cell, "layer %r: the cell" % self.name)
            if dropout or recurrent_dropout:
                raise ValueError(
                    "layer %r: dropout/recurrent_dropout are not available "
                    "with RNN(cell); the cell applies its own" % self.name)
        elif isinstance(cell, Layer):
            # LSTM(...) and co.: the cell reports the layer's penalties too
            # (Keras keeps them on the cell); the model counts the layer's
            cell.regularizers = self.regularizers
            cell.weight_constraints = self.weight_constraints
        self.cell = cell
        self._num_constants = num_constants
        self.return_sequences = bool(return_sequences)
        self.return_state = bool(return_state)
        self.go_backwards = bool(go_backwards)
        self.dropout = check_rate(dropout, "dropout")
        self.recurrent_dropout = check_rate(recurrent_dropout,
                                            "recurrent_dropout")
        self.unroll = bool(unroll)
        if not isinstance(truncate_gradient, int) or truncate_gradient == 0 \
                or truncate_gradient < -1:
            raise ValueError("truncate_gradient must be -1 (no truncation) "
                             "or a positive int, got %r" % (truncate_gradient,))
        self.truncate_gradient = truncate_gradient
        self.stateful = bool(stateful)
        self._states = []               # shared (batch, units), if stateful
        self._state_updates = {}        # training flag -> [(state, new)]
        self.seed = seed
        if implementation not in IMPLEMENTATIONS:
            raise ValueError("implementation must be one of %s, got %r"
                             % (", ".join(map(repr, IMPLEMENTATIONS)),
                                implementation))
        self.implementation = implementation
        self.stream = (random.make_stream(seed)
                       if self.dropout or self.recurrent_dropout else None)

    @property
    def units(self):
        """The size of the output at each step."""
        if self._generic:
            return rnn_cells.output_size(self.cell)
        return self.cell.units

    def state_sizes(self):
        """The size of each state, in the cell's order."""
        if self._generic:
            return rnn_cells.state_sizes(self.cell)
        return [self.cell.units] * len(self.cell.state_names)

    def _state_names(self):
        if self._generic:
            return ["state %d" % i for i in range(len(self.state_sizes()))]
        return list(self.cell.state_names)

    @property
    def states(self):
        """The carried states (``theano.shared``, batch x size) of a built
        stateful layer; otherwise ``[None] * number of states``, as in
        Keras."""
        if self._states:
            return list(self._states)
        return [None] * len(self.state_sizes())

    @states.setter
    def states(self, states):
        self._states = list(states)

    def _split_inputs(self, inputs, what="inputs"):
        """``(x, [initial states], [constants])`` from ``x`` or ``[x, h0,
        (c0), constants...]``; the lists are empty when none are given."""
        if as_list(inputs) is None:
            return inputs, [], []
        inputs = as_list(inputs)
        n_constants = self._num_constants or 0
        constants = inputs[len(inputs) - n_constants:] if n_constants else []
        inputs = inputs[:len(inputs) - n_constants]
        names = self._state_names()
        if len(inputs) not in (1, 1 + len(names)):
            raise ValueError(
                "layer %r expects %s [x] or [x, %s] (the input and its "
                "initial states%s), got a list of %d" % (
                    self.name, what, ", ".join(
                        "initial " + n for n in names),
                    ", then %d constants" % n_constants
                    if n_constants else "", len(inputs) + n_constants))
        return inputs[0], inputs[1:], constants

    def build(self, input_shape):
        input_shape, state_shapes, constant_shapes = self._split_inputs(
            input_shape, "input shapes")
        input_shape = tuple(input_shape)
        if len(input_shape) != 3:
            raise ValueError(
                "layer %r expects inputs of shape (batch, steps, features), "
                "got a shape of rank %d: %s" % (self.name, len(input_shape),
                                                tuple(input_shape)))
        if self.unroll and input_shape[1] is None:
            raise ValueError("layer %r: unroll=True needs a fixed number of "
                             "steps in input_shape" % self.name)
        self._steps = input_shape[1]       # for unroll (None: any)
        if not self._generic:
            self.cell.build(input_shape[-1], name=self.name)
        elif isinstance(self.cell, Layer) and not self.cell.built:
            # Keras: the cell sees a step's shape, without the time axis
            step_shape = (input_shape[0],) + input_shape[2:]
            self.cell.build([step_shape] + [tuple(s) for s in constant_shapes]
                            if constant_shapes else step_shape)
            self.cell.built = True
        # (after the cell's build: a Keras cell may size its states there)
        for name, size, shape in zip(self._state_names(), self.state_sizes(),
                                     state_shapes):
            if (len(shape) != 2 or shape[-1] != size or
                    None not in (shape[0], input_shape[0]) and
                    shape[0] != input_shape[0]):
                raise ValueError(
                    "layer %r: the initial %s state must have shape (%s, "
                    "%s), got %s" % (self.name, name, input_shape[0],
                                     size, tuple(shape)))
        self._attach_constraints()
        if self.stateful:
            if input_shape[0] is None:
                raise ValueError(
                    "layer %r: stateful=True needs a fixed batch size; give "
                    "the model's first layer batch_input_shape=(batch, "
                    "steps, features), or batch_size=... with input_shape"
                    % self.name)
            self._states = [
                theano.shared(np.zeros((input_shape[0], size),
                                       dtype=theano.config.floatX),
                              name="%s/%s_state" % (self.name,
                                                    state.replace(" ", "")))
                for state, size in zip(self._state_names(),
                                       self.state_sizes())]
        # with initial states, the layer's input shape is the list (so that
        # an array for a state is not checked against the sequence's shape)
        extra = [tuple(s) for s in state_shapes + constant_shapes]
        super(RNN, self).build([input_shape] + extra if extra
                               else input_shape)

    @property
    def weights(self):
        if not self.built:
            return []
        if self._generic:
            return self.cell.weights if isinstance(self.cell, Layer) else []
        return self.cell.weights

    @property
    def trainable_weights(self):
        if self._generic:
            return (self.cell.trainable_weights if self.trainable and
                    isinstance(self.cell, Layer) else [])
        return super(RNN, self).trainable_weights

    @property
    def non_trainable_weights(self):
        if self._generic:
            if not isinstance(self.cell, Layer):
                return []
            return (self.cell.non_trainable_weights if self.trainable
                    else self.cell.weights)
        return super(RNN, self).non_trainable_weights

    @property
    def losses(self):
        """The weight and activity penalties, :meth:`add_loss`'s, and (with
        a Keras cell) the cell's."""
        found = super(RNN, self).losses
        if self._generic and isinstance(self.cell, Layer):
            found = self.cell.losses + found
        return found

    def _own_losses(self):
        return super(RNN, self).losses

    def get_losses_for(self, inputs):
        found = Layer.get_losses_for(self, inputs)
        if self._generic and isinstance(self.cell, Layer):
            found = self.cell.get_losses_for(inputs) + found
        return found

    @property
    def constraints(self):
        found = dict(super(RNN, self).constraints)
        if self._generic and isinstance(self.cell, Layer):
            found.update(self.cell.constraints)
        return found

    # -- graph -------------------------------------------------------------
    def _fused_unsupported_reason(self, dtype):
        """Why this layer cannot take the fused path, or ``None``."""
        if self.unroll:
            return "unroll=True"
        if self.truncate_gradient != -1:
            return "truncate_gradient=%d" % self.truncate_gradient
        return fused.unsupported_reason(self.cell, dtype)

    def _use_fused(self, dtype):
        if self.implementation == "scan":
            return False
        reason = self._fused_unsupported_reason(dtype)
        if reason is not None and self.implementation == "fused":
            raise ValueError("layer %r: implementation='fused' is not "
                             "available: %s" % (self.name, reason))
        return reason is None

    def _dropout_mask(self, batch, width, rate):
        return random.dropout_mask(self.stream, (batch, width), rate,
                                   theano.config.floatX)

    def __call__(self, inputs, initial_state=None, constants=None,
                 **kwargs):
        """Keras 2's ``layer(x, initial_state=[h0, (c0)],
        constants=[...])``: Keras tensors (from ``Input`` or a layer) become
        inputs of the node (``[x, h0, (c0), constants...]``), so that they
        may come from other layers and receive gradients; other tensors
        (e.g. ``K.variable``) given with a Keras tensor input are arguments
        of :meth:`call` (as in Keras), so that a model built from the input
        stays connected.  On plain Theano tensors everything is packed."""
        if constants is not None:
            constants = list(constants) if isinstance(
                constants, (list, tuple)) else [constants]
            if not self._generic:
                raise ValueError("layer %r: constants= needs RNN(cell) with "
                                 "a cell whose call takes constants"
                                 % self.name)
        extra = ([] if initial_state is None else
                 list(initial_state) if isinstance(initial_state, (list,
                                                                   tuple))
                 else [initial_state]) + (constants or [])
        keras_tensors = [is_keras_tensor(t) for t in extra]
        main = inputs[0] if isinstance(inputs, (list, tuple)) else inputs
        if extra and not all(keras_tensors) and is_keras_tensor(main):
            # e.g. K.variable states of a layer in a model: not inputs of
            # the node (the model could not feed them), but arguments
            if any(keras_tensors):
                raise ValueError(
                    "layer %r: the initial state or constants of an RNN "
                    "layer cannot be a mix of Keras tensors and other "
                    "tensors (a Keras tensor comes from Input or a layer)"
                    % self.name)
            if initial_state is not None:
                kwargs["initial_state"] = initial_state
            if constants is not None:
                kwargs["constants"] = constants
        else:
            inputs = with_initial_state(self, inputs, initial_state)
            if constants is not None:
                self._num_constants = len(constants)
                inputs = (list(inputs) if isinstance(inputs, (list, tuple))
                          else [inputs]) + constants
        n_inputs = len(inputs) if isinstance(inputs, list) else 1
        n_constants = self._num_constants or 0
        n_states = n_inputs - 1 - n_constants if n_inputs > 1 else 0
        # one spec per input: the sequence, the (batch, size) states, then
        # the constants (anything)
        self.input_spec = ([InputSpec(ndim=3)] +
                           [InputSpec(ndim=2, axes={-1: size}) for size in
                            self.state_sizes()[:n_states]] +
                           [None] * (n_inputs - 1 - n_states)
                           if n_inputs > 1 else InputSpec(ndim=3))
        return super(RNN, self).__call__(inputs, **kwargs)

    def get_initial_state(self, inputs):
        """Keras's zero states for ``inputs`` (batch, time, features): one
        ``(batch, size)`` tensor of zeros per state."""
        return [T.zeros((inputs.shape[0], size), dtype=inputs.dtype)
                for size in self.state_sizes()]

    def call(self, inputs, mask=None, training=False, initial_state=None,
             constants=None):
        inputs, given_states, given_constants = self._split_inputs(inputs)
        if initial_state is not None:
            if given_states:
                raise ValueError("layer %r was given initial states both in "
                                 "its inputs and as initial_state="
                                 % self.name)
            given_states = (list(initial_state) if isinstance(
                initial_state, (list, tuple)) else [initial_state])
            if len(given_states) != len(self.state_sizes()):
                raise ValueError("layer %r has %d states but was given %d "
                                 "initial states" % (
                                     self.name, len(self.state_sizes()),
                                     len(given_states)))
        if constants is not None:
            given_constants = list(given_constants) + list(constants)
        mask = first_mask(mask)
        if inputs.ndim != 3:
            raise ValueError("layer %r expects a 3-D input (batch, steps, "
                             "features), got %d-D" % (self.name, inputs.ndim))
        if self._generic:
            return self._call_cell(inputs, mask, training, given_states,
                                   given_constants)
        batch = inputs.shape[0]
        x = inputs.dimshuffle(1, 0, 2)                      # (time, batch, input_dim)
        if training and self.dropout:
            input_mask = self._dropout_mask(batch, self.cell.input_dim,
                                            self.dropout)
            x = x * input_mask.dimshuffle('x', 0, 1)        # same at all steps
        xw = self.cell.project_inputs(x)                    # (time, batch, k*units)

        recurrent_mask = None
        if training and self.recurrent_dropout:
            recurrent_mask = self._dropout_mask(batch, self.units,
                                                self.recurrent_dropout)
        if given_states:
            initial_states = [T.cast(state, xw.dtype)
                              for state in given_states]
        elif self.stateful:
            initial_states = [T.cast(state, xw.dtype) for state in self.states]
        else:
            initial_states = [T.zeros((batch, self.units), dtype=xw.dtype)
                              for _ in self.cell.state_names]
        time_mask = None if mask is None else mask.dimshuffle(1, 0)
        if self._use_fused(xw.dtype):
            outputs, last_states = fused.fused_rnn(
                self.cell, x, initial_states, recurrent_mask, time_mask,
                go_backwards=self.go_backwards)             # (time, batch, units)
        else:
            non_sequences = self.cell.step_non_sequences()
            if recurrent_mask is not None:
                non_sequences.append(recurrent_mask)
            outputs, last_states = rnn(
                self.cell.step, xw, initial_states, non_sequences,
                mask=time_mask, go_backwards=self.go_backwards,
                truncate_gradient=self.truncate_gradient, unroll=self.unroll,
                n_steps=self._steps)                # (time, batch, units)
        return self._outputs(outputs, last_states[0], last_states, training)

    def _call_cell(self, inputs, mask, training, given_states, constants):
        """``call`` with a Keras cell: its ``call`` is the step of the scan
        (see :func:`theano_rnn.layers.rnn_cells.step_function`)."""
        x = inputs.dimshuffle(1, 0, 2)                      # (time, batch, features)
        if given_states:
            initial_states = list(given_states)
        elif self.stateful:
            initial_states = list(self._states)
        else:
            initial_states = self.get_initial_state(inputs)
        initial_states = [T.cast(s, x.dtype) for s in initial_states]
        step, free = step_function(self.cell, x[0], initial_states,
                                   constants, training)
        initial_output = T.zeros((inputs.shape[0], self.units), dtype=x.dtype)
        time_mask = None if mask is None else mask.dimshuffle(1, 0)
        outputs, last = rnn(
            step, x, [initial_output] + initial_states,
            list(constants) + free, mask=time_mask,
            go_backwards=self.go_backwards, unroll=self.unroll,
            truncate_gradient=self.truncate_gradient, n_steps=self._steps)
        return self._outputs(outputs, last[0], last[1:], training)

    def _outputs(self, outputs, last_output, last_states, training):
        """The layer's output(s) from the scan's: ``outputs`` (time, batch,
        units), the last output and the last states; records the states a
        stateful layer carries over."""
        self._state_updates[training] = [
            (state, T.cast(last, state.dtype))
            for state, last in zip(self._states, last_states)]
        if self.return_sequences:
            output = outputs.dimshuffle(1, 0, 2)            # (batch, time, units)
        else:
            output = last_output
        self._record_activity(output, training)
        if self.return_state:
            # the output is h itself without sequences: a distinct variable,
            # so that the two outputs of a node stay two tensors
            if not self.return_sequences:
                output = T.tensor_copy(output)
            return [output] + list(last_states)
        return output

    def state_updates(self, training):
        return list(self._state_updates.get(training, []))

    def reset_states(self, states=None):
        """Set the carried states to zero, or to ``states``: one array of
        shape ``(batch, units)`` per state (``[h]``, or ``[h, c]`` for the
        LSTM)."""
        if not self.stateful:
            raise ValueError("layer %r is not stateful; reset_states needs "
                             "stateful=True" % self.name)
        if not self._states:
            raise ValueError("layer %r is not built yet" % self.name)
        if states is None:
            states = [np.zeros_like(s.get_value(borrow=True))
                      for s in self._states]
        elif isinstance(states, np.ndarray):
            states = [states]           # Keras: one array for one state
        states = list(states)
        if len(states) != len(self._states):
            raise ValueError(
                "states: layer %r has %d state(s) (%s), got %d arrays"
                % (self.name, len(self._states),
                   ", ".join(self._state_names()), len(states)))
        for state, value in zip(self._states, states):
            value = np.asarray(value)
            expected = state.get_value(borrow=True).shape
            if value.shape != expected:
                raise ValueError("states: layer %r needs arrays of shape %s, "
                                 "got %s" % (self.name, expected, value.shape))
            state.set_value(value.astype(state.dtype))

    def compute_output_shape(self, input_shape):
        input_shape, _, _ = self._split_inputs(input_shape, "input shapes")
        if self.return_sequences:
            shape = (input_shape[0], input_shape[1], self.units)
        else:
            shape = (input_shape[0], self.units)
        if self.return_state:
            return [shape] + [(input_shape[0], size)
                              for size in self.state_sizes()]
        return shape

    def compute_mask(self, inputs, mask=None):
        mask = first_mask(mask)
        output_mask = mask if self.return_sequences else None
        if self.return_state:
            return [output_mask] + [None] * len(self.state_sizes())
        return output_mask

    def get_config(self):
        if self._generic:
            return self._cell_layer_config()
        config = super(RNN, self).get_config()
        config.update(self.cell.cell_config()
                      if hasattr(self.cell, "cell_config")
                      else self.cell.get_config())
        config.update(return_sequences=self.return_sequences,
                      return_state=self.return_state,
                      go_backwards=self.go_backwards, dropout=self.dropout,
                      recurrent_dropout=self.recurrent_dropout,
                      unroll=self.unroll,
                      truncate_gradient=self.truncate_gradient,
                      stateful=self.stateful, seed=self.seed,
                      implementation=self.implementation,
                      **self.regularization_config())
        return config

    def _cell_layer_config(self):
        """Keras's config of ``RNN(cell)``: the layer's arguments and the
        cell's ``{'class_name', 'config'}``."""
        config = Layer.get_config(self)
        config.update(return_sequences=self.return_sequences,
                      return_state=self.return_state,
                      go_backwards=self.go_backwards, stateful=self.stateful,
                      unroll=self.unroll,
                      cell={"class_name": type(self.cell).__name__,
                            "config": self.cell.get_config()})
        if self._num_constants is not None:
            config["num_constants"] = self._num_constants
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None):
        """The layer of :meth:`get_config`; an ``RNN(cell)`` config's cell
        is rebuilt from its class name (a built-in cell, one of
        ``custom_objects`` or of a ``CustomObjectScope``)."""
        config = dict(config)
        if "cell" in config:
            from . import deserialize
            cell = deserialize(config.pop("cell"), custom_objects)
            return cls(cell, **config)
        return cls(**config)


_LAYER_ARGS = ("return_sequences", "return_state", "go_backwards", "dropout",
               "recurrent_dropout", "unroll", "truncate_gradient", "stateful",
               "seed", "implementation",
               "name", "input_shape", "batch_input_shape", "batch_size",
               "dtype", "trainable", "weights",
               "activity_regularizer") + tuple(
                   prefix + suffix
                   for prefix in ("kernel", "recurrent", "bias")
                   for suffix in ("_regularizer", "_constraint"))


def _split(kwargs):
    """Split keyword arguments into (layer arguments, cell arguments)."""
    layer = {k: v for k, v in kwargs.items() if k in _LAYER_ARGS}
    cell = {k: v for k, v in kwargs.items() if k not in _LAYER_ARGS}
    return layer, cell


class SimpleRNN(RNN):
    """Fully connected recurrent layer; see
    :class:`theano_rnn.cells.SimpleRNNCell` for the equations.  Accepts the
    cell's arguments (``activation='tanh'``, initialisers, ``use_bias``) and
    those of :class:`RNN`."""

    @legacy.recurrent_support
    def __init__(self, units, **kwargs):
        layer, cell = _split(kwargs)
        super(SimpleRNN, self).__init__(SimpleRNNCell(units, **cell), **layer)


class LSTM(RNN):
    """Long short-term memory layer; see :class:`theano_rnn.cells.LSTMCell`
    for the equations and the gate order (i, f, c, o).  Accepts the cell's
    arguments (``activation='tanh'``, ``recurrent_activation='hard_sigmoid'``,
    ``unit_forget_bias=True``, initialisers, ``use_bias``) and those of
    :class:`RNN`."""

    @legacy.recurrent_support
    def __init__(self, units, **kwargs):
        layer, cell = _split(kwargs)
        super(LSTM, self).__init__(LSTMCell(units, **cell), **layer)


class GRU(RNN):
    """Gated recurrent unit layer; see :class:`theano_rnn.cells.GRUCell` for
    the equations and the gate order (z, r, h).  Accepts the cell's arguments
    (``reset_after=False``, ``activation='tanh'``,
    ``recurrent_activation='hard_sigmoid'``, initialisers, ``use_bias``) and
    those of :class:`RNN`."""

    @legacy.recurrent_support
    def __init__(self, units, **kwargs):
        layer, cell = _split(kwargs)
        super(GRU, self).__init__(GRUCell(units, **cell), **layer)
