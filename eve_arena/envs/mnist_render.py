"""Pygame renderer for the MNIST arena: the batch's digits, each agent's guess on each, a scoreboard.

``MNISTEnv.render`` hands ``MNISTRenderer.draw`` its ``frame`` dict (see ``supervised.py``); the
renderer never touches env state. A frame shows the first digits of the batch in a grid; beside
each digit its true label, and under it one chip per agent in the agent's colour holding the
agent's guess (the argmax of its logits): a solid chip with a tick when right, a hollow chip with
a cross when wrong, "-" for an invalid (NaN/inf) answer. Past ``MAX_CHIPS`` agents only the
best-ranked get chips. A scoreboard ranked by cumulative cross-entropy gives each agent's
last-step accuracy, total loss and rating. ``"rgb_array"`` returns the picture as an
``(H, W, 3)`` uint8 array; ``"human"`` shows it in a window at ``fps`` and returns None.
"""

from __future__ import annotations

import math
import os

import numpy as np

os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")  # the banner would land in CLI output
import pygame  # noqa: E402

from eve_arena.envs.frame_renderer import FrameRenderer  # noqa: E402
from eve_arena.envs.scoreboard import FAINT_INK, INK, draw_scoreboard, fmt_number, palette_colour  # noqa: E402

WIDTH, HEIGHT = 1080, 680
MEAN, STD = 0.1307, 0.3081  # undo the normalisation MNISTTask applies
SIDE = 28  # MNIST images are 28 x 28
SCALE = 2
DIGIT = SIDE * SCALE
PANEL_W = 340
MAX_ROWS = 12  # scoreboard rows
MAX_DIGITS = 32
MAX_CHIPS = 6  # agents with a chip under each digit
CHIPS_PER_ROW = 2
CHIP_W, CHIP_H = 24, 20  # a chip: the agent's colour around its guess
MARK_W = 14  # the tick or cross after a chip
SLOT_W = CHIP_W + 3 + MARK_W + 4  # chip, gap, mark, gap
CELL_W = 2 * SLOT_W + 8  # wide enough for two chips; the digit and its true label fit too
CHIP_ROW_H = CHIP_H + 4
KEY_H = 4 * (CHIP_H + 6)
RIGHT = (0, 140, 60)
WRONG = (200, 30, 30)


