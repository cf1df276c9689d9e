"""The tournament of one generation: who meets whom, the matches played, the ratings updated.

Participants are numbered ``0..P-1`` for the population and ``P..P+H-1`` for the hall of fame:
frozen champions of earlier generations that every new group must also face (self-play against
one's ancestors, as in AlphaStar's league or OpenAI Five's past selves).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from eve_arena.errors import UserError


@dataclass(frozen=True)
class TournamentConfig:
    match_size: int = 0
    """Population members per match; 0 puts everyone in one free-for-all. In a world with a fixed
    number of seats, 0 fills them with distinct members, and fewer members fill them in turn."""
    rounds: int = 1
    """Times per generation the population is regrouped and plays."""
    hall_of_fame_opponents: int = 2
    """Hall-of-fame champions that join each match (fewer while the hall is smaller)."""
    ranking: str = "match"
    """``match``: each match ranks its own seats by return; ``round``: a round's matches share one
    seed and are ranked together, each seat by its mean return (for cooperative worlds)."""

    def validate(self, population: int) -> None:
        if self.match_size < 0:
            raise UserError(f"match size must be 0 (free-for-all) or positive, got {self.match_size}")
        if self.match_size > population:
            raise UserError(f"the population ({population}) is smaller than the match size ({self.match_size}); lower --match-size or raise --population")
        if self.rounds < 1:
            raise UserError(f"rounds must be a positive integer, got {self.rounds}")
        if self.ranking not in ("match", "round"):
            raise UserError(f"ranking must be match or round, got {self.ranking!r}")
        if self.hall_of_fame_opponents < 0:
            raise UserError(f"hall-of-fame opponents must be non-negative, got {self.hall_of_fame_opponents}")


def schedule(config: TournamentConfig, population: int, hall_size: int, rng: np.random.Generator, seats: int | None = None) -> list[np.ndarray]:
    """The matches of one generation, each an array of participant indices (population first).

    Groups are a random partition of the population into ``population // match_size`` groups of
    near-equal size (every member plays once per round); each group is joined by hall-of-fame
    members drawn without replacement. In a world with a fixed number of agents, ``seats`` is
    how many of them the population and the hall share: every match fills exactly that many
    (``fixed_seat_groups``).
    """
    matches = []
    for _ in range(config.rounds):
        k = min(config.hall_of_fame_opponents, hall_size, seats - 1 if seats else hall_size)
        if seats:
            # A match_size below the seats left seats the same members again: match_size 1 makes
            # teams of clones, which in a cooperative world (--ranking round) tests one policy.
            members = min(config.match_size or seats - k, seats - k)
            groups = [np.resize(g, seats - k) for g in fixed_seat_groups(population, members, rng)]
        elif config.match_size == 0:
            groups = [np.arange(population)]
        else:
            groups = np.array_split(rng.permutation(population), population // config.match_size)
        for group in groups:
            hall = population + rng.choice(hall_size, size=k, replace=False) if k else np.empty(0, dtype=np.int64)
            matches.append(np.concatenate([np.sort(group), hall]).astype(np.int64))
    return matches


def fixed_seat_groups(population: int, size: int, rng: np.random.Generator) -> list[np.ndarray]:
    """Groups of exactly ``size`` covering a shuffled population; a short last group is filled
    with members drawn from the rest, who then play twice this round."""
    order = rng.permutation(population)
    groups = [order[i : i + size] for i in range(0, population, size)]
    short = size - len(groups[-1])
    if short:
        others = np.setdiff1d(np.arange(population), groups[-1])
        groups[-1] = np.concatenate([groups[-1], rng.choice(others, size=short, replace=False)])
    return groups
