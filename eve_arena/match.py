"""One match: an episode of a PettingZoo ParallelEnv played by a roster of controllers.

The world is held to its contract at every step, cheaply: an exception it raises, a NaN or
infinite observation, a reward for an agent it does not have, no reward for a live agent, a
reward that is not a finite number, or an episode that has not ended after
``MAX_EPISODE_STEPS`` stops the match with a ``UserError`` naming the world, the step and the
episode's seed. The run stops there too; its directory keeps the last checkpoint and resumes
once the world is mended.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from eve_arena.agents.base import Controller
from eve_arena.errors import UserError

MAX_EPISODE_STEPS = 10_000
"""An episode still running after this many steps is a world that never ends its episodes."""


@dataclass
class MatchResult:
    returns: np.ndarray
    """``(n,)`` each seat's summed reward over the episode."""
    invalid_steps: np.ndarray
    """``(n,)`` steps on which the seat's action was NaN/inf (from ``infos["invalid"]``)."""
    info_means: dict[str, np.ndarray]
    """Per-seat mean over steps of each numeric info (for example ``mse``)."""
    log: "EpisodeLog | None" = None
    """Every step's numbers, when the match was asked to keep them."""


@dataclass
class EpisodeLog:
    """A match step by step: ``rewards`` ``(T, n)``, each numeric info ``(T, n)``, and the phase
    each step was played in (from ``infos[agent]["phase"]``, else the world's ``phase``
    attribute before the step; empty when the world has none)."""

    rewards: list[np.ndarray]
    infos: dict[str, list[np.ndarray]]
    phases: list[float]

    def seat(self, index: int) -> dict:
        """One seat's episode as plain lists: ``{"reward": [T], "infos": {key: [T]}, "phase": [T]}``."""
        episode = {"reward": [float(r[index]) for r in self.rewards], "infos": {k: [float(v[index]) for v in values] for k, values in self.infos.items()}}
        if len(self.phases) == len(self.rewards) and self.phases:
            episode["phase"] = list(self.phases)
        return episode


def numeric(value) -> bool:
    """An info value the arena can average: a real number, not a flag."""
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, (bool, np.bool_))


def _world_phase(env) -> float | None:
    phase = getattr(getattr(env, "unwrapped", env), "phase", None)
    return float(phase) if numeric(phase) else None


def play_match(env, roster: list[Controller], seed: int | None = None, options: dict | None = None, keep_steps: bool = False, on_step=None) -> MatchResult:
    """Plays one episode. Seats are the env's ``possible_agents`` in order, filled by ``roster`` in order.

    ``keep_steps`` keeps every step's numbers in ``MatchResult.log``; ``on_step(log)`` is called
    after every step with them (the renderer draws from it).
    """
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
    log = EpisodeLog([], {}, []) if keep_steps or on_step is not None else None
    where = f"{_world_name(env)} (episode seed {seed})"
    observations, _ = _world_call(env.reset, f"{where}: reset()", seed=seed, options=options)
    _check_observations(observations, f"{where}: reset()")
    while env.agents:
        if steps >= MAX_EPISODE_STEPS:
            raise UserError(f"{where}: the episode has not ended after {MAX_EPISODE_STEPS} steps; end it with truncations (a step limit such as max_cycles)")
        phase = _world_phase(env) if log is not None else None
        actions = {}
        for controller, agents in blocks:
            live = [a for a in agents if a in observations]
            if live:
                acted = list(controller.act([observations[a] for a in live], env.action_space(live[0])))
                _check_actions(controller, live, acted, env)
                actions.update(zip(live, acted))
        observations, rewards, _, _, infos = _world_call(env.step, f"{where}: step {steps + 1}", actions)
        steps += 1
        _check_step(observations, rewards, actions, index, f"{where}: step {steps}")
        for agent, reward in rewards.items():
            returns[index[agent]] += reward
        step_infos: dict[str, np.ndarray] = {}
        for agent, info in infos.items():
            invalid[index[agent]] += bool(info.get("invalid", False))
            for key, value in info.items():
                if numeric(value):
                    info_sums.setdefault(key, np.zeros(len(seats)))[index[agent]] += value
                    step_infos.setdefault(key, np.full(len(seats), np.nan))[index[agent]] = value
        if log is not None:
            _log_step(log, rewards, step_infos, phase, index, len(seats))
            if on_step is not None:
                on_step(log)
    info_sums.pop("phase", None)  # a label of the step, not a score to average
    return MatchResult(returns, invalid, {k: v / max(steps, 1) for k, v in info_sums.items()}, log if keep_steps else None)


def _world_name(env) -> str:
    metadata = getattr(env, "metadata", None) or {}
    return str(metadata.get("name") or type(getattr(env, "unwrapped", env)).__name__)


def _world_call(call, what: str, *args, **kwargs):
    """The world's reset or step; whatever it raises comes back as one line that says where."""
    try:
        return call(*args, **kwargs)
    except UserError:
        raise
    except Exception as exc:
        raise UserError(f"{what} raised {type(exc).__name__}: {exc}") from exc


def _check_observations(observations: dict, what: str) -> None:
    seen: set[int] = set()
    for agent, observation in observations.items():
        for part in observation.values() if isinstance(observation, dict) else (observation,):
            if id(part) in seen:  # worlds often hand every agent the same arrays
                continue
            seen.add(id(part))
            values = np.asarray(part)
            if values.dtype.kind in "fc" and not np.isfinite(values).all():
                raise UserError(f"{what} gave {agent!r} an observation with NaN or infinite values; a net cannot read them: mend the world (or clip its observations)")


def _check_step(observations: dict, rewards: dict, actions: dict, index: dict, what: str) -> None:
    unknown = [a for a in rewards if a not in index]
    if unknown:
        raise UserError(f"{what} gave a reward to {unknown}, which are not agents of the world (its possible_agents: {list(index)})")
    missing = [a for a in actions if a not in rewards]
    if missing:
        raise UserError(f"{what} gave no reward to {missing}; every agent that acted needs one")
    for agent, reward in rewards.items():
        if not numeric(reward) or not np.isfinite(reward):
            raise UserError(f"{what} gave {agent!r} the reward {reward!r}; rewards must be finite numbers (the tournament ranks agents by them)")
    _check_observations(observations, what)


def _log_step(log: EpisodeLog, rewards: dict, step_infos: dict, phase: float | None, index: dict, n: int) -> None:
    row = np.full(n, np.nan)
    for agent, reward in rewards.items():
        row[index[agent]] = reward
    log.rewards.append(row)
    for key, values in step_infos.items():
        if key != "phase":
            log.infos.setdefault(key, [np.full(n, np.nan)] * (len(log.rewards) - 1)).append(values)
    for key, values in log.infos.items():
        if len(values) < len(log.rewards):
            values.append(np.full(n, np.nan))
    reported = step_infos.get("phase")
    if reported is not None and np.isfinite(reported).any():
        phase = float(reported[np.isfinite(reported)][0])
    if phase is not None:
        log.phases.append(phase)


def _check_actions(controller: Controller, seats: list[str], actions: list, env) -> None:
    """A plug-in agent's mistake is reported under its own name, not as the env's traceback."""
    if len(actions) != len(seats):
        raise UserError(f"agent {controller.name!r} returned {len(actions)} actions for its {len(seats)} seats")
    for seat, action in zip(seats, actions):
        expected = env.action_space(seat).shape
        if np.shape(action) != expected:
            raise UserError(f"agent {controller.name!r} (seat {seat}) returned an action of shape {np.shape(action)}; the environment expects {expected}")
