"""Batch normalisation (Ioffe & Szegedy, 2015), as Keras 2.3.1 computes it.

For features along ``axis`` and statistics over every other axis::

    training:   y = gamma * (x - mean_B) / sqrt(var_B + epsilon) + beta
                moving_mean     <- momentum * moving_mean
                                   + (1 - momentum) * mean_B
                moving_variance <- momentum * moving_variance
                                   + (1 - momentum) * var_B * n / (n - 1 + eps)
    inference:  y = gamma * (x - moving_mean) / sqrt(moving_variance
                                                     + epsilon) + beta

``mean_B``/``var_B`` are the batch's mean and (biased) variance over the
``n`` values of each feature; the moving variance receives Keras's
near-unbiased correction ``n / (n - (1 - epsilon))``.  The moving updates are
:meth:`BatchNormalization.state_updates` of the training graph, which the
compiled training function applies.
"""
from ..runtime import T

from .. import initializers, legacy
from .base import Layer
from .shapes import check_rank, refuse_penalties, shape_str


class BatchNormalization(Layer):
    """Normalise ``axis`` (default: the features, the last axis).

    Parameters
    ----------
    axis : int
    momentum : float
    epsilon : float
    center, scale : bool
        Learn ``beta`` / ``gamma`` (otherwise 0 / 1, no weight).
    beta_initializer, gamma_initializer, moving_mean_initializer,
    moving_variance_initializer : initialiser names or callables.

    Weights, in Keras's order: ``gamma``, ``beta`` (trainable; each only if
    enabled), ``moving_mean``, ``moving_variance`` (non-trainable), each of
    shape (features,).  The mask passes through (and does not enter the
    statistics, as in Keras).
    """

    supports_masking = True

    @legacy.batchnorm_support
    def __init__(self, axis=-1, momentum=0.99, epsilon=1e-3, center=True,
                 scale=True, beta_initializer="zeros",
                 gamma_initializer="ones", moving_mean_initializer="zeros",
                 moving_variance_initializer="ones", **kwargs):
        refuse_penalties(self, kwargs, ("beta_regularizer",
                                        "gamma_regularizer",
                                        "beta_constraint",
                                        "gamma_constraint"))
        super(BatchNormalization, self).__init__(**kwargs)
        if isinstance(axis, bool) or not isinstance(axis, int):
            raise ValueError("axis must be an integer, got %r" % (axis,))
        self.axis = axis
        self.momentum = float(momentum)
        self.epsilon = float(epsilon)
        if not 0.0 <= self.momentum <= 1.0 or self.epsilon <= 0:
            raise ValueError("momentum must be in [0, 1] and epsilon > 0, got "
                             "momentum=%r, epsilon=%r" % (momentum, epsilon))
        self.center = bool(center)
        self.scale = bool(scale)
        self.initializers = {
            name: initializers.get(value, name) for name, value in (
                ("beta_initializer", beta_initializer),
                ("gamma_initializer", gamma_initializer),
                ("moving_mean_initializer", moving_mean_initializer),
                ("moving_variance_initializer", moving_variance_initializer))}
        self.gamma = self.beta = None
        self.moving_mean = self.moving_variance = None
        self._updates = []

    def build(self, input_shape):
        input_shape = check_rank(self, input_shape, min_ndim=2)
        if not -len(input_shape) < self.axis < len(input_shape) or \
                self.axis % len(input_shape) == 0:
            raise ValueError("layer %r: axis=%d is not a feature axis of "
                             "inputs of shape %s" % (self.name, self.axis,
                                                     shape_str(input_shape)))
        size = input_shape[self.axis]
        if size is None:
            raise ValueError("layer %r: axis %d of its input must have a "
                             "known size, got shape %s"
                             % (self.name, self.axis, shape_str(input_shape)))
        init = self.initializers
        if self.scale:
            self.gamma = self.add_weight(init["gamma_initializer"]((size,)),
                                         "gamma")
        if self.center:
            self.beta = self.add_weight(init["beta_initializer"]((size,)),
                                        "beta")
        self.moving_mean = self.add_weight(
            init["moving_mean_initializer"]((size,)), "moving_mean")
        self.moving_variance = self.add_weight(
            init["moving_variance_initializer"]((size,)), "moving_variance")
        super(BatchNormalization, self).build(input_shape)

    @property
    def weights(self):
        """``gamma, beta, moving_mean, moving_variance`` (Keras's order)."""
        if not self.built:
            return []
        return [w for w in (self.gamma, self.beta, self.moving_mean,
                            self.moving_variance) if w is not None]

    @property
    def trainable_weights(self):
        if not self.built or not self.trainable:
            return []
        return [w for w in (self.gamma, self.beta) if w is not None]

    @property
    def non_trainable_weights(self):
        if not self.built:
            return []
        frozen = ([] if self.trainable else
                  [w for w in (self.gamma, self.beta) if w is not None])
        return frozen + [self.moving_mean, self.moving_variance]

    def _broadcast(self, vector, ndim):
        axis = self.axis % ndim
        return vector.dimshuffle(["x" if a != axis else 0
                                  for a in range(ndim)])

    def call(self, inputs, mask=None, training=False):
        ndim = inputs.ndim
        axis = self.axis % ndim
        reduction = [a for a in range(ndim) if a != axis]
        if training:
            mean = inputs.mean(axis=reduction)
            variance = T.sqr(inputs - self._broadcast(mean, ndim)).mean(
                axis=reduction)
            n = T.cast(T.prod([inputs.shape[a] for a in reduction]),
                       inputs.dtype)
            corrected = variance * n / (n - (1.0 - self.epsilon))
            m = self.momentum
            self._updates = [
                (self.moving_mean, T.cast(
                    self.moving_mean * m + mean * (1 - m),
                    self.moving_mean.dtype)),
                (self.moving_variance, T.cast(
                    self.moving_variance * m + corrected * (1 - m),
                    self.moving_variance.dtype))]
        else:
            mean, variance = self.moving_mean, self.moving_variance
        out = (inputs - self._broadcast(mean, ndim)) / T.sqrt(
            self._broadcast(variance, ndim) + self.epsilon)
        if self.scale:
            out = out * self._broadcast(self.gamma, ndim)
        if self.center:
            out = out + self._broadcast(self.beta, ndim)
        return T.cast(out, inputs.dtype) if out.dtype != inputs.dtype else out

    def state_updates(self, training):
        """The moving mean and variance updates of the training graph (none
        in the inference graph); valid once :meth:`call` built it."""
        return list(self._updates) if training else []

    def get_config(self):
        config = super(BatchNormalization, self).get_config()
        config.update(axis=self.axis, momentum=self.momentum,
                      epsilon=self.epsilon, center=self.center,
                      scale=self.scale,
                      **{name: initializers.serialize(value)
                         for name, value in self.initializers.items()})
        return config


