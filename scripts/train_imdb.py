#!/usr/bin/env python
"""Train a recurrent network to tell positive from negative IMDB reviews.

This is the Keras example ``imdb_lstm.py`` written with theano_rnn.  By
default it builds the example's model and trains it the same way:

    Embedding(20000, 128) -> LSTM(128, dropout=0.2, recurrent_dropout=0.2)
    -> Dense(1, sigmoid); loss binary_crossentropy, optimizer Adam,
    reviews cut/padded to 100 words, batch size 32, 3 epochs.

(The Keras example trains for 15 epochs and validates on the test set after
every one; it overfits after the first few, so 3 epochs are the default
here, and the test set is evaluated once, at the end.)

The reviews are read with theano_rnn.datasets.imdb.load_data: from --data,
else from the folder named by the environment variable THEANO_RNN_DATA,
else from ~/.theano_rnn/datasets (downloaded there if missing).  Words
ranked beyond --max-features become the out-of-vocabulary index.

The trained model is saved with its vocabulary (in the model file's
metadata), so that predict.py can classify new text tokenised exactly as in
training:

    python scripts/train_imdb.py --limit 2000 --epochs 2
    python scripts/predict.py runs/imdb_lstm.npz "A wonderful film."

With --checkpoint PATH the training state is saved after every epoch;
rerunning the same command with --resume continues from there, ending with
the model and history of an uninterrupted run.  The data is the same on
every run with the same --seed (load_data shuffles with it).

A full run (25,000 reviews, the default model) takes a while on a CPU; use
--limit and a smaller model (--units 32 --embed-dim 32) to try things out.
"""

import _common


def parse_args(argv=None):
    parser = _common.make_parser(__doc__)
    group = parser.add_argument_group("data")
    group.add_argument("--data", metavar="PATH", type=_common.existing_path,
                       help="an IMDB archive (aclImdb_v1.tar.gz or "
                            "aclImdb_labeled.tar.gz), an aclImdb/ folder or "
                            "a directory holding one; default: "
                            "$THEANO_RNN_DATA, then the cache folder")
    group.add_argument("--max-features", type=_common.int_at_least(4),
                       default=20000,
                       help="vocabulary size: word indices below this are "
                            "kept (the most frequent words), others become "
                            "the out-of-vocabulary index")
    group.add_argument("--maxlen", type=_common.int_at_least(1), default=100,
                       help="reviews are cut to their last MAXLEN words, "
                            "shorter ones padded at the front")
    group.add_argument("--limit", metavar="N", type=_common.int_at_least(1),
                       help="use only a random N training and N test "
                            "reviews (quick runs)")
    group = parser.add_argument_group("network")
    group.add_argument("--embed-dim", type=_common.int_at_least(1),
                       default=128, help="size of the word vectors")
    group.add_argument("--dropout", type=_common.rate, default=0.2,
                       help="dropout on the recurrent layer's inputs")
    group.add_argument("--recurrent-dropout", type=_common.rate, default=0.2,
                       help="dropout on the recurrent layer's state")
    _common.add_training_arguments(parser, cell="lstm", units=128, epochs=3,
                                   batch_size=32,
                                   save_pattern="runs/imdb_{cell}.npz")
    parser.add_argument("--test-every-epoch", action="store_true",
                        help="also evaluate on the test set after every "
                             "epoch (as the Keras example does), logged as "
                             "val_loss and val_acc")
    args = parser.parse_args(argv)
    if args.test_every_epoch and args.validation_split:
        parser.error("argument --test-every-epoch: not with "
                     "--validation-split; both choose the validation data")
    _common.check_output_paths(parser, args)
    if args.data is not None:
        _check_data_path(parser, args.data)
    return args


def _check_data_path(parser, path):
    """Fail before anything is compiled unless ``--data`` holds the
    reviews."""
    from theano_rnn.datasets import DatasetError, imdb
    try:
        imdb.source_at(path)
    except DatasetError:
        parser.error("argument --data: no IMDB data in %r: expected %s or an "
                     "extracted %s/ folder" % (path,
                                               " or ".join(imdb.ARCHIVE_NAMES),
                                               imdb.FOLDER_NAME))


def load_reviews(args):
    """Load, subsample (``--limit``) and pad the reviews.

    Returns ``(x_train, y_train), (x_test, y_test), vocabulary``.
    """
    from theano_rnn.datasets import imdb
    from theano_rnn.preprocessing import pad_sequences
    # load_data shuffles both splits (with --seed, else Keras's seed 113),
    # so the first N reviews of each are a random subset.
    seed = 113 if args.seed is None else args.seed
    (x_train, y_train), (x_test, y_test) = imdb.load_data(
        path=args.data, num_words=args.max_features, seed=seed)
    if args.limit:
        x_train, y_train = x_train[:args.limit], y_train[:args.limit]
        x_test, y_test = x_test[:args.limit], y_test[:args.limit]
    vocabulary = _common.imdb_vocabulary(imdb.get_word_index(args.data),
                                         args.max_features, args.maxlen)
    x_train = pad_sequences(x_train, maxlen=args.maxlen)
    x_test = pad_sequences(x_test, maxlen=args.maxlen)
    return (x_train, y_train), (x_test, y_test), vocabulary


def build_model(args):
    """The example's network (see the module docstring), compiled."""
    from theano_rnn.layers import Dense, Embedding
    from theano_rnn.models import Sequential
    model = Sequential([
        Embedding(args.max_features, args.embed_dim, input_length=args.maxlen),
        _common.recurrent_layer(args, dropout=args.dropout,
                                recurrent_dropout=args.recurrent_dropout),
        Dense(1, activation="sigmoid"),
    ], seed=args.seed)
    model.compile(loss="binary_crossentropy",
                  optimizer=_common.make_optimizer(args), metrics=["acc"])
    return model


def main(argv=None):
    args = parse_args(argv)
    watch = _common.Stopwatch()
    quiet = args.quiet
    resumed = _common.open_checkpoint(args)  # may set args.seed
    _common.seed_everything(args.seed)

    _common.say(quiet, "Loading IMDB reviews...")
    (x_train, y_train), (x_test, y_test), vocabulary = load_reviews(args)
    _common.say(quiet, "%d training and %d test reviews, padded to %d words; "
                       "vocabulary of %d words"
                % (len(x_train), len(x_test), args.maxlen,
                   len(vocabulary["word_index"])))

    model = _common.model_to_train(args, resumed, build_model)

    training = _common.Stopwatch()
    history = _common.train(model, args, resumed, x_train, y_train,
                            batch_size=args.batch_size,
                            verbose=0 if quiet else 1,
                            validation_split=args.validation_split,
                            validation_data=((x_test, y_test)
                                             if args.test_every_epoch
                                             else None))
    training_time = str(training)
    loss, accuracy = model.evaluate(x_test, y_test,
                                    batch_size=args.batch_size)
    print("Test loss: %.4f" % loss)
    print("Test accuracy: %.4f" % accuracy)

    _common.save_results(
        args, model, history,
        metadata=dict(vocabulary, task="imdb", script="train_imdb.py",
                      results={"test_loss": loss,
                               "test_accuracy": accuracy}),
        panels=[_common.history_panel(history.history, "loss",
                                      "binary crossentropy"),
                _common.history_panel(history.history, "acc", "accuracy")],
        title="IMDB, %s: test accuracy %.3f" % (args.cell.upper(), accuracy))
    print("Wall time: %s (training %s)" % (watch, training_time))


if __name__ == "__main__":
    _common.run(main)
