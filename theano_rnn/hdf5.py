"""Keras HDF5 model files, in and out: the files of Keras 1.x and 2.x
``model.save()`` and ``model.save_weights()``.

Reading (:func:`load_model`, :func:`load_weights`)
    A file is recognised by the HDF5 signature (``\\x89HDF\\r\\n\\x1a\\n`` at
    offset 0 or at a user-block offset 512, 1024, 2048...), not by its name.
    Keras's layout::

        /  attrs: keras_version, backend, model_config (JSON),
                  training_config (JSON)
        /model_weights  attrs: layer_names (or layer_names0, layer_names1...
                               in large models), keras_version, backend
            /<layer>    attrs: weight_names   datasets: the arrays
        /optimizer_weights  attrs: weight_names   datasets: the arrays

    A ``save_weights`` file has the ``model_weights`` part at the root.
    Strings may be ``bytes`` (h5py 2) or ``str`` (h5py 3).  A group without
    ``keras_version`` was written by Keras 1.

    The arrays go through the conversions of Keras 2.3.1's loader
    (``keras.engine.saving.preprocess_weights_for_loading``), one function
    each below: Keras 1's per-gate LSTM (12 arrays W_i, U_i, b_i, W_c, U_c,
    b_c, W_f, U_f, b_f, W_o, U_o, b_o) and GRU (9 arrays, z, r, h) joined
    into Keras 2's kernel / recurrent kernel / bias in the gate order i, f,
    c, o and z, r, h (``consume_less='gpu'`` files already hold the joined
    arrays); ``Bidirectional`` (half the arrays each direction) and
    ``TimeDistributed`` (the inner layer's) weights; ``CuDNNLSTM``/
    ``CuDNNGRU`` weights (per-gate transposed kernels, two bias sets) into
    ``LSTM``/``GRU(reset_after=True)``; and the ``Conv1D`` kernel flipped
    for files of the Theano backend, which convolved, where theano_rnn's
    ``Conv1D`` correlates as TensorFlow/CNTK do (theano_rnn flips it back
    when it writes ``backend='theano'`` files).  Recurrent and dense weights
    need nothing between backends.

    A whole model is rebuilt from ``model_config`` (Keras 2 ``Sequential``
    configs, both the 2.2+ ``{"name", "layers"}`` form and the older list,
    and Keras 1's; functional ``Model`` configs through
    ``theano_rnn.models.Model.from_config``), each layer by
    :func:`layer_from_keras`, then compiled from
    ``training_config`` (optimizer class and settings, ``lr`` or
    ``learning_rate``, loss, metrics) with the optimizer's state restored
    from ``optimizer_weights`` where it fits (else a warning and a fresh
    optimizer, as Keras does).

Writing (:func:`save_model`, :func:`save_weights`)
    The Keras 2.3.1 layout above with ``backend='theano'``, the weight names
    Keras 2.3.1 gives them on Theano (``lstm_1/kernel``,
    ``bidirectional_1/forward_lstm_1/kernel``), the layer configs in Keras's
    words (``implementation`` an integer, no theano_rnn-only keys) and the
    optimizer weights in Keras's order (Adam's ``vhat`` placeholders
    included).  The file is built in memory and written atomically by
    :func:`theano_rnn.saving.atomic_write`: a failed save leaves a previous
    file unchanged.

h5py is optional (``pip install "theano_rnn[h5]"``) and imported only when
a file is read or written.
"""
import json
import warnings
import zipfile

import numpy as np

from . import saving
from .legacy import LegacyArgumentWarning
from .saving import ModelFileError

__all__ = ["is_hdf5", "is_keras3_archive", "wants_hdf5", "load_model", "load_weights", "save_model",
           "save_weights", "layer_from_keras", "ModelFileError"]

#: The first eight bytes of every HDF5 file (at offset 0 or 512 * 2**k).
SIGNATURE = b"\x89HDF\r\n\x1a\n"
#: What to install for HDF5 support.
INSTALL = 'pip install "theano_rnn[h5]"'
#: The Keras version and backend this module writes.
KERAS_VERSION = "2.3.1"
BACKEND = "theano"


def _h5py():
    try:
        import h5py
    except ImportError:
        raise ImportError("Keras HDF5 files need h5py, which is not "
                          "installed: %s" % INSTALL) from None
    return h5py


# -- recognising files -------------------------------------------------------

