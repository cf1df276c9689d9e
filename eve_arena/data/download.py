"""Download MNIST into the layout ``eve_arena.data.mnist`` reads: mirrored, resumable, verified.

``download_mnist(data_dir)`` fetches the four standard files into ``data_dir/MNIST/raw/`` (the
torchvision layout ``load_mnist`` reads), decompressed::

    DATA_DIR/MNIST/raw/train-images-idx3-ubyte   train-labels-idx1-ubyte
    DATA_DIR/MNIST/raw/t10k-images-idx3-ubyte    t10k-labels-idx1-ubyte

Mirrors
    ``MIRRORS``, the ones torchvision uses, each serving ``<file>.gz``; tried in order for every
    file, and one that fails (an HTTP error such as 404, a refused connection, a timeout) hands
    over to the next.
Checksums
    Every file is checked against ``SHA256``, the digests of the *decompressed* standard files,
    so a mirror may gzip them as it likes. A file already present and matching is skipped; one
    present but different is downloaded again and replaced.
Resuming
    A download in flight goes to ``<file>.gz.part`` in the raw dir; a rerun continues it with an
    HTTP ``Range`` request (and starts over if the server sends the whole file instead). Only a
    complete download, decompressed to a temporary name and verified, is renamed into place, so
    nothing half-written ever sits where ``load_mnist`` looks.
Errors
    ``UserError``, one line naming the file and the mirrors tried: no mirror reachable, every
    mirror failing, a download cut off (the ``.part`` is kept for the rerun), a checksum
    mismatch (the bad download is deleted), a data dir that cannot be written.
"""

from __future__ import annotations

import gzip
import hashlib
import http.client
import os
import socket
import ssl
import sys
import tempfile
import urllib.error
import urllib.request
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from tqdm import tqdm

from eve_arena.data.mnist import ENV_VAR, FILES
from eve_arena.errors import UserError

MIRRORS = ("https://ossci-datasets.s3.amazonaws.com/mnist/", "http://yann.lecun.com/exdb/mnist/")
"""Where MNIST is fetched from, in order, as torchvision does; each serves ``<file>.gz``."""

SHA256 = {
    "train-images-idx3-ubyte": "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
    "train-labels-idx1-ubyte": "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
    "t10k-images-idx3-ubyte": "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
    "t10k-labels-idx1-ubyte": "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
}
"""SHA-256 of each *decompressed* standard MNIST file (not of the ``.gz``, which mirrors may recompress)."""

SIZES = {
    "train-images-idx3-ubyte": 47_040_016,
    "train-labels-idx1-ubyte": 60_008,
    "t10k-images-idx3-ubyte": 7_840_016,
    "t10k-labels-idx1-ubyte": 10_008,
}
"""Size in bytes of each decompressed standard file: a cheap first check before hashing."""

CHUNK = 1 << 16
USER_AGENT = "eve-arena"
RERUN = "run `eve-arena data mnist` again"


@dataclass(frozen=True)
class _Failure:
    """Why one mirror did not serve a file; ``status`` is the HTTP code, None if none came."""

    url: str
    reason: str
    status: int | None = None


class _Unavailable(Exception):
    """A mirror that did not serve the file: the caller moves on to the next one."""

    def __init__(self, failure: _Failure):
        super().__init__(failure.reason)
        self.failure = failure


def download_mnist(data_dir: Path, mirrors: Sequence[str] = MIRRORS, progress: bool = True, timeout: float = 30) -> Path:
    """Put the four standard MNIST files in ``data_dir/MNIST/raw/`` and return that directory.

    ``mirrors`` are base URLs tried in order for each file (``<mirror><file>.gz``); ``timeout``
    is seconds to wait for a connection or for data; ``progress`` shows a tqdm bar per download
    and one line per file on stderr. Files already present and verified are skipped without a
    request. Raises ``UserError`` (one line) when a file cannot be had; see the module docstring.
    """
    mirrors = _check_mirrors(mirrors)
    if not timeout > 0:
        raise UserError(f"download timeout must be a positive number of seconds, got {timeout}")
    raw = Path(data_dir).expanduser() / "MNIST" / "raw"
    say = (lambda message: tqdm.write(f"eve-arena: {message}", file=sys.stderr)) if progress else (lambda message: None)
    wanted = []
    for name in FILES.values():
        plain, zipped = raw / name, raw / f"{name}.gz"
        # load_mnist reads the plain file if there is one, else the .gz: that is the one to check
        present = plain if plain.is_file() else zipped if zipped.is_file() else None
        if present is not None and _matches(present, name):
            say(f"{name}: already present and verified, skipped")
            continue
        if present is not None:
            say(f"{present} is not the standard {name}; downloading it again")
        wanted.append(name)
    if wanted:
        _check_writable(raw)
    for name in wanted:
        _download(raw, name, mirrors, progress, timeout)
        say(f"{name}: downloaded and verified")
    return raw


