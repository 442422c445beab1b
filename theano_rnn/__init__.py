"""theano_rnn: recurrent neural networks written the Theano way.

Importing the package configures Theano first (see :mod:`theano_rnn.runtime`).
"""
from . import runtime  # must run before Theano is imported

runtime.version_cache_keys()

__version__ = "0.1.0"
