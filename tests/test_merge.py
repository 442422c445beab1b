"""Merge layers (Keras 2's Add ... Dot, Keras 1's Merge) against NumPy:
outputs with broadcasting, shapes, masks, gradients, configs, and the errors
for wrong inputs."""
import numpy as np
import pytest

from theano_rnn.runtime import theano

config, theano_function = theano.config, theano.function

from layer_harness import build_and_call, check_gradient, round_trip
from theano_rnn.layers import (Add, Average, Concatenate, Dense, Dot, Maximum,
                               Merge, Minimum, Multiply, Subtract)
from theano_rnn.models import Model, Sequential

FLOATX = config.floatX

ELEMENTWISE = [
    (Add, lambda a, b, c: a + b + c),
    (Multiply, lambda a, b, c: a * b * c),
    (Average, lambda a, b, c: (a + b + c) / 3),
    (Maximum, lambda a, b, c: np.maximum(np.maximum(a, b), c)),
    (Minimum, lambda a, b, c: np.minimum(np.minimum(a, b), c)),
]


@pytest.mark.parametrize("cls,reference", ELEMENTWISE,
                         ids=[c[0].__name__ for c in ELEMENTWISE])
def test_elementwise_merges_of_three_inputs(float64, rng, cls, reference):
    a, b, c = rng.randn(2, 3, 4), rng.randn(2, 3, 4), rng.randn(2, 3, 4)
    layer = cls()
    out = build_and_call(layer, [a, b, c])[0]
    np.testing.assert_allclose(out, reference(a, b, c))
    assert layer.compute_output_shape([(None, 3, 4)] * 3) == (None, 3, 4)
    check_gradient(cls(), [a, b, c], rng)
    assert type(round_trip(layer)) is cls


def test_subtract_takes_exactly_two(float64, rng):
    a, b = rng.randn(2, 3), rng.randn(2, 3)
    np.testing.assert_allclose(build_and_call(Subtract(), [a, b])[0], a - b)
    with pytest.raises(ValueError, match=r"'sub'.*list of 2 inputs.*3"):
        Subtract(name="sub").build([(None, 3)] * 3)


def test_elementwise_merge_broadcasts_like_numpy(float64, rng):
    a, b = rng.randn(2, 3, 4), rng.randn(2, 1, 4)
    layer = Add()
    np.testing.assert_allclose(build_and_call(layer, [a, b])[0], a + b)
    assert layer.compute_output_shape([(None, 3, 4), (None, 1, 4)]) \
        == (None, 3, 4)
    # a lower-rank input is expanded at axis 1, as Keras does
    c = rng.randn(2, 4)
    np.testing.assert_allclose(build_and_call(Multiply(), [a, c])[0],
                               a * c[:, None, :])


def test_incompatible_shapes_name_the_layer_and_the_shapes():
    with pytest.raises(ValueError, match=r"'plus'.*\(None, 3, 4\), "
                                         r"\(None, 3, 5\)"):
        Add(name="plus").build([(None, 3, 4), (None, 3, 5)])
    with pytest.raises(ValueError, match=r"'plus'.*list of 2 or more.*"
                                         r"\(None, 3\)"):
        Add(name="plus").build((None, 3))
    with pytest.raises(ValueError, match="different batch sizes"):
        Add().build([(2, 3), (5, 3)])
    with pytest.raises(ValueError, match=r"'cat'.*agree except.*\(None, 3, 4\)"
                                         r", \(None, 2, 5\)"):
        Concatenate(name="cat").build([(None, 3, 4), (None, 2, 5)])
    with pytest.raises(ValueError, match=r"'d'.*\(None, 4\) and \(None, 5\)"):
        Dot(axes=1, name="d").build([(None, 4), (None, 5)])


def test_elementwise_merge_masks_are_anded(float64, rng):
    a, b = rng.randn(2, 3, 4), rng.randn(2, 3, 4)
    m1 = np.array([[1, 1, 0], [1, 1, 1]], dtype="int8")
    m2 = np.array([[1, 0, 1], [1, 1, 1]], dtype="int8")
    mask = build_and_call(Add(), [a, b], [m1, m2])[1]
    np.testing.assert_array_equal(mask, m1 & m2)
    only = build_and_call(Add(), [a, b], [None, m2])[1]
    np.testing.assert_array_equal(only, m2)
    assert build_and_call(Add(), [a, b])[1] is None


@pytest.mark.parametrize("axis", [-1, 1, 2])
def test_concatenate_along_an_axis(float64, rng, axis):
    a = rng.randn(2, 3, 4)
    b = rng.randn(2, 3, 4) if axis != 1 else rng.randn(2, 5, 4)
    if axis in (-1, 2):
        b = rng.randn(2, 3, 2)
    layer = Concatenate(axis=axis)
    out = build_and_call(layer, [a, b])[0]
    np.testing.assert_allclose(out, np.concatenate([a, b], axis=axis))
    assert layer.compute_output_shape([(None,) + a.shape[1:],
                                       (None,) + b.shape[1:]]) \
        == (None,) + out.shape[1:]
    check_gradient(Concatenate(axis=axis), [a, b], rng)
    assert round_trip(layer).axis == axis


