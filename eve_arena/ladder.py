"""The ladder: a rating that reads as progress, measured against anchors that never move.

A generation's tournament rates its population afresh (``arena.py`` says why), so those
ratings only rank the members of one generation. The ladder is the measure across
generations: a fixed pool of anchors, each rated once and then frozen, against which every
evaluated champion is rated anew with the same OpenSkill Plackett-Luce model as the matches.
A rising ladder rating means the champion got better, not that its field got worse.

The anchors, in the order they are frozen: the ``random`` agent, pinned at the model's prior
(mu 25, sigma 25/3) as the scale's fixed point; the ``constant`` agent and any ``--baseline``,
each rated against the anchors before it; the first champion (``g0``); and then the champion
every ``anchor_every`` generations (``g99``, ``g199``, ...), so the ladder keeps rungs above a
random start. A contender's rating starts from the prior and is updated by each evaluation
episode (``evaluator.play_field``) against the fixed field and the newest ``anchor_window``
frozen champions (``rungs``), the anchors' ratings held fixed: once the window is full, every
evaluation plays the same number of games, so the prior pulls each alike, and its cost does
not grow with the run.

The ladder rating is the contender's mu, its estimated skill. Not the ordinal mu - 3 sigma the
tournament selects on: sigma shrinks with every game, so the ordinal of a player who never
changes would climb as anchors (more games) are added; mu does not.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from eve_arena import ratings
from eve_arena.evaluator import FieldResult


@dataclass
class LadderState:
    names: list[str]
    """Every anchor, in the order it was frozen."""
    mu: np.ndarray
    sigma: np.ndarray
    genomes: torch.Tensor
    """``(G, D)`` the frozen champions among the anchors (their names are ``g<generation>``)."""

    @classmethod
    def empty(cls, genome_size: int) -> "LadderState":
        return cls([], np.empty(0), np.empty(0), torch.empty(0, genome_size))

    def ratings(self) -> dict[str, float]:
        """Each anchor's ladder rating (its mu)."""
        return dict(zip(self.names, self.mu.tolist()))


def rate_contender(state: LadderState, results: dict[str, FieldResult]) -> tuple[float, float]:
    """``(mu, sigma)`` of a contender from its episodes against the anchors (fixed ratings)."""
    mu, sigma = ratings.fresh(1)
    at = {name: i for i, name in enumerate(state.names)}
    for name, result in results.items():
        a = at[name]
        for scores in result.scores:
            seats = len(scores)
            # The contender and copies of the anchor, all copies at the anchor's frozen rating.
            pool_mu = np.concatenate([mu, np.full(seats - 1, state.mu[a])])
            pool_sigma = np.concatenate([sigma, np.full(seats - 1, state.sigma[a])])
            new_mu, new_sigma = ratings.rate_match(pool_mu, pool_sigma, np.arange(seats), scores)
            mu, sigma = new_mu[:1], new_sigma[:1]
    return float(mu[0]), float(sigma[0])


def rungs(state: LadderState, field: list[str], window: int) -> list[str]:
    """The anchors a contender plays: the fixed field and the newest ``window`` frozen champions."""
    fixed = [name for name in state.names if name in field]
    champions = [name for name in state.names if name not in field]
    return fixed + (champions[-window:] if window else [])


def freeze(state: LadderState, name: str, rating: tuple[float, float], genome: torch.Tensor | None = None) -> LadderState:
    """The ladder with one more anchor at ``rating``; a frozen champion brings its genome."""
    genomes = state.genomes if genome is None else torch.cat([state.genomes, genome[None]])
    return LadderState([*state.names, name], np.append(state.mu, rating[0]), np.append(state.sigma, rating[1]), genomes)


def pinned() -> tuple[float, float]:
    """The first anchor's rating: the model's prior, the scale's fixed point."""
    mu, sigma = ratings.fresh(1)
    return float(mu[0]), float(sigma[0])
