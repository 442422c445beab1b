"""``import keras`` resolving to theano_rnn.

Importing this module (or calling :func:`install`) puts a finder in front
of ``sys.meta_path`` so that ``import keras``, ``from keras.layers import
LSTM``, ``from keras import backend as K`` and the Keras 1 module paths
(``keras.layers.recurrent``, ``keras.initializations``,
``keras.objectives``, ``keras.utils.np_utils``...) give theano_rnn's
objects -- even where a real Keras is installed.  ``python -m
theano_rnn.keras SCRIPT.py`` runs a script this way.

Every ``keras.X`` module is a thin module whose names are looked up *when
they are used*, in the theano_rnn modules of :data:`MODULES`; so names that
theano_rnn gains later (new layers) resolve without changing this table.
Keras's other spellings of a name are in :data:`ALIASES`.

What theano_rnn does not implement fails where it is named, with a message
naming the Keras feature: ``import keras.applications`` raises
``ModuleNotFoundError: keras.applications is not implemented by
theano_rnn``; ``from keras.layers import Conv2D`` raises ``ImportError:
keras.layers.Conv2D is not implemented by theano_rnn`` (and
``keras.layers.Conv2D`` an ``AttributeError`` with that message).
"""
import dis
import importlib
import importlib.abc
import importlib.machinery
import sys
import types

#: Keras's version whose API the alias follows.
KERAS_VERSION = "2.3.1"

_LAYERS = ("theano_rnn.layers",)
_ENGINE = ("theano_rnn.layers", "theano_rnn.models",
           "theano_rnn.utils.generic_utils")

#: keras module -> the theano_rnn modules its names come from, in order.
MODULES = {
    # Keras 2's top level: Input, Model, Sequential (and __version__)
    "keras": ("theano_rnn", "theano_rnn.models"),
    "keras.models": ("theano_rnn.models",),
    "keras.layers": _LAYERS,
    "keras.layers.core": _LAYERS,
    "keras.layers.recurrent": _LAYERS,
    "keras.layers.embeddings": _LAYERS,
    "keras.layers.wrappers": _LAYERS,
    "keras.layers.convolutional": _LAYERS,
    "keras.layers.convolutional_recurrent": _LAYERS,
    "keras.layers.pooling": _LAYERS,
    "keras.layers.normalization": _LAYERS,
    "keras.layers.merge": _LAYERS,
    "keras.layers.noise": _LAYERS,
    "keras.layers.advanced_activations": _LAYERS,
    "keras.engine": _ENGINE,
    "keras.engine.topology": _ENGINE,
    "keras.engine.training": _ENGINE,
    "keras.engine.base_layer": _ENGINE,
    "keras.engine.input_layer": _ENGINE,
    "keras.engine.sequential": _ENGINE,
    "keras.backend": ("theano_rnn.backend",),
    "keras.optimizers": ("theano_rnn.optimizers",),
    "keras.callbacks": ("theano_rnn.callbacks",),
    "keras.initializers": ("theano_rnn.initializers",),
    "keras.initializations": ("theano_rnn.initializers",),
    "keras.regularizers": ("theano_rnn.regularizers",),
    "keras.constraints": ("theano_rnn.constraints",),
    "keras.losses": ("theano_rnn.losses",),
    "keras.objectives": ("theano_rnn.losses",),
    "keras.metrics": ("theano_rnn.metrics",),
    "keras.activations": ("theano_rnn.activations",),
    "keras.preprocessing": ("theano_rnn.preprocessing",),
    "keras.preprocessing.sequence": ("theano_rnn.preprocessing.sequence",),
    "keras.preprocessing.text": ("theano_rnn.preprocessing.text",),
    "keras.datasets": ("theano_rnn.datasets",),
    "keras.datasets.imdb": ("theano_rnn.datasets.imdb",),
    "keras.datasets.mnist": ("theano_rnn.datasets.mnist",),
    "keras.datasets.reuters": ("theano_rnn.datasets.reuters",),
    "keras.utils": ("theano_rnn.utils", "theano_rnn.utils.data_utils",
                    "theano_rnn.utils.np_utils", "theano_rnn.callbacks"),
    "keras.utils.np_utils": ("theano_rnn.utils.np_utils",),
    "keras.utils.data_utils": ("theano_rnn.utils.data_utils",),
    "keras.utils.generic_utils": ("theano_rnn.utils.generic_utils",
                                  "theano_rnn.callbacks"),
}

