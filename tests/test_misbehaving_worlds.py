"""Plug-in worlds that break the contract after the first step (which the up-front check plays): one line each, never garbage."""

import sys
from pathlib import Path

import numpy as np
import pytest

from eve_arena.cli import main
from eve_arena.runs import read_metrics

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "sine_arena"
sys.path.insert(0, str(EXAMPLE))
from sine_arena.env import SineArenaEnv  # noqa: E402

sys.path.remove(str(EXAMPLE))


class LaterFault(SineArenaEnv):
    """Plays by the rules for its first step after every reset, then ``fault`` (from step 2)."""

    def step(self, actions):
        observations, rewards, terminations, truncations, infos = super().step(actions)
        if self._step >= 2 and self.agents:
            observations, rewards = self.fault(observations, rewards)
        return observations, rewards, terminations, truncations, infos


class NaNObservation(LaterFault):
    def fault(self, observations, rewards):
        return {a: np.full_like(o, np.nan) for a, o in observations.items()}, rewards


class GhostReward(LaterFault):
    def fault(self, observations, rewards):
        return observations, {**rewards, "ghost": 1.0}


class MissingReward(LaterFault):
    def fault(self, observations, rewards):
        rewards.pop(self.possible_agents[0])
        return observations, rewards


class NaNReward(LaterFault):
    def fault(self, observations, rewards):
        return observations, {a: float("nan") for a in rewards}


class Endless(SineArenaEnv):
    def step(self, actions):
        observations, rewards, terminations, truncations, infos = super().step(actions)
        self.agents = list(self.possible_agents)  # forgets to end
        return observations, rewards, {a: False for a in self.agents}, {a: False for a in self.agents}, infos


class Fragile(SineArenaEnv):
    broken = False

    def step(self, actions):
        if Fragile.broken and self._step == 1:
            raise ZeroDivisionError("the physics gave up")
        return super().step(actions)


def tournament(tmp_path, world, *more):
    return main(["tournament", "--out", str(tmp_path / "run"), "--env", f"tests.test_misbehaving_worlds:{world}", "--population", "6", "--generations", "4", "--checkpoint-every", "2", "--no-progress", *more])


@pytest.mark.parametrize(
    ("world", "message"),
    [
        ("NaNObservation", "sine_arena_v0 (episode seed {}): step 2 gave 'agent_0' an observation with NaN or infinite values"),
        ("GhostReward", "step 2 gave a reward to ['ghost'], which are not agents of the world"),
        ("MissingReward", "step 2 gave no reward to ['agent_0']; every agent that acted needs one"),
        ("NaNReward", "step 2 gave 'agent_0' the reward nan; rewards must be finite numbers"),
    ],
)
def test_a_fault_after_the_first_step_stops_the_run_in_one_line(tmp_path, capsys, world, message):
    assert tournament(tmp_path, world) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    head, _, tail = message.partition("{}")
    assert head.split(" (")[0] in err and tail in err, err


def test_an_episode_that_never_ends_is_stopped(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr("eve_arena.match.MAX_EPISODE_STEPS", 50)
    assert tournament(tmp_path, "Endless") == 2
    assert "the episode has not ended after 50 steps" in capsys.readouterr().err


def test_a_world_that_raises_names_itself_and_the_run_resumes_once_mended(tmp_path, capsys, monkeypatch):
    assert tournament(tmp_path, "Fragile") == 0
    assert main(["resume", str(tmp_path / "run"), "--generations", "8", "--no-progress"]) == 0
    monkeypatch.setattr(Fragile, "broken", True)
    assert main(["resume", str(tmp_path / "run"), "--generations", "12", "--no-progress"]) == 2
    err = capsys.readouterr().err.strip().splitlines()[-1]
    assert "sine_arena_v0 (episode seed" in err and "step 2 raised ZeroDivisionError: the physics gave up" in err
    monkeypatch.setattr(Fragile, "broken", False)
    assert main(["resume", str(tmp_path / "run"), "--generations", "12", "--no-progress"]) == 0
    assert [r["generation"] for r in read_metrics(tmp_path / "run")] == list(range(12))


class Stuck(SineArenaEnv):
    stuck = False

    def step(self, actions):
        while Stuck.stuck and self._step == 2:
            pass  # a world caught in its own loop: no step limit can see this
        return super().step(actions)


def test_a_generation_that_runs_past_its_time_limit_stops_in_one_line(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(Stuck, "stuck", True)
    assert tournament(tmp_path, "Stuck", "--generation-timeout", "1") == 2
    assert "generation 0 ran past its 1 s limit (generation_timeout_s); is the world stuck in step()?" in capsys.readouterr().err
