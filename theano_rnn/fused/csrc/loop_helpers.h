/* theano_rnn/fused/csrc/loop_helpers.h

   What the loop ops share: the masked state, the sizes of a state
   sequence, activation classes. */
#ifndef THEANO_RNN_FUSED_LOOP_HELPERS_H
#define THEANO_RNN_FUSED_LOOP_HELPERS_H

#include <Python.h>
#include <numpy/arrayobject.h>
#include <stdio.h>
#include "format_shape.h"
#include "arrays.h"
#include "activations.h"

/* The recurrent input h_{t-1} * rmask of elements lo .. hi-1 (a thread's
   rows): written into the same elements of buffer, which is returned; h
   itself without a recurrent mask (rm NULL). */
template<typename T>
static inline const T *fused_masked_state(const T *h, const T *rm,
                                          T *buffer, size_t lo, size_t hi)
{
    if (rm == NULL)
        return h;
    for (size_t k = lo; k < hi; ++k)
        buffer[k] = h[k] * rm[k];
    return buffer;
}

/* The sizes of hs (n_steps + 1, batch, units), a state sequence whose
   first entry is the initial state: 0, or -1 with a ValueError when hs is
   not 3-D or has no entry at all. */
static int fused_state_sizes(const char *op, PyArrayObject *hs,
                             npy_intp *n_steps, npy_intp *batch,
                             npy_intp *units)
{
    const npy_intp any3[3] = {-1, -1, -1};
    if (fused_check_shape(op, "hs", hs, 3, any3))
        return -1;
    if (PyArray_DIMS(hs)[0] < 1) {
        PyErr_Format(PyExc_ValueError, "%s: hs has no initial state", op);
        return -1;
    }
    *n_steps = PyArray_DIMS(hs)[0] - 1;
    *batch = PyArray_DIMS(hs)[1];
    *units = PyArray_DIMS(hs)[2];
    return 0;
}

/* The activations of _base as classes: f(x) the activation, df(y) its
   derivative through the output y = f(x). */
#define FUSED_ACTIVATION(NAME)                                              \
    template<typename T> struct fused_act_##NAME {                          \
        static inline T f(T x) { return rnn_##NAME(x); }                   \
        static inline T df(T y) { return d_##NAME(y); }                    \
    };
FUSED_ACTIVATION(tanh)
FUSED_ACTIVATION(sigmoid)
FUSED_ACTIVATION(hard_sigmoid)
FUSED_ACTIVATION(linear)
FUSED_ACTIVATION(relu)
#undef FUSED_ACTIVATION

#endif  /* THEANO_RNN_FUSED_LOOP_HELPERS_H */
