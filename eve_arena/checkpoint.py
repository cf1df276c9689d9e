"""Checkpoints: safetensors files holding tensors plus JSON metadata, written atomically.

A checkpoint is ``checkpoints/gen_000012.safetensors``: every tensor of the run state, and in
the header's metadata the JSON of everything else plus a SHA-256 digest of the tensor bytes and
of that JSON, so a truncated or bit-flipped file, or one whose generation was edited, is
recognised (files written before the metadata was digested verify their tensors only). Writing goes to a temporary file that is renamed
into place, so a kill mid-write leaves the previous checkpoints as they were; the newest
``keep`` are kept. Nothing is pickled.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import warnings
from pathlib import Path

import torch
from safetensors.torch import load_file, save_file

from eve_arena.errors import UserError

_NAME = re.compile(r"^gen_(\d{6,})\.safetensors$")


DIGEST_VERSION = "2"
"""Version 2 digests the metadata JSON after the tensors; without a version, the tensors only."""


def _digest(tensors: dict[str, torch.Tensor], meta_json: str | None = None) -> str:
    h = hashlib.sha256()
    for key in sorted(tensors):
        t = tensors[key].contiguous()
        h.update(key.encode())
        h.update(str(t.dtype).encode() + str(tuple(t.shape)).encode())
        h.update(t.view(torch.uint8).numpy().tobytes() if t.numel() else b"")
    if meta_json is not None:
        h.update(meta_json.encode())
    return h.hexdigest()


def save(directory: Path, generation: int, tensors: dict[str, torch.Tensor], meta: dict, keep: int = 3) -> Path:
    """Writes ``gen_<generation>.safetensors`` atomically and prunes all but the newest ``keep``."""
    directory.mkdir(parents=True, exist_ok=True)
    tensors = {k: v.detach().cpu().contiguous() for k, v in tensors.items()}
    path = directory / f"gen_{generation:06d}.safetensors"
    tmp = directory / f".{path.name}.tmp"
    meta_json = json.dumps(meta)
    save_file(tensors, str(tmp), metadata={"meta": meta_json, "digest": _digest(tensors, meta_json), "digest_version": DIGEST_VERSION})
    with open(tmp, "rb") as f:
        os.fsync(f.fileno())
    os.replace(tmp, path)
    # A file numbered past the one just written is not this run's past: a resume starts from the
    # newest good checkpoint, so anything newer failed to verify. It would hold a kept slot forever.
    newer = [p for p in list_checkpoints(directory) if generation_of(p) > generation]
    for old in newer + list_checkpoints(directory)[: -keep - len(newer)]:
        old.unlink(missing_ok=True)
    return path


def generation_of(path: Path) -> int:
    return int(_NAME.match(path.name).group(1))


def list_checkpoints(directory: Path) -> list[Path]:
    """Checkpoint files, oldest first."""
    if not directory.is_dir():
        return []
    found = [p for p in directory.iterdir() if _NAME.match(p.name)]
    return sorted(found, key=generation_of)


def load(path: Path) -> tuple[dict[str, torch.Tensor], dict]:
    """Reads and verifies one checkpoint; raises UserError naming the file if it is damaged."""
    try:
        tensors = load_file(str(path))
        from safetensors import safe_open

        with safe_open(str(path), framework="pt") as f:
            header = f.metadata() or {}
        meta = json.loads(header["meta"])
    except Exception as exc:  # safetensors and json raise several types for damaged files
        raise UserError(f"checkpoint {path} is damaged or not a checkpoint ({type(exc).__name__}: {exc})") from exc
    digested = header["meta"] if header.get("digest_version") == DIGEST_VERSION else None
    if header.get("digest") != _digest(tensors, digested) or not isinstance(meta, dict):
        raise UserError(f"checkpoint {path} is damaged: its contents do not match their recorded digest")
    return tensors, meta


def load_latest(directory: Path, fits=None) -> tuple[dict[str, torch.Tensor], dict, Path]:
    """The newest checkpoint that verifies (and that ``fits(tensors, meta)``, which raises
    UserError for one that belongs elsewhere); damaged newer ones are reported and skipped."""
    candidates = list_checkpoints(directory)
    if not candidates:
        raise UserError(f"no checkpoint found in {directory}; start the run with `eve-arena tournament`")
    problems = []
    for path in reversed(candidates):
        try:
            tensors, meta = load(path)
            if fits is not None:
                fits(tensors, meta)
        except UserError as exc:
            problems.append(str(exc))
            continue
        for problem in problems:
            warnings.warn(f"{problem}; resuming from the older {path.name}", stacklevel=2)
        return tensors, meta, path
    raise UserError(f"no checkpoint in {directory} can be resumed: " + "; ".join(problems))
