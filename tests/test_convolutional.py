"""Conv1D and the 1-D pooling layers against NumPy loops: every padding,
strides and dilation; gradients, configs, bad input, training."""
import numpy as np
import pytest
from theano_rnn.runtime import theano

from layer_harness import (build_and_call, check_gradient, round_trip,
                           train_one_epoch)
from theano_rnn.legacy import LegacyArgumentWarning
from theano_rnn.layers import (LSTM, Activation, AveragePooling1D, Conv1D,
                               Convolution1D, Dense, Dropout, Embedding,
                               GlobalAveragePooling1D, GlobalMaxPooling1D,
                               MaxPooling1D)


def conv1d_reference(x, kernel, bias, stride, padding, dilation):
    """Keras's Conv1D on the Theano backend, as a loop: cross-correlation,
    'same' padding with span // 2 zero steps on the left."""
    k = kernel.shape[0]
    span = dilation * (k - 1) + 1
    steps = x.shape[1]
    if padding == "valid":
        left, n_out = 0, (steps - span) // stride + 1
    elif padding == "causal":
        left, n_out = span - 1, (steps - 1) // stride + 1
    else:
        left, n_out = span // 2, -(-steps // stride)
    out = np.zeros((x.shape[0], n_out, kernel.shape[2]))
    for i in range(n_out):
        for j in range(k):
            t = i * stride + j * dilation - left
            if 0 <= t < steps:
                out[:, i] += x[:, t] @ kernel[j]
    return out + bias


CONV_CASES = [("valid", 1, 1, 3), ("valid", 2, 1, 3), ("same", 1, 1, 3),
              ("same", 1, 1, 2), ("same", 2, 1, 2), ("same", 3, 1, 3),
              ("causal", 1, 1, 3), ("causal", 1, 2, 2), ("valid", 1, 2, 3)]


@pytest.mark.parametrize("padding,stride,dilation,k", CONV_CASES)
def test_conv1d_matches_the_loop(float64, rng, padding, stride, dilation, k):
    x = rng.randn(2, 7, 3)
    layer = Conv1D(4, k, strides=stride, padding=padding,
                   dilation_rate=dilation)
    layer.build((None, 7, 3))
    kernel, bias = rng.randn(k, 3, 4), rng.randn(4)
    layer.set_weights([kernel, bias])
    out, mask = build_and_call(layer, x)[:2]
    expected = conv1d_reference(x, kernel, bias, stride, padding, dilation)
    np.testing.assert_allclose(out, expected, atol=1e-10)
    assert layer.compute_output_shape((None, 7, 3)) == (None,) + out.shape[1:]
    assert mask is None


def test_conv1d_gradient_activation_and_config(float64, rng):
    x = rng.randn(2, 6, 3)
    check_gradient(Conv1D(2, 3, padding="same", activation="tanh"), x, rng)
    check_gradient(Conv1D(2, 2, padding="causal", dilation_rate=2,
                          use_bias=False), x, rng)
    layer = Conv1D(5, 3, strides=2, padding="same", activation="relu")
    layer.build((None, 6, 3))
    assert [w.shape for w in layer.get_weights()] == [(3, 3, 5), (5,)]
    copy = round_trip(layer)
    assert (copy.filters, copy.kernel_size, copy.strides, copy.padding) \
        == (5, 3, 2, "same")


def test_conv1d_reads_keras_configs_and_takes_penalties(float64):
    layer = Conv1D.from_config({
        "name": "c", "filters": 2, "kernel_size": [3], "strides": [1],
        "padding": "same", "data_format": "channels_last",
        "dilation_rate": [1], "activation": "relu", "use_bias": True,
        "kernel_initializer": "glorot_uniform", "bias_initializer": "zeros",
        "kernel_regularizer": None, "bias_regularizer": None,
        "activity_regularizer": None, "kernel_constraint": None,
        "bias_constraint": None})
    assert (layer.filters, layer.kernel_size) == (2, 3)
    penalised = Conv1D(2, 3, kernel_regularizer="l2")
    penalised.build((None, 6, 4))
    kernel = penalised.get_weights()[0]
    (penalty,) = penalised.losses
    np.testing.assert_allclose(penalty.eval(), 0.01 * (kernel ** 2).sum())


def test_convolution1d_takes_keras1_arguments():
    with pytest.warns(LegacyArgumentWarning):
        layer = Convolution1D(nb_filter=4, filter_length=3,
                              border_mode="same", subsample_length=1,
                              input_dim=2, input_length=6)
    assert (layer.filters, layer.kernel_size, layer.padding) == (4, 3, "same")
    assert layer.batch_input_shape == (None, 6, 2)
    assert type(round_trip(layer)) is Convolution1D


def test_conv1d_bad_input():
    with pytest.raises(ValueError, match=r"'c'.*rank 3.*\(None, 4\)"):
        Conv1D(2, 3, name="c").build((None, 4))
    with pytest.raises(ValueError, match=r"'c'.*2 steps.*shorter"):
        Conv1D(2, 3, name="c").build((None, 2, 4))
    with pytest.raises(ValueError, match="padding"):
        Conv1D(2, 3, padding="full")
    with pytest.raises(ValueError, match="strides > 1 and dilation_rate"):
        Conv1D(2, 3, strides=2, dilation_rate=2)


