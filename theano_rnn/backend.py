"""Keras's backend functions (``from keras import backend as K``) over Theano
(theano-pymc or PyTensor, :mod:`theano_rnn.runtime`).

Custom layers, losses, metrics and ``Lambda``s of legacy Keras code are
written against ``keras.backend``; this module gives them Keras 2.3.1's
Theano-backend semantics, in theano_rnn's own code:

* tensors are Theano variables; ``variable`` makes a ``theano.shared``
  (carrying ``_keras_shape``), ``placeholder`` a symbolic input;
* reductions take ``axis`` (an int, a list, or ``None`` for all) and
  ``keepdims``; ``mean`` of an integer tensor is floatX;
* ``dot`` is ``T.dot`` (NumPy's ``dot`` for n-D); ``batch_dot(x, y, axes)``
  contracts ``axes`` sample by sample (axis 0 is the batch), with Keras's
  default axes and a result of at least 2 dimensions;
* ``function(inputs, outputs, updates)`` compiles, and is called with a
  list of arrays, returning a list;
* the learning phase: :func:`learning_phase` is a symbolic ``uint8``
  scalar unless set; :func:`learning_phase_scope` fixes it to 0 or 1 while
  a graph is built (the model builds its training graph in
  ``learning_phase_scope(1)``), so ``in_train_phase(x, alt)`` picks its
  branch when the graph is built;
* ``rnn(step_function, inputs, initial_states, ...)`` is Keras's: inputs
  ``(samples, time, ...)``, ``step_function(input_t, states + constants) ->
  (output_t, new_states)``, returning ``(last_output, outputs (samples,
  time, ...), new_states)``; masked steps carry the previous output and
  states.  Unlike :func:`theano_rnn.recurrence.rnn` (theano_rnn's own
  layers' driver, a strict scan) the scan is not strict: a user's step may
  read weights it was not given.

Anything Keras's backend has that is not here raises an ``AttributeError``
naming the Keras function.  This is a low-level module: it imports no layer
or model.
"""
import builtins
import contextlib

import numpy as np
from .runtime import (theano, T, addbroadcast, batched_dot, compile_function,
                      nnet, unbroadcast)

from . import random as _random
from .fused.rows import gather_rows as _gather_rows

_EPSILON = 1e-7
_IMAGE_DATA_FORMAT = "channels_last"
_UID_PREFIXES = {}


# --- configuration -----------------------------------------------------------

def backend():
    """The backend's name, ``'theano'``: Keras's Theano backend is the one
    whose semantics this module follows, on theano-pymc and on PyTensor
    alike (:data:`theano_rnn.runtime.BACKEND` says which of the two runs)."""
    return "theano"


def epsilon():
    """The fuzz factor (1e-7)."""
    return _EPSILON


def set_epsilon(value):
    global _EPSILON
    _EPSILON = float(value)


def floatx():
    """The default float type, Theano's ``floatX`` (``'float32'``)."""
    return theano.config.floatX


def set_floatx(value):
    if value not in ("float16", "float32", "float64"):
        raise ValueError("set_floatx: unknown floatx type %r; expected "
                         "'float16', 'float32' or 'float64'" % (value,))
    theano.config.floatX = value


def cast_to_floatx(x):
    return np.asarray(x, dtype=floatx())


def image_data_format():
    return _IMAGE_DATA_FORMAT


def set_image_data_format(data_format):
    global _IMAGE_DATA_FORMAT
    if data_format not in ("channels_last", "channels_first"):
        raise ValueError("set_image_data_format: unknown data format %r"
                         % (data_format,))
    _IMAGE_DATA_FORMAT = data_format


def image_dim_ordering():
    """Keras 1's name: ``'tf'`` for channels last, ``'th'`` for first."""
    return "tf" if _IMAGE_DATA_FORMAT == "channels_last" else "th"


def get_uid(prefix=""):
    _UID_PREFIXES[prefix] = _UID_PREFIXES.get(prefix, 0) + 1
    return _UID_PREFIXES[prefix]


def reset_uids():
    _UID_PREFIXES.clear()


