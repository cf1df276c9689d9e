"""Every strategy through one ask/tell test; then the GA's, PGPE's and CMA-ES's own promises."""

import json

import cma
import numpy as np
import pytest
import torch
from safetensors.torch import load_file, save_file

from eve_arena.errors import UserError
from eve_arena.runs import read_metrics, run_arena, start_run
from eve_arena.strategies import CMAES, PGPE, STRATEGIES, GeneticAlgorithm
from eve_arena.strategies.cmaes import DIAGONAL_ABOVE, numpy_rng
from eve_arena.strategies.es import centered_ranks, first_generator



# Step sizes for these 10-D test problems, whose optimum lies 1 away from the start; the
# defaults are tuned for genomes (the GA's anneals to 0.003, too slow to cross that distance).
TEST_SETTINGS = {"ga": {"sigma": 0.05, "sigma_decay": 1.0, "sigma_min": 0.0}}


def make(name):
    return STRATEGIES[name](**TEST_SETTINGS.get(name, {}))

@pytest.mark.parametrize("name", sorted(STRATEGIES))
def test_strategy_maximises_a_concave_function(name):
    """Fitness -||x - 1||^2 in 10 dimensions: the population must close in on x = 1."""
    strategy = make(name)
    generator = torch.Generator().manual_seed(0)
    state = strategy.init(torch.zeros(32, 10))
    for _ in range(150):
        population, ids = strategy.ask(state)
        assert population.shape == (32, 10) and ids.shape == (32,)
        state = strategy.tell(state, -((population - 1) ** 2).sum(1), generator)
    best = -((strategy.ask(state)[0] - 1) ** 2).sum(1).max()
    assert best > -1.0  # from -10 at x = 0


@pytest.mark.parametrize("name", sorted(STRATEGIES))
def test_tell_does_not_modify_its_input(name):
    strategy = make(name)
    state = strategy.init(torch.randn(8, 3, generator=torch.Generator().manual_seed(0)))
    before = [v.clone() if isinstance(v, torch.Tensor) else v for v in state]
    strategy.tell(state, torch.arange(8.0), torch.Generator().manual_seed(1))
    torch.testing.assert_close(strategy.ask(state)[0], before[0])
    for field, value, old in zip(state._fields, state, before):
        assert torch.equal(value, old) if isinstance(value, torch.Tensor) else value == old, field


def _advance(strategy, state, generations: int, first: int):
    """``generations`` tells on a rotated ellipsoid, generation g with its own generator (as the arena)."""
    for g in range(first, first + generations):
        population, _ = strategy.ask(state)
        x = population.double() - 1
        fitness = -(x**2 * torch.logspace(0, 2, x.shape[1], dtype=torch.float64)).sum(1) - 3 * (x[:, 0] * x[:, -1])
        state = strategy.tell(state, fitness, torch.Generator().manual_seed(1000 + g))
    return state


def _equal_states(a, b) -> bool:
    return type(a) is type(b) and all(
        torch.equal(x, y) and x.dtype == y.dtype if isinstance(x, torch.Tensor) else x == y for x, y in zip(a, b)
    )


@pytest.mark.parametrize("name", sorted(STRATEGIES))
def test_state_survives_a_checkpoint_bit_for_bit(name, tmp_path):
    """3 generations, a round trip through safetensors + JSON (as ``run.state_to_checkpoint``), 3 more."""
    strategy = make(name)
    genomes = torch.randn(12, 7, generator=torch.Generator().manual_seed(0))
    straight = _advance(strategy, _advance(strategy, strategy.init(genomes), 3, 0), 3, 3)

    state = _advance(strategy, strategy.init(genomes), 3, 0)
    tensors = {k: v for k, v in state._asdict().items() if isinstance(v, torch.Tensor)}
    scalars = json.loads(json.dumps({k: v for k, v in state._asdict().items() if k not in tensors}))
    save_file(tensors, str(tmp_path / "state.safetensors"))
    restored = strategy.state_type(**{**load_file(str(tmp_path / "state.safetensors")), **scalars})
    assert _equal_states(restored, state)
    assert _equal_states(_advance(strategy, restored, 3, 3), straight)


