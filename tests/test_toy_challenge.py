"""The two-role toy world: challengers choose the solvers' inputs and are paid regret within reach."""

import math

import numpy as np
import pytest
from pettingzoo.test import parallel_api_test

from eve_arena.envs.plugins import check_contract
from eve_arena.envs.challenge import INVALID_CHALLENGE
from eve_arena.envs.toy_challenge import ToyChallengeEnv
from eve_arena.errors import UserError


def truth(x):
    return 10 * x**2 + 2


def knows_up_to(reach_x: float, beyond):
    """A solver that is right for |x| <= reach_x and answers ``beyond(x)`` further out."""
    return lambda x: np.where(np.abs(x) <= reach_x, truth(x), beyond(x)).astype(np.float32)


def play(env, solvers: dict, choices: dict, steps: int):
    """Plays ``steps`` steps with fixed solvers and fixed challenger actions; the list of (rewards, infos)."""
    env.reset(seed=0)
    out = []
    for _ in range(steps):
        actions = {a: solvers[a](env._x) for a in env.solvers} | {a: np.asarray(choices[a], np.float32) for a in env.challengers}
        _, rewards, _, _, infos = env.step(actions)
        out.append((rewards, infos))
    return out


def test_passes_the_parallel_api_test_and_names_its_roles():
    env = ToyChallengeEnv(num_solvers=3, num_challengers=2)
    parallel_api_test(env, num_cycles=10)
    assert env.roles == {"solver": ["solver_0", "solver_1", "solver_2"], "challenger": ["challenger_0", "challenger_1"]}
    assert env.observation_space("solver_0")["x"].shape == (64,) and env.action_space("challenger_1").shape == (2,)


def test_a_challenger_that_asks_the_unanswerable_earns_nothing():
    """Solver 0 knows the quadratic out to |x| = 3.5, solvers 1 and 2 only to 1; beyond what
    they know, solver 0 answers 0 and the others extrapolate wildly. Far out (x near 4) every loss
    is huge and the solvers differ by far the most: a plain regret would pay that challenger best.
    Within reach pays the challenger that asks where solver 0 is right and the others are not."""
    solvers = {"solver_0": knows_up_to(3.5, lambda x: 0 * x), "solver_1": knows_up_to(1.0, lambda x: truth(x) + 50 * (np.abs(x) - 1) ** 3)}
    solvers["solver_2"] = solvers["solver_1"]
    choices = {"challenger_0": [4.0, math.log(0.05)], "challenger_1": [2.0, math.log(0.2)], "challenger_2": [0.0, math.log(0.3)]}
    env = ToyChallengeEnv(num_solvers=3, num_challengers=3, batch_size=120)
    (first, _), (rewards, infos) = play(env, solvers, choices, steps=2)
    assert all(first[a] == 0 for a in env.challengers)  # the first step's shares were base draws
    unanswerable, learnable, answered = (rewards[a] for a in env.challengers)
    assert unanswerable == 0 and not infos["challenger_0"]["within_reach"]
    assert learnable > 100 and infos["challenger_1"]["within_reach"]  # the gap, in units of the best solver's base MSE + noise^2
    assert answered == pytest.approx(0, abs=1e-9)  # every solver is right there: no regret
    # What the gate removes: a plain regret (mean minus best MSE) is 200x larger far out than where it is learnable.
    def plain_regret(x):
        losses = [np.mean((solvers[s](x) - truth(x)) ** 2) for s in ("solver_0", "solver_1", "solver_2")]
        return np.mean(losses) - min(losses)

    assert plain_regret(np.full(10, 4.0)) > 200 * plain_regret(np.full(10, 2.0))


def test_out_of_bounds_choices_are_clipped_and_logged_and_nan_loses():
    env = ToyChallengeEnv(num_solvers=2, num_challengers=2, batch_size=30, x_bound=3.0)
    env.reset(seed=1)
    solver = {a: truth(env._x) for a in env.solvers}
    _, rewards, _, _, infos = env.step(solver | {"challenger_0": np.array([50.0, 9.0], np.float32), "challenger_1": np.array([np.nan, 0.0], np.float32)})
    assert infos["challenger_0"]["clipped"] and infos["challenger_0"]["center"] == 3.0 and infos["challenger_0"]["spread"] == pytest.approx(3.0)
    assert infos["challenger_1"]["invalid"] and rewards["challenger_1"] == INVALID_CHALLENGE < rewards["challenger_0"]
    assert np.abs(env._x).max() <= 3.0  # the next batch, drawn as challenger_0 chose, inside the bounds
    broken = {"solver_0": np.full(30, np.nan, np.float32), "solver_1": truth(env._x)}
    _, rewards, _, _, infos = env.step(broken | {a: np.zeros(2, np.float32) for a in env.challengers})
    assert infos["solver_0"]["invalid"] and rewards["solver_0"] < rewards["solver_1"]
    assert all(np.isfinite(rewards[a]) for a in env.challengers)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"num_challengers": 0}, "num_challengers must be a positive integer"),
        ({"num_challengers": 4, "batch_size": 6}, "batch_size 6 with base_fraction 0.5 leaves 3 inputs for 4 challengers"),
        ({"base_fraction": 1.0}, "base_fraction must be a number in"),
        ({"x_bound": float("nan")}, "x_bound must be a positive number"),
        ({"reach": -1.0}, "reach must be a positive number"),
        ({"render_mode": "svg"}, "draws in render_mode 'human' or 'rgb_array'"),
        ({"min_spread": 4.0}, r"min_spread must be a number in \(0, x_bound = 4\)"),
        ({"solver_score": "rank"}, "solver_score must be 'mse' or 'log_share'"),
        ({"regret": "log"}, "regret must be 'ratio' or 'bounded'"),
    ],
)
def test_bad_arguments_are_one_line(kwargs, message):
    with pytest.raises(UserError, match=message):
        ToyChallengeEnv(**kwargs)


