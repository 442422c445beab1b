r"""The fused LSTM: the loop over time as one Theano op, and its gradient.

The scan path (:func:`theano_rnn.cells.lstm_step` unrolled by
:func:`theano_rnn.recurrence.rnn`) computes, for t = 0 .. T-1, with the gate
order **i, f, c, o** of :class:`theano_rnn.cells.LSTMCell`::

    z_t  = x_t W + (h_{t-1} * r) U         (batch, 4 units)   r: recurrent
    i_t  = sigma(z_t[:, 0H:1H])                               dropout mask
    f_t  = sigma(z_t[:, 1H:2H])
    g_t  = act(z_t[:, 2H:3H])              (the candidate cell, "c~")
    o_t  = sigma(z_t[:, 3H:4H])
    c_t  = f_t * c_{t-1} + i_t * g_t
    h_t  = o_t * act(c_t)

and where the time mask m_t[b] is 0 (padding) the row keeps its previous
state: ``h_t = h_{t-1}``, ``c_t = c_{t-1}`` (``T.switch(m_t, new, old)``).

:class:`LSTMForward` runs that loop in C.  At every step two matrix products
compute ``z_t = x_t W + (h_{t-1} * r) U`` into a small (B, 4H) scratch
buffer, and one element-wise pass applies the activations, writes them to
``gates[t]`` and updates ``c`` and ``h``.  The products are
:mod:`theano_rnn.fused.packed`'s, with ``W`` and ``U`` packed once per call
(rather than by BLAS at every step) and kept in cache, and the batch is split
across threads, each running the whole loop for its rows.  The scan path
hoists the input projection out of the loop as one large product (Lasagne's
``precompute_input``); here it is done step by step, like cuDNN's RNN, which
costs the same arithmetic and never writes the (T, B, 4H) array ``x W`` to
memory.  With ``use_bias`` the op gets ``[x, 1]`` and ``[W; b]``.

What is saved for the backward pass, and why
--------------------------------------------
The forward op has three outputs: ``hs`` (T, B, H), ``cs`` (T, B, H) and
``gates`` (T, B, 4H), the gates *after* their activations
``[i, f, g, o]``.  Every derivative of the step can be written through
these values (the helpers ``d_tanh(y) = 1 - y^2`` etc. of
:mod:`theano_rnn.fused._base` take the activation's *output*), so the
backward pass never recomputes the forward one -- which is exactly what
the gradient of ``scan`` does at every step (a second ``gemm`` per step).
Only ``act(c_t)`` is recomputed, from ``cs`` (one ``tanh`` per element is
cheaper than storing another (T, B, H) array).  ``gates`` is an internal
output: nothing outside this module should use it.

The backward pass (cuDNN / Lasagne style)
-----------------------------------------
:class:`LSTMBackward` walks back from t = T-1 carrying ``dh`` and ``dc``,
the gradients reaching ``h_t`` and ``c_t`` from the later steps::

    dh   = dh + dhs[t]                   dhs, dcs: gradients of the outputs
    dc   = dc + dcs[t]
    dc   = dc + dh * o * act'(act(c_t))
    dz_t = [dc * g * sigma'(i),  dc * c_{t-1} * sigma'(f),
            dc * i * act'(g),    dh * act(c_t) * sigma'(o)]
    dc   = dc * f                        -> gradient of c_{t-1}
    dh   = (dz_t U^T) * r                -> gradient of h_{t-1}   (one product)

(a padded row passes ``dh`` and ``dc`` through unchanged, with dz_t = 0).
``dz`` (T, B, 4H) is the gradient of ``xw = x W``, which gives those of
``x`` (``dz W^T``) and ``W`` (``x^T dz``) as two large products in the graph;
the op also returns the
gradients of ``h0``, ``c0`` and, with recurrent dropout, of the mask ``r``
(``sum_t h_{t-1} * (dz_t U^T)``, a few flops per step, so it is computed
properly rather than declared undefined).  The gradient of ``U`` needs no
loop at all::

    dU = sum_t (h_{t-1} * r)^T dz_t = Hprev^T dZ

one large matrix product after the loop, with ``Hprev = [h0, hs[:-1]] * r``
seen as (T B, H) and ``dZ`` as (T B, 4H).  It is done by the op rather than
by ``T.dot`` in the graph for a Theano reason: when an optimizer uses the
gradient twice, e.g. Adam's ``(1 - beta_1) g`` and ``g ** 2``, Theano's
``local_dot22_to_dot22scalar`` folds the scalar into a *second* copy of the
product (a ``Dot22Scalar`` next to the ``Dot22``), computing the largest
product of the backward pass twice.

The time mask gets no gradient (it is not differentiable;
``connection_pattern`` says so).

Both ops have a NumPy ``perform`` (used when Theano has no C compiler) and
C++ code templated on the element type (float32 and float64) and on the two
activations.  In float32 ``tanh`` is the approximation of
:mod:`theano_rnn.fastmath`, exactly as the scan path computes it, so the
two paths agree to rounding.
"""
import numpy as np
import theano.tensor as T
from theano.gradient import DisconnectedType, grad_not_implemented
from theano.graph.basic import Apply

from .. import fastmath
from . import _base


# --------------------------------------------------------------------------
# NumPy versions of the activations (Theano's Python path, ``perform``)
# --------------------------------------------------------------------------
def _np_tanh(x):
    if x.dtype == np.float32:
        return fastmath.tanh_float32(x)
    return np.tanh(x)


def _np_hard_sigmoid(x):
    return np.clip(x * x.dtype.type(0.2) + x.dtype.type(0.5), 0, 1)


