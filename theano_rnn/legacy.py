"""Keras 1 argument names, converted to Keras 2's.

Keras 2 kept accepting the Keras 1 names of its constructors' arguments
(``Dense(output_dim=...)``, ``LSTM(inner_init=...)``, ``Dropout(p=...)``)
and converted them with a warning.  This module does the same for
theano_rnn:

* :func:`convert_legacy_kwargs` rewrites a dict of keyword arguments
  following a *conversion table*, warns once per old name (the warning names
  the new one) and raises ``TypeError`` when an old name and its new name are
  both given;
* :func:`legacy_interface` is the same as a decorator for ``__init__``
  methods (or plain functions such as ``imdb.load_data``).  Arguments it does
  not know pass through unchanged, so an unknown argument is still the
  wrapped function's ``TypeError`` naming it.

A conversion table is a sequence of entries ``(old_name, new_name)`` or
``(old_name, new_name, values)``, where ``values`` maps the old argument's
values to the new one's (a dict, or a function of the value).  Some Keras 1
arguments need more than a rename (``input_dim`` + ``input_length`` become
one ``input_shape``; ``forget_bias_init='one'`` becomes
``unit_forget_bias=True``); a *preprocessor* ``f(kwargs, owner)`` handles
those and returns the old names it converted.

The tables below are Keras 2.3.1's (``keras/legacy/interfaces.py``) for the
layers theano_rnn has, plus those of the 1-D convolution, pooling,
``BatchNormalization`` and ``Merge`` layers for when they are decorated.

Keras's integer ``implementation`` (and Keras 1's ``consume_less``) choose
how the same function is computed; they map to theano_rnn's paths as
:data:`KERAS_IMPLEMENTATIONS` says: ``0`` (``'cpu'``, input projections
precomputed) and ``2`` (``'gpu'``, few large products) to ``'auto'`` (the
fused loop where the layer can use it, else scan), ``1`` (``'mem'``, small
products step by step) to ``'scan'`` (the step function under
``theano.scan``).
"""
import functools
import inspect
import warnings

#: Keras's ``implementation`` integers -> theano_rnn's ``implementation``.
KERAS_IMPLEMENTATIONS = {0: "auto", 1: "scan", 2: "auto"}
#: Keras 1's ``consume_less`` -> Keras 2's ``implementation`` integers.
CONSUME_LESS = {"cpu": 0, "mem": 1, "gpu": 2}


class LegacyArgumentWarning(UserWarning):
    """A Keras 1 argument name was converted to its Keras 2 name."""


def _warn(owner, converted, stacklevel):
    """One warning per converted Keras 1 argument ``(old, new, note)``."""
    for old, new, note in converted:
        warnings.warn("%s: `%s` is a Keras 1 argument, converted to `%s`%s; "
                      "update the call to the Keras 2 name"
                      % (owner, old, new, note), LegacyArgumentWarning,
                      stacklevel=stacklevel)


def _duplicate(owner, old, new):
    return TypeError("%s: got both the Keras 1 argument `%s` and its Keras 2 "
                     "name `%s`; give only `%s`" % (owner, old, new, new))


def _entry(entry):
    old, new = entry[0], entry[1]
    values = entry[2] if len(entry) > 2 else None
    return old, new, values


def _convert_value(values, value):
    if values is None:
        return value
    if callable(values):
        return values(value)
    try:
        return values.get(value, value)
    except TypeError:               # an unhashable value: nothing to map
        return value


def convert_legacy_kwargs(kwargs, conversions, owner, preprocessor=None):
    """Return a copy of ``kwargs`` with the Keras 1 names of ``conversions``
    replaced by their Keras 2 names.

    Parameters
    ----------
    kwargs : dict
        The keyword arguments as given.
    conversions : sequence of ``(old, new)`` or ``(old, new, values)``
        The conversion table (see the module docstring).
    owner : str
        What the arguments are for (``'LSTM'``, ``'fit'``), for the messages.
    preprocessor : callable, optional
        ``f(kwargs, owner)`` converting arguments a rename cannot; it edits
        ``kwargs`` in place and returns ``(old, new, note)`` for each
        argument it converted, to warn about.

    Raises
    ------
    TypeError
        If an old name and its new name are both given.
    """
    return _convert(kwargs, conversions, owner, preprocessor, stacklevel=5)