def test_a_one_population_run_refuses_a_world_with_roles():
    with pytest.raises(UserError, match=r"its agents come in roles .*solver_0.*challenger_0"):
        check_contract(ToyChallengeEnv(), "toy_challenge")


def test_mpe_simple_tag_predators_and_prey_are_refused_as_roles():
    simple_tag = pytest.importorskip("mpe2.simple_tag_v3")
    with pytest.raises(UserError, match=r"roles with different spaces \('adversary_0': observation Box\(-inf, inf, \(16,\)"):
        check_contract(simple_tag.parallel_env(continuous_actions=True), "mpe2.simple_tag_v3")


def test_log_share_scoring_keeps_a_far_share_from_outweighing_the_base_share():
    """Two solvers: one exact near 0 and 50% off beyond |x| > 3, one 1.0 off everywhere near 0 but
    exact far out. By whole-batch MSE the far share decides (the second wins); by log MSE per share,
    weighted by size, the 7/8 of the batch near 0 does (the first wins)."""
    near_exact = knows_up_to(3.0, lambda x: 1.5 * truth(x))
    far_exact = lambda x: np.where(np.abs(x) <= 3.0, truth(x) + 1.0, truth(x)).astype(np.float32)  # noqa: E731
    solvers = {"solver_0": near_exact, "solver_1": far_exact}
    wins = {}
    for score in ("mse", "log_share"):
        env = ToyChallengeEnv(num_solvers=2, num_challengers=1, batch_size=64, base_fraction=0.875, min_spread=0.5, solver_score=score)
        rewards, _ = play(env, solvers, {"challenger_0": [3.7, math.log(0.5)]}, steps=2)[1]
        wins[score] = max(env.solvers, key=rewards.get)
    assert wins == {"mse": "solver_1", "log_share": "solver_0"}


def test_the_least_spread_bounds_what_a_challenger_may_ask():
    env = ToyChallengeEnv(num_solvers=2, num_challengers=1, min_spread=0.5)
    assert math.exp(env.action_space("challenger_0").low[1]) == pytest.approx(0.5)
    _, infos = play(env, {a: truth for a in env.solvers}, {"challenger_0": [4.0, math.log(0.05)]}, steps=1)[0]
    assert infos["challenger_0"]["clipped"] and infos["challenger_0"]["spread"] == pytest.approx(0.5)


def test_bounded_regret_pays_at_most_one_so_the_bound_cannot_outpay_every_other_share():
    """One solver exact everywhere, two right only near 0 (half the truth beyond |x| > 1): the
    ratio regret pays the share at the bound ~15x the share at x = 2, the bounded one about the same."""
    solvers = {"solver_0": truth, "solver_1": knows_up_to(1.0, lambda x: 0.5 * truth(x)), "solver_2": knows_up_to(1.0, lambda x: 0.5 * truth(x))}
    choices = {"challenger_0": [4.0, math.log(0.5)], "challenger_1": [2.0, math.log(0.5)]}
    paid = {}
    for form in ("ratio", "bounded"):
        env = ToyChallengeEnv(num_solvers=3, num_challengers=2, batch_size=64, base_fraction=0.5, min_spread=0.5, regret=form)
        rewards, infos = play(env, solvers, choices, steps=2)[1]
        assert infos["challenger_0"]["within_reach"] and infos["challenger_1"]["within_reach"]
        paid[form] = rewards["challenger_0"] / rewards["challenger_1"]
        if form == "bounded":
            assert 0.9 < rewards["challenger_0"] < 1 and 0.9 < rewards["challenger_1"] < 1
    assert paid["ratio"] > 5 and paid["bounded"] == pytest.approx(1.0, abs=0.05)
