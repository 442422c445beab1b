"""Bad layer arguments and inputs give a ValueError naming the argument,
before any Theano compilation; awkward sizes (units=1, batch 1, one
feature, one step) that broke Theano-era libraries through broadcasting
build, run and differentiate."""
import numpy as np
import pytest
from theano_rnn.runtime import theano, T

from theano_rnn.layers import (GRU, LSTM, SimpleRNN, Bidirectional, Dense,
                               Dropout, Embedding)

RECURRENT = [SimpleRNN, LSTM, GRU]


@pytest.mark.parametrize("cls", RECURRENT + [Dense])
@pytest.mark.parametrize("units", [0, -3, 2.5, "8", None, True])
def test_units_must_be_a_positive_integer(cls, units):
    with pytest.raises(ValueError, match="units must be a positive integer"):
        cls(units)


@pytest.mark.parametrize("cls", RECURRENT)
@pytest.mark.parametrize("argument", ["dropout", "recurrent_dropout"])
@pytest.mark.parametrize("rate", [1.0, -0.1, 2, "a lot"])
def test_dropout_rates_must_lie_in_zero_one(cls, argument, rate):
    with pytest.raises(ValueError, match=r"%s must be a number in \[0, 1\)"
                       % argument):
        cls(4, **{argument: rate})


@pytest.mark.parametrize("cls", RECURRENT)
@pytest.mark.parametrize("implementation", ["cudnn", 3, None])
def test_implementation_must_be_auto_scan_or_fused(cls, implementation):
    with pytest.raises(ValueError, match="implementation must be one of "
                                         "'auto', 'scan', 'fused'"):
        cls(4, implementation=implementation)


@pytest.mark.parametrize("implementation", ["auto", "scan", "fused"])
def test_implementation_survives_get_config(implementation):
    layer = GRU(4, implementation=implementation)
    config = layer.get_config()
    assert config["implementation"] == implementation
    config.pop("name", None)
    assert GRU(**config).implementation == implementation


def test_dropout_layer_rate_is_checked():
    with pytest.raises(ValueError, match="rate"):
        Dropout(1.5)


@pytest.mark.parametrize("seed", [0, -1, 2 ** 40, "7", 1.5])
def test_dropout_seed_must_be_a_positive_integer(seed):
    with pytest.raises(ValueError, match="seed must be None or an integer"):
        LSTM(4, dropout=0.2, seed=seed)
    with pytest.raises(ValueError, match="seed must be None or an integer"):
        Dropout(0.2, seed=seed)


@pytest.mark.parametrize("argument", ["activation", "recurrent_activation"])
def test_unknown_activation_names_the_argument(argument):
    with pytest.raises(ValueError, match="%s: unknown activation 'swishy'"
                       % argument):
        LSTM(4, **{argument: "swishy"})


def test_unknown_initializer_names_the_argument():
    with pytest.raises(ValueError, match="kernel_initializer"):
        GRU(3, kernel_initializer="he_magic")


def test_recurrent_layer_rejects_inputs_of_the_wrong_rank():
    with pytest.raises(ValueError, match=r"\(batch, steps, features\)"):
        LSTM(3).build((None, 5))


def test_embedding_rejects_token_ids_out_of_range():
    layer = Embedding(10, 4)
    with pytest.raises(ValueError, match=r"token ids must lie in \[0, 10\)"):
        layer.check_input(np.array([[1, 2, 10]]))
    with pytest.raises(ValueError, match=r"token ids must lie in \[0, 10\)"):
        layer.check_input(np.array([[-1, 2, 3]]))
    with pytest.raises(ValueError, match="token ids must be integers"):
        layer.check_input(np.array([[1.5, 2.0]]))
    layer.check_input(np.array([[0, 9]]))  # in range: no error


def test_first_layer_checks_feature_size_and_rank():
    layer = LSTM(3, input_shape=(5, 2))
    with pytest.raises(ValueError, match="x: expected shape"):
        layer.check_input(np.zeros((4, 5, 3)))
    with pytest.raises(ValueError, match="x: expected a 3-D array"):
        layer.check_input(np.zeros((4, 5)))


def test_set_weights_with_wrong_shapes_names_layer_and_weight():
    layer = LSTM(3, name="encoder")
    layer.build((None, None, 2))
    kernel, recurrent, bias = layer.get_weights()
    with pytest.raises(ValueError, match="'encoder'.*expects 3 weight arrays"):
        layer.set_weights([kernel, recurrent])
    with pytest.raises(ValueError, match="encoder/kernel.*shape"):
        layer.set_weights([kernel.T, recurrent, bias])


def test_bidirectional_merge_mode_is_checked():
    with pytest.raises(ValueError, match="merge_mode"):
        Bidirectional(GRU(2), merge_mode="stack")


@pytest.mark.parametrize("cls", RECURRENT)
@pytest.mark.parametrize("batch,steps,features,units",
                         [(1, 1, 1, 1), (1, 50, 1, 1), (5, 1, 1, 1),
                          (1, 3, 2, 4)])
def test_size_one_dimensions_build_run_and_differentiate(cls, rng, batch, steps,
                                                         features, units):
    layer = cls(units, return_sequences=True, dropout=0.1,
                recurrent_dropout=0.1)
    dense = Dense(1)
    layer.build((None, steps, features))
    dense.build((None, steps, units))
    x, m = T.tensor3("x"), T.matrix("m")
    loss = dense.call(layer.call(x, mask=m, training=True)).mean()
    params = layer.weights + dense.weights
    f = theano.function([x, m], [loss] + T.grad(loss, params))
    data = rng.randn(batch, steps, features).astype(theano.config.floatX)
    values = f(data, np.ones((batch, steps), dtype=theano.config.floatX))
    assert np.isfinite(values[0])
    for grad, param in zip(values[1:], params):
        assert grad.shape == param.get_value().shape
