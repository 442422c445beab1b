"""Two processes compiling the same model at the same time into one shared,
empty Theano compile cache both succeed, with identical results
(issue 6, item 4).

Why the cache is shared and empty: Theano keeps the C modules it compiles in
its ``compiledir`` and guards that directory with a file lock
(``<compiledir>/.lock``) so that processes on one machine can share it.
With a warm cache nothing is compiled and the lock is hardly taken; the race
only exists when the modules are missing.  So each run of this test gives
both processes a fresh empty directory, passed as
``THEANO_FLAGS=compiledir=...`` (PyTensor: ``PYTENSOR_FLAGS``) appended to the environment's flags
(``theano_rnn.runtime`` only adds flags the user did not set, so it is
respected), and both compile every module of the same graphs into it at
once.

Both processes start together: each signals it is ready, then waits for a
"go" file that the test creates once both are waiting; only then do they
import ``theano_rnn`` (which imports Theano and compiles its own helper
modules), build, ``compile`` (the training function), ``train_on_batch``
once and ``predict`` once, in the suite's compile mode (``compile_mode``:
Theano's element-wise ops through NumPy, the rest in C).  Seeds are fixed,
so both must print exactly the same prediction.
"""
import os
import subprocess
import sys
import textwrap
import time

import compile_mode
from theano_rnn import runtime

# Signal readiness and wait for "go" before anything imports Theano; then
# the suite's compile mode (its lines import theano_rnn, which configures
# Theano), then the model.
CHILD = textwrap.dedent("""
    import os, sys, time
    ready, go = sys.argv[1], sys.argv[2]
    open(ready, "w").close()
    deadline = time.time() + 120
    while not os.path.exists(go):
        if time.time() > deadline:
            sys.exit("no go signal")
        time.sleep(0.001)
""") + compile_mode.CHILD_SETUP + textwrap.dedent("""
    import numpy as np
    from theano_rnn.runtime import theano
    from theano_rnn.layers import Dense, Embedding, SimpleRNN
    from theano_rnn.models import Sequential

    assert str(theano.config.compiledir) == os.environ["EXPECTED_COMPILEDIR"], \\
        theano.config.compiledir
    np.random.seed(0)
    model = Sequential([Embedding(50, 8, input_length=6), SimpleRNN(4),
                        Dense(1, activation="sigmoid")], seed=0)
    model.compile("adam", "binary_crossentropy")
    rng = np.random.RandomState(1)
    x = rng.randint(0, 50, (5, 6))
    y = rng.randint(0, 2, (5, 1)).astype("float32")
    model.train_on_batch(x, y)
    print("PREDICTION", [float(v) for v in model.predict(x).ravel()])
""")


def test_two_processes_compiling_one_model_into_one_empty_cache_both_succeed(
        tmp_path):
    compiledir = tmp_path / "compiledir"
    compiledir.mkdir()
    env = dict(os.environ)
    name = "PYTENSOR_FLAGS" if runtime.BACKEND == "pytensor" else "THEANO_FLAGS"
    flags = env.get(name, "")
    env[name] = ",".join(
        f for f in (flags, "compiledir=%s" % compiledir) if f)
    env["EXPECTED_COMPILEDIR"] = str(compiledir)
    go = tmp_path / "go"
    readies = [tmp_path / ("ready%d" % i) for i in range(2)]
    logs = [(open(tmp_path / ("out%d" % i), "w+"),
             open(tmp_path / ("err%d" % i), "w+")) for i in range(2)]

    processes = [subprocess.Popen(
        [sys.executable, "-c", CHILD, str(ready), str(go)], env=env,
        stdout=out, stderr=err, cwd=str(tmp_path))
        for ready, (out, err) in zip(readies, logs)]
    try:
        deadline = time.time() + 60
        while not all(r.exists() for r in readies):
            assert all(p.poll() is None for p in processes), \
                "a process ended before the start signal"
            assert time.time() < deadline, "processes never became ready"
            time.sleep(0.005)
        go.touch()
        for p in processes:
            p.wait(timeout=600)
    finally:
        for p in processes:
            if p.poll() is None:
                p.kill()
                p.wait()

    outputs = []
    for p, (out, err) in zip(processes, logs):
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read(), err.read()
        out.close()
        err.close()
        report = "exit status %d\n--- stdout\n%s\n--- stderr\n%s" % (
            p.returncode, stdout, stderr)
        assert p.returncode == 0, report
        assert "Traceback" not in stderr and "error" not in stderr.lower(), \
            report
        predictions = [line for line in stdout.splitlines()
                       if line.startswith("PREDICTION ")]
        assert len(predictions) == 1, report
        outputs.append(predictions[0])
    assert outputs[0] == outputs[1]
    # The modules really were compiled into the shared cache.
    modules = [d for d in compiledir.iterdir()
               if d.is_dir() and d.name.startswith("tmp")]
    assert modules, sorted(os.listdir(compiledir))
