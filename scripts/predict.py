#!/usr/bin/env python
"""Use a model saved by train_imdb.py or train_sine.py.

IMDB sentiment model: classify each TEXT given, or each line of standard
input when none is given.  Prints one line per text:

    <probability of positive>  positive|negative  <text>

The text is tokenised with the vocabulary stored in the model file, as the
training reviews were.

Sine model: the TEXT arguments together are one series of numbers
(separated by commas and/or spaces); without arguments, each line of
standard input is a series.  Prints the forecast next value(s) of each
series, one line per series; --steps N rolls forward N values, feeding each
forecast back in.  A series longer than the model's training window is
cut to its last values.

Examples:

    python scripts/predict.py runs/imdb_lstm.npz "A moving, superb film."
    cat reviews.txt | python scripts/predict.py runs/imdb_lstm.npz
    python scripts/predict.py runs/sine_gru.npz --steps 5 0 0.25 0.48 0.68
"""
import sys

import numpy as np

import _common


def parse_args(argv=None):
    parser = _common.make_parser(__doc__)
    parser.add_argument("model", metavar="MODEL",
                        help="model file written by train_imdb.py or "
                             "train_sine.py")
    parser.add_argument("inputs", metavar="TEXT", nargs="*",
                        help="texts to classify, or the numbers of a series "
                             "(default: read standard input)")
    parser.add_argument("--steps", type=_common.int_at_least(1),
                        default=None,
                        help="sine models: number of values to forecast "
                             "(default 1)")
    parser.add_argument("--batch-size", type=_common.int_at_least(1),
                        default=32, help="texts classified at once")
    # Intermixed: options may come after the texts or numbers.
    return parser.parse_intermixed_args(argv)


def read_inputs(args):
    """The TEXT arguments, or the non-blank lines of standard input."""
    if args.inputs:
        return args.inputs
    return [line.rstrip("\n") for line in sys.stdin if line.strip()]


def classify(model, texts, batch_size):
    """Print the probability and verdict of each text."""
    x = _common.encode_texts(texts, model.metadata)
    probabilities = model.predict(x, batch_size=batch_size)[:, 0]
    for text, p in zip(texts, probabilities):
        label = "positive" if p >= 0.5 else "negative"
        shown = text if len(text) <= 70 else text[:67] + "..."
        print("%.4f\t%s\t%s" % (p, label, shown))


def forecast(model, series, window, steps):
    """The ``steps`` values that follow ``series``, each predicted from the
    last ``window`` values (earlier forecasts included)."""
    values = list(series)
    for _ in range(steps):
        x = np.asarray(values[-window:], dtype="float32")[None, :, None]
        values.append(float(model.predict(x)[0, 0]))
    return values[len(series):]


#: The metadata each task's training script saves and this script reads.
NEEDED = {"imdb": ("word_index", "maxlen", "start_char",
                   "oov_char", "index_from", "padding", "truncating"),
          "sine": ("seq_length",)}


def check_metadata(path, metadata):
    """Return the model's task; ``ValueError`` unless its metadata has what
    :data:`NEEDED` lists for it."""
    task = metadata.get("task")
    if task not in NEEDED:
        raise ValueError("%s is a model for the task %r; predict.py knows "
                         "the tasks 'imdb' (train_imdb.py) and 'sine' "
                         "(train_sine.py)" % (path, task))
    missing = [key for key in NEEDED[task] if key not in metadata]
    if missing:
        raise ValueError("%s: its metadata lacks %s, which a %s model saved "
                         "by train_%s.py has" % (path, ", ".join(missing),
                                                 task, task))
    return task


def main(argv=None):
    args = parse_args(argv)
    model = _common.load_model(args.model)
    task = check_metadata(args.model, model.metadata)
    if task == "imdb":
        if args.steps is not None:
            _common.fail("argument --steps: applies to sine models only; %s "
                         "is an IMDB sentiment model" % args.model, 2)
        texts = read_inputs(args)
        if texts:
            classify(model, texts, args.batch_size)
    else:
        window = model.metadata["seq_length"]
        if args.inputs:
            series_list = [_common.parse_numbers(" ".join(args.inputs))]
        else:
            series_list = [_common.parse_numbers(line)
                           for line in read_inputs(args)]
        for series in series_list:
            if not series:
                raise ValueError("a series needs at least one number")
            if len(series) < window:
                sys.stderr.write(
                    "warning: the model was trained on windows of %d values; "
                    "forecasting from %d\n" % (window, len(series)))
            next_values = forecast(model, series, window, args.steps or 1)
            print(", ".join("%.5f" % v for v in next_values))


if __name__ == "__main__":
    _common.run(main)
