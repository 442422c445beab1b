"""Utilities of Keras's ``keras.utils``: :func:`to_categorical` and the other
NumPy helpers (:mod:`.np_utils`), :func:`get_file` (downloads into the cache
folder, :mod:`.data_utils`), :class:`Progbar`, and the name lookups the
object modules share (:mod:`.generic_utils`).

Nothing here imports Theano's graph code; ``data_utils`` is plain Python.
"""
from .generic_utils import (CustomObjectScope, custom_object_scope,
                            get_custom_objects)
from .np_utils import normalize, to_categorical

__all__ = ["to_categorical", "normalize", "CustomObjectScope",
           "custom_object_scope", "get_custom_objects"]
