"""The fused SimpleRNN (:mod:`theano_rnn.fused.simple_rnn`) against scan.

The tests of :class:`fused_harness.ScanComparisons` over the cases below,
then the op's own gradient against finite differences (``verify_grad``).
"""
import numpy as np
from theano_rnn.runtime import T, theano

from fused_harness import ScanComparisons, time_mask
from theano_rnn.cells import SimpleRNNCell
from theano_rnn.fused.simple_rnn import SimpleRNNBackward, SimpleRNNForward
from theano_rnn.layers import SimpleRNN


class TestSimpleRNNAgainstScan(ScanComparisons):
    """37 units in the thread test: H = 37 columns (U and U^T), a full and
    a partial panel of the packed product."""

    cell_class, layer_class = SimpleRNNCell, SimpleRNN
    ops = (SimpleRNNForward, SimpleRNNBackward)
    # name -> (cell options, Pair options)
    CASES = {
        "rnn": ({}, {}),
        "rnn-masked-dropout-backwards": (
            {}, {"use_mask": True, "use_rmask": True, "go_backwards": True}),
        # without a bias the op gets x and W themselves, not [x, 1], [W; b]
        "rnn-relu-masked-no-bias": ({"activation": "relu", "use_bias": False},
                                    {"use_mask": True}),
    }
    DROPOUT_CASES = ["rnn-masked-dropout-backwards"]


def test_fused_simple_rnn_verify_grad(float64):
    rng = np.random.RandomState(42)
    steps, batch, features, units = 4, 3, 3, 2
    op = SimpleRNNForward(activation="tanh", has_recurrent_mask=True,
                          has_mask=True)
    values = [rng.randn(steps, batch, features), rng.randn(batch, units),
              rng.uniform(-0.8, 0.8, (features, units)),           # W
              rng.randn(units, units), rng.uniform(0.5, 1.5, (batch, units))]
    mask = T.constant(time_mask(steps, batch, rng))
    theano.gradient.verify_grad(lambda *args: op(*(list(args) + [mask])),
                                values, rng=rng, abs_tol=1e-6, rel_tol=1e-6)
