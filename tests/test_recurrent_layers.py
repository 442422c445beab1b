"""Recurrent layers against the independent NumPy reference, in float64."""
import numpy as np
import pytest
from theano_rnn.runtime import theano, T

from theano_rnn.layers import GRU, LSTM, SimpleRNN, Bidirectional, Embedding

from numpy_reference import run_rnn

LAYERS = {"SimpleRNN": SimpleRNN, "LSTM": LSTM, "GRU": GRU}
# (layer kind, constructor options, reference options)
VARIANTS = [
    ("SimpleRNN", {}, {}),
    ("SimpleRNN", {"activation": "linear"}, {"act": "linear"}),
    ("LSTM", {}, {}),
    ("LSTM", {"recurrent_activation": "sigmoid"}, {"rec_act": "sigmoid"}),
    ("GRU", {}, {}),
    ("GRU", {"recurrent_activation": "sigmoid"}, {"rec_act": "sigmoid"}),
    ("GRU", {"reset_after": True}, {"reset_after": True}),
    ("GRU", {"reset_after": True, "recurrent_activation": "sigmoid"},
     {"reset_after": True, "rec_act": "sigmoid"}),
]
SHAPES = [(3, 5, 4, 6), (1, 1, 1, 1), (2, 7, 1, 1), (1, 4, 3, 2)]  # batch, time, features, units
VARIANT_IDS = ["%s-%s" % (k, "-".join("%s=%s" % i for i in o.items()) or "default")
               for k, o, _ in VARIANTS]


def random_weights(layer, rng, scale=0.5):
    """Random values for every weight, biases included (zeros would hide bugs)."""
    weights = [rng.uniform(-scale, scale, w.shape) for w in layer.get_weights()]
    layer.set_weights(weights)
    return weights


def compile_layer(layer, input_shape, with_mask=False, training=False):
    layer.build((None,) + input_shape)
    x = T.tensor3("x")
    inputs = [x]
    mask = None
    if with_mask:
        mask = T.matrix("mask")
        inputs.append(mask)
    out = layer.call(x, mask=mask, training=training)
    return theano.function(inputs, out)


