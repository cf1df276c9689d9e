"""Environments from outside eve-arena: three ways in, and the contract they are held to.

1. **Registered.** Your package calls ``pettingzoo.register("parallel", "my_pkg/my_env-v0",
   entry_point="my_pkg.envs:parallel_env")`` when imported. ``--env my_pkg/my_env-v0`` imports
   ``my_pkg`` (the id's namespace) if the id is not registered yet.
2. **Entry point.** Your package's ``pyproject.toml`` declares::

       [project.entry-points."eve_arena.envs"]
       "my_pkg/my_env-v0" = "my_pkg.envs:parallel_env"

   Once it is installed, eve-arena registers the id with PettingZoo on first use.
3. **Named.** ``--env my_pkg.envs:MyEnv`` builds ``MyEnv(num_agents=k, **env_kwargs)`` directly
   (``num_agents`` only if the constructor takes it: see ``world.py``).

``check_contract`` then plays one reset and one step before any evolution, so an environment
that genomes cannot drive is refused with a message that says what is wrong.
"""

from __future__ import annotations

import importlib
from importlib import metadata

import numpy as np
import pettingzoo
from gymnasium import spaces

from eve_arena.agents.io import input_space
from eve_arena.errors import UserError

ENTRY_POINT_GROUP = "eve_arena.envs"


def is_path(env_id: str) -> bool:
    """``module:Attribute`` names a constructor; anything else is a registry id."""
    return ":" in env_id


def load_path(env_id: str):
    """The callable ``module:Attribute`` names (a ParallelEnv class or a factory)."""
    module_name, _, attribute = env_id.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        raise UserError(f"cannot import {module_name!r} for environment {env_id!r} ({exc}); is the package installed, or on PYTHONPATH?") from exc
    except Exception as exc:  # the user's module failed while importing (a syntax error, an exception)
        raise UserError(f"importing {module_name!r} for environment {env_id!r} failed: {type(exc).__name__}: {exc}") from exc
    builder = getattr(module, attribute, None)
    if not callable(builder):
        raise UserError(f"{module_name!r} has no callable {attribute!r}: name a ParallelEnv class or a function that returns one, as module:Name")
    return builder


def registered_here(env_id: str) -> bool:
    return env_id in pettingzoo.parallel_registry


def register_from_entry_points() -> dict[str, str]:
    """Registers every id installed packages declare in the ``eve_arena.envs`` group (not yet
    registered), and returns ``{id: entry point}`` for all of them."""
    found = {}
    for entry in metadata.entry_points(group=ENTRY_POINT_GROUP):
        found[entry.name] = entry.value
        if not registered_here(entry.name):
            pettingzoo.register("parallel", entry.name, entry_point=entry.value)
    return found


def find(env_id: str) -> None:
    """Makes a registry id known if a plug-in provides it: entry points first, then by importing
    the id's namespace (the package that registers it on import)."""
    if registered_here(env_id):
        return
    register_from_entry_points()
    namespace = env_id.split("/", 1)[0] if "/" in env_id else None
    if not registered_here(env_id) and namespace:
        try:
            importlib.import_module(namespace)
        except ModuleNotFoundError as exc:
            if exc.name == namespace.split(".")[0]:
                return  # no such package: the id is simply unknown
            raise UserError(f"importing {namespace!r} to find environment {env_id!r} failed: {exc}") from exc
        except Exception as exc:  # the user's package failed while importing
            raise UserError(f"importing {namespace!r} to find environment {env_id!r} failed: {type(exc).__name__}: {exc}") from exc


def build(env_id: str, **kwargs):
    """An environment from a ``module:Name`` path (``make_env`` names an argument it rejects)."""
    return load_path(env_id)(**kwargs)


