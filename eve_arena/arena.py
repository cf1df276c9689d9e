"""The arena loop: develop, schedule, play, rate, select; one generation at a time.

``Arena.step()`` runs one generation and returns flat, namespaced metrics; ``run_arena`` hangs
checkpointing, the metrics file, the progress bar and the plots off it. Every generation draws
its randomness from ``SeedSequence([seed, generation])``, and the state saved in a checkpoint is
everything else, so a resumed run continues bit for bit as if it had never stopped.
"""

from __future__ import annotations

import functools
import inspect
import time
from dataclasses import dataclass

import numpy as np
import torch

from eve_arena import ratings
from eve_arena.agents.baselines import load_baseline
from eve_arena.agents.genome_agent import GenomeTeam
from eve_arena.agents.io import input_space
from eve_arena.config import ArenaConfig
from eve_arena.envs import make_env
from eve_arena.envs.plugins import check_contract
from eve_arena.errors import UserError
from eve_arena.lifetime import lifetime_batches
from eve_arena.match import play_match
from eve_arena.selfbuild import fidelity, offspring
from eve_arena.tournament import schedule
from eve_arena.train import heldout_scores


@dataclass
class ArenaState:
    generation: int
    """Generations completed."""
    strategy_state: tuple
    hall_genomes: torch.Tensor
    """``(H, D)`` frozen champions."""
    hall_ids: torch.Tensor
    hall_generations: torch.Tensor
    """``(H,)`` the generation each hall member was champion in."""
    hall_mu: np.ndarray
    hall_sigma: np.ndarray
    baseline_mu: np.ndarray
    """``(B,)`` ratings of the reference baselines, carried across generations."""
    baseline_sigma: np.ndarray
    champion: torch.Tensor
    """``(D,)`` genome of the last generation's champion (highest rating ordinal)."""
    champion_rating: np.ndarray
    """``(2,)`` the champion's rating ``(mu, sigma)`` in its generation."""


def initial_state(config: ArenaConfig) -> ArenaState:
    generator = torch.Generator().manual_seed(config.seed)
    genomes = config.genome.init(config.population, generator)
    strategy_state = config.make_strategy().init(genomes)
    empty = torch.empty(0, config.genome.genome_size)
    no_ids = torch.empty(0, dtype=torch.long)
    baseline_mu, baseline_sigma = ratings.fresh(len(config.baselines))
    return ArenaState(0, strategy_state, empty, no_ids, no_ids.clone(), np.empty(0), np.empty(0), baseline_mu, baseline_sigma, genomes[0].clone(), np.array(ratings.fresh(1)).ravel())


def check_genome_fits_env(spec, env, env_id: str) -> None:
    """Before any evolution: the genome's net must read the env's inputs and fill its actions."""
    agent = env.possible_agents[0]
    obs_space = env.observation_space(agent)
    inputs = input_space(obs_space)
    batch = inputs.shape[0] if inputs.shape else 1
    per_row = int(np.prod(inputs.shape[1:])) if len(inputs.shape) > 1 else 1
    if per_row != spec.target[0]:
        raise UserError(f"{env_id} gives {per_row} inputs per row but the genome's net takes {spec.target[0]}; set --target to start with {per_row}")
    entries = getattr(obs_space, "spaces", None)
    if spec.lifetime == "plastic" and not (isinstance(entries, dict) and {"prev_x", "prev_y"} <= set(entries)):
        raise UserError(f"a plastic genome learns from the feedback in the observation's 'prev_x' and 'prev_y', and {env_id} gives none; use --lifetime fixed")
    if spec.lifetime == "plastic" and getattr(getattr(env, "unwrapped", env), "max_steps", 2) < 2:
        raise UserError(f"a plastic genome learns between the steps of a match, and {env_id} plays matches of one step; set --steps to 2 or more")
    action_shape = env.action_space(agent).shape
    outputs = int(np.prod(action_shape)) // max(batch, 1)
    if outputs != spec.target[-1]:
        raise UserError(f"{env_id} wants {outputs} outputs per row but the genome's net gives {spec.target[-1]}; set --target to end with {outputs}")


def generation_rngs(seed: int, generation: int) -> tuple[np.random.Generator, torch.Generator]:
    """The generation's own numpy and torch generators, independent of what came before."""
    seq = np.random.SeedSequence([seed, generation])
    torch_seed = int(seq.generate_state(1, dtype=np.uint64)[0] >> np.uint64(1))
    return np.random.default_rng(seq), torch.Generator().manual_seed(torch_seed)


