/* theano_rnn/fused/csrc/arrays.h

   The arrays of an op's C code: inputs as C-contiguous arrays, shape
   checks, outputs that keep the previous call's buffer. */
#ifndef THEANO_RNN_FUSED_ARRAYS_H
#define THEANO_RNN_FUSED_ARRAYS_H

#include <Python.h>
#include <numpy/arrayobject.h>
#include <stdio.h>
#include <string.h>
#include "format_shape.h"

/* An input as a C-contiguous, aligned array: the array itself when it is
   one already (a new reference), a copy otherwise; released at the end of
   the scope.  A NULL input (an absent optional input) stays NULL. */
struct FusedInput
{
    PyArrayObject *array;
    bool failed;
    explicit FusedInput(PyArrayObject *a) : array(NULL), failed(false)
    {
        if (a != NULL) {
            array = (PyArrayObject *)PyArray_FROM_OF((PyObject *)a,
                                                     NPY_ARRAY_IN_ARRAY);
            failed = (array == NULL);
        }
    }
    ~FusedInput() { Py_XDECREF(array); }
    template<typename T> const T *data() const
    { return array == NULL ? NULL : (const T *)PyArray_DATA(array); }
    npy_intp dim(int i) const { return PyArray_DIMS(array)[i]; }
private:
    FusedInput(const FusedInput &);
    FusedInput &operator=(const FusedInput &);
};

/* 0 when `a` has `nd` dimensions of the `expected` sizes (-1: any size);
   otherwise -1 with a ValueError such as
   "GRUForward: h0 has shape (4, 3), expected (4, 5)". */
static int fused_check_shape(const char *op, const char *what,
                             PyArrayObject *a, int nd,
                             const npy_intp *expected)
{
    bool ok = PyArray_NDIM(a) == nd;
    for (int i = 0; ok && i < nd; ++i)
        ok = expected[i] < 0 || PyArray_DIMS(a)[i] == expected[i];
    if (ok)
        return 0;
    char got[160], want[160] = "";
    int n_want = 0;
    format_shape(got, sizeof(got), a);
    for (int i = 0; i < nd && n_want < 120; ++i) {
        if (expected[i] < 0)
            n_want += snprintf(want + n_want, sizeof(want) - n_want, "%s?",
                               i ? ", " : "");
        else
            n_want += snprintf(want + n_want, sizeof(want) - n_want, "%s%ld",
                               i ? ", " : "", (long)expected[i]);
    }
    if (nd == 1)
        snprintf(want + n_want, sizeof(want) - n_want, ",");
    PyErr_Format(PyExc_ValueError, "%s: %s has shape %s, expected (%s)",
                 op, what, got, want);
    return -1;
}

/* Make *out a C-contiguous array of shape `dims` and type `typenum`, keeping
   the one of the previous call when it already is one (no allocation in the
   steady state).  0 on success, -1 with a MemoryError. */
static int fused_output(PyArrayObject **out, int nd, const npy_intp *dims,
                        int typenum)
{
    PyArrayObject *a = *out;
    if (a != NULL && PyArray_NDIM(a) == nd && PyArray_TYPE(a) == typenum &&
            PyArray_IS_C_CONTIGUOUS(a) && PyArray_ISALIGNED(a) &&
            PyArray_ISWRITEABLE(a)) {
        bool same = true;
        for (int i = 0; i < nd; ++i)
            same = same && PyArray_DIMS(a)[i] == dims[i];
        if (same)
            return 0;
    }
    Py_XDECREF(a);
    *out = (PyArrayObject *)PyArray_EMPTY(nd, (npy_intp *)dims, typenum, 0);
    return *out == NULL ? -1 : 0;
}

/* Make *out a C-contiguous array of zeros of shape `dims` and type
   `typenum`: the previous call's array, cleared, when it already is one;
   otherwise a new array from calloc, whose pages the system gives zeroed
   when they are first touched (a large, sparsely written output then costs
   only the pages written).  0 on success, -1 with a MemoryError. */
static int fused_zeros(PyArrayObject **out, int nd, const npy_intp *dims,
                       int typenum)
{
    PyArrayObject *previous = *out;
    if (fused_output(out, nd, dims, typenum))
        return -1;
    if (*out == previous) {
        memset(PyArray_DATA(*out), 0, PyArray_NBYTES(*out));
        return 0;
    }
    Py_DECREF(*out);
    *out = (PyArrayObject *)PyArray_ZEROS(nd, (npy_intp *)dims, typenum, 0);
    return *out == NULL ? -1 : 0;
}

#endif  /* THEANO_RNN_FUSED_ARRAYS_H */
