"""Stateful recurrent layers: states carried from batch to batch (Keras's
``stateful=True``), checked against the NumPy reference run over the whole
sequence."""
import numpy as np
import pytest

from theano_rnn.layers import GRU, LSTM, Bidirectional, Dense, SimpleRNN
from theano_rnn.models import Sequential, load_model

from numpy_reference import run_rnn

LAYERS = {"SimpleRNN": SimpleRNN, "LSTM": LSTM, "GRU": GRU}
BATCH, FEATURES, UNITS = 3, 2, 4


def random_weights(layer, rng, scale=0.5):
    weights = [rng.uniform(-scale, scale, w.shape) for w in layer.get_weights()]
    layer.set_weights(weights)
    return weights


def stateful_model(kind, implementation="auto", steps=None, **options):
    layer = LAYERS[kind](UNITS, stateful=True, return_sequences=True,
                         implementation=implementation,
                         batch_input_shape=(BATCH, steps, FEATURES), **options)
    return Sequential([layer]), layer


@pytest.mark.parametrize("implementation", ["scan", "fused"])
@pytest.mark.parametrize("kind", sorted(LAYERS))
def test_sequence_in_two_chunks_continues_as_one_sequence(
        float64, rng, kind, implementation):
    model, layer = stateful_model(kind, implementation)
    model.build()
    weights = random_weights(layer, rng)
    x = rng.randn(BATCH, 7, FEATURES)
    expected, final = run_rnn(kind, x, weights)
    got = np.concatenate([model.predict(x[:, :3], batch_size=BATCH),
                          model.predict(x[:, 3:], batch_size=BATCH)], axis=1)
    np.testing.assert_allclose(got, expected, rtol=1e-7, atol=1e-9)
    for state, value in zip(layer.states, final):
        np.testing.assert_allclose(state.get_value(), value, rtol=1e-7,
                                   atol=1e-9)

    model.reset_states()
    assert all(not s.get_value().any() for s in layer.states)
    alone, _ = run_rnn(kind, x[:, 3:], weights)
    np.testing.assert_allclose(model.predict(x[:, 3:], batch_size=BATCH),
                               alone, rtol=1e-7, atol=1e-9)


def test_non_stateful_layer_starts_every_batch_from_zero(float64, rng):
    layer = LSTM(UNITS, return_sequences=True,
                 batch_input_shape=(BATCH, None, FEATURES))
    model = Sequential([layer])
    model.build()
    weights = random_weights(layer, rng)
    x = rng.randn(BATCH, 4, FEATURES)
    expected, _ = run_rnn("LSTM", x, weights)
    for _ in range(2):
        np.testing.assert_allclose(model.predict(x), expected, rtol=1e-7)
    # Keras's convention: no carried states, one None per state
    assert layer.states == [None, None] and layer.state_updates(False) == []


def test_training_step_carries_the_final_states_of_its_batch(float64, rng):
    """train_on_batch leaves in the states the final states of its forward
    pass (made with the weights before the step).  The states are handled
    alike on both paths (the first test checks both), so the fused path,
    much quicker to compile with its gradient, stands for them here."""
    layer = LSTM(UNITS, stateful=True, implementation="fused",
                 batch_input_shape=(BATCH, 5, FEATURES))
    model = Sequential([layer, Dense(1)])
    model.compile(loss="mse", optimizer="sgd")
    weights = random_weights(layer, rng)
    x = rng.randn(BATCH, 5, FEATURES)
    _, final = run_rnn("LSTM", x, weights)
    model.train_on_batch(x, rng.randn(BATCH, 1))
    assert not np.allclose(layer.get_weights()[0], weights[0])  # it trained
    for state, value in zip(layer.states, final):
        np.testing.assert_allclose(state.get_value(), value, rtol=1e-7,
                                   atol=1e-9)
    # Evaluation advances them too, from the current states.
    _, after = run_rnn("LSTM", x, layer.get_weights())
    model.reset_states()
    model.evaluate(x, rng.randn(BATCH, 1), batch_size=BATCH)
    np.testing.assert_allclose(layer.states[0].get_value(), after[0],
                               rtol=1e-7, atol=1e-9)


def test_fit_runs_through_the_batches_in_order(rng):
    layer = GRU(UNITS, stateful=True, batch_input_shape=(BATCH, 4, FEATURES))
    model = Sequential([layer, Dense(1)])
    model.compile(loss="mse", optimizer="adam")
    x = rng.randn(4 * BATCH, 4, FEATURES).astype("float32")
    y = rng.randn(4 * BATCH, 1).astype("float32")
    history = model.fit(x, y, batch_size=BATCH, epochs=2, shuffle=False,
                        verbose=0, validation_data=(x[:BATCH], y[:BATCH]))
    assert len(history.history["loss"]) == 2
    assert layer.states[0].get_value().any()


def test_batch_size_argument_fixes_the_batch_of_the_first_layer():
    layer = SimpleRNN(2, stateful=True, input_shape=(3, 1), batch_size=5)
    model = Sequential([layer])
    assert model.input_shape == (5, 3, 1)
    model.build()
    assert layer.states[0].get_value().shape == (5, 2)


