"""Losses and metrics against NumPy formulas written out independently."""
import numpy as np
import pytest

from theano_rnn.runtime import theano, T

from theano_rnn import losses, metrics

EPS = 1e-7


def evaluate(fn, y_true, y_pred, true_dtype="float64"):
    """Compile ``fn(y_true, y_pred)`` in float64 and run it on arrays."""
    with theano.config.change_flags(floatX="float64"):
        yt = T.TensorType(true_dtype, (False,) * y_true.ndim)("y_true")
        yp = T.TensorType("float64", (False,) * y_pred.ndim)("y_pred")
        f = theano.function([yt, yp], fn(yt, yp))
        return f(y_true.astype(true_dtype), y_pred.astype("float64"))


# -- NumPy references ---------------------------------------------------------

def np_binary_crossentropy(y, p):
    p = np.minimum(np.maximum(p, EPS), 1 - EPS)
    return np.mean(-(y * np.log(p) + (1 - y) * np.log(1 - p)), axis=-1)


def np_categorical_crossentropy(y, p):
    p = p / p.sum(axis=-1, keepdims=True)
    p = np.minimum(np.maximum(p, EPS), 1 - EPS)
    return -np.sum(y * np.log(p), axis=-1)


def np_sparse_categorical_crossentropy(labels, p):
    p = p / p.sum(axis=-1, keepdims=True)
    p = np.minimum(np.maximum(p, EPS), 1 - EPS)
    chosen = np.take_along_axis(p, labels[..., None].astype(int), axis=-1)
    return -np.log(chosen[..., 0])


def softmax_rows(rng, *shape):
    e = np.exp(rng.randn(*shape))
    return e / e.sum(axis=-1, keepdims=True)


@pytest.fixture
def rng():
    return np.random.RandomState(1234)


# -- losses -------------------------------------------------------------------

def test_mean_squared_and_absolute_error_average_over_last_axis(rng):
    y, p = rng.randn(4, 3), rng.randn(4, 3)
    np.testing.assert_allclose(evaluate(losses.mse, y, p),
                               ((p - y) ** 2).mean(axis=1))
    np.testing.assert_allclose(evaluate(losses.mae, y, p),
                               np.abs(p - y).mean(axis=1))
    assert losses.mse is losses.mean_squared_error
    assert losses.mae is losses.mean_absolute_error


def test_losses_keep_the_time_axis_of_sequence_outputs(rng):
    y, p = rng.randn(2, 5, 3), rng.randn(2, 5, 3)
    out = evaluate(losses.mean_squared_error, y, p)
    assert out.shape == (2, 5)
    np.testing.assert_allclose(out, ((p - y) ** 2).mean(axis=-1))


def test_binary_crossentropy_matches_numpy(rng):
    y = (rng.rand(5, 4) > 0.5).astype(float)
    p = rng.rand(5, 4)
    np.testing.assert_allclose(evaluate(losses.binary_crossentropy, y, p),
                               np_binary_crossentropy(y, p), rtol=1e-12)


def test_binary_crossentropy_clips_predictions_of_exactly_0_and_1():
    y = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    p = np.array([[0.0, 1.0], [0.0, 1.0], [1.0, 0.5]])
    out = evaluate(losses.binary_crossentropy, y, p)
    assert np.all(np.isfinite(out))
    worst = -np.log(EPS)  # a sure prediction that is wrong
    best = -np.log(1 - EPS)  # a sure prediction that is right
    np.testing.assert_allclose(out, [worst, best, (best + np.log(2)) / 2])
    np.testing.assert_allclose(out, np_binary_crossentropy(y, p))


def test_categorical_crossentropy_matches_numpy(rng):
    p = softmax_rows(rng, 6, 5)
    y = np.eye(5)[rng.randint(0, 5, size=6)]
    np.testing.assert_allclose(
        evaluate(losses.categorical_crossentropy, y, p),
        np_categorical_crossentropy(y, p), rtol=1e-12)


def test_categorical_crossentropy_renormalises_and_clips():
    y = np.array([[0.0, 1.0, 0.0], [1.0, 0.0, 0.0], [0.0, 0.0, 1.0]])
    # Row 0 sums to 2 (renormalised to 0.25/0.5/0.25); row 1 gives the
    # target probability 0, row 2 probability 1.
    p = np.array([[0.5, 1.0, 0.5], [0.0, 0.3, 0.7], [0.0, 0.0, 1.0]])
    out = evaluate(losses.categorical_crossentropy, y, p)
    np.testing.assert_allclose(out, [np.log(2), -np.log(EPS),
                                     -np.log(1 - EPS)])
    np.testing.assert_allclose(out, np_categorical_crossentropy(y, p))


@pytest.mark.parametrize("label_shape", ["column", "flat"])
def test_sparse_categorical_crossentropy_matches_numpy(rng, label_shape):
    p = softmax_rows(rng, 6, 4)
    p[0] = [0.0, 0.0, 1.0, 0.0]  # clipped: label 2 is sure, label 0 is not
    p[1] = [0.0, 0.0, 1.0, 0.0]
    labels = rng.randint(0, 4, size=6)
    labels[:2] = [2, 0]
    y = labels[:, None] if label_shape == "column" else labels
    out = evaluate(losses.sparse_categorical_crossentropy, y, p,
                   true_dtype="int32")
    np.testing.assert_allclose(out,
                               np_sparse_categorical_crossentropy(labels, p))
    np.testing.assert_allclose(out[:2], [-np.log(1 - EPS), -np.log(EPS)])


