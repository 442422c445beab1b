"""The one scan driver behind every recurrent layer.

:func:`rnn` unrolls any cell step function over the time axis with
``theano.scan`` (or a Python loop when ``unroll=True``), in the manner of the
``rnn()`` function of Keras's Theano backend:

* inputs and outputs are time-major, ``(time, batch, ...)``, because scan
  iterates over the first axis (the layers transpose once, before the input
  projection, so that the projection and its gradient are contiguous);
* the states are the scan's ``outputs_info``; the step's first state is the
  layer's output (``h`` for every cell here);
* a mask of shape ``(time, batch)`` makes padded steps carry the previous
  state through unchanged (``T.switch(m_t, new, old)``, as Lasagne does), so
  padding on the left or on the right gives the same final state;
* every shared variable reaches the step as a ``non_sequence`` and the scan
  is ``strict``, so nothing is captured behind the scan's back.

Broadcasting, the bug every Theano-era RNN library met: with ``units=1`` or
a batch of one, ``T.zeros((batch, 1))`` or ``x[:, 0:1]`` can come out
*broadcastable*, and scan refuses a step output whose broadcast pattern
differs from its initial state.  Here every state is made non-broadcastable
on the way in and on the way out of the step (on PyTensor, where a size-1
dimension is a static shape that cannot be dropped, each new state gets the
static shape of the state it replaces: :func:`theano_rnn.runtime.unbroadcast`).
"""
from .runtime import T, scan, unbroadcast


def rnn(step, inputs, initial_states, non_sequences=(), mask=None,
        go_backwards=False, truncate_gradient=-1, unroll=False, n_steps=None,
        mode=None):
    """Run ``step`` over the time axis of ``inputs``.

    Parameters
    ----------
    step : callable
        ``step(x_t, *states, *non_sequences) -> new_state or [new_states]``,
        e.g. :func:`theano_rnn.cells.lstm_step` with its activations bound.
    inputs : tensor (time, batch, ...)
        Per-step inputs (for the cells here, the projected inputs ``xW + b``).
    initial_states : list of tensors (batch, units)
    non_sequences : list
        Everything else the step reads, shared variables included.
    mask : tensor (time, batch) or None
        1 for real steps, 0 for padding.
    go_backwards : bool
        Iterate from the last step to the first; the outputs come in that
        (reversed) order, as in Keras.
    truncate_gradient : int
        Back-propagate through at most this many steps (-1: all); scan only.
    unroll : bool
        Build the loop with Python instead of scan: a longer graph, but no
        scan overhead; worth it for short sequences.
    n_steps : int or None
        The number of time steps, needed when ``unroll`` is true.
    mode : compile mode or None
        The mode scan compiles its step with (``theano.scan``'s ``mode``; the
        loops of the gradient inherit it); ``None``: the configuration's.

    Returns
    -------
    outputs : tensor (time, batch, units)
        The first state at every step.
    last_states : list of tensors (batch, units)
    """
    sequences = [inputs] if mask is None else [inputs, mask]
    if go_backwards:
        sequences = [s[::-1] for s in sequences]
    initial_states = [unbroadcast(s) for s in initial_states]
    non_sequences = list(non_sequences)
    n_states = len(initial_states)

    def _step(*args):
        x_t = args[0]
        m_t = args[1] if mask is not None else None
        first_state = 2 if mask is not None else 1
        states = list(args[first_state:first_state + n_states])
        new_states = step(x_t, *(states + list(args[first_state + n_states:])))
        if not isinstance(new_states, (list, tuple)):
            new_states = [new_states]
        if m_t is not None:
            keep = m_t.dimshuffle(0, 'x')                        # (batch, 1)
            new_states = [T.switch(keep, new, old)
                          for new, old in zip(new_states, states)]
        return [unbroadcast(new, like=old)
                for new, old in zip(new_states, states)]

    if unroll:
        state_sequences = _unrolled(_step, sequences, initial_states,
                                    non_sequences, n_steps)
    else:
        state_sequences = scan(
            _step, sequences=sequences, outputs_info=initial_states,
            non_sequences=non_sequences, truncate_gradient=truncate_gradient,
            strict=True, return_list=True, mode=mode)
    return state_sequences[0], [s[-1] for s in state_sequences]


def _unrolled(step, sequences, initial_states, non_sequences, n_steps):
    """The same loop as scan, built step by step in Python."""
    if n_steps is None:
        raise ValueError("unroll=True needs the number of time steps to be "
                         "known when the graph is built (give input_shape "
                         "with a fixed number of steps)")
    states, history = list(initial_states), [[] for _ in initial_states]
    for t in range(n_steps):
        states = step(*([s[t] for s in sequences] + states + non_sequences))
        for h, s in zip(history, states):
            h.append(s)
    return [T.stack(h) for h in history]