# name -> (activation of x, derivative as a function of the output y)
_NUMPY_ACTIVATIONS = {
    "tanh": (_np_tanh, lambda y: 1 - y * y),
    "sigmoid": (lambda x: x.dtype.type(0.5)
                + x.dtype.type(0.5) * _np_tanh(x.dtype.type(0.5) * x),
                lambda y: y * (1 - y)),
    "hard_sigmoid": (_np_hard_sigmoid,
                     lambda y: np.where((y > 0) & (y < 1), y.dtype.type(0.2),
                                        y.dtype.type(0))),
    "linear": (lambda x: x, lambda y: np.ones_like(y)),
    "relu": (lambda x: np.maximum(x, 0),
             lambda y: (y > 0).astype(y.dtype)),
}


# --------------------------------------------------------------------------
# C++: the two loops, templated on the element type T and on the activations
# --------------------------------------------------------------------------
_LSTM_SUPPORT = r"""
namespace theano_rnn_lstm {

/* forward() and backward() are kept out of line (THEANO_RNN_LSTM_NOINLINE):
   inlined into the large function Theano generates around c_code, their
   element-wise loops were left scalar by GCC (measured: 2.2 ms more per
   forward pass of 100 x 32 x 128). */
#define THEANO_RNN_LSTM_NOINLINE __attribute__((noinline))

/* An activation as a type: Act::f(x) is the activation, Act::d(y) its
   derivative through the output y = f(x).  Passing these as template
   arguments lets the compiler inline them into the element-wise loops. */
#define THEANO_RNN_LSTM_ACTIVATION(NAME)                                    \
    struct Act_##NAME {                                                     \
        template<typename T> static inline T f(T x) { return rnn_##NAME(x); } \
        template<typename T> static inline T d(T y) { return d_##NAME(y); }   \
    };
THEANO_RNN_LSTM_ACTIVATION(tanh)
THEANO_RNN_LSTM_ACTIVATION(sigmoid)
THEANO_RNN_LSTM_ACTIVATION(hard_sigmoid)
THEANO_RNN_LSTM_ACTIVATION(linear)
THEANO_RNN_LSTM_ACTIVATION(relu)
#undef THEANO_RNN_LSTM_ACTIVATION

/* The element-wise part of one forward step, for one row (sample) of n
   units.  z points to the row's 4n pre-activations (x_t W + h U), g
   receives the 4n activated gates.  The gates are addressed through one
   pointer each and every pointer is a restrict parameter: with indices like
   z[2 * n + j] and a run-time n GCC does not vectorise the loop. */
template<typename T, class Act, class RAct>
static inline void forward_row(int n, const T *__restrict__ z,
                               const T *__restrict__ c_prev,
                               T *__restrict__ g, T *__restrict__ c,
                               T *__restrict__ h)
{
    const T *zi = z, *zf = z + n, *zc = z + 2 * n, *zo = z + 3 * n;
    T *gi = g, *gf = g + n, *gc = g + 2 * n, *go = g + 3 * n;
    for (int j = 0; j < n; ++j) {
        T i = RAct::f(zi[j]);
        T f = RAct::f(zf[j]);
        T cc = Act::f(zc[j]);
        T o = RAct::f(zo[j]);
        gi[j] = i; gf[j] = f; gc[j] = cc; go[j] = o;
        T cj = f * c_prev[j] + i * cc;
        c[j] = cj;
        h[j] = o * Act::f(cj);
    }
}

/* The element-wise part of one backward step, for one row of n units:
   from the saved gates g (4n), c_t, c_{t-1} and the gradients dh, dc
   reaching h_t, c_t (from the later steps: dh_next, dc_next; from the
   outputs: dhs, dcs), the row's dz (4n) and dc_{t-1} (into dc_next).
   dh_next is zeroed: the recurrent product adds dz U^T to it. */
template<typename T, class Act, class RAct>
static inline void backward_row(int n, const T *__restrict__ g,
                                const T *__restrict__ c,
                                const T *__restrict__ c_prev,
                                const T *__restrict__ dhs,
                                const T *__restrict__ dcs,
                                T *__restrict__ dh_next,
                                T *__restrict__ dc_next,
                                T *__restrict__ dz)
{
    const T *gi = g, *gf = g + n, *gc = g + 2 * n, *go = g + 3 * n;
    T *di = dz, *df = dz + n, *dcc = dz + 2 * n, *dout = dz + 3 * n;
    for (int j = 0; j < n; ++j) {
        T i = gi[j], f = gf[j], cc = gc[j], o = go[j];
        T tc = Act::f(c[j]);                            /* act(c_t) */
        T dh = dh_next[j] + dhs[j];
        T dc = dc_next[j] + dcs[j] + dh * o * Act::d(tc);
        di[j] = dc * cc * RAct::d(i);
        df[j] = dc * c_prev[j] * RAct::d(f);
        dcc[j] = dc * i * Act::d(cc);
        dout[j] = dh * tc * RAct::d(o);
        dc_next[j] = dc * f;
        dh_next[j] = 0;
    }
}

/* Forward loop, for rows (samples) r0 .. r1-1 of the batch.  Shapes (all
   C-contiguous):
     x (steps, batch, D)     h0, c0 (batch, H)
     mask (steps, batch) or NULL          rmask (batch, H) or NULL
     packed_W, packed_U: W (D, 4H) and U (H, 4H) packed by fused_pack
   outputs hs, cs (steps, batch, H), gates (steps, batch, 4H) post-activation;
   scratch (batch, 4H + H): the pre-activations z_t, then h_{t-1} * rmask
   (with a recurrent mask).  Each thread only reads and writes its own rows
   of all of these, so threads given disjoint row ranges run side by side.
   The input projection x_t W is done here, step by step, rather than as
   one large product before the loop: W stays packed in cache next to U, and
   the (steps, batch, 4H) array x W is never written to memory. */
template<typename T, class Act, class RAct>
THEANO_RNN_LSTM_NOINLINE static void forward_rows(int r0, int r1, int steps,
                    int batch, int H, int D, const T *x, const T *packed_W,
                    const T *packed_U, const T *h0, const T *c0,
                    const T *mask, const T *rmask,
                    T *hs, T *cs, T *gates, T *scratch)
{
    const int G = 4 * H, rows = r1 - r0;
    const size_t step_h = (size_t)batch * H, step_g = (size_t)batch * G;
    const size_t step_x = (size_t)batch * D;
    const size_t lo = (size_t)r0 * H, hi = (size_t)r1 * H;
    T *z = scratch, *h_masked = scratch + step_g;
    for (int t = 0; t < steps; ++t) {
        const T *h_prev = t ? hs + (t - 1) * step_h : h0;
        const T *c_prev = t ? cs + (t - 1) * step_h : c0;
        T *g_t = gates + t * step_g, *h_t = hs + t * step_h,
          *c_t = cs + t * step_h;
        const T *h_in = h_prev;
        if (rmask) {                                    /* h_{t-1} * r */
            for (size_t k = lo; k < hi; ++k)
                h_masked[k] = h_prev[k] * rmask[k];
            h_in = h_masked;
        }
        /* z = x_t W + h_in U      (rows, D) x (D, 4H) + (rows, H) x (H, 4H) */
        T *z_rows = z + (size_t)r0 * G;
        fused_packed_product<T>(rows, G, D, x + t * step_x + (size_t)r0 * D,
                                D, packed_W, z_rows, G, false);
        fused_packed_product<T>(rows, G, H, h_in + lo, H, packed_U, z_rows,
                                G, true);
        for (int b = r0; b < r1; ++b) {
            const size_t ob = (size_t)b * H, og = (size_t)b * G;
            forward_row<T, Act, RAct>(H, z + og, c_prev + ob, g_t + og,
                                      c_t + ob, h_t + ob);
            if (mask && mask[(size_t)t * batch + b] == 0) {
                /* padding: carry the state through (the gates are still
                   computed, so that they equal perform()'s; unused) */
                memcpy(h_t + ob, h_prev + ob, sizeof(T) * H);
                memcpy(c_t + ob, c_prev + ob, sizeof(T) * H);
            }
        }
    }
}

/* Forward pass: pack W (D, 4H) and U (H, 4H) into `packed`
   (fused_packed_size(D, 4H) + fused_packed_size(H, 4H) elements), then run
   forward_rows over the batch split across threads. */
template<typename T, class Act, class RAct>
static void forward(int steps, int batch, int H, int D, const T *x,
                    const T *W, const T *U, const T *h0, const T *c0,
                    const T *mask, const T *rmask,
                    T *hs, T *cs, T *gates, T *scratch, T *packed)
{
    if (batch == 0 || H == 0)           /* the outputs have no element */
        return;
    T *packed_W = packed, *packed_U = packed + fused_packed_size<T>(D, 4 * H);
    fused_pack<T>(W, 4 * H, D, 4 * H, false, packed_W);
    fused_pack<T>(U, 4 * H, H, 4 * H, false, packed_U);
    fused_parallel(batch, [&](int r0, int r1) {
        forward_rows<T, Act, RAct>(r0, r1, steps, batch, H, D, x, packed_W,
                                   packed_U, h0, c0, mask, rmask, hs, cs,
                                   gates, scratch);
    });
}

/* Backward loop for rows r0 .. r1-1.  Inputs as saved by forward(), plus
   dhs, dcs (steps, batch, H), the gradients of the outputs hs and cs, and
   packed_Ut: U^T (4H, H) packed by fused_pack.  Outputs, for these rows:
     dz (steps, batch, 4H)   gradient of xw (pre-activation gates)
     dh, dc (batch, H)       gradients of h0 and c0; used as the running
                             gradients of h_t, c_t during the loop
     drmask (batch, H)       gradient of rmask, or NULL when there is none
   scratch (batch, H) receives dz_t U^T when there is a recurrent mask. */
template<typename T, class Act, class RAct>
THEANO_RNN_LSTM_NOINLINE static void backward_rows(int r0, int r1,
                     int steps, int batch, int H, const T *packed_Ut,
                     const T *h0, const T *c0, const T *mask, const T *rmask,
                     const T *hs, const T *cs, const T *gates,
                     const T *dhs, const T *dcs,
                     T *dz, T *dh, T *dc, T *drmask, T *scratch)
{
    const int G = 4 * H;
    const size_t step_h = (size_t)batch * H, step_g = (size_t)batch * G;
    const size_t lo = (size_t)r0 * H, hi = (size_t)r1 * H;
    for (int t = steps - 1; t >= 0; --t) {
        const T *c_prev = t ? cs + (t - 1) * step_h : c0;
        const T *g_t = gates + t * step_g;
        T *dz_t = dz + t * step_g;
        for (int b = r0; b < r1; ++b) {
            const size_t ob = (size_t)b * H, og = (size_t)b * G;
            const size_t ot = t * step_h + ob;
            if (mask && mask[(size_t)t * batch + b] == 0) {
                /* padding: h_t = h_{t-1}, c_t = c_{t-1} pass their
                   gradients through; the step's inputs get none */
                for (int j = 0; j < H; ++j) {
                    dh[ob + j] += dhs[ot + j];
                    dc[ob + j] += dcs[ot + j];
                }
                memset(dz_t + og, 0, sizeof(T) * G);
                continue;
            }
            backward_row<T, Act, RAct>(H, g_t + og, cs + ot, c_prev + ob,
                                       dhs + ot, dcs + ot, dh + ob, dc + ob,
                                       dz_t + og);
        }
        const T *dz_rows = dz_t + (size_t)r0 * G;
        if (!rmask) {
            /* dh += dz_t U^T      (rows, 4H) x (4H, H) */
            fused_packed_product<T>(r1 - r0, H, G, dz_rows, G, packed_Ut,
                                    dh + lo, H, true);
        } else {
            const T *h_prev = t ? hs + (t - 1) * step_h : h0;
            fused_packed_product<T>(r1 - r0, H, G, dz_rows, G, packed_Ut,
                                    scratch + lo, H, false);
            for (size_t k = lo; k < hi; ++k) {
                dh[k] += scratch[k] * rmask[k];
                drmask[k] += scratch[k] * h_prev[k];
            }
        }
    }
}

/* Backward pass: the loop of backward_rows over the batch split across
   threads (U^T packed into `packed`, fused_packed_size(4H, H) elements),
   then dU (H, 4H), the gradient of U.  scratch (steps * batch, H) is used
   when there is a recurrent mask. */
template<typename T, class Act, class RAct>
static void backward(int steps, int batch, int H,
                     const T *U, const T *h0, const T *c0,
                     const T *mask, const T *rmask,
                     const T *hs, const T *cs, const T *gates,
                     const T *dhs, const T *dcs,
                     T *dz, T *dU, T *dh, T *dc, T *drmask, T *scratch,
                     T *packed)
{
    const int G = 4 * H;
    const size_t step_h = (size_t)batch * H, step_g = (size_t)batch * G;
    memset(dh, 0, sizeof(T) * step_h);
    memset(dc, 0, sizeof(T) * step_h);
    if (drmask)
        memset(drmask, 0, sizeof(T) * step_h);
    if (batch == 0 || H == 0) {         /* nothing to differentiate */
        memset(dU, 0, sizeof(T) * H * G);
        return;
    }
    fused_pack<T>(U, G, G, H, true, packed);
    fused_parallel(batch, [&](int r0, int r1) {
        backward_rows<T, Act, RAct>(r0, r1, steps, batch, H, packed, h0, c0,
                                    mask, rmask, hs, cs, gates, dhs, dcs, dz,
                                    dh, dc, drmask, scratch);
    });
    /* dU = sum_t (h_{t-1} * r)^T dz_t, as one product over all steps:
       Hprev^T dZ with Hprev (steps * batch, H), dZ (steps * batch, 4H).
       Without a recurrent mask Hprev is h0 followed by hs[0 .. steps-2]. */
    if (!rmask) {
        gemm_rowmajor('T', 'N', H, G, batch, (T)1, h0, H, dz, G, (T)0,
                      dU, G);
        if (steps > 1)
            gemm_rowmajor('T', 'N', H, G, (steps - 1) * batch, (T)1, hs, H,
                          dz + step_g, G, (T)1, dU, G);
    } else {
        for (int t = 0; t < steps; ++t) {
            const T *h_prev = t ? hs + (t - 1) * step_h : h0;
            T *h_in = scratch + t * step_h;
            for (size_t k = 0; k < step_h; ++k)
                h_in[k] = h_prev[k] * rmask[k];
        }
        gemm_rowmajor('T', 'N', H, G, steps * batch, (T)1, scratch, H, dz, G,
                      (T)0, dU, G);
    }
}

/* 0 if a has the shape dims (nd entries), else -1 with a ValueError
   naming the op, the input and both shapes. */
static int check_shape(const char *op, const char *what, PyArrayObject *a,
                       int nd, const npy_intp *dims, const char *expected)
{
    int ok = PyArray_NDIM(a) == nd;
    for (int k = 0; ok && k < nd; ++k)
        ok = PyArray_DIMS(a)[k] == dims[k];
    if (ok)
        return 0;
    char got[128];
    format_shape(got, sizeof(got), a);
    PyErr_Format(PyExc_ValueError, "%s: %s has shape %s, expected %s",
                 op, what, got, expected);
    return -1;
}

/* A contiguous version of an input (a new reference), or NULL. */
static PyArrayObject *contiguous(PyArrayObject *a)
{
    return PyArray_GETCONTIGUOUS(a);
}

/* Make *out a writable C-contiguous array of the given shape and type,
   reusing the previous one when it fits.  0 on success. */
static int prepare_output(PyArrayObject **out, int nd, const npy_intp *dims,
                          int typenum)
{
    if (*out && PyArray_NDIM(*out) == nd && PyArray_TYPE(*out) == typenum
            && PyArray_IS_C_CONTIGUOUS(*out) && PyArray_ISWRITEABLE(*out)) {
        int same = 1;
        for (int k = 0; same && k < nd; ++k)
            same = PyArray_DIMS(*out)[k] == dims[k];
        if (same)
            return 0;
    }
    Py_XDECREF(*out);
    *out = (PyArrayObject *)PyArray_EMPTY(nd, (npy_intp *)dims, typenum, 0);
    return *out ? 0 : -1;
}

}  /* namespace theano_rnn_lstm */
"""


