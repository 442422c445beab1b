"""Keras 2's recurrent API beyond the three layers: ``RNN(cell)`` with
user-written cells and ``StackedRNNCells``, the Keras cells
``SimpleRNNCell``/``LSTMCell``/``GRUCell``, ``constants=``, states as
``[None]`` when not stateful, Keras's layer API for custom layers
(``add_weight(shape=, initializer=)``, ``add_loss``/``get_losses_for``,
``add_update``), ``Bidirectional(merge_mode=None)``, ``Embedding``'s tuple
``input_length`` and the merge layers' mask checks.  The maths is checked
against NumPy loops written here."""
import numpy as np
import pytest

from numpy_reference import run_rnn
from test_gradients import finite_difference
from theano_rnn.runtime import theano, T
from theano_rnn import backend as K
from theano_rnn.layers import (LSTM, RNN, Add, Bidirectional, Concatenate,
                               Embedding, GRUCell, Input, Layer, LSTMCell,
                               Masking, SimpleRNN, SimpleRNNCell,
                               StackedRNNCells, Subtract)
from theano_rnn.models import Model, Sequential
from theano_rnn.utils import CustomObjectScope


class LinearCell(Layer):
    """``h_t = x_t W + h_{t-1} U`` (+ ``c V`` with constants)."""

    def __init__(self, units, **kwargs):
        self.units = units
        self.state_size = units
        super(LinearCell, self).__init__(**kwargs)

    def build(self, input_shape):
        if isinstance(input_shape, list):
            input_shape, constant_shape = input_shape
            self.constant_kernel = self.add_weight(
                shape=(constant_shape[-1], self.units),
                initializer="uniform", name="constant_kernel")
        assert len(input_shape) == 2        # the step's shape, no time axis
        self.kernel = self.add_weight(shape=(input_shape[-1], self.units),
                                      initializer="uniform", name="kernel")
        self.recurrent_kernel = self.add_weight(
            shape=(self.units, self.units), initializer="uniform",
            name="recurrent_kernel")
        self.built = True

    def call(self, inputs, states, constants=None):
        h = K.dot(inputs, self.kernel) + K.dot(states[0],
                                               self.recurrent_kernel)
        if constants:
            h = h + K.dot(constants[0], self.constant_kernel)
        return h, [h]

    def get_config(self):
        config = super(LinearCell, self).get_config()
        config["units"] = self.units
        return config


def linear_reference(x, kernel, recurrent, h0=None, mask=None,
                     go_backwards=False, constant=0):
    """NumPy: the outputs (batch, time, units) and the last state of
    ``h_t = x_t W + h_{t-1} U + constant``."""
    h = np.zeros((x.shape[0], kernel.shape[1])) if h0 is None else h0
    steps = range(x.shape[1])
    outputs = []
    for t in (reversed(steps) if go_backwards else steps):
        new = x[:, t] @ kernel + h @ recurrent + constant
        if mask is not None:
            new = np.where(mask[:, t][:, None] > 0, new, h)
        h = new
        outputs.append(h)
    return np.stack(outputs, axis=1), h


def predict(inputs, outputs, arrays):
    f = theano.function(list(inputs), outputs, allow_input_downcast=True)
    return f(*arrays)


@pytest.mark.parametrize("go_backwards", [False, True])
@pytest.mark.parametrize("unroll", [False, True])
def test_user_cell_is_the_step_of_the_scan(float64, rng, go_backwards,
                                           unroll):
    cell = LinearCell(3)
    layer = RNN(cell, return_sequences=True, return_state=True,
                go_backwards=go_backwards, unroll=unroll)
    x_in = Input((4, 2))
    outputs = layer(x_in)
    kernel, recurrent = [rng.uniform(-0.5, 0.5, w.shape)
                         for w in layer.get_weights()]
    layer.set_weights([kernel, recurrent])
    assert layer.weights == [cell.kernel, cell.recurrent_kernel]
    x = rng.randn(5, 4, 2)
    sequence, last = predict([x_in], outputs, [x])
    expected, expected_last = linear_reference(x, kernel, recurrent,
                                               go_backwards=go_backwards)
    np.testing.assert_allclose(sequence, expected, rtol=1e-10)
    np.testing.assert_allclose(last, expected_last, rtol=1e-10)


