"""Optimizers against the Keras 2.2.4 update equations written out in NumPy.

The problem: least squares ``0.5 * sum((X W + b - Y) ** 2)`` over two shared
parameters, a matrix ``W`` and a vector ``b``, run for a few steps in float64
by the optimizer under test and by the NumPy reference, which gets the
gradients from the closed form ``dW = X^T r``, ``db = sum(r)``.
"""
import numpy as np
import pytest

from theano_rnn.runtime import theano, T

from theano_rnn import optimizers
from theano_rnn.optimizers import (SGD, RMSprop, Adagrad, Adadelta, Adam,
                                   Adamax, Nadam)

N_STEPS = 4
_rng = np.random.RandomState(42)
X = _rng.randn(5, 3)
Y = _rng.randn(5, 2)
W0 = _rng.randn(3, 2)
B0 = _rng.randn(2)


# -- NumPy references (Keras 2.2.4 equations, Keras default arguments) -------
# Each step function takes the parameter and gradient lists, a state dict
# (empty at first), the iteration count i (0 at the first step) and the
# hyper-parameters, and returns the new parameters.

def _slot(state, name, params):
    """Zeros like each parameter, kept in ``state[name]``."""
    return state.setdefault(name, [np.zeros_like(p) for p in params])


def np_sgd(params, grads, state, i, lr=0.01, momentum=0., decay=0.,
           nesterov=False):
    lr = lr / (1. + decay * i)
    moments = _slot(state, "moments", params)
    new = []
    for k, (p, g) in enumerate(zip(params, grads)):
        moments[k] = momentum * moments[k] - lr * g
        if nesterov:
            new.append(p + momentum * moments[k] - lr * g)
        else:
            new.append(p + moments[k])
    return new


def np_rmsprop(params, grads, state, i, lr=0.001, rho=0.9, epsilon=1e-7,
               decay=0.):
    lr = lr / (1. + decay * i)
    acc = _slot(state, "acc", params)
    new = []
    for k, (p, g) in enumerate(zip(params, grads)):
        acc[k] = rho * acc[k] + (1 - rho) * g ** 2
        new.append(p - lr * g / (np.sqrt(acc[k]) + epsilon))
    return new


def np_adagrad(params, grads, state, i, lr=0.01, epsilon=1e-7, decay=0.):
    lr = lr / (1. + decay * i)
    acc = _slot(state, "acc", params)
    new = []
    for k, (p, g) in enumerate(zip(params, grads)):
        acc[k] = acc[k] + g ** 2
        new.append(p - lr * g / (np.sqrt(acc[k]) + epsilon))
    return new


def np_adadelta(params, grads, state, i, lr=1.0, rho=0.95, epsilon=1e-7,
                decay=0.):
    lr = lr / (1. + decay * i)
    acc = _slot(state, "acc", params)
    delta_acc = _slot(state, "delta_acc", params)
    new = []
    for k, (p, g) in enumerate(zip(params, grads)):
        acc[k] = rho * acc[k] + (1 - rho) * g ** 2
        update = (g * np.sqrt(delta_acc[k] + epsilon)
                  / np.sqrt(acc[k] + epsilon))
        new.append(p - lr * update)
        delta_acc[k] = rho * delta_acc[k] + (1 - rho) * update ** 2
    return new


def np_adam(params, grads, state, i, lr=0.001, beta_1=0.9, beta_2=0.999,
            epsilon=1e-7, decay=0., amsgrad=False):
    lr = lr / (1. + decay * i)
    t = i + 1
    lr_t = lr * np.sqrt(1 - beta_2 ** t) / (1 - beta_1 ** t)
    m = _slot(state, "m", params)
    v = _slot(state, "v", params)
    vhat = _slot(state, "vhat", params)
    new = []
    for k, (p, g) in enumerate(zip(params, grads)):
        m[k] = beta_1 * m[k] + (1 - beta_1) * g
        v[k] = beta_2 * v[k] + (1 - beta_2) * g ** 2
        denominator = v[k]
        if amsgrad:
            vhat[k] = np.maximum(vhat[k], v[k])
            denominator = vhat[k]
        new.append(p - lr_t * m[k] / (np.sqrt(denominator) + epsilon))
    return new