def _check_mirrors(mirrors: Sequence[str]) -> tuple[str, ...]:
    """The mirrors, each ending in ``/``; one line for a missing or non-http(s) one."""
    mirrors = (mirrors,) if isinstance(mirrors, str) else tuple(mirrors)
    if not mirrors:
        raise UserError("no mirror to download MNIST from; pass at least one --mirror URL")
    for mirror in mirrors:
        parts = urlsplit(str(mirror))
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise UserError(f"mirror {mirror!r} is not an http(s) URL; give a base URL such as {MIRRORS[0]}")
    return tuple(m if m.endswith("/") else f"{m}/" for m in mirrors)


def _check_writable(raw: Path) -> None:
    try:
        raw.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=raw):
            pass
    except OSError as error:
        raise UserError(
            f"cannot write the MNIST data dir {raw}: {error.strerror or error}; "
            f"choose a writable directory with --data-dir DIR or ${ENV_VAR}"
        ) from None


def _cannot_write(path: Path, error: OSError) -> UserError:
    return UserError(
        f"cannot write {path}: {error.strerror or error}; free some space, or choose a writable directory "
        f"with --data-dir DIR or ${ENV_VAR}"
    )


def _matches(path: Path, name: str) -> bool:
    """Whether ``path`` (plain or gzipped) holds exactly the standard ``name``."""
    try:
        if path.suffix != ".gz" and path.stat().st_size != SIZES[name]:
            return False
        digest = hashlib.sha256()
        with (gzip.open(path) if path.suffix == ".gz" else open(path, "rb")) as file:
            while block := file.read(CHUNK * 16):
                digest.update(block)
        return digest.hexdigest() == SHA256[name]
    except (OSError, EOFError, zlib.error):
        return False


def _download(raw: Path, name: str, mirrors: tuple[str, ...], progress: bool, timeout: float) -> None:
    """Fetch ``name`` from the first mirror that serves it, then verify and install it."""
    part = raw / f"{name}.gz.part"
    failures: list[_Failure] = []
    for mirror in mirrors:
        url = f"{mirror}{name}.gz"
        try:
            _fetch(url, part, progress, timeout, failures)
        except _Unavailable as unavailable:
            failures.append(unavailable.failure)
            continue
        _install(part, raw / name, url)
        return
    listed = "; ".join(f"{f.url} ({f.reason})" for f in failures)
    if all(f.status == 404 for f in failures):
        lead, advice = "every mirror answered 404 Not Found", "pass a mirror that has it with --mirror URL"
    elif all(f.status is None for f in failures):
        lead, advice = "no mirror could be reached", f"check the network connection, or pass another mirror with --mirror URL, then {RERUN}"
    else:
        lead, advice = "no mirror served it", f"pass another mirror with --mirror URL, or {RERUN} later"
    raise UserError(f"cannot download {name}.gz: {lead}: {listed}; {advice}")


