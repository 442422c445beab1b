"""Install theano_rnn: ``pip install .`` (add ``[test]`` for the test suite,
``[plot]`` for training-curve PNGs, ``[h5]`` for Keras HDF5 model files,
``[torch]`` for the PyTorch comparison in
``scripts/benchmark.py``)."""
from setuptools import find_packages, setup

setup(
    name="theano_rnn",
    version="0.1.0",
    description="Recurrent neural networks (SimpleRNN, LSTM, GRU) written "
                "the Theano way, with a Keras-1/2-style API.",
    long_description=open("README.md").read() if __import__("os").path.exists(
        "README.md") else "",
    long_description_content_type="text/markdown",
    packages=find_packages(include=["theano_rnn", "theano_rnn.*"]),
    # The C++ sources of the fused ops, read at run time (fused/sources.py).
    package_data={"theano_rnn.fused": ["csrc/*.h"]},
    python_requires=">=3.8,<3.12",
    install_requires=[
        "theano-pymc==1.1.2",
        # Theano 1.1.2 uses np.bool (gone in 1.24) and its C code breaks
        # on NumPy 2.
        "numpy>=1.19,<1.24",
        "scipy>=1.5,<1.12",
        # Theano imports pkg_resources, which setuptools 81 removed.
        "setuptools<81",
    ],
    extras_require={
        # The tests draw the scripts' plots too (and read Keras .h5 files);
        # a test hides matplotlib to check that the scripts do without it.
        # pytest-xdist runs the suite on both cores (README's command).
        "test": ["pytest>=7", "pytest-xdist>=3", "hypothesis>=6",
                 "matplotlib>=3.3,<3.9", "h5py>=3.0,<3.12"],
        "plot": ["matplotlib>=3.3,<3.9"],
        "torch": ["torch"],
        # Keras .h5 model files (theano_rnn.hdf5): h5py 3.11.0 is the
        # release checked with NumPy 1.23.5 on Python 3.11 (wheel, no build).
        "h5": ["h5py>=3.0,<3.12"],
    },
    classifiers=[
        "Programming Language :: Python :: 3",
        "Topic :: Scientific/Engineering :: Artificial Intelligence",
    ],
)
