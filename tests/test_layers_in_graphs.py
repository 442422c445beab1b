"""The new layers inside functional models: lstm_seq2seq's encoder-decoder
(return_state, initial_state= from another layer, on both paths), the merge
functions in a babi_memnn-shaped graph, Keras 1's merge(), masks through a
graph, and save -> load giving identical predictions."""
import numpy as np
import pytest
from theano_rnn.runtime import theano

from theano_rnn.layers import (LSTM, Activation, BatchNormalization,
                               Bidirectional, Conv1D, Dense, Dropout,
                               Embedding, Flatten, GlobalMaxPooling1D, GRU,
                               Input, Masking, MaxPooling1D, Permute,
                               RepeatVector, Reshape, TimeDistributed, add,
                               concatenate, dot, merge)
from theano_rnn.models import Model, load_model

FLOATX = theano.config.floatX


@pytest.mark.parametrize("implementation", ["scan", "fused"])
def test_seq2seq_decoder_starts_from_the_encoder_states(rng, implementation):
    """lstm_seq2seq: the decoder's initial states are the encoder's final
    ones, so training moves the encoder's weights through them."""
    encoder_inputs = Input(shape=(None, 3))
    _, h, c = LSTM(4, return_state=True, implementation=implementation,
                   name="encoder")(encoder_inputs)
    decoder_inputs = Input(shape=(None, 3))
    decoder = LSTM(4, return_sequences=True, return_state=True,
                   implementation=implementation, name="decoder")
    sequences, _, _ = decoder(decoder_inputs, initial_state=[h, c])
    outputs = Dense(3, activation="softmax")(sequences)
    model = Model([encoder_inputs, decoder_inputs], outputs)
    assert [n.name for n in decoder.inbound_nodes[0].inbound_layers][1:] == \
        ["encoder", "encoder"]
    x1 = rng.randn(6, 5, 3).astype(FLOATX)
    x2 = rng.randn(6, 4, 3).astype(FLOATX)
    y = np.eye(3)[rng.randint(0, 3, (6, 4))].astype(FLOATX)
    model.compile(optimizer="rmsprop", loss="categorical_crossentropy")
    encoder_before = model.get_layer("encoder").get_weights()
    model.fit([x1, x2], y, batch_size=3, epochs=1, verbose=0)
    for before, after in zip(encoder_before,
                             model.get_layer("encoder").get_weights()):
        assert not np.allclose(before, after)
    # the inference models of the example: states as inputs of the decoder
    encoder_model = Model(encoder_inputs, [h, c])
    state_h, state_c = Input(shape=(4,)), Input(shape=(4,))
    step_out, h2, c2 = decoder(decoder_inputs,
                               initial_state=[state_h, state_c])
    decoder_model = Model([decoder_inputs, state_h, state_c],
                          [model.layers[-1](step_out), h2, c2])
    states = encoder_model.predict(x1)
    probabilities = decoder_model.predict([x2] + states)[0]
    np.testing.assert_allclose(probabilities, model.predict([x1, x2]),
                               rtol=1e-5, atol=1e-6)


def test_memory_network_merges_train(rng):
    """babi_memnn's graph: dot, add/Activation, Permute, concatenate."""
    story, question = Input(shape=(6,), dtype="int32"), \
        Input(shape=(3,), dtype="int32")
    memory = Embedding(10, 4)(story)                   # (6, 4)
    query = Embedding(10, 4)(question)                 # (3, 4)
    match = Activation("softmax")(dot([memory, query], axes=(2, 2)))  # (6, 3)
    response = Permute((2, 1))(add([match, Embedding(10, 3)(story)]))
    answer = concatenate([response, query])            # (3, 10)
    answer = Dense(10, activation="softmax")(LSTM(5)(answer))
    model = Model([story, question], answer)
    assert model.output_shape == (None, 10)
    model.compile(optimizer="rmsprop", loss="sparse_categorical_crossentropy")
    history = model.fit([rng.randint(0, 10, (8, 6)), rng.randint(0, 10, (8, 3))],
                        rng.randint(0, 10, (8, 1)), batch_size=4, epochs=1,
                        verbose=0)
    assert np.isfinite(history.history["loss"][0])


