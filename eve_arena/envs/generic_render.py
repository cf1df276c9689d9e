"""Generic pygame view of a match in any world: per-step reward and info plots beside a scoreboard.

Worlds with a renderer of their own (toy regression, MNIST) draw what their data looks like; any
other world gets ``MatchView``, which needs only the numbers a match produces. The caller keeps a
``record`` dict up to date every step and hands it to ``MatchView.draw``:

``title`` (the world's name), ``step`` (steps played, 0 after reset), ``agents`` (seat order),
``labels`` ({agent: display name}, id when missing), ``ratings`` ({agent: rating or None}),
``rewards`` ({agent: [reward at each step]}), ``infos`` ({agent: {key: [value at each step]}}),
``phases`` ([phase at each step], empty when the world has none; a change is where the integer
part changes from one step to the next).

``compose`` puts a world's own ``rgb_array`` frame beside the same scoreboard instead. Both give
``(H, W, 3)`` uint8 arrays; ``MatchView`` in ``"human"`` mode shows a window and returns None.
"""

from __future__ import annotations

import math
import os

import numpy as np

os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")  # the banner would land in CLI output
import pygame  # noqa: E402

from eve_arena.envs.canvas import Canvas, load_fonts  # noqa: E402
from eve_arena.envs.scoreboard import FAINT_INK, INK, agent_colours, draw_scoreboard, fmt_number, palette_colour  # noqa: E402
from eve_arena.envs.toy_render import nice_ticks  # noqa: E402

WIDTH, HEIGHT = 960, 540
BACKGROUND = (255, 255, 255)
GRID = (232, 232, 232)
AXIS = (150, 150, 150)
PHASE_INK = (90, 90, 90)  # dashed phase lines: darker than the grid, apart from the text's inks
PANEL_W = 370
MARGIN = 12
Y_LABEL_W = 58  # room left of a plot for its tick labels
LABEL_STRIP = 20  # a strip kept clear of data at the top of the reward plot, for "phase N" labels
MAX_ROWS = 16
FRAME_H = 480  # compose scales the world's frame to this height...
FRAME_MAX_W = 960  # ...unless that would make it wider than this
DOTS_UNTIL = 80  # past this many steps the dots merge into a smear: lines only
HUGE = 1e300  # values are clamped here so the span of any two stays finite
FONT_SIZES = {"title": 28, "body": 21, "tick": 19}


