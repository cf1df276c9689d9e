"""Held-out scores of a two-role world's solvers: on the original task, and on a wider one.

What challengers teach should show beside what the fixed distribution asks. The solvers'
champion of a challenge world is scored on the world's own task's held-out split and on a
wider version of it (toy: x spread twice as wide within the challengers' bounds; MNIST: the
images rotated, shifted and noised within the challengers' bounds). Worlds without
an entry here are measured by their ladders alone.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from eve_arena.envs import MNIST_CHALLENGE, TOY_CHALLENGE
from eve_arena.genome import GenomeSpec
from eve_arena.tasks import MNISTTask, ToyTask
from eve_arena.train import heldout_scores



@dataclass(frozen=True)
class WideToyTask(ToyTask):
    """The toy task with inputs spread ``spread`` times as wide, x ~ N(0, spread^2) within
    ``[-bound, bound]`` (the challengers' bounds): held-out data from a wider distribution than
    training uses."""

    spread: float = 2.0
    bound: float = 4.0

    @property
    def name(self) -> str:
        return f"toy {self.kind}, x spread {self.spread:g}x"

    def support(self) -> tuple[float, float]:
        return -self.bound, self.bound

    def density(self, x: np.ndarray) -> np.ndarray:
        return np.exp(-0.5 * (x / self.spread) ** 2)


def toy_tasks(env_kwargs: dict) -> dict[str, ToyTask]:
    """The toy challenge world's task, and its wider version, as ``env_kwargs`` set them."""
    task = ToyTask(env_kwargs.get("task", "quadratic"), env_kwargs.get("noise", 0.1))
    return {"heldout": task, "wide_heldout": WideToyTask(task.kind, task.noise, bound=float(env_kwargs.get("x_bound", 4.0)))}


@dataclass(frozen=True)
class TransformedMNIST(MNISTTask):
    """MNIST's validation and test images, each rotated, shifted and noised at random within the
    bounds (``mnist_challenge.transformed_split``, a fixed seed): the wider held-out data."""

    rotation: float = 30.0
    shift: float = 3.0
    noise: float = 0.5
    seed: int = 0

    @property
    def name(self) -> str:
        return f"MNIST within {self.rotation:g} deg, {self.shift:g} px, noise {self.noise:g}"

    def heldout(self) -> tuple[np.ndarray, np.ndarray]:
        return self._transformed("heldout")

    def test(self) -> tuple[np.ndarray, np.ndarray]:
        return self._transformed("test")

    def _transformed(self, split: str) -> tuple[np.ndarray, np.ndarray]:
        from eve_arena.envs.mnist_challenge import transformed_split

        return transformed_split(MNISTTask(self.data_dir, self.train_limit), split, self.rotation, self.shift, self.noise, self.seed)


def mnist_tasks(env_kwargs: dict) -> dict[str, MNISTTask]:
    """MNIST, and MNIST transformed within the challengers' bounds, as ``env_kwargs`` set them."""
    data_dir = env_kwargs.get("data_dir")
    data_dir = None if data_dir is None else str(data_dir)
    bounds = {"rotation": float(env_kwargs.get("max_rotation", 30.0)), "shift": float(env_kwargs.get("max_shift", 3.0)), "noise": float(env_kwargs.get("max_noise", 0.5))}
    return {"heldout": MNISTTask(data_dir), "transformed_heldout": TransformedMNIST(data_dir, **bounds)}


TASKS = {TOY_CHALLENGE: ("solver", toy_tasks), MNIST_CHALLENGE: ("solver", mnist_tasks)}
"""World id -> (the role scored, the tasks it is scored on from the world's arguments)."""


def scored_role(world: str) -> str | None:
    return TASKS[world][0] if world in TASKS else None


def champion_scores(world: str, env_kwargs: dict, spec: GenomeSpec, champion: torch.Tensor, device: str = "cpu", split: str = "heldout") -> dict[str, float]:
    """``{"<task>_loss": ...}`` of the scored role's champion (``split``: heldout, or test for reports)."""
    if world not in TASKS:
        return {}
    role, tasks = TASKS[world]
    scores = {}
    for label, task in tasks(env_kwargs).items():
        result = heldout_scores(spec, champion[None], task, device, split=split)
        scores[f"{label}_loss"] = float(result["loss"][0])
        if "accuracy" in result:
            scores[f"{label}_accuracy"] = float(result["accuracy"][0])
    return scores
