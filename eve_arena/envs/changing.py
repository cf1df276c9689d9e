"""What every changing world shares: its task follows a ``schedules.Schedule``.

A subclass says which task a phase is (``task_for``, drawn from ``draw_seed``); this class
moves the phase with the clock (the generation from ``reset(options={"generation": g})``, the
step, or the episode) and reports it in ``infos[agent]["phase"]`` and the ``phase`` attribute.
When the clock is the step, each episode's phases 0, 1, ... are drawn anew from the episode's
seed.
"""

from __future__ import annotations

import numpy as np

from eve_arena.envs.supervised import SupervisedArenaEnv
from eve_arena.schedules import Schedule


class ChangingArenaEnv(SupervisedArenaEnv):
    def __init__(self, schedule: Schedule, renderer_factory, num_agents: int, batch_size: int, max_steps: int, render_mode: str | None, name: str):
        self.schedule = schedule
        self.phase = 0.0
        self.draw_seed = schedule.seed
        """Seeds the task of each phase: the schedule's seed, or within an episode the episode's own (``task_at_reset``)."""
        super().__init__(self.task_for(0.0), renderer_factory, num_agents, batch_size, max_steps, render_mode, name=name)

    def task_for(self, phase: float):
        """The task of ``phase``: its integer part numbers a task drawn from ``draw_seed``."""
        raise NotImplementedError

    def _enter(self, phase: float):
        self.phase = phase
        return self.task_for(phase)

    def task_at_reset(self, seed: int | None, options: dict):
        unit = self.schedule.unit
        if unit == "episode":
            # A new task every episode, numbered from the episode's seed: the same match replays
            # the same task, and a resumed run meets the same sequence.
            return self._enter(float(1 + np.random.default_rng([self.schedule.seed, 0 if seed is None else seed]).integers(2**31)))
        if unit == "step" and seed is not None:
            # Each episode draws its own sequence of tasks, so an agent cannot learn one by heart;
            # the same episode seed replays the same sequence.
            self.draw_seed = int(np.random.default_rng([self.schedule.seed, seed]).integers(2**31))
        return self._enter(self.schedule.phase(options.get("generation", 0)) if unit == "generation" else 0.0)

    def task_at_step(self, step: int):
        return self._enter(self.schedule.phase(step)) if self.schedule.unit == "step" else self.task

    def step(self, actions: dict):
        phase = self.phase  # the phase the answers were scored in
        observations, rewards, terminations, truncations, infos = super().step(actions)
        for info in infos.values():
            info["phase"] = phase
        return observations, rewards, terminations, truncations, infos