class _LSTMOp(_base.FusedRecurrenceOp):
    """What the forward and the backward op share: their parameters."""

    __props__ = ("activation", "recurrent_activation", "has_mask",
                 "has_recurrent_mask")
    code_version = (8,)

    def __init__(self, activation="tanh", recurrent_activation="hard_sigmoid",
                 has_mask=False, has_recurrent_mask=False):
        for argument, name in (("activation", activation),
                               ("recurrent_activation", recurrent_activation)):
            if name not in _base.ACTIVATIONS:
                raise ValueError("%s %r has no C implementation (supported: "
                                 "%s)" % (argument, name,
                                          ", ".join(_base.ACTIVATIONS)))
        self.activation = activation
        self.recurrent_activation = recurrent_activation
        self.has_mask = bool(has_mask)
        self.has_recurrent_mask = bool(has_recurrent_mask)
        super(_LSTMOp, self).__init__()

    def __str__(self):
        flags = [self.activation, self.recurrent_activation]
        flags += ["mask"] if self.has_mask else []
        flags += ["recurrent_mask"] if self.has_recurrent_mask else []
        return "%s{%s}" % (type(self).__name__, ", ".join(flags))

    def c_support_code(self, **kwargs):
        return super(_LSTMOp, self).c_support_code(**kwargs) + _LSTM_SUPPORT

    def _optional(self, values):
        """Split ``values`` after the mandatory ones into (mask, rmask)."""
        mask = values[0] if self.has_mask else None
        rmask = values[int(self.has_mask)] if self.has_recurrent_mask else None
        return mask, rmask

    def _template_arguments(self, node):
        """``float, theano_rnn_lstm::Act_tanh, theano_rnn_lstm::Act_...``"""
        return "%s, theano_rnn_lstm::Act_%s, theano_rnn_lstm::Act_%s" % (
            _base.c_dtype(node.inputs[0].dtype), self.activation,
            self.recurrent_activation)

    def _numpy_activations(self):
        return (_NUMPY_ACTIVATIONS[self.activation],
                _NUMPY_ACTIVATIONS[self.recurrent_activation])