def _convert(kwargs, conversions, owner, preprocessor=None, stacklevel=4,
             positional=()):
    """:func:`convert_legacy_kwargs`, its warnings ``stacklevel`` frames up
    (the caller of the function whose arguments these are); ``positional``
    names the arguments given by position."""
    kwargs = dict(kwargs)
    for old, new, _ in map(_entry, conversions):
        if old in kwargs and (new in kwargs or new in positional):
            raise _duplicate(owner, old, new)
    converted = []
    if preprocessor is not None:
        converted += preprocessor(kwargs, owner)
    for old, new, values in map(_entry, conversions):
        if old in kwargs:
            kwargs[new] = _convert_value(values, kwargs.pop(old))
            converted.append((old, new, ""))
    _warn(owner, converted, stacklevel)
    return kwargs


def legacy_interface(conversions=(), preprocessor=None, owner=None):
    """Decorate ``__init__`` (or a function) to accept the Keras 1 names of
    ``conversions``; see :func:`convert_legacy_kwargs`.

    ``owner`` names the function in messages; by default the class of the
    instance (for methods whose first argument is ``self``) or the
    function's name.
    """
    def decorate(function):
        method = function.__name__ == "__init__"
        parameters = list(inspect.signature(function).parameters)

        @functools.wraps(function)
        def wrapper(*args, **kwargs):
            name = owner or (type(args[0]).__name__ if method and args
                             else function.__name__)
            kwargs = _convert(kwargs, conversions, name, preprocessor,
                              positional=parameters[:len(args)])
            return function(*args, **kwargs)

        wrapper.legacy_conversions = tuple(conversions)
        return wrapper
    return decorate


# --- preprocessors ---------------------------------------------------------

def _pop_input_dim(kwargs, owner, sequence, warn):
    """``input_dim`` -> ``input_shape=(input_dim,)``, or for layers over
    sequences ``input_dim`` (+ ``input_length``) -> ``input_shape=(
    input_length, input_dim)`` (``None`` steps when no length is given)."""
    if "input_dim" not in kwargs and not (sequence and
                                          "input_length" in kwargs):
        return []
    if "input_shape" in kwargs or "batch_input_shape" in kwargs:
        raise TypeError("%s: got `input_dim`/`input_length` together with "
                        "`input_shape` or `batch_input_shape`; give only "
                        "`input_shape`" % owner)
    input_dim = kwargs.pop("input_dim", None)
    if sequence:
        kwargs["input_shape"] = (kwargs.pop("input_length", None), input_dim)
    else:
        kwargs["input_shape"] = (input_dim,)
    if warn:
        return [("input_dim` / `input_length",
                 "input_shape=(input_length, input_dim)", "")]
    return []


def dense_preprocessor(kwargs, owner):
    """Keras 2 itself accepts ``Dense(input_dim=n)``: ``input_shape=(n,)``,
    no warning."""
    return _pop_input_dim(kwargs, owner, sequence=False, warn=False)


def recurrent_preprocessor(kwargs, owner):
    """``forget_bias_init`` and ``input_dim``/``input_length``, as Keras 2
    converted them; integer ``implementation`` values mapped to
    theano_rnn's (see :data:`KERAS_IMPLEMENTATIONS`)."""
    converted = []
    if "forget_bias_init" in kwargs:
        if "unit_forget_bias" in kwargs:
            raise _duplicate(owner, "forget_bias_init", "unit_forget_bias")
        value = kwargs.pop("forget_bias_init")
        if value == "one":
            kwargs["unit_forget_bias"] = True
            converted.append(("forget_bias_init='one'",
                              "unit_forget_bias=True", ""))
        else:
            kwargs["unit_forget_bias"] = False
            converted.append(("forget_bias_init=%r" % (value,),
                              "unit_forget_bias=False",
                              " (only 'one' has a Keras 2 equivalent; the "
                              "forget bias starts with bias_initializer)"))
    if "consume_less" in kwargs:
        if "implementation" in kwargs:
            raise _duplicate(owner, "consume_less", "implementation")
        value = kwargs.pop("consume_less")
        if value not in CONSUME_LESS:
            raise ValueError("%s: consume_less must be one of 'cpu', 'mem', "
                             "'gpu', got %r" % (owner, value))
        kwargs["implementation"] = CONSUME_LESS[value]
        converted.append(("consume_less=%r" % value,
                          "implementation=%d" % CONSUME_LESS[value], ""))
    implementation = kwargs.get("implementation")
    if not isinstance(implementation, bool) and \
            isinstance(implementation, int):
        if implementation not in KERAS_IMPLEMENTATIONS:
            raise ValueError("%s: implementation must be one of 'auto', "
                             "'scan', 'fused' (or Keras's 0, 1, 2), got %r"
                             % (owner, implementation))
        kwargs["implementation"] = KERAS_IMPLEMENTATIONS[implementation]
    return converted + _pop_input_dim(kwargs, owner, sequence=True, warn=True)


