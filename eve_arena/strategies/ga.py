"""Genetic algorithm: truncation selection, elitism, Gaussian mutation, optional uniform crossover.

The simple GA that Such et al. (2017, "Deep Neuroevolution: Genetic Algorithms Are a Competitive
Alternative for Training Deep Neural Networks for Reinforcement Learning") showed competitive
for neural nets: the top ``parent_fraction`` of the population breed, the best ``elite`` pass
unchanged, everyone else is a mutated (and, with probability ``crossover``, recombined) child.
The mutation step anneals geometrically from ``sigma`` to ``sigma_min``.

Children start as their parents' offspring as the genome defines it (``selfbuild.offspring``,
handed in by the arena as ``inherit``): a copy, or with ``reproduction="self"`` the genome its
parent builds for it, so that selection acts on heredity as well as on the task.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import ClassVar, NamedTuple

import torch

from eve_arena.errors import UserError
from eve_arena.strategies.base import clean_fitness


class GAState(NamedTuple):
    population: torch.Tensor
    """``(P, D)`` genomes to evaluate next."""
    ids: torch.Tensor
    """``(P,)`` int64 identity of each individual; copies of elites keep theirs."""
    next_id: int
    sigma: float
    """Current mutation standard deviation."""


@dataclass(frozen=True)
class GeneticAlgorithm:
    state_type: ClassVar[type] = GAState
    elite: int = 4
    """Best individuals copied unchanged into the next generation."""
    parent_fraction: float = 0.5
    """Fraction of the population, best first, that may breed."""
    sigma: float = 0.03
    """Initial mutation std (genomes are O(1): weights of a He-initialised net)."""
    sigma_decay: float = 0.997
    """Per-generation factor on sigma."""
    sigma_min: float = 0.003
    crossover: float = 0.5
    """Probability that a child is a uniform crossover of two parents before mutation."""
    reproduction: str = "copy"
    """copy: a child starts as a copy of its parent; self: as the genome its parent builds for it
    (needs a self-building genome)."""
    mutate: str = "child"
    """child: mutation is added to the child once it is made; parent: to a copy of its parent,
    which then makes the child (developmental mutation: with ``reproduction="self"`` what is
    inherited is what the mutant builds, so variation passes through development first)."""

    def __post_init__(self) -> None:
        if self.elite < 0:
            raise UserError(f"elite must be non-negative, got {self.elite}")
        if not 0.0 < self.parent_fraction <= 1.0:
            raise UserError(f"parent fraction must be in (0, 1], got {self.parent_fraction}")
        if not self.sigma >= 0 or not self.sigma_min >= 0:
            raise UserError(f"mutation sigma must be a non-negative number, got {self.sigma}")
        if not 0.0 < self.sigma_decay <= 1.0:
            raise UserError(f"sigma decay must be in (0, 1], got {self.sigma_decay}")
        if not 0.0 <= self.crossover <= 1.0:
            raise UserError(f"crossover probability must be in [0, 1], got {self.crossover}")
        if self.reproduction not in ("copy", "self"):
            raise UserError(f"reproduction must be copy or self, got {self.reproduction!r}")
        if self.mutate not in ("child", "parent"):
            raise UserError(f"mutate must be child or parent, got {self.mutate!r}")

    def init(self, genomes: torch.Tensor) -> GAState:
        if self.elite >= len(genomes):
            raise UserError(f"elite ({self.elite}) must be smaller than the population ({len(genomes)})")
        return GAState(genomes, torch.arange(len(genomes)), len(genomes), self.sigma)

    def ask(self, state: GAState) -> tuple[torch.Tensor, torch.Tensor]:
        return state.population, state.ids

    def tell(self, state: GAState, fitness: torch.Tensor, generator: torch.Generator, inherit: Callable | None = None) -> GAState:
        """``inherit(parents, self_built) -> children`` makes offspring before crossover and
        mutation; without it children are copies."""
        if inherit is None and self.reproduction == "self":
            raise UserError("reproduction='self' needs the genome's inherit function: run it in an arena with a self-building genome")
        pop = state.population
        p = len(pop)
        order = torch.argsort(clean_fitness(fitness), descending=True, stable=True)
        elites = order[: self.elite]
        n_parents = max(1, int(round(self.parent_fraction * p)))
        parents = order[:n_parents]
        n_children = p - self.elite
        developmental = self.mutate == "parent" and inherit is not None
        breeders = pop[parents] if inherit is None or developmental else inherit(pop[parents], self.reproduction == "self")
        children = breeders[torch.randint(n_parents, (n_children,), generator=generator)]
        if self.crossover > 0:
            second = breeders[torch.randint(n_parents, (n_children,), generator=generator)]
            crossing = torch.rand(n_children, 1, generator=generator) < self.crossover
            take_second = torch.rand(children.shape, generator=generator) < 0.5
            children = torch.where(crossing & take_second, second, children)
        noise = torch.randn(children.shape, generator=generator, dtype=children.dtype)
        children = children + state.sigma * noise
        if developmental:  # the mutants build the children
            children = inherit(children, self.reproduction == "self")
        population = torch.cat([pop[elites], children])
        ids = torch.cat([state.ids[elites], torch.arange(state.next_id, state.next_id + n_children)])
        sigma = max(self.sigma_min, state.sigma * self.sigma_decay)
        return GAState(population, ids, state.next_id + n_children, sigma)
