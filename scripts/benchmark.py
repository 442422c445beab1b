#!/usr/bin/env python
"""Benchmark theano_rnn's recurrent layers on the IMDB model, and compare
with the same model in PyTorch when PyTorch is installed.

It measures theano_rnn on the backend this environment runs on
(theano-pymc or PyTensor, ``THEANO_RNN_BACKEND``; ``python -m theano_rnn``
says which), and names it in the table and the JSON file.  ``--compare
A.json B.json ...`` puts the results of several runs (e.g. one per backend)
into one table.

The model is the one of ``train_imdb.py`` (the Keras example
``imdb_lstm.py``), at its sizes::

    Embedding(20000, 128) -> LSTM/GRU/SimpleRNN(128) -> Dense(1, sigmoid)
    binary cross-entropy, Adam, 100 tokens per sample, batch size 32

The LSTM has ``dropout=0.2, recurrent_dropout=0.2`` as in the source; the GRU
and the SimpleRNN have no dropout unless ``--dropout`` is given.  The data
are random token ids and labels (seeded), made once per run.

What is measured, for each cell of ``--cell``
---------------------------------------------
* **training throughput**: samples per second of one call of the compiled
  ``model.train_function`` (one Adam step), from the *median* call time of
  ``--batches`` timed calls after ``--warmup`` untimed ones;
* **prediction throughput**: the same for ``model.predict_function``;
* **compile time** of the training function (``theano.function`` on the
  training graph, including the C compilation of its ops), *cold* (with an
  empty compile cache: ``compiledir=<fresh temporary folder>`` is appended to
  the backend's flags, ``THEANO_FLAGS`` or ``PYTENSOR_FLAGS``, and Numba's
  cache, ``NUMBA_CACHE_DIR``, goes there too) and *warm* (with the user's
  normal cache,
  after the throughput measurement has compiled the same model there);
  ``--skip-cold`` skips the slow cold measurement;
* **peak resident memory** (``ru_maxrss``) of the process that did the
  throughput measurement;
* with PyTorch importable (optional; ``--no-torch`` to skip it): the same
  model in PyTorch (``nn.Embedding``, ``nn.LSTM``/``nn.GRU``/``nn.RNN`` with
  ``batch_first=True``, ``nn.Linear`` + sigmoid, ``nn.BCELoss``, Adam), timed
  the same way, and the ratios theano_rnn / PyTorch of both throughputs.
  PyTorch's recurrent layers have no recurrent dropout: where the Theano
  layer has dropout, PyTorch gets input dropout (``nn.Dropout``) on the
  embedding output only.

Every measurement runs in a process of its own (this script started again
with the hidden ``--worker`` option), so that no in-process cache distorts a
compile time and each peak memory belongs to one cell and one library.
Theano (through OpenBLAS) and PyTorch use the same number of threads:
``--threads``, by default ``$OPENBLAS_NUM_THREADS``, else
``$OMP_NUM_THREADS``, else the number of cores; it is passed to every worker
through these variables and to ``torch.set_num_threads``.

Output
------
A table on stdout (progress lines go to stderr) and a JSON file (``--json``,
default ``benchmark.json``) holding:

``settings``
    ``cells``, ``vocabulary``, ``embedding``, ``units``, ``maxlen``,
    ``batch_size``, ``batches``, ``warmup``, ``threads``, ``seed``,
    ``optimizer``, ``loss``, ``quick``, ``skip_cold``, ``dropout_option``,
    ``implementation`` (``--implementation``: the layers' ``'auto'``, which
    takes the fused C loops, or ``'scan'``), ``mode`` (``--mode``: ``null``
    for the C backend, or ``"JAX"``).
``machine``
    ``cpu_count``, ``platform``, ``python``, ``numpy``, ``backend``
    (``"theano"`` or ``"pytensor"``), ``backend_version``, ``backend_label``
    (e.g. ``"PyTensor 3.3.8"``), ``backend_description``
    (``theano_rnn.runtime.describe()``), ``theano`` (the backend's version,
    as before), ``theano_rnn``, ``torch`` (``null`` without PyTorch),
    ``blas_ldflags``, ``floatX``, ``scan`` (the scan loop: ``"python"`` or
    ``"cython"``), ``theano_flags`` (the backend's flags variable, whichever
    its name), ``openblas_environment`` (the ``OPENBLAS_*``
    variables, e.g. ``OPENBLAS_CORETYPE``, which selects OpenBLAS's
    kernels), ``load_average_start``, ``load_average_end``.
``results``
    One entry per cell::

        {"dropout": 0.2, "recurrent_dropout": 0.2,
         "theano": {"train": STATS, "predict": STATS, "peak_rss_mb": ...},
         "compile": {"warm": COMPILE, "cold": COMPILE or null},
         "torch": {"train": STATS, "predict": STATS, "peak_rss_mb": ...,
                   "threads": ..., "note": "..."} or null,
         "ratio": {"train": ..., "predict": ...} or null,
         "errors": {measurement: message}}

    where ``STATS`` is ``{"samples_per_s", "median_s", "p25_s", "p75_s",
    "min_s", "max_s", "calls"}`` (seconds per call of one batch) and
    ``COMPILE`` is ``{"train_function_s", "compile_s", "import_s"}``: the
    training function's compile time, the wall time of ``model.compile``
    and of compiling its three functions (which theano_rnn, as Keras,
    compiles the first time each is used) and the time to import theano_rnn
    and Theano (Theano's own C helpers, such as its lazy linker, are
    compiled on first use, so with an empty cache they count in the compile
    times).
``torch_unavailable``
    Why PyTorch was not used, or ``null``.

The script exits with status 1 if any measurement failed (the JSON file and
the table are still written, with the error messages).

Usage::

    python scripts/benchmark.py                     # all cells, ~10 min
    python scripts/benchmark.py --cell gru --skip-cold
    python scripts/benchmark.py --quick             # smoke test, ~1 min
    # one table of two runs (Markdown), ratios against the first file:
    python scripts/benchmark.py --compare theano.json pytensor.json

Timings on a machine shared with other work are noisy; medians make them
robust against a few slow calls, not against a machine that is busy
throughout (the load averages are recorded for that reason).
"""
import argparse
import contextlib
import importlib.util
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time

