"""TimeDistributed against NumPy: a Dense at every step, a recurrent layer
over a 4-D input (batch, t1, t2, features), masks as Keras passes them,
gradients, config, errors, and the Keras examples' shapes in Sequentials."""
import numpy as np
import pytest
from theano_rnn.runtime import theano

from layer_harness import (build_and_call, check_gradient, round_trip,
                           train_one_epoch)
from numpy_reference import run_rnn
from theano_rnn.layers import (LSTM, Dense, Masking, RepeatVector, SimpleRNN,
                               TimeDistributed)


def test_dense_at_every_step(float64, rng):
    x = rng.randn(2, 3, 4)
    layer = TimeDistributed(Dense(5, activation="tanh"))
    layer.build((None, 3, 4))
    kernel, bias = layer.get_weights()
    mask = np.array([[1, 1, 0], [1, 0, 0]], dtype="int8")
    out, out_mask = build_and_call(layer, x, mask)[:2]
    np.testing.assert_allclose(out, np.tanh(x @ kernel + bias))
    np.testing.assert_array_equal(out_mask, mask)   # Dense gives no mask
    assert layer.compute_output_shape((None, 3, 4)) == (None, 3, 5)
    assert layer.weights == layer.layer.weights
    check_gradient(TimeDistributed(Dense(2)), x, rng)


@pytest.mark.parametrize("return_sequences", [False, True])
def test_recurrent_layer_over_a_4d_input(float64, rng, return_sequences):
    x = rng.randn(2, 3, 4, 2)                   # (batch, t1, t2, features)
    inner = SimpleRNN(3, return_sequences=return_sequences)
    layer = TimeDistributed(inner)
    layer.build((None, 3, 4, 2))
    weights = inner.get_weights()
    mask = np.ones((2, 3, 4), dtype="int8")
    mask[0, 1, 2:] = 0
    mask[1, 2, :] = 0
    out, out_mask = build_and_call(layer, x, mask)[:2]
    for b in range(2):
        sequences, (last,) = run_rnn("SimpleRNN", x[b], weights,
                                     mask=mask[b])
        np.testing.assert_allclose(out[b], sequences if return_sequences
                                   else last, atol=1e-10)
    if return_sequences:        # the LSTM's own mask, folded back
        np.testing.assert_array_equal(out_mask, mask)
        assert layer.compute_output_shape((None, 3, 4, 2)) == (None, 3, 4, 3)
    else:                       # none from the inner layer: reduced input's
        np.testing.assert_array_equal(out_mask, mask.any(axis=-1))
        assert layer.compute_output_shape((None, 3, 4, 2)) == (None, 3, 3)
    check_gradient(TimeDistributed(SimpleRNN(2)), x, rng, masks=mask)


def test_inner_masking_layer_gives_the_mask(float64, rng):
    x = rng.randn(2, 3, 4, 2)
    x[0, 1, 2] = 0.0
    x[1, 0, 0] = 0.0
    out, out_mask = build_and_call(TimeDistributed(Masking()), x)[:2]
    expected = np.ones((2, 3, 4), dtype=bool)
    expected[0, 1, 2] = expected[1, 0, 0] = False
    np.testing.assert_array_equal(out_mask.astype(bool), expected)
    np.testing.assert_array_equal(out, x)


def test_config_and_errors():
    layer = TimeDistributed(LSTM(3, return_sequences=True), name="td")
    copy = round_trip(layer)
    assert isinstance(copy.layer, LSTM) and copy.layer.return_sequences
    with pytest.raises(ValueError, match=r"'td'.*rank 3 or more.*\(None, 4\)"):
        TimeDistributed(Dense(2), name="td").build((None, 4))
    with pytest.raises(ValueError, match="stateful"):
        TimeDistributed(LSTM(2, stateful=True))
    with pytest.raises(TypeError, match="wraps a layer"):
        TimeDistributed("Dense")


def test_addition_rnn_shape_trains(rng):
    """Keras's addition_rnn: encoder LSTM, RepeatVector, decoder LSTM with
    sequences, TimeDistributed softmax."""
    x = rng.randint(0, 2, (8, 5, 4)).astype(theano.config.floatX)
    y = np.eye(3)[rng.randint(0, 3, (8, 3))].astype(theano.config.floatX)
    model, losses = train_one_epoch(
        [LSTM(6, input_shape=(5, 4)), RepeatVector(3),
         LSTM(6, return_sequences=True),
         TimeDistributed(Dense(3, activation="softmax"))],
        x, y, loss="categorical_crossentropy")
    assert model.output_shape == (None, 3, 3) and np.isfinite(losses[0])


def test_hierarchical_rnn_shape_trains(rng):
    """Keras's mnist_hierarchical_rnn: a TimeDistributed LSTM encodes each
    row, a second LSTM the rows."""
    x = rng.randn(8, 4, 5, 3).astype(theano.config.floatX)
    y = np.eye(2)[rng.randint(0, 2, 8)].astype(theano.config.floatX)
    model, losses = train_one_epoch(
        [TimeDistributed(LSTM(4), input_shape=(4, 5, 3)), LSTM(4),
         Dense(2, activation="softmax")], x, y,
        loss="categorical_crossentropy")
    assert model.output_shape == (None, 2) and np.isfinite(losses[0])
