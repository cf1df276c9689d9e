"""Where a generation's matches are played: in this process (``local``) or on Ray workers (``ray``).

The arena draws every match's seats and seed first, hands the list to a backend, and rates the
results in the list's order, so the run is the same, bit for bit, whatever plays the matches
and however many workers there are. A Ray worker builds its worlds and baselines once, when it
starts. Each generation a worker is sent the genome rows it plays, and only those, once.

Ray's unit of work is a whole match while a generation has several: only returns, invalid-step
counts and info means come back. A generation that is one match (a free-for-all: the toy and
MNIST defaults) is played in shards instead: each worker develops and acts for
a block of the match's genome seats, the world steps in the driver with every action, and each
step sends the observations out once and the shards' actions back. Shards are whole blocks of
``develop.CHUNK`` genomes, the blocks the local backend develops in, so a shard computes what the
local run computes for the same rows.

A worker that dies mid-generation has its work played again by a fresh one: a match is a pure
function of its genomes and seed, so a sharded match is replayed from its first step.
"""

from __future__ import annotations

import contextlib
import os
import socket
from dataclasses import dataclass

import numpy as np
import torch

from eve_arena.agents.baselines import load_baseline
from eve_arena.agents.genome_agent import GenomeTeam, require_every_agent
from eve_arena.develop import CHUNK
from eve_arena.envs import world
from eve_arena.errors import UserError, warn
from eve_arena.match import MatchResult, play_match

BACKENDS = ("local", "ray")


@dataclass(frozen=True)
class MatchPlan:
    """One match: the genome seats (indices into the generation's ``everyone``) and its seed."""

    genome_seats: np.ndarray
    seed: int


class MatchPlayer:
    """Plays matches of one run's world: its envs (one per seat count) and baselines, built once."""

    def __init__(self, config, fixed_seats: int | None):
        self.config, self.fixed_seats = config, fixed_seats
        self._envs: dict[int, object] = {}
        self.baselines = [load_baseline(name, self.env(), seed=config.seed + i) for i, name in enumerate(config.baselines)]

    def env(self, seats: int | None = None):
        seats = self.fixed_seats or seats or 1
        if seats not in self._envs:
            self._envs[seats] = world.build(self.config.env, self.config.env_kwargs, seats, self.fixed_seats)
        return self._envs[seats]

    def play(self, everyone: torch.Tensor, plans: list[MatchPlan], generation: int) -> list[MatchResult]:
        return [self.play_team(GenomeTeam(self.config.genome, everyone[plan.genome_seats], device=self.config.device), plan, generation) for plan in plans]

    def play_team(self, team, plan: MatchPlan, generation: int) -> MatchResult:
        """One match, its genome seats driven by ``team`` and the rest by the baselines."""
        seats = len(plan.genome_seats) + len(self.baselines)
        # A changing world reads the generation from the reset options (schedules.py).
        result = play_match(self.env(seats), [team, *self.baselines], seed=plan.seed, options={"generation": generation})
        return MatchResult(result.returns, result.invalid_steps, result.info_means)


class LocalBackend:
    """Today's: every match in this process, one after another, on the arena's own worlds."""

    name = "local"

    def __init__(self, player: MatchPlayer):
        self.player = player

    def play(self, everyone: torch.Tensor, plans: list[MatchPlan], generation: int) -> list[MatchResult]:
        return self.player.play(everyone, plans, generation)

    def close(self) -> None:
        pass


