"""Install theano_rnn: ``pip install .`` (add ``[test]`` for the test suite,
``[plot]`` for training-curve PNGs, ``[h5]`` for Keras HDF5 model files,
``[torch]`` for the PyTorch comparison in ``scripts/benchmark.py``, ``[jax]``
for PyTensor's JAX backend, Python 3.12+).

The backend follows the Python version (``python -m theano_rnn`` says which
one an environment got):

* Python 3.8--3.11: theano-pymc 1.1.2, with NumPy < 1.24 (its C code and
  ``np.bool`` break on newer NumPy, and on NumPy 2 altogether);
* Python 3.12 and 3.13: PyTensor (the release tested here) with NumPy 2.

``[pytensor]`` asks for PyTensor on every Python.  On 3.12+ it is already
there; on 3.11 it is PyTensor 3.0.x, which needs NumPy 2 and so cannot share
an environment with theano-pymc's NumPy < 1.24: pip refuses that
combination.  PyTensor on Python 3.11 goes into an environment of its own,
without theano-pymc (README.md, "Set up": ``pip install "pytensor==3.0.7"``,
then ``pip install --no-deps .``).
"""
from setuptools import find_packages, setup

#: Where theano-pymc is the backend (and NumPy 1.x is the world).
THEANO = 'python_version < "3.12"'
#: Where PyTensor is the backend (and NumPy 2 is the world).
PYTENSOR = 'python_version >= "3.12"'


def on(marker, *requirements):
    """The requirements, each with the environment marker ``marker``."""
    return ["%s; %s" % (requirement, marker) for requirement in requirements]


# Optional packages whose releases differ between the two NumPy worlds: the
# older ones are the releases checked with NumPy 1.23.5 on Python 3.11 (wheels,
# no build); the newer ones are built against NumPy 2.
MATPLOTLIB = (on(THEANO, "matplotlib>=3.3,<3.9")
              + on(PYTENSOR, "matplotlib>=3.9"))
H5PY = on(THEANO, "h5py>=3.0,<3.12") + on(PYTENSOR, "h5py>=3.11")

setup(
    name="theano_rnn",
    version="0.1.0",
    description="Recurrent neural networks (SimpleRNN, LSTM, GRU) written "
                "the Theano way, with a Keras-1/2-style API, on theano-pymc "
                "or PyTensor.",
    long_description=open("README.md").read() if __import__("os").path.exists(
        "README.md") else "",
    long_description_content_type="text/markdown",
    packages=find_packages(include=["theano_rnn", "theano_rnn.*"]),
    # The C++ sources of the fused ops, read at run time (fused/sources.py).
    package_data={"theano_rnn.fused": ["csrc/*.h"]},
    # 3.8--3.11 on theano-pymc, 3.12 and 3.13 on PyTensor: the Pythons
    # tested; raise the bound when a newer one is.
    python_requires=">=3.8,<3.14",
    install_requires=(
        on(THEANO,
           "theano-pymc==1.1.2",
           # Theano 1.1.2 uses np.bool (gone in 1.24) and its C code breaks
           # on NumPy 2.
           "numpy>=1.19,<1.24",
           "scipy>=1.5,<1.12",
           # Theano imports pkg_resources, which setuptools 81 removed.
           "setuptools<81")
        + on(PYTENSOR,
             # The release the suite runs on (.ci/run); its default linker
             # is Numba, which it brings along.
             "pytensor==3.3.8",
             "numpy>=2.0",
             "scipy>=1.13")),
    extras_require={
        # The tests draw the scripts' plots too (and read Keras .h5 files);
        # a test hides matplotlib to check that the scripts do without it.
        # pytest-xdist runs the suite on both cores (README's command).
        "test": ["pytest>=7", "pytest-xdist>=3", "hypothesis>=6"]
                + MATPLOTLIB + H5PY,
        "plot": MATPLOTLIB,
        # Keras .h5 model files (theano_rnn.hdf5).
        "h5": H5PY,
        "torch": ["torch"],
        # PyTensor where theano-pymc is the default (Python 3.11): PyTensor
        # 3.0.x, the line for 3.11, needs NumPy 2, so only in an environment
        # without theano-pymc (see the module docstring).
        "pytensor": on(THEANO, "pytensor==3.0.7", "numpy>=2.0"),
        # PyTensor's JAX backend (compile(..., mode="JAX")); JAX needs
        # NumPy 2, so PyTensor's side only.  0.12.0.1 is the release tested.
        "jax": on(PYTENSOR, "jax>=0.12"),
    },
    classifiers=[
        "Programming Language :: Python :: 3",
        "Programming Language :: Python :: 3.11",
        "Programming Language :: Python :: 3.12",
        "Programming Language :: Python :: 3.13",
        "Topic :: Scientific/Engineering :: Artificial Intelligence",
    ],
)
