"""The row gather and scatter-add (theano_rnn.fused.rows) against NumPy.

The references: the forward pass is NumPy's indexing ``table[ids]``; the
gradient of ``sum(c * table[ids])`` with respect to the table is
``np.add.at(zeros, ids, c)`` (each repeated id accumulating), and the
gradient of a non-linear cost is checked by finite differences.
"""
import numpy as np
import pytest

from theano_rnn.runtime import T, theano

from fused_harness import C_MODE, op_types
from theano_rnn.fused.adam import AdamUpdate
from theano_rnn.fused.rows import RowGather, RowScatterAdd, gather_rows
from theano_rnn.layers import LSTM, Dense, Embedding
from theano_rnn.models import Sequential

DTYPES = ["float64", "float32"]
ID_DTYPES = ["int32", "int64"]
PY_MODE = theano.compile.mode.Mode(linker="py", optimizer="fast_run")
MODES = {"c": C_MODE, "py": PY_MODE}
# ids of several shapes, each with repeated ids (row 3 three times).
IDS = {"0d": np.array(3),
       "1d": np.array([3, 0, 3, 6, 3]),
       "2d": np.array([[3, 1, 3], [6, 0, 3]]),
       "3d": np.array([[[5, 3], [3, 3]], [[0, 6], [1, 3]]])}
N_ROWS, WIDTH = 7, 5


def table_value(dtype, rng, n_rows=N_ROWS, width=WIDTH):
    return rng.uniform(-1, 1, (n_rows, width)).astype(dtype)


def np_gradient(table, ids, dy):
    """The gradient of ``sum(dy * table[ids])`` with respect to ``table``."""
    expected = np.zeros_like(table)
    np.add.at(expected, ids.ravel(), dy.reshape(-1, table.shape[1]))
    return expected


def compile_lookup(dtype, ids_dtype, ndim, mode, bound="input_dim"):
    """``f(table, ids, c) -> (table[ids], d sum(c * table[ids]) / d table)``."""
    table = T.matrix("table", dtype=dtype)
    ids = T.TensorType(ids_dtype, (False,) * ndim)("ids")
    c = T.TensorType(dtype, (False,) * (ndim + 1))("c")
    y = gather_rows(table, ids, bound)
    assert isinstance(y.owner.op, RowGather)
    dtable = T.grad(T.sum(c * y), table)
    return theano.function([table, ids, c], [y, dtable], mode=mode)


@pytest.mark.parametrize("mode", sorted(MODES))
@pytest.mark.parametrize("ids_dtype", ID_DTYPES)
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", sorted(IDS))
def test_lookup_and_gradient_match_numpy(shape, dtype, ids_dtype, mode,
                                         rng):
    ids = IDS[shape].astype(ids_dtype)
    f = compile_lookup(dtype, ids_dtype, ids.ndim, MODES[mode])
    assert {RowGather, RowScatterAdd} <= op_types(f)
    for _ in range(2):      # the second call reuses the outputs' buffers
        table = table_value(dtype, rng)
        c = rng.uniform(-1, 1, ids.shape + (WIDTH,)).astype(dtype)
        y, dtable = f(table, ids, c)
        assert y.dtype == dtype and dtable.dtype == dtype
        np.testing.assert_array_equal(y, table[ids])
        np.testing.assert_allclose(dtable, np_gradient(table, ids, c),
                                   rtol=1e-6, atol=1e-6)
        ids = ids[..., ::-1].copy() if ids.ndim else ids


def test_repeated_ids_accumulate_exactly(float64):
    """Row 2 named four times receives the sum of its four output rows;
    rows never named get zeros."""
    f = compile_lookup("float64", "int32", 1, C_MODE)
    table = np.zeros((4, 2))
    ids = np.array([2, 2, 0, 2, 2], dtype="int32")
    c = np.arange(10.0).reshape(5, 2)
    dtable = f(table, ids, c)[1]
    np.testing.assert_array_equal(
        dtable, [[4, 5], [0, 0], [0 + 2 + 6 + 8, 1 + 3 + 7 + 9], [0, 0]])


@pytest.mark.parametrize("mode", sorted(MODES))
def test_gradient_by_finite_differences(mode, rng, float64):
    ids = IDS["2d"].astype("int32")
    table = table_value("float64", rng)
    theano.gradient.verify_grad(
        lambda t: T.tanh(RowGather()(t, ids)) ** 2, [table], rng=rng,
        mode=MODES[mode])


@pytest.mark.parametrize("mode", sorted(MODES))
def test_second_derivative_is_a_gather(mode, rng, float64):
    """The gradient of the scatter-add with respect to the output gradient,
    by finite differences."""
    ids = IDS["2d"].astype("int32")
    table = T.constant(table_value("float64", rng))
    dy = rng.uniform(-1, 1, ids.shape + (WIDTH,))
    theano.gradient.verify_grad(
        lambda d: T.sin(RowScatterAdd()(table, ids, d)), [dy], rng=rng,
        mode=MODES[mode])


def test_a_kept_gradient_buffer_is_cleared(rng):
    """Under a linker that keeps intermediate results between calls
    (``cvm_nogc``) the scatter-add writes into its previous output again:
    the rows of the previous ids must not stay in it (checked: without the
    clearing this fails)."""
    table, ids = T.matrix("table", dtype="float64"), T.ivector("ids")
    dtable = T.grad(T.sum(RowGather()(table, ids)), table)
    # a reduction reads the gradient without taking over its buffer
    f = theano.function([table, ids], T.sum(dtable, axis=1),
                        mode=theano.compile.mode.Mode(linker="cvm_nogc"))
    value = table_value("float64", rng)
    for ids_value in ([1, 1, 4], [0, 6]):
        ids_value = np.array(ids_value, dtype="int32")
        expected = np_gradient(value, ids_value,
                               np.ones((len(ids_value), WIDTH))).sum(axis=1)
        np.testing.assert_array_equal(f(value, ids_value), expected)