@pytest.mark.parametrize("name", sorted(STRATEGIES))
def test_a_stopped_and_resumed_run_matches_an_uninterrupted_one(name, tmp_path, tiny_config):
    """The same promise through ``run_arena``'s real checkpoints, with the strategy's own defaults."""
    config = tiny_config(generations=8, checkpoint_every=3, strategy=name, strategy_kwargs={})
    for run in ("whole", "stopped"):
        start_run(config, tmp_path / run)
    run_arena(tmp_path / "whole", progress=False)
    run_arena(tmp_path / "stopped", progress=False, stop_after=5)  # resumes from generation 3
    run_arena(tmp_path / "stopped", progress=False)
    whole, stopped = (read_metrics(tmp_path / run) for run in ("whole", "stopped"))
    assert [{k: v for k, v in r.items() if not k.startswith("time/")} for r in whole] == [
        {k: v for k, v in r.items() if not k.startswith("time/")} for r in stopped
    ]


@pytest.mark.parametrize("name", sorted(STRATEGIES))
def test_same_generators_give_the_same_states_whatever_the_global_rngs(name):
    strategy = make(name)
    genomes = torch.randn(10, 5, generator=torch.Generator().manual_seed(0))
    runs = []
    for seed in (1, 2):
        np.random.seed(seed)
        torch.manual_seed(seed)
        runs.append(_advance(strategy, strategy.init(genomes), 4, 0))
    assert _equal_states(*runs)


def _climb_with_broken(strategy, broken) -> torch.Tensor:
    """150 generations on -||x - 1||^2 from x = 0 (population 32, 10-D), the rows ``broken(population,
    generation)`` selects scoring NaN; returns the last population asked for."""
    state = strategy.init(torch.zeros(32, 10))
    for g in range(150):
        population, _ = strategy.ask(state)
        fitness = -((population - 1) ** 2).sum(1)
        fitness[broken(population, g)] = float("nan")
        state = strategy.tell(state, fitness, torch.Generator().manual_seed(g))
    return strategy.ask(state)[0]


@pytest.mark.parametrize("name", sorted(STRATEGIES))
def test_half_nan_fitness_still_improves(name):
    """A random half of every generation comes back NaN (broken genomes): the rest must still lead."""
    strategy = make(name)
    population = _climb_with_broken(strategy, lambda population, g: torch.randperm(32, generator=torch.Generator().manual_seed(g))[:16])
    assert -((population - 1) ** 2).sum(1).max() > -1.0


@pytest.mark.parametrize("name", sorted(STRATEGIES))
def test_a_cliff_of_nan_fitness_is_not_crossed(name):
    """Genomes with x_0 > 0.5 break (NaN): the strategy must climb towards x = 1 along the cliff's edge."""
    strategy = make(name)
    population = _climb_with_broken(strategy, lambda population, g: population[:, 0] > 0.5)
    whole = population[:, 0] <= 0.5
    assert whole.float().mean() >= 0.5 and -((population[whole] - 1) ** 2).sum(1).max() > -1.0  # best: -0.25


def test_nan_fitness_never_gives_the_center_its_direction():
    """One pair: the NaN end ranks below the finite one, so the center moves away from it."""
    pgpe = PGPE(center_lr=0.1, momentum=0.0)
    state = pgpe.init(torch.zeros(2, 4))
    for nan_row in (0, 1):
        fitness = torch.tensor([-1e9, -1e9])
        fitness[nan_row] = float("nan")
        nxt = pgpe.tell(state, fitness, torch.Generator().manual_seed(0))
        away = state.population[1 - nan_row] - state.center
        assert torch.dot(nxt.center - state.center, away) > 0


def test_pgpe_steps_back_when_every_candidate_breaks():
    pgpe = PGPE()
    state = pgpe.init(torch.zeros(8, 3))
    for g in range(3):
        state = pgpe.tell(state, -((state.population - 1) ** 2).sum(1), torch.Generator().manual_seed(g))
    broken = pgpe.tell(state, torch.tensor([float("nan"), -float("inf")] * 4), torch.Generator().manual_seed(3))
    assert torch.equal(broken.center, state.center - state.velocity) and not broken.velocity.any()
    assert torch.equal(broken.stdev, state.stdev)


def test_pgpe_with_adam_climbs_and_its_center_follows_a_live_torch_adam():
    """Adam's moments and step count survive in the state: the centers equal one live optimizer's."""
    pgpe = PGPE(optimizer="adam", center_lr=0.05, stdev=0.1)
    state = pgpe.init(torch.zeros(32, 10))
    live = torch.zeros(10, requires_grad=True)
    opt = torch.optim.Adam([live], lr=0.05, betas=(0.9, 0.999), maximize=True)
    for g in range(150):
        fitness = -((state.population - 1) ** 2).sum(1)
        utility = centered_ranks(fitness).to(torch.float32)
        live.grad = ((utility[0::2] - utility[1::2]) / 2) @ (state.population[0::2] - state.center) / 16
        opt.step()
        state = pgpe.tell(state, fitness, torch.Generator().manual_seed(g))
        torch.testing.assert_close(state.center, live.detach(), rtol=0, atol=1e-6)
    assert state.steps == 150
    assert -((state.center - 1) ** 2).sum() > -0.1  # from -10 at x = 0


