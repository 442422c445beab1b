"""What the fused recurrences share: BLAS linkage, C++ sources, helpers.

Every fused recurrence is a :class:`FusedRecurrenceOp`: a ``COp`` (of
:mod:`theano_rnn.runtime`, the same code on theano-pymc and PyTensor) whose
C code loops over time itself, with the per-step products ``x_t W`` and
``h U`` of :mod:`theano_rnn.fused.packed` and the batch split across
threads, so the Python loop of ``theano.scan`` disappears.  The ops write
PyTensor's hooks (``infer_shape(node, shapes)``, ``pullback``), which the
runtime's ``COp`` translates for Theano.  On PyTensor they run their C code
whatever the linker: under the C backend (``cvm``) as on Theano, and under
the Numba linker (PyTensor's default) through a thunk of the same C code
(see :func:`theano_rnn.runtime.pytensor_setup._register_c_thunk_for_numba`),
at the same speed, never Numba's fallback to ``perform`` in object mode.
This module gives them

* the BLAS linkage the backend's own ``Gemm`` uses (``-lopenblas`` or NumPy's
  fallback, whatever :mod:`theano_rnn.runtime` configured), for the large
  products after a loop;
* their C++ support code, the files of ``csrc/`` read by
  :mod:`theano_rnn.fused.sources` (which also derives the cache version from
  their text): ``format_shape.h``, ``arrays.h`` (C-contiguous inputs,
  shape checks, reused output buffers), ``activations.h`` (templated on the
  element type, so one loop serves ``float32`` and ``float64``; derivatives
  written in terms of the activation's *output*), ``packed.h`` (the packed
  product and thread split) and ``loop_helpers.h`` (the masked state, the
  sizes of a state sequence, activations as functor classes);
* :class:`SourcesOp`, the base class of every op of this package (the
  recurrences, Adam's update, the row gather and scatter-add): its C++ in
  ``csrc/``, its cache version derived from that text;
* :func:`c_dtype`, the C type name of a Theano dtype;
* :class:`FusedLoopOp`, the Python side of the SimpleRNN, LSTM and GRU ops
  (optional inputs and outputs, the call of one templated C++ function),
  and :class:`FusedForwardOp`, what their forward ops add (the inputs
  ``x`` and ``W``, whose product they compute step by step);
* the factors of that product (:func:`input_factors`, ``[x, 1]`` and
  ``[W; b]``) and the large products of the gradients, left to the graph
  (:func:`input_gradients`, :func:`weight_gradient`);
* the NumPy versions of the activations for ``perform``, and the JAX ones
  for ``jax_perform`` (PyTensor's JAX linker, :meth:`SourcesOp.jax_function`).
"""
import numpy as np
from ..runtime import COp, T, blas, register_jax, theano, unbroadcast

from ..fastmath import affine_factors, jax_tanh, tanh_float32
from . import sources

#: Activations the fused C code implements; other ones fall back to scan.
ACTIVATIONS = ("tanh", "sigmoid", "hard_sigmoid", "linear", "relu")


def c_dtype(dtype):
    """The C type of a Theano float dtype ('float32' -> 'float')."""
    try:
        return {"float32": "float", "float64": "double"}[dtype]
    except KeyError:
        raise TypeError("the fused recurrences support float32 and float64, "
                        "got %s" % dtype)


class SourcesOp(COp):
    """Base class of the ops whose C++ is in ``csrc/``: the files it uses as
    support code, their directory on the include path, and a cache version
    derived from their text.

    ``csrc`` names the files of :data:`theano_rnn.fused.sources.ORDER` that
    the op's C uses (pasted in that order).  ``code_version`` is the version
    of the C that the op's Python writes (``c_code``): bump it when that
    changes.  The support code needs no bump: the cache version includes a
    hash of every text of it.
    """

    csrc = ("format_shape.h",)
    code_version = (1,)

    def c_support_code(self, **kwargs):
        return sources.support_code(self.csrc)

    def c_header_dirs(self, **kwargs):
        return [sources.DIRECTORY]

    def c_code_cache_version(self):
        return self.code_version + sources.content_version(
            self.c_support_code())

    def jax_function(self, node):
        """The op as a function of JAX arrays (PyTensor's JAX linker):
        what ``perform`` computes, written with ``jax.numpy`` and
        ``jax.lax``.  Every op of this package defines it."""
        raise NotImplementedError("%s has no JAX implementation" % self)


register_jax(SourcesOp, lambda op, node: op.jax_function(node))


