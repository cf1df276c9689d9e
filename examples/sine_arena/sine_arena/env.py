"""Sine arena: k agents predict ``amplitude * sin(x + phase)`` and are ranked by their error.

The contract eve-arena holds a plugged-in environment to (``eve_arena.envs.plugins``):

- a PettingZoo ``ParallelEnv`` whose constructor takes ``num_agents`` (the arena sizes each match);
- each observation is a ``Box`` of inputs, or a ``Dict`` whose ``"x"`` entry is one, read as rows
  of the genome's input width; each action is a ``Box`` holding the net's outputs for those rows;
- finite rewards, higher for the better agent: the tournament ranks agents by their sum.

Optional: ``infos[agent]["invalid"]`` marks an invalid answer (NaN or inf), and a ``task`` with
``heldout()`` and ``loss()`` lets the arena pick champions on a held-out split.
"""

from __future__ import annotations

import numpy as np
from gymnasium import spaces
from pettingzoo import ParallelEnv


class SineArenaEnv(ParallelEnv):
    metadata = {"name": "sine_arena_v0", "render_modes": [], "is_parallelizable": True}

    def __init__(self, num_agents: int = 2, batch_size: int = 32, max_steps: int = 4, amplitude: float = 2.0, phase: float = 0.5, render_mode: str | None = None):
        self.possible_agents = [f"agent_{i}" for i in range(num_agents)]
        self.agents: list[str] = []
        self.batch_size, self.max_steps = batch_size, max_steps
        self.amplitude, self.phase = amplitude, phase
        self.render_mode = render_mode
        self._observation_space = spaces.Box(-5.0, 5.0, (batch_size,), np.float32)  # one input per row
        self._action_space = spaces.Box(-np.inf, np.inf, (batch_size,), np.float32)  # one prediction per row
        self._rng = np.random.default_rng()

    def observation_space(self, agent: str) -> spaces.Box:
        return self._observation_space

    def action_space(self, agent: str) -> spaces.Box:
        return self._action_space

    def _draw(self) -> dict:
        self._x = self._rng.uniform(-5.0, 5.0, self.batch_size).astype(np.float32)
        return {agent: self._x for agent in self.agents}

    def reset(self, seed: int | None = None, options: dict | None = None):
        if seed is not None:
            self._rng = np.random.default_rng(seed)
        self.agents = list(self.possible_agents)
        self._step = 0
        return self._draw(), {agent: {} for agent in self.agents}

    def step(self, actions: dict):
        truth = self.amplitude * np.sin(self._x + self.phase)
        errors = {a: float(np.mean((np.asarray(actions[a], np.float64) - truth) ** 2)) for a in self.agents}
        invalid = {a: not np.isfinite(e) for a, e in errors.items()}
        worst = max((e for a, e in errors.items() if not invalid[a]), default=0.0)
        rewards = {a: -(worst + 1.0) if invalid[a] else -errors[a] for a in self.agents}  # a broken answer loses
        infos = {a: {"mse": errors[a], "invalid": invalid[a]} for a in self.agents}
        self._step += 1
        done = self._step >= self.max_steps
        terminations = {a: False for a in self.agents}
        truncations = {a: done for a in self.agents}
        observations = self._draw()
        if done:
            self.agents = []
        return observations, rewards, terminations, truncations, infos


def parallel_env(**kwargs) -> SineArenaEnv:
    return SineArenaEnv(**kwargs)
