"""Pygame renderer for the two-role toy world: the batch the challengers shaped, and how the solvers answered it.

``ToyChallengeEnv.render`` hands ``ChallengeRenderer.draw`` its ``frame`` dict (see the env's
docstring); the renderer never touches env state. One frame is one scored step:

* the main plot, over ``[-x_bound, x_bound]``: the true function f(x) as a dark line; each
  solver's predictions on the batch as a thin line in its colour, the best solver on this batch
  bold; the noisy targets as dots coloured by share (the base share grey, each challenger's share
  in the challenger's colour), and a rug of the inputs along the bottom in the same colours;
* under it, on the same x axis, the distributions the shares were drawn from: the base
  ``N(0, 1)`` in grey and each challenger's ``N(center, spread^2)`` as a filled bump in its colour
  (labelled with its regret on this batch, "out" when it was out of reach), and as a thin outline
  the choice it has just made for the next batch;
* on the right, two scoreboards ranked by return: the solvers (return, MSE on this batch) and the
  challengers (return, regret on this batch, within reach), with clipped and invalid actions
  noted under the table.

``"rgb_array"`` returns the picture as an ``(H, W, 3)`` uint8 array; ``"human"`` shows it in a
window at ``fps`` and returns None.
"""

from __future__ import annotations

import math
import os

import numpy as np

os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")  # the banner would land in CLI output
import pygame  # noqa: E402

from eve_arena.envs.frame_renderer import BACKGROUND, FrameRenderer  # noqa: E402
from eve_arena.envs.scoreboard import FAINT_INK, INK, draw_scoreboard, fmt_number, palette_colour  # noqa: E402
from eve_arena.envs.toy_render import AXIS, FAR, GRID, _finite_or_inf, _fit_y, nice_ticks  # noqa: E402

WIDTH, HEIGHT = 1100, 630
PANEL_W = 380
BASE = (150, 150, 150)  # the base share: grey, a colour no agent has
TRUTH = (20, 20, 20)
PLOT = pygame.Rect(74, 52, WIDTH - PANEL_W - 74 - 36, 420)
STRIP = pygame.Rect(PLOT.x, PLOT.bottom + 8, PLOT.width, 96)  # the input distributions, on the plot's x axis
RUG = 9  # height of the input ticks at the bottom of the plot
BUMP_ALPHA = 60
MAX_ROWS = 6  # rows in each scoreboard
FONT_SIZES = {"title": 28, "body": 21, "tick": 19}


def x_pixel(x, x_bound: float, plot: pygame.Rect = PLOT) -> np.ndarray:
    """The column of input ``x`` on the plot (and on the strip under it, which shares its axis)."""
    return np.clip(plot.x + (np.asarray(x, dtype=np.float64) + x_bound) / (2 * x_bound) * plot.width, -FAR, FAR)


