"""Pygame renderer for the toy regression arena: the batch's truth, each agent's curve, a scoreboard.

``ToyRegressionEnv.render`` hands ``ToyRenderer.draw`` its ``frame`` dict (see the env's
docstring); the renderer never touches env state. A frame shows the batch's true outcomes as grey
points, each agent's predictions as a line in its own colour, the axes with tick labels, and a
scoreboard ranked by cumulative loss. ``"rgb_array"`` returns the picture as an ``(H, W, 3)``
uint8 array; ``"human"`` shows it in a window at ``fps`` and returns None.
"""

from __future__ import annotations

import math
import os

import numpy as np

os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")  # the banner would land in CLI output
import pygame  # noqa: E402

from eve_arena.envs.frame_renderer import FrameRenderer  # noqa: E402
from eve_arena.envs.scoreboard import FAINT_INK, INK, draw_scoreboard, fmt_number, palette_colour  # noqa: E402

WIDTH, HEIGHT = 860, 480
GRID = (232, 232, 232)
AXIS = (150, 150, 150)
POINT = (70, 70, 70)
PANEL_W = 320
MAX_ROWS = 10
# Predictions may stretch the y-range this far (in units of the data's span) beyond the data;
# anything wilder is drawn running off the plot rather than squashing everyone else's curve.
PRED_REACH = 0.5
# Pixel coordinates are clamped here before drawing: far enough that clipped lines keep their slope.
FAR = 20_000


def nice_ticks(lo: float, hi: float, target: int = 5) -> tuple[np.ndarray, int]:
    """Ticks at 1, 2 or 5 times a power of ten inside ``[lo, hi]``, and the decimals to print them."""
    raw = (hi - lo) / target
    mag = 10.0 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 5, 10) if m * mag >= raw * 0.999)
    ticks = np.arange(math.ceil(lo / step), math.floor(hi / step) + 1) * step
    return ticks, max(0, -math.floor(math.log10(step)))


def _span(values: np.ndarray, margin: float) -> tuple[float, float] | None:
    """``(lo, hi)`` of the finite values widened by ``margin`` of the span; None if none are finite."""
    values = values[np.isfinite(values)]
    if values.size == 0:
        return None
    lo, hi = float(values.min()), float(values.max())
    if hi - lo < 1e-9 * max(1.0, abs(lo)):  # one distinct value still needs a visible range
        lo, hi = lo - 1.0, hi + 1.0
    pad = margin * (hi - lo)
    return lo - pad, hi + pad


