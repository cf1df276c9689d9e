"""MNIST read straight from its IDX files with numpy; torchvision is not needed.

Where the data lives
--------------------
``resolve_data_dir`` picks the data directory: the explicit ``data_dir`` argument (the CLI's
``--data-dir``) first, else the environment variable ``EVE_ARENA_DATA``, else the default
``~/.cache/eve_arena/data``. The directory is laid out as torchvision lays it out::

    DATA_DIR/MNIST/raw/train-images-idx3-ubyte   (60,000 images, 28x28, uint8)
    DATA_DIR/MNIST/raw/train-labels-idx1-ubyte   (60,000 labels, 0..9)
    DATA_DIR/MNIST/raw/t10k-images-idx3-ubyte    (10,000 images)
    DATA_DIR/MNIST/raw/t10k-labels-idx1-ubyte    (10,000 labels)

Each file may also be gzipped, as ``<file>.gz`` beside or instead of the plain file (gzip is
recognised by its magic bytes, so a gzipped file without the suffix reads too).
``eve-arena data mnist`` (``eve_arena.data.download``) downloads and verifies the four files.

Splits
------
==========  ======  =============================================================
split       N       use
==========  ======  =============================================================
``train``   55,000  the first 55,000 of the training file: evolution and training
``val``     5,000   the last 5,000 of the training file: picking champions
``test``    10,000  the t10k file: reporting only; never select anything on it
==========  ======  =============================================================

``load_mnist`` caches what it parsed per resolved directory, so loading again is free; the
tensors are shared between loads, so treat them as read-only (``Split.inputs`` returns a copy).
"""

from __future__ import annotations

import functools
import gzip
import os
import shlex
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from eve_arena.errors import UserError

ENV_VAR = "EVE_ARENA_DATA"
DEFAULT_DATA_DIR = "~/.cache/eve_arena/data"
FILES = {
    "train_images": "train-images-idx3-ubyte",
    "train_labels": "train-labels-idx1-ubyte",
    "test_images": "t10k-images-idx3-ubyte",
    "test_labels": "t10k-labels-idx1-ubyte",
}
TRAIN_COUNT, TEST_COUNT, VAL_SIZE = 60_000, 10_000, 5_000
MEAN, STD = 0.1307, 0.3081
"""The standard MNIST pixel statistics (of the 60,000 training images, scaled to [0, 1])."""

IDX_DTYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}
"""IDX type codes: unsigned byte, signed byte, short, int, float, double; all big-endian."""
GZIP_MAGIC = b"\x1f\x8b"


def resolve_data_dir(data_dir: str | Path | None = None) -> Path:
    """The data directory: ``data_dir`` if given, else ``$EVE_ARENA_DATA``, else ``~/.cache/eve_arena/data``."""
    return _resolve_with_source(data_dir)[0]


def _resolve_with_source(data_dir: str | Path | None) -> tuple[Path, str]:
    if data_dir is not None and str(data_dir) != "":
        return Path(data_dir).expanduser(), "given"
    if os.environ.get(ENV_VAR):
        return Path(os.environ[ENV_VAR]).expanduser(), f"from {ENV_VAR}"
    return Path(DEFAULT_DATA_DIR).expanduser(), "the default"


def read_idx(path: str | Path) -> np.ndarray:
    """Parse one IDX file (plain or gzipped) into an array of the shape its header gives.

    Header: two zero bytes, a type code (0x08 = uint8, see ``IDX_DTYPES``), the number of
    dimensions, then each dimension as a big-endian uint32. The data must fill exactly the
    dimensions: a truncated or padded file is an error. Returns a writable native-endian array.
    """
    path = Path(path)
    raw = _read_bytes(path)
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] not in IDX_DTYPES:
        raise UserError(
            f"{path} is not an IDX file: bad magic number {bytes(raw[:4]).hex(' ') or '(empty file)'} "
            f"(expected 00 00, a type code in {', '.join(f'{c:02x}' for c in IDX_DTYPES)}, the number of dims); re-download it"
        )
    dtype, ndim = np.dtype(IDX_DTYPES[raw[2]]), raw[3]
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise UserError(f"{path} is truncated: {len(raw)} bytes, shorter than its {header}-byte header; re-download it")
    dims = tuple(int(d) for d in np.frombuffer(raw, dtype=">u4", count=ndim, offset=4))
    need, have = int(np.prod(dims, dtype=np.int64)) * dtype.itemsize, len(raw) - header
    if have != need:
        what = "truncated" if have < need else "padded"
        raise UserError(
            f"{path} is {what}: its header says dims {dims} of {dtype.name} ({need} bytes of data) "
            f"but it holds {have}; re-download it"
        )
    data = np.frombuffer(raw, dtype=dtype, offset=header).reshape(dims)
    return data if dtype.itemsize == 1 else data.astype(dtype.newbyteorder("="))


def _read_bytes(path: Path) -> bytearray:
    """The file's bytes, gunzipped when they start with the gzip magic; writable so torch can share them."""
    try:
        with open(path, "rb") as file:
            raw = bytearray(os.fstat(file.fileno()).st_size)
            del raw[file.readinto(raw) :]
    except OSError as error:
        raise UserError(f"cannot read {path}: {error.strerror or error}") from None
    if raw[:2] != GZIP_MAGIC:
        return raw
    try:
        return bytearray(gzip.decompress(raw))
    except (OSError, EOFError, zlib.error) as error:
        raise UserError(f"{path} is a damaged gzip file ({error}); re-download it") from None