def _check_inputs(op_name, inputs, dtype):
    """Make symbolic inputs tensors and check they all have ``dtype``."""
    inputs = [T.as_tensor_variable(x) for x in inputs]
    for x in inputs:
        if x.dtype != dtype:
            raise TypeError("%s: all inputs must have the dtype %s of the "
                            "first, got %s" % (op_name, dtype, x.type))
    return inputs


def _check_shapes(op_name, named_arrays):
    """Raise ValueError unless each (name, array, expected shape) matches."""
    for name, array, expected in named_arrays:
        if array is not None and array.shape != tuple(expected):
            raise ValueError("%s: %s has shape %s, expected %s"
                             % (op_name, name, array.shape, tuple(expected)))


def _c_inputs(names, values, op_name, shapes):
    """C code declaring a contiguous copy of each input and checking its
    shape: ``names`` the local names, ``values`` Theano's variables,
    ``shapes`` the C expressions of each expected shape and its text."""
    code = []
    for name, value in zip(names, values):
        code.append("%s = theano_rnn_lstm::contiguous(%s);\n"
                    "if (!%s) break;" % (name, value, name))
    for name, (dims, text) in zip(names, shapes):
        code.append(
            "{ npy_intp expected[] = {%s};\n"
            "  if (theano_rnn_lstm::check_shape(\"%s\", \"%s\", %s, %d, "
            "expected, \"%s\")) break; }"
            % (", ".join(dims), op_name, name.replace("in_", ""), name,
               len(dims), text))
    return "\n".join(code)


