"""PGPE: Sehnke et al. (2010, "Parameter-exploring Policy Gradients", Neural Networks 23(4)).

An evolution strategy over a separable Gaussian: antithetic (mirrored) pairs around a center,
centred-rank fitness shaping, the center moved by ClipUp (Toklu et al. 2020, "ClipUp: A Simple
and Powerful Optimizer for Distribution-based Policy Evolution") or by Adam, and the
per-dimension stdev by plain gradient ascent, each step bounded to ``stdev_max_change`` of its
value. This is EvoTorch's PGPE (``algorithms/functional/funcpgpe.py``: ``ranking_method="centered"``,
``symmetric=True``, ``optimizer="clipup"`` or ``"adam"``), the peer we compare against.

ClipUp moves the center by at most ``max_speed`` in norm, whatever the dimension; Adam moves
every coordinate by about ``center_lr``, so its steps grow with sqrt(D). With the same settings
Adam is the faster of the two on a genome of thousands of entries (EvoJAX's MNIST example runs
PGPE with Adam, center_lr 0.006).

Rows ``2k`` and ``2k + 1`` of a population are ``center + d_k`` and ``center - d_k`` with
``d_k ~ N(0, diag(stdev^2))``. The first center is ``genomes[0]``: one properly initialised network,
whereas the mean of P independent initialisations shrinks every weight by ~1/sqrt(P). One addition
to EvoTorch's PGPE: a generation in which every candidate broke (NaN or -inf fitness) steps the
center back instead of letting momentum carry it on into the broken region, where it would stay.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import ClassVar, NamedTuple

import torch

from eve_arena.errors import UserError
from eve_arena.strategies.base import centered_ranks, clean_fitness, first_generator

OPTIMIZERS = ("clipup", "adam")


class PGPEState(NamedTuple):
    population: torch.Tensor
    """``(P, D)`` antithetic pairs around ``center``; every generation's rows are new individuals."""
    ids: torch.Tensor
    """``(P,)`` int64, fresh each generation."""
    next_id: int
    center: torch.Tensor
    """``(D,)`` mean of the search distribution."""
    stdev: torch.Tensor
    """``(D,)`` per-dimension standard deviation."""
    velocity: torch.Tensor
    """``(D,)`` ClipUp's velocity (its momentum), or Adam's first moment."""
    second_moment: torch.Tensor
    """``(D,)`` Adam's second moment (zeros under ClipUp)."""
    last_step: torch.Tensor
    """``(D,)`` the center's last move, taken back if a whole generation breaks."""
    steps: int
    """Center updates so far (Adam's bias correction counts them)."""
    sigma: float
    """Root mean square of ``stdev``, reported as the ``strategy/sigma`` metric."""