#: Keras's other names for theano_rnn objects: {keras module prefix:
#: {keras name: theano_rnn name}}; a prefix covers its submodules.
ALIASES = {
    "keras.layers": {"Convolution1D": "Conv1D", "MaxPool1D": "MaxPooling1D",
                     "AvgPool1D": "AveragePooling1D",
                     "GlobalMaxPool1D": "GlobalMaxPooling1D",
                     "GlobalAvgPool1D": "GlobalAveragePooling1D",
                     "Recurrent": "RNN"},
    "keras.engine": {"Recurrent": "RNN", "slice_X": "slice_arrays"},
}

_IMPORT_FROM = dis.opmap.get("IMPORT_FROM")


def _message(module, name):
    return "%s.%s is not implemented by theano_rnn" % (module, name)


class KerasFeatureNotImplemented(AttributeError):
    """A Keras name theano_rnn does not provide (an ``AttributeError``, so
    ``hasattr`` and ``getattr(..., default)`` work)."""


class KerasImportNotImplemented(ImportError):
    """The same, raised by ``from keras.X import Name`` (Python would turn
    an ``AttributeError`` there into its own message without the Keras
    feature's name)."""


def _aliases(module):
    found = {}
    for prefix, table in ALIASES.items():
        if module == prefix or module.startswith(prefix + "."):
            found.update(table)
    return found


def _in_from_import():
    """Whether the attribute is being read by a ``from ... import``."""
    try:
        frame = sys._getframe(2)
        return frame.f_code.co_code[frame.f_lasti] == _IMPORT_FROM
    except (AttributeError, IndexError, ValueError):
        return False


class KerasModule(types.ModuleType):
    """A ``keras.X`` module whose names come from theano_rnn modules, looked
    up on each access."""

    def __init__(self, name, sources):
        super(KerasModule, self).__init__(name, "theano_rnn's %s" % name)
        self.__dict__["_sources"] = tuple(sources)

    def _resolve(self, name):
        if self.__name__ == "keras" and name == "__version__":
            return KERAS_VERSION
        child = "%s.%s" % (self.__name__, name)
        if child in MODULES:
            return importlib.import_module(child)
        target = _aliases(self.__name__).get(name, name)
        for source in self._sources:
            module = importlib.import_module(source)
            if target in getattr(module, "__dict__", {}):
                return module.__dict__[target]
            try:
                return getattr(module, target)
            except AttributeError:
                continue
        raise LookupError(name)

    def __getattr__(self, name):
        if name.startswith("__") and name != "__version__":
            raise AttributeError(name)
        try:
            return self._resolve(name)
        except LookupError:
            pass
        if _in_from_import():
            raise KerasImportNotImplemented(_message(self.__name__, name),
                                            name=self.__name__)
        raise KerasFeatureNotImplemented(_message(self.__name__, name))

    def __dir__(self):
        names = set(super(KerasModule, self).__dir__())
        for source in self._sources:
            module = importlib.import_module(source)
            names.update(n for n in dir(module) if not n.startswith("_"))
        return sorted(names)


class _Loader(importlib.abc.Loader):
    def create_module(self, spec):
        return KerasModule(spec.name, MODULES[spec.name])

    def exec_module(self, module):
        if module.__name__ in _PACKAGES:
            module.__path__ = []


#: keras modules that have submodules (so they are packages).
_PACKAGES = {name.rsplit(".", 1)[0] for name in MODULES if "." in name}


class KerasAliasFinder(importlib.abc.MetaPathFinder):
    """Finds ``keras`` and ``keras.*`` in theano_rnn."""

    def find_spec(self, fullname, path=None, target=None):
        if fullname != "keras" and not fullname.startswith("keras."):
            return None
        if fullname not in MODULES:
            raise ModuleNotFoundError(
                "%s is not implemented by theano_rnn (see "
                "theano_rnn.keras_alias.MODULES for the keras modules it "
                "provides)" % fullname, name=fullname)
        return importlib.machinery.ModuleSpec(
            fullname, _Loader(), is_package=fullname in _PACKAGES)


_FINDER = KerasAliasFinder()


def install():
    """Make ``import keras`` resolve to theano_rnn in this process (any
    ``keras`` modules already imported are replaced)."""
    uninstall()
    for name in [n for n in sys.modules if n == "keras" or
                 n.startswith("keras.")]:
        del sys.modules[name]
    sys.meta_path.insert(0, _FINDER)


def uninstall():
    """Undo :func:`install` (the alias modules imported so far are
    dropped)."""
    while _FINDER in sys.meta_path:
        sys.meta_path.remove(_FINDER)
    for name, module in list(sys.modules.items()):
        if isinstance(module, KerasModule):
            del sys.modules[name]


install()
