"""Saving and loading models: what goes into a model file and how a model
is rebuilt from one (the file format itself is :mod:`theano_rnn.saving`'s).

A model file's header holds

* ``model``: ``{"class_name": "Sequential" | "Model", "config": ...}``,
  the architecture in Keras 2.3.1's config formats (a ``Sequential``'s
  ``{"name", "layers": [...]}``, a functional model's ``{"name", "layers":
  [{... "inbound_nodes"}], "input_layers", "output_layers"}``);
* ``weight_layout``: ``[[layer name, class name, number of arrays], ...]``
  for the ``weights`` group, layer by layer in the model's order;
* ``training_config``: the compile settings (loss, metrics, loss weights,
  sample weight mode, optimizer configuration) or ``null``;
* ``shuffle_rng``: the position of the model's shuffling generator;
* ``backend``: ``"theano"`` or ``"pytensor"``, where it was saved (files
  without it come from theano-pymc);
* ``metadata``: the user's JSON-ready dict;

and the array groups ``weights``, ``optimizer``, ``dropout_rng`` and
``shuffle_rng``.  Files written by earlier versions (``Sequential`` only,
``loss`` a single name) load unchanged.

A file saved on one backend loads on the other and predicts the same (to
float32 precision): the weights, the optimizer state and the shuffling
generator carry over.  The dropout streams do not -- theano-pymc's MRG31k3p
and PyTensor's PCG64 states mean nothing to each other -- so a model loaded
on the other backend draws its dropout masks from freshly seeded streams.
"""
import json
import os

import numpy as np
from .. import runtime
from ..runtime import theano

from .. import __version__
from .. import random
from .. import losses
from .. import metrics as metrics_module
from .. import optimizers
from .. import hdf5
from .. import saving
from .sequential import Sequential
from .training import Model

#: Model classes a file or a config may name.
MODEL_CLASSES = {"Sequential": Sequential, "Model": Model,
                 "Functional": Model}


def save_model(model, path, metadata=None, overwrite=True,
               include_optimizer=True, save_format=None):
    """Save the whole ``model`` to one file, atomically.

    A name ending in ``.h5``, ``.hdf5`` or ``.keras`` (or
    ``save_format='h5'``) writes Keras 2.3.1's HDF5 format instead
    (:func:`theano_rnn.hdf5.save_model`: Keras reads it; the metadata and
    the RNG positions are not part of that format).

    The file holds the architecture, the weights, the compile settings
    (loss, optimizer configuration, metrics), the optimizer state, the
    dropout RNG states, the shuffling RNG and the metadata, so that
    :func:`load_model` gives a model that predicts identically, continues
    training exactly where this one stands and has the same ``metadata``.
    On failure ``path`` is left as it was.

    Parameters
    ----------
    model : Model or Sequential
    path : str or path-like
    metadata : dict, optional
        What to store as the metadata of the file instead of
        ``model.metadata`` (which is left unchanged): a dict that survives
        a JSON round trip unchanged.
    overwrite : bool
        ``False``: refuse (``FileExistsError``) to replace an existing file.
    include_optimizer : bool
        ``False``: leave the compile settings and optimizer state out (the
        model loads uncompiled).

    Raises
    ------
    ValueError
        If the metadata is not such a dict (checked before anything is
        written).
    OSError
        If the file cannot be written.
    """
    if hdf5.wants_hdf5(path, save_format):
        _check_overwrite(path, overwrite)
        hdf5.save_model(model, path, include_optimizer=include_optimizer)
        return
    metadata = model.metadata if metadata is None else metadata
    header, groups = _file_contents(model, _check_metadata(metadata),
                                    include_optimizer)
    _check_overwrite(path, overwrite)
    saving.write_file(path, saving.MODEL_FORMAT, header, groups)


def _check_overwrite(path, overwrite):
    if not overwrite and os.path.exists(path):
        raise FileExistsError("%s exists and overwrite=False" % (path,))


