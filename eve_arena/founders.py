"""Fresh genomes: what a run, or a trainer, starts from.

He-initialised weights of the genome's own net, then, for a hypernet, calibrated so that every
level's raw outputs have mean 0 and std 1 (``develop.calibrate``): a hypernet's outputs are
smooth in the coordinates and so correlated, and an uncalibrated shared offset would add up
across a whole layer (at depth 2 it compounds into outputs of 1e4 and more). A module of its own
so that ``genome`` (the spec) needs neither ``develop`` nor ``lifetime``, which build on it.
"""

from __future__ import annotations

import torch

from eve_arena.develop import calibrate
from eve_arena.genome import GenomeSpec
from eve_arena.lifetime import init_plasticity
from eve_arena.mlp import he_init


def fresh_genomes(spec: GenomeSpec, count: int, generator: torch.Generator) -> torch.Tensor:
    """``(count, genome_size)`` fresh genomes of ``spec``, drawn from ``generator``."""
    if spec.subspace:
        genomes = torch.zeros(count, spec.subspace)  # at the fixed random initialisation
    else:
        genomes = he_init(spec.levels[spec.depth], count, generator)
    if spec.residual == "parent":  # each genome starts from its own random base net
        genomes = torch.cat([genomes, he_init(spec.levels[0], count, generator)], 1)
    if spec.plasticity_shape is not None:
        genomes = torch.cat([genomes, init_plasticity(spec, count, generator)], 1)
    if spec.depth == 0 or spec.subspace:
        return genomes
    return calibrate(spec, genomes)
