"""The packed product and the thread split of :mod:`theano_rnn.fused.packed`
with another register block than this machine's.

The block has ``FUSED_MR`` rows: 8 with AVX-512, 4 otherwise, so a machine
only ever runs one of them.  Compiled with ``-DFUSED_MR=3`` (in a fresh
process in the suite's compile mode that adds it to the fused ops' compile
arguments, so that their modules get cache keys of their own while the scan
path's and every other op's modules are the ones the rest of the suite
compiles), the fused cells
must still compute what their scan path computes: 20 rows on 2 threads are
10 per thread, three blocks of 3 rows and one single row.  The LSTM (two
products per step, one accumulating, and U^T backwards) and the GRU (its U
in two packed parts, products written into column slices) between them use
every path of the product; the SimpleRNN and the reset_after GRU add only
compile time.
"""
import os
import subprocess
import sys

import compile_mode

PROBE = """
import numpy as np
from theano_rnn.runtime import T, theano
from theano_rnn.fused._base import FusedRecurrenceOp
from theano_rnn.layers import GRU, LSTM

compile_args = FusedRecurrenceOp.c_compile_args
FusedRecurrenceOp.c_compile_args = (
    lambda self, **kwargs: compile_args(self, **kwargs) + ["-DFUSED_MR=3"])

rng = np.random.RandomState(0)
x_value = rng.randn(20, 6, 5)
mask_value = np.ones((20, 6))
mask_value[0, :2] = 0                   # left padding
mask_value[1, 4:] = 0                   # right padding
layers = [(LSTM, {}), (GRU, {})]
with theano.config.change_flags(floatX="float64"):
    for layer_class, options in layers:
        results = []
        for implementation in ("fused", "scan"):
            layer = layer_class(7, return_sequences=True, dropout=0.3,
                                recurrent_dropout=0.3, seed=5,
                                implementation=implementation, **options)
            layer.build((None, 6, 5))
            layer.set_weights([np.random.RandomState(1).uniform(-0.6, 0.6,
                                                                w.shape)
                               for w in layer.get_weights()])
            x, mask = T.tensor3("x"), T.matrix("mask")
            out = layer.call(x, mask=mask, training=True)
            f = theano.function([x, mask], [out] + T.grad(
                (out ** 2).sum(), [x] + layer.weights))
            results.append(f(x_value, mask_value))
        for fused, scan in zip(*results):
            np.testing.assert_allclose(fused, scan, rtol=1e-10, atol=1e-12,
                                       err_msg=layer_class.__name__)
print("ok")
"""


def test_fused_cells_with_blocks_of_three_rows_equal_scan():
    env = dict(os.environ, OPENBLAS_NUM_THREADS="2")
    process = subprocess.run([sys.executable, "-c",
                              compile_mode.CHILD_SETUP + PROBE], env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             universal_newlines=True, timeout=900)
    assert process.returncode == 0, process.stderr[-3000:]
    assert process.stdout.strip().endswith("ok")
