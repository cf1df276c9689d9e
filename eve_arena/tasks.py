"""Supervised tasks the worlds are made of: where inputs come from and what the truth is.

A task is pure data generation with an explicit ``numpy.random.Generator``; environments wrap
it for competition, the backprop trainer fits it, and the arena scores champions on a held-out
sample of it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from eve_arena.errors import UserError

TOY_FUNCTIONS = {
    "linear": lambda x: 10.0 * x + 2.0,
    "quadratic": lambda x: 10.0 * x**2 + 2.0,
}


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

    def step_info(self, predictions: np.ndarray, targets: np.ndarray) -> dict[str, np.ndarray]:
        return {"mse": self.losses(predictions, targets)}

    def penalty_floor(self, targets: np.ndarray) -> float:
        """A loss no worse than predicting zero: the least an invalid answer is charged."""
        return float((targets.astype(np.float64) ** 2).mean())

    def truth(self, x: np.ndarray) -> np.ndarray:
        return TOY_FUNCTIONS[self.kind](x)

    def sample(self, rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
        """``(x, y)``, each ``(n,)`` float32."""
        x = rng.standard_normal(n).astype(np.float32)
        y = (self.truth(x) + self.noise * rng.standard_normal(n)).astype(np.float32)
        return x, y

    def loss(self, predictions: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        """MSE of each of P nets: ``(P, B, 1)`` predictions, ``(B,)`` targets -> ``(P,)``."""
        return ((predictions.squeeze(-1) - targets) ** 2).mean(-1)

    def heldout(self, n: int = 2000, seed: int = 10_000) -> tuple[np.ndarray, np.ndarray]:
        """A fixed sample no match ever draws from (its own seed), for scoring champions."""
        return self.sample(np.random.default_rng([seed, 7]), n)
