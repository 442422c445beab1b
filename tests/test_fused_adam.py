"""The fused Adam update (theano_rnn.fused.adam) against NumPy.

The reference is the symbolic Adam update of theano_rnn.optimizers written
out in NumPy::

    m = beta_1 m + (1 - beta_1) g
    v = beta_2 v + (1 - beta_2) g ** 2
    p = p - lr_t m / (sqrt(v) + epsilon)
"""
import numpy as np
import pytest

from theano_rnn.runtime import T, theano

from fused_harness import C_MODE, c_function
from theano_rnn.fused.adam import AdamUpdate, adam_update
from theano_rnn.optimizers import Adam

SHAPES = [(), (7,), (5, 3), (2, 3, 4)]
DTYPES = ["float64", "float32"]
TOLERANCE = {"float64": dict(rtol=1e-12, atol=1e-14),
             "float32": dict(rtol=2e-5, atol=1e-6)}
HYPER = dict(lr_t=0.05, beta_1=0.8, beta_2=0.95, epsilon=1e-7)
PY_MODE = theano.compile.mode.Mode(linker="py", optimizer="fast_run")


def np_adam(p, g, m, v, lr_t, beta_1, beta_2, epsilon):
    """One step of the reference, in the dtype of ``p``."""
    t = p.dtype.type
    m = t(beta_1) * m + (t(1) - t(beta_1)) * g
    v = t(beta_2) * v + (t(1) - t(beta_2)) * g * g
    p = p - t(lr_t) * m / (np.sqrt(v) + t(epsilon))
    return p, m, v


def shared_scalars(dtype):
    return {name: theano.shared(np.asarray(value, dtype=dtype), name=name)
            for name, value in HYPER.items()}


def adam_nodes(function):
    return [node for node in function.maker.fgraph.toposort()
            if isinstance(node.op, AdamUpdate)]


def run_steps(shape, dtype, rng, steps=4, mode=C_MODE, known_shape=False):
    """Several steps through shared variables updated by a compiled function
    (the op in place); returns the values after each step, got and
    expected, and the compiled function."""
    p0 = np.asarray(rng.randn(*shape), dtype=dtype)
    p, m, v = [theano.shared(value.copy()) for value in
               (p0, np.zeros_like(p0), np.zeros_like(p0))]
    g = T.TensorType(dtype, (False,) * len(shape))("g")
    hyper = shared_scalars(dtype)
    gradient = T.specify_shape(g, shape) if known_shape else g
    p_new, m_new, v_new = adam_update(p, gradient, m, v, **hyper)
    step = theano.function([g], [], updates=[(p, p_new), (m, m_new),
                                             (v, v_new)], mode=mode)
    expected = (p0, np.zeros_like(p0), np.zeros_like(p0))
    got_all, expected_all = [], []
    for k in range(steps):
        gradient = np.asarray(rng.randn(*shape), dtype=dtype)
        lr_t = HYPER["lr_t"] / (k + 1)
        hyper["lr_t"].set_value(np.asarray(lr_t, dtype=dtype))
        step(gradient)
        expected = np_adam(*(expected[:1] + (gradient,) + expected[1:]),
                           **dict(HYPER, lr_t=lr_t))
        got_all.append([x.get_value() for x in (p, m, v)])
        expected_all.append(expected)
    return got_all, expected_all, step


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", SHAPES, ids=lambda s: "%dd" % len(s))
def test_steps_match_numpy_in_place(shape, dtype, rng):
    got, expected, step = run_steps(shape, dtype, rng)
    nodes = adam_nodes(step)
    assert len(nodes) == 1 and nodes[0].op.inplace
    for got_step, expected_step in zip(got, expected):
        for x, e in zip(got_step, expected_step):
            assert x.dtype == dtype and x.shape == shape
            np.testing.assert_allclose(x, e, **TOLERANCE[dtype])


def test_a_gradient_of_known_shape_takes_the_op(rng):
    """A gradient whose static shape is known (PyTensor types say so; the
    gradient of the recurrent kernel under recurrent dropout is one) is not
    of the parameter's type there, but of its broadcast pattern: fused."""
    got, expected, step = run_steps((5, 3), "float32", rng, steps=2,
                                    known_shape=True)
    assert adam_nodes(step)[0].op.inplace
    for got_step, expected_step in zip(got, expected):
        for x, e in zip(got_step, expected_step):
            np.testing.assert_allclose(x, e, **TOLERANCE["float32"])


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", [(), (5, 3)], ids=["0d", "2d"])
def test_perform_matches_numpy(shape, dtype, rng):
    got, expected, step = run_steps(shape, dtype, rng, mode=PY_MODE)
    assert adam_nodes(step)[0].op.inplace
    for got_step, expected_step in zip(got, expected):
        for x, e in zip(got_step, expected_step):
            np.testing.assert_allclose(x, e, **TOLERANCE[dtype])