def test_stateful_layer_needs_a_fixed_batch_size():
    model = Sequential([LSTM(2, stateful=True, input_shape=(3, 1))])
    with pytest.raises(ValueError, match="stateful=True needs a fixed batch"):
        model.build()


@pytest.mark.parametrize("call, message", [
    (lambda m, x, y: m.fit(x, y, batch_size=2, verbose=0),
     "batch_size: the model is stateful, with batches of 3"),
    (lambda m, x, y: m.predict(x[:4], batch_size=3),
     "x: a stateful model takes whole batches of 3 samples, got 4"),
    (lambda m, x, y: m.evaluate(x, y, batch_size=6),
     "batch_size: the model is stateful"),
    (lambda m, x, y: m.train_on_batch(x[:2], y[:2]),
     "x: a stateful model takes batches of exactly 3 samples, got 2"),
    (lambda m, x, y: m.predict_on_batch(x),
     "batches of exactly 3 samples, got 6"),
    (lambda m, x, y: m.fit(x, y, batch_size=3, verbose=0,
                           validation_data=(x[:2], y[:2])),
     "validation data: a stateful model takes whole batches"),
], ids=["fit", "predict", "evaluate", "train_on_batch", "predict_on_batch",
        "validation"])
def test_batches_of_another_size_are_refused_by_name(rng, call, message):
    model = Sequential([SimpleRNN(2, stateful=True,
                                  batch_input_shape=(3, 4, 1)), Dense(1)])
    model.compile(loss="mse", optimizer="sgd")
    x = rng.randn(6, 4, 1)
    y = rng.randn(6, 1)
    with pytest.raises(ValueError, match=message):
        call(model, x, y)


def test_reset_states_checks_what_it_is_given(rng):
    stateful = LSTM(2, stateful=True, batch_input_shape=(3, 4, 1))
    Sequential([stateful]).build()
    h, c = rng.randn(3, 2), rng.randn(3, 2)
    stateful.reset_states([h, c])
    np.testing.assert_allclose(stateful.states[1].get_value(), c, rtol=1e-6)
    with pytest.raises(ValueError, match=r"states: .* has 2 state\(s\) "
                                         r"\(h, c\), got 1"):
        stateful.reset_states([h])
    with pytest.raises(ValueError, match=r"shape \(3, 2\), got \(2, 2\)"):
        stateful.reset_states([h[:2], c[:2]])
    plain = LSTM(2, batch_input_shape=(3, 4, 1))
    Sequential([plain]).build()
    with pytest.raises(ValueError, match="not stateful"):
        plain.reset_states()


def test_bidirectional_carries_and_resets_both_directions(rng):
    wrapper = Bidirectional(GRU(2, stateful=True),
                            batch_input_shape=(3, 4, 1))
    model = Sequential([wrapper])
    x = rng.randn(3, 4, 1).astype("float32")
    first = model.predict(x, batch_size=3)
    second = model.predict(x, batch_size=3)
    assert not np.allclose(first, second)
    states = wrapper.forward_layer.states + wrapper.backward_layer.states
    assert len(states) == 2 and all(s.get_value().any() for s in states)
    model.reset_states()
    assert not any(s.get_value().any() for s in states)
    np.testing.assert_allclose(model.predict(x, batch_size=3), first,
                               rtol=1e-6)


def test_saved_model_stays_stateful_and_starts_from_zero(tmp_path, rng):
    model = Sequential([LSTM(2, stateful=True, batch_input_shape=(3, 4, 1)),
                        Dense(1)])
    model.compile(loss="mse", optimizer="adam")
    x = rng.randn(3, 4, 1).astype("float32")
    before = model.predict(x, batch_size=3)
    model.save(str(tmp_path / "m.npz"))
    loaded = load_model(str(tmp_path / "m.npz"))
    layer = loaded.layers[0]
    assert layer.stateful and loaded.input_shape == (3, 4, 1)
    assert not layer.states[0].get_value().any()
    np.testing.assert_allclose(loaded.predict(x, batch_size=3), before,
                               rtol=1e-6)


def test_one_stateful_batch_predicts_with_the_default_batch_size(rng):
    """Keras: a batch_size larger than the data is one batch of it all."""
    model = Sequential([SimpleRNN(2, stateful=True,
                                  batch_input_shape=(3, 4, 1))])
    x = rng.randn(3, 4, 1)
    first = model.predict(x)                 # batch_size=32
    model.reset_states()
    np.testing.assert_array_equal(model.predict(x, batch_size=3), first)


def test_reset_states_takes_one_array_for_a_layer_with_one_state():
    layer = SimpleRNN(3, stateful=True, batch_input_shape=(2, 5, 4))
    layer.build((2, 5, 4))
    layer.reset_states(np.ones((2, 3)))
    np.testing.assert_array_equal(layer.states[0].get_value(), 1)
