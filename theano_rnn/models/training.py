"""The training loop shared by both model kinds: ``Model`` (a graph from
inputs to outputs, see :mod:`theano_rnn.models.network`) with Keras's
``compile``, ``fit``, ``evaluate``, ``predict`` and their ``*_on_batch``
forms.

Usage, as in Keras 2::

    tokens = Input(shape=(100,), dtype='int32')
    h = LSTM(32)(Embedding(20000, 64)(tokens))
    model = Model(inputs=tokens, outputs=Dense(1, activation='sigmoid')(h))
    model.compile('adam', 'binary_crossentropy', metrics=['acc'])
    model.fit(x, y, batch_size=32, epochs=3, validation_split=0.1)

What :meth:`Model.compile` builds
---------------------------------
The graph is replayed twice from the model's input variables (see
:meth:`Network.run_graph`): with ``training=True`` (dropout on) for the
training function and with ``training=False`` for the test and predict
functions.  Per output ``i`` with per-sample loss ``L_i`` (one value per
sample, or per time step for sequence outputs), the output's loss is the
mean of ``L_i`` over the batch (and over the real time steps only when the
output carries a mask), and the training loss is

.. math:: \\text{loss} = \\sum_i w_i\\,\\text{loss}_i + \\sum \\text{layer losses}

with ``w_i`` the ``loss_weights`` (1 by default) and the layer losses the
``losses`` of the layers (regularisation penalties).  The optimizer's
updates of a weight go through the ``constraints`` of its layer.  Three
``theano.function`` objects, compiled in
:func:`theano_rnn.runtime.function_mode` (C code on both backends) the
first time each is used (as Keras does: a model that is only trained never
compiles its test function, one that only predicts never compiles its
gradient), are public attributes::

    outs = model.train_function(*xs, *ys)   # [loss, (loss_i...), *metrics]
    outs = model.test_function(*xs, *ys)    # the same, inference graph
    y_pred = model.predict_function(*xs)    # the output(s)

(``train_function(x, y)`` for one input and one output).  They also apply
the state updates of stateful recurrent layers.

Sample weights
--------------
``fit``/``evaluate``/``*_on_batch`` take ``sample_weight`` (one weight per
sample, or per time step with ``compile(sample_weight_mode='temporal')``)
and ``class_weight`` (``{class: weight}``); the loss is then Keras's
weighted mean:

.. math:: \\text{loss}_i = \\frac{\\operatorname{mean}_n(s_n\\,\\ell_n)}
          {\\operatorname{mean}_n [s_n \\neq 0]}

where :math:`\\ell_n` is sample ``n``'s loss (averaged over its real steps
when masked, per step in temporal mode).  These weighted functions are
compiled the first time weights are given, sharing the optimizer's state
with :attr:`train_function`; the unweighted functions stay as they are.

Reproducibility
---------------
Initial weights come from ``np.random`` (see :mod:`theano_rnn.initializers`),
dropout masks from each layer's random stream, and the shuffling in
:meth:`~Model.fit` from ``np.random`` -- or from the model's own
``RandomState`` when ``seed=...`` is given.
"""
import warnings

import numpy as np
from ..runtime import theano, T, compile_function, function_mode

from .. import callbacks as callbacks_module
from .. import legacy
from .. import losses
from .. import metrics as metrics_module
from .. import optimizers
from .. import random
from ..layers.base import Layer, _shape_str, check_rate, to_list
from ..validation import check_int, is_integer
from .network import Network

_EPSILON = 1e-7


def _function(name, inputs, outputs, updates, mode=None):
    """A model's ``theano.function``: C code on both backends
    (:func:`~theano_rnn.runtime.function_mode`) unless ``compile(...,
    mode=...)`` chose a mode, arrays downcast to the inputs' dtypes
    (float64 data into a float32 model)."""
    return compile_function(inputs, outputs, updates=updates, mode=mode,
                            allow_input_downcast=True, name=name)


