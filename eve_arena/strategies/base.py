"""The strategy interface: ``init``/``ask``/``tell`` over an explicit state (evosax, EvoTorch style).

A strategy proposes a ``(P, D)`` population, is told one fitness per row (**maximised**), and
returns its next state; it never sees an environment. States are NamedTuples whose fields are
tensors or plain numbers, so checkpoints store them without pickling. ``ids`` gives every
individual a number that survives while the individual does (an elite kept unchanged keeps
its id), which lets the tournament carry ratings across generations.
"""

from __future__ import annotations

import hashlib
from typing import NamedTuple, Protocol

import torch


class Strategy(Protocol):
    def init(self, genomes: torch.Tensor) -> NamedTuple:
        """The state whose first population is ``genomes`` ``(P, D)``."""

    def ask(self, state) -> tuple[torch.Tensor, torch.Tensor]:
        """``(population (P, D), ids (P,))`` to evaluate."""

    def tell(self, state, fitness: torch.Tensor, generator: torch.Generator):
        """The next state, given ``fitness`` ``(P,)`` of ``ask``'s population; higher is better."""


def pack_state(state: NamedTuple, prefix: str = "strategy/") -> tuple[dict[str, torch.Tensor], dict]:
    """A strategy state for a checkpoint: its tensor fields as ``{prefix + name: tensor}``, and its
    plain-number fields as ``{name: value}`` for the metadata."""
    tensors, scalars = {}, {}
    for name, value in state._asdict().items():
        if isinstance(value, torch.Tensor):
            tensors[prefix + name] = value
        else:
            scalars[name] = value
    return tensors, scalars


def unpack_state(state_type: type, tensors: dict[str, torch.Tensor], scalars: dict, prefix: str = "strategy/") -> NamedTuple:
    """The state ``pack_state`` wrote."""
    return state_type(**{name: tensors[prefix + name] if prefix + name in tensors else scalars[name] for name in state_type._fields})


class SearchDistribution(Strategy, Protocol):
    """A strategy that samples around a center (PGPE's center, CMA-ES's mean).

    The center is its best guess, and it is not in the population it asks to be evaluated: every
    sample carries exploration noise. The arena enters it in the tournament beside the population
    (rated, a candidate champion, never told to the strategy).
    """

    def center(self, state) -> torch.Tensor:
        """``(D,)`` the distribution's center."""


def clean_fitness(fitness: torch.Tensor) -> torch.Tensor:
    """NaN fitness (a broken genome) ranks below everything, so it is never selected."""
    fitness = fitness.to(torch.float64)
    return torch.where(torch.isnan(fitness), torch.full_like(fitness, -torch.inf), fitness)


def centered_ranks(fitness: torch.Tensor) -> torch.Tensor:
    """``(P,)`` float64 ranks scaled to [-0.5, 0.5], best highest; ties (and NaNs) share their mean rank."""
    fitness = clean_fitness(fitness)
    ranks = torch.empty_like(fitness)
    ranks[torch.argsort(fitness, stable=True)] = torch.arange(len(fitness), dtype=fitness.dtype)
    _, group, counts = torch.unique(fitness, return_inverse=True, return_counts=True)
    ranks = torch.zeros(len(counts), dtype=fitness.dtype).index_add_(0, group, ranks)[group] / counts[group]
    return ranks / max(len(fitness) - 1, 1) - 0.5


def first_generator(genomes: torch.Tensor) -> torch.Generator:
    """``init`` gets no generator: its first sample is seeded by the initial genomes' bytes,
    which the arena draws from the run's seed (same genomes, same first population)."""
    digest = hashlib.sha256(genomes.detach().cpu().contiguous().numpy().tobytes()).digest()
    return torch.Generator().manual_seed(int.from_bytes(digest[:8], "little") >> 1)