def test_pgpe_with_adam_steps_back_when_every_candidate_breaks():
    pgpe = PGPE(optimizer="adam")
    state = pgpe.init(torch.zeros(8, 3))
    for g in range(3):
        state = pgpe.tell(state, -((state.population - 1) ** 2).sum(1), torch.Generator().manual_seed(g))
    broken = pgpe.tell(state, torch.full((8,), float("nan")), torch.Generator().manual_seed(3))
    assert torch.equal(broken.center, state.center - state.last_step) and not broken.last_step.any()


def test_centered_ranks_put_nan_last_and_share_ties():
    ranks = centered_ranks(torch.tensor([3.0, float("nan"), 1.0, float("nan"), 3.0]))
    assert ranks.tolist() == [0.375, -0.375, 0.0, -0.375, 0.375]
    assert centered_ranks(torch.tensor([0.0, 1.0, 2.0])).tolist() == [-0.5, 0.0, 0.5]


def test_pgpe_pairs_mirror_around_the_center_and_ids_are_fresh():
    pgpe = PGPE()
    state = pgpe.init(torch.randn(16, 6, generator=torch.Generator().manual_seed(0)))
    for g in range(3):
        population, ids = pgpe.ask(state)
        torch.testing.assert_close((population[0::2] + population[1::2]) / 2, state.center.expand(8, 6))
        assert not torch.equal(population[0::2], population[1::2])
        assert ids.tolist() == list(range(16 * g, 16 * (g + 1))) and state.next_id == 16 * (g + 1)
        state = pgpe.tell(state, torch.randn(16, generator=torch.Generator().manual_seed(g)), torch.Generator().manual_seed(g))


def test_pgpe_starts_at_the_first_genome():
    genomes = torch.randn(4, 3, generator=torch.Generator().manual_seed(0))
    assert torch.equal(PGPE().init(genomes).center, genomes[0])
    assert torch.equal(CMAES().init(genomes).mean, genomes[0].double())


@pytest.mark.parametrize(("diagonal", "dim"), [(False, 6), (False, 60), (True, 6)])
def test_cma_restore_matches_a_live_pycma_run(diagonal, dim):
    """Rebuilding pycma from the state at every tell computes exactly what one live pycma object does.

    In 60 dimensions pycma decomposes C lazily (not every generation), which the state must carry.
    """
    strategy = CMAES(sigma=0.3, diagonal=diagonal)
    genomes = torch.randn(10, dim, generator=torch.Generator().manual_seed(0))
    state = strategy.init(genomes)
    source = {"rng": numpy_rng(first_generator(genomes))}
    options = strategy.options(dim, 10, lambda *shape: source["rng"].standard_normal(shape))
    live = cma.CMAEvolutionStrategy(genomes[0].double().numpy(), 0.3, options)
    population = torch.from_numpy(np.array(live.ask())).float()
    scale = torch.logspace(0, 3, dim, dtype=torch.float64)
    for g in range(60):
        assert torch.equal(population, state.population), g
        fitness = -((population.double() - 1) ** 2 * scale).sum(1)
        source["rng"] = numpy_rng(torch.Generator().manual_seed(g))
        live.tell(list(population.double().numpy()), (-centered_ranks(fitness)).tolist(), check_points=False)
        population = torch.from_numpy(np.array(live.ask())).float()
        state = strategy.tell(state, fitness, torch.Generator().manual_seed(g))
    assert torch.equal(state.population, population)
    assert torch.equal(state.mean, torch.from_numpy(live.mean)) and state.sigma == live.sigma
    assert torch.equal(state.pc, torch.from_numpy(live.pc)) and torch.equal(state.ps, torch.from_numpy(live.adapt_sigma.ps))
    if diagonal:
        assert torch.equal(state.scaling, torch.from_numpy(live.sigma_vec.scaling))
    else:
        assert torch.equal(state.cov, torch.from_numpy(live.sm.C)) and torch.equal(state.cov_eigvecs, torch.from_numpy(live.sm.B))
        assert 3 < live.sm.count_eigen and (dim < 60 or live.sm.count_eigen < live.sm.count_tell)
    start, end = (-((m - 1) ** 2 * scale).sum() for m in (genomes[0].double(), state.mean))
    assert end > 0.1 * start  # and it climbs


