r"""Gradient-descent optimizers with the update equations of Keras 2.2.4.

An optimizer turns a symbolic scalar loss and a list of shared parameters
into a list of Theano updates ``(shared_variable, new_value_expression)``,
to be handed to ``theano.function(..., updates=...)``::

    opt = Adam(lr=1e-3)
    updates = opt.get_updates(loss, params)
    train = theano.function([x, y], loss, updates=updates)

Notation used in the docstrings below: :math:`g` is the gradient of the loss
for one parameter :math:`p` (after clipping, see
:meth:`Optimizer.get_gradients`), :math:`i` the value of the ``iterations``
counter *before* the step (0 at the first step), :math:`t = i + 1`, and
:math:`\eta` the learning rate ``lr``.  All updates of one step happen
together, so the right-hand sides use the values from before the step.

Hyper-parameters
    ``lr`` and the other continuous hyper-parameters (``momentum``, ``decay``,
    ``rho``, ``beta_1``, ``beta_2``) are Theano shared variables, so they can
    be changed after compilation: ``opt.lr.set_value(1e-4)``.  ``epsilon``,
    ``nesterov``, ``amsgrad`` and ``schedule_decay`` are plain Python values,
    fixed once :meth:`~Optimizer.get_updates` has been called.

Learning-rate decay
    Optimizers taking ``decay`` use the time-based schedule of Keras,
    :math:`\eta_i = \eta / (1 + \text{decay}\cdot i)`.  The factor is always
    part of the graph (with ``decay=0`` it is exactly 1), so a decay set
    after compilation takes effect.

State ("weights")
    Each optimizer owns an int64 ``iterations`` counter, created with the
    optimizer, and *slot* variables (moments, accumulators...), created by
    :meth:`~Optimizer.get_updates` with the shape and dtype of each
    parameter.  :attr:`Optimizer.weights` lists them in a fixed order:
    ``iterations``, then any scalar slots, then each kind of slot for all
    parameters in turn (e.g. Adam: all ``m`` then all ``v``).

Differences from Keras 2.2.4 (none changes the numbers): every optimizer's
``weights`` start with ``iterations`` (RMSprop, Adagrad and Adadelta left it
out); Adam has no placeholder ``vhat`` slots unless ``amsgrad=True``; Nadam's
momentum schedule ``m_schedule`` is part of its weights, so that restoring
them restores its state exactly.
"""
import numpy as np
from .runtime import theano, T

from .fused.adam import adam_update
from .losses import EPSILON, lookup

__all__ = ["Optimizer", "SGD", "RMSprop", "Adagrad", "Adadelta", "Adam",
           "Adamax", "Nadam", "get", "serialize", "deserialize"]

#: Validation rules for hyper-parameters: name -> (test, description).
_RULES = {
    "positive": (lambda v: v > 0, "must be > 0"),
    "non_negative": (lambda v: v >= 0, "must be >= 0"),
    "open_unit": (lambda v: 0 < v < 1, "must be in the open interval (0, 1)"),
    "unit": (lambda v: 0 <= v < 1, "must be in the interval [0, 1)"),
}


def _validated(owner, name, value, rule):
    """Return ``float(value)``, or raise ValueError naming the argument."""
    test, description = _RULES[rule]
    try:
        number = float(value)
    except (TypeError, ValueError):
        number = None
    if number is None or not test(number):
        raise ValueError("%s: argument %s %s, got %r"
                         % (owner, name, description, value))
    return number


