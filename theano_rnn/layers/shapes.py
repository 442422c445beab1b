"""Helpers for layers with several inputs: lists of tensors, of shapes and
of masks, as the layer protocol passes them (see :mod:`.base`)."""


def as_list(value):
    """``value`` as a list when it is a list of tensors / masks / shapes,
    otherwise ``None``.

    A single shape is itself a tuple or list of ints, so a sequence counts as
    a list of inputs only when it is empty or its entries are sequences,
    tensors or ``None`` (a missing mask), never ints.
    """
    if not isinstance(value, (list, tuple)):
        return None
    if value and all(v is None or (isinstance(v, int) and
                                   not isinstance(v, bool))
                     for v in value):
        return None                      # a single shape like (None, 5, 2)
    return list(value)


def first(value):
    """The first input's entry of ``value`` (a single entry stays as is)."""
    items = as_list(value)
    return value if items is None else items[0]


def shape_str(shape):
    """``(None, 5, 2)`` -> ``'(None, 5, 2)'``; lists become tuples."""
    return str(tuple(shape)) if shape is not None else "None"
