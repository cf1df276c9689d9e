"""Every strategy through one ask/tell test; then the GA's own promises."""

import pytest
import torch

from eve_arena.errors import UserError
from eve_arena.strategies import STRATEGIES, GeneticAlgorithm


@pytest.mark.parametrize("name", sorted(STRATEGIES))
def test_strategy_maximises_a_concave_function(name):
    """Fitness -||x - 1||^2 in 10 dimensions: the population must close in on x = 1."""
    strategy = STRATEGIES[name]()
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
    strategy = STRATEGIES[name]()
    state = strategy.init(torch.randn(8, 3, generator=torch.Generator().manual_seed(0)))
    before = strategy.ask(state)[0].clone()
    strategy.tell(state, torch.arange(8.0), torch.Generator().manual_seed(1))
    torch.testing.assert_close(strategy.ask(state)[0], before)


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
    ga = GeneticAlgorithm(sigma=0.1, sigma_decay=0.5, sigma_min=0.02)
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