class Optimizer(object):
    """Base class of the optimizers.

    Parameters
    ----------
    clipnorm : float, optional
        If given (> 0), all gradients are rescaled together whenever their
        global norm :math:`\\|g\\| = \\sqrt{\\sum_j \\sum g_j^2}` reaches
        ``clipnorm``: :math:`g \\leftarrow g \\cdot \\text{clipnorm} /
        \\|g\\|`.
    clipvalue : float, optional
        If given (> 0), every gradient element is clipped to
        ``[-clipvalue, clipvalue]`` (after ``clipnorm``).
    lr, learning_rate : float
        The learning rate, passed on by the subclasses; ``learning_rate`` is
        the Keras 2.3 spelling and, when given, takes precedence.

    Attributes
    ----------
    iterations : shared int64 scalar
        Number of steps taken (incremented by each update).
    lr : shared floatX scalar
        The learning rate.
    weights : list of shared variables
        ``[iterations] + slots``; empty until :meth:`get_updates` is called.
    updates : list of (shared, expression)
        The updates returned by the last :meth:`get_updates`.

    Subclasses set :attr:`slot_names` (one slot variable per parameter for
    each name), optionally :attr:`scalar_slots` (``(name, initial value)``
    pairs, created as attributes), declare their hyper-parameters with
    :meth:`_hyper` and implement :meth:`_build_updates`.
    """

    #: Kinds of per-parameter slot variables, in :attr:`weights` order.
    slot_names = ()
    #: ``(name, initial_value)`` of scalar slot variables.
    scalar_slots = ()

    def __init__(self, clipnorm=None, clipvalue=None, **kwargs):
        name = type(self).__name__
        lr = kwargs.pop("lr", None)
        lr = kwargs.pop("learning_rate", lr)
        if kwargs:
            raise TypeError("%s got unexpected keyword argument(s): %s"
                            % (name, ", ".join(sorted(kwargs))))
        self._config_names = []
        self.clipnorm = None if clipnorm is None else \
            _validated(name, "clipnorm", clipnorm, "positive")
        self.clipvalue = None if clipvalue is None else \
            _validated(name, "clipvalue", clipvalue, "positive")
        self.iterations = theano.shared(np.int64(0), name="iterations")
        if lr is not None:
            self.lr = self._hyper("lr", lr, "positive", shared=True)
        self.weights = []
        self.slots = {}
        self.updates = []
        self._pending_weights = None

    # -- hyper-parameters -------------------------------------------------

    def _hyper(self, name, value, rule=None, shared=False):
        """Validate and record a hyper-parameter for :meth:`get_config`.

        Parameters
        ----------
        name : str
            Argument name (also the attribute name the caller stores it as).
        value : float or bool
        rule : str, optional
            A key of ``_RULES``; ``None`` for booleans (no check).
        shared : bool
            Return a floatX shared variable rather than the Python value.
        """
        self._config_names.append(name)
        if rule is None:
            return bool(value)
        value = _validated(type(self).__name__, name, value, rule)
        if shared:
            return theano.shared(np.asarray(value, dtype=theano.config.floatX),
                                 name=name)
        return value

    def get_config(self):
        """Return the constructor arguments as a dict of Python values."""
        config = {}
        for name in self._config_names:
            value = getattr(self, name)
            if isinstance(value, theano.compile.SharedVariable):
                # str() of a NumPy scalar is its shortest repr: a float32
                # 0.01 reads back as 0.01, not 0.009999999776482582.
                value = float(str(value.get_value()[()]))
            config[name] = value
        for name in ("clipnorm", "clipvalue"):
            if getattr(self, name) is not None:
                config[name] = getattr(self, name)
        return config

    @classmethod
    def from_config(cls, config):
        """Create an optimizer from :meth:`get_config`'s output."""
        return cls(**config)

    # -- gradients and updates --------------------------------------------

    def get_gradients(self, loss, params):
        """Return the gradients of ``loss`` for ``params``, clipped.

        ``T.grad`` first; then, if ``clipnorm`` is set, every gradient is
        multiplied by ``clipnorm / norm`` when the global norm of all of them
        together is ``>= clipnorm``; then, if ``clipvalue`` is set, each
        element is clipped to ``[-clipvalue, clipvalue]``.
        """
        grads = T.grad(loss, params)
        if self.clipnorm is not None:
            norm = T.sqrt(sum(T.sum(T.sqr(g)) for g in grads))
            scale = T.switch(T.ge(norm, self.clipnorm),
                             self.clipnorm / norm, 1.0)
            grads = [g * T.cast(scale, g.dtype) for g in grads]
        if self.clipvalue is not None:
            grads = [T.clip(g, -self.clipvalue, self.clipvalue)
                     for g in grads]
        return grads

    def get_updates(self, loss, params):
        """Create the slot variables and return the list of updates.

        Parameters
        ----------
        loss : scalar tensor
            The symbolic training loss.
        params : list of shared variables
            The parameters to train.

        Returns
        -------
        list of (shared variable, expression)
            ``iterations += 1`` first, then the slot and parameter updates.
            Each new parameter value goes through ``p.constraint`` if the
            parameter has such an attribute (Keras's weight constraints).
        """
        params = list(params)
        grads = self.get_gradients(loss, params)
        self._create_weights(params)
        self.updates = [(self.iterations, self.iterations + 1)]
        self.updates += self._build_updates(params, grads)
        return self.updates

    def _build_updates(self, params, grads):
        """Return the slot and parameter updates; subclasses implement it."""
        raise NotImplementedError

    def _step_count(self, offset=0):
        """``iterations + offset`` as a floatX scalar."""
        return T.cast(self.iterations, theano.config.floatX) + offset

    def _decayed_lr(self):
        r"""The learning rate :math:`\eta / (1 + \text{decay}\cdot i)`."""
        return self.lr * (1.0 / (1.0 + self.decay * self._step_count()))

    @staticmethod
    def _update(variable, expression):
        """An update pair, its expression cast to the variable's dtype."""
        return variable, T.cast(expression, variable.dtype)

    def _param_update(self, param, new_value):
        """The update of a parameter, through its constraint if it has one."""
        constraint = getattr(param, "constraint", None)
        if constraint is not None:
            new_value = constraint(new_value)
        return self._update(param, new_value)

    # -- state ------------------------------------------------------------

    def _create_weights(self, params):
        """Create the slot variables (zeros) and fill in pending weights."""
        floatx = theano.config.floatX
        scalars = []
        for name, initial in self.scalar_slots:
            variable = theano.shared(np.asarray(initial, dtype=floatx),
                                     name=name)
            setattr(self, name, variable)
            scalars.append(variable)
        self.slots = {}
        for kind in self.slot_names:
            self.slots[kind] = [
                theano.shared(np.zeros(p.get_value(borrow=True).shape,
                                       dtype=p.dtype),
                              name="%s/%s" % (kind, p.name or "param%d" % j))
                for j, p in enumerate(params)]
        self.weights = [self.iterations] + scalars + [
            v for kind in self.slot_names for v in self.slots[kind]]
        self._n_params = len(params)
        if self._pending_weights is not None:
            pending, self._pending_weights = self._pending_weights, None
            self.set_weights(pending)

    def _describe_weights(self):
        """Describe the expected weight list, for error messages."""
        parts = ["iterations"] + [name for name, _ in self.scalar_slots]
        parts += ["%s for each of the %d parameters" % (kind, self._n_params)
                  for kind in self.slot_names]
        return ", then ".join(parts)

    def get_weights(self):
        """Return the values of :attr:`weights` as a list of arrays.

        Before :meth:`get_updates`, this is the list given to a previous
        :meth:`set_weights` (still waiting to be applied), or ``[]``.
        """
        if not self.weights:
            return [np.array(w) for w in self._pending_weights or []]
        return [w.get_value() for w in self.weights]

    def set_weights(self, weights):
        """Set the optimizer state from a list of arrays.

        Called before :meth:`get_updates` (e.g. when a saved model is loaded
        before being compiled), the list is kept and applied, and checked,
        when the slots are created.

        Raises
        ------
        ValueError
            If the number of arrays or a shape does not match
            :attr:`weights`.
        """
        weights = [np.asarray(w) for w in weights]
        if not self.weights:
            self._pending_weights = weights
            return
        owner = type(self).__name__
        if len(weights) != len(self.weights):
            raise ValueError(
                "%s.set_weights: expected %d arrays (%s), got %d"
                % (owner, len(self.weights), self._describe_weights(),
                   len(weights)))
        for index, (variable, value) in enumerate(zip(self.weights, weights)):
            shape = variable.get_value(borrow=True).shape
            if value.shape != shape:
                raise ValueError(
                    "%s.set_weights: weight %d (%s) should have shape %s, "
                    "got %s" % (owner, index, variable.name, shape,
                                value.shape))
        for variable, value in zip(self.weights, weights):
            variable.set_value(value.astype(variable.dtype))


