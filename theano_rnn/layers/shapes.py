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


def first_mask(mask):
    """The first input's mask: masks are never lists themselves, so a list
    (even ``[None, None]``) is one mask per input."""
    return mask[0] if isinstance(mask, (list, tuple)) else mask


def shape_str(shape):
    """``(None, 5, 2)`` -> ``'(None, 5, 2)'``; lists become tuples."""
    return str(tuple(shape)) if shape is not None else "None"


def check_rank(layer, input_shape, ndim=None, min_ndim=None,
               what="inputs"):
    """Raise ``ValueError`` naming ``layer`` unless ``input_shape`` is a
    single shape of rank ``ndim`` (or at least ``min_ndim``); returns it as a
    tuple."""
    if as_list(input_shape) is not None or input_shape is None:
        raise ValueError("layer %r expects a single input, got %s"
                         % (layer.name, _describe(input_shape)))
    shape = tuple(input_shape)
    if ndim is not None and len(shape) != ndim:
        raise ValueError("layer %r expects %s of rank %d, got shape %s "
                         "(rank %d)" % (layer.name, what, ndim,
                                        shape_str(shape), len(shape)))
    if min_ndim is not None and len(shape) < min_ndim:
        raise ValueError("layer %r expects %s of rank %d or more, got "
                         "shape %s (rank %d)" % (layer.name, what, min_ndim,
                                                 shape_str(shape), len(shape)))
    return shape


def _describe(value):
    items = as_list(value)
    if items is None:
        return repr(value)
    return "a list of %d: %s" % (len(items), ", ".join(
        shape_str(v) if isinstance(v, (list, tuple)) else repr(v)
        for v in items))


def no_mask(self, inputs, mask=None):
    """``compute_mask`` of a layer whose output carries no mask (Keras's
    default for layers without ``supports_masking``)."""
    return None


def refuse_penalties(layer, kwargs, names):
    """Drop Keras's regularizer / constraint arguments ``names`` from
    ``kwargs`` when ``None`` (as Keras's saved configs hold them); any other
    value is a ``ValueError``: this layer does not apply them yet."""
    for name in names:
        if kwargs.pop(name, None) is not None:
            raise ValueError("%s: %s is not supported by this layer yet "
                             "(only None)" % (type(layer).__name__, name))