@pytest.mark.parametrize("batch,steps,features,units", SHAPES)
@pytest.mark.parametrize("kind,options,ref_options", VARIANTS, ids=VARIANT_IDS)
def test_layer_output_matches_numpy_reference(float64, rng, kind, options,
                                              ref_options, batch, steps,
                                              features, units):
    layer = LAYERS[kind](units, return_sequences=True, **options)
    f = compile_layer(layer, (steps, features))
    weights = random_weights(layer, rng)
    x = rng.randn(batch, steps, features)
    expected, _ = run_rnn(kind, x, weights, **ref_options)
    np.testing.assert_allclose(f(x), expected, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("go_backwards", [False, True])
@pytest.mark.parametrize("kind,options,ref_options", VARIANTS, ids=VARIANT_IDS)
def test_masked_sequences_match_numpy_reference(float64, rng, kind, options,
                                                ref_options, go_backwards):
    layer = LAYERS[kind](5, return_sequences=True, go_backwards=go_backwards,
                         **options)
    f = compile_layer(layer, (6, 3), with_mask=True)
    weights = random_weights(layer, rng)
    x = rng.randn(4, 6, 3)
    mask = (rng.rand(4, 6) > 0.4).astype("float64")
    mask[0] = 0  # a sequence that is all padding keeps the initial state
    expected, _ = run_rnn(kind, x, weights, mask=mask,
                          go_backwards=go_backwards, **ref_options)
    np.testing.assert_allclose(f(x, mask), expected, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("kind", sorted(LAYERS))
def test_go_backwards_returns_last_state_of_reversed_pass(float64, rng, kind):
    layer = LAYERS[kind](3, go_backwards=True)
    f = compile_layer(layer, (5, 2))
    weights = random_weights(layer, rng)
    x = rng.randn(2, 5, 2)
    expected, _ = run_rnn(kind, x[:, ::-1], weights)
    np.testing.assert_allclose(f(x), expected[:, -1], rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("kind", sorted(LAYERS))
def test_return_state_gives_output_and_final_states(float64, rng, kind):
    layer = LAYERS[kind](3, return_state=True)
    f = compile_layer(layer, (4, 2))
    weights = random_weights(layer, rng)
    x = rng.randn(2, 4, 2)
    outputs, states = run_rnn(kind, x, weights)
    got = f(x)
    assert len(got) == 1 + len(states)
    np.testing.assert_allclose(got[0], outputs[:, -1], rtol=1e-6, atol=1e-6)
    for g, s in zip(got[1:], states):
        np.testing.assert_allclose(g, s, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("kind", sorted(LAYERS))
def test_unrolled_loop_equals_scan(float64, rng, kind):
    scanned = LAYERS[kind](3, return_sequences=True)
    unrolled = LAYERS[kind](3, return_sequences=True, unroll=True)
    f_scan = compile_layer(scanned, (4, 2), with_mask=True)
    f_unroll = compile_layer(unrolled, (4, 2), with_mask=True)
    unrolled.set_weights(random_weights(scanned, rng))
    x, mask = rng.randn(3, 4, 2), np.array([[1, 1, 0, 1]] * 3, "float64")
    np.testing.assert_allclose(f_unroll(x, mask), f_scan(x, mask), rtol=1e-12)


def test_stacked_lstms_match_reference(float64, rng):
    first = LSTM(4, return_sequences=True)
    second = LSTM(3)
    first.build((None, 5, 2))
    second.build(first.compute_output_shape((None, 5, 2)))
    x = T.tensor3("x")
    f = theano.function([x], second.call(first.call(x)))
    w1, w2 = random_weights(first, rng), random_weights(second, rng)
    data = rng.randn(2, 5, 2)
    hidden, _ = run_rnn("LSTM", data, w1)
    expected, _ = run_rnn("LSTM", hidden, w2)
    np.testing.assert_allclose(f(data), expected[:, -1], rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("return_sequences", [False, True])
def test_bidirectional_gru_concatenates_forward_and_reversed_backward(
        float64, rng, return_sequences):
    layer = Bidirectional(GRU(3, return_sequences=return_sequences))
    f = compile_layer(layer, (5, 2))
    weights = random_weights(layer, rng)
    x = rng.randn(2, 5, 2)
    forward, _ = run_rnn("GRU", x, weights[:3])
    backward, _ = run_rnn("GRU", x, weights[3:], go_backwards=True)
    if return_sequences:
        expected = np.concatenate([forward, backward[:, ::-1]], axis=-1)
    else:
        expected = np.concatenate([forward[:, -1], backward[:, -1]], axis=-1)
    np.testing.assert_allclose(f(x), expected, rtol=1e-6, atol=1e-6)
    assert layer.compute_output_shape((None, 5, 2))[-1] == 6


@pytest.mark.parametrize("kind", sorted(LAYERS))
def test_left_and_right_padding_give_the_same_final_state(float64, rng, kind):
    embedding = Embedding(10, 3, mask_zero=True)
    layer = LAYERS[kind](4)
    embedding.build((None, 7))
    layer.build((None, 7, 3))
    random_weights(layer, rng)
    ids = T.imatrix("ids")
    f = theano.function([ids], layer.call(embedding.call(ids),
                                          mask=embedding.compute_mask(ids)))
    tokens = [3, 9, 4, 1]
    left = np.array([[0, 0, 0] + tokens], dtype="int32")
    right = np.array([tokens + [0, 0, 0]], dtype="int32")
    unpadded = LAYERS[kind](4)
    unpadded.build((None, 4, 3))
    unpadded.set_weights(layer.get_weights())
    f_unpadded = theano.function([ids], unpadded.call(embedding.call(ids)))
    expected = f_unpadded(np.array([tokens], dtype="int32"))
    np.testing.assert_allclose(f(left), expected, rtol=1e-10)
    np.testing.assert_allclose(f(right), expected, rtol=1e-10)


def test_weights_use_keras_layout_and_defaults():
    lstm = LSTM(5)
    lstm.build((None, None, 3))
    kernel, recurrent, bias = lstm.get_weights()
    assert kernel.shape == (3, 20) and recurrent.shape == (5, 20)
    np.testing.assert_array_equal(bias, np.r_[np.zeros(5), np.ones(5),
                                              np.zeros(10)])  # unit_forget_bias
    # orthogonal recurrent kernel: orthonormal rows
    np.testing.assert_allclose(recurrent @ recurrent.T, np.eye(5), atol=1e-5)
    limit = np.sqrt(6.0 / (3 + 20))
    assert np.abs(kernel).max() <= limit and np.abs(kernel).max() > limit / 2
    gru = GRU(4, reset_after=True)
    gru.build((None, None, 2))
    assert [w.shape for w in gru.get_weights()] == [(2, 12), (4, 12), (2, 12)]
    gru = GRU(4)
    gru.build((None, None, 2))
    assert [w.shape for w in gru.get_weights()] == [(2, 12), (4, 12), (12,)]
    assert kernel.dtype == np.float32  # floatX defaults to float32


def test_truncated_gradient_ignores_early_steps(float64, rng):
    full = SimpleRNN(2, return_sequences=False)
    cut = SimpleRNN(2, return_sequences=False, truncate_gradient=2)
    for layer in (full, cut):
        layer.build((None, 6, 1))
    cut.set_weights(random_weights(full, rng))
    x = T.tensor3("x")
    grads = [theano.function([x], T.grad(l.call(x).sum(), x)) for l in (full, cut)]
    data = rng.randn(1, 6, 1)
    g_full, g_cut = grads[0](data), grads[1](data)
    assert np.all(g_cut[:, :4] == 0) and np.all(g_full[:, :4] != 0)
    np.testing.assert_allclose(g_cut[:, 4:], g_full[:, 4:], rtol=1e-10)


def test_lstm_step_runs_in_a_plain_theano_scan(float64, rng):
    """The step function can be lifted out of the library, as documented."""
    import functools
    from theano_rnn.cells import lstm_step
    from theano_rnn.runtime import nnet, scan
    W, U, b = rng.randn(2, 12) * 0.5, rng.randn(3, 12) * 0.5, rng.randn(12)
    x = T.tensor3("x")                                  # (time, batch, features)
    W_s, U_s, b_s = theano.shared(W), theano.shared(U), theano.shared(b)
    xw = T.dot(x, W_s) + b_s                            # all steps at once
    h0 = T.zeros((x.shape[1], 3))
    h, c = scan(
        functools.partial(lstm_step, activation=T.tanh,
                          recurrent_activation=nnet.sigmoid),
        sequences=xw, outputs_info=[h0, h0], non_sequences=[U_s], strict=True)
    data = rng.randn(4, 2, 2)
    expected, _ = run_rnn("LSTM", data.transpose(1, 0, 2), [W, U, b],
                          rec_act="sigmoid")
    np.testing.assert_allclose(theano.function([x], h)(data),
                               expected.transpose(1, 0, 2), rtol=1e-6)


@pytest.mark.parametrize("implementation", ["scan", "auto"])
@pytest.mark.parametrize("kind", sorted(LAYERS))
def test_float32_layers_match_numpy_reference_to_float32_precision(
        rng, kind, implementation):
    """In floatX=float32 (the default) the layers compute the same maths,
    to float32's precision, on the scan path and on the default one."""
    assert theano.config.floatX == "float32"
    layer = LAYERS[kind](4, return_sequences=True,
                         implementation=implementation)
    f = compile_layer(layer, (6, 3))
    random_weights(layer, rng)
    weights = [w.astype(np.float64) for w in layer.get_weights()]  # rounded
    x = rng.randn(3, 6, 3).astype(np.float32)
    expected, _ = run_rnn(kind, x.astype(np.float64), weights)
    got = f(x)
    assert got.dtype == np.float32
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=2e-6)
