/* theano_rnn/fused/csrc/format_shape.h

   format_shape(): an array's shape as Python prints a tuple, for the ops'
   errors. */
#ifndef THEANO_RNN_FUSED_FORMAT_SHAPE_H
#define THEANO_RNN_FUSED_FORMAT_SHAPE_H

#include <Python.h>
#include <numpy/arrayobject.h>
#include <stdio.h>

static void format_shape(char *buf, size_t size, PyArrayObject *a)
{
    int n = snprintf(buf, size, "(");
    for (int k = 0; k < PyArray_NDIM(a) && n < (int)size; ++k)
        n += snprintf(buf + n, size - n, k ? ", %ld" : "%ld",
                      (long)PyArray_DIMS(a)[k]);
    if (n < (int)size)
        snprintf(buf + n, size - n, PyArray_NDIM(a) == 1 ? ",)" : ")");
}

#endif  /* THEANO_RNN_FUSED_FORMAT_SHAPE_H */
