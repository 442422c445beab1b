"""Splitting text into words and numbering the words, as Keras does.

The IMDB loader (:mod:`theano_rnn.datasets.imdb`) tokenises a review with
``text_to_word_sequence(clean_review(text))``.
"""
import numbers
import re

#: Characters that :func:`text_to_word_sequence` treats as separators.
DEFAULT_FILTERS = '!"#$%&()*+,-./:;<=>?@[\\]^_`{|}~\t\n'

_LINE_BREAK = re.compile(r"<br\s*/?>", re.IGNORECASE)


def text_to_word_sequence(text, filters=DEFAULT_FILTERS, lower=True,
                          split=" "):
    """Split a text into a list of words.

    Every character of ``filters`` is replaced by ``split``, the text is
    split on ``split`` and empty strings are dropped.  Apostrophes are not
    filtered, so ``"don't"`` stays one word.

    Parameters
    ----------
    text : str
    filters : str
        Characters to remove (punctuation, tabs and newlines by default).
    lower : bool
        Lower-case the text first.
    split : str
        The word separator.

    Returns
    -------
    list of str

    Examples
    --------
    >>> text_to_word_sequence("Hello, World!  It's me.")
    ['hello', 'world', "it's", 'me']
    """
    if lower:
        text = text.lower()
    text = text.translate(str.maketrans({c: split for c in filters}))
    return [word for word in text.split(split) if word]


def clean_review(text):
    """Replace the HTML line breaks (``<br />``) of IMDB reviews by spaces.

    Without this step ``"end.<br /><br />Next"`` would yield the words
    ``'br'`` -- the most frequent "word" of the raw corpus.

    Examples
    --------
    >>> clean_review("Good.<br /><br />Bad.")
    'Good.  Bad.'
    """
    return _LINE_BREAK.sub(" ", text)


class Tokenizer(object):
    """Number the words of a corpus by frequency (Keras ``Tokenizer``).

    Parameters
    ----------
    num_words : int or None
        When converting texts, keep only words whose index is below
        ``num_words`` (that is the ``num_words - 1`` most frequent words,
        index 0 being reserved).  ``None`` keeps every word.
    filters, lower, split
        Passed to :func:`text_to_word_sequence`.
    oov_token : str or None
        If given, it gets index 1 and replaces, in
        :meth:`texts_to_sequences`, every word that is unknown or cut by
        ``num_words``; otherwise such words are dropped.

    Attributes
    ----------
    word_counts : dict
        Word -> number of occurrences, in order of first occurrence.
    word_index : dict
        Word -> index: 1 for the most frequent word, 2 for the next...;
        words with equal counts keep their order of first occurrence.
        Indices do not depend on ``num_words``.
    """

    def __init__(self, num_words=None, filters=DEFAULT_FILTERS, lower=True,
                 split=" ", oov_token=None):
        if num_words is not None and (
                not isinstance(num_words, numbers.Integral) or num_words <= 0):
            raise ValueError("`num_words` must be a positive int or None, "
                             "got %r" % (num_words,))
        self.num_words = num_words
        self.filters = filters
        self.lower = lower
        self.split = split
        self.oov_token = oov_token
        self.word_counts = {}
        self.word_index = {}

    def _words(self, text):
        return text_to_word_sequence(text, self.filters, self.lower,
                                     self.split)

    def fit_on_texts(self, texts):
        """Count the words of ``texts`` (adding to earlier calls) and
        rebuild :attr:`word_index`."""
        for text in texts:
            for word in self._words(text):
                self.word_counts[word] = self.word_counts.get(word, 0) + 1
        # sorted() is stable, so equal counts keep first-occurrence order.
        ranked = sorted(self.word_counts, key=self.word_counts.get,
                        reverse=True)
        if self.oov_token is not None:
            ranked = [self.oov_token] + [w for w in ranked
                                         if w != self.oov_token]
        self.word_index = {word: i for i, word in enumerate(ranked, 1)}

    def texts_to_sequences(self, texts):
        """Convert each text to the list of its word indices.

        Returns
        -------
        list of list of int
        """
        oov_index = self.word_index.get(self.oov_token)
        limit = self.num_words or float("inf")
        sequences = []
        for text in texts:
            seq = []
            for word in self._words(text):
                index = self.word_index.get(word)
                if index is None or index >= limit:
                    index = oov_index
                if index is not None:
                    seq.append(index)
            sequences.append(seq)
        return sequences
