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


# --- Keras's custom objects scope (k13: RNN(cell) configs with user cells) ---
_GLOBAL_CUSTOM_OBJECTS = {}


def get_custom_objects():
    """Keras's global ``{name: class or function}`` that deserialisation
    consults besides its own tables (filled by :class:`CustomObjectScope`,
    or directly)."""
    return _GLOBAL_CUSTOM_OBJECTS


class CustomObjectScope(object):
    """``with CustomObjectScope({'MyCell': MyCell}): layer =
    RNN.from_config(config)``: the names are known to deserialisation inside
    the block, and forgotten after it (Keras 2's scope)."""

    def __init__(self, *scopes):
        self.custom_objects = scopes
        self.backup = None

    def __enter__(self):
        self.backup = dict(_GLOBAL_CUSTOM_OBJECTS)
        for objects in self.custom_objects:
            _GLOBAL_CUSTOM_OBJECTS.update(objects)
        return self

    def __exit__(self, *exc):
        _GLOBAL_CUSTOM_OBJECTS.clear()
        _GLOBAL_CUSTOM_OBJECTS.update(self.backup)
        return False


def custom_object_scope(*scopes):
    """Keras's ``custom_object_scope``: a :class:`CustomObjectScope`."""
    return CustomObjectScope(*scopes)