class ChallengeRenderer(FrameRenderer):
    """Draws two-role toy frames; one per env, made on the env's first ``render()``."""

    SIZE = (WIDTH, HEIGHT)
    FONT_SIZES = FONT_SIZES

    def _paint(self, frame: dict) -> None:
        surf = self._canvas.surface
        for agent in [*frame.get("solvers", ()), *(frame.get("predictions") or {}), *frame.get("challengers", ())]:  # one the renderer was not told about still gets a stable colour
            self._colour(agent)
        self._header(frame, PLOT.right)
        body = self._font("body")
        self._plot(surf, frame)
        self._strip(surf, frame)
        img = body.render("x", True, INK)
        surf.blit(img, (PLOT.centerx - img.get_width() / 2, STRIP.bottom + 26))
        self._panel(surf, frame, pygame.Rect(WIDTH - PANEL_W - 12, PLOT.y, PANEL_W, HEIGHT - PLOT.y - 12))

    def close(self) -> None:
        self._canvas.close()

    # -- the function, the batch and the answers ---------------------------------------------
    def _plot(self, surf, frame: dict) -> None:
        bound = float(frame.get("x_bound") or 1.0)
        x = _floats(frame.get("x"))
        y = None if frame.get("y") is None else _floats(frame["y"])
        y = y if y is not None and y.shape == x.shape else None
        colours = self._share_colours(frame)
        share = _share(frame.get("share"), x.size, len(colours))
        truth_x, truth_y = (_floats(v) for v in (frame.get("truth") or ((), ())))
        preds = {a: _floats(p) for a, p in (frame.get("predictions") or {}).items()}
        preds = {a: p for a, p in preds.items() if p.shape == x.shape}
        seen = np.concatenate([truth_y, np.empty(0) if y is None else y])
        yr = _fit_y(seen, preds) if np.isfinite(seen).any() or preds else None
        tick, body = self._fonts["tick"], self._fonts["body"]

        def to_py(values):  # a non-finite value stays NaN: it breaks a line rather than running off the plot
            with np.errstate(invalid="ignore"):
                return np.where(np.isfinite(values), np.clip(PLOT.bottom - (values - yr[0]) / (yr[1] - yr[0]) * PLOT.height, -FAR, FAR), np.nan)

        self._x_grid(surf, bound, PLOT)
        if yr is not None:
            ticks, dec = nice_ticks(*yr)
            for t in ticks:
                py = float(to_py(t))
                pygame.draw.line(surf, GRID, (PLOT.x, py), (PLOT.right, py))
                label = tick.render(f"{t + 0.0:.{dec}f}", True, FAINT_INK)
                surf.blit(label, (PLOT.x - 6 - label.get_width(), py - label.get_height() / 2))
        label = body.render("y", True, INK)
        surf.blit(label, (14, PLOT.centery - label.get_height() / 2))

        surf.set_clip(PLOT.inflate(-2, -2))
        if yr is not None:
            _polyline(surf, TRUTH, x_pixel(truth_x, bound), to_py(truth_y), 2)
            best = _best(preds, y)
            order = sorted(preds, key=lambda a: a == best)  # the best solver last, so its line is on top
            sort = np.argsort(x, kind="stable")
            for a in order:
                _polyline(surf, self.colours[a], x_pixel(x[sort], bound), to_py(preds[a][sort]), 4 if a == best else 1)
        if y is not None:  # the targets go over the answers: what they are judged on must show
            for s in np.argsort(share, kind="stable"):  # challengers' shares over the base share
                if np.isfinite(x[s]) and np.isfinite(y[s]):
                    pygame.draw.circle(surf, colours[share[s]], (float(x_pixel(x[s], bound)), float(to_py(y[s]))), 4 if share[s] else 3)
        for s in np.flatnonzero(np.isfinite(x)):
            px = float(x_pixel(x[s], bound))
            pygame.draw.line(surf, colours[share[s]], (px, PLOT.bottom - RUG), (px, PLOT.bottom), 2)
        surf.set_clip(None)
        pygame.draw.rect(surf, AXIS, PLOT, 1)
        if y is None:
            note = body.render("batch drawn: waiting for answers", True, FAINT_INK)
            surf.blit(note, note.get_rect(center=(PLOT.centerx, PLOT.y + 20)))

    def _x_grid(self, surf, bound: float, rect: pygame.Rect) -> None:
        """Vertical grid lines on ``rect``; labels only under the strip, the bottom of the shared axis."""
        ticks, dec = nice_ticks(-bound, bound)
        for t in ticks:
            px = float(x_pixel(t, bound))
            pygame.draw.line(surf, GRID, (px, rect.y), (px, rect.bottom))
            if rect is STRIP:
                label = self._fonts["tick"].render(f"{t + 0.0:.{dec}f}", True, FAINT_INK)
                surf.blit(label, (px - label.get_width() / 2, rect.bottom + 5))

    def _share_colours(self, frame: dict) -> list[tuple[int, int, int]]:
        """Each share's colour: a challenger's, or grey for the base share and for one drawn as base (no valid choice)."""
        challengers = list(frame.get("challengers", ()))
        return [BASE, *(self.colours[c] if _choice(frame.get("choices"), j) else BASE for j, c in enumerate(challengers))]

    # -- the distributions the shares were drawn from ----------------------------------------
    def _strip(self, surf, frame: dict) -> None:
        bound = float(frame.get("x_bound") or 1.0)
        tick = self._fonts["tick"]
        self._x_grid(surf, bound, STRIP)
        heading = pygame.transform.rotate(tick.render("input pdf", True, FAINT_INK), 90)
        surf.blit(heading, (STRIP.x - 8 - heading.get_width(), STRIP.centery - heading.get_height() / 2))
        xs = np.linspace(-bound, bound, 241)
        px = x_pixel(xs, bound)
        top = STRIP.y + 24  # room above the bumps for their labels

        def bump(center: float, spread: float) -> list[tuple[float, float]]:
            height = np.exp(-0.5 * ((xs - center) / spread) ** 2) * (STRIP.bottom - 2 - top)
            return list(zip(px, STRIP.bottom - 1 - height))

        challengers = list(frame.get("challengers", ()))
        infos = frame.get("infos") or {}
        drew = {j: _choice(frame.get("choices"), j) for j in range(len(challengers))}
        drew = {j: choice for j, choice in drew.items() if choice is not None}
        fill = pygame.Surface(STRIP.size, pygame.SRCALPHA)  # translucent, so bumps that overlap both show
        for j, (center, spread) in drew.items():
            corners = [(px[0], STRIP.bottom), *bump(center, spread), (px[-1], STRIP.bottom)]
            pygame.draw.polygon(fill, (*self.colours[challengers[j]], BUMP_ALPHA), [(a - STRIP.x, b - STRIP.y) for a, b in corners])
        surf.set_clip(STRIP.inflate(-2, -2))
        surf.blit(fill, STRIP.topleft)
        pygame.draw.lines(surf, BASE, False, bump(0.0, 1.0), 2)
        labels = []
        for j, agent in enumerate(challengers):
            colour = self.colours[agent]
            nxt = _choice(frame.get("next_choices"), j)
            if nxt is not None:
                pygame.draw.lines(surf, colour, False, bump(*nxt), 1)
            if j not in drew:
                continue
            cx = float(x_pixel(drew[j][0], bound))
            pygame.draw.lines(surf, colour, False, bump(*drew[j]), 2)
            pygame.draw.line(surf, colour, (cx, top), (cx, STRIP.bottom), 2)
            info = infos.get(agent) or {}
            regret = "" if "regret" not in info else " " + (fmt_number(info["regret"]) if info.get("within_reach") else "out")
            labels.append((cx, f"c{j}{regret}", colour))
        surf.set_clip(None)
        pygame.draw.rect(surf, AXIS, STRIP, 1)
        self._labels(surf, labels, top - tick.get_linesize() - 2)

    def _labels(self, surf, labels: list, y: int) -> None:
        """Each bump's label centred over it, on white; one that would overlap another is left out."""
        font, taken = self._fonts["tick"], []
        for cx, text, colour in sorted(labels, key=lambda item: item[0]):
            img = font.render(text, True, colour)
            box = img.get_rect(midtop=(cx, y)).inflate(4, 0).clamp(STRIP.inflate(-4, 0))
            if any(box.colliderect(other) for other in taken):
                continue
            pygame.draw.rect(surf, BACKGROUND, box)
            surf.blit(img, (box.x + 2, box.y))
            taken.append(box)

    # -- scoreboards and key -----------------------------------------------------------------
    def _panel(self, surf, frame: dict, rect: pygame.Rect) -> None:
        body = self._fonts["body"]
        infos, returns = frame.get("infos") or {}, frame.get("returns") or {}
        solvers, challengers = list(frame.get("solvers", ())), list(frame.get("challengers", ()))
        solver_rows, bad = [], False
        for a in _ranked(solvers, returns):
            info = infos.get(a) or {}
            bad |= bool(info.get("invalid"))
            solver_rows.append((self.colours[a], a, fmt_number(returns.get(a)), fmt_number(info.get("mse")) + ("*" if info.get("invalid") else "")))
        footer = ["* invalid output (NaN/inf)"] if bad else []
        used = draw_scoreboard(surf, rect, ["solver", "return", "MSE"], solver_rows, body, title="solvers, ranked by return", footer=footer, max_rows=MAX_ROWS)

        rows, clipped, bad = [], [], False
        for a in _ranked(challengers, returns):
            info = infos.get(a) or {}
            bad |= bool(info.get("invalid"))
            reach = "-" if not info or info.get("invalid") or not math.isfinite(info.get("regret", math.nan)) else ("yes" if info.get("within_reach") else "no")
            rows.append((self.colours[a], a, fmt_number(returns.get(a)), fmt_number(info.get("regret")), reach + ("*" if info.get("invalid") else "")))
            if info.get("clipped"):
                clipped.append(a)
        footer = ([f"next choice clipped: {', '.join(clipped)}"] if clipped else []) + (["* invalid action: base draws next"] if bad else [])
        table = pygame.Rect(rect.x, used.bottom + 10, rect.width, rect.bottom - used.bottom - 10 - 5 * 20)
        used = draw_scoreboard(surf, table, ["challenger", "return", "regret", "reach"], rows, body, title="challengers, ranked by return", footer=footer, max_rows=MAX_ROWS)
        solver = self.colours[solvers[0]] if solvers else palette_colour(0)
        challenger = self.colours[challengers[0]] if challengers else palette_colour(1)
        self._key(surf, pygame.Rect(rect.x, used.bottom + 10, rect.width, rect.bottom - used.bottom - 10), solver, challenger)

    def _key(self, surf, rect: pygame.Rect, solver, challenger) -> None:
        """What the marks mean: a mark and a line of words each, in the colours of the first solver and challenger."""
        font = self._fonts["tick"]
        line = font.get_linesize() + 5

        def bump(x, y, colour, width):
            pygame.draw.lines(surf, colour, False, [(x, y + 5), (x + 7, y + 4), (x + 11, y - 5), (x + 15, y + 4), (x + 22, y + 5)], width)

        entries = [
            (lambda x, y: pygame.draw.line(surf, TRUTH, (x, y), (x + 22, y), 2), "f(x), the true function"),
            (lambda x, y: (pygame.draw.line(surf, solver, (x, y - 3), (x + 22, y - 3), 1), pygame.draw.line(surf, solver, (x, y + 3), (x + 22, y + 3), 4)),
             "a solver's answers; bold: best on this batch"),
            (lambda x, y: (pygame.draw.circle(surf, BASE, (x + 5, y), 3), pygame.draw.circle(surf, challenger, (x + 16, y), 3)),
             "targets (and inputs, on the rug) by share"),
            (lambda x, y: bump(x, y, challenger, 2), "input pdf that drew a challenger's share"),
            (lambda x, y: bump(x, y, challenger, 1), "its choice for the next batch"),
            (lambda x, y: bump(x, y, BASE, 2), "the base share's N(0, 1)"),
            (lambda x, y: None, "label: challenger, regret (out: out of reach)"),
        ]
        y = rect.y
        for mark, words in entries:
            if y + line > rect.bottom:
                break
            mark(rect.x + 8, y + line // 2 - 2)
            surf.blit(font.render(words, True, FAINT_INK), (rect.x + 38, y))
            y += line


def _floats(values) -> np.ndarray:
    return np.asarray(() if values is None else values, dtype=np.float64).ravel()


def _share(share, n: int, shares: int) -> np.ndarray:
    """Each of ``n`` inputs' share (0: base, j + 1: challenger j's); all base where the frame does not say."""
    share = np.asarray(() if share is None else share, dtype=int).ravel()
    return share if share.size == n and ((share >= 0) & (share < shares)).all() else np.zeros(n, int)


def _choice(choices, j: int) -> tuple[float, float] | None:
    """Challenger ``j``'s ``(center, spread)`` from ``(m, 2)`` ``(center, log spread)`` rows; None when it has none (base draws)."""
    if choices is None or j >= len(choices) or not np.isfinite(choices[j]).all():
        return None
    return float(choices[j][0]), math.exp(float(choices[j][1]))


def _best(preds: dict, y: np.ndarray | None) -> str | None:
    """The solver with the least MSE on this batch among those whose answers are all finite."""
    if y is None:
        return None
    with np.errstate(over="ignore", invalid="ignore"):
        losses = {a: float(np.mean((p - y) ** 2)) for a, p in preds.items() if p.size and np.isfinite(p).all()}
    losses = {a: v for a, v in losses.items() if math.isfinite(v)}
    return min(losses, key=losses.get) if losses else None


def _ranked(agents: list[str], returns: dict) -> list[str]:
    """Highest return first; a non-finite return last; ties keep seat order."""
    return sorted(agents, key=lambda a: _finite_or_inf(-returns[a]) if a in returns else math.inf)


def _polyline(surf, colour, px: np.ndarray, py: np.ndarray, width: int) -> None:
    """A line through the points, broken wherever a coordinate is not finite (a NaN answer draws nothing)."""
    ok = np.isfinite(px) & np.isfinite(py)
    edges = np.flatnonzero(np.diff(np.concatenate([[0], ok.astype(int), [0]])))
    for start, stop in zip(edges[::2], edges[1::2]):  # each run of finite points
        points = list(zip(px[start:stop].tolist(), py[start:stop].tolist()))
        if len(points) > 1:
            pygame.draw.lines(surf, colour, False, points, width)
        else:
            pygame.draw.circle(surf, colour, points[0], max(2, width))