def test_user_cell_gradient_matches_finite_differences(float64, rng):
    """The cell's weights reach the scan as non-sequences: T.grad flows to
    them (checked against central differences)."""
    layer = RNN(LinearCell(2))
    layer.build((None, 4, 2))
    x_sym = T.tensor3("x")
    cost = T.sum(T.sqr(layer(x_sym)))
    layer.set_weights([rng.uniform(-0.5, 0.5, w.shape)
                       for w in layer.get_weights()])
    kernel = layer.cell.kernel
    gradient = theano.function([x_sym], T.grad(cost, kernel))
    value = theano.function([x_sym], cost)
    x = rng.randn(3, 4, 2)
    weights = kernel.get_value()

    def f():
        kernel.set_value(weights)
        return value(x)
    analytic = gradient(x)
    for index in [(0, 0), (1, 1), (0, 1)]:
        np.testing.assert_allclose(
            analytic[index], finite_difference(f, weights, index),
            rtol=1e-5)


def test_masked_steps_carry_the_output_and_the_states(float64, rng):
    """With a cell whose output is not its state (Keras's rule: a masked
    step repeats the previous output and keeps the states)."""

    class EchoCell(Layer):
        def __init__(self):
            self.state_size = None
            super(EchoCell, self).__init__()

        def build(self, input_shape):
            self.state_size = input_shape[-1]
            self.output_size = 2 * input_shape[-1]

        def call(self, inputs, states):
            return T.concatenate([inputs, inputs], axis=-1), [states[0] + 1]

    x_in, s_in = Input((4, 3)), Input((3,))
    y, s = RNN(EchoCell(), return_state=True)(Masking()(x_in),
                                               initial_state=s_in)
    assert y._keras_shape == (None, 6)
    x = rng.rand(2, 4, 3)
    x[0, -1] = 0                            # the last step of sample 0 masked
    s0 = rng.rand(2, 3)
    y_value, s_value = predict([x_in, s_in], [y, s], [x, s0])
    np.testing.assert_allclose(y_value[0], np.tile(x[0, -2], 2))
    np.testing.assert_allclose(y_value[1], np.tile(x[1, -1], 2))
    np.testing.assert_allclose(s_value, s0 + np.array([[3.], [4.]]))


def test_cell_that_is_not_a_layer_with_several_states(float64, rng):
    kernel_value = rng.randn(2, 3)

    class TwoStateCell(object):
        state_size = (3, 3)

        def __init__(self):
            self.kernel = K.variable(kernel_value)

        def call(self, inputs, states):
            out = K.dot(inputs, self.kernel) + states[0] - states[1]
            return out, [out * 2, out * 3]

    layer = RNN(TwoStateCell(), return_state=True)
    x_in = Input((4, 2))
    outputs = layer(x_in)
    assert layer.weights == [] and len(outputs) == 3
    assert layer.states == [None, None]
    x = rng.randn(2, 4, 2)
    out, a, b = predict([x_in], outputs, [x])
    s1, s2 = np.zeros((2, 3)), np.zeros((2, 3))
    for t in range(4):
        o = x[:, t] @ kernel_value + s1 - s2
        s1, s2 = 2 * o, 3 * o
    np.testing.assert_allclose(out, o)
    np.testing.assert_allclose(a, s1)
    np.testing.assert_allclose(b, s2)