def np_adamax(params, grads, state, i, lr=0.002, beta_1=0.9, beta_2=0.999,
              epsilon=1e-7, decay=0.):
    lr = lr / (1. + decay * i)
    lr_t = lr / (1 - beta_1 ** (i + 1))
    m = _slot(state, "m", params)
    u = _slot(state, "u", params)
    new = []
    for k, (p, g) in enumerate(zip(params, grads)):
        m[k] = beta_1 * m[k] + (1 - beta_1) * g
        u[k] = np.maximum(beta_2 * u[k], np.abs(g))
        new.append(p - lr_t * m[k] / (u[k] + epsilon))
    return new


def np_nadam(params, grads, state, i, lr=0.002, beta_1=0.9, beta_2=0.999,
             epsilon=1e-7, schedule_decay=0.004):
    t = i + 1
    mu_t = beta_1 * (1 - 0.5 * 0.96 ** (t * schedule_decay))
    mu_next = beta_1 * (1 - 0.5 * 0.96 ** ((t + 1) * schedule_decay))
    schedule = state.get("schedule", 1.0) * mu_t
    schedule_next = schedule * mu_next
    state["schedule"] = schedule
    m = _slot(state, "m", params)
    v = _slot(state, "v", params)
    new = []
    for k, (p, g) in enumerate(zip(params, grads)):
        m[k] = beta_1 * m[k] + (1 - beta_1) * g
        v[k] = beta_2 * v[k] + (1 - beta_2) * g ** 2
        m_bar = ((1 - mu_t) * g / (1 - schedule)
                 + mu_next * m[k] / (1 - schedule_next))
        v_hat = v[k] / (1 - beta_2 ** t)
        new.append(p - lr * m_bar / (np.sqrt(v_hat) + epsilon))
    return new


def np_gradients(params, clipnorm=None, clipvalue=None):
    """Closed-form gradients of the least-squares loss, clipped as Keras."""
    W, b = params
    residual = X.dot(W) + b - Y
    grads = [X.T.dot(residual), residual.sum(axis=0)]
    if clipnorm is not None:
        norm = np.sqrt(sum(np.sum(g ** 2) for g in grads))
        if norm >= clipnorm:
            grads = [g * clipnorm / norm for g in grads]
    if clipvalue is not None:
        grads = [np.clip(g, -clipvalue, clipvalue) for g in grads]
    return grads


def numpy_run(step, kwargs, n_steps=N_STEPS):
    kwargs = dict(kwargs)
    clipping = {k: kwargs.pop(k) for k in ("clipnorm", "clipvalue")
                if k in kwargs}
    params, state = [W0.copy(), B0.copy()], {}
    for i in range(n_steps):
        params = step(params, np_gradients(params, **clipping), state, i,
                      **kwargs)
    return params


# -- the optimizers under test ------------------------------------------------

def build(optimizer):
    """Shared W, b and a compiled training step using ``optimizer``."""
    W = theano.shared(W0.copy(), name="W")
    b = theano.shared(B0.copy(), name="b")
    loss = 0.5 * T.sum(T.sqr(T.dot(X, W) + b - Y))
    step = theano.function([], loss,
                           updates=optimizer.get_updates(loss, [W, b]))
    return step, W, b


def theano_run(optimizer, n_steps=N_STEPS):
    step, W, b = build(optimizer)
    for _ in range(n_steps):
        step()
    return [W.get_value(), b.get_value()]