@pytest.mark.parametrize("mode", [C_MODE, PY_MODE], ids=["c", "py"])
@pytest.mark.parametrize("dtype", DTYPES)
def test_not_in_place_leaves_inputs_alone(dtype, mode, rng):
    # Explicit inputs are not mutable: the op stays non-destructive.
    p, g, m, v = [T.tensor3(name, dtype=dtype) for name in "pgmv"]
    hyper = {name: T.scalar(name, dtype=dtype) for name in HYPER}
    f = theano.function([p, g, m, v] + list(hyper.values()),
                        adam_update(p, g, m, v, **hyper), mode=mode)
    assert not adam_nodes(f)[0].op.inplace
    arrays = [rng.randn(2, 3, 4).astype(dtype) for _ in range(4)]
    arrays[3] = abs(arrays[3])
    copies = [a.copy() for a in arrays]
    scalars = [np.asarray(HYPER[name], dtype=dtype) for name in hyper]
    for _ in range(2):              # the second call may reuse its outputs
        got = f(*(arrays + scalars))
        expected = np_adam(*arrays, **HYPER)
        for x, e in zip(got, expected):
            np.testing.assert_allclose(x, e, **TOLERANCE[dtype])
        for a, c in zip(arrays, copies):
            np.testing.assert_array_equal(a, c)


@pytest.mark.parametrize("dtype", DTYPES)
def test_non_contiguous_inputs(dtype, rng):
    # p, m, v: shared values that are transposed views; g: a transpose in
    # the graph.  The op works on contiguous copies of them.
    p0, m0, v0 = [rng.randn(4, 6).astype(dtype).T for _ in range(3)]
    v0 = abs(v0)
    assert not p0.flags.c_contiguous
    p, m, v = [theano.shared(x, borrow=True) for x in (p0, m0, v0)]
    expected = [x.copy() for x in (p0, m0, v0)]
    x = T.matrix("x", dtype=dtype)
    p_new, m_new, v_new = adam_update(p, x.T, m, v, **shared_scalars(dtype))
    f = c_function([x], [], updates=[(p, p_new), (m, m_new),
                                          (v, v_new)])
    for _ in range(2):
        gradient = rng.randn(6, 4).astype(dtype)
        f(gradient.T.copy())        # x (4, 6); the op gets x.T, strided
        expected = np_adam(expected[0], gradient, expected[1], expected[2],
                           **HYPER)
        for var, e in zip((p, m, v), expected):
            np.testing.assert_allclose(var.get_value(), e,
                                       **TOLERANCE[dtype])


@pytest.mark.parametrize("mode", [C_MODE, PY_MODE], ids=["c", "py"])
def test_shape_mismatch_is_an_error(mode):
    p, g, m, v = [T.matrix(name, dtype="float64") for name in "pgmv"]
    f = theano.function([p, g, m, v], adam_update(p, g, m, v, 0.1, 0.9,
                                                  0.99, 1e-7), mode=mode)
    a = np.ones((2, 3))
    with pytest.raises(ValueError):
        f(a, np.ones((3, 2)), a, a)


def test_types_the_op_does_not_handle():
    # Other dtypes, or g/m/v of another type than p: adam_update says None
    # (the optimizer then uses the expressions), the op refuses them.
    p = T.matrix("p", dtype="float32")
    assert adam_update(T.imatrix(), T.imatrix(), T.imatrix(), T.imatrix(),
                       0.1, 0.9, 0.99, 1e-7) is None
    row = T.TensorType("float32", (True, False))()
    assert adam_update(p, row, p, p, 0.1, 0.9, 0.99, 1e-7) is None
    assert adam_update(p, p, p, p, T.vector(), 0.9, 0.99, 1e-7) is None
    with pytest.raises(TypeError):
        AdamUpdate()(p, T.vector(dtype="float32"), p, p, 0.1, 0.9, 0.99,
                     1e-7)
    # float64 gradient of a float32 parameter: cast, so handled.
    assert adam_update(p, T.matrix(dtype="float64"), p, p, 0.1, 0.9, 0.99,
                       1e-7) is not None


def test_no_gradient():
    p = T.vector("p")
    p_new = adam_update(p, p * 2, p * 3, p * 4, 0.1, 0.9, 0.99, 1e-7)[0]
    with pytest.raises(theano.gradient.NullTypeGradError):
        T.grad(p_new.sum(), p)


