"""A world's roles: the groups of agents that share spaces, and so share one population.

A world says which agents play which role with a ``roles`` attribute, ``{role: [agents]}``, as
our two-role worlds do. A world without one is read from its agents' names, less a trailing
``_<number>`` (or trailing digits): MPE's ``simple_tag`` has the roles ``adversary`` (the predators) and ``agent``
(the prey). Every agent of a role must have that role's observation and action spaces, since a
role's genomes share one shape.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from eve_arena.errors import UserError

_NUMBERED = re.compile(r"^(.*?)_?\d+$")


def world_roles(env) -> dict[str, list[str]]:
    """``{role: [agents, in seat order]}`` of a world, roles in the order their first agent sits."""
    agents = list(env.possible_agents)
    declared = getattr(getattr(env, "unwrapped", env), "roles", None)
    if isinstance(declared, dict):
        roles = {str(role): [a for a in agents if a in set(members)] for role, members in declared.items()}
        unplaced = [a for a in agents if not any(a in members for members in roles.values())]
        if unplaced:
            raise UserError(f"the world's roles leave agents {unplaced} without a role; every agent needs one")
        twice = [a for a in agents if sum(a in members for members in roles.values()) > 1]
        if twice:
            raise UserError(f"the world's roles name agents {twice} in more than one role; each agent plays one")
        empty = [role for role, members in roles.items() if not members]
        if empty:
            raise UserError(f"the world's roles {empty} hold none of its agents ({', '.join(agents)})")
    else:
        roles = {}
        for agent in agents:
            match = _NUMBERED.match(agent)
            roles.setdefault(match.group(1) if match and match.group(1) else agent, []).append(agent)
    order = sorted(roles, key=lambda role: agents.index(roles[role][0]))
    return {role: roles[role] for role in order}


def check_role_spaces(env, roles: dict[str, list[str]], where: str) -> None:
    """Every agent of a role has its first agent's spaces."""
    for role, members in roles.items():
        first = members[0]
        for agent in members[1:]:
            if env.observation_space(agent) != env.observation_space(first) or env.action_space(agent) != env.action_space(first):
                raise UserError(f"{where}: agents {first!r} and {agent!r} share the role {role!r} but not their spaces; a role's genomes share one shape")


def seat_blocks(env, roles: dict[str, list[str]]) -> list[tuple[str, int]]:
    """The seats in order as runs of one role, ``[(role, length), ...]``: a match's roster is one
    team per run, since ``play_match`` fills seats in order."""
    role_of = {agent: role for role, members in roles.items() for agent in members}
    blocks: list[tuple[str, int]] = []
    for agent in env.possible_agents:
        role = role_of[agent]
        if blocks and blocks[-1][0] == role:
            blocks[-1] = (role, blocks[-1][1] + 1)
        else:
            blocks.append((role, 1))
    return blocks


@dataclass
class Layout:
    """A built world and where its roles sit: ``roles`` (``world_roles``), ``blocks``
    (``seat_blocks``), and ``seats``, each role's indices in the world's seat order."""

    env: object
    roles: dict[str, list[str]]
    blocks: list[tuple[str, int]]
    seats: dict[str, np.ndarray]

    @classmethod
    def of(cls, env) -> Layout:
        roles = world_roles(env)
        agents = list(env.possible_agents)
        return cls(env, roles, seat_blocks(env, roles), {role: np.array([agents.index(a) for a in members]) for role, members in roles.items()})


def seat_arguments(env) -> dict[str, str]:
    """``{role: constructor argument}`` of a world that sizes each role's seats (our two-role
    worlds: ``num_solvers``, ``num_challengers``), else empty."""
    return dict(getattr(type(getattr(env, "unwrapped", env)), "seat_arguments", None) or {})
