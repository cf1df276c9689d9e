"""The MNIST renderer: digits with each agent's guess marked right or wrong, a scoreboard; human mode headless."""

import os

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")

from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import pytest  # noqa: E402

from eve_arena.envs.mnist_render import PANEL_W, RIGHT, WIDTH, WRONG, MNISTRenderer  # noqa: E402
from eve_arena.envs.scoreboard import PALETTE, agent_colours  # noqa: E402
from tests.conftest import check_image, window_pixels


def data_dir() -> Path:
    return Path(os.environ.get("EVE_ARENA_DATA") or Path(__file__).resolve().parents[2] / "shared" / "data")


@pytest.fixture(scope="module")
def mnist_dir() -> str:
    root = data_dir()
    if not (root / "MNIST" / "raw").is_dir():
        pytest.skip(f"real MNIST not found under {root}/MNIST/raw (set EVE_ARENA_DATA or put it in ../shared/data)")
    return str(root)


def make_env(mnist_dir, **kwargs):
    from eve_arena.envs.mnist import MNISTEnv

    return MNISTEnv(data_dir=mnist_dir, **kwargs)


def contains_colour(img: np.ndarray, colour) -> bool:
    return bool((img == np.asarray(colour, np.uint8)).all(axis=-1).any())


def count_colour(img: np.ndarray, colour) -> int:
    return int((img == np.asarray(colour, np.uint8)).all(axis=-1).sum())


def grid(img: np.ndarray) -> np.ndarray:
    """The digit grid, left of the scoreboard and its key (which shows a tick and a cross itself)."""
    return img[:, : WIDTH - PANEL_W - 12]


def one_hot(labels: np.ndarray) -> np.ndarray:
    return (np.eye(10, dtype=np.float32)[labels] * 8.0).astype(np.float32)


def test_rgb_frames_before_and_after_a_step(mnist_dir):
    env = make_env(mnist_dir, num_agents=3, batch_size=16, render_mode="rgb_array")
    env.reset(seed=0, options={"ratings": {"agent_0": 1510.0}, "labels": {"agent_0": "oracle"}})
    first = env.render()  # y is None: digits only, waiting for predictions
    check_image(first)
    for colour in agent_colours(env.possible_agents).values():  # scoreboard swatches from the start
        assert contains_colour(first, colour)
    assert not contains_colour(grid(first), RIGHT) and not contains_colour(grid(first), WRONG)

    rng = np.random.default_rng(0)
    env.step({a: rng.normal(size=(16, 10)).astype(np.float32) for a in env.agents})
    after = env.render()
    check_image(after)
    assert after.shape == first.shape and not np.array_equal(after, first)
    env.close()


def test_perfect_half_and_nan_agents(mnist_dir):
    env = make_env(mnist_dir, num_agents=3, batch_size=16, render_mode="rgb_array")
    env.reset(seed=1)
    env.step({a: np.zeros((16, 10), np.float32) for a in env.agents})
    frame = dict(env.frame)  # the scored batch: x and its true labels y
    y = np.asarray(frame["y"])
    half = one_hot(y)
    half[1::2] = one_hot((y[1::2] + 1) % 10)  # every other digit wrong
    frame["predictions"] = {"agent_0": one_hot(y), "agent_1": half, "agent_2": np.full((16, 10), np.nan, np.float32)}
    frame["infos"] = {
        "agent_0": {"loss": 0.0, "accuracy": 1.0, "invalid": False},
        "agent_1": {"loss": 4.0, "accuracy": 0.5, "invalid": False},
        "agent_2": {"loss": float("nan"), "accuracy": float("nan"), "invalid": True},
    }
    frame["cumulative_loss"] = {"agent_0": 0.01, "agent_1": 4.0, "agent_2": 16.1}
    renderer = MNISTRenderer(env.possible_agents, "rgb_array", fps=4)
    img = renderer.draw(frame)
    check_image(img)
    for i in range(3):
        assert contains_colour(img, PALETTE[i])
    assert contains_colour(grid(img), RIGHT) and contains_colour(grid(img), WRONG)

    # Everyone right: ticks only, no crosses; the perfect agent's chips are solid, so its colour grows.
    frame["predictions"] = {a: one_hot(y) for a in frame["predictions"]}
    frame["infos"] = {a: {"loss": 0.0, "accuracy": 1.0, "invalid": False} for a in frame["infos"]}
    all_right = renderer.draw(frame)
    assert contains_colour(grid(all_right), RIGHT) and not contains_colour(grid(all_right), WRONG)
    assert count_colour(all_right, PALETTE[1]) > count_colour(img, PALETTE[1])
    assert count_colour(all_right, PALETTE[2]) > count_colour(img, PALETTE[2])  # "-" chips are hollow
    renderer.close()
    env.close()