import numpy as np

from _common import int_at_least

#: The recurrent layers that can be benchmarked, by ``--cell`` name.
CELLS = ("lstm", "gru", "rnn")
#: The sizes of the source (Keras's imdb_lstm.py).
SOURCE_SIZES = {"vocabulary": 20000, "embedding": 128, "units": 128,
                "maxlen": 100, "batch_size": 32}
#: ``dropout`` and ``recurrent_dropout`` of the source's LSTM.
DROPOUT = 0.2
#: What ``--quick`` changes (a smoke test: a few short batches, no cold
#: compile).
QUICK = {"batches": 5, "warmup": 1, "maxlen": 20}
TORCH_NOTE = ("PyTorch has no recurrent dropout: where the theano_rnn layer "
              "has dropout, PyTorch gets input dropout on the embedding "
              "output only.")
THREAD_VARIABLES = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS",
                    "MKL_NUM_THREADS")
#: The environment variable each backend reads its flags from (a name the
#: two backends truly spell differently, and only this script sets flags).
FLAGS_VARIABLES = {"theano": "THEANO_FLAGS", "pytensor": "PYTENSOR_FLAGS"}


# --- Command line -----------------------------------------------------------

def default_threads():
    """The number of threads OpenBLAS uses by default: its environment
    variables, else the number of cores."""
    for name in THREAD_VARIABLES[:2]:
        try:
            value = int(os.environ.get(name, ""))
        except ValueError:
            continue
        if value > 0:
            return value
    return os.cpu_count() or 1


