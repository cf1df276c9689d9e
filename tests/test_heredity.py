"""Heredity objectives: the lineage loss and the self-copy map's contraction."""

import math

import numpy as np
import pytest
import torch

from eve_arena.errors import UserError
from eve_arena.founders import fresh_genomes
from eve_arena.genome import GenomeSpec
from eve_arena.heredity import Contraction, built_child, jacobian_norm, lineage_objective
from eve_arena.selfbuild import fidelity, unrounded_copy
from eve_arena.tasks import ToyTask
from eve_arena.train import fit

SPEC = GenomeSpec(self_build="quine", hyper_hidden=((6,),), fourier_features=4)


def test_power_iteration_finds_the_self_copy_maps_largest_singular_value():
    genomes = fresh_genomes(SPEC, 2, torch.Generator().manual_seed(0))
    estimate = jacobian_norm(SPEC, genomes, iterations=60)
    builder = SPEC.builder_size
    for row in range(2):
        rest = genomes[row : row + 1, builder:]
        jacobian = torch.autograd.functional.jacobian(lambda b: unrounded_copy(SPEC, torch.cat([b[None], rest], 1))[0], genomes[row, :builder])
        assert float(estimate[row]) == pytest.approx(float(torch.linalg.matrix_norm(jacobian, 2)), rel=1e-3)


def test_the_lineage_objective_adds_each_descendants_task_and_copying_terms():
    genomes = fresh_genomes(SPEC, 3, torch.Generator().manual_seed(1))
    task_loss = lambda g: g[:, :4].pow(2).sum(1)  # any per-row function of the genome
    objective, founders_loss = lineage_objective(SPEC, genomes, task_loss, depth=3, replication_weight=2.0)
    child = built_child(SPEC, genomes)
    grandchild = built_child(SPEC, child)
    expected = sum(task_loss(g) / 3 + 2.0 * fidelity(SPEC, g)[0] for g in (genomes, child, grandchild))
    assert torch.allclose(objective, expected) and torch.equal(founders_loss, task_loss(genomes))
    assert torch.equal(child[:, SPEC.builder_size :], genomes[:, SPEC.builder_size :])
    one, _ = lineage_objective(SPEC, genomes, task_loss, depth=1, replication_weight=2.0)
    assert torch.allclose(one, task_loss(genomes) + 2.0 * fidelity(SPEC, genomes)[0])


def test_training_with_a_contraction_weight_lowers_the_self_copy_maps_jacobian_norm():
    task = ToyTask("quadratic")
    plain = fit(SPEC, task, count=2, steps=300, lr=1e-2, seed=0)
    contracted = fit(SPEC, task, count=2, steps=300, lr=1e-2, seed=0, contraction_weight=1.0)
    assert contracted.jacobian_norm.shape == (300, 2) and np.isfinite(contracted.jacobian_norm).all()
    assert (jacobian_norm(SPEC, contracted.genomes) < 0.85 * jacobian_norm(SPEC, plain.genomes)).all()


def test_a_lineage_depth_trains_descendants_too():
    task = ToyTask("quadratic")
    result = fit(SPEC, task, count=2, steps=40, lr=3e-3, seed=0, replication_weight=1.0, lineage_depth=2)
    assert result.losses.shape == (40, 2) and np.isfinite(result.losses).all() and np.isfinite(result.rho).all()


@pytest.mark.parametrize("settings", [dict(lineage_depth=0), dict(lineage_depth=1.5), dict(lineage_depth=True), dict(contraction_weight=-1.0), dict(contraction_weight=math.nan), dict(contraction_weight=math.inf)])
def test_heredity_settings_that_cannot_be_honoured_are_one_line(settings):
    with pytest.raises(UserError, match=next(iter(settings))):
        fit(SPEC, ToyTask("quadratic"), steps=1, **settings)


def test_heredity_objectives_need_a_self_building_genome():
    with pytest.raises(UserError, match="self-building"):
        fit(GenomeSpec(), ToyTask("quadratic"), steps=1, lineage_depth=2)
    with pytest.raises(UserError, match="self-building"):
        fit(GenomeSpec(), ToyTask("quadratic"), steps=1, contraction_weight=0.5)


def test_a_quines_copy_is_linear_in_its_own_last_layer_so_its_jacobian_norm_is_at_least_one_when_exact():
    """The premise of docs/results.md's bound: the copy of the last layer L is M(A) L, so an exact
    copy makes L an eigenvector of M with eigenvalue 1, and ||J|| >= ||M|| >= 1."""
    genomes = fresh_genomes(SPEC, 2, torch.Generator().manual_seed(3))
    top = SPEC.levels[SPEC.depth]
    last = top.num_params - (top.sizes[-2] * top.sizes[-1] + top.sizes[-1])
    scaled = genomes.clone()
    scaled[:, last : SPEC.builder_size] *= 2.5
    assert torch.allclose(unrounded_copy(SPEC, scaled), 2.5 * unrounded_copy(SPEC, genomes), rtol=1e-5, atol=1e-6)
