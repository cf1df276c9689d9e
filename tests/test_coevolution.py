"""Two populations evolving against each other: solvers and challengers in the two-role toy world."""

import math

import numpy as np
import pytest
import torch

from eve_arena.challenge_heldout import WideToyTask
from eve_arena.coevolution import CHALLENGER, Coevolution, CoevolutionConfig, Role
from eve_arena.config import ArenaConfig
from eve_arena.errors import UserError
from eve_arena.genome import GenomeSpec
from eve_arena.envs.toy_challenge import ToyChallengeEnv
from eve_arena.tasks import ToyTask


def small(**overrides):
    fields = dict(roles={"solver": Role(ArenaConfig().genome, 8), "challenger": Role(CHALLENGER.genome, 6)}, env_kwargs={"batch_size": 32, "max_steps": 2, "num_solvers": 4, "num_challengers": 2},
                  hall_of_fame=2, ladder_every=1, anchor_every=2, ladder_episodes=1)
    return CoevolutionConfig(**(fields | overrides))


def test_both_roles_evolve_and_the_run_repeats_exactly():
    runs = [Coevolution(small(seed=3)) for _ in range(2)]
    first_solvers = runs[0].states["solver"].population.clone()
    first_challengers = runs[0].states["challenger"].population.clone()
    histories = [[run.step() for _ in range(3)] for run in runs]
    assert histories[0] == histories[1]  # same seed, same generations, bit for bit
    metrics = histories[0][-1]
    assert {"champion/heldout_loss", "champion/wide_heldout_loss", "challenger/center_median", "challenger/spread_median", "challenger/regret_median", "solver/ladder_rating", "challenger/ladder_rating"} <= set(metrics)
    assert not any(key.startswith("solver/") and "center" in key for key in metrics)  # a challenger's info is no solver measure
    assert all(math.isfinite(v) for v in metrics.values())
    assert 0 <= metrics["challenger/distance_median"] <= 4.0 and 0.05 <= metrics["challenger/spread_median"] <= 4.0  # choices squashed into the world's bounds
    assert not torch.equal(runs[0].states["solver"].population, first_solvers) and not torch.equal(runs[0].states["challenger"].population, first_challengers)


def test_a_world_that_sizes_its_roles_seats_every_player_in_one_match():
    kwargs = {k: v for k, v in small().env_kwargs.items() if k not in ("num_solvers", "num_challengers")}
    run = Coevolution(small(env_kwargs=kwargs, ladder_every=0))
    for _ in range(2):
        run.step()
    # Generation 0: 8 solvers and 6 challengers; generation 1: each role's first champion joins them from the hall of fame.
    assert {key: len(layout.roles["solver"]) for key, layout in run._sized.items()} == {(8, 6): 8, (9, 7): 9}


def test_a_search_distributions_center_plays_and_may_be_champion(monkeypatch):
    kwargs = {k: v for k, v in small().env_kwargs.items() if k not in ("num_solvers", "num_challengers")}
    run = Coevolution(small(env_kwargs=kwargs, ladder_every=0, roles={"solver": Role(ArenaConfig().genome, 8, "pgpe"), "challenger": Role(CHALLENGER.genome, 6)}))
    run.step()
    assert list(run._sized) == [(9, 6)]  # 8 samples and PGPE's center; the GA's challengers have none
    asked = type(run.strategies["solver"]).ask
    monkeypatch.setattr(type(run.strategies["solver"]), "ask", lambda self, state: (torch.full_like(asked(self, state)[0], float("nan")), None))  # every sample broken: only the center can win
    center = run._center("solver")[0].clone()
    metrics = run.step()
    assert metrics["solver/invalid"] == 8 and torch.equal(run.champions["solver"], center)


def test_the_wide_task_is_twice_as_spread_within_the_bounds():
    wide, plain = WideToyTask("quadratic"), ToyTask("quadratic")
    x, _, w = wide.heldout()
    assert x.min() == -4.0 and x.max() == 4.0
    assert float(np.sum(w * x**2)) == pytest.approx(3.095, abs=0.01)  # N(0, 2^2) truncated at 2 std: 4 (1 - 4 phi(2) / (2 Phi(2) - 1))
    px, _, pw = plain.heldout()
    assert float(np.sum(pw * px**2)) == pytest.approx(1.0, abs=0.01)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"rounds": 0}, "rounds must be a positive integer"),
        ({"roles": {"solver": Role(ArenaConfig().genome, 8), "challenger": Role(GenomeSpec(target=(2, 8, 2)), 4)}}, r"a challenger's net must take 3 inputs and give 2 outputs in this world; its genome's target is \(2, 8, 2\)"),
        ({"roles": {"solver": Role(GenomeSpec(target=(1, 5, 2)), 8), "challenger": CHALLENGER}}, "a solver's net must take 1 inputs and give 1 outputs"),
        ({"roles": {"solver": Role(ArenaConfig().genome, 8), "challenger": Role(CHALLENGER.genome, 0)}}, "the challenger population must be a positive integer"),
        ({"roles": {"solver": Role(ArenaConfig().genome, 8)}}, "has the roles solver, challenger; give one population for each"),
        ({"roles": {"solver": Role(ArenaConfig().genome, 1), "challenger": CHALLENGER}, "hall_of_fame": 0}, "seats 4 solver agents, more than the solver population of 1"),
        ({"world": "eve_arena/toy_quadratic-v0", "env_kwargs": {}}, r"has one role \(agent\): co-evolution needs a world with roles; a tournament evolves one population"),
        ({"pairing": {"prey": "split"}}, "pairing must map roles of"),
        ({"device": "tpu"}, "device must be cpu, cuda or mps"),
        ({"env_kwargs": {"batch_size": 12, "max_steps": 2}, "hall_of_fame": 2}, r"with every player seated \(num_solvers=10, num_challengers=8: populations, centers and hall of fame\): batch_size 12"),
    ],
)
def test_bad_settings_are_one_line(overrides, message):
    with pytest.raises(UserError, match=message):
        small(**overrides)