def is_hdf5(path):
    """Whether the file at ``path`` starts with the HDF5 signature (at
    offset 0 or after a user block of 512, 1024, 2048... bytes); ``False``
    for a file that cannot be read."""
    try:
        with open(path, "rb") as stream:
            offset = 0
            while True:
                stream.seek(offset)
                head = stream.read(len(SIGNATURE))
                if head == SIGNATURE:
                    return True
                if len(head) < len(SIGNATURE):
                    return False
                offset = 512 if offset == 0 else 2 * offset
    except OSError:
        return False


#: File names that ``Model.save``/``save_weights`` write in Keras's format.
EXTENSIONS = (".h5", ".hdf5", ".keras")


def wants_hdf5(path, save_format=None):
    """Whether a save to ``path`` should write Keras's HDF5 format:
    ``save_format='h5'`` (``'tf'`` is refused, ``None`` decides by name), or
    a name ending in ``.h5``, ``.hdf5`` or ``.keras``."""
    if save_format not in (None, "h5", "npz"):
        raise ValueError("save_format must be 'h5', 'npz' or None (by the "
                         "file name), got %r" % (save_format,))
    if save_format is not None:
        return save_format == "h5"
    return str(path).lower().endswith(EXTENSIONS)


def is_keras3_archive(path):
    """Whether ``path`` is a Keras 3 ``.keras`` archive (a zip holding
    ``config.json`` and ``model.weights.h5``), which theano_rnn refuses
    with a message of its own."""
    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
    except saving.READ_ERRORS:      # not a zip, or a damaged one
        return False
    return "config.json" in names and any(
        n.startswith("model.weights") for n in names)


def _open(path):
    """The HDF5 file at ``path``, opened for reading; ``ModelFileError``
    (saying what the file is) when it is not a readable HDF5 file."""
    h5py = _h5py()
    if not is_hdf5(path):
        open(path, "rb").close()            # FileNotFoundError as usual
        if is_keras3_archive(path):
            raise ModelFileError(
                "%s is a Keras 3 '.keras' archive (a zip of config.json and "
                "model.weights.h5), which theano_rnn does not read; it reads "
                "the HDF5 files of Keras 1 and 2 (model.save('model.h5'))"
                % path)
        raise ModelFileError("%s is not an HDF5 file (no HDF5 signature)"
                             % path)
    try:
        return h5py.File(path, "r")
    except (OSError, ValueError, RuntimeError) as error:
        raise ModelFileError("%s: the HDF5 file cannot be read (truncated or "
                             "corrupt?): %s" % (path, error)) from None


# -- attributes ----------------------------------------------------------------

def _text(value):
    """An attribute value as ``str`` (h5py 2 gives bytes, h5py 3 str)."""
    if isinstance(value, np.ndarray) and value.shape == ():
        value = value[()]
    if isinstance(value, (bytes, np.bytes_)):
        return bytes(value).decode("utf8")
    return str(value)


def _attr_text(group, name, default=None):
    return _text(group.attrs[name]) if name in group.attrs else default


def _attr_list(group, name):
    """A list-of-strings attribute, joined from ``name0``, ``name1``... when
    Keras split it (HDF5 limits an object header to 64 KB)."""
    if name in group.attrs:
        return [_text(v) for v in group.attrs[name]]
    values, chunk = [], 0
    while "%s%d" % (name, chunk) in group.attrs:
        values += [_text(v) for v in group.attrs["%s%d" % (name, chunk)]]
        chunk += 1
    return values


def _json_attr(f, name, path):
    text = _attr_text(f, name)
    if text is None:
        return None
    try:
        return json.loads(text)
    except ValueError as error:
        raise ModelFileError("%s: the %s attribute is not valid JSON (%s)"
                             % (path, name, error)) from None


class _SavedWeights(object):
    """The weights of a ``model_weights`` group (or a save_weights root):
    ``layers`` is ``[(layer name, [arrays])]`` for the layers with weights,
    in the file's order."""

    def __init__(self, group, path):
        # Keras 2 writes keras_version into this group; Keras 1 did not
        # (Keras 1.2.2 put it at the root of model.save() files only).
        self.keras_version = _attr_text(group, "keras_version", "1")
        self.backend = _attr_text(group, "backend")
        names = _attr_list(group, "layer_names")
        if not names and not any(k.startswith("layer_names")
                                 for k in group.attrs):
            raise ModelFileError(
                "%s holds no Keras weights (no layer_names attribute in %s)"
                % (path, group.name))
        self.layers = []
        try:
            for name in names:
                layer = group[name]
                arrays = [np.asarray(layer[w])
                          for w in _attr_list(layer, "weight_names")]
                if arrays:
                    self.layers.append((name, arrays))
        except (KeyError, OSError, ValueError, RuntimeError) as error:
            raise ModelFileError("%s: the weights of layer %r cannot be read "
                                 "(%s)" % (path, name, error)) from None


