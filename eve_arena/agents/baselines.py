"""Reference agents that enter tournaments beside the genomes, and how to name them.

A baseline is a ``Controller`` that drives one seat in every match and keeps its rating across
generations, so the population's progress is measured against fixed yardsticks. Built-in:
``constant`` (predicts one number for every input: the mean of the targets seen so far this
episode) and ``backprop`` (the seed's chapter 1 net, trained by backprop on the environment's
task). A user's own agent plugs in as ``module:Class``: a class built as
``Class(env=env, seed=seed)`` that has ``size = 1``, ``name``, ``reset()`` and
``act(observations, action_space)``.
"""

from __future__ import annotations

import importlib

import numpy as np

from eve_arena.agents.genome_agent import GenomeTeam
from eve_arena.errors import UserError
from eve_arena.genome import GenomeSpec


class ConstantPredictor:
    """Predicts the running mean of the targets it has been shown (0 before any feedback)."""

    size = 1

    def __init__(self, env=None, seed: int = 0):
        self.name = "constant"
        self.reset()

    def reset(self) -> None:
        self._sum, self._count = 0.0, 0

    def act(self, observations: list, action_space) -> list:
        obs = observations[0]
        if isinstance(obs, dict) and "prev_y" in obs and np.any(obs["prev_y"]):
            self._sum += float(np.sum(obs["prev_y"]))
            self._count += int(np.size(obs["prev_y"]))
        value = self._sum / self._count if self._count else 0.0
        return [np.full(action_space.shape, value, dtype=np.float32)]


class BackpropAgent:
    """The seed's chapter 1 net (direct 1-5-5-1) trained by backprop on the environment's task."""

    size = 1

    def __init__(self, env=None, seed: int = 0, steps: int = 3000):
        from eve_arena.train import fit  # training code is only needed by this baseline

        task = getattr(getattr(env, "unwrapped", env), "task", None)
        if task is None or not hasattr(task, "sample"):
            raise UserError("the backprop baseline needs an environment with a supervised `task` to train on; this one has none")
        spec = GenomeSpec(depth=0)
        self.name = "backprop"
        self._team = GenomeTeam(spec, fit(spec, task, count=1, steps=steps, lr=1e-2, seed=seed).genomes, name=self.name)

    def reset(self) -> None:
        pass

    def act(self, observations: list, action_space) -> list:
        return self._team.act(observations, action_space)


BASELINES = {"constant": ConstantPredictor, "backprop": BackpropAgent}


def load_baseline(name: str, env, seed: int):
    """Builds a baseline from its registered name or a ``module:Class`` import path."""
    if name in BASELINES:
        factory = BASELINES[name]
    elif ":" in name:
        module_name, _, attr = name.partition(":")
        try:
            factory = getattr(importlib.import_module(module_name), attr)
        except Exception as exc:  # not found, or the user's module failed while importing
            raise UserError(f"cannot load agent {name!r}: {type(exc).__name__}: {exc}; give a built-in ({', '.join(BASELINES)}) or an importable module:Class") from exc
    else:
        raise UserError(f"unknown baseline {name!r}; choose one of {', '.join(BASELINES)} or give module:Class")
    agent = factory(env=env, seed=seed)
    if getattr(agent, "size", None) != 1 or not callable(getattr(agent, "act", None)):
        raise UserError(f"agent {name!r} must have size = 1 and an act(observations, action_space) method")
    if not getattr(agent, "name", None):
        agent.name = name
    return agent
