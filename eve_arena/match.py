"""One match: an episode of a PettingZoo ParallelEnv played by a roster of controllers."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from eve_arena.agents.base import Controller
from eve_arena.errors import UserError


@dataclass
class MatchResult:
    returns: np.ndarray
    """``(n,)`` each seat's summed reward over the episode."""
    invalid_steps: np.ndarray
    """``(n,)`` steps on which the seat's action was NaN/inf (from ``infos["invalid"]``)."""
    info_means: dict[str, np.ndarray]
    """Per-seat mean over steps of each numeric info (for example ``mse``)."""


def play_match(env, roster: list[Controller], seed: int | None = None, options: dict | None = None) -> MatchResult:
    """Plays one episode. Seats are the env's ``possible_agents`` in order, filled by ``roster`` in order."""
    seats = list(env.possible_agents)
    if sum(c.size for c in roster) != len(seats):
        raise ValueError(f"the roster drives {sum(c.size for c in roster)} agents but the environment has {len(seats)}")
    blocks, at = [], 0
    for controller in roster:
        blocks.append((controller, seats[at : at + controller.size]))
        at += controller.size
        controller.reset()
    index = {agent: i for i, agent in enumerate(seats)}
    returns = np.zeros(len(seats))
    invalid = np.zeros(len(seats), dtype=np.int64)
    info_sums: dict[str, np.ndarray] = {}
    steps = 0
    observations, _ = env.reset(seed=seed, options=options)
    while env.agents:
        actions = {}
        for controller, agents in blocks:
            live = [a for a in agents if a in observations]
            if live:
                acted = list(controller.act([observations[a] for a in live], env.action_space(live[0])))
                _check_actions(controller, live, acted, env)
                actions.update(zip(live, acted))
        observations, rewards, _, _, infos = env.step(actions)
        steps += 1
        for agent, reward in rewards.items():
            returns[index[agent]] += reward
        for agent, info in infos.items():
            invalid[index[agent]] += bool(info.get("invalid", False))
            for key, value in info.items():
                if isinstance(value, (int, float, np.floating)) and not isinstance(value, bool):
                    info_sums.setdefault(key, np.zeros(len(seats)))[index[agent]] += value
    return MatchResult(returns, invalid, {k: v / max(steps, 1) for k, v in info_sums.items()})


def _check_actions(controller: Controller, seats: list[str], actions: list, env) -> None:
    """A plug-in agent's mistake is reported under its own name, not as the env's traceback."""
    if len(actions) != len(seats):
        raise UserError(f"agent {controller.name!r} returned {len(actions)} actions for its {len(seats)} seats")
    for seat, action in zip(seats, actions):
        expected = env.action_space(seat).shape
        if np.shape(action) != expected:
            raise UserError(f"agent {controller.name!r} (seat {seat}) returned an action of shape {np.shape(action)}; the environment expects {expected}")