class RayBackend:
    """Matches spread over ``workers`` Ray actors, each with its own worlds and baselines; a
    generation that is one match is played in shards over all of them (``ShardedTeam``).

    ``address``: None starts a local cluster (localhost, no dashboard); ``"auto"`` or
    ``HOST:PORT`` joins an existing one. A dead actor's share is played again by a new actor.
    """

    name = "ray"

    def __init__(self, config, fixed_seats: int | None, player: MatchPlayer, workers: int, address: str | None = None):
        self._player = player  # the driver's worlds and baselines, where a sharded match steps
        self._cluster = contextlib.ExitStack()  # leaves a cluster it started at close()
        self._ray = ray = self._cluster.enter_context(ray_cluster(workers, address))
        self._config, self._fixed_seats, self.workers = config, fixed_seats, workers
        if address is None and workers * config.threads > (os.cpu_count() or 1):
            # Each worker runs the run's own thread count (a resumed run must compute as before),
            # and workers x threads past the cores is several times slower (scripts/bench_backends.py).
            warn(f"{workers} Ray workers x {config.threads} torch threads each is more than this machine's {os.cpu_count()} cores; start the run with --threads 1 for Ray")
        self.restarts = 0
        """Workers replaced after dying (over the backend's life): more than three per worker stops the run."""
        try:
            self._actor_class = ray.remote(num_cpus=1, num_gpus=self._gpu_share(ray, config, workers), max_restarts=0)(_RemotePlayer)
        except UserError:
            self._cluster.close()  # a refusal leaves no cluster running
            raise
        self._actors = [self._new_actor() for _ in range(workers)]

    @staticmethod
    def _gpu_share(ray, config, workers: int) -> float:
        """With ``--device cuda`` each worker takes an equal share of the cluster's GPUs (at most
        one each), so Ray places the workers where the GPUs are."""
        if torch.device(config.device).type != "cuda":
            return 0
        gpus = float(ray.cluster_resources().get("GPU", 0))
        if gpus == 0:
            raise UserError("--device cuda, and the Ray cluster has no GPU; use --device cpu, or join a cluster with GPUs")
        return min(1.0, gpus / workers)

    def _new_actor(self):
        return self._actor_class.remote(self._config, self._fixed_seats)

    def play(self, everyone: torch.Tensor, plans: list[MatchPlan], generation: int) -> list[MatchResult]:
        everyone = everyone.cpu().numpy()
        if len(plans) == 1 and self.workers > 1:  # one free-for-all: every worker plays a shard of it
            return [self._play_sharded(everyone, plans[0], generation)]
        return self._play_matches(everyone, plans, generation)

    def _play_matches(self, everyone: np.ndarray, plans: list[MatchPlan], generation: int) -> list[MatchResult]:
        shares = [list(range(w, len(plans), self.workers)) for w in range(self.workers)]
        sent = {w: rows_for([plans[i] for i in shares[w]], everyone) for w in range(self.workers) if shares[w]}
        pending = {w: self._actors[w].play.remote(*sent[w], generation) for w in sent}
        results: list[MatchResult | None] = [None] * len(plans)
        while pending:
            worker, ref = next(iter(pending.items()))
            try:
                played = self._get(ref)
            except self._ray.exceptions.RayActorError:
                self._replace(worker)  # the worker died (killed, out of memory, its node lost): a new one plays its share
                pending[worker] = self._actors[worker].play.remote(*sent[worker], generation)
                continue
            for index, result in zip(shares[worker], played):
                results[index] = result
            del pending[worker]
        return results

    def _play_sharded(self, everyone: np.ndarray, plan: MatchPlan, generation: int) -> MatchResult:
        while True:
            try:
                return self._player.play_team(ShardedTeam(self, everyone[plan.genome_seats]), plan, generation)
            except self._ray.exceptions.RayActorError:
                # A shard's worker died: replace every dead one and replay the match from its start.
                alive = [self._responds(actor) for actor in self._actors]
                for worker in [w for w, ok in enumerate(alive) if not ok] or range(self.workers):
                    self._replace(worker)

    def _responds(self, actor) -> bool:
        try:
            self._ray.get(actor.pid.remote(), timeout=60)
            return True
        except self._ray.exceptions.RayError:
            return False

    def _replace(self, worker: int) -> None:
        self.restarts += 1
        if self.restarts > 3 * self.workers:
            raise UserError("Ray workers keep dying while playing matches; the run stopped and its last checkpoint is whole: check the cluster, then resume it with `eve-arena resume RUN_DIR` on either backend")
        with contextlib.suppress(Exception):  # already dead, mostly: make sure it holds no CPU slot
            self._ray.kill(self._actors[worker])
        self._actors[worker] = self._new_actor()

    def _get(self, refs):
        """``ray.get``, with a world's own error and a failed cluster each as one line (a dead
        worker's ``RayActorError`` is left to the caller, which replaces the worker)."""
        ray = self._ray
        try:
            return ray.get(refs)
        except ray.exceptions.RayActorError:
            raise
        except ray.exceptions.RayTaskError as exc:
            cause = getattr(exc, "cause", None)
            if isinstance(cause, UserError):  # the world broke its contract: the same line as locally
                raise UserError(str(cause)) from None
            raise
        except ray.exceptions.RayError as exc:  # the cluster itself failed (its head, the network)
            first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            raise UserError(f"the Ray cluster failed mid-generation ({first}); the run stopped and its last checkpoint is whole: resume it with `eve-arena resume RUN_DIR` on either backend") from None

    def close(self) -> None:
        for actor in self._actors:
            self._ray.kill(actor)
        self._actors = []
        self._cluster.close()


