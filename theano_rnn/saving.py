"""The file format of saved models and weights: safe to read, atomic to write.

A saved file is an ``.npz`` archive -- a zip of ``.npy`` members, written by
``np.savez`` -- whatever its file name.  It holds:

* ``header``: UTF-8 JSON stored as a ``uint8`` array, e.g.
  ``{"format": "theano_rnn.model", "version": 1, "groups": {...}, ...}``.
  ``format`` says what the file is (:data:`MODEL_FORMAT` or
  :data:`WEIGHTS_FORMAT`), ``version`` which revision of that format, and
  ``groups`` how many arrays each group holds; everything else is up to the
  writer (:mod:`theano_rnn.models.persistence` puts the architecture, the
  compile settings, the RNG positions and the user's ``metadata`` there).
  Readers
  ignore entries they do not know, so a new entry that older readers may
  safely skip (as ``metadata``) needs no new version.
* the arrays, one member per array, named ``<group>/<index>`` with a
  four-digit index (``weights/0000``, ``optimizer/0003``, ...).

Reading never unpickles (every array is read with ``allow_pickle=False``),
so a file from an untrusted source cannot run code.  Every zip member's
CRC-32 is checked before anything is parsed, and whatever is wrong with a
file -- truncated, corrupted, not a zip, a zip or ``.npz`` written by another
program, a format version newer than this library knows -- is reported as a
:class:`ModelFileError` saying what was found and what was expected.  A
missing file raises ``FileNotFoundError`` as usual.

Writing is atomic: the archive goes to a temporary file in the destination's
directory, is flushed and ``fsync``-ed, then renamed over the destination
with ``os.replace``.  If anything fails, the temporary file is removed and a
previous file at that path is left as it was.

This module knows nothing about models; :mod:`theano_rnn.models` decides
what goes into a file and how to rebuild a model from it.
"""
import json
import os
import struct
import tempfile
import zipfile
import zlib

import numpy as np

from .validation import is_integer

#: ``format`` of a whole model (``model.save``; see
#: :mod:`theano_rnn.models.persistence`).
MODEL_FORMAT = "theano_rnn.model"
#: ``format`` of weights only (``model.save_weights``).
WEIGHTS_FORMAT = "theano_rnn.weights"
#: The newest version of both formats that this library reads and writes.
VERSION = 1

_HEADER = "header"
_MEMBER = "%s/%04d"
#: Everything reading a damaged archive can raise (besides ModelFileError).
#: (NotImplementedError: zipfile's "zip file version 6.4" when a version
#: byte changed; RuntimeError: its "File is encrypted" when a flag bit
#: flipped.)
READ_ERRORS = (zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error,
               struct.error, ValueError, TypeError, KeyError, EOFError,
               OSError, UnicodeDecodeError, OverflowError, MemoryError,
               NotImplementedError, RuntimeError)


class ModelFileError(ValueError):
    """A file that is not a valid theano_rnn model or weights file."""


# -- writing -------------------------------------------------------------

def write_file(path, format, header, groups):
    """Write an archive atomically.

    Parameters
    ----------
    path : str or path-like
        Destination, written exactly as given (no extension is appended).
    format : str
        :data:`MODEL_FORMAT` or :data:`WEIGHTS_FORMAT`.
    header : dict
        JSON-serialisable metadata; ``format``, ``version`` and ``groups``
        are added to it.
    groups : dict of str -> list of arrays
        The arrays to store, by group.

    Raises
    ------
    OSError
        If the file cannot be written; the destination is then unchanged.
    TypeError
        If ``header`` cannot be serialised as JSON (checked before anything
        is written).
    """
    header = dict(header, format=format, version=VERSION,
                  groups={name: len(arrays) for name, arrays in groups.items()})
    arrays = {_HEADER: _encode_json(header)}
    for name, values in groups.items():
        for index, value in enumerate(values):
            arrays[_MEMBER % (name, index)] = np.asarray(value)
    atomic_write(path, lambda stream: np.savez(stream, **arrays))


def atomic_write(path, write):
    """Call ``write(binary_file)`` on a temporary file, then move it to
    ``path``; on any error remove it and leave ``path`` untouched.

    The temporary file (``.<name>.<random>.tmp``) lives in the destination's
    directory so that the final ``os.replace`` is an atomic rename.  It gets
    the permissions of the file it replaces, or those the umask gives a new
    file.
    """
    path = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(path))
    existed = os.path.exists(path)
    mode = _file_mode(path)
    try:
        _write_and_replace(path, directory, mode, write)
    except OSError as err:
        raise _save_error(path, existed, err) from err
    _fsync_directory(directory)


def _write_and_replace(path, directory, mode, write):
    fd, temporary = tempfile.mkstemp(
        prefix=".%s." % os.path.basename(path), suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "wb") as stream:
            write(stream)
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException:
        try:
            os.unlink(temporary)
        except OSError:
            pass
        raise


def _save_error(path, existed, err):
    """An ``OSError`` of the same kind that says what happened to ``path``
    (a full disk or a read-only folder must not leave the user guessing)."""
    reason = err.strerror or str(err)
    message = "could not write %s: %s; %s" % (
        path, reason, "the previous file is unchanged" if existed
        else "nothing was written")
    return OSError(err.errno, message) if err.errno else OSError(message)


