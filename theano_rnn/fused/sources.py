"""The C++ of the fused ops: the files of ``csrc/``, read into the ops'
support code in one order, and a cache version derived from their content.

Each file of ``theano_rnn/fused/csrc/`` is an ordinary C++ header: an
include guard, ``#include`` of the system headers and of the other files it
uses, so that it compiles on its own (``tests/test_fused_sources.py`` runs
``g++ -fsyntax-only`` on each).  Theano compiles an op's support code as
one translation unit; :func:`support_code` pastes the files an op uses in
the order of :data:`ORDER`, after the C that Python generates
(:func:`generated_code`), and the include directory of ``csrc/`` is given to
the compiler so that the files' own ``#include "..."`` lines resolve (their
guards make them no-ops there).

Theano reuses a compiled module whenever an op's ``c_code_cache_version``
is one it has seen, whatever the C code now says; :func:`content_version`
hashes every C text an op uses, so an edit of any of them gives a new
version and a new module.
"""
import hashlib
import os

#: The directory of the C++ sources.
DIRECTORY = os.path.join(os.path.dirname(os.path.abspath(__file__)), "csrc")

#: Every file of ``csrc/``, in the order an op's support code holds them.
#: A file may only use what the files before it define: Theano pastes the
#: support code into one translation unit, where a template or a function
#: must be declared before its first use (the ``#include`` lines between the
#: files say the same and are no-ops once a file is in).
ORDER = (
    "format_shape.h",   # format_shape(): shapes in error messages
    "arrays.h",         # contiguous inputs, shape checks, reused outputs
    "activations.h",    # scalar activations and their derivatives
    "packed.h",         # the packed per-step product, the thread split
    "loop_helpers.h",   # masked states, state sizes, activation classes
    "simple_rnn.h",     # the loops of the three cells
    "gru.h",
    "lstm.h",
    "adam.h",           # Adam's update (uses format_shape.h only)
    "rows.h",           # the row gather and scatter-add (uses arrays.h)
)

_TEXTS = {}


def read(name):
    """The text of ``csrc/<name>`` (read once per directory)."""
    if name not in ORDER:
        raise ValueError("%r is not one of the C sources %s" % (name, ORDER))
    path = os.path.join(DIRECTORY, name)
    if path not in _TEXTS:
        with open(path) as source:
            _TEXTS[path] = source.read()
    return _TEXTS[path]


def ordered(names):
    """``names`` in the order of :data:`ORDER`."""
    return sorted(names, key=ORDER.index)


def generated_code():
    """The C the sources use that Python generates, in the order the support
    code holds it: Theano's BLAS declarations (or, without a BLAS library,
    its definitions of ``sgemm_``/``dgemm_`` on top of NumPy) and the
    float32 ``theano_rnn_tanhf`` of :mod:`theano_rnn.fastmath`."""
    from ..fastmath import C_SUPPORT_CODE
    from ..runtime import blas
    return [blas.blas_header_text(), C_SUPPORT_CODE]


def support_code(names, generated=()):
    """The support code of an op using the files ``names``: the texts of
    ``generated`` then those of the files, in :data:`ORDER`, as a list (Theano
    includes each distinct string once per module)."""
    return list(generated) + [read(name) for name in ordered(names)]


def content_version(texts):
    """A cache version (a tuple of one int) that changes with any byte of
    ``texts``."""
    digest = hashlib.sha256()
    for text in texts:
        data = text.encode("utf-8")
        digest.update(b"%d:" % len(data))
        digest.update(data)
    return (int(digest.hexdigest()[:15], 16),)