class MNISTRenderer(FrameRenderer):
    """Draws MNIST-arena frames; one per env, made on the env's first ``render()``."""

    SIZE = (WIDTH, HEIGHT)
    FONT_SIZES = {"title": 28, "body": 21, "tick": 19, "truth": 30, "chip": 22}
    BOLD = ("chip", "truth")

    def _paint(self, frame: dict) -> None:
        surf = self._canvas.surface
        images = _images(frame.get("x"))
        n = len(images)
        y = _labels(frame.get("y"), n)
        preds = frame.get("predictions") or {}
        infos = frame.get("infos") or {}
        cum = frame.get("cumulative_loss") or {}
        agents = list(dict.fromkeys([*cum, *preds])) or list(self.colours)
        order = {a: i for i, a in enumerate(agents)}
        ranked = sorted(agents, key=lambda a: (_finite_or_inf(cum.get(a)), order[a]))
        guesses = {a: _guesses(preds[a], n) for a in preds}
        invalid = {a for a in agents if (infos.get(a) or {}).get("invalid") or (a in guesses and guesses[a] is None)}

        self._header(frame, WIDTH - 16)

        # Chips for the best-ranked agents, in scoreboard order; room for them is kept even
        # before the first step so the grid does not jump when predictions arrive.
        chip_agents = ranked[:MAX_CHIPS]
        area = pygame.Rect(16, 52, WIDTH - PANEL_W - 12 - 16 - 16, HEIGHT - 52 - 40)
        self._grid(surf, area, images, y, chip_agents, guesses, invalid, len(agents))

        rows = []
        ratings = frame.get("ratings") or {}
        labels = frame.get("labels") or {}
        for a in ranked:
            acc = (infos.get(a) or {}).get("accuracy")
            acc_text = "-" if a in invalid or acc is None or not math.isfinite(acc) else f"{100 * acc:.0f}"
            row = [self._colour(a), labels.get(a, a), acc_text, fmt_number(cum.get(a)) + ("*" if a in invalid else "")]
            if ratings:
                row.append(fmt_number(ratings.get(a)))
            rows.append(tuple(row))
        headers = ["agent", "acc %", "total CE"] + (["rating"] if ratings else [])
        footer = ["acc: last step; CE: cross-entropy"]
        if invalid & set(ranked[:MAX_ROWS]):
            footer.append("* invalid output (NaN/inf)")
        panel = pygame.Rect(WIDTH - PANEL_W - 12, area.y, PANEL_W, area.height - KEY_H - 12)
        used = draw_scoreboard(surf, panel, headers, rows, self._font("body"), title="ranked by total cross-entropy", footer=footer, max_rows=MAX_ROWS)
        self._key(surf, pygame.Rect(panel.x, used.bottom + 12, PANEL_W, KEY_H))

    def _grid(self, surf, area: pygame.Rect, images: np.ndarray, y, chip_agents: list[str], guesses: dict, invalid: set, n_agents: int) -> None:
        body = self._font("body")
        chip_rows = math.ceil(len(chip_agents) / CHIPS_PER_ROW)
        cell_h = DIGIT + 6 + chip_rows * CHIP_ROW_H + 10
        cols = max(1, area.width // CELL_W)
        rows_fit = max(1, area.height // cell_h)
        shown = min(len(images), MAX_DIGITS, cols * rows_fit)
        if shown < len(images) and shown >= cols:
            shown -= shown % cols  # a cut batch shows whole rows
        # The full grid's columns are centred in the area, so a small batch starts where a big one does.
        x0 = area.x + (area.width - cols * CELL_W) // 2
        waiting = y is None and not guesses
        for i in range(shown):
            cx = x0 + (i % cols) * CELL_W
            cy = area.y + (i // cols) * cell_h
            truth = None if y is None or y[i] < 0 else int(y[i])
            self._cell(surf, cx, cy, images[i], truth, chip_agents, guesses, invalid, i)

        notes = []
        if len(images) == 0:
            notes.append("no digits in this frame")
        elif shown < len(images):
            notes.append(f"first {shown} of {len(images)} digits")
        else:
            notes.append(f"{len(images)} digit{'s' if len(images) != 1 else ''}")
        if n_agents > len(chip_agents):
            notes.append(f"guesses of the {len(chip_agents)} best-ranked of {n_agents} agents")
        note_y = area.y + max(1, math.ceil(shown / cols)) * cell_h + 2
        text = "   |   ".join(notes)
        surf.blit(body.render(text, True, FAINT_INK), (x0, note_y))
        if waiting:
            img = self._font("title").render("batch drawn: waiting for predictions", True, INK)
            surf.blit(img, (x0, note_y + body.get_linesize() + 6))

    def _cell(self, surf, x: int, y: int, image: np.ndarray, truth: int | None, chip_agents: list[str], guesses: dict, invalid: set, i: int) -> None:
        pixels = (np.clip(image * STD + MEAN, 0.0, 1.0) * 255).astype(np.uint8)
        tile = pygame.surfarray.make_surface(np.repeat(pixels.T[:, :, None], 3, axis=2))
        surf.blit(pygame.transform.scale(tile, (DIGIT, DIGIT)), (x, y))
        if truth is not None:  # the true label, right of the digit
            img = self._font("truth").render(str(truth), True, INK)
            surf.blit(img, (x + DIGIT + 5, y + 2))
        chip_font = self._font("chip")
        for j, a in enumerate(chip_agents):
            sx = x + (j % CHIPS_PER_ROW) * SLOT_W
            sy = y + DIGIT + 6 + (j // CHIPS_PER_ROW) * CHIP_ROW_H
            chip = pygame.Rect(sx, sy, CHIP_W, CHIP_H)
            colour = self._colour(a)
            g = guesses.get(a)
            if a not in guesses:  # no answer from this agent in this frame
                continue
            if a in invalid or g is None or g[i] < 0:
                pygame.draw.rect(surf, colour, chip, 2)
                img = chip_font.render("-", True, colour)
                surf.blit(img, img.get_rect(center=chip.center))
                continue
            guess = int(g[i])
            if truth is None or guess == truth:  # right, or not yet judged: solid chip
                pygame.draw.rect(surf, colour, chip)
                img = chip_font.render(str(guess), True, (255, 255, 255))
            else:  # wrong: hollow chip, the guess in the agent's colour
                pygame.draw.rect(surf, colour, chip, 2)
                img = chip_font.render(str(guess), True, colour)
            surf.blit(img, img.get_rect(center=chip.center))
            if truth is not None:
                _mark(surf, pygame.Rect(chip.right + 3, sy + 3, MARK_W, CHIP_H - 6), guess == truth)

    def _key(self, surf, rect: pygame.Rect) -> None:
        """What the marks on the grid mean."""
        font = self._font("tick")
        chip_font = self._font("chip")
        line = CHIP_H + 6
        colour = palette_colour(0)
        x, y = rect.x + 8, rect.y
        img = self._font("truth").render("7", True, INK)
        surf.blit(img, (x + (CHIP_W - img.get_width()) // 2, y))
        surf.blit(font.render("true label (right of each digit)", True, FAINT_INK), (x + SLOT_W + 4, y + 3))
        y += line
        chip = pygame.Rect(x, y, CHIP_W, CHIP_H)
        pygame.draw.rect(surf, colour, chip)
        img = chip_font.render("7", True, (255, 255, 255))
        surf.blit(img, img.get_rect(center=chip.center))
        _mark(surf, pygame.Rect(chip.right + 3, y + 3, MARK_W, CHIP_H - 6), True)
        surf.blit(font.render("an agent's guess, right", True, FAINT_INK), (x + SLOT_W + 4, y + 3))
        y += line
        chip = pygame.Rect(x, y, CHIP_W, CHIP_H)
        pygame.draw.rect(surf, colour, chip, 2)
        img = chip_font.render("1", True, colour)
        surf.blit(img, img.get_rect(center=chip.center))
        _mark(surf, pygame.Rect(chip.right + 3, y + 3, MARK_W, CHIP_H - 6), False)
        surf.blit(font.render("wrong", True, FAINT_INK), (x + SLOT_W + 4, y + 3))
        y += line
        chip = pygame.Rect(x, y, CHIP_W, CHIP_H)
        pygame.draw.rect(surf, colour, chip, 2)
        img = chip_font.render("-", True, colour)
        surf.blit(img, img.get_rect(center=chip.center))
        surf.blit(font.render("invalid output (NaN/inf logits)", True, FAINT_INK), (x + SLOT_W + 4, y + 3))


def _mark(surf, rect: pygame.Rect, right: bool) -> None:
    """A tick (right) or a cross (wrong) filling ``rect``: shapes, so they read without colour too."""
    if right:
        points = [(rect.x, rect.centery), (rect.x + rect.width * 0.4, rect.bottom), (rect.right, rect.y)]
        pygame.draw.lines(surf, RIGHT, False, points, 3)
    else:
        pygame.draw.line(surf, WRONG, rect.topleft, (rect.right - 1, rect.bottom - 1), 3)
        pygame.draw.line(surf, WRONG, (rect.x, rect.bottom - 1), (rect.right - 1, rect.y), 3)


def _images(x) -> np.ndarray:
    """``(n, 28, 28)`` float images from the frame's ``x``; none if it is missing or not MNIST-shaped."""
    if x is None:
        return np.zeros((0, SIDE, SIDE))
    x = np.asarray(x, dtype=np.float64)
    if x.size == 0 or x.size % (SIDE * SIDE):
        return np.zeros((0, SIDE, SIDE))
    return np.nan_to_num(x.reshape(-1, SIDE, SIDE), nan=-MEAN / STD)  # NaN pixels show black


def _labels(y, n: int) -> np.ndarray | None:
    """The true labels as ints (-1 where unknown), padded to ``n``; None before the first step."""
    if y is None:
        return None
    y = np.asarray(y).ravel()
    out = np.full(n, -1, np.int64)
    m = min(n, y.size)
    with np.errstate(invalid="ignore"):
        vals = np.where(np.isfinite(y[:m].astype(np.float64)), y[:m], -1).astype(np.int64)
    out[:m] = np.where((vals >= 0) & (vals <= 9), vals, -1)
    return out


def _guesses(logits, n: int) -> np.ndarray | None:
    """Each image's argmax (-1 past the rows given); None if the agent's answer is invalid."""
    p = np.asarray(logits, dtype=np.float64)
    if p.size == 0 or p.size % 10 or not np.isfinite(p).all():
        return None
    p = p.reshape(-1, 10)
    out = np.full(n, -1, np.int64)
    m = min(n, len(p))
    out[:m] = p[:m].argmax(axis=1)
    return out


def _finite_or_inf(value) -> float:
    return float(value) if value is not None and math.isfinite(value) else math.inf
