"""Regularisers (penalties against NumPy, in layer.losses), constraints
(projections against NumPy, in layer.constraints and applied by the
optimiser), initialisers (shapes, statistics, Keras names, config round
trips)."""
import numpy as np
import pytest
from theano_rnn.runtime import theano, T

from theano_rnn import constraints, initializers, optimizers, regularizers
from theano_rnn.layers import LSTM, Dense, Embedding, SimpleRNN


W = np.array([[1.0, -2.0, 0.5], [-0.5, 3.0, -1.5]])


@pytest.mark.parametrize("regularizer, expected", [
    (regularizers.l1(0.1), 0.1 * np.abs(W).sum()),
    (regularizers.l2(0.2), 0.2 * (W ** 2).sum()),
    (regularizers.l1_l2(0.1, 0.2),
     0.1 * np.abs(W).sum() + 0.2 * (W ** 2).sum()),
    (regularizers.WeightRegularizer(l1=0.3), 0.3 * np.abs(W).sum()),
    (regularizers.ActivityRegularizer(l2=0.3), 0.3 * (W ** 2).sum()),
    (regularizers.get("l2"), 0.01 * (W ** 2).sum()),
    (regularizers.get({"class_name": "L1L2",
                       "config": {"l1": 0.5, "l2": 0.0}}),
     0.5 * np.abs(W).sum())])
def test_regularizer_penalties_match_numpy(regularizer, expected, float64):
    w = theano.shared(W)
    np.testing.assert_allclose(regularizer(w).eval(), expected)


def test_unknown_regularizer_string_is_a_value_error_naming_it():
    with pytest.raises(ValueError, match="unknown regularizer 'l3'"):
        regularizers.get("l3")
    with pytest.raises(ValueError, match="kernel_regularizer.*'l3'"):
        Dense(2, kernel_regularizer="l3")


def test_regularizer_config_round_trip():
    reg = regularizers.l1_l2(0.25, 0.5)
    again = regularizers.deserialize(regularizers.serialize(reg))
    assert type(again) is regularizers.L1L2
    assert again.get_config() == {"l1": 0.25, "l2": 0.5}


def test_layer_losses_are_its_penalties(float64):
    layer = LSTM(3, kernel_regularizer=regularizers.l2(0.1),
                 recurrent_regularizer=regularizers.l1(0.2),
                 bias_regularizer=regularizers.l2(0.3))
    assert layer.losses == []
    layer.build((None, 4, 2))
    kernel, recurrent, bias = layer.get_weights()
    values = [loss.eval() for loss in layer.losses]
    np.testing.assert_allclose(values, [0.1 * (kernel ** 2).sum(),
                                        0.2 * np.abs(recurrent).sum(),
                                        0.3 * (bias ** 2).sum()])
    assert Dense(2).losses == []


def test_activity_regularizer_penalises_the_training_output(float64):
    layer = Dense(2, activity_regularizer=regularizers.l1(0.5))
    layer.build((None, 3))
    x = T.matrix()
    layer.call(x, training=True)
    (penalty,) = layer.losses
    data = np.arange(6.0).reshape(2, 3)
    kernel, bias = layer.get_weights()
    np.testing.assert_allclose(theano.function([x], penalty)(data),
                               0.5 * np.abs(data.dot(kernel) + bias).sum())


def test_embedding_regularizer_and_constraint(float64):
    layer = Embedding(6, 3, embeddings_regularizer="l2",
                      embeddings_constraint="non_neg")
    layer.build((None, 2))
    table = layer.get_weights()[0]
    np.testing.assert_allclose(layer.losses[0].eval(),
                               0.01 * (table ** 2).sum())
    assert list(layer.constraints) == [layer.embeddings]


@pytest.mark.parametrize("constraint, reference", [
    (constraints.max_norm(2.0),
     lambda w: w * np.minimum(np.linalg.norm(w, axis=0), 2.0) /
     (1e-7 + np.linalg.norm(w, axis=0))),
    (constraints.MaxNorm(1.0, axis=1),
     lambda w: w * (np.minimum(np.linalg.norm(w, axis=1), 1.0) /
                    (1e-7 + np.linalg.norm(w, axis=1)))[:, None]),
    (constraints.non_neg(), lambda w: np.where(w >= 0, w, 0)),
    (constraints.unit_norm(),
     lambda w: w / (1e-7 + np.linalg.norm(w, axis=0))),
    (constraints.min_max_norm(1.0, 2.0, rate=0.5),
     lambda w: w * (0.5 * np.clip(np.linalg.norm(w, axis=0), 1, 2) +
                    0.5 * np.linalg.norm(w, axis=0)) /
     (1e-7 + np.linalg.norm(w, axis=0)))])