def test_odd_frames_do_not_crash():
    agents = [f"agent_{i}" for i in range(40)]
    renderer = MNISTRenderer(agents, "rgb_array", fps=4)
    rng = np.random.default_rng(2)
    x = rng.normal(size=(64, 784)).astype(np.float32)
    y = rng.integers(0, 10, 64)
    many = {a: rng.normal(size=(64, 10)).astype(np.float32) for a in agents}
    many["agent_5"][3, 2] = np.inf
    many["stranger"] = rng.normal(size=(64, 10))  # an agent the renderer was not told about
    frames = [
        {"step": 2, "max_steps": 4, "x": x, "y": y, "predictions": many, "infos": {"agent_5": {"invalid": True, "accuracy": float("nan")}},
         "cumulative_loss": {a: float(i) for i, a in enumerate(many)}, "ratings": {"agent_1": 1.0}, "labels": {"agent_0": "a very long display name indeed"}, "title": "40 agents"},
        {"step": 0, "max_steps": 4, "x": x[:16], "y": None, "predictions": {}, "infos": {}, "cumulative_loss": {}, "ratings": {}, "labels": {}, "title": "no predictions"},
        {"step": 1, "x": x[:1], "y": y[:1], "predictions": {"agent_0": rng.normal(size=(1, 10))}, "infos": {"agent_0": {"accuracy": 0.0, "invalid": False}}, "cumulative_loss": {"agent_0": 2.3}, "title": "one image"},
        {"step": 1, "x": x[:4], "y": np.array([-1, 3, 12, 5]), "predictions": {"agent_0": np.ones((2, 10)), "agent_1": np.ones(7)}, "cumulative_loss": {"agent_0": float("inf")}, "title": "bad shapes"},
        {"step": 1, "x": x[:4], "y": None, "predictions": {"agent_0": rng.normal(size=(4, 10))}, "title": "guesses before labels"},
        {"x": None},
        {"x": np.zeros((3, 5))},
        {},
    ]
    for frame in frames:
        check_image(renderer.draw(frame))
    renderer.close()


def test_human_mode_shows_the_frame_in_a_window(mnist_dir):
    import pygame

    env = make_env(mnist_dir, num_agents=2, batch_size=8, max_steps=2, render_mode="human")
    env.reset(seed=1)
    assert env.render() is None  # human mode shows the frame instead of returning it
    same = MNISTRenderer(env.possible_agents, "rgb_array", fps=4)
    first = window_pixels()
    check_image(first)
    assert np.array_equal(first, same.draw(env.frame))  # the very frame rgb_array would return
    assert pygame.display.get_caption()[0] == f"eve-arena: {env.frame['title']}"

    env.step({a: np.zeros((8, 10), np.float32) for a in env.agents})  # human mode renders inside step
    after = window_pixels()
    assert not np.array_equal(after, first) and np.array_equal(after, same.draw(env.frame))
    assert contains_colour(grid(after), RIGHT) or contains_colour(grid(after), WRONG)  # the guesses are marked
    same.close()
    env.close()
    assert not pygame.display.get_init()  # closing shuts the window
    env.close()  # closing twice is harmless


def test_bad_render_mode():
    with pytest.raises(ValueError):
        MNISTRenderer(["agent_0"], "ansi", fps=4)
