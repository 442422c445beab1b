r"""The row gather ``table[ids]`` and its gradient, as two C ops.

For a table :math:`W` of shape (V, D) and integer ids of any shape,
:class:`RowGather` computes

.. math::  y[i] = W[\mathrm{ids}[i]], \qquad y: \mathrm{ids.shape} + (D,)

and its gradient, :class:`RowScatterAdd`, the dense (V, D) gradient of a
cost :math:`C` with respect to the table,

.. math::  \frac{\partial C}{\partial W[v]} =
           \sum_{i:\ \mathrm{ids}[i] = v} \frac{\partial C}{\partial y[i]}

by zeroing it and adding each row of :math:`\partial C / \partial y` into
the row its id names (a repeated id accumulates).  Both are loops over rows
of D contiguous elements.  This is the lookup of
:class:`~theano_rnn.layers.Embedding` (and of ``backend.gather``, Keras's
``K.gather``), through :func:`gather_rows`.

Both backends can write the lookup as ``W[ids]``, but the gradient costs
them differently.  theano-pymc builds ``AdvancedSubtensor1`` and, for the
gradient, ``AdvancedIncSubtensor1`` on zeros, whose C code walks the rows
with NumPy's generic ``MapIter``; PyTensor 3.3 builds ``AdvancedSubtensor``
and ``AdvancedIncSubtensor``, whose C code covers only a 1-D ``x`` (ids of
(batch, steps) fall back to ``perform``, that is ``np.add.at``), and
flattening the ids first does not change that.  On the IMDB model,
Embedding(20000, 128) with ids (32, 100), the gradient alone took 14 ms per
call on theano-pymc and 28-30 ms on PyTensor (issue 15).

The ops are float32 and float64, with int32 or int64 ids (other integer
ids are cast to int64).  An id outside ``[0, V)`` is a ``ValueError``
naming the id, its flat position and the bound under the name the user
knows it by (the op's property ``bound``: ``input_dim`` for an Embedding),
never a read or a write outside the table; negative ids are out of range
too (NumPy's indexing would count them from the end).  Each op reuses its
output buffer of the previous call when it has the right shape
(``csrc/arrays.h``; the scatter-add then clears it).  Where there is none
(the compiled function frees intermediate results between calls, Theano's
``allow_gc``), the scatter-add takes its (V, D) zeros from ``calloc``, as
Theano's ``Alloc`` of zeros does: the system hands out zeroed pages when
they are first touched, so a call costs the pages its rows land on, not a
pass over all V rows.

:class:`RowScatterAdd` takes the table itself, for its shape only: its
output has the table's type, as the gradient must, and is what
:class:`~theano_rnn.fused.adam.AdamUpdate` reads, unchanged by the in-place
rewrite of Adam's update (which overwrites the table after every reader of
it, this op included).  The gradient of the scatter-add with respect to the
output gradient is again a gather, so second derivatives exist; neither op
has a gradient with respect to the ids.
"""
import numpy as np
from ..runtime import T

from . import _base

__all__ = ["RowGather", "RowScatterAdd", "gather_rows"]

_FLOATS = ("float32", "float64")
_C_IDS = {"int32": "npy_int32", "int64": "npy_int64"}


def _is_table(table):
    """Whether the tensor ``table`` is one the row ops take."""
    return table.ndim == 2 and table.dtype in _FLOATS


def _are_ids(ids):
    """Whether the tensor ``ids`` holds integers."""
    return ids.dtype.startswith(("int", "uint"))


def _table(table):
    """``table`` as a float32 or float64 matrix (else a TypeError)."""
    table = T.as_tensor_variable(table)
    if not _is_table(table):
        raise TypeError("the row ops take a float32 or float64 matrix, got "
                        "%s" % table.type)
    return table


def _ids(ids):
    """``ids`` as an int32 or int64 tensor (other integers cast to int64;
    anything else a TypeError)."""
    ids = T.as_tensor_variable(ids)
    if not _are_ids(ids):
        raise TypeError("the row ops take integer ids, got %s" % ids.type)
    return ids if ids.dtype in _C_IDS else T.cast(ids, "int64")


def _c_string(text):
    """``text`` (printable ASCII) as a C string literal."""
    if not all(" " <= c <= "~" for c in text):
        raise ValueError("bound must be printable ASCII, got %r" % text)
    return '"%s"' % text.replace("\\", "\\\\").replace('"', '\\"')


def np_check_ids(op, bound, ids, n_rows):
    """The ``ValueError`` of the C code for the first id outside
    ``[0, n_rows)``, if there is one."""
    flat = ids.ravel()
    bad = np.flatnonzero((flat < 0) | (flat >= n_rows))
    if bad.size:
        i = bad[0]
        raise ValueError("%s: id %d (flat position %d of the ids) is out of "
                         "range: ids must lie in [0, %s), and %s is %d"
                         % (op, flat[i], i, bound, bound, n_rows))


