"""The simple layers (Activation, RepeatVector, Masking, Permute, Reshape,
Flatten, Lambda, SpatialDropout1D) against NumPy: outputs, shapes, masks,
gradients, configs, bad input, and training inside a Sequential."""
import numpy as np
import pytest
from theano_rnn.runtime import theano, T

from layer_harness import (build_and_call, check_gradient, round_trip,
                           train_one_epoch)
from theano_rnn import activations
from theano_rnn.layers import (Activation, Dense, Flatten,
                               GlobalAveragePooling1D, Lambda, Masking,
                               Permute, RepeatVector, Reshape,
                               SpatialDropout1D)


def module_level_double(x):
    """A function a Lambda can save by name."""
    return 2 * x


def test_activation_applies_the_function_and_keeps_the_mask(float64, rng):
    x = rng.randn(2, 3, 4)
    mask = np.array([[1, 1, 0], [1, 0, 0]], dtype="int8")
    out, out_mask = build_and_call(Activation("relu"), x, mask)[:2]
    np.testing.assert_allclose(out, np.maximum(x, 0))
    np.testing.assert_array_equal(out_mask, mask)
    check_gradient(Activation("tanh"), x, rng)
    assert round_trip(Activation("sigmoid")).activation.__name__ == "sigmoid"
    with pytest.raises(ValueError, match="activation"):
        Activation("no_such_function")


@pytest.mark.parametrize("name, reference", [
    ("elu", lambda x: np.where(x > 0, x, np.expm1(x))),
    ("selu", lambda x: 1.0507009873554805 * np.where(
        x > 0, x, 1.6732632423543772 * np.expm1(x))),
    ("softplus", lambda x: np.log1p(np.exp(x))),
    ("softsign", lambda x: x / (1 + np.abs(x))),
    ("exponential", np.exp)])
def test_keras_activations_match_numpy(float64, rng, name, reference):
    x = rng.randn(3, 4)
    out = build_and_call(Activation(name), x)[0]
    np.testing.assert_allclose(out, reference(x), rtol=1e-12)


def test_a_backend_function_named_like_an_activation_is_saved_by_name():
    from theano_rnn import backend as K
    layer = Activation(K.relu)
    assert layer.get_config()["activation"] == "relu"
    assert Dense(2, activation=K.tanh).get_config()["activation"] == "tanh"
    with pytest.raises(ValueError, match="custom activation"):
        Activation(module_level_double).get_config()


def test_a_constant_initializer_of_an_array_has_a_json_config():
    import json
    from theano_rnn import initializers
    value = np.arange(6.0).reshape(3, 2)
    config = initializers.serialize(initializers.Constant(value))
    rebuilt = initializers.get(json.loads(json.dumps(config)))
    np.testing.assert_array_equal(rebuilt((3, 2)), value)


def test_repeat_vector_repeats_along_a_new_time_axis(float64, rng):
    x = rng.randn(2, 3)
    layer = RepeatVector(4)
    out, out_mask = build_and_call(layer, x)[:2]
    assert out.shape == (2, 4, 3) and out_mask is None
    for t in range(4):
        np.testing.assert_array_equal(out[:, t], x)
    assert layer.compute_output_shape((None, 3)) == (None, 4, 3)
    check_gradient(RepeatVector(2), x, rng)
    assert round_trip(layer).n == 4
    with pytest.raises(ValueError, match=r"'rv'.*rank 2.*\(None, 5, 3\)"):
        RepeatVector(2, name="rv").build((None, 5, 3))
    with pytest.raises(ValueError, match="n must be a positive"):
        RepeatVector(0)


def test_masking_marks_and_zeroes_the_padding_steps(float64, rng):
    x = rng.randn(2, 4, 3)
    x[0, 1] = -1.0          # a padding step
    x[1, 3] = -1.0
    x[1, 0, 0] = -1.0       # only one feature equal: a real step
    layer = Masking(mask_value=-1.0)
    out, out_mask = build_and_call(layer, x)[:2]
    expected_mask = np.array([[1, 0, 1, 1], [1, 1, 1, 0]], dtype=bool)
    np.testing.assert_array_equal(out_mask.astype(bool), expected_mask)
    np.testing.assert_allclose(out, x * expected_mask[:, :, None])
    assert Masking.supports_masking
    assert round_trip(layer).mask_value == -1.0
    check_gradient(Masking(), x, rng)


