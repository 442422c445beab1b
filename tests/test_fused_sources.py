"""The C++ of the fused ops in ``theano_rnn/fused/csrc``: every file
compiles on its own, the ops' support code holds them in the stated order,
and the cache version follows their content."""
import os
import shutil
import subprocess
import sys
import sysconfig

import numpy as np
import pytest

from theano_rnn.fused import adam, gru, lstm, rows, simple_rnn, sources

OPS = [lstm.LSTMForward, lstm.LSTMBackward, gru.GRUForward, gru.GRUBackward,
       simple_rnn.SimpleRNNForward, simple_rnn.SimpleRNNBackward]
#: The ops whose support code is csrc/ alone (no generated C).
STANDALONE = [adam.AdamUpdate(), rows.RowGather(), rows.RowScatterAdd()]


def loop_op(cls):
    props = {name: False for name in cls.__props__}
    props.update(activation="tanh", recurrent_activation="sigmoid")
    return cls(**{name: props[name] for name in cls.__props__})


def test_every_file_of_csrc_is_in_the_order():
    on_disk = sorted(f for f in os.listdir(sources.DIRECTORY)
                     if f.endswith((".h", ".cpp")))
    assert on_disk == sorted(sources.ORDER)


@pytest.mark.skipif(shutil.which("g++") is None, reason="needs g++")
@pytest.mark.parametrize("name", sources.ORDER)
def test_each_source_compiles_on_its_own(name, tmp_path):
    """g++ -fsyntax-only on the file alone, with Theano's include paths
    (Python, NumPy) and, forced in front, only the C generated in Python
    (Theano's BLAS declarations, fastmath's tanh): what a file takes from
    the other files of csrc/ it must include itself."""
    generated = tmp_path / "generated.h"
    generated.write_text("#include <Python.h>\n"
                         "#include <numpy/arrayobject.h>\n"
                         + "".join(sources.generated_code()))
    command = ["g++", "-x", "c++", "-std=c++11", "-fsyntax-only", "-Wall",
               "-Werror", "-Wno-unused-function",
               "-Wno-deprecated-declarations", "-Wno-cpp",
               "-I" + sysconfig.get_paths()["include"],
               "-I" + np.get_include(), "-I" + sources.DIRECTORY,
               "-include", str(generated),
               os.path.join(sources.DIRECTORY, name)]
    run = subprocess.run(command, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr


@pytest.mark.parametrize("cls", OPS)
def test_the_support_code_holds_the_files_in_order(cls):
    op = loop_op(cls)
    code = op.c_support_code()
    files = [text for text in code if text in
             [sources.read(name) for name in sources.ORDER]]
    names = [name for text in files for name in sources.ORDER
             if sources.read(name) == text]
    assert names == [n for n in sources.ORDER if n in op.csrc]
    assert code[:len(code) - len(files)] == sources.generated_code()


def versions():
    return ([loop_op(cls).c_code_cache_version() for cls in OPS]
            + [op.c_code_cache_version() for op in STANDALONE])


@pytest.mark.parametrize("name", sources.ORDER)
def test_a_changed_byte_gives_a_new_cache_version(name, tmp_path,
                                                  monkeypatch):
    before = versions()
    copy = tmp_path / "csrc"
    shutil.copytree(sources.DIRECTORY, copy)
    text = (copy / name).read_text()
    index = text.index("{")                 # one byte of code, not comment
    (copy / name).write_text(text[:index] + " " + text[index + 1:])
    monkeypatch.setattr(sources, "DIRECTORY", str(copy))
    after = versions()
    users = [op.csrc for op in [loop_op(cls) for cls in OPS]]
    users += [op.csrc for op in STANDALONE]
    for csrc, old, new in zip(users, before, after):
        assert (old != new) == (name in csrc), (name, csrc)


def test_the_generated_c_is_in_the_cache_version(monkeypatch):
    before = versions()
    monkeypatch.setattr(sources, "generated_code",
                        lambda: ["/* another BLAS */"])
    after = versions()
    n = len(OPS)
    assert all(old != new for old, new in zip(before[:n], after[:n]))
    assert before[n:] == after[n:]


def test_unchanged_sources_keep_their_version(tmp_path, monkeypatch):
    before = versions()
    copy = tmp_path / "csrc"
    shutil.copytree(sources.DIRECTORY, copy)
    monkeypatch.setattr(sources, "DIRECTORY", str(copy))
    assert versions() == before


def test_the_optimizers_do_not_load_the_recurrence_ops():
    """Adam's fused update is importable without the recurrence ops."""
    code = ("import sys, theano_rnn.optimizers;"
            "print(sorted(m for m in sys.modules"
            " if m.startswith('theano_rnn.fused')))")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True,
                         text=True, check=True)
    loaded = run.stdout.split("\n")[-2]
    assert "theano_rnn.fused.adam" in loaded
    for module in ("lstm", "gru", "simple_rnn"):
        assert "theano_rnn.fused.%s'" % module not in loaded
