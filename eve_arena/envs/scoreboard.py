"""Pygame scoreboard for the arena's renderers: a boxed, ranked table of agents in their colours.

Shared by every world's renderer so agents look the same everywhere: ``PALETTE`` and
``agent_colours`` give each agent a fixed colour, ``fmt_number`` writes losses and ratings
compactly, and ``draw_scoreboard`` draws the table. The caller ranks the rows; this module only
lays them out.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterable, Sequence

os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")  # the banner would land in CLI output
import pygame  # noqa: E402

Colour = tuple[int, int, int]

# Tableau 10 with its grey swapped for navy, so no agent can be mistaken for the grey data points.
PALETTE: tuple[Colour, ...] = (
    (31, 119, 180), (255, 127, 14), (44, 160, 44), (214, 39, 40), (148, 103, 189),
    (140, 86, 75), (227, 119, 194), (188, 189, 34), (23, 190, 207), (20, 20, 120),
)

INK: Colour = (30, 30, 30)
FAINT_INK: Colour = (110, 110, 110)
PANEL_BG: Colour = (247, 247, 247)
PANEL_BORDER: Colour = (190, 190, 190)


def palette_colour(index: int) -> Colour:
    """The ``index``-th agent's colour: the palette, then darker rounds of it past ten agents."""
    base = PALETTE[index % len(PALETTE)]
    shade = 0.6 ** (index // len(PALETTE) % 3)  # a darker twin tells agent_10 from agent_0
    return tuple(int(c * shade) for c in base)


def agent_colours(agent_ids: Iterable[str]) -> dict[str, Colour]:
    """Agent id -> colour by position (see ``palette_colour``)."""
    return {a: palette_colour(i) for i, a in enumerate(agent_ids)}


def fmt_number(value: float | None) -> str:
    """Four significant digits; "-" for a missing or non-finite value."""
    if value is None or not math.isfinite(value):
        return "-"
    return f"{value:.4g}"


def _fit(text: str, font: pygame.font.Font, width: int) -> str:
    """``text`` cut to ``width`` pixels, ending in ".." when cut."""
    if font.size(text)[0] <= width:
        return text
    while text and font.size(text + "..")[0] > width:
        text = text[:-1]
    return text + ".."


def draw_scoreboard(
    surface: pygame.Surface,
    rect: pygame.Rect,
    headers: Sequence[str],
    rows: Sequence[tuple],
    font: pygame.font.Font,
    *,
    title: str | None = None,
    footer: Sequence[str] = (),
    max_rows: int = 10,
) -> pygame.Rect:
    """Draws a boxed table inside ``rect`` and returns the part of it used.

    ``headers`` names the label column then each value column; each row is
    ``(colour, label, value, ...)`` with the values already formatted as strings, in the order
    to show. A colour swatch leads each row; labels are cut to fit and values right-aligned.
    Rows past ``max_rows``, or past what ``rect`` can hold, collapse into a "+N more" line;
    ``footer`` lines (notes, keys) go below the rows in faint ink.
    """
    pad, gap, swatch_w = 8, 12, 18
    line = font.get_linesize() + 3
    n_values = len(headers) - 1
    # Value columns are as wide as their widest cell; the label column takes what is left.
    value_w = [max(font.size(str(c))[0] for c in [headers[j + 1], *(r[j + 2] for r in rows)]) for j in range(n_values)]
    label_x = rect.x + pad + swatch_w + 6
    label_w = rect.right - pad - sum(w + gap for w in value_w) - label_x

    fixed_lines = (title is not None) + 1 + len(footer)  # title, header row, footer
    room = max(0, (rect.height - 2 * pad) // line - fixed_lines)
    shown = min(len(rows), max_rows, room)
    if shown < len(rows):
        shown = max(0, min(shown, room - 1))  # the "+N more" line needs a row of its own
    hidden = len(rows) - shown
    n_lines = fixed_lines + shown + (hidden > 0)
    used = pygame.Rect(rect.x, rect.y, rect.width, min(rect.height, 2 * pad + n_lines * line))
    pygame.draw.rect(surface, PANEL_BG, used)
    pygame.draw.rect(surface, PANEL_BORDER, used, 1)

    def put(text: str, x: int, y: int, colour: Colour = INK, right: bool = False) -> None:
        img = font.render(text, True, colour)
        surface.blit(img, (x - img.get_width() if right else x, y))

    def value_cells(cells: Sequence[str], y: int, colour: Colour) -> None:
        x = rect.right - pad
        for j in reversed(range(n_values)):
            put(str(cells[j]), x, y, colour, right=True)
            x -= value_w[j] + gap

    y = used.y + pad
    if title is not None:
        put(_fit(title, font, used.width - 2 * pad), used.x + pad, y)
        y += line
    put(_fit(headers[0], font, label_w), label_x, y, FAINT_INK)
    value_cells(headers[1:], y, FAINT_INK)
    y += line
    for colour, label, *cells in rows[:shown]:
        mid = y + font.get_linesize() // 2
        pygame.draw.line(surface, colour, (rect.x + pad, mid), (rect.x + pad + swatch_w, mid), 4)
        put(_fit(str(label), font, label_w), label_x, y)
        value_cells(cells, y, INK)
        y += line
    if hidden:
        put(f"+{hidden} more", label_x, y, FAINT_INK)
        y += line
    for note in footer:
        put(_fit(note, font, used.width - 2 * pad), used.x + pad, y, FAINT_INK)
        y += line
    return used
