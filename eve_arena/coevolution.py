"""Populations that evolve against each other: one per role of a world with roles.

    from eve_arena.coevolution import Coevolution, CoevolutionConfig
    run = Coevolution(CoevolutionConfig())          # solvers and challengers, the two-role toy world
    for _ in range(100):
        metrics = run.step()

A world with roles (``roles.py``: solvers and challengers in ``toy_challenge``, predators and
prey in MPE's ``simple_tag``) gets a population per role, each with its own genome, strategy,
ratings, hall of fame and ladder. Each generation every strategy proposes its population; each
role's players are its population and its hall of fame; and ``rounds`` times the players of
every role are shuffled and dealt into matches, each match filling the world's seats of every
role, until every player has played (a role with fewer players than another plays some twice).
Each role is rated on its own (OpenSkill, fresh each generation, as the arena rates its
population): by its returns in the one match, when a round is one; else its players ranked
together by their mean return over the round's matches, since a role with one seat (the prey) or
whose agents share their reward (the predators) has nothing to rank within a match. Its
ratings' ordinal is its fitness, and its strategy breeds from it. A member whose
action held NaN or inf is never selected. A role's champion is its best rated member; it joins
the role's hall of fame, whose members play on in the other roles' matches, so a population
keeps meeting the strategies that beat it before (Rosin and Belew's hall of fame).

Every ``ladder_every`` generations each role's champion is rated on that role's ladder
(``role_ladder.py``); in the two-role toy world the solvers' champion is also scored on held-out
data of the original and a wider distribution (``challenge_heldout.py``) every generation.
``save`` writes a checkpoint and ``Coevolution.resume`` goes on from the newest good one, bit
for bit. ``coevolve_run.py`` is the run directory around it (``eve-arena coevolve``).
"""

from __future__ import annotations

import dataclasses
import math
import numbers
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from eve_arena import checkpoint, ladder, ratings, role_ladder
from eve_arena.agents.genome_agent import GenomeTeam, develop_nets
from eve_arena.arena import generation_rngs
from eve_arena.challenge_heldout import champion_scores, scored_role
from eve_arena.config import ArenaConfig, _check_device, _check_fields
from eve_arena.envs import ENV_DEFAULTS, MNIST_CHALLENGE, TOY_CHALLENGE, make_env
from eve_arena.envs.plugins import zero_actions
from eve_arena.envs.world import shape_of
from eve_arena.errors import UserError
from eve_arena.founders import fresh_genomes
from eve_arena.genome import GenomeSpec
from eve_arena.match import _world_call, numeric, play_match
from eve_arena.roles import Layout, check_role_spaces, seat_arguments, world_roles
from eve_arena.strategies.base import pack_state, unpack_state


@dataclass(frozen=True)
class Role:
    """One population: its genome, size, and strategy."""

    genome: GenomeSpec
    population: int
    strategy: str = "ga"
    strategy_kwargs: dict = field(default_factory=dict)

    def make_strategy(self):
        return ArenaConfig(strategy=self.strategy, strategy_kwargs=self.strategy_kwargs).make_strategy()

    def to_dict(self) -> dict:
        return {"genome": self.genome.to_dict(), "population": self.population, "strategy": self.strategy, "strategy_kwargs": dict(self.strategy_kwargs)}

    @classmethod
    def from_dict(cls, data: dict, name: str = "role") -> Role:
        _check_fields(cls, data, f"roles.{name}.")
        if "genome" not in data or "population" not in data:
            raise UserError(f"roles.{name} needs a genome and a population, got {sorted(data)}")
        _check_fields(GenomeSpec, data["genome"], f"roles.{name}.genome.")
        return cls(GenomeSpec.from_dict(data["genome"]), data["population"], data.get("strategy", "ga"), data.get("strategy_kwargs", {}))


