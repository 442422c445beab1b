"""Downloading and caching data files: Keras's ``get_file``, and the pieces
the dataset loaders share (atomic writes, a download with a progress bar and
a hash check, archive extraction).

Files go to theano_rnn's home folder, ``~/.theano_rnn`` (``$THEANO_RNN_HOME``
when set), under ``cache_subdir`` (``datasets`` by default: the cache folder
of :mod:`theano_rnn.datasets`), where Keras used ``~/.keras``.

Nothing is ever half-written: a download goes to a hidden temporary file
beside its target and is renamed only once complete and checked; a failed
or mismatching download leaves no file.
"""
import contextlib
import hashlib
import http.client
import os
import sys
import tarfile
import urllib.request
import uuid
import zipfile

#: Environment variable overriding the ``~/.theano_rnn`` home folder.
HOME_ENV = "THEANO_RNN_HOME"


def home_dir():
    """``$THEANO_RNN_HOME``, or ``~/.theano_rnn`` when that is unset (not
    created here)."""
    home = os.environ.get(HOME_ENV) or os.path.join("~", ".theano_rnn")
    return os.path.expanduser(home)


@contextlib.contextmanager
def atomic_write(filename):
    """Write to a hidden temporary file beside ``filename``, renamed to it
    only if the ``with`` block succeeds (and removed otherwise)."""
    folder, name = os.path.split(filename)
    os.makedirs(folder or ".", exist_ok=True)
    tmp = os.path.join(folder, ".%s.%s.part" % (name, uuid.uuid4().hex))
    try:
        with open(tmp, "xb") as f:
            yield f
        os.replace(tmp, filename)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def show_progress(name, done, total):
    """A one-line progress bar on standard error (bytes when the total is
    unknown)."""
    if total:
        fraction = min(done / total, 1.0)
        sys.stderr.write("\rDownloading %s [%-30s] %3d%% %.1f/%.1f MB"
                         % (name, "=" * int(30 * fraction), 100 * fraction,
                            done / 1e6, total / 1e6))
    else:
        sys.stderr.write("\rDownloading %s %.1f MB" % (name, done / 1e6))
    sys.stderr.flush()


_HASH_NAMES = {"sha256": "SHA-256", "md5": "MD5"}


def resolve_hash_algorithm(file_hash, algorithm="auto"):
    """Keras's rule: ``'auto'`` is SHA-256 for a 64-digit hash, else MD5."""
    if algorithm == "auto":
        return "sha256" if len(file_hash) == 64 else "md5"
    if algorithm not in ("sha256", "md5"):
        raise ValueError("hash_algorithm must be 'auto', 'sha256' or 'md5', "
                         "got %r" % (algorithm,))
    return algorithm


def hash_file(path, algorithm="sha256", chunk_size=1 << 20):
    """The hex digest of the file at ``path``."""
    digest = hashlib.new(algorithm)
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(chunk_size), b""):
            digest.update(chunk)
    return digest.hexdigest()


def download(url, filename, size=None, file_hash=None, algorithm="auto",
             progress=True):
    """Download ``url`` to ``filename``, checking its size and hash when
    given.  Raises ``OSError`` (network failure, or a mismatch naming the
    expected and the actual values); nothing is left behind on failure."""
    if file_hash is not None:
        algorithm = resolve_hash_algorithm(file_hash, algorithm)
        digest = hashlib.new(algorithm)
    done = 0
    name = os.path.basename(filename)
    try:
        with atomic_write(filename) as out, \
                urllib.request.urlopen(url, timeout=60) as response:
            headers = getattr(response, "headers", None) or {}
            total = size or int(headers.get("Content-Length") or 0)
            while True:
                chunk = response.read(1 << 20)
                if not chunk:
                    break
                out.write(chunk)
                if file_hash is not None:
                    digest.update(chunk)
                done += len(chunk)
                if progress:
                    show_progress(name, done, total)
            if progress:
                sys.stderr.write("\n")
            wrong_size = size is not None and done != size
            if wrong_size or (file_hash is not None and
                              digest.hexdigest() != file_hash):
                got, expected = ["%d bytes" % done], [
                    "%d bytes" % size if size is not None else None]
                if file_hash is not None:
                    label = _HASH_NAMES[algorithm]
                    got.append("%s %s" % (label, digest.hexdigest()))
                    expected.append("%s %s" % (label, file_hash))
                raise OSError("the file downloaded from %s has %s; expected "
                              "%s (the file was not kept)"
                              % (url, " with ".join(got), " with ".join(
                                  e for e in expected if e)))
    except http.client.HTTPException as err:
        # e.g. IncompleteRead, the server closing mid-file
        raise OSError("download of %s failed: %r" % (url, err)) from err


