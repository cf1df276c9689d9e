"""Self-building genomes: the genome's own net builds itself from its own coordinates.

With ``GenomeSpec.self_build`` the top hypernet H (the net whose weights the genome is) answers
not only the coordinates of the net below it but also a coordinate for each of its own weights:

- ``quine``: its answers are its own weights, built from nothing else (Chang & Lipson 2018,
  "Neural Network Quine");
- ``residual``: its answers are the change its offspring gets, added to its own weights.

The self-coordinates are a fixed random projection of each weight's one-hot index into H's input
space (Chang & Lipson's remedy for an input that would otherwise be as wide as the net), drawn
from ``encoding_seed``, so a genome is still only its vector. When H emits columns, one
self-coordinate is answered with as many consecutive weights.

Replication fidelity ``rho = ||H(c_self) - theta||^2 / ||theta||^2``: 0 is a perfect copy, 1 is
no better than writing zeros. A genome could lower an unnormalised error just by shrinking its
weights, so ``rho`` is always reported beside ``||theta||``.

With ``GenomeSpec.grid_step`` the weights are read on a grid and the copy is rounded back onto
it: a copy off by less than half a step in every weight is exact (``exact_copies``), and its
``rho`` is 0. Rounding has no gradient, so a genome on a grid is trained to copy itself by
``grid_miss`` instead: how far its unrounded copy strays past a quarter step.
"""

from __future__ import annotations

import torch

from eve_arena.develop import develop_flat
from eve_arena.genome import GenomeSpec, on_grid, output_gains
from eve_arena.mlp import forward, unflatten

SELF_SEED_OFFSET = 1_000_003
"""Keeps the self-coordinates' random draw apart from the Fourier bases seeded nearby."""

_TABLES: dict = {}


def self_coordinates(spec: GenomeSpec, device: torch.device | str = "cpu") -> torch.Tensor:
    """``(rows, input width of H)``: row r asks H for its weights ``r * w .. r * w + w - 1``, where
    ``w`` is how many values H writes per pass. Entries are uniform in [-1, 1], the range of the
    structured coordinates H reads for the net below, so neither kind of input swamps the other."""
    _require_self_building(spec)
    key = ("self", spec.levels[spec.depth], spec.emit_width(spec.depth - 1), spec.encoding_seed, str(device))
    if key not in _TABLES:
        rows = -(-spec.builder_size // spec.emit_width(spec.depth - 1))
        generator = torch.Generator().manual_seed(spec.encoding_seed + SELF_SEED_OFFSET)
        table = torch.rand(rows, spec.levels[spec.depth].sizes[0], generator=generator) * 2 - 1
        _TABLES[key] = table.to(device)
    return _TABLES[key]


def self_written(spec: GenomeSpec, genomes: torch.Tensor) -> torch.Tensor:
    """``(P, builder_size)`` what each genome's own net writes for itself, with the fan-in gains of
    its layers (the same scaling every generated net gets)."""
    builders = on_grid(spec, genomes)[:, : spec.builder_size]
    coords = self_coordinates(spec, genomes.device).to(genomes.dtype)
    raw = forward(unflatten(builders, spec.levels[spec.depth]), coords, spec.activation)
    raw = raw.reshape(len(genomes), -1)[:, : spec.builder_size]
    return raw * output_gains(spec, spec.depth, genomes.device).to(genomes.dtype)


def unrounded_copy(spec: GenomeSpec, genomes: torch.Tensor) -> torch.Tensor:
    """``(P, builder_size)`` the builder each genome makes for its offspring before any rounding:
    what it writes for itself (``quine``), or its own weights plus that change (``residual``)."""
    written = self_written(spec, genomes)
    return written if spec.self_build == "quine" else on_grid(spec, genomes)[:, : spec.builder_size] + written


def self_copy(spec: GenomeSpec, genomes: torch.Tensor) -> torch.Tensor:
    """``(P, builder_size)`` the builder each genome makes for its offspring, rounded onto the
    genome's grid where it has one."""
    copy = unrounded_copy(spec, genomes)
    return copy if spec.grid_step is None else torch.round(copy / spec.grid_step) * spec.grid_step


def fidelity(spec: GenomeSpec, genomes: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """``(rho (P,), weight_norm (P,))``: each genome's replication error relative to its weights,
    and the norm of those weights. A zero genome writes zeros for itself: its rho is 1."""
    theta = on_grid(spec, genomes)[:, : spec.builder_size]
    error = (self_copy(spec, genomes) - theta).pow(2).sum(1)
    norm2 = theta.pow(2).sum(1)
    rho = torch.where(norm2 > 0, error / norm2.clamp(min=torch.finfo(theta.dtype).tiny), torch.ones_like(norm2))
    return rho, norm2.sqrt()


def exact_copies(spec: GenomeSpec, genomes: torch.Tensor) -> torch.Tensor:
    """``(P,)`` bool: the genome's self-built copy is its own weights, every one of them."""
    return (self_copy(spec, genomes) == on_grid(spec, genomes)[:, : spec.builder_size]).all(1)


def grid_miss(spec: GenomeSpec, genomes: torch.Tensor) -> torch.Tensor:
    """``(P,)`` a differentiable measure of how far each genome is from copying itself exactly on
    its grid: the sum over weights of (how far the unrounded copy strays past a quarter step,
    in steps) squared. 0 means every weight copies within a quarter step, half the margin that
    rounding forgives."""
    step = spec.grid_step
    if step is None:
        raise ValueError("grid_miss needs a genome on a grid (GenomeSpec.grid_step)")
    error = (unrounded_copy(spec, genomes) - on_grid(spec, genomes)[:, : spec.builder_size]).abs()
    return (torch.relu(error - step / 4) / step).pow(2).sum(1)


def offspring(spec: GenomeSpec, parents: torch.Tensor, self_built: bool) -> torch.Tensor:
    """``(P, genome_size)`` the children of ``parents`` before mutation.

    ``self_built``: each child's builder is the one its parent builds for it (``self_copy``), not a
    copy. With ``residual='parent'`` a child's base weights are its parent's developed target net.
    Otherwise children are copies.
    """
    children = parents.clone()
    if self_built:
        children[:, : spec.builder_size] = self_copy(spec, parents)
    if spec.residual == "parent":
        children[:, spec.parts["base"]] = develop_flat(spec, parents)
    return children


def _require_self_building(spec: GenomeSpec) -> None:
    if spec.self_build == "off":
        raise ValueError("this genome does not build itself: set GenomeSpec.self_build to 'quine' or 'residual'")
