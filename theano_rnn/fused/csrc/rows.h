/* theano_rnn/fused/csrc/rows.h

   The row gather y[i] = table[ids[i]] and its gradient, the row
   scatter-add dtable[ids[i]] += dy[i] into zeros (see
   theano_rnn/fused/rows.py).  Templated on the element type T (float,
   double) and the id type I (npy_int32, npy_int64); the ids may have any
   shape and are read as a flat array, each naming one row of `width`
   contiguous elements. */
#ifndef THEANO_RNN_FUSED_ROWS_H
#define THEANO_RNN_FUSED_ROWS_H

#include <Python.h>
#include <numpy/arrayobject.h>
#include <string.h>
#include "format_shape.h"
#include "arrays.h"

namespace theano_rnn_rows {

/* 0 when every id lies in [0, n_rows); otherwise -1 with a ValueError
   naming the first id out of range, its position and the bound as the
   user knows it (`bound`: "input_dim" for an Embedding), e.g.
   "RowGather: id 20000 (flat position 17 of the ids) is out of range:
   ids must lie in [0, input_dim), and input_dim is 20000". */
template<typename I>
static int check_ids(const char *op, const char *bound, const I *ids,
                     npy_intp n, npy_intp n_rows)
{
    for (npy_intp i = 0; i < n; ++i) {
        if (ids[i] < 0 || (npy_intp)ids[i] >= n_rows) {
            PyErr_Format(PyExc_ValueError,
                         "%s: id %lld (flat position %lld of the ids) is out "
                         "of range: ids must lie in [0, %s), and %s is %lld",
                         op, (long long)ids[i], (long long)i, bound, bound,
                         (long long)n_rows);
            return -1;
        }
    }
    return 0;
}

/* 0 when `table` is a matrix, else -1 with a ValueError. */
static int check_table(const char *op, PyArrayObject *table)
{
    if (PyArray_NDIM(table) == 2)
        return 0;
    char got[128];
    format_shape(got, sizeof(got), table);
    PyErr_Format(PyExc_ValueError, "%s: the table has shape %s, expected "
                 "(rows, width)", op, got);
    return -1;
}

/* out = table[ids]: an array of shape ids.shape + (width,). */
template<typename T, typename I>
static int gather(const char *bound, PyArrayObject *table_,
                  PyArrayObject *ids_, PyArrayObject **out)
{
    const char *op = "RowGather";
    if (check_table(op, table_))
        return -1;
    if (PyArray_NDIM(ids_) + 1 > NPY_MAXDIMS) {
        PyErr_Format(PyExc_ValueError, "%s: ids of %d dimensions have too "
                     "many for the output", op, PyArray_NDIM(ids_));
        return -1;
    }
    FusedInput table(table_), ids(ids_);
    if (table.failed || ids.failed)
        return -1;
    const npy_intp n_rows = table.dim(0), width = table.dim(1);
    const npy_intp n = PyArray_SIZE(ids.array);
    if (check_ids(op, bound, ids.data<I>(), n, n_rows))
        return -1;
    const int nd = PyArray_NDIM(ids.array) + 1;
    npy_intp dims[NPY_MAXDIMS];
    for (int k = 0; k + 1 < nd; ++k)
        dims[k] = ids.dim(k);
    dims[nd - 1] = width;
    if (fused_output(out, nd, dims, PyArray_TYPE(table.array)))
        return -1;
    const T *rows = table.data<T>();
    const I *index = ids.data<I>();
    T *y = (T *)PyArray_DATA(*out);
    for (npy_intp i = 0; i < n; ++i)
        memcpy(y + i * width, rows + (npy_intp)index[i] * width,
               width * sizeof(T));
    return 0;
}

/* out[ids[i]] += dy[i] for the n rows of dy, in order (a repeated id
   accumulates).  Out of line, with restrict pointers, so that GCC
   vectorises the inner loop (as in adam.h). */
template<typename T, typename I>
__attribute__((noinline))
static void add_rows(npy_intp n, npy_intp width, const I *ids,
                     const T *__restrict__ dy, T *__restrict__ out)
{
    for (npy_intp i = 0; i < n; ++i) {
        T *row = out + (npy_intp)ids[i] * width;
        const T *src = dy + i * width;
        for (npy_intp k = 0; k < width; ++k)
            row[k] += src[k];
    }
}

/* out = zeros of the table's shape, then dy's rows added at ids: the
   gradient of gather() with respect to the table. */
template<typename T, typename I>
static int scatter_add(const char *bound, PyArrayObject *table,
                       PyArrayObject *ids_, PyArrayObject *dy_,
                       PyArrayObject **out)
{
    const char *op = "RowScatterAdd";
    if (check_table(op, table))
        return -1;
    const npy_intp n_rows = PyArray_DIMS(table)[0];
    const npy_intp width = PyArray_DIMS(table)[1];
    const int nd = PyArray_NDIM(ids_) + 1;
    npy_intp expected[NPY_MAXDIMS];
    if (nd > NPY_MAXDIMS) {
        PyErr_Format(PyExc_ValueError, "%s: ids of %d dimensions have too "
                     "many for the output gradient", op, PyArray_NDIM(ids_));
        return -1;
    }
    for (int k = 0; k + 1 < nd; ++k)
        expected[k] = PyArray_DIMS(ids_)[k];
    expected[nd - 1] = width;
    if (fused_check_shape(op, "the output gradient", dy_, nd, expected))
        return -1;
    FusedInput ids(ids_), dy(dy_);
    if (ids.failed || dy.failed)
        return -1;
    const npy_intp n = PyArray_SIZE(ids.array);
    if (check_ids(op, bound, ids.data<I>(), n, n_rows))
        return -1;
    if (fused_zeros(out, 2, PyArray_DIMS(table), PyArray_TYPE(dy.array)))
        return -1;
    add_rows<T, I>(n, width, ids.data<I>(), dy.data<T>(),
                   (T *)PyArray_DATA(*out));
    return 0;
}

}  /* namespace theano_rnn_rows */

#endif  /* THEANO_RNN_FUSED_ROWS_H */
