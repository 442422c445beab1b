"""Variational dropout: one mask per sequence, training graph only.

The networks here are chosen so that the masks can be read off the output:
a linear SimpleRNN with ``W = I``, ``U = 0``, ``b = 0`` outputs
``x_t * input_mask`` at every step; with ``W = 0``, ``U = I``, ``b = 1`` it
outputs ``h_t = 1 + h_{t-1} * recurrent_mask``.
"""
import numpy as np
import pytest
from theano_rnn.runtime import theano, T

from theano_rnn.layers import GRU, LSTM, SimpleRNN, Dropout


def linear_rnn(units, **options):
    layer = SimpleRNN(units, activation="linear", return_sequences=True,
                      **options)
    layer.build((None, 6, units))
    return layer


def test_input_dropout_drops_at_rate_with_one_mask_per_sequence():
    layer = linear_rnn(50, dropout=0.3, seed=7)
    layer.set_weights([np.eye(50), np.zeros((50, 50)), np.zeros(50)])
    x = T.tensor3("x")
    f = theano.function([x], layer.call(x, training=True))
    out = f(np.ones((40, 6, 50), dtype=theano.config.floatX))
    # the same mask at every time step of a sequence
    np.testing.assert_array_equal(out, np.repeat(out[:, :1], 6, axis=1))
    values = np.unique(np.round(out, 5))
    np.testing.assert_allclose(values, [0, 1 / 0.7], rtol=1e-5)
    assert abs((out[:, 0] == 0).mean() - 0.3) < 0.03
    # masks differ between sequences and between calls
    assert not np.array_equal(out[0], out[1])
    assert not np.array_equal(out, f(np.ones((40, 6, 50),
                                              dtype=theano.config.floatX)))


def test_recurrent_dropout_uses_the_same_mask_at_every_step():
    layer = linear_rnn(50, recurrent_dropout=0.4, seed=3)
    layer.set_weights([np.zeros((50, 50)), np.eye(50), np.ones(50)])
    x = T.tensor3("x")
    f = theano.function([x], layer.call(x, training=True))
    out = f(np.zeros((40, 6, 50), dtype=theano.config.floatX))
    kept = 1 / 0.6
    # a unit either always drops its state (h stays 1) or always keeps it
    # (h_t = 1 + kept * h_{t-1})
    always_dropped = np.all(np.isclose(out, 1.0), axis=1)
    expected_kept = [1.0]
    for _ in range(5):
        expected_kept.append(1 + kept * expected_kept[-1])
    always_kept = np.all(np.isclose(out, np.array(expected_kept)[:, None],
                                    rtol=1e-5), axis=1)
    assert np.all(always_dropped ^ always_kept)
    assert abs(always_dropped.mean() - 0.4) < 0.03


@pytest.mark.parametrize("cls", [SimpleRNN, LSTM, GRU])
def test_inference_graph_is_deterministic_and_equals_no_dropout(cls, rng):
    with_dropout = cls(5, dropout=0.5, recurrent_dropout=0.5,
                       return_sequences=True)
    without = cls(5, return_sequences=True)
    for layer in (with_dropout, without):
        layer.build((None, 4, 3))
    without.set_weights(with_dropout.get_weights())
    x = T.tensor3("x")
    predict = theano.function([x], with_dropout.call(x, training=False))
    reference = theano.function([x], without.call(x, training=False))
    train = theano.function([x], with_dropout.call(x, training=True))
    data = rng.randn(8, 4, 3).astype(theano.config.floatX)
    np.testing.assert_array_equal(predict(data), predict(data))
    np.testing.assert_allclose(predict(data), reference(data), rtol=1e-6)
    assert not np.allclose(train(data), reference(data))


def test_dropout_layer_scales_kept_units_and_is_identity_at_inference():
    layer = Dropout(0.25, seed=1)
    x = T.matrix("x")
    train = theano.function([x], layer.call(x, training=True))
    infer = theano.function([x], layer.call(x, training=False))
    data = np.ones((200, 100), dtype=theano.config.floatX)
    out = train(data)
    np.testing.assert_allclose(np.unique(np.round(out, 5)), [0, 1 / 0.75],
                               rtol=1e-5)
    assert abs((out == 0).mean() - 0.25) < 0.01
    np.testing.assert_array_equal(infer(data), data)


def test_seeded_dropout_repeats_exactly():
    outs = []
    for _ in range(2):
        layer = linear_rnn(10, dropout=0.5, seed=42)
        layer.set_weights([np.eye(10), np.zeros((10, 10)), np.zeros(10)])
        x = T.tensor3("x")
        outs.append(theano.function([x], layer.call(x, training=True))(
            np.ones((5, 6, 10), dtype=theano.config.floatX)))
    np.testing.assert_array_equal(outs[0], outs[1])
