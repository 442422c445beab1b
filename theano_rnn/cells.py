"""Recurrent cells: one time step of SimpleRNN, LSTM and GRU in plain Theano.

Each cell comes in two parts:

* a **step function** (``simple_rnn_step``, ``lstm_step``, ``gru_step``,
  ``gru_step_reset_after``) that maps one time step's inputs and the previous
  state to the new state.  It is plain symbolic Theano with its arguments in
  ``theano.scan`` order -- sequences, previous states, non-sequences -- so it
  can be lifted out and run in your own scan::

      xw = T.dot(x, W) + b          # (time, batch, 4 * units), all steps at once
      [h, c], _ = theano.scan(
          functools.partial(lstm_step, activation=T.tanh,
                            recurrent_activation=nnet.sigmoid),
          sequences=xw, outputs_info=[h0, c0], non_sequences=[U], strict=True)

* a **cell class** that owns the weights as ``theano.shared`` variables in
  Keras 2's layout, so weights move between Keras and theano_rnn unchanged:
  ``kernel`` ``(input_dim, k * units)``, ``recurrent_kernel``
  ``(units, k * units)`` and ``bias`` ``(k * units,)``, the ``k`` gate blocks
  side by side in the order each class documents.

The input projection ``x_t W + b`` does not depend on the state, so it is
computed for every time step at once before the scan (as Lasagne's
``precompute_input`` does); inside the step only ``h_{t-1} U`` remains.
The step functions therefore take ``xw_t``, the projected input.

Recurrent dropout (Gal & Ghahramani, 2016) multiplies ``h_{t-1}`` by a mask
that is the same at every time step, given as the optional last
non-sequence ``recurrent_mask`` of shape ``(batch, units)``.
"""
import numpy as np
from .runtime import theano, T, nnet

from . import activations, initializers
from .fastmath import affine
from .validation import is_integer


def _recurrent_input(h_tm1, recurrent_mask):
    """``h_{t-1}``, with the recurrent dropout mask applied when there is one."""
    return h_tm1 if recurrent_mask is None else h_tm1 * recurrent_mask


def _gate(z, k, units):
    """Block ``k`` of a stacked pre-activation ``z`` (batch, n_gates * units)."""
    return z[:, k * units:(k + 1) * units]


def simple_rnn_step(xw_t, h_tm1, recurrent_kernel, recurrent_mask=None,
                    activation=T.tanh):
    """One step of an Elman network: ``h_t = act(xw_t + h_{t-1} U)``.

    Parameters
    ----------
    xw_t : (batch, units) projected input ``x_t W + b``.
    h_tm1 : (batch, units) previous hidden state.
    recurrent_kernel : (units, units) ``U``.
    recurrent_mask : (batch, units) recurrent dropout mask, or ``None``.
    activation : element-wise non-linearity.
    """
    return activation(xw_t + T.dot(_recurrent_input(h_tm1, recurrent_mask),
                                   recurrent_kernel))


def lstm_step(xw_t, h_tm1, c_tm1, recurrent_kernel, recurrent_mask=None,
              activation=T.tanh, recurrent_activation=nnet.hard_sigmoid):
    """One LSTM step (gate order ``i, f, c, o``); returns ``[h_t, c_t]``.

    Parameters
    ----------
    xw_t : (batch, 4 * units) projected input ``x_t W + b``.
    h_tm1, c_tm1 : (batch, units) previous hidden and cell state.
    recurrent_kernel : (units, 4 * units) ``U``.
    recurrent_mask : (batch, units) recurrent dropout mask, or ``None``.
    activation, recurrent_activation : the cell's and the gates'
        non-linearities.
    """
    units = h_tm1.shape[1]
    z = xw_t + T.dot(_recurrent_input(h_tm1, recurrent_mask), recurrent_kernel)
    i = recurrent_activation(_gate(z, 0, units))
    f = recurrent_activation(_gate(z, 1, units))
    c = f * c_tm1 + i * activation(_gate(z, 2, units))
    o = recurrent_activation(_gate(z, 3, units))
    h = o * activation(c)
    return [h, c]


