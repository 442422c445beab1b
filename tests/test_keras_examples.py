"""The RNN examples of Keras 2.3.1 and Keras 1.2.2, shrunk: each test builds a
model of the example's shape with the calls the example makes (Keras 1's
argument names for the 1.2.2 examples, Keras 2's for the 2.3.1 ones: the same
layers in the same order, the same ``compile`` and ``fit`` arguments) on a few
synthetic samples with tiny sizes, trains it for one epoch, and checks what
the example relies on: a finite loss in the History, weights moved by the
epoch, the output shapes and ranges the example expects, and for the stateful
and seq2seq examples the state handling they use.

Covered elsewhere (not repeated here):

- addition_rnn (both versions; RepeatVector + TimeDistributed(Dense)):
  ``tests/test_wrappers.py``;
- mnist_hierarchical_rnn (TimeDistributed(LSTM)): ``tests/test_wrappers.py``;
- imdb_cnn and imdb_cnn_lstm (Conv1D/Convolution1D, MaxPooling1D):
  ``tests/test_convolutional.py``;
- lstm_seq2seq (return_state, initial_state= from the encoder, the inference
  models built from the same layers): ``tests/test_layers_in_graphs.py``
  (``test_seq2seq_decoder_starts_from_the_encoder_states``); here only
  lstm_seq2seq_restore's part (load the saved model, rebuild the inference
  models from ``model.input`` and ``model.layers[i].output``);
- babi_memnn (dot, add, Permute, concatenate; Keras 1's Sequential of
  Merge([Sequential, Sequential])): ``tests/test_layers_in_graphs.py``.

Skipped: conv_lstm (ConvLSTM2D, Conv3D) and image_ocr (Conv2D, MaxPooling2D):
theano_rnn has no 2-D/3-D layers.
"""
import warnings

import numpy as np
import pytest
from theano_rnn.runtime import theano

from theano_rnn.layers import (LSTM, Activation, Bidirectional, Dense,
                               Dropout, Embedding, Input, Merge, RepeatVector,
                               SimpleRNN, concatenate)
from theano_rnn.models import Model, Sequential, load_model
from theano_rnn import initializers
from theano_rnn.legacy import LegacyArgumentWarning
from theano_rnn.optimizers import RMSprop

FLOATX = theano.config.floatX


def _one_hot(indices, size):
    return np.eye(size, dtype=FLOATX)[indices]


def _fit_one_epoch(model, x, y, **fit_kwargs):
    """Fit for one epoch (the caller passes Keras 1's ``nb_epoch`` or Keras
    2's ``epochs``); return the History after checking it records a finite
    loss and that every trainable weight moved."""
    before = [w.copy() for w in model.get_weights()]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", LegacyArgumentWarning)
        history = model.fit(x, y, verbose=0, **fit_kwargs)
    losses = history.history["loss"]
    assert len(losses) == 1 and np.isfinite(losses[0])
    after = model.get_weights()
    moved = [not np.allclose(b, a) for b, a in zip(before, after)]
    assert all(moved), "weights the epoch did not change: %s" % [
        i for i, m in enumerate(moved) if not m]
    return history


