"""Supervised tasks the worlds are made of: where inputs come from and what the truth is.

A task is pure data generation with an explicit ``numpy.random.Generator``; environments wrap
it for competition, the backprop trainer fits it, and the arena scores champions on a held-out
split of it: ``(x, y)``, or ``(x, y, weights)`` where the split is a quadrature (the toy worlds').
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
import torch

from eve_arena.errors import UserError

TOY_FUNCTIONS = {
    "linear": lambda x: 10.0 * x + 2.0,
    "quadratic": lambda x: 10.0 * x**2 + 2.0,
}

QUADRATURE_POINTS = 1001
"""Grid points of the toy worlds' held-out quadrature (``ToyTask.heldout``); the test split has one fewer."""


@dataclass(frozen=True)
class ToyTask:
    """The seed's chapter 1 task: x ~ N(0, 1), y = f(x) + N(0, noise^2)."""

    kind: str = "quadratic"
    """linear (10x + 2) or quadratic (10x^2 + 2)."""
    noise: float = 0.1

    def __post_init__(self) -> None:
        if self.kind not in TOY_FUNCTIONS:
            raise UserError(f"unknown toy task {self.kind!r}; choose one of {', '.join(TOY_FUNCTIONS)}")
        if not self.noise >= 0:
            raise UserError(f"noise must be a non-negative number, got {self.noise}")

    input_shape = ()
    output_shape = ()
    """One number in, one number out: a batch of inputs is ``(B,)``, an answer ``(B,)``."""

    @property
    def name(self) -> str:
        return f"toy {self.kind}"

    def target_space(self, batch: int):
        from gymnasium import spaces

        return spaces.Box(-np.inf, np.inf, (batch,), np.float32)

    def no_feedback(self, batch: int) -> np.ndarray:
        """``prev_y`` before the first step."""
        return np.zeros(batch, np.float32)

    def losses(self, predictions: np.ndarray, targets: np.ndarray) -> np.ndarray:
        """``(k, B)`` predictions -> ``(k,)`` MSE."""
        return ((predictions - targets) ** 2).mean(axis=1)

    def step_info(self, predictions: np.ndarray, targets: np.ndarray, losses: np.ndarray) -> dict[str, np.ndarray]:
        return {"mse": losses}

    def penalty_floor(self, targets: np.ndarray) -> float:
        """A loss no worse than predicting zero: the least an invalid answer is charged."""
        return float((targets.astype(np.float64) ** 2).mean())

    def truth(self, x: np.ndarray) -> np.ndarray:
        return TOY_FUNCTIONS[self.kind](x)

    def inputs(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """``(n,)`` float32 inputs, x ~ N(0, 1)."""
        return rng.standard_normal(n).astype(np.float32)

    def sample(self, rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
        """``(x, y)``, each ``(n,)`` float32."""
        x = self.inputs(rng, n)
        y = (self.truth(x) + self.noise * rng.standard_normal(n)).astype(np.float32)
        return x, y

    def loss(self, predictions: torch.Tensor, targets: torch.Tensor, weights: torch.Tensor | None = None) -> torch.Tensor:
        """MSE of each of P nets: ``(P, B, 1)`` predictions, ``(B,)`` targets -> ``(P,)``; with
        ``(B,)`` ``weights`` (a quadrature's, summing to 1) the weighted mean."""
        squared = (predictions.squeeze(-1) - targets) ** 2
        return squared.mean(-1) if weights is None else (squared * weights).sum(-1)

    def support(self) -> tuple[float, float]:
        """Where the held-out quadrature looks: N(0, 1) has mass 1e-15 beyond 8."""
        return -8.0, 8.0

    def density(self, x: np.ndarray) -> np.ndarray:
        """The inputs' density up to a constant factor, at ``(n,)`` float64 points."""
        return np.exp(-0.5 * x**2)

    def heldout(self, points: int = QUADRATURE_POINTS) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """For scoring champions: ``(x, y, weights)``, each ``(2 * points,)``, a quadrature of the expected loss.

        x runs over ``points`` evenly spaced points of ``support()``, each twice, with the target
        plus and minus one noise standard deviation; the weights (summing to 1) are the
        trapezoid rule's times the density. So a net's weighted MSE is its expected squared error
        over x, plus exactly the noise variance, to within 0.05% (``scripts/heldout_stability.py``).
        A random sample would not do: the quadratic target's tails dominate the MSE, and the
        same champion scores 0.4 to 1.5 on different samples of 2,000 points.
        """
        low, high = self.support()
        x = np.linspace(low, high, points)
        w = self.density(x)
        w[[0, -1]] *= 0.5
        return self._quadrature(x, w)

    def test(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """For reports only: the same expectation by the midpoint rule, on the held-out grid's
        cell centres: no test point is a held-out one."""
        low, high = self.support()
        edges = np.linspace(low, high, QUADRATURE_POINTS)
        x = 0.5 * (edges[:-1] + edges[1:])
        return self._quadrature(x, self.density(x))

    def _quadrature(self, x: np.ndarray, w: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        x = x.astype(np.float32)
        f = self.truth(x).astype(np.float32)
        noise = np.float32(self.noise)
        w = (np.concatenate([w, w]) / (2 * w.sum())).astype(np.float32)
        return np.concatenate([x, x]), np.concatenate([f + noise, f - noise]), w


CURVE_FAMILIES = ("sinusoid", "drift", "switch")


@dataclass(frozen=True)
class CurveTask(ToyTask):
    """One member of a family of regression curves: a phase of a changing toy world.

    ``sinusoid``: ``params = (amplitude, phase)``, ``y = amplitude * sin(x + phase)``, x uniform in
    [-5, 5] (the MAML sinusoid benchmark, Finn et al. 2017). ``drift`` and ``switch``:
    ``params = (a, b, c)``, ``y = a x^2 + b x + c``, x ~ N(0, 1) as in the seed's toy world.
    """

    family: str = "sinusoid"
    params: tuple[float, ...] = (1.0, 0.0)

    def __post_init__(self) -> None:
        if self.family not in CURVE_FAMILIES:
            raise UserError(f"unknown curve family {self.family!r}; choose one of {', '.join(CURVE_FAMILIES)}")
        object.__setattr__(self, "params", tuple(float(p) for p in self.params))
        if len(self.params) != (2 if self.family == "sinusoid" else 3):
            raise UserError(f"a {self.family} curve takes {2 if self.family == 'sinusoid' else 3} parameters, got {self.params}")
        if not self.noise >= 0:
            raise UserError(f"noise must be a non-negative number, got {self.noise}")

    @property
    def name(self) -> str:
        return f"toy {self.family} " + ", ".join(f"{p:.2f}" for p in self.params)

    def truth(self, x: np.ndarray) -> np.ndarray:
        if self.family == "sinusoid":
            amplitude, phase = self.params
            return amplitude * np.sin(x + phase)
        a, b, c = self.params
        return a * x**2 + b * x + c

    def inputs(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return rng.uniform(-5.0, 5.0, n).astype(np.float32) if self.family == "sinusoid" else super().inputs(rng, n)

    def support(self) -> tuple[float, float]:
        return (-5.0, 5.0) if self.family == "sinusoid" else super().support()

    def density(self, x: np.ndarray) -> np.ndarray:
        return np.ones_like(x) if self.family == "sinusoid" else super().density(x)


def family_params(family: str, index: int, seed: int) -> np.ndarray:
    """The curve parameters of phase ``index`` of a changing toy world, drawn from ``(seed, index)``.

    sinusoid: amplitude in [0.1, 5], phase in [0, pi]. drift: each of a, b, c in [-10, 10].
    switch: the seed's two toy targets in turn, 10x + 2 on even phases and 10x^2 + 2 on odd ones.
    """
    if family == "switch":
        return np.array([0.0, 10.0, 2.0]) if index % 2 == 0 else np.array([10.0, 0.0, 2.0])
    rng = np.random.default_rng([seed, index])
    if family == "sinusoid":
        return np.array([rng.uniform(0.1, 5.0), rng.uniform(0.0, np.pi)])
    return rng.uniform(-10.0, 10.0, 3)


def curve_at(family: str, phase: float, seed: int, noise: float = 0.1) -> CurveTask:
    """The task at a (possibly fractional) phase: phase k's curve blended into phase k + 1's."""
    k = int(np.floor(phase))
    fraction = phase - k
    params = family_params(family, k, seed)
    if fraction > 0:
        params = (1 - fraction) * params + fraction * family_params(family, k + 1, seed)
    return CurveTask(noise=noise, family=family, params=tuple(params))


_MNIST_ARRAYS: dict = {}


@dataclass(frozen=True)
class MNISTTask:
    """Digit classification: 784 normalised pixels in, 10 logits out, cross-entropy loss.

    Batches come from the 55,000 training images; ``heldout`` is the 5,000-image validation
    split (what champions are picked on); ``test`` is the 10,000 test images, for reports only.
    """

    data_dir: str | None = None
    """Directory holding MNIST/raw/ (default: $EVE_ARENA_DATA, else ~/.cache/eve_arena/data)."""
    train_limit: int | None = None
    """Use only the first N training images (small slices for tests)."""

    input_shape = (784,)
    output_shape = (10,)
    name = "MNIST"

    def arrays(self, split: str) -> tuple[np.ndarray, np.ndarray]:
        """``(x (N, 784) float32 normalised, y (N,) int64)`` of ``train``, ``val`` or ``test``."""
        from eve_arena.data import load_mnist, resolve_data_dir

        key = (str(resolve_data_dir(self.data_dir)), split)
        if key not in _MNIST_ARRAYS:
            part = getattr(load_mnist(self.data_dir), split)
            x, y = part.inputs().numpy(), part.labels.numpy()
            x.flags.writeable = False
            y.flags.writeable = False
            _MNIST_ARRAYS[key] = (x, y)
        x, y = _MNIST_ARRAYS[key]
        if split == "train" and self.train_limit is not None:
            return x[: self.train_limit], y[: self.train_limit]
        return x, y

    def target_space(self, batch: int):
        from gymnasium import spaces

        return spaces.Box(-1, 9, (batch,), np.int64)

    def no_feedback(self, batch: int) -> np.ndarray:
        """``prev_y`` before the first step: -1, no label yet."""
        return np.full(batch, -1, np.int64)

    def sample(self, rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
        x, y = self.arrays("train")
        index = rng.integers(0, len(x), n)
        return x[index], y[index]

    def losses(self, predictions: np.ndarray, targets: np.ndarray) -> np.ndarray:
        """``(k, B, 10)`` logits -> ``(k,)`` mean cross-entropy."""
        shifted = predictions - predictions.max(axis=-1, keepdims=True)
        log_probs = shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))
        return -np.take_along_axis(log_probs, targets[None, :, None], axis=-1)[..., 0].mean(axis=1)

    def step_info(self, predictions: np.ndarray, targets: np.ndarray, losses: np.ndarray) -> dict[str, np.ndarray]:
        return {"loss": losses, "accuracy": (predictions.argmax(-1) == targets).mean(axis=1)}

    def penalty_floor(self, targets: np.ndarray) -> float:
        """The cross-entropy of a uniform guess."""
        return float(np.log(10.0))

    def loss(self, logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        """``(P, B, 10)`` logits, ``(B,)`` labels -> ``(P,)`` mean cross-entropy."""
        p, b, c = logits.shape
        return torch.nn.functional.cross_entropy(logits.reshape(p * b, c), targets.repeat(p), reduction="none").reshape(p, b).mean(1)

    def accuracy(self, logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        return (logits.argmax(-1) == targets).to(torch.float32).mean(1)

    def heldout(self) -> tuple[np.ndarray, np.ndarray]:
        return self.arrays("val")

    def test(self) -> tuple[np.ndarray, np.ndarray]:
        return self.arrays("test")


MNIST_SHIFTS = ("permute", "rotate", "labels")


@dataclass(frozen=True)
class ShiftedMNISTTask(MNISTTask):
    """MNIST in phase ``phase`` of a changing world; phase 0 is plain MNIST.

    ``permute``: a fixed pixel permutation per phase (permuted MNIST, Goodfellow et al. 2013);
    ``rotate``: the images rotated by an angle per phase, uniform in [-180, 180) degrees (a
    fractional phase blends two angles); ``labels``: the labels permuted per phase (label shift).
    Each phase's change is drawn from ``(shift_seed, phase)``. Batches are shifted as they are
    drawn; the held-out and test splits once per phase.
    """

    shift: str = "permute"
    phase: float = 0.0
    shift_seed: int = 0

    def __post_init__(self) -> None:
        if self.shift not in MNIST_SHIFTS:
            raise UserError(f"unknown MNIST shift {self.shift!r}; choose one of {', '.join(MNIST_SHIFTS)}")
        if self.shift != "rotate" and self.phase != int(self.phase):
            raise UserError(f"a {self.shift} shift changes abruptly: its phase must be whole, got {self.phase}")

    @property
    def name(self) -> str:
        return f"MNIST, {self.shift} phase {self.phase:g}"

    def _draw(self, index: int) -> np.random.Generator:
        return np.random.default_rng([self.shift_seed, index])

    def pixel_order(self) -> np.ndarray:
        k = int(self.phase)
        return np.arange(784) if k == 0 else self._draw(k).permutation(784)

    def label_map(self) -> np.ndarray:
        k = int(self.phase)
        return np.arange(10) if k == 0 else self._draw(k).permutation(10)

    def angle(self) -> float:
        """Degrees; phase k's angle blended into phase k + 1's by the fraction of the phase."""
        k = int(np.floor(self.phase))
        fraction = self.phase - k
        return (1 - fraction) * self._phase_angle(k) + fraction * self._phase_angle(k + 1)

    def _phase_angle(self, index: int) -> float:
        return 0.0 if index == 0 else float(self._draw(index).uniform(-180.0, 180.0))

    def shifted(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        if self.shift == "permute":
            return x[:, self.pixel_order()], y
        if self.shift == "labels":
            return x, self.label_map()[y]
        return _rotate(x, self.angle()), y

    def sample(self, rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
        return self.shifted(*super().sample(rng, n))

    def heldout(self) -> tuple[np.ndarray, np.ndarray]:
        return _shifted_split(self, "val")

    def test(self) -> tuple[np.ndarray, np.ndarray]:
        return _shifted_split(self, "test")


@functools.lru_cache(maxsize=4)
def _shifted_split(task: ShiftedMNISTTask, split: str) -> tuple[np.ndarray, np.ndarray]:
    x, y = task.shifted(*task.arrays(split))
    x, y = np.ascontiguousarray(x), np.ascontiguousarray(y)
    x.flags.writeable = False
    y.flags.writeable = False
    return x, y


def _blank_pixel() -> float:
    """A black pixel after ``Split.inputs``' standardisation, by the same float32 operations."""
    from eve_arena.data.mnist import MEAN, STD

    return float(torch.zeros(1).sub_(MEAN).div_(STD))


def _rotate(x: np.ndarray, degrees: float) -> np.ndarray:
    """``(N, 784)`` normalised images rotated about their centre, bilinear, corners filled with black."""
    if degrees == 0:
        return x
    background = _blank_pixel()
    theta = np.deg2rad(degrees)
    images = torch.tensor(x).reshape(-1, 1, 28, 28) - background  # a copy: split arrays are read-only
    rotation = torch.tensor([[np.cos(theta), -np.sin(theta), 0.0], [np.sin(theta), np.cos(theta), 0.0]], dtype=torch.float32)
    grid = torch.nn.functional.affine_grid(rotation.expand(len(images), 2, 3), list(images.shape), align_corners=False)
    rotated = torch.nn.functional.grid_sample(images, grid, align_corners=False) + background
    return rotated.reshape(len(x), 784).numpy()