def _model_weights_group(f):
    return f["model_weights"] if "model_weights" in f else f


# -- weight conversions (Keras 2.3.1's preprocess_weights_for_loading) ---------

def _class(layer):
    return type(layer).__name__


def convert_weights(layer, arrays, keras_version="2", backend=None):
    """The file's arrays for ``layer`` in the layout ``layer`` uses, as
    Keras 2.3.1's loader converts them (see the module docstring)."""
    arrays = list(arrays)
    kind = _class(layer)
    if kind == "Bidirectional":
        half = len(arrays) // 2
        return (convert_weights(layer.forward_layer, arrays[:half],
                                keras_version, backend) +
                convert_weights(layer.backward_layer, arrays[half:],
                                keras_version, backend))
    if kind == "TimeDistributed":
        return convert_weights(layer.layer, arrays, keras_version, backend)
    if keras_version.startswith("1"):
        arrays = _join_keras1_gates(kind, arrays)
    if kind == "Conv1D":
        arrays = _convert_conv1d(layer, arrays, keras_version, backend)
    return _convert_cudnn(layer, arrays)


def _join_keras1_gates(kind, arrays):
    """Keras 1's per-gate arrays [W, U, b for each gate] joined along the
    last axis: GRU z, r, h as stored; LSTM stored i, c, f, o, joined i, f,
    c, o (Keras 2's order)."""
    order = {("GRU", 9): (0, 1, 2), ("LSTM", 12): (0, 2, 1, 3)}.get(
        (kind, len(arrays)))
    if order is None:
        return arrays
    return [np.concatenate([arrays[3 * gate + part] for gate in order],
                           axis=-1) for part in range(3)]


#: Whether a backend's convolution layers compute a cross-correlation (the
#: kernel not flipped) -- Keras's table; theano_rnn's Conv1D does (as
#: TensorFlow), Keras on Theano computed a true convolution.
_CORRELATION = {"tensorflow": True, "cntk": True, "theano": False}


def _convert_conv1d(layer, arrays, keras_version, backend):
    """Keras 1's legacy kernel layouts ((length, 1, input_dim, filters), or
    Keras 1.1's (filters, input_dim, length, 1)) as (length, input_dim,
    filters), and the kernel flipped along its length for a file from a
    backend that convolved (Theano), since theano_rnn correlates.  A file
    that does not name its backend (Keras 1) is taken as it is, as Keras
    2.3.1 takes it."""
    kernel = arrays[0]
    if keras_version.startswith("1") and kernel.ndim == 4:
        length = np.ravel(layer.kernel_size)[0]
        if kernel.shape[:2] != (length, 1) or \
                kernel.shape[3] != layer.filters:
            kernel = np.transpose(kernel, (2, 3, 1, 0))
        kernel = kernel[:, 0, :, :]
    if _CORRELATION.get(backend, True) is False:
        kernel = kernel[::-1]               # Keras's convert_kernel
    return [kernel] + arrays[1:]


def _convert_cudnn(layer, arrays):
    """``CuDNNLSTM`` weights (bias of 8 units) into an ``LSTM``, ``CuDNNGRU``
    weights (bias of 6 units, flat) into a ``GRU(reset_after=True)``: each
    gate's input kernel re-read in Fortran order, each recurrent kernel
    transposed; the LSTM's two bias sets summed, the GRU's stacked."""
    kind = _class(layer)
    if kind not in ("LSTM", "GRU") or len(arrays) != 3:
        return arrays
    kernel, recurrent, bias = arrays
    units = recurrent.shape[0]
    gates = 4 if kind == "LSTM" else 3
    if bias.shape != (2 * units * gates,):
        return arrays                       # not CuDNN; checked by the caller
    if kind == "GRU" and not layer.cell.reset_after:
        raise ValueError(
            "layer %r (GRU): the file holds CuDNNGRU weights, which only a "
            "GRU with reset_after=True can use" % layer.name)

    def per_gate(array, function):
        return np.hstack([function(k) for k in np.hsplit(array, gates)])

    kernel = per_gate(kernel, lambda k: k.T.reshape(k.shape, order="F"))
    recurrent = per_gate(recurrent, lambda k: k.T)
    if kind == "LSTM":
        bias = np.sum(np.split(bias, 2), axis=0)
    else:
        bias = bias.reshape((2, -1))
    return [kernel, recurrent, bias]


# -- weights into a model ------------------------------------------------------

def _weighted_layers(model):
    model.build()
    return [layer for layer in model.layers if layer.weights]


