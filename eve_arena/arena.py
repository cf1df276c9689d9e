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

from eve_arena import ladder, ratings
from eve_arena.agents.baselines import ConstantPredictor
from eve_arena.agents.genome_agent import GenomeTeam
from eve_arena.backend import MatchPlan, MatchPlayer, make_backend
from eve_arena.config import ArenaConfig
from eve_arena.envs import world
from eve_arena.envs.feedback import FEEDBACK_NEEDED
from eve_arena.errors import UserError, warn
from eve_arena.evaluator import Copies, RandomAgent, play_field, summary_metrics
from eve_arena.founders import fresh_genomes
from eve_arena.lifetime import lifetime_batches
from eve_arena.selfbuild import exact_copies, fidelity, offspring
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
    ladder: ladder.LadderState | None = None
    """The ladder's anchors (``ladder.py``); empty until the first evaluation."""


def initial_state(config: ArenaConfig) -> ArenaState:
    generator = torch.Generator().manual_seed(config.seed)
    genomes = fresh_genomes(config.genome, config.population, generator)
    strategy_state = config.make_strategy().init(genomes)
    empty = torch.empty(0, config.genome.genome_size)
    no_ids = torch.empty(0, dtype=torch.long)
    baseline_mu, baseline_sigma = ratings.fresh(len(config.baselines))
    return ArenaState(
        0, strategy_state, empty, no_ids, no_ids.clone(), np.empty(0), np.empty(0), baseline_mu, baseline_sigma, genomes[0].clone(), np.array(ratings.fresh(1)).ravel(),
        ladder.LadderState.empty(config.genome.genome_size),
    )


def check_genome_fits_env(spec, shape: world.WorldShape, env, env_id: str) -> None:
    """Before any evolution: the genome's net must read the env's inputs and fill its actions."""
    layout = f"rows of {shape.in_width} inputs" if shape.rows > 1 else f"one vector of {shape.in_width} inputs"
    if shape.in_width != spec.target[0]:
        raise UserError(f"{env_id} gives {layout} but the genome's net takes {spec.target[0]}; leave out --target to take the widths from the world, or start it with {shape.in_width}")
    if shape.out_width != spec.target[-1]:
        raise UserError(f"{env_id} wants {shape.out_width} outputs per {'row' if shape.rows > 1 else 'action'} but the genome's net gives {spec.target[-1]}; leave out --target, or end it with {shape.out_width}")
    entries = getattr(env.observation_space(env.possible_agents[0]), "spaces", None)
    if spec.lifetime == "plastic" and not (isinstance(entries, dict) and {"prev_x", "prev_y"} <= set(entries)):
        raise UserError(f"{env_id}: {FEEDBACK_NEEDED}")
    if spec.lifetime == "plastic" and getattr(getattr(env, "unwrapped", env), "max_steps", 2) < 2:
        raise UserError(f"a plastic genome learns between the steps of a match, and {env_id} plays matches of one step; set --steps to 2 or more")


def generation_rngs(seed: int, generation: int) -> tuple[np.random.Generator, torch.Generator]:
    """The generation's own numpy and torch generators, independent of what came before."""
    seq = np.random.SeedSequence([seed, generation])
    torch_seed = int(seq.generate_state(1, dtype=np.uint64)[0] >> np.uint64(1))
    return np.random.default_rng(seq), torch.Generator().manual_seed(torch_seed)


