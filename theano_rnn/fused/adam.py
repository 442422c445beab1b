r"""Adam's update of one parameter as one Theano op, in place.

:class:`theano_rnn.optimizers.Adam` updates each parameter :math:`p` with
its gradient :math:`g` and its two moments :math:`m, v`::

    m_new = beta_1 m + (1 - beta_1) g
    v_new = beta_2 v + (1 - beta_2) g^2
    p_new = p - lr_t m_new / (sqrt(v_new) + epsilon)

Written as Theano expressions, these become three ``Elemwise`` loops (after
fusion), one per updated variable, each reading ``g`` and the state again:
ten or more passes over parameter-sized arrays where seven suffice.  On the
IMDB model the update of the 20000 x 128 embedding alone took 5.5 ms of a
23.6 ms training step.  Each of those loops is moreover a C module of its
own for every number of dimensions and broadcast pattern, about half a
second of compilation each on an empty Theano cache.

:class:`AdamUpdate` computes the three new values in one pass over the
elements (the arrays are treated as flat), reading ``p, g, m, v`` once and
writing ``p, m, v`` once: 1.3 ms instead of 6 ms for that embedding.  Its C
code does not depend on the number of dimensions, so Theano compiles it
once for all the parameters of one dtype.

The op is created non-destructive; the rewrite
``theano_rnn_adam_inplace`` (registered in the backend's ``optdb``, phase
``inplace``, by :func:`theano_rnn.runtime.register_inplace_rewrite`: after
the in-place gemm, just before the in-place ``Elemwise`` -- 74.5 on Theano,
50.47 on PyTensor) replaces it by its in-place version, which overwrites
``p``, ``m`` and ``v`` (``destroy_map = {0: [0], 1: [2], 2: [3]}``).
Theano accepts that for shared variables that have an update
(``theano.function`` marks them mutable); its ``DestroyHandler`` schedules
the op after every other reader of ``p`` -- the forward and backward passes,
also through views such as ``DimShuffle`` -- so the gradient is computed
from the old parameter.  Where the replacement is not valid (an input that is
not mutable), the op stays non-destructive.

The scalars ``lr_t``, ``beta_1``, ``beta_2`` and ``epsilon`` are inputs of
the op (symbolic, cast to the parameter's dtype), so a ``set_value`` on the
optimizer's shared hyper-parameters still takes effect after compilation.

The op has a NumPy ``perform`` and C++ code templated on the element type
(``float32`` and ``float64``); the C loop runs over ``__restrict__``
pointers so that GCC vectorises it.  Inputs that are not C-contiguous are
copied (``g``) or the state is written to a fresh contiguous output rather
than in place.  :func:`adam_update` builds the op, or returns ``None`` for
the inputs it does not handle (another dtype, ``g, m, v`` of another type
than ``p``), for which the optimizer keeps the symbolic expressions.
The op has no gradient.
"""
import numpy as np
from ..runtime import T, register_inplace_rewrite, theano

from . import _base

__all__ = ["AdamUpdate", "adam_update"]

_SUPPORTED_DTYPES = ("float32", "float64")

def _like(x, p):
    """Whether ``x`` has the dtype and the broadcast pattern of ``p`` (on
    PyTensor its static shape may say more, as the gradient of a parameter
    often does: a known size is not a size of 1)."""
    return x.dtype == p.dtype and x.broadcastable == p.broadcastable


def _as_scalar(x, dtype):
    """A 0-d tensor of ``dtype`` (a cast of ``x`` if needed)."""
    x = T.as_tensor_variable(x)
    if x.ndim != 0:
        raise TypeError("AdamUpdate: the hyper-parameters must be scalars, "
                        "got %s" % x.type)
    return T.cast(x, dtype)


