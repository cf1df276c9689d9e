"""Changing toy worlds: schedules, curve families, and a changing world under the arena."""

import numpy as np
import pytest

from eve_arena.arena import Arena
from eve_arena.config import ArenaConfig
from eve_arena.envs import make_env
from eve_arena.errors import UserError
from eve_arena.schedules import Schedule
from eve_arena.tasks import CurveTask, curve_at, family_params
from tests.conftest import needs_mnist


def test_a_schedule_turns_the_clock_into_a_phase():
    assert [Schedule(every=3).phase(t) for t in range(7)] == [0, 0, 0, 1, 1, 1, 2]
    assert Schedule(every=4, mode="gradual").phase(6) == 1.5
    for bad, match in (({"every": 0}, "positive integer"), ({"unit": "hour"}, "change unit"), ({"mode": "sudden"}, "abrupt or gradual")):
        with pytest.raises(UserError, match=match):
            Schedule(**bad)


def test_curve_families_draw_their_documented_ranges_reproducibly():
    draws = np.array([family_params("sinusoid", k, seed=0) for k in range(300)])
    assert draws[:, 0].min() >= 0.1 and draws[:, 0].max() <= 5.0 and draws[:, 1].min() >= 0 and draws[:, 1].max() <= np.pi
    assert np.ptp(draws[:, 0]) > 4 and np.ptp(draws[:, 1]) > 2.5  # the whole range, not one corner
    assert np.array_equal(family_params("drift", 5, seed=1), family_params("drift", 5, seed=1))
    assert not np.array_equal(family_params("drift", 5, seed=1), family_params("drift", 5, seed=2))
    assert [tuple(family_params("switch", k, 0)) for k in range(3)] == [(0, 10, 2), (10, 0, 2), (0, 10, 2)]
    halfway = curve_at("drift", 2.5, seed=0)
    np.testing.assert_allclose(halfway.params, (family_params("drift", 2, 0) + family_params("drift", 3, 0)) / 2)
    x, y = CurveTask(noise=0.0, family="sinusoid", params=(2.0, 0.5)).sample(np.random.default_rng(0), 500)
    assert x.min() >= -5 and x.max() <= 5 and np.allclose(y, 2.0 * np.sin(x + 0.5), atol=1e-5)
    with pytest.raises(UserError, match="unknown curve family"):
        CurveTask(family="cubic")


def test_a_world_that_changes_between_generations():
    env = make_env("eve_arena/toy_switch-v0", num_agents=2, batch_size=16, change_every=5, noise=0.0)
    seen = []
    for generation in range(12):
        observations, _ = env.reset(seed=0, options={"generation": generation})
        seen.append(env.unwrapped.task.params)
        x = observations["agent_0"]["x"]
        _, _, _, _, infos = env.step({a: (10 * x + 2).astype(np.float32) for a in env.agents})
        assert infos["agent_0"]["phase"] == generation // 5
        linear = generation // 5 % 2 == 0
        assert (infos["agent_0"]["mse"] < 1e-6) == linear  # the linear answer is exact only in linear phases
    assert seen[0] == seen[4] != seen[5] == seen[9] != seen[10]


def test_a_world_that_changes_within_an_episode_carries_the_feedback():
    env = make_env("eve_arena/toy_drift-v0", num_agents=1, batch_size=32, change_every=3, change_unit="step", change_mode="abrupt", noise=0.0, max_steps=9)
    observations, _ = env.reset(seed=1)
    phases = []
    for step in range(9):
        before = env.unwrapped.task
        observations, _, _, _, infos = env.step({"agent_0": np.zeros(32, np.float32)})
        phases.append(infos["agent_0"]["phase"])
        # The feedback in the next observation is the truth of the task just scored.
        np.testing.assert_allclose(observations["agent_0"]["prev_y"], before.truth(observations["agent_0"]["prev_x"]), rtol=1e-5, atol=1e-4)
    assert phases == [0, 0, 0, 1, 1, 1, 2, 2, 2]