def test_permute_reorders_the_non_batch_axes(float64, rng):
    x = rng.randn(2, 3, 4, 5)
    layer = Permute((3, 1, 2))
    out = build_and_call(layer, x)[0]
    np.testing.assert_array_equal(out, x.transpose(0, 3, 1, 2))
    assert layer.compute_output_shape((None, 3, 4, 5)) == (None, 5, 3, 4)
    assert round_trip(layer).dims == (3, 1, 2)
    check_gradient(Permute((2, 1)), rng.randn(2, 3, 4), rng)
    with pytest.raises(ValueError, match="permutation"):
        Permute((1, 3))
    with pytest.raises(ValueError, match=r"'p'.*rank 3.*rank 4"):
        Permute((2, 1), name="p").build((None, 3, 4, 5))


@pytest.mark.parametrize("target,expected", [((6, 2), (6, 2)),
                                             ((-1,), (12,)),
                                             ((3, -1), (3, 4))])
def test_reshape_infers_minus_one(float64, rng, target, expected):
    x = rng.randn(2, 4, 3)
    layer = Reshape(target)
    out = build_and_call(layer, x)[0]
    np.testing.assert_array_equal(out, x.reshape((2,) + expected))
    assert layer.compute_output_shape((None, 4, 3)) == (None,) + expected
    assert layer.compute_output_shape((None, None, 3))[0] is None
    assert round_trip(layer).target_shape == target


def test_reshape_refuses_incompatible_sizes(rng):
    with pytest.raises(ValueError, match=r"'r'.*\(None, 4, 3\).*\(5, -1\)"):
        Reshape((5, -1), name="r").build((None, 4, 3))
    with pytest.raises(ValueError, match=r"'r2'.*\(7,\)"):
        Reshape((7,), name="r2").build((None, 4, 3))
    with pytest.raises(ValueError, match="at most one -1"):
        Reshape((-1, -1))
    check_gradient(Reshape((2, 6)), rng.randn(2, 4, 3), rng)


def test_flatten_keeps_the_batch_axis(float64, rng):
    x = rng.randn(2, 3, 4)
    out = build_and_call(Flatten(), x)[0]
    np.testing.assert_array_equal(out, x.reshape(2, 12))
    first = build_and_call(Flatten(data_format="channels_first"), x)[0]
    np.testing.assert_array_equal(first, x.transpose(0, 2, 1).reshape(2, 12))
    assert Flatten().compute_output_shape((None, 3, 4)) == (None, 12)
    check_gradient(Flatten(data_format="channels_first"), x, rng)
    with pytest.raises(ValueError, match="not fully defined"):
        Flatten(name="f").compute_output_shape((None, None, 4))
    with pytest.raises(ValueError, match=r"'f'.*rank 3 or more"):
        Flatten(name="f").build((None, 4))
    assert round_trip(Flatten(data_format="channels_first")).data_format \
        == "channels_first"


def test_lambda_with_arguments_and_output_shape(float64, rng):
    x = rng.randn(2, 3, 4)
    layer = Lambda(lambda t, power: t[:, 0] ** power, output_shape=(4,),
                   arguments={"power": 2})
    out = build_and_call(layer, x)[0]
    np.testing.assert_allclose(out, x[:, 0] ** 2)
    assert layer.compute_output_shape((None, 3, 4)) == (None, 4)
    by_function = Lambda(lambda t: t.sum(axis=1),
                         output_shape=lambda s: (s[0], s[2]))
    assert by_function.compute_output_shape((None, 3, 4)) == (None, 4)
    np.testing.assert_allclose(build_and_call(by_function, x)[0], x.sum(1))
    # several inputs arrive as a list
    pair = Lambda(lambda ts: ts[0] - ts[1])
    y = rng.randn(2, 3, 4)
    np.testing.assert_allclose(build_and_call(pair, [x, y])[0], x - y)
    check_gradient(Lambda(lambda t: T.tanh(t) * t), x, rng)


