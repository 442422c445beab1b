"""What the tests of the non-recurrent layers share: build a layer on given
shapes, compile its graph, compare its gradient with finite differences,
round-trip its config.  The expected values come from each test's own NumPy
reference, never from here."""
import numpy as np
from theano_rnn.runtime import theano, T

from test_gradients import finite_difference
from theano_rnn.layers import deserialize, serialize


def symbolic(array, name="x"):
    """A symbolic input of ``array``'s rank and dtype."""
    return T.TensorType(str(array.dtype), (False,) * array.ndim)(name)


def build_and_call(layer, arrays, masks=None, training=False):
    """``(outputs, output masks, symbolic inputs, symbolic output)``.

    ``arrays`` is one array or a list (a multi-input layer); the layer is
    built (unless it is) on their shapes with the batch axis ``None``.  ``masks`` (an array,
    or a list with ``None`` entries) become symbolic mask inputs."""
    several = isinstance(arrays, list)
    arrays = arrays if several else [arrays]
    syms = [symbolic(a, "x%d" % i) for i, a in enumerate(arrays)]
    mask_list = masks if isinstance(masks, list) else [masks] * (masks is not None)
    mask_syms = [None if m is None else symbolic(m, "m%d" % i)
                 for i, m in enumerate(mask_list)]
    shapes = [(None,) + a.shape[1:] for a in arrays]
    if not layer.built:
        layer.build(shapes if several else shapes[0])
    inputs = syms if several else syms[0]
    mask_arg = (mask_syms if several else mask_syms[0]) if mask_list else None
    output = layer.call(inputs, mask=mask_arg, training=training)
    out_mask = layer.compute_mask(inputs, mask_arg)
    given = syms + [m for m in mask_syms if m is not None]
    values = [a for a in arrays] + [m for m in mask_list if m is not None]
    results = [output] + ([out_mask] if out_mask is not None else [])
    computed = theano.function(given, results, on_unused_input="ignore",
                               updates=layer.state_updates(training))(*values)
    return (computed[0], computed[1] if out_mask is not None else None,
            given, output)


def check_gradient(layer, arrays, rng, masks=None, training=False,
                   weights=True, n_checks=8):
    """``T.grad`` of a random projection of the output, with respect to the
    float inputs and the trainable weights, against central differences."""
    _, _, given, output = build_and_call(layer, arrays, masks, training)
    arrays = arrays if isinstance(arrays, list) else [arrays]
    values = list(arrays) + [m for m in (masks if isinstance(masks, list)
                                         else [masks]) if m is not None]
    projection = rng.randn(*[int(d) for d in theano.function(
        given, output.shape, on_unused_input="ignore")(*values)])
    loss = (output * projection).sum()
    float_inputs = [s for s, a in zip(given, arrays) if a.dtype.kind == "f"]
    params = list(layer.trainable_weights) if weights else []
    grads = theano.function(given, T.grad(loss, float_inputs + params),
                            on_unused_input="ignore")(*values)
    forward = theano.function(given, loss, on_unused_input="ignore")
    float_arrays = [a for a in arrays if a.dtype.kind == "f"]
    for array, grad in zip(float_arrays, grads):
        _compare(lambda: forward(*values), array, grad, rng, n_checks)
    for param, grad in zip(params, grads[len(float_arrays):]):
        value = param.get_value()

        def loss_value():
            param.set_value(value)
            return forward(*values)
        _compare(loss_value, value, grad, rng, n_checks)
        param.set_value(value)


def _compare(loss_value, array, grad, rng, n_checks):
    for flat in rng.choice(array.size, size=min(array.size, n_checks),
                           replace=False):
        index = np.unravel_index(flat, array.shape)
        numeric = finite_difference(loss_value, array, index)
        assert abs(grad[index] - numeric) <= 1e-6 + 1e-5 * abs(numeric), \
            (index, grad[index], numeric)


def round_trip(layer):
    """A new layer from ``layer``'s serialised config; the config survives
    unchanged (compared as JSON would see it)."""
    import json
    spec = json.loads(json.dumps(serialize(layer)))
    copy = deserialize(spec)
    assert type(copy) is type(layer)
    assert json.loads(json.dumps(serialize(copy))) == spec
    return copy


def train_one_epoch(layers, x, y, loss="mse"):
    """A Sequential of ``layers`` trained for one epoch on ``x``/``y``;
    returns (model, loss history)."""
    from theano_rnn.models import Sequential
    model = Sequential(layers)
    model.compile(loss=loss, optimizer="adam")
    history = model.fit(x, y, batch_size=4, epochs=1, verbose=0)
    return model, history.history["loss"]
