"""theano_rnn.backend, Keras's ``K``: each function against NumPy."""
import numpy as np
import pytest
from theano_rnn.runtime import theano, T

from theano_rnn import backend as K

RNG = np.random.RandomState(42)
A = RNG.randn(3, 4)
B = RNG.randn(3, 4)
POS = RNG.rand(3, 4) + 0.1
X3 = RNG.randn(2, 3, 4)
Y3 = RNG.randn(2, 4, 5)


def _softmax(x, axis=-1):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


# (name, backend call on tensors, arrays, NumPy reference)
TABLE = [
    ("sum", lambda a: K.sum(a, axis=1), [A], lambda a: a.sum(1)),
    ("sum_keepdims", lambda a: K.sum(a, axis=0, keepdims=True), [A],
     lambda a: a.sum(0, keepdims=True)),
    ("mean", lambda a: K.mean(a), [A], np.mean),
    ("mean_axes", lambda a: K.mean(a, axis=(0, 2)), [X3],
     lambda a: a.mean((0, 2))),
    ("max", lambda a: K.max(a, axis=-1), [A], lambda a: a.max(-1)),
    ("min", lambda a: K.min(a, axis=0), [A], lambda a: a.min(0)),
    ("prod", lambda a: K.prod(a, axis=1), [A], lambda a: a.prod(1)),
    ("std", lambda a: K.std(a, axis=1), [A], lambda a: a.std(1)),
    ("var", lambda a: K.var(a, axis=0), [A], lambda a: a.var(0)),
    ("any", lambda a: K.any(K.greater(a, 1.0), axis=1), [A],
     lambda a: (a > 1).any(1)),
    ("all", lambda a: K.all(K.greater(a, -1.0), axis=0), [A],
     lambda a: (a > -1).all(0)),
    ("argmax", K.argmax, [A], lambda a: a.argmax(-1)),
    ("argmin", lambda a: K.argmin(a, axis=0), [A], lambda a: a.argmin(0)),
    ("square", K.square, [A], np.square),
    ("abs", K.abs, [A], np.abs),
    ("sqrt", K.sqrt, [A], lambda a: np.sqrt(np.clip(a, 0, None))),
    ("exp", K.exp, [A], np.exp),
    ("log", K.log, [POS], np.log),
    ("logsumexp", lambda a: K.logsumexp(a, axis=1), [A],
     lambda a: np.log(np.exp(a).sum(1))),
    ("pow", lambda a: K.pow(a, 3), [A], lambda a: a ** 3),
    ("clip", lambda a: K.clip(a, -0.5, 0.5), [A],
     lambda a: np.clip(a, -0.5, 0.5)),
    ("round", K.round, [np.array([0.5, 1.5, 2.5, -0.5])], np.round),
    ("sign", K.sign, [A], np.sign),
    ("maximum", K.maximum, [A, B], np.maximum),
    ("minimum", K.minimum, [A, B], np.minimum),
    ("equal", K.equal, [A, A * (A > 0)], np.equal),
    ("not_equal", K.not_equal, [A, A * (A > 0)], np.not_equal),
    ("greater", K.greater, [A, B], np.greater),
    ("greater_equal", K.greater_equal, [A, B], np.greater_equal),
    ("less", K.less, [A, B], np.less),
    ("less_equal", K.less_equal, [A, B], np.less_equal),
    ("cast", lambda a: K.cast(K.greater(a, 0), "float64"), [A],
     lambda a: (a > 0).astype("float64")),
    ("dot", K.dot, [A, B.T], np.dot),
    ("dot_3d", K.dot, [X3, Y3[0]], np.dot),
    ("batch_dot", K.batch_dot, [X3, Y3], lambda x, y: np.einsum(
        "bij,bjk->bik", x, y)),
    ("batch_dot_axes", lambda x, y: K.batch_dot(x, y, axes=[2, 2]),
     [X3, X3], lambda x, y: np.einsum("bik,bjk->bij", x, y)),
    ("batch_dot_2d", lambda x, y: K.batch_dot(x, y, axes=1), [A, B],
     lambda x, y: (x * y).sum(1, keepdims=True)),
    ("transpose", K.transpose, [A], np.transpose),
    ("reshape", lambda a: K.reshape(a, (2, 6)), [A],
     lambda a: a.reshape(2, 6)),
    ("permute_dimensions", lambda a: K.permute_dimensions(a, (2, 0, 1)),
     [X3], lambda a: a.transpose(2, 0, 1)),
    ("expand_dims", K.expand_dims, [A], lambda a: a[:, :, None]),
    ("expand_dims_1", lambda a: K.expand_dims(a, 1), [A],
     lambda a: a[:, None, :]),
    ("squeeze", lambda a: K.squeeze(a, 1), [A[:, :1]], lambda a: a[:, 0]),
    ("concatenate", lambda a, b: K.concatenate([a, b]), [A, B],
     lambda a, b: np.concatenate([a, b], -1)),
    ("concatenate_0", lambda a, b: K.concatenate([a, b], axis=0), [A, B],
     lambda a, b: np.concatenate([a, b], 0)),
    ("stack", lambda a, b: K.stack([a, b], axis=1), [A, B],
     lambda a, b: np.stack([a, b], 1)),
    ("repeat", lambda a: K.repeat(a, 3), [A],
     lambda a: np.repeat(a[:, None, :], 3, 1)),
    ("repeat_elements", lambda a: K.repeat_elements(a, 2, axis=1), [A],
     lambda a: np.repeat(a, 2, 1)),
    ("tile", lambda a: K.tile(a, (2, 3)), [A], lambda a: np.tile(a, (2, 3))),
    ("flatten", K.flatten, [X3], np.ravel),
    ("batch_flatten", K.batch_flatten, [X3], lambda a: a.reshape(2, 12)),
    ("reverse", lambda a: K.reverse(a, 1), [X3], lambda a: a[:, ::-1]),
    ("gather", lambda a: K.gather(a, [2, 0, 2]), [A], lambda a: a[[2, 0, 2]]),
    ("zeros_like", K.zeros_like, [A], np.zeros_like),
    ("ones_like", K.ones_like, [A], np.ones_like),
    ("switch", lambda a, b: K.switch(K.greater(a, b), a, b), [A, B],
     np.maximum),
    ("sigmoid", K.sigmoid, [A], lambda a: 1 / (1 + np.exp(-a))),
    ("hard_sigmoid", K.hard_sigmoid, [A],
     lambda a: np.clip(0.2 * a + 0.5, 0, 1)),
    ("tanh", K.tanh, [A], np.tanh),
    ("relu", K.relu, [A], lambda a: np.maximum(a, 0)),
    ("relu_alpha_max", lambda a: K.relu(a, alpha=0.1, max_value=0.5), [A],
     lambda a: np.where(a > 0, np.minimum(a, 0.5), 0.1 * a)),
    ("softmax", K.softmax, [A], _softmax),
    ("softmax_3d_axis1", lambda a: K.softmax(a, axis=1), [X3],
     lambda a: _softmax(a, 1)),
    ("softplus", K.softplus, [A], lambda a: np.log1p(np.exp(a))),
    ("softsign", K.softsign, [A], lambda a: a / (1 + np.abs(a))),
    ("elu", lambda a: K.elu(a, 0.5), [A],
     lambda a: np.where(a > 0, a, 0.5 * (np.exp(a) - 1))),
    ("l2_normalize", lambda a: K.l2_normalize(a, axis=1), [A],
     lambda a: a / np.linalg.norm(a, axis=1, keepdims=True)),
    ("binary_crossentropy", K.binary_crossentropy, [(A > 0) * 1.0, POS / 2],
     lambda t, o: -(t * np.log(o) + (1 - t) * np.log(1 - o))),
    ("categorical_crossentropy", K.categorical_crossentropy,
     [np.eye(4)[[0, 3, 1]], POS],
     lambda t, o: -(t * np.log(o / o.sum(-1, keepdims=True))).sum(-1)),
    ("categorical_crossentropy_logits",
     lambda t, o: K.categorical_crossentropy(t, o, from_logits=True),
     [np.eye(4)[[0, 3, 1]], A],
     lambda t, o: -(t * np.log(_softmax(o))).sum(-1)),
]


