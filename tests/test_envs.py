"""Every registered world through PettingZoo's own tests, then the toy world's scoring rules."""

import warnings

import numpy as np
import pytest

from eve_arena.envs import make_env, registered
from eve_arena.errors import UserError

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # pettingzoo.test warns about its own deprecations on import
    from pettingzoo.test import parallel_api_test, parallel_seed_test, render_test
    from pettingzoo.utils.conversions import parallel_to_aec

from tests.conftest import needs_mnist  # noqa: E402

ENV_IDS = [pytest.param(env_id, marks=needs_mnist) if "mnist" in env_id else env_id for env_id in sorted(registered())]


@pytest.mark.parametrize("env_id", ENV_IDS)
def test_parallel_api(env_id):
    parallel_api_test(make_env(env_id, num_agents=3, batch_size=8), num_cycles=20)


@pytest.mark.parametrize("env_id", ENV_IDS)
def test_parallel_seed(env_id):
    parallel_seed_test(lambda: make_env(env_id, num_agents=2, batch_size=8), num_cycles=20)


@pytest.mark.parametrize("env_id", ENV_IDS)
def test_render(env_id):
    render_test(lambda render_mode=None: parallel_to_aec(make_env(env_id, num_agents=2, batch_size=8, render_mode=render_mode)))


def test_unknown_env_id_is_a_user_error():
    with pytest.raises(UserError, match="unknown environment 'toy_cubic'"):
        make_env("toy_cubic")


def _play_one_step(env, actions_for):
    obs, _ = env.reset(seed=3)
    x = obs["agent_0"]["x"]
    return env.step({a: actions_for(a, x) for a in env.agents})


def test_rewards_are_competitive_and_infos_carry_mse():
    env = make_env("eve_arena/toy_quadratic-v0", num_agents=3, batch_size=256)
    truth = lambda x: 10 * x**2 + 2  # noqa: E731
    preds = {"agent_0": truth, "agent_1": lambda x: np.zeros_like(x), "agent_2": lambda x: 10 * x + 2}
    _, rewards, _, _, infos = _play_one_step(env, lambda a, x: preds[a](x).astype(np.float32))
    mse = np.array([infos[a]["mse"] for a in env.possible_agents])
    assert mse[0] < 0.05 and mse[1] > 50
    for i, a in enumerate(env.possible_agents):
        assert rewards[a] == pytest.approx(np.delete(mse, i).mean() - mse[i])
    assert rewards["agent_0"] > 0 > rewards["agent_1"]


def test_single_agent_reward_is_minus_its_mse():
    env = make_env("eve_arena/toy_linear-v0", num_agents=1, batch_size=32)
    _, rewards, _, _, infos = _play_one_step(env, lambda a, x: np.zeros_like(x))
    assert rewards["agent_0"] == pytest.approx(-infos["agent_0"]["mse"])


def test_nan_prediction_loses_the_step():
    env = make_env("eve_arena/toy_quadratic-v0", num_agents=3, batch_size=16)
    bad = {"agent_0": np.nan, "agent_1": np.inf}
    _, rewards, _, _, infos = _play_one_step(env, lambda a, x: np.full_like(x, bad.get(a, 1e6)))
    assert infos["agent_0"]["invalid"] and infos["agent_1"]["invalid"] and not infos["agent_2"]["invalid"]
    assert all(np.isfinite(list(rewards.values())))
    assert rewards["agent_2"] > rewards["agent_0"] and rewards["agent_2"] > rewards["agent_1"]  # even a terrible valid answer beats NaN


@pytest.mark.parametrize("action", [np.zeros(15, np.float32), np.zeros((16, 1), np.float32), "sixteen"])
def test_wrong_action_shape_names_agent_and_shapes(action):
    env = make_env("eve_arena/toy_quadratic-v0", num_agents=2, batch_size=16)
    with pytest.raises(ValueError, match=r"agent 'agent_1'.*(shape|type).*\(16,\)"):
        _play_one_step(env, lambda a, x: action if a == "agent_1" else x)


def test_observation_carries_last_steps_feedback_and_episode_truncates():
    env = make_env("eve_arena/toy_linear-v0", num_agents=2, batch_size=8, max_steps=3, noise=0.0)
    obs, _ = env.reset(seed=0)
    first_x = obs["agent_0"]["x"].copy()
    assert not obs["agent_0"]["prev_y"].any()
    obs, _, _, trunc, _ = env.step({a: np.zeros(8, np.float32) for a in env.agents})
    np.testing.assert_allclose(obs["agent_0"]["prev_x"], first_x)
    np.testing.assert_allclose(obs["agent_0"]["prev_y"], 10 * first_x + 2, rtol=1e-6)
    assert not any(trunc.values())
    for _ in range(2):
        _, _, _, trunc, _ = env.step({a: np.zeros(8, np.float32) for a in env.agents})
    assert all(trunc.values()) and env.agents == []


@pytest.mark.parametrize("kwargs", [{"num_agents": 0}, {"batch_size": -1}, {"max_steps": 1.5}, {"task": "cubic"}, {"render_mode": "ansi"}])
def test_bad_env_arguments_are_user_errors(kwargs):
    with pytest.raises(UserError):
        make_env("eve_arena/toy_quadratic-v0", **kwargs)