def test_cma_picks_the_diagonal_variant_for_long_genomes():
    long, short = DIAGONAL_ABOVE + 1, DIAGONAL_ABOVE
    diagonal = CMAES().init(torch.zeros(8, long))
    assert diagonal.cov.numel() == 0 and diagonal.scaling.shape == (long,)
    full = CMAES().init(torch.zeros(8, short))
    assert full.cov.shape == (short, short) and full.scaling.numel() == 0
    assert CMAES(diagonal=False).init(torch.zeros(8, long)).cov.shape == (long, long)
    assert CMAES(diagonal=True).init(torch.zeros(8, short)).cov.numel() == 0


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: PGPE().init(torch.zeros(63, 3)), "even population, got 63; use 64"),
        (lambda: PGPE(stdev=-0.1), "stdev"),
        (lambda: PGPE(stdev=float("nan")), "stdev"),
        (lambda: PGPE(stdev=float("inf")), "stdev"),
        (lambda: PGPE(center_lr=0), "center_lr"),
        (lambda: PGPE(center_lr=-1e-3), "center_lr"),
        (lambda: PGPE(max_speed=0), "max_speed"),
        (lambda: PGPE(momentum=1.0), "momentum"),
        (lambda: PGPE(stdev_lr=-0.1), "stdev_lr"),
        (lambda: PGPE(stdev_max_change=0), "stdev_max_change"),
        (lambda: PGPE(stdev_max_change=1), "stdev_max_change"),
        (lambda: PGPE(stdev_min=0.1, stdev_max=0.01), "stdev_min"),
        (lambda: PGPE(stdev=0.01, stdev_min=0.02), "stdev_min"),
        (lambda: CMAES(sigma=0), "sigma"),
        (lambda: CMAES(sigma=float("nan")), "sigma"),
        (lambda: CMAES(diagonal="yes"), "diagonal"),
        (lambda: CMAES().init(torch.zeros(3, 5)), "at least 4"),
    ],
)
def test_bad_es_settings_are_user_errors(make, message):
    with pytest.raises(UserError, match=message) as error:
        make()
    assert "\n" not in str(error.value)


def test_ga_keeps_elites_with_their_ids_and_never_selects_nan():
    ga = GeneticAlgorithm(elite=2, parent_fraction=0.5, sigma=0.1)
    pop = torch.arange(8.0)[:, None].repeat(1, 4)
    state = ga.init(pop)
    fitness = torch.tensor([0.0, 1.0, 2.0, 3.0, 4.0, 5.0, float("nan"), float("nan")])
    nxt = ga.tell(state, fitness, torch.Generator().manual_seed(0))
    torch.testing.assert_close(nxt.population[:2], pop[[5, 4]])
    assert nxt.ids[:2].tolist() == [5, 4] and set(nxt.ids[2:].tolist()) == set(range(8, 14))
    parents_rows = torch.round(nxt.population[2:].mean(1))
    assert set(parents_rows.tolist()) <= {5.0, 4.0, 3.0, 2.0}  # children of the top half, never of the NaN rows


def test_ga_sigma_anneals_to_its_floor():
    ga = GeneticAlgorithm(elite=1, sigma=0.1, sigma_decay=0.5, sigma_min=0.02)
    state = ga.init(torch.zeros(4, 2))
    for _ in range(5):
        state = ga.tell(state, torch.zeros(4), torch.Generator().manual_seed(0))
    assert state.sigma == pytest.approx(0.02)


def test_ga_is_deterministic_given_the_generator():
    ga = GeneticAlgorithm(crossover=0.5)
    state = ga.init(torch.randn(10, 5, generator=torch.Generator().manual_seed(0)))
    a = ga.tell(state, torch.arange(10.0), torch.Generator().manual_seed(3))
    b = ga.tell(state, torch.arange(10.0), torch.Generator().manual_seed(3))
    assert torch.equal(a.population, b.population)


@pytest.mark.parametrize("kwargs", [{"elite": -1}, {"sigma": -0.1}, {"parent_fraction": 0}, {"crossover": 2}, {"sigma_decay": 0}])
def test_bad_ga_settings_are_user_errors(kwargs):
    with pytest.raises(UserError):
        GeneticAlgorithm(**kwargs)