@pytest.mark.parametrize("dtype", DTYPES)
def test_in_place_after_the_readers_of_p(dtype, rng):
    """The cost and its gradient read p (directly, through a transpose and
    through a column view); the op overwrites p.  Theano's DestroyHandler
    must run it after all of them: the cost, the gradient and the update
    use the old p."""
    x = T.matrix("x", dtype=dtype)
    p = theano.shared(rng.randn(3, 4).astype(dtype), name="p")
    m = theano.shared(np.zeros((3, 4), dtype=dtype))
    v = theano.shared(np.zeros((3, 4), dtype=dtype))
    cost = (T.sum(T.sqr(T.dot(x, p))) + T.sum(T.dot(p.T, p[:, 0]))
            + T.sum(T.tanh(p)))
    g = T.grad(cost, p)
    p_new, m_new, v_new = adam_update(p, g, m, v, **shared_scalars(dtype))
    f = c_function([x], [cost, g], updates=[(p, p_new), (m, m_new),
                                                 (v, v_new)])
    assert adam_nodes(f)[0].op.inplace

    def np_cost_grad(x, p):
        xp = x.dot(p)
        r = p.sum(axis=1)
        cost = (xp ** 2).sum() + p[:, 0].dot(r) + np.tanh(p).sum()
        grad = 2 * x.T.dot(xp) + p[:, :1] + 1 - np.tanh(p) ** 2
        grad[:, 0] += r
        return cost, grad

    state = (p.get_value(), np.zeros((3, 4), dtype), np.zeros((3, 4), dtype))
    for _ in range(3):
        xs = rng.randn(2, 3).astype(dtype)
        cost_got, g_got = f(xs)
        cost_expected, g_expected = np_cost_grad(xs, state[0])
        np.testing.assert_allclose(cost_got, cost_expected, rtol=1e-5)
        np.testing.assert_allclose(g_got, g_expected, rtol=1e-5, atol=1e-5)
        state = np_adam(state[0], g_got, state[1], state[2], **HYPER)
        for var, e in zip((p, m, v), state):
            np.testing.assert_allclose(var.get_value(), e,
                                       **TOLERANCE[dtype])


def test_adam_optimizer_uses_the_op(rng):
    """Adam takes the fused op for every float parameter unless amsgrad."""
    x = T.matrix("x")
    W = theano.shared(rng.randn(3, 2).astype(theano.config.floatX), name="W")
    b = theano.shared(np.zeros(2, dtype=theano.config.floatX), name="b")
    loss = T.sum(T.sqr(T.dot(x, W) + b))
    for amsgrad, expected in ((False, 2), (True, 0)):
        opt = Adam(amsgrad=amsgrad)
        f = c_function([x], loss,
                            updates=opt.get_updates(loss, [W, b]))
        nodes = adam_nodes(f)
        assert len(nodes) == expected
        assert all(node.op.inplace for node in nodes)


def test_learning_rate_set_after_compilation(rng, float64):
    """lr stays symbolic: set_value(0) freezes the parameter, but not the
    moments."""
    x = T.matrix("x")
    W = theano.shared(rng.randn(3, 2), name="W")
    loss = T.sum(T.sqr(T.dot(x, W)))
    opt = Adam(lr=0.1)
    f = c_function([x], loss, updates=opt.get_updates(loss, [W]))
    assert adam_nodes(f)
    xs = rng.randn(4, 3)
    f(xs)
    moved = W.get_value()
    opt.lr.set_value(0.0)
    f(xs)
    np.testing.assert_array_equal(W.get_value(), moved)
    assert np.abs(opt.get_weights()[1]).sum() > 0


def test_constraint_applies_to_the_fused_update(rng, float64, monkeypatch):
    """A parameter's constraint applies to the op's new value: same result
    as the symbolic path (where ``adam_update`` declines)."""
    from theano_rnn import optimizers

    def train(fused):
        if not fused:
            monkeypatch.setattr(optimizers, "adam_update",
                                lambda *args: None)
        x = T.matrix("x")
        W = theano.shared(np.linspace(-1, 1, 6).reshape(3, 2), name="W")
        W.constraint = lambda w: w / T.maximum(1.0, T.sqrt(T.sum(T.sqr(w))))
        loss = T.sum(T.sqr(T.dot(x, W) - 1))
        f = c_function([x], loss,
                            updates=Adam(lr=0.3).get_updates(loss, [W]))
        assert bool(adam_nodes(f)) == fused
        data = np.random.RandomState(0)
        for _ in range(4):
            f(data.randn(4, 3))
        monkeypatch.undo()
        return W.get_value()

    fused, symbolic = train(True), train(False)
    assert np.sqrt((fused ** 2).sum()) <= 1 + 1e-12
    np.testing.assert_allclose(fused, symbolic, rtol=1e-12, atol=1e-14)


def test_the_in_place_rewrite_runs_after_in_place_blas_before_elemwise():
    """Registered on each backend between its in-place gemm and in-place
    Elemwise rewrites (Theano: 70 and 75; PyTensor: 50.2 and 50.5), which
    are found by name; the tests above check that it fires."""
    from theano_rnn.fused import adam
    from theano_rnn.runtime import _setup
    positions = theano.compile.optdb.__position__
    assert positions["theano_rnn_adam_inplace"] == adam.INPLACE_POSITION
    assert (positions["add_destroy_handler"] < positions[_setup.INPLACE_AFTER]
            < adam.INPLACE_POSITION < positions[_setup.INPLACE_BEFORE])
