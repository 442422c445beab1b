"""Turning raw data into arrays a network can take (pure NumPy, no Theano).

* :mod:`theano_rnn.preprocessing.sequence` -- :func:`pad_sequences`, which
  makes a rectangular batch out of sequences of different lengths.
* :mod:`theano_rnn.preprocessing.text` -- splitting text into words and
  mapping words to integer indices (:class:`Tokenizer`).
"""
from .sequence import pad_sequences
from .text import Tokenizer, clean_review, text_to_word_sequence

__all__ = ["pad_sequences", "Tokenizer", "clean_review",
           "text_to_word_sequence"]
