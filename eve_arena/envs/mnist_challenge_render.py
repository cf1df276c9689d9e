"""Pygame renderer for the two-role MNIST world: each share of the batch as drawn, the solvers' answers on it.

``MNISTChallengeEnv.render`` hands ``MNISTChallengeRenderer.draw`` its ``frame`` dict; the
renderer never touches env state. One row per share, base share first: its name in its
challenger's colour, the transformation it asked for (rotation, shift, noise), the best and
median solver's accuracy on it and the challenger's regret for it; its digit mix as a bar chart
(the base share, and a share drawn from the base distribution, show the training set's mix in
grey); then its first images as the solvers saw them, each with the guess of the solver best on
that share (lowest cross-entropy): green with a tick when right, red with a cross and the true
label when wrong. Beside them, the solvers ranked by total cross-entropy and the challengers by
total reward. ``"rgb_array"`` returns an ``(H, W, 3)`` uint8 array; ``"human"`` shows a window.
"""

from __future__ import annotations

import math
import os

import numpy as np

os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")  # the banner would land in CLI output
import pygame  # noqa: E402

from eve_arena.envs.frame_renderer import FrameRenderer  # noqa: E402
from eve_arena.envs.mnist_challenge import DIGITS, NOISE, ROTATION, SHIFT, digit_weights  # noqa: E402
from eve_arena.envs.mnist_render import MEAN, RIGHT, SIDE, STD, WRONG, _finite_or_inf, _guesses, _images, _mark  # noqa: E402
from eve_arena.envs.scoreboard import FAINT_INK, INK, PANEL_BORDER, draw_scoreboard, fmt_number  # noqa: E402

WIDTH, HEIGHT = 1280, 720
TOP = 52
PANEL_W = 330
INFO_W = 250  # a share's name and numbers
BARS_W = 150  # its digit mix
BAR_W, BAR_H = 12, 44
DIGIT = 2 * SIDE
TILE_W = DIGIT + 6
ROW_H = DIGIT + 46
MAX_TILES = 8
BASE_BARS = (170, 170, 170)