def extract_archive(path, folder, archive_format="auto"):
    """Extract the tar or zip archive ``path`` into ``folder``; return
    whether it was an archive of an accepted format.  Members that would
    land outside ``folder`` are refused."""
    formats = {"auto": ("tar", "zip"), None: ()}.get(archive_format,
                                                      archive_format)
    if isinstance(formats, str):
        formats = (formats,)
    for kind in formats:
        if kind == "tar" and tarfile.is_tarfile(path):
            with tarfile.open(path) as archive:
                _check_members(archive.getnames(), folder, path)
                archive.extractall(folder)
            return True
        if kind == "zip" and zipfile.is_zipfile(path):
            with zipfile.ZipFile(path) as archive:
                _check_members(archive.namelist(), folder, path)
                archive.extractall(folder)
            return True
    return False


def _check_members(names, folder, path):
    root = os.path.realpath(folder)
    for name in names:
        target = os.path.realpath(os.path.join(folder, name))
        if os.path.commonpath([root, target]) != root:
            raise OSError("refusing to extract %s: its member %r would be "
                          "written outside %s" % (path, name, folder))


def get_file(fname, origin, untar=False, md5_hash=None, file_hash=None,
             cache_subdir="datasets", hash_algorithm="auto", extract=False,
             archive_format="auto", cache_dir=None):
    """Return the path of ``fname`` in the cache folder, downloading it from
    ``origin`` first if it is not there (Keras's ``get_file``).

    Parameters
    ----------
    fname : str
        The file's name in ``<cache_dir>/<cache_subdir>`` (an absolute path
        is used as is).
    origin : str
        Its URL (``http(s)://``, ``ftp://`` or ``file://``).
    untar : bool
        Keras 1: ``fname`` names a folder; ``fname + '.tar.gz'`` is
        downloaded and extracted, and the folder's path returned.
    md5_hash, file_hash : str, optional
        The expected hash (``file_hash``: SHA-256 or MD5 by its length, or as
        ``hash_algorithm`` says).  A cached file that does not match is
        downloaded again; a download that does not match is removed and an
        ``OSError`` names both hashes.
    extract : bool
        Also extract the file (tar or zip, ``archive_format``) into its
        folder.
    cache_dir : str, optional
        Instead of theano_rnn's home folder.

    Raises
    ------
    OSError
        Download failed (offline...): the message names the file, its URL and
        where to put it by hand.
    """
    if md5_hash is not None and file_hash is None:
        file_hash, hash_algorithm = md5_hash, "md5"
    folder = os.path.join(os.path.expanduser(cache_dir or home_dir()),
                          cache_subdir)
    untar_path = os.path.join(folder, fname)
    path = untar_path + ".tar.gz" if untar else untar_path
    if os.path.exists(path) and file_hash is not None:
        algorithm = resolve_hash_algorithm(file_hash, hash_algorithm)
        actual = hash_file(path, algorithm)
        if actual != file_hash:
            sys.stderr.write("%s: the %s hash of the cached file is %s, not "
                             "%s; downloading it again\n"
                             % (path, _HASH_NAMES[algorithm], actual,
                                file_hash))
            os.remove(path)
    if not os.path.exists(path):
        try:
            download(origin, path, file_hash=file_hash,
                     algorithm=hash_algorithm)
        except OSError as err:
            raise OSError(
                "%s is not in the cache folder and could not be downloaded "
                "from %s (%s). Get the file by other means and put it at %s"
                % (os.path.basename(path), origin, err, path)) from err
    if untar:
        if not os.path.exists(untar_path):
            extract_archive(path, folder, "tar")
        return untar_path
    if extract:
        extract_archive(path, folder, archive_format)
    return path