def _keras1(factory, *args, **kwargs):
    """Call a constructor with Keras 1's names (their warning is tested in
    tests/test_legacy_names.py, not here)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", LegacyArgumentWarning)
        return factory(*args, **kwargs)


#: babi_rnn's vocabulary size, story length and query length, shrunk
BABI_SIZES = (9, 6, 3)


def _train_babi_model(model, rng, **epochs):
    """babi_rnn's compile/fit/evaluate on random stories and questions (the
    model is the example's of either version); the answer is a softmax over
    the vocabulary."""
    vocab, story_len, query_len = BABI_SIZES
    assert model.output_shape == (None, vocab)
    model.compile(optimizer="adam", loss="categorical_crossentropy",
                  metrics=["accuracy"])
    x = rng.randint(1, vocab, (8, story_len))
    xq = rng.randint(1, vocab, (8, query_len))
    y = _one_hot(rng.randint(0, vocab, 8), vocab)
    history = _fit_one_epoch(model, [x, xq], y, batch_size=4,
                             validation_split=0.25, **epochs)
    assert np.isfinite(history.history["val_loss"][0])
    loss, acc = model.evaluate([x, xq], y, batch_size=4, verbose=0)
    assert np.isfinite(loss) and 0.0 <= acc <= 1.0
    probabilities = model.predict([x, xq])
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, rtol=1e-5)


def _train_irnn(model, rng, **epochs):
    """mnist_irnn's checks and fit (either version's model, compiled): the
    recurrent kernel starts as the identity, the input kernel small; 6
    random 6-step "images" of 2 pixels a row, 3 classes."""
    kernel, recurrent, _ = model.layers[0].get_weights()
    np.testing.assert_array_equal(recurrent, np.eye(5))
    assert np.abs(kernel).max() < 0.01
    x = rng.rand(6, 6, 2).astype(FLOATX)
    y = _one_hot(rng.randint(0, 3, 6), 3)
    _fit_one_epoch(model, x, y, batch_size=3,
                   validation_data=(x[:3], y[:3]), **epochs)
    scores = model.evaluate(x, y, verbose=0)
    assert np.isfinite(scores[0]) and 0.0 <= scores[1] <= 1.0


# --- Keras 2.3.1 ----------------------------------------------------------

def test_keras2_babi_rnn_two_encoders_concatenated(rng):
    """babi_rnn: two Embedding -> LSTM encoders, concatenate, softmax."""
    vocab, story_len, query_len = BABI_SIZES
    sentence = Input(shape=(story_len,), dtype="int32")
    encoded_sentence = LSTM(5)(Embedding(vocab, 4)(sentence))
    question = Input(shape=(query_len,), dtype="int32")
    encoded_question = LSTM(3)(Embedding(vocab, 4)(question))
    merged = concatenate([encoded_sentence, encoded_question])
    preds = Dense(vocab, activation="softmax")(merged)
    model = Model([sentence, question], preds)
    _train_babi_model(model, rng, epochs=1)


def test_imdb_bidirectional_lstm_keras2_and_keras1_fit(rng):
    """imdb_bidirectional_lstm (the same model in both versions):
    Embedding(input_length) -> Bidirectional(LSTM) -> Dropout -> sigmoid;
    compile('adam', 'binary_crossentropy') positionally; Keras 2's fit with
    epochs= and validation_data as a list, then Keras 1's with nb_epoch=."""
    model = Sequential()
    model.add(Embedding(20, 4, input_length=5))
    model.add(Bidirectional(LSTM(3)))
    model.add(Dropout(0.5))
    model.add(Dense(1, activation="sigmoid"))
    assert model.output_shape == (None, 1)
    assert model.layers[1].output_shape == (None, 6)   # both directions
    model.compile("adam", "binary_crossentropy", metrics=["accuracy"])
    x = rng.randint(1, 20, (6, 5))
    y = rng.randint(0, 2, (6, 1))
    x_test, y_test = rng.randint(1, 20, (4, 5)), rng.randint(0, 2, (4, 1))
    history = _fit_one_epoch(model, x, y, batch_size=3, epochs=1,
                             validation_data=[x_test, y_test])
    assert np.isfinite(history.history["val_loss"][0])
    history = _fit_one_epoch(model, x, y, batch_size=3, nb_epoch=1,
                             validation_data=[x_test, y_test])
    assert len(history.history["val_accuracy"]) == 1
    predictions = model.predict(x_test)
    assert predictions.shape == (4, 1)
    assert np.all((predictions > 0) & (predictions < 1))


def test_keras2_imdb_lstm_with_recurrent_dropout(rng):
    """imdb_lstm: Embedding without input_length, LSTM(dropout,
    recurrent_dropout), sigmoid; evaluate gives [loss, accuracy]."""
    model = Sequential()
    model.add(Embedding(20, 4))
    model.add(LSTM(3, dropout=0.2, recurrent_dropout=0.2))
    model.add(Dense(1, activation="sigmoid"))
    model.compile(loss="binary_crossentropy", optimizer="adam",
                  metrics=["accuracy"])
    x = rng.randint(1, 20, (6, 5))
    y = rng.randint(0, 2, (6, 1))
    _fit_one_epoch(model, x, y, batch_size=3, epochs=1,
                   validation_data=(x[:2], y[:2]))
    score, acc = model.evaluate(x, y, batch_size=3, verbose=0)
    assert np.isfinite(score) and 0.0 <= acc <= 1.0
    # inference is deterministic (no dropout outside training)
    np.testing.assert_array_equal(model.predict(x), model.predict(x))