def clear_session():
    """Keras resets its graph; Theano keeps none: only the uids reset."""
    reset_uids()


def manual_variable_initialization(value):
    """Accepted for compatibility; Theano variables are always initialised."""


@contextlib.contextmanager
def name_scope(name):
    yield


# --- learning phase ----------------------------------------------------------

_PHASE_PLACEHOLDER = T.scalar(dtype="uint8", name="keras_learning_phase")
_PHASES = []            # values fixed by learning_phase_scope, innermost last
_GLOBAL_PHASE = [None]  # set_learning_phase's value


def learning_phase():
    """0 (test) or 1 (train) when fixed by :func:`learning_phase_scope` or
    :func:`set_learning_phase`; otherwise the symbolic ``uint8`` scalar
    ``keras_learning_phase``, to be fed to a :func:`function` using it."""
    if _PHASES:
        return _PHASES[-1]
    if _GLOBAL_PHASE[0] is not None:
        return _GLOBAL_PHASE[0]
    return _PHASE_PLACEHOLDER


def _check_phase(value, owner):
    if value not in (0, 1) or isinstance(value, float):
        raise ValueError("%s: the learning phase must be 0 (test) or 1 "
                         "(train), got %r" % (owner, value))
    return int(value)


def set_learning_phase(value):
    """Fix the learning phase to 0 or 1 for every graph built from now on."""
    _GLOBAL_PHASE[0] = _check_phase(value, "set_learning_phase")


@contextlib.contextmanager
def learning_phase_scope(value):
    """Fix the learning phase to ``value`` (0/1) inside the ``with`` block."""
    _PHASES.append(_check_phase(value, "learning_phase_scope"))
    try:
        yield
    finally:
        _PHASES.pop()


def in_train_phase(x, alt, training=None):
    """``x`` in the training phase, ``alt`` otherwise (either may be a
    callable returning the tensor).  A fixed phase picks the branch now; a
    symbolic one builds a ``switch``."""
    if training is None:
        training = learning_phase()
    if isinstance(training, (bool, int, np.integer)):
        chosen = x if training else alt
        return chosen() if callable(chosen) else chosen
    x = x() if callable(x) else x
    alt = alt() if callable(alt) else alt
    return T.switch(training, x, alt)


def in_test_phase(x, alt, training=None):
    """``x`` in the test phase, ``alt`` in training."""
    return in_train_phase(alt, x, training=training)


# --- variables and tensors ---------------------------------------------------

def _with_shape(x, shape):
    x._keras_shape = tuple(shape) if shape is not None else None
    x._uses_learning_phase = False
    return x


def variable(value, dtype=None, name=None, constraint=None):
    """A ``theano.shared`` holding ``value`` (``dtype`` default floatX)."""
    value = np.asarray(value, dtype=dtype or floatx())
    x = theano.shared(value, name=name, strict=False)
    if constraint is not None:
        x.constraint = constraint
    return _with_shape(x, value.shape)


def constant(value, dtype=None, shape=None, name=None):
    value = np.asarray(value, dtype=dtype or floatx())
    if shape is not None:
        value = np.full(shape, value, dtype=value.dtype)
    return _with_shape(T.constant(value, name=name), value.shape)


def placeholder(shape=None, ndim=None, dtype=None, sparse=False, name=None):
    """A symbolic input of ``shape`` (``None`` entries unknown) or rank
    ``ndim``."""
    if sparse:
        raise NotImplementedError("keras.backend.placeholder(sparse=True) is "
                                  "not implemented by theano_rnn")
    if shape is None and ndim is None:
        raise ValueError("placeholder: give shape= or ndim=")
    if shape is not None:
        ndim = len(shape)
    else:
        shape = (None,) * ndim
    x = T.TensorType(dtype or floatx(), (False,) * ndim)(name)
    x._theano_placeholder = True
    return _with_shape(x, shape)


def is_placeholder(x):
    return getattr(x, "_theano_placeholder", False)


def is_tensor(x):
    return isinstance(x, (T.TensorVariable, T.sharedvar.TensorSharedVariable))


def is_variable(x):
    return isinstance(x, theano.compile.SharedVariable)