def test_stacked_cells_feed_each_other(float64, rng):
    cells = [LinearCell(3), LinearCell(2)]
    layer = RNN(cells, return_state=True)
    assert isinstance(layer.cell, StackedRNNCells)
    assert layer.cell.state_size == (3, 2)
    x_in = Input((4, 2))
    out, s1, s2 = layer(x_in)
    weights = [rng.uniform(-0.5, 0.5, w.shape) for w in layer.get_weights()]
    layer.set_weights(weights)
    x = rng.randn(2, 4, 2)
    got = predict([x_in], [out, s1, s2], [x])
    first, _ = linear_reference(x, weights[0], weights[1])
    second, last = linear_reference(first, weights[2], weights[3])
    np.testing.assert_allclose(got[0], last)
    np.testing.assert_allclose(got[1], first[:, -1])
    np.testing.assert_allclose(got[2], last)
    shapes = RNN([LSTMCell(3), LSTMCell(6)], return_state=True,
                 return_sequences=True).compute_output_shape((None, 5, 4))
    assert shapes == [(None, 5, 6), (None, 3), (None, 3), (None, 6),
                      (None, 6)]
    reverse = StackedRNNCells([LSTMCell(3), LSTMCell(6)],
                              reverse_state_order=True)
    assert reverse.state_size == (6, 6, 3, 3)


@pytest.mark.parametrize("kind,cell_class", [("SimpleRNN", SimpleRNNCell),
                                             ("LSTM", LSTMCell),
                                             ("GRU", GRUCell)])
def test_keras_cells_compute_their_layers_equations(float64, rng, kind,
                                                    cell_class):
    layer = RNN(cell_class(3), return_sequences=True)
    x_in = Input((4, 2))
    y = layer(x_in)
    weights = [rng.uniform(-0.6, 0.6, w.shape) for w in layer.get_weights()]
    layer.set_weights(weights)
    x = rng.randn(5, 4, 2)
    expected, _ = run_rnn(kind, x, weights)
    np.testing.assert_allclose(predict([x_in], y, [x]), expected, rtol=1e-8)


def test_layers_keep_the_fused_path_on_keras_cells():
    layer = LSTM(3)
    layer.build((None, 4, 2))
    assert isinstance(layer.cell, LSTMCell)
    assert layer._use_fused("float32")


def test_config_round_trip_with_custom_and_builtin_cells(float64, rng):
    layer = RNN([LinearCell(3), GRUCell(2)])
    x_in = Input((4, 2))
    y = layer(x_in)
    x = rng.randn(2, 4, 2)
    expected = predict([x_in], y, [x])
    config = layer.get_config()
    assert config["cell"]["class_name"] == "StackedRNNCells"
    with pytest.raises(ValueError, match="LinearCell"):
        RNN.from_config(dict(config))
    with CustomObjectScope({"LinearCell": LinearCell}):
        copy = RNN.from_config(dict(config))
    y2 = copy(x_in)
    copy.set_weights(layer.get_weights())
    np.testing.assert_allclose(predict([x_in], y2, [x]), expected)


def test_constants_reach_every_step(float64, rng):
    x_in, c_in = Input((4, 2)), Input((3,))
    layer = RNN(LinearCell(2))
    y = layer(x_in, constants=c_in)
    kernel_c, kernel, recurrent = [rng.uniform(-0.5, 0.5, w.shape)
                                   for w in layer.get_weights()]
    layer.set_weights([kernel_c, kernel, recurrent])
    x, c = rng.randn(2, 4, 2), rng.randn(2, 3)
    _, h = linear_reference(x, kernel, recurrent, constant=c @ kernel_c)
    np.testing.assert_allclose(predict([x_in, c_in], y, [x, c]), h)
    assert layer.get_config()["num_constants"] == 1
    with pytest.raises(ValueError, match="constants"):
        SimpleRNN(2)(x_in, constants=c_in)


def test_states_are_none_until_a_stateful_layer_is_built():
    assert SimpleRNN(2).states == [None]
    assert LSTM(2).states == [None, None]
    layer = RNN(LSTMCell(2), stateful=True)
    layer(Input(batch_shape=(3, 4, 2)))
    assert [s.get_value().shape for s in layer.states] == [(3, 2), (3, 2)]