def _checked_values(layer, arrays, index, saved_name, skip_mismatch):
    """The arrays for ``layer`` after conversion, checked against its
    weights; ``None`` (with a warning) for a mismatch when skipping."""
    weights = layer.weights
    kind = _class(layer)
    if len(arrays) != len(weights):
        message = ("layer #%d (%r, %s) expects %d weight arrays (%s), but "
                   "the saved layer %r has %d"
                   % (index, layer.name, kind, len(weights),
                      ", ".join(w.name for w in weights), saved_name,
                      len(arrays)))
        if skip_mismatch:
            warnings.warn("skipping the weights of %s" % message)
            return None
        raise ValueError(message)
    for weight, value in zip(weights, arrays):
        shape = weight.get_value(borrow=True).shape
        if value.shape != shape:
            message = ("layer #%d (%r, %s): weight %r has shape %s, but the "
                       "saved weight (layer %r) has shape %s"
                       % (index, layer.name, kind, weight.name, shape,
                          saved_name, value.shape))
            if skip_mismatch:
                warnings.warn("skipping the weights of %s" % message)
                return None
            raise ValueError(message)
    return arrays


def _assign(model, saved, path, by_name=False, skip_mismatch=False):
    """Match the saved layers to the model's (in order, or by name), convert
    and check everything, then set the weights (all or nothing)."""
    layers = _weighted_layers(model)
    pairs = []
    if by_name:
        ours = {}
        for layer in layers:
            ours.setdefault(layer.name, []).append(layer)
        for index, (name, arrays) in enumerate(saved.layers):
            for layer in ours.get(name, []):
                pairs.append((index, layer, name, arrays))
    else:
        if skip_mismatch:
            raise ValueError("skip_mismatch=True needs by_name=True")
        if len(saved.layers) != len(layers):
            raise ValueError(
                "%s holds weights for %d layers (%s) but the model has %d "
                "layers with weights (%s)"
                % (path, len(saved.layers),
                   ", ".join(n for n, _ in saved.layers), len(layers),
                   ", ".join(l.name for l in layers)))
        pairs = [(index, layer, name, arrays) for index, (layer, (name, arrays))
                 in enumerate(zip(layers, saved.layers))]
    assignments = []
    for index, layer, name, arrays in pairs:
        arrays = convert_weights(layer, arrays, saved.keras_version,
                                 saved.backend)
        values = _checked_values(layer, arrays, index, name, skip_mismatch)
        if values is not None:
            assignments.append((layer, values))
    for layer, values in assignments:
        layer.set_weights(values)


def load_weights(model, path, by_name=False, skip_mismatch=False):
    """Load the weights of a Keras HDF5 file (``save_weights`` or
    ``model.save``) into ``model``, converting them as Keras 2.3.1 does.

    Layers with weights are matched in order, or, with ``by_name=True``, by
    name (layers of the model absent from the file keep their weights).
    Everything is checked before any weight changes.

    Raises
    ------
    ModelFileError
        For a file that is not a readable Keras HDF5 weights file.
    ValueError
        When the file does not fit the model: the message names the layer
        and both shapes (or counts).  With ``skip_mismatch=True`` (only with
        ``by_name=True``, as in Keras) such layers are skipped with a
        warning instead.
    """
    with _open(path) as f:
        saved = _SavedWeights(_model_weights_group(f), path)
    _assign(model, saved, path, by_name=by_name, skip_mismatch=skip_mismatch)


# -- Keras layer configs into theano_rnn layers -----------------------------

#: Keys harmless at these values (dropped, so that a layer without the
#: argument still loads); any other value goes to the constructor, which
#: honours it or refuses it (the error then names the layer and the key).
_HARMLESS = {
    "kernel_regularizer": None, "recurrent_regularizer": None,
    "bias_regularizer": None, "activity_regularizer": None,
    "embeddings_regularizer": None, "kernel_constraint": None,
    "recurrent_constraint": None, "bias_constraint": None,
    "embeddings_constraint": None, "time_major": False,
    # Keras 1
    "W_regularizer": None, "U_regularizer": None, "b_regularizer": None,
    "W_constraint": None, "U_constraint": None, "b_constraint": None,
}
#: Keys dropped whatever their value: the input dtype (theano_rnn takes
#: floatX, or int32 token ids for an Embedding) and the implementation of a
#: recurrent layer (Keras's choices compute the same function; theano_rnn
#: picks its fastest path, ``'auto'``).
_DROPPED = ("dtype", "input_dtype", "implementation", "consume_less")
_RECURRENT = ("SimpleRNN", "LSTM", "GRU")
#: Keras classes with the theano_rnn class that computes the same function
#: (and the arguments that make it do so).
_SAME_AS = {
    "CuDNNLSTM": ("LSTM", {"recurrent_activation": "sigmoid",
                           "activation": "tanh"}),
    "CuDNNGRU": ("GRU", {"recurrent_activation": "sigmoid",
                         "activation": "tanh", "reset_after": True}),
}


