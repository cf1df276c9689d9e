"""The two-role toy world's renderer: frames show each challenger's share where it asked, and drawing changes nothing."""

import math
import warnings

import numpy as np
import pytest

from eve_arena.envs.scoreboard import agent_colours
from eve_arena.envs.toy_challenge import ToyChallengeEnv
from eve_arena.envs.toy_challenge_render import HEIGHT, PLOT, STRIP, WIDTH, ChallengeRenderer, x_pixel
from eve_arena.errors import UserError
from tests.conftest import check_image, window_pixels

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # pettingzoo.test warns about its own deprecations on import
    from pettingzoo.test import parallel_api_test, render_test
    from pettingzoo.utils.conversions import parallel_to_aec

CENTERS = {"challenger_0": -2.5, "challenger_1": 2.0}


def actions(env, t: int, nan_solver: bool = False) -> dict:
    """Solver 0 answers the truth plus noise, the others worse; each challenger asks narrowly at its center."""
    x = env._x.astype(np.float64)
    noise = np.random.default_rng(t).normal(0, 2, x.shape)
    out = {"solver_0": 10 * x**2 + 2 + noise, "solver_1": 20 * np.abs(x), "solver_2": 5 * x**2 + noise, "solver_3": np.full_like(x, np.nan) if nan_solver else 30 + 5 * x}
    out |= {a: [CENTERS.get(a, 0.0), math.log(0.05)] for a in env.challengers}
    return {a: np.asarray(v, np.float32) for a, v in out.items() if a in env.agents}


def has(img: np.ndarray, colour) -> np.ndarray:
    return (img == np.asarray(colour, np.uint8)).all(axis=-1)


def test_frames_have_the_frame_size_and_change_every_step():
    env = ToyChallengeEnv(num_solvers=4, num_challengers=2, render_mode="rgb_array")
    env.reset(seed=0)
    frames = [env.render()]
    for t in range(3):
        env.step(actions(env, t))
        frames.append(env.render())
    for img in frames:
        check_image(img)
        assert img.shape == (HEIGHT, WIDTH, 3)
    assert all(not np.array_equal(a, b) for a, b in zip(frames, frames[1:]))
    for colour in agent_colours(env.possible_agents).values():  # every agent is on a scoreboard
        assert has(frames[-1], colour).any()
    env.close()


def test_each_challengers_colour_is_where_it_asked_and_only_there():
    env = ToyChallengeEnv(num_solvers=4, num_challengers=2, render_mode="rgb_array")
    env.reset(seed=1)
    colours = agent_colours(env.possible_agents)
    plot = env.render()[PLOT.y : PLOT.bottom, PLOT.x : PLOT.right]
    assert not any(has(plot, colours[a]).any() for a in env.challengers)  # no choice yet: every share is grey base draws
    for t in range(2):  # the first step's choices shape the second step's batch
        env.step(actions(env, t))
    img = env.render()
    plot, strip = img[PLOT.y : PLOT.bottom, : PLOT.right], img[STRIP.y : STRIP.bottom, : STRIP.right]  # columns as in the frame, the scoreboards cut off
    for agent, center in CENTERS.items():
        col = int(x_pixel(center, env.x_bound))
        other = colours["challenger_1" if agent == "challenger_0" else "challenger_0"]
        near = plot[:, col - 3 : col + 4]
        assert has(near, colours[agent]).any() and not has(near, other).any()  # its targets and rug, not the other's
        cols = np.flatnonzero(has(plot, colours[agent]).any(axis=0))
        assert np.abs(cols - col).max() <= 20, f"{agent}'s colour strays from its share's inputs"
        assert has(strip[:, col - 1 : col + 2], colours[agent]).any()  # its bump's center line under the axis
    env.close()


def test_nan_and_inf_actions_render():
    env = ToyChallengeEnv(num_solvers=4, num_challengers=2, render_mode="rgb_array")
    env.reset(seed=2)
    env.step(actions(env, 0, nan_solver=True))
    check_image(env.render())
    broken = actions(env, 1) | {"solver_1": np.full(env.batch_size, np.inf, np.float32), "challenger_0": np.array([np.nan, 0.0], np.float32)}
    _, _, _, _, infos = env.step(broken)
    assert infos["solver_1"]["invalid"] and infos["challenger_0"]["invalid"]
    check_image(env.render())
    env.close()


def test_odd_frames_do_not_crash():
    renderer = ChallengeRenderer(["solver_0", "challenger_0"], "rgb_array", fps=4)
    x = np.linspace(-3, 3, 10)
    frames = [
        {},
        {"x": x, "y": x[:3], "share": [7] * 10, "predictions": {"stranger": x, "solver_0": np.full(10, np.nan)}, "solvers": ["solver_0"], "challengers": ["challenger_0"]},
        {"x": x, "y": x, "x_bound": 3.0, "predictions": {"solver_0": x * 1e300}, "choices": np.array([[np.inf, 0.0]]), "next_choices": np.array([[1.0, -3.0]]),
         "challengers": ["challenger_0", "challenger_9"], "infos": {"challenger_0": {"regret": math.nan, "within_reach": False}}, "returns": {"solver_0": math.inf}},
    ]
    for frame in frames:
        check_image(renderer.draw(frame))
    renderer.close()


def test_drawing_changes_no_reward_or_observation():
    def episode(render_mode):
        env = ToyChallengeEnv(num_solvers=4, num_challengers=2, render_mode=render_mode)
        obs, _ = env.reset(seed=3)
        out = [obs["solver_0"]["x"].copy()]
        for t in range(env.max_steps):
            obs, rewards, _, _, infos = env.step(actions(env, t))
            env.render()
            out += [rewards, {a: obs[a]["x"].copy() if a in env.solvers else obs[a] for a in obs}]
        return out

    plain, drawn = episode(None), episode("rgb_array")
    np.testing.assert_equal(drawn, plain)


def test_passes_the_parallel_api_and_render_tests_while_drawing():
    parallel_api_test(ToyChallengeEnv(num_solvers=3, num_challengers=2, render_mode="rgb_array"), num_cycles=10)
    render_test(lambda render_mode=None: parallel_to_aec(ToyChallengeEnv(num_solvers=2, num_challengers=1, batch_size=8, render_mode=render_mode)))


def test_human_mode_shows_the_frame_in_a_window():
    import pygame

    env = ToyChallengeEnv(num_solvers=2, num_challengers=1, render_mode="human")
    env.reset(seed=4)
    assert env.render() is None
    same = ChallengeRenderer(env.possible_agents, "rgb_array", fps=4)
    env.step(actions(env, 0))  # human mode draws inside step
    assert np.array_equal(window_pixels(), same.draw(env.frame))
    same.close()
    env.close()
    assert not pygame.display.get_init()


@pytest.mark.parametrize("mode", ["svg", "ansi", ""])
def test_a_bad_render_mode_is_one_line_naming_the_modes(mode):
    with pytest.raises(UserError, match=r"'human' or 'rgb_array'") as err:
        ToyChallengeEnv(render_mode=mode)
    assert "\n" not in str(err.value) and repr(mode) in str(err.value)
