"""When a changing world changes: a schedule turns the clock into a phase.

The clock is the generation (the population must re-adapt by evolution), the step within an
episode (an agent must adapt during its life, from the feedback its observations carry), or
the episode (a new task every match). A phase is a number: its integer part ``k`` picks the
task drawn for phase ``k`` from ``seed``; with ``mode="gradual"`` the fraction blends phase
``k``'s task into phase ``k + 1``'s, with ``mode="abrupt"`` it is dropped.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from eve_arena.errors import UserError

UNITS = ("generation", "step", "episode")
MODES = ("abrupt", "gradual")


@dataclass(frozen=True)
class Schedule:
    every: int = 20
    """Clock ticks per phase (generations or steps); ``episode`` changes every episode."""
    unit: str = "generation"
    mode: str = "abrupt"
    seed: int = 0
    """Seeds the task drawn for each phase, so a run's sequence of worlds is reproducible."""

    def __post_init__(self) -> None:
        if self.unit not in UNITS:
            raise UserError(f"change unit must be one of {', '.join(UNITS)}, got {self.unit!r}")
        if self.mode not in MODES:
            raise UserError(f"change mode must be abrupt or gradual, got {self.mode!r}")
        if not isinstance(self.every, int) or isinstance(self.every, bool) or self.every < 1:
            raise UserError(f"change_every must be a positive integer, got {self.every!r}")

    def phase(self, ticks: float) -> float:
        """The phase after ``ticks`` generations or steps."""
        position = ticks / self.every
        return float(math.floor(position)) if self.mode == "abrupt" else float(position)