class Model(Network):
    """A functional model: a graph of layers from ``inputs`` to
    ``outputs`` (Keras 2), trainable.

    Parameters
    ----------
    inputs : tensor or list of tensors
        From :func:`~theano_rnn.layers.Input`.  Keras 1's ``input=`` is
        accepted too (with a warning).
    outputs : tensor or list of tensors
        Keras 1's ``output=`` is accepted too.
    name : str, optional
    seed : int, optional
        Seed of the model's own ``numpy.random.RandomState`` for the
        shuffling in :meth:`fit` (saved with the model); ``None`` shuffles
        with ``np.random``.

    Attributes
    ----------
    train_function, test_function, predict_function : theano.function
        Compiled the first time they are used, from the graphs
        :meth:`compile` writes (see the module docstring); the first two
        are ``None`` before :meth:`compile`.
    metrics_names : list of str
        ``['loss', ...]``: the outputs of :meth:`evaluate`.
    optimizer, history, stop_training, metadata
        As in Keras; ``metadata`` (a JSON-ready dict) is saved with the
        model.
    """

    @legacy.legacy_interface(legacy.MODEL, owner="Model")
    def __init__(self, inputs=None, outputs=None, name=None, seed=None,
                 **unknown):
        if unknown:
            raise TypeError("Model: unexpected argument(s) %s"
                            % ", ".join(sorted(unknown)))
        if inputs is None or outputs is None:
            raise ValueError(
                "Model: give inputs= and outputs= (tensors from Input(...) "
                "and layer calls); subclassed models without them are not "
                "supported by theano_rnn")
        super(Model, self).__init__(inputs, outputs, name=name)
        self._init_training(seed)

    def _init_training(self, seed):
        if seed is not None and not is_integer(seed):
            raise ValueError("seed must be an integer or None, got %r"
                             % (seed,))
        self.seed = seed
        self._shuffle_rng = (np.random.RandomState(seed) if seed is not None
                             else None)
        self.stop_training = False
        self.history = None
        self.metadata = {}
        self._reset_compiled()

    def _reset_compiled(self):
        """Forget the compiled functions (after the structure changed)."""
        self._is_compiled = False
        self._functions = {}
        self._function_graphs = {}
        self._weighted_functions = None
        self.optimizer = None
        self.loss = None
        self.loss_functions = []
        self.loss_weights = None
        self.sample_weight_mode = None
        self.metrics_names = []
        self._metric_functions = []
        self._sparse_targets = []
        self._compile_config = None
        self._mode = None
        self._rng_states = []
        self._targets = []
        self._train_graph = None

    # -- compilation ---------------------------------------------------------
    def compile(self, optimizer=None, loss=None, metrics=None,
                loss_weights=None, sample_weight_mode=None,
                weighted_metrics=None, target_tensors=None, mode=None,
                **kwargs):
        """Configure training and compile the train, test and predict
        functions (see the module docstring), Keras's signature.

        Parameters
        ----------
        optimizer : str, dict or Optimizer
            See :func:`theano_rnn.optimizers.get`.
        loss : str, callable, list or dict
            A name from :mod:`theano_rnn.losses` or ``f(y_true, y_pred)``
            returning one value per sample; for several outputs one for
            all, a list (one per output) or a dict keyed by output layer
            name.
        metrics : list or dict, optional
            Names from :mod:`theano_rnn.metrics` (``'acc'`` picks the
            accuracy that suits the loss) or functions, for every output;
            or a dict ``{output name: [...]}`` or a list of such lists.
        loss_weights : list or dict, optional
            The weight of each output's loss in the total (1 by default).
        sample_weight_mode : None, 'temporal', list or dict
            ``'temporal'``: sample weights per time step (sequence
            outputs).
        mode : str or Mode, optional
            The mode the model's functions are compiled in, as Keras on
            Theano passed ``compile``'s extra arguments to
            ``theano.function``: ``None`` for C code
            (:func:`~theano_rnn.runtime.function_mode`); ``'JAX'`` on
            PyTensor with jax installed compiles with JAX, once per batch
            and sequence shape
            (:class:`~theano_rnn.runtime.pytensor_setup.StaticShapeFunction`).

        A known loss name given first and an optimizer second (theano_rnn's
        former order, ``compile('mse', 'adam')``) is accepted with a
        warning naming Keras's order, ``compile(optimizer, loss)``.

        Raises
        ------
        ValueError
            For an unknown loss, optimizer or metric, a list or dict that
            does not match the outputs, or a model that does not know its
            input shape.
        """
        if kwargs:
            raise TypeError("compile: unexpected argument(s) %s"
                            % ", ".join(sorted(kwargs)))
        if target_tensors is not None:
            raise ValueError("compile: target_tensors is not supported by "
                             "theano_rnn; targets are given to fit()")
        if weighted_metrics:
            raise ValueError("compile: weighted_metrics is not supported by "
                             "theano_rnn (metrics are unweighted)")
        optimizer, loss = _keras_order(optimizer, loss)
        function_mode(mode)                 # a bad mode fails here, not later
        self.build()
        if loss is None and isinstance(optimizer, str) and \
                optimizer in losses.LOSSES:
            raise ValueError(
                "compile: %r is a loss, given as the optimizer; Keras's order "
                "is compile(optimizer, loss), e.g. compile('adam', %r)"
                % (optimizer, optimizer))
        if loss is None:
            raise ValueError("compile: a loss is required, e.g. loss='mse'")
        if optimizer is None:
            raise ValueError("compile: an optimizer is required, e.g. "
                             "optimizer='adam'")
        names = self.output_names
        loss_functions = [losses.get(l) for l in
                          self._per_output(loss, "loss", required=True)]
        for name, function in zip(names, loss_functions):
            if function is None:
                raise ValueError(
                    "loss: no loss for output %r; theano_rnn trains every "
                    "output of a model (Keras's outputs without a loss are "
                    "not supported: build a model of the trained outputs)"
                    % name)
        optimizer = optimizers.get(optimizer)
        weights = self._per_output(loss_weights, "loss_weights",
                                   default=None)
        modes = self._per_output(sample_weight_mode, "sample_weight_mode",
                                 default=None)
        for name, weight_mode, output in zip(names, modes, self.outputs):
            if weight_mode not in (None, "temporal"):
                raise ValueError("sample_weight_mode: expected None or "
                                 "'temporal', got %r" % (weight_mode,))
            if weight_mode == "temporal" and output.ndim < 3:
                raise ValueError(
                    "sample_weight_mode='temporal' needs a sequence output "
                    "(batch, steps, ...); output %r has shape %s"
                    % (name, _shape_str(output._keras_shape)))
        metric_lists = self._metric_lists(metrics)
        multi = len(self.outputs) > 1
        metrics_names = ["loss"] + ([n + "_loss" for n in names]
                                    if multi else [])
        metric_functions = []
        for index, (name, identifiers, loss_function, output) in enumerate(
                zip(names, metric_lists, loss_functions, self.outputs)):
            seen = []
            for identifier in identifiers:
                metric_name, function = metrics_module.resolve(
                    identifier, loss=loss_function,
                    output_shape=output._keras_shape)
                if metric_name in seen:
                    raise ValueError("metrics: the name %r appears twice"
                                     % metric_name)
                seen.append(metric_name)
                metrics_names.append(name + "_" + metric_name if multi
                                     else metric_name)
                metric_functions.append((index, function))

        sparse = [f is losses.sparse_categorical_crossentropy
                  for f in loss_functions]
        targets = [T.TensorType("int32" if s else theano.config.floatX,
                                (False,) * output.ndim)(
                                    "y" if not multi else name + "_target")
                   for s, output, name in zip(sparse, self.outputs, names)]
        self.loss_functions = loss_functions
        self.loss = loss_functions[0] if not multi else loss_functions
        self.loss_weights = weights
        self.sample_weight_mode = modes
        self._metric_functions = metric_functions
        self._sparse_targets = sparse
        self._targets = targets

        predictions, masks = self._training_graph()
        train_outputs, total = self._loss_outputs(predictions, masks)
        params = self.trainable_weights
        updates = self._constrained(optimizer.get_updates(total, params))
        inputs = list(self.inputs) + targets
        predictions, masks, state_updates = self.run_graph(self.inputs)
        self._function_graphs = {
            "train_function": (
                inputs, train_outputs,
                updates + self._state_updates(training=True)),
            "test_function": (
                inputs, self._loss_outputs(predictions, masks)[0],
                state_updates)}
        self._functions.pop("train_function", None)
        self._functions.pop("test_function", None)
        self._weighted_functions = None
        self._is_compiled = True
        self._mode = mode
        self.optimizer = optimizer
        self.metrics_names = metrics_names
        self._compile_config = {
            "loss": _names(loss, losses.serialize),
            "metrics": _names(metrics if metrics is not None else [],
                              metrics_module.serialize),
            "loss_weights": loss_weights,
            "sample_weight_mode": sample_weight_mode}

    def _per_output(self, value, argument, required=False, default=None):
        """One entry per output from a single value, a list or a dict
        keyed by output name."""
        names = self.output_names
        if isinstance(value, dict):
            unknown = sorted(set(value) - set(names))
            if unknown:
                raise ValueError("%s: unknown output name(s) %s; the outputs "
                                 "are %s" % (argument, unknown, names))
            missing = [n for n in names if n not in value]
            if required and missing:
                raise ValueError("%s: no entry for output(s) %s"
                                 % (argument, missing))
            return [value.get(n, default) for n in names]
        if isinstance(value, (list, tuple)):
            if len(value) != len(names):
                raise ValueError(
                    "%s: the model has %d output(s) (%s), got a list of %d"
                    % (argument, len(names), ", ".join(names), len(value)))
            return list(value)
        if argument == "loss_weights" and value is not None:
            raise ValueError("loss_weights: expected a list or a dict keyed "
                             "by output name, got %r" % (value,))
        return [value] * len(names)

    def _metric_lists(self, metrics):
        """One list of metric identifiers per output."""
        names = self.output_names
        if metrics is None:
            return [[] for _ in names]
        if isinstance(metrics, dict):
            lists = self._per_output(metrics, "metrics", default=[])
            return [to_list(m) if m is not None else [] for m in lists]
        if isinstance(metrics, str) or callable(metrics) or \
                not hasattr(metrics, "__iter__"):
            raise ValueError("metrics: expected a list of metric names or "
                             "functions, e.g. metrics=['acc'], got %r"
                             % (metrics,))
        metrics = list(metrics)
        if len(names) > 1 and metrics and all(
                isinstance(m, (list, tuple)) for m in metrics):
            return [list(m) for m in self._per_output(metrics, "metrics")]
        return [list(metrics) for _ in names]

    def _training_graph(self):
        """``(outputs, masks)`` of the training graph, written once; the
        dropout RNG states it creates are remembered for ``save``."""
        if self._train_graph is None:
            streams = _model_streams(self.layers)
            before = [len(random.stream_states(s)) for s in streams]
            outputs, masks, _ = self.run_graph(self.inputs, None, True)
            self._rng_states = [
                state for stream, n in zip(streams, before)
                for state in random.stream_states(stream)[n:]]
            self._train_graph = (outputs, masks)
        return self._train_graph

    def _loss_outputs(self, predictions, masks, sample_weights=None):
        """``([total, (per-output losses), *metrics], total)``."""
        output_losses = []
        for i, (function, prediction, mask) in enumerate(zip(
                self.loss_functions, predictions, masks)):
            score = function(self._targets[i], prediction)
            if sample_weights is None:
                output_losses.append(_masked_mean(score, mask))
            else:
                output_losses.append(_weighted_mean(score, mask,
                                                    sample_weights[i]))
        terms = [loss if weight is None else loss * weight
                 for loss, weight in zip(output_losses, self.loss_weights)]
        terms += self.losses
        total = terms[0]
        for term in terms[1:]:
            total = total + term
        metric_values = [
            _masked_mean(function(self._targets[i], predictions[i]),
                         masks[i])
            for i, function in self._metric_functions]
        per_output = output_losses if len(self.outputs) > 1 else []
        return [total] + per_output + metric_values, total

    def _constrained(self, updates):
        """The optimizer's updates, each weight's through its layer's
        constraint."""
        constraints = self.constraints
        if not constraints:
            return updates
        return [(p, T.cast(constraints[p](new), p.dtype)
                 if p in constraints else new) for p, new in updates]

    def _make_weighted_functions(self):
        """The train and test functions taking sample weights (compiled
        on first use; the training one shares the optimizer's state)."""
        if self._weighted_functions is None:
            weights = [T.TensorType(theano.config.floatX,
                                    (False,) * (2 if mode == "temporal"
                                                else 1))(
                                        "%s_sample_weights" % name)
                       for mode, name in zip(self.sample_weight_mode,
                                             self.output_names)]
            inputs = list(self.inputs) + self._targets + weights
            predictions, masks = self._training_graph()
            outputs, total = self._loss_outputs(predictions, masks, weights)
            params = self.trainable_weights
            optimizer = self.optimizer
            updates = [(optimizer.iterations, optimizer.iterations + 1)]
            updates += optimizer._build_updates(
                params, optimizer.get_gradients(total, params))
            train = _function(
                "weighted_train_function", inputs, outputs,
                self._constrained(updates) +
                self._state_updates(training=True), mode=self._mode)
            predictions, masks, state_updates = self.run_graph(self.inputs)
            test = _function(
                "weighted_test_function", inputs,
                self._loss_outputs(predictions, masks, weights)[0],
                state_updates, mode=self._mode)
            self._weighted_functions = (train, test)
        return self._weighted_functions

    # -- the compiled functions ----------------------------------------------
    @property
    def train_function(self):
        """One optimizer step, ``[loss, ...] = train_function(*xs, *ys)``;
        ``None`` before :meth:`compile`."""
        return self._compiled("train_function")

    @property
    def test_function(self):
        """``[loss, ...] = test_function(*xs, *ys)`` with the inference
        graph; ``None`` before :meth:`compile`."""
        return self._compiled("test_function")

    @property
    def predict_function(self):
        """``outputs = predict_function(*xs)``; needs no :meth:`compile`."""
        return self._make_predict_function()

    def _compiled(self, name):
        """The function ``name``, compiled from the graph :meth:`compile`
        wrote the first time it is asked for (as Keras's
        ``_make_train_function``): a model that only predicts, or is only
        trained, never pays for the compilation of the others."""
        if name not in self._functions and name in self._function_graphs:
            self._functions[name] = _function(
                name, *self._function_graphs[name], mode=self._mode)
            del self._function_graphs[name]
        return self._functions.get(name)

    def _make_predict_function(self):
        if "predict_function" not in self._functions:
            self.build()
            outputs, _, updates = self.run_graph(self.inputs)
            self._function_graphs["predict_function"] = (
                list(self.inputs),
                outputs[0] if len(outputs) == 1 else outputs, updates)
        return self._compiled("predict_function")

    def _state_updates(self, training):
        """The stateful layers' state updates of the training or inference
        graph."""
        if training:
            self._training_graph()
            return self.run_graph(self.inputs, None, True)[2]
        return self.run_graph(self.inputs)[2]

    # -- stateful models -----------------------------------------------------
    def _check_batches(self, n, batch_size=None, argument="x"):
        """A stateful model's states have a fixed batch size: every batch
        of the ``n`` samples (one batch when ``batch_size`` is None, or
        when it is larger than ``n``) must have it; ``ValueError`` naming
        the argument otherwise."""
        if not self.stateful:
            return
        shape = self.inputs[0]._keras_shape
        fixed = shape[0]
        if batch_size is None:
            if n != fixed:
                raise ValueError(
                    "%s: a stateful model takes batches of exactly %d "
                    "samples, got %d" % (argument, fixed, n))
            return
        # As in Keras, a batch_size larger than the data is one batch of
        # all of it (predict's default of 32 on one stateful batch).
        if batch_size != fixed and not (n == fixed and n <= batch_size):
            raise ValueError(
                "batch_size: the model is stateful, with batches of %d "
                "samples (its input shape %s); got batch_size=%d"
                % (fixed, _shape_str(shape), batch_size))
        if n % fixed:
            raise ValueError(
                "%s: a stateful model takes whole batches of %d samples, "
                "got %d samples" % (argument, fixed, n))

    def _check_compiled(self, method):
        if not self._is_compiled:
            raise RuntimeError("%s: compile the model first, e.g. "
                               "model.compile(optimizer='adam', loss='mse')"
                               % method)

    # -- input checking ------------------------------------------------------
    def _as_list(self, data, names, argument, what):
        """``[(array-like, argument name)]`` per input or output from one
        array, a list or a dict keyed by layer name."""
        if isinstance(data, dict):
            unknown = sorted(set(data) - set(names))
            missing = [n for n in names if n not in data]
            if unknown or missing:
                raise ValueError(
                    "%s: the %s are %s; got a dict with keys %s"
                    % (argument, what, names, sorted(data)))
            return [(data[n], "%s[%r]" % (argument, n)) for n in names]
        if isinstance(data, (list, tuple)) and len(names) > 1:
            if len(data) != len(names):
                raise ValueError(
                    "%s: the model has %d %s (%s), got a list of %d arrays"
                    % (argument, len(names), what, ", ".join(names),
                       len(data)))
            return [(d, "%s[%d]" % (argument, i)) for i, d in enumerate(data)]
        if len(names) > 1:
            raise ValueError("%s: the model has %d %s (%s); give a list or "
                             "a dict of arrays" % (argument, len(names), what,
                                                   ", ".join(names)))
        if isinstance(data, list) and len(data) == 1 and \
                not np.isscalar(data[0]) and np.ndim(data[0]) >= 1 and \
                _is_array_list(data):
            data = data[0]
        return [(data, argument)]

    def _check_x(self, x, argument="x"):
        """``x`` as a list of arrays of the inputs' dtypes, or
        ValueError."""
        self.build()
        arrays = []
        for tensor, (value, name) in zip(self.inputs, self._as_list(
                x, self.input_names, argument, "inputs")):
            array = _numeric_array(value, name)
            for layer in self._consumers(tensor):
                layer.check_input(array, name, shape=tensor._keras_shape)
            tensor._keras_history[0].check_input(array, name)
            arrays.append(array.astype(tensor.dtype, copy=False))
        return arrays

    def _consumers(self, tensor):
        """The layers of this model called on ``tensor``."""
        return [node.outbound_layer for node in self._execution_order
                if any(t is tensor for t in node.input_tensors) and
                node.outbound_layer is not tensor._keras_history[0]]

    def _check_y(self, y, argument="y"):
        """``y`` as a list of arrays of the targets' dtypes and shapes, or
        ValueError."""
        arrays = []
        for i, (value, name) in enumerate(self._as_list(
                y, self.output_names, argument, "outputs")):
            arrays.append(self._check_target(value, name, i))
        return arrays

    def _check_target(self, value, argument, index):
        array = _numeric_array(value, argument)
        shape = self.outputs[index]._keras_shape
        last = self.output_names[index]
        sparse = self._sparse_targets[index] if self._sparse_targets \
            else False
        if sparse:
            if array.ndim == len(shape) - 1:
                array = array[..., np.newaxis]
            expected = shape[:-1] + (1,)
        else:
            if array.ndim == 1 and len(shape) == 2:
                array = array[:, np.newaxis]
            expected = shape
        if array.ndim != len(expected) or any(
                want is not None and want != got
                for want, got in zip(expected[1:], array.shape[1:])):
            raise ValueError(
                "%s: expected targets of shape %s for the output of layer %r "
                "(output shape %s), got an array of shape %s"
                % (argument, _shape_str(expected), last,
                   _shape_str(shape), array.shape))
        if sparse:
            classes = shape[-1]
            if not np.array_equal(array, np.round(array)) or \
                    array.min() < 0 or (classes is not None and
                                        array.max() >= classes):
                raise ValueError(
                    "%s: sparse_categorical_crossentropy needs integer class "
                    "ids in [0, %s), got values from %s to %s"
                    % (argument, classes, array.min(), array.max()))
            return array.astype("int32")
        return array.astype(theano.config.floatX, copy=False)

    def _check_data(self, x, y, x_name="x", y_name="y"):
        xs = self._check_x(x, x_name)
        ys = self._check_y(y, y_name)
        _same_length(xs + ys, x_name, y_name)
        return xs, ys

    def _check_weights(self, ys, sample_weight, class_weight,
                       argument="sample_weight"):
        """One weight array per output (or ``None`` when neither is
        given), Keras's ``standardize_weights``."""
        if sample_weight is None and class_weight is None:
            return None
        if sample_weight is not None and class_weight is not None:
            warnings.warn("Found both `sample_weight` and `class_weight`: "
                          "`class_weight` argument will be ignored.")
            class_weight = None
        names = self.output_names
        if sample_weight is not None:
            given = [v for v, _ in self._as_list(sample_weight, names,
                                                 argument, "outputs")]
        else:
            given = [None] * len(names)
        if class_weight is not None:
            if len(names) > 1 or (class_weight and all(
                    isinstance(v, dict) for v in class_weight.values())
                    and set(class_weight) <= set(names)):
                class_weights = self._per_output(class_weight,
                                                 "class_weight")
            else:
                class_weights = [class_weight]
        else:
            class_weights = [None] * len(names)
        result = []
        for i, (weights, classes, y) in enumerate(zip(given, class_weights,
                                                      ys)):
            temporal = self.sample_weight_mode[i] == "temporal"
            name = argument if len(names) == 1 else "%s[%r]" % (argument,
                                                                names[i])
            if weights is not None:
                weights = _numeric_array(weights, name).astype(
                    theano.config.floatX)
                want = y.shape[:2] if temporal else y.shape[:1]
                if weights.shape != want:
                    raise ValueError(
                        "%s: expected %s of shape %s for output %r%s, got %s"
                        % (name, "weights", want, names[i],
                           " (sample_weight_mode='temporal')" if temporal
                           else "", weights.shape))
            elif classes is not None:
                weights = _class_weights(classes, y, temporal,
                                         "class_weight")
            else:
                weights = np.ones(y.shape[:2] if temporal else y.shape[:1],
                                  dtype=theano.config.floatX)
            result.append(weights)
        return result

    # -- training and inference ---------------------------------------------
    @legacy.legacy_interface(legacy.FIT, owner="fit")
    def fit(self, x=None, y=None, batch_size=32, epochs=1, verbose=1,
            callbacks=None, validation_split=0., validation_data=None,
            shuffle=True, class_weight=None, sample_weight=None,
            initial_epoch=0, steps_per_epoch=None, validation_steps=None,
            **unknown):
        """Train for ``epochs - initial_epoch`` epochs, Keras 2's signature.

        Parameters
        ----------
        x, y : array, list of arrays or dict keyed by input/output name
            Inputs and targets, with the samples along the first axis.
        batch_size : int >= 1
            The last batch of an epoch holds the remaining samples.
        epochs : int >= 0
            Index of the epoch to stop after (not a count when
            ``initial_epoch`` is given).  Keras 1's ``nb_epoch`` is
            accepted with a warning.
        verbose : {0, 1, 2}
            0 silent, 1 a progress bar, 2 one line per epoch.
        callbacks : list of Callback, optional
            Called after the built-in ``BaseLogger`` (epoch averages) and
            :class:`~theano_rnn.callbacks.TerminateOnNaN` (added unless the
            list has one) and before ``History`` and ``ProgbarLogger``.
        validation_split : float in [0, 1)
            Hold out this fraction of the samples -- the *last* ones, taken
            before shuffling -- to validate on after each epoch.
        validation_data : tuple, optional
            ``(x_val, y_val)`` or ``(x_val, y_val, sample_weight_val)``.
        shuffle : bool
            Shuffle the training samples at the start of every epoch.
        class_weight : dict, optional
            ``{class id: weight}`` (per output name for several outputs).
        sample_weight : array, optional
            One weight per sample (per time step in temporal mode).
        initial_epoch : int >= 0
            The epoch to start at (to resume a run).
        steps_per_epoch, validation_steps : None
            Only for symbolic data feeds, which theano_rnn does not have.

        Returns
        -------
        History
            Also kept as ``model.history``; its ``history`` dict holds, per
            epoch, ``'loss'``, the metrics and their ``'val_'`` versions.

        Raises
        ------
        ValueError
            For invalid data or arguments, before anything runs.
        RuntimeError
            If the model is not compiled.
        """
        if unknown:
            raise TypeError("fit: unexpected argument(s) %s"
                            % ", ".join(sorted(unknown)))
        if steps_per_epoch is not None or validation_steps is not None:
            raise ValueError("fit: steps_per_epoch and validation_steps are "
                             "for symbolic data feeds, which theano_rnn does "
                             "not have; give arrays and batch_size")
        self._check_compiled("fit")
        batch_size = check_int(batch_size, "batch_size", 1)
        epochs = check_int(epochs, "epochs", 0)
        initial_epoch = check_int(initial_epoch, "initial_epoch", 0)
        _check_verbose(verbose)
        split = check_rate(validation_split, "validation_split")
        callbacks = _check_callbacks(callbacks)
        xs, ys = self._check_data(x, y)
        weights = self._check_weights(ys, sample_weight, class_weight)
        if validation_data is not None:
            validation = self._check_validation_data(validation_data)
        elif split:
            arrays, validation = _split_off(
                xs + ys + (weights or []), split)
            n_in, n_out = len(xs), len(ys)
            xs, ys = arrays[:n_in], arrays[n_in:n_in + n_out]
            weights = arrays[n_in + n_out:] or None
            v_weights = validation[n_in + n_out:] or None
            validation = (validation[:n_in], validation[n_in:n_in + n_out],
                          v_weights)
        else:
            validation = None
        n = len(xs[0])
        self._check_batches(n, batch_size)
        if validation is not None:
            self._check_batches(len(validation[0][0]), batch_size,
                                "validation data")
        train = (self.train_function if weights is None
                 else self._make_weighted_functions()[0])
        arrays = xs + ys + (weights or [])
        batches = _batches(n, batch_size)
        self.history = callbacks_module.History()
        callback_list = self._fit_callbacks(callbacks, verbose, {
            "batch_size": batch_size, "epochs": epochs,
            "steps": len(batches), "samples": n,
            "verbose": verbose, "do_validation": validation is not None})
        for callback in callback_list:
            callback.validation_data = (
                None if validation is None else
                (_unpack_arrays(validation[0]),
                 _unpack_arrays(validation[1])))

        self.stop_training = False
        callback_list.on_train_begin()
        for epoch in range(initial_epoch, epochs):
            callback_list.on_epoch_begin(epoch)
            order = np.arange(n)
            if shuffle:
                rng = np.random if self._shuffle_rng is None \
                    else self._shuffle_rng
                rng.shuffle(order)
            epoch_logs = {}
            for batch, (start, stop) in enumerate(batches):
                ids = order[start:stop]
                batch_logs = {"batch": batch, "size": len(ids)}
                callback_list.on_batch_begin(batch, batch_logs)
                outputs = train(*[a[ids] for a in arrays])
                batch_logs.update(zip(self.metrics_names, map(float, outputs)))
                callback_list.on_batch_end(batch, batch_logs)
                if self.stop_training:
                    break
            else:  # validate after complete epochs only, as Keras does
                if validation is not None:
                    values = self._test_loop(*validation,
                                             batch_size=batch_size)
                    epoch_logs.update(("val_" + name, value) for name, value
                                      in zip(self.metrics_names, values))
            callback_list.on_epoch_end(epoch, epoch_logs)
            if self.stop_training:
                break
        callback_list.on_train_end()
        return self.history

    def _check_validation_data(self, validation_data):
        if not isinstance(validation_data, (tuple, list)) or \
                len(validation_data) not in (2, 3):
            raise ValueError("validation_data must be a tuple (x_val, y_val) "
                             "or (x_val, y_val, sample_weight_val), got %r"
                             % (type(validation_data),))
        xs, ys = self._check_data(validation_data[0], validation_data[1],
                                  "validation_data[0]", "validation_data[1]")
        weights = None
        if len(validation_data) == 3 and validation_data[2] is not None:
            weights = self._check_weights(ys, validation_data[2], None,
                                          "validation_data[2]")
        return xs, ys, weights

    def _fit_callbacks(self, callbacks, verbose, params):
        """The CallbackList of :meth:`fit`: BaseLogger, TerminateOnNaN
        (unless given), the user's, History, ProgbarLogger (if verbose)."""
        names = list(self.metrics_names)
        if params["do_validation"]:
            names += ["val_" + name for name in self.metrics_names]
        built_in = [callbacks_module.BaseLogger()]
        if not any(isinstance(c, callbacks_module.TerminateOnNaN)
                   for c in callbacks):
            built_in.append(callbacks_module.TerminateOnNaN())
        progress = [callbacks_module.ProgbarLogger()] if verbose else []
        callback_list = callbacks_module.CallbackList(
            built_in + callbacks + [self.history] + progress)
        callback_list.set_model(self)
        callback_list.set_params(dict(params, metrics=names))
        return callback_list

    def evaluate(self, x=None, y=None, batch_size=32, verbose=0,
                 sample_weight=None, steps=None):
        """The loss (and metrics) on ``x, y``, with the inference graph.

        Returns
        -------
        float or list of float
            The loss, or ``[loss, ...]`` if the model has metrics or several
            outputs (see :attr:`metrics_names`); averages over all samples.
        """
        if steps is not None:
            raise ValueError("evaluate: steps is for symbolic data feeds, "
                             "which theano_rnn does not have")
        self._check_compiled("evaluate")
        batch_size = check_int(batch_size, "batch_size", 1)
        _check_verbose(verbose)
        xs, ys = self._check_data(x, y)
        weights = self._check_weights(ys, sample_weight, None)
        self._check_batches(len(xs[0]), batch_size)
        values = self._test_loop(xs, ys, weights, batch_size, verbose)
        return values[0] if len(values) == 1 else values

    def _test_loop(self, xs, ys, weights=None, batch_size=32, verbose=0):
        """Sample-weighted averages of the test function's outputs."""
        function = (self.test_function if weights is None
                    else self._make_weighted_functions()[1])
        arrays = xs + ys + (weights or [])
        n = len(xs[0])
        totals = np.zeros(len(self.metrics_names))
        progbar = callbacks_module.Progbar(n, verbose=verbose)
        for start, stop in _batches(n, batch_size):
            outputs = function(*[a[start:stop] for a in arrays])
            totals += np.array(outputs, dtype=np.float64) * (stop - start)
            progbar.update(stop)
        return [float(v) for v in totals / n]

    def predict(self, x, batch_size=32, verbose=0, steps=None):
        """The model's output(s) for ``x``, computed in batches with the
        inference graph; needs no :meth:`compile`.

        Returns
        -------
        numpy array, or a list of them for several outputs
            Shape ``(len(x),) + output_shape[1:]``.
        """
        if steps is not None:
            raise ValueError("predict: steps is for symbolic data feeds, "
                             "which theano_rnn does not have")
        batch_size = check_int(batch_size, "batch_size", 1)
        _check_verbose(verbose)
        xs = self._check_x(x)
        _same_length(xs, "x", "x")
        n = len(xs[0])
        self._check_batches(n, batch_size)
        function = self._make_predict_function()
        progbar = callbacks_module.Progbar(n, verbose=verbose)
        outputs = []
        for start, stop in _batches(n, batch_size):
            outputs.append(to_list(function(*[a[start:stop] for a in xs])))
            progbar.update(stop)
        results = [np.concatenate(parts) for parts in zip(*outputs)]
        return results[0] if len(results) == 1 else results

    def train_on_batch(self, x, y, sample_weight=None, class_weight=None):
        """One optimizer step on the batch ``x, y``; returns the loss, or
        ``[loss, ...]`` (values before the step)."""
        self._check_compiled("train_on_batch")
        xs, ys = self._check_data(x, y)
        weights = self._check_weights(ys, sample_weight, class_weight)
        self._check_batches(len(xs[0]))
        function = (self.train_function if weights is None
                    else self._make_weighted_functions()[0])
        return _scalars(function(*(xs + ys + (weights or []))))

    def test_on_batch(self, x, y, sample_weight=None):
        """The loss (and metrics) on one batch, with the inference graph."""
        self._check_compiled("test_on_batch")
        xs, ys = self._check_data(x, y)
        weights = self._check_weights(ys, sample_weight, None)
        self._check_batches(len(xs[0]))
        function = (self.test_function if weights is None
                    else self._make_weighted_functions()[1])
        return _scalars(function(*(xs + ys + (weights or []))))

    def predict_on_batch(self, x):
        """The model's output(s) for one batch."""
        xs = self._check_x(x)
        _same_length(xs, "x", "x")
        self._check_batches(len(xs[0]))
        return self._make_predict_function()(*xs)

    # -- generators ------------------------------------------------------------
    @legacy.legacy_interface(legacy.FIT_GENERATOR, owner="fit_generator")
    def fit_generator(self, generator, steps_per_epoch=None, epochs=1,
                      verbose=1, callbacks=None, validation_data=None,
                      validation_steps=None, class_weight=None,
                      max_queue_size=10, workers=1, use_multiprocessing=False,
                      shuffle=True, initial_epoch=0, **unknown):
        """Train on batches from ``generator``, Keras 2's signature.

        ``generator`` yields ``(x, y)`` or ``(x, y, sample_weight)``
        batches without end (or is a Keras-style ``Sequence``: ``len`` and
        indexing, ``on_epoch_end`` called after each epoch).  An epoch is
        ``steps_per_epoch`` batches (``len(sequence)`` by default).
        ``validation_data`` is a generator (with ``validation_steps``) or a
        tuple of arrays.  theano_rnn reads the generator in the calling
        thread: ``workers``, ``use_multiprocessing`` and ``max_queue_size``
        are accepted for Keras code and change nothing.  Keras 1's names
        (``nb_epoch``, ``samples_per_epoch``, ``nb_val_samples``,
        ``nb_worker``, ``max_q_size``, ``pickle_safe``) are accepted with a
        warning naming Keras 2's (``samples_per_epoch`` becomes
        ``steps_per_epoch`` as in Keras 2's own conversion, although the
        new argument counts batches).

        Returns
        -------
        History
        """
        if unknown:
            raise TypeError("fit_generator: unexpected argument(s) %s"
                            % ", ".join(sorted(unknown)))
        self._check_compiled("fit_generator")
        epochs = check_int(epochs, "epochs", 0)
        initial_epoch = check_int(initial_epoch, "initial_epoch", 0)
        _check_verbose(verbose)
        callbacks = _check_callbacks(callbacks)
        batches, steps_per_epoch = _batch_source(generator, steps_per_epoch,
                                                 "steps_per_epoch")
        validation_generator = validation_data is not None and not \
            isinstance(validation_data, (tuple, list))
        if validation_generator:
            validation_batches, validation_steps = _batch_source(
                validation_data, validation_steps, "validation_steps")
        elif validation_data is not None:
            validation = self._check_validation_data(validation_data)
        self.history = callbacks_module.History()
        callback_list = self._fit_callbacks(callbacks, verbose, {
            "epochs": epochs, "steps": steps_per_epoch, "verbose": verbose,
            "do_validation": validation_data is not None})
        self.stop_training = False
        callback_list.on_train_begin()
        for epoch in range(initial_epoch, epochs):
            callback_list.on_epoch_begin(epoch)
            epoch_logs = {}
            for step in range(steps_per_epoch):
                x, y, weights = _unpack_batch(next(batches), "generator")
                batch_logs = {"batch": step, "size": len(_first_array(x))}
                callback_list.on_batch_begin(step, batch_logs)
                outputs = to_list(self.train_on_batch(
                    x, y, sample_weight=weights, class_weight=class_weight))
                batch_logs.update(zip(self.metrics_names, outputs))
                callback_list.on_batch_end(step, batch_logs)
                if self.stop_training:
                    break
            else:
                if validation_generator:
                    values = self._generator_test_loop(validation_batches,
                                                       validation_steps)
                elif validation_data is not None:
                    values = self._test_loop(*validation)
                if validation_data is not None:
                    epoch_logs.update(("val_" + name, value) for name, value
                                      in zip(self.metrics_names, values))
            _sequence_epoch_end(generator)
            callback_list.on_epoch_end(epoch, epoch_logs)
            if self.stop_training:
                break
        callback_list.on_train_end()
        return self.history

    def evaluate_generator(self, generator, steps=None, max_queue_size=10,
                           workers=1, use_multiprocessing=False, verbose=0):
        """The loss (and metrics) over ``steps`` batches of ``generator``
        (``(x, y)`` or ``(x, y, sample_weight)``), averaged over the
        samples."""
        self._check_compiled("evaluate_generator")
        _check_verbose(verbose)
        batches, steps = _batch_source(generator, steps, "steps")
        values = self._generator_test_loop(batches, steps)
        return values[0] if len(values) == 1 else values

    def _generator_test_loop(self, batches, steps):
        totals, samples = np.zeros(len(self.metrics_names)), 0
        for _ in range(steps):
            x, y, weights = _unpack_batch(next(batches), "generator")
            outputs = to_list(self.test_on_batch(x, y, sample_weight=weights))
            size = len(_first_array(x))
            totals += np.array(outputs, dtype=np.float64) * size
            samples += size
        return [float(v) for v in totals / samples]

    def predict_generator(self, generator, steps=None, max_queue_size=10,
                          workers=1, use_multiprocessing=False, verbose=0):
        """The outputs for ``steps`` batches of inputs from ``generator``
        (``x``, or ``(x, y[, sample_weight])`` whose ``x`` is used),
        concatenated."""
        _check_verbose(verbose)
        batches, steps = _batch_source(generator, steps, "steps")
        parts = []
        for _ in range(steps):
            batch = next(batches)
            if isinstance(batch, tuple) and len(batch) in (2, 3):
                batch = batch[0]
            parts.append(to_list(self.predict_on_batch(batch)))
        results = [np.concatenate(p) for p in zip(*parts)]
        return results[0] if len(results) == 1 else results

    # -- persistence (see theano_rnn.models.persistence) ---------------------
    def save(self, path, metadata=None, overwrite=True,
             include_optimizer=True, save_format=None):
        """Save the whole model to one file, atomically: architecture,
        weights, compile settings, optimizer state, RNG positions and the
        :attr:`metadata` (see :func:`theano_rnn.models.persistence.save_model`).

        Raises
        ------
        ValueError
            If the metadata is not a JSON-ready dict (checked before
            anything is written).
        OSError
            If the file cannot be written.
        """
        from . import persistence
        persistence.save_model(self, path, metadata, overwrite=overwrite,
                               include_optimizer=include_optimizer,
                               save_format=save_format)

    def save_weights(self, path, overwrite=True, save_format=None):
        """Save the weights alone, atomically, to one file (Keras's HDF5
        format for a ``.h5``/``.hdf5``/``.keras`` name)."""
        from . import persistence
        persistence.save_weights(self, path, overwrite=overwrite,
                                 save_format=save_format)

    def load_weights(self, path, by_name=False, skip_mismatch=False):
        """Load weights saved by :meth:`save_weights` (or :meth:`save`),
        layer by layer in order as in Keras; everything is checked before
        any weight changes (``ValueError`` naming the layer)."""
        from . import persistence
        persistence.load_weights(self, path, by_name=by_name,
                                 skip_mismatch=skip_mismatch)

    def get_weights(self):
        """The weights of all layers as a list of NumPy arrays."""
        return [w.get_value() for w in self.weights]

    def set_weights(self, weights):
        """Set the weights of all layers from :meth:`get_weights`'s list.

        Everything is checked before any weight changes.

        Raises
        ------
        ValueError
            If the number of arrays or a shape does not match, naming the
            layer concerned.
        """
        from . import persistence
        persistence.set_model_weights(self, weights)

    def _weight_layout(self):
        """``[[layer name, class name, number of weights], ...]``."""
        self.build()
        return [[layer.name, type(layer).__name__, len(layer.weights)]
                for layer in self.layers]