class ToyRenderer(FrameRenderer):
    """Draws toy-regression frames; one per env, made on the env's first ``render()``."""

    SIZE = (WIDTH, HEIGHT)
    FONT_SIZES = {"title": 28, "body": 21, "tick": 19}

    def _paint(self, frame: dict) -> None:
        surf = self._canvas.surface
        x = np.asarray(frame.get("x", ()), dtype=np.float64).ravel()
        y = frame.get("y")
        y = None if y is None else np.asarray(y, dtype=np.float64).ravel()
        preds = {a: np.asarray(p, dtype=np.float64).ravel() for a, p in (frame.get("predictions") or {}).items()}
        cum = frame.get("cumulative_loss") or {}
        agents = list(dict.fromkeys([*cum, *preds])) or list(self.colours)
        order = {a: i for i, a in enumerate(agents)}
        ranked = sorted(agents, key=lambda a: (_finite_or_inf(cum.get(a)), order[a]))
        invalid = {a for a, p in preds.items() if not np.isfinite(p).all()}

        self._header(frame, WIDTH - 16)

        plot = pygame.Rect(66, 50, WIDTH - PANEL_W - 66 - 28, HEIGHT - 50 - 46)
        self._plot(surf, plot, x, y, preds, ranked)

        rows = []
        ratings = frame.get("ratings") or {}
        labels = frame.get("labels") or {}
        for a in ranked:
            row = [self._colour(a), labels.get(a, a), fmt_number(cum.get(a)) + ("*" if a in invalid else "")]
            if ratings:
                row.append(fmt_number(ratings.get(a)))
            rows.append(tuple(row))
        headers = ["agent", "total MSE"] + (["rating"] if ratings else [])
        footer = ["* invalid output (NaN/inf)"] if invalid & set(ranked[:MAX_ROWS]) else []
        panel = pygame.Rect(WIDTH - PANEL_W - 12, plot.y, PANEL_W, plot.height - 44)
        used = draw_scoreboard(surf, panel, headers, rows, self._font("body"), title="ranked by total MSE", footer=footer, max_rows=MAX_ROWS)
        self._key(surf, pygame.Rect(panel.x, used.bottom + 10, PANEL_W, 40))

    def _plot(self, surf, plot: pygame.Rect, x, y, preds: dict, ranked: list[str]) -> None:
        tick_font = self._font("tick")
        xr = _span(x, 0.05) or (-1.0, 1.0)
        yr = _fit_y(y, preds)

        def to_px(xs):
            return np.clip(plot.x + (xs - xr[0]) / (xr[1] - xr[0]) * plot.width, -FAR, FAR)

        def to_py(ys):
            return np.clip(plot.bottom - (ys - yr[0]) / (yr[1] - yr[0]) * plot.height, -FAR, FAR)

        # Grid and tick labels first so the data is drawn over them.
        ticks, dec = nice_ticks(*xr)
        for t in ticks:
            px = to_px(t)
            pygame.draw.line(surf, GRID, (px, plot.y), (px, plot.bottom))
            img = tick_font.render(f"{t:.{dec}f}", True, FAINT_INK)
            surf.blit(img, (px - img.get_width() / 2, plot.bottom + 5))
        if yr is not None:
            ticks, dec = nice_ticks(*yr)
            for t in ticks:
                py = to_py(t)
                pygame.draw.line(surf, GRID, (plot.x, py), (plot.right, py))
                img = tick_font.render(f"{t:.{dec}f}", True, FAINT_INK)
                surf.blit(img, (plot.x - 6 - img.get_width(), py - img.get_height() / 2))
        pygame.draw.rect(surf, AXIS, plot, 1)
        body = self._font("body")
        img = body.render("x", True, INK)
        surf.blit(img, (plot.centerx - img.get_width() / 2, plot.bottom + 24))
        img = body.render("y", True, INK)
        surf.blit(img, (12, plot.centery - img.get_height() / 2))

        if yr is None:  # just after reset: only the inputs are known
            for px in to_px(x[np.isfinite(x)]):
                pygame.draw.line(surf, POINT, (px, plot.bottom - 8), (px, plot.bottom))
            note = "batch drawn: waiting for predictions" if x.size else "no data yet"
            img = body.render(note, True, FAINT_INK)
            surf.blit(img, img.get_rect(center=plot.center))
            return

        surf.set_clip(plot.inflate(-2, -2))
        sort = np.argsort(x, kind="stable")
        for a in reversed(ranked):  # best agent last, so its curve is on top
            p = preds.get(a)
            if p is None or p.shape != x.shape:
                continue
            xs, ps = x[sort], p[sort]
            ok = np.isfinite(xs) & np.isfinite(ps)
            px, py = to_px(xs), to_py(np.where(ok, ps, 0.0))
            # Non-finite predictions break the line rather than ending the agent's curve.
            for seg in np.split(np.arange(len(xs)), np.flatnonzero(~ok)):
                seg = seg[ok[seg]]
                if len(seg) >= 2:
                    pygame.draw.lines(surf, self._colour(a), False, list(zip(px[seg], py[seg])), 3)
                elif len(seg) == 1:
                    pygame.draw.circle(surf, self._colour(a), (px[seg[0]], py[seg[0]]), 3)
        # The truth goes over the curves: a good agent's line must not hide what it is judged on.
        if y is not None:
            ok = np.isfinite(x) & np.isfinite(y)
            for px, py in zip(to_px(x[ok]), to_py(y[ok])):
                pygame.draw.circle(surf, POINT, (px, py), 3)
        surf.set_clip(None)

    def _key(self, surf, rect: pygame.Rect) -> None:
        """What the marks on the plot mean."""
        font = self._font("tick")
        line = font.get_linesize() + 4
        pygame.draw.circle(surf, POINT, (rect.x + 17, rect.y + line // 2), 3)
        surf.blit(font.render("true outcome (noisy target)", True, FAINT_INK), (rect.x + 32, rect.y))
        mid = rect.y + line + line // 2
        for i in range(3):  # three colours: one line per agent
            pygame.draw.line(surf, palette_colour(i), (rect.x + 8 + 6 * i, mid), (rect.x + 14 + 6 * i, mid), 3)
        surf.blit(font.render("each agent's predictions", True, FAINT_INK), (rect.x + 32, rect.y + line))


def _finite_or_inf(value) -> float:
    return float(value) if value is not None and math.isfinite(value) else math.inf


def _fit_y(y: np.ndarray | None, preds: dict) -> tuple[float, float] | None:
    """The y-range: the true outcomes, stretched by at most ``PRED_REACH`` toward the predictions."""
    finite = [p[np.isfinite(p)] for p in preds.values()]
    allp = np.concatenate(finite) if finite else np.empty(0)
    base = _span(y, 0.0) if y is not None else None
    if base is None:
        if allp.size == 0:
            return None
        # No truth to anchor to: the middle of the predictions, so one wild agent cannot dominate.
        base = _span(np.percentile(allp, [10, 90]), 0.0)
    lo, hi = base
    if allp.size:
        reach = PRED_REACH * (hi - lo)
        lo, hi = min(lo, max(float(allp.min()), lo - reach)), max(hi, min(float(allp.max()), hi + reach))
    pad = 0.06 * (hi - lo)
    return lo - pad, hi + pad
