/* theano_rnn/fused/csrc/adam.h

   Adam's update of one parameter (see theano_rnn/fused/adam.py). */
#ifndef THEANO_RNN_FUSED_ADAM_H
#define THEANO_RNN_FUSED_ADAM_H

#include <Python.h>
#include <numpy/arrayobject.h>
#include <math.h>
#include <stdio.h>
#include "format_shape.h"

namespace theano_rnn_adam {

static inline float adam_sqrt(float x) { return sqrtf(x); }
static inline double adam_sqrt(double x) { return sqrt(x); }

/* The update of n contiguous elements, in place.  Kept out of line and with
   restrict pointers so that GCC vectorises the loop (inlined into the large
   function Theano generates around c_code, such loops stay scalar). */
template<typename T>
__attribute__((noinline))
static void update(npy_intp n, const T *__restrict__ g, T *__restrict__ p,
                   T *__restrict__ m, T *__restrict__ v,
                   T lr_t, T beta_1, T beta_2, T epsilon)
{
    const T c1 = (T)1 - beta_1, c2 = (T)1 - beta_2;
    for (npy_intp i = 0; i < n; ++i) {
        T gi = g[i];
        T mi = beta_1 * m[i] + c1 * gi;
        T vi = beta_2 * v[i] + c2 * (gi * gi);
        m[i] = mi;
        v[i] = vi;
        p[i] = p[i] - lr_t * mi / (adam_sqrt(vi) + epsilon);
    }
}

/* The address range [*low, *high) that the elements of a may occupy. */
static void extent(PyArrayObject *a, char **low, char **high)
{
    char *lo = (char *)PyArray_DATA(a), *hi = lo;
    for (int k = 0; k < PyArray_NDIM(a); ++k) {
        npy_intp span = (PyArray_DIMS(a)[k] - 1) * PyArray_STRIDES(a)[k];
        if (PyArray_DIMS(a)[k] == 0)
            span = 0;
        if (span < 0) lo += span; else hi += span;
    }
    *low = lo;
    *high = hi + PyArray_ITEMSIZE(a);
}

static int may_overlap(PyArrayObject *a, PyArrayObject *b)
{
    char *a_lo, *a_hi, *b_lo, *b_hi;
    extent(a, &a_lo, &a_hi);
    extent(b, &b_lo, &b_hi);
    return a_lo < b_hi && b_lo < a_hi;
}

/* 0 if g, m and v have the shape of p, else -1 with a ValueError. */
static int check_shapes(PyArrayObject **arrays)
{
    static const char *names[4] = {"p", "g", "m", "v"};
    PyArrayObject *p = arrays[0];
    for (int j = 1; j < 4; ++j) {
        PyArrayObject *a = arrays[j];
        int ok = PyArray_NDIM(a) == PyArray_NDIM(p);
        for (int k = 0; ok && k < PyArray_NDIM(p); ++k)
            ok = PyArray_DIMS(a)[k] == PyArray_DIMS(p)[k];
        if (!ok) {
            char got[128], expected[128];
            format_shape(got, sizeof(got), a);
            format_shape(expected, sizeof(expected), p);
            PyErr_Format(PyExc_ValueError,
                         "AdamUpdate: %s has shape %s, p has %s", names[j],
                         got, expected);
            return -1;
        }
    }
    return 0;
}

/* Make *out the array the new value of the state `in` is computed in:
   `in` itself when destroying it is allowed and it is contiguous, else a
   C-contiguous array (the previous output when it fits and shares no memory
   with the inputs) holding a copy of `in`.  0 on success. */
static int prepare_state(PyArrayObject **out, PyArrayObject *in, int inplace,
                         PyArrayObject **inputs)
{
    if (inplace && PyArray_IS_C_CONTIGUOUS(in) && PyArray_ISALIGNED(in)
            && PyArray_ISWRITEABLE(in)) {
        if (*out != in) {
            Py_XDECREF(*out);
            Py_INCREF(in);
            *out = in;
        }
        return 0;
    }
    int reuse = *out && PyArray_IS_C_CONTIGUOUS(*out)
                && PyArray_ISALIGNED(*out) && PyArray_ISWRITEABLE(*out)
                && PyArray_TYPE(*out) == PyArray_TYPE(in)
                && PyArray_NDIM(*out) == PyArray_NDIM(in);
    for (int k = 0; reuse && k < PyArray_NDIM(in); ++k)
        reuse = PyArray_DIMS(*out)[k] == PyArray_DIMS(in)[k];
    for (int j = 0; reuse && j < 4; ++j)
        reuse = !may_overlap(*out, inputs[j]);
    if (!reuse) {
        Py_XDECREF(*out);
        *out = (PyArrayObject *)PyArray_EMPTY(PyArray_NDIM(in),
                                              PyArray_DIMS(in),
                                              PyArray_TYPE(in), 0);
        if (!*out)
            return -1;
    }
    return PyArray_CopyInto(*out, in) ? -1 : 0;
}

}  /* namespace theano_rnn_adam */

#endif  /* THEANO_RNN_FUSED_ADAM_H */
