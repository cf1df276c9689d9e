"""What every world's renderer shares: a canvas, fonts made on the first frame, a colour per agent,
and the header (the frame's title, and its step of how many).

A world's renderer sets ``SIZE`` and ``FONT_SIZES`` (and ``BOLD``) and paints a frame in
``_paint(frame)`` on a blank canvas; ``draw`` presents it (a window, or an RGB array).
"""

from __future__ import annotations

import numpy as np
import pygame

from eve_arena.envs.canvas import Canvas, load_fonts
from eve_arena.envs.scoreboard import INK, agent_colours, palette_colour

BACKGROUND = (255, 255, 255)


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
        self._canvas.surface.fill(BACKGROUND)
        self._paint(frame)
        return self._canvas.present(str(frame.get("title", "")))

    def close(self) -> None:
        self._canvas.close()

    def _paint(self, frame: dict) -> None:
        raise NotImplementedError

    def _header(self, frame: dict, right: int) -> None:
        """The title at the top left, and "step N/M" ending at ``right``."""
        surf, title = self._canvas.surface, self._font("title")
        surf.blit(title.render(str(frame.get("title", "")), True, INK), (16, 12))
        of = f"/{frame['max_steps']}" if frame.get("max_steps") else ""
        step = title.render(f"step {frame.get('step', 0)}{of}", True, INK)
        surf.blit(step, (right - step.get_width(), 12))

    def _font(self, kind: str) -> pygame.font.Font:
        if not self._fonts:  # fonts wait for the first frame: making a renderer costs nothing
            self._fonts = load_fonts(self.FONT_SIZES, bold=self.BOLD)
        return self._fonts[kind]

    def _colour(self, agent: str) -> tuple[int, int, int]:
        """An agent the env did not announce still gets a stable colour."""
        return self.colours.setdefault(agent, palette_colour(len(self.colours)))