def test_lambda_mask_argument(float64, rng):
    x = rng.randn(2, 3, 4)
    mask = np.array([[1, 0, 1], [1, 1, 0]], dtype="int8")
    plain = Lambda(lambda t: t)
    assert not plain.supports_masking
    assert build_and_call(plain, x, mask)[1] is None
    keeps = Lambda(lambda t: t, mask=lambda inputs, m: m)
    assert keeps.supports_masking
    np.testing.assert_array_equal(build_and_call(keeps, x, mask)[1], mask)


def test_lambda_config_saves_functions_by_name():
    named = round_trip(Lambda(activations.tanh))
    assert named.function.__name__ == "tanh"
    imported = round_trip(Lambda(module_level_double,
                                 output_shape=module_level_double))
    assert imported.function is module_level_double
    assert imported._output_shape is module_level_double
    assert round_trip(Lambda(module_level_double, output_shape=(3,),
                             arguments={})).compute_output_shape(
                                 (None, 3)) == (None, 3)
    with pytest.raises(ValueError, match=r"'anon'.*cannot save function"):
        Lambda(lambda t: t, name="anon").get_config()
    with pytest.raises(ValueError, match="bytecode"):
        Lambda.from_config({"function": "theano_rnn.activations:tanh",
                            "function_type": "lambda", "name": "l"})
    with pytest.raises(ValueError, match="cannot find the function"):
        Lambda.from_config({"function": "no_such_module:f", "name": "l"})


def test_lambda_reads_keras_configs_of_named_functions():
    keras_config = {"name": "double", "trainable": True, "dtype": "float32",
                    "function": "module_level_double",
                    "module": "test_layers_core", "function_type": "function",
                    "output_shape": [3], "output_shape_type": "raw",
                    "output_shape_module": None, "arguments": {}}
    layer = Lambda.from_config(keras_config)
    assert layer.function is module_level_double
    assert layer.compute_output_shape((None, 3)) == (None, 3)
    with pytest.raises(ValueError, match=r"'double'.*bytecode"):
        Lambda.from_config(dict(keras_config, function_type="lambda"))


def test_spatial_dropout_drops_whole_channels(rng):
    x = np.ones((3, 5, 8), dtype=theano.config.floatX)
    layer = SpatialDropout1D(0.5, seed=3)
    trained = build_and_call(layer, x, training=True)[0]
    assert set(np.unique(trained)) <= {0.0, 2.0}
    assert 0 < (trained == 0).mean() < 1
    # one decision per sample and channel, the same at every step
    np.testing.assert_array_equal(trained, trained[:, :1].repeat(5, axis=1))
    np.testing.assert_array_equal(build_and_call(layer, x)[0], x)
    copy = round_trip(layer)
    assert copy.rate == 0.5 and copy.seed == 3
    with pytest.raises(ValueError, match="rank 3"):
        SpatialDropout1D(0.5).build((None, 4))


def test_core_layers_train_in_a_sequential(rng):
    x = rng.randn(8, 4, 3).astype(theano.config.floatX)
    y = rng.randn(8, 1).astype(theano.config.floatX)
    layers = [SpatialDropout1D(0.1, input_shape=(4, 3)),
              Permute((2, 1)), Reshape((-1,)), Activation("tanh"),
              RepeatVector(2), Flatten(),
              Lambda(module_level_double), Dense(1)]
    model, losses = train_one_epoch(layers, x, y)
    assert model.output_shape == (None, 1)
    assert len(losses) == 1 and np.isfinite(losses[0])
    assert model.predict(x).shape == (8, 1)


def test_masking_feeds_mask_consumers_and_refuses_the_others(rng):
    x = rng.randn(8, 4, 3).astype(theano.config.floatX)
    x[:4, 3] = 0.0
    y = rng.randn(8, 1).astype(theano.config.floatX)
    model, losses = train_one_epoch(
        [Masking(input_shape=(4, 3)), Activation("relu"),
         GlobalAveragePooling1D(), Dense(1)], x, y)
    assert np.isfinite(losses[0])
    # a layer without mask support after Masking: Keras's TypeError
    with pytest.raises(TypeError, match="does not support masking"):
        train_one_epoch([Masking(input_shape=(4, 3)), Permute((2, 1)),
                         Flatten(), Dense(1)], x, y)
