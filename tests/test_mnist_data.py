"""MNIST from IDX files: parsing, gzip, damage and missing-file errors, splits, data-dir lookup."""

import gzip
import os
import time
from pathlib import Path

import numpy as np
import pytest
import torch

from eve_arena.data import mnist
from eve_arena.data.mnist import FILES, find_idx, load_mnist, read_idx, read_pair, resolve_data_dir
from eve_arena.errors import UserError


def real_data_dir() -> Path:
    """$EVE_ARENA_DATA, else ``shared/data`` beside the checkout (where CI keeps it)."""
    return Path(os.environ.get("EVE_ARENA_DATA") or Path(__file__).resolve().parents[2] / "shared" / "data")


def has_mnist(root: Path) -> bool:
    return all(find_idx(root / "MNIST" / "raw", name) for name in FILES.values())


@pytest.fixture(scope="module")
def real():
    root = real_data_dir()
    if not has_mnist(root):
        pytest.skip(f"real MNIST not found under {root}/MNIST/raw (set EVE_ARENA_DATA or put it in ../shared/data)")
    return load_mnist(root)


def idx_bytes(array: np.ndarray, code: int = 0x08) -> bytes:
    """A tiny IDX writer: magic 00 00 code ndim, big-endian uint32 dims, then the data."""
    dims = np.array(array.shape, dtype=">u4").tobytes()
    return bytes([0, 0, code, array.ndim]) + dims + array.astype(mnist.IDX_DTYPES[code]).tobytes()


def write(path: Path, data: bytes, gz: bool = False) -> Path:
    path.write_bytes(gzip.compress(data, compresslevel=1) if gz else data)
    return path