def test_sparse_categorical_crossentropy_on_sequences_with_float_labels(rng):
    p = softmax_rows(rng, 2, 3, 5)
    labels = rng.randint(0, 5, size=(2, 3))
    out = evaluate(losses.sparse_categorical_crossentropy,
                   labels[..., None].astype(float), p)
    assert out.shape == (2, 3)
    np.testing.assert_allclose(out,
                               np_sparse_categorical_crossentropy(labels, p))


def test_losses_get_accepts_names_aliases_and_callables():
    assert losses.get("mse") is losses.mean_squared_error
    assert losses.get("mae") is losses.mean_absolute_error
    assert losses.get("binary_crossentropy") is losses.binary_crossentropy
    custom = lambda y_true, y_pred: y_pred  # noqa: E731
    assert losses.get(custom) is custom
    assert losses.get(None) is None
    assert losses.serialize(losses.get("mse")) == "mean_squared_error"
    for name in ("categorical_crossentropy",
                 "sparse_categorical_crossentropy"):
        fn = losses.get(name)
        assert losses.get(losses.serialize(fn)) is fn


def test_losses_get_unknown_name_lists_known_names():
    with pytest.raises(ValueError) as info:
        losses.get("hinge_of_doom")
    message = str(info.value)
    assert "hinge_of_doom" in message
    assert "binary_crossentropy" in message and "mse" in message


# -- metrics ------------------------------------------------------------------

def test_binary_accuracy_rounds_at_one_half():
    y = np.array([[1.0, 0.0, 0.0, 0.0], [0.0, 0.0, 1.0, 1.0]])
    p = np.array([[0.9, 0.2, 0.5, 0.5], [0.51, 0.49, 1.0, 0.0]])
    # 0.5 counts as 0, so row 0 is all right.
    expected = np.mean(y == (p > 0.5), axis=-1)
    out = evaluate(metrics.binary_accuracy, y, p)
    np.testing.assert_allclose(out, [1.0, 0.5])
    np.testing.assert_allclose(out, expected)


def test_categorical_accuracy_compares_argmax(rng):
    p = softmax_rows(rng, 8, 3)
    labels = rng.randint(0, 3, size=8)
    labels[0] = p[0].argmax()  # at least one right
    y = np.eye(3)[labels]
    out = evaluate(metrics.categorical_accuracy, y, p)
    np.testing.assert_array_equal(out, (p.argmax(-1) == labels).astype(float))


@pytest.mark.parametrize("label_shape", ["column", "flat"])
def test_sparse_categorical_accuracy_compares_labels_to_argmax(rng,
                                                               label_shape):
    p = softmax_rows(rng, 8, 3)
    labels = rng.randint(0, 3, size=8)
    labels[:2] = p[:2].argmax(-1)
    y = labels[:, None] if label_shape == "column" else labels
    out = evaluate(metrics.sparse_categorical_accuracy, y.astype(float), p)
    np.testing.assert_array_equal(out, (p.argmax(-1) == labels).astype(float))


def test_sparse_categorical_accuracy_on_sequences(rng):
    p = softmax_rows(rng, 2, 4, 3)
    labels = rng.randint(0, 3, size=(2, 4))
    out = evaluate(metrics.sparse_categorical_accuracy, labels[..., None], p,
                   true_dtype="int32")
    np.testing.assert_array_equal(out, (p.argmax(-1) == labels).astype(float))


def test_losses_are_metrics_too():
    assert metrics.get("mse") is losses.mean_squared_error
    assert metrics.get("mean_absolute_error") is losses.mean_absolute_error
    assert metrics.get("binary_crossentropy") is losses.binary_crossentropy


@pytest.mark.parametrize("name", ["acc", "accuracy"])
@pytest.mark.parametrize("loss, output_shape, expected", [
    ("binary_crossentropy", (None, 3), "binary_accuracy"),
    ("mse", (None, 1), "binary_accuracy"),
    ("categorical_crossentropy", 1, "binary_accuracy"),
    ("sparse_categorical_crossentropy", (None, 10),
     "sparse_categorical_accuracy"),
    ("categorical_crossentropy", (None, 10), "categorical_accuracy"),
    ("mse", (None, 4), "categorical_accuracy"),
    (None, None, "categorical_accuracy"),
])
def test_accuracy_resolves_like_keras_2(name, loss, output_shape, expected):
    fn = metrics.get(name, loss=loss, output_shape=output_shape)
    assert fn is getattr(metrics, expected)
    # The same with the loss given as a function rather than a name.
    assert metrics.get(name, losses.get(loss), output_shape) is fn


def test_accuracy_keeps_the_name_the_user_gave():
    assert metrics.resolve("acc", "binary_crossentropy") == (
        "acc", metrics.binary_accuracy)
    assert metrics.resolve("accuracy", "sparse_categorical_crossentropy") == (
        "accuracy", metrics.sparse_categorical_accuracy)
    assert metrics.resolve(metrics.categorical_accuracy) == (
        "categorical_accuracy", metrics.categorical_accuracy)
    assert metrics.resolve("mse") == ("mse", losses.mean_squared_error)


def test_metrics_get_unknown_name_raises():
    with pytest.raises(ValueError) as info:
        metrics.get("precision_at_infinity")
    assert "precision_at_infinity" in str(info.value)
    assert "categorical_accuracy" in str(info.value)
    assert metrics.serialize(metrics.get("categorical_accuracy")) == \
        "categorical_accuracy"
