"""Worlds written the way a user would, nothing like ours: the plug-in contract end to end.

``DriftingRule``: Box observations of two inputs per row, no renderer, its own constructor
arguments, a rule that flips sign within the episode (reported as ``phase`` and ``target``).
``Trio``: a fixed three-agent world of one vector per agent with bounded actions, as MPE's are.
"""

import json
import sys
from pathlib import Path

import numpy as np
import pettingzoo
import pytest
import torch
from gymnasium import spaces
from pettingzoo.test import parallel_api_test

from eve_arena.agents.io import outputs_to_actions
from eve_arena.arena import Arena
from eve_arena.cli import main
from eve_arena.config import ArenaConfig
from eve_arena.envs import world
from eve_arena.envs.feedback import Feedback
from eve_arena.errors import UserError
from eve_arena.evaluator import EVAL_SEED_BASE
from eve_arena.genome import GenomeSpec
from eve_arena.runs import EVAL_FILE, read_metrics, run_arena, start_run
from eve_arena.tournament import TournamentConfig, fixed_seat_groups

BUILT_WITH: list[dict] = []  # every constructor call's arguments, to check what the arena passed


class DriftingRule(pettingzoo.ParallelEnv):
    metadata = {"name": "drifting_rule_v0", "render_modes": []}

    def __init__(self, num_agents=2, rows=8, length=6, flip_at=3, loud=False):
        BUILT_WITH.append({"num_agents": num_agents, "rows": rows, "length": length, "flip_at": flip_at, "loud": loud})
        self.possible_agents = [f"p{i}" for i in range(num_agents)]
        self.agents = []
        self.rows, self.length, self.flip_at = rows, length, flip_at
        self._obs = spaces.Box(-1.0, 1.0, (rows, 2), np.float32)
        self._act = spaces.Box(-np.inf, np.inf, (rows,), np.float32)
        self._rng = np.random.default_rng()

    def observation_space(self, agent):
        return self._obs

    def action_space(self, agent):
        return self._act

    def reset(self, seed=None, options=None):
        if seed is not None:
            self._rng = np.random.default_rng(seed)
        self.agents, self._t = list(self.possible_agents), 0
        return self._draw(), {a: {} for a in self.agents}

    def _draw(self):
        self._x = self._rng.uniform(-1, 1, (self.rows, 2)).astype(np.float32)
        return {a: self._x for a in self.agents}

    def step(self, actions):
        phase = int(self._t >= self.flip_at)
        truth = (self._x[:, 0] - self._x[:, 1]) * (1.0 if phase == 0 else -1.0) * 3.0
        errors = {a: float(np.mean((np.asarray(actions[a], np.float64) - truth) ** 2)) for a in self.agents}
        rewards = {a: -e for a, e in errors.items()}
        infos = {a: {"sq_error": errors[a], "phase": phase, "target": truth} for a in self.agents}
        self._t += 1
        done = self._t >= self.length
        observations = self._draw()
        out = (observations, rewards, {a: False for a in self.agents}, {a: done for a in self.agents}, infos)
        if done:
            self.agents = []
        return out


