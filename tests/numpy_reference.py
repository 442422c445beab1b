"""Independent NumPy references for the recurrent cells, written from the
published equations with a plain Python loop over time, in float64.

Nothing here imports theano_rnn: these functions are what the Theano code is
checked against.  Weights use Keras's layout (gate blocks side by side in the
kernel's columns): LSTM i, f, c, o; GRU z, r, h.
"""
import numpy as np


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def hard_sigmoid(x):
    return np.clip(0.2 * x + 0.5, 0.0, 1.0)


ACTIVATIONS = {"sigmoid": sigmoid, "hard_sigmoid": hard_sigmoid,
               "tanh": np.tanh, "linear": lambda x: x}


def blocks(matrix, n):
    """Split the last axis into ``n`` equal gate blocks."""
    return np.split(matrix, n, axis=-1)


def simple_rnn_cell(x_t, states, weights, act="tanh", **_):
    W, U, b = weights
    (h,) = states
    return [ACTIVATIONS[act](x_t @ W + h @ U + b)]


def lstm_cell(x_t, states, weights, act="tanh", rec_act="hard_sigmoid", **_):
    W, U, b = weights
    h, c = states
    Wi, Wf, Wc, Wo = blocks(W, 4)
    Ui, Uf, Uc, Uo = blocks(U, 4)
    bi, bf, bc, bo = blocks(b, 4)
    sig, g = ACTIVATIONS[rec_act], ACTIVATIONS[act]
    i = sig(x_t @ Wi + h @ Ui + bi)
    f = sig(x_t @ Wf + h @ Uf + bf)
    o = sig(x_t @ Wo + h @ Uo + bo)
    c_new = f * c + i * g(x_t @ Wc + h @ Uc + bc)
    return [o * g(c_new), c_new]


def gru_cell(x_t, states, weights, act="tanh", rec_act="hard_sigmoid",
             reset_after=False):
    W, U, b = weights
    (h,) = states
    Wz, Wr, Wh = blocks(W, 3)
    Uz, Ur, Uh = blocks(U, 3)
    sig, g = ACTIVATIONS[rec_act], ACTIVATIONS[act]
    if reset_after:
        bz, br, bh = blocks(b[0], 3)
        rz, rr, rh = blocks(b[1], 3)
        z = sig(x_t @ Wz + bz + h @ Uz + rz)
        r = sig(x_t @ Wr + br + h @ Ur + rr)
        hh = g(x_t @ Wh + bh + r * (h @ Uh + rh))
    else:
        bz, br, bh = blocks(b, 3)
        z = sig(x_t @ Wz + h @ Uz + bz)
        r = sig(x_t @ Wr + h @ Ur + br)
        hh = g(x_t @ Wh + (r * h) @ Uh + bh)
    return [z * h + (1 - z) * hh]


CELLS = {"SimpleRNN": (simple_rnn_cell, 1), "LSTM": (lstm_cell, 2),
         "GRU": (gru_cell, 1)}


def run_rnn(kind, x, weights, mask=None, go_backwards=False,
            initial_states=None, **options):
    """Run a cell over ``x`` (batch, time, features).

    The states start from ``initial_states`` (zeros by default).
    Returns (outputs (batch, time, units), final states).  Masked steps
    (mask 0) carry every state through unchanged; with ``go_backwards`` the
    steps are taken from last to first and outputs come in that order.
    """
    cell, n_states = CELLS[kind]
    batch, steps = x.shape[:2]
    units = weights[1].shape[0]
    states = ([np.zeros((batch, units)) for _ in range(n_states)]
              if initial_states is None else list(initial_states))
    order = range(steps - 1, -1, -1) if go_backwards else range(steps)
    outputs = []
    for t in order:
        new = cell(x[:, t], states, weights, **options)
        if mask is not None:
            keep = mask[:, t][:, None].astype(bool)
            new = [np.where(keep, n, s) for n, s in zip(new, states)]
        states = new
        outputs.append(states[0])
    return np.stack(outputs, axis=1), states