def _file_mode(path):
    """Permissions for ``path``: those of the existing file, else the
    default for a new file under the current umask."""
    try:
        return os.stat(path).st_mode & 0o777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def _fsync_directory(directory):
    """Make the rename durable (best effort: not every OS allows it)."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _encode_json(value):
    return np.frombuffer(json.dumps(value, sort_keys=True).encode("utf-8"),
                         dtype=np.uint8)


# -- reading -------------------------------------------------------------

def read_file(path, format):
    """Read and check an archive written by :func:`write_file`.

    Parameters
    ----------
    path : str or path-like
    format : str or tuple of str
        The format expected, :data:`MODEL_FORMAT` or :data:`WEIGHTS_FORMAT`,
        or a tuple of the formats accepted.

    Returns
    -------
    header : dict
        The JSON header (with ``format``, ``version`` and ``groups``).
    groups : dict of str -> list of numpy arrays

    Raises
    ------
    FileNotFoundError, PermissionError, IsADirectoryError
        If the file cannot be opened.
    ModelFileError
        If it is not a valid file of ``format`` with a version this library
        can read; the message starts with the path.
    """
    path = os.fspath(path)
    formats = (format,) if isinstance(format, str) else tuple(format)
    with open(path, "rb") as stream:
        try:
            return _read_archive(stream, formats)
        except ModelFileError as error:
            raise ModelFileError("%s: %s" % (path, error))
        except READ_ERRORS as error:
            raise ModelFileError(
                "%s: not a valid %s file (damaged, truncated or not "
                "written by theano_rnn): %s: %s"
                % (path, _names(formats), type(error).__name__, error))


def _names(formats):
    return " or ".join(formats)


def _read_archive(stream, formats):
    if not zipfile.is_zipfile(stream):
        raise ModelFileError("not a %s file: expected a zip (.npz) archive, "
                             "found %s" % (_names(formats),
                                           _describe_start(stream)))
    stream.seek(0)
    with zipfile.ZipFile(stream) as archive:
        damaged = archive.testzip()
        if damaged is not None:
            raise ModelFileError("the archive member %r is damaged (its "
                                 "CRC-32 or header check fails)" % damaged)
        members = set(archive.namelist())
        if _HEADER + ".npy" not in members:
            raise ModelFileError(
                "not a %s file: a zip archive without a theano_rnn header "
                "(it holds %s)" % (_names(formats),
                                   _describe_members(members)))
        header = _decode_header(_read_array(archive, _HEADER), formats)
        groups = {}
        for name, count in header["groups"].items():
            groups[name] = []
            for index in range(count):
                member = _MEMBER % (name, index)
                if member + ".npy" not in members:
                    raise ModelFileError("the array %r listed in the header "
                                         "is missing" % member)
                groups[name].append(_read_array(archive, member))
    return header, groups


def _read_array(archive, member):
    with archive.open(member + ".npy") as stream:
        return np.lib.format.read_array(stream, allow_pickle=False)


def _decode_header(array, formats):
    """Parse and check the JSON header."""
    if array.dtype != np.uint8 or array.ndim != 1:
        raise ModelFileError("the header is not UTF-8 JSON bytes")
    header = json.loads(array.tobytes().decode("utf-8"))
    if not isinstance(header, dict) or "format" not in header:
        raise ModelFileError("the header has no 'format' entry; expected a "
                             "%s file" % _names(formats))
    found = header["format"]
    if found not in formats:
        hint = ""
        if found == MODEL_FORMAT:
            hint = "; load it with theano_rnn.models.load_model"
        elif found == WEIGHTS_FORMAT:
            hint = "; load it with model.load_weights"
        raise ModelFileError("expected a %s file, found a %r file%s"
                             % (_names(formats), found, hint))
    version = header.get("version")
    if not is_integer(version) or version < 1:
        raise ModelFileError("invalid format version %r; expected an integer "
                             "from 1 to %d" % (version, VERSION))
    if version > VERSION:
        raise ModelFileError(
            "%s format version %d is newer than this theano_rnn can read "
            "(version %d or older); upgrade theano_rnn to load it"
            % (found, version, VERSION))
    groups = header.get("groups")
    if not isinstance(groups, dict) or not all(
            isinstance(n, int) and n >= 0 for n in groups.values()):
        raise ModelFileError("the header's 'groups' entry is invalid")
    return header


def _describe_start(stream):
    stream.seek(0)
    start = stream.read(8)
    if not start:
        return "an empty file"
    if start.startswith(b"\x93NUMPY"):
        return "a single .npy array"
    if start.startswith(b"PK\x03\x04"):
        return ("the start of a zip archive whose end is missing (a "
                "truncated or damaged file)")
    return "a file starting with %r" % (start,)


def _describe_members(members):
    names = sorted(members)
    shown = ", ".join(names[:5])
    if len(names) > 5:
        shown += ", ... (%d members)" % len(names)
    return shown or "no members"