SOLVER = Role(ArenaConfig().genome, 64)
"""The default toy tournament's genome, population and strategy."""
CHALLENGER = Role(GenomeSpec(target=(3, 8, 2)), 16)
"""A small net from the challenger's view (3 numbers) to its choice (center, log spread)."""
TOY_ROLES = {"solver": SOLVER, "challenger": CHALLENGER}
TOY_WORLD_KWARGS = {"task": "quadratic", "batch_size": 256, "max_steps": 4, "base_fraction": 0.875, "min_spread": 0.5, "solver_score": "log_share", "reach": 4.0}
"""Every player in one match a round, as the toy tournament plays its population (the world sizes
its roles' seats; ``num_solvers``/``num_challengers`` here would deal matches of that size). The
challengers choose an eighth of each batch, no narrower than a spread of 0.5, and solvers are
scored on log MSE per share: chosen on validation seeds (scripts/coevolution_study.py,
docs/results.md), where half the batch, a share of one point, or whole-batch MSE each cost the
solvers on the original task."""
MNIST_ROLES = {
    "solver": Role(GenomeSpec(**{**GenomeSpec().to_dict(), "encoding": "fourier", **ENV_DEFAULTS["eve_arena/mnist-v0"]["genome"]}), 64, "pgpe", ENV_DEFAULTS["eve_arena/mnist-v0"]["strategy_kwargs"]),
    "challenger": Role(GenomeSpec(target=(24, 16, 14)), 16),
}
"""The MNIST tournament's solvers (its genome and PGPE settings); challengers from their 24-number
view (progress, losses, per-digit errors) to their 14-number choice (digit mix, turn, shift, noise)."""
MNIST_WORLD_KWARGS = {"batch_size": 256, "max_steps": 2, "base_fraction": 0.875}
"""Two steps: the challengers' choices shape the second batch (the first is drawn before any
choice). An eighth of it is theirs, as in the toy world (not tuned on MNIST)."""
WORLD_DEFAULTS = {TOY_CHALLENGE: (TOY_ROLES, TOY_WORLD_KWARGS), MNIST_CHALLENGE: (MNIST_ROLES, MNIST_WORLD_KWARGS)}
DEFAULT_POPULATION = 32
"""A role's population in a world without settings of its own."""


