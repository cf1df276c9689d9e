"""Shifting plane: a world whose rule changes within an episode, written as a user would write it.

k agents see the same ``points`` inputs ``(x1, x2)`` each step and predict ``y = a x1 + b x2``;
every ``switch_every`` steps the coefficients ``(a, b)`` jump to a new draw, so an agent that
only knows the family has to learn each rule from what it has seen. Nothing here comes from
eve-arena: Box spaces, no renderer, constructor arguments of its own (``points``, ``horizon``,
``switch_every``). It reports what a plug-in may report:

- ``infos[agent]["mse"]``: a number, so eve-arena logs it (``eval/mse``, match medians);
- ``infos[agent]["phase"]``: which rule the step was scored under, so ``eve-arena adaptivity``
  finds each change inside the champion's evaluation episodes;
- ``infos[agent]["target"]``: the step's true answers, which ``with_feedback`` turns into the
  ``prev_x`` / ``prev_y`` a plastic genome learns from (``eve_arena.envs.feedback``).

    eve-arena tournament --env sine_arena.shifting:ShiftingPlane --env-arg horizon=12
    eve-arena tournament --env sine_arena.shifting:with_feedback --lifetime plastic
"""

from __future__ import annotations

import numpy as np
from gymnasium import spaces
from pettingzoo import ParallelEnv


class ShiftingPlane(ParallelEnv):
    metadata = {"name": "shifting_plane_v0", "render_modes": [], "is_parallelizable": True}

    def __init__(self, num_agents: int = 2, points: int = 16, horizon: int = 12, switch_every: int = 4):
        self.possible_agents = [f"player_{i}" for i in range(num_agents)]
        self.agents: list[str] = []
        self.points, self.horizon, self.switch_every = points, horizon, switch_every
        self._observation_space = spaces.Box(-3.0, 3.0, (points, 2), np.float32)
        self._action_space = spaces.Box(-np.inf, np.inf, (points,), np.float32)
        self._rng = np.random.default_rng()

    def observation_space(self, agent):
        return self._observation_space

    def action_space(self, agent):
        return self._action_space

    def reset(self, seed=None, options=None):
        if seed is not None:
            self._rng = np.random.default_rng(seed)
        self.agents = list(self.possible_agents)
        self._t = 0
        self._coefficients = self._rng.uniform(-2.0, 2.0, 2)
        return self._draw(), {a: {} for a in self.agents}

    def _draw(self):
        self._x = self._rng.uniform(-3.0, 3.0, (self.points, 2)).astype(np.float32)
        return {a: self._x for a in self.agents}

    def step(self, actions):
        truth = self._x.astype(np.float64) @ self._coefficients
        phase = self._t // self.switch_every
        errors = {a: float(np.mean((np.asarray(actions[a], np.float64) - truth) ** 2)) for a in self.agents}
        finite = [e for e in errors.values() if np.isfinite(e)]
        worst = max(finite, default=0.0)
        rewards = {a: -e if np.isfinite(e) else -(worst + 1.0) for a, e in errors.items()}
        infos = {a: {"mse": errors[a], "phase": phase, "target": truth.astype(np.float32), "invalid": not np.isfinite(errors[a])} for a in self.agents}
        self._t += 1
        if self._t % self.switch_every == 0:
            self._coefficients = self._rng.uniform(-2.0, 2.0, 2)  # a new rule, mid-episode
        done = self._t >= self.horizon
        observations = self._draw()
        terminations = {a: False for a in self.agents}
        truncations = {a: done for a in self.agents}
        if done:
            self.agents = []
        return observations, rewards, terminations, truncations, infos


def with_feedback(**kwargs):
    """The same world with ``prev_x`` / ``prev_y`` for plastic genomes."""
    from eve_arena.envs.feedback import Feedback

    return Feedback(ShiftingPlane(**kwargs), target_key="target")