def is_keras_tensor(x):
    """Whether ``x`` is the output of a layer or ``Input`` (it carries a
    ``_keras_history``); a ``ValueError`` for what is not a tensor."""
    if not is_tensor(x):
        raise ValueError("is_keras_tensor: unexpectedly found an instance of "
                         "type %s; expected a symbolic tensor" % type(x))
    return hasattr(x, "_keras_history")


def is_sparse(x):
    return False


def to_dense(x):
    return x


def shape(x):
    """The symbolic shape of ``x``."""
    return x.shape


def int_shape(x):
    """The shape as a tuple of ints (``None`` where unknown)."""
    if getattr(x, "_keras_shape", None) is not None:
        return tuple(x._keras_shape)
    if is_variable(x):
        return tuple(x.get_value(borrow=True, return_internal_type=True).shape)
    if isinstance(x, T.TensorConstant):
        return tuple(x.data.shape)
    if isinstance(x, np.ndarray):
        return x.shape
    return (None,) * x.ndim


def ndim(x):
    return x.ndim


def dtype(x):
    return x.dtype


def eval(x):  # noqa: A001  (Keras's name)
    """The value of a tensor that depends on no input."""
    return x.eval()


def zeros(shape, dtype=None, name=None):
    return variable(np.zeros(shape), dtype, name)


def ones(shape, dtype=None, name=None):
    return variable(np.ones(shape), dtype, name)


def eye(size, dtype=None, name=None):
    rows, cols = (size, size) if np.isscalar(size) else size
    return variable(np.eye(rows, cols), dtype, name)


def zeros_like(x, dtype=None, name=None):
    return T.zeros_like(x, dtype=dtype)


def ones_like(x, dtype=None, name=None):
    return T.ones_like(x, dtype=dtype)


def identity(x, name=None):
    return x.copy(name=name)


def random_uniform_variable(shape, low, high, dtype=None, name=None,
                            seed=None):
    rng = np.random.RandomState(seed) if seed is not None else np.random
    return variable(rng.uniform(low, high, size=shape), dtype, name)


def random_normal_variable(shape, mean, scale, dtype=None, name=None,
                           seed=None):
    rng = np.random.RandomState(seed) if seed is not None else np.random
    return variable(rng.normal(mean, scale, size=shape), dtype, name)


def count_params(x):
    return int(np.prod(int_shape(x)))


def cast(x, dtype):
    return T.cast(x, dtype)


def get_value(x):
    if not is_variable(x):
        raise TypeError("get_value: %r is not a variable (make one with "
                        "K.variable); use K.eval for other tensors" % (x,))
    return x.get_value()


def batch_get_value(xs):
    return [get_value(x) for x in xs]


def set_value(x, value):
    x.set_value(np.asarray(value, dtype=x.dtype))


def batch_set_value(tuples):
    for x, value in tuples:
        set_value(x, value)


def get_variable_shape(x):
    return int_shape(x)


def update(x, new_x):
    return (x, new_x)


def update_add(x, increment):
    return (x, x + increment)


def update_sub(x, decrement):
    return (x, x - decrement)


def moving_average_update(variable, value, momentum):
    return (variable, variable * momentum + value * (1.0 - momentum))


def print_tensor(x, message=""):
    return theano.printing.Print(message)(x)


# --- arithmetic and reductions -------------------------------------------------

def dot(x, y):
    """``T.dot``: for n-D tensors, a sum over the last axis of ``x`` and the
    second-to-last of ``y`` (NumPy's ``dot``)."""
    return T.dot(x, y)


def batch_dot(x, y, axes=None):
    """Per-sample dot product: ``x[i]`` and ``y[i]`` contracted over
    ``axes`` (``(axis of x, axis of y)``, an int for both, default the last
    axis of ``x`` and the last (2-D ``y``) or second-to-last axis of ``y``).
    The result is (batch, x's other axes, y's other axes); a 1-D result
    becomes ``(batch, 1)``."""
    if isinstance(axes, int):
        axes = (axes, axes)
    if axes is None:
        axes = (x.ndim - 1, y.ndim - 1 if y.ndim == 2 else y.ndim - 2)
    if builtins.any(isinstance(a, (list, tuple)) for a in axes):
        raise ValueError("batch_dot: one axis per tensor expected, got axes=%r"
                         % (axes,))
    axes = [a % t.ndim for a, t in zip(axes, (x, y))]
    if 0 in axes:
        raise ValueError("batch_dot: cannot contract the batch axis 0 "
                         "(axes=%r)" % (axes,))
    out = batched_tensordot(x, y, axes)
    if out.ndim == 1:
        out = out.dimshuffle(0, "x")
    return out