class LSTMForward(_LSTMOp):
    """The LSTM over all time steps.

    Inputs: ``x`` (T, B, D), ``W`` (D, 4H), ``U`` (H, 4H), ``h0``, ``c0``
    (B, H), then ``mask`` (T, B) if ``has_mask`` (0 = padding) and ``rmask``
    (B, H) if ``has_recurrent_mask``, all of one float dtype.  The op
    computes the input projection ``xw = x W`` itself; :func:`fused_lstm`
    passes ``[x, 1]`` and ``[W; b]`` (:func:`theano_rnn.fastmath.
    affine_factors`), so that the bias rides along in the product.

    Outputs: ``hs``, ``cs`` (T, B, H) and ``gates`` (T, B, 4H), the
    activated gates ``[i, f, g, o]`` kept for :class:`LSTMBackward`.
    """

    def make_node(self, x, W, U, h0, c0, *optional):
        if len(optional) != self.has_mask + self.has_recurrent_mask:
            raise TypeError("LSTMForward%s takes %d optional inputs, got %d"
                            % (self._props(), self.has_mask
                               + self.has_recurrent_mask, len(optional)))
        x = T.as_tensor_variable(x)
        inputs = _check_inputs("LSTMForward",
                               [x, W, U, h0, c0] + list(optional), x.dtype)
        _base.c_dtype(x.dtype)
        ndims = [3, 2, 2, 2, 2] + [2] * len(optional)
        for value, ndim in zip(inputs, ndims):
            if value.ndim != ndim:
                raise TypeError("LSTMForward: expected a %d-D input, got %s"
                                % (ndim, value.type))
        sequence = T.TensorType(x.dtype, (False, False, False))
        return Apply(self, inputs, [sequence(), sequence(), sequence()])

    def infer_shape(self, fgraph, node, shapes):
        x_shape, W_shape, U_shape = shapes[:3]
        hs_shape = (x_shape[0], x_shape[1], U_shape[0])
        return [hs_shape, hs_shape, (x_shape[0], x_shape[1], W_shape[1])]

    def connection_pattern(self, node):
        pattern = [[True] * 3 for _ in node.inputs]
        if self.has_mask:
            pattern[5] = [False] * 3        # the time mask: not differentiable
        return pattern

    # -- Python implementation ---------------------------------------------
    def perform(self, node, inputs, output_storage):
        x, W, U, h0, c0 = inputs[:5]
        mask, rmask = self._optional(inputs[5:])
        steps, batch, D = x.shape
        H = U.shape[0]
        if steps == 0:
            raise ValueError("LSTMForward: the sequence has no time step")
        _check_shapes("LSTMForward", [
            ("U", U, (H, 4 * H)), ("W", W, (D, 4 * H)),
            ("h0", h0, (batch, H)), ("c0", c0, (batch, H)),
            ("mask", mask, (steps, batch)), ("rmask", rmask, (batch, H))])
        (act, _), (ract, _) = self._numpy_activations()
        hs = np.empty((steps, batch, H), dtype=x.dtype)
        cs = np.empty_like(hs)
        gates = np.empty((steps, batch, 4 * H), dtype=x.dtype)
        h, c = h0, c0
        for t in range(steps):
            h_in = h if rmask is None else h * rmask
            z = x[t].dot(W) + h_in.dot(U)
            i, f = ract(z[:, :H]), ract(z[:, H:2 * H])
            g, o = act(z[:, 2 * H:3 * H]), ract(z[:, 3 * H:])
            c_new = f * c + i * g
            h_new = o * act(c_new)
            if mask is not None:
                keep = (mask[t] != 0)[:, None]
                h_new, c_new = (np.where(keep, h_new, h),
                                np.where(keep, c_new, c))
            gates[t] = np.concatenate([i, f, g, o], axis=1)
            hs[t] = h = h_new
            cs[t] = c = c_new
        for storage, value in zip(output_storage, (hs, cs, gates)):
            storage[0] = value

    # -- gradient ------------------------------------------------------------
    def L_op(self, inputs, outputs, output_grads):
        x, W, U, h0, c0 = inputs[:5]
        mask, rmask = self._optional(inputs[5:])
        hs, cs, gates = outputs
        dhs, dcs, dgates = output_grads
        if not isinstance(dgates.type, DisconnectedType):
            raise NotImplementedError("the gates output of LSTMForward is "
                                      "internal and cannot be differentiated")
        # An output the cost does not depend on has a zero gradient.
        dhs = (T.zeros_like(hs) if isinstance(dhs.type, DisconnectedType)
               else T.cast(dhs, hs.dtype))
        dcs = (T.zeros_like(cs) if isinstance(dcs.type, DisconnectedType)
               else T.cast(dcs, cs.dtype))
        backward = LSTMBackward(*self._props())
        results = backward(*([U, h0, c0] + inputs[5:] +
                             [hs, cs, gates, dhs, dcs]))
        dz, dU, dh0, dc0 = results[:4]
        # dz is the gradient of xw = x W: the two large products of the
        # projection's gradient are left to Theano (one BLAS call each).
        dx = T.dot(dz, W.T)
        dW = T.dot(_base.flat(x).T, _base.flat(dz))
        grads = [dx, dW, dU, dh0, dc0]
        if mask is not None:
            grads.append(DisconnectedType()())
        if rmask is not None:
            grads.append(results[4])
        return grads

    # -- C implementation ----------------------------------------------------
    def c_code(self, node, name, inputs, outputs, sub):
        names = ["in_x", "in_W", "in_U", "in_h0", "in_c0"]
        shapes = [(["steps", "batch", "D"], "(steps, batch, features)"),
                  (["D", "4 * H"], "(features, 4 * units)"),
                  (["H", "4 * H"], "(units, 4 * units)"),
                  (["batch", "H"], "(batch, units)"),
                  (["batch", "H"], "(batch, units)")]
        if self.has_mask:
            names.append("in_mask")
            shapes.append((["steps", "batch"], "(steps, batch)"))
        if self.has_recurrent_mask:
            names.append("in_rmask")
            shapes.append((["batch", "H"], "(batch, units)"))
        hs, cs, gates = outputs
        return r"""
{   /* %(name)s: fused LSTM forward */
    typedef %(ctype)s dtype_t;
    PyArrayObject *in_x = NULL, *in_W = NULL, *in_U = NULL, *in_h0 = NULL,
                  *in_c0 = NULL, *in_mask = NULL, *in_rmask = NULL;
    dtype_t *scratch = NULL, *packed = NULL;
    int failed = 1;
    do {
        /* the sizes, from x (steps, batch, D) and U (H, 4H) */
        npy_intp steps = PyArray_DIMS(%(x)s)[0];
        npy_intp batch = PyArray_DIMS(%(x)s)[1];
        npy_intp D = PyArray_DIMS(%(x)s)[2];
        npy_intp H = PyArray_DIMS(%(U)s)[0];
        if (steps == 0) {
            PyErr_SetString(PyExc_ValueError,
                            "LSTMForward: the sequence has no time step");
            break;
        }
        %(prepare_inputs)s
        int typenum = PyArray_TYPE(in_x);
        npy_intp hs_dims[3] = {steps, batch, H};
        npy_intp gates_dims[3] = {steps, batch, 4 * H};
        if (theano_rnn_lstm::prepare_output(&%(hs)s, 3, hs_dims, typenum) ||
            theano_rnn_lstm::prepare_output(&%(cs)s, 3, hs_dims, typenum) ||
            theano_rnn_lstm::prepare_output(&%(gates)s, 3, gates_dims,
                                            typenum))
            break;
        scratch = (dtype_t *)malloc(sizeof(dtype_t) * (batch * 5 * H + 1));
        packed = (dtype_t *)malloc(sizeof(dtype_t) *
            (fused_packed_size<dtype_t>((int)D, (int)(4 * H)) +
             fused_packed_size<dtype_t>((int)H, (int)(4 * H)) + 1));
        if (!scratch || !packed) { PyErr_NoMemory(); break; }
        theano_rnn_lstm::forward<%(template)s>(
            (int)steps, (int)batch, (int)H, (int)D,
            (const dtype_t *)PyArray_DATA(in_x),
            (const dtype_t *)PyArray_DATA(in_W),
            (const dtype_t *)PyArray_DATA(in_U),
            (const dtype_t *)PyArray_DATA(in_h0),
            (const dtype_t *)PyArray_DATA(in_c0),
            in_mask ? (const dtype_t *)PyArray_DATA(in_mask) : NULL,
            in_rmask ? (const dtype_t *)PyArray_DATA(in_rmask) : NULL,
            (dtype_t *)PyArray_DATA(%(hs)s), (dtype_t *)PyArray_DATA(%(cs)s),
            (dtype_t *)PyArray_DATA(%(gates)s), scratch, packed);
        failed = 0;
    } while (0);
    free(scratch);
    free(packed);
    Py_XDECREF(in_x); Py_XDECREF(in_W); Py_XDECREF(in_U);
    Py_XDECREF(in_h0); Py_XDECREF(in_c0); Py_XDECREF(in_mask);
    Py_XDECREF(in_rmask);
    if (failed) {
        %(fail)s
    }
}
""" % dict(name=name, ctype=_base.c_dtype(node.inputs[0].dtype),
           x=inputs[0], U=inputs[2], hs=hs, cs=cs, gates=gates,
           prepare_inputs=_c_inputs(names, inputs, "LSTMForward", shapes),
           template=self._template_arguments(node), fail=sub["fail"])