def gru_step(xw_t, h_tm1, recurrent_kernel, recurrent_mask=None,
             activation=T.tanh, recurrent_activation=nnet.hard_sigmoid):
    """One GRU step, reset gate *before* the recurrent product (Cho et al.,
    2014; Keras ``reset_after=False``).  Gate order ``z, r, h``.

    Parameters
    ----------
    xw_t : (batch, 3 * units) projected input ``x_t W + b``.
    h_tm1 : (batch, units) previous hidden state.
    recurrent_kernel : (units, 3 * units) ``U``.
    recurrent_mask : (batch, units) recurrent dropout mask, or ``None``.
    """
    units = h_tm1.shape[1]
    h_in = _recurrent_input(h_tm1, recurrent_mask)
    zr = _gate(xw_t, 0, 2 * units) + T.dot(h_in, recurrent_kernel[:, :2 * units])
    z = recurrent_activation(_gate(zr, 0, units))
    r = recurrent_activation(_gate(zr, 1, units))
    hh = activation(_gate(xw_t, 2, units) +
                    T.dot(r * h_in, recurrent_kernel[:, 2 * units:]))
    return z * h_tm1 + (1 - z) * hh


def gru_step_reset_after(xw_t, h_tm1, recurrent_kernel, recurrent_bias,
                         recurrent_mask=None, activation=T.tanh,
                         recurrent_activation=nnet.hard_sigmoid):
    """One GRU step, reset gate *after* the recurrent product (the cuDNN and
    PyTorch form; Keras ``reset_after=True``).  Gate order ``z, r, h``.

    Parameters
    ----------
    xw_t : (batch, 3 * units) projected input ``x_t W + b_in``.
    h_tm1 : (batch, units) previous hidden state.
    recurrent_kernel : (units, 3 * units) ``U``.
    recurrent_bias : (3 * units,) ``b_rec``, the second row of the bias.
    recurrent_mask : (batch, units) recurrent dropout mask, or ``None``.
    """
    units = h_tm1.shape[1]
    hu = T.dot(_recurrent_input(h_tm1, recurrent_mask),
               recurrent_kernel) + recurrent_bias
    z = recurrent_activation(_gate(xw_t, 0, units) + _gate(hu, 0, units))
    r = recurrent_activation(_gate(xw_t, 1, units) + _gate(hu, 1, units))
    hh = activation(_gate(xw_t, 2, units) + r * _gate(hu, 2, units))
    return z * h_tm1 + (1 - z) * hh


def check_positive_int(value, argument):
    """Raise ``ValueError`` unless ``value`` is a positive integer."""
    if not is_integer(value) or value < 1:
        raise ValueError("%s must be a positive integer, got %r"
                         % (argument, value))
    return int(value)