def batched_tensordot(x, y, axes):
    """``x[i]`` and ``y[i]`` contracted over ``axes = (ax, ay)`` (one axis
    of each, not 0), as Theano's ``batched_tensordot``: (batch, x's other
    axes, y's other axes).  Computed as one batched matrix product
    (batch, *, k) x (batch, k, *)."""
    ax, ay = axes
    rest_x = [i for i in range(1, x.ndim) if i != ax]
    rest_y = [i for i in range(1, y.ndim) if i != ay]
    batch = x.shape[0]
    left = x.dimshuffle([0] + rest_x + [ax]).reshape(
        (batch, -1, x.shape[ax]))                   # (batch, *, k)
    right = y.dimshuffle([0, ay] + rest_y).reshape(
        (batch, y.shape[ay], -1))                   # (batch, k, *)
    shape = ([batch] + [x.shape[i] for i in rest_x] +
             [y.shape[i] for i in rest_y])
    return T.reshape(batched_dot(left, right), shape, ndim=len(shape))


def transpose(x):
    return T.transpose(x)


def gather(reference, indices):
    """Rows ``indices`` of ``reference`` (along its first axis); for a float
    matrix the row gather of :mod:`theano_rnn.fused.rows`, where an index
    outside ``[0, len(reference))`` is a ``ValueError``."""
    return _gather_rows(reference, indices, "len(reference)")


def _axis(axis):
    return list(axis) if isinstance(axis, tuple) else axis


def max(x, axis=None, keepdims=False):  # noqa: A001
    return T.max(x, axis=_axis(axis), keepdims=keepdims)


def min(x, axis=None, keepdims=False):  # noqa: A001
    return T.min(x, axis=_axis(axis), keepdims=keepdims)


def sum(x, axis=None, keepdims=False):  # noqa: A001
    return T.sum(x, axis=_axis(axis), keepdims=keepdims)


def prod(x, axis=None, keepdims=False):
    return T.prod(x, axis=_axis(axis), keepdims=keepdims)


def cumsum(x, axis=0):
    return T.extra_ops.cumsum(x, axis=axis)


def cumprod(x, axis=0):
    return T.extra_ops.cumprod(x, axis=axis)


def mean(x, axis=None, keepdims=False):
    """The mean; of an integer or boolean tensor, in floatX."""
    dtype = floatx() if ("int" in x.dtype or x.dtype == "bool") else None
    return T.mean(x, axis=_axis(axis), keepdims=keepdims, dtype=dtype)


def var(x, axis=None, keepdims=False):
    return T.var(x, axis=_axis(axis), keepdims=keepdims)


def std(x, axis=None, keepdims=False):
    return T.std(x, axis=_axis(axis), keepdims=keepdims)


def any(x, axis=None, keepdims=False):  # noqa: A001
    return T.any(x, axis=_axis(axis), keepdims=keepdims)


def all(x, axis=None, keepdims=False):  # noqa: A001
    return T.all(x, axis=_axis(axis), keepdims=keepdims)


def argmax(x, axis=-1):
    return T.argmax(x, axis=axis, keepdims=False)


def argmin(x, axis=-1):
    return T.argmin(x, axis=axis, keepdims=False)


def square(x):
    return T.sqr(x)


def abs(x):  # noqa: A001
    return builtins.abs(x)


def sqrt(x):
    """The square root, of ``x`` clipped at 0 (as Keras's Theano backend)."""
    return T.sqrt(T.clip(x, 0.0, np.inf))


def exp(x):
    return T.exp(x)


def log(x):
    return T.log(x)