def parse_args(argv=None):
    class Formatter(argparse.RawDescriptionHelpFormatter,
                    argparse.ArgumentDefaultsHelpFormatter):
        pass
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=Formatter)
    parser.add_argument("--cell", nargs="+", choices=CELLS,
                        default=list(CELLS), help="the cells to benchmark")
    parser.add_argument("--batches", type=int_at_least(1), default=None,
                        help="timed calls per measurement (default 50, "
                             "with --quick %d)" % QUICK["batches"])
    parser.add_argument("--warmup", type=int_at_least(0), default=None,
                        help="untimed calls before them (default 5, with "
                             "--quick %d)" % QUICK["warmup"])
    parser.add_argument("--dropout", action="store_true",
                        help="give the GRU and the SimpleRNN dropout=%g and "
                             "recurrent_dropout=%g too (the LSTM always "
                             "has them)" % (DROPOUT, DROPOUT))
    parser.add_argument("--implementation", choices=("auto", "scan", "fused"),
                        default="auto",
                        help="the recurrent layers' implementation: 'auto' "
                             "(the default of the layers: the fused C loop), "
                             "'scan' (the step function under theano.scan, "
                             "to measure the reference path)")
    parser.add_argument("--mode", choices=("JAX",), default=None,
                        help="compile the model with compile(..., mode=MODE): "
                             "'JAX' is PyTensor's JAX backend (needs jax; it "
                             "compiles at a function's first call, which the "
                             "compile times then include); default: C")
    parser.add_argument("--threads", type=int_at_least(1),
                        default=default_threads(),
                        help="threads for OpenBLAS and for PyTorch")
    parser.add_argument("--seed", type=int_at_least(0), default=0,
                        help="seed of the data and of the initial weights")
    parser.add_argument("--skip-cold", action="store_true",
                        help="skip the compile with an empty cache (slow)")
    parser.add_argument("--no-torch", action="store_true",
                        help="skip the PyTorch comparison")
    parser.add_argument("--quick", action="store_true",
                        help="smoke test: %d batches, %d warm-up, maxlen %d, "
                             "no cold compile" % (QUICK["batches"],
                                                  QUICK["warmup"],
                                                  QUICK["maxlen"]))
    parser.add_argument("--json", metavar="PATH", default="benchmark.json",
                        help="where to write all the numbers")
    parser.add_argument("--compare", nargs="+", metavar="JSON",
                        help="measure nothing: print one Markdown table of "
                             "these runs' JSON files (e.g. one per backend), "
                             "with ratios against the first")
    # A measurement in a process of its own (see run_worker).
    parser.add_argument("--worker", choices=sorted(WORKERS),
                        help=argparse.SUPPRESS)
    parser.add_argument("--worker-config", help=argparse.SUPPRESS)
    parser.add_argument("--worker-output", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    for path in args.compare or ():
        if not os.path.isfile(path):
            parser.error("argument --compare: no such file: %r" % path)
    folder = os.path.dirname(os.path.abspath(args.json))
    if not (args.worker or args.compare) and not os.path.isdir(folder):
        parser.error("argument --json: no such folder: %r" % folder)
    if args.quick:
        args.skip_cold = True
    for name in ("batches", "warmup"):
        if getattr(args, name) is None:
            setattr(args, name, QUICK[name] if args.quick
                    else {"batches": 50, "warmup": 5}[name])
    args.cell = list(dict.fromkeys(args.cell))  # drop repeats, keep order
    return args


def settings(args):
    """Everything a worker needs to know, JSON-ready (also saved)."""
    sizes = dict(SOURCE_SIZES)
    if args.quick:
        sizes["maxlen"] = QUICK["maxlen"]
    return dict(sizes, cells=args.cell, batches=args.batches,
                warmup=args.warmup, threads=args.threads, seed=args.seed,
                optimizer="adam", loss="binary_crossentropy",
                quick=args.quick, skip_cold=args.skip_cold,
                dropout_option=args.dropout,
                implementation=args.implementation, mode=args.mode)


def dropout_rates(cell, with_dropout):
    """``(dropout, recurrent_dropout)`` of the recurrent layer."""
    if cell == "lstm" or with_dropout:
        return DROPOUT, DROPOUT
    return 0.0, 0.0


# --- Measurements common to both libraries ----------------------------------

def make_batches(config):
    """``warmup + batches`` batches ``(x, y)`` of random data: token ids in
    ``[1, vocabulary)`` (int32, batch x maxlen) and 0/1 labels (float32,
    batch x 1), the same for every worker of a run."""
    rng = np.random.RandomState(config["seed"])
    shape = (config["warmup"] + config["batches"], config["batch_size"])
    x = rng.randint(1, config["vocabulary"],
                    size=shape + (config["maxlen"],)).astype("int32")
    y = rng.randint(0, 2, size=shape + (1,)).astype("float32")
    return list(zip(x, y))


def time_calls(function, batches, warmup):
    """Call ``function(x, y)`` on each batch; return the durations (s) of
    the calls after the first ``warmup``."""
    durations = []
    for i, (x, y) in enumerate(batches):
        start = time.perf_counter()
        function(x, y)
        if i >= warmup:
            durations.append(time.perf_counter() - start)
    return durations


def call_statistics(durations, batch_size):
    """Median-based summary of per-batch call times (see the docstring)."""
    p25, median, p75 = np.percentile(durations, [25, 50, 75])
    return {"samples_per_s": batch_size / median, "median_s": median,
            "p25_s": p25, "p75_s": p75, "min_s": min(durations),
            "max_s": max(durations), "calls": len(durations)}


def measure_throughput(train, predict, batches, config):
    """Time ``train(x, y)`` then ``predict(x, y)`` over ``batches``:
    ``{"train": STATS, "predict": STATS}``."""
    return {name: call_statistics(time_calls(function, batches,
                                             config["warmup"]),
                                  config["batch_size"])
            for name, function in (("train", train), ("predict", predict))}


def peak_rss_mb():
    """Peak resident memory of this process so far, in MiB."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    # Linux reports KiB, macOS bytes.
    return peak / (1024.0 ** 2 if sys.platform == "darwin" else 1024.0)


# --- theano_rnn --------------------------------------------------------------

def build_theano_model(config):
    """The benchmark model in theano_rnn (not compiled)."""
    from theano_rnn.layers import GRU, LSTM, Dense, Embedding, SimpleRNN
    from theano_rnn.models import Sequential
    np.random.seed(config["seed"])
    recurrent = {"lstm": LSTM, "gru": GRU, "rnn": SimpleRNN}[config["cell"]]
    return Sequential([
        Embedding(config["vocabulary"], config["embedding"],
                  input_length=config["maxlen"]),
        recurrent(config["units"], dropout=config["dropout"],
                  recurrent_dropout=config["recurrent_dropout"],
                  implementation=config.get("implementation", "auto")),
        Dense(1, activation="sigmoid")])


@contextlib.contextmanager
def recording_compiles():
    """Time every ``theano.function`` call made inside the block; yields a
    list that receives ``(compiled function, seconds)``."""
    from theano_rnn.runtime import theano
    original = theano.function
    records = []

    def timed(*args, **kwargs):
        start = time.perf_counter()
        function = original(*args, **kwargs)
        records.append((function, time.perf_counter() - start))
        return function

    theano.function = timed
    try:
        yield records
    finally:
        theano.function = original


def compile_theano_model(model, config):
    """``model.compile`` as in the source, and the compilation of its
    train, test and predict functions (done at their first use otherwise),
    timed: ``{"train_function_s", "compile_s"}`` (``train_function_s`` is
    ``None`` if the model did not compile its training function with
    ``theano.function``).  Under ``--mode JAX`` the functions compile at
    their first call (per batch shape): each is called once on a batch of
    zeros, ``compile_s`` includes that and ``train_function_s`` is the
    training function's first call."""
    start = time.perf_counter()
    with recording_compiles() as records:
        model.compile(loss="binary_crossentropy", optimizer="adam",
                      mode=config.get("mode"))
        for function in (model.train_function, model.test_function,
                         model.predict_function):
            assert function is not None
        train = [seconds for function, seconds in records
                 if function is model.train_function]
        if config.get("mode"):
            x = np.zeros((config["batch_size"], config["maxlen"]), "int32")
            y = np.zeros((config["batch_size"], 1), "float32")
            first_call = time.perf_counter()
            model.train_function(x, y)
            train = [time.perf_counter() - first_call]
            model.test_function(x, y)
            model.predict_function(x)
    total = time.perf_counter() - start
    return {"train_function_s": train[0] if train else None,
            "compile_s": total}


def backend_facts():
    """The backend this process runs on: ``{"backend", "backend_version",
    "backend_label", "backend_description"}``."""
    from theano_rnn import runtime
    description = runtime.describe()
    return {"backend": runtime.BACKEND, "backend_version": runtime.VERSION,
            "backend_label": description.partition(" (")[0],
            "backend_description": description}


def flags_variable():
    """The name of the environment variable the backend reads flags from."""
    from theano_rnn import runtime
    return FLAGS_VARIABLES[runtime.BACKEND]


def theano_environment():
    """Versions and settings of the backend this process runs."""
    from theano_rnn.runtime import theano
    import theano_rnn
    from theano_rnn import runtime
    return dict(backend_facts(),
                numpy=np.__version__, theano=theano.__version__,
                theano_rnn=theano_rnn.__version__,
                blas_ldflags=theano.config.blas__ldflags,
                floatX=theano.config.floatX,
                scan=runtime.SETTINGS.get("scan", "cython"),
                theano_flags=os.environ.get(flags_variable(), ""))


def measure_theano(config):
    """Training and prediction throughput and peak memory of theano_rnn."""
    model = build_theano_model(config)
    compile_theano_model(model, config)
    result = measure_throughput(
        lambda x, y: model.train_function(x, y),
        lambda x, y: model.predict_function(x),
        make_batches(config), config)
    result["peak_rss_mb"] = peak_rss_mb()
    result["environment"] = theano_environment()
    return result


def measure_compile(config):
    """Import and compile times in a fresh process (see
    :func:`compile_theano_model`), with whatever compile cache
    ``THEANO_FLAGS`` points to."""
    start = time.perf_counter()
    # theano_rnn configures the backend, then imports it
    from theano_rnn import runtime  # noqa: F401
    import_s = time.perf_counter() - start
    result = compile_theano_model(build_theano_model(config), config)
    result["import_s"] = import_s
    return result


# --- PyTorch -----------------------------------------------------------------

def build_torch_model(config):
    """The benchmark model in PyTorch: embedding, input dropout (where the
    theano_rnn layer has dropout), recurrent layer, Linear + sigmoid on the
    last step's output."""
    import torch
    from torch import nn
    recurrent = {"lstm": nn.LSTM, "gru": nn.GRU, "rnn": nn.RNN}[config["cell"]]

    class Model(nn.Module):
        def __init__(self):
            super(Model, self).__init__()
            self.embedding = nn.Embedding(config["vocabulary"],
                                          config["embedding"])
            self.dropout = nn.Dropout(config["dropout"])
            self.recurrent = recurrent(config["embedding"], config["units"],
                                       batch_first=True)
            self.dense = nn.Linear(config["units"], 1)

        def forward(self, x):
            outputs, _ = self.recurrent(self.dropout(self.embedding(x)))
            return torch.sigmoid(self.dense(outputs[:, -1]))

    torch.manual_seed(config["seed"])
    return Model()


def measure_torch(config):
    """Training and prediction throughput and peak memory of the PyTorch
    model."""
    import torch
    torch.set_num_threads(config["threads"])
    model = build_torch_model(config)
    optimizer = torch.optim.Adam(model.parameters())
    loss_function = torch.nn.BCELoss()
    batches = [(torch.from_numpy(x.astype("int64")), torch.from_numpy(y))
               for x, y in make_batches(config)]

    def train(x, y):
        model.train()
        optimizer.zero_grad()
        loss = loss_function(model(x), y)
        loss.backward()
        optimizer.step()
        return loss.item()

    def predict(x, y):
        model.eval()
        with torch.no_grad():
            return model(x).numpy()

    result = measure_throughput(train, predict, batches, config)
    result.update(peak_rss_mb=peak_rss_mb(), threads=torch.get_num_threads(),
                  torch=torch.__version__, note=TORCH_NOTE)
    return result


# --- Worker processes --------------------------------------------------------

#: ``--worker`` name -> the measurement it runs.
WORKERS = {"theano": measure_theano, "compile": measure_compile,
           "torch": measure_torch}


def run_worker(kind, config, theano_flags=None, environment=None):
    """Run the measurement ``kind`` in a new Python process.

    ``theano_flags`` are appended to the user's flags of the backend
    (``THEANO_FLAGS`` or ``PYTENSOR_FLAGS``; later items win), and
    ``environment`` is added to the process's environment.  Returns the
    measurement's dict, or ``{"error": message}`` if the process failed.
    """
    env = dict(os.environ, **(environment or {}))
    env.update((name, str(config["threads"])) for name in THREAD_VARIABLES)
    if theano_flags:
        name = flags_variable()
        env[name] = ",".join(f for f in [env.get(name, ""), theano_flags]
                             if f)
    handle, output = tempfile.mkstemp(prefix="benchmark-", suffix=".json")
    os.close(handle)
    try:
        process = subprocess.run(
            [sys.executable, os.path.abspath(__file__), "--worker", kind,
             "--worker-config", json.dumps(config), "--worker-output", output],
            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            universal_newlines=True)
        if process.returncode != 0:
            lines = (process.stderr or process.stdout).strip().splitlines()
            return {"error": "the %s worker failed (exit status %d): %s"
                    % (kind, process.returncode,
                       " | ".join(lines[-3:]) or "no output")}
        with open(output) as f:
            return json.load(f)
    finally:
        os.remove(output)


def worker_main(args):
    """Entry point of a worker process: run one measurement, write its
    result as JSON to ``--worker-output``."""
    result = WORKERS[args.worker](json.loads(args.worker_config))
    with open(args.worker_output, "w") as f:
        json.dump(result, f)


def cold_compile(config):
    """The compile measurement with an empty compile cache: a fresh
    temporary ``compiledir`` (and Numba cache), removed afterwards."""
    folder = tempfile.mkdtemp(prefix="theano-cold-")
    try:
        return run_worker("compile", config, "compiledir=" + folder,
                          {"NUMBA_CACHE_DIR": os.path.join(folder, "numba")})
    finally:
        shutil.rmtree(folder, ignore_errors=True)


# --- The benchmark -----------------------------------------------------------

def progress(message):
    sys.stderr.write(message + "\n")
    sys.stderr.flush()


def torch_unavailable(args):
    """Why PyTorch is not used, or ``None`` if it is."""
    if args.no_torch:
        return "skipped (--no-torch)"
    if importlib.util.find_spec("torch") is None:
        return "torch is not installed (pip install torch)"
    process = subprocess.run([sys.executable, "-c", "import torch"],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             universal_newlines=True)
    if process.returncode != 0:
        lines = process.stderr.strip().splitlines() or ["no message"]
        return "torch cannot be imported (%s)" % lines[-1]
    return None


def benchmark_cell(cell, args, run_settings, use_torch):
    """All the measurements of one cell (see the module docstring)."""
    dropout, recurrent_dropout = dropout_rates(cell, args.dropout)
    config = dict(run_settings, cell=cell, dropout=dropout,
                  recurrent_dropout=recurrent_dropout)
    entry = {"dropout": dropout, "recurrent_dropout": recurrent_dropout,
             "theano": None, "compile": {"warm": None, "cold": None},
             "torch": None, "ratio": None, "errors": {}}

    def record(name, result, place, key):
        """Store a worker's result at ``place[key]``, or its error."""
        if "error" in result:
            entry["errors"][name] = result["error"]
            progress("  failed: " + result["error"])
        else:
            place[key] = result

    progress("%s: theano_rnn training and prediction..." % cell)
    record("theano", run_worker("theano", config), entry, "theano")
    if use_torch:
        progress("%s: PyTorch training and prediction..." % cell)
        record("torch", run_worker("torch", config), entry, "torch")
    progress("%s: compile with the warm cache..." % cell)
    record("compile warm", run_worker("compile", config), entry["compile"],
           "warm")
    if not args.skip_cold:
        progress("%s: compile with an empty cache (slow)..." % cell)
        record("compile cold", cold_compile(config), entry["compile"],
               "cold")
    if entry["theano"] and entry["torch"]:
        entry["ratio"] = {
            name: entry["theano"][name]["samples_per_s"] /
            entry["torch"][name]["samples_per_s"]
            for name in ("train", "predict")}
    return entry


def machine_info(results):
    """Facts about the machine and the libraries, for the JSON file."""
    info = {"cpu_count": os.cpu_count(), "platform": platform.platform(),
            "python": platform.python_version(), "numpy": np.__version__,
            "backend": None, "backend_version": None, "backend_label": None,
            "backend_description": None, "theano": None, "theano_rnn": None, "torch": None,
            "blas_ldflags": None, "floatX": None, "scan": None,
            "theano_flags": None,
            # OpenBLAS reads these (OPENBLAS_CORETYPE picks its kernels)
            "openblas_environment": {k: v for k, v in os.environ.items()
                                     if k.startswith("OPENBLAS_")}}
    for entry in results.values():
        if entry["theano"]:
            info.update(entry["theano"].pop("environment"))
        if entry["torch"]:
            info["torch"] = entry["torch"].pop("torch")
    return info


def _number(value, pattern):
    return "-" if value is None else pattern % value


def format_table(report):
    """The results as a text table, one row per cell and library, with
    notes below."""
    header = ("cell", "library", "train samples/s", "predict samples/s",
              "train ratio", "predict ratio", "compile cold s",
              "compile warm s", "peak MB")
    rows = []
    for cell, entry in report["results"].items():
        theano, torch = entry["theano"] or {}, entry["torch"]
        ratio = entry["ratio"] or {}
        compiles = [(entry["compile"].get(k) or {}).get("train_function_s")
                    for k in ("cold", "warm")]
        rows.append([cell, "theano_rnn"] + [
            _number(theano.get(k, {}).get("samples_per_s"), "%.1f")
            for k in ("train", "predict")] + [
            _number(ratio.get(k), "%.2f") for k in ("train", "predict")] + [
            _number(seconds, "%.1f") for seconds in compiles] + [
            _number(theano.get("peak_rss_mb"), "%.0f")])
        if torch:
            rows.append([cell, "torch"] + [
                _number(torch[k]["samples_per_s"], "%.1f")
                for k in ("train", "predict")] + ["-"] * 4 + [
                _number(torch["peak_rss_mb"], "%.0f")])
    widths = [max(len(str(row[i])) for row in [header] + rows)
              for i in range(len(header))]
    lines = ["  ".join(str(value).rjust(width) if i > 1
                       else str(value).ljust(width)
                       for i, (value, width) in enumerate(zip(row, widths)))
             for row in [header] + rows]
    lines.insert(1, "  ".join("-" * width for width in widths))

    s, m = report["settings"], report["machine"]
    lines += [
        "",
        "theano_rnn on %s." % (m.get("backend_description")
                               or "an unknown backend (no measurement ran)"),
        "Samples/s: batch %d / median call time of %d calls after %d "
        "warm-up calls; maxlen %d, vocabulary %d, %d units."
        % (s["batch_size"], s["batches"], s["warmup"], s["maxlen"],
           s["vocabulary"], s["units"]),
        "Ratios: theano_rnn / PyTorch throughput (> 1: theano_rnn faster).",
        "Compile: the training function; cold = empty compile cache, "
        "warm = the usual one.",
        "Threads: %d (OpenBLAS and PyTorch); %s cores; BLAS %r, floatX %s; "
        "load average %s at the start, %s at the end."
        % (s["threads"], m["cpu_count"], m["blas_ldflags"], m["floatX"],
           _number(m["load_average_start"], "%.2f"),
           _number(m["load_average_end"], "%.2f"))]
    if m.get("openblas_environment"):
        lines.append("OpenBLAS environment: %s." % ", ".join(
            "%s=%s" % item for item in sorted(m["openblas_environment"].items())))
    if s["skip_cold"]:
        lines.append("Cold compile: skipped (--skip-cold or --quick).")
    if report["torch_unavailable"]:
        lines.append("PyTorch: not compared, %s."
                     % report["torch_unavailable"])
    elif any(entry["dropout"] for entry in report["results"].values()):
        lines.append(TORCH_NOTE)
    for cell, entry in report["results"].items():
        for measurement, message in entry["errors"].items():
            lines.append("%s, %s: %s" % (cell, measurement, message))
    return "\n".join(lines)


# --- Several runs in one table (--compare) ---------------------------------

#: The settings that must agree for two runs' numbers to be comparable.
COMPARABLE = ("vocabulary", "embedding", "units", "maxlen", "batch_size",
              "batches", "threads", "dropout_option")


def load_report(path):
    """A JSON file written by this script; ``ValueError`` (naming the file)
    if it is not one."""
    try:
        with open(path) as f:
            report = json.load(f)
    except ValueError as error:
        raise ValueError("%s is not JSON (%s)" % (path, error))
    if not (isinstance(report, dict)
            and {"settings", "machine", "results"} <= set(report)):
        raise ValueError("%s is not a benchmark.py result (no settings, "
                         "machine and results)" % path)
    report["path"] = path
    return report


def run_label(report):
    """``"PyTensor 3.3.8"``, ``"theano-pymc 1.1.2, scan"``...: the backend of
    a run (files written before the backend was recorded were theano-pymc's)
    and its implementation and mode when not the defaults."""
    machine = report["machine"]
    label = machine.get("backend_label") or (
        "theano-pymc %s" % machine["theano"] if machine.get("theano")
        else os.path.basename(report["path"]))
    settings = report["settings"]
    implementation = settings.get("implementation", "auto")
    label = label if implementation == "auto" else "%s, %s" % (
        label, implementation)
    return label if not settings.get("mode") else "%s, %s" % (
        label, settings["mode"])


def compare_table(reports):
    """One Markdown table of several runs: per cell, each number of each run
    (``a / b``) and the ratios of the later runs to the first."""
    labels = [run_label(report) for report in reports]
    for i, label in enumerate(labels):
        if labels.count(label) > 1:
            labels[i] = "%s (%s)" % (label,
                                     os.path.basename(reports[i]["path"]))
    cells = list(dict.fromkeys(cell for report in reports
                               for cell in report["results"]))

    def values(cell, get, pattern):
        found = []
        for report in reports:
            try:
                found.append(get(report["results"][cell]))
            except (KeyError, TypeError):
                found.append(None)
        return found, " / ".join(_number(v, pattern) for v in found)

    def ratios(found):
        return " / ".join(
            "-" if None in (value, found[0]) or not found[0]
            else "%.2f" % (value / found[0]) for value in found[1:])

    def throughput(kind):
        return lambda entry: entry["theano"][kind]["samples_per_s"]

    def torch_ratio(kind):
        return lambda entry: entry["ratio"][kind]

    def compile_s(which):
        return lambda entry: entry["compile"][which]["train_function_s"]

    header = ["cell", "train samples/s", "ratio", "predict samples/s",
              "ratio", "train / PyTorch", "predict / PyTorch",
              "compile cold s", "compile warm s", "peak RSS MB"]
    rows = []
    for cell in cells:
        row = [cell]
        for kind in ("train", "predict"):
            found, text = values(cell, throughput(kind), "%.0f")
            row += [text, ratios(found)]
        row += [values(cell, torch_ratio(kind), "%.2f")[1]
                for kind in ("train", "predict")]
        row += [values(cell, compile_s(which), "%.1f")[1]
                for which in ("cold", "warm")]
        row.append(values(cell, lambda e: e["theano"]["peak_rss_mb"],
                          "%.0f")[1])
        rows.append(row)
    lines = ["| %s |" % " | ".join(header),
             "|%s" % ("---|" * len(header))]
    lines += ["| %s |" % " | ".join(row) for row in rows]
    lines += ["", "Each column: %s (in this order); ratio: %s."
              % (" / ".join(labels),
                 " / ".join("%s to %s" % (label, labels[0])
                            for label in labels[1:]) or "none")]
    for label, report in zip(labels, reports):
        settings = report["settings"]
        how = settings.get("implementation", "auto") + " implementation"
        if settings.get("mode"):
            how += ", mode " + settings["mode"]
        lines.append("- %s: %s, %s (%s)." % (
            label, report["machine"].get("backend_description")
            or "backend not recorded", how, report["path"]))
    differing = [name for name in COMPARABLE
                 if len({json.dumps(report["settings"].get(name))
                         for report in reports}) > 1]
    if differing:
        lines.append("Not comparable: the runs differ in %s."
                     % ", ".join(differing))
    return "\n".join(lines)


def load_average():
    try:
        return os.getloadavg()[0]
    except (AttributeError, OSError):
        return None


def main(argv=None):
    args = parse_args(argv)
    if args.worker:
        return worker_main(args)
    if args.compare:
        try:
            reports = [load_report(path) for path in args.compare]
        except ValueError as error:
            progress("benchmark: %s" % error)
            return 2
        print(compare_table(reports))
        return 0
    try:
        backend = backend_facts()
    except ImportError as error:  # runtime.BackendError: its one line
        progress("benchmark: %s" % error)
        return 2
    progress("theano_rnn on %s" % backend["backend_description"])
    run_settings = settings(args)
    unavailable = torch_unavailable(args)
    load_start = load_average()
    results = {cell: benchmark_cell(cell, args, run_settings,
                                    unavailable is None)
               for cell in args.cell}
    machine = machine_info(results)
    machine.update(backend)
    machine.update(load_average_start=load_start,
                   load_average_end=load_average())
    report = {"settings": run_settings, "machine": machine,
              "results": results, "torch_unavailable": unavailable}
    with open(args.json, "w") as f:
        json.dump(report, f, indent=1)
    print(format_table(report))
    print("\nAll numbers: %s" % args.json)
    return 1 if any(entry["errors"] for entry in results.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