VARIANTS = {
    "sgd": (SGD, np_sgd, {}),
    "sgd-momentum": (SGD, np_sgd, {"lr": 0.05, "momentum": 0.9}),
    "sgd-nesterov-decay": (SGD, np_sgd, {"lr": 0.05, "momentum": 0.8,
                                         "nesterov": True, "decay": 0.5}),
    "sgd-clipnorm": (SGD, np_sgd, {"lr": 0.1, "clipnorm": 1.0}),
    "sgd-clipvalue": (SGD, np_sgd, {"lr": 0.1, "clipvalue": 0.5}),
    "rmsprop": (RMSprop, np_rmsprop, {}),
    "rmsprop-decay": (RMSprop, np_rmsprop, {"lr": 0.01, "rho": 0.8,
                                            "decay": 0.3}),
    "adagrad": (Adagrad, np_adagrad, {}),
    "adagrad-decay": (Adagrad, np_adagrad, {"lr": 0.1, "decay": 0.5}),
    "adadelta": (Adadelta, np_adadelta, {}),
    "adadelta-decay": (Adadelta, np_adadelta, {"lr": 0.5, "rho": 0.9,
                                               "decay": 0.2}),
    "adam": (Adam, np_adam, {}),
    "adam-amsgrad": (Adam, np_adam, {"lr": 0.1, "beta_2": 0.5,
                                     "amsgrad": True}),
    "adam-decay-clipnorm": (Adam, np_adam, {"lr": 0.01, "decay": 0.1,
                                            "clipnorm": 2.0}),
    "adamax": (Adamax, np_adamax, {}),
    "adamax-decay": (Adamax, np_adamax, {"lr": 0.05, "beta_1": 0.5,
                                         "decay": 0.5}),
    "nadam": (Nadam, np_nadam, {}),
    "nadam-schedule": (Nadam, np_nadam, {"lr": 0.01, "beta_1": 0.8,
                                         "schedule_decay": 0.5}),
}


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_updates_follow_the_keras_equations(variant, float64):
    cls, reference, kwargs = VARIANTS[variant]
    got = theano_run(cls(**kwargs))
    expected = numpy_run(reference, kwargs)
    for g, e in zip(got, expected):
        np.testing.assert_allclose(g, e, rtol=1e-9, atol=1e-12)
    # The parameters did move (else the comparison would prove little).
    assert not np.allclose(got[0], W0)


@pytest.mark.parametrize("variant, feature_off", [
    ("sgd-nesterov-decay", {"nesterov": False}),
    ("sgd-nesterov-decay", {"decay": 0.}),
    ("sgd-clipnorm", {"clipnorm": None}),
    ("sgd-clipvalue", {"clipvalue": None}),
    ("adam-amsgrad", {"amsgrad": False}),
    ("adam-decay-clipnorm", {"clipnorm": None}),
    ("adagrad-decay", {"decay": 0.}),
])
def test_each_variant_exercises_its_feature(variant, feature_off):
    """Sanity check of the test problem: turning the feature off changes the
    reference result, so the comparison above does test the feature."""
    _, reference, kwargs = VARIANTS[variant]
    off = {k: v for k, v in dict(kwargs, **feature_off).items()
           if v is not None}
    with_feature, without = numpy_run(reference, kwargs), \
        numpy_run(reference, off)
    assert not np.allclose(with_feature[0], without[0], rtol=1e-6)


def test_clipnorm_rescales_all_gradients_by_the_global_norm(float64):
    W = theano.shared(W0.copy())
    b = theano.shared(B0.copy())
    loss = 0.5 * T.sum(T.sqr(T.dot(X, W) + b - Y))
    grads = SGD(clipnorm=1.0).get_gradients(loss, [W, b])
    got = theano.function([], grads)()
    raw = np_gradients([W0, B0])
    norm = np.sqrt(sum(np.sum(g ** 2) for g in raw))
    assert norm > 1.0
    for g, r in zip(got, raw):
        np.testing.assert_allclose(g, r / norm)
    # A large clipnorm leaves the gradients alone.
    got = theano.function([], SGD(clipnorm=1e6).get_gradients(loss, [W, b]))()
    for g, r in zip(got, raw):
        np.testing.assert_allclose(g, r)


def test_learning_rate_and_decay_can_change_after_compilation(float64):
    optimizer = SGD(lr=0.1)
    step, W, b = build(optimizer)
    step()
    optimizer.lr.set_value(0.02)
    optimizer.decay.set_value(1.0)
    step()
    params = np_sgd([W0, B0], np_gradients([W0, B0]), {}, 0, lr=0.1)
    params = np_sgd(params, np_gradients(params), {}, 1, lr=0.02, decay=1.0)
    np.testing.assert_allclose(W.get_value(), params[0])
    np.testing.assert_allclose(b.get_value(), params[1])


