"""The vectorisable tanh against NumPy's exact one, and a float32 network
using it against the float64 reference.  The functions compile in the
production mode (:func:`compile_mode.production_function`): the suite's own
mode would run ``fast_tanh``'s Python implementation instead of its C
code."""
import numpy as np

import compile_mode
from numpy_reference import run_rnn
from theano_rnn.fastmath import fast_sigmoid, fast_tanh, tanh_float32
from theano_rnn.layers import GRU, LSTM
from theano_rnn.runtime import T

#: ``theano.function`` as in production: Theano's element-wise C code.
c_function = compile_mode.production_function


def test_float32_fast_tanh_is_within_4e7_of_exact_tanh():
    x = T.vector("x", dtype="float32")
    f = c_function([x], fast_tanh(x))
    values = np.concatenate([np.linspace(-20, 20, 400001),
                             [0.0, 1e-30, -1e-30, 1e30, -1e30]]).astype("float32")
    exact = np.tanh(values.astype("float64"))
    got = f(values)
    assert np.abs(got - exact).max() < 4e-7
    assert np.all(np.abs(got) <= 1)
    np.testing.assert_array_equal(np.sign(got), np.sign(values))
    # Theano's Python implementation (constant folding) is as accurate
    assert np.abs(tanh_float32(values) - exact).max() < 4e-7


def test_fast_tanh_propagates_nan_and_saturates_at_infinity():
    x = T.vector("x", dtype="float32")
    got = c_function([x], fast_tanh(x))(
        np.array([np.nan, np.inf, -np.inf], dtype="float32"))
    assert np.isnan(got[0])
    assert abs(got[1] - 1) < 4e-7 and abs(got[2] + 1) < 4e-7


def test_float64_fast_tanh_and_sigmoid_are_exact(float64):
    x = T.vector("x")
    values = np.linspace(-30, 30, 10001)
    np.testing.assert_allclose(c_function([x], fast_tanh(x))(values),
                               np.tanh(values), rtol=1e-15, atol=1e-15)
    np.testing.assert_allclose(c_function([x], fast_sigmoid(x))(values),
                               1 / (1 + np.exp(-values)), rtol=1e-14,
                               atol=1e-15)


def test_fast_tanh_gradient_is_one_minus_tanh_squared(float64):
    x = T.vector("x")
    values = np.linspace(-5, 5, 101)
    grad = c_function([x], T.grad(fast_tanh(x).sum(), x))(values)
    np.testing.assert_allclose(grad, 1 - np.tanh(values) ** 2, rtol=1e-12)


def test_float32_recurrent_layers_agree_with_float64_reference(rng):
    for layer, kind, options in [
            (LSTM(8, return_sequences=True, recurrent_activation="sigmoid"),
             "LSTM", {"rec_act": "sigmoid"}),
            (GRU(8, return_sequences=True), "GRU", {})]:
        layer.build((None, 20, 4))
        weights = [rng.uniform(-0.5, 0.5, w.shape) for w in layer.get_weights()]
        layer.set_weights(weights)
        x = T.tensor3("x", dtype="float32")
        data = rng.randn(3, 20, 4)
        got = c_function([x], layer.call(x))(data.astype("float32"))
        expected, _ = run_rnn(kind, data, weights, **options)
        assert got.dtype == np.float32
        np.testing.assert_allclose(got, expected, atol=2e-5)


def test_affine_and_its_gradients_equal_dot_plus_bias(float64, rng):
    from theano_rnn.fastmath import affine
    x, W, b = T.tensor3("x"), T.matrix("W"), T.vector("b")
    g = T.tensor3("g")                        # an arbitrary output gradient
    fast, plain = affine(x, W, b), T.dot(x, W) + b
    outputs = []
    for out in (fast, plain):
        cost = (out * g).sum()
        outputs.append(c_function([x, W, b, g],
                                       [out] + T.grad(cost, [x, W, b])))
    args = [rng.randn(5, 3, 4), rng.randn(4, 6), rng.randn(6),
            rng.randn(5, 3, 6)]
    for got, expected in zip(outputs[0](*args), outputs[1](*args)):
        np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-12)