# -- helpers -----------------------------------------------------------------

def _keras_order(optimizer, loss):
    """``(optimizer, loss)``; a known loss name first and an optimizer
    second (theano_rnn's former order) are swapped with a warning."""
    if isinstance(optimizer, str) and optimizer in losses.LOSSES and \
            loss is not None and _is_optimizer(loss):
        warnings.warn(
            "compile(%r, %r): Keras's order is compile(optimizer, loss); "
            "taking optimizer=%r, loss=%r" % (optimizer, loss, loss,
                                             optimizer), stacklevel=3)
        return loss, optimizer
    return optimizer, loss


def _is_optimizer(value):
    if isinstance(value, optimizers.Optimizer):
        return True
    if isinstance(value, str) and value not in losses.LOSSES:
        try:
            optimizers.get(value)
        except ValueError:
            return False
        return True
    return False


def _names(value, serialize):
    """Losses or metrics as given to compile, functions as their names."""
    if isinstance(value, dict):
        return {k: _names(v, serialize) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_names(v, serialize) for v in value]
    if value is None or isinstance(value, str):
        return value
    return serialize(value)


def _model_streams(layers):
    """The random streams of ``layers`` and of the layers they wrap."""
    streams = []
    for layer in layers:
        stream = getattr(layer, "stream", None)
        if stream is not None:
            streams.append(stream)
        inner = [value for value in vars(layer).values()
                 if isinstance(value, Layer)]
        if isinstance(layer, Network):
            inner += layer.layers
        streams += _model_streams(inner)
    return streams