class RecurrentCell(object):
    """What the three cells share: weights, their layout and construction.

    Subclasses set ``n_gates`` and ``state_names`` and implement
    :meth:`step`.  ``input_bias`` is the part of the bias added to the
    projected input (all of it, except for GRU ``reset_after=True``).
    """

    n_gates = 1
    state_names = ("h",)

    def __init__(self, units, activation="tanh",
                 recurrent_activation="hard_sigmoid", use_bias=True,
                 kernel_initializer="glorot_uniform",
                 recurrent_initializer="orthogonal",
                 bias_initializer="zeros"):
        self.units = check_positive_int(units, "units")
        self.activation = activations.get(activation, "activation")
        self.recurrent_activation = activations.get(
            recurrent_activation, "recurrent_activation")
        self.use_bias = bool(use_bias)
        self.kernel_initializer = initializers.get(
            kernel_initializer, "kernel_initializer")
        self.recurrent_initializer = initializers.get(
            recurrent_initializer, "recurrent_initializer")
        self.bias_initializer = initializers.get(
            bias_initializer, "bias_initializer")
        self.kernel = self.recurrent_kernel = self.bias = None
        self.input_dim = None

    # -- weights -----------------------------------------------------------
    def bias_shape(self):
        return (self.n_gates * self.units,)

    def initial_bias(self, rng=None):
        return self.bias_initializer(self.bias_shape(), rng)

    def build(self, input_dim, name="cell", rng=None):
        """Create the shared weights for inputs with ``input_dim`` features."""
        self.input_dim = check_positive_int(input_dim, "input_dim")
        width = self.n_gates * self.units
        self.kernel = theano.shared(
            self.kernel_initializer((self.input_dim, width), rng),
            name=name + "/kernel")
        if isinstance(self.recurrent_initializer, initializers.Identity) or \
                self.recurrent_initializer is initializers.identity:
            # as Keras 2.3.1: one identity block per gate
            block = self.recurrent_initializer((self.units, self.units), rng)
            recurrent = np.concatenate([block] * self.n_gates, axis=1)
        else:
            recurrent = self.recurrent_initializer((self.units, width), rng)
        self.recurrent_kernel = theano.shared(
            recurrent, name=name + "/recurrent_kernel")
        if self.use_bias:
            self.bias = theano.shared(self.initial_bias(rng),
                                      name=name + "/bias")

    @property
    def weights(self):
        """Shared weights in Keras order: kernel, recurrent kernel, bias."""
        weights = [self.kernel, self.recurrent_kernel]
        return weights + [self.bias] if self.use_bias else weights

    @property
    def input_bias(self):
        return self.bias

    # -- graph -------------------------------------------------------------
    def project_inputs(self, x):
        """``x W + b`` for all time steps at once: (..., n_gates * units)."""
        if self.use_bias:
            return affine(x, self.kernel, self.input_bias)
        return T.dot(x, self.kernel)

    def step_non_sequences(self):
        """Shared variables the step needs, in its argument order."""
        return [self.recurrent_kernel]

    def step(self, xw_t, *states_and_non_sequences):
        """The step function with this cell's activations bound."""
        raise NotImplementedError

    def get_config(self):
        return {"units": self.units,
                "activation": activations.serialize(self.activation),
                "recurrent_activation": activations.serialize(
                    self.recurrent_activation),
                "use_bias": self.use_bias,
                "kernel_initializer": initializers.serialize(
                    self.kernel_initializer),
                "recurrent_initializer": initializers.serialize(
                    self.recurrent_initializer),
                "bias_initializer": initializers.serialize(
                    self.bias_initializer)}


class SimpleRNNCell(RecurrentCell):
    r"""Fully connected recurrent cell (Elman, 1990).

    .. math:: h_t = \mathrm{act}(x_t W + h_{t-1} U + b)

    Weights: ``kernel`` ``W`` (input_dim, units), ``recurrent_kernel`` ``U``
    (units, units), ``bias`` ``b`` (units,).  ``recurrent_activation`` is
    accepted for a uniform interface and not used.
    """

    def step(self, xw_t, h_tm1, recurrent_kernel, recurrent_mask=None):
        return simple_rnn_step(xw_t, h_tm1, recurrent_kernel, recurrent_mask,
                               activation=self.activation)