class LSTMBackward(_LSTMOp):
    """The gradient of :class:`LSTMForward` (see the module docstring).

    Inputs: ``U``, ``h0``, ``c0``, [``mask``], [``rmask``], then the forward
    op's outputs ``hs``, ``cs``, ``gates`` and the gradients ``dhs``, ``dcs``
    of the cost with respect to ``hs`` and ``cs``.

    Outputs: ``dz`` (T, B, 4H), the gradient of ``xw``; ``dU`` (H, 4H);
    ``dh0``, ``dc0`` (B, H); ``drmask`` (B, H) if ``has_recurrent_mask``.
    """

    def make_node(self, U, h0, c0, *rest):
        n_optional = self.has_mask + self.has_recurrent_mask
        if len(rest) != n_optional + 5:
            raise TypeError("LSTMBackward%s takes %d inputs, got %d"
                            % (self._props(), 8 + n_optional, 3 + len(rest)))
        U = T.as_tensor_variable(U)
        inputs = _check_inputs("LSTMBackward", [U, h0, c0] + list(rest),
                               U.dtype)
        _base.c_dtype(U.dtype)
        sequence = T.TensorType(U.dtype, (False, False, False))
        matrix = T.TensorType(U.dtype, (False, False))
        outputs = [sequence(), matrix(), matrix(), matrix()]
        if self.has_recurrent_mask:
            outputs.append(matrix())
        return Apply(self, inputs, outputs)

    def infer_shape(self, fgraph, node, shapes):
        # dz like gates, dU like U, dh0 like h0, dc0 like c0, drmask like rmask
        n_optional = self.has_mask + self.has_recurrent_mask
        gates_shape = shapes[3 + n_optional + 2]
        result = [gates_shape, shapes[0], shapes[1], shapes[2]]
        if self.has_recurrent_mask:
            result.append(shapes[2 + n_optional])
        return result

    def L_op(self, inputs, outputs, output_grads):
        return [grad_not_implemented(self, k, x) for k, x in enumerate(inputs)]

    # -- Python implementation ---------------------------------------------
    def perform(self, node, inputs, output_storage):
        U, h0, c0 = inputs[:3]
        n_optional = self.has_mask + self.has_recurrent_mask
        mask, rmask = self._optional(inputs[3:])
        hs, cs, gates, dhs, dcs = inputs[3 + n_optional:]
        steps, batch, H = hs.shape
        _check_shapes("LSTMBackward", [
            ("U", U, (H, 4 * H)), ("h0", h0, (batch, H)),
            ("c0", c0, (batch, H)), ("mask", mask, (steps, batch)),
            ("rmask", rmask, (batch, H)), ("cs", cs, hs.shape),
            ("gates", gates, (steps, batch, 4 * H)), ("dhs", dhs, hs.shape),
            ("dcs", dcs, hs.shape)])
        (act, d_act), (_, d_ract) = self._numpy_activations()
        dz = np.zeros_like(gates)
        dh = np.zeros_like(h0)
        dc = np.zeros_like(c0)
        drmask = None if rmask is None else np.zeros_like(rmask)
        for t in range(steps - 1, -1, -1):
            c_prev = cs[t - 1] if t else c0
            h_prev = hs[t - 1] if t else h0
            i, f = gates[t, :, :H], gates[t, :, H:2 * H]
            g, o = gates[t, :, 2 * H:3 * H], gates[t, :, 3 * H:]
            tc = act(cs[t])
            dh_t = dh + dhs[t]
            dc_t = dc + dcs[t]
            dc_full = dc_t + dh_t * o * d_act(tc)
            dz_t = np.concatenate([dc_full * g * d_ract(i),
                                   dc_full * c_prev * d_ract(f),
                                   dc_full * i * d_act(g),
                                   dh_t * tc * d_ract(o)], axis=1)
            dc_new = dc_full * f
            if mask is not None:
                keep = (mask[t] != 0)[:, None]
                dz_t = np.where(keep, dz_t, 0)
                dc_new = np.where(keep, dc_new, dc_t)
            dz[t] = dz_t
            dh_in = dz_t.dot(U.T)                   # gradient of h_{t-1} * r
            if rmask is not None:
                drmask += dh_in * h_prev
                dh_in = dh_in * rmask
            if mask is not None:
                dh_in = dh_in + np.where(keep, 0, dh_t)
            dh, dc = dh_in.astype(h0.dtype), dc_new
        h_prev = np.concatenate([h0[None], hs[:-1]])
        if rmask is not None:
            h_prev = h_prev * rmask
        dU = h_prev.reshape((-1, H)).T.dot(dz.reshape((-1, 4 * H)))
        results = [dz, dU, dh, dc] + ([] if rmask is None else [drmask])
        for storage, value in zip(output_storage, results):
            storage[0] = np.asarray(value, dtype=U.dtype)

    # -- C implementation ----------------------------------------------------
    def c_code(self, node, name, inputs, outputs, sub):
        names = ["in_U", "in_h0", "in_c0"]
        shapes = [(["H", "4 * H"], "(units, 4 * units)"),
                  (["batch", "H"], "(batch, units)"),
                  (["batch", "H"], "(batch, units)")]
        if self.has_mask:
            names.append("in_mask")
            shapes.append((["steps", "batch"], "(steps, batch)"))
        if self.has_recurrent_mask:
            names.append("in_rmask")
            shapes.append((["batch", "H"], "(batch, units)"))
        names += ["in_hs", "in_cs", "in_gates", "in_dhs", "in_dcs"]
        sequence = (["steps", "batch", "H"], "(steps, batch, units)")
        shapes += [sequence, sequence,
                   (["steps", "batch", "4 * H"], "(steps, batch, 4 * units)"),
                   sequence, sequence]
        hs = inputs[len(names) - 5]
        dz, dU, dh0, dc0 = outputs[:4]
        drmask = outputs[4] if self.has_recurrent_mask else None
        if drmask is None:
            prepare_drmask, drmask_pointer = "0", "NULL"
        else:
            prepare_drmask = ("theano_rnn_lstm::prepare_output(&%s, 2, "
                              "state_dims, typenum)" % drmask)
            drmask_pointer = "(dtype_t *)PyArray_DATA(%s)" % drmask
        return r"""
{   /* %(name)s: fused LSTM backward */
    typedef %(ctype)s dtype_t;
    PyArrayObject *in_U = NULL, *in_h0 = NULL, *in_c0 = NULL, *in_mask = NULL,
                  *in_rmask = NULL, *in_hs = NULL, *in_cs = NULL,
                  *in_gates = NULL, *in_dhs = NULL, *in_dcs = NULL;
    dtype_t *scratch = NULL, *packed = NULL;
    int failed = 1;
    do {
        /* the sizes, from hs (steps, batch, H) */
        npy_intp steps = PyArray_DIMS(%(hs)s)[0];
        npy_intp batch = PyArray_DIMS(%(hs)s)[1];
        npy_intp H = PyArray_DIMS(%(hs)s)[2];
        if (steps == 0) {
            PyErr_SetString(PyExc_ValueError,
                            "LSTMBackward: the sequence has no time step");
            break;
        }
        %(prepare_inputs)s
        int typenum = PyArray_TYPE(in_U);
        npy_intp dz_dims[3] = {steps, batch, 4 * H};
        npy_intp state_dims[2] = {batch, H};
        npy_intp U_dims[2] = {H, 4 * H};
        if (theano_rnn_lstm::prepare_output(&%(dz)s, 3, dz_dims, typenum) ||
            theano_rnn_lstm::prepare_output(&%(dU)s, 2, U_dims, typenum) ||
            theano_rnn_lstm::prepare_output(&%(dh0)s, 2, state_dims,
                                            typenum) ||
            theano_rnn_lstm::prepare_output(&%(dc0)s, 2, state_dims,
                                            typenum) ||
            %(prepare_drmask)s)
            break;
        if (in_rmask) {
            scratch = (dtype_t *)malloc(sizeof(dtype_t)
                                        * (steps * batch * H + 1));
            if (!scratch) { PyErr_NoMemory(); break; }
        }
        packed = (dtype_t *)malloc(sizeof(dtype_t) *
            (fused_packed_size<dtype_t>((int)(4 * H), (int)H) + 1));
        if (!packed) { PyErr_NoMemory(); break; }
        theano_rnn_lstm::backward<%(template)s>(
            (int)steps, (int)batch, (int)H,
            (const dtype_t *)PyArray_DATA(in_U),
            (const dtype_t *)PyArray_DATA(in_h0),
            (const dtype_t *)PyArray_DATA(in_c0),
            in_mask ? (const dtype_t *)PyArray_DATA(in_mask) : NULL,
            in_rmask ? (const dtype_t *)PyArray_DATA(in_rmask) : NULL,
            (const dtype_t *)PyArray_DATA(in_hs),
            (const dtype_t *)PyArray_DATA(in_cs),
            (const dtype_t *)PyArray_DATA(in_gates),
            (const dtype_t *)PyArray_DATA(in_dhs),
            (const dtype_t *)PyArray_DATA(in_dcs),
            (dtype_t *)PyArray_DATA(%(dz)s), (dtype_t *)PyArray_DATA(%(dU)s),
            (dtype_t *)PyArray_DATA(%(dh0)s),
            (dtype_t *)PyArray_DATA(%(dc0)s), %(drmask_pointer)s, scratch,
            packed);
        failed = 0;
    } while (0);
    free(scratch);
    free(packed);
    Py_XDECREF(in_U); Py_XDECREF(in_h0); Py_XDECREF(in_c0);
    Py_XDECREF(in_mask); Py_XDECREF(in_rmask); Py_XDECREF(in_hs);
    Py_XDECREF(in_cs); Py_XDECREF(in_gates); Py_XDECREF(in_dhs);
    Py_XDECREF(in_dcs);
    if (failed) {
        %(fail)s
    }
}
""" % dict(name=name, ctype=_base.c_dtype(node.inputs[0].dtype), hs=hs,
           dz=dz, dU=dU, dh0=dh0, dc0=dc0, prepare_drmask=prepare_drmask,
           drmask_pointer=drmask_pointer,
           prepare_inputs=_c_inputs(names, inputs, "LSTMBackward", shapes),
           template=self._template_arguments(node), fail=sub["fail"])


