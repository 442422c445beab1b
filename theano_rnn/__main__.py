"""``python -m theano_rnn``: say which backend theano_rnn runs on here."""
import sys


def main():
    try:
        from theano_rnn import runtime
    except ImportError as error:  # runtime.BackendError: one line, no trace
        print("theano_rnn: %s" % error, file=sys.stderr)
        return 1
    print("theano_rnn runs on %s" % runtime.describe())
    return 0


if __name__ == "__main__":
    sys.exit(main())
