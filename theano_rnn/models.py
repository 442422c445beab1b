"""The ``Sequential`` model: a stack of layers compiled into Theano functions.

Usage, as in Keras::

    model = Sequential([LSTM(32, input_shape=(steps, features)),
                        Dense(1, activation='sigmoid')])
    model.compile(loss='binary_crossentropy', optimizer='adam',
                  metrics=['acc'])
    history = model.fit(x, y, batch_size=32, epochs=10,
                        validation_split=0.1)
    loss, acc = model.evaluate(x_test, y_test)
    probabilities = model.predict(x_test)
    model.metadata = {'vocabulary_size': 20000}   # any JSON-ready dict
    model.save('model.npz')
    model = load_model('model.npz')   # model.metadata comes back with it

What happens underneath
-----------------------
The first layer's ``batch_input_shape`` (from ``input_shape=`` or, for
``Embedding``, ``input_length=``) and ``input_dtype`` give the symbolic input
``model.input``: an ``int32`` tensor of token ids for ``Embedding``, a floatX
tensor otherwise, of that shape's rank.  The layers are built once, in order,
each from the previous output shape.  The forward pass is then written twice,
threading the mask (``mask = layer.compute_mask(x, mask)``) from layer to
layer: once with ``training=True`` (dropout on) and once with
``training=False`` (the deterministic inference graph, ``model.output``).

:meth:`Sequential.compile` turns these graphs into three ``theano.function``
objects, public attributes meant to be called from your own code as well
(e.g. a hand-written training loop)::

    outs = model.train_function(x_batch, y_batch)   # [loss, *metrics]; one
                                                    # optimizer step
    outs = model.test_function(x_batch, y_batch)    # [loss, *metrics]
    y_pred = model.predict_function(x_batch)        # inference graph

All three also apply the state updates of stateful recurrent layers (the
training function those of the training graph), so each call continues the
sequences of the previous one until :meth:`Sequential.reset_states`.

They take NumPy arrays whose rank and dtype are those of ``model.input`` and
of the targets (floatX, or int32 class ids for
``sparse_categorical_crossentropy``); they do not check their inputs the way
:meth:`~Sequential.fit` does.  The outputs are 0-d arrays.  The loss is the
mean over the batch (and, for sequence outputs, over the time steps, real
steps only when the output carries a mask) of the per-sample loss.

Reproducibility
---------------
Initial weights come from ``np.random`` (see :mod:`theano_rnn.initializers`),
dropout masks from each layer's MRG stream (seeded by the layer's ``seed``,
else from ``np.random`` when the layer is created), and the shuffling in
:meth:`~Sequential.fit` from ``np.random`` -- or from the model's own
``RandomState`` when ``Sequential(seed=...)`` is given.  So ``np.random.seed``
before creating the model (or fixed seeds everywhere) repeats a run exactly.
"""
import itertools
import json
import warnings

import numpy as np
import theano
import theano.tensor as T

from . import __version__
from . import callbacks as callbacks_module
from . import layers as layers_module
from . import losses
from . import metrics as metrics_module
from . import optimizers
from . import random
from . import saving
from .layers.base import Layer, _shape_str, check_rate

__all__ = ["Sequential", "load_model"]

_model_counter = itertools.count(1)