class MatchView:
    """Draws a match of any world from its per-step numbers, when the world has no renderer of its own."""

    def __init__(self, agent_ids: list[str], render_mode: str, fps: int = 4):
        self._canvas = Canvas((WIDTH, HEIGHT), render_mode, fps)
        self.render_mode = render_mode
        self.colours = agent_colours(agent_ids)
        self._fonts: dict[str, pygame.font.Font] = {}

    def draw(self, record: dict) -> np.ndarray | None:
        if not self._fonts:  # fonts wait for the first frame: making a view costs nothing
            self._fonts = load_fonts(FONT_SIZES)
        self._paint(record)
        return self._canvas.present(str(record.get("title", "")))

    def close(self) -> None:
        self._canvas.close()

    def _paint(self, record: dict) -> None:
        surf = self._canvas.surface
        surf.fill(BACKGROUND)
        agents = _agents(record, self.colours)
        rewards, key, info = _numbers(record, agents)
        order = _ranked(agents, rewards)
        n = max([int(record.get("step") or 0), *(len(v) for v in (*rewards.values(), *info.values()))])
        changes = _phase_changes(record.get("phases"))

        # A heading (24 px) above each plot, tick labels (24 px) below; the info plot gets a third.
        x, w = MARGIN + Y_LABEL_W, WIDTH - PANEL_W - 3 * MARGIN - Y_LABEL_W
        room = HEIGHT - 2 * MARGIN - 48 - (56 if key else 0)
        reward = pygame.Rect(x, MARGIN + 24, w, room * 2 // 3 if key else room)
        self._plot(surf, reward, "reward per step", rewards, order, n, changes, True)
        if key is not None:
            below = pygame.Rect(x, reward.bottom + 56, w, room - reward.height)
            self._plot(surf, below, f"{key} per step", info, order, n, changes, False)

        footer = ["dashed line: phase change"] if changes else []
        panel = pygame.Rect(WIDTH - PANEL_W - MARGIN, MARGIN, PANEL_W, HEIGHT - 2 * MARGIN)
        _side_panel(surf, panel, record, self.colours, self._fonts, footer)

    def _plot(self, surf, rect: pygame.Rect, heading: str, series: dict, order: list[str], n: int, changes: list, label_phases: bool) -> None:
        """One value per step per agent: a line with dots in the agent's colour, over grid and phases.

        Only the reward plot names the phases: the plot below shares its steps, so its lines line up.
        """
        tick, body = self._fonts["tick"], self._fonts["body"]
        surf.blit(body.render(_cut(heading, body, rect.width + Y_LABEL_W), True, INK), (rect.x - Y_LABEL_W + 4, rect.y - 22))
        xr = (0.5, max(n, 1) + 0.5)  # steps count from 1; half a step of air at each end
        yr = _range(np.concatenate([np.empty(0), *series.values()]))
        if label_phases and changes:  # stretch the range up so no data runs under a label
            yr = (yr[0], yr[1] + (yr[1] - yr[0]) * LABEL_STRIP / max(1, rect.height - LABEL_STRIP))

        def to_px(xs):
            return rect.x + (np.asarray(xs, dtype=np.float64) - xr[0]) / (xr[1] - xr[0]) * rect.width

        def to_py(ys):
            return rect.bottom - (np.asarray(ys, dtype=np.float64) - yr[0]) / (yr[1] - yr[0]) * rect.height

        ticks, _ = nice_ticks(*xr, target=8)
        for t in ticks[np.isclose(ticks, np.round(ticks))]:  # a step is a whole number
            px = float(to_px(t))
            pygame.draw.line(surf, GRID, (px, rect.y), (px, rect.bottom))
            img = tick.render(str(int(round(t))), True, FAINT_INK)
            surf.blit(img, (px - img.get_width() / 2, rect.bottom + 5))
        ticks, dec = nice_ticks(*yr, target=max(4, min(6, rect.height // 45)))
        for t in ticks:
            py = float(to_py(t))
            pygame.draw.line(surf, GRID, (rect.x, py), (rect.right, py))
            img = tick.render(_tick_text(t, dec), True, FAINT_INK)
            surf.blit(img, (rect.x - 6 - img.get_width(), py - img.get_height() / 2))
        for px, _ in changes:
            _dashed_vline(surf, float(to_px(px)), rect.y + 1, rect.bottom - 1)

        surf.set_clip(rect.inflate(-2, -2))
        for a in reversed(order):  # best agent last, so its line is on top
            ys, colour = series[a], self.colours[a]
            ok = np.isfinite(ys)
            px, py = to_px(np.arange(1, len(ys) + 1)), to_py(np.where(ok, np.clip(ys, -HUGE, HUGE), 0.0))
            # A non-finite value breaks the line rather than ending the agent's curve.
            for seg in np.split(np.arange(len(ys)), np.flatnonzero(~ok)):
                seg = seg[ok[seg]]
                if len(seg) >= 2:
                    pygame.draw.lines(surf, colour, False, list(zip(px[seg], py[seg])), 2)
            if len(ys) <= DOTS_UNTIL:
                for dx, dy in zip(px[ok], py[ok]):
                    pygame.draw.circle(surf, colour, (dx, dy), 3)
        surf.set_clip(None)
        pygame.draw.rect(surf, AXIS, rect, 1)
        if label_phases:
            self._phase_labels(surf, rect, [(float(to_px(px)), p) for px, p in changes])
        if not any(np.isfinite(v).any() for v in series.values()):
            img = body.render("no finite values" if any(v.size for v in series.values()) else "no data yet", True, FAINT_INK)
            surf.blit(img, img.get_rect(center=rect.center))

    def _phase_labels(self, surf, rect: pygame.Rect, changes: list[tuple[float, int]]) -> None:
        """"phase N" at the top of each change line, on white; a label that would overlap is left out."""
        font, last_right = self._fonts["tick"], -math.inf
        for px, phase in changes:
            img = font.render(f"phase {phase}", True, PHASE_INK)
            box = img.get_rect(topleft=(px + 4, rect.y + 3)).inflate(4, 2)
            if box.right > rect.right - 2:  # no room right of the line: put it on the left
                box.right = int(px) - 2
            if box.left <= last_right or box.left < rect.x + 2:
                continue
            pygame.draw.rect(surf, BACKGROUND, box)
            surf.blit(img, (box.x + 2, box.y + 1))
            last_right = box.right


def compose(frame: np.ndarray, record: dict) -> np.ndarray:
    """A world's own rgb_array frame (H, W, 3 uint8, any size) with the arena's scoreboard beside it: returns one (H', W', 3) uint8 image."""
    arr = np.asarray(frame)
    if arr.ndim == 2:  # a grey frame
        arr = arr[..., None]
    if arr.size == 0:
        arr = np.zeros((1, 1, 3), np.uint8)
    if arr.shape[2] < 3:
        arr = np.repeat(arr[..., :1], 3, axis=2)
    arr = np.clip(arr[..., :3], 0, 255).astype(np.uint8)  # an alpha channel is dropped
    h, w = arr.shape[:2]
    image = pygame.surfarray.make_surface(np.ascontiguousarray(arr.transpose(1, 0, 2)))
    scale = min(FRAME_H / h, FRAME_MAX_W / w)
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    # Blown up 2x or more, smoothing blurs a small grid world to mush: keep its pixels square.
    image = (pygame.transform.scale if scale >= 2 else pygame.transform.smoothscale)(image, size)

    canvas = Canvas((size[0] + PANEL_W + 4 * MARGIN, FRAME_H + 2 * MARGIN), "rgb_array", fps=1)
    canvas.surface.fill(BACKGROUND)
    canvas.surface.blit(image, (MARGIN, MARGIN + (FRAME_H - size[1]) // 2))
    panel = pygame.Rect(size[0] + 3 * MARGIN, MARGIN, PANEL_W, FRAME_H)
    _side_panel(canvas.surface, panel, record, agent_colours(record.get("agents") or ()), load_fonts(FONT_SIZES))
    return canvas.present(str(record.get("title", "")))


def _side_panel(surf, rect: pygame.Rect, record: dict, colours: dict, fonts: dict, footer=()) -> None:
    """The world's name, the step, and the scoreboard ranked by return: the same in both views."""
    title, body = fonts["title"], fonts["body"]
    surf.blit(title.render(_cut(str(record.get("title", "")), title, rect.width), True, INK), rect.topleft)
    y = rect.y + title.get_linesize() + 2
    phases = _series(record.get("phases"))
    now = f"step {int(record.get('step') or 0)}"
    if phases.size and np.isfinite(phases[-1]):
        now += f", phase {int(phases[-1])}"
    surf.blit(body.render(now, True, FAINT_INK), (rect.x, y))
    y += body.get_linesize() + 10

    agents = _agents(record, colours)
    rewards, key, info = _numbers(record, agents)
    labels, ratings = record.get("labels") or {}, record.get("ratings") or {}
    rows = []
    for a in _ranked(agents, rewards):
        means = [fmt_number(_finite_mean(info[a]))] if key else []
        rows.append((colours[a], labels.get(a) or a, fmt_number(_total(rewards[a])), *means, fmt_number(ratings.get(a))))
    # A long info name would widen its column and squeeze the agent names out.
    headers = ["agent", "return", *([_cut(f"mean {key}", body, 90)] if key else []), "rating"]
    table = pygame.Rect(rect.x, y, rect.width, rect.bottom - y)
    draw_scoreboard(surf, table, headers, rows, body, title="ranked by return", footer=footer, max_rows=MAX_ROWS)


def _agents(record: dict, colours: dict) -> list[str]:
    agents = list(record.get("agents") or record.get("rewards") or colours)
    for a in agents:  # an agent the view was not told about still gets a stable colour
        colours.setdefault(a, palette_colour(len(colours)))
    return agents


def _numbers(record: dict, agents: list[str]) -> tuple[dict, str | None, dict]:
    """Each agent's per-step rewards, the info key shown, and each agent's per-step values of it."""
    rewards = {a: _series((record.get("rewards") or {}).get(a, ())) for a in agents}
    infos = record.get("infos") or {}
    key = next((k for a in agents for k, v in (infos.get(a) or {}).items() if _floats(v) is not None), None)
    info = {a: _series((infos.get(a) or {}).get(key, ())) for a in agents} if key is not None else {}
    return rewards, key, info


def _ranked(agents: list[str], rewards: dict) -> list[str]:
    """Best return first; a non-finite return (some step was NaN/inf) last; ties keep seat order."""
    def key(seat_agent):
        ret = _total(rewards[seat_agent[1]])
        return (-ret if math.isfinite(ret) else math.inf, seat_agent[0])

    return [a for _, a in sorted(enumerate(agents), key=key)]


def _phase_changes(phases) -> list[tuple[float, int]]:
    """(x, new phase) wherever the integer part changes; x is halfway between the two steps."""
    changes, last = [], None
    for i, p in enumerate(_series(phases)):
        if not math.isfinite(p):  # an unknown phase neither starts nor ends one
            continue
        if last is not None and int(p) != last:
            changes.append((i + 0.5, int(p)))  # value i is step i + 1
        last = int(p)
    return changes


def _floats(values) -> np.ndarray | None:
    """A per-step list as floats (None, a missing value, is NaN); None if it is not numbers."""
    try:
        return np.asarray(() if values is None else values, dtype=np.float64).ravel()
    except (TypeError, ValueError):
        return None


def _series(values) -> np.ndarray:
    """``_floats``, with a list that is not numbers read as unknown (NaN) values."""
    floats = _floats(values)
    return floats if floats is not None else np.full(len(values) if hasattr(values, "__len__") else 1, np.nan)


def _total(values: np.ndarray) -> float:
    # Not nansum: a return that skipped an invalid step would flatter the agent that made it.
    return float(np.sum(values)) if values.size else 0.0


def _finite_mean(values: np.ndarray) -> float:
    values = values[np.isfinite(values)]
    return float(values.mean()) if values.size else math.nan


def _range(values: np.ndarray) -> tuple[float, float]:
    """The finite values' span plus 8% each side; a flat or empty series still gets a visible range."""
    values = np.clip(values[np.isfinite(values)], -HUGE, HUGE)
    lo, hi = (float(values.min()), float(values.max())) if values.size else (-1.0, 1.0)
    if hi - lo <= 1e-9 * max(1.0, abs(lo)):
        half = max(1.0, 0.1 * abs(lo))
        lo, hi = lo - half, hi + half
    pad = 0.08 * (hi - lo)
    return lo - pad, hi + pad


def _tick_text(t: float, decimals: int) -> str:
    text = f"{t + 0.0:.{decimals}f}"  # + 0.0 turns -0.0 into 0.0
    return text if len(text) <= 7 else f"{t:.3g}"  # 1e+06 fits the margin, 1000000.0 does not


def _cut(text: str, font: pygame.font.Font, width: int) -> str:
    """``text`` cut to ``width`` pixels, ending in ".." when cut."""
    if font.size(text)[0] <= width:
        return text
    text = text[: width // 3]  # no glyph is narrower than 3 px: the loop below stays short
    while text and font.size(text + "..")[0] > width:
        text = text[:-1]
    return text + ".."


def _dashed_vline(surf, x: float, top: int, bottom: int, dash: int = 6, gap: int = 4) -> None:
    for y in range(int(top), int(bottom), dash + gap):
        pygame.draw.line(surf, PHASE_INK, (x, y), (x, min(y + dash, bottom)), 2)