class Trio(pettingzoo.ParallelEnv):
    """Three agents (fixed), each sees a 6-vector and moves in [0, 1]^2; paid for matching its target."""

    metadata = {"name": "trio_v0", "render_modes": ["rgb_array"]}

    def __init__(self, horizon=5, render_mode=None):
        self.possible_agents = ["a", "b", "c"]
        self.agents, self.horizon, self.render_mode = [], horizon, render_mode
        self._obs = spaces.Box(-np.inf, np.inf, (6,), np.float32)
        self._act = spaces.Box(0.0, 1.0, (2,), np.float32)
        self._rng = np.random.default_rng()

    def observation_space(self, agent):
        return self._obs

    def action_space(self, agent):
        return self._act

    def reset(self, seed=None, options=None):
        if seed is not None:
            self._rng = np.random.default_rng(seed)
        self.agents, self._t = list(self.possible_agents), 0
        self._state = {a: self._rng.uniform(0, 1, 6).astype(np.float32) for a in self.agents}
        return dict(self._state), {a: {} for a in self.agents}

    def step(self, actions):
        for a, action in actions.items():
            assert self._act.contains(np.asarray(action, np.float32)), f"{action} outside the action space"
        rewards = {a: -float(np.sum((np.asarray(actions[a]) - self._state[a][:2]) ** 2)) for a in self.agents}
        self._t += 1
        done = self._t >= self.horizon
        self._state = {a: self._rng.uniform(0, 1, 6).astype(np.float32) for a in self.agents}
        out = (dict(self._state), rewards, {a: False for a in self.agents}, {a: done for a in self.agents}, {a: {} for a in self.agents})
        if done:
            self.agents = []
        return out

    def render(self):
        return np.full((40, 60, 3), 200, np.uint8)


class BrokenRenderer(DriftingRule):
    metadata = {"name": "broken_renderer_v0", "render_modes": ["rgb_array"]}

    def __init__(self, render_mode=None, **kwargs):
        super().__init__(**kwargs)
        self.render_mode = render_mode

    def render(self):
        raise RuntimeError("no display for you")


def tiny(env, **overrides):
    spec = GenomeSpec(target=(2, 5, 5, 1), encoding="fourier", fourier_features=8)
    fields = dict(env=env, env_kwargs={"length": 6}, population=8, generations=4, genome=spec, eval_every=2, eval_episodes=2, checkpoint_every=2)
    fields.update(overrides)
    return ArenaConfig(**fields)


def test_the_user_world_passes_pettingzoos_own_test():
    parallel_api_test(DriftingRule(num_agents=3), num_cycles=10)


def test_widths_come_from_the_spaces_and_the_constructor_gets_only_what_was_given(tmp_path, capsys):
    BUILT_WITH.clear()
    run = tmp_path / "run"
    code = main(["tournament", "--out", str(run), "--env", "tests.test_user_worlds:DriftingRule", "--env-arg", "length=6", "--env-arg", "loud=False", "--population", "8", "--generations", "3", "--no-progress"])
    assert code == 0, capsys.readouterr().err
    config = json.loads((run / "config.json").read_text())
    assert config["genome"]["target"] == [2, 5, 5, 1]  # two inputs per row, one answer
    assert config["env_kwargs"] == {"length": 6, "loud": False}  # typed, and nothing added
    assert all(set(call) == {"num_agents", "rows", "length", "flip_at", "loud"} for call in BUILT_WITH)
    assert all(call["length"] == 6 and call["loud"] is False and call["rows"] == 8 for call in BUILT_WITH)
    assert "held-out" not in capsys.readouterr().out  # no task: the figures are the ladder's and the evaluation's


def test_hidden_widths_are_the_users_and_the_ends_the_worlds(tmp_path):
    assert main(["tournament", "--out", str(tmp_path / "run"), "--env", "tests.test_user_worlds:Trio", "--hidden", "7,3", "--population", "6", "--generations", "2", "--no-progress"]) == 0
    assert json.loads((tmp_path / "run" / "config.json").read_text())["genome"]["target"] == [6, 7, 3, 2]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--env-arg", "foo=1"], "does not take 'foo', which came from --env-arg foo=..."),
        (["--steps", "9"], "does not take 'max_steps', which came from --steps"),
        (["--target", "3,5,1"], "gives rows of 2 inputs but the genome's net takes 3"),
        (["--target", "2,5,1", "--hidden", "4"], "give --target (every width) or --hidden"),
    ],
)
def test_what_the_world_cannot_take_is_named_in_one_line(tmp_path, capsys, args, message):
    run = tmp_path / "run"
    code = main(["tournament", "--out", str(run), "--env", "tests.test_user_worlds:DriftingRule", "--no-progress", *args])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and message in err, err
    assert not run.exists()


