"""LambdaCallback, LearningRateScheduler, ReduceLROnPlateau in a small fit;
RemoteMonitor and TensorBoard refused by name."""
import types

import numpy as np
import pytest
from theano_rnn.runtime import theano

from theano_rnn.callbacks import (LambdaCallback, LearningRateScheduler,
                                  ReduceLROnPlateau, RemoteMonitor,
                                  TensorBoard)
from theano_rnn.layers import Dense
from theano_rnn.models import Sequential


@pytest.fixture(scope="module")
def model():
    np.random.seed(0)
    model = Sequential([Dense(1, input_shape=(3,))])
    model.compile(loss="mse", optimizer="sgd")
    return model


DATA = (np.random.RandomState(1).rand(16, 3).astype("float32"),
        np.random.RandomState(2).rand(16, 1).astype("float32"))


def test_lambda_callback_calls_the_given_functions(model):
    seen = []
    callback = LambdaCallback(
        on_train_begin=lambda logs: seen.append("begin"),
        on_epoch_end=lambda epoch, logs: seen.append((epoch, "loss" in logs)),
        on_train_end=lambda logs: seen.append("end"))
    model.fit(*DATA, epochs=2, batch_size=8, verbose=0, callbacks=[callback])
    assert seen == ["begin", (0, True), (1, True), "end"]


def test_learning_rate_scheduler_sets_the_rate_each_epoch(model):
    rates = []
    scheduler = LearningRateScheduler(lambda epoch, lr: 0.1 / (epoch + 1))
    watch = LambdaCallback(on_epoch_end=lambda epoch, logs: rates.append(
        float(model.optimizer.lr.get_value())))
    model.fit(*DATA, epochs=3, batch_size=8, verbose=0,
              callbacks=[scheduler, watch])
    np.testing.assert_allclose(rates, [0.1, 0.05, 0.1 / 3], rtol=1e-6)
    keras1 = LearningRateScheduler(lambda epoch: 0.02)
    model.fit(*DATA, epochs=1, batch_size=8, verbose=0, callbacks=[keras1])
    assert float(model.optimizer.lr.get_value()) == pytest.approx(0.02)
    with pytest.raises(ValueError, match="must return a number"):
        model.fit(*DATA, epochs=1, verbose=0, callbacks=[
            LearningRateScheduler(lambda epoch: "fast")])


def _plateau(values, **options):
    """Drive ReduceLROnPlateau with the given epoch losses; the rates."""
    lr = theano.shared(np.float32(1.0))
    callback = ReduceLROnPlateau(monitor="loss", **options)
    callback.set_model(types.SimpleNamespace(
        optimizer=types.SimpleNamespace(lr=lr)))
    callback.on_train_begin()
    rates = []
    for epoch, value in enumerate(values):
        callback.on_epoch_end(epoch, {"loss": value})
        rates.append(float(lr.get_value()))
    return rates


def test_reduce_lr_on_plateau_waits_patience_then_cools_down():
    assert _plateau([1.0, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5],
                    factor=0.5, patience=2) == pytest.approx(
        [1, 1, 1, 0.5, 0.5, 0.25, 0.25])
    assert _plateau([1.0, 1.0, 1.0, 1.0, 1.0], factor=0.5, patience=1,
                    cooldown=2) == pytest.approx([1, 0.5, 0.5, 0.25, 0.25])
    assert _plateau([1.0] * 6, factor=0.1, patience=1, min_lr=0.05) == \
        pytest.approx([1, 0.1, 0.05, 0.05, 0.05, 0.05])


def test_reduce_lr_on_plateau_in_a_fit(model):
    model.optimizer.lr.set_value(np.float32(0.01))
    callback = ReduceLROnPlateau(monitor="loss", factor=0.5, patience=0,
                                 min_delta=10.0)
    history = model.fit(*DATA, epochs=2, batch_size=8, verbose=0,
                        callbacks=[callback])
    # the first epoch sets the best value, the second reduces once
    assert float(model.optimizer.lr.get_value()) == pytest.approx(0.005)
    assert history.epoch == [0, 1]
    with pytest.raises(ValueError, match="factor must be < 1"):
        ReduceLROnPlateau(factor=2)


@pytest.mark.parametrize("cls", [RemoteMonitor, TensorBoard])
def test_unsupported_keras_callbacks_are_refused_by_name(cls):
    with pytest.raises(NotImplementedError,
                       match="keras.callbacks.%s is not implemented"
                       % cls.__name__):
        cls()