@dataclass(frozen=True)
class CoevolutionConfig:
    world: str = TOY_CHALLENGE
    """A world with roles: a registered id or ``module:Name`` (``envs.make_env``)."""
    roles: dict = field(default_factory=lambda: dict(TOY_ROLES))
    """``{role: Role}``, one entry for each of the world's roles."""
    env_kwargs: dict = field(default_factory=lambda: dict(TOY_WORLD_KWARGS))
    """The world's constructor arguments, which fix its seats per role."""
    generations: int = 300
    rounds: int = 1
    """Times each player is dealt into a match a generation (at least)."""
    hall_of_fame: int = 0
    """Past champions kept per role, playing beside the population; 0: none. Off by default: in
    the toy challenge world a hall of 4 left the solvers 45% worse on the original task
    (geometric mean over 12 seeds, worse on 9; docs/results.md), though inside the seed noise;
    an arms race that cycles may want it (not measured)."""
    ladder_every: int = 10
    """Generations between ladder evaluations of every role's champion; 0: none."""
    ladder_episodes: int = 2
    anchor_every: int = 50
    anchor_window: int = 4
    pairing: dict = field(default_factory=dict)
    """``{role: "split" | "paired"}`` for the ladder (``role_ladder.py``); unnamed roles: auto."""
    checkpoint_every: int = 25
    seed: int = 0
    device: str = "cpu"

    def __post_init__(self) -> None:
        for name in ("generations", "rounds", "ladder_episodes", "checkpoint_every"):
            _positive_int(name, getattr(self, name))
        for name in ("hall_of_fame", "ladder_every", "anchor_every", "anchor_window", "seed"):
            _positive_int(name, getattr(self, name), zero=True)
        _check_device(self.device)
        if not isinstance(self.roles, dict) or not all(isinstance(r, Role) for r in self.roles.values()):
            raise UserError("roles must map each role's name to a Role (genome, population, strategy)")
        env = self.make_env()
        roles = world_roles(env)
        if len(roles) < 2:
            raise UserError(f"{self.world} has one role ({', '.join(roles)}): co-evolution needs a world with roles; a tournament evolves one population (eve-arena tournament --env {self.world})")
        if set(roles) != set(self.roles):
            raise UserError(f"{self.world} has the roles {', '.join(roles)}; give one population for each (got {', '.join(self.roles) or 'none'})")
        check_role_spaces(env, roles, self.world)
        sizes = seat_sizes(env, self.env_kwargs)
        centered = {}
        for name, members in roles.items():
            role = self.roles[name]
            _positive_int(f"the {name} population", role.population)
            if not sizes and len(members) > role.population:
                raise UserError(f"a match of {self.world} seats {len(members)} {name} agents, more than the {name} population of {role.population}; raise the population, or seat fewer")
            inputs, outputs = role_widths(env, members[0])
            if (role.genome.target[0], role.genome.target[-1]) != (inputs, outputs):
                raise UserError(f"a {name}'s net must take {inputs} inputs and give {outputs} outputs in this world; its genome's target is {role.genome.target}")
            strategy = role.make_strategy()
            try:  # the strategy's own checks of its settings against this population, before any work
                strategy.init(torch.zeros(role.population, role.genome.genome_size))
            except UserError as exc:
                raise UserError(f"the {name} strategy: {exc}") from None
            centered[name] = hasattr(strategy, "center")  # a search distribution's center plays too
        if sizes:  # every player seated: the world as the largest generation builds it
            seats = {sizes[name]: self.roles[name].population + self.hall_of_fame + centered[name] for name in roles}
            try:
                self.make_env(**seats).close()
            except UserError as exc:
                raise UserError(f"{self.world} with every player seated ({', '.join(f'{k}={v}' for k, v in seats.items())}: populations, centers and hall of fame): {exc}") from None
        for name, choice in self.pairing.items():
            if name not in roles or choice not in role_ladder.PAIRINGS:
                raise UserError(f"pairing must map roles of {self.world} ({', '.join(roles)}) to one of {', '.join(role_ladder.PAIRINGS)}; got {name!r}: {choice!r}")
        if hasattr(env, "close"):
            env.close()

    @classmethod
    def for_world(cls, world: str = TOY_CHALLENGE, env_kwargs: dict | None = None, populations: dict | None = None, hidden: dict | None = None, strategies: dict | None = None, **overrides) -> CoevolutionConfig:
        """The settings that suit ``world``, then the given ones. Our challenge worlds: the
        tournament's solvers of that task and 16 small challengers. Any other world: a population
        of ``DEFAULT_POPULATION`` per role whose net's ends fit that role's spaces. ``populations``,
        ``hidden`` (hidden widths) and ``strategies`` are ``{role: value}``; a role the world
        does not have is refused."""
        own_roles, own_kwargs = WORLD_DEFAULTS.get(world, ({}, {}))
        env_kwargs = {**own_kwargs, **(env_kwargs or {})}
        env = make_env(world, **env_kwargs)
        roles = world_roles(env)
        for what, given in (("populations", populations), ("hidden", hidden), ("strategies", strategies)):
            unknown = set(given or {}) - set(roles)
            if unknown:
                raise UserError(f"{what} names {', '.join(sorted(unknown))}, not a role of {world} (its roles: {', '.join(roles)})")
        made = {}
        for name, members in roles.items():
            base = own_roles.get(name, Role(ArenaConfig().genome, DEFAULT_POPULATION))
            inputs, outputs = role_widths(env, members[0])
            widths = tuple((hidden or {}).get(name, base.genome.target[1:-1]))
            genome = dataclasses.replace(base.genome, target=(inputs, *widths, outputs))
            strategy = (strategies or {}).get(name, base.strategy)
            made[name] = Role(genome, (populations or {}).get(name, base.population), strategy, base.strategy_kwargs if strategy == base.strategy else {})
        if hasattr(env, "close"):
            env.close()
        return cls(world=world, roles=made, env_kwargs=env_kwargs, **overrides)

    def make_env(self, **extra):
        return make_env(self.world, **self.env_kwargs, **extra)

    def to_dict(self) -> dict:
        data = dataclasses.asdict(self)
        data["roles"] = {name: role.to_dict() for name, role in self.roles.items()}
        return data

    @classmethod
    def from_dict(cls, data: dict) -> CoevolutionConfig:
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = set(data) - known - {"provenance"}
        if unknown:
            raise UserError(f"unknown co-evolution settings {sorted(unknown)}; known: {sorted(known)}")
        data = {k: v for k, v in data.items() if k in known}
        if "roles" in data:
            if not isinstance(data["roles"], dict):
                raise UserError(f"roles must be an object of one role's settings per role, got {data['roles']!r}")
            data["roles"] = {name: Role.from_dict(role, name) for name, role in data["roles"].items()}
        return cls(**data)


