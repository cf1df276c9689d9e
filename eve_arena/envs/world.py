"""What the arena learns about a world before it plays: its seats and the widths a net needs.

A world either sizes its matches (its constructor takes ``num_agents``, as ours do) or has a
fixed number of agents (MPE's ``simple_spread`` has three unless told ``N``): then every match
has exactly that many seats, filled by the population, the hall of fame and the baselines
together. Nothing is passed to a constructor but ``num_agents`` (when it takes it), the run's
``env_kwargs`` and a ``render_mode`` when drawing.

A net reads an observation in one of two layouts:

- ``rows``: the observation is a batch of rows (``(B, ...)``) and the action holds one answer
  per row (``(B, ...)``), as in a supervised world: the net maps each row's inputs to that
  row's outputs;
- ``vector``: the observation is one vector (or image) per agent, flattened, and the action is
  one vector: the net maps the whole observation to the whole action, as a policy does.

``auto`` picks ``rows`` when the inputs and the action share a leading dimension greater than
one, else ``vector``; a world whose observation and action happen to have the same length
(say ``(4,)`` and ``(4,)``) is read as rows unless ``--io vector`` says otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from eve_arena.agents.io import input_space
from eve_arena.envs.plugins import check_contract
from eve_arena.errors import UserError

LAYOUTS = ("auto", "rows", "vector")


@dataclass(frozen=True)
class WorldShape:
    fixed_seats: int | None
    """Seats of every match when the world fixes them (its constructor takes no ``num_agents``); None when the arena sizes them."""
    in_width: int
    """Inputs per row of the net."""
    out_width: int
    """Outputs per row of the net."""
    rows: int
    """Rows per observation (1 in the vector layout)."""


def takes_num_agents(env_id: str, env_kwargs: dict) -> bool:
    """Whether the world sizes its matches: built with ``num_agents=2``, it has two agents."""
    from eve_arena.envs import make_env

    try:
        env = make_env(env_id, num_agents=2, **env_kwargs)
    except UserError as exc:
        if "'num_agents'" in str(exc) and "does not take" in str(exc):
            return False
        raise
    sized = len(getattr(env, "possible_agents", ())) == 2  # one that swallows num_agents in **kwargs and ignores it is fixed too
    if hasattr(env, "close"):
        env.close()
    return sized


def build(env_id: str, env_kwargs: dict, seats: int | None, fixed_seats: int | None, **extra):
    """The world with ``seats`` agents (``fixed_seats`` worlds are built without ``num_agents``)."""
    from eve_arena.envs import make_env

    if fixed_seats is not None:
        if seats is not None and seats != fixed_seats:
            raise UserError(f"{env_id} has {fixed_seats} agents in every episode, but this match wants {seats} seats")
        return make_env(env_id, **env_kwargs, **extra)
    return make_env(env_id, num_agents=seats, **env_kwargs, **extra)


def shape_of(env, layout: str = "auto", agent: str | None = None) -> tuple[int, int, int]:
    """``(in_width, out_width, rows)`` a net needs to drive ``agent`` (the world's first by default)."""
    if layout not in LAYOUTS:
        raise UserError(f"io layout must be one of {', '.join(LAYOUTS)}, got {layout!r}")
    agent = agent or env.possible_agents[0]
    inputs = input_space(env.observation_space(agent)).shape
    action = env.action_space(agent).shape
    if layout == "auto":
        layout = "rows" if len(inputs) >= 1 and len(action) >= 1 and inputs[0] == action[0] and inputs[0] > 1 else "vector"
    if layout == "rows":
        if not inputs or not action or inputs[0] != action[0]:
            raise UserError(f"the rows layout needs an observation and an action with the same leading dimension (rows); this world has {inputs} and {action}: use --io vector")
        return int(np.prod(inputs[1:], dtype=np.int64)), int(np.prod(action[1:], dtype=np.int64)), int(inputs[0])
    return int(np.prod(inputs, dtype=np.int64)), int(np.prod(action, dtype=np.int64)), 1


def probe(env_id: str, env_kwargs: dict, layout: str = "auto") -> WorldShape:
    """Builds the world once, holds it to the plug-in contract, and reads its seats and widths."""
    from eve_arena.envs import make_env

    if takes_num_agents(env_id, env_kwargs):
        fixed, env = None, make_env(env_id, num_agents=1, **env_kwargs)
    else:
        env = make_env(env_id, **env_kwargs)
        fixed = len(getattr(env, "possible_agents", ()))
    check_contract(env, env_id)
    in_width, out_width, rows = shape_of(env, layout)
    if hasattr(env, "close"):
        env.close()
    return WorldShape(fixed, in_width, out_width, rows)


def fit_target(target: tuple[int, ...], shape: WorldShape) -> tuple[int, ...]:
    """``target`` with its first and last widths set to the world's; hidden widths kept."""
    return (shape.in_width, *target[1:-1], shape.out_width)