class SGD(Optimizer):
    r"""Stochastic gradient descent with optional (Nesterov) momentum.

    .. math::
        v &\leftarrow \mu\, v - \eta_i\, g \\
        p &\leftarrow p + v
        \quad\text{or, with Nesterov,}\quad
        p \leftarrow p + \mu\, v_{\text{new}} - \eta_i\, g

    with :math:`\mu` = ``momentum`` and :math:`\eta_i` the decayed learning
    rate.  Slots: ``moments`` (:math:`v`, zero at start).

    Parameters
    ----------
    lr : float > 0
    momentum : float >= 0
    decay : float >= 0
    nesterov : bool
    **kwargs
        ``clipnorm``, ``clipvalue``, ``learning_rate`` (see
        :class:`Optimizer`).
    """

    slot_names = ("moments",)

    def __init__(self, lr=0.01, momentum=0., decay=0., nesterov=False,
                 **kwargs):
        super(SGD, self).__init__(lr=lr, **kwargs)
        self.momentum = self._hyper("momentum", momentum, "non_negative",
                                    shared=True)
        self.decay = self._hyper("decay", decay, "non_negative", shared=True)
        self.nesterov = self._hyper("nesterov", nesterov)

    def _build_updates(self, params, grads):
        lr = self._decayed_lr()
        updates = []
        for p, g, v in zip(params, grads, self.slots["moments"]):
            v_new = self.momentum * v - lr * g
            if self.nesterov:
                p_new = p + self.momentum * v_new - lr * g
            else:
                p_new = p + v_new
            updates += [self._update(v, v_new), self._param_update(p, p_new)]
        return updates