class FusedRecurrenceOp(SourcesOp):
    """Base class of the fused recurrence ops: BLAS linkage, and the C++ of
    ``csrc/`` after the generated C of
    :func:`~theano_rnn.fused.sources.generated_code` (BLAS declarations,
    fastmath's ``tanh``), all versioned by their content.
    """

    csrc = ("format_shape.h", "arrays.h", "activations.h", "packed.h",
            "loop_helpers.h")

    def c_support_code(self, **kwargs):
        return sources.support_code(self.csrc, sources.generated_code())

    def c_libraries(self, **kwargs):
        return blas.ldflags()

    def c_compile_args(self, **kwargs):
        return blas.ldflags(libs=False, flags=True) + ["-pthread"]

    def c_lib_dirs(self, **kwargs):
        return blas.ldflags(libs=False, libs_dir=True)

    def c_header_dirs(self, **kwargs):
        return blas.ldflags(libs=False, include_dir=True) + [sources.DIRECTORY]

    def c_code_cache_version(self):
        return (super(FusedRecurrenceOp, self).c_code_cache_version()
                + blas.blas_header_version())


# ---------------------------------------------------------------------------
# The loop ops of the SimpleRNN, the LSTM and the GRU: what they share
# ---------------------------------------------------------------------------

def c_activation(name, ctype):
    """The C++ class of activation ``name`` for element type ``ctype``."""
    if name not in ACTIVATIONS:
        raise ValueError("no C implementation of the activation %r" % name)
    return "fused_act_%s<%s>" % (name, ctype)


def np_activation(name, x):
    """Activation ``name`` in NumPy, in the dtype of ``x``, computing what
    the C code computes (float32 ``tanh``: the approximation of
    :mod:`theano_rnn.fastmath`)."""
    dtype = x.dtype.type
    if name == "tanh":
        return tanh_float32(x) if x.dtype == np.float32 else np.tanh(x)
    if name == "sigmoid":
        return dtype(0.5) + dtype(0.5) * np_activation("tanh", dtype(0.5) * x)
    if name == "hard_sigmoid":
        return np.clip(dtype(0.2) * x + dtype(0.5), 0, 1).astype(x.dtype)
    if name == "relu":
        return np.maximum(x, 0)
    if name == "linear":
        return x.copy()
    raise ValueError("unknown activation %r" % name)


def np_activation_grad(name, y):
    """The derivative of activation ``name`` through its output ``y``."""
    dtype = y.dtype.type
    if name == "tanh":
        return 1 - y * y
    if name == "sigmoid":
        return y * (1 - y)
    if name == "hard_sigmoid":
        return np.where((y > 0) & (y < 1), dtype(0.2), dtype(0))
    if name == "relu":
        return (y > 0).astype(y.dtype)
    if name == "linear":
        return np.ones_like(y)
    raise ValueError("unknown activation %r" % name)


def jax_activation(name, x):
    """Activation ``name`` of a JAX array, as :func:`np_activation`
    computes it (float32 ``tanh``: fastmath's approximation)."""
    import jax.numpy as jnp
    half = np.dtype(x.dtype).type(0.5)
    if name == "tanh":
        return jax_tanh(x)
    if name == "sigmoid":
        return half + half * jax_tanh(half * x)
    if name == "hard_sigmoid":
        return jnp.clip(np.dtype(x.dtype).type(0.2) * x + half, 0, 1)
    if name == "relu":
        return jnp.maximum(x, 0)
    if name == "linear":
        return x
    raise ValueError("unknown activation %r" % name)


def jax_activation_grad(name, y):
    """The derivative of activation ``name`` through its output ``y`` (a
    JAX array), as :func:`np_activation_grad` computes it."""
    import jax.numpy as jnp
    if name == "tanh":
        return 1 - y * y
    if name == "sigmoid":
        return y * (1 - y)
    if name == "hard_sigmoid":
        return jnp.where((y > 0) & (y < 1), np.dtype(y.dtype).type(0.2),
                         np.dtype(y.dtype).type(0))
    if name == "relu":
        return (y > 0).astype(y.dtype)
    if name == "linear":
        return jnp.ones_like(y)
    raise ValueError("unknown activation %r" % name)


def jax_keep(mask_t, new, old):
    """A step's new rows where ``mask_t`` (batch,) is nonzero, the old rows
    elsewhere (padding); ``new`` without a mask."""
    import jax.numpy as jnp
    if mask_t is None:
        return new
    return jnp.where((mask_t != 0)[:, None], new, old)


def np_check_shapes(op, shapes):
    """Raise the ValueError of the C code if an array has a wrong shape.

    ``shapes`` maps a name to ``(array or None, expected shape)``, ``None``
    in the expected shape standing for any size."""
    for name, (array, expected) in shapes.items():
        if array is None:
            continue
        ok = array.ndim == len(expected) and all(
            e is None or s == e for s, e in zip(array.shape, expected))
        if not ok:
            raise ValueError("%s: %s has shape (%s), expected (%s)" % (
                type(op).__name__, name, ", ".join(map(str, array.shape)),
                ", ".join("?" if e is None else str(e) for e in expected)))