class ShardedTeam:
    """The genome seats of one match, spread over the backend's workers in blocks of whole
    ``CHUNK``s: each worker develops and acts for its block; this controller, in the driver,
    hands each step's observations out once and joins the blocks' actions in seat order."""

    name = "genomes"

    def __init__(self, backend: RayBackend, genomes: np.ndarray):
        self._backend, self._genomes = backend, genomes
        self.size = len(genomes)
        self.blocks = shard_blocks(self.size, backend.workers)
        self._started: list = []

    def reset(self) -> None:
        # Each worker gets its block's rows and develops them as the episode starts; a worker runs
        # its calls in order, so the first step's actions wait for it without a round trip of their own.
        actors = self._backend._actors
        self._started = [actors[w].begin_shard.remote(self._genomes[lo:hi], (self.size, lo)) for w, (lo, hi) in enumerate(self.blocks)]

    def act(self, observations: list, action_space) -> list:
        require_every_agent(self.size, observations)
        backend = self._backend
        shared = backend._ray.put(observations)  # once, however many workers read it
        acting = [backend._actors[w].act_shard.remote(shared, lo, hi, action_space) for w, (lo, hi) in enumerate(self.blocks)]
        done = backend._get(self._started + acting)
        self._started = []
        return [action for block in done[-len(acting) :] for action in block]


