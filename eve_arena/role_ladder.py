"""A ladder per role: each role's champion rated against its own role's frozen champions.

The one-population ladder (``ladder.py``) says why a generation's ratings cannot show progress
and how anchors fix that; this is the same ladder for a world with roles. A role's anchors are
its champions, frozen: the first one evaluated (``g<generation>``, pinned at the model's prior)
and then one every ``anchor_every`` generations. The contender plays each rung (the first anchor
and the newest ``window``) in the role's seats, while every other role's seats are held by that
role's first anchor, frozen too: the opponents never move, so a rising rating is the role's own
progress, not a weaker opponent.

How contender and anchor share the role's seats:

- ``split`` (a role with two or more seats): the contender in the role's first seat and copies
  of the anchor in the rest, one episode; the role's returns rank them, as in ``ladder.py``;
- ``paired``: the contender in all of the role's seats for one episode, the anchor in all of them
  for a second on the same seed; the role's mean returns rank them. The right pairing for a role
  with one seat, or one whose agents share their reward (MPE's predators), where a split match
  would always tie.
"""

from __future__ import annotations

import numpy as np
import torch

from eve_arena import ladder
from eve_arena.evaluator import EVAL_SEED_BASE, FieldResult

PAIRINGS = ("auto", "split", "paired")


def pairing_for(choice: str, seats: int) -> str:
    return ("split" if seats >= 2 else "paired") if choice == "auto" else choice


def play_rung(match, role: str, seats: list[int], contender: torch.Tensor, anchor: torch.Tensor, pairing: str, episodes: int) -> FieldResult:
    """The contender against one anchor of ``role``. ``match(genomes_of_role, seed)`` plays one
    episode with the role's seats held by those ``(seats, D)`` genomes (the others fixed) and gives
    its ``MatchResult``; ``seats`` are the role's indices in the world's seat order."""
    n = len(seats)
    result = FieldResult([], np.zeros(episodes), [])
    for j in range(episodes):
        seed = EVAL_SEED_BASE + j
        if pairing == "split":
            played = match(torch.cat([contender[None], anchor[None].expand(n - 1, -1)]), seed)
            scores = played.returns[seats]
        else:
            mine = match(contender[None].expand(n, -1), seed).returns[seats].mean()
            theirs = match(anchor[None].expand(n, -1), seed).returns[seats].mean()
            scores = np.array([mine, theirs])
        result.seeds.append(seed)
        result.returns[j] = scores[0]
        result.scores.append(np.asarray(scores, np.float64))
    return result


def climb(state: ladder.LadderState, generation: int, contender: torch.Tensor, play, window: int, anchor_every: int) -> tuple[ladder.LadderState, float]:
    """The contender's ladder rating (its mu), and the ladder with it frozen in when an anchor is
    due. ``play(anchor_genome)`` gives its ``FieldResult`` against one anchor."""
    name = f"g{generation}"
    if not state.names:  # the first champion is the scale's fixed point
        rating = ladder.pinned()
        return ladder.freeze(state, name, rating, contender), rating[0]
    rungs = ladder.rungs(state, state.names[:1], window)
    at = {anchor: i for i, anchor in enumerate(state.names)}
    results = {anchor: play(state.genomes[at[anchor]]) for anchor in rungs}
    mu, sigma = ladder.rate_contender(state, results)
    if anchor_every and (generation + 1) % anchor_every == 0:
        state = ladder.freeze(state, name, (mu, sigma), contender)
    return state, mu
