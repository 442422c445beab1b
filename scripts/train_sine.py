#!/usr/bin/env python
"""Train a recurrent network to predict the next value of a sine wave.

Each sample is a sine wave sampled at --seq-length points over two periods,
starting at a random phase; the target is the value at the next point (see
theano_rnn.datasets.sine).  By default, as in the classic example:

    1,000 training waves of 50 steps (and 200 test waves);
    GRU(64) -> Dense(1); loss mse, optimizer Adam (learning rate 0.003);
    20 epochs, batch size 32.

(64 units and a learning rate of 0.003 bring the test MSE to about 3e-6
within the 20 epochs; 32 units and Adam's default 0.001 stop near 3e-5.)

The test set has a fifth as many waves as --samples (at least one), drawn
with the next seed.  The script prints the test mean squared error; a
constant guess would score about 0.5, the variance of a sine.

With --checkpoint PATH the training state is saved after every epoch;
rerunning the same command with --resume continues from there, ending with
the model and history of an uninterrupted run.

The GRU does not fix the number of steps, so predict.py can forecast from
a window of any length (it uses the last --seq-length values it is given):

    python scripts/train_sine.py --epochs 5
    python scripts/predict.py runs/sine_gru.npz --steps 3 "0.0 0.25 0.48 ..."
"""
import _common


def parse_args(argv=None):
    parser = _common.make_parser(__doc__)
    group = parser.add_argument_group("data")
    group.add_argument("--seq-length", type=_common.int_at_least(1),
                       default=50, help="input steps per wave")
    group.add_argument("--samples", type=_common.int_at_least(1),
                       default=1000, help="number of training waves")
    _common.add_training_arguments(parser, cell="gru", units=64, epochs=20,
                                   batch_size=32, lr=0.003,
                                   save_pattern="runs/sine_{cell}.npz")
    args = parser.parse_args(argv)
    _common.check_output_paths(parser, args)
    return args


def build_model(args):
    """``<cell>(units) -> Dense(1)``, compiled with mse and the optimizer.

    ``input_shape=(None, 1)``: any number of steps of one feature.
    """
    from theano_rnn.layers import Dense
    from theano_rnn.models import Sequential
    model = Sequential([
        _common.recurrent_layer(args, input_shape=(None, 1)),
        Dense(1),
    ], seed=args.seed)
    model.compile(loss="mse", optimizer=_common.make_optimizer(args))
    return model


def predictions_panel(y_true, y_pred, shown=60):
    """A panel for ``_common.save_plot``: true and predicted next values of
    the first ``shown`` test waves."""
    def draw(axes):
        n = min(shown, len(y_true))
        axes.plot(range(n), y_true[:n, 0], "o-", label="true next value")
        axes.plot(range(n), y_pred[:n, 0], "x--", label="predicted")
        axes.set_xlabel("test wave")
        axes.set_ylabel("next value")
        axes.set_title("predicted vs true (first %d test waves)" % n)
        axes.grid(alpha=0.3)
        axes.legend()
    return draw


def main(argv=None):
    args = parse_args(argv)
    watch = _common.Stopwatch()
    quiet = args.quiet
    resumed = _common.open_checkpoint(args)  # may set args.seed
    _common.seed_everything(args.seed)
    from theano_rnn.datasets import sine

    (x_train, y_train), (x_test, y_test) = sine.load_data(
        num_train=args.samples, num_test=max(args.samples // 5, 1),
        seq_length=args.seq_length, seed=args.seed)
    _common.say(quiet, "%d training and %d test waves of %d steps"
                % (len(x_train), len(x_test), args.seq_length))

    model = _common.model_to_train(args, resumed, build_model)

    training = _common.Stopwatch()
    history = _common.train(model, args, resumed, x_train, y_train,
                            batch_size=args.batch_size,
                            verbose=0 if quiet else 1,
                            validation_split=args.validation_split)
    training_time = str(training)
    mse = model.evaluate(x_test, y_test, batch_size=args.batch_size)
    print("Test MSE: %.3g" % mse)

    y_pred = model.predict(x_test) if args.plot else None
    _common.save_results(
        args, model, history,
        metadata={"task": "sine", "script": "train_sine.py",
                  "seq_length": args.seq_length, "results": {"test_mse": mse}},
        panels=[_common.history_panel(history.history, "loss", "mse",
                                      log_scale=True),
                predictions_panel(y_test, y_pred)],
        title="Sine wave, %s: test MSE %.2g" % (args.cell.upper(), mse))
    print("Wall time: %s (training %s)" % (watch, training_time))


if __name__ == "__main__":
    _common.run(main)
