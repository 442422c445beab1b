"""scripts/benchmark.py: a quick run end to end (the JSON it writes has every
documented field, with positive numbers; timing values themselves are not
checked), and the pieces that must work without PyTorch."""
import importlib.util
import json
import os
import subprocess
import sys

import pytest

from theano_rnn import runtime

SCRIPT = os.path.join(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))), "scripts", "benchmark.py")
STATS = ("samples_per_s", "median_s", "p25_s", "p75_s", "min_s", "max_s",
         "calls")
SETTINGS = ("cells", "vocabulary", "embedding", "units", "maxlen",
            "batch_size", "batches", "warmup", "threads", "seed", "optimizer",
            "loss", "quick", "skip_cold", "dropout_option", "implementation",
            "mode")
MACHINE = ("cpu_count", "platform", "python", "numpy", "backend",
           "backend_version", "backend_label", "backend_description", "theano",
           "theano_rnn", "torch", "blas_ldflags", "floatX", "scan",
           "theano_flags", "openblas_environment", "load_average_start",
           "load_average_end")


@pytest.fixture(scope="module")
def benchmark():
    """The script as a module (its top level imports only the standard
    library, NumPy and its sibling ``_common``, found as when it runs)."""
    scripts = os.path.dirname(SCRIPT)
    if scripts not in sys.path:
        sys.path.insert(0, scripts)
    spec = importlib.util.spec_from_file_location("benchmark", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def quick_report(tmp_path_factory):
    path = str(tmp_path_factory.mktemp("benchmark") / "result.json")
    process = subprocess.run(
        [sys.executable, SCRIPT, "--quick", "--cell", "gru", "--skip-cold",
         "--json", path], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        universal_newlines=True, timeout=600)
    assert process.returncode == 0, process.stdout + process.stderr
    with open(path) as f:
        return json.load(f), process.stdout


def check_stats(stats, calls):
    assert set(STATS) <= set(stats)
    assert stats["calls"] == calls
    for name in STATS:
        assert stats[name] > 0, name
    assert stats["min_s"] <= stats["median_s"] <= stats["max_s"]


def test_quick_run_settings_and_machine(quick_report):
    report, _ = quick_report
    settings = report["settings"]
    assert set(SETTINGS) <= set(settings)
    assert settings["cells"] == ["gru"]
    assert settings["quick"] and settings["skip_cold"]
    assert (settings["batches"], settings["warmup"], settings["maxlen"]) \
        == (5, 1, 20)
    machine = report["machine"]
    assert set(MACHINE) <= set(machine)
    assert machine["cpu_count"] >= 1
    assert machine["floatX"] in ("float32", "float64")
    assert machine["theano"] and machine["numpy"] and machine["theano_rnn"]


def test_quick_run_names_the_backend(quick_report):
    from theano_rnn import runtime
    report, stdout = quick_report
    machine = report["machine"]
    assert machine["backend"] == runtime.BACKEND
    assert machine["backend_version"] == runtime.VERSION
    name = {"theano": "theano-pymc", "pytensor": "PyTensor"}[runtime.BACKEND]
    assert machine["backend_label"] == "%s %s" % (name, runtime.VERSION)
    assert machine["backend_description"].startswith(machine["backend_label"])
    assert "theano_rnn on %s" % machine["backend_description"] in stdout


def test_quick_run_theano_results(quick_report):
    report, stdout = quick_report
    assert list(report["results"]) == ["gru"]
    entry = report["results"]["gru"]
    assert entry["errors"] == {}
    assert (entry["dropout"], entry["recurrent_dropout"]) == (0.0, 0.0)
    for name in ("train", "predict"):
        check_stats(entry["theano"][name], calls=5)
    assert entry["theano"]["peak_rss_mb"] > 0
    assert entry["compile"]["cold"] is None
    warm = entry["compile"]["warm"]
    for name in ("train_function_s", "compile_s", "import_s"):
        assert warm[name] > 0, name
    assert warm["train_function_s"] <= warm["compile_s"]
    assert "train samples/s" in stdout and "gru" in stdout


def test_quick_run_torch_results_if_available(quick_report):
    report, stdout = quick_report
    entry = report["results"]["gru"]
    if report["torch_unavailable"]:
        assert entry["torch"] is None and entry["ratio"] is None
        assert report["machine"]["torch"] is None
        assert "PyTorch: not compared" in stdout
        return
    torch = entry["torch"]
    for name in ("train", "predict"):
        check_stats(torch[name], calls=5)
        assert entry["ratio"][name] > 0
    assert torch["peak_rss_mb"] > 0
    assert torch["threads"] == report["settings"]["threads"]
    assert report["machine"]["torch"]


def test_dropout_follows_the_source(benchmark):
    assert benchmark.dropout_rates("lstm", False) == (0.2, 0.2)
    assert benchmark.dropout_rates("gru", False) == (0.0, 0.0)
    assert benchmark.dropout_rates("rnn", True) == (0.2, 0.2)


def test_options(benchmark, tmp_path):
    args = benchmark.parse_args(["--json", str(tmp_path / "b.json")])
    assert args.cell == ["lstm", "gru", "rnn"]
    assert (args.batches, args.warmup, args.skip_cold) == (50, 5, False)
    settings = benchmark.settings(args)
    assert (settings["maxlen"], settings["vocabulary"],
            settings["batch_size"]) == (100, 20000, 32)
    args = benchmark.parse_args(["--quick", "--batches", "7", "--cell",
                                 "rnn", "rnn"])
    assert (args.batches, args.warmup, args.skip_cold) == (7, 1, True)
    assert args.cell == ["rnn"]
    assert settings["implementation"] == "auto"
    with pytest.raises(SystemExit):
        benchmark.parse_args(["--batches", "0"])
    with pytest.raises(SystemExit):
        benchmark.parse_args(["--implementation", "cudnn"])
    assert settings["mode"] is None
    with pytest.raises(SystemExit):
        benchmark.parse_args(["--mode", "NUMBA"])
    with pytest.raises(SystemExit):
        benchmark.parse_args(["--json", str(tmp_path / "no" / "b.json")])


def test_implementation_reaches_the_recurrent_layer(benchmark, tmp_path):
    args = benchmark.parse_args(["--quick", "--implementation", "scan",
                                 "--json", str(tmp_path / "b.json")])
    config = dict(benchmark.settings(args), cell="gru", dropout=0.0,
                  recurrent_dropout=0.0)
    model = benchmark.build_theano_model(config)
    assert model.layers[1].implementation == "scan"


@pytest.mark.skipif(runtime.BACKEND != "pytensor" or
                    importlib.util.find_spec("jax") is None,
                    reason="--mode JAX needs PyTensor and jax")
def test_the_jax_mode_compiles_the_model_with_jax(benchmark, tmp_path):
    args = benchmark.parse_args(["--quick", "--mode", "JAX",
                                 "--json", str(tmp_path / "b.json")])
    config = dict(benchmark.settings(args), cell="rnn", dropout=0.0,
                  recurrent_dropout=0.0, batch_size=4)
    model = benchmark.build_theano_model(config)
    result = benchmark.compile_theano_model(model, config)
    assert result["compile_s"] > 0
    # compiled at the first call, for the benchmark's batch shape
    assert list(model.train_function.functions) == [
        ((4, config["maxlen"]), (4, 1))]
    assert "JAX" in benchmark.run_label(
        {"machine": {"backend_label": "PyTensor 3.3.8"},
         "settings": {"implementation": "auto", "mode": "JAX"}})


def test_statistics_use_the_median(benchmark):
    stats = benchmark.call_statistics([0.1, 0.2, 0.2, 5.0, 0.2], 32)
    assert stats["median_s"] == pytest.approx(0.2)
    assert stats["samples_per_s"] == pytest.approx(160.0)
    assert stats["calls"] == 5


def test_time_calls_skips_the_warmup(benchmark):
    seen = []
    durations = benchmark.time_calls(lambda x, y: seen.append(x),
                                     [(i, None) for i in range(4)], 1)
    assert seen == [0, 1, 2, 3] and len(durations) == 3


def test_table_without_torch_and_with_a_failure(benchmark):
    stats = {"samples_per_s": 100.0}
    report = {
        "settings": {"batch_size": 32, "batches": 5, "warmup": 1,
                     "maxlen": 20, "vocabulary": 20000, "units": 128,
                     "threads": 2, "skip_cold": True},
        "machine": {"cpu_count": 2, "blas_ldflags": "-lopenblas",
                    "floatX": "float32", "load_average_start": None,
                    "load_average_end": 1.5,
                    "openblas_environment": {"OPENBLAS_CORETYPE": "Haswell"}},
        "results": {
            "lstm": {"dropout": 0.2, "theano": {
                "train": stats, "predict": stats, "peak_rss_mb": 300.0},
                "compile": {"warm": {"train_function_s": 2.5}, "cold": None},
                "torch": None, "ratio": None, "errors": {}},
            "gru": {"dropout": 0.0, "theano": None,
                    "compile": {"warm": None, "cold": None}, "torch": None,
                    "ratio": None, "errors": {"theano": "it broke"}}},
        "torch_unavailable": "torch is not installed"}
    table = benchmark.format_table(report)
    lines = table.splitlines()
    assert lines[2].split() == ["lstm", "theano_rnn", "100.0", "100.0", "-",
                                "-", "-", "2.5", "300"]
    assert lines[3].split()[:3] == ["gru", "theano_rnn", "-"]
    assert "PyTorch: not compared, torch is not installed." in table
    assert "gru, theano: it broke" in table
    assert "OpenBLAS environment: OPENBLAS_CORETYPE=Haswell." in table


def run_report(path, label, train, predict, cold=None, implementation="auto",
               maxlen=100):
    """A benchmark JSON file with one LSTM entry, as a run writes it."""
    stats = {kind: {"samples_per_s": value}
             for kind, value in (("train", train), ("predict", predict))}
    report = {
        "settings": {"implementation": implementation, "maxlen": maxlen,
                     "batch_size": 32},
        "machine": {"backend_label": label,
                    "backend_description": label + " (Python 3.x)",
                    "theano": label.split()[-1]},
        "results": {"lstm": {
            "theano": dict(stats, peak_rss_mb=500.0),
            "compile": {"warm": {"train_function_s": 1.0},
                        "cold": cold and {"train_function_s": cold}},
            "ratio": {"train": 1.25, "predict": 0.5}, "errors": {}}},
        "torch_unavailable": None}
    with open(path, "w") as f:
        json.dump(report, f)
    return str(path)


def test_compare_puts_two_runs_in_one_table(benchmark, tmp_path, capsys):
    a = run_report(tmp_path / "a.json", "theano-pymc 1.1.2", 2000.0, 10000.0,
                   cold=25.0)
    b = run_report(tmp_path / "b.json", "PyTensor 3.3.8", 1800.0, 12000.0)
    assert benchmark.main(["--compare", a, b]) == 0
    lines = capsys.readouterr().out.splitlines()
    header = [c.strip() for c in lines[0].strip("|").split("|")]
    row = [c.strip() for c in lines[2].strip("|").split("|")]
    cells = dict(zip(header[1:], row[1:]))  # ("ratio" twice: train first)
    assert row[:5] == ["lstm", "2000 / 1800", "0.90", "10000 / 12000",
                       "1.20"]
    assert cells["train / PyTorch"] == "1.25 / 1.25"
    assert cells["compile cold s"] == "25.0 / -"
    assert cells["peak RSS MB"] == "500 / 500"
    text = "\n".join(lines)
    assert "theano-pymc 1.1.2 / PyTensor 3.3.8 (in this order)" in text
    assert "PyTensor 3.3.8 to theano-pymc 1.1.2" in text
    assert "Not comparable" not in text


def test_compare_says_when_runs_differ_and_labels_old_files(benchmark,
                                                            tmp_path):
    a = benchmark.load_report(run_report(tmp_path / "a.json",
                                         "theano-pymc 1.1.2", 1.0, 1.0))
    del a["machine"]["backend_label"]  # written before backends were named
    b = benchmark.load_report(run_report(
        tmp_path / "b.json", "theano-pymc 1.1.2", 1.0, 1.0,
        implementation="scan", maxlen=20))
    table = benchmark.compare_table([a, b])
    assert "theano-pymc 1.1.2 / theano-pymc 1.1.2, scan" in table
    assert "Not comparable: the runs differ in maxlen." in table


def test_compare_refuses_a_file_that_is_not_a_result(tmp_path):
    path = tmp_path / "other.json"
    path.write_text(json.dumps({"results": {}}))
    process = subprocess.run(
        [sys.executable, SCRIPT, "--compare", str(path)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        universal_newlines=True, timeout=60)
    assert process.returncode == 2
    assert process.stderr.strip().splitlines() == [
        "benchmark: %s is not a benchmark.py result (no settings, machine "
        "and results)" % path]
