"""Skill ratings from match rankings: OpenSkill's Plackett-Luce model (Weng & Lin 2011).

The update is OpenSkill's, vectorised (``plackett_luce``): a free-for-all of n players costs
O(n log n) array arithmetic instead of openskill's O(n^2) Python loop. Ratings live in two arrays, ``mu`` and ``sigma``, indexed by a participant's slot in the
tournament, so they checkpoint as plain tensors. Fitness is the ordinal ``mu - 3 sigma``: a
conservative skill estimate that rewards both winning and having been tested.
"""

from __future__ import annotations

import numpy as np
from openskill.models import PlackettLuce

from eve_arena import plackett_luce

MODEL = PlackettLuce()


def fresh(count: int) -> tuple[np.ndarray, np.ndarray]:
    """``(mu, sigma)`` of ``count`` unrated participants."""
    return np.full(count, MODEL.mu), np.full(count, MODEL.sigma)


def ordinal(mu: np.ndarray, sigma: np.ndarray) -> np.ndarray:
    return mu - 3.0 * sigma


def rate_match(mu: np.ndarray, sigma: np.ndarray, seats: np.ndarray, scores: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Updates the ratings of ``seats`` (indices into mu/sigma) from one match's scores (higher wins).

    Returns new arrays; the inputs are not modified.
    """
    mu, sigma = mu.copy(), sigma.copy()
    mu[seats], sigma[seats] = plackett_luce.rate(mu[seats], sigma[seats], np.asarray(scores, np.float64), MODEL)
    return mu, sigma
