"""Two populations that evolve against each other: solvers, and challengers that choose what the solvers face.

    from eve_arena.coevolution import Coevolution, CoevolutionConfig
    run = Coevolution(CoevolutionConfig(generations=100))
    for _ in range(100):
        metrics = run.step()

Each generation both strategies propose their populations, and every solver and every
challenger play ``rounds`` matches of the two-role toy world (``envs.toy_challenge``) together:
the challengers choose where the solvers' inputs are drawn and are paid regret within reach;
the solvers are scored against each other on what they were given. Each role is rated on its
own (OpenSkill, fresh each generation, as the arena rates its population), its ratings' ordinal
is its fitness, and its strategy breeds from it. A member whose action held NaN or inf is never
selected. The solvers' champion is the best rated, and is scored on the toy task's held-out
quadrature and on a wider one (``WideToyTask``): what the challengers taught, beside what the
fixed distribution asks.

``save`` writes a checkpoint and ``Coevolution.resume`` goes on from the newest good one, bit
for bit. Not here yet (issue 17): a hall of fame and ladder per role, and the command line;
``Arena`` still runs one population.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from eve_arena import checkpoint, ratings
from eve_arena.agents.genome_agent import GenomeTeam
from eve_arena.arena import generation_rngs
from eve_arena.config import ArenaConfig
from eve_arena.envs.toy_challenge import ToyChallengeEnv
from eve_arena.errors import UserError
from eve_arena.founders import fresh_genomes
from eve_arena.genome import GenomeSpec
from eve_arena.match import play_match
from eve_arena.strategies.base import pack_state, unpack_state
from eve_arena.tasks import ToyTask
from eve_arena.train import heldout_scores


@dataclass(frozen=True)
class WideToyTask(ToyTask):
    """The toy task with inputs spread ``spread`` times as wide, x ~ N(0, spread^2) within
    ``[-bound, bound]`` (the challengers' bounds): held-out data from a wider distribution than
    training uses."""

    spread: float = 2.0
    bound: float = 4.0

    @property
    def name(self) -> str:
        return f"toy {self.kind}, x spread {self.spread:g}x"

    def support(self) -> tuple[float, float]:
        return -self.bound, self.bound

    def density(self, x: np.ndarray) -> np.ndarray:
        return np.exp(-0.5 * (x / self.spread) ** 2)


@dataclass(frozen=True)
class Role:
    """One population: its genome, size, and strategy."""

    genome: GenomeSpec
    population: int
    strategy: str = "ga"
    strategy_kwargs: dict = field(default_factory=dict)

    def make_strategy(self):
        return ArenaConfig(strategy=self.strategy, strategy_kwargs=self.strategy_kwargs).make_strategy()


SOLVER = Role(ArenaConfig().genome, 64)
"""The default toy tournament's genome, population and strategy."""
CHALLENGER = Role(GenomeSpec(target=(3, 8, 2)), 16)
"""A small net from the challenger's view (3 numbers) to its choice (center, log spread)."""


@dataclass(frozen=True)
class CoevolutionConfig:
    solver: Role = SOLVER
    challenger: Role = CHALLENGER
    env_kwargs: dict = field(default_factory=lambda: {"task": "quadratic", "batch_size": 256, "max_steps": 4})
    """Arguments of ``ToyChallengeEnv`` besides its seats (the toy tournament's batch and steps)."""
    rounds: int = 1
    """Matches each member plays a generation, every solver and challenger in each."""
    seed: int = 0
    device: str = "cpu"

    def __post_init__(self) -> None:
        if not isinstance(self.rounds, int) or isinstance(self.rounds, bool) or self.rounds < 1:
            raise UserError(f"rounds must be a positive integer, got {self.rounds!r}")
        for name, role in (("solver", self.solver), ("challenger", self.challenger)):
            if not isinstance(role.population, int) or role.population < 1:
                raise UserError(f"the {name} population must be a positive integer, got {role.population!r}")
        env = self.make_env()
        for name, role in (("solver", self.solver), ("challenger", self.challenger)):
            agent = env.roles[name][0]
            inputs, outputs = _widths(env, agent)
            if (role.genome.target[0], role.genome.target[-1]) != (inputs, outputs):
                raise UserError(f"a {name}'s net must take {inputs} inputs and give {outputs} outputs in this world; its genome's target is {role.genome.target}")

    def make_env(self) -> ToyChallengeEnv:
        return ToyChallengeEnv(num_solvers=self.solver.population, num_challengers=self.challenger.population, **self.env_kwargs)


def _widths(env, agent: str) -> tuple[int, int]:
    """A solver reads rows of one input and answers each; a challenger reads its whole view."""
    if agent in env.roles["solver"]:
        return 1, 1
    return int(np.prod(env.observation_space(agent).shape)), int(np.prod(env.action_space(agent).shape))


class Coevolution:
    """Solvers and challengers, each with its own strategy state and ratings."""

    def __init__(self, config: CoevolutionConfig):
        self.config = config
        self.env = config.make_env()
        generator = torch.Generator().manual_seed(config.seed)
        self.strategies = {name: getattr(config, name).make_strategy() for name in ("solver", "challenger")}
        founders = {name: fresh_genomes(getattr(config, name).genome, getattr(config, name).population, generator) for name in self.strategies}
        self.states = {name: self.strategies[name].init(founders[name]) for name in self.strategies}
        self.generation = 0
        self.champion = founders["solver"][0].clone()  # until a generation has been rated
        self.task = ToyTask(config.env_kwargs.get("task", "quadratic"), config.env_kwargs.get("noise", 0.1))
        self.wide = WideToyTask(self.task.kind, self.task.noise, bound=self.env.x_bound)

    def step(self) -> dict:
        """One generation: ask both, play, rate each role, pick the solvers' champion, tell both."""
        cfg, env = self.config, self.env
        rng, generator = generation_rngs(cfg.seed, self.generation)
        asked = {name: self.strategies[name].ask(self.states[name])[0] for name in self.strategies}
        k, m = len(asked["solver"]), len(asked["challenger"])
        fresh = {name: ratings.fresh(len(asked[name])) for name in asked}
        mu, sigma = {name: f[0] for name, f in fresh.items()}, {name: f[1] for name, f in fresh.items()}
        invalid = {name: np.zeros(len(asked[name]), np.int64) for name in asked}
        infos: dict[str, list] = {}
        for _ in range(cfg.rounds):
            roster = [GenomeTeam(getattr(cfg, name).genome, asked[name], name, cfg.device) for name in ("solver", "challenger")]
            result = play_match(env, roster, seed=int(rng.integers(2**31)))
            for name, seats in (("solver", slice(0, k)), ("challenger", slice(k, k + m))):
                mu[name], sigma[name] = ratings.rate_match(mu[name], sigma[name], np.arange(len(asked[name])), result.returns[seats])
                invalid[name] += result.invalid_steps[seats]
            for key, values in result.info_means.items():
                infos.setdefault(key, []).append(values)
        fitness = {name: np.where(invalid[name] > 0, -np.inf, ratings.ordinal(mu[name], sigma[name])) for name in asked}
        best = int(np.argmax(fitness["solver"]))
        if np.isfinite(fitness["solver"][best]):
            self.champion = asked["solver"][best].clone()
        for name in self.strategies:
            self.states[name] = self.strategies[name].tell(self.states[name], torch.from_numpy(fitness[name]), generator)
        metrics = {"generation": self.generation, **self._champion_scores(), **self._choices(infos, k, m),
                   "solver/invalid": int((invalid["solver"] > 0).sum()), "challenger/invalid": int((invalid["challenger"] > 0).sum())}
        self.generation += 1
        return metrics

    def save(self, directory: Path, keep: int = 3) -> Path:
        """A checkpoint of the run (``checkpoint.save``: safetensors, atomic, digested): both
        strategies' states, the solvers' champion and the generation count."""
        tensors, meta = {"champion": self.champion}, {"generation": self.generation, "seed": self.config.seed, "scalars": {}}
        for name, state in self.states.items():
            role_tensors, meta["scalars"][name] = pack_state(state, prefix=f"{name}/")
            tensors.update(role_tensors)
            meta[f"{name}_genome"] = getattr(self.config, name).genome.to_json()
        return checkpoint.save(Path(directory), self.generation, tensors, meta, keep)

    @classmethod
    def resume(cls, config: CoevolutionConfig, directory: Path) -> Coevolution:
        """The run of ``config`` as its newest good checkpoint in ``directory`` left it: it goes on
        bit for bit as the uninterrupted run would."""

        def fits(tensors: dict, meta: dict) -> None:
            for key, value in (("seed", config.seed), ("solver_genome", config.solver.genome.to_json()), ("challenger_genome", config.challenger.genome.to_json())):
                if meta.get(key) != value:
                    raise UserError(f"checkpoint of generation {meta.get('generation')} was written by a run with another {key.replace('_', ' ')}")

        tensors, meta, _ = checkpoint.load_latest(Path(directory), fits=fits)
        run = cls(config)
        for name in run.states:
            run.states[name] = unpack_state(type(run.states[name]), tensors, meta["scalars"][name], prefix=f"{name}/")
        run.champion, run.generation = tensors["champion"], int(meta["generation"])
        return run

    def _champion_scores(self) -> dict:
        spec = self.config.solver.genome
        scores = {}
        for label, task in (("heldout", self.task), ("wide_heldout", self.wide)):
            scores[f"champion/{label}_loss"] = float(heldout_scores(spec, self.champion[None], task, self.config.device)["loss"][0])
        return scores

    @staticmethod
    def _choices(infos: dict, k: int, m: int) -> dict:
        """The challengers' median choice and regret, and the solvers' median match MSE."""
        with warnings.catch_warnings():  # a broken member's choice is NaN in every round: its mean stays NaN
            warnings.simplefilter("ignore", RuntimeWarning)
            mean = {key: np.nanmean(np.stack(values), axis=0) for key, values in infos.items()}
        out = {"solver/match_mse_median": float(np.nanmedian(mean["mse"][:k]))} if "mse" in mean else {}
        if "center" in mean:
            out["challenger/distance_median"] = float(np.nanmedian(np.abs(mean["center"][k : k + m])))  # how far out they ask
        for key in ("spread", "regret"):
            if key in mean:
                out[f"challenger/{key}_median"] = float(np.nanmedian(mean[key][k : k + m]))
        return out