def _masked_mean(values, mask):
    """Mean of per-sample (or per-step) values, over the real steps only
    when there is a mask of the same shape."""
    if mask is None or mask.ndim != values.ndim:
        return T.mean(values)
    mask = T.cast(mask, values.dtype)
    return T.sum(values * mask) / T.maximum(T.sum(mask), 1)


def _weighted_mean(score, mask, weights):
    """Keras's weighted masked objective: the masked score averaged to one
    value per weight, weighted, divided by the fraction of non-zero
    weights."""
    if mask is not None and mask.ndim == score.ndim:
        mask = T.cast(mask, score.dtype)
        score = score * mask / T.maximum(T.mean(mask), _EPSILON)
    if score.ndim > weights.ndim:
        score = T.mean(score, axis=list(range(weights.ndim, score.ndim)))
    score = score * weights
    nonzero = T.mean(T.cast(T.neq(weights, 0), score.dtype))
    return T.mean(score) / T.maximum(nonzero, _EPSILON)


def _class_weights(class_weight, y, temporal, argument):
    """Per-sample weights from ``{class: weight}`` (Keras's
    ``standardize_weights``)."""
    if not isinstance(class_weight, dict):
        raise ValueError("%s: expected a dict {class id: weight}, got %r"
                         % (argument, class_weight))
    if y.ndim > 2 or temporal:
        raise ValueError("%s not supported for 3+ dimensional targets "
                         "(sequence outputs); use sample_weight with "
                         "sample_weight_mode='temporal'" % argument)
    if y.ndim == 2 and y.shape[1] > 1:
        classes = y.argmax(axis=1)
    elif y.ndim == 2:
        classes = np.round(y[:, 0]).astype(int)
    else:
        classes = np.round(y).astype(int)
    missing = sorted(set(classes.tolist()) - set(class_weight))
    if missing:
        raise ValueError("`%s` must contain all classes in the data. The "
                         "classes %s exist in the data but not in `%s`."
                         % (argument, missing, argument))
    return np.array([class_weight[c] for c in classes],
                    dtype=theano.config.floatX)


