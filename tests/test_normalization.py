"""BatchNormalization against NumPy: the training graph (batch statistics and
the moving averages it updates), the inference graph (moving statistics),
weight order, gradients, config, errors, and inside a trained Sequential."""
import numpy as np
import pytest
from theano_rnn.runtime import theano

from layer_harness import (build_and_call, check_gradient, round_trip,
                           train_one_epoch)
from theano_rnn.layers import BatchNormalization, Dense, Flatten


def normalise(x, mean, var, gamma, beta, eps):
    return gamma * (x - mean) / np.sqrt(var + eps) + beta


@pytest.mark.parametrize("axis", [-1, 1])
def test_training_graph_uses_batch_statistics_and_updates_the_moving_ones(
        float64, rng, axis):
    x = rng.randn(4, 3, 5) * 2 + 1
    layer = BatchNormalization(axis=axis, momentum=0.9, epsilon=1e-3)
    layer.build((None, 3, 5))
    size = x.shape[axis]
    gamma, beta = rng.rand(size) + 0.5, rng.randn(size)
    old_mean, old_var = rng.randn(size), rng.rand(size) + 0.5
    layer.set_weights([gamma, beta, old_mean, old_var])
    shape = [1, 1, 1]
    shape[axis] = size
    reduce = tuple(a for a in range(3) if a != axis % 3)
    mean, var = x.mean(axis=reduce), x.var(axis=reduce)
    out = build_and_call(layer, x, training=True)[0]   # applies the updates
    np.testing.assert_allclose(out, normalise(
        x, mean.reshape(shape), var.reshape(shape), gamma.reshape(shape),
        beta.reshape(shape), 1e-3), atol=1e-10)
    n = x.size / size
    np.testing.assert_allclose(layer.moving_mean.get_value(),
                               0.9 * old_mean + 0.1 * mean)
    np.testing.assert_allclose(layer.moving_variance.get_value(),
                               0.9 * old_var + 0.1 * var * n / (n - 1 + 1e-3))


def test_inference_graph_uses_the_moving_statistics(float64, rng):
    x = rng.randn(4, 3)
    layer = BatchNormalization(epsilon=0.01)
    layer.build((None, 3))
    weights = [rng.rand(3) + 0.5, rng.randn(3), rng.randn(3), rng.rand(3) + 1]
    layer.set_weights(weights)
    out = build_and_call(layer, x)[0]
    np.testing.assert_allclose(out, normalise(x, weights[2], weights[3],
                                              weights[0], weights[1], 0.01))
    assert layer.state_updates(training=False) == []
    np.testing.assert_array_equal(layer.moving_mean.get_value(), weights[2])


def test_weights_in_keras_order_and_which_train(rng):
    layer = BatchNormalization()
    layer.build((None, 4, 3))
    assert [w.name.split("/")[-1] for w in layer.weights] == \
        ["gamma", "beta", "moving_mean", "moving_variance"]
    assert layer.trainable_weights == [layer.gamma, layer.beta]
    assert layer.non_trainable_weights == [layer.moving_mean,
                                           layer.moving_variance]
    np.testing.assert_array_equal(layer.get_weights()[3], np.ones(3))
    bare = BatchNormalization(center=False, scale=False)
    bare.build((None, 3))
    assert [w.name.split("/")[-1] for w in bare.weights] == \
        ["moving_mean", "moving_variance"]
    assert bare.trainable_weights == []


def test_gradients_mask_and_config(float64, rng):
    x = rng.randn(5, 3)
    check_gradient(BatchNormalization(), x, rng, training=True)
    check_gradient(BatchNormalization(), x, rng, training=False)
    seq = rng.randn(2, 4, 3)
    mask = np.array([[1, 1, 0, 0], [1, 1, 1, 0]], dtype="int8")
    np.testing.assert_array_equal(
        build_and_call(BatchNormalization(), seq, mask)[1], mask)
    copy = round_trip(BatchNormalization(axis=1, momentum=0.5, epsilon=0.1,
                                         center=False))
    assert (copy.axis, copy.momentum, copy.epsilon, copy.center) == \
        (1, 0.5, 0.1, False)


def test_bad_axis_and_rank():
    with pytest.raises(ValueError, match=r"'bn'.*axis=3.*\(None, 4, 3\)"):
        BatchNormalization(axis=3, name="bn").build((None, 4, 3))
    with pytest.raises(ValueError, match=r"'bn'.*axis=0"):
        BatchNormalization(axis=0, name="bn").build((None, 4, 3))
    with pytest.raises(ValueError, match="rank 2 or more"):
        BatchNormalization().build((None,))


def test_moving_statistics_advance_while_training_a_sequential(rng):
    x = (rng.randn(8, 4, 3) * 3 + 2).astype(theano.config.floatX)
    y = rng.randn(8, 1).astype(theano.config.floatX)
    norm = BatchNormalization(input_shape=(4, 3))
    model, losses = train_one_epoch([norm, Flatten(), Dense(1)], x, y)
    assert np.isfinite(losses[0])
    # two batches of 4: the moving mean moved from 0 towards about 2
    assert np.all(norm.moving_mean.get_value() > 0.01)
    before = norm.get_weights()
    model.predict(x)
    for old, new in zip(before, norm.get_weights()):
        np.testing.assert_array_equal(old, new)