def check_contract(env, env_id: str) -> None:
    """Plays one reset and one step and checks what genome agents rely on:

    - the PettingZoo parallel API: ``possible_agents``, ``observation_space(agent)``,
      ``action_space(agent)``, ``reset`` -> ``(observations, infos)``, ``step`` -> five dicts keyed by agent;
    - observations that are a ``Box`` of inputs, or a ``Dict`` whose ``"x"`` entry is one;
    - one role: every agent with the same observation and action spaces;
    - a ``Box`` action (the agent's outputs are its action);
    - finite, numeric rewards (the competition ranks agents by them).
    """
    where = f"environment {env_id!r}"
    for name in ("possible_agents", "observation_space", "action_space", "reset", "step"):
        if not hasattr(env, name):
            raise UserError(f"{where} has no {name}: it must be a PettingZoo ParallelEnv (pettingzoo.ParallelEnv)")
    agents = list(env.possible_agents)
    if not agents:
        raise UserError(f"{where} has no possible_agents: a match needs at least one seat")
    for agent in agents:
        _check_spaces(env, agent, where)
    _check_one_role(env, agents, where)
    result = env.reset(seed=0)
    if not (isinstance(result, tuple) and len(result) == 2 and all(isinstance(part, dict) for part in result)):
        raise UserError(f"{where}: reset() must return (observations, infos), two dicts keyed by agent; got {_describe(result)}")
    observations, _ = result
    live = list(getattr(env, "agents", agents))
    _check_keys(observations, live, f"{where}: reset()'s observations")
    for agent in live:
        _check_observation(env.observation_space(agent), observations[agent], f"{where}: the observation of {agent!r}")
    result = env.step(zero_actions(env, live))
    if not (isinstance(result, tuple) and len(result) == 5 and all(isinstance(part, dict) for part in result)):
        raise UserError(f"{where}: step() must return (observations, rewards, terminations, truncations, infos), five dicts keyed by agent; got {_describe(result)}")
    _, rewards, terminations, truncations, infos = result
    for name, part in (("rewards", rewards), ("terminations", terminations), ("truncations", truncations), ("infos", infos)):
        _check_keys(part, live, f"{where}: step()'s {name}")
    for agent, reward in rewards.items():
        if not isinstance(reward, (int, float, np.integer, np.floating)) or isinstance(reward, bool) or not np.isfinite(reward):
            raise UserError(f"{where}: the reward of {agent!r} for a valid action is {reward!r}; rewards must be finite numbers (the tournament ranks agents by them)")


def zero_actions(env, agents: list[str]) -> dict:
    """An all-zero action for each of ``agents``, in its space's shape and dtype: a probe step."""
    return {agent: np.zeros(env.action_space(agent).shape, env.action_space(agent).dtype) for agent in agents}


def _check_one_role(env, agents: list, where: str) -> None:
    """One population's genomes share one shape, so every agent must have the first one's spaces."""
    first = agents[0]
    for agent in agents[1:]:
        if env.observation_space(agent) != env.observation_space(first) or env.action_space(agent) != env.action_space(first):
            raise UserError(
                f"{where}: its agents come in roles with different spaces ({first!r}: observation {env.observation_space(first)}, action {env.action_space(first)}; "
                f"{agent!r}: observation {env.observation_space(agent)}, action {env.action_space(agent)}); a tournament evolves one population of genomes of one shape, "
                "and a world with roles needs a population per role: run it with `eve-arena coevolve --world ...` (eve_arena.coevolution)"
            )


def _check_spaces(env, agent: str, where: str) -> None:
    try:
        obs_space, action_space = env.observation_space(agent), env.action_space(agent)
    except Exception as exc:
        raise UserError(f"{where}: observation_space({agent!r}) or action_space({agent!r}) failed: {type(exc).__name__}: {exc}") from exc
    if not isinstance(input_space(obs_space), spaces.Box):
        raise UserError(f"{where}: the observation space of {agent!r} is {obs_space}; genomes read a Box of inputs, or a Dict whose 'x' entry is one")
    if not isinstance(action_space, spaces.Box):
        raise UserError(
            f"{where}: the action space of {agent!r} is {action_space}; genomes drive a Box (a net's outputs are its action, squashed into its bounds): "
            "give the world continuous actions (MPE: --env-arg continuous_actions=True) or wrap it so it takes a Box"
        )


def _check_keys(part: dict, agents: list[str], what: str) -> None:
    missing = [a for a in agents if a not in part]
    if missing:
        raise UserError(f"{what} have no entry for {missing}; every live agent needs one")


def _check_observation(space, observation, what: str) -> None:
    if isinstance(space, spaces.Dict):
        if not isinstance(observation, dict) or "x" not in observation:
            raise UserError(f"{what} is {type(observation).__name__} without an 'x' entry, which its Dict space promises")
        inputs_space, inputs = space["x"], observation["x"]
    else:
        inputs_space, inputs = space, observation
    if np.shape(inputs) != inputs_space.shape:
        raise UserError(f"{what} has shape {np.shape(inputs)}, but its space says {inputs_space.shape}")


def _describe(value) -> str:
    if isinstance(value, tuple):
        return f"a tuple of {len(value)} ({', '.join(type(v).__name__ for v in value)})"
    return type(value).__name__