def test_plain_variables_as_initial_states_of_a_model(float64, rng):
    """Not Keras tensors: arguments of the call, not inputs of the model."""
    h0_value = rng.randn(2, 3)
    h0 = K.variable(h0_value)
    x_in = Input((4, 2))
    layer = SimpleRNN(3, activation="linear", use_bias=False)
    model = Model(x_in, layer(x_in, initial_state=h0))
    x = rng.randn(2, 4, 2)
    kernel, recurrent = layer.get_weights()
    _, expected = linear_reference(x, kernel, recurrent, h0=h0_value)
    np.testing.assert_allclose(model.predict(x), expected, rtol=1e-8)


def test_cell_losses_and_weights_follow_keras():
    layer = LSTM(3, kernel_regularizer="l2", recurrent_regularizer="l1",
                 bias_regularizer="l2", activity_regularizer="l2")
    x = Input((4, 2))
    layer(x)
    assert len(layer.cell.losses) == 3
    assert len(layer.get_losses_for(None)) == 3       # no double count
    assert len(layer.get_losses_for(x)) == 1          # the activity penalty
    assert layer.cell.get_losses_for(x) == []
    cells = [LSTMCell(3), LSTMCell(3, kernel_regularizer="l2")]
    stacked = RNN(cells)
    stacked.build((None, None, 5))
    assert len(stacked.losses) == 1
    cells[0].trainable = False
    assert len(stacked.trainable_weights) == 3
    assert len(stacked.non_trainable_weights) == 3


def test_keras_add_weight_add_loss_add_update():
    layer = Layer(name="custom")
    w = layer.add_weight(name="w", shape=(2, 3), initializer="ones",
                         regularizer="l1")
    frozen = layer.add_weight(name="f", shape=(3,), initializer="zeros",
                              trainable=False)
    assert w.name == "custom/w" and np.all(w.get_value() == 1)
    assert layer.weights == [w, frozen]
    assert layer.trainable_weights == [w]
    assert layer.non_trainable_weights == [frozen]
    assert len(layer.losses) == 1
    x = Input((2,))
    extra = T.sum(x)
    layer.add_loss(extra, inputs=x)
    assert layer.get_losses_for(x) == [extra]
    assert len(layer.get_losses_for(None)) == 1
    layer.add_update((frozen, frozen + 1), inputs=None)
    assert len(layer.get_updates_for(None)) == 1 == len(layer.updates)
    assert layer.get_updates_for(x) == []
    with pytest.raises(ValueError, match="shape"):
        layer.add_weight(name="v")


def test_bidirectional_without_merge_gives_both_directions(float64, rng):
    x_in = Input((3, 2))
    layer = Bidirectional(LSTM(2, return_sequences=True), merge_mode=None)
    outputs = layer(x_in)
    assert isinstance(outputs, list) and len(outputs) == 2
    assert [o._keras_shape for o in outputs] == [(None, 3, 2)] * 2
    weights = [rng.uniform(-0.5, 0.5, w.shape) for w in layer.get_weights()]
    layer.set_weights(weights)
    x = rng.randn(2, 3, 2)
    forward, backward = predict([x_in], outputs, [x])
    expected_f, _ = run_rnn("LSTM", x, weights[:3])
    expected_b, _ = run_rnn("LSTM", x, weights[3:], go_backwards=True)
    np.testing.assert_allclose(forward, expected_f, rtol=1e-8)
    np.testing.assert_allclose(backward, expected_b[:, ::-1], rtol=1e-8)