def test_constraints_project_as_numpy_says(constraint, reference, float64):
    w = W * np.array([1.0, 0.1, 2.0])
    np.testing.assert_allclose(constraint(theano.shared(w)).eval(),
                               reference(w), rtol=1e-10)
    again = constraints.deserialize(constraints.serialize(constraint))
    assert again.get_config() == constraint.get_config()


def test_the_optimiser_applies_a_layers_constraint(float64):
    layer = Dense(2, kernel_constraint=constraints.non_neg(),
                  kernel_initializer=initializers.Constant(0.5))
    layer.build((None, 3))
    assert layer.constraints == {layer.kernel: layer.kernel.constraint}
    x = T.matrix()
    loss = T.sum(layer.call(x))          # gradient 1 per input: w goes down
    step = theano.function([x], loss, updates=optimizers.SGD(lr=1.0)
                           .get_updates(loss, layer.weights))
    step(np.ones((1, 3)))
    kernel = layer.get_weights()[0]
    np.testing.assert_array_equal(kernel, np.zeros((3, 2)))


def test_unknown_constraint_is_a_value_error():
    with pytest.raises(ValueError, match="unknown constraint 'positive'"):
        Dense(2, kernel_constraint="positive")


# --- initialisers ------------------------------------------------------------

SHAPE = (200, 300)


@pytest.mark.parametrize("name, std", [
    ("glorot_uniform", np.sqrt(2.0 / 500)), ("glorot_normal", np.sqrt(2.0 / 500)),
    ("he_uniform", np.sqrt(2.0 / 200)), ("he_normal", np.sqrt(2.0 / 200)),
    ("lecun_uniform", np.sqrt(1.0 / 200)), ("lecun_normal", np.sqrt(1.0 / 200)),
    ("normal", 0.05), ("uniform", 0.05 / np.sqrt(3)),
    ("random_normal", 0.05), ("truncated_normal", 0.05 * 0.8796)])
def test_random_initializers_have_kerass_standard_deviation(name, std):
    values = initializers.get(name)(SHAPE, np.random.RandomState(0))
    assert values.shape == SHAPE
    assert abs(values.mean()) < 0.05 * std
    assert abs(values.std() / std - 1) < 0.02


def test_truncated_normal_stays_within_two_deviations():
    values = initializers.TruncatedNormal(1.0, 0.5)((1000,),
                                                   np.random.RandomState(1))
    assert values.min() >= 0.0 and values.max() <= 2.0


def test_uniform_limits():
    values = initializers.get("he_uniform")(SHAPE, np.random.RandomState(0))
    limit = np.sqrt(6.0 / 200)
    assert -limit <= values.min() < -0.99 * limit
    assert limit >= values.max() > 0.99 * limit


def test_convolution_kernels_use_the_receptive_field_in_the_fans():
    assert initializers.compute_fans((3, 4, 5)) == (12, 15)
    assert initializers.compute_fans((16,)) == (4.0, 4.0)


@pytest.mark.parametrize("name, expected", [
    ("zeros", 0.0), ("zero", 0.0), ("Zeros", 0.0), ("ones", 1.0),
    ("one", 1.0), ("Ones", 1.0)])
def test_constant_initializers_under_keras_names(name, expected):
    np.testing.assert_array_equal(initializers.get(name)((2, 3)),
                                  np.full((2, 3), expected))


def test_identity_and_orthogonal(float64):
    np.testing.assert_array_equal(initializers.Identity(0.5)((3, 3)),
                                  0.5 * np.eye(3))
    np.testing.assert_array_equal(initializers.get("identity")((2, 3)),
                                  np.eye(2, 3))
    with pytest.raises(ValueError, match="2-D"):
        initializers.Identity()((2, 2, 2))
    q = initializers.Orthogonal(gain=2.0)((4, 8), np.random.RandomState(0))
    np.testing.assert_allclose(q.dot(q.T), 4 * np.eye(4), atol=1e-10)


def test_keras2_factories_return_seeded_initializers():
    init = initializers.he_normal(seed=3)
    assert isinstance(init, initializers.VarianceScaling)
    np.testing.assert_array_equal(init((3, 4)), init((3, 4)))
    assert init.get_config() == {"scale": 2.0, "mode": "fan_in",
                                 "distribution": "normal", "seed": 3}


@pytest.mark.parametrize("init", [
    initializers.RandomNormal(0.5, 2.0, seed=1), initializers.Constant(3),
    initializers.VarianceScaling(2.0, "fan_out", "uniform"),
    initializers.Identity(0.5), initializers.Orthogonal(1.5)])
def test_initializer_config_round_trip(init):
    config = initializers.serialize(init)
    again = initializers.get(config)
    assert type(again) is type(init)
    assert again.get_config() == init.get_config()


def test_unknown_initializer_names_it_and_the_argument():
    with pytest.raises(ValueError, match="kernel_initializer: unknown "
                                         "initializer 'gaussian'"):
        Dense(2, kernel_initializer="gaussian")


