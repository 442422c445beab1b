"""Looking objects up by name, Keras's way: the ``get``/``serialize``/
``deserialize`` triple of :mod:`theano_rnn.regularizers`,
:mod:`theano_rnn.constraints` and :mod:`theano_rnn.initializers`.

A configurable object serialises to Keras's ``{'class_name': ...,
'config': obj.get_config()}``; a name or such a dict deserialises through a
table ``{name: class or factory}`` (and ``custom_objects``).

Also :func:`slice_arrays`, the helper Keras scripts borrowed from Keras
(Keras 1's ``keras.engine.training.slice_X``).
"""


def serialize_object(obj, base, kind):
    """``None`` as is; an instance of ``base`` as Keras's dict."""
    if obj is None:
        return None
    if not isinstance(obj, base):
        raise ValueError("cannot serialize the custom %s %r" % (kind, obj))
    return {"class_name": type(obj).__name__, "config": obj.get_config()}


def deserialize_object(config, table, kind, argument, custom_objects=None,
                       expected="a callable"):
    """Build the object a name or a ``{'class_name', 'config'}`` dict
    describes, from ``custom_objects`` or ``table``.

    Raises ``ValueError`` naming ``argument`` and the unknown name (with the
    known ones), or the configuration the class refused.
    """
    if isinstance(config, dict):
        name, options = config.get("class_name"), config.get("config") or {}
    else:
        name, options = config, {}
    custom_objects = custom_objects or {}
    found = custom_objects.get(name) or table.get(name)
    if found is None:
        raise ValueError("%s: unknown %s %r; expected one of %s or %s"
                         % (argument, kind, name, ", ".join(sorted(table)),
                            expected))
    try:
        return found(**options)
    except TypeError as err:
        raise ValueError("%s: bad configuration %r for %s %s (%s)"
                         % (argument, options, kind, name, err))


def get_object(identifier, deserialize, kind, argument):
    """``None``, a name, a config dict or a callable -> the object (or
    ``None``)."""
    if identifier is None:
        return None
    if isinstance(identifier, (str, dict)):
        return deserialize(identifier, argument=argument)
    if callable(identifier):
        return identifier
    raise ValueError("%s: could not interpret %s %r" % (argument, kind,
                                                        identifier))


def slice_arrays(arrays, start=None, stop=None):
    """``arrays[start:stop]``, or ``arrays[start]`` when ``start`` is a
    list or array of indices; applied to each array of a list.  Keras 2's
    ``slice_arrays``, Keras 1's ``slice_X``."""
    def take(array):
        if hasattr(start, "__len__"):
            return array[list(start) if not hasattr(start, "shape")
                         else start]
        return array[start:stop]
    if isinstance(arrays, list):
        return [None if a is None else take(a) for a in arrays]
    return take(arrays)