def test_a_broken_member_of_either_role_loses_and_is_never_champion():
    run = Coevolution(small(seed=1))
    for role in ("solver", "challenger"):
        population = run.states[role].population.clone()
        population[0] = float("nan")
        run.states[role] = run.states[role]._replace(population=population)
    metrics = run.step()
    assert metrics["solver/invalid"] == 1 and metrics["challenger/invalid"] == 1
    assert all(torch.isfinite(c).all() for c in run.champions.values()) and math.isfinite(metrics["champion/heldout_loss"])
    assert torch.isfinite(run.states["solver"].population).all()  # the GA bred no child of the broken solver


def test_a_resumed_run_goes_on_bit_for_bit(tmp_path):
    whole = Coevolution(small(seed=2))
    expected = [whole.step() for _ in range(4)]
    first = Coevolution(small(seed=2))
    head = [first.step() for _ in range(2)]
    first.save(tmp_path)
    resumed = Coevolution.resume(small(seed=2), tmp_path)
    assert resumed.generation == 2
    assert head + [resumed.step() for _ in range(2)] == expected
    for name in ("solver", "challenger"):
        assert torch.equal(resumed.states[name].population, whole.states[name].population)
        assert torch.equal(resumed.champions[name], whole.champions[name]) and torch.equal(resumed.halls[name], whole.halls[name])
        assert resumed.ladders[name].names == whole.ladders[name].names
    with pytest.raises(UserError, match="another seed"):
        Coevolution.resume(small(seed=5), tmp_path)
    (tmp_path / "gen_000002.safetensors").write_bytes(b"damaged")
    with pytest.raises(UserError, match="no checkpoint .* can be resumed"):
        Coevolution.resume(small(seed=2), tmp_path)


class SwitchingChallenge(ToyChallengeEnv):
    """A plug-in world with roles that changes: linear and quadratic in turn, every 3 generations."""

    def reset(self, seed=None, options=None):
        generation = int((options or {}).get("generation", 0))
        self.phase = generation // 3
        self.task = ToyTask("linear" if self.phase % 2 == 0 else "quadratic", 0.1)
        return super().reset(seed=seed, options=options)


@pytest.mark.parametrize("seated", ["dealt", "everyone"])
def test_adaptivity_reports_on_either_role_of_a_changing_world_with_roles(tmp_path, seated):
    from eve_arena.adaptivity import report
    from eve_arena.coevolve_run import run_coevolution, start
    from eve_arena.runs import read_metrics

    config = small(world="tests.test_coevolution:SwitchingChallenge", generations=9, ladder_every=0)
    if seated == "everyone":  # the world sizes its seats: the phase is the world played's, not the one built first
        config = small(world=config.world, generations=9, ladder_every=0, env_kwargs={"batch_size": 32, "max_steps": 2})
    start(config, tmp_path / "run")
    run_coevolution(tmp_path / "run", progress=False)
    assert [row["env/phase"] for row in read_metrics(tmp_path / "run")] == [0, 0, 0, 1, 1, 1, 2, 2, 2]
    for key in ("solver/mse_median", "challenger/regret_median"):
        result = report(tmp_path / "run", key)
        assert result["summary"]["changes"] == 2  # linear -> quadratic at 3, back at 6
    assert (tmp_path / "run" / "adaptivity.md").is_file()


def test_each_ladder_freezes_an_anchor_when_one_is_due_between_ratings():
    run = Coevolution(small(ladder_every=4, anchor_every=3))
    rated = [sorted(k for k in run.step() if k.endswith("ladder_rating")) for _ in range(7)]
    assert [bool(r) for r in rated] == [True, False, True, False, True, True, False]  # every 4th, and at 2 and 5 when anchors are due
    for role in ("solver", "challenger"):
        assert run.ladders[role].names == ["g0", "g2", "g5"]


def test_a_role_with_one_seat_is_ranked_across_the_rounds_matches():
    """simple_tag's prey has one seat a match, so nothing to rank within one: ranked by its return
    over the round, the prey's fitness differs between members and its champion changes."""
    from eve_arena.coevolution import CoevolutionConfig as Config

    config = Config.for_world("mpe2.simple_tag_v3:parallel_env", {"continuous_actions": True, "max_cycles": 5}, populations={"adversary": 6, "agent": 6},
                              hidden={"adversary": (4,), "agent": (4,)}, pairing={"adversary": "paired"}, ladder_every=0)
    run = Coevolution(config)
    champions = []
    for _ in range(4):
        run.step()
        champions.append(run.champions["agent"].clone())
    assert not all(torch.equal(champions[0], c) for c in champions[1:])
    mu, sigma, _, _, _ = run._play({role: run.strategies[role].ask(run.states[role])[0] for role in run.roles}, np.random.default_rng(0))
    assert len(set(np.round(mu["agent"], 6))) > 1  # (the predators are paid only for a catch: in 5 steps they may all tie)
