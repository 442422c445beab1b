r"""Fused ops: the whole time loop of a cell as one C op (and Adam's update).

The design of theano_rnn is a step function unrolled by ``theano.scan``
(:mod:`theano_rnn.cells`, :mod:`theano_rnn.recurrence`).  Scan on Python
3.11 runs its loop in Python, and for a 32 x 128 LSTM step that loop, the
per-step slicing and the recomputation of the forward pass inside the
gradient's scan cost more than the arithmetic.  This package is the fast
path the recurrent layers take when they can (``implementation='auto'``):
for each cell an op whose C code runs the loop over time, with the per-step
products (``x_t W`` and ``h_{t-1} U``) inside the loop, and an op for its
gradient.  They compute the same function as the scan path, with
the same gate order, masks, dropout and the same float32 ``tanh``, and
``tests/test_fused_<cell>.py`` compare them.

One convention for the three cells
----------------------------------
* **Names**: ``<Cell>Forward`` and ``<Cell>Backward`` (:class:`LSTMForward
  <theano_rnn.fused.lstm.LSTMForward>`, ``GRUForward``, ``SimpleRNNForward``
  and their ``...Backward``), one module per cell (``lstm.py``, ``gru.py``,
  ``simple_rnn.py``) and one C++ file (``csrc/<cell>.h``, whose functions are
  ``fused_<cell>_forward`` / ``fused_<cell>_backward``).
* **Saved states**: the forward op returns the states with the initial one
  as row 0, ``hs`` (T + 1, B, H), ``hs[0] = h0``, ``hs[t + 1] = h_t`` (the
  LSTM's ``cs`` too), so every step's ``h_{t-1}`` is the contiguous view
  ``hs[:-1]``; the layer's outputs are the view ``hs[1:]``.  What else the
  backward op needs (``gates``, the GRU's ``saved``) is an internal output
  that cannot be differentiated.  The backward op takes the recurrent
  kernel, the masks, the saved arrays and the gradients of ``hs`` (and
  ``cs``), and returns ``dxw``, the gradient of the step's pre-activations
  (T, B, nH), and those of ``h0`` (``c0``) and of the recurrent mask.
* **Inputs**: the forward op takes the inputs ``x`` (T, B, D) and the
  kernel ``W`` (D, nH) -- ``[x, 1]`` and ``[W; b]`` when the cell has a bias
  (:func:`~theano_rnn.fused._base.input_factors`), so that the bias rides
  along in the product -- and computes ``x_t W`` inside its loop, step by
  step, with ``W`` packed once per call next to ``U``, like cuDNN's RNN: the
  (T, B, nH) array ``x W`` is never written.  Measured faster than one BLAS
  product before the loop for the LSTM with AVX-512 (the README's "Where
  the time goes", item 9), and as fast for the GRU and the SimpleRNN on an
  AVX2 machine (:mod:`theano_rnn.fused.gru`).
  The forward ops share :class:`~theano_rnn.fused._base.FusedForwardOp`
  (the node: every input in the upcast dtype of ``x`` and ``W``).
* **Where the products are**: the ops run the loop and its small per-step
  products (:mod:`theano_rnn.fused.packed`); every large product over all
  steps -- ``dx = dxw W^T``, ``dW = x^T dxw``
  (:func:`~theano_rnn.fused._base.input_gradients`) and
  ``dU = (hs[:-1] * rmask)^T dxw`` -- is a ``T.dot`` in the graph, one
  BLAS call each, where Theano can also schedule it.  (The GRU's ``dU``
  differs in form: the left factor of its candidate's product is
  ``r * hin``, and with ``reset_after`` its recurrent bias sits inside
  ``r * (hin U_h + b_rec_h)``, for which its backward op also returns
  ``dhu`` and ``db_rec``; see :mod:`theano_rnn.fused.gru`.)
* **C++**: sizes and indices are ``npy_intp`` (cast to ``int`` only at the
  calls of the packed product); errors are ``ValueError``\ s naming the op
  and the input as the layers name it (``kernel``, ``recurrent_kernel``,
  ``recurrent_bias``, ``recurrent_mask``, ``mask``, ``h0``...), with both
  shapes.  The C++ lives in ``csrc/``, read by :mod:`theano_rnn.fused.sources`
  in one stated order; the cache version of an op is derived from the text
  of every file it uses, so an edit cannot reuse a stale compiled module.

* **JAX**: every op also has a JAX implementation beside its NumPy
  ``perform`` (``jax_perform``: the forward loop as ``jax.lax.scan``, the
  backward one as a reverse ``lax.scan`` from the saved arrays, written like
  ``perform``), which PyTensor's JAX linker runs under ``compile(...,
  mode="JAX")`` (:func:`theano_rnn.runtime.register_jax`; jax is imported
  only then).  ``tests/test_jax.py`` compares them with the C code.

:func:`unsupported_reason` says why a cell cannot take the fused path
(``None`` when it can); :func:`fused_rnn` runs it.

Two modules here are not recurrences: :mod:`theano_rnn.fused.adam`
computes Adam's three updates of a parameter in one pass, for
:class:`theano_rnn.optimizers.Adam` (importing it registers the graph
rewrite that makes the update in place), and :mod:`theano_rnn.fused.rows`
is the row gather ``table[ids]`` of :class:`~theano_rnn.layers.Embedding`
and its gradient, a row scatter-add.  They do not need the recurrence ops,
so this package imports a cell's module only when a layer first asks for
its fused loop.
"""
import importlib