class RMSprop(Optimizer):
    r"""RMSprop (Tieleman & Hinton, 2012).

    .. math::
        a &\leftarrow \rho\, a + (1 - \rho)\, g^2 \\
        p &\leftarrow p - \eta_i\, g / (\sqrt{a_{\text{new}}} + \epsilon)

    Slots: ``accumulators`` (:math:`a`).

    Parameters
    ----------
    lr : float > 0
    rho : float in (0, 1)
    epsilon : float >= 0, default 1e-7
    decay : float >= 0
    """

    slot_names = ("accumulators",)

    def __init__(self, lr=0.001, rho=0.9, epsilon=None, decay=0., **kwargs):
        super(RMSprop, self).__init__(lr=lr, **kwargs)
        self.rho = self._hyper("rho", rho, "open_unit", shared=True)
        self.decay = self._hyper("decay", decay, "non_negative", shared=True)
        self.epsilon = self._hyper(
            "epsilon", EPSILON if epsilon is None else epsilon, "non_negative")

    def _build_updates(self, params, grads):
        lr = self._decayed_lr()
        updates = []
        for p, g, a in zip(params, grads, self.slots["accumulators"]):
            a_new = self.rho * a + (1.0 - self.rho) * T.sqr(g)
            p_new = p - lr * g / (T.sqrt(a_new) + self.epsilon)
            updates += [self._update(a, a_new), self._param_update(p, p_new)]
        return updates


class Adagrad(Optimizer):
    r"""Adagrad (Duchi et al., 2011).

    .. math::
        a &\leftarrow a + g^2 \\
        p &\leftarrow p - \eta_i\, g / (\sqrt{a_{\text{new}}} + \epsilon)

    Slots: ``accumulators`` (:math:`a`).

    Parameters
    ----------
    lr : float > 0
    epsilon : float >= 0, default 1e-7
    decay : float >= 0
    """

    slot_names = ("accumulators",)

    def __init__(self, lr=0.01, epsilon=None, decay=0., **kwargs):
        super(Adagrad, self).__init__(lr=lr, **kwargs)
        self.decay = self._hyper("decay", decay, "non_negative", shared=True)
        self.epsilon = self._hyper(
            "epsilon", EPSILON if epsilon is None else epsilon, "non_negative")

    def _build_updates(self, params, grads):
        lr = self._decayed_lr()
        updates = []
        for p, g, a in zip(params, grads, self.slots["accumulators"]):
            a_new = a + T.sqr(g)
            p_new = p - lr * g / (T.sqrt(a_new) + self.epsilon)
            updates += [self._update(a, a_new), self._param_update(p, p_new)]
        return updates