class MNISTChallengeRenderer(FrameRenderer):
    """Draws two-role MNIST frames; one per env, made on the env's first ``render()``."""

    SIZE = (WIDTH, HEIGHT)
    FONT_SIZES = {"title": 28, "name": 22, "body": 19, "small": 16, "guess": 20}
    BOLD = ("name", "guess")

    def _paint(self, frame: dict) -> None:
        surf = self._canvas.surface
        self._header(frame, WIDTH - 16)

        images = _images(frame.get("x"))
        share_of = np.asarray(frame.get("share_of", np.zeros(len(images), int)))
        choices = np.asarray(frame.get("choices", np.zeros((0, 14))), np.float64)
        challengers = [a for a in self.colours if a.startswith("challenger")][: len(choices)]
        rows_fit = (HEIGHT - TOP - 30) // ROW_H
        shown = min(len(choices) + 1, rows_fit)
        for s in range(shown):
            self._share_row(surf, TOP + s * ROW_H, s, frame, images, share_of, choices, challengers)
        notes = [] if shown > len(choices) else [f"first {shown - 1} of {len(choices)} challengers"]
        if frame.get("y") is None:
            notes.append("batch drawn: waiting for the solvers' answers")
        elif frame.get("shares") is None:
            notes.append("every solver's answer was invalid (NaN/inf)")
        else:
            notes.append("under each digit: the guess of the solver best on its share (lowest cross-entropy); wrong: guess/true")
        notes.append("shift: right, down; noise: std in normalised pixels")
        body = self._font("body")
        for i, note in enumerate(notes):
            surf.blit(body.render(note, True, FAINT_INK), (16, TOP + shown * ROW_H + 2 + i * body.get_linesize()))
        self._scoreboards(surf, frame, challengers)

    def _share_row(self, surf, y: int, s: int, frame: dict, images: np.ndarray, share_of: np.ndarray, choices: np.ndarray, challengers: list[str]) -> None:
        small = self._font("small")
        agent = challengers[s - 1] if s and s - 1 < len(challengers) else None
        choice = choices[s - 1] if s else None
        drawn = choice is not None and np.isfinite(choice).all()
        members = np.flatnonzero(share_of == s)
        colour = self._colour(agent) if agent else INK
        labels = frame.get("labels") or {}
        name = "base share" if s == 0 else str(labels.get(agent, agent or f"share {s}"))
        surf.blit(self._font("name").render(f"{name} ({len(members)} images)", True, colour), (16, y))
        if drawn:
            dx, dy = choice[SHIFT]
            how = f"rotate {choice[ROTATION]:+.0f} deg, shift {dx:+.1f},{dy:+.1f} px, noise {choice[NOISE]:.2f}"
        else:
            how = "untransformed training draws" if s == 0 else "base draws: no valid choice yet"
        lines = [how]
        shares = frame.get("shares")
        best = None
        if shares is not None and len(shares["solver"]):
            best = shares["solver"][int(np.argmin(shares["loss"][:, s]))]
            accuracy = shares["accuracy"][:, s]
            lines.append(f"accuracy: best {100 * accuracy[int(np.argmin(shares['loss'][:, s]))]:.0f}%, median {100 * float(np.median(accuracy)):.0f}%")
        if agent and agent in (frame.get("infos") or {}):
            info = frame["infos"][agent]
            reach = "" if not drawn or info["within_reach"] else " (beyond reach)"
            lines.append(f"regret {info['regret']:.3g}{reach}")
        for i, line in enumerate(lines):
            surf.blit(small.render(line, True, INK if i else FAINT_INK), (16, y + 24 + i * 17))

        mix = digit_weights(choice[DIGITS]) if drawn else np.asarray(frame.get("train_mix", np.full(10, 0.1)))
        self._bars(surf, pygame.Rect(16 + INFO_W, y + 4, BARS_W, BAR_H), mix, colour if drawn else BASE_BARS)

        guesses = _guesses(frame["predictions"][best], len(images)) if best is not None and best in (frame.get("predictions") or {}) else None
        truth = frame.get("y")
        x0 = 16 + INFO_W + BARS_W + 10
        tiles = min(len(members), MAX_TILES, (WIDTH - PANEL_W - 24 - x0) // TILE_W)
        for t, i in enumerate(members[:tiles]):
            tx = x0 + t * TILE_W
            pixels = (np.clip(images[i] * STD + MEAN, 0.0, 1.0) * 255).astype(np.uint8)
            tile = pygame.surfarray.make_surface(np.repeat(pixels.T[:, :, None], 3, axis=2))
            surf.blit(pygame.transform.scale(tile, (DIGIT, DIGIT)), (tx, y + 2))
            if guesses is not None and truth is not None:
                right = guesses[i] == truth[i]
                img = self._font("guess").render(str(guesses[i]) if right else f"{guesses[i]}/{truth[i]}", True, RIGHT if right else WRONG)
                surf.blit(img, (tx, y + DIGIT + 6))
                _mark(surf, pygame.Rect(tx + img.get_width() + 3, y + DIGIT + 8, 11, 11), right)
        pygame.draw.line(surf, PANEL_BORDER, (16, y + ROW_H - 8), (WIDTH - PANEL_W - 24, y + ROW_H - 8))

    def _bars(self, surf, rect: pygame.Rect, weights: np.ndarray, colour) -> None:
        """The digit mix: one bar per digit, scaled to the largest weight, its digit below."""
        small = self._font("small")
        top = max(float(np.max(weights)), 1e-9)
        for d in range(10):
            h = max(1, round(rect.height * float(weights[d]) / top))
            x = rect.x + d * (BAR_W + 2)
            pygame.draw.rect(surf, colour, pygame.Rect(x, rect.bottom - h, BAR_W, h))
            img = small.render(str(d), True, FAINT_INK)
            surf.blit(img, (x + (BAR_W - img.get_width()) // 2, rect.bottom + 2))

    def _scoreboards(self, surf, frame: dict, challengers: list[str]) -> None:
        """Solvers by total cross-entropy, then challengers by total reward."""
        body = self._font("body")
        cumulative = frame.get("cumulative") or {}
        infos = frame.get("infos") or {}
        labels = frame.get("labels") or {}
        ratings = frame.get("ratings") or {}
        solvers = sorted((a for a in self.colours if a.startswith("solver")), key=lambda a: _finite_or_inf(cumulative.get(a)))
        rows = []
        for a in solvers:
            info = infos.get(a) or {}
            accuracy = info.get("accuracy")
            acc = "-" if accuracy is None or not math.isfinite(accuracy) else f"{100 * accuracy:.0f}"
            rows.append((self._colour(a), labels.get(a, a), acc, fmt_number(cumulative.get(a)) + ("*" if info.get("invalid") else ""))
                        + ((fmt_number(ratings.get(a)),) if ratings else ()))
        rect = pygame.Rect(WIDTH - PANEL_W - 12, TOP, PANEL_W, (HEIGHT - TOP) // 2 - 12)
        footer = ["acc: last batch; * invalid output (NaN/inf)"]
        used = draw_scoreboard(surf, rect, ["solver", "acc %", "total CE"] + (["rating"] if ratings else []), rows, body, title="solvers by total cross-entropy", footer=footer, max_rows=8)
        ranked = sorted(challengers, key=lambda a: -cumulative.get(a, 0.0))
        rows = [(self._colour(a), labels.get(a, a), fmt_number((infos.get(a) or {}).get("regret")), fmt_number(cumulative.get(a))) for a in ranked]
        rect = pygame.Rect(rect.x, used.bottom + 12, PANEL_W, HEIGHT - used.bottom - 24)
        draw_scoreboard(surf, rect, ["challenger", "regret", "total"], rows, body, title="challengers by total reward", footer=["regret: last step; invalid choice: -1"], max_rows=8)
