"""The toy regression renderer: rgb frames show the agents in their colours; human mode runs headless."""

import numpy as np
import pytest

from eve_arena.envs.scoreboard import PALETTE, agent_colours, palette_colour
from eve_arena.envs.toy_regression import ToyRegressionEnv
from eve_arena.envs.toy_render import ToyRenderer, nice_ticks
from tests.conftest import check_image, window_pixels


def contains_colour(img: np.ndarray, colour) -> bool:
    return bool((img == np.asarray(colour, np.uint8)).all(axis=-1).any())


def test_rgb_frames_before_and_after_steps():
    env = ToyRegressionEnv(num_agents=3, render_mode="rgb_array")
    obs, _ = env.reset(seed=0, options={"ratings": {"agent_0": 3.2}, "labels": {"agent_0": "champion"}})
    first = env.render()  # no predictions yet: y is None
    check_image(first)
    for a in env.possible_agents:  # every agent's swatch is on the scoreboard from the start
        assert contains_colour(first, agent_colours(env.possible_agents)[a])

    for _ in range(3):
        x = obs["agent_0"]["x"]
        actions = {"agent_0": 10 * x**2 + 2, "agent_1": np.zeros_like(x), "agent_2": np.full_like(x, np.nan)}
        obs, *_ = env.step(actions)
    img = env.render()
    check_image(img)
    assert not np.array_equal(img, first)
    for i in range(3):
        assert contains_colour(img, PALETTE[i])
    env.close()


def test_odd_frames_do_not_crash():
    renderer = ToyRenderer([f"agent_{i}" for i in range(14)], "rgb_array", fps=4)
    x = np.linspace(-2, 2, 16)
    wild = {f"agent_{i}": x * 10.0**i for i in range(14)}  # up to 1e13: must be clipped, not squash the view
    wild["agent_3"] = np.full_like(x, np.inf)
    wild["stranger"] = x  # an agent the renderer was not told about
    frames = [
        {"step": 2, "x": x, "y": x**2, "predictions": wild, "cumulative_loss": {a: float(i) for i, a in enumerate(wild)}, "ratings": {"agent_1": 1.0}, "labels": {}, "title": "odd"},
        {"step": 0, "x": x, "y": None, "predictions": {}, "cumulative_loss": {}, "ratings": {}, "labels": {}, "title": ""},
        {"step": 1, "x": x[:1], "y": np.array([np.nan]), "predictions": {"agent_0": np.array([np.nan])}, "cumulative_loss": {"agent_0": float("inf")}, "ratings": {}, "title": "one point"},
        {"step": 1, "x": np.ones(8), "y": np.ones(8), "predictions": {"agent_0": np.ones(8)}, "cumulative_loss": {"agent_0": 0.0}, "title": "flat"},
        {},
    ]
    for frame in frames:
        check_image(renderer.draw(frame))
    renderer.close()


def test_palette_cycles_with_darker_rounds():
    assert [palette_colour(i) for i in range(len(PALETTE))] == list(PALETTE)
    colours = [palette_colour(i) for i in range(24)]
    assert len(set(colours)) == 24  # past ten agents the colours repeat darker, never identical


def test_nice_ticks():
    ticks, decimals = nice_ticks(-2.3, 4.1)
    assert list(ticks) == [-2, 0, 2, 4] and decimals == 0
    ticks, decimals = nice_ticks(0.0, 0.05)
    assert decimals == 2 and ticks[0] == 0.0 and ticks[-1] == pytest.approx(0.05)


def test_human_mode_shows_the_frame_in_a_window():
    import pygame

    env = ToyRegressionEnv(num_agents=2, render_mode="human")
    obs, _ = env.reset(seed=1)
    assert env.render() is None  # human mode shows the frame instead of returning it
    same = ToyRenderer(env.possible_agents, "rgb_array", fps=4)
    first = window_pixels()
    check_image(first)
    assert np.array_equal(first, same.draw(env.frame))  # the very frame rgb_array would return
    assert pygame.display.get_caption()[0] == f"eve-arena: {env.frame['title']}"

    x = obs["agent_0"]["x"]
    env.step({"agent_0": x, "agent_1": -x})  # human mode renders inside step
    after = window_pixels()
    assert not np.array_equal(after, first) and np.array_equal(after, same.draw(env.frame))
    same.close()
    env.close()
    assert not pygame.display.get_init()  # closing shuts the window
    env.close()  # closing twice is harmless