class Adadelta(Optimizer):
    r"""Adadelta (Zeiler, 2012).

    .. math::
        a &\leftarrow \rho\, a + (1 - \rho)\, g^2 \\
        \Delta &= g\, \sqrt{d + \epsilon}
                  \,/\, \sqrt{a_{\text{new}} + \epsilon} \\
        p &\leftarrow p - \eta_i\, \Delta \\
        d &\leftarrow \rho\, d + (1 - \rho)\, \Delta^2

    Slots: ``accumulators`` (:math:`a`), then ``delta_accumulators``
    (:math:`d`).

    Parameters
    ----------
    lr : float > 0
    rho : float in (0, 1)
    epsilon : float >= 0, default 1e-7
    decay : float >= 0
    """

    slot_names = ("accumulators", "delta_accumulators")

    def __init__(self, lr=1.0, rho=0.95, epsilon=None, decay=0., **kwargs):
        super(Adadelta, self).__init__(lr=lr, **kwargs)
        self.rho = self._hyper("rho", rho, "open_unit", shared=True)
        self.decay = self._hyper("decay", decay, "non_negative", shared=True)
        self.epsilon = self._hyper(
            "epsilon", EPSILON if epsilon is None else epsilon, "non_negative")

    def _build_updates(self, params, grads):
        lr = self._decayed_lr()
        updates = []
        for p, g, a, d in zip(params, grads, self.slots["accumulators"],
                              self.slots["delta_accumulators"]):
            a_new = self.rho * a + (1.0 - self.rho) * T.sqr(g)
            delta = g * T.sqrt(d + self.epsilon) / T.sqrt(a_new + self.epsilon)
            d_new = self.rho * d + (1.0 - self.rho) * T.sqr(delta)
            updates += [self._update(a, a_new),
                        self._param_update(p, p - lr * delta),
                        self._update(d, d_new)]
        return updates


class Adam(Optimizer):
    r"""Adam (Kingma & Ba, 2014), with the AMSGrad variant.

    .. math::
        \hat\eta &= \eta_i\, \sqrt{1 - \beta_2^t} \,/\, (1 - \beta_1^t) \\
        m &\leftarrow \beta_1 m + (1 - \beta_1)\, g \\
        v &\leftarrow \beta_2 v + (1 - \beta_2)\, g^2 \\
        p &\leftarrow p - \hat\eta\, m_{\text{new}} /
              (\sqrt{v_{\text{new}}} + \epsilon)

    With ``amsgrad=True``, :math:`\hat v \leftarrow \max(\hat v,
    v_{\text{new}})` and :math:`\hat v_{\text{new}}` replaces
    :math:`v_{\text{new}}` in the parameter update.

    Without AMSGrad, the three updates of a float32/float64 parameter are
    computed by one op, :class:`theano_rnn.fused.adam.AdamUpdate`: one pass
    over the elements, in place, where Theano's ``Elemwise`` loops would
    read :math:`g, m, v` again for each updated variable (and compile a C
    module per number of dimensions); same equations, same results to
    rounding.

    Slots: ``ms``, ``vs``, then (AMSGrad only) ``vhats``.

    Parameters
    ----------
    lr : float > 0
    beta_1, beta_2 : float in [0, 1)
    epsilon : float >= 0, default 1e-7
    decay : float >= 0
    amsgrad : bool
    """

    def __init__(self, lr=0.001, beta_1=0.9, beta_2=0.999, epsilon=None,
                 decay=0., amsgrad=False, **kwargs):
        super(Adam, self).__init__(lr=lr, **kwargs)
        self.beta_1 = self._hyper("beta_1", beta_1, "unit", shared=True)
        self.beta_2 = self._hyper("beta_2", beta_2, "unit", shared=True)
        self.decay = self._hyper("decay", decay, "non_negative", shared=True)
        self.epsilon = self._hyper(
            "epsilon", EPSILON if epsilon is None else epsilon, "non_negative")
        self.amsgrad = self._hyper("amsgrad", amsgrad)
        self.slot_names = ("ms", "vs") + (("vhats",) if self.amsgrad else ())

    def _build_updates(self, params, grads):
        t = self._step_count(1)
        lr_t = self._decayed_lr() * (T.sqrt(1.0 - self.beta_2 ** t)
                                     / (1.0 - self.beta_1 ** t))
        vhats = self.slots.get("vhats", [None] * len(params))
        updates = []
        for p, g, m, v, vhat in zip(params, grads, self.slots["ms"],
                                    self.slots["vs"], vhats):
            fused = None if self.amsgrad else adam_update(
                p, g, m, v, lr_t, self.beta_1, self.beta_2, self.epsilon)
            if fused is not None:
                p_new, m_new, v_new = fused
                updates += [self._update(m, m_new), self._update(v, v_new),
                            self._param_update(p, p_new)]
                continue
            m_new = self.beta_1 * m + (1.0 - self.beta_1) * g
            v_new = self.beta_2 * v + (1.0 - self.beta_2) * T.sqr(g)
            updates += [self._update(m, m_new), self._update(v, v_new)]
            if self.amsgrad:
                v_new = T.maximum(vhat, v_new)
                updates.append(self._update(vhat, v_new))
            p_new = p - lr_t * m_new / (T.sqrt(v_new) + self.epsilon)
            updates.append(self._param_update(p, p_new))
        return updates