def test_keras1_merge_function_and_bad_shapes(rng):
    a, b = Input(shape=(4,)), Input(shape=(4,))
    summed = merge([Dense(3)(a), Dense(3)(b)], mode="sum")
    cat = merge([a, b], mode="concat", concat_axis=-1)
    model = Model([a, b], [summed, cat])
    outs = model.predict([np.ones((2, 4), FLOATX), np.zeros((2, 4), FLOATX)])
    assert outs[0].shape == (2, 3) and outs[1].shape == (2, 8)
    with pytest.raises(ValueError, match=r"one shape.*\(None, 4\), \(None, 3\)"):
        merge([a, Dense(3)(b)], mode="mul")
    with pytest.raises(ValueError, match="unknown merge mode"):
        merge([a, b], mode="median")
    with pytest.raises(ValueError, match=r"\(None, 4\), \(None, 3\).*broadcast"):
        add([a, Dense(3)(b)])


def test_masks_flow_through_time_distributed_and_concatenate(float64, rng):
    """Embedding(mask_zero) -> TimeDistributed / concatenate -> LSTM: the
    LSTM skips the padded steps."""
    tokens = Input(shape=(5,), dtype="int32")
    embedded = Embedding(9, 3, mask_zero=True)(tokens)
    both = concatenate([embedded, TimeDistributed(Dense(2))(embedded)])
    assert both._keras_mask is not None
    model = Model(tokens, LSTM(4)(both))
    x = rng.randint(1, 9, (3, 5))
    padded = x.copy()
    padded[:, 3:] = 0
    trimmed = model.predict(padded)
    # the padded steps are skipped: the result equals the 3-step prefix run
    # through a model on 3 steps with the same layers
    tokens3 = Input(shape=(3,), dtype="int32")
    layers = model.layers
    e3 = layers[1](tokens3)
    m3 = Model(tokens3, layers[-1](layers[-2]([e3, layers[2](e3)])))
    np.testing.assert_allclose(trimmed, m3.predict(x[:, :3]), atol=1e-10)


def test_models_of_the_new_layers_save_and_load(tmp_path, rng):
    inputs = Input(shape=(6, 3))
    both_ways = Bidirectional(GRU(3, dropout=0.2, seed=5))(Masking()(inputs))
    conv = Conv1D(4, 3, padding="causal", activation="relu")(inputs)
    pooled = GlobalMaxPooling1D()(MaxPooling1D(2)(conv))
    joined = concatenate([both_ways, BatchNormalization()(pooled)])   # (10,)
    repeated = RepeatVector(2)(Dropout(0.1)(joined))
    steps = TimeDistributed(Dense(4))(repeated)                        # (2, 4)
    model = Model(inputs, Flatten()(Reshape((4, 2))(steps)))
    model.compile(optimizer="adam", loss="mse")
    x = rng.randn(4, 6, 3).astype(FLOATX)
    model.fit(x, rng.randn(4, 8).astype(FLOATX), epochs=1, verbose=0)
    path = str(tmp_path / "model.npz")
    model.save(path)
    loaded = load_model(path)
    np.testing.assert_allclose(loaded.predict(x), model.predict(x),
                               rtol=1e-6)
    assert [type(l).__name__ for l in loaded.layers] == \
        [type(l).__name__ for l in model.layers]


def test_keras1_sequential_starting_with_a_merge_of_sequential_branches(
        float64, rng):
    """Keras 1's babi_memnn/babi_rnn: Sequential([Merge([a, b]), ...]) is a
    model of the branches' inputs; it predicts what the same layers called
    in a functional graph predict, and trains."""
    from theano_rnn.layers import Embedding, Merge, concatenate
    from theano_rnn.models import Sequential
    story = Sequential([Embedding(10, 4, input_length=5)])
    question = Sequential([Embedding(10, 4, input_length=5)])
    model = Sequential()
    model.add(Merge([story, question], mode="concat", concat_axis=-1))
    model.add(LSTM(3))
    model.add(Dense(1, activation="sigmoid"))
    model.compile(optimizer="adam", loss="binary_crossentropy")
    xs, xq = rng.randint(1, 10, (6, 5)), rng.randint(1, 10, (6, 5))
    y = rng.randint(0, 2, (6, 1))
    lstm, dense = model.layers[-2], model.layers[-1]
    functional = Model([story.input, question.input],
                       dense(lstm(concatenate([story.output,
                                               question.output]))))
    np.testing.assert_allclose(model.predict([xs, xq]),
                               functional.predict([xs, xq]), rtol=1e-12)
    before = lstm.get_weights()[0].copy()
    history = model.fit([xs, xq], y, epochs=1, batch_size=3, verbose=0)
    assert np.isfinite(history.history["loss"][0])
    assert not np.allclose(lstm.get_weights()[0], before)
