"""Recurrent layers given initial states (``[x, h0, (c0)]``, Keras 2's
``initial_state=``) and returning their final states (``return_state``), on
the scan and the fused path; Bidirectional's dropout seeds."""
import numpy as np
import pytest
from theano_rnn.runtime import theano, T

from numpy_reference import run_rnn
from test_gradients import finite_difference
from theano_rnn.layers import GRU, LSTM, Bidirectional, SimpleRNN

KINDS = [("SimpleRNN", SimpleRNN, 1), ("LSTM", LSTM, 2), ("GRU", GRU, 1)]
PATHS = ["scan", "fused"]


def built_layer(cls, rng, units=3, features=2, **options):
    layer = cls(units, return_sequences=True, **options)
    n_states = 2 if cls is LSTM else 1
    layer.build([(None, 4, features)] + [(None, units)] * n_states)
    weights = [rng.uniform(-0.6, 0.6, w.shape) for w in layer.get_weights()]
    layer.set_weights(weights)
    return layer, weights


@pytest.mark.parametrize("implementation", PATHS)
@pytest.mark.parametrize("kind,cls,n_states", KINDS, ids=[k[0] for k in KINDS])
def test_given_initial_states_start_the_recurrence(
        float64, rng, kind, cls, n_states, implementation):
    layer, weights = built_layer(cls, rng, implementation=implementation,
                                 return_state=True)
    x_sym = T.tensor3("x")
    state_syms = [T.matrix("s%d" % i) for i in range(n_states)]
    outputs = layer.call([x_sym] + state_syms)
    assert isinstance(outputs, list) and len(outputs) == 1 + n_states
    f = theano.function([x_sym] + state_syms, outputs)
    x = rng.randn(5, 4, 2)
    states = [rng.randn(5, 3) for _ in range(n_states)]
    mask = None
    expected_seq, expected_states = run_rnn(kind, x, weights,
                                            initial_states=states)
    got = f(x, *states)
    np.testing.assert_allclose(got[0], expected_seq, atol=1e-10)
    for g, e in zip(got[1:], expected_states):
        np.testing.assert_allclose(g, e, atol=1e-10)
    # and they matter: zero states give another result
    assert not np.allclose(f(x, *[np.zeros_like(s) for s in states])[0],
                           got[0], atol=1e-3)
    del mask


@pytest.mark.parametrize("implementation", PATHS)
@pytest.mark.parametrize("kind,cls,n_states", KINDS, ids=[k[0] for k in KINDS])
def test_gradient_flows_into_initial_states(float64, rng, kind, cls, n_states,
                                            implementation):
    layer, _ = built_layer(cls, rng, implementation=implementation)
    x_sym = T.tensor3("x")
    m_sym = T.matrix("m")
    state_syms = [T.matrix("s%d" % i) for i in range(n_states)]
    projection = rng.randn(3, 4, 3)
    loss = (layer.call([x_sym] + state_syms, mask=[m_sym] + [None] * n_states)
            * projection).sum()
    inputs = [x_sym, m_sym] + state_syms
    grads = theano.function(inputs, T.grad(loss, state_syms))
    forward = theano.function(inputs, loss)
    x = rng.randn(3, 4, 2)
    mask = np.ones((3, 4))
    mask[1, :2] = 0                    # left padding: h0 passes through
    states = [rng.randn(3, 3) for _ in range(n_states)]
    symbolic = grads(x, mask, *states)
    for array, grad in zip(states, symbolic):
        assert np.abs(grad).max() > 1e-3
        for index in np.ndindex(array.shape):
            numeric = finite_difference(lambda: forward(x, mask, *states),
                                        array, index)
            assert abs(grad[index] - numeric) <= 1e-6 + 1e-5 * abs(numeric), \
                (kind, index, grad[index], numeric)


def test_fused_and_scan_agree_with_initial_states(float64, rng):
    results = []
    for implementation in PATHS:
        layer, _ = built_layer(LSTM, np.random.RandomState(5),
                               implementation=implementation)
        syms = [T.tensor3("x"), T.matrix("h"), T.matrix("c")]
        loss = layer.call(syms).sum()
        results.append(theano.function(syms, [loss] + T.grad(loss, syms[1:]))(
            rng.randn(2, 4, 2), rng.randn(2, 3), rng.randn(2, 3)))
        rng = np.random.RandomState(1234)
    for scan_value, fused_value in zip(*results):
        np.testing.assert_allclose(fused_value, scan_value, atol=1e-10)


def test_stateful_layer_starts_from_given_states_and_carries_the_last(
        float64, rng):
    """As Keras: given initial states replace the carried ones for this
    call; the final states are carried over all the same."""
    layer = LSTM(3, stateful=True, return_sequences=True,
                 batch_input_shape=(2, 4, 2))
    layer.build([(2, 4, 2), (2, 3), (2, 3)])
    weights = [rng.uniform(-0.6, 0.6, w.shape) for w in layer.get_weights()]
    layer.set_weights(weights)
    syms = [T.tensor3("x"), T.matrix("h"), T.matrix("c")]
    f = theano.function(syms, layer.call(syms),
                        updates=layer.state_updates(False))
    x, h, c = rng.randn(2, 4, 2), rng.randn(2, 3), rng.randn(2, 3)
    sequences, final = run_rnn("LSTM", x, weights, initial_states=[h, c])
    np.testing.assert_allclose(f(x, h, c), sequences, atol=1e-10)
    for state, expected in zip(layer.states, final):
        np.testing.assert_allclose(state.get_value(), expected, atol=1e-10)