def _keras1_shape(kind, config):
    """Keras 1 configs hold ``input_dim``/``input_length`` beside
    ``batch_input_shape`` (or as ``null`` inside a wrapper): keep one
    shape.  The other Keras 1 names (``output_dim``, ``init``,
    ``inner_activation``, ``forget_bias_init``, ``dropout_W``...) are
    converted by the layers' constructors (:mod:`theano_rnn.legacy`)."""
    if kind == "Embedding":
        return config
    config = dict(config)
    input_dim = config.pop("input_dim", None)
    input_length = config.pop("input_length", None)
    if "batch_input_shape" not in config and input_dim is not None:
        shape = (input_dim,) if kind == "Dense" else (input_length,
                                                     input_dim)
        config["batch_input_shape"] = [None] + list(shape)
    return config


def layer_from_keras(spec, custom_objects=None):
    """A theano_rnn layer (without weights) from a Keras layer
    ``{"class_name", "config"}`` of a Keras 1 or 2 model config.

    Raises
    ------
    ValueError
        Naming the layer and its Keras class, for a class theano_rnn does
        not implement, or a setting it cannot honour (naming the key).
    """
    from . import layers as layers_module
    custom_objects = custom_objects or {}
    kind = spec.get("class_name")
    config = dict(spec.get("config") or {})
    name = config.get("name", "?")
    if kind in custom_objects:
        return custom_objects[kind].from_config(config)
    if kind in ("Sequential", "Model", "Functional"):     # a nested model
        return model_from_keras_config(spec, custom_objects)
    target, fixed = _SAME_AS.get(kind, (kind, {}))
    cls = getattr(layers_module, str(target), None)
    if not (isinstance(cls, type) and issubclass(cls, layers_module.Layer)):
        raise ValueError("layer %r: theano_rnn has no layer like Keras's %s"
                         % (name, kind))
    config = _keras1_shape(target, config)
    for key in _DROPPED:
        config.pop(key, None)
    for key, default in _HARMLESS.items():
        if key in config and config[key] == default:
            del config[key]
    config.update(fixed)
    try:
        with warnings.catch_warnings():
            # A file's Keras 1 names are not the user's to update.
            warnings.simplefilter("ignore", LegacyArgumentWarning)
            if target in ("Bidirectional", "TimeDistributed"):
                inner = layer_from_keras(config.pop("layer"), custom_objects)
                return cls(inner, **config)
            return cls.from_config(config)
    except (TypeError, ValueError) as error:
        raise ValueError("layer %r (Keras %s): %s" % (name, kind, error)) \
            from None


def _sequential_layers(model_config, custom_objects):
    """The layers of a Keras ``Sequential`` config: ``{"name", "layers"}``
    (Keras 2.2+) or the older list; an ``InputLayer`` gives its shape to the
    next layer."""
    config = model_config.get("config")
    if isinstance(config, dict):
        name, specs = config.get("name"), config.get("layers")
    else:
        name, specs = None, config
    if not isinstance(specs, list):
        raise ValueError("the Sequential config has no list of layers")
    layers, input_shape = [], None
    for spec in specs:
        if spec.get("class_name") == "InputLayer":
            input_shape = spec.get("config", {}).get("batch_input_shape")
            continue
        if input_shape is not None:
            spec = dict(spec, config=dict(spec.get("config") or {}))
            spec["config"].setdefault("batch_input_shape", input_shape)
            input_shape = None
        layers.append(layer_from_keras(spec, custom_objects))
    return name, layers


def model_from_keras_config(model_config, custom_objects=None):
    """A theano_rnn model (without weights) from Keras's ``model_config``
    (``{"class_name": "Sequential" | "Model", "config": ...}``)."""
    from . import models
    kind = model_config.get("class_name")
    if kind == "Sequential":
        name, layers = _sequential_layers(model_config, custom_objects)
        return models.Sequential(layers, name=name)
    if kind in ("Model", "Functional"):
        model_class = getattr(models, "Model", None)
        if model_class is None or not hasattr(model_class, "from_config"):
            raise ValueError(
                "a functional Keras model (class %r): this version of "
                "theano_rnn has no functional Model to rebuild it as" % kind)
        config = dict(model_config["config"])
        config["layers"] = [
            dict(entry, **_layer_spec(layer_from_keras(entry,
                                                       custom_objects)))
            for entry in config["layers"]]
        return model_class.from_config(config, custom_objects=custom_objects)
    raise ValueError("model class %r: theano_rnn rebuilds Keras Sequential "
                     "and functional (Model) configs" % (kind,))