class Adamax(Optimizer):
    r"""Adamax, the infinity-norm variant of Adam (Kingma & Ba, 2014).

    .. math::
        \hat\eta &= \eta_i \,/\, (1 - \beta_1^t) \\
        m &\leftarrow \beta_1 m + (1 - \beta_1)\, g \\
        u &\leftarrow \max(\beta_2 u, |g|) \\
        p &\leftarrow p - \hat\eta\, m_{\text{new}}
              / (u_{\text{new}} + \epsilon)

    Slots: ``ms``, then ``us``.

    Parameters
    ----------
    lr : float > 0
    beta_1, beta_2 : float in [0, 1)
    epsilon : float >= 0, default 1e-7
    decay : float >= 0
    """

    slot_names = ("ms", "us")

    def __init__(self, lr=0.002, beta_1=0.9, beta_2=0.999, epsilon=None,
                 decay=0., **kwargs):
        super(Adamax, self).__init__(lr=lr, **kwargs)
        self.beta_1 = self._hyper("beta_1", beta_1, "unit", shared=True)
        self.beta_2 = self._hyper("beta_2", beta_2, "unit", shared=True)
        self.decay = self._hyper("decay", decay, "non_negative", shared=True)
        self.epsilon = self._hyper(
            "epsilon", EPSILON if epsilon is None else epsilon, "non_negative")

    def _build_updates(self, params, grads):
        t = self._step_count(1)
        lr_t = self._decayed_lr() / (1.0 - self.beta_1 ** t)
        updates = []
        for p, g, m, u in zip(params, grads, self.slots["ms"],
                              self.slots["us"]):
            m_new = self.beta_1 * m + (1.0 - self.beta_1) * g
            u_new = T.maximum(self.beta_2 * u, abs(g))
            p_new = p - lr_t * m_new / (u_new + self.epsilon)
            updates += [self._update(m, m_new), self._update(u, u_new),
                        self._param_update(p, p_new)]
        return updates