def test_learning_rate_alias():
    assert SGD(learning_rate=0.5).get_config()["lr"] == 0.5
    assert float(Adam(learning_rate=0.02).lr.get_value()) == \
        pytest.approx(0.02)


# -- state --------------------------------------------------------------------

def test_weights_are_iterations_then_slots_in_a_fixed_order(float64):
    sgd, adam, nadam = SGD(), Adam(amsgrad=True), Nadam()
    assert sgd.weights == [] and sgd.get_weights() == []
    for optimizer in (sgd, adam, nadam):
        theano_run(optimizer, n_steps=2)
    shapes = [w.shape for w in sgd.get_weights()]
    assert shapes == [(), (3, 2), (2,)]
    assert sgd.weights[0] is sgd.iterations
    assert sgd.get_weights()[0] == 2
    assert len(adam.weights) == 1 + 3 * 2  # m, v and vhat for W and b
    assert [w.shape for w in nadam.get_weights()] == [
        (), (), (3, 2), (2,), (3, 2), (2,)]
    assert nadam.weights[1] is nadam.m_schedule
    # Adam's first moments after 2 steps equal the reference ones.
    state = {}
    params = [W0.copy(), B0.copy()]
    for i in range(2):
        params = np_adam(params, np_gradients(params), state, i, amsgrad=True)
    np.testing.assert_allclose(adam.get_weights()[1], state["m"][0])
    np.testing.assert_allclose(adam.get_weights()[4], state["v"][1])


@pytest.mark.parametrize("cls", [SGD, Adam, Nadam, Adadelta])
def test_set_weights_before_get_updates_restores_the_state(cls, float64):
    kwargs = {"momentum": 0.9} if cls is SGD else {}
    trained = cls(**kwargs)
    step, W, b = build(trained)
    for _ in range(3):
        step()
    saved_params = [W.get_value(), b.get_value()]
    saved_state = trained.get_weights()

    restored = cls(**kwargs)
    restored.set_weights(saved_state)  # before get_updates: kept for later
    assert len(restored.get_weights()) == len(saved_state)
    step2, W2, b2 = build(restored)
    for got, want in zip(restored.get_weights(), saved_state):
        np.testing.assert_array_equal(got, want)
    W2.set_value(saved_params[0])
    b2.set_value(saved_params[1])
    step()
    step2()
    np.testing.assert_allclose(W2.get_value(), W.get_value(), rtol=1e-12)
    np.testing.assert_allclose(b2.get_value(), b.get_value(), rtol=1e-12)


def test_set_weights_after_get_updates_round_trip(float64):
    optimizer = RMSprop()
    theano_run(optimizer, n_steps=2)
    state = optimizer.get_weights()
    optimizer.set_weights([np.zeros_like(w) for w in state])
    assert all(np.all(w == 0) for w in optimizer.get_weights())
    optimizer.set_weights(state)
    for got, want in zip(optimizer.get_weights(), state):
        np.testing.assert_array_equal(got, want)


def test_set_weights_with_wrong_count_or_shape_says_what_was_expected(float64):
    optimizer = Adam()
    theano_run(optimizer, n_steps=1)
    state = optimizer.get_weights()
    with pytest.raises(ValueError, match=r"expected 5 arrays.*ms.*vs.*got 4"):
        optimizer.set_weights(state[:-1])
    wrong = list(state)
    wrong[1] = np.zeros((2, 3))
    with pytest.raises(ValueError, match=r"shape \(3, 2\).*got \(2, 3\)"):
        optimizer.set_weights(wrong)
    # A wrong list given before get_updates is reported when it is applied.
    pending = Adam()
    pending.set_weights(state[:3])
    with pytest.raises(ValueError, match="expected 5 arrays"):
        theano_run(pending, n_steps=1)


# -- names, configs, validation ----------------------------------------------