class LSTMCell(RecurrentCell):
    r"""Long short-term memory (Hochreiter & Schmidhuber, 1997; with the
    forget gate of Gers et al., 2000), as in Keras 2.

    .. math::
        i_t &= \sigma(x_t W_i + h_{t-1} U_i + b_i) \\
        f_t &= \sigma(x_t W_f + h_{t-1} U_f + b_f) \\
        \tilde c_t &= \mathrm{act}(x_t W_c + h_{t-1} U_c + b_c) \\
        o_t &= \sigma(x_t W_o + h_{t-1} U_o + b_o) \\
        c_t &= f_t \odot c_{t-1} + i_t \odot \tilde c_t \\
        h_t &= o_t \odot \mathrm{act}(c_t)

    where :math:`\sigma` is ``recurrent_activation`` (``hard_sigmoid`` by
    default, as in Keras 2.0-2.2; ``'sigmoid'`` selectable) and act is
    ``activation`` (``tanh``).

    Weights, gate order **i, f, c, o**: ``kernel`` (input_dim, 4 units) =
    ``[W_i W_f W_c W_o]``, ``recurrent_kernel`` (units, 4 units) =
    ``[U_i U_f U_c U_o]``, ``bias`` (4 units,).  With
    ``unit_forget_bias=True`` (Jozefowicz et al., 2015) ``b_f`` starts at 1.
    States: ``[h, c]``.
    """

    n_gates = 4
    state_names = ("h", "c")

    def __init__(self, units, unit_forget_bias=True, **kwargs):
        super(LSTMCell, self).__init__(units, **kwargs)
        self.unit_forget_bias = bool(unit_forget_bias)

    def initial_bias(self, rng=None):
        bias = super(LSTMCell, self).initial_bias(rng)
        if self.unit_forget_bias:
            bias[self.units:2 * self.units] = 1
        return bias

    def step(self, xw_t, h_tm1, c_tm1, recurrent_kernel, recurrent_mask=None):
        return lstm_step(xw_t, h_tm1, c_tm1, recurrent_kernel, recurrent_mask,
                         activation=self.activation,
                         recurrent_activation=self.recurrent_activation)

    def get_config(self):
        config = super(LSTMCell, self).get_config()
        config["unit_forget_bias"] = self.unit_forget_bias
        return config


class GRUCell(RecurrentCell):
    r"""Gated recurrent unit (Cho et al., 2014), as in Keras 2.

    With ``reset_after=False`` (the Theano-era default) the reset gate is
    applied to the state before the recurrent product:

    .. math::
        z_t &= \sigma(x_t W_z + h_{t-1} U_z + b_z) \\
        r_t &= \sigma(x_t W_r + h_{t-1} U_r + b_r) \\
        \tilde h_t &= \mathrm{act}(x_t W_h + (r_t \odot h_{t-1}) U_h + b_h) \\
        h_t &= z_t \odot h_{t-1} + (1 - z_t) \odot \tilde h_t

    With ``reset_after=True`` (cuDNN, PyTorch) it is applied after, and the
    recurrent product has a bias of its own:

    .. math::
        z_t &= \sigma(x_t W_z + b^{in}_z + h_{t-1} U_z + b^{rec}_z) \\
        r_t &= \sigma(x_t W_r + b^{in}_r + h_{t-1} U_r + b^{rec}_r) \\
        \tilde h_t &= \mathrm{act}(x_t W_h + b^{in}_h
                       + r_t \odot (h_{t-1} U_h + b^{rec}_h))

    Weights, gate order **z, r, h**: ``kernel`` (input_dim, 3 units),
    ``recurrent_kernel`` (units, 3 units), ``bias`` (3 units,) or, with
    ``reset_after=True``, (2, 3 units): row 0 ``b_in``, row 1 ``b_rec``.
    """

    n_gates = 3

    def __init__(self, units, reset_after=False, **kwargs):
        super(GRUCell, self).__init__(units, **kwargs)
        self.reset_after = bool(reset_after)

    def bias_shape(self):
        width = self.n_gates * self.units
        return (2, width) if self.reset_after else (width,)

    @property
    def input_bias(self):
        return self.bias[0] if self.reset_after else self.bias

    def step_non_sequences(self):
        if self.reset_after:
            recurrent_bias = self.bias[1] if self.use_bias else T.zeros_like(
                self.recurrent_kernel[0])
            return [self.recurrent_kernel, recurrent_bias]
        return [self.recurrent_kernel]

    def step(self, xw_t, h_tm1, recurrent_kernel, *rest):
        if self.reset_after:
            return gru_step_reset_after(
                xw_t, h_tm1, recurrent_kernel, *rest,
                activation=self.activation,
                recurrent_activation=self.recurrent_activation)
        return gru_step(xw_t, h_tm1, recurrent_kernel, *rest,
                        activation=self.activation,
                        recurrent_activation=self.recurrent_activation)

    def get_config(self):
        config = super(GRUCell, self).get_config()
        config["reset_after"] = self.reset_after
        return config
