"""Test-wide settings: headless pygame, one torch thread (the nets are tiny), small defaults."""

import os

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")

from pathlib import Path  # noqa: E402

# MNIST comes from ../shared/data beside the checkout unless EVE_ARENA_DATA says otherwise.
_SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
if "EVE_ARENA_DATA" not in os.environ and (_SHARED_DATA / "MNIST").is_dir():
    os.environ["EVE_ARENA_DATA"] = str(_SHARED_DATA)

import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

torch.set_num_threads(1)

HAVE_MNIST = bool(os.environ.get("EVE_ARENA_DATA")) and (Path(os.environ["EVE_ARENA_DATA"]) / "MNIST" / "raw").is_dir()
needs_mnist = pytest.mark.skipif(not HAVE_MNIST, reason="MNIST not found: set EVE_ARENA_DATA to a directory holding MNIST/raw/ (CI uses ../shared/data)")


@pytest.fixture
def tiny_config():
    """A run small enough for a test: population 12, 20 generations, short matches."""
    from eve_arena.config import ArenaConfig

    def make(**overrides):
        fields = dict(population=12, generations=20, checkpoint_every=5, env_kwargs={"batch_size": 64, "max_steps": 2}, hall_every=2, hall_of_fame=3)
        fields.update(overrides)
        return ArenaConfig(**fields)

    return make


def png_size(path: Path) -> tuple[int, int]:
    """``(height, width)`` of a PNG, after checking that it decodes and is not blank."""
    from PIL import Image

    with Image.open(path) as im:
        rgb = np.asarray(im.convert("RGB"))
    assert len(np.unique(rgb.reshape(-1, 3), axis=0)) > 20, f"{path.name} is (nearly) one flat colour"
    return rgb.shape[0], rgb.shape[1]


def check_image(img) -> None:
    """A rendered frame: rgb uint8, at least 400x300, and not (nearly) one flat colour."""
    assert isinstance(img, np.ndarray) and img.dtype == np.uint8
    assert img.ndim == 3 and img.shape[2] == 3 and img.shape[0] >= 300 and img.shape[1] >= 400
    packed = (img[..., 0].astype(np.uint32) << 16) | (img[..., 1].astype(np.uint32) << 8) | img[..., 2]
    assert len(np.unique(packed)) > 10, "frame is (nearly) one flat colour"


def window_pixels() -> np.ndarray:
    """What the (headless) pygame window shows, as an rgb frame."""
    import pygame

    window = pygame.display.get_surface()
    assert window is not None, "human mode opened no window"
    return np.ascontiguousarray(pygame.surfarray.array3d(window).transpose(1, 0, 2))


def load_script(path: Path):
    """A script under ``scripts/`` imported as a module (it imports ``scripts/results_io.py``)."""
    import importlib.util
    import sys

    sys.path.insert(0, str(path.parent))
    try:
        spec = importlib.util.spec_from_file_location(path.stem, path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module
    finally:
        sys.path.remove(str(path.parent))