def logsumexp(x, axis=None, keepdims=False):
    """``log(sum(exp(x)))`` computed stably (the maximum taken out)."""
    top = T.max(x, axis=_axis(axis), keepdims=True)
    total = T.sum(T.exp(x - top), axis=_axis(axis), keepdims=keepdims)
    if not keepdims:
        top = T.max(x, axis=_axis(axis))
    return T.log(total) + top


def round(x):  # noqa: A001
    """Round half to even, as NumPy."""
    return T.round(x, mode="half_to_even")


def sign(x):
    return T.sgn(x)


def pow(x, a):  # noqa: A001
    return T.pow(x, a)


def clip(x, min_value, max_value):
    """``x`` clipped to ``[min_value, max_value]`` (``max_value`` raised to
    ``min_value`` if below it)."""
    if (max_value is not None and min_value is not None and
            np.isscalar(max_value) and np.isscalar(min_value) and
            max_value < min_value):
        max_value = min_value
    if min_value is None:
        min_value = -np.inf
    if max_value is None:
        max_value = np.inf
    return T.clip(x, min_value, max_value)


def equal(x, y):
    return T.eq(x, y)


def not_equal(x, y):
    return T.neq(x, y)


def greater(x, y):
    return T.gt(x, y)


def greater_equal(x, y):
    return T.ge(x, y)


def less(x, y):
    return T.lt(x, y)


def less_equal(x, y):
    return T.le(x, y)


def maximum(x, y):
    return T.maximum(x, y)


def minimum(x, y):
    return T.minimum(x, y)


def sin(x):
    return T.sin(x)


def cos(x):
    return T.cos(x)


def switch(condition, then_expression, else_expression):
    """Element-wise ``then`` where ``condition`` else ``else`` (either may
    be a callable)."""
    if callable(then_expression):
        then_expression = then_expression()
    if callable(else_expression):
        else_expression = else_expression()
    return T.switch(condition, then_expression, else_expression)


def bias_add(x, bias, data_format=None):
    """``x + bias`` on the channels axis (the last, for channels_last)."""
    if (data_format or _IMAGE_DATA_FORMAT) == "channels_first" and x.ndim > 2:
        pattern = ["x", 0] + ["x"] * (x.ndim - 2) if bias.ndim == 1 else \
            ["x"] + list(range(bias.ndim))
        return x + bias.dimshuffle(pattern)
    return x + bias


def batch_normalization(x, mean, var, beta, gamma, axis=-1, epsilon=1e-3):
    """``(x - mean) / sqrt(var + epsilon) * gamma + beta``."""
    return (x - mean) / T.sqrt(var + epsilon) * gamma + beta


def in_top_k(predictions, targets, k):
    """Whether each target class is among the ``k`` largest predictions."""
    top = T.argsort(predictions, axis=-1)[:, -k:]
    return T.any(T.eq(top, targets.reshape((-1, 1))), axis=-1)


# --- shapes --------------------------------------------------------------------

def reshape(x, shape):
    return T.reshape(x, shape)


def permute_dimensions(x, pattern):
    return x.dimshuffle(list(pattern))


def _positive_axis(axis, rank):
    return axis % rank if axis < 0 else axis


def expand_dims(x, axis=-1):
    """Insert an axis of size 1 at ``axis`` (-1: after the last)."""
    pattern = list(range(x.ndim))
    if axis < 0:
        axis = 0 if x.ndim == 0 else axis % (x.ndim + 1)
    pattern.insert(axis, "x")
    return x.dimshuffle(pattern)


def squeeze(x, axis):
    """Remove the axis ``axis`` (of size 1)."""
    axis = _positive_axis(axis, x.ndim)
    x = addbroadcast(x, axis)
    return x.dimshuffle([i for i in range(x.ndim) if i != axis])


def concatenate(tensors, axis=-1):
    return T.concatenate(list(tensors), axis=axis)


def stack(x, axis=0):
    return T.stack(list(x), axis=axis)


def repeat(x, n):
    """``(batch, dim)`` -> ``(batch, n, dim)``."""
    if x.ndim != 2:
        raise ValueError("repeat: expected a 2-D tensor (batch, dim), got "
                         "%d-D" % x.ndim)
    return T.extra_ops.repeat(x.dimshuffle(0, "x", 1), n, axis=1)


