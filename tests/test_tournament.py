"""Scheduling, ratings and matches."""

import numpy as np
import pytest
import torch

from eve_arena import ratings
from eve_arena.agents.baselines import ConstantPredictor, load_baseline
from eve_arena.agents.genome_agent import GenomeTeam
from eve_arena.envs import make_env
from eve_arena.errors import UserError
from eve_arena.genome import GenomeSpec
from eve_arena.match import play_match
from eve_arena.tournament import TournamentConfig, schedule


def test_groups_partition_the_population_and_add_hall_members():
    cfg = TournamentConfig(match_size=4, rounds=2, hall_of_fame_opponents=2)
    matches = schedule(cfg, population=10, hall_size=3, rng=np.random.default_rng(0))
    assert len(matches) == 2 * (10 // 4)
    for r in range(2):
        members = np.concatenate([m[m < 10] for m in matches[r * 2 : (r + 1) * 2]])
        assert sorted(members.tolist()) == list(range(10))
    for m in matches:
        hall = m[m >= 10]
        assert len(hall) == 2 and len(set(hall.tolist())) == 2 and hall.max() < 13


def test_free_for_all_puts_everyone_in_one_match():
    matches = schedule(TournamentConfig(match_size=0), population=7, hall_size=0, rng=np.random.default_rng(0))
    assert len(matches) == 1 and matches[0].tolist() == list(range(7))


def test_match_size_larger_than_population_is_rejected():
    with pytest.raises(UserError, match="smaller than the match size"):
        TournamentConfig(match_size=9).validate(population=8)


def test_ratings_follow_the_scores():
    mu, sigma = ratings.fresh(3)
    mu2, sigma2 = ratings.rate_match(mu, sigma, np.array([0, 1, 2]), np.array([-1.0, 5.0, 0.0]))
    assert mu2[1] > mu2[2] > mu2[0]
    assert (sigma2 < sigma).all()
    assert mu.tolist() == [25.0] * 3  # inputs untouched


def test_a_better_net_wins_the_match():
    spec = GenomeSpec(depth=0, target=(1, 1))
    genomes = torch.tensor([[10.0, 2.0], [0.0, 0.0]])  # y = 10x + 2 (exact on the linear task) and y = 0
    env = make_env("eve_arena/toy_linear-v0", num_agents=3, batch_size=32, max_steps=3)
    result = play_match(env, [GenomeTeam(spec, genomes), ConstantPredictor()], seed=0)
    assert result.returns.argmax() == 0
    assert result.info_means["mse"][0] < 0.05
    assert result.invalid_steps.tolist() == [0, 0, 0]


class WrongShapeAgent:
    size, name = 1, "wrong-shape"

    def __init__(self, env=None, seed=0):
        pass

    def reset(self):
        pass

    def act(self, observations, action_space):
        return [np.zeros(3, np.float32)]


def test_plug_in_agent_with_wrong_shape_gets_a_named_error():
    env = make_env("eve_arena/toy_linear-v0", num_agents=1, batch_size=8)
    agent = load_baseline("tests.test_tournament:WrongShapeAgent", env, 0)
    with pytest.raises(UserError, match=r"agent 'wrong-shape' \(seat agent_0\) returned an action of shape \(3,\); the environment expects \(8,\)"):
        play_match(env, [agent], seed=0)


def test_unknown_baseline_is_a_user_error():
    with pytest.raises(UserError, match="unknown baseline"):
        load_baseline("oracle", None, 0)
    with pytest.raises(UserError, match="cannot load agent"):
        load_baseline("no_such_module:Agent", None, 0)
