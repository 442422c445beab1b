"""Wrappers: ``Bidirectional`` (a recurrent layer run forwards and
backwards) and ``TimeDistributed`` (a layer applied at every time step)."""
import numpy as np
from ..runtime import T

from .base import InputSpec, Layer
from .recurrent import with_initial_state
from .shapes import as_list, check_rank, first_mask

_MERGE_MODES = ("concat", "sum", "mul", "ave", None)


def backward_seed(seed):
    """The dropout seed of a Bidirectional's backward layer: a fixed
    function of the forward layer's ``seed`` that differs from it, so that
    the two directions draw independent masks and both stay reproducible.
    ``None`` (seed from ``np.random``) stays ``None``: each layer then draws
    its own seed."""
    if seed is None:
        return None
    derived = int(np.random.RandomState(seed).randint(1, 2 ** 31 - 1))
    return derived if derived != seed else derived % (2 ** 31 - 2) + 1


class Wrapper(Layer):
    """A layer around another, ``self.layer``; its config holds the wrapped
    layer's ``{'class_name', 'config'}`` under ``'layer'``, as in Keras."""

    def __init__(self, layer, **kwargs):
        if not isinstance(layer, Layer):
            raise TypeError("%s wraps a layer, got %r"
                            % (type(self).__name__, layer))
        super(Wrapper, self).__init__(**kwargs)
        self.layer = layer

    @property
    def inner_layers(self):
        """The wrapped layers (Bidirectional has two)."""
        return [self.layer]

    @property
    def losses(self):
        """The wrapped layers' penalties (weight and activity
        regularisers), which the model adds to its loss."""
        return [loss for layer in self.inner_layers for loss in layer.losses]

    def get_losses_for(self, inputs):
        """The wrapped layers' losses conditional on ``inputs`` (``None``:
        the unconditional ones), as Keras's wrappers give them."""
        return ([loss for layer in self.inner_layers
                 for loss in layer.get_losses_for(inputs)] +
                self.added_losses(inputs))

    @property
    def updates(self):
        """The wrapped layers' updates (Keras's ``add_update``)."""
        return ([u for layer in self.inner_layers for u in layer.updates] +
                super(Wrapper, self).updates)

    def get_updates_for(self, inputs):
        return ([u for layer in self.inner_layers
                 for u in layer.get_updates_for(inputs)] +
                super(Wrapper, self).get_updates_for(inputs))

    @property
    def constraints(self):
        """The wrapped layers' weight constraints."""
        found = {}
        for layer in self.inner_layers:
            found.update(layer.constraints)
        return found

    def get_config(self):
        config = super(Wrapper, self).get_config()
        config.update(layer={"class_name": type(self.layer).__name__,
                             "config": self.layer.get_config()})
        return config

    @classmethod
    def from_config(cls, config):
        from . import deserialize
        config = dict(config)
        layer = deserialize(config.pop("layer"))
        return cls(layer, **config)