@pytest.mark.parametrize("name, call, arrays, reference", TABLE,
                         ids=[row[0] for row in TABLE])
def test_backend_function_matches_numpy(name, call, arrays, reference,
                                        float64):
    inputs = [T.TensorType(a.dtype, (False,) * a.ndim)() for a in arrays]
    result = K.function(inputs, [call(*inputs)])(list(arrays))[0]
    expected = reference(*arrays)
    assert np.shape(result) == np.shape(expected)
    np.testing.assert_allclose(result, expected, rtol=1e-7, atol=1e-12)


def test_sparse_categorical_crossentropy_matches_numpy(float64):
    labels, probs = np.array([0, 3, 1]), POS / POS.sum(-1, keepdims=True)
    t, o = T.lvector(), T.matrix()
    f = K.function([t, o], [K.sparse_categorical_crossentropy(t, o)])
    np.testing.assert_allclose(f([labels, probs])[0],
                               -np.log(probs[range(3), labels]))


def test_one_hot_and_eye(float64):
    ids = T.imatrix()
    out = K.function([ids], [K.one_hot(ids, 4)])([np.array([[0, 3], [2, 1]],
                                                            dtype="int32")])[0]
    np.testing.assert_array_equal(out, np.eye(4)[[[0, 3], [2, 1]]])
    np.testing.assert_array_equal(K.eval(K.eye(3)), np.eye(3))
    np.testing.assert_array_equal(K.eval(K.zeros((2, 3))), np.zeros((2, 3)))
    np.testing.assert_array_equal(K.eval(K.ones((2,))), np.ones(2))