def test_concatenate_mask_on_the_feature_axis(float64, rng):
    a, b = rng.randn(2, 3, 4), rng.randn(2, 3, 2)
    m = np.array([[1, 1, 0], [0, 1, 1]], dtype="int8")
    mask = build_and_call(Concatenate(), [a, b], [m, None])[1]
    np.testing.assert_array_equal(mask.astype(int), m)


def cosine(a, b, axis):
    return (a * b).sum(axis) / np.sqrt((a * a).sum(axis) * (b * b).sum(axis))


def test_dot_of_vectors_and_of_sequences(float64, rng):
    a, b = rng.randn(3, 4), rng.randn(3, 4)
    out = build_and_call(Dot(axes=1), [a, b])[0]
    np.testing.assert_allclose(out, (a * b).sum(1, keepdims=True))
    normed = build_and_call(Dot(axes=-1, normalize=True), [a, b])[0]
    np.testing.assert_allclose(normed[:, 0], cosine(a, b, 1))
    # babi_memnn's match: (batch, n, d) . (batch, m, d) over d -> (n, m)
    x, y = rng.randn(2, 5, 3), rng.randn(2, 4, 3)
    layer = Dot(axes=(2, 2))
    out = build_and_call(layer, [x, y])[0]
    np.testing.assert_allclose(out, np.einsum("bnd,bmd->bnm", x, y))
    assert layer.compute_output_shape([(None, 5, 3), (None, 4, 3)]) \
        == (None, 5, 4)
    # (batch, n, d) . (batch, n) over n -> (batch, d)
    p = rng.randn(2, 5)
    out = build_and_call(Dot(axes=[1, 1]), [x, p])[0]
    np.testing.assert_allclose(out, np.einsum("bnd,bn->bd", x, p))
    check_gradient(Dot(axes=(2, 2), normalize=True), [x, y], rng)
    assert build_and_call(Dot(axes=1), [a, b], [np.ones((3,), "int8"),
                                                None])[1] is None
    copy = round_trip(Dot(axes=[2, 2], normalize=True))
    assert copy.axes == [2, 2] and copy.normalize


KERAS1_MODES = [
    ("sum", {}, lambda a, b: a + b),
    ("mul", {}, lambda a, b: a * b),
    ("ave", {}, lambda a, b: (a + b) / 2),
    ("max", {}, np.maximum),
    ("concat", {"concat_axis": 1}, lambda a, b: np.concatenate([a, b], 1)),
    ("dot", {"dot_axes": 1}, lambda a, b: (a * b).sum(1, keepdims=True)),
    ("cos", {"dot_axes": 1}, lambda a, b: cosine(a, b, 1)[:, None]),
]


@pytest.mark.parametrize("mode,options,reference", KERAS1_MODES,
                         ids=[m[0] for m in KERAS1_MODES])
def test_keras1_merge_modes(float64, rng, mode, options, reference):
    a, b = rng.randn(3, 4), rng.randn(3, 4)
    layer = Merge(mode=mode, **options)
    out = build_and_call(layer, [a, b])[0]
    np.testing.assert_allclose(out, reference(a, b))
    assert layer.compute_output_shape([(None, 4), (None, 4)]) \
        == (None,) + out.shape[1:]
    copy = round_trip(layer)
    assert copy.mode == mode


def test_keras1_merge_with_a_function(float64, rng):
    a, b = rng.randn(3, 4), rng.randn(3, 4)
    layer = Merge(mode=lambda ts: ts[0] - 2 * ts[1], output_shape=(4,))
    np.testing.assert_allclose(build_and_call(layer, [a, b])[0], a - 2 * b)
    assert layer.compute_output_shape([(None, 4)] * 2) == (None, 4)
    with pytest.raises(ValueError, match="needs output_shape"):
        Merge(mode=lambda ts: ts[0]).compute_output_shape([(None, 4)] * 2)


def test_keras1_merge_errors():
    with pytest.raises(ValueError, match=r"'m'.*unknown merge mode 'median'"):
        Merge(mode="median", name="m")
    with pytest.raises(ValueError, match=r"'m'.*one shape.*\(None, 4\), "
                                         r"\(None, 5\)"):
        Merge(mode="sum", name="m").build([(None, 4), (None, 5)])
    with pytest.raises(ValueError, match=r"'m'.*at least 2"):
        Merge([Dense(2)], mode="concat", name="m")
    with pytest.raises(ValueError, match=r"'m'.*branch 'lonely' has no output"):
        Merge([Dense(2, name="lonely"), Dense(2)], name="m")


def test_keras1_merge_over_sequential_branches(rng):
    """Keras 1: Merge([left, right], mode='concat') merges the branches'
    outputs; a Model from the branches' inputs trains it."""
    left = Sequential([Dense(3, input_shape=(4,))])
    right = Sequential([Dense(2, input_shape=(5,))])
    merged = Merge([left, right], mode="concat")
    assert merged.output._keras_shape == (None, 5)
    model = Model([left.input, right.input], Dense(1)(merged.output))
    model.compile(optimizer="sgd", loss="mse")
    xs = [rng.randn(6, 4).astype(FLOATX), rng.randn(6, 5).astype(FLOATX)]
    model.fit(xs, rng.randn(6, 1).astype(FLOATX), epochs=1, verbose=0)
    np.testing.assert_allclose(
        theano_function([left.input, right.input], merged.output)(*xs),
        np.concatenate([left.predict(xs[0]), right.predict(xs[1])], axis=1),
        rtol=1e-5)