class Bidirectional(Wrapper):
    """Run ``layer`` over the sequence forwards and a copy of it backwards,
    then merge the two outputs (Schuster & Paliwal, 1997).

    The backward copy is built from ``layer.get_config()`` with
    ``go_backwards`` flipped and its own dropout seed
    (:func:`backward_seed`); its sequence output is reversed back so that
    step ``t`` of both halves refers to the same input step.  Weights: the
    forward layer's, then the backward layer's.

    With ``return_state=True`` on ``layer`` the output is ``[merged,
    forward states..., backward states...]``; initial states are given as
    ``[x, forward states..., backward states...]`` (Keras 2's order).

    Parameters
    ----------
    layer : RNN
    merge_mode : {'concat', 'sum', 'mul', 'ave', None}
        ``None``: no merge, the output is the list ``[forward output,
        backward output]`` (then the states, with ``return_state``).

    ``layer(x, constants=c)`` gives both directions the constants of an
    ``RNN(cell)`` whose cell takes them (inputs ``[x, states..., c...]``).
    """

    supports_masking = True

    def __init__(self, layer, merge_mode="concat", **kwargs):
        if merge_mode not in _MERGE_MODES:
            raise ValueError("merge_mode must be one of %s, got %r"
                             % (", ".join(map(repr, _MERGE_MODES)),
                                merge_mode))
        kwargs.setdefault("batch_input_shape", layer.batch_input_shape)
        super(Bidirectional, self).__init__(layer, **kwargs)
        config = layer.get_config()
        config.pop("batch_input_shape", None)
        self.backward_layer = type(layer).from_config(dict(
            config, name="backward_" + config["name"],
            go_backwards=not config["go_backwards"],
            seed=backward_seed(config.get("seed"))))
        self.merge_mode = merge_mode

    def __call__(self, inputs, initial_state=None, constants=None,
                 **kwargs):
        """``layer(x, initial_state=forward states + backward states,
        constants=...)`` makes them inputs of the node, as for a recurrent
        layer."""
        inputs = with_initial_state(self, inputs, initial_state)
        if constants is not None:
            constants = as_list(constants) or [constants]
            self._set_num_constants(len(constants))
            inputs = (as_list(inputs) or [inputs]) + constants
        return super(Bidirectional, self).__call__(inputs, **kwargs)

    def _set_num_constants(self, n):
        for layer in (self.forward_layer, self.backward_layer):
            layer._num_constants = n

    @property
    def forward_layer(self):
        """The wrapped layer, run forwards."""
        return self.layer

    @property
    def return_state(self):
        return self.forward_layer.return_state

    def _split(self, inputs):
        """``(x, forward states, backward states)`` from ``x`` or the list
        ``[x, forward states..., backward states...]``."""
        x, forward, backward, _ = self._split_all(inputs)
        return x, forward, backward

    def _split_all(self, inputs):
        """``(x, forward states, backward states, constants)``."""
        if as_list(inputs) is None:
            return inputs, [], [], []
        inputs = as_list(inputs)
        k = getattr(self.forward_layer, "_num_constants", None) or 0
        constants = inputs[len(inputs) - k:] if k else []
        inputs = inputs[:len(inputs) - k]
        n = len(self.forward_layer.states)
        if len(inputs) not in (1, 1 + 2 * n):
            raise ValueError(
                "layer %r expects [x] or [x] + %d forward and %d backward "
                "initial states%s, got a list of %d"
                % (self.name, n, n, " + %d constants" % k if k else "",
                   len(inputs) + k))
        return inputs[0], inputs[1:1 + n], inputs[1 + n:], constants

    def build(self, input_shape):
        x, forward, backward, constants = self._split_all(input_shape)
        self.forward_layer.build([x] + forward + constants)
        self.backward_layer.build([x] + backward + constants)
        super(Bidirectional, self).build(input_shape if forward or constants
                                         else x)

    @property
    def weights(self):
        return self.forward_layer.weights + self.backward_layer.weights

    def call(self, inputs, mask=None, training=False):
        x, forward_states, backward_states, constants = self._split_all(
            inputs)
        mask = first_mask(mask)
        forward = self.forward_layer.call([x] + forward_states + constants,
                                          mask, training)
        backward = self.backward_layer.call(
            [x] + backward_states + constants, mask, training)
        states = []
        if self.return_state:
            states = forward[1:] + backward[1:]
            forward, backward = forward[0], backward[0]
        if self.forward_layer.return_sequences:
            backward = backward[:, ::-1]          # back to input order
        if self.merge_mode is None:
            return [forward, backward] + states
        if self.merge_mode == "concat":
            output = T.concatenate([forward, backward], axis=-1)
        elif self.merge_mode == "sum":
            output = forward + backward
        elif self.merge_mode == "mul":
            output = forward * backward
        else:
            output = (forward + backward) / 2
        return [output] + states if self.return_state else output

    @property
    def stateful(self):
        return self.forward_layer.stateful

    def state_updates(self, training):
        return (self.forward_layer.state_updates(training) +
                self.backward_layer.state_updates(training))

    def reset_states(self):
        self.forward_layer.reset_states()
        self.backward_layer.reset_states()

    @property
    def inner_layers(self):
        return [self.forward_layer, self.backward_layer]

    def compute_output_shape(self, input_shape):
        x, _, _ = self._split(input_shape)
        shape = self.forward_layer.compute_output_shape(x)
        states = []
        if self.return_state:
            shape, states = shape[0], shape[1:]
        if self.merge_mode == "concat":
            shape = tuple(shape[:-1]) + (2 * shape[-1],)
        outputs = [shape, shape] if self.merge_mode is None else [shape]
        if self.return_state or self.merge_mode is None:
            return outputs + states * 2
        return shape

    def compute_mask(self, inputs, mask=None):
        x, _, _ = self._split(inputs)
        mask = first_mask(mask)
        output_mask = self.forward_layer.compute_mask(x, mask)
        outputs, states = ((output_mask[:1], output_mask[1:])
                           if self.return_state else ([output_mask], []))
        if self.merge_mode is None:
            outputs = outputs * 2
        if self.return_state or self.merge_mode is None:
            return outputs + states * 2
        return output_mask

    def get_config(self):
        config = super(Bidirectional, self).get_config()
        config.update(merge_mode=self.merge_mode)
        if getattr(self.forward_layer, "_num_constants", None):
            config["num_constants"] = self.forward_layer._num_constants
        return config

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        num_constants = config.pop("num_constants", None)
        layer = super(Bidirectional, cls).from_config(config)
        if num_constants:
            layer._set_num_constants(num_constants)
        return layer