class Sequential(object):
    """A linear stack of layers, Keras style.

    Parameters
    ----------
    layers : list of Layer, optional
        Added in order with :meth:`add`.
    name : str, optional
    seed : int, optional
        Seed of the model's own ``numpy.random.RandomState``, used to
        shuffle the training data in :meth:`fit`; its position is saved by
        :meth:`save`, so that a loaded model shuffles on exactly as the saved
        one would have.  ``None`` (the default, as in Keras) shuffles with
        ``np.random``.

    Attributes
    ----------
    layers : list of Layer
    train_function : theano.function or None
        ``train_function(x, y) -> [loss, *metrics]``: one optimizer step on a
        batch, with the training graph (dropout on).  Set by :meth:`compile`.
    test_function : theano.function or None
        ``test_function(x, y) -> [loss, *metrics]`` with the inference graph.
        Set by :meth:`compile`.
    predict_function : theano.function or None
        ``predict_function(x) -> y_pred`` with the inference graph.  Set by
        :meth:`compile`, or on first use by :meth:`predict`.
    metrics_names : list of str
        The names of the outputs of :meth:`evaluate` and of the train and
        test functions, e.g. ``['loss', 'acc']``.
    optimizer : Optimizer or None
    loss : callable or None
        The per-sample loss function.
    history : History or None
        The :class:`~theano_rnn.callbacks.History` of the last :meth:`fit`.
    stop_training : bool
        Set it to ``True`` (e.g. from a callback) to end :meth:`fit` after
        the current batch.
    metadata : dict
        Anything JSON-ready to keep with the model (``{}`` at first), e.g.
        the vocabulary a text model was trained with.  :meth:`save` writes
        it into the model file (so the files of
        :class:`~theano_rnn.callbacks.ModelCheckpoint` carry it too) and
        :func:`load_model` restores it.
    """

    def __init__(self, layers=None, name=None, seed=None):
        self.name = name or "sequential_%d" % next(_model_counter)
        if seed is not None and (isinstance(seed, bool) or
                                 not isinstance(seed, (int, np.integer))):
            raise ValueError("seed must be an integer or None, got %r"
                             % (seed,))
        self.seed = seed
        self._shuffle_rng = (np.random.RandomState(seed) if seed is not None
                             else None)
        self.layers = []
        self.stop_training = False
        self.history = None
        self.metadata = {}
        self._reset()
        if layers is not None:
            if isinstance(layers, Layer) or not hasattr(layers, "__iter__"):
                raise ValueError("layers: expected a list of layers, got %r"
                                 % (layers,))
            for layer in layers:
                self.add(layer)

    def _reset(self):
        """Forget the graphs and compiled functions (after :meth:`add`)."""
        self._built = False
        self._input = None
        self._output_shape = None
        self._graphs = {}           # training flag -> (output, output mask)
        self._rng_states = []       # dropout RNG states of the training graph
        self.train_function = None
        self.test_function = None
        self.predict_function = None
        self.optimizer = None
        self.loss = None
        self.metrics_names = []
        self._metric_functions = []
        self._sparse_targets = False
        self._compile_config = None

    # -- structure ---------------------------------------------------------
    def add(self, layer):
        """Append ``layer`` to the stack.

        The model must be compiled again afterwards.
        """
        if not isinstance(layer, Layer):
            raise ValueError("add: expected a theano_rnn layer, got %r"
                             % (layer,))
        if getattr(layer, "return_state", False):
            raise ValueError("add: layer %r has return_state=True; a "
                             "Sequential model has a single output"
                             % layer.name)
        self.layers.append(layer)
        self._reset()

    @property
    def input_shape(self):
        """The input shape with the batch axis, e.g. ``(None, 10, 3)``, or
        ``None`` if the first layer has no ``input_shape``."""
        return self.layers[0].batch_input_shape if self.layers else None

    @property
    def output_shape(self):
        """The output shape with the batch axis, e.g. ``(None, 1)``."""
        self.build()
        return self._output_shape

    @property
    def input(self):
        """The symbolic input variable of the compiled functions."""
        self.build()
        return self._input

    @property
    def output(self):
        """The symbolic output of the inference graph (``training=False``)."""
        return self._forward(training=False)[0]

    def build(self):
        """Build the layers in order, propagating the shapes (once).

        Raises
        ------
        ValueError
            If the model has no layers or its first layer has no input
            shape.
        """
        if self._built:
            return
        if not self.layers:
            raise ValueError("the model has no layers yet; add some with "
                             "model.add(layer)")
        first = self.layers[0]
        shape = first.batch_input_shape
        if shape is None:
            raise ValueError(
                "the model does not know the shape of its input: give its "
                "first layer (%r) input_shape=(steps, features), or "
                "input_length=steps for an Embedding" % first.name)
        dtype = (theano.config.floatX if first.input_dtype == "floatX"
                 else first.input_dtype)
        self._input = T.TensorType(dtype, (False,) * len(shape))("x")
        for layer in self.layers:
            if not layer.built:
                layer.build(shape)
            shape = layer.compute_output_shape(shape)
        self._output_shape = tuple(shape)
        self._built = True

    def _forward(self, training):
        """``(output, output mask)`` of the training or inference graph,
        written once and cached.  The dropout RNG states created for the
        training graph are remembered for :meth:`save`."""
        if training not in self._graphs:
            self.build()
            streams = _model_streams(self.layers)
            before = [len(random.stream_states(s)) for s in streams]
            x, mask = self._input, None
            for layer in self.layers:
                output = layer.call(x, mask=mask, training=training)
                mask = layer.compute_mask(x, mask)
                x = output
            self._graphs[training] = (x, mask)
            if training:
                self._rng_states = [
                    state for stream, n in zip(streams, before)
                    for state in random.stream_states(stream)[n:]]
        return self._graphs[training]

    # -- weights -------------------------------------------------------------
    @property
    def weights(self):
        """All weights (shared variables), layer by layer in Keras order."""
        self.build()
        return [w for layer in self.layers for w in layer.weights]

    @property
    def trainable_weights(self):
        self.build()
        return [w for layer in self.layers for w in layer.trainable_weights]

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
        weights = [np.asarray(w) for w in weights]
        expected = self.weights
        if len(weights) != len(expected):
            raise ValueError(
                "set_weights: the model has %d weight arrays (%s), got %d"
                % (len(expected), _layout_text(self._weight_layout()),
                   len(weights)))
        self._assign_weights(weights)

    def _weight_layout(self):
        """``[[layer name, class name, number of weights], ...]``."""
        self.build()
        return [[layer.name, type(layer).__name__, len(layer.weights)]
                for layer in self.layers]

    def _assign_weights(self, weights):
        """Check the shapes of a full weight list, then set it."""
        index = 0
        per_layer = []
        for layer in self.layers:
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

    def count_params(self):
        """The total number of weights (scalars) of the model."""
        self.build()
        return sum(layer.count_params() for layer in self.layers)

    def summary(self, print_fn=print, line_length=65):
        """Print a table of the layers, their output shapes and number of
        parameters, with the totals, as Keras does.

        Parameters
        ----------
        print_fn : callable
            Called with each line (``print`` by default).
        line_length : int
        """
        positions = [int(line_length * p) for p in (0.45, 0.85, 1.0)]

        def row(fields):
            line = ""
            for field, end in zip(fields, positions):
                line = (line + str(field))[:end - 1].ljust(end)
            print_fn(line.rstrip())

        shape = self.input_shape
        self.build()
        print_fn('Model: "%s"' % self.name)
        print_fn("_" * line_length)
        row(["Layer (type)", "Output Shape", "Param #"])
        print_fn("=" * line_length)
        for i, layer in enumerate(self.layers):
            shape = layer.compute_output_shape(shape)
            row(["%s (%s)" % (layer.name, type(layer).__name__), shape,
                 layer.count_params()])
            print_fn(("=" if i == len(self.layers) - 1 else "_")
                     * line_length)
        total = self.count_params()
        trainable = int(sum(np.prod(w.get_value(borrow=True).shape)
                            for w in self.trainable_weights))
        print_fn("Total params: {:,}".format(total))
        print_fn("Trainable params: {:,}".format(trainable))
        print_fn("Non-trainable params: {:,}".format(total - trainable))
        print_fn("_" * line_length)

    # -- compilation ---------------------------------------------------------
    def compile(self, loss, optimizer, metrics=None):
        """Configure training and compile the train, test and predict
        functions (see the module docstring).

        Parameters
        ----------
        loss : str or callable
            A name from :mod:`theano_rnn.losses` or ``f(y_true, y_pred)``
            returning one value per sample.
        optimizer : str, dict or Optimizer
            See :func:`theano_rnn.optimizers.get`.
        metrics : list, optional
            Names from :mod:`theano_rnn.metrics` (``'acc'``/``'accuracy'``
            pick the accuracy that suits the loss) or functions; logged under
            the name given.

        Raises
        ------
        ValueError
            For an unknown loss, optimizer or metric, or a model that does
            not know its input shape.
        """
        self.build()
        if loss is None:
            raise ValueError("compile: a loss is required, e.g. loss='mse'")
        loss_function = losses.get(loss)
        optimizer = optimizers.get(optimizer)
        if metrics is None:
            metrics = []
        if isinstance(metrics, str) or callable(metrics) or \
                not hasattr(metrics, "__iter__"):
            raise ValueError("metrics: expected a list of metric names or "
                             "functions, e.g. metrics=['acc'], got %r"
                             % (metrics,))
        metrics = list(metrics)
        names, functions = ["loss"], []
        for identifier in metrics:
            name, function = metrics_module.resolve(
                identifier, loss=loss_function, output_shape=self.output_shape)
            if name in names:
                raise ValueError("metrics: the name %r appears twice" % name)
            names.append(name)
            functions.append(function)

        sparse = loss_function is losses.sparse_categorical_crossentropy
        y_pred, mask = self._forward(training=False)
        y_train, mask_train = self._forward(training=True)
        y_true = T.TensorType("int32" if sparse else theano.config.floatX,
                              (False,) * y_pred.ndim)("y")

        def outputs(prediction, output_mask):
            return [_masked_mean(f(y_true, prediction), output_mask)
                    for f in [loss_function] + functions]

        train_outputs = outputs(y_train, mask_train)
        updates = optimizer.get_updates(train_outputs[0],
                                        self.trainable_weights)
        x = self._input
        self.train_function = theano.function(
            [x, y_true], train_outputs,
            updates=updates + self._state_updates(training=True),
            allow_input_downcast=True, name="train_function")
        self.test_function = theano.function(
            [x, y_true], outputs(y_pred, mask),
            updates=self._state_updates(training=False),
            allow_input_downcast=True, name="test_function")
        self._make_predict_function()
        self.optimizer = optimizer
        self.loss = loss_function
        self.metrics_names = names
        self._metric_functions = functions
        self._sparse_targets = sparse
        self._compile_config = {
            "loss": loss if isinstance(loss, str)
            else losses.serialize(loss_function),
            "metrics": [m if isinstance(m, str) else f.__name__
                        for m, f in zip(metrics, functions)]}

    def _make_predict_function(self):
        if self.predict_function is None:
            self.predict_function = theano.function(
                [self.input], self.output,
                updates=self._state_updates(training=False),
                allow_input_downcast=True, name="predict_function")
        return self.predict_function

    # -- stateful recurrent layers -------------------------------------------
    @property
    def stateful(self):
        """Whether a layer carries its states from batch to batch."""
        return any(layer.stateful for layer in self.layers)

    def reset_states(self):
        """Set the carried states of every stateful layer back to zero."""
        self.build()
        for layer in self.layers:
            if layer.stateful:
                layer.reset_states()

    def _state_updates(self, training):
        """The stateful layers' state updates for the training or inference
        graph (which must be built)."""
        self._forward(training)
        return [update for layer in self.layers
                for update in layer.state_updates(training)]

    def _check_batches(self, n, batch_size=None, argument="x"):
        """A stateful model's states have a fixed batch size: every batch
        of the ``n`` samples (one batch when ``batch_size`` is None) must
        have it; ``ValueError`` naming the argument otherwise."""
        if not self.stateful:
            return
        fixed = self.input_shape[0]
        if batch_size is None:
            if n != fixed:
                raise ValueError(
                    "%s: a stateful model takes batches of exactly %d "
                    "samples, got %d" % (argument, fixed, n))
            return
        if batch_size != fixed:
            raise ValueError(
                "batch_size: the model is stateful, with batches of %d "
                "samples (its input shape %s); got batch_size=%d"
                % (fixed, _shape_str(self.input_shape), batch_size))
        if n % fixed:
            raise ValueError(
                "%s: a stateful model takes whole batches of %d samples, "
                "got %d samples" % (argument, fixed, n))

    def _check_compiled(self, method):
        if self.train_function is None:
            raise RuntimeError("%s: compile the model first, e.g. "
                               "model.compile(loss='mse', optimizer='adam')"
                               % method)

    # -- input checking ------------------------------------------------------
    def _check_x(self, x, argument="x"):
        """``x`` as an array of the input dtype, or ValueError."""
        self.build()
        array = _numeric_array(x, argument)
        self.layers[0].check_input(array, argument)
        return array.astype(self._input.dtype, copy=False)

    def _check_y(self, y, argument="y"):
        """``y`` as an array of the target dtype and shape, or ValueError."""
        array = _numeric_array(y, argument)
        shape = self.output_shape
        last = self.layers[-1].name
        if self._sparse_targets:
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
        if self._sparse_targets:
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
        x = self._check_x(x, x_name)
        y = self._check_y(y, y_name)
        if len(x) != len(y):
            raise ValueError("%s and %s must hold the same number of samples, "
                             "got %d and %d" % (x_name, y_name, len(x), len(y)))
        return x, y

    # -- training and inference ---------------------------------------------
    def fit(self, x=None, y=None, batch_size=32, epochs=1, verbose=1,
            callbacks=None, validation_split=0., validation_data=None,
            shuffle=True, initial_epoch=0):
        """Train for ``epochs - initial_epoch`` epochs, Keras 2 style.

        Parameters
        ----------
        x, y : array-like
            Inputs and targets, with the samples along the first axis.
        batch_size : int >= 1
            The last batch of an epoch holds the remaining samples.
        epochs : int >= 0
            Index of the epoch to stop after (not a count when
            ``initial_epoch`` is given).
        verbose : {0, 1, 2}
            0 silent, 1 a progress bar, 2 one line per epoch.
        callbacks : list of Callback, optional
            Called after the built-in ``BaseLogger`` (epoch averages) and
            :class:`~theano_rnn.callbacks.TerminateOnNaN` (added unless the
            list has one) and before ``History`` and ``ProgbarLogger``.
        validation_split : float in [0, 1)
            Hold out this fraction of the samples -- the *last* ones, taken
            before shuffling -- to validate on after each epoch.
        validation_data : tuple (x_val, y_val), optional
            Validate on these instead.
        shuffle : bool
            Shuffle the training samples at the start of every epoch.
        initial_epoch : int >= 0
            The epoch to start at (to resume a run).

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
        self._check_compiled("fit")
        batch_size = _check_int(batch_size, "batch_size", 1)
        epochs = _check_int(epochs, "epochs", 0)
        initial_epoch = _check_int(initial_epoch, "initial_epoch", 0)
        _check_verbose(verbose)
        split = check_rate(validation_split, "validation_split")
        callbacks = _check_callbacks(callbacks)
        x, y = self._check_data(x, y)
        if validation_data is not None:
            validation = self._check_validation_data(validation_data)
        elif split:
            x, y, validation = _split_off(x, y, split)
        else:
            validation = None
        self._check_batches(len(x), batch_size)
        if validation is not None:
            self._check_batches(len(validation[0]), batch_size,
                                "validation data")
        batches = _batches(len(x), batch_size)
        self.history = callbacks_module.History()
        callback_list = self._fit_callbacks(callbacks, verbose, {
            "batch_size": batch_size, "epochs": epochs,
            "steps": len(batches), "samples": len(x),
            "verbose": verbose, "do_validation": validation is not None})
        for callback in callback_list:
            callback.validation_data = validation

        self.stop_training = False
        callback_list.on_train_begin()
        for epoch in range(initial_epoch, epochs):
            callback_list.on_epoch_begin(epoch)
            order = np.arange(len(x))
            if shuffle:
                rng = np.random if self._shuffle_rng is None \
                    else self._shuffle_rng
                rng.shuffle(order)
            epoch_logs = {}
            for batch, (start, stop) in enumerate(batches):
                ids = order[start:stop]
                batch_logs = {"batch": batch, "size": len(ids)}
                callback_list.on_batch_begin(batch, batch_logs)
                outputs = self.train_function(x[ids], y[ids])
                batch_logs.update(zip(self.metrics_names, map(float, outputs)))
                callback_list.on_batch_end(batch, batch_logs)
                if self.stop_training:
                    break
            else:  # validate after complete epochs only, as Keras does
                if validation is not None:
                    values = self._test_loop(validation[0], validation[1],
                                             batch_size)
                    epoch_logs.update(("val_" + name, value) for name, value
                                      in zip(self.metrics_names, values))
            callback_list.on_epoch_end(epoch, epoch_logs)
            if self.stop_training:
                break
        callback_list.on_train_end()
        return self.history

    def _check_validation_data(self, validation_data):
        if not isinstance(validation_data, (tuple, list)) or \
                len(validation_data) != 2:
            raise ValueError("validation_data must be a tuple (x_val, y_val), "
                             "got %r" % (type(validation_data),))
        return self._check_data(validation_data[0], validation_data[1],
                                "validation_data[0]", "validation_data[1]")

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

    def evaluate(self, x=None, y=None, batch_size=32, verbose=0):
        """The loss (and metrics) on ``x, y``, with the inference graph.

        Returns
        -------
        float or list of float
            The loss, or ``[loss, *metrics]`` if the model has metrics
            (see :attr:`metrics_names`); averages over all samples.
        """
        self._check_compiled("evaluate")
        batch_size = _check_int(batch_size, "batch_size", 1)
        _check_verbose(verbose)
        x, y = self._check_data(x, y)
        self._check_batches(len(x), batch_size)
        values = self._test_loop(x, y, batch_size, verbose)
        return values[0] if len(values) == 1 else values

    def _test_loop(self, x, y, batch_size, verbose=0):
        """Sample-weighted averages of the test function's outputs."""
        totals = np.zeros(len(self.metrics_names))
        progbar = callbacks_module.Progbar(len(x), verbose=verbose)
        for start, stop in _batches(len(x), batch_size):
            outputs = self.test_function(x[start:stop], y[start:stop])
            totals += np.array(outputs, dtype=np.float64) * (stop - start)
            progbar.update(stop)
        return [float(v) for v in totals / len(x)]

    def predict(self, x, batch_size=32, verbose=0):
        """The model's output for ``x``, computed in batches with the
        inference graph; needs no :meth:`compile`.

        Returns
        -------
        numpy array
            Shape ``(len(x),) + output_shape[1:]``.
        """
        batch_size = _check_int(batch_size, "batch_size", 1)
        _check_verbose(verbose)
        x = self._check_x(x)
        self._check_batches(len(x), batch_size)
        function = self._make_predict_function()
        progbar = callbacks_module.Progbar(len(x), verbose=verbose)
        outputs = []
        for start, stop in _batches(len(x), batch_size):
            outputs.append(function(x[start:stop]))
            progbar.update(stop)
        return np.concatenate(outputs)

    def train_on_batch(self, x, y):
        """One optimizer step on the batch ``x, y``; returns the loss, or
        ``[loss, *metrics]`` (values before the step)."""
        self._check_compiled("train_on_batch")
        x, y = self._check_data(x, y)
        self._check_batches(len(x))
        return _scalars(self.train_function(x, y))

    def test_on_batch(self, x, y):
        """The loss (and metrics) on one batch, with the inference graph."""
        self._check_compiled("test_on_batch")
        x, y = self._check_data(x, y)
        self._check_batches(len(x))
        return _scalars(self.test_function(x, y))

    def predict_on_batch(self, x):
        """The model's output for one batch."""
        x = self._check_x(x)
        self._check_batches(len(x))
        return self._make_predict_function()(x)

    # -- saving ----------------------------------------------------------------
    def get_config(self):
        """``{'name', 'seed', 'layers': [layers.serialize(layer), ...]}``."""
        return {"name": self.name, "seed": self.seed,
                "layers": [layers_module.serialize(l) for l in self.layers]}

    def save(self, path, metadata=None):
        """Save the whole model to one file (see :mod:`theano_rnn.saving`).

        The file holds the architecture, the weights, the compile settings
        (loss, optimizer configuration, metrics), the optimizer state, the
        dropout RNG states, the shuffling RNG and the metadata, so that
        :func:`load_model` gives a model that predicts identically,
        continues training exactly where this one stands and has the same
        :attr:`metadata`.  The write is atomic: on failure ``path`` is left
        as it was.

        Parameters
        ----------
        path : str or path-like
        metadata : dict, optional
            What to store as the metadata of the file, instead of
            ``self.metadata`` (which is left unchanged).  A dict that
            survives a JSON round trip unchanged: string keys, values
            ``str``, ``int``, finite ``float``, ``bool``, ``None`` and lists
            and dicts of them.

        Raises
        ------
        ValueError
            If the metadata is not such a dict (checked before anything is
            written).
        OSError
            If the file cannot be written.
        """
        metadata = self.metadata if metadata is None else metadata
        header, groups = self._file_contents(_check_metadata(metadata))
        saving.write_file(path, saving.MODEL_FORMAT, header, groups)

    def _file_contents(self, metadata):
        """The header and array groups :meth:`save` writes."""
        buildable = self.input_shape is not None
        weights = self.get_weights() if buildable else []
        header = {
            "theano_rnn_version": __version__,
            "floatX": theano.config.floatX,
            "model": {"class_name": type(self).__name__,
                      "config": self.get_config()},
            "weight_layout": self._weight_layout() if buildable else [],
            "training_config": None,
            "shuffle_rng": None,
            "metadata": metadata,
        }
        groups = {"weights": weights, "optimizer": [], "dropout_rng": [],
                  "shuffle_rng": []}
        if self.train_function is not None:
            header["training_config"] = dict(
                self._compile_config,
                optimizer=optimizers.serialize(self.optimizer))
            groups["optimizer"] = self.optimizer.get_weights()
            groups["dropout_rng"] = [s.get_value() for s in self._rng_states]
        if self._shuffle_rng is not None:
            kind, keys, position, has_gauss, gauss = \
                self._shuffle_rng.get_state()
            header["shuffle_rng"] = {"kind": kind, "position": int(position),
                                     "has_gauss": int(has_gauss),
                                     "cached_gaussian": float(gauss)}
            groups["shuffle_rng"] = [keys]
        return header, groups

    def save_weights(self, path):
        """Save the weights alone, atomically, to one file."""
        saving.write_file(path, saving.WEIGHTS_FORMAT,
                          {"weight_layout": self._weight_layout()},
                          {"weights": self.get_weights()})

    def load_weights(self, path):
        """Load weights saved by :meth:`save_weights` (or :meth:`save`).

        Layers are matched in order, as in Keras.  Everything is checked
        before any weight changes.

        Raises
        ------
        ModelFileError
            If the file is not a valid weights or model file.
        ValueError
            If the file does not fit the model; the message names the layer.
        """
        header, groups = saving.read_file(
            path, (saving.WEIGHTS_FORMAT, saving.MODEL_FORMAT))
        layout = header.get("weight_layout")
        weights = groups.get("weights", [])
        if not _valid_layout(layout, len(weights)):
            raise saving.ModelFileError("%s: the weight layout in the header "
                                        "does not match its arrays" % path)
        ours = self._weight_layout()
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
        self._assign_weights(weights)