class _RowOp(_base.SourcesOp):
    """What the two ops share: the property ``bound`` (how an error names
    the number of rows), their C++ and the call of one function of it."""

    __props__ = ("bound",)
    csrc = ("format_shape.h", "arrays.h", "rows.h")
    code_version = (1,)
    #: The function of ``csrc/rows.h`` the op calls.
    c_function = None

    def __init__(self, bound="len(table)"):
        self.bound = str(bound)
        _c_string(self.bound)
        super(_RowOp, self).__init__()

    def c_code(self, node, name, inputs, outputs, sub):
        template = (_base.c_dtype(node.outputs[0].dtype),
                    _C_IDS[node.inputs[1].dtype])
        # Braces: the generated code jumps (goto) over this block.
        return """
        {
            if (theano_rnn_rows::%(function)s<%(template)s>(%(arguments)s))
            {
                %(fail)s
            }
        }
        """ % {"function": self.c_function, "template": ", ".join(template),
               "arguments": ", ".join([_c_string(self.bound)] + inputs
                                      + ["&" + outputs[0]]),
               "fail": sub["fail"]}


class RowGather(_RowOp):
    """``table[ids]``: inputs ``table`` (V, D) and integer ``ids`` of any
    shape, output ``ids.shape + (D,)`` (see the module docstring)."""

    c_function = "gather"

    def make_node(self, table, ids):
        table, ids = _table(table), _ids(ids)
        out = T.TensorType(table.dtype,
                           ids.broadcastable + (table.broadcastable[1],))()
        return _base.Apply(self, [table, ids], [out])

    def infer_shape(self, node, shapes):
        table, ids = shapes
        return [tuple(ids) + (table[1],)]

    def connection_pattern(self, node):
        return [[True], [False]]

    def pullback(self, inputs, outputs, output_gradients):
        table, ids = inputs
        return [RowScatterAdd(self.bound)(table, ids, output_gradients[0]),
                _base.disconnected()]

    def perform(self, node, inputs, output_storage):
        table, ids = inputs
        np_check_ids("RowGather", self.bound, ids, table.shape[0])
        output_storage[0][0] = table[ids]

    def jax_function(self, node):
        """``table[ids]`` in JAX.  A jitted function cannot raise, so an id
        out of range gives a row of NaN (JAX would clamp it silently)."""
        import jax.numpy as jnp

        def gather(table, ids):
            return jnp.take(table, ids, axis=0, mode="fill",
                            fill_value=jnp.nan)
        return gather


class RowScatterAdd(_RowOp):
    """The gradient of :class:`RowGather` with respect to the table: inputs
    ``table`` (V, D) (for its shape), ``ids`` and ``dy`` (``ids.shape +
    (D,)``); output zeros of the table's shape with each row ``dy[i]``
    added to row ``ids[i]``."""

    c_function = "scatter_add"

    def make_node(self, table, ids, dy):
        table, ids = _table(table), _ids(ids)
        dy = T.as_tensor_variable(dy)
        if dy.ndim != ids.ndim + 1:
            raise TypeError("RowScatterAdd: dy must have one dimension more "
                            "than the ids (%d), got %s" % (ids.ndim, dy.type))
        if dy.dtype != table.dtype:
            dy = T.cast(dy, table.dtype)
        return _base.Apply(self, [table, ids, dy], [table.type()])

    def infer_shape(self, node, shapes):
        return [shapes[0]]

    def connection_pattern(self, node):
        return [[False], [False], [True]]

    def pullback(self, inputs, outputs, output_gradients):
        table, ids, dy = inputs
        return [_base.disconnected(), _base.disconnected(),
                RowGather(self.bound)(output_gradients[0], ids)]

    def perform(self, node, inputs, output_storage):
        table, ids, dy = inputs
        expected = ids.shape + table.shape[1:]
        if dy.shape != expected:
            raise ValueError("RowScatterAdd: the output gradient has shape "
                             "%s, expected %s" % (dy.shape, expected))
        np_check_ids("RowScatterAdd", self.bound, ids, table.shape[0])
        dtable = np.zeros(table.shape, dtype=dy.dtype)
        np.add.at(dtable, ids.ravel(), dy.reshape(-1, table.shape[1]))
        output_storage[0][0] = dtable

    def jax_function(self, node):
        """``zeros(table.shape).at[ids].add(dy)`` in JAX (duplicates
        accumulate; an id out of range adds nothing)."""
        import jax.numpy as jnp

        def scatter_add(table, ids, dy):
            return jnp.zeros(table.shape, dy.dtype).at[ids].add(
                dy, mode="drop")
        return scatter_add


def gather_rows(table, ids, bound="len(table)"):
    """``table[ids]`` (rows of ``table`` along its first axis), through
    :class:`RowGather` for a float32 or float64 matrix and integer ids, else
    as Theano's indexing.  ``bound`` names the number of rows in the error
    for an id out of range (``"input_dim"`` for an Embedding)."""
    table, ids = T.as_tensor_variable(table), T.as_tensor_variable(ids)
    if not (_is_table(table) and _are_ids(ids)):
        return table[ids]
    return RowGather(bound)(table, ids)