def digits(n: int = 5, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return rng.integers(0, 256, (n, 28, 28), dtype=np.uint8), rng.integers(0, 10, n, dtype=np.uint8)


def one_line(error: pytest.ExceptionInfo) -> str:
    message = str(error.value)
    assert "\n" not in message
    return message


# --- parsing and gzip, on tiny synthetic files ---


def test_read_idx_round_trips_every_type(tmp_path):
    images, labels = digits()
    assert np.array_equal(read_idx(write(tmp_path / "img", idx_bytes(images))), images)
    assert np.array_equal(read_idx(write(tmp_path / "lab", idx_bytes(labels))), labels)
    floats = np.arange(6, dtype=np.float32).reshape(2, 3) / 7
    back = read_idx(write(tmp_path / "f", idx_bytes(floats, 0x0D)))
    assert back.dtype == np.float32 and np.array_equal(back, floats)
    assert read_idx(write(tmp_path / "i", idx_bytes(np.array([-3, 70000]), 0x0C))).tolist() == [-3, 70000]


def test_gzipped_copies_load_identically(tmp_path):
    images, labels = digits()
    plain = read_pair(write(tmp_path / "img", idx_bytes(images)), write(tmp_path / "lab", idx_bytes(labels)))
    zipped = read_pair(
        write(tmp_path / "img.gz", idx_bytes(images), gz=True), write(tmp_path / "lab.gz", idx_bytes(labels), gz=True)
    )
    for a, b in zip(plain, zipped):
        assert a.dtype == b.dtype and np.array_equal(a, b)
    # gzip is told by its magic bytes, not the name
    assert np.array_equal(read_idx(write(tmp_path / "no-suffix", idx_bytes(images), gz=True)), images)


def test_find_idx_prefers_the_plain_file_then_the_gz(tmp_path):
    assert find_idx(tmp_path, "x") is None
    write(tmp_path / "x.gz", b"", gz=True)
    assert find_idx(tmp_path, "x") == tmp_path / "x.gz"
    write(tmp_path / "x", b"")
    assert find_idx(tmp_path, "x") == tmp_path / "x"


# --- damaged files: each error is one line that names the file ---


@pytest.mark.parametrize(
    "damage, complaint",
    [
        (lambda b: b"\x08\x03" + b[2:], "bad magic"),
        (lambda b: b[:2] + b"\x07" + b[3:], "bad magic"),
        (lambda b: b"", "bad magic"),
        (lambda b: b[:-1], "truncated"),
        (lambda b: b[:10], "truncated"),
        (lambda b: b + b"\0", "padded"),
    ],
    ids=["magic", "dtype", "empty", "one-byte-short", "header-cut", "padded"],
)
@pytest.mark.parametrize("gz", [False, True], ids=["plain", "gz"])
def test_damaged_idx_files_are_named(tmp_path, damage, complaint, gz):
    path = write(tmp_path / "train-images-idx3-ubyte", damage(idx_bytes(digits()[0])), gz=gz)
    with pytest.raises(UserError) as error:
        read_idx(path)
    assert str(path) in one_line(error) and complaint in str(error.value)


def test_damaged_gzip_is_named(tmp_path):
    path = write(tmp_path / "t10k-labels-idx1-ubyte.gz", idx_bytes(digits()[1]), gz=True)
    path.write_bytes(path.read_bytes()[:-6])
    with pytest.raises(UserError) as error:
        read_idx(path)
    assert str(path) in one_line(error) and "gzip" in str(error.value)


def test_bad_labels_counts_and_shapes_are_named(tmp_path):
    images, labels = digits()
    img = write(tmp_path / "img", idx_bytes(images))
    labels[3] = 10
    bad = write(tmp_path / "lab10", idx_bytes(labels))
    with pytest.raises(UserError, match="label 10 at index 3") as error:
        read_pair(img, bad)
    assert str(bad) in one_line(error)

    short = write(tmp_path / "lab4", idx_bytes(digits()[1][:4]))
    with pytest.raises(UserError, match="count mismatch") as error:
        read_pair(img, short)
    assert str(img) in one_line(error) and str(short) in str(error.value)

    good = write(tmp_path / "lab", idx_bytes(digits()[1]))
    with pytest.raises(UserError, match="expected MNIST's 60000"):
        read_pair(img, good, count=60_000)
    with pytest.raises(UserError, match="not hold MNIST images") as error:
        read_pair(write(tmp_path / "wide", idx_bytes(np.zeros((5, 28, 29), np.uint8))), good)
    assert str(tmp_path / "wide") in str(error.value)
    with pytest.raises(UserError, match="not hold MNIST labels"):
        read_pair(img, write(tmp_path / "lab2d", idx_bytes(np.zeros((5, 1), np.uint8))))


# --- finding the data ---


def test_resolve_data_dir_precedence(monkeypatch, tmp_path):
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.delenv("EVE_ARENA_DATA", raising=False)
    assert resolve_data_dir(None) == tmp_path / "home" / ".cache" / "eve_arena" / "data"
    monkeypatch.setenv("EVE_ARENA_DATA", str(tmp_path / "env"))
    assert resolve_data_dir(None) == tmp_path / "env"
    assert resolve_data_dir(tmp_path / "arg") == tmp_path / "arg"
    assert resolve_data_dir(str(tmp_path / "arg")) == tmp_path / "arg"
    monkeypatch.setenv("EVE_ARENA_DATA", "")  # set but empty counts as unset
    assert resolve_data_dir(None) == tmp_path / "home" / ".cache" / "eve_arena" / "data"


def test_missing_directory_names_the_files_and_the_download_command(tmp_path, monkeypatch):
    root = tmp_path / "nowhere"
    with pytest.raises(UserError) as error:
        load_mnist(root)
    message = one_line(error)
    assert message.startswith(f"MNIST not found in data dir {root} (given): missing {', '.join(FILES.values())};")
    assert f"`eve-arena data mnist --data-dir {root}`" in message
    assert "--data-dir / $EVE_ARENA_DATA" in message and "torchvision" not in message
    # from the environment, the plain command finds the same directory
    monkeypatch.setenv("EVE_ARENA_DATA", str(root))
    with pytest.raises(UserError) as error:
        load_mnist()
    assert f"data dir {root} (from EVE_ARENA_DATA)" in one_line(error) and "`eve-arena data mnist`" in str(error.value)


def test_one_missing_file_is_the_one_named(tmp_path):
    raw = tmp_path / "MNIST" / "raw"
    raw.mkdir(parents=True)
    for name in FILES.values():
        write(raw / f"{name}.gz", b"", gz=True)
    (raw / "t10k-labels-idx1-ubyte.gz").unlink()
    with pytest.raises(UserError) as error:
        load_mnist(tmp_path)
    assert "missing t10k-labels-idx1-ubyte; download it with `eve-arena data mnist" in one_line(error)
    assert "train-images-idx3-ubyte" not in str(error.value)


# --- a full-size synthetic MNIST (blank images, gzipped so it is small), no real data needed ---


@pytest.fixture(scope="module")
def synthetic_root(tmp_path_factory):
    root = tmp_path_factory.mktemp("synthetic")
    raw = root / "MNIST" / "raw"
    raw.mkdir(parents=True)
    for split, n in (("train", 60_000), ("t10k", 10_000)):
        images = np.zeros((n, 28, 28), np.uint8)
        images[:, 0, 0], images[:, 0, 1] = np.arange(n) % 256, np.arange(n) // 256  # each example's index
        write(raw / f"{split}-images-idx3-ubyte.gz", idx_bytes(images), gz=True)
        write(raw / f"{split}-labels-idx1-ubyte", idx_bytes((np.arange(n) % 10).astype(np.uint8)))
    return root


def index_of(split) -> list[int]:
    """The example indices the synthetic MNIST writes into its first two pixels."""
    return (split.images[:, 0, 0].long() + 256 * split.images[:, 0, 1].long()).tolist()


def test_load_mnist_splits_gzipped_files_and_caches(synthetic_root, monkeypatch):
    monkeypatch.setenv("EVE_ARENA_DATA", str(synthetic_root))
    data = load_mnist()
    assert (len(data.train), len(data.val), len(data.test)) == (55_000, 5_000, 10_000)
    assert data.root == synthetic_root.resolve()
    assert data.train.images.dtype == torch.uint8 and data.train.images.shape == (55_000, 28, 28)
    assert data.val.labels.dtype == torch.int64
    assert index_of(data.train) == list(range(55_000)) and index_of(data.val) == list(range(55_000, 60_000))
    assert data.val.labels[:3].tolist() == [0, 1, 2]
    assert load_mnist(synthetic_root) is data  # parsed once per directory


def test_split_inputs_and_subset(synthetic_root):
    split = load_mnist(synthetic_root).test
    raw = split.inputs(normalize=False)
    assert raw.shape == (10_000, 784) and raw.dtype == torch.float32
    assert raw.min() >= 0 and raw.max() <= 1 and raw[250, 0] == 250 / 255 and raw[256, 1] == 1 / 255
    assert torch.allclose(split.inputs(), (raw - mnist.MEAN) / mnist.STD)
    head = split.subset(7)
    assert len(head) == 7 and torch.equal(head.labels, split.labels[:7])
    drawn = split.subset(50, torch.Generator().manual_seed(1))
    again = split.subset(50, torch.Generator().manual_seed(1))
    assert torch.equal(drawn.images, again.images) and len(set(index_of(drawn))) == 50
    with pytest.raises(UserError):
        split.subset(10_001)


# --- the real data (skipped where it is absent) ---


def test_real_split_sizes_and_val_is_the_last_5000(real):
    assert (len(real.train), len(real.val), len(real.test)) == (55_000, 5_000, 10_000)
    raw = real.root / "MNIST" / "raw"
    images = read_idx(find_idx(raw, "train-images-idx3-ubyte"))
    labels = read_idx(find_idx(raw, "train-labels-idx1-ubyte"))
    assert np.array_equal(real.val.images.numpy(), images[-5000:]) and np.array_equal(real.val.labels.numpy(), labels[-5000:])
    assert np.array_equal(real.train.images.numpy(), images[:55_000])


def test_real_labels_and_normalisation(real):
    for split in (real.train, real.val, real.test):
        assert split.labels.dtype == torch.int64 and split.labels.min() == 0 and split.labels.max() == 9
        assert torch.bincount(split.labels).min() > len(split) // 20  # every digit well represented
    x = real.train.inputs()
    assert abs(x.mean().item()) < 0.01 and abs(x.std().item() - 1) < 0.01


def test_real_gzipped_labels_load_identically_and_fast(real, tmp_path):
    raw = tmp_path / "MNIST" / "raw"
    raw.mkdir(parents=True)
    source = real.root / "MNIST" / "raw"
    for name in FILES.values():
        found = find_idx(source, name)
        if "labels" in name:
            write(raw / f"{name}.gz", idx_bytes(read_idx(found)), gz=True)
        else:
            (raw / found.name).symlink_to(found)
    start = time.perf_counter()
    copy = load_mnist(tmp_path)
    assert time.perf_counter() - start < 3
    for a, b in ((real.train, copy.train), (real.val, copy.val), (real.test, copy.test)):
        assert torch.equal(a.images, b.images) and torch.equal(a.labels, b.labels)
