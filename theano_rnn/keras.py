"""Run a legacy Keras script on theano_rnn, unchanged::

    python -m theano_rnn.keras SCRIPT.py [ARGS...]

The script runs as ``__main__`` with ``sys.argv = [SCRIPT.py, ARGS...]``
and its folder first on ``sys.path``, as ``python SCRIPT.py`` would run it,
but with ``import keras`` / ``from keras.X import Y`` resolving to theano_rnn
(:mod:`theano_rnn.keras_alias`); a one-line note on standard error says so.
Exits 2 with a usage line when no readable script is given.
"""
import os
import runpy
import sys

USAGE = "usage: python -m theano_rnn.keras SCRIPT.py [ARGS...]"


def main(argv=None):
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help"):
        sys.stderr.write(USAGE + "\n")
        return 0 if argv else 2
    script = argv[0]
    if not os.path.isfile(script):
        sys.stderr.write("%s\ntheano_rnn.keras: no such script: %s\n"
                         % (USAGE, script))
        return 2
    from . import keras_alias
    keras_alias.install()
    sys.stderr.write("theano_rnn: running %s with `keras` resolving to "
                     "theano_rnn (Keras %s API)\n"
                     % (script, keras_alias.KERAS_VERSION))
    sys.argv = argv
    sys.path.insert(0, os.path.dirname(os.path.abspath(script)))
    runpy.run_path(script, run_name="__main__")
    return 0


if __name__ == "__main__":
    sys.exit(main())