# NumPy 2 keeps its warnings in ``np.exceptions`` only (NumPy >= 1.25).
_VisibleDeprecationWarning = getattr(np, "exceptions",
                                     np).VisibleDeprecationWarning


def _numeric_array(value, argument):
    """``value`` as a numeric NumPy array, or ValueError naming
    ``argument``."""
    if value is None:
        raise ValueError("%s: an array is required, got None" % argument)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", _VisibleDeprecationWarning)
        try:
            array = np.asarray(value)
        except (TypeError, ValueError) as error:
            array = None
            reason = str(error)
    if array is None or array.dtype == object:
        raise ValueError(
            "%s: could not make a numeric array of it%s; sequences of "
            "different lengths must first be padded to one length (see "
            "theano_rnn.preprocessing.sequence.pad_sequences)"
            % (argument, " (%s)" % reason if array is None else ""))
    if array.dtype.kind == "b":
        array = array.astype(np.int8)
    if array.dtype.kind not in "iuf":
        raise ValueError("%s: expected a numeric array, got dtype %s"
                         % (argument, array.dtype))
    if array.ndim == 0:
        raise ValueError("%s: expected an array of samples, got a scalar"
                         % argument)
    if len(array) == 0:
        raise ValueError("%s: got no samples (an empty array)" % argument)
    if array.dtype.kind == "f" and not np.all(np.isfinite(array)):
        raise ValueError("%s: contains NaN or infinite values" % argument)
    return array


