"""The fused GRU (:mod:`theano_rnn.fused.gru`) against the scan path.

:class:`fused_harness.ScanComparisons` runs over the cases below (both
``reset_after`` variants, masks, recurrent dropout, go_backwards): outputs,
last state and every gradient against scan in float64 and float32, sizes
of one, the batch split across threads, ``perform`` and the layers' choice
of implementation.  Then the op's own gradient against finite differences,
its shape errors and its internal outputs.
"""
import numpy as np
import pytest
from theano_rnn.runtime import T, theano

from fused_harness import (C_MODE, ScanComparisons, check_pair, python_mode,
                           time_mask)
from theano_rnn.cells import GRUCell
from theano_rnn.fused.gru import GRUBackward, GRUForward
from theano_rnn.layers import GRU

MASKED_DROPOUT_BACKWARDS = {"use_mask": True, "use_rmask": True,
                            "go_backwards": True}


class TestGRUAgainstScan(ScanComparisons):
    """37 units in the thread test: 3H = 111 and 2H = 74 columns (U and
    U_zr), H = 37 (U_h and every U^T), full and partial panels of the
    packed product."""

    cell_class, layer_class, ops = GRUCell, GRU, (GRUForward, GRUBackward)
    layer_options = {"reset_after": True}
    # name -> (cell options, Pair options)
    CASES = {
        "gru": ({}, {}),
        "gru-masked-dropout-backwards": ({}, MASKED_DROPOUT_BACKWARDS),
        "gru-sigmoid-masked": ({"recurrent_activation": "sigmoid"},
                               {"use_mask": True}),
        "gru_reset_after": ({"reset_after": True}, {}),
        "gru_reset_after-masked-dropout-backwards": (
            {"reset_after": True}, MASKED_DROPOUT_BACKWARDS),
        "gru_reset_after-sigmoid-dropout": (
            {"reset_after": True, "recurrent_activation": "sigmoid"},
            {"use_rmask": True}),
        "gru_reset_after-no-bias-masked": (
            {"reset_after": True, "use_bias": False}, {"use_mask": True}),
    }
    DROPOUT_CASES = ["gru-masked-dropout-backwards",
                     "gru_reset_after-masked-dropout-backwards"]

    def test_an_integer_mask_is_cast(self, rng):
        check_pair(self.pair("gru-sigmoid-masked", mask_dtype="int8"), rng,
                   steps=6, batch=4)


@pytest.mark.parametrize("reset_after", [False, True],
                         ids=["gru", "gru_reset_after"])
def test_fused_gru_verify_grad(float64, reset_after):
    rng = np.random.RandomState(42)
    steps, batch, features, units = 4, 3, 3, 2
    op = GRUForward(activation="tanh", recurrent_activation="sigmoid",
                    reset_after=reset_after, has_recurrent_mask=True,
                    has_mask=True)
    values = [rng.randn(steps, batch, features), rng.randn(batch, units),
              rng.uniform(-0.8, 0.8, (features, 3 * units)),     # W
              rng.randn(units, 3 * units)]
    if reset_after:
        values.append(rng.randn(3 * units))
    values.append(rng.uniform(0.5, 1.5, (batch, units)))        # rmask
    values.append(time_mask(steps, batch, rng))                 # constant

    n_differentiable = len(values) - 1
    mask = T.constant(values[-1])
    theano.gradient.verify_grad(
        lambda *args: op(*(list(args) + [mask]))[0],
        values[:n_differentiable], rng=rng, abs_tol=1e-6, rel_tol=1e-6)


@pytest.mark.parametrize("implementation", ["C", "Python"])
def test_a_wrong_shape_is_a_clear_error(implementation):
    op = GRUForward(activation="tanh", recurrent_activation="hard_sigmoid",
                    reset_after=False, has_recurrent_mask=False,
                    has_mask=False)
    x, h0, W, U = T.tensor3("x"), T.matrix("h0"), T.matrix("W"), T.matrix("U")
    mode = C_MODE if implementation == "C" else python_mode()
    f = theano.function([x, h0, W, U], op(x, h0, W, U)[0], mode=mode)
    dtype = theano.config.floatX
    x_value, W_value = np.zeros((5, 2, 3), dtype), np.zeros((3, 12), dtype)
    h0_value, U_value = np.zeros((2, 4), dtype), np.zeros((4, 12), dtype)
    assert f(x_value, h0_value, W_value, U_value).shape == (6, 2, 4)
    with pytest.raises(ValueError, match=r"GRUForward: h0 has shape "
                                         r"\(2, 3\), expected \(2, 4\)"):
        f(x_value, np.zeros((2, 3), dtype), W_value, U_value)
    with pytest.raises(ValueError, match=r"GRUForward: kernel has shape "
                                         r"\(2, 12\), expected \(3, 12\)"):
        f(x_value, h0_value, np.zeros((2, 12), dtype), U_value)


def test_the_internal_outputs_have_no_gradient():
    op = GRUForward(activation="tanh", recurrent_activation="hard_sigmoid",
                    reset_after=False, has_recurrent_mask=False,
                    has_mask=False)
    x, h0, W, U = T.tensor3("x"), T.matrix("h0"), T.matrix("W"), T.matrix("U")
    hs, gates, saved = op(x, h0, W, U)
    with pytest.raises(NotImplementedError, match="internal outputs"):
        T.grad(gates.sum(), U)
