"""Toy regression arena: k agents predict the same noisy function, scored against each other.

| | |
|---|---|
| Import | ``pettingzoo.make("parallel", "eve_arena/toy_quadratic-v0")`` (or ``toy_linear-v0``) |
| Actions | continuous |
| Parallel API | yes |
| Agents | ``agent_0 .. agent_{k-1}`` |
| Action shape | ``(batch_size,)`` float32: one prediction per input |
| Observation shape | Dict ``x``, ``prev_x``, ``prev_y``, each ``(batch_size,)`` float32 |

The seed's chapter 1 task as a competition. Each step draws one batch of inputs
``x ~ N(0, 1)`` that every agent sees; the targets are ``f(x) + N(0, noise^2)`` with
``f = 10x + 2`` (linear) or ``10x^2 + 2`` (quadratic). Each agent answers with its predictions.

### Observations
``x`` is this step's batch. ``prev_x`` and ``prev_y`` are the previous step's inputs and true
targets (zeros on the first step): the feedback an agent that adapts within its life needs.

### Rewards
Agent i gets the mean of the other agents' MSE minus its own (alone: minus its own MSE).
``infos[agent]`` holds ``mse`` and ``invalid``. The scoreboard's cumulative loss sums the scored
losses, penalties included. An agent whose predictions hold NaN or inf
loses the step: it is scored as strictly worse than every valid agent and ``invalid`` is True.
An action of the wrong shape or type raises ``ValueError`` naming the agent and both shapes.

### Arguments
``num_agents`` (k >= 1), ``task`` ("linear" | "quadratic"), ``batch_size``, ``max_steps``
(the episode is truncated after that many steps), ``noise``, ``render_mode``
("human" | "rgb_array" | None). ``reset(options={"ratings": {agent: float}})`` puts ratings on
the scoreboard; ``options={"labels": {agent: str}}`` names the agents there.

### Version History
* v0: first release.
"""

from __future__ import annotations

import numpy as np
from gymnasium import spaces
from pettingzoo import ParallelEnv

from eve_arena.envs.scoring import check_action, competitive_rewards, penalised_losses
from eve_arena.errors import UserError
from eve_arena.tasks import ToyTask


class ToyRegressionEnv(ParallelEnv):
    metadata = {"name": "toy_regression_v0", "render_modes": ["human", "rgb_array"], "render_fps": 4, "is_parallelizable": True}

    def __init__(self, num_agents: int = 4, task: str = "quadratic", batch_size: int = 64, max_steps: int = 8, noise: float = 0.1, render_mode: str | None = None):
        for name, value in (("num_agents", num_agents), ("batch_size", batch_size), ("max_steps", max_steps)):
            if not isinstance(value, (int, np.integer)) or value < 1:
                raise UserError(f"{name} must be a positive integer, got {value!r}")
        if render_mode is not None and render_mode not in self.metadata["render_modes"]:
            raise UserError(f"render_mode must be one of {self.metadata['render_modes']} or None, got {render_mode!r}")
        self.task = ToyTask(task, noise)
        self.batch_size = int(batch_size)
        self.max_steps = int(max_steps)
        self.render_mode = render_mode
        self.possible_agents = [f"agent_{i}" for i in range(num_agents)]
        self.agents: list[str] = []
        self._rng = np.random.default_rng()
        self._renderer = None
        self.frame: dict = {}
        vec = spaces.Box(-np.inf, np.inf, (self.batch_size,), np.float32)
        self._observation_space = spaces.Dict({"x": vec, "prev_x": vec, "prev_y": vec})
        self._action_space = spaces.Box(-np.inf, np.inf, (self.batch_size,), np.float32)

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
        self._x, self._y = self.task.sample(self._rng, self.batch_size)
        self._prev_x = np.zeros(self.batch_size, np.float32)
        self._prev_y = np.zeros(self.batch_size, np.float32)
        self._cumulative_loss = {a: 0.0 for a in self.agents}
        self.frame = {
            "step": 0, "x": self._x, "y": None, "predictions": {}, "cumulative_loss": dict(self._cumulative_loss),
            "ratings": dict(options.get("ratings", {})), "labels": dict(options.get("labels", {})), "title": f"toy {self.task.kind}",
            "max_steps": self.max_steps,
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
        shape = (self.batch_size,)
        preds = np.stack([check_action(a, actions[a], shape) for a in self.agents])  # (k, B)
        invalid = ~np.isfinite(preds).all(axis=1)
        with np.errstate(over="ignore", invalid="ignore"):
            mse = ((preds.astype(np.float64) - self._y) ** 2).mean(axis=1)
        scored = penalised_losses(mse, invalid, floor=float((self._y.astype(np.float64) ** 2).mean()))
        rewards_arr = competitive_rewards(scored)
        self._step += 1
        for i, a in enumerate(self.agents):
            self._cumulative_loss[a] += float(scored[i])
        infos = {a: {"mse": float(mse[i]) if not invalid[i] else float("inf"), "invalid": bool(invalid[i])} for i, a in enumerate(self.agents)}
        rewards = {a: float(rewards_arr[i]) for i, a in enumerate(self.agents)}
        self.frame.update(step=self._step, x=self._x, y=self._y, predictions={a: preds[i] for i, a in enumerate(self.agents)}, cumulative_loss=dict(self._cumulative_loss))
        truncated = self._step >= self.max_steps
        terminations = {a: False for a in self.agents}
        truncations = {a: truncated for a in self.agents}
        self._prev_x, self._prev_y = self._x, self._y
        self._x, self._y = self.task.sample(self._rng, self.batch_size)
        observations = self._observations()
        if self.render_mode == "human":
            self.render()
        if truncated:
            self.agents = []
        return observations, rewards, terminations, truncations, infos

    def render(self):
        if self.render_mode is None:
            return None
        if self._renderer is None:
            from eve_arena.envs.toy_render import ToyRenderer

            self._renderer = ToyRenderer(self.possible_agents, self.render_mode, self.metadata["render_fps"])
        return self._renderer.draw(self.frame)

    def close(self):
        if self._renderer is not None:
            self._renderer.close()
            self._renderer = None


def parallel_env(**kwargs) -> ToyRegressionEnv:
    return ToyRegressionEnv(**kwargs)
