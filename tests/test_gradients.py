"""``T.grad`` through ``scan`` against central finite differences (float64)."""
import numpy as np
import pytest
from theano_rnn.runtime import theano, T

from theano_rnn.layers import GRU, LSTM, SimpleRNN

CASES = [
    ("SimpleRNN", SimpleRNN, {}),
    ("LSTM", LSTM, {}),
    ("LSTM-sigmoid", LSTM, {"recurrent_activation": "sigmoid"}),
    ("GRU", GRU, {}),
    ("GRU-reset_after", GRU, {"reset_after": True,
                              "recurrent_activation": "sigmoid"}),
]


def finite_difference(f, array, index, eps=1e-6):
    """Central difference of the scalar ``f()`` in ``array[index]``."""
    old = array[index]
    array[index] = old + eps
    up = f()
    array[index] = old - eps
    down = f()
    array[index] = old
    return (up - down) / (2 * eps)


@pytest.mark.parametrize("masked", [False, True], ids=["unmasked", "masked"])
@pytest.mark.parametrize("name,cls,options", CASES, ids=[c[0] for c in CASES])
def test_scan_gradient_matches_finite_differences(float64, rng, name, cls,
                                                  options, masked):
    layer = cls(3, return_sequences=True, **options)
    layer.build((None, 5, 2))
    weights = [rng.uniform(-0.6, 0.6, w.shape) for w in layer.get_weights()]
    layer.set_weights(weights)
    x_sym, m_sym = T.tensor3("x"), T.matrix("m")
    # A fixed random projection of every output makes the loss depend on
    # every step, gate and unit.
    projection = rng.randn(4, 5, 3)
    loss = (layer.call(x_sym, mask=m_sym) * projection).sum()
    grads = theano.function([x_sym, m_sym],
                            T.grad(loss, [x_sym] + layer.weights))
    forward = theano.function([x_sym, m_sym], loss)
    x = rng.randn(4, 5, 2)
    mask = np.ones((4, 5))
    if masked:
        mask[0, :2] = 0   # left padding
        mask[1, 3:] = 0   # right padding
        mask[2, 2] = 0    # a hole
    symbolic = grads(x, mask)

    def loss_value():
        layer.set_weights(weights)
        return forward(x, mask)

    for array, grad in zip([x] + weights, symbolic):
        flat_indices = rng.choice(array.size, size=min(array.size, 12),
                                  replace=False)
        for flat in flat_indices:
            index = np.unravel_index(flat, array.shape)
            numeric = finite_difference(loss_value, array, index)
            assert abs(grad[index] - numeric) <= 1e-6 + 1e-5 * abs(numeric), \
                (name, index, grad[index], numeric)
    if masked:  # padded inputs cannot influence anything
        assert np.all(symbolic[0][0, :2] == 0) and np.all(symbolic[0][1, 3:] == 0)
