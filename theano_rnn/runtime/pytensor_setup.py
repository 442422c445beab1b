"""Set up PyTensor, Theano's maintained successor, the way theano_rnn needs it.

:mod:`theano_rnn.runtime` runs :func:`configure` when it picks PyTensor,
before PyTensor is first imported.  Flags the user set in ``PYTENSOR_FLAGS``
or a ``.pytensorrc`` always win.

1. **BLAS.**  PyTensor does not find Debian's ``libopenblas-dev`` by
   itself; ``blas__ldflags=-lopenblas`` is set where the system OpenBLAS
   can be linked (:func:`theano_rnn.runtime.theano_setup.find_openblas`).
2. **floatX.**  ``float32``, as on Theano.

This module also holds what PyTensor spells differently from Theano, under
the names :mod:`theano_rnn.runtime` exports.
"""
import configparser
import os
import types

from .theano_setup import find_openblas

#: What this module decided.
SETTINGS = {}


def _user_flags():
    """The flag names (``section__name``, lower case) the user set."""
    names = set()
    for item in os.environ.get("PYTENSOR_FLAGS", "").split(","):
        if "=" in item:
            names.add(item.split("=", 1)[0].strip().replace(".", "__").lower())
    default_rc = os.pathsep.join(
        os.path.expanduser(p) for p in ("~/.pytensorrc", "~/.pytensorrc.txt"))
    for path in os.environ.get("PYTENSORRC", default_rc).split(os.pathsep):
        if not os.path.isfile(path):
            continue
        parser = configparser.ConfigParser()
        try:
            parser.read(path)
        except configparser.Error:
            continue
        for section in parser.sections():
            for option in parser.options(section):
                names.add((option if section == "global"
                           else "%s__%s" % (section, option)).lower())
    return names


def configure():
    """Add theano_rnn's defaults to ``PYTENSOR_FLAGS``; a no-op for anything
    the user set."""
    if SETTINGS:
        return SETTINGS
    user_flags = _user_flags()
    extra = []
    if "blas__ldflags" not in user_flags:
        flags = find_openblas()
        if flags:
            extra.append("blas__ldflags=%s" % flags)
    if "floatx" not in user_flags:
        extra.append("floatX=float32")
    SETTINGS.update(item.split("=", 1) for item in extra)
    if extra:
        current = os.environ.get("PYTENSOR_FLAGS", "")
        os.environ["PYTENSOR_FLAGS"] = ",".join(
            [f for f in [current] + extra if f])
    SETTINGS["configured"] = True
    return SETTINGS


def make_nnet():
    """Theano's ``T.nnet`` functions that theano_rnn uses, on PyTensor."""
    import pytensor.tensor as pt
    from pytensor.tensor.special import softmax as _softmax

    def hard_sigmoid(x):
        """Theano's ``hard_sigmoid``: ``clip(0.2 x + 0.5, 0, 1)``."""
        return pt.clip(0.2 * x + 0.5, 0.0, 1.0)

    def relu(x, alpha=0):
        if alpha == 0:
            return pt.maximum(x, 0)
        return pt.switch(x > 0, x, alpha * x)

    def elu(x, alpha=1):
        return pt.switch(x > 0, x, alpha * pt.expm1(x))

    def softmax(x, axis=-1):
        return _softmax(x, axis=axis)

    def binary_crossentropy(output, target):
        return -(target * pt.log(output) + (1.0 - target) * pt.log1p(-output))

    def categorical_crossentropy(coding_dist, true_dist):
        return -pt.sum(true_dist * pt.log(coding_dist), axis=-1)

    return types.SimpleNamespace(
        sigmoid=pt.sigmoid, hard_sigmoid=hard_sigmoid, relu=relu, elu=elu,
        softplus=pt.softplus, softmax=softmax,
        binary_crossentropy=binary_crossentropy,
        categorical_crossentropy=categorical_crossentropy)



# --- graph rewriting helpers (k13: the RNN(cell) layer's step function) ----
def clone_replace(outputs, replace):
    """Theano's ``theano.clone(outputs, replace=...)``: PyTensor's
    ``pytensor.graph.clone_replace``."""
    from pytensor.graph import clone_replace as _clone_replace
    return _clone_replace(outputs, replace=replace)


def graph_inputs(outputs):
    """Theano's ``graph_inputs``: PyTensor's ``pytensor.graph.graph_inputs``
    (moved to ``pytensor.graph.traversal`` in 2.x)."""
    from pytensor.graph import graph_inputs as _graph_inputs
    return list(_graph_inputs(outputs))