@pytest.mark.parametrize("name, cls", [
    ("sgd", SGD), ("SGD", SGD), ("rmsprop", RMSprop), ("RMSprop", RMSprop),
    ("adagrad", Adagrad), ("adadelta", Adadelta), ("Adam", Adam),
    ("adamax", Adamax), ("nadam", Nadam)])
def test_get_by_name_case_insensitive(name, cls):
    assert type(optimizers.get(name)) is cls


def test_default_configs_are_those_of_keras():
    assert SGD().get_config() == {"lr": 0.01, "momentum": 0.0, "decay": 0.0,
                                  "nesterov": False}
    assert RMSprop().get_config() == {"lr": 0.001, "rho": 0.9, "decay": 0.0,
                                      "epsilon": 1e-7}
    assert Adagrad().get_config()["lr"] == 0.01
    assert Adadelta().get_config() == {"lr": 1.0, "rho": 0.95, "decay": 0.0,
                                       "epsilon": 1e-7}
    assert Adam().get_config() == {"lr": 0.001, "beta_1": 0.9,
                                   "beta_2": 0.999, "decay": 0.0,
                                   "epsilon": 1e-7, "amsgrad": False}
    assert Adamax().get_config()["lr"] == 0.002
    assert Nadam().get_config() == {"lr": 0.002, "beta_1": 0.9,
                                    "beta_2": 0.999, "epsilon": 1e-7,
                                    "schedule_decay": 0.004}


@pytest.mark.parametrize("optimizer", [
    SGD(lr=0.3, momentum=0.5, decay=0.1, nesterov=True, clipnorm=2.0),
    RMSprop(lr=0.02, rho=0.5, epsilon=1e-4, clipvalue=0.5),
    Adagrad(lr=0.2, decay=0.01),
    Adadelta(lr=0.5, rho=0.9),
    Adam(lr=0.003, beta_1=0.8, beta_2=0.99, amsgrad=True),
    Adamax(lr=0.004, beta_2=0.9),
    Nadam(lr=0.005, schedule_decay=0.01)], ids=lambda o: type(o).__name__)
def test_serialize_get_round_trip(optimizer):
    config = optimizers.serialize(optimizer)
    assert config["class_name"] == type(optimizer).__name__
    clone = optimizers.get(config)
    assert type(clone) is type(optimizer)
    assert clone.get_config() == optimizer.get_config()
    assert optimizers.get(optimizer) is optimizer


def test_get_rejects_unknown_identifiers():
    with pytest.raises(ValueError, match="adadelta.*nadam.*sgd"):
        optimizers.get("adamw")
    with pytest.raises(ValueError):
        optimizers.get({"class_name": "Momentum", "config": {}})
    with pytest.raises(ValueError):
        optimizers.get(42)
    with pytest.raises(TypeError, match="momentun"):
        SGD(momentun=0.9)


@pytest.mark.parametrize("cls, kwargs, argument", [
    (SGD, {"lr": 0}, "lr"),
    (SGD, {"lr": -0.1}, "lr"),
    (SGD, {"learning_rate": "fast"}, "lr"),
    (SGD, {"momentum": -0.5}, "momentum"),
    (SGD, {"decay": -1}, "decay"),
    (SGD, {"clipnorm": 0}, "clipnorm"),
    (SGD, {"clipvalue": -1}, "clipvalue"),
    (RMSprop, {"rho": 1.0}, "rho"),
    (RMSprop, {"rho": 0.0}, "rho"),
    (RMSprop, {"epsilon": -1e-7}, "epsilon"),
    (Adadelta, {"rho": 1.5}, "rho"),
    (Adam, {"beta_1": 1.0}, "beta_1"),
    (Adam, {"beta_2": -0.1}, "beta_2"),
    (Adamax, {"beta_1": float("nan")}, "beta_1"),
    (Nadam, {"schedule_decay": -0.004}, "schedule_decay"),
])
def test_bad_hyper_parameters_raise_value_error_naming_them(cls, kwargs,
                                                            argument):
    with pytest.raises(ValueError, match=r"\b%s\b" % argument):
        cls(**kwargs)
