"""The generic match view and the frame compositor: rgb images with the agents' colours, phases, odd data."""

import os

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")

import numpy as np  # noqa: E402

from eve_arena.envs.generic_render import HEIGHT, PANEL_W, PHASE_INK, WIDTH, MatchView, compose  # noqa: E402
from eve_arena.envs.scoreboard import palette_colour  # noqa: E402

PLOTS = slice(0, WIDTH - PANEL_W - 12)  # the columns left of the scoreboard: the plots only


def contains_colour(img: np.ndarray, colour) -> bool:
    return bool((img == np.asarray(colour, np.uint8)).all(axis=-1).any())


def check_image(img, shape=(HEIGHT, WIDTH, 3)) -> None:
    assert isinstance(img, np.ndarray) and img.dtype == np.uint8
    assert img.shape == shape if shape else img.ndim == 3 and img.shape[2] == 3
    packed = (img[..., 0].astype(np.uint32) << 16) | (img[..., 1].astype(np.uint32) << 8) | img[..., 2]
    assert len(np.unique(packed)) > 10, "frame is (nearly) one flat colour"


def make_record(n_agents=3, steps=10, phases=None, info=True, seed=0) -> dict:
    rng = np.random.default_rng(seed)
    agents = [f"agent_{i}" for i in range(n_agents)]
    rewards = {a: list(rng.normal(-i, 1.0, steps)) for i, a in enumerate(agents)}
    return {
        "title": "test world",
        "step": steps,
        "agents": agents,
        "labels": {agents[0]: "champion g99"},
        "ratings": {agents[0]: 12.5, agents[-1]: None},
        "rewards": rewards,
        "infos": {a: {"mse": [-r for r in rewards[a]]} for a in agents} if info else {},
        "phases": phases if phases is not None else [],
    }


def test_frame_shape_and_agent_colours_in_the_plots():
    record = make_record(n_agents=4, steps=12, phases=[0] * 6 + [1] * 6)
    view = MatchView(record["agents"], "rgb_array")
    img = view.draw(record)
    check_image(img)
    for i in range(4):  # each agent's line is drawn, not just its scoreboard swatch
        assert contains_colour(img[:, PLOTS], palette_colour(i))
    view.close()


def test_step_zero_draws_axes_and_scoreboard_but_no_lines():
    agents = ["agent_0", "agent_1"]
    view = MatchView(agents, "rgb_array")
    img = view.draw({"title": "w", "step": 0, "agents": agents, "rewards": {a: [] for a in agents}, "infos": {}, "phases": []})
    check_image(img)
    assert not contains_colour(img[:, PLOTS], palette_colour(0))
    assert contains_colour(img, palette_colour(0))  # the scoreboard swatch
    check_image(view.draw({}))  # an empty record too


def test_phase_change_draws_a_dashed_line():
    view = MatchView(["agent_0", "agent_1", "agent_2"], "rgb_array")
    flat = view.draw(make_record(steps=12, phases=[0.0] * 12))
    changed = view.draw(make_record(steps=12, phases=[0.0] * 6 + [1.0] * 6))
    def ink(img):  # phase-ink pixels per column; text's anti-aliasing makes a few anywhere
        return (img[:, PLOTS] == np.asarray(PHASE_INK, np.uint8)).all(axis=-1).sum(axis=0)

    assert ink(flat).max() < 20
    column = ink(changed).argmax()  # the dashed line: many phase-ink pixels in one column
    assert ink(changed)[column] > 100
    # It sits between steps 6 and 7: halfway across the plot, give or take the margins.
    assert 0.4 < column / (WIDTH - PANEL_W) < 0.65


def test_odd_values_do_not_crash():
    nan, inf = float("nan"), float("inf")
    many = [f"agent_{i}" for i in range(14)]
    view = MatchView(many[:2], "rgb_array")
    records = [
        {"step": 5, "agents": many[:2], "rewards": {"agent_0": [1, nan, inf, -inf, 2], "agent_1": [nan] * 5},
         "infos": {"agent_0": {"mse": [nan] * 5, "text": ["x"] * 5}}, "phases": [0, nan, 1, 1.5, 2], "ratings": {"agent_0": nan}},
        {"step": 4, "agents": ["solo"], "rewards": {"solo": [2.0] * 4}, "labels": {"solo": "x" * 500}, "title": "y" * 500},
        {"step": 20, "agents": many, "rewards": {a: list(np.arange(20.0) * i) for i, a in enumerate(many)},
         "infos": {a: {"acc": list(np.ones(20))} for a in many}, "phases": [k // 3 for k in range(20)]},
        {"step": 3, "agents": many[:2], "rewards": {"agent_0": [1e300, -1e300, 1e308], "agent_1": [1e-300, 0, 5e-324]}},
        {"step": 2, "agents": many[:1], "rewards": {"agent_0": [1, 2]}, "phases": None, "infos": {"agent_0": {}}},
    ]
    for record in records:
        check_image(view.draw(record))
    assert contains_colour(view.draw(records[1])[:, PLOTS], view.colours["solo"])  # a flat line is still drawn
    view.close()


def test_compose_puts_the_frame_beside_the_scoreboard():
    frame = np.zeros((200, 300, 3), np.uint8)
    frame[:] = (200, 30, 90)
    img = compose(frame, make_record())
    check_image(img, shape=None)
    assert img.shape[1] > 300 * img.shape[0] / 200  # wider than the scaled frame: the panel is beside it
    assert contains_colour(img, (200, 30, 90))
    assert contains_colour(img, palette_colour(0))


def test_compose_takes_frames_of_any_size_and_layout():
    rng = np.random.default_rng(0)
    big = rng.integers(0, 256, (600, 800, 3), dtype=np.uint8)
    for frame in [np.full((10, 10, 3), 77, np.uint8), big[::3, ::-2], big[:1], big[:, :2], big[..., 0], np.zeros((0, 0, 3), np.uint8)]:
        img = compose(frame, make_record(info=False))
        check_image(img, shape=None)
        assert img.shape[0] >= 480
    assert contains_colour(compose(np.full((10, 10, 3), 77, np.uint8), {}), (77, 77, 77))
