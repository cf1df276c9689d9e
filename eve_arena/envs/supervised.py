"""The machinery every eve-arena world shares: k agents answer the same supervised batch.

A world is this one environment class configured with a task (what the data is and how an
answer is scored) and a renderer; its own module holds its documentation and entry point.
Each step draws one batch that every agent sees; each agent answers; losses are compared
(``scoring.py``); the observation also carries the previous step's inputs and true targets, so
an agent that adapts within its life has the feedback to do so.

A task provides ``input_shape``, ``output_shape``, ``target_space(batch)``, ``sample(rng, n)``,
``losses(predictions, targets) -> (k,)``, ``step_info(predictions, targets, losses) -> {name: (k,)}`` (``losses`` are the step's own, not recomputed),
``penalty_floor(targets)`` and ``name``.
"""

from __future__ import annotations

import numpy as np
from gymnasium import spaces
from pettingzoo import ParallelEnv

from eve_arena.envs.scoring import check_action, competitive_rewards, penalised_losses
from eve_arena.errors import UserError


def steps_from_cycles(kwargs: dict) -> dict:
    """PettingZoo's own worlds (MPE, butterfly) call an episode's length ``max_cycles``; ours call
    it ``max_steps`` and take either."""
    kwargs = dict(kwargs)
    if "max_cycles" in kwargs:
        cycles = kwargs.pop("max_cycles")
        if "max_steps" in kwargs and kwargs["max_steps"] != cycles:
            raise UserError(f"max_cycles={cycles!r} and max_steps={kwargs['max_steps']!r} both set an episode's length; give one")
        kwargs["max_steps"] = cycles
    return kwargs


class SupervisedArenaEnv(ParallelEnv):
    metadata = {"name": "supervised_arena_v0", "render_modes": ["human", "rgb_array"], "render_fps": 4, "is_parallelizable": True}

    def __init__(self, task, renderer_factory, num_agents: int = 4, batch_size: int = 64, max_steps: int = 8, render_mode: str | None = None, name: str | None = None):
        for arg, value in (("num_agents", num_agents), ("batch_size", batch_size), ("max_steps", max_steps)):
            if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value < 1:
                raise UserError(f"{arg} must be a positive integer, got {value!r}")
        if render_mode is not None and render_mode not in self.metadata["render_modes"]:
            raise UserError(f"render_mode must be one of {self.metadata['render_modes']} or None, got {render_mode!r}")
        if name is not None:
            self.metadata = {**self.metadata, "name": name}
        self.task = task
        self.batch_size = int(batch_size)
        self.max_steps = int(max_steps)
        self.render_mode = render_mode
        self.possible_agents = [f"agent_{i}" for i in range(num_agents)]
        self.agents: list[str] = []
        self._rng = np.random.default_rng()
        self._renderer_factory = renderer_factory
        self._renderer = None
        self.frame: dict = {}
        inputs = spaces.Box(-np.inf, np.inf, (self.batch_size, *task.input_shape), np.float32)
        self._observation_space = spaces.Dict({"x": inputs, "prev_x": inputs, "prev_y": task.target_space(self.batch_size)})
        self._action_space = spaces.Box(-np.inf, np.inf, (self.batch_size, *task.output_shape), np.float32)

    # Spaces are the same for every agent and never change: built once, in __init__.
    def observation_space(self, agent: str) -> spaces.Dict:
        return self._observation_space

    def action_space(self, agent: str) -> spaces.Box:
        return self._action_space

    def reset(self, seed: int | None = None, options: dict | None = None):
        if seed is not None:
            self._rng = np.random.default_rng(seed)
        options = options or {}
        self.agents = list(self.possible_agents)
        self._step = 0
        self.task = self.task_at_reset(seed, options)
        self._x, self._y = self.task.sample(self._rng, self.batch_size)
        self._prev_x = np.zeros_like(self._x)
        self._prev_y = self.task.no_feedback(self.batch_size)
        self._cumulative_loss = {a: 0.0 for a in self.agents}
        self.frame = {
            "step": 0, "max_steps": self.max_steps, "x": self._x, "y": None, "predictions": {}, "infos": {},
            "cumulative_loss": dict(self._cumulative_loss), "title": self.task.name,
            "ratings": dict(options.get("ratings", {})), "labels": dict(options.get("labels", {})),
        }
        return self._observations(), {a: {} for a in self.agents}

    def _observations(self) -> dict:
        # Every agent gets the same read-only arrays: one batch, no copies, no tampering.
        for arr in (self._x, self._prev_x, self._prev_y):
            arr.flags.writeable = False
        obs = {"x": self._x, "prev_x": self._prev_x, "prev_y": self._prev_y}
        return {a: obs for a in self.agents}

    def step(self, actions: dict):
        missing = [a for a in self.agents if a not in actions]
        if missing:
            raise ValueError(f"no action for agents {missing}; step() needs one action per live agent")
        shape = self._action_space.shape
        preds = np.stack([check_action(a, actions[a], shape) for a in self.agents])  # (k, B, *out)
        invalid = ~np.isfinite(preds.reshape(len(self.agents), -1)).all(axis=1)
        wide = preds.astype(np.float64)
        with np.errstate(over="ignore", invalid="ignore"):
            losses = self.task.losses(wide, self._y)
            extra = self.task.step_info(wide, self._y, losses)
        scored = penalised_losses(losses, invalid, floor=self.task.penalty_floor(self._y))
        rewards_arr = competitive_rewards(scored)
        self._step += 1
        for i, a in enumerate(self.agents):
            self._cumulative_loss[a] += float(scored[i])
        infos = {}
        for i, a in enumerate(self.agents):
            info = {key: (float(values[i]) if not invalid[i] else float("nan")) for key, values in extra.items()}
            infos[a] = {**info, "invalid": bool(invalid[i])}
        rewards = {a: float(rewards_arr[i]) for i, a in enumerate(self.agents)}
        self.frame.update(step=self._step, x=self._x, y=self._y, predictions={a: preds[i] for i, a in enumerate(self.agents)}, infos=infos, cumulative_loss=dict(self._cumulative_loss))
        truncated = self._step >= self.max_steps
        terminations = {a: False for a in self.agents}
        truncations = {a: truncated for a in self.agents}
        self._prev_x, self._prev_y = self._x, self._y
        self.task = self.task_at_step(self._step)
        self._x, self._y = self.task.sample(self._rng, self.batch_size)
        observations = self._observations()
        if self.render_mode == "human":
            self.render()
        if truncated:
            self.agents = []
        return observations, rewards, terminations, truncations, infos

    # A changing world overrides these two: which task holds from a reset, and after each step.
    def task_at_reset(self, seed: int | None, options: dict):
        return self.task

    def task_at_step(self, step: int):
        return self.task

    def render(self):
        if self.render_mode is None:
            return None
        if self._renderer is None:
            self._renderer = self._renderer_factory(self.possible_agents, self.render_mode, self.metadata["render_fps"])
        return self._renderer.draw(self.frame)

    def close(self):
        if self._renderer is not None:
            self._renderer.close()
            self._renderer = None