def repeat_elements(x, rep, axis):
    """Each slice along ``axis`` repeated ``rep`` times (``np.repeat``)."""
    return T.extra_ops.repeat(x, rep, axis=axis)


def tile(x, n):
    if isinstance(n, int):
        n = [n]
    n = list(n)
    if len(n) > x.ndim:     # NumPy's rule: new leading axes of length 1
        x = x.dimshuffle(["x"] * (len(n) - x.ndim) + list(range(x.ndim)))
    return T.tile(x, [1] * (x.ndim - len(n)) + n)


def arange(start, stop=None, step=1, dtype="int32"):
    return T.arange(start, stop=stop, step=step, dtype=dtype)


def flatten(x):
    return T.flatten(x)


def batch_flatten(x):
    """``(batch, ...)`` -> ``(batch, prod(...))``."""
    return T.reshape(x, (x.shape[0], T.prod(x.shape[1:])), ndim=2)


def one_hot(indices, num_classes):
    """Integer ``indices`` ``(...)`` -> ``(..., num_classes)`` one-hot."""
    flat = T.extra_ops.to_one_hot(T.flatten(indices), num_classes)
    return T.reshape(flat, T.concatenate([indices.shape, [num_classes]]),
                     ndim=indices.ndim + 1)


def reverse(x, axes):
    if isinstance(axes, int):
        axes = [axes]
    slices = [slice(None, None, -1) if i in [a % x.ndim for a in axes]
              else slice(None) for i in range(x.ndim)]
    return x[tuple(slices)]


def temporal_padding(x, padding=(1, 1)):
    """Zeros added before and after the time axis of ``(batch, time, dim)``."""
    left, right = padding
    shape = (x.shape[0], x.shape[1] + left + right, x.shape[2])
    out = T.zeros(shape, dtype=x.dtype)
    return T.set_subtensor(out[:, left:x.shape[1] + left, :], x)


# --- functions and gradients -----------------------------------------------------

class Function(object):
    """A compiled function called with a list of input arrays; returns the
    list of outputs."""

    def __init__(self, inputs, outputs, updates=(), name=None, **kwargs):
        self.inputs = list(inputs)
        self.outputs_is_list = isinstance(outputs, (list, tuple))
        outputs = list(outputs) if self.outputs_is_list else [outputs]
        self.function = compile_function(
            self.inputs, outputs, updates=list(updates or ()),
            allow_input_downcast=True, on_unused_input="ignore", name=name,
            **kwargs)

    def __call__(self, inputs):
        if not isinstance(inputs, (list, tuple)):
            raise TypeError("a backend function takes a list of input "
                            "arrays, got %s" % type(inputs).__name__)
        if len(inputs) != len(self.inputs):
            raise ValueError("this function takes %d inputs, got %d"
                             % (len(self.inputs), len(inputs)))
        return self.function(*inputs)


_THEANO_FUNCTION_ARGS = ("mode", "givens", "no_default_updates",
                         "accept_inplace", "profile", "rebuild_strict",
                         "allow_input_downcast", "on_unused_input")


def function(inputs, outputs, updates=None, **kwargs):
    """Compile ``outputs`` of ``inputs`` (with ``updates`` pairs applied at
    every call).  Extra keyword arguments go to ``theano.function``."""
    for key in kwargs:
        if key not in _THEANO_FUNCTION_ARGS and key != "name":
            raise ValueError("function: invalid argument %r; theano.function "
                             "takes %s" % (key, ", ".join(_THEANO_FUNCTION_ARGS)))
    for key in ("allow_input_downcast", "on_unused_input"):
        kwargs.pop(key, None)
    return Function(inputs, outputs, updates=updates or [], **kwargs)


def gradients(loss, variables):
    return T.grad(loss, variables)


def stop_gradient(variables):
    """The same value(s), with no gradient flowing back through them."""
    if isinstance(variables, (list, tuple)):
        return [theano.gradient.disconnected_grad(v) for v in variables]
    return theano.gradient.disconnected_grad(variables)