def conv1d_preprocessor(kwargs, owner):
    """``Convolution1D(input_dim=, input_length=)`` -> ``input_shape``."""
    return _pop_input_dim(kwargs, owner, sequence=True, warn=False)


def batchnorm_preprocessor(kwargs, owner):
    """Keras 1's ``mode=0`` is Keras 2's only mode; 1 and 2 are refused."""
    if "mode" in kwargs:
        mode = kwargs.pop("mode")
        if mode != 0:
            raise TypeError("%s: Keras 1's mode=%r (sample-wise or per-batch "
                            "statistics) does not exist in Keras 2 or "
                            "theano_rnn; only mode=0 is supported" % (owner,
                                                                      mode))
        return [("mode=0", "nothing", " (it is the only mode)")]
    return []


# --- conversion tables -----------------------------------------------------

DENSE = (("output_dim", "units"),
         ("init", "kernel_initializer"),
         ("W_regularizer", "kernel_regularizer"),
         ("b_regularizer", "bias_regularizer"),
         ("W_constraint", "kernel_constraint"),
         ("b_constraint", "bias_constraint"),
         ("bias", "use_bias"))

DROPOUT = (("p", "rate"),)

EMBEDDING = (("init", "embeddings_initializer"),
             ("W_regularizer", "embeddings_regularizer"),
             ("W_constraint", "embeddings_constraint"))

RECURRENT = (("output_dim", "units"),
             ("init", "kernel_initializer"),
             ("inner_init", "recurrent_initializer"),
             ("inner_activation", "recurrent_activation"),
             ("W_regularizer", "kernel_regularizer"),
             ("U_regularizer", "recurrent_regularizer"),
             ("b_regularizer", "bias_regularizer"),
             ("W_constraint", "kernel_constraint"),
             ("U_constraint", "recurrent_constraint"),
             ("b_constraint", "bias_constraint"),
             ("dropout_W", "dropout"),
             ("dropout_U", "recurrent_dropout"))

#: ``Convolution1D``: its own names, then the kernel's and bias's as Dense's.
CONV1D = (("nb_filter", "filters"),
          ("filter_length", "kernel_size"),
          ("subsample_length", "strides"),
          ("border_mode", "padding")) + DENSE[1:]

POOLING1D = (("pool_length", "pool_size"),
             ("stride", "strides"),
             ("border_mode", "padding"))

BATCH_NORMALIZATION = (("beta_init", "beta_initializer"),
                       ("gamma_init", "gamma_initializer"))

#: Keras 1 ``Merge``/``merge``: ``concat_axis`` is Keras 2's ``axis`` of
#: ``Concatenate``, ``dot_axes`` the ``axes`` of ``Dot``.
MERGE = (("concat_axis", "axis"),
         ("dot_axes", "axes"))

#: Keras 1's dataset loaders (``imdb``, ``reuters``).
DATASET = (("nb_words", "num_words"),)

#: ``fit``'s Keras 1 names (for the engine).
FIT = (("nb_epoch", "epochs"),)
#: ``Model(input=, output=)``.
MODEL = (("input", "inputs"), ("output", "outputs"))
#: ``fit_generator``'s Keras 1 names (``samples_per_epoch`` is taken as the
#: number of batches, as Keras 2 did for generators without a batch size).
FIT_GENERATOR = FIT + (("samples_per_epoch", "steps_per_epoch"),
                       ("nb_val_samples", "validation_steps"),
                       ("nb_worker", "workers"),
                       ("max_q_size", "max_queue_size"),
                       ("pickle_safe", "use_multiprocessing"))

#: Decorators ready to apply: ``@legacy.dense_support`` on ``__init__``.
dense_support = legacy_interface(DENSE, dense_preprocessor)
dropout_support = legacy_interface(DROPOUT)
embedding_support = legacy_interface(EMBEDDING)
recurrent_support = legacy_interface(RECURRENT, recurrent_preprocessor)
conv1d_support = legacy_interface(CONV1D, conv1d_preprocessor)
pooling1d_support = legacy_interface(POOLING1D)
batchnorm_support = legacy_interface(BATCH_NORMALIZATION,
                                     batchnorm_preprocessor)
merge_support = legacy_interface(MERGE)
dataset_support = legacy_interface(DATASET)