def _file_contents(model, metadata, include_optimizer=True):
    """The header and array groups :func:`save_model` writes."""
    buildable = model.input_shape is not None
    weights = model.get_weights() if buildable else []
    header = {
        "theano_rnn_version": __version__,
        "floatX": theano.config.floatX,
        "backend": runtime.BACKEND,
        "model": {"class_name": type(model).__name__,
                  "config": model.get_config()},
        "weight_layout": model._weight_layout() if buildable else [],
        "training_config": None,
        "shuffle_rng": None,
        "metadata": metadata,
    }
    groups = {"weights": weights, "optimizer": [], "dropout_rng": [],
              "shuffle_rng": []}
    if model._is_compiled and include_optimizer:
        header["training_config"] = dict(
            model._compile_config,
            optimizer=optimizers.serialize(model.optimizer))
        groups["optimizer"] = model.optimizer.get_weights()
        groups["dropout_rng"] = [random.get_state(s)
                                 for s in model._rng_states]
    if model._shuffle_rng is not None:
        kind, keys, position, has_gauss, gauss = \
            model._shuffle_rng.get_state()
        header["shuffle_rng"] = {"kind": kind, "position": int(position),
                                 "has_gauss": int(has_gauss),
                                 "cached_gaussian": float(gauss)}
        groups["shuffle_rng"] = [keys]
    return header, groups


def save_weights(model, path, overwrite=True, save_format=None):
    """Save the weights alone, atomically, to one file (Keras's HDF5
    ``save_weights`` format for a ``.h5``/``.hdf5``/``.keras`` name or
    ``save_format='h5'``)."""
    _check_overwrite(path, overwrite)
    if hdf5.wants_hdf5(path, save_format):
        hdf5.save_weights(model, path)
        return
    saving.write_file(path, saving.WEIGHTS_FORMAT,
                      {"weight_layout": model._weight_layout()},
                      {"weights": model.get_weights()})


def load_weights(model, path, by_name=False, skip_mismatch=False):
    """Load weights saved by ``save_weights`` (or ``save``) into ``model``.

    Layers are matched in order, as in Keras (layers without weights, such
    as input layers, are skipped on both sides), or by name with
    ``by_name=True`` (layers of the model absent from the file are left
    as they are).  Everything is checked before any weight changes.

    Raises
    ------
    ModelFileError
        If the file is not a valid weights or model file.
    ValueError
        If the file does not fit the model; the message names the layer.
    """
    if hdf5.is_hdf5(path):
        hdf5.load_weights(model, path, by_name=by_name,
                          skip_mismatch=skip_mismatch)
        return
    if skip_mismatch:
        raise ValueError("load_weights: skip_mismatch=True applies to Keras "
                         "HDF5 files only; %s is a theano_rnn file" % (path,))
    header, groups = saving.read_file(
        path, (saving.WEIGHTS_FORMAT, saving.MODEL_FORMAT))
    layout = header.get("weight_layout")
    weights = groups.get("weights", [])
    if not _valid_layout(layout, len(weights)):
        raise saving.ModelFileError("%s: the weight layout in the header "
                                    "does not match its arrays" % path)
    per_layer, index = {}, 0
    for name, _, count in layout:
        per_layer[name] = weights[index:index + count]
        index += count
    if by_name:
        values = []
        for layer in model.layers:
            theirs = per_layer.get(layer.name)
            if theirs is not None and len(theirs) != len(layer.weights):
                raise ValueError(
                    "layer %r (%s) has %d weight arrays but %s holds %d for "
                    "the layer of that name" % (layer.name,
                                                type(layer).__name__,
                                                len(layer.weights), path,
                                                len(theirs)))
            values += (list(theirs) if theirs is not None
                       else [w.get_value() for w in layer.weights])
        assign_weights(model, values)
        return
    # input layers (no weights) are skipped, so that a Sequential's weights
    # load into the equivalent functional model and back
    layout = [entry for entry in layout if entry[1] != "InputLayer"]
    ours = [entry for entry in model._weight_layout()
            if entry[1] != "InputLayer"]
    if len(layout) != len(ours):
        raise ValueError(
            "%s holds weights for %d layers (%s) but the model has %d "
            "layers (%s)" % (path, len(layout), _layout_text(layout),
                             len(ours), _layout_text(ours)))
    for (name, kind, count), theirs in zip(ours, layout):
        if count != theirs[2]:
            raise ValueError(
                "layer %r (%s) has %d weight arrays but %s holds %d for "
                "the corresponding layer %r (%s)"
                % (name, kind, count, path, theirs[2], theirs[0],
                   theirs[1]))
    assign_weights(model, weights)


