"""Training objectives that make a self-building genome's copy hold down the generations.

``rho`` only asks a genome to copy itself once. A copy off by a little is a new genome, whose own
copy may be off by more: the self-copy map's fixed point can repel. Two objectives look further:

- ``lineage_objective``: unroll K generations of self-building inside the loss, so that the
  children and grandchildren must solve the task and copy themselves too;
- ``Contraction``: penalise the self-copy map's Jacobian norm at the genome (its largest
  singular value, by power iteration on Jacobian-vector products), so that the error of one copy
  shrinks in the next.

Both are differentiable in the genome and are used by ``train.fit``.
"""

from __future__ import annotations

from collections.abc import Callable

import torch

from eve_arena.genome import GenomeSpec
from eve_arena.selfbuild import fidelity, grid_miss, unrounded_copy


def built_child(spec: GenomeSpec, genomes: torch.Tensor) -> torch.Tensor:
    """``(P, genome_size)`` each genome with its builder replaced by the one it builds for itself,
    unrounded, so that gradients flow through the copy (``on_grid`` rounds it straight-through
    when the child is read)."""
    return torch.cat([unrounded_copy(spec, genomes), genomes[:, spec.builder_size :]], 1)


def lineage_objective(spec: GenomeSpec, genomes: torch.Tensor, task_loss: Callable[[torch.Tensor], torch.Tensor], depth: int, replication_weight: float) -> tuple[torch.Tensor, torch.Tensor]:
    """``(objective (P,), founders' task loss (P,))`` over ``depth`` generations: the founder and
    ``depth - 1`` generations of self-built descendants each add their task loss, and each adds
    ``replication_weight`` times its copying error (``rho``, or ``grid_miss`` on a grid). The task
    terms are averaged over the generations, so the task keeps the weight it has at depth 1."""
    objective, generation, founders_loss = 0.0, genomes, None
    for k in range(depth):
        if k:
            generation = built_child(spec, generation)
        loss = task_loss(generation)
        founders_loss = loss if k == 0 else founders_loss
        copying = grid_miss(spec, generation) if spec.grid_step is not None else fidelity(spec, generation)[0]
        objective = objective + loss / depth + replication_weight * copying
    return objective, founders_loss


class Contraction:
    """The largest singular value of each genome's self-copy map, tracked by power iteration.

    The self-copy map takes a builder to the builder it makes for its offspring; its fixed point
    attracts copies that start near it when the map's Jacobian there has norm below 1. One power
    iteration per call refines a direction kept between calls (the genome moves little per
    step), and ``penalty`` returns ``|J v|^2`` differentiably in the genome.
    """

    def __init__(self, spec: GenomeSpec, rows: int, generator: torch.Generator, device: torch.device | str = "cpu") -> None:
        self.spec = spec
        direction = torch.randn(rows, spec.builder_size, generator=generator)
        self.direction = (direction / direction.norm(dim=1, keepdim=True)).to(device)

    def penalty(self, genomes: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``(|J v|^2 (P,), estimate of the largest singular value (P,), detached)``; ``genomes``
        must require grad. Rows are independent: each genome's copy depends on its own row only."""
        builder = genomes[:, : self.spec.builder_size]
        copy = unrounded_copy(self.spec, torch.cat([builder, genomes[:, self.spec.builder_size :]], 1))
        # J v by the double-vjp trick: J^T u is linear in u, and its vjp with v is J v.
        probe = torch.zeros_like(copy, requires_grad=True)
        (transposed,) = torch.autograd.grad(copy, builder, probe, create_graph=True)
        (jv,) = torch.autograd.grad(transposed, probe, self.direction, create_graph=True)
        with torch.no_grad():
            (jtjv,) = torch.autograd.grad(copy, builder, jv.detach(), retain_graph=True)
            norm = jtjv.norm(dim=1, keepdim=True)
            self.direction = torch.where(norm > 0, jtjv / norm.clamp(min=1e-30), self.direction)
        squared = jv.pow(2).sum(1)
        return squared, squared.detach().sqrt()


def jacobian_norm(spec: GenomeSpec, genomes: torch.Tensor, iterations: int = 50, seed: int = 0) -> torch.Tensor:
    """``(P,)`` the largest singular value of each genome's self-copy map: below 1, copies that
    start near the genome are drawn back to it; above 1, their errors grow."""
    contraction = Contraction(spec, len(genomes), torch.Generator().manual_seed(seed), genomes.device)
    params = genomes.detach().clone().requires_grad_(True)
    for _ in range(iterations):
        norm = contraction.penalty(params)[1]
    return norm
