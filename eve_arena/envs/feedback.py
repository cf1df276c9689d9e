"""Feedback for lifetime learning in any world: ``prev_x`` and ``prev_y`` from targets in ``infos``.

A plastic genome (``--lifetime plastic``) learns between the steps of an episode from the
previous step's inputs and their true answers, which it reads from its observation's
``prev_x`` and ``prev_y`` entries (our worlds give them). A world of your own gives them with
one line, if each step's ``infos[agent]`` reports the true answers of the inputs it just scored::

    def parallel_env(**kwargs):
        return Feedback(MyWorld(**kwargs), target_key="target")

``Feedback`` turns each observation ``obs`` into ``{"x": obs, "prev_x": ..., "prev_y": ...}``:
the inputs of the step just played and ``infos[agent][target_key]`` (zeros before the first
step). The targets take the action's shape unless ``target_space`` says otherwise.
"""

from __future__ import annotations

import numpy as np
from gymnasium import spaces
from pettingzoo.utils.wrappers import BaseParallelWrapper

from eve_arena.errors import UserError

FEEDBACK_NEEDED = (
    "a plastic genome learns from feedback: its observation must be a Dict with 'x', 'prev_x' (the previous step's inputs) and 'prev_y' "
    "(their true answers). Report each step's true answers in infos[agent]['target'] and wrap your world: "
    "eve_arena.envs.feedback.Feedback(env, target_key='target') (docs/plugins.md); or use --lifetime fixed"
)


class Feedback(BaseParallelWrapper):
    def __init__(self, env, target_key: str = "target", target_space: spaces.Box | None = None):
        super().__init__(env)
        self.target_key = target_key
        self._target_space = target_space
        self._spaces: dict[str, spaces.Dict] = {}

    def observation_space(self, agent: str) -> spaces.Dict:
        if agent not in self._spaces:
            inputs = self.env.observation_space(agent)
            self._spaces[agent] = spaces.Dict({"x": inputs, "prev_x": inputs, "prev_y": self._target_space or self.env.action_space(agent)})
        return self._spaces[agent]

    def reset(self, seed: int | None = None, options: dict | None = None):
        observations, infos = self.env.reset(seed=seed, options=options)
        self._step = 0
        wrapped = {}
        for agent, obs in observations.items():
            target = self.observation_space(agent)["prev_y"]
            wrapped[agent] = {"x": obs, "prev_x": np.zeros_like(obs), "prev_y": np.zeros(target.shape, target.dtype)}
        self._last = observations
        return wrapped, infos

    def step(self, actions: dict):
        observations, rewards, terminations, truncations, infos = self.env.step(actions)
        self._step += 1
        wrapped = {}
        for agent, obs in observations.items():
            info = infos.get(agent, {})
            if self.target_key not in info:
                raise UserError(f"Feedback: step {self._step} of {type(self.env).__name__} put no infos[{agent!r}][{self.target_key!r}]; the world must report the true answers of the inputs it scored")
            target = self.observation_space(agent)["prev_y"]
            wrapped[agent] = {"x": obs, "prev_x": self._last.get(agent, np.zeros_like(obs)), "prev_y": np.asarray(info[self.target_key], target.dtype).reshape(target.shape)}
        self._last = observations
        return wrapped, rewards, terminations, truncations, infos