def _fetch(url: str, part: Path, progress: bool, timeout: float, failures: list[_Failure]) -> None:
    """Append ``url``'s body to ``part``, resuming from its size; raises ``_Unavailable`` or ``UserError``."""
    offset = part.stat().st_size if part.is_file() else 0
    response = _open(url, offset, timeout)
    if response.status == 206 and not response.headers.get("Content-Range", "").startswith(f"bytes {offset}-"):
        response.close()
        raise _Unavailable(_Failure(url, f"answered a Range request for bytes {offset}- with {response.headers.get('Content-Range')}"))
    if response.status != 206:
        offset = 0  # the whole file came back: start over
    length = response.headers.get("Content-Length")
    length = int(length) if length and length.isdigit() else None
    received = 0
    with response, _open_part(part, offset) as file, tqdm(
        total=None if length is None else offset + length, initial=offset, desc=part.name.removesuffix(".part"),
        unit="B", unit_scale=True, unit_divisor=1024, dynamic_ncols=True, disable=not progress,
    ) as bar:
        while True:
            try:
                chunk = response.read(CHUNK)
            except (OSError, http.client.HTTPException) as error:
                cut = _describe(error, timeout)
                break
            if not chunk:
                cut = "the connection closed early" if length is not None and received < length else None
                break
            try:
                file.write(chunk)
            except OSError as error:
                raise _cannot_write(part, error) from None
            received += len(chunk)
            bar.update(len(chunk))
    if cut is not None:
        earlier = "".join(f"; {f.url} failed first ({f.reason})" for f in failures)
        expected = "?" if length is None else f"{offset + length:,}"
        raise UserError(
            f"download of {part.name.removesuffix('.part')} from {url} was cut off at {offset + received:,} of "
            f"{expected} bytes ({cut}){earlier}; the partial download is kept in {part}; {RERUN} to resume"
        )


def _open(url: str, offset: int, timeout: float) -> http.client.HTTPResponse:
    """Request ``url`` from byte ``offset`` on; a server that cannot serve that range gets asked for all of it."""
    headers = {"User-Agent": USER_AGENT}
    if offset:
        headers["Range"] = f"bytes={offset}-"
    try:
        return urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=timeout)
    except urllib.error.HTTPError as error:
        error.close()
        if error.code == 416 and offset:  # the .part is no prefix of this file: start over
            return _open(url, 0, timeout)
        raise _Unavailable(_Failure(url, f"HTTP {error.code} {error.reason}", error.code)) from None
    except urllib.error.URLError as error:
        raise _Unavailable(_Failure(url, _describe(error.reason, timeout))) from None
    except (OSError, http.client.HTTPException) as error:
        raise _Unavailable(_Failure(url, _describe(error, timeout))) from None


def _open_part(part: Path, offset: int):
    try:
        return open(part, "ab" if offset else "wb")
    except OSError as error:
        raise _cannot_write(part, error) from None


def _describe(reason: object, timeout: float) -> str:
    """A few words for a network failure."""
    if isinstance(reason, ConnectionRefusedError):
        return "connection refused"
    if isinstance(reason, socket.gaierror):
        return f"host not found: {reason.strerror}"
    if isinstance(reason, TimeoutError):
        return f"no answer within {timeout:g} s"
    if isinstance(reason, ssl.SSLError):
        return f"TLS error: {reason.reason or reason}"
    if isinstance(reason, OSError) and reason.strerror:
        return reason.strerror
    return str(reason) or type(reason).__name__


def _install(part: Path, final: Path, url: str) -> None:
    """Decompress ``part`` to a temporary name, verify it, then rename it to ``final`` and drop ``part``."""
    name = final.name
    try:
        handle = tempfile.NamedTemporaryFile(dir=final.parent, prefix=f".{name}.", suffix=".tmp", delete=False)
    except OSError as error:
        raise _cannot_write(final.parent, error) from None
    temporary = Path(handle.name)
    try:
        digest, damage = hashlib.sha256(), None
        with handle, gzip.open(part) as source:
            while True:
                try:
                    block = source.read(CHUNK * 16)
                except (OSError, EOFError, zlib.error) as error:
                    damage = f"it is not a complete gzip file ({error})"
                    break
                if not block:
                    break
                digest.update(block)
                try:
                    handle.write(block)
                except OSError as error:
                    raise _cannot_write(temporary, error) from None
            handle.flush()
            os.fsync(handle.fileno())
        if damage is None and digest.hexdigest() != SHA256[name]:
            damage = f"its sha256 is {digest.hexdigest()[:16]}…, not the standard file's {SHA256[name][:16]}…"
        if damage is not None:
            part.unlink(missing_ok=True)
            raise UserError(
                f"checksum mismatch: {name} downloaded from {url} is not the standard MNIST file ({damage}); "
                f"the bad download was deleted; {RERUN}, or pass another mirror with --mirror URL"
            )
        os.replace(temporary, final)
    finally:
        temporary.unlink(missing_ok=True)
    part.unlink(missing_ok=True)
