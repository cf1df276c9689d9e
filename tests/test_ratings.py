"""The vectorised Plackett-Luce update against openskill's own."""

import numpy as np
import pytest
from openskill.models import PlackettLuce

from eve_arena import plackett_luce, ratings


def openskill_rate(mu, sigma, scores):
    model = PlackettLuce()
    rated = model.rate([[model.rating(mu=float(m), sigma=float(s))] for m, s in zip(mu, sigma)], scores=[float(x) for x in scores])
    return np.array([t[0].mu for t in rated]), np.array([t[0].sigma for t in rated])


@pytest.mark.parametrize("ties", [False, True])
def test_the_vectorised_update_equals_openskills_on_random_matches(ties):
    rng = np.random.default_rng(int(ties))
    for _ in range(60):
        n = int(rng.integers(2, 30))
        mu, sigma = rng.normal(25, 6, n), rng.uniform(0.3, 9, n)
        scores = rng.integers(0, 4, n).astype(float) if ties else rng.normal(size=n)
        ours, theirs = plackett_luce.rate(mu, sigma, scores), openskill_rate(mu, sigma, scores)
        np.testing.assert_allclose(ours[0], theirs[0], rtol=0, atol=1e-10)
        np.testing.assert_allclose(ours[1], theirs[1], rtol=0, atol=1e-10)


def test_a_match_where_everyone_ties_and_a_two_player_match():
    mu, sigma = np.array([20.0, 25.0, 30.0]), np.array([8.0, 3.0, 1.0])
    for scores in ([1.0, 1.0, 1.0], [0.0, 2.0, 1.0]):
        np.testing.assert_allclose(plackett_luce.rate(mu, sigma, np.array(scores)), openskill_rate(mu, sigma, scores), atol=1e-10)
    np.testing.assert_allclose(plackett_luce.rate(mu[:2], sigma[:2], np.array([3.0, -1.0])), openskill_rate(mu[:2], sigma[:2], [3.0, -1.0]), atol=1e-10)


def test_rate_match_updates_only_the_seated_and_scales_to_thousands():
    mu, sigma = ratings.fresh(5000)
    seats = np.arange(1, 4097)
    scores = np.random.default_rng(0).normal(size=len(seats))
    new_mu, new_sigma = ratings.rate_match(mu, sigma, seats, scores)
    assert new_mu[0] == mu[0] and (new_mu[4097:] == mu[4097:]).all() and (new_sigma[4097:] == sigma[4097:]).all()
    assert np.isfinite(new_mu).all() and (new_sigma[seats] <= np.sqrt(sigma[seats] ** 2 + ratings.MODEL.tau**2)).all()  # tau widens, the match narrows
    best, worst = seats[np.argmax(scores)], seats[np.argmin(scores)]
    assert new_mu[best] > mu[best] > new_mu[worst]
