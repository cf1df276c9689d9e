"""Plug-in environments: the worked example (examples/sine_arena) in all three ways, and the contract errors."""

import sys
from pathlib import Path

import numpy as np
import pettingzoo
import pytest
from gymnasium import spaces
from pettingzoo.test import parallel_api_test

from eve_arena.arena import Arena
from eve_arena.cli import main
from eve_arena.config import ArenaConfig
from eve_arena.envs import make_env
from eve_arena.errors import UserError

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "sine_arena"
sys.path.insert(0, str(EXAMPLE))  # the broken environments below build on the example's class
from sine_arena.env import SineArenaEnv  # noqa: E402

sys.path.remove(str(EXAMPLE))


@pytest.fixture
def fresh_registry(monkeypatch):
    """The example's package importable but not imported, and none of its ids registered."""
    monkeypatch.syspath_prepend(str(EXAMPLE))
    for env_id in [i for i in pettingzoo.parallel_registry if i.startswith("sine_arena/")]:
        monkeypatch.delitem(pettingzoo.parallel_registry, env_id)
    monkeypatch.delitem(sys.modules, "sine_arena", raising=False)


def test_way_1_an_id_the_package_registers_when_imported(fresh_registry):
    env = make_env("sine_arena/sine-v0", num_agents=3, batch_size=8)  # imports sine_arena, which registers it
    assert "sine_arena" in sys.modules
    parallel_api_test(env, num_cycles=10)


def test_way_2_an_entry_point_of_an_installed_package(fresh_registry, tmp_path, monkeypatch):
    """An installed distribution is a .dist-info folder on sys.path; this one declares an id the
    package itself never registers, so only the entry point can provide it."""
    dist = tmp_path / "sine_arena_plugin-0.1.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: sine-arena-plugin\nVersion: 0.1\n")
    (dist / "entry_points.txt").write_text("[eve_arena.envs]\nsine_arena/sine-wide-v0 = sine_arena.env:parallel_env\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    env = make_env("sine_arena/sine-wide-v0", num_agents=2, batch_size=4)
    assert isinstance(env, SineArenaEnv)
    monkeypatch.setattr(sys, "argv", ["eve-arena"])
    assert main(["envs"]) == 0


def test_way_3_module_and_class_on_the_command_line(fresh_registry, tmp_path):
    env = make_env("sine_arena.env:SineArenaEnv", num_agents=2, batch_size=8)
    parallel_api_test(env, num_cycles=10)
    code = main(["tournament", "--out", str(tmp_path / "run"), "--env", "sine_arena.env:SineArenaEnv", "--population", "8", "--generations", "4", "--env-arg", "batch_size=16", "--no-progress"])
    assert code == 0
    config = ArenaConfig.load(tmp_path / "run" / "config.json")
    assert config.env == "sine_arena.env:SineArenaEnv" and config.env_kwargs["batch_size"] == 16


class NoStep:
    possible_agents = ["agent_0"]

    def __init__(self, num_agents=1, **kwargs):
        pass

    def observation_space(self, agent):
        return spaces.Box(-1, 1, (4,))

    def action_space(self, agent):
        return spaces.Box(-1, 1, (4,))

    def reset(self, seed=None, options=None):
        return {"agent_0": np.zeros(4)}, {"agent_0": {}}


class DiscreteActions(SineArenaEnv):
    def action_space(self, agent):
        return spaces.Discrete(3)


class ImageWithoutX(SineArenaEnv):
    def observation_space(self, agent):
        return spaces.Dict({"pixels": spaces.Box(0, 1, (8, 8))})


class OldResetAPI(SineArenaEnv):
    def reset(self, seed=None, options=None):
        return super().reset(seed, options)[0]  # observations only, as before PettingZoo 1.22


class FourTupleStep(SineArenaEnv):
    def step(self, actions):
        observations, rewards, terminations, _truncations, infos = super().step(actions)
        return observations, rewards, terminations, infos


class NaNReward(SineArenaEnv):
    def step(self, actions):
        observations, rewards, terminations, truncations, infos = super().step(actions)
        return observations, {a: float("nan") for a in rewards}, terminations, truncations, infos


class ForgetsAnAgent(SineArenaEnv):
    def step(self, actions):
        observations, rewards, terminations, truncations, infos = super().step(actions)
        rewards.pop(self.possible_agents[-1])
        return observations, rewards, terminations, truncations, infos


class RejectsBatchSize(SineArenaEnv):
    def __init__(self, num_agents=2):
        super().__init__(num_agents=num_agents)


@pytest.mark.parametrize(
    ("broken", "message"),
    [
        ("NoStep", "has no step: it must be a PettingZoo ParallelEnv"),
        ("DiscreteActions", "action space of 'agent_0' is Discrete(3); genomes drive a Box"),
        ("ImageWithoutX", "genomes read a Box of inputs, or a Dict whose 'x' entry is one"),
        ("OldResetAPI", "reset() must return (observations, infos)"),
        ("FourTupleStep", "step() must return (observations, rewards, terminations, truncations, infos)"),
        ("NaNReward", "rewards must be finite numbers"),
        ("ForgetsAnAgent", "step()'s rewards have no entry for ['agent_0']"),
        ("RejectsBatchSize", "does not take 'batch_size', which came from --batch-size"),
        ("Missing", "has no callable 'Missing'"),
    ],
)
def test_an_environment_that_breaks_the_contract_is_refused_before_any_evolution(broken, message):
    config = ArenaConfig(env=f"tests.test_plugins:{broken}", env_kwargs={"batch_size": 8} if broken == "RejectsBatchSize" else {}, population=8)
    with pytest.raises(UserError, match=message.replace("(", r"\(").replace(")", r"\)").replace("[", r"\[").replace("]", r"\]")):
        Arena(config)


def test_cli_contract_errors_are_one_line_and_touch_nothing(tmp_path, capsys):
    code = main(["tournament", "--out", str(tmp_path / "run"), "--env", "tests.test_plugins:DiscreteActions", "--no-progress"])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and "Discrete(3)" in err
    assert not (tmp_path / "run").exists()
    assert main(["tournament", "--out", str(tmp_path / "run"), "--env", "no_such_pkg.envs:Env", "--no-progress"]) == 2
    assert "cannot import 'no_such_pkg.envs'" in capsys.readouterr().err


def test_a_plug_in_package_that_fails_to_import_is_named(tmp_path, monkeypatch):
    (tmp_path / "broken_plugin").mkdir()
    (tmp_path / "broken_plugin" / "__init__.py").write_text("import a_module_nobody_installed\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(UserError, match="importing 'broken_plugin' to find environment 'broken_plugin/env-v0' failed: No module named 'a_module_nobody_installed'"):
        make_env("broken_plugin/env-v0")
    with pytest.raises(UserError, match="unknown environment 'nowhere_pkg/env-v0'"):
        make_env("nowhere_pkg/env-v0")  # no such package: simply unknown