def load_model(path, custom_objects=None, compile=True):
    """Load a model saved by :meth:`Sequential.save`.

    The model comes back with its weights and, if it was compiled when
    saved (and ``compile`` is true), compiled with the same loss, metrics
    and optimizer, the optimizer state, the dropout RNG states and the
    shuffling RNG restored: its predictions are bit-identical to the saved
    model's, and :meth:`~Sequential.fit` continues training exactly.
    Loading does not consume ``np.random``: its state is restored afterwards.
    The model's :attr:`~Sequential.metadata` is the one saved (``{}`` for a
    file saved without metadata).

    Parameters
    ----------
    path : str or path-like
    custom_objects : dict, optional
        Name -> function for custom losses and metrics the model was
        compiled with.
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


def _model_from_file(header, groups, custom_objects, compile):
    """Rebuild a model from :meth:`Sequential._file_contents`."""
    spec = header["model"]
    if spec["class_name"] != "Sequential":
        raise ValueError("unknown model class %r" % (spec["class_name"],))
    config = spec["config"]
    model = Sequential([layers_module.deserialize(layer)
                        for layer in config["layers"]],
                       name=config["name"], seed=config["seed"])
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
            loss=_named_function(training["loss"], losses.get,
                                 custom_objects, "loss"),
            optimizer=optimizer,
            metrics=[_named_function(name, _metric_name, custom_objects,
                                     "metric")
                     for name in training["metrics"]])
        states, values = model._rng_states, groups["dropout_rng"]
        if len(states) != len(values):
            raise ValueError("the file holds %d dropout RNG states, the "
                             "rebuilt model has %d" % (len(values),
                                                       len(states)))
        for variable, value in zip(states, values):
            if value.shape != variable.get_value(borrow=True).shape:
                raise ValueError("dropout RNG state %r has shape %s in the "
                                 "file" % (variable.name, value.shape))
            variable.set_value(value.astype(variable.dtype))
    rng = header["shuffle_rng"]
    if rng is not None:
        model._shuffle_rng.set_state((
            rng["kind"], groups["shuffle_rng"][0], rng["position"],
            rng["has_gauss"], rng["cached_gaussian"]))
    return model


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


def _named_function(name, lookup, custom_objects, kind):
    """A loss or metric from its saved name."""
    if name in custom_objects:
        return custom_objects[name]
    try:
        return lookup(name)
    except ValueError:
        raise saving.ModelFileError(
            "the model was compiled with the %s %r, which theano_rnn does "
            "not know; pass it as load_model(..., custom_objects={%r: "
            "function})" % (kind, name, name))


# -- helpers -----------------------------------------------------------------

def _model_streams(layers):
    """The MRG random streams of ``layers`` and of the layers they wrap."""
    streams = []
    for layer in layers:
        stream = getattr(layer, "stream", None)
        if stream is not None:
            streams.append(stream)
        streams += _model_streams([value for value in vars(layer).values()
                                   if isinstance(value, Layer)])
    return streams


def _masked_mean(values, mask):
    """Mean of per-sample (or per-step) values, over the real steps only
    when there is a mask of the same shape."""
    if mask is None or mask.ndim != values.ndim:
        return T.mean(values)
    mask = T.cast(mask, values.dtype)
    return T.sum(values * mask) / T.maximum(T.sum(mask), 1)


def _numeric_array(value, argument):
    """``value`` as a numeric NumPy array, or ValueError naming
    ``argument``."""
    if value is None:
        raise ValueError("%s: an array is required, got None" % argument)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", np.VisibleDeprecationWarning)
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


def _check_int(value, argument, minimum):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) \
            or value < minimum:
        raise ValueError("%s must be an integer >= %d, got %r"
                         % (argument, minimum, value))
    return int(value)


def _check_verbose(verbose):
    if verbose not in (0, 1, 2):
        raise ValueError("verbose must be 0, 1 or 2, got %r" % (verbose,))


def _split_off(x, y, split):
    """``x, y, (x_val, y_val)``: the last ``split`` fraction held out, as
    Keras does (before any shuffling)."""
    split_at = int(len(x) * (1.0 - split))
    if split_at == 0 or split_at == len(x):
        raise ValueError(
            "validation_split=%r of %d samples leaves %d to train and %d to "
            "validate on; both need at least one"
            % (split, len(x), split_at, len(x) - split_at))
    return x[:split_at], y[:split_at], (x[split_at:], y[split_at:])


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


def _valid_layout(layout, n_weights):
    """Whether ``layout`` is a ``[[name, class name, count], ...]`` list
    accounting for ``n_weights`` arrays."""
    return (isinstance(layout, list) and
            all(isinstance(entry, list) and len(entry) == 3 and
                isinstance(entry[2], int) and entry[2] >= 0
                for entry in layout) and
            sum(entry[2] for entry in layout) == n_weights)


def _batches(n, batch_size):
    """``(start, stop)`` of each batch; the last one may be smaller."""
    return [(start, min(start + batch_size, n))
            for start in range(0, n, batch_size)]


def _scalars(outputs):
    values = [float(v) for v in outputs]
    return values[0] if len(values) == 1 else values


def _layout_text(layout):
    return ", ".join("%s: %d" % (entry[0], entry[2]) for entry in layout)