def seat_sizes(env, env_kwargs: dict) -> dict[str, str]:
    """``{role: constructor argument}`` when the world sizes every role's seats (``seat_arguments``)
    and the settings leave them to the run; else empty (matches of the world's own size)."""
    arguments = seat_arguments(env)
    if set(arguments) != set(world_roles(env)) or set(arguments.values()) & set(env_kwargs):
        return {}
    return arguments


def _positive_int(name: str, value, zero: bool = False) -> None:
    if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value < (0 if zero else 1):
        raise UserError(f"{name} must be a {'non-negative' if zero else 'positive'} integer, got {value!r}")


def role_widths(env, agent: str) -> tuple[int, int]:
    """The inputs and outputs of a net driving ``agent`` (``world.shape_of``'s layouts)."""
    in_width, out_width, _ = shape_of(env, agent=agent)
    return in_width, out_width


class Coevolution:
    """One population per role, each with its strategy state, hall of fame and ladder."""

    def __init__(self, config: CoevolutionConfig):
        self.config = config
        self.env = config.make_env()
        self.layout = Layout.of(self.env)
        self.roles = self.layout.roles
        self.scored = scored_role(config.world) or next(iter(self.roles))  # whose champion is `champion`
        # A world that sizes its roles' seats, not sized by the settings, seats every player in one match a round.
        self.sizes = seat_sizes(self.env, config.env_kwargs)
        self._sized: dict[tuple, Layout] = {}
        self.specs = {role: config.roles[role].genome for role in self.roles}
        generator = torch.Generator().manual_seed(config.seed)
        self.strategies = {role: config.roles[role].make_strategy() for role in self.roles}
        founders = {role: fresh_genomes(self.specs[role], config.roles[role].population, generator) for role in self.roles}
        self.states = {role: self.strategies[role].init(founders[role]) for role in self.roles}
        self.champions = {role: founders[role][0].clone() for role in self.roles}  # until a generation has been rated
        self.halls = {role: torch.empty(0, self.specs[role].genome_size) for role in self.roles}
        self.info_keys = _info_keys(self.env, self.roles)
        self.ladders = {role: ladder.LadderState.empty(self.specs[role].genome_size) for role in self.roles}
        self.generation = 0

    @property
    def champion(self) -> torch.Tensor:
        """The scored role's champion (the solvers', in a challenge world), else the first role's."""
        return self.champions[self.scored]

    def step(self) -> dict:
        """One generation: ask every role, play, rate each role, pick champions, tell every strategy."""
        cfg = self.config
        rng, generator = generation_rngs(cfg.seed, self.generation)
        asked = {role: self.strategies[role].ask(self.states[role])[0] for role in self.roles}
        # As in the arena, a search distribution's center plays beside its samples and may be champion, never told.
        candidates = {role: torch.cat([asked[role], self._center(role)]) for role in self.roles}
        players = {role: torch.cat([candidates[role], self.halls[role]]) for role in self.roles}
        mu, sigma, invalid, infos, layout = self._play(players, rng)
        rated = {role: np.where(invalid[role] > 0, -np.inf, ratings.ordinal(mu[role], sigma[role])) for role in self.roles}
        fitness = {role: rated[role][: len(asked[role])] for role in self.roles}
        metrics: dict = {"generation": self.generation}
        phase = getattr(getattr(layout.env, "unwrapped", layout.env), "phase", None)
        if isinstance(phase, numbers.Real) and not isinstance(phase, bool):  # a changing world: `eve-arena adaptivity` reports on any role's metric
            metrics["env/phase"] = float(phase)
        for role in self.roles:
            best = int(np.argmax(rated[role][: len(candidates[role])]))
            if np.isfinite(rated[role][best]):
                self.champions[role] = candidates[role][best].clone()
                if cfg.hall_of_fame:
                    self.halls[role] = torch.cat([self.halls[role], self.champions[role][None]])[-cfg.hall_of_fame :]
            metrics[f"{role}/invalid"] = int((invalid[role][: len(asked[role])] > 0).sum())
            metrics.update(_info_medians(role, infos.get(role, {})))
        for role in self.roles:
            self.states[role] = self.strategies[role].tell(self.states[role], torch.from_numpy(fitness[role]), generator)
        metrics.update({f"champion/{k}": v for k, v in champion_scores(cfg.world, cfg.env_kwargs, self.specs[self.scored], self.champion, cfg.device).items()})
        if self._ladder_due(self.generation):
            metrics.update(self._climb_ladders())
        self.generation += 1
        return metrics

    def _center(self, role: str) -> torch.Tensor:
        """``(1, D)`` the role's strategy's center when it samples around one (PGPE, CMA-ES), else ``(0, D)``."""
        center = getattr(self.strategies[role], "center", None)
        if center is None:
            return torch.empty(0, self.specs[role].genome_size)
        return center(self.states[role]).detach().to(torch.float32)[None]

    def _ladder_due(self, generation: int) -> bool:
        """Every ``ladder_every`` generations, and whenever an anchor is due to be frozen."""
        cfg = self.config
        return bool(cfg.ladder_every) and (generation % cfg.ladder_every == 0 or (cfg.anchor_every and (generation + 1) % cfg.anchor_every == 0))

    def _play(self, players: dict, rng: np.random.Generator) -> tuple[dict, dict, dict, dict, Layout]:
        """Every role's players dealt into matches, ``rounds`` times: their ratings, invalid
        steps, and each numeric info's mean per player over the matches it played."""
        cfg = self.config
        mu, sigma = {}, {}
        for role in self.roles:
            mu[role], sigma[role] = ratings.fresh(len(players[role]))
        invalid = {role: np.zeros(len(players[role]), np.int64) for role in self.roles}
        sums: dict[str, dict[str, np.ndarray]] = {role: {"return": np.zeros(len(players[role]))} for role in self.roles}
        counts = {role: np.zeros(len(players[role])) for role in self.roles}
        layout = self._layout_for({role: len(players[role]) for role in self.roles})
        matches = max(math.ceil(len(players[role]) / len(layout.seats[role])) for role in self.roles)
        nets = {role: develop_nets(self.specs[role], players[role], cfg.device) for role in self.roles}  # once a generation, not once a match
        for _ in range(cfg.rounds):
            order = {role: rng.permutation(len(players[role])) for role in self.roles}
            round_returns = {role: np.zeros(len(players[role])) for role in self.roles}
            round_counts = {role: np.zeros(len(players[role])) for role in self.roles}
            for i in range(matches):
                dealt = {role: order[role][(i * len(layout.seats[role]) + np.arange(len(layout.seats[role]))) % len(players[role])] for role in self.roles}
                result = play_match(layout.env, self._dealt_roster(nets, dealt, layout), seed=int(rng.integers(2**31)), options={"generation": self.generation})
                for role, members in dealt.items():
                    seats = layout.seats[role]
                    if matches == 1:  # everyone in one match: rated as that match
                        mu[role], sigma[role] = ratings.rate_match(mu[role], sigma[role], members, result.returns[seats])
                    np.add.at(round_returns[role], members, result.returns[seats])
                    np.add.at(round_counts[role], members, 1)
                    invalid[role][members] += result.invalid_steps[seats]
                    counts[role][members] += 1
                    sums[role]["return"][members] += result.returns[seats]
                    for key in sorted(self.info_keys[role] & set(result.info_means)):
                        sums[role].setdefault(key, np.zeros(len(players[role])))[members] += result.info_means[key][seats]
            if matches > 1:
                # Several matches: each role's players ranked together by their mean return in the
                # round. A role with one seat a match (the prey), or whose agents share their reward
                # (the predators), has nothing to rank within a match.
                for role in self.roles:
                    played = np.flatnonzero(round_counts[role])
                    mu[role], sigma[role] = ratings.rate_match(mu[role], sigma[role], played, round_returns[role][played] / round_counts[role][played])
        infos = {role: {key: total / np.maximum(counts[role], 1) for key, total in sums[role].items()} for role in self.roles}
        return mu, sigma, invalid, infos, layout

    def _layout_for(self, players: dict[str, int]) -> Layout:
        """The world a generation plays: every player seated, where the world sizes its roles; else as built."""
        if not self.sizes:
            return self.layout
        key = tuple(players[role] for role in self.roles)
        if key not in self._sized:
            self._sized[key] = Layout.of(self.config.make_env(**{self.sizes[role]: players[role] for role in self.roles}))
        return self._sized[key]

    def roster(self, genomes: dict[str, torch.Tensor]) -> list[GenomeTeam]:
        """One team per run of a role's seats (in ``self.env``), taking that role's genomes in seat order."""
        return self._dealt_roster({role: develop_nets(self.specs[role], g, self.config.device) for role, g in genomes.items()}, {role: np.arange(len(g)) for role, g in genomes.items()}, self.layout)

    def _dealt_roster(self, nets: dict[str, tuple], dealt: dict[str, np.ndarray], layout: Layout) -> list[GenomeTeam]:
        """The same from each role's developed nets (``develop_nets``) and the rows dealt to its seats."""
        used = dict.fromkeys(dealt, 0)
        teams = []
        for role, length in layout.blocks:
            rows = torch.as_tensor(dealt[role][used[role] : used[role] + length])
            born, steps = nets[role]
            teams.append(GenomeTeam.developed(self.specs[role], born[rows], None if steps is None else steps[rows], role, self.config.device))
            used[role] += length
        return teams

    def _climb_ladders(self) -> dict:
        """Each role's champion on its ladder, the other roles' seats held by their first anchors."""
        cfg = self.config
        metrics = {}
        for role in self.roles:  # the first evaluation freezes every role's first anchor before any plays
            if not self.ladders[role].names:
                self.ladders[role], metrics[f"{role}/ladder_rating"] = role_ladder.climb(self.ladders[role], self.generation, self.champions[role], None, cfg.anchor_window, cfg.anchor_every)
        for role in self.roles:
            if f"{role}/ladder_rating" in metrics:
                continue
            fixed = {other: self.ladders[other].genomes[0] for other in self.roles if other != role}

            def match(genomes: torch.Tensor, seed: int, role=role, fixed=fixed):
                lineup = {other: genome[None].expand(len(self.layout.seats[other]), -1) for other, genome in fixed.items()} | {role: genomes}
                return play_match(self.env, self.roster(lineup), seed=seed, options={"generation": self.generation})

            pairing = role_ladder.pairing_for(cfg.pairing.get(role, "auto"), len(self.layout.seats[role]))
            play = lambda anchor, match=match, role=role, pairing=pairing: role_ladder.play_rung(match, role, self.layout.seats[role], self.champions[role], anchor, pairing, cfg.ladder_episodes)  # noqa: E731
            self.ladders[role], metrics[f"{role}/ladder_rating"] = role_ladder.climb(self.ladders[role], self.generation, self.champions[role], play, cfg.anchor_window, cfg.anchor_every)
        return metrics

    def save(self, directory: Path, keep: int = 3) -> Path:
        """A checkpoint of the run (``checkpoint.save``: safetensors, atomic, digested): every role's
        strategy state, champion, hall of fame and ladder, and the generation count."""
        tensors, meta = {}, {"generation": self.generation, "seed": self.config.seed, "scalars": {}, "ladders": {}, "genomes": {}}
        for role, state in self.states.items():
            role_tensors, meta["scalars"][role] = pack_state(state, prefix=f"{role}/")
            tensors.update(role_tensors)
            tensors.update({f"{role}/champion": self.champions[role], f"{role}/hall": self.halls[role], f"{role}/ladder_genomes": self.ladders[role].genomes})
            lad = self.ladders[role]
            meta["ladders"][role] = {"names": lad.names, "mu": lad.mu.tolist(), "sigma": lad.sigma.tolist()}
            meta["genomes"][role] = self.specs[role].to_json()
        return checkpoint.save(Path(directory), self.generation, tensors, meta, keep)

    @classmethod
    def resume(cls, config: CoevolutionConfig, directory: Path) -> Coevolution:
        """The run of ``config`` as its newest good checkpoint in ``directory`` left it: it goes on
        bit for bit as the uninterrupted run would."""
        run = cls(config)

        def fits(tensors: dict, meta: dict) -> None:
            if meta.get("seed") != config.seed:
                raise UserError(f"checkpoint of generation {meta.get('generation')} was written by a run with another seed")
            if meta.get("genomes") != {role: spec.to_json() for role, spec in run.specs.items()}:
                raise UserError(f"checkpoint of generation {meta.get('generation')} was written by a run with other roles or genomes")

        tensors, meta, _ = checkpoint.load_latest(Path(directory), fits=fits)
        for role in run.roles:
            run.states[role] = unpack_state(type(run.states[role]), tensors, meta["scalars"][role], prefix=f"{role}/")
            run.champions[role], run.halls[role] = tensors[f"{role}/champion"], tensors[f"{role}/hall"]
            lad = meta["ladders"][role]
            run.ladders[role] = ladder.LadderState(list(lad["names"]), np.array(lad["mu"], np.float64), np.array(lad["sigma"], np.float64), tensors[f"{role}/ladder_genomes"])
        run.generation = int(meta["generation"])
        return run


def _info_keys(env, roles: dict[str, list[str]]) -> dict[str, set[str]]:
    """The numeric infos each role's agents report, from one step of zero actions: a key that one
    role reports is no measure of another (the match sums it as 0 there)."""
    where = getattr(env, "metadata", {}).get("name", "the world")
    _world_call(env.reset, f"{where}: reset()", seed=0)
    _, _, _, _, infos = _world_call(env.step, f"{where}: a step of zero actions", zero_actions(env, env.agents))
    return {role: {key for agent in members for key, value in infos.get(agent, {}).items() if numeric(value)} for role, members in roles.items()}


def _info_medians(role: str, infos: dict[str, np.ndarray]) -> dict:
    """The median over a role's players of each numeric info the world gave them."""
    out = {}
    with warnings.catch_warnings():  # a broken player's info is NaN in every match: its median skips it
        warnings.simplefilter("ignore", RuntimeWarning)
        for key, values in infos.items():
            if key != "invalid":
                out[f"{role}/{key}_median"] = float(np.nanmedian(values))
    return out