@dataclass(frozen=True)
class PGPE:
    state_type: ClassVar[type] = PGPEState
    optimizer: str = "clipup"
    """What moves the center: clipup or adam."""
    center_lr: float = 0.02
    """ClipUp: the length each normalised gradient adds to the velocity. Adam: its learning rate."""
    center_lr_decay: float = 1.0
    """Per-generation factor on ``center_lr`` (and ClipUp's max speed): at a fixed budget, a step
    size that shrinks towards the end lets the center settle instead of jittering at the noise floor."""
    max_speed: float | None = None
    """Largest step of the center (ClipUp's clip); None means ``2 * center_lr`` (EvoTorch's default)."""
    momentum: float = 0.9
    """ClipUp's momentum, or Adam's beta1."""
    stdev: float = 0.01
    """Initial per-dimension stdev (genomes are O(1): weights of a He-initialised net)."""
    stdev_lr: float = 0.1
    stdev_max_change: float = 0.2
    """Largest relative change of each stdev in one generation."""
    stdev_min: float = 0.0
    stdev_max: float = math.inf

    def __post_init__(self) -> None:
        if self.optimizer not in OPTIMIZERS:
            raise UserError(f"unknown PGPE optimizer {self.optimizer!r}; choose one of {', '.join(OPTIMIZERS)}")
        if not (math.isfinite(self.stdev) and self.stdev > 0):
            raise UserError(f"PGPE stdev must be a positive finite number, got {self.stdev}; try 0.01")
        if not (math.isfinite(self.center_lr) and self.center_lr > 0):
            raise UserError(f"PGPE center_lr must be a positive finite number, got {self.center_lr}; try 0.02")
        if not 0.0 < self.center_lr_decay <= 1.0:
            raise UserError(f"PGPE center_lr_decay must be in (0, 1], got {self.center_lr_decay}; try 1.0 (no decay)")
        if self.max_speed is not None and not (math.isfinite(self.max_speed) and self.max_speed > 0):
            raise UserError(f"PGPE max_speed must be a positive finite number or None, got {self.max_speed}")
        if not 0.0 <= self.momentum < 1.0:
            raise UserError(f"PGPE momentum must be in [0, 1), got {self.momentum}; try 0.9")
        if not (math.isfinite(self.stdev_lr) and self.stdev_lr >= 0):
            raise UserError(f"PGPE stdev_lr must be a non-negative finite number, got {self.stdev_lr}; try 0.1 (0 keeps stdev fixed)")
        if not 0.0 < self.stdev_max_change < 1.0:
            raise UserError(f"PGPE stdev_max_change must be in (0, 1), got {self.stdev_max_change}; try 0.2")
        if not 0.0 <= self.stdev_min <= self.stdev <= self.stdev_max:
            raise UserError(f"PGPE needs 0 <= stdev_min <= stdev <= stdev_max, got {self.stdev_min}, {self.stdev}, {self.stdev_max}")

    def init(self, genomes: torch.Tensor) -> PGPEState:
        p = len(genomes)
        if p < 2 or p % 2:
            raise UserError(f"antithetic sampling needs an even population, got {p}; use {max(2, p + 1)}")
        center = genomes[0].clone()
        stdev = torch.full_like(center, self.stdev)
        population = self._sample(center, stdev, p, first_generator(genomes))
        return PGPEState(population, torch.arange(p), p, center, stdev, torch.zeros_like(center), torch.zeros_like(center), torch.zeros_like(center), 0, self.stdev)

    def ask(self, state: PGPEState) -> tuple[torch.Tensor, torch.Tensor]:
        return state.population, state.ids

    def center(self, state: PGPEState) -> torch.Tensor:
        return state.center

    def tell(self, state: PGPEState, fitness: torch.Tensor, generator: torch.Generator) -> PGPEState:
        """The next state given ``fitness`` ``(P,)`` of ``ask``'s population (maximised; NaN ranks last)."""
        center, stdev, pop = state.center, state.stdev, state.population
        p, pairs = len(pop), len(pop) // 2
        utility = centered_ranks(fitness).to(pop.dtype)
        plus, minus = utility[0::2], utility[1::2]
        noise = pop[0::2] - center  # (P/2, D): the d_k of each pair
        center_grad = ((plus - minus) / 2) @ noise / pairs
        stdev_grad = ((plus + minus) / 2) @ ((noise**2 - stdev**2) / stdev) / pairs

        second_moment, steps = state.second_moment, state.steps
        lr = self.center_lr * self.center_lr_decay**steps
        if bool((clean_fitness(fitness) == -torch.inf).all()):
            # Every candidate broke: no gradient, and coasting on momentum would carry the center on
            # into the broken region for good. Step back to where the last step came from, and stop.
            center, velocity, moved = center - state.last_step, torch.zeros_like(center), torch.zeros_like(center)
        elif self.optimizer == "adam":
            new_center, velocity, second_moment = self._adam(center, center_grad, state, lr)
            moved, center = new_center - center, new_center
            steps += 1
        else:  # ClipUp
            norm = torch.linalg.vector_norm(center_grad)
            velocity = self.momentum * state.velocity + (lr * center_grad / norm if norm > 0 else 0.0)
            speed, max_speed = torch.linalg.vector_norm(velocity), (self.max_speed or 2 * self.center_lr) * lr / self.center_lr
            if speed > max_speed:
                velocity = velocity * (max_speed / speed)
            center, moved = center + velocity, velocity.clone()  # its own storage: safetensors refuses shared tensors
            steps += 1

        new_stdev = stdev + self.stdev_lr * stdev_grad
        new_stdev = torch.clamp(new_stdev, stdev * (1 - self.stdev_max_change), stdev * (1 + self.stdev_max_change))
        new_stdev = torch.clamp(new_stdev, self.stdev_min, self.stdev_max)
        population = self._sample(center, new_stdev, p, generator)
        ids = torch.arange(state.next_id, state.next_id + p)
        sigma = float(torch.sqrt(torch.mean(new_stdev.double() ** 2)))
        return PGPEState(population, ids, state.next_id + p, center, new_stdev, velocity, second_moment, moved, steps, sigma)

    def _adam(self, center: torch.Tensor, gradient: torch.Tensor, state: PGPEState, lr: float) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """One step of torch's own Adam, ascending ``gradient``, its moments restored from the state."""
        param = center.clone()
        opt = torch.optim.Adam([param], lr=lr, betas=(self.momentum, 0.999), maximize=True)
        opt.state[param] = {"step": torch.tensor(float(state.steps)), "exp_avg": state.velocity.clone(), "exp_avg_sq": state.second_moment.clone()}
        param.grad = gradient
        opt.step()
        moments = opt.state[param]
        return param, moments["exp_avg"], moments["exp_avg_sq"]

    @staticmethod
    def _sample(center: torch.Tensor, stdev: torch.Tensor, p: int, generator: torch.Generator) -> torch.Tensor:
        """``(P, D)`` rows ``center + d_k``, ``center - d_k`` with ``d_k ~ N(0, diag(stdev^2))``."""
        d = torch.randn(p // 2, len(center), generator=generator, dtype=center.dtype) * stdev
        return torch.stack([center + d, center - d], dim=1).reshape(p, len(center))
