"""What every world's renderer shares: a canvas, fonts made on the first frame, a colour per agent.

A world's renderer sets ``SIZE`` and ``FONT_SIZES`` (and ``BOLD``) and paints a frame in
``_paint(frame)``; ``draw`` presents it (a window, or an RGB array).
"""

from __future__ import annotations

import numpy as np
import pygame

from eve_arena.envs.canvas import Canvas, load_fonts
from eve_arena.envs.scoreboard import agent_colours, palette_colour


class FrameRenderer:
    SIZE: tuple[int, int] = (960, 540)
    FONT_SIZES: dict[str, int] = {"title": 28, "body": 21, "tick": 19}
    BOLD: tuple[str, ...] = ()

    def __init__(self, agent_ids: list[str], render_mode: str, fps: int):
        self._canvas = Canvas(self.SIZE, render_mode, fps)
        self.render_mode = render_mode
        self.colours = agent_colours(agent_ids)
        self._fonts: dict[str, pygame.font.Font] = {}

    def draw(self, frame: dict) -> np.ndarray | None:
        self._paint(frame)
        return self._canvas.present(str(frame.get("title", "")))

    def close(self) -> None:
        self._canvas.close()

    def _paint(self, frame: dict) -> None:
        raise NotImplementedError

    def _font(self, kind: str) -> pygame.font.Font:
        if not self._fonts:  # fonts wait for the first frame: making a renderer costs nothing
            self._fonts = load_fonts(self.FONT_SIZES, bold=self.BOLD)
        return self._fonts[kind]

    def _colour(self, agent: str) -> tuple[int, int, int]:
        """An agent the env did not announce still gets a stable colour."""
        return self.colours.setdefault(agent, palette_colour(len(self.colours)))
