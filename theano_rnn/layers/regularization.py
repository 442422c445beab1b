"""Regularisers and constraints of a layer's weights, as the layer protocol's
``losses`` and ``constraints``.

:class:`Regularized` is mixed into the layers that take Keras's
``<weight>_regularizer``, ``<weight>_constraint`` and
``activity_regularizer`` arguments (Dense, Embedding, the recurrent layers).
A layer lists its weights in ``regularized_weights``: attribute names
(``('kernel', 'bias')``), or ``(argument prefix, attribute)`` pairs where
they differ (``('recurrent', 'recurrent_kernel')``); the mixin reads
``kwargs['<prefix>_regularizer']`` and ``kwargs['<prefix>_constraint']`` in
:meth:`_init_regularization`, and then

* ``layer.losses`` is ``[regularizer(weight) ...] + [activity penalty]``,
  scalar Theano expressions the model adds to the training loss; the
  activity penalty is ``activity_regularizer(output)`` of the last training
  graph :meth:`call` built (the layer calls :meth:`_record_activity`);
* ``layer.constraints`` is ``{weight: constraint}``; each constraint is also
  set as its weight's ``constraint`` attribute when the layer is built,
  which :mod:`theano_rnn.optimizers` applies to the new value after every
  update.
"""
from .. import constraints as constraints_module
from .. import regularizers


class Regularized(object):
    """Mixin: ``losses`` and ``constraints`` from the layer's arguments."""

    #: The weights that take a regulariser and a constraint: attribute
    #: names or ``(argument prefix, attribute)`` pairs.
    regularized_weights = ()

    @classmethod
    def _regularized(cls):
        """``(argument prefix, weight attribute)`` pairs."""
        return [(w, w) if isinstance(w, str) else tuple(w)
                for w in cls.regularized_weights]

    def _init_regularization(self, kwargs):
        """Pop this layer's regulariser and constraint arguments from
        ``kwargs`` (the rest goes on to the base class)."""
        owner = type(self).__name__
        self.regularizers = {}
        self.weight_constraints = {}
        for prefix, weight in self._regularized():
            argument = prefix + "_regularizer"
            self.regularizers[weight] = regularizers.get(
                kwargs.pop(argument, None), "%s: %s" % (owner, argument))
            argument = prefix + "_constraint"
            self.weight_constraints[weight] = constraints_module.get(
                kwargs.pop(argument, None), "%s: %s" % (owner, argument))
        self.activity_regularizer = regularizers.get(
            kwargs.pop("activity_regularizer", None),
            "%s: activity_regularizer" % owner)
        self._activity_penalty = None
        return kwargs

    def _weight(self, name):
        weight = getattr(self, name, None)
        if weight is None and hasattr(self, "cell"):
            weight = getattr(self.cell, name, None)
        return weight

    def _attach_constraints(self):
        """Give the built weights their constraints (call from ``build``)."""
        return constraints_module.attach(
            (self._weight(name), constraint)
            for name, constraint in self.weight_constraints.items())

    def _record_activity(self, output, training):
        """Remember the activity penalty of the training graph's output."""
        if self.activity_regularizer is not None and training:
            self._activity_penalty = self.activity_regularizer(output)
        return output

    @property
    def losses(self):
        if not self.built:
            return []
        found = regularizers.penalties(
            (regularizer, self._weight(name))
            for name, regularizer in self.regularizers.items())
        if self._activity_penalty is not None:
            found.append(self._activity_penalty)
        return found + self.added_losses()      # Keras's add_loss

    @property
    def constraints(self):
        if not self.built:
            return {}
        return {self._weight(name): constraint
                for name, constraint in self.weight_constraints.items()
                if constraint is not None and self._weight(name) is not None}

    def regularization_config(self):
        """The arguments for ``get_config``."""
        config = {"activity_regularizer": regularizers.serialize(
            self.activity_regularizer)}
        for prefix, weight in self._regularized():
            config[prefix + "_regularizer"] = regularizers.serialize(
                self.regularizers[weight])
            config[prefix + "_constraint"] = constraints_module.serialize(
                self.weight_constraints[weight])
        return config