def test_a_new_sinusoid_every_episode_follows_the_episode_seed():
    env = make_env("eve_arena/toy_sinusoid-v0", num_agents=1, batch_size=8)
    tasks = []
    for seed in (0, 1, 0):
        env.reset(seed=seed)
        tasks.append(env.unwrapped.task.params)
    assert tasks[0] == tasks[2] != tasks[1]


def test_the_arena_follows_the_phase_and_scores_champions_on_the_current_task(tiny_config):
    config = tiny_config(env="eve_arena/toy_switch-v0", env_kwargs={"batch_size": 64, "max_steps": 2, "change_every": 3})
    arena = Arena(config)
    rows = [arena.step() for _ in range(7)]
    assert [r["env/phase"] for r in rows] == [0, 0, 0, 1, 1, 1, 2]
    # Whatever the champion learnt of 10x + 2 is worth much less against 10x^2 + 2.
    assert rows[3]["champion/heldout_loss"] > 1.5 * rows[2]["champion/heldout_loss"]
    assert isinstance(ArenaConfig.from_dict(config.to_dict()), ArenaConfig)


@needs_mnist
@pytest.mark.parametrize("shift", ["permute", "rotate", "labels"])
def test_changing_mnist_worlds_shift_batches_and_splits_alike(shift):
    from eve_arena.tasks import MNISTTask, ShiftedMNISTTask

    plain, moved = ShiftedMNISTTask(train_limit=500, shift=shift), ShiftedMNISTTask(train_limit=500, shift=shift, phase=1)
    (x0, y0), (x1, y1) = plain.heldout(), moved.heldout()
    assert np.array_equal(x0, MNISTTask().heldout()[0])  # phase 0 is plain MNIST
    if shift == "permute":
        assert np.array_equal(x1, x0[:, moved.pixel_order()]) and np.array_equal(np.sort(x1, 1), np.sort(x0, 1))
    elif shift == "labels":
        assert np.array_equal(x1, x0) and np.array_equal(y1, moved.label_map()[y0]) and not np.array_equal(y1, y0)
    else:
        assert abs(moved.angle()) > 1 and not np.allclose(x1, x0)
        assert abs(x1.mean() - x0.mean()) < 0.1  # rotated, not washed out: the corners take the background
    xb, yb = moved.sample(np.random.default_rng(0), 16)
    xp, yp = plain.sample(np.random.default_rng(0), 16)
    xs, ys = moved.shifted(xp, yp)  # batches are shifted the same way as the splits
    np.testing.assert_allclose(xb, xs)
    assert np.array_equal(yb, ys)
    env = make_env(f"eve_arena/mnist_{ {'permute': 'permuted', 'rotate': 'rotated', 'labels': 'label_shift'}[shift]}-v0", num_agents=2, batch_size=8, train_limit=500, change_every=2)
    phases = []
    for generation in range(5):
        env.reset(seed=0, options={"generation": generation})
        phases.append(env.unwrapped.task.phase)
    assert phases == [0, 0, 1, 1, 2]
    with pytest.raises(UserError, match="no halfway point"):
        make_env("eve_arena/mnist_permuted-v0", change_mode="gradual", train_limit=500)


def test_changes_within_an_episode_are_drawn_anew_for_every_episode():
    env = make_env("eve_arena/toy_sinusoid-v0", num_agents=1, batch_size=8, max_steps=4, change_unit="step", change_every=2)
    sequences = []
    for seed in (3, 4, 3):
        env.reset(seed=seed)
        params = []
        while env.agents:
            params.append(env.unwrapped.task.params)
            env.step({"agent_0": np.zeros(8, np.float32)})
        sequences.append(params)
    for params in sequences:
        assert params[0] == params[1] != params[2] == params[3]  # a change in the middle of the episode
    assert sequences[0] == sequences[2] and sequences[0][0] != sequences[1][0] and sequences[0][2] != sequences[1][2]
