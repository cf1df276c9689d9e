"""download_mnist against a local HTTP server: mirrors, resuming, checksums, one-line errors."""

import gzip
import hashlib
import os
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from eve_arena.data.download import MIRRORS, SHA256, download_mnist
from eve_arena.data.mnist import FILES, GZIP_MAGIC, load_mnist
from eve_arena.errors import UserError

NAMES = list(FILES.values())
FIRST = NAMES[0]  # downloaded first: the one the failure tests meet


def real_data_dir() -> Path:
    """$EVE_ARENA_DATA (conftest sets it to ../shared/data when that exists), else /work/shared/data."""
    return Path(os.environ.get("EVE_ARENA_DATA") or "/work/shared/data")


@pytest.fixture(scope="module")
def served(tmp_path_factory) -> Path:
    """A directory of ``<file>.gz``: the standard files re-gzipped (level 1, for speed)."""
    raw = real_data_dir() / "MNIST" / "raw"
    if not all((raw / name).is_file() or (raw / f"{name}.gz").is_file() for name in NAMES):
        pytest.skip(f"real MNIST not found under {raw} (set EVE_ARENA_DATA or put it in /work/shared/data)")
    out = tmp_path_factory.mktemp("mirror")
    for name in NAMES:
        data = ((raw / name) if (raw / name).is_file() else (raw / f"{name}.gz")).read_bytes()
        data = gzip.decompress(data) if data[:2] == GZIP_MAGIC else data
        (out / f"{name}.gz").write_bytes(gzip.compress(data, compresslevel=1))
    return out