from ..cells import GRUCell, LSTMCell, SimpleRNNCell
from ._base import ACTIVATIONS

# cell class -> (module, function) running its fused loop.  Exact classes
# only: a subclass may override ``step``, and then only scan computes what
# it means.
_IMPLEMENTATIONS = {
    SimpleRNNCell: ("simple_rnn", "fused_simple_rnn"),
    LSTMCell: ("lstm", "fused_lstm"),
    GRUCell: ("gru", "fused_gru"),
}


def _implementation(cell):
    """The function running the fused loop of ``cell`` (imported now)."""
    module, function = _IMPLEMENTATIONS[type(cell)]
    return getattr(importlib.import_module("." + module, __name__), function)


def unsupported_reason(cell, dtype):
    """Why ``cell`` cannot run fused on ``dtype`` tensors, or ``None``."""
    if type(cell) not in _IMPLEMENTATIONS:
        return "there is no fused loop for %s" % type(cell).__name__
    if cell.recurrent_kernel is None:
        return "the cell is not built"
    if dtype not in ("float32", "float64"):
        return "the fused loops support float32 and float64, not %s" % dtype
    for argument in ("activation", "recurrent_activation"):
        name = getattr(getattr(cell, argument), "__name__", None)
        if name not in ACTIVATIONS:
            return ("%s %r has no C implementation (supported: %s)"
                    % (argument, name, ", ".join(ACTIVATIONS)))
    return None


def fused_rnn(cell, x, initial_states, recurrent_mask=None, mask=None,
              go_backwards=False):
    """The fused counterpart of ``rnn(cell.step, cell.project_inputs(x),
    initial_states, ...)``.

    Parameters
    ----------
    cell : RecurrentCell (built)
    x : tensor (time, batch, features), the inputs, time-major.
    initial_states : list of tensors (batch, units), as ``cell.state_names``.
    recurrent_mask : tensor (batch, units) or None, recurrent dropout mask.
    mask : tensor (time, batch) or None, 1 for real steps, 0 for padding.
    go_backwards : bool, iterate from the last step; outputs come reversed.

    Returns ``(outputs (time, batch, units), last_states)`` exactly like
    :func:`theano_rnn.recurrence.rnn`.
    """
    reason = unsupported_reason(cell, x.dtype)
    if reason is not None:
        raise ValueError("cannot run %s fused: %s" % (type(cell).__name__,
                                                       reason))
    if go_backwards:
        x = x[::-1]
        mask = None if mask is None else mask[::-1]
    return _implementation(cell)(cell, x, list(initial_states),
                                 recurrent_mask, mask)
