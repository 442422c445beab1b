"""A model file saved on one backend loads on the other and predicts the
same to float32 precision (issue 15).

``tests/data/cross_backend_<backend>.npz`` were written by
``python tests/test_cross_backend.py`` on theano-pymc and on PyTensor
(``THEANO_RNN_BACKEND=pytensor``): a briefly trained, compiled model whose
metadata holds an input batch and the predictions the saving backend made
for it.  Both files are checked on whichever backend runs the tests, so
each backend reads its own file and the other's.  (No dropout in them: an
MRG stream's state is 15360 x 6 integers; the dropout states are checked
with a file relabelled as the other backend's.)
"""
import os

import numpy as np
import pytest

from theano_rnn import optimizers, runtime
from theano_rnn.layers import GRU, LSTM, Dense, Dropout
from theano_rnn.models import Sequential, load_model
from theano_rnn.saving import MODEL_FORMAT, read_file, write_file

DATA = os.path.join(os.path.dirname(__file__), "data")


def fixture_path(backend):
    return os.path.join(DATA, "cross_backend_%s.npz" % backend)


def make_fixture():
    """Write this backend's fixture file (run by hand, see the docstring)."""
    np.random.seed(0)
    rng = np.random.RandomState(0)
    x = rng.uniform(-1, 1, (16, 5, 3)).astype("float32")
    y = (x[:, 0, 0] * x[:, -1, 1] > 0).astype("float32")
    model = Sequential([LSTM(6, input_shape=(5, 3), return_sequences=True),
                        GRU(4), Dense(1, activation="sigmoid")], seed=1)
    model.compile(optimizers.Adam(lr=0.01), "binary_crossentropy",
                  metrics=["acc"])
    model.fit(x, y, batch_size=8, epochs=2, verbose=0)
    probe = x[:4]
    metadata = {"x": probe.tolist(),
                "predictions": model.predict(probe).tolist()}
    model.save(fixture_path(runtime.BACKEND), metadata=metadata)


@pytest.mark.parametrize("backend", ["theano", "pytensor"])
def test_model_saved_on_either_backend_predicts_the_same_here(backend):
    model = load_model(fixture_path(backend))
    x = np.asarray(model.metadata["x"], dtype="float32")
    expected = np.asarray(model.metadata["predictions"])
    np.testing.assert_allclose(model.predict(x), expected, rtol=1e-5,
                               atol=1e-6)
    assert model.metrics_names == ["loss", "acc"]


@pytest.mark.parametrize("backend", ["theano", "pytensor"])
def test_model_saved_on_either_backend_trains_on_here(backend):
    """Compiled as saved, the optimizer state included."""
    header, groups = read_file(fixture_path(backend), MODEL_FORMAT)
    assert header["backend"] == backend
    model = load_model(fixture_path(backend))
    for saved, loaded in zip(groups["optimizer"],
                             model.optimizer.get_weights()):
        np.testing.assert_array_equal(saved, loaded)
    x = np.asarray(model.metadata["x"], dtype="float32")
    before = model.get_weights()
    loss, _ = model.train_on_batch(x, np.ones((len(x), 1)))
    assert np.isfinite(loss)
    assert not np.allclose(model.get_weights()[0], before[0])


def test_dropout_states_saved_on_the_other_backend_are_left_out(tmp_path):
    """The dropout streams' states (MRG31k3p on Theano, PCG64 on PyTensor)
    mean nothing to the other backend: they are not applied, and training
    goes on with the streams the model was rebuilt with."""
    np.random.seed(0)
    model = Sequential([LSTM(3, input_shape=(4, 2), dropout=0.5, seed=5),
                        Dropout(0.5, seed=6), Dense(1)])
    model.compile("sgd", "mse")
    path = str(tmp_path / "model.npz")
    model.save(path)
    header, groups = read_file(path, MODEL_FORMAT)
    assert len(groups["dropout_rng"]) == 2
    other = {"theano": "pytensor", "pytensor": "theano"}[runtime.BACKEND]
    header = dict(header, backend=other)
    groups["dropout_rng"] = [np.zeros(3, dtype="int32")] * 2
    write_file(path, MODEL_FORMAT, header, groups)
    loaded = load_model(path)
    x = np.random.RandomState(1).uniform(size=(6, 4, 2))
    np.testing.assert_array_equal(loaded.predict(x), model.predict(x))
    assert np.isfinite(loaded.train_on_batch(x, np.zeros((6, 1))))
    # The same file labelled as this backend's is refused, naming the state.
    header = dict(header, backend=runtime.BACKEND)
    write_file(path, MODEL_FORMAT, header, groups)
    with pytest.raises(ValueError, match="dropout RNG state"):
        load_model(path)


if __name__ == "__main__":
    make_fixture()
    print("wrote", fixture_path(runtime.BACKEND))