# --- recurrence --------------------------------------------------------------------

def _time_mask(mask_t, reference):
    """The ``(batch,)`` mask of one step broadcast against ``reference``."""
    return mask_t.dimshuffle([0] + ["x"] * (reference.ndim - 1))


def rnn(step_function, inputs, initial_states, go_backwards=False, mask=None,
        constants=None, unroll=False, input_length=None):
    """Iterate ``step_function`` over the time axis (1) of ``inputs``.

    Returns ``(last_output, outputs, new_states)``: the last step's output
    ``(samples, ...)``, all outputs ``(samples, time, ...)`` (in processing
    order, reversed for ``go_backwards``) and the final states.
    """
    if inputs.ndim < 3:
        raise ValueError("rnn: inputs must be at least 3-D (samples, time, "
                         "...), got %d-D" % inputs.ndim)
    if unroll and input_length is None:
        raise ValueError("rnn: unroll=True needs input_length")
    if mask is not None and mask.ndim != 2:
        raise ValueError("rnn: mask must have shape (samples, time), got %d-D"
                         % mask.ndim)
    constants = list(constants or [])
    initial_states = list(initial_states)
    x = inputs.dimshuffle([1, 0] + list(range(2, inputs.ndim)))
    n_states = len(initial_states)
    masked = mask is not None
    sequences = [x, mask.dimshuffle(1, 0)] if masked else [x]
    if go_backwards:
        sequences = [s[::-1] for s in sequences]

    def _step(*args):
        x_t = args[0]
        m_t = args[1] if masked else None
        rest = args[(2 if masked else 1):]
        output_tm1, states = rest[0], list(rest[1:1 + n_states])
        output, new_states = step_function(x_t, states + constants)
        new_states = list(new_states)
        if m_t is not None:
            output = T.switch(_time_mask(m_t, output), output, output_tm1)
            new_states = [T.switch(_time_mask(m_t, s), new, s)
                          for s, new in zip(states, new_states)]
        return [unbroadcast(new, like=old) for new, old in
                zip([output] + new_states, [output_tm1] + states)]

    first_output = step_function(x[0], initial_states + constants)[0]
    initial_output = unbroadcast(T.zeros_like(first_output))
    initial_states = [unbroadcast(s) for s in initial_states]
    if unroll:
        output, states, outputs = initial_output, initial_states, []
        for t in range(input_length):
            results = _step(*([s[t] for s in sequences] + [output] + states))
            output, states = results[0], results[1:]
            outputs.append(output)
        outputs = T.stack(outputs)
        last_states = states
    else:
        results, _ = theano.scan(
            lambda *args: _step(*args),
            sequences=sequences, outputs_info=[initial_output] +
            initial_states)
        if not isinstance(results, list):
            results = [results]
        outputs = results[0]
        last_states = [s[-1] for s in results[1:]]
    last_output = outputs[-1]
    outputs = outputs.dimshuffle([1, 0] + list(range(2, outputs.ndim)))
    return last_output, outputs, last_states


# --- activations --------------------------------------------------------------------

def sigmoid(x):
    return nnet.sigmoid(x)


def hard_sigmoid(x):
    return nnet.hard_sigmoid(x)


def tanh(x):
    return T.tanh(x)


def relu(x, alpha=0.0, max_value=None, threshold=0.0):
    """``x`` above ``threshold`` (else ``alpha (x - threshold)``), capped at
    ``max_value``."""
    if alpha != 0.0:
        negative = nnet.relu(-x + threshold)
    if threshold != 0.0:
        x = x * T.cast(T.gt(x, threshold), x.dtype)
    else:
        x = nnet.relu(x)
    if max_value is not None:
        x = T.clip(x, 0.0, max_value)
    if alpha != 0.0:
        x = x - alpha * negative
    return x


def elu(x, alpha=1.0):
    return nnet.elu(x, alpha)


def softmax(x, axis=-1):
    """Softmax along ``axis``."""
    if x.ndim == 2 and axis in (-1, 1):
        return nnet.softmax(x)
    e = T.exp(x - T.max(x, axis=axis, keepdims=True))
    return e / T.sum(e, axis=axis, keepdims=True)


