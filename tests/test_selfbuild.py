"""Self-building (quine) and residual genomes: development, fidelity, training, reproduction, runs."""

import json

import numpy as np
import pytest
import torch

from eve_arena.arena import Arena
from eve_arena.cli import main
from eve_arena.config import ArenaConfig
from eve_arena.develop import develop_flat, raw_outputs
from eve_arena.errors import UserError
from eve_arena.founders import fresh_genomes
from eve_arena.genome import GenomeSpec, seed_base
from eve_arena.mlp import ACTIVATIONS
from eve_arena.genome import on_grid
from eve_arena.selfbuild import exact_copies, fidelity, grid_miss, offspring, self_coordinates, self_copy, unrounded_copy
from eve_arena.strategies import GeneticAlgorithm
from eve_arena.tasks import ToyTask
from eve_arena.train import fit, regenerate

QUINE = GenomeSpec(encoding="fourier", fourier_features=8, self_build="quine")


def _self_copy_by_hand(spec: GenomeSpec, genome: torch.Tensor) -> torch.Tensor:
    """One weight at a time: ask the net for row j // w, read slot j % w, scale by sqrt(2 / fan_in)."""
    shape = spec.levels[spec.depth]
    layers, at = [], 0
    for out, inp in shape.layers:
        layers.append((genome[at : at + out * inp].reshape(out, inp), genome[at + out * inp : at + out * inp + out]))
        at += out * inp + out
    coords = self_coordinates(spec)
    width = spec.emit_width(spec.depth - 1)
    fan_ins = [inp for out, inp in shape.layers for _ in range(out * inp + out)]
    copy = []
    for j in range(shape.num_params):
        h = coords[j // width]
        for k, (w, b) in enumerate(layers):
            h = w @ h + b
            h = ACTIVATIONS[spec.activation](h) if k < len(layers) - 1 else h
        copy.append(h[j % width] * (2.0 / fan_ins[j]) ** 0.5)
    return torch.stack(copy)


@pytest.mark.parametrize("spec", [QUINE, GenomeSpec(target=(3, 6, 4), encoding="fourier", fourier_features=4, emit="column", self_build="quine"), GenomeSpec(depth=2, self_build="quine")], ids=["weight", "column", "depth2"])
def test_a_quine_writes_each_of_its_weights_from_that_weights_self_coordinate(spec):
    genomes = fresh_genomes(spec, 3, torch.Generator().manual_seed(0))
    batched = self_copy(spec, genomes)
    assert batched.shape == (3, spec.builder_size)
    torch.testing.assert_close(batched[1], _self_copy_by_hand(spec, genomes[1]), rtol=1e-4, atol=1e-5)
    coords = self_coordinates(spec)
    assert coords.shape == (-(-spec.builder_size // spec.emit_width(spec.depth - 1)), spec.levels[spec.depth].sizes[0])
    assert coords.abs().max() <= 1 and torch.equal(coords, self_coordinates(GenomeSpec.from_dict(spec.to_dict())))  # fixed by the seed


def test_fidelity_is_the_relative_replication_error_and_a_zero_genome_scores_one():
    genomes = fresh_genomes(QUINE, 4, torch.Generator().manual_seed(1))
    rho, norm = fidelity(QUINE, genomes)
    expected = ((self_copy(QUINE, genomes) - genomes) ** 2).sum(1) / (genomes**2).sum(1)
    torch.testing.assert_close(rho, expected)
    torch.testing.assert_close(norm, genomes.norm(dim=1))
    rho_zero, norm_zero = fidelity(QUINE, torch.zeros(1, QUINE.genome_size))
    assert rho_zero.item() == 1.0 and norm_zero.item() == 0.0
    residual = GenomeSpec(encoding="fourier", fourier_features=8, self_build="residual")
    change = self_copy(residual, genomes) - genomes  # a residual self-builder writes the change
    torch.testing.assert_close(fidelity(residual, genomes)[0], (change**2).sum(1) / (genomes**2).sum(1))


def test_training_with_a_replication_weight_lowers_rho_without_shrinking_the_weights():
    task = ToyTask()
    plain = fit(QUINE, task, count=2, steps=400, seed=0)
    quine = fit(QUINE, task, count=2, steps=400, seed=0, replication_weight=100.0)
    start_norm = fresh_genomes(QUINE, 2, torch.Generator().manual_seed(0)).norm(dim=1)
    rho_plain, _ = fidelity(QUINE, plain.genomes)
    rho_quine, norm_quine = fidelity(QUINE, quine.genomes)
    assert (rho_quine < 0.5 * rho_plain).all()
    assert (norm_quine > 0.8 * start_norm).all()  # not replication by shrinking
    assert quine.rho.shape == (400, 2) and quine.rho[-1].mean() < quine.rho[0].mean()
    assert plain.rho is not None and fit(GenomeSpec(), task, steps=2).rho is None


def test_regeneration_replaces_weights_by_the_self_copy_unless_it_breaks():
    genomes = fresh_genomes(QUINE, 3, torch.Generator().manual_seed(2))
    genomes[2, 0] = float("inf")  # its self-copy is not finite
    expected = self_copy(QUINE, genomes)
    regenerated = genomes.clone()
    regenerate(QUINE, regenerated)
    torch.testing.assert_close(regenerated[:2], expected[:2])
    assert torch.equal(regenerated[2], genomes[2]) and not torch.isfinite(expected[2]).all()
    result = fit(QUINE, ToyTask(), steps=6, regenerate_every=3, replication_weight=1.0)
    assert torch.isfinite(result.genomes).all()


def test_fit_rejects_what_it_cannot_train():
    with pytest.raises(UserError, match="self-building"):
        fit(GenomeSpec(), ToyTask(), steps=1, replication_weight=1.0)
    with pytest.raises(UserError, match="no parent"):
        fit(GenomeSpec(residual="parent"), ToyTask(), steps=1)
    with pytest.raises(UserError, match="replication_weight"):
        fit(QUINE, ToyTask(), steps=1, replication_weight=float("nan"))


def test_spec_options_are_checked_and_round_trip():
    for bad, match in (({"self_build": "yes"}, "unknown self_build"), ({"depth": 0, "self_build": "quine"}, "needs a hypernet"), ({"residual": "base"}, "unknown residual"), ({"depth": 0, "residual": "seed"}, "needs a hypernet")):
        with pytest.raises(UserError, match=match):
            GenomeSpec(**bad)
    spec = GenomeSpec(depth=2, self_build="residual", residual="parent")
    assert GenomeSpec.from_dict(json.loads(spec.to_json())) == spec
    assert spec.genome_size == spec.builder_size + spec.target_size


def test_a_residual_hypernet_writes_a_small_change_to_its_base():
    seeded = GenomeSpec(encoding="fourier", residual="seed")
    genomes = fresh_genomes(seeded, 6, torch.Generator().manual_seed(0))
    base = seed_base(seeded)
    change = develop_flat(seeded, genomes) - base
    torch.testing.assert_close(change, develop_flat(GenomeSpec(encoding="fourier"), genomes))  # the plain hypernet's output, added
    assert 0.05 < (raw_outputs(seeded, genomes)[-1].std(1) / 0.1).median() < 2  # calibrated to a tenth of a weight
    parent_based = GenomeSpec(encoding="fourier", residual="parent", depth=2)
    genomes = fresh_genomes(parent_based, 3, torch.Generator().manual_seed(0))
    bases = genomes[:, parent_based.builder_size :]
    assert not torch.equal(bases[0], bases[1])  # every genome starts from its own random net
    change = develop_flat(parent_based, genomes) - bases
    assert 0.02 < raw_outputs(parent_based, genomes)[-1].std(1).median() < 0.5
    assert change.abs().max() < bases.abs().max()


def test_offspring_are_self_built_and_inherit_the_parents_net_as_base():
    spec = GenomeSpec(encoding="fourier", self_build="quine", residual="parent")
    parents = fresh_genomes(spec, 3, torch.Generator().manual_seed(0))
    children = offspring(spec, parents, self_built=True)
    torch.testing.assert_close(children[:, : spec.builder_size], self_copy(spec, parents))
    torch.testing.assert_close(children[:, spec.builder_size :], develop_flat(spec, parents))
    copies = offspring(spec, parents, self_built=False)
    assert torch.equal(copies[:, : spec.builder_size], parents[:, : spec.builder_size])
    assert torch.equal(offspring(QUINE, parents[:, : QUINE.genome_size], self_built=False), parents[:, : QUINE.genome_size])


def test_the_ga_breeds_through_the_genomes_self_copy():
    genomes = fresh_genomes(QUINE, 6, torch.Generator().manual_seed(0))
    ga = GeneticAlgorithm(elite=0, sigma=0.0, sigma_min=0.0, crossover=0.0, parent_fraction=1 / 6, reproduction="self")
    state = ga.init(genomes)
    fitness = torch.tensor([0.0, 5.0, 1.0, 2.0, 3.0, 4.0])  # genome 1 is the only parent
    children = ga.tell(state, fitness, torch.Generator().manual_seed(0), inherit=lambda p, s: offspring(QUINE, p, s)).population
    expected = self_copy(QUINE, genomes[1:2]).expand(6, -1)
    torch.testing.assert_close(children, expected)
    with pytest.raises(UserError, match="inherit"):
        ga.tell(state, fitness, torch.Generator().manual_seed(0))
    with pytest.raises(UserError, match="reproduction"):
        GeneticAlgorithm(reproduction="clone")


def test_run_settings_that_cannot_work_are_refused(tiny_config):
    with pytest.raises(UserError, match="builds itself"):
        tiny_config(strategy_kwargs={"reproduction": "self"})
    with pytest.raises(UserError, match="no parents"):
        tiny_config(genome=GenomeSpec(residual="parent"), strategy="pgpe")


def test_a_self_building_run_logs_rho_and_survives_exploding_lineages(tiny_config, tmp_path):
    """Untrained quines copy themselves badly: under self-built reproduction their lineages blow
    up within a few generations. The run must go on, never crown a broken genome, and log rho."""
    config = tiny_config(genome=GenomeSpec(encoding="fourier", fourier_features=8, self_build="quine"), strategy_kwargs={"reproduction": "self", "elite": 0})
    arena = Arena(config)
    population = arena.state.strategy_state.population.clone()
    population[3] = float("nan")
    arena.state.strategy_state = arena.state.strategy_state._replace(population=population)
    rows = [arena.step()]
    assert {"champion/rho", "champion/weight_norm", "population/rho_median", "population/weight_norm_median", "champion/child_rho", "champion/child_heldout_loss"} <= set(rows[0])
    assert rows[0]["population/invalid"] >= 1 and np.isfinite(rows[0]["champion/rho"])
    assert rows[0]["population/broken_genomes"] == 1  # the NaN genome: its lineage ends here, logged
    assert torch.isfinite(arena.state.champion).all()  # the NaN genome was not crowned
    rows += [arena.step() for _ in range(11)]
    assert torch.isfinite(arena.state.champion).all()
    from eve_arena.plots import plot_progress

    path = plot_progress(rows, tmp_path / "progress.png")
    assert path.stat().st_size > 10_000


def test_when_every_candidate_breaks_the_last_champion_stays(tiny_config):
    arena = Arena(tiny_config())
    arena.step()
    before = arena.state.champion.clone()
    broken = torch.full_like(arena.state.strategy_state.population, float("nan"))
    arena.state.strategy_state = arena.state.strategy_state._replace(population=broken)
    metrics = arena.step()
    assert metrics["champion/kept_previous"] == 1 and np.isnan(metrics["champion/heldout_loss"])
    assert torch.equal(arena.state.champion, before)


def test_a_residual_parent_lineage_accumulates_its_parents_nets(tiny_config):
    config = tiny_config(genome=GenomeSpec(encoding="fourier", fourier_features=8, residual="parent"), strategy_kwargs={"elite": 0, "sigma": 0.0, "sigma_min": 0.0, "crossover": 0.0})
    arena = Arena(config)
    parents = arena.state.strategy_state.population.clone()
    arena.step()
    children = arena.state.strategy_state.population
    developed = develop_flat(config.genome, parents)
    # Every child's base is one parent's developed net, and its hypernet that parent's.
    for child in children:
        match = [(child[config.genome.builder_size :] - net).abs().max() < 1e-6 for net in developed]
        assert any(match)
        parent = int(np.flatnonzero(match)[0])
        assert torch.equal(child[: config.genome.builder_size], parents[parent, : config.genome.builder_size])


def test_cli_self_building_tournament_and_one_line_errors(tmp_path, capsys):
    code = main(["tournament", "--out", str(tmp_path / "run"), "--generations", "3", "--population", "8", "--self-build", "quine", "--reproduction", "self", "--residual", "seed", "--no-progress"])
    assert code == 0
    config = ArenaConfig.load(tmp_path / "run" / "config.json")
    assert config.genome.self_build == "quine" and config.genome.residual == "seed" and config.strategy_kwargs["reproduction"] == "self"
    rows = [json.loads(line) for line in (tmp_path / "run" / "metrics.jsonl").read_text().splitlines()]
    assert "champion/rho" in rows[-1]
    capsys.readouterr()
    assert main(["tournament", "--out", str(tmp_path / "bad"), "--reproduction", "self", "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "self_build" in err and not (tmp_path / "bad").exists()


RESIDUAL_GRID = GenomeSpec(encoding="fourier", fourier_features=8, self_build="residual", grid_step=0.1)


def _writes_no_change(spec: GenomeSpec, genome: torch.Tensor, bias: float = 0.0) -> torch.Tensor:
    """The genome with its own net's last layer zeroed (its bias set to ``bias``): it writes the
    same small value (times each layer's fan-in gain, 0.29 to 0.45 here) everywhere, for itself too."""
    out, inp = spec.levels[spec.depth].layers[-1]
    genome = genome.clone()
    genome[:, spec.builder_size - out * inp - out : spec.builder_size - out] = 0
    genome[:, spec.builder_size - out : spec.builder_size] = bias
    return genome


def test_on_a_grid_a_copy_within_half_a_step_is_exact_for_ever():
    genomes = fresh_genomes(RESIDUAL_GRID, 2, torch.Generator().manual_seed(0))
    genomes[0:1] = _writes_no_change(RESIDUAL_GRID, genomes[0:1], bias=0.1)  # a change of 0.03 to 0.045 a weight, under half a step
    step = RESIDUAL_GRID.grid_step
    theta = on_grid(RESIDUAL_GRID, genomes)
    assert torch.equal(torch.round(theta / step) * step, theta)  # weights are read on the grid
    assert exact_copies(RESIDUAL_GRID, genomes).tolist() == [True, False]  # a fresh net writes changes far over half a step
    rho = fidelity(RESIDUAL_GRID, genomes)[0]
    assert rho[0] == 0 and rho[1] > 0
    lineage = genomes[0:1]
    for _ in range(10):
        lineage = offspring(RESIDUAL_GRID, lineage, self_built=True)
        assert torch.equal(lineage, theta[0:1])
    # Off the grid the same genome's copy drifts by that change every generation.
    plain = GenomeSpec(encoding="fourier", fourier_features=8, self_build="residual")
    assert fidelity(plain, theta[0:1])[0] > 0 and not torch.equal(self_copy(plain, theta[0:1]), theta[0:1])


def test_grid_miss_counts_only_errors_past_a_quarter_step():
    genomes = fresh_genomes(RESIDUAL_GRID, 3, torch.Generator().manual_seed(1))
    error = (unrounded_copy(RESIDUAL_GRID, genomes) - on_grid(RESIDUAL_GRID, genomes)[:, : RESIDUAL_GRID.builder_size]).abs()
    expected = (torch.relu(error - 0.025) / 0.1).pow(2).sum(1)
    torch.testing.assert_close(grid_miss(RESIDUAL_GRID, genomes), expected)
    assert grid_miss(RESIDUAL_GRID, _writes_no_change(RESIDUAL_GRID, genomes)).eq(0).all()


def test_training_on_a_grid_lowers_grid_miss_and_returns_genomes_on_the_grid():
    task = ToyTask("quadratic")
    start = fresh_genomes(RESIDUAL_GRID, 1, torch.Generator().manual_seed(0))
    result = fit(RESIDUAL_GRID, task, steps=150, lr=1e-2, replication_weight=1.0, genomes=start)
    assert torch.equal(on_grid(RESIDUAL_GRID, result.genomes), result.genomes)
    assert grid_miss(RESIDUAL_GRID, result.genomes) < 0.5 * grid_miss(RESIDUAL_GRID, start)


@pytest.mark.parametrize("bad", [0, -0.1, float("nan"), float("inf"), True])
def test_a_grid_step_that_cannot_be_honoured_is_one_line(bad):
    with pytest.raises(UserError, match="grid_step must be a positive finite number"):
        GenomeSpec(self_build="quine", grid_step=bad)
    with pytest.raises(UserError, match="grid_step is for a genome that builds itself"):
        GenomeSpec(grid_step=0.1)


def test_developmental_mutation_mutates_the_parent_before_it_builds_the_child():
    genomes = fresh_genomes(RESIDUAL_GRID, 4, torch.Generator().manual_seed(0))
    seen = []

    def inherit(parents, self_built):
        seen.append(parents.clone())
        return offspring(RESIDUAL_GRID, parents, self_built)

    fitness = torch.tensor([3.0, 2.0, 1.0, 0.0])
    ga = GeneticAlgorithm(elite=0, sigma=0.05, crossover=0.0, parent_fraction=0.5, reproduction="self", mutate="parent")
    children = ga.tell(ga.init(genomes), fitness, torch.Generator().manual_seed(0), inherit=inherit).population
    (mutants,) = seen
    assert len(mutants) == 4 and not any(torch.equal(m, g) for m in mutants for g in genomes)  # the mutants, not the parents
    torch.testing.assert_close(children, offspring(RESIDUAL_GRID, mutants, True))  # ... built the children, unmutated after
    with pytest.raises(UserError, match="mutate must be child or parent"):
        GeneticAlgorithm(mutate="both")


def test_a_grid_run_logs_whether_the_champion_copies_itself_exactly(tiny_config):
    config = tiny_config(genome=RESIDUAL_GRID, strategy_kwargs={"reproduction": "self", "mutate": "parent"})
    arena = Arena(config)
    metrics = arena.step()
    assert metrics["champion/copy_exact"] in (0, 1) and np.isfinite(metrics["champion/child_heldout_loss"])
    assert GenomeSpec.from_dict(json.loads(RESIDUAL_GRID.to_json())) == RESIDUAL_GRID
