"""Fused ops: the whole time loop of a cell as one C op (and Adam's update).

The design of theano_rnn is a step function unrolled by ``theano.scan``
(:mod:`theano_rnn.cells`, :mod:`theano_rnn.recurrence`).  Scan on Python
3.11 runs its loop in Python, and for a 32 x 128 LSTM step that loop, the
per-step slicing and the recomputation of the forward pass inside the
gradient's scan cost more than the arithmetic.  This package is the fast
path the recurrent layers take when they can (``implementation='auto'``):
for each cell an op whose C code runs the loop over time, with the per-step
products (``h_{t-1} U``; for the LSTM also ``x_t W``) inside the loop, and an
op for its gradient.  They compute the
same function as the scan path, with the same gate order, masks, dropout
and the same float32 ``tanh``, and ``tests/test_fused_*.py`` compare them.

:func:`unsupported_reason` says why a cell cannot take the fused path
(``None`` when it can); :func:`fused_rnn` runs it.

One op here is not a recurrence: :mod:`theano_rnn.fused.adam` computes
Adam's three updates of a parameter in one pass, for
:class:`theano_rnn.optimizers.Adam` (importing it registers the graph
rewrite that makes the update in place).  It does not need the recurrence
ops, so this package imports a cell's module only when a layer first asks
for its fused loop.
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