def test_irnn_recurrent_identity_builds(float64):
    layer = SimpleRNN(4, recurrent_initializer=initializers.Identity(1.0),
                      kernel_initializer=initializers.RandomNormal(
                          stddev=0.001))
    layer.build((None, 3, 2))
    np.testing.assert_array_equal(layer.get_weights()[1], np.eye(4))
    config = layer.get_config()
    assert config["recurrent_initializer"] == {"class_name": "Identity",
                                               "config": {"gain": 1.0}}
    assert type(SimpleRNN.from_config(config).cell.recurrent_initializer) \
        is initializers.Identity


def test_keras1_and_keras2_custom_initializers_are_called_their_way(float64):
    from theano_rnn import backend as K
    keras1 = initializers.get(
        lambda shape, name=None: initializers.normal(shape, scale=1e-3,
                                                     name=name))
    values = keras1((100, 100))
    assert values.shape == (100, 100) and abs(values.std() - 1e-3) < 1e-4
    keras2 = initializers.get(lambda shape, dtype=None: K.variable(
        np.full(shape, 0.5), dtype=dtype))
    np.testing.assert_array_equal(keras2((2, 3)), np.full((2, 3), 0.5))
    np.testing.assert_array_equal(
        initializers.identity((3, 3), scale=2.0), 2 * np.eye(3))
    mine = initializers.get(lambda shape, rng: np.ones(shape))
    np.testing.assert_array_equal(mine((2,), None), np.ones(2))
    layer = SimpleRNN(3, recurrent_initializer=lambda shape, name: (
        initializers.identity(shape, scale=1.0, name=name)))
    layer.build((None, 2, 2))
    np.testing.assert_array_equal(layer.get_weights()[1], np.eye(3))


def test_bidirectional_collects_both_directions_hooks(float64):
    from theano_rnn.layers import Bidirectional
    layer = Bidirectional(LSTM(2, kernel_regularizer=regularizers.l2(1.0),
                               kernel_constraint=constraints.non_neg()))
    layer.build((None, 3, 4))
    forward, backward = layer.forward_layer, layer.backward_layer
    expected = [(forward.get_weights()[0] ** 2).sum(),
                (backward.get_weights()[0] ** 2).sum()]
    np.testing.assert_allclose([p.eval() for p in layer.losses], expected)
    assert set(layer.constraints) == {forward.cell.kernel,
                                      backward.cell.kernel}


def test_a_model_trains_on_the_loss_plus_every_layers_penalty(float64):
    from theano_rnn.layers import Input
    from theano_rnn.models import Model
    x = Input(shape=(3,))
    layer = Dense(2, kernel_regularizer=regularizers.l2(0.1),
                  activity_regularizer=regularizers.l1(0.5))
    model = Model(x, layer(x))
    model.compile(optimizers.SGD(lr=1e-9), "mse")
    rng = np.random.RandomState(3)
    data, target = rng.randn(5, 3), rng.randn(5, 2)
    kernel, bias = layer.get_weights()
    output = data.dot(kernel) + bias
    expected = (np.mean((output - target) ** 2) + 0.1 * (kernel ** 2).sum()
                + 0.5 * np.abs(output).sum())
    assert model.train_on_batch(data, target) == pytest.approx(expected,
                                                               rel=1e-10)


def test_wrapped_layers_keep_their_penalties_and_constraints(float64):
    from theano_rnn.layers import Bidirectional, Input, TimeDistributed
    from theano_rnn.models import Model
    x = Input(shape=(4, 3))
    inner = Dense(2, kernel_regularizer=regularizers.l1(0.5),
                  kernel_constraint=constraints.non_neg())
    wrapped = TimeDistributed(inner)
    model = Model(x, wrapped(x))
    model.compile(optimizers.SGD(lr=1e-9), "mse")
    rng = np.random.RandomState(5)
    data, target = rng.randn(2, 4, 3), rng.randn(2, 4, 2)
    kernel, bias = inner.get_weights()
    expected = (np.mean((data.dot(kernel) + bias - target) ** 2)
                + 0.5 * np.abs(kernel).sum())
    assert model.evaluate(data, target) == pytest.approx(expected, rel=1e-10)
    assert list(wrapped.constraints) == [inner.kernel]
    both = Bidirectional(LSTM(2, kernel_regularizer="l2"))
    both.build((None, 4, 3))
    assert len(both.losses) == 2


@pytest.mark.parametrize("layer, gates", [(SimpleRNN, 1), (LSTM, 4)])
def test_identity_recurrent_kernel_has_one_block_per_gate(layer, gates):
    rnn = layer(3, recurrent_initializer=initializers.Identity(gain=0.5))
    rnn.build((None, 5, 2))
    np.testing.assert_array_equal(rnn.get_weights()[1],
                                  np.hstack([0.5 * np.eye(3)] * gates))
    assert rnn.get_config()["recurrent_initializer"]["class_name"] == \
        "Identity"
