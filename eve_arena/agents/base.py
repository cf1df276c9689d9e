"""The controller protocol: whatever drives one or more of a match's agents.

A match hands every controller the observations of the agents it drives, in order, and gets
one action each back, so a controller can act for many agents in one batched call.
"""

from __future__ import annotations

from typing import Protocol


class Controller(Protocol):
    size: int
    """How many of the match's agents this controller drives."""
    name: str
    """Shown on scoreboards and in logs."""

    def reset(self) -> None:
        """Called at the start of each episode (lifetime state, if any, is cleared here)."""

    def act(self, observations: list, action_space) -> list:
        """One action per driven agent, in the order of ``observations``."""
