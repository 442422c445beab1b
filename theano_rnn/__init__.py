"""theano_rnn: recurrent neural networks written the Theano way.

Importing the package picks and configures the backend, theano-pymc or
PyTensor, first (see :mod:`theano_rnn.runtime`).
"""
from . import runtime  # noqa: F401  (must run before Theano is imported)

__version__ = "0.1.0"