def test_variables_values_and_shapes():
    v = K.variable(np.arange(6).reshape(2, 3), name="v")
    assert K.dtype(v) == K.floatx() and K.int_shape(v) == (2, 3)
    assert K.ndim(v) == 2 and K.count_params(v) == 6
    K.set_value(v, np.ones((2, 3)))
    K.batch_set_value([(v, 2 * np.ones((2, 3)))])
    np.testing.assert_array_equal(K.batch_get_value([v])[0], 2 * np.ones((2, 3)))
    np.testing.assert_array_equal(K.get_value(v), 2 * np.ones((2, 3)))
    p = K.placeholder(shape=(None, 5))
    assert K.int_shape(p) == (None, 5) and K.is_placeholder(p)
    assert K.placeholder(ndim=3).ndim == 3
    assert not K.is_keras_tensor(p)
    with pytest.raises(ValueError, match="not|instance"):
        K.is_keras_tensor(np.ones(2))
    assert K.eval(K.constant(2.0, shape=(2,))).tolist() == [2.0, 2.0]


def test_function_with_updates_and_gradients(float64):
    w = K.variable(np.array([1.0, 2.0]))
    x = K.placeholder(shape=(2,))
    loss = K.sum(K.square(w * x))
    (grad,) = K.gradients(loss, [w])
    step = K.function([x], [loss], updates=[K.update_sub(w, 0.1 * grad)])
    out = step([np.array([1.0, 1.0])])
    assert out[0] == pytest.approx(5.0)
    np.testing.assert_allclose(K.get_value(w), [0.8, 1.6])
    stopped = K.sum(K.square(K.stop_gradient(w) * x)) + K.sum(w)
    np.testing.assert_allclose(
        K.function([x], K.gradients(stopped, [w]))([np.ones(2)])[0],
        [1.0, 1.0])


def test_learning_phase_scope_picks_the_branch_when_building():
    x = K.placeholder(ndim=1)
    with K.learning_phase_scope(1):
        assert K.in_train_phase(x * 2, x) is not x
        assert K.learning_phase() == 1
    with K.learning_phase_scope(0):
        assert K.in_train_phase(x * 2, x) is x
        assert K.in_test_phase(x, x * 2) is x
    symbolic = K.in_train_phase(x * 2, x)
    f = K.function([x, K.learning_phase()], [symbolic])
    assert f([np.ones(1, dtype=K.floatx()), 1])[0][0] == 2
    assert f([np.ones(1, dtype=K.floatx()), 0])[0][0] == 1
    with pytest.raises(ValueError, match="0 .*or 1"):
        K.set_learning_phase(2)


def test_keras_rnn_matches_a_numpy_loop(float64):
    w = K.variable(RNG.randn(4, 3))

    def step(x_t, states):
        h = K.tanh(K.dot(x_t, w) + states[0] * states[1])
        return h, [h, states[1]]

    x = RNG.randn(2, 5, 4)
    mask = np.array([[1, 1, 1, 0, 0], [1, 1, 1, 1, 1]])
    h0, scale = np.zeros((2, 3)), 0.5 * np.ones((2, 3))
    inputs, m = T.tensor3(), T.matrix()
    for unroll in (False, True):
        last, outputs, states = K.rnn(step, inputs, [T.zeros((2, 3)),
                                                    T.constant(scale)],
                                      mask=m, unroll=unroll, input_length=5)
        got = K.function([inputs, m], [last, outputs, states[0]])([x, mask])
        h, seq = h0, []
        for t in range(5):
            new = np.tanh(x[:, t].dot(K.get_value(w)) + h * scale)
            h = np.where(mask[:, t:t + 1] > 0, new, h)
            seq.append(h)
        np.testing.assert_allclose(got[1], np.stack(seq, 1))
        np.testing.assert_allclose(got[0], h)
        np.testing.assert_allclose(got[2], h)


def test_dropout_and_random(float64):
    x = K.placeholder(ndim=2)
    out = K.function([x], [K.dropout(x, 0.5, seed=3)])([np.ones((200, 50))])[0]
    assert set(np.unique(out)) == {0.0, 2.0}
    assert 0.45 < (out == 0).mean() < 0.55
    u = K.eval(K.random_uniform((1000,), -1, 1, seed=1))
    assert -1 <= u.min() and u.max() <= 1 and abs(u.mean()) < 0.1
    n = K.eval(K.random_normal((2000,), 1.0, 2.0, seed=1))
    assert abs(n.mean() - 1) < 0.15 and abs(n.std() - 2) < 0.15
    b = K.eval(K.random_binomial((2000,), 0.3, seed=1))
    assert set(np.unique(b)) == {0.0, 1.0} and abs(b.mean() - 0.3) < 0.05


def test_configuration():
    assert K.backend() == "theano" and K.epsilon() == 1e-7
    assert K.image_data_format() == "channels_last"
    assert K.floatx() == theano.config.floatX


def test_missing_keras_function_names_itself():
    with pytest.raises(AttributeError, match="keras.backend.ctc_batch_cost "
                                             "is not implemented"):
        K.ctc_batch_cost
    assert not hasattr(K, "conv3d")