def test_keras2_lstm_stateful_against_stateless(rng):
    """lstm_stateful: LSTM(input_shape=, batch_size=, stateful=) -> Dense;
    fit(shuffle=False) then reset_states(); predict(batch_size=). The stateful
    model carries sample i's final state into sample i of the next batch;
    after reset_states() it predicts what the stateless model with the same
    weights predicts."""
    batch_size, lahead = 2, 3

    def create_model(stateful):
        model = Sequential()
        model.add(LSTM(4, input_shape=(lahead, 1), batch_size=batch_size,
                       stateful=stateful))
        model.add(Dense(1))
        model.compile(loss="mse", optimizer="adam")
        return model

    x = rng.randn(6, lahead, 1).astype(FLOATX)
    y = rng.randn(6, 1).astype(FLOATX)
    model_stateful = create_model(stateful=True)
    assert model_stateful.input_shape == (batch_size, lahead, 1)
    _fit_one_epoch(model_stateful, x, y, batch_size=batch_size, epochs=1,
                   validation_data=(x[:2], y[:2]), shuffle=False)
    model_stateful.reset_states()
    model_stateless = create_model(stateful=False)
    model_stateless.set_weights(model_stateful.get_weights())
    first = model_stateful.predict(x[:2], batch_size=batch_size)
    np.testing.assert_allclose(first, model_stateless.predict(x[:2]),
                               rtol=1e-5, atol=1e-6)
    # without a reset the next call starts from the states the first left
    second = model_stateful.predict(x[2:4], batch_size=batch_size)
    assert not np.allclose(second, model_stateless.predict(x[2:4]))
    # the whole series at once: batch i continues batch i - 1
    model_stateful.reset_states()
    carried = model_stateful.predict(x, batch_size=batch_size)
    np.testing.assert_allclose(carried[:2], first, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(carried[2:4], second, rtol=1e-5, atol=1e-6)
    _fit_one_epoch(model_stateless, x, y, batch_size=batch_size, epochs=1,
                   validation_data=(x[:2], y[:2]), shuffle=False)


def test_keras2_lstm_text_generation_with_lambda_callback(rng):
    """lstm_text_generation: LSTM(input_shape=(maxlen, chars)) -> softmax
    Dense; RMSprop(learning_rate=); fit with a LambdaCallback(on_epoch_end)
    that samples from predict(x_pred)[0]."""
    from theano_rnn.callbacks import LambdaCallback
    maxlen, chars = 4, 5
    model = Sequential()
    model.add(LSTM(6, input_shape=(maxlen, chars)))
    model.add(Dense(chars, activation="softmax"))
    model.compile(loss="categorical_crossentropy",
                  optimizer=RMSprop(learning_rate=0.01))
    x = _one_hot(rng.randint(0, chars, (8, maxlen)), chars)
    y = _one_hot(rng.randint(0, chars, 8), chars)
    sampled = []

    def on_epoch_end(epoch, logs):
        x_pred = x[:1]
        preds = model.predict(x_pred, verbose=0)[0]
        sampled.append((epoch, logs["loss"], preds))

    _fit_one_epoch(model, x, y, batch_size=4, epochs=1,
                   callbacks=[LambdaCallback(on_epoch_end=on_epoch_end)])
    assert len(sampled) == 1 and sampled[0][0] == 0
    preds = sampled[0][2]
    assert preds.shape == (chars,)
    np.testing.assert_allclose(preds.sum(), 1.0, rtol=1e-5)
    # the example's sample(): a multinomial draw over the rescaled preds
    rescaled = np.exp(np.log(preds.astype("float64")) / 0.5)
    assert np.argmax(rng.multinomial(1, rescaled / rescaled.sum())) < chars


def test_keras2_mnist_irnn(rng):
    """mnist_irnn: SimpleRNN(kernel_initializer=RandomNormal(stddev=0.001),
    recurrent_initializer=Identity(gain=1.0), activation='relu') -> Dense ->
    softmax; RMSprop(learning_rate=)."""
    model = Sequential()
    model.add(SimpleRNN(5,
                        kernel_initializer=initializers.RandomNormal(
                            stddev=0.001),
                        recurrent_initializer=initializers.Identity(gain=1.0),
                        activation="relu", input_shape=(6, 2)))
    model.add(Dense(3))
    model.add(Activation("softmax"))
    model.compile(loss="categorical_crossentropy",
                  optimizer=RMSprop(learning_rate=1e-3),
                  metrics=["accuracy"])
    _train_irnn(model, rng, epochs=1)


def test_keras2_lstm_seq2seq_restore_inference_models(tmp_path, rng):
    """lstm_seq2seq_restore: load the saved training model, take
    model.input[0], model.layers[2].output (the encoder's [outputs, h, c]),
    model.input[1], model.layers[3] / [4], and build the encoder and decoder
    models; decoding step by step from the encoder's states reproduces the
    training model's predictions (teacher forcing)."""
    latent_dim, tokens_in, tokens_out = 4, 3, 5
    # the names the example's s2s.h5 has (a fresh Keras process names them)
    encoder_inputs = Input(shape=(None, tokens_in), name="input_1")
    _, state_h, state_c = LSTM(latent_dim, return_state=True)(encoder_inputs)
    decoder_inputs = Input(shape=(None, tokens_out), name="input_2")
    decoder_outputs, _, _ = LSTM(latent_dim, return_sequences=True,
                                 return_state=True)(
        decoder_inputs, initial_state=[state_h, state_c])
    decoder_outputs = Dense(tokens_out, activation="softmax")(decoder_outputs)
    trained = Model([encoder_inputs, decoder_inputs], decoder_outputs)
    trained.compile(optimizer="rmsprop", loss="categorical_crossentropy",
                    metrics=["accuracy"])
    x1 = _one_hot(rng.randint(0, tokens_in, (4, 5)), tokens_in)
    x2 = _one_hot(rng.randint(0, tokens_out, (4, 3)), tokens_out)
    y = _one_hot(rng.randint(0, tokens_out, (4, 3)), tokens_out)
    _fit_one_epoch(trained, [x1, x2], y, batch_size=2, epochs=1,
                   validation_split=0.5)
    path = str(tmp_path / "s2s.h5")
    trained.save(path)

    model = load_model(path)
    encoder_inputs = model.input[0]
    encoder_outputs, state_h_enc, state_c_enc = model.layers[2].output
    encoder_model = Model(encoder_inputs, [state_h_enc, state_c_enc])
    decoder_inputs = model.input[1]
    decoder_state_input_h = Input(shape=(latent_dim,), name="input_3")
    decoder_state_input_c = Input(shape=(latent_dim,), name="input_4")
    decoder_states_inputs = [decoder_state_input_h, decoder_state_input_c]
    decoder_lstm = model.layers[3]
    decoder_outputs, state_h_dec, state_c_dec = decoder_lstm(
        decoder_inputs, initial_state=decoder_states_inputs)
    decoder_outputs = model.layers[4](decoder_outputs)
    decoder_model = Model([decoder_inputs] + decoder_states_inputs,
                          [decoder_outputs, state_h_dec, state_c_dec])

    expected = trained.predict([x1, x2])
    states_value = encoder_model.predict(x1[:1])
    assert [s.shape for s in states_value] == [(1, latent_dim)] * 2
    for t in range(x2.shape[1]):
        output_tokens, h, c = decoder_model.predict(
            [x2[:1, t:t + 1]] + states_value)
        assert output_tokens.shape == (1, 1, tokens_out)
        np.testing.assert_allclose(output_tokens[0, -1], expected[0, t],
                                   rtol=1e-4, atol=1e-5)
        states_value = [h, c]


# --- Keras 1.2.2 ----------------------------------------------------------

def test_keras1_babi_rnn_merge_sum_of_sequentials(rng):
    """babi_rnn (1.2.2): Sequential story branch (Embedding(input_length) ->
    Dropout) and question branch (Embedding -> Dropout -> LSTM ->
    RepeatVector(story_maxlen)), Merge([...], mode='sum') -> LSTM -> Dropout
    -> softmax; fit(nb_epoch=, validation_split=)."""
    (vocab, story_len, query_len), embed = BABI_SIZES, 4
    sentrnn = Sequential()
    sentrnn.add(Embedding(vocab, embed, input_length=story_len))
    sentrnn.add(Dropout(0.3))
    qrnn = Sequential()
    qrnn.add(Embedding(vocab, embed, input_length=query_len))
    qrnn.add(Dropout(0.3))
    qrnn.add(LSTM(embed, return_sequences=False))
    qrnn.add(RepeatVector(story_len))
    model = Sequential()
    model.add(_keras1(Merge, [sentrnn, qrnn], mode="sum"))
    model.add(LSTM(embed, return_sequences=False))
    model.add(Dropout(0.3))
    model.add(Dense(vocab, activation="softmax"))
    _train_babi_model(model, rng, nb_epoch=1)


def test_keras1_imdb_lstm_dropout_w_u(rng):
    """imdb_lstm (1.2.2): Embedding(dropout=0.2) (Keras 1 drops whole
    words), LSTM(dropout_W, dropout_U) -> Dense(1) -> Activation('sigmoid');
    fit(nb_epoch=, validation_data=)."""
    model = Sequential()
    model.add(_keras1(Embedding, 20, 4, dropout=0.2))
    model.add(_keras1(LSTM, 3, dropout_W=0.2, dropout_U=0.2))
    assert (model.layers[0].dropout, model.layers[1].dropout,
            model.layers[1].recurrent_dropout) == (0.2, 0.2, 0.2)
    model.add(Dense(1))
    model.add(Activation("sigmoid"))
    model.compile(loss="binary_crossentropy", optimizer="adam",
                  metrics=["accuracy"])
    x = rng.randint(1, 20, (6, 5))
    y = rng.randint(0, 2, (6, 1))
    _fit_one_epoch(model, x, y, batch_size=3, nb_epoch=1,
                   validation_data=(x[:2], y[:2]))
    predictions = model.predict(x)
    assert predictions.shape == (6, 1)
    assert np.all((predictions > 0) & (predictions < 1))


@pytest.mark.parametrize("mode, implementation",
                         [("cpu", "auto"), ("mem", "scan"), ("gpu", "auto")])
def test_keras1_lstm_benchmark_consume_less_modes(rng, mode, implementation):
    """lstm_benchmark: Embedding(input_length, dropout=0.2) ->
    LSTM(dropout_W, dropout_U, consume_less=mode) -> sigmoid, one model per
    mode; the History of each records its loss and validation loss."""
    model = Sequential()
    model.add(_keras1(Embedding, 20, 4, input_length=5, dropout=0.2))
    model.add(_keras1(LSTM, 4, dropout_W=0.2, dropout_U=0.2,
                      consume_less=mode))
    model.add(Dense(1, activation="sigmoid"))
    embedding, lstm = model.layers[:2]
    assert (embedding.dropout, lstm.dropout, lstm.recurrent_dropout) == \
        (0.2, 0.2, 0.2)
    # consume_less='mem' (Keras 2's implementation=1) asks for the per-gate
    # products: theano_rnn's scan; the others leave the choice to theano_rnn
    assert lstm.implementation == implementation
    model.compile(loss="binary_crossentropy", optimizer="adam",
                  metrics=["accuracy"])
    x = rng.randint(1, 20, (6, 5))
    y = rng.randint(0, 2, (6, 1))
    history = _fit_one_epoch(model, x, y, batch_size=3, nb_epoch=1,
                             validation_data=(x[:2], y[:2]))
    assert np.isfinite(history.history["val_loss"][0])


def test_keras1_lstm_text_generation(rng):
    """lstm_text_generation (1.2.2): LSTM(input_shape) -> Dense ->
    Activation('softmax'); RMSprop(lr=0.01); fit(batch_size, nb_epoch=1);
    predict(x, verbose=0)[0] is a distribution over the characters."""
    maxlen, chars = 4, 5
    model = Sequential()
    model.add(LSTM(6, input_shape=(maxlen, chars)))
    model.add(Dense(chars))
    model.add(Activation("softmax"))
    optimizer = _keras1(RMSprop, lr=0.01)
    model.compile(loss="categorical_crossentropy", optimizer=optimizer)
    x = _one_hot(rng.randint(0, chars, (8, maxlen)), chars)
    y = _one_hot(rng.randint(0, chars, 8), chars)
    _fit_one_epoch(model, x, y, batch_size=4, nb_epoch=1)
    preds = model.predict(x[:1], verbose=0)[0]
    assert preds.shape == (chars,)
    np.testing.assert_allclose(preds.sum(), 1.0, rtol=1e-5)


def test_keras1_mnist_irnn_initializer_functions(rng):
    """mnist_irnn (1.2.2): SimpleRNN(output_dim=, init=lambda shape, name:
    normal(shape, scale=0.001, name=name), inner_init=lambda shape, name:
    identity(shape, scale=1.0, name=name), activation='relu', input_shape=)
    -> Dense -> Activation('softmax'); RMSprop(lr=)."""
    from theano_rnn.initializers import identity, normal
    model = Sequential()
    model.add(_keras1(
        SimpleRNN, output_dim=5,
        init=lambda shape, name: normal(shape, scale=0.001, name=name),
        inner_init=lambda shape, name: identity(shape, scale=1.0, name=name),
        activation="relu", input_shape=(6, 2)))
    model.add(Dense(3))
    model.add(Activation("softmax"))
    model.compile(loss="categorical_crossentropy",
                  optimizer=_keras1(RMSprop, lr=1e-3), metrics=["accuracy"])
    _train_irnn(model, rng, nb_epoch=1)


@pytest.mark.xfail(strict=True, reason="Sequential.add does not build a "
                   "layer given input_shape (Keras builds it at add, so "
                   "layer.get_weights() works before compile)")
def test_sequential_add_builds_a_layer_given_its_input_shape():
    """mnist_irnn reads nothing before compile, but Keras code commonly does
    model.layers[0].get_weights() right after add(); Keras 1 and 2 build the
    layer there."""
    model = Sequential()
    model.add(SimpleRNN(3, input_shape=(4, 2)))
    assert len(model.layers[0].get_weights()) == 3


def test_keras1_stateful_lstm_stacked(rng):
    """stateful_lstm (1.2.2): LSTM(batch_input_shape=, return_sequences=True,
    stateful=True) -> LSTM(return_sequences=False, stateful=True) -> Dense;
    fit(batch_size, nb_epoch=1, shuffle=False) then reset_states();
    predict(batch_size=). Both layers carry their states between batches
    and reset_states() clears them."""
    batch_size, tsteps = 2, 3
    model = Sequential()
    model.add(LSTM(4, batch_input_shape=(batch_size, tsteps, 1),
                   return_sequences=True, stateful=True))
    model.add(LSTM(4, return_sequences=False, stateful=True))
    model.add(Dense(1))
    model.compile(loss="mse", optimizer="rmsprop")
    x = rng.randn(4, tsteps, 1).astype(FLOATX)
    y = rng.randn(4, 1).astype(FLOATX)
    _fit_one_epoch(model, x, y, batch_size=batch_size, nb_epoch=1,
                   shuffle=False)
    model.reset_states()
    first = model.predict(x[:2], batch_size=batch_size)
    assert first.shape == (batch_size, 1)
    assert not np.allclose(first, model.predict(x[:2], batch_size=batch_size))
    model.reset_states()
    whole = model.predict(x, batch_size=batch_size)
    np.testing.assert_allclose(whole[:2], first, rtol=1e-5, atol=1e-6)
    model.reset_states()
    np.testing.assert_allclose(model.predict(x[:2], batch_size=batch_size),
                               first, rtol=1e-5, atol=1e-6)