def set_model_weights(model, weights):
    """``model.set_weights``: the number of arrays, then every shape,
    checked before any weight changes."""
    weights = [np.asarray(w) for w in weights]
    expected = model.weights
    if len(weights) != len(expected):
        raise ValueError(
            "set_weights: the model has %d weight arrays (%s), got %d"
            % (len(expected), _layout_text(model._weight_layout()),
               len(weights)))
    assign_weights(model, weights)


def assign_weights(model, weights):
    """Check the shapes of a full weight list, then set it."""
    index = 0
    per_layer = []
    for layer in model.layers:
        values = weights[index:index + len(layer.weights)]
        index += len(layer.weights)
        for variable, value in zip(layer.weights, values):
            shape = variable.get_value(borrow=True).shape
            if value.shape != shape:
                raise ValueError(
                    "layer %r (%s): weight %r has shape %s, got an array "
                    "of shape %s" % (layer.name, type(layer).__name__,
                                     variable.name, shape, value.shape))
        per_layer.append((layer, values))
    for layer, values in per_layer:
        layer.set_weights(values)


def load_model(path, custom_objects=None, compile=True):
    """Load a model saved by ``model.save`` (a ``Sequential`` or a
    functional ``Model``).

    The model comes back with its weights and, if it was compiled when
    saved (and ``compile`` is true), compiled with the same loss, metrics
    and optimizer, the optimizer state, the dropout RNG states and the
    shuffling RNG restored: its predictions are bit-identical to the saved
    model's, and ``fit`` continues training exactly.  Loading does not
    consume ``np.random``: its state is restored afterwards.  The model's
    ``metadata`` is the one saved (``{}`` for a file saved without).

    Parameters
    ----------
    path : str or path-like
    custom_objects : dict, optional
        Name -> function (or layer class) for the custom losses, metrics
        and layers the model uses.
    compile : bool
        Compile the model if it was compiled when saved.

    Raises
    ------
    FileNotFoundError
        If there is no such file.
    ModelFileError
        (a ``ValueError``) If the file is not a valid model file: damaged,
        truncated, written by another program or by a newer theano_rnn.
    """
    if hdf5.is_hdf5(path) or hdf5.is_keras3_archive(path):
        return hdf5.load_model(path, custom_objects, compile)
    header, groups = saving.read_file(path, saving.MODEL_FORMAT)
    state = np.random.get_state()
    try:
        return _model_from_file(header, groups, custom_objects or {},
                                compile)
    except saving.ModelFileError:
        raise
    except (ValueError, TypeError, KeyError, AttributeError,
            IndexError) as error:
        raise saving.ModelFileError(
            "%s: the file does not describe a model this version of "
            "theano_rnn can rebuild (%s: %s)"
            % (path, type(error).__name__, error))
    finally:
        np.random.set_state(state)


def model_from_config(config, custom_objects=None):
    """A model (without weights) from ``{"class_name", "config"}``, as
    ``model.get_config()`` wrapped by Keras (``Sequential`` or ``Model``
    in Keras 2.3.1's formats)."""
    if not isinstance(config, dict) or "class_name" not in config:
        raise ValueError("model_from_config: expected a dict with "
                         "'class_name' and 'config', got %r" % (config,))
    try:
        cls = MODEL_CLASSES[config["class_name"]]
    except KeyError:
        raise ValueError("model_from_config: unknown model class %r; known: "
                         "%s" % (config["class_name"],
                                 ", ".join(sorted(MODEL_CLASSES))))
    return cls.from_config(config["config"], custom_objects=custom_objects)


def model_from_json(json_string, custom_objects=None):
    """A model (without weights) from ``model.to_json()``'s output."""
    return model_from_config(json.loads(json_string), custom_objects)


