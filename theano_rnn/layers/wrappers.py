"""Bidirectional: a recurrent layer run forwards and backwards."""
import theano.tensor as T

from .base import Layer

_MERGE_MODES = ("concat", "sum", "mul", "ave")


class Bidirectional(Layer):
    """Run ``layer`` over the sequence forwards and a copy of it backwards,
    then merge the two outputs (Schuster & Paliwal, 1997).

    The backward copy is built from ``layer.get_config()`` with
    ``go_backwards`` flipped; its sequence output is reversed back so that
    step ``t`` of both halves refers to the same input step.  Weights: the
    forward layer's, then the backward layer's.

    Parameters
    ----------
    layer : RNN
    merge_mode : {'concat', 'sum', 'mul', 'ave'}
    """

    supports_masking = True

    def __init__(self, layer, merge_mode="concat", **kwargs):
        if merge_mode not in _MERGE_MODES:
            raise ValueError("merge_mode must be one of %s, got %r"
                             % (", ".join(_MERGE_MODES), merge_mode))
        if getattr(layer, "return_state", False):
            raise ValueError("Bidirectional does not support layers with "
                             "return_state=True")
        kwargs.setdefault("batch_input_shape", layer.batch_input_shape)
        super(Bidirectional, self).__init__(**kwargs)
        config = layer.get_config()
        config.pop("batch_input_shape", None)
        self.forward_layer = layer
        self.backward_layer = type(layer).from_config(dict(
            config, name="backward_" + config["name"],
            go_backwards=not config["go_backwards"]))
        self.merge_mode = merge_mode

    def build(self, input_shape):
        self.forward_layer.build(input_shape)
        self.backward_layer.build(input_shape)
        super(Bidirectional, self).build(input_shape)

    @property
    def weights(self):
        return self.forward_layer.weights + self.backward_layer.weights

    def call(self, inputs, mask=None, training=False):
        forward = self.forward_layer.call(inputs, mask, training)
        backward = self.backward_layer.call(inputs, mask, training)
        if self.forward_layer.return_sequences:
            backward = backward[:, ::-1]          # back to input order
        if self.merge_mode == "concat":
            return T.concatenate([forward, backward], axis=-1)
        if self.merge_mode == "sum":
            return forward + backward
        if self.merge_mode == "mul":
            return forward * backward
        return (forward + backward) / 2

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
    def losses(self):
        """Both directions' penalties (weight and activity regularisers)."""
        return (getattr(self.forward_layer, "losses", []) +
                getattr(self.backward_layer, "losses", []))

    @property
    def constraints(self):
        """Both directions' weight constraints."""
        found = dict(getattr(self.forward_layer, "constraints", {}))
        found.update(getattr(self.backward_layer, "constraints", {}))
        return found

    def compute_output_shape(self, input_shape):
        shape = self.forward_layer.compute_output_shape(input_shape)
        if self.merge_mode == "concat":
            return tuple(shape[:-1]) + (2 * shape[-1],)
        return shape

    def compute_mask(self, inputs, mask=None):
        return self.forward_layer.compute_mask(inputs, mask)

    def get_config(self):
        config = super(Bidirectional, self).get_config()
        config.update(merge_mode=self.merge_mode,
                      layer={"class_name": type(self.forward_layer).__name__,
                             "config": self.forward_layer.get_config()})
        return config

    @classmethod
    def from_config(cls, config):
        from . import deserialize
        config = dict(config)
        layer = deserialize(config.pop("layer"))
        return cls(layer, **config)