class Arena:
    def __init__(self, config: ArenaConfig, state: ArenaState | None = None):
        self.config = config
        self.spec = config.genome
        torch.set_num_threads(config.threads)
        self.strategy = config.make_strategy()
        # Strategies with parents (the GA) breed through the genome's own offspring rule.
        takes_inherit = "inherit" in inspect.signature(self.strategy.tell).parameters
        self._tell_kwargs = {"inherit": functools.partial(offspring, self.spec)} if takes_inherit else {}
        self.state = state if state is not None else initial_state(config)
        self._envs: dict[int, object] = {}
        check_contract(self.env(1), config.env)
        check_genome_fits_env(self.spec, self.env(1), config.env)
        self.baselines = [load_baseline(name, self.env(1), seed=config.seed + i) for i, name in enumerate(config.baselines)]

    def env(self, seats: int):
        """A cached environment with ``seats`` agents (env ids are validated on first use)."""
        if seats not in self._envs:
            self._envs[seats] = make_env(self.config.env, num_agents=seats, **self.config.env_kwargs)
        return self._envs[seats]

    def scoring_world(self):
        """The one-seat environment champions are scored in, unwrapped (its task, phase, batch size)."""
        return getattr(self.env(1), "unwrapped", self.env(1))

    def task(self):
        """The supervised task behind the environment, if it has one (for held-out scores)."""
        task = getattr(self.scoring_world(), "task", None)
        return task if hasattr(task, "heldout") and hasattr(task, "loss") else None

    def _heldout(self, candidates: torch.Tensor, fitness: np.ndarray, always: np.ndarray, generation: int):
        """Held-out scores of the ``heldout_pool`` best-rated candidates (all when 0) plus ``always``, and their indices."""
        task = self.task()
        if task is None:
            return None, None
        size = self.config.heldout_pool or len(candidates)
        best_rated = np.argsort(-fitness, kind="stable")[:size]
        pool = np.concatenate([best_rated, np.setdiff1d(always, best_rated)]).astype(np.int64)
        lifetime = None
        if self.spec.lifetime == "plastic":
            # Scored as it plays: after learning from as many feedback batches as a match gives it.
            env = self.scoring_world()
            lifetime = lifetime_batches(task, getattr(env, "max_steps", 1) - 1, getattr(env, "batch_size", 256), [self.config.seed, generation, 1], self.config.device)
        return heldout_scores(self.spec, candidates[torch.from_numpy(pool)], task, self.config.device, lifetime=lifetime), pool

    def _center(self, strategy_state) -> torch.Tensor:
        """``(1, D)`` the strategy's center when it samples around one (PGPE, CMA-ES), else ``(0, D)``."""
        center = getattr(self.strategy, "center", None)
        if center is None:
            return torch.empty(0, self.spec.genome_size)
        return center(strategy_state).detach().to(torch.float32)[None]

    @torch.no_grad()
    def _replication_metrics(self, population: torch.Tensor, champion: torch.Tensor) -> dict:
        """Replication fidelity rho and weight norm of the champion and (median) of the population."""
        rho, norm = (v.cpu().numpy() for v in fidelity(self.spec, torch.cat([champion[None], population])))
        finite = np.isfinite(rho[1:]) & np.isfinite(norm[1:])  # broken genomes have no fidelity to speak of
        rho_pop, norm_pop = (float(np.median(v[1:][finite])) if finite.any() else float("nan") for v in (rho, norm))
        return {"champion/rho": float(rho[0]), "champion/weight_norm": float(norm[0]), "population/rho_median": rho_pop, "population/weight_norm_median": norm_pop}

    def step(self) -> dict:
        """Runs one generation and returns its metrics."""
        started = time.perf_counter()
        cfg, st = self.config, self.state
        rng, generator = generation_rngs(cfg.seed, st.generation)
        population, ids = self.strategy.ask(st.strategy_state)
        center = self._center(st.strategy_state)
        p, h, c, b = len(population), len(st.hall_genomes), len(center), len(self.baselines)
        # Seats: population, hall of fame, the strategy's center, baselines. The center plays every
        # match and may become champion, but its rating is never told to the strategy.
        everyone = torch.cat([population, st.hall_genomes, center])
        center_seats = np.arange(p + h, p + h + c)
        baseline_seats = np.arange(p + h + c, p + h + c + b)
        # The population is rated afresh each generation: carried ratings would let a long-lived
        # elite's accumulated mu outrank every newcomer forever. The hall of fame keeps its
        # ratings, so it anchors the scale from one generation to the next.
        fresh_mu, fresh_sigma = ratings.fresh(p + c)
        mu = np.concatenate([fresh_mu[:p], st.hall_mu, fresh_mu[p:], st.baseline_mu])
        sigma = np.concatenate([fresh_sigma[:p], st.hall_sigma, fresh_sigma[p:], st.baseline_sigma])
        invalid = np.zeros(p + h + c + b, dtype=np.int64)
        match_infos: dict[str, list[np.ndarray]] = {}
        for genome_seats in schedule(cfg.tournament, p, h, rng):
            genome_seats = np.concatenate([genome_seats, center_seats])
            team = GenomeTeam(self.spec, everyone[genome_seats], device=cfg.device)
            seats = np.concatenate([genome_seats, baseline_seats])
            env = self.env(len(seats))
            # A changing world reads the generation from the reset options (schedules.py).
            result = play_match(env, [team, *self.baselines], seed=int(rng.integers(2**31)), options={"generation": st.generation})
            mu, sigma = ratings.rate_match(mu, sigma, seats, result.returns)
            invalid[seats] += result.invalid_steps
            for key, values in result.info_means.items():
                match_infos.setdefault(key, []).append(values[seats < p])
        fitness = ratings.ordinal(mu[:p], sigma[:p])
        fitness[invalid[:p] > 0] = -np.inf  # a genome that ever produced NaN/inf is never selected
        # Champion candidates: the population, then the center.
        candidate_seats = np.concatenate([np.arange(p), center_seats])
        candidates = torch.cat([population, center])
        candidate_ids = torch.cat([ids, torch.full((c,), -1 - st.generation, dtype=ids.dtype)])  # a center's id: minus its generation
        standing = np.concatenate([fitness, ratings.ordinal(mu[center_seats], sigma[center_seats])])
        standing[invalid[candidate_seats] > 0] = -np.inf
        valid = np.isfinite(standing)
        best = int(np.argmax(standing))
        # The scoring env enters this generation too, so a changing world scores on its current task.
        self.env(1).reset(seed=0, options={"generation": st.generation})
        held, pool = self._heldout(candidates, standing, always=np.arange(p, p + c), generation=st.generation)
        if held is not None and cfg.champion_by == "heldout":
            best = int(pool[np.argmin(np.where(valid[pool], held["loss"], np.inf))])
        # A generation in which every candidate broke has no champion: the last one stays.
        champion = candidates[best].clone() if valid.any() else st.champion.clone()
        best_seat = int(candidate_seats[best])
        champion_rating = np.array([mu[best_seat], sigma[best_seat]]) if valid.any() else st.champion_rating
        metrics = {
            "generation": st.generation,
            "fitness/best": float(fitness.max()),
            "fitness/median": float(np.median(fitness)),
            "rating/champion_mu": float(champion_rating[0]),
            "rating/champion_sigma": float(champion_rating[1]),
            "champion/is_center": int(best >= p),
            "champion/kept_previous": int(not valid.any()),
            "population/invalid": int((invalid[:p] > 0).sum()),
            "hall_of_fame/size": h,
        }
        phase = getattr(self.scoring_world(), "phase", None)
        if isinstance(phase, (int, float)):
            metrics["env/phase"] = float(phase)
        for name, seat in zip(self.config.baselines, baseline_seats):
            metrics[f"rating/baseline_{name}"] = float(ratings.ordinal(mu[seat], sigma[seat]))
        if h:
            metrics["rating/hall_of_fame_best"] = float(ratings.ordinal(mu[p : p + h], sigma[p : p + h]).max())
        for key, parts in match_infos.items():
            values = np.concatenate(parts)
            finite = values[np.isfinite(values)]
            metrics[f"population/match_{key}_median"] = float(np.median(finite)) if finite.size else float("nan")
        if held is not None:
            at = {int(i): k for k, i in enumerate(pool)}
            for key, values in held.items():
                metrics[f"champion/heldout_{key}"] = float(values[at[best]]) if best in at and valid.any() else float("nan")
                metrics[f"population/heldout_{key}_median"] = float(np.median(values))
            metrics["population/heldout_loss_best"] = float(held["loss"].min())

        hall = (st.hall_genomes, st.hall_ids, st.hall_generations, mu[p : p + h], sigma[p : p + h])
        if cfg.hall_of_fame and valid.any() and (st.generation + 1) % cfg.hall_every == 0 and int(candidate_ids[best]) not in set(st.hall_ids.tolist()):
            keep = slice(max(0, h + 1 - cfg.hall_of_fame), None)
            entry = (champion[None], candidate_ids[best : best + 1], torch.tensor([st.generation]), mu[best_seat : best_seat + 1], sigma[best_seat : best_seat + 1])
            hall = tuple((torch.cat if isinstance(old, torch.Tensor) else np.concatenate)([old, new])[keep] for old, new in zip(hall, entry))

        if self.spec.self_build != "off":
            metrics.update(self._replication_metrics(population, champion))
        next_strategy = self.strategy.tell(st.strategy_state, torch.from_numpy(fitness), generator, **self._tell_kwargs)
        self.state = ArenaState(st.generation + 1, next_strategy, *hall, mu[p + h + c :], sigma[p + h + c :], champion, champion_rating)
        metrics["strategy/sigma"] = float(getattr(next_strategy, "sigma", float("nan")))
        metrics["time/generation_s"] = time.perf_counter() - started
        return metrics