def test_return_state_shapes_and_masks_are_lists():
    layer = LSTM(3, return_state=True, return_sequences=True)
    shapes = layer.compute_output_shape([(None, 4, 2), (None, 3), (None, 3)])
    assert shapes == [(None, 4, 3), (None, 3), (None, 3)]
    assert layer.compute_output_shape((None, 4, 2)) == shapes
    mask = T.matrix("m")
    masks = layer.compute_mask([T.tensor3(), T.matrix(), T.matrix()],
                               [mask, None, None])
    assert masks[0] is mask and masks[1:] == [None, None]
    last = GRU(3, return_state=True)
    assert last.compute_output_shape((None, 4, 2)) == [(None, 3), (None, 3)]
    assert last.compute_mask(T.tensor3(), mask) == [None, None]


def test_wrong_initial_states_are_refused_at_build_time():
    with pytest.raises(ValueError, match=r"'enc'.*initial h, initial c"):
        LSTM(3, name="enc").build([(None, 4, 2), (None, 3)])
    with pytest.raises(ValueError, match=r"'dec'.*initial c state.*\(None, 3\)"):
        LSTM(3, name="dec").build([(None, 4, 2), (None, 3), (None, 5)])


def test_initial_state_keyword_packs_the_inputs(monkeypatch):
    """``layer(x, initial_state=...)`` hands ``[x, h0, c0]`` to the base
    ``__call__`` (the engine's), as Keras 2 does."""
    from theano_rnn.layers.base import Layer
    seen = []
    monkeypatch.setattr(Layer, "__call__",
                        lambda self, inputs, **kw: seen.append(inputs) or 0,
                        raising=False)
    x, h, c = T.tensor3(), T.matrix(), T.matrix()
    LSTM(3)(x, initial_state=[h, c])
    SimpleRNN(3)(x, initial_state=h)
    assert seen == [[x, h, c], [x, h]]
    with pytest.raises(ValueError, match="not both"):
        LSTM(3)([x, h, c], initial_state=[h, c])


def _dropout_outputs(seed):
    """The input-dropout masks of both directions, made visible: identity
    kernel, no recurrence, linear activation, inputs of ones."""
    layer = Bidirectional(SimpleRNN(6, activation="linear", dropout=0.5,
                                    return_sequences=True, seed=seed,
                                    implementation="scan"))
    layer.build((None, 3, 6))
    layer.set_weights([np.eye(6), np.zeros((6, 6)), np.zeros(6)] * 2)
    x = T.tensor3("x")
    f = theano.function([x], layer.call(x, training=True))
    out = f(np.ones((4, 3, 6), dtype=theano.config.floatX))
    return out[..., :6], out[..., 6:]


def test_bidirectional_directions_draw_independent_dropout_masks():
    forward, backward = _dropout_outputs(seed=7)
    assert set(np.unique(forward)) <= {0.0, 2.0}
    assert not np.array_equal(forward, backward)


def test_bidirectional_seeded_dropout_is_reproducible():
    first, second = _dropout_outputs(seed=11), _dropout_outputs(seed=11)
    np.testing.assert_array_equal(first[0], second[0])
    np.testing.assert_array_equal(first[1], second[1])


def test_bidirectional_initial_state_keyword_and_return_state(rng):
    from theano_rnn.layers import Input
    from theano_rnn.models import Model
    x = Input(shape=(4, 2))
    states = [Input(shape=(3,)) for _ in range(4)]
    outputs = Bidirectional(LSTM(3, return_state=True))(
        x, initial_state=states)
    assert [o._keras_shape for o in outputs] == \
        [(None, 6)] + [(None, 3)] * 4
    model = Model([x] + states, outputs)
    values = [rng.randn(2, 4, 2)] + [rng.randn(2, 3) for _ in range(4)]
    got = model.predict([v.astype(theano.config.floatX) for v in values])
    assert [g.shape for g in got] == [(2, 6)] + [(2, 3)] * 4
    # the forward half of the output is the forward final h
    np.testing.assert_allclose(got[0][:, :3], got[1], rtol=1e-6)


def test_output_and_state_of_one_call_are_two_tensors():
    """Without sequences the output is the final h; the node still has two
    outputs, which later layers can tell apart (as in Keras)."""
    from theano_rnn.layers import Input, concatenate
    output, h = GRU(2, return_state=True)(Input(shape=(3, 2)))
    assert output is not h
    assert [output._keras_history[2], h._keras_history[2]] == [0, 1]
    merged = concatenate([output, h])
    assert [entry[2] for entry in merged._keras_history[0]
            .inbound_nodes[0].get_config()] == [0, 1]


def test_bidirectional_with_states(float64, rng):
    layer = Bidirectional(GRU(3, return_state=True), merge_mode="sum")
    layer.build([(None, 4, 2), (None, 3), (None, 3)])
    assert layer.compute_output_shape([(None, 4, 2), (None, 3), (None, 3)]) \
        == [(None, 3), (None, 3), (None, 3)]
    weights = [rng.uniform(-0.5, 0.5, w.shape) for w in layer.get_weights()]
    layer.set_weights(weights)
    syms = [T.tensor3("x"), T.matrix("hf"), T.matrix("hb")]
    f = theano.function(syms, layer.call(syms))
    x, hf, hb = rng.randn(2, 4, 2), rng.randn(2, 3), rng.randn(2, 3)
    output, forward_h, backward_h = f(x, hf, hb)
    _, (ref_f,) = run_rnn("GRU", x, weights[:3], initial_states=[hf])
    _, (ref_b,) = run_rnn("GRU", x, weights[3:], go_backwards=True,
                          initial_states=[hb])
    np.testing.assert_allclose(forward_h, ref_f, atol=1e-10)
    np.testing.assert_allclose(backward_h, ref_b, atol=1e-10)
    np.testing.assert_allclose(output, ref_f + ref_b, atol=1e-10)
