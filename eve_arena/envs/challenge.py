"""What the two-role worlds (``toy_challenge``, ``mnist_challenge``) share: the challengers'
reward, drawing on demand, and the end of a step."""

from __future__ import annotations

import math

import numpy as np
from pettingzoo import ParallelEnv

from eve_arena.errors import UserError

INVALID_CHALLENGE = -1.0
"""A challenger's reward for a NaN or inf action: below any valid challenger's."""


REGRETS = ("ratio", "bounded")


def check_counts(**counts) -> None:
    """Each of ``counts`` (seats, batch size, steps) a positive integer, or one line naming it."""
    for arg, value in counts.items():
        if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value < 1:
            raise UserError(f"{arg} must be a positive integer, got {value!r}")


def check_regret(regret: str) -> None:
    if regret not in REGRETS:
        raise UserError(f"regret must be {' or '.join(map(repr, REGRETS))}, got {regret!r}")


def share_sizes(batch_size: int, base_fraction: float, num_challengers: int, unit: str) -> np.ndarray:
    """``(m + 1,)`` the batch's shares: the base share first (``base_fraction`` of the batch, at
    least one ``unit``), then one near-equal block for each challenger, which must hold one at least."""
    base = max(1, round(base_fraction * batch_size))
    if batch_size - base < num_challengers:
        raise UserError(f"batch_size {batch_size} with base_fraction {base_fraction:g} leaves {batch_size - base} {unit} for {num_challengers} challengers; give a batch of at least {math.ceil(num_challengers / (1 - base_fraction)) + 1}")
    return np.concatenate([[base], np.diff(np.linspace(0, batch_size - base, num_challengers + 1).astype(int))])


def challenge_rewards(share_losses: np.ndarray, base_losses: np.ndarray, noise: float, reach: float, regret: str = "ratio") -> tuple[np.ndarray, np.ndarray]:
    """``(rewards, within_reach)`` of m challengers from valid solvers' losses: ``share_losses``
    ``(k, m)`` on each challenger's share, ``base_losses`` ``(k,)`` on the base share. The scale
    is the best solver's base loss plus ``noise^2``; a share is within reach while its best
    solver's loss is at most ``reach`` times the scale, and pays the regret on it:

    - ``ratio``: (median - best) / (best + scale), unbounded: one share where the median
      solver's loss explodes (inputs at the bound of the quadratic) can outpay every other;
    - ``bounded``: (median - best) / (median + scale), in [0, 1): the share of the median
      solver's loss the best one avoids, so no share pays more than 1 however large the losses.
    """
    scale = float(base_losses.min()) + noise**2
    best, median = share_losses.min(axis=0), np.median(share_losses, axis=0)
    within = best <= reach * scale
    paid = (median - best) / ((median if regret == "bounded" else best) + scale)
    return np.where(within, paid, 0.0), within


class ChallengeWorld(ParallelEnv):
    """Solvers and challengers in one world. Subclasses keep the batch in ``_x``, ``_y`` (and the
    one before in ``_prev_x``, ``_prev_y``), draw one from the challengers' choices in
    ``_draw(choices)``, keep ``frame`` (what the picture needs), and name their renderer in
    ``_make_renderer``, which loads pygame only when drawing."""

    _renderer = None
    seat_arguments = {"solver": "num_solvers", "challenger": "num_challengers"}
    """The constructor arguments that size each role's seats: a co-evolution seats every player."""

    def _seat(self, num_solvers: int, num_challengers: int, render_mode: str | None) -> None:
        """The agents of both roles (``roles`` maps each role to its agents), and no drawing yet."""
        self.render_mode = render_mode
        self._renderer = None
        self.frame: dict = {}
        self.solvers = [f"solver_{i}" for i in range(num_solvers)]
        self.challengers = [f"challenger_{j}" for j in range(num_challengers)]
        self.roles = {"solver": list(self.solvers), "challenger": list(self.challengers)}
        self.possible_agents = self.solvers + self.challengers
        self.agents: list[str] = []
        self._rng = np.random.default_rng()

    def observation_space(self, agent: str):
        return self._solver_observation if agent.startswith("solver") else self._challenger_observation

    def action_space(self, agent: str):
        return self._solver_action if agent.startswith("solver") else self._challenger_action

    def _begin_episode(self, seed: int | None) -> None:
        """Every agent in, step 0, the generator reseeded when given a seed, and no challenger's
        choice yet (NaN rows: the first batch is all base draws)."""
        if seed is not None:
            self._rng = np.random.default_rng(seed)
        self.agents = list(self.possible_agents)
        self._step = 0
        self._choices = np.full((len(self.challengers), self._challenger_action.shape[0]), np.nan)

    def _make_renderer(self):
        raise NotImplementedError

    def render(self):
        if self.render_mode is None:
            return None
        if self._renderer is None:
            self._renderer = self._make_renderer()
        return self._renderer.draw(self.frame)

    def close(self):
        if self._renderer is not None:
            self._renderer.close()
            self._renderer = None

    def _end_step(self, next_choices: np.ndarray, rewards: dict, infos: dict, truncated: bool):
        """The next batch, drawn as the challengers just chose, and the step's five dicts; draws in
        human mode; the episode ends with truncation."""
        self._prev_x, self._prev_y = self._x, self._y
        self._choices = next_choices
        self._x, self._y = self._draw(self._choices)
        observations = self._observations()
        if self.render_mode == "human":
            self.render()
        terminations = {a: False for a in self.agents}
        truncations = {a: truncated for a in self.agents}
        if truncated:
            self.agents = []
        return observations, rewards, terminations, truncations, infos