def _is_array_list(data):
    """Whether a one-element list holds an array (not a list of numbers)."""
    return isinstance(data[0], np.ndarray)


def _same_length(arrays, x_name, y_name):
    lengths = [len(a) for a in arrays]
    if len(set(lengths)) > 1:
        if x_name == y_name:
            raise ValueError("%s: all input arrays must hold the same number "
                             "of samples, got %s" % (x_name, lengths))
        raise ValueError("%s and %s must hold the same number of samples, "
                         "got %s" % (x_name, y_name, " and ".join(
                             str(n) for n in lengths)))


def _check_verbose(verbose):
    if verbose not in (0, 1, 2):
        raise ValueError("verbose must be 0, 1 or 2, got %r" % (verbose,))


def _split_off(arrays, split):
    """``(training arrays, validation arrays)``: the last ``split``
    fraction held out, as Keras does (before any shuffling)."""
    n = len(arrays[0])
    split_at = int(n * (1.0 - split))
    if split_at == 0 or split_at == n:
        raise ValueError(
            "validation_split=%r of %d samples leaves %d to train and %d to "
            "validate on; both need at least one"
            % (split, n, split_at, n - split_at))
    return [a[:split_at] for a in arrays], [a[split_at:] for a in arrays]


def _check_callbacks(callbacks):
    if callbacks is None:
        return []
    if isinstance(callbacks, callbacks_module.Callback) or \
            not isinstance(callbacks, (list, tuple)):
        raise ValueError("callbacks: expected a list of Callback objects, "
                         "got %r" % (callbacks,))
    for callback in callbacks:
        if not isinstance(callback, callbacks_module.Callback):
            raise ValueError("callbacks: %r is not a "
                             "theano_rnn.callbacks.Callback" % (callback,))
    return list(callbacks)