def pool_reference(x, size, stride, padding, reduce):
    """Windows as Keras's Theano backend places them; padding is skipped."""
    steps = x.shape[1]
    if padding == "valid":
        left, n_out = 0, (steps - size) // stride + 1
    else:
        left = size - 2 if size > 2 and size % 2 else size - 1
        n_out = -(-steps // stride)
    out = []
    for i in range(n_out):
        lo = max(0, i * stride - left)
        hi = min(steps, i * stride - left + size)
        out.append(reduce(x[:, lo:hi], axis=1))
    return np.stack(out, axis=1)


POOL_CASES = [("valid", 2, None), ("valid", 3, 1), ("same", 2, None),
              ("same", 3, 2), ("same", 3, 1), ("same", 4, 2)]


@pytest.mark.parametrize("padding,size,stride", POOL_CASES)
@pytest.mark.parametrize("cls,reduce", [(MaxPooling1D, np.max),
                                        (AveragePooling1D, np.mean)],
                         ids=["max", "average"])
def test_pooling_matches_the_loop(float64, rng, cls, reduce, padding, size,
                                  stride):
    x = rng.randn(2, 7, 3) - 1.0           # mostly negative: padding shows
    layer = cls(size, strides=stride, padding=padding)
    out, mask = build_and_call(layer, x)[:2]
    expected = pool_reference(x, size, stride or size, padding, reduce)
    np.testing.assert_allclose(out, expected, atol=1e-12)
    assert layer.compute_output_shape((None, 7, 3)) == (None,) + out.shape[1:]
    assert mask is None


def test_pooling_gradients_configs_and_errors(float64, rng):
    x = rng.randn(2, 6, 3)
    check_gradient(MaxPooling1D(2), x, rng)
    check_gradient(MaxPooling1D(3, strides=2, padding="same"), x, rng)
    check_gradient(AveragePooling1D(3, strides=2, padding="same"), x, rng)
    copy = round_trip(MaxPooling1D(3, strides=1, padding="same"))
    assert (copy.pool_size, copy.strides, copy.padding) == (3, 1, "same")
    with pytest.raises(ValueError, match=r"'p'.*rank 3"):
        MaxPooling1D(name="p").build((None, 6))
    with pytest.raises(ValueError, match="padding"):
        MaxPooling1D(padding="causal")
    with pytest.warns(LegacyArgumentWarning) as caught:
        keras1 = MaxPooling1D(pool_length=3, stride=1, border_mode="same")
    assert len(caught) == 3
    assert (keras1.pool_size, keras1.strides, keras1.padding) == \
        (3, 1, "same")
    with pytest.raises(TypeError, match="pool_length.*pool_size"):
        AveragePooling1D(pool_length=3, pool_size=3)


def test_global_pooling(float64, rng):
    x = rng.randn(2, 4, 3)
    out, mask = build_and_call(GlobalMaxPooling1D(), x)[:2]
    np.testing.assert_allclose(out, x.max(1))
    assert mask is None
    assert not getattr(GlobalMaxPooling1D, "supports_masking", False)
    np.testing.assert_allclose(build_and_call(GlobalAveragePooling1D(), x)[0],
                               x.mean(1))
    assert GlobalAveragePooling1D().compute_output_shape((None, 4, 3)) \
        == (None, 3)
    check_gradient(GlobalMaxPooling1D(), x, rng)
    round_trip(GlobalAveragePooling1D())


def test_global_average_pooling_averages_the_real_steps(float64, rng):
    """Keras 2.3.1's GlobalAveragePooling1D supports masks."""
    x = rng.randn(2, 4, 3)
    m = np.array([[1, 1, 0, 0], [0, 1, 1, 1]], dtype="int8")
    out, out_mask = build_and_call(GlobalAveragePooling1D(), x, m)[:2]
    np.testing.assert_allclose(out[0], x[0, :2].mean(0))
    np.testing.assert_allclose(out[1], x[1, 1:].mean(0))
    assert out_mask is None
    check_gradient(GlobalAveragePooling1D(), x, rng, masks=m)


def test_conv_and_pooling_train_in_a_sequential(rng):
    """imdb_cnn's shape: Embedding, Dropout, Conv1D, global max pooling."""
    x = rng.randint(0, 20, (8, 10))
    y = rng.randint(0, 2, (8, 1)).astype(theano.config.floatX)
    model, losses = train_one_epoch(
        [Embedding(20, 3, input_length=10), Dropout(0.2),
         Conv1D(4, 3, padding="valid", activation="relu", strides=1),
         AveragePooling1D(2, padding="same"), GlobalMaxPooling1D(),
         Dense(4), Activation("relu"), Dense(1, activation="sigmoid")],
        x, y, loss="binary_crossentropy")
    assert model.output_shape == (None, 1) and np.isfinite(losses[0])


def test_imdb_cnn_lstm_shape_trains(rng):
    """imdb_cnn_lstm: Embedding, Dropout, Conv1D, MaxPooling1D, LSTM."""
    x = rng.randint(0, 20, (8, 12))
    y = rng.randint(0, 2, (8, 1)).astype(theano.config.floatX)
    model, losses = train_one_epoch(
        [Embedding(20, 3, input_length=12), Dropout(0.25),
         Conv1D(4, 5, padding="valid", activation="relu", strides=1),
         MaxPooling1D(pool_size=4), LSTM(5),
         Dense(1), Activation("sigmoid")], x, y, loss="binary_crossentropy")
    assert model.output_shape == (None, 1) and np.isfinite(losses[0])