def _model_from_file(header, groups, custom_objects, compile):
    """Rebuild a model from :func:`_file_contents`'s header and groups."""
    spec = header["model"]
    if spec["class_name"] not in MODEL_CLASSES:
        raise ValueError("unknown model class %r" % (spec["class_name"],))
    layer_classes = {k: v for k, v in custom_objects.items()
                     if isinstance(v, type)}
    model = model_from_config(spec, layer_classes)
    if model.input_shape is not None:
        model.set_weights(groups["weights"])
    metadata = header.get("metadata", {})  # absent from older files
    if not isinstance(metadata, dict):
        raise ValueError("the metadata is a %s, not a JSON object"
                         % type(metadata).__name__)
    model.metadata = metadata
    training = header["training_config"]
    if training is not None and compile:
        optimizer = optimizers.deserialize(training["optimizer"])
        optimizer.set_weights(groups["optimizer"])
        model.compile(
            optimizer=optimizer,
            loss=_named(training["loss"], losses.get, custom_objects,
                        "loss"),
            metrics=_named(training["metrics"], _metric_name,
                           custom_objects, "metric"),
            loss_weights=training.get("loss_weights"),
            sample_weight_mode=training.get("sample_weight_mode"))
        # Files from before the backend was recorded come from theano-pymc.
        if header.get("backend", "theano") == runtime.BACKEND:
            _restore_dropout_states(model._rng_states, groups["dropout_rng"])
    rng = header["shuffle_rng"]
    if rng is not None:
        if model._shuffle_rng is None:
            model._shuffle_rng = np.random.RandomState()
        model._shuffle_rng.set_state((
            rng["kind"], groups["shuffle_rng"][0], rng["position"],
            rng["has_gauss"], rng["cached_gaussian"]))
    return model


def _restore_dropout_states(states, values):
    """Set the dropout streams' states saved on this backend."""
    if len(states) != len(values):
        raise ValueError("the file holds %d dropout RNG states, the "
                         "rebuilt model has %d" % (len(values), len(states)))
    for variable, value in zip(states, values):
        try:
            random.set_state(variable, value)
        except ValueError as error:
            raise ValueError("dropout RNG state %r: %s"
                             % (variable.name, error))


def _check_metadata(metadata):
    """``metadata`` if it is a dict that a JSON round trip (the model file's
    header) gives back unchanged, else ValueError naming ``metadata``."""
    if not isinstance(metadata, dict):
        raise ValueError("metadata must be a dict, got %s"
                         % type(metadata).__name__)
    try:
        text = json.dumps(metadata, allow_nan=False)
    except (TypeError, ValueError) as error:
        raise ValueError("metadata must be JSON-serialisable: %s" % error)
    if json.loads(text) != metadata:
        raise ValueError(
            "metadata would not load back as saved: JSON turns tuples into "
            "lists and non-string keys into strings; use lists and string "
            "keys")
    return metadata


def _metric_name(name):
    """``name`` if the metrics module knows it (it is then passed on as a
    string so that ``'acc'`` is resolved and logged as before)."""
    metrics_module.get(name)
    return name


def _named(value, lookup, custom_objects, kind):
    """Losses or metrics from their saved names (a name, or lists and
    dicts of names)."""
    if isinstance(value, dict):
        return {k: _named(v, lookup, custom_objects, kind)
                for k, v in value.items()}
    if isinstance(value, list):
        return [_named(v, lookup, custom_objects, kind) for v in value]
    if value is None:
        return None
    if value in custom_objects:
        return custom_objects[value]
    try:
        return lookup(value)
    except ValueError:
        raise saving.ModelFileError(
            "the model was compiled with the %s %r, which theano_rnn does "
            "not know; pass it as load_model(..., custom_objects={%r: "
            "function})" % (kind, value, value))


def _valid_layout(layout, n_weights):
    """Whether ``layout`` is a ``[[name, class name, count], ...]`` list
    accounting for ``n_weights`` arrays."""
    return (isinstance(layout, list) and
            all(isinstance(entry, list) and len(entry) == 3 and
                isinstance(entry[2], int) and entry[2] >= 0
                for entry in layout) and
            sum(entry[2] for entry in layout) == n_weights)


def _layout_text(layout):
    return ", ".join("%s: %d" % (entry[0], entry[2]) for entry in layout)