def _layer_spec(layer):
    from . import layers as layers_module
    return layers_module.serialize(layer)


# -- compiling from training_config --------------------------------------------

def _optimizer_from_keras(config):
    from . import optimizers
    config = dict(config)
    settings = dict(config.get("config") or {})
    return optimizers.deserialize({"class_name": config.get("class_name"),
                                   "config": settings})


def _keras_optimizer_weights(optimizer, values):
    """Keras's optimizer weights in theano_rnn's order: Keras 2.3.1's Adam
    keeps one (1,)-shaped ``vhat`` placeholder per parameter without
    amsgrad, which theano_rnn's Adam does not have; Keras 1 - 2.2's RMSprop,
    Adagrad and Adadelta left ``iterations`` out (it only counts for
    ``decay``; it restarts at 0)."""
    if _class(optimizer) in ("RMSprop", "Adagrad", "Adadelta") and \
            len(values) == len(optimizer.weights) - 1:
        values = [np.zeros((), dtype="int64")] + list(values)
    if _class(optimizer) == "Adam" and not optimizer.amsgrad:
        n = (len(values) - 1) // 3
        if len(values) == 1 + 3 * n and all(v.shape == (1,)
                                            for v in values[1 + 2 * n:]):
            values = values[:1 + 2 * n]
    return values


def _convert_slots(model, saved, values):
    """The optimizer's per-parameter arrays of a file whose layers had
    another weight layout (Keras 1's per-gate arrays, CuDNN layers) put in
    the model's, by the same conversion as the weights: Keras keeps them
    kind by kind (all ``m``, then all ``v``), parameters in weight order,
    after ``iterations`` and any scalar state.  Left as they are unless
    every array has the shape of the weight it belongs to (Keras 1 did not
    always keep the parameters in the layers' order)."""
    counts = [len(arrays) for _, arrays in saved.layers]
    shapes = [a.shape for _, arrays in saved.layers for a in arrays]
    n = len(shapes)
    if not n or len(values) < n:
        return values
    head = len(values) % n
    layers = _weighted_layers(model)
    if len(layers) != len(counts) or any(
            [v.shape for v in values[start:start + n]] != shapes
            for start in range(head, len(values), n)):
        return values
    converted = list(values[:head])
    for start in range(head, len(values), n):
        chunk = values[start:start + n]
        for layer, count in zip(layers, counts):
            converted += convert_weights(layer, chunk[:count],
                                         saved.keras_version, saved.backend)
            chunk = chunk[count:]
    return converted


def _named(value, custom_objects):
    """Loss or metric names (one, or a list / dict per output) with the
    user's ``custom_objects`` put in for their names."""
    if isinstance(value, dict) and "class_name" in value:  # a Loss object
        value = value.get("config", {}).get("name", value["class_name"])
    if isinstance(value, list):
        return [_named(v, custom_objects) for v in value]
    if isinstance(value, dict):
        return {k: _named(v, custom_objects) for k, v in value.items()}
    return custom_objects.get(value, value)


def _compile(model, training_config, f, custom_objects, path, saved):
    """Compile as the file's ``training_config`` says, then restore the
    optimizer state of ``optimizer_weights``."""
    optimizer = _optimizer_from_keras(training_config["optimizer_config"])
    options = {key: training_config[key]
               for key in ("loss_weights", "sample_weight_mode")
               if training_config.get(key) is not None}
    model.compile(optimizer=optimizer,
                  loss=_named(training_config.get("loss"), custom_objects),
                  metrics=_named(training_config.get("metrics") or [],
                                 custom_objects), **options)
    if "optimizer_weights" in f:
        group = f["optimizer_weights"]
        values = [np.asarray(group[n])
                  for n in _attr_list(group, "weight_names")]
        values = _keras_optimizer_weights(
            optimizer, _convert_slots(model, saved, values))
        try:
            optimizer.set_weights(values)
        except ValueError as error:
            warnings.warn("%s: the saved optimizer state does not fit (%s); "
                          "the optimizer starts afresh" % (path, error))