def test_three_routes_reach_the_same_world(tmp_path, monkeypatch):
    pettingzoo.register("parallel", "user_pkg/drift-v0", entry_point="tests.test_user_worlds:DriftingRule")
    dist = tmp_path / "user_pkg-0.1.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: user-pkg\nVersion: 0.1\n")
    (dist / "entry_points.txt").write_text("[eve_arena.envs]\nuser_pkg/drift-entry-v0 = tests.test_user_worlds:DriftingRule\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    try:
        for env_id in ("user_pkg/drift-v0", "user_pkg/drift-entry-v0", "tests.test_user_worlds:DriftingRule"):
            shape = world.probe(env_id, {"rows": 4})
            assert (shape.fixed_seats, shape.in_width, shape.out_width, shape.rows) == (None, 2, 1, 4)
            arena = Arena(tiny(env_id, generations=2))
            assert "ladder/rating" in arena.step()
    finally:
        for env_id in ("user_pkg/drift-v0", "user_pkg/drift-entry-v0"):
            pettingzoo.parallel_registry.pop(env_id, None)


def test_evaluation_plays_fixed_unseen_seeds_and_logs_the_steps(tmp_path):
    run = tmp_path / "run"
    start_run(tiny("tests.test_user_worlds:DriftingRule"), run)
    run_arena(run, progress=False)
    evaluations = read_metrics(run, EVAL_FILE)
    assert [e["generation"] for e in evaluations] == [0, 1, 3]  # the first, every 2nd, the last
    last = evaluations[-1]
    assert set(last["field"]) == {"random", "constant", "g0"}
    assert all(s >= EVAL_SEED_BASE for entry in last["field"].values() for s in entry["seeds"])
    episode = last["field"]["random"]["episodes"][0]
    assert len(episode["reward"]) == 6 and episode["phase"] == [0, 0, 0, 1, 1, 1] and len(episode["infos"]["sq_error"]) == 6
    rows = read_metrics(run)
    assert {"eval/return_vs_random", "eval/return_vs_constant", "eval/return_vs_field", "eval/sq_error", "ladder/rating"} <= set(rows[-1])
    assert "ladder/rating" not in rows[2]  # only evaluated generations carry it
    assert last["anchors"]["random"] == pytest.approx(25.0)  # pinned at the prior: mu 25, sigma 25/3


def test_the_ladder_is_fixed_and_ranks_a_better_champion_higher(tiny_config):
    arena = Arena(tiny_config(population=16, generations=30))
    for _ in range(30):
        arena.step()
    anchors = arena.state.ladder
    first, last = anchors.genomes[0], arena.state.champion
    again = [arena.evaluate(first, 29, anchors)[1]["metrics"]["ladder/rating"] for _ in range(2)]
    assert again[0] == again[1]  # the same player against the same anchors: the same rating
    assert arena.evaluate(last, 29, anchors)[1]["metrics"]["ladder/rating"] > again[0] + 5
    assert anchors.names[:3] == ["random", "constant", "g0"] and len(anchors.genomes) == 1


def test_change_within_an_episode_is_reported_by_adaptivity(tmp_path, capsys):
    run = tmp_path / "run"
    start_run(tiny("tests.test_user_worlds:DriftingRule"), run)
    run_arena(run, progress=False)
    assert main(["adaptivity", str(run)]) == 0
    report = json.loads((run / "adaptivity.json").read_text())
    within = report["within_episode"]
    assert within["score"] == "sq_error" and within["changes"] == within["episodes"] == 3 * 2  # one change in each of 3 anchors x 2 episodes
    assert all(c["step"] == 3 for c in within["changes_detail"])
    assert (run / "plots" / "adaptivity_steps.png").stat().st_size > 1000
    assert "0 changes between generations, 6 within evaluation episodes" in capsys.readouterr().out


def test_render_any_world_to_frames(tmp_path, capsys):
    for env, extra in (("DriftingRule", {}), ("BrokenRenderer", {}), ("Trio", {"env_kwargs": {}, "genome": GenomeSpec(target=(6, 4, 2))})):
        run = tmp_path / env
        start_run(tiny(f"tests.test_user_worlds:{env}", **extra), run)
        run_arena(run, progress=False)
        frames = tmp_path / f"{env}_frames"
        assert main(["render", str(run), "--frames", str(frames)]) == 0
        steps = 5 if env == "Trio" else 6
        pngs = sorted(frames.glob("*.png"))
        assert len(pngs) == steps + 1, env
        from PIL import Image

        width = Image.open(pngs[-1]).size[0]
        assert width > 60 * 4, env  # a generic view, or a world frame with the scoreboard beside it
        if env == "BrokenRenderer":
            assert "eve-arena: warning: broken_renderer_v0's render() failed (RuntimeError: no display for you); drawing the generic view instead\n" in capsys.readouterr().err


def test_a_fixed_seat_world_gets_exactly_its_seats(tmp_path):
    config = tiny("tests.test_user_worlds:Trio", env_kwargs={}, genome=GenomeSpec(target=(6, 4, 2)), population=5, baselines=("constant",))
    arena = Arena(config)
    assert arena.fixed_seats == 3
    for _ in range(6):  # the hall fills, and matches stay at three seats (Trio asserts its actions fit [0, 1])
        metrics = arena.step()
    assert metrics["hall_of_fame/size"] >= 1 and np.isfinite(metrics["ladder/rating"])
    with pytest.raises(UserError, match="has 3 agents in every episode, and the baselines and the strategy's center leave no seat for the population"):
        Arena(tiny("tests.test_user_worlds:Trio", env_kwargs={}, genome=GenomeSpec(target=(6, 4, 2)), baselines=("constant",) * 3))


def test_fixed_seat_groups_cover_everyone_with_exact_sizes():
    rng = np.random.default_rng(0)
    groups = fixed_seat_groups(7, 3, rng)
    assert [len(g) for g in groups] == [3, 3, 3] and set(np.concatenate(groups)) == set(range(7))
    assert all(len(set(g)) == 3 for g in groups)


def test_outputs_are_squashed_into_bounded_actions():
    space = spaces.Box(np.array([0.0, -1.0, -np.inf]), np.array([1.0, np.inf, np.inf]), dtype=np.float32)
    actions = outputs_to_actions(np.array([[[-50.0, -5.0, 7.0]], [[0.0, 3.0, -7.0]]]), space)
    assert all(space.contains(a) for a in actions)
    assert actions[1][0] == pytest.approx(0.5) and actions[0][1] == -1.0 and actions[1][2] == -7.0


def test_ranking_by_round_rates_a_cooperative_world():
    arena = Arena(tiny("tests.test_user_worlds:Trio", env_kwargs={}, genome=GenomeSpec(target=(6, 4, 2)), population=6, tournament=TournamentConfig(ranking="round")))
    metrics = arena.step()
    assert metrics["fitness/best"] > metrics["fitness/median"]


def test_a_plastic_genome_learns_in_a_user_world_through_the_feedback_wrapper(tmp_path):
    env = Feedback(DriftingRule(num_agents=1), target_key="target")
    observations, _ = env.reset(seed=3)
    first_x = observations["p0"]["x"]
    observations, _, _, _, infos = env.step({"p0": np.zeros(8, np.float32)})
    assert np.array_equal(observations["p0"]["prev_x"], first_x) and np.allclose(observations["p0"]["prev_y"], infos["p0"]["target"])
    spec = GenomeSpec(target=(2, 5, 5, 1), encoding="fourier", fourier_features=8, lifetime="plastic")
    sys.modules[__name__].feedback_world = lambda **kwargs: Feedback(DriftingRule(**kwargs), target_key="target")
    arena = Arena(tiny("tests.test_user_worlds:feedback_world", genome=spec))
    assert np.isfinite(arena.step()["ladder/rating"])


def test_examples_sine_arena_end_to_end_with_render(tmp_path, monkeypatch):
    monkeypatch.syspath_prepend(str(Path(__file__).resolve().parents[1] / "examples" / "sine_arena"))
    run = tmp_path / "run"
    args = ["tournament", "--out", str(run), "--env", "sine_arena.env:SineArenaEnv", "--population", "8", "--generations", "4", "--eval-every", "2", "--no-progress"]
    assert main(args) == 0
    assert main(["render", str(run), "--gif", str(tmp_path / "match.gif")]) == 0
    assert (tmp_path / "match.gif").stat().st_size > 1000
    assert torch.isfinite(torch.tensor(read_metrics(run)[-1]["eval/return_vs_field"]))


def test_mpe_simple_spread_runs_evaluates_ladders_and_renders(tmp_path):
    """A real PettingZoo world: three fixed agents, an 18-number observation, 5 actions in [0, 1],
    a constructor that takes N and max_cycles but not num_agents."""
    pytest.importorskip("mpe2")
    run = tmp_path / "run"
    args = ["tournament", "--out", str(run), "--env", "mpe2.simple_spread_v3:parallel_env", "--env-arg", "continuous_actions=True", "--env-arg", "max_cycles=5"]
    assert main([*args, "--population", "6", "--generations", "2", "--eval-every", "1", "--eval-episodes", "2", "--ranking", "round", "--no-progress"]) == 0
    config = json.loads((run / "config.json").read_text())
    assert config["genome"]["target"] == [18, 5, 5, 5] and config["env_kwargs"] == {"continuous_actions": True, "max_cycles": 5}
    last = read_metrics(run)[-1]
    assert np.isfinite(last["eval/return_vs_random"]) and np.isfinite(last["eval/return_vs_constant"]) and np.isfinite(last["ladder/rating"])
    assert main(["render", str(run), "--frames", str(tmp_path / "frames")]) == 0
    assert len(list((tmp_path / "frames").glob("*.png"))) == 6  # MPE's own frames, our scoreboard beside them


def test_match_size_one_in_a_fixed_world_makes_teams_of_clones():
    from eve_arena.tournament import TournamentConfig, schedule

    matches = schedule(TournamentConfig(match_size=1, hall_of_fame_opponents=0), 4, 0, np.random.default_rng(0), seats=3)
    assert len(matches) == 4 and all(len(m) == 3 and len(set(m)) == 1 for m in matches)
    assert sorted(m[0] for m in matches) == [0, 1, 2, 3]


def test_our_own_world_changing_within_an_episode_is_reported_too(tmp_path):
    run = tmp_path / "run"
    config = ArenaConfig(env="eve_arena/toy_switch-v0", env_kwargs={"batch_size": 16, "max_steps": 6, "change_unit": "step", "change_every": 3}, population=8, generations=2, eval_episodes=2)
    start_run(config, run)
    run_arena(run, progress=False)
    assert main(["adaptivity", str(run)]) == 0
    within = json.loads((run / "adaptivity.json").read_text())["within_episode"]
    assert within["score"] == "mse" and within["changes"] == within["episodes"] and all(c["step"] == 3 for c in within["changes_detail"])


def test_anchors_are_frozen_every_anchor_every_and_rated_against_a_window(tiny_config):
    from eve_arena.ladder import LadderState, rungs

    assert [g for g in range(450) if Arena(tiny_config(anchor_every=100))._anchor_due(g)] == [0, 99, 199, 299, 399]
    assert [g for g in range(450) if Arena(tiny_config(anchor_every=0))._anchor_due(g)] == [0]
    state = LadderState(["random", "constant", "g0", "g99", "g199", "g299"], np.zeros(6), np.ones(6), torch.zeros(4, 3))
    assert rungs(state, ["random", "constant"], 2) == ["random", "constant", "g199", "g299"]
    assert rungs(state, ["random", "constant"], 0) == ["random", "constant"]