def test_bidirectional_rnn_cell_with_constants(float64, rng):
    x_in, c_in = Input((4, 2)), Input((3,))
    with CustomObjectScope({"LinearCell": LinearCell}):
        layer = Bidirectional(RNN(LinearCell(2)), merge_mode="sum")
    y = layer(x_in, constants=c_in)
    weights = [rng.uniform(-0.5, 0.5, w.shape) for w in layer.get_weights()]
    layer.set_weights(weights)
    x, c = rng.randn(2, 4, 2), rng.randn(2, 3)
    expected = 0
    for (kc, k, r), backwards in ((weights[:3], False), (weights[3:], True)):
        expected = expected + linear_reference(
            x, k, r, go_backwards=backwards, constant=c @ kc)[1]
    np.testing.assert_allclose(predict([x_in, c_in], y, [x, c]), expected,
                               rtol=1e-10)


def test_embedding_input_length_per_axis():
    layer = Embedding(10, 4, input_length=(None, 5))
    assert layer.compute_output_shape((3, 2, 5)) == (3, 2, 5, 4)
    assert Embedding(10, 4, input_length=2).compute_output_shape(
        (None, 2)) == (None, 2, 4)
    with pytest.raises(ValueError, match="input_length"):
        Embedding(10, 4, input_length=2, input_shape=(3, 5))
    with pytest.raises(ValueError, match="input_length"):
        Sequential([Embedding(10, 4, input_length=2, input_shape=(4, 5))])


def test_merge_masks_must_be_one_per_input():
    a, b = Input((2,)), Input((2,))
    add = Add()
    add([a, b])
    assert add.compute_mask([a, b], [None, None]) is None
    for inputs, mask in (([a, b], a), (a, [None, None]), ([a, b], [None])):
        with pytest.raises(ValueError, match="mask"):
            add.compute_mask(inputs, mask)
        with pytest.raises(ValueError, match="mask"):
            Concatenate().compute_mask(inputs, mask)
    subtract = Subtract()
    subtract([a, b])
    with pytest.raises(ValueError, match="2 inputs"):
        subtract([a, b, Input((2,))])


def test_bad_cells_are_refused_by_name():
    with pytest.raises(ValueError, match="call"):
        RNN(object())
    with pytest.raises(ValueError, match="state_size"):
        RNN(type("NoSize", (object,), {"call": lambda self, x, s: x})())
    with pytest.raises(ValueError, match="dropout"):
        RNN(LinearCell(2), dropout=0.5)
    with pytest.raises(ValueError, match="dropout"):
        LSTMCell(2, dropout=0.5)

    class Forgetful(LinearCell):
        def call(self, inputs, states):
            return inputs, []
    with pytest.raises(ValueError, match="returned 0 states"):
        RNN(Forgetful(2))(Input((3, 2)))


def test_add_loss_joins_the_training_loss_of_a_regularized_layer(float64):
    from theano_rnn.layers import Dense
    a = Input((2,))
    dense = Dense(1, kernel_initializer="zeros")
    model = Model(a, dense(a))
    dense.add_loss(T.constant(5.0))
    dense.add_loss(T.constant(7.0), inputs=a)
    assert len(dense.get_losses_for(None)) == 1
    assert len(dense.get_losses_for(a)) == 1
    model.compile("sgd", "mse")
    loss = model.train_on_batch(np.zeros((3, 2)), np.zeros((3, 1)))
    np.testing.assert_allclose(loss, 12.0)


def test_saved_model_with_a_custom_recurrent_layer_loads(tmp_path, rng):
    from theano_rnn.models import load_model

    class ScaledLSTM(LSTM):
        def call(self, inputs, arg=1, mask=None, training=None,
                 initial_state=None):
            return super(ScaledLSTM, self).call(inputs * arg, mask,
                                                training or False,
                                                initial_state)

    x_in = Input((3, 2))
    y = ScaledLSTM(2)(x_in, arg=2)
    model = Model(x_in, y)
    x = rng.rand(2, 3, 2)
    path = str(tmp_path / "m.h5")
    model.save(path)
    with pytest.raises(ValueError, match="ScaledLSTM"):
        load_model(path)
    loaded = load_model(path, custom_objects={"ScaledLSTM": ScaledLSTM})
    np.testing.assert_allclose(loaded.predict(x), model.predict(x),
                               rtol=1e-6)