class TimeDistributed(Wrapper):
    """Apply ``layer`` to every step of a sequence: input (batch, steps,
    ...), ``layer`` sees (batch * steps, ...) and its output is folded back
    to (batch, steps, ...).  ``layer`` may be any layer, a recurrent one
    included: over a 4-D input (batch, t1, t2, features) an LSTM runs over
    the t2 axis of each of the batch * t1 sub-sequences.  Weights are
    ``layer``'s, shared by all steps.

    Masks as Keras 2: an input mask (batch, steps, ...) reaches ``layer`` as
    (batch * steps, ...); the output mask is ``layer``'s, folded back, or,
    when ``layer`` gives none, the input mask reduced to (batch, steps).
    """

    supports_masking = True
    input_spec = InputSpec(min_ndim=3)

    def __init__(self, layer, **kwargs):
        if getattr(layer, "stateful", False):
            raise ValueError("TimeDistributed cannot wrap the stateful layer "
                             "%r: its states would be carried from step to "
                             "step of the outer sequence" % layer.name)
        super(TimeDistributed, self).__init__(layer, **kwargs)

    def _inner_shape(self, input_shape):
        batch, steps = input_shape[:2]
        merged = batch * steps if None not in (batch, steps) else None
        return (merged,) + tuple(input_shape[2:])

    def build(self, input_shape):
        input_shape = check_rank(self, input_shape, min_ndim=3,
                                 what="inputs (batch, steps, ...)")
        if not self.layer.built:
            self.layer.build(self._inner_shape(input_shape))
        super(TimeDistributed, self).build(input_shape)

    @property
    def weights(self):
        return self.layer.weights

    @property
    def trainable_weights(self):
        return self.layer.trainable_weights if self.trainable else []

    @property
    def non_trainable_weights(self):
        return (self.layer.non_trainable_weights if self.trainable
                else self.layer.weights)

    def state_updates(self, training):
        return self.layer.state_updates(training)

    @staticmethod
    def _fold(x):
        """(batch, steps, ...) -> (batch * steps, ...)"""
        return x.reshape((-1,) + tuple(x.shape[2:]), ndim=x.ndim - 1)

    @staticmethod
    def _unfold(y, like):
        """(batch * steps, ...) -> (batch, steps, ...) with ``like``'s
        first two axes."""
        return y.reshape((like.shape[0], like.shape[1]) + tuple(y.shape[1:]),
                         ndim=y.ndim + 1)

    def call(self, inputs, mask=None, training=False):
        inner_mask = None if mask is None else self._fold(mask)
        output = self.layer.call(self._fold(inputs), mask=inner_mask,
                                 training=training)
        return self._unfold(output, inputs)

    def compute_output_shape(self, input_shape):
        inner = self.layer.compute_output_shape(self._inner_shape(input_shape))
        return tuple(input_shape[:2]) + tuple(inner[1:])

    def compute_mask(self, inputs, mask=None):
        inner_mask = None if mask is None else self._fold(mask)
        output_mask = self.layer.compute_mask(self._fold(inputs), inner_mask)
        if output_mask is not None:
            return self._unfold(output_mask, inputs)
        if mask is None:
            return None
        while mask.ndim > 2:
            mask = T.any(mask, axis=-1)
        return mask
