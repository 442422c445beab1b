"""Padding variable-length sequences into one array, as Keras 2 does.

A recurrent network in Theano consumes a batch as one tensor of shape
``(batch, time, ...)``, so sequences of different lengths are cut to a common
length (``truncating``) and filled up with a constant (``padding``).
"""
import numbers

import numpy as np

_SIDES = ("pre", "post")


def pad_sequences(sequences, maxlen=None, dtype="int32", padding="pre",
                  truncating="pre", value=0.):
    """Pad (and cut) sequences to the same length.

    Parameters
    ----------
    sequences : iterable of sequences
        Each sequence is a list (or array) of scalars, or of equally shaped
        items such as feature vectors.  Empty sequences are allowed and give
        a row made only of padding.
    maxlen : int or None
        Length of the output sequences; ``None`` means the length of the
        longest sequence (0 when ``sequences`` is empty).
    dtype : str or numpy dtype
        Type of the output array.
    padding : {'pre', 'post'}
        Pad before (``'pre'``) or after (``'post'``) each sequence.
    truncating : {'pre', 'post'}
        For sequences longer than ``maxlen``, drop values from the start
        (``'pre'``, keeping the last ``maxlen`` items) or from the end
        (``'post'``).
    value : scalar
        The padding value.

    Returns
    -------
    numpy.ndarray
        Shape ``(len(sequences), maxlen) + item_shape`` where ``item_shape``
        is the shape of one item (``()`` for scalars, ``(d,)`` for vectors).

    Raises
    ------
    ValueError
        If ``padding`` or ``truncating`` is not ``'pre'``/``'post'``,
        ``maxlen`` is not a positive int or None, ``sequences`` (or one of
        its elements) is not iterable, or the items of one sequence do not
        have the shape of the items of the first non-empty sequence.

    Examples
    --------
    >>> pad_sequences([[1, 2, 3], [4]], maxlen=2)
    array([[2, 3],
           [0, 4]], dtype=int32)
    """
    for name, side in (("padding", padding), ("truncating", truncating)):
        if side not in _SIDES:
            raise ValueError("`%s` must be 'pre' or 'post', got %r"
                             % (name, side))
    if maxlen is not None and (isinstance(maxlen, bool)
                               or not isinstance(maxlen, numbers.Integral)
                               or maxlen <= 0):
        raise ValueError("`maxlen` must be a positive int or None, got %r"
                         % (maxlen,))
    arrays = _as_arrays(sequences)
    item_shape = next((a.shape[1:] for a in arrays if len(a)), ())
    if maxlen is None:
        maxlen = max((len(a) for a in arrays), default=0)

    out = np.full((len(arrays), maxlen) + item_shape, value, dtype=dtype)
    for row, seq in enumerate(arrays):
        if not len(seq):
            continue
        if seq.shape[1:] != item_shape:
            raise ValueError(
                "`sequences` item shapes differ: sequence %d has items of "
                "shape %s, expected %s like the first non-empty sequence"
                % (row, seq.shape[1:], item_shape))
        seq = seq[-maxlen:] if truncating == "pre" else seq[:maxlen]
        if padding == "pre":
            out[row, maxlen - len(seq):] = seq
        else:
            out[row, :len(seq)] = seq
    return out


def _as_arrays(sequences):
    """Convert each sequence to an array, checking that it is one."""
    try:
        sequences = list(sequences)
    except TypeError:
        raise ValueError("`sequences` must be an iterable of sequences, got "
                         "%r" % (sequences,)) from None
    arrays = []
    for row, seq in enumerate(sequences):
        arr = np.asarray(seq)
        if arr.ndim == 0:
            raise ValueError("`sequences` must be an iterable of sequences: "
                             "element %d is not a sequence: %r" % (row, seq))
        arrays.append(arr)
    return arrays