def np_keep(mask, t, n_rows):
    """Rows of step ``t`` that are real steps: a (batch, 1) boolean array."""
    if mask is None:
        return np.ones((n_rows, 1), dtype=bool)
    return (mask[t] != 0)[:, None]


def as_tensors(dtype, *variables):
    """Each variable as a tensor of ``dtype`` with no broadcastable
    dimension (``None`` stays ``None``): a batch or a ``units`` of one must
    not change the op's types, and the gradient of a cast or an unbroadcast
    is Theano's business."""
    result = []
    for v in variables:
        if v is not None:
            v = T.as_tensor_variable(v)
            if v.dtype != dtype:
                v = T.cast(v, dtype)
            v = unbroadcast(v)
        result.append(v)
    return result


def common_dtype(*variables):
    """The float dtype the op computes in: the upcast of its float inputs."""
    return theano.scalar.upcast(*[T.as_tensor_variable(v).dtype
                                  for v in variables])


def tensor(dtype, ndim):
    """A tensor type of ``ndim`` non-broadcastable dimensions."""
    return T.TensorType(dtype, (False,) * ndim)()


#: The node of an op (the same class on both backends).
Apply = theano.graph.basic.Apply


def disconnected():
    """The gradient of an input no output depends on (the time mask)."""
    return theano.gradient.DisconnectedType()()


def no_second_derivatives(op, inputs, cell):
    """The gradients of a backward op: not implemented (second derivatives
    of the fused ``cell``)."""
    return [theano.gradient.grad_not_implemented(
        op, k, v, "second derivatives of the fused %s" % cell)
        for k, v in enumerate(inputs)]


def output_gradient(gradient, output):
    """An output gradient, with a disconnected one read as zeros."""
    if isinstance(gradient.type, theano.gradient.DisconnectedType):
        return T.zeros_like(output)
    return gradient


def check_internal_gradients(op, gradients):
    """The saved-for-backward outputs are internal: nothing of the user's
    may depend on them, so their gradients must be disconnected."""
    for g in gradients:
        if not isinstance(g.type, theano.gradient.DisconnectedType):
            raise NotImplementedError(
                "%s: the gradient through the internal outputs (saved for "
                "the backward pass) is not implemented; use hs only" % op)


def flat(x):
    """A (T, B, n) tensor as the (T * B, n) matrix of its rows."""
    return x.reshape((-1, x.shape[-1]))


# ---------------------------------------------------------------------------
# The input projection, inside the forward loops, and its gradients
# ---------------------------------------------------------------------------

def input_factors(cell, x):
    """The inputs ``x`` and ``W`` of a cell's forward op, which computes
    ``x_t W`` at every step: ``[x, 1]`` and ``[W; b]``
    (:func:`theano_rnn.fastmath.affine_factors`, ``b`` the cell's
    ``input_bias``) when the cell has a bias, so that the bias rides along
    in the product, else ``x`` and the kernel."""
    x = T.as_tensor_variable(x)
    if cell.use_bias:
        return affine_factors(x, cell.kernel, cell.input_bias)
    return x, cell.kernel


def weight_gradient(a, d):
    """The gradient of ``M`` in the products ``a_t M`` of all steps, from
    their gradient ``d``: ``a^T d``, with the (T, B, .) tensors ``a`` and
    ``d`` seen as (T B, .) matrices -- one large product over all steps,
    left to the graph (one BLAS call), never a per-step product."""
    return T.dot(flat(a).T, flat(d))


def input_gradients(x, W, dxw):
    """``(dx, dW)``, the gradients of the inputs ``x`` (T, B, D) and ``W``
    (D, nH) of a forward op from ``dxw`` (T, B, nH), the gradient of the
    steps' ``x_t W``: ``dx = dxw W^T`` and ``dW = x^T dxw``, two large
    products in the graph."""
    return T.dot(dxw, W.T), weight_gradient(x, dxw)


def recurrent_inputs(hs, rmask):
    """Every step's recurrent input ``h_{t-1} * rmask`` (T, B, H), from the
    forward op's ``hs`` (T + 1, B, H) and the recurrent mask or ``None``:
    the left factor of ``dU``."""
    return hs[:-1] if rmask is None else hs[:-1] * rmask