class Nadam(Optimizer):
    r"""Nesterov Adam (Dozat, 2015), as written in Keras 2.2.4.

    With the momentum schedule
    :math:`\mu_t = \beta_1 (1 - \tfrac12\, 0.96^{\,t \cdot \delta})`,
    :math:`\delta` = ``schedule_decay``,
    and the running product :math:`S` (``m_schedule``, 1 at start):

    .. math::
        S_{\text{new}} &= S\, \mu_t, \qquad
        S_{\text{next}} = S\, \mu_t\, \mu_{t+1} \\
        m &\leftarrow \beta_1 m + (1 - \beta_1)\, g \\
        v &\leftarrow \beta_2 v + (1 - \beta_2)\, g^2 \\
        \bar m &= (1 - \mu_t)\, \frac{g}{1 - S_{\text{new}}}
                 + \mu_{t+1}\, \frac{m_{\text{new}}}{1 - S_{\text{next}}} \\
        p &\leftarrow p - \eta\, \bar m \Big/
              \Big(\sqrt{v_{\text{new}} / (1 - \beta_2^t)} + \epsilon\Big)

    and :math:`S \leftarrow S_{\text{new}}`.  No learning-rate decay.

    Weights: ``iterations``, ``m_schedule``, then slots ``ms``, ``vs``.

    Parameters
    ----------
    lr : float > 0
    beta_1, beta_2 : float in [0, 1)
    epsilon : float >= 0, default 1e-7
    schedule_decay : float >= 0
    """

    slot_names = ("ms", "vs")
    scalar_slots = (("m_schedule", 1.0),)

    def __init__(self, lr=0.002, beta_1=0.9, beta_2=0.999, epsilon=None,
                 schedule_decay=0.004, **kwargs):
        super(Nadam, self).__init__(lr=lr, **kwargs)
        self.beta_1 = self._hyper("beta_1", beta_1, "unit", shared=True)
        self.beta_2 = self._hyper("beta_2", beta_2, "unit", shared=True)
        self.epsilon = self._hyper(
            "epsilon", EPSILON if epsilon is None else epsilon, "non_negative")
        self.schedule_decay = self._hyper("schedule_decay", schedule_decay,
                                          "non_negative")

    def _momentum_cache(self, t):
        """The momentum schedule :math:`\\mu_t`."""
        return self.beta_1 * (1.0 - 0.5 * 0.96 ** (t * self.schedule_decay))

    def _build_updates(self, params, grads):
        t = self._step_count(1)
        mu_t = self._momentum_cache(t)
        mu_next = self._momentum_cache(t + 1)
        schedule_new = self.m_schedule * mu_t
        schedule_next = self.m_schedule * mu_t * mu_next
        updates = [self._update(self.m_schedule, schedule_new)]
        for p, g, m, v in zip(params, grads, self.slots["ms"],
                              self.slots["vs"]):
            m_new = self.beta_1 * m + (1.0 - self.beta_1) * g
            v_new = self.beta_2 * v + (1.0 - self.beta_2) * T.sqr(g)
            g_prime = g / (1.0 - schedule_new)
            m_prime = m_new / (1.0 - schedule_next)
            v_prime = v_new / (1.0 - self.beta_2 ** t)
            m_bar = (1.0 - mu_t) * g_prime + mu_next * m_prime
            p_new = p - self.lr * m_bar / (T.sqrt(v_prime) + self.epsilon)
            updates += [self._update(m, m_new), self._update(v, v_new),
                        self._param_update(p, p_new)]
        return updates


#: Lower-case name -> optimizer class, for :func:`get`.
OPTIMIZERS = {cls.__name__.lower(): cls
              for cls in (SGD, RMSprop, Adagrad, Adadelta, Adam, Adamax,
                          Nadam)}


def serialize(optimizer):
    """Return ``{'class_name': ..., 'config': ...}`` for an optimizer."""
    return {"class_name": type(optimizer).__name__,
            "config": optimizer.get_config()}


def deserialize(config):
    """Create an optimizer from :func:`serialize`'s output."""
    cls = lookup(OPTIMIZERS, str(config["class_name"]).lower(), "optimizer")
    return cls.from_config(config.get("config", {}))


# Keras's lower-case names of the classes (keras.optimizers.rmsprop, ...)
sgd, rmsprop, adagrad, adadelta, adam, adamax, nadam = (
    SGD, RMSprop, Adagrad, Adadelta, Adam, Adamax, Nadam)


def get(identifier):
    """Return an optimizer instance.

    Parameters
    ----------
    identifier : str, dict or Optimizer
        A name (``'sgd'``, ``'rmsprop'``, ``'adagrad'``, ``'adadelta'``,
        ``'adam'``, ``'adamax'``, ``'nadam'``; case-insensitive) for an
        optimizer with default arguments, a dict from :func:`serialize`, or
        an optimizer, returned as it is.

    Raises
    ------
    ValueError
        For an unknown name or an identifier of another type.
    """
    if isinstance(identifier, Optimizer):
        return identifier
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if isinstance(identifier, str):
        return lookup(OPTIMIZERS, identifier.lower(), "optimizer")()
    raise ValueError("Could not interpret optimizer identifier: %r"
                     % (identifier,))