def shard_blocks(seats: int, workers: int) -> list[tuple[int, int]]:
    """``[(start, stop), ...]`` contiguous blocks of ``seats``, at most ``workers`` of them, each
    a whole number of ``CHUNK``s but the last: development runs in chunks, so a block's nets are
    those the local backend develops for the same rows, bit for bit."""
    size = -(-seats // workers)
    size = -(-size // CHUNK) * CHUNK
    return [(start, min(start + size, seats)) for start in range(0, seats, size)]


def rows_for(plans: list[MatchPlan], everyone: np.ndarray) -> tuple[np.ndarray, list[MatchPlan]]:
    """The genome rows ``plans`` seat, and the plans renumbered to index them: a worker is sent
    only the rows it plays, not the whole generation's."""
    rows, seats = np.unique(np.concatenate([plan.genome_seats for plan in plans]), return_inverse=True)
    ends = np.cumsum([len(plan.genome_seats) for plan in plans])[:-1]
    return everyone[rows], [MatchPlan(part, plan.seed) for plan, part in zip(plans, np.split(seats, ends))]


class _RemotePlayer:
    """A Ray actor: one ``MatchPlayer`` for the life of the worker, and the shard of a sharded
    match it is playing."""

    def __init__(self, config, fixed_seats):
        torch.set_num_threads(config.threads)
        self.player = MatchPlayer(config, fixed_seats)

    def pid(self) -> int:
        return os.getpid()

    def node(self) -> str:
        import ray

        return ray.get_runtime_context().get_node_id()

    def play(self, genomes: np.ndarray, plans: list[MatchPlan], generation: int) -> list[MatchResult]:
        return self.player.play(torch.tensor(genomes), plans, generation)  # a copy: the object store's array is read-only

    def begin_shard(self, genomes: np.ndarray, within: tuple[int, int]) -> None:
        config = self.player.config
        # torch.tensor copies into torch's own (aligned) memory: MKL can sum in another order for
        # numpy's less aligned buffers, and a shard must compute what the local run does.
        self.shard = GenomeTeam(config.genome, torch.tensor(genomes), device=config.device, within=within)

    def act_shard(self, observations: list, start: int, stop: int, action_space) -> list:
        return self.shard.act(observations[start:stop], action_space)


@contextlib.contextmanager
def ray_cluster(workers: int, address: str | None = None):
    """Ray, for ``workers`` workers: the cluster already joined, else a local one started (or the
    one at ``address`` joined) for the block and left at its end. Refuses, in one line, more
    workers than the cluster's CPUs and an address nothing answers on."""
    ray = import_ray()
    if not isinstance(workers, int) or isinstance(workers, bool) or workers < 1:
        raise UserError(f"--workers must be a positive integer, got {workers!r}")
    started = False
    if ray.is_initialized():
        cpus = int(ray.cluster_resources().get("CPU", 0))
        if workers > cpus:
            raise UserError(f"--workers {workers} is more than the Ray cluster's {cpus} CPUs; use at most {cpus}")
    else:
        if address is None and workers > (os.cpu_count() or 1):
            raise UserError(f"--workers {workers} is more than this machine's {os.cpu_count()} CPUs; use at most {os.cpu_count()}, or join a cluster with --ray-address")
        check_address(address)
        try:
            if address is None:
                ray.init(address="local", num_cpus=workers, include_dashboard=False, log_to_driver=False, configure_logging=False)
            else:
                ray.init(address=address, include_dashboard=False, log_to_driver=False, configure_logging=False)
        except (ConnectionError, RuntimeError, ValueError) as exc:
            first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            raise UserError(f"cannot reach the Ray cluster at {address!r} ({first}); start it with `ray start --head`, or drop --ray-address for a local one") from None
        started = True
    try:
        yield ray
    finally:
        if started:
            ray.shutdown()


def check_address(address: str | None, timeout: float = 5.0) -> None:
    """A ``HOST:PORT`` that nothing answers on is refused in one line, in seconds: Ray itself
    would keep retrying for minutes. ``auto`` and None are Ray's to resolve."""
    if address in (None, "auto"):
        return
    host, sep, port = address.removeprefix("ray://").rpartition(":")
    if not sep or not port.isdigit():
        raise UserError(f"--ray-address must be auto or HOST:PORT, got {address!r}")
    try:
        socket.create_connection((host, int(port)), timeout=timeout).close()
    except OSError as exc:
        raise UserError(f"cannot reach the Ray cluster at {address} ({exc.strerror or exc}); start it with `ray start --head` and give its address, or drop --ray-address for a local cluster") from None


def import_ray():
    try:
        import ray
    except ImportError:
        raise UserError("--backend ray needs Ray: pip install 'eve-arena[ray]'") from None
    return ray


def make_backend(name: str, config, fixed_seats: int | None, player: MatchPlayer, workers: int = 1, address: str | None = None):
    """The backend ``name`` plays matches on: ``local`` uses ``player`` (the arena's own)."""
    if name == "local":
        return LocalBackend(player)
    if name == "ray":
        return RayBackend(config, fixed_seats, player, workers, address)
    raise UserError(f"unknown backend {name!r}; choose one of {', '.join(BACKENDS)}")
