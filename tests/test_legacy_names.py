"""Keras 1 argument names: each gives the same layer as its Keras 2 name
(same configuration; same weights from the same seed, hence the same
output), with one warning per old name naming the new one; an old name
together with its new name is a TypeError; unknown names stay a TypeError."""
import warnings

import numpy as np
import pytest
from theano_rnn.runtime import theano, T

from theano_rnn import constraints, legacy, regularizers
from theano_rnn.layers import GRU, LSTM, SimpleRNN, Dense, Dropout, Embedding


def _build(make, input_shape, seed=7):
    """Build the layer ``make()`` returns, its weights drawn after seeding
    NumPy with ``seed``; return it with the warnings its construction gave."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        layer = make()
    np.random.seed(seed)
    layer.build(input_shape)
    return layer, [w for w in caught
                   if issubclass(w.category, legacy.LegacyArgumentWarning)]


def _output(layer, x):
    inputs = T.TensorType(theano.config.floatX, (False,) * x.ndim)() \
        if x.dtype.kind == "f" else T.imatrix()
    return theano.function([inputs], layer.call(inputs))(x)


def _config(layer):
    config = layer.get_config()
    config.pop("name")
    return config


def _same_layer(old, new, input_shape, x):
    for a, b in zip(old.get_weights(), new.get_weights()):
        np.testing.assert_array_equal(a, b)
    assert _config(old) == _config(new)
    np.testing.assert_allclose(_output(old, x), _output(new, x), rtol=1e-6)


RECURRENT_RENAMES = [
    ({"output_dim": 3}, {"units": 3}),
    ({"init": "he_normal"}, {"kernel_initializer": "he_normal"}),
    ({"inner_init": "glorot_uniform"},
     {"recurrent_initializer": "glorot_uniform"}),
    ({"inner_activation": "sigmoid"}, {"recurrent_activation": "sigmoid"}),
    ({"dropout_W": 0.25}, {"dropout": 0.25}),
    ({"dropout_U": 0.5}, {"recurrent_dropout": 0.5}),
    ({"W_regularizer": regularizers.l2(0.1)},
     {"kernel_regularizer": regularizers.l2(0.1)}),
    ({"U_regularizer": regularizers.l1(0.1)},
     {"recurrent_regularizer": regularizers.l1(0.1)}),
    ({"b_regularizer": regularizers.l2(0.1)},
     {"bias_regularizer": regularizers.l2(0.1)}),
    ({"consume_less": "mem"}, {"implementation": "scan"}),
    ({"consume_less": "gpu"}, {"implementation": 2}),
    ({"input_dim": 2, "input_length": 5}, {"input_shape": (5, 2)}),
]


@pytest.mark.parametrize("cls", [SimpleRNN, LSTM, GRU])
@pytest.mark.parametrize("old, new", RECURRENT_RENAMES,
                         ids=[",".join(o) for o, _ in RECURRENT_RENAMES])
def test_recurrent_keras1_names_build_the_same_layer(cls, old, new, float64):
    units = {} if "output_dim" in old else {"units": 3}
    x = np.random.RandomState(0).randn(2, 5, 2)
    old_layer, caught = _build(lambda: cls(**dict(units, **old)), (None, 5, 2))
    new_layer, none = _build(lambda: cls(**dict(units, **new)), (None, 5, 2))
    assert len(caught) == len(old) - ("input_length" in old)
    assert not none
    for warning in caught:
        assert "Keras 1" in str(warning.message)
    _same_layer(old_layer, new_layer, (None, 5, 2), x)


def test_each_warning_names_the_old_and_the_new_argument():
    with pytest.warns(legacy.LegacyArgumentWarning) as caught:
        LSTM(output_dim=2, inner_activation="sigmoid")
    messages = sorted(str(w.message) for w in caught)
    assert len(messages) == 2
    assert "`inner_activation`" in messages[0]
    assert "`recurrent_activation`" in messages[0]
    assert "`output_dim`" in messages[1] and "`units`" in messages[1]


def test_the_warning_points_at_the_callers_line():
    with pytest.warns(legacy.LegacyArgumentWarning) as caught:
        Dense(output_dim=2)
    assert caught[0].filename == __file__


def test_forget_bias_init_one_is_unit_forget_bias(float64):
    old, caught = _build(lambda: LSTM(2, forget_bias_init="one"), (None, 3, 2))
    new, _ = _build(lambda: LSTM(2, unit_forget_bias=True), (None, 3, 2))
    assert len(caught) == 1 and "unit_forget_bias" in str(caught[0].message)
    _same_layer(old, new, (None, 3, 2), np.ones((1, 3, 2)))
    zero, caught = _build(lambda: LSTM(2, forget_bias_init="zero"),
                          (None, 3, 2))
    np.testing.assert_array_equal(zero.get_weights()[2], np.zeros(8))


@pytest.mark.parametrize("value, expected", [(0, "auto"), (1, "scan"),
                                             (2, "auto"), ("fused", "fused")])
def test_keras_integer_implementations_map_to_the_projects(value, expected):
    assert GRU(2, implementation=value).implementation == expected


def test_unknown_consume_less_is_a_value_error():
    with pytest.raises(ValueError, match="consume_less must be one of"):
        LSTM(2, consume_less="tpu")


DENSE_RENAMES = [
    ({"output_dim": 3}, {"units": 3}),
    ({"init": "lecun_uniform"}, {"kernel_initializer": "lecun_uniform"}),
    ({"bias": False}, {"use_bias": False}),
    ({"W_regularizer": regularizers.l1_l2(0.1, 0.2)},
     {"kernel_regularizer": regularizers.l1_l2(0.1, 0.2)}),
    ({"b_constraint": constraints.non_neg()},
     {"bias_constraint": constraints.non_neg()}),
]


@pytest.mark.parametrize("old, new", DENSE_RENAMES,
                         ids=[",".join(o) for o, _ in DENSE_RENAMES])
def test_dense_keras1_names_build_the_same_layer(old, new, float64):
    units = {} if "output_dim" in old else {"units": 3}
    old_layer, caught = _build(lambda: Dense(**dict(units, **old)), (None, 4))
    new_layer, _ = _build(lambda: Dense(**dict(units, **new)), (None, 4))
    assert len(caught) == 1
    _same_layer(old_layer, new_layer, (None, 4),
                np.random.RandomState(0).randn(2, 4))


def test_dense_input_dim_is_keras2s_own_shortcut_without_warning():
    layer, caught = _build(lambda: Dense(3, input_dim=4), (None, 4))
    assert layer.batch_input_shape == (None, 4) and not caught


@pytest.mark.parametrize("old, new", [
    ({"init": "normal"}, {"embeddings_initializer": "normal"}),
    ({"W_regularizer": "l2"}, {"embeddings_regularizer": "l2"}),
    ({"W_constraint": "unit_norm"}, {"embeddings_constraint": "unit_norm"})])
def test_embedding_keras1_names_build_the_same_layer(old, new, float64):
    old_layer, caught = _build(lambda: Embedding(10, 3, **old), (None, 4))
    new_layer, _ = _build(lambda: Embedding(10, 3, **new), (None, 4))
    assert len(caught) == 1
    _same_layer(old_layer, new_layer, (None, 4),
                np.array([[1, 2, 0, 9]], dtype="int32"))


def test_embedding_keras1_dropout_drops_whole_words_in_training(float64):
    np.random.seed(3)
    layer = Embedding(50, 4, dropout=0.5, seed=11)
    layer.build((None, 6))
    ids = T.imatrix()
    train = theano.function([ids], layer.call(ids, training=True))
    test = theano.function([ids], layer.call(ids))
    x = np.array([[5, 5, 7, 7, 5, 7]] * 40, dtype="int32")
    table = layer.get_weights()[0]
    np.testing.assert_allclose(test(x), table[x])
    out = train(x)
    # a word is either dropped everywhere in the batch or scaled by 2
    for word in (5, 7):
        rows = out[x == word]
        assert (np.allclose(rows, 0) or np.allclose(rows, 2 * table[word]))
    dropped = [np.allclose(train(x)[0, 0], 0) for _ in range(40)]
    assert 5 < sum(dropped) < 35


def test_dropout_p_is_rate():
    with pytest.warns(legacy.LegacyArgumentWarning, match="`rate`"):
        layer = Dropout(p=0.3)
    assert layer.rate == 0.3


@pytest.mark.parametrize("make", [
    lambda: Dense(2, output_dim=2),
    lambda: Dropout(0.1, p=0.1),
    lambda: LSTM(units=2, output_dim=2),
    lambda: GRU(2, dropout=0.1, dropout_W=0.1),
    lambda: LSTM(2, consume_less="cpu", implementation=0),
    lambda: LSTM(2, forget_bias_init="one", unit_forget_bias=True),
    lambda: Embedding(5, 2, init="uniform", embeddings_initializer="uniform")])
def test_old_and_new_name_together_is_a_type_error(make):
    with pytest.raises(TypeError, match="both the Keras 1 argument"):
        make()


@pytest.mark.parametrize("make", [lambda: Dense(2, outputdim=3),
                                  lambda: LSTM(2, inner_int="x"),
                                  lambda: Dropout(0.1, q=3)])
def test_unknown_arguments_stay_a_type_error_naming_them(make):
    with pytest.raises(TypeError, match="outputdim|inner_int|'q'"):
        make()


def test_convert_legacy_kwargs_for_other_owners():
    with pytest.warns(legacy.LegacyArgumentWarning, match="fit: `nb_epoch`"):
        kwargs = legacy.convert_legacy_kwargs({"nb_epoch": 3, "x": 1},
                                              legacy.FIT, "fit")
    assert kwargs == {"epochs": 3, "x": 1}
    with pytest.raises(TypeError, match="`epochs`"):
        legacy.convert_legacy_kwargs({"nb_epoch": 3, "epochs": 3},
                                     legacy.FIT, "fit")


def test_conversion_tables_of_the_layers_to_come():
    @legacy.conv1d_support
    def conv1d(**kwargs):
        return kwargs

    with pytest.warns(legacy.LegacyArgumentWarning):
        assert conv1d(nb_filter=4, filter_length=3, border_mode="same",
                      subsample_length=2, input_dim=5, input_length=9) == {
            "filters": 4, "kernel_size": 3, "padding": "same", "strides": 2,
            "input_shape": (9, 5)}

    @legacy.pooling1d_support
    def pool(**kwargs):
        return kwargs

    with pytest.warns(legacy.LegacyArgumentWarning):
        assert pool(pool_length=2, stride=1, border_mode="valid") == {
            "pool_size": 2, "strides": 1, "padding": "valid"}

    @legacy.batchnorm_support
    def batchnorm(**kwargs):
        return kwargs

    with pytest.warns(legacy.LegacyArgumentWarning):
        assert batchnorm(mode=0, beta_init="zero") == {
            "beta_initializer": "zero"}
    with pytest.raises(TypeError, match="mode=2"):
        batchnorm(mode=2)