def _batches(n, batch_size):
    """``(start, stop)`` of each batch; the last one may be smaller."""
    return [(start, min(start + batch_size, n))
            for start in range(0, n, batch_size)]


def _scalars(outputs):
    values = [float(v) for v in outputs]
    return values[0] if len(values) == 1 else values


def _batch_source(generator, steps, argument):
    """``(iterator of batches, steps)`` from a generator (``steps``
    required) or a Keras-style ``Sequence`` (``steps`` defaults to its
    length; read in order, round after round)."""
    if hasattr(generator, "__getitem__") and hasattr(generator, "__len__"):
        length = len(generator)
        if steps is None:
            steps = length

        def cycle():
            while True:
                for index in range(length):
                    yield generator[index]
        return cycle(), check_int(steps, argument, 1)
    if not hasattr(generator, "__next__"):
        raise ValueError("expected a generator (or a Sequence) of batches, "
                         "got %r" % (generator,))
    if steps is None:
        raise ValueError("%s is required with a generator (the number of "
                         "batches to draw)" % argument)
    return generator, check_int(steps, argument, 1)


def _unpack_batch(batch, argument):
    """``(x, y, sample_weight)`` of a generator's batch."""
    if not isinstance(batch, tuple) or len(batch) not in (2, 3):
        raise ValueError("output of %s should be a tuple `(x, y, "
                         "sample_weight)` or `(x, y)`. Found: %r"
                         % (argument, batch))
    return batch if len(batch) == 3 else batch + (None,)


def _first_array(x):
    if isinstance(x, dict):
        return list(x.values())[0]
    return x[0] if isinstance(x, (list, tuple)) else x


def _sequence_epoch_end(generator):
    on_epoch_end = getattr(generator, "on_epoch_end", None)
    if callable(on_epoch_end):
        on_epoch_end()


def _unpack_arrays(arrays):
    return arrays[0] if len(arrays) == 1 else arrays