class AdamUpdate(_base.SourcesOp):
    """``(p_new, m_new, v_new)`` of one Adam step (see the module docstring).

    Inputs: ``p, g, m, v`` (one tensor type, float32 or float64, any number
    of dimensions) and the scalars ``lr_t, beta_1, beta_2, epsilon``.

    Parameters
    ----------
    inplace : bool
        Overwrite ``p``, ``m`` and ``v`` with their new values.  Graphs are
        built with ``inplace=False``; Theano's optimizer makes the op in
        place where that is valid.
    """

    __props__ = ("inplace",)
    #: The C++ of csrc/ the op uses; the cache version hashes their text.
    csrc = ("format_shape.h", "adam.h")
    #: The version of the C written by ``c_code``: bump it when that changes.
    code_version = (3,)

    def __init__(self, inplace=False):
        self.inplace = bool(inplace)
        if self.inplace:
            self.destroy_map = {0: [0], 1: [2], 2: [3]}
        super(AdamUpdate, self).__init__()

    def __str__(self):
        return "AdamUpdate{inplace}" if self.inplace else "AdamUpdate"

    def make_node(self, p, g, m, v, lr_t, beta_1, beta_2, epsilon):
        p = T.as_tensor_variable(p)
        if p.dtype not in _SUPPORTED_DTYPES:
            raise TypeError("AdamUpdate supports float32 and float64, got %s"
                            % p.type)
        state = [T.as_tensor_variable(x) for x in (g, m, v)]
        for name, x in zip("gmv", state):
            if not _like(x, p):
                raise TypeError("AdamUpdate: %s has type %s, p has %s"
                                % (name, x.type, p.type))
        scalars = [_as_scalar(x, p.dtype)
                   for x in (lr_t, beta_1, beta_2, epsilon)]
        return _base.Apply(self, [p] + state + scalars,
                           [p.type(), p.type(), p.type()])

    def infer_shape(self, node, shapes):
        return [shapes[0], shapes[0], shapes[0]]

    def pullback(self, inputs, outputs, output_gradients):
        return [theano.gradient.grad_undefined(self, k, x,
                                               "AdamUpdate has no gradient")
                for k, x in enumerate(inputs)]

    # -- Python implementation ---------------------------------------------
    def perform(self, node, inputs, output_storage):
        p, g, m, v, lr_t, beta_1, beta_2, epsilon = inputs
        for name, x in (("g", g), ("m", m), ("v", v)):
            if x.shape != p.shape:
                raise ValueError("AdamUpdate: %s has shape %s, p has %s"
                                 % (name, x.shape, p.shape))
        if not self.inplace:
            p, m, v = p.copy(), m.copy(), v.copy()
        one = p.dtype.type(1)
        m *= beta_1
        m += (one - beta_1) * g
        v *= beta_2
        v += (one - beta_2) * (g * g)
        p -= lr_t * m / (np.sqrt(v) + epsilon)
        for storage, value in zip(output_storage, (p, m, v)):
            storage[0] = value

    def jax_function(self, node):
        """The three updates in JAX (which makes its own buffers: no
        ``inplace`` there)."""
        import jax.numpy as jnp

        def adam(p, g, m, v, lr_t, beta_1, beta_2, epsilon):
            m = beta_1 * m + (1 - beta_1) * g
            v = beta_2 * v + (1 - beta_2) * (g * g)
            return p - lr_t * m / (jnp.sqrt(v) + epsilon), m, v
        return adam

    # -- C implementation ----------------------------------------------------
    def c_code(self, node, name, inputs, outputs, sub):
        p, g, m, v, lr_t, beta_1, beta_2, epsilon = inputs
        p_new, m_new, v_new = outputs
        return r"""
{   /* %(name)s: one Adam step */
    typedef %(ctype)s dtype_t;
    PyArrayObject *in_g = NULL;
    int failed = 1;
    do {
        PyArrayObject *arrays[4] = {%(p)s, %(g)s, %(m)s, %(v)s};
        if (theano_rnn_adam::check_shapes(arrays))
            break;
        in_g = PyArray_GETCONTIGUOUS(%(g)s);
        if (!in_g)
            break;
        if (theano_rnn_adam::prepare_state(&%(p_new)s, %(p)s, %(inplace)d,
                                           arrays) ||
            theano_rnn_adam::prepare_state(&%(m_new)s, %(m)s, %(inplace)d,
                                           arrays) ||
            theano_rnn_adam::prepare_state(&%(v_new)s, %(v)s, %(inplace)d,
                                           arrays))
            break;
        theano_rnn_adam::update<dtype_t>(
            PyArray_SIZE(%(p)s), (const dtype_t *)PyArray_DATA(in_g),
            (dtype_t *)PyArray_DATA(%(p_new)s),
            (dtype_t *)PyArray_DATA(%(m_new)s),
            (dtype_t *)PyArray_DATA(%(v_new)s),
            ((dtype_t *)PyArray_DATA(%(lr_t)s))[0],
            ((dtype_t *)PyArray_DATA(%(beta_1)s))[0],
            ((dtype_t *)PyArray_DATA(%(beta_2)s))[0],
            ((dtype_t *)PyArray_DATA(%(epsilon)s))[0]);
        failed = 0;
    } while (0);
    Py_XDECREF(in_g);
    if (failed) {
        %(fail)s
    }
}
""" % dict(name=name, ctype=_base.c_dtype(node.inputs[0].dtype),
           inplace=self.inplace, p=p, g=g, m=m, v=v, lr_t=lr_t,
           beta_1=beta_1, beta_2=beta_2, epsilon=epsilon, p_new=p_new,
           m_new=m_new, v_new=v_new, fail=sub["fail"])


def adam_update(p, g, m, v, lr_t, beta_1, beta_2, epsilon):
    """``(p_new, m_new, v_new)`` computed by :class:`AdamUpdate`, or ``None``
    when the op does not handle these inputs (then use the expressions).

    ``g`` is cast to the dtype of ``p``; ``m`` and ``v`` must have the dtype
    of ``p``, and all three its broadcast pattern.
    """
    p, g, m, v = [T.as_tensor_variable(x) for x in (p, g, m, v)]
    if p.dtype not in _SUPPORTED_DTYPES:
        return None
    g = T.cast(g, p.dtype)
    if not all(_like(x, p) for x in (g, m, v)):
        return None
    if any(T.as_tensor_variable(x).ndim != 0
           for x in (lr_t, beta_1, beta_2, epsilon)):
        return None
    return AdamUpdate()(p, g, m, v, lr_t, beta_1, beta_2, epsilon)


def local_adam_update_inplace(fgraph, node):
    """Replace a non-destructive :class:`AdamUpdate` by the in-place one."""
    if isinstance(node.op, AdamUpdate) and not node.op.inplace:
        return AdamUpdate(inplace=True)(*node.inputs, return_list=True)
    return False


#: Where the rewrite runs in ``optdb``: after the DestroyHandler is added
#: and gemm is made in place, just before the in-place ``Elemwise``, which
#: could otherwise claim ``p`` first (Theano: 74.5, between 70 and 75;
#: PyTensor: 50.47, between 50.2 and 50.5).
INPLACE_POSITION = register_inplace_rewrite(
    "theano_rnn_adam_inplace", local_adam_update_inplace, [AdamUpdate])