class Arena:
    def __init__(self, config: ArenaConfig, state: ArenaState | None = None, backend: str = "local", workers: int = 1, ray_address: str | None = None):
        """``backend``: where the generation's matches are played (``backend.py``): ``local``, in
        this process, or ``ray`` on ``workers`` Ray workers (a local cluster, or the one at
        ``ray_address``). Every backend plays the same run, bit for bit."""
        self.config = config
        self.spec = config.genome
        torch.set_num_threads(config.threads)
        self.strategy = config.make_strategy()
        # Strategies with parents (the GA) breed through the genome's own offspring rule.
        takes_inherit = "inherit" in inspect.signature(self.strategy.tell).parameters
        self._tell_kwargs = {"inherit": functools.partial(offspring, self.spec)} if takes_inherit else {}
        self.state = state if state is not None else initial_state(config)
        if self.state.ladder is None:  # a checkpoint from before the ladder
            self.state.ladder = ladder.LadderState.empty(self.spec.genome_size)
        shape = world.probe(config.env, config.env_kwargs, config.io)
        self.fixed_seats = shape.fixed_seats
        self.player = MatchPlayer(config, self.fixed_seats)
        check_genome_fits_env(self.spec, shape, self.env(), config.env)
        self.baselines = self.player.baselines
        self._check_seats()
        self.backend = make_backend(backend, config, self.fixed_seats, self.player, workers, ray_address)
        schedule_ = getattr(self.scoring_world(), "schedule", None)
        if getattr(schedule_, "unit", None) == "step" and schedule_.every >= getattr(self.scoring_world(), "max_steps", 0):
            warn(f"{config.env} changes every {schedule_.every} steps but its episodes last {self.scoring_world().max_steps}: it never changes within an episode; raise --steps or lower change_every")
        self.evaluation: dict | None = None
        """The latest generation's evaluation record (``eval.jsonl``), None when it had none."""

    def _check_seats(self) -> None:
        if self.fixed_seats is None:
            return
        shared = self.fixed_seats - len(self.baselines) - len(self._center(self.state.strategy_state))
        if shared < 1:
            raise UserError(f"{self.config.env} has {self.fixed_seats} agents in every episode, and the baselines and the strategy's center leave no seat for the population; drop a --baseline")
        if self.config.population < shared:
            raise UserError(f"{self.config.env} has {self.fixed_seats} agents in every episode; a population of {self.config.population} cannot fill {shared} seats: raise --population")

    def env(self, seats: int | None = None):
        """A cached environment with ``seats`` agents (None: one, or the world's fixed number)."""
        return self.player.env(seats)

    def close(self) -> None:
        """Lets the backend's workers go (nothing to do for the local backend)."""
        self.backend.close()

    def scoring_world(self):
        """The environment champions are scored in, unwrapped (its task, phase, batch size)."""
        return getattr(self.env(), "unwrapped", self.env())

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
        return heldout_scores(self.spec, candidates[torch.from_numpy(pool)], task, self.config.device, lifetime=self._lifetime(task, generation)), pool

    def _lifetime(self, task, generation: int) -> list | None:
        """A plastic genome is scored as it plays: after learning from as many feedback batches as
        a match gives it (None for a fixed one)."""
        if self.spec.lifetime != "plastic":
            return None
        env = self.scoring_world()
        return lifetime_batches(task, getattr(env, "max_steps", 1) - 1, getattr(env, "batch_size", 256), [self.config.seed, generation, 1], self.config.device)

    def _center(self, strategy_state) -> torch.Tensor:
        """``(1, D)`` the strategy's center when it samples around one (PGPE, CMA-ES), else ``(0, D)``."""
        center = getattr(self.strategy, "center", None)
        if center is None:
            return torch.empty(0, self.spec.genome_size)
        return center(strategy_state).detach().to(torch.float32)[None]

    @torch.no_grad()
    def _replication_metrics(self, population: torch.Tensor, champion: torch.Tensor, generation: int) -> dict:
        """Heredity, each generation: replication fidelity rho and weight norm of the champion and
        (median) of the population; the champion's self-built child, its rho (rho down the
        lineage) and held-out loss beside the champion's; whether the copy is exact (on a grid);
        and how many of the population are broken (weights not finite: a lineage that ended)."""
        rho, norm = (v.cpu().numpy() for v in fidelity(self.spec, torch.cat([champion[None], population])))
        finite = np.isfinite(rho[1:]) & np.isfinite(norm[1:])  # broken genomes have no fidelity to speak of
        rho_pop, norm_pop = (float(np.median(v[1:][finite])) if finite.any() else float("nan") for v in (rho, norm))
        child = offspring(self.spec, champion[None], self_built=True)
        metrics = {
            "champion/rho": float(rho[0]), "champion/weight_norm": float(norm[0]), "population/rho_median": rho_pop, "population/weight_norm_median": norm_pop,
            "champion/child_rho": float(fidelity(self.spec, child)[0][0]),
            "population/broken_genomes": int((~torch.isfinite(population).all(1)).sum()),
        }
        if self.spec.grid_step is not None:
            metrics["champion/copy_exact"] = int(exact_copies(self.spec, champion[None])[0])
        task = self.task()
        if task is not None:
            lifetime = self._lifetime(task, generation)
            metrics["champion/child_heldout_loss"] = float(heldout_scores(self.spec, child, task, self.config.device, lifetime=lifetime)["loss"][0])
        return metrics

    def _evaluation_due(self, generation: int) -> bool:
        done = generation + 1
        return generation == 0 or done % self.config.eval_every == 0 or done == self.config.generations or self._anchor_due(generation)

    def _heldout_due(self, generation: int) -> bool:
        return generation % self.config.heldout_every == 0 or generation + 1 == self.config.generations

    def _anchor_due(self, generation: int) -> bool:
        """The first champion, then one every ``anchor_every`` generations."""
        return generation == 0 or bool(self.config.anchor_every and (generation + 1) % self.config.anchor_every == 0)

    def field(self) -> dict:
        """The reference agents every champion is evaluated against, by name: ``factory(size, seed)``."""
        agents = {"random": lambda size, seed: RandomAgent(size, seed), "constant": lambda size, seed: Copies(ConstantPredictor(), size)}
        for name, baseline in zip(self.config.baselines, self.baselines):
            agents.setdefault(name, lambda size, seed, baseline=baseline: Copies(baseline, size))
        return agents

    def _genome_player(self, genome: torch.Tensor, name: str):
        return lambda size, seed=0: GenomeTeam(self.spec, genome[None].repeat(size, 1), name=name, device=self.config.device)

    def evaluate(self, champion: torch.Tensor, generation: int, anchors: ladder.LadderState) -> tuple[ladder.LadderState, dict]:
        """The champion's evaluation episodes against the ladder's anchors (built on first use) and
        its ladder rating; returns the ladder, with the champion frozen in if an anchor is due, and
        the evaluation's record: ``metrics`` plus every episode's steps."""
        field = self.field()
        episodes, world_seats = self.config.eval_episodes, self.fixed_seats
        players = dict(field)
        players.update({name: self._genome_player(g, name) for name, g in zip([n for n in anchors.names if n not in field], anchors.genomes)})
        # The fixed field joins the ladder once, each member rated against those before it.
        for name in field:
            if name in anchors.names:
                continue
            if not anchors.names:
                anchors = ladder.freeze(anchors, name, ladder.pinned())
                continue
            played = play_field(self.env, world_seats, lambda size, name=name: field[name](size, 0), {a: players[a] for a in anchors.names}, episodes, generation)
            anchors = ladder.freeze(anchors, name, ladder.rate_contender(anchors, played))
        rungs = ladder.rungs(anchors, list(field), self.config.anchor_window)
        results = play_field(self.env, world_seats, self._genome_player(champion, "champion"), {a: players[a] for a in rungs}, episodes, generation)
        mu, sigma = ladder.rate_contender(anchors, results)
        metrics = summary_metrics(results, list(field))
        metrics.update({"ladder/mu": mu, "ladder/sigma": sigma, "ladder/rating": mu, "ladder/anchors": len(anchors.names), "ladder/rungs": len(rungs)})
        record = {
            "generation": generation, "metrics": metrics, "anchors": anchors.ratings(),
            "field": {name: {"seeds": r.seeds, "returns": r.returns.tolist(), "episodes": r.episodes} for name, r in results.items()},
        }
        if self._anchor_due(generation):
            anchors = ladder.freeze(anchors, f"g{generation}", (mu, sigma), champion)
        return anchors, record

    def _play_tournament(self, seating: "Seating", rng: np.random.Generator):
        """Plays the generation's matches and rates them: ``(mu, sigma, invalid steps, infos)``.

        ``ranking="match"`` rates each match's seats by their returns in it. ``"round"`` plays all
        matches of a round on one seed and rates the whole round at once, each seat by its mean
        return: in a cooperative world, whose teammates share one reward, that compares teams
        across matches where a single match has nothing to rank.
        """
        cfg = self.config
        p, center_seats, baseline_seats, mu, sigma = seating.p, seating.center, seating.baselines, seating.mu, seating.sigma
        invalid = np.zeros(len(mu), dtype=np.int64)
        match_infos: dict[str, list[np.ndarray]] = {}
        shared = self.fixed_seats - len(baseline_seats) - len(center_seats) if self.fixed_seats else None
        matches = schedule(cfg.tournament, p, seating.h, rng, seats=shared)
        per_round = len(matches) // cfg.tournament.rounds
        by_round = cfg.tournament.ranking == "round"
        # Every seed is drawn before any match is played, in the order the matches are rated, so
        # the backend may play them anywhere, in any order.
        rounds = []
        for start in range(0, len(matches), per_round):
            round_seed = int(rng.integers(2**31)) if by_round else None
            rounds.append([MatchPlan(np.concatenate([seats, center_seats]), round_seed if by_round else int(rng.integers(2**31))) for seats in matches[start : start + per_round]])
        results = iter(self.backend.play(seating.everyone, [plan for plans in rounds for plan in plans], self.state.generation))
        for plans in rounds:
            totals, counts = np.zeros(len(mu)), np.zeros(len(mu))
            for plan in plans:
                result = next(results)
                seats = np.concatenate([plan.genome_seats, baseline_seats])
                if by_round:
                    np.add.at(totals, seats, result.returns)
                    np.add.at(counts, seats, 1)
                else:
                    mu, sigma = ratings.rate_match(mu, sigma, seats, result.returns)
                np.add.at(invalid, seats, result.invalid_steps)
                for key, values in result.info_means.items():
                    match_infos.setdefault(key, []).append(values[seats < p])
            if by_round:
                played = np.flatnonzero(counts)
                mu, sigma = ratings.rate_match(mu, sigma, played, totals[played] / counts[played])
        return mu, sigma, invalid, match_infos

    def step(self) -> dict:
        """Runs one generation and returns its metrics: ask, play, pick, record, evaluate, tell."""
        started = time.perf_counter()
        st = self.state
        rng, generator = generation_rngs(self.config.seed, st.generation)
        population, ids = self.strategy.ask(st.strategy_state)
        seating = self._seating(population, self._center(st.strategy_state))
        mu, sigma, invalid, match_infos = self._play_tournament(seating, rng)
        fitness = ratings.ordinal(mu[: seating.p], sigma[: seating.p])
        fitness[invalid[: seating.p] > 0] = -np.inf  # a genome that ever produced NaN/inf is never selected
        pick = self._pick_champion(seating, ids, fitness, mu, sigma, invalid)
        metrics = self._metrics(seating, pick, fitness, mu, sigma, invalid, match_infos)
        hall = self._next_hall(seating, pick, mu, sigma)
        if self.spec.self_build != "off":
            metrics.update(self._replication_metrics(population, pick.champion, st.generation))
        anchors, self.evaluation = st.ladder, None
        if self._evaluation_due(st.generation):
            anchors, self.evaluation = self.evaluate(pick.champion, st.generation, st.ladder)
            metrics.update(self.evaluation["metrics"])
        next_strategy = self.strategy.tell(st.strategy_state, torch.from_numpy(fitness), generator, **self._tell_kwargs)
        baseline_at = seating.p + seating.h + len(seating.center)
        self.state = ArenaState(st.generation + 1, next_strategy, *hall, mu[baseline_at:], sigma[baseline_at:], pick.champion, pick.rating, anchors)
        metrics["strategy/sigma"] = float(getattr(next_strategy, "sigma", float("nan")))
        metrics["time/generation_s"] = time.perf_counter() - started
        return metrics

    def _seating(self, population: torch.Tensor, center: torch.Tensor) -> "Seating":
        """Who sits where: population, hall of fame, the strategy's center, baselines; their ratings."""
        st = self.state
        p, h, c, b = len(population), len(st.hall_genomes), len(center), len(self.baselines)
        # The center plays every match and may become champion, but its rating is never told to
        # the strategy. The population is rated afresh each generation: carried ratings would let
        # a long-lived elite's accumulated mu outrank every newcomer forever. The hall of fame
        # keeps its ratings, so it anchors the scale from one generation to the next.
        fresh_mu, fresh_sigma = ratings.fresh(p + c)
        return Seating(
            population=population, everyone=torch.cat([population, st.hall_genomes, center]), p=p, h=h,
            center=np.arange(p + h, p + h + c), baselines=np.arange(p + h + c, p + h + c + b),
            mu=np.concatenate([fresh_mu[:p], st.hall_mu, fresh_mu[p:], st.baseline_mu]),
            sigma=np.concatenate([fresh_sigma[:p], st.hall_sigma, fresh_sigma[p:], st.baseline_sigma]),
        )

    def _pick_champion(self, seating: "Seating", ids: torch.Tensor, fitness: np.ndarray, mu, sigma, invalid) -> "Pick":
        """The generation's champion among the population and the center: the best rated, or the
        best on the held-out split (``champion_by``); the last one stays if every candidate broke."""
        st, p, c = self.state, seating.p, len(seating.center)
        candidate_seats = np.concatenate([np.arange(p), seating.center])
        candidates = torch.cat([seating.population, seating.everyone[seating.center]])
        candidate_ids = torch.cat([ids, torch.full((c,), -1 - st.generation, dtype=ids.dtype)])  # a center's id: minus its generation
        standing = np.concatenate([fitness, ratings.ordinal(mu[seating.center], sigma[seating.center])])
        standing[invalid[candidate_seats] > 0] = -np.inf
        valid = np.isfinite(standing)
        best = int(np.argmax(standing))
        # The scoring env enters this generation too, so a changing world scores on its current task.
        self.env().reset(seed=0, options={"generation": st.generation})
        if not self._heldout_due(st.generation):
            if self.config.champion_by == "heldout":  # the last held-out pick stays until the next scoring
                return Pick(best, int(candidate_seats[best]), int(candidate_ids[best]), st.champion.clone(), st.champion_rating, False, None, None)
            held, pool = None, None
        else:
            held, pool = self._heldout(candidates, standing, always=np.arange(p, p + c), generation=st.generation)
        if held is not None and self.config.champion_by == "heldout":
            best = int(pool[np.argmin(np.where(valid[pool], held["loss"], np.inf))])
        seat = int(candidate_seats[best])
        if not valid.any():
            return Pick(best, seat, int(candidate_ids[best]), st.champion.clone(), st.champion_rating, False, held, pool)
        return Pick(best, seat, int(candidate_ids[best]), candidates[best].clone(), np.array([mu[seat], sigma[seat]]), True, held, pool)

    def _metrics(self, seating: "Seating", pick: "Pick", fitness, mu, sigma, invalid, match_infos) -> dict:
        p, h = seating.p, seating.h
        metrics = {
            "generation": self.state.generation,
            "fitness/best": float(fitness.max()),
            "fitness/median": float(np.median(fitness)),
            "rating/champion_mu": float(pick.rating[0]),
            "rating/champion_sigma": float(pick.rating[1]),
            "champion/is_center": int(pick.index >= p),
            "champion/kept_previous": int(not pick.valid),
            "population/invalid": int((invalid[:p] > 0).sum()),
            "hall_of_fame/size": h,
        }
        phase = getattr(self.scoring_world(), "phase", None)
        if isinstance(phase, (int, float)):
            metrics["env/phase"] = float(phase)
        for name, seat in zip(self.config.baselines, seating.baselines):
            metrics[f"rating/baseline_{name}"] = float(ratings.ordinal(mu[seat], sigma[seat]))
        if h:
            metrics["rating/hall_of_fame_best"] = float(ratings.ordinal(mu[p : p + h], sigma[p : p + h]).max())
        for key, parts in match_infos.items():
            values = np.concatenate(parts)
            finite = values[np.isfinite(values)]
            metrics[f"population/match_{key}_median"] = float(np.median(finite)) if finite.size else float("nan")
        if pick.held is not None:
            at = {int(i): k for k, i in enumerate(pick.pool)}
            for key, values in pick.held.items():
                metrics[f"champion/heldout_{key}"] = float(values[at[pick.index]]) if pick.index in at and pick.valid else float("nan")
                metrics[f"population/heldout_{key}_median"] = float(np.median(values))
            metrics["population/heldout_loss_best"] = float(pick.held["loss"].min())
        return metrics

    def _next_hall(self, seating: "Seating", pick: "Pick", mu, sigma) -> tuple:
        """The hall of fame after this generation: the champion enters every ``hall_every``
        generations (the oldest leaves when it is full); the members keep their new ratings."""
        st, cfg, p, h = self.state, self.config, seating.p, seating.h
        hall = (st.hall_genomes, st.hall_ids, st.hall_generations, mu[p : p + h], sigma[p : p + h])
        if cfg.hall_of_fame and pick.valid and (st.generation + 1) % cfg.hall_every == 0 and pick.id not in set(st.hall_ids.tolist()):
            keep = slice(max(0, h + 1 - cfg.hall_of_fame), None)
            entry = (pick.champion[None], torch.tensor([pick.id], dtype=st.hall_ids.dtype), torch.tensor([st.generation]), mu[pick.seat : pick.seat + 1], sigma[pick.seat : pick.seat + 1])
            hall = tuple((torch.cat if isinstance(old, torch.Tensor) else np.concatenate)([old, new])[keep] for old, new in zip(hall, entry))
        return hall


@dataclass
class Seating:
    """A generation's seats: ``everyone`` is population, hall of fame, center (genomes); baselines follow."""

    population: torch.Tensor
    everyone: torch.Tensor
    p: int
    h: int
    center: np.ndarray
    """Seat numbers of the strategy's center (none, or one)."""
    baselines: np.ndarray
    mu: np.ndarray
    sigma: np.ndarray


@dataclass
class Pick:
    """The generation's champion: ``index`` among the candidates (population, then center)."""

    index: int
    seat: int
    id: int
    champion: torch.Tensor
    rating: np.ndarray
    valid: bool
    """False when every candidate broke and the last champion stays."""
    held: dict | None
    pool: np.ndarray | None
