"""Champion evaluation for any world: fixed-seed episodes against a fixed field of reference agents.

A contender (the champion, or an anchor being frozen) plays ``episodes`` episodes against each
member of the field. Every evaluation uses the same seeds, ``EVAL_SEED_BASE + j``, which no
training match draws (theirs are below 2**31), so two evaluations differ only by who plays.
A world that sizes its matches seats the contender and one opponent; a world with a fixed
number of seats seats the contender and fills the rest with copies of the opponent; a
one-seat world plays the contender and the opponent in separate episodes on the same seed.

Reference agents that any Box world accepts: ``random`` (uniform within the action's bounds,
standard normal where unbounded) and ``constant`` (``agents.baselines.ConstantPredictor``: zero,
or the running mean of the targets a supervised world shows it, kept within the bounds).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from eve_arena.agents.io import within_bounds
from eve_arena.match import play_match

EVAL_SEED_BASE = 2**31


class RandomAgent:
    """Acts uniformly at random within the action's bounds (standard normal where unbounded)."""

    name = "random"

    def __init__(self, size: int = 1, seed: int = 0):
        self.size = size
        self._rng = np.random.default_rng(seed)

    def reset(self) -> None:
        pass

    def act(self, observations: list, action_space) -> list:
        low, high = np.broadcast_to(action_space.low, action_space.shape), np.broadcast_to(action_space.high, action_space.shape)
        bounded = np.isfinite(low) & np.isfinite(high)
        actions = []
        for _ in observations:
            draw = np.where(bounded, self._rng.uniform(np.where(bounded, low, 0.0), np.where(bounded, high, 1.0)), self._rng.standard_normal(action_space.shape))
            actions.append(within_bounds(draw, action_space))
        return actions


class Copies:
    """Drives several seats with one size-1 controller, one seat at a time."""

    def __init__(self, controller, size: int):
        self.controller, self.size, self.name = controller, size, controller.name

    def reset(self) -> None:
        self.controller.reset()

    def act(self, observations: list, action_space) -> list:
        return [within_bounds(self.controller.act([obs], action_space)[0], action_space) for obs in observations]


@dataclass
class FieldResult:
    """A contender's episodes against one opponent."""

    seeds: list[int]
    returns: np.ndarray
    """``(E,)`` the contender's return in each episode."""
    scores: list[np.ndarray]
    """Per episode, every seat's return, the contender first (what the ladder ranks)."""
    episodes: list[dict] = field(default_factory=list)
    """Per episode, the contender's steps (``match.EpisodeLog.seat``)."""


def play_field(world, seats: int | None, contender, opponents: dict, episodes: int, generation: int) -> dict[str, FieldResult]:
    """The contender against each opponent, ``episodes`` times each.

    ``world(seats)`` gives an environment with that many agents; ``seats`` is the world's fixed
    number of seats, or None when the arena sizes matches. ``contender(size)`` and each
    ``opponents[name](size, seed)`` build controllers that drive ``size`` seats.
    """
    n = seats or 2
    results = {}
    for name, opponent in opponents.items():
        result = FieldResult([], np.zeros(episodes), [])
        for j in range(episodes):
            seed = EVAL_SEED_BASE + j
            options = {"generation": generation}
            if n == 1:
                mine = play_match(world(1), [contender(1)], seed=seed, options=options, keep_steps=True)
                theirs = play_match(world(1), [opponent(1, seed)], seed=seed, options=options)
                scores = np.array([mine.returns[0], theirs.returns[0]])
            else:
                mine = play_match(world(n), [contender(1), opponent(n - 1, seed)], seed=seed, options=options, keep_steps=True)
                scores = mine.returns
            result.seeds.append(seed)
            result.returns[j] = scores[0]
            result.scores.append(scores)
            result.episodes.append(mine.log.seat(0))
        results[name] = result
    return results


def summary_metrics(results: dict[str, FieldResult], field_names: list[str]) -> dict:
    """``eval/return_vs_NAME`` for every opponent; over the fixed field (not frozen champions),
    the mean return and the mean of each numeric info the contender was given."""
    metrics = {f"eval/return_vs_{name}": float(np.mean(r.returns)) for name, r in results.items()}
    chosen = [results[n] for n in field_names if n in results]
    if chosen:
        metrics["eval/return_vs_field"] = float(np.mean([r.returns for r in chosen]))
        keys = sorted({k for r in chosen for e in r.episodes for k in e["infos"]})
        for key in keys:
            values = np.array([v for r in chosen for e in r.episodes for v in e["infos"].get(key, [])], dtype=float)
            finite = values[np.isfinite(values)]
            metrics[f"eval/{key}"] = float(finite.mean()) if finite.size else float("nan")
    return metrics