def softplus(x):
    return nnet.softplus(x)


def softsign(x):
    return x / (1.0 + builtins.abs(x))


def l2_normalize(x, axis=None):
    """``x / sqrt(max(sum(x ** 2, axis), epsilon))``."""
    square_sum = T.sum(T.sqr(x), axis=_axis(axis), keepdims=True)
    return x / T.sqrt(T.maximum(square_sum, epsilon()))


# --- losses --------------------------------------------------------------------------

def categorical_crossentropy(target, output, from_logits=False, axis=-1):
    """``-sum(target * log(output), axis)``, ``output`` normalised to sum to
    one (or a softmax of logits) and clipped to ``[eps, 1 - eps]``."""
    if from_logits:
        output = softmax(output, axis=axis)
    else:
        output = output / T.sum(output, axis=axis, keepdims=True)
    output = T.clip(output, epsilon(), 1.0 - epsilon())
    return -T.sum(target * T.log(output), axis=axis)


def sparse_categorical_crossentropy(target, output, from_logits=False,
                                    axis=-1):
    """:func:`categorical_crossentropy` against integer class ``target``."""
    if axis not in (-1, output.ndim - 1):
        output = output.dimshuffle([i for i in range(output.ndim)
                                    if i != axis % output.ndim] +
                                   [axis % output.ndim])
    labels = T.cast(T.flatten(target), "int32")
    one_hot_labels = T.extra_ops.to_one_hot(labels, output.shape[-1])
    one_hot_labels = T.reshape(one_hot_labels, output.shape)
    return categorical_crossentropy(one_hot_labels, output, from_logits)


def binary_crossentropy(target, output, from_logits=False):
    """Element-wise ``-(t log(o) + (1 - t) log(1 - o))``, ``output`` clipped
    to ``[eps, 1 - eps]`` (or the sigmoid of logits)."""
    if from_logits:
        output = nnet.sigmoid(output)
    output = T.clip(output, epsilon(), 1.0 - epsilon())
    return nnet.binary_crossentropy(output, target)


# --- randomness ----------------------------------------------------------------------

def _stream(seed):
    return _random.make_stream(None if seed is None else int(seed))


def random_normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
    return _stream(seed).normal(size=shape, avg=mean, std=stddev,
                                dtype=dtype or floatx())


def random_uniform(shape, minval=0.0, maxval=1.0, dtype=None, seed=None):
    return _stream(seed).uniform(shape, low=minval, high=maxval,
                                 dtype=dtype or floatx())


def random_binomial(shape, p=0.0, dtype=None, seed=None):
    return _stream(seed).binomial(shape, p=p, dtype=dtype or floatx())


def truncated_normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
    """Normal draws, those beyond two standard deviations drawn again."""
    return _stream(seed).normal(size=shape, avg=mean, std=stddev,
                                dtype=dtype or floatx(), truncate=True)


def dropout(x, level, noise_shape=None, seed=None):
    """Inverted dropout: each entry zeroed with probability ``level``, the
    rest scaled by ``1 / (1 - level)`` (one mask shared along the axes of
    ``noise_shape`` given as 1)."""
    if not 0.0 <= level < 1.0:
        raise ValueError("dropout: level must be in [0, 1), got %r"
                         % (level,))
    if noise_shape is None:
        noise_shape = x.shape
    mask = _random.dropout_mask(_stream(seed), noise_shape, level, x.dtype)
    if not isinstance(noise_shape, T.Variable):
        broadcast = [i for i, d in enumerate(noise_shape) if d == 1]
        if broadcast:
            mask = addbroadcast(mask, *broadcast)
    return x * mask


# --- what is not implemented -----------------------------------------------------------

class NotImplementedByTheanoRNN(AttributeError, NotImplementedError):
    """A Keras feature theano_rnn does not implement."""


def __getattr__(name):
    if name.startswith("__"):
        raise AttributeError(name)
    raise NotImplementedByTheanoRNN(
        "keras.backend.%s is not implemented by theano_rnn's backend "
        "(theano_rnn.backend)" % name)
