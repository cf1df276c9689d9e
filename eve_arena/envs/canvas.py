"""Where a renderer's frame goes: an off-screen pygame surface, shown in a window or returned as RGB.

Renderers paint on ``Canvas.surface`` and call ``present``; this is the part every world's
renderer shares, so drawing code stays about what a frame shows.
"""

from __future__ import annotations

import os

os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")

import numpy as np  # noqa: E402
import pygame  # noqa: E402

RENDER_MODES = ("human", "rgb_array")


class Canvas:
    def __init__(self, size: tuple[int, int], render_mode: str, fps: int):
        if render_mode not in RENDER_MODES:
            raise ValueError(f"render_mode must be 'human' or 'rgb_array', got {render_mode!r}")
        self.size = size
        self.render_mode = render_mode
        self.fps = fps
        self.surface = pygame.Surface(size)
        self._window: pygame.Surface | None = None
        self._clock: pygame.time.Clock | None = None

    def present(self, title: str) -> np.ndarray | None:
        """``rgb_array``: the frame as ``(H, W, 3)`` uint8; ``human``: shows it at ``fps``, returns None."""
        if self.render_mode == "rgb_array":
            return np.ascontiguousarray(pygame.surfarray.array3d(self.surface).transpose(1, 0, 2))
        if self._window is None:
            pygame.display.init()  # the window opens on the first frame, not before
            self._window = pygame.display.set_mode(self.size)
            self._clock = pygame.time.Clock()
        pygame.display.set_caption(f"eve-arena: {title}")
        self._window.blit(self.surface, (0, 0))
        pygame.event.pump()  # without it the OS marks the window unresponsive
        pygame.display.flip()
        self._clock.tick(self.fps)
        return None

    def close(self) -> None:
        if self._window is not None:
            pygame.display.quit()
            self._window = None
            self._clock = None


def load_fonts(sizes: dict[str, int], bold: tuple[str, ...] = ()) -> dict[str, pygame.font.Font]:
    """pygame's bundled font at each size: no system font scan, the same look on every machine."""
    if not pygame.font.get_init():
        pygame.font.init()
    fonts = {name: pygame.font.Font(None, size) for name, size in sizes.items()}
    for name in bold:
        fonts[name].set_bold(True)
    return fonts