def _as_input(x, dtype):
    """``x`` as a tensor of ``dtype`` with no broadcastable dimension (the
    op's outputs have none, and a units=1 or batch=1 input may)."""
    x = T.cast(T.as_tensor_variable(x), dtype)
    return T.unbroadcast(x, *range(x.ndim))


def fused_lstm(cell, x, initial_states, recurrent_mask=None, mask=None):
    """The fused counterpart of ``rnn(cell.step, cell.project_inputs(x),
    [h0, c0], non_sequences=[U] (+ [recurrent_mask]), mask=mask)``.

    Parameters
    ----------
    cell : LSTMCell (built)
    x : tensor (time, batch, features), the inputs, time-major (already
        reversed by the caller for ``go_backwards``); the op projects them.
    initial_states : [h0, c0], each (batch, units).
    recurrent_mask : (batch, units) recurrent dropout mask, or None.
    mask : (time, batch) time mask of any dtype (nonzero = real step), or
        None.

    Returns ``(hs (time, batch, units), [h_last, c_last])``.
    """
    x = T.as_tensor_variable(x)
    if cell.use_bias:
        x, W = fastmath.affine_factors(x, cell.kernel, cell.input_bias)
    else:
        W = cell.kernel
    dtype = _base.common_dtype(x, W)
    h0, c0 = initial_states
    inputs = [_as_input(v, dtype)
              for v in (x, W, cell.recurrent_kernel, h0, c0)]
    if mask is not None:
        inputs.append(_as_input(mask, dtype))
    if recurrent_mask is not None:
        inputs.append(_as_input(recurrent_mask, dtype))
    op = LSTMForward(cell.activation.__name__,
                     cell.recurrent_activation.__name__,
                     has_mask=mask is not None,
                     has_recurrent_mask=recurrent_mask is not None)
    hs, cs, _gates = op(*inputs)
    return hs, [hs[-1], cs[-1]]