class FusedLoopOp(FusedRecurrenceOp):
    """What the SimpleRNN, LSTM and GRU ops share.

    The C code of every op is one call of a templated C++ function in
    ``c_support_code``::

        if (fused_gru_forward<float, fused_act_hard_sigmoid<float>,
                              fused_act_tanh<float> >(x, h0, W, U, NULL,
                                                      NULL, NULL, &hs,
                                                      &gates, &saved) != 0)
            fail;

    which takes every possible input (``NULL`` for an absent optional one)
    and the address of every possible output, reuses the output buffers of
    the previous call when their shapes match, and returns -1 with a Python
    exception set on error.  Subclasses give

    * ``input_names`` / ``output_names``: all possible arguments, in the C
      function's order; ``optional_inputs`` / ``optional_outputs`` map a name
      to the property saying whether it is present;
    * ``c_function``: the C++ function name;
    * ``activation_props``: the properties naming the activations, in the
      function's template order;
    * ``csrc``: the files of ``csrc/`` the op's C uses (the forward and
      backward ops of a cell share theirs).
    """

    __props__ = ()
    input_names = output_names = ()
    optional_inputs = optional_outputs = {}
    c_function = None
    activation_props = ()

    def __init__(self, **props):
        missing = [name for name in self.__props__ if name not in props]
        if missing:
            raise TypeError("%s: missing properties %s"
                            % (type(self).__name__, missing))
        for name in self.__props__:
            setattr(self, name, props.pop(name))
        if props:
            raise TypeError("%s: unknown properties %s"
                            % (type(self).__name__, sorted(props)))
        for name in self.activation_props:
            if getattr(self, name) not in ACTIVATIONS:
                raise ValueError("%s: %s %r has no C implementation"
                                 % (type(self).__name__, name,
                                    getattr(self, name)))

    def _present(self, names, optional):
        return [n for n in names
                if n not in optional or getattr(self, optional[n])]

    @property
    def present_inputs(self):
        return self._present(self.input_names, self.optional_inputs)

    @property
    def present_outputs(self):
        return self._present(self.output_names, self.optional_outputs)

    def named_inputs(self, values):
        """``{name: value}`` for every possible input, ``None`` when absent."""
        result = dict.fromkeys(self.input_names)
        result.update(zip(self.present_inputs, values))
        return result

    def named_outputs(self, values):
        """``{name: value}`` for every possible output, ``None`` if absent."""
        result = dict.fromkeys(self.output_names)
        result.update(zip(self.present_outputs, values))
        return result

    def jax_function(self, node):
        """``jax_perform`` (the loop as ``jax.lax.scan``, written like
        ``perform``) as a function of the present inputs that returns the
        present outputs."""
        def fused_loop(*values):
            results = self.jax_perform(self.named_inputs(values))
            outputs = tuple(results[n] for n in self.present_outputs)
            return outputs if len(outputs) > 1 else outputs[0]
        return fused_loop

    def check_inputs(self, inputs):
        """``inputs``, if they are as many as the present inputs."""
        if len(inputs) != len(self.present_inputs):
            raise TypeError("%s takes %d inputs (%s), got %d"
                            % (self, len(self.present_inputs),
                               ", ".join(self.present_inputs), len(inputs)))
        return inputs

    # -- C ------------------------------------------------------------------
    def c_code(self, node, name, inputs, outputs, sub):
        ctype = c_dtype(node.outputs[0].dtype)
        template = [ctype] + [c_activation(getattr(self, p), ctype)
                              for p in self.activation_props]
        given_in = self.named_inputs(inputs)
        given_out = self.named_outputs(outputs)
        arguments = ([given_in[n] or "NULL" for n in self.input_names] +
                     ["&" + given_out[n] if given_out[n] else "NULL"
                      for n in self.output_names])
        # Braces: Theano's generated code jumps (goto) over this block.
        return """
        {
            if (%(function)s<%(template)s >(%(arguments)s) != 0) {
                %(fail)s
            }
        }
        """ % {"function": self.c_function, "template": ", ".join(template),
               "arguments": ",\n                ".join(arguments),
               "fail": sub["fail"]}


class FusedForwardOp(FusedLoopOp):
    """What the forward ops of the three cells share: the inputs ``x``
    (T, B, D) and ``W`` (D, nH), whose product the op computes step by step
    (:func:`input_factors` gives them, :func:`input_gradients` their
    gradients), the states and the recurrent weights; outputs that are all
    3-D, the time mask, ``mask``, being the one input none of them can be
    differentiated with respect to.  Every input is cast to the upcast dtype
    of ``x`` and ``W``, which must be float32 or float64."""

    def make_node(self, *inputs):
        i = self.named_inputs(self.check_inputs(inputs))
        dtype = common_dtype(i["x"], i["W"])
        c_dtype(dtype)                      # float32 or float64, or TypeError
        return Apply(self, as_tensors(dtype, *inputs),
                     [tensor(dtype, 3) for _ in self.output_names])

    def connection_pattern(self, node):
        return [[name != "mask"] * len(self.output_names)
                for name in self.present_inputs]