class Mirrors:
    """Mirrors ``/a/`` and ``/b/`` on one local server; ``modes`` says how each prefix behaves.

    Modes: ``ok``, ``404``, ``cut`` (headers for the whole file, then half of it, then close),
    ``whole`` (ignore ``Range``, always 200 with everything), ``wrong`` (the last file's gzip
    whatever is asked for: a valid gzip, the wrong content), ``garbage`` (bytes that are not gzip at all).
    """

    def __init__(self, directory: Path):
        self.directory, self.modes, self.requests = directory, {}, []
        mirrors = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                prefix, _, file = self.path.strip("/").partition("/")
                mirrors.requests.append((prefix, file, self.headers.get("Range")))
                mode = mirrors.modes.get(prefix, "ok")
                path = mirrors.directory / file
                if mode == "404" or not path.is_file():
                    return self.send_error(404)
                body = path.read_bytes()
                if mode == "wrong":
                    body = (mirrors.directory / f"{NAMES[-1]}.gz").read_bytes()
                elif mode == "garbage":
                    body = b"<html>not MNIST</html>" * 100
                start = 0
                wanted = self.headers.get("Range")
                if wanted and mode != "whole":
                    start = int(wanted.removeprefix("bytes=").removesuffix("-"))
                    if start >= len(body):
                        return self.send_error(416)
                self.send_response(206 if start else 200)
                if start:
                    self.send_header("Content-Range", f"bytes {start}-{len(body) - 1}/{len(body)}")
                self.send_header("Content-Length", str(len(body) - start))
                self.end_headers()
                self.wfile.write(body[start : len(body) if mode != "cut" else len(body) // 2])
                self.close_connection = True

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.a, self.b = f"{self.url}/a/", f"{self.url}/b/"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture(scope="module")
def server(served):
    mirrors = Mirrors(served)
    yield mirrors
    mirrors.server.shutdown()
    mirrors.server.server_close()


@pytest.fixture
def mirrors(server):
    server.modes.clear()
    server.requests.clear()
    return server


def closed_port_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/"


def one_line(error: pytest.ExceptionInfo) -> str:
    message = str(error.value)
    assert "\n" not in message
    return message


def listing(root: Path) -> list[str]:
    raw = root / "MNIST" / "raw"
    return sorted(p.name for p in raw.iterdir()) if raw.is_dir() else []


def test_mirrors_are_torchvisions():
    assert MIRRORS == ("https://ossci-datasets.s3.amazonaws.com/mnist/", "http://yann.lecun.com/exdb/mnist/")


def test_full_download_loads(mirrors, tmp_path):
    raw = download_mnist(tmp_path, mirrors=[mirrors.a], progress=False)
    assert raw == tmp_path / "MNIST" / "raw"
    assert listing(tmp_path) == sorted(NAMES)  # no .part or temporary left behind
    assert [(p, f) for p, f, _ in mirrors.requests] == [("a", f"{name}.gz") for name in NAMES]
    data = load_mnist(tmp_path)
    assert (len(data.train), len(data.val), len(data.test)) == (55_000, 5_000, 10_000)
    assert data.train.labels[:5].tolist() == [5, 0, 4, 1, 9]  # the standard file's first labels


def test_a_404_mirror_hands_over_to_the_next(mirrors, tmp_path):
    mirrors.modes["a"] = "404"
    download_mnist(tmp_path, mirrors=[mirrors.a, mirrors.b], progress=False)
    assert listing(tmp_path) == sorted(NAMES)
    assert [p for p, _, _ in mirrors.requests] == ["a", "b"] * 4


def test_every_mirror_404_is_one_line_naming_the_file(mirrors, tmp_path):
    mirrors.modes.update(a="404", b="404")
    with pytest.raises(UserError) as error:
        download_mnist(tmp_path, mirrors=[mirrors.a, mirrors.b], progress=False)
    message = one_line(error)
    assert message.startswith(f"cannot download {FIRST}.gz: every mirror answered 404 Not Found:")
    assert f"{mirrors.a}{FIRST}.gz (HTTP 404" in message and f"{mirrors.b}{FIRST}.gz (HTTP 404" in message
    assert "--mirror URL" in message and listing(tmp_path) == []


def test_connection_refused_is_one_line(tmp_path):
    dead = closed_port_url()
    with pytest.raises(UserError) as error:
        download_mnist(tmp_path, mirrors=[dead], progress=False)
    message = one_line(error)
    assert message == (
        f"cannot download {FIRST}.gz: no mirror could be reached: {dead}{FIRST}.gz (connection refused); "
        "check the network connection, or pass another mirror with --mirror URL, then run `eve-arena data mnist` again"
    )


@pytest.mark.parametrize("second", ["ok", "whole"], ids=["range", "server-ignores-range"])
def test_a_cut_download_keeps_its_part_and_resumes(mirrors, tmp_path, second):
    mirrors.modes["a"] = "cut"
    with pytest.raises(UserError) as error:
        download_mnist(tmp_path, mirrors=[mirrors.a], progress=False)
    message = one_line(error)
    part = tmp_path / "MNIST" / "raw" / f"{FIRST}.gz.part"
    assert f"download of {FIRST}.gz from {mirrors.a}{FIRST}.gz was cut off" in message
    assert f"kept in {part}; run `eve-arena data mnist` again to resume" in message
    assert listing(tmp_path) == [part.name]  # nothing where the loader looks
    size = part.stat().st_size
    assert 0 < size < (mirrors.directory / f"{FIRST}.gz").stat().st_size

    mirrors.modes["a"] = second
    mirrors.requests.clear()
    download_mnist(tmp_path, mirrors=[mirrors.a], progress=False)
    assert mirrors.requests[0] == ("a", f"{FIRST}.gz", f"bytes={size}-")
    assert listing(tmp_path) == sorted(NAMES)
    assert load_mnist(tmp_path).train.labels[:5].tolist() == [5, 0, 4, 1, 9]


@pytest.mark.parametrize("mode", ["wrong", "garbage"])
def test_wrong_bytes_fail_the_checksum_and_leave_nothing(mirrors, tmp_path, mode):
    mirrors.modes["a"] = mode
    with pytest.raises(UserError) as error:
        download_mnist(tmp_path, mirrors=[mirrors.a], progress=False)
    message = one_line(error)
    assert message.startswith(f"checksum mismatch: {FIRST} downloaded from {mirrors.a}{FIRST}.gz is not the standard MNIST file")
    assert "the bad download was deleted; run `eve-arena data mnist` again" in message
    assert listing(tmp_path) == []  # neither the file, nor its .part, nor a temporary


def test_present_files_are_skipped_without_a_request(mirrors, tmp_path, capsys):
    raw = tmp_path / "MNIST" / "raw"
    raw.mkdir(parents=True)
    source = real_data_dir() / "MNIST" / "raw"
    for name in NAMES:
        found = source / name if (source / name).is_file() else source / f"{name}.gz"
        (raw / found.name).symlink_to(found)
    assert download_mnist(tmp_path, mirrors=[mirrors.a], progress=True) == raw
    assert mirrors.requests == []
    said = capsys.readouterr().err
    assert all(f"{name}: already present and verified, skipped" in said for name in NAMES)


def test_a_present_file_that_differs_is_replaced(mirrors, tmp_path):
    raw = tmp_path / "MNIST" / "raw"
    raw.mkdir(parents=True)
    for name in NAMES:
        (raw / name).write_bytes(gzip.decompress((mirrors.directory / f"{name}.gz").read_bytes()))
    (raw / NAMES[-1]).write_bytes(b"\0" * 10_008)  # right size, wrong bytes
    download_mnist(tmp_path, mirrors=[mirrors.a], progress=False)
    assert [f for _, f, _ in mirrors.requests] == [f"{NAMES[-1]}.gz"]
    assert listing(tmp_path) == sorted(NAMES) and load_mnist(tmp_path).test.labels[:3].tolist() == [7, 2, 1]


def test_unwritable_data_dir_is_one_line(mirrors, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    with pytest.raises(UserError) as error:
        download_mnist(blocker / "data", mirrors=[mirrors.a], progress=False)
    assert one_line(error).startswith(f"cannot write the MNIST data dir {blocker / 'data' / 'MNIST' / 'raw'}: ")
    assert "--data-dir DIR or $EVE_ARENA_DATA" in str(error.value) and mirrors.requests == []


@pytest.mark.parametrize(
    "bad, complaint", [([], "no mirror"), (["ftp://example.org/mnist/"], "not an http"), (["example.org"], "not an http")]
)
def test_bad_mirrors_are_one_line(tmp_path, bad, complaint):
    with pytest.raises(UserError, match=complaint) as error:
        download_mnist(tmp_path, mirrors=bad, progress=False)
    one_line(error)


def test_checksums_are_of_the_decompressed_files(served):
    for name in NAMES:
        assert hashlib.sha256(gzip.decompress((served / f"{name}.gz").read_bytes())).hexdigest() == SHA256[name]


def test_the_command_downloads_from_a_given_mirror_first(mirrors, tmp_path, capsys):
    from eve_arena.cli import main

    assert main(["data", "mnist", "--data-dir", str(tmp_path), "--mirror", mirrors.a]) == 0
    assert listing(tmp_path) == sorted(NAMES)
    assert f"MNIST is in {tmp_path / 'MNIST' / 'raw'}" in capsys.readouterr().out
    # Again: everything verified, nothing fetched.
    mirrors.requests.clear()
    assert main(["data", "mnist", "--data-dir", str(tmp_path), "--mirror", mirrors.a]) == 0
    assert mirrors.requests == []


def test_the_command_with_every_mirror_down_is_one_line(tmp_path, capsys, monkeypatch):
    from eve_arena.cli import main
    from eve_arena.data import download

    monkeypatch.setattr(download, "MIRRORS", ())  # no real mirrors from a test
    assert main(["data", "mnist", "--data-dir", str(tmp_path), "--mirror", closed_port_url()]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("eve-arena: error:") and "train-images-idx3-ubyte" in err[0]
    assert not [name for name in listing(tmp_path) if name in NAMES]  # nothing the loader would read