def load_model(path, custom_objects=None, compile=True):
    """A theano_rnn model from a Keras HDF5 ``model.save()`` file: built
    from ``model_config``, with the file's weights (converted as Keras
    2.3.1 converts them) and, if ``compile`` and the file has a
    ``training_config``, compiled with its optimizer (state restored where
    the file has it), loss and metrics.

    Raises
    ------
    ModelFileError
        (a ``ValueError``) For a file that is not a Keras HDF5 model file:
        truncated or corrupt, a weights-only file (no ``model_config``), a
        Keras 3 ``.keras`` archive.
    ValueError
        For a layer, setting, optimizer or loss theano_rnn does not have,
        naming it; or weights that do not fit the model.
    ImportError
        Without h5py, saying what to install.
    """
    custom_objects = dict(custom_objects or {})
    with _open(path) as f:
        model_config = _json_attr(f, "model_config", path)
        if model_config is None:
            raise ModelFileError(
                "%s has no model_config: it holds weights only "
                "(save_weights); build the model and call load_weights"
                % path)
        if not isinstance(model_config, dict):
            raise ModelFileError("%s: model_config is not a JSON object"
                                 % path)
        training_config = _json_attr(f, "training_config", path)
        if "model_weights" not in f:
            raise ModelFileError("%s has no model_weights group" % path)
        saved = _SavedWeights(f["model_weights"], path)
        state = np.random.get_state()       # the initialisers draw from it
        try:
            model = model_from_keras_config(model_config, custom_objects)
            _assign(model, saved, path)
            if compile and training_config is not None:
                _compile(model, training_config, f, custom_objects, path,
                         saved)
        except (KeyError, TypeError, AttributeError, IndexError) as error:
            raise ModelFileError(
                "%s: the model_config or training_config is not what Keras "
                "writes (%s: %s)" % (path, type(error).__name__, error)) \
                from None
        finally:
            np.random.set_state(state)
    return model


# -- writing -------------------------------------------------------------------

#: theano_rnn settings Keras 2.3.1 does not have, by layer kind: the value
#: at which leaving them out changes nothing (another value cannot be saved
#: in Keras's format), or ``None`` for a seed (it only picks which random
#: numbers dropout draws), always left out.
_NOT_IN_KERAS = {
    "recurrent": {"truncate_gradient": -1, "seed": None},
    "Embedding": {"dropout": 0.0, "seed": None},
}


def _keras_layer_config(layer):
    """``{"class_name", "config"}`` of ``layer`` in Keras 2.3.1's words.

    Raises ``ValueError`` naming the layer and the setting for a
    theano_rnn-only setting away from the value Keras implies."""
    from . import layers as layers_module
    spec = layers_module.serialize(layer)
    kind, config = spec["class_name"], dict(spec["config"])
    if kind == "Bidirectional":
        config["layer"] = _keras_layer_config(layer.forward_layer)
    group = "recurrent" if kind in _RECURRENT else kind
    for key, neutral in _NOT_IN_KERAS.get(group, {}).items():
        value = config.pop(key, neutral)
        if neutral is not None and value != neutral:
            raise ValueError(
                "layer %r (%s): Keras 2.3.1 has no %s (here %r); set it to "
                "%r to save in Keras's format, or save in theano_rnn's "
                "(.npz)" % (layer.name, kind, key, value, neutral))
    if kind == "SimpleRNN":
        config.pop("implementation", None)
        config.pop("recurrent_activation", None)
    elif kind in _RECURRENT:
        config["implementation"] = 2
    return {"class_name": kind, "config": config}


def _keras_weight_names(layer):
    """The names Keras 2.3.1 (Theano) gives ``layer``'s weights."""
    def short(weight):
        return weight.name.rsplit("/", 1)[-1]
    if _class(layer) == "Bidirectional":
        return (["%s/forward_%s/%s" % (layer.name, layer.forward_layer.name,
                                       short(w))
                 for w in layer.forward_layer.weights] +
                ["%s/backward_%s/%s" % (layer.name, layer.forward_layer.name,
                                        short(w))
                 for w in layer.backward_layer.weights])
    if hasattr(layer, "layers"):        # a model nested as a layer: its
        return [name for inner in layer.layers   # layers' own names
                for name in _keras_weight_names(inner)]
    return ["%s/%s" % (layer.name, short(w)) for w in layer.weights]


def _write_weights(group, model):
    group.attrs["layer_names"] = [l.name.encode("utf8") for l in model.layers]
    group.attrs["backend"] = BACKEND.encode("utf8")
    group.attrs["keras_version"] = KERAS_VERSION.encode("utf8")
    for layer in model.layers:
        layer_group = group.create_group(layer.name)
        names = _keras_weight_names(layer)
        layer_group.attrs["weight_names"] = [n.encode("utf8") for n in names]
        values = [w.get_value() for w in layer.weights]
        if _class(layer) == "Conv1D":       # Keras on Theano convolves
            values[0] = values[0][::-1]
        for name, value in zip(names, values):
            layer_group.create_dataset(name, data=value)