def test_empty_ids(rng):
    f = compile_lookup("float64", "int64", 1, C_MODE)
    table = table_value("float64", rng)
    y, dtable = f(table, np.zeros(0, dtype="int64"), np.zeros((0, WIDTH)))
    assert y.shape == (0, WIDTH)
    np.testing.assert_array_equal(dtable, np.zeros_like(table))


def test_strided_table_and_ids(rng):
    """A transposed table and ids that are a transposed view: the C code
    works on contiguous copies of them."""
    table = T.matrix("table", dtype="float64")
    ids = T.imatrix("ids")
    c = T.tensor3("c", dtype="float64")
    y = RowGather()(table.T, ids.T)
    f = theano.function([table, ids, c], [y, T.grad(T.sum(c * y), table)],
                        mode=C_MODE)
    table_t = table_value("float64", rng, WIDTH, N_ROWS)     # (5, 7)
    ids_t = IDS["2d"].astype("int32").T.copy()               # (3, 2)
    c_value = rng.uniform(-1, 1, (2, 3, WIDTH))
    got, dtable = f(table_t, ids_t, c_value)
    np.testing.assert_array_equal(got, table_t.T[ids_t.T])
    np.testing.assert_allclose(dtable, np_gradient(table_t.T, ids_t.T,
                                                   c_value).T)


@pytest.mark.parametrize("mode", sorted(MODES))
@pytest.mark.parametrize("bad", [N_ROWS, -1])
def test_an_id_out_of_range_is_a_value_error(bad, mode, rng):
    """Never a read or a write outside the table: the error names the id,
    its position and the bound as the Embedding's user knows it."""
    ids = np.array([[1, 2], [bad, 0]], dtype="int32")
    table = table_value("float64", rng)
    ids_variable = T.imatrix("ids")
    gather = theano.function(
        [ids_variable], RowGather("input_dim")(table, ids_variable),
        mode=MODES[mode])
    message = (r"id %d \(flat position 2 of the ids\) is out of range: "
               r"ids must lie in \[0, input_dim\), and input_dim is %d"
               % (bad, N_ROWS))
    with pytest.raises(ValueError, match="RowGather: " + message):
        gather(ids)
    scatter = theano.function(
        [ids_variable], RowScatterAdd("input_dim")(
            table, ids_variable, np.ones((2, 2, WIDTH))), mode=MODES[mode])
    with pytest.raises(ValueError, match="RowScatterAdd: " + message):
        scatter(ids)


@pytest.mark.parametrize("mode", sorted(MODES))
def test_an_output_gradient_of_the_wrong_shape_is_a_value_error(mode, rng):
    ids = T.ivector("ids")
    dy = T.matrix("dy", dtype="float64")
    f = theano.function([ids, dy], RowScatterAdd()(
        table_value("float64", rng), ids, dy), mode=MODES[mode])
    with pytest.raises(ValueError, match="RowScatterAdd: the output "
                                         "gradient has shape"):
        f(np.array([1, 2], dtype="int32"), np.ones((2, WIDTH + 1)))


def test_what_the_ops_take():
    """Other integer ids are cast to int64; float ids and tables that are
    not float matrices are refused by the ops, and gather_rows leaves them
    to Theano's indexing."""
    table = T.matrix("table", dtype="float32")
    assert RowGather()(table, T.bmatrix()).owner.inputs[1].dtype == "int64"
    with pytest.raises(TypeError):
        RowGather()(table, T.fmatrix())
    for args in ((T.imatrix(), T.ivector()),
                 (T.tensor3(dtype="float32"), T.ivector())):
        with pytest.raises(TypeError):
            RowGather()(*args)
        assert not isinstance(gather_rows(*args).owner.op, RowGather)
    with pytest.raises(ValueError):
        RowGather('"\n')
    assert RowGather("a") == RowGather("a") != RowGather("b")


def test_the_embedding_update_is_the_in_place_adam_of_the_scatter_add(rng):
    """In a trained model, the Embedding's lookup is the gather, its
    gradient the scatter-add, and Adam's update of its table takes that
    gradient and is made in place; one step changes exactly the rows
    whose ids the batch holds (Adam moves a row only where its gradient
    has been non-zero)."""
    model = Sequential([Embedding(30, 4, input_length=5), LSTM(3),
                        Dense(1, activation="sigmoid")])
    model.compile(loss="binary_crossentropy", optimizer="adam")
    embeddings = model.layers[0].embeddings
    before = embeddings.get_value()
    x = np.array([[1, 2, 2, 3, 4], [4, 5, 6, 6, 6]], dtype="int32")
    model.train_on_batch(x, np.array([[0], [1]], dtype="float32"))
    nodes = [node for node in model.train_function.maker.fgraph.toposort()
             if isinstance(node.op, AdamUpdate)
             and node.inputs[1].owner is not None
             and isinstance(node.inputs[1].owner.op, RowScatterAdd)]
    assert len(nodes) == 1 and nodes[0].op.inplace
    assert RowGather in op_types(model.train_function)
    changed = np.flatnonzero(np.any(embeddings.get_value() != before, axis=1))
    np.testing.assert_array_equal(changed, [1, 2, 3, 4, 5, 6])