def find_idx(raw_dir: str | Path, name: str) -> Path | None:
    """``raw_dir/name`` if it exists, else ``raw_dir/name.gz`` if that does, else None."""
    for candidate in (Path(raw_dir) / name, Path(raw_dir) / f"{name}.gz"):
        if candidate.is_file():
            return candidate
    return None


def read_pair(images_path: str | Path, labels_path: str | Path, count: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Read and check an images file and its labels file: ``(N, 28, 28)`` uint8, ``(N,)`` uint8.

    Checks the shapes and types, that both hold the same N (and ``count`` if given), and that
    every label is a digit 0..9; each error names the file at fault.
    """
    images, labels = read_idx(images_path), read_idx(labels_path)
    if images.dtype != np.uint8 or images.ndim != 3 or images.shape[1:] != (28, 28):
        raise UserError(
            f"{images_path} does not hold MNIST images: {images.dtype} of shape {images.shape}, "
            "expected uint8 (N, 28, 28); re-download it"
        )
    if labels.dtype != np.uint8 or labels.ndim != 1:
        raise UserError(
            f"{labels_path} does not hold MNIST labels: {labels.dtype} of shape {labels.shape}, "
            "expected uint8 (N,); re-download it"
        )
    if len(images) != len(labels):
        raise UserError(
            f"count mismatch: {images_path} holds {len(images)} images but {labels_path} holds "
            f"{len(labels)} labels; re-download both"
        )
    if count is not None and len(images) != count:
        raise UserError(
            f"{images_path} and {labels_path} hold {len(images)} examples, expected MNIST's {count}; re-download them"
        )
    bad = np.flatnonzero(labels > 9)
    if bad.size:
        raise UserError(
            f"{labels_path} has label {labels[bad[0]]} at index {bad[0]} ({bad.size} labels out of range); "
            "MNIST labels are 0..9; re-download it"
        )
    return images, labels


@dataclass(frozen=True, eq=False)
class Split:
    """One split of MNIST: ``images`` ``(N, 28, 28)`` uint8, ``labels`` ``(N,)`` int64."""

    images: torch.Tensor
    labels: torch.Tensor

    def __len__(self) -> int:
        return len(self.labels)

    def inputs(self, normalize: bool = True) -> torch.Tensor:
        """``(N, 784)`` float32: pixels in [0, 1], then standardised with ``MEAN``/``STD`` if ``normalize``."""
        x = self.images.reshape(len(self), 784).to(torch.float32).div_(255.0)
        return x.sub_(MEAN).div_(STD) if normalize else x

    def subset(self, n: int, generator: torch.Generator | None = None) -> Split:
        """The first ``n`` examples, or ``n`` drawn without replacement with ``generator`` if given."""
        if not 0 <= n <= len(self):
            raise UserError(f"cannot take {n} examples from a split of {len(self)}")
        if generator is None:
            return Split(self.images[:n], self.labels[:n])
        index = torch.randperm(len(self), generator=generator)[:n]
        return Split(self.images[index], self.labels[index])


@dataclass(frozen=True, eq=False)
class MNIST:
    """The three splits (see the module docstring) and the directory they came from."""

    train: Split
    val: Split
    test: Split
    root: Path
    """The resolved data directory (``root/MNIST/raw`` holds the files)."""


def load_mnist(data_dir: str | Path | None = None) -> MNIST:
    """Load MNIST from ``resolve_data_dir(data_dir)``; parsed once per directory, then cached.

    Raises ``UserError`` naming every missing file and the command that downloads them
    (``eve-arena data mnist``), or the damaged file and what is wrong with it.
    """
    root, source = _resolve_with_source(data_dir)
    raw_dir = root / "MNIST" / "raw"
    found = {key: find_idx(raw_dir, name) for key, name in FILES.items()}
    missing = [name for key, name in FILES.items() if found[key] is None]
    if missing:
        command = "eve-arena data mnist" + (f" --data-dir {shlex.quote(str(root))}" if source == "given" else "")
        raise UserError(
            f"MNIST not found in data dir {root} ({source}): missing {', '.join(missing)}; "
            f"download it with `{command}`, or point --data-dir / ${ENV_VAR} at a directory holding MNIST/raw/"
        )
    return _load(root.resolve(), tuple(found[key].resolve() for key in FILES))


@functools.lru_cache(maxsize=4)
def _load(root: Path, paths: tuple[Path, ...]) -> MNIST:
    """Parse and split; keyed by the resolved directory and the files found in it."""
    train_images, train_labels, test_images, test_labels = paths
    train_x, train_y = read_pair(train_images, train_labels, TRAIN_COUNT)
    test_x, test_y = read_pair(test_images, test_labels, TEST_COUNT)
    cut = TRAIN_COUNT - VAL_SIZE

    def split(x: np.ndarray, y: np.ndarray) -> Split:
        return Split(torch.from_numpy(x), torch.from_numpy(y).to(torch.int64))

    return MNIST(
        train=split(train_x[:cut], train_y[:cut]), val=split(train_x[cut:], train_y[cut:]), test=split(test_x, test_y), root=root
    )