def _keras_training_config(model):
    from . import optimizers
    optimizer = optimizers.serialize(model.optimizer)
    config = dict(optimizer["config"])
    if "lr" in config:
        config["learning_rate"] = config.pop("lr")
    compiled = model._compile_config
    return {"optimizer_config": {"class_name": optimizer["class_name"],
                                 "config": config},
            "loss": compiled["loss"], "metrics": compiled["metrics"],
            "weighted_metrics": None,
            "sample_weight_mode": compiled.get("sample_weight_mode"),
            "loss_weights": compiled.get("loss_weights")}


def _optimizer_weights_for_keras(optimizer):
    """theano_rnn's optimizer weights in Keras 2.3.1's order (Adam's vhat
    placeholders added)."""
    values = optimizer.get_weights()
    names = [w.name for w in optimizer.weights]
    if _class(optimizer) == "Adam" and not optimizer.amsgrad:
        n = (len(values) - 1) // 2
        values = values + [np.zeros(1, dtype=values[1].dtype
                                    if n else "float32")
                           for _ in range(n)]
        names = names + ["vhat_%d" % i for i in range(n)]
    return names, values


def _write(path, fill):
    """Build the HDF5 file in memory with ``fill(h5py.File)``, then write it
    atomically (a failure leaves ``path`` as it was)."""
    h5py = _h5py()
    with h5py.File("in-memory.h5", "w", driver="core",
                   backing_store=False) as f:
        fill(f)
        f.flush()
        image = f.id.get_file_image()
    saving.atomic_write(path, lambda stream: stream.write(image))


def _keras_model_config(model):
    """Keras 2.3.1's ``model_config`` of a ``Sequential`` or of a
    functional model (whose ``get_config`` is Keras's already: its layers'
    configs are put in Keras's words)."""
    if not model.layers:
        raise ValueError("the model has no layers to save")
    if type(model).__name__ == "Sequential":
        return {"class_name": "Sequential",
                "config": {"name": model.name,
                           "layers": [_keras_layer_config(l)
                                      for l in model.layers]}}
    config = model.get_config()
    if "input_layers" not in config:
        raise ValueError("saving a %s in Keras's HDF5 format is not "
                         "implemented (Sequential and functional models)"
                         % type(model).__name__)
    layers = {layer.name: layer for layer in model.layers}
    entries = []
    for entry in config["layers"]:
        spec = _keras_layer_config(layers[entry["name"]])
        entries.append(dict(entry, class_name=spec["class_name"],
                            config=spec["config"]))
    return {"class_name": "Model", "config": dict(config, layers=entries)}


def _check_buildable(model):
    if type(model).__name__ == "Sequential" and (
            not model.layers or model.input_shape is None):
        raise ValueError("the model must know its input shape to be saved "
                         "in Keras's format")
    model.build()


def save_weights(model, path):
    """Write ``model``'s weights as a Keras 2.3.1 ``save_weights`` file
    (atomically)."""
    _check_buildable(model)
    _write(path, lambda f: _write_weights(f, model))


def save_model(model, path, include_optimizer=True):
    """Write ``model`` as a Keras 2.3.1 ``model.save()`` file (Theano
    backend), atomically: the architecture, the weights and, if the model is
    compiled and ``include_optimizer``, the training configuration and the
    optimizer's state.

    Raises
    ------
    ValueError
        Before anything is written, for a setting Keras cannot express (the
        message names the layer and the setting).
    """
    _check_buildable(model)
    model_config = json.dumps(_keras_model_config(model))
    compiled = include_optimizer and model._is_compiled
    training_config = (json.dumps(_keras_training_config(model))
                       if compiled else None)

    def fill(f):
        f.attrs["keras_version"] = KERAS_VERSION.encode("utf8")
        f.attrs["backend"] = BACKEND.encode("utf8")
        f.attrs["model_config"] = model_config.encode("utf8")
        _write_weights(f.create_group("model_weights"), model)
        if compiled:
            f.attrs["training_config"] = training_config.encode("utf8")
            names, values = _optimizer_weights_for_keras(model.optimizer)
            group = f.create_group("optimizer_weights")
            group.attrs["weight_names"] = [n.encode("utf8") for n in names]
            for name, value in zip(names, values):
                group.create_dataset(name, data=value)

    _write(path, fill)
