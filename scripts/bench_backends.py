"""Benchmark of the Ray backend against the local one: seconds per generation, start-up, bytes sent.

    PYTHONPATH=.:scripts python scripts/bench_backends.py --out results   # full run, about 3 minutes on 2 cores
    PYTHONPATH=.:scripts python scripts/bench_backends.py --quick --out /tmp/bb   # smoke run, as the test does

A generation's unit of work on Ray is a whole match when it has several, and a shard of the
population when it is one free-for-all (``eve_arena/backend.py``), so the worlds measured span
both, with match costs from a fraction of a millisecond to tens of milliseconds:

- ``mnist_m32``: the MNIST world's defaults (``ArenaConfig.for_env``), population 256, matches of
  32 (8 matches a generation); ``mnist_ffa``: the MNIST defaults as they are, one free-for-all,
  played in shards; each also with one torch thread (``_1thread``: the defaults give each
  process 2, so 2 workers run 4 threads on 2 cores);
- ``busy_<ms>``: the toy world (population 64, matches of 8) with a step that busy-waits
  ``<ms>`` milliseconds (``BusyToy`` below, imported by the workers as ``bench_backends:BusyToy``):
  a world whose step costs real Python time;
- ``toy``: the toy world, population 64, matches of 8: the overhead case for matches;
  ``toy_ffa``: the default toy world as it is (one free-for-all of 64): the overhead case for shards.

For each world one Arena per backend (local; Ray with 1 and 2 workers) is built once, so worker
start-up is reported apart, not counted. The three arenas then play the same run side by side,
one generation each in turn (the order rotating), a warm-up generation and then ``--generations``
timed ones: every ratio compares generations taken under the same load, within one run. Reported
per backend: the median seconds per generation, the median seconds inside ``backend.play`` (the
matches; the rest is the arena's own work: ask, rating, held-out scoring, tell), and the start-up
(construction until every worker has answered). The Ray runs' metrics must equal the local run's,
bit for bit, every generation (``time/`` keys excepted), and their champions too.

Bytes: the pickled size (protocol 5) of what one real generation sends and gets back, for 1, 2
and 100 workers, split as ``RayBackend`` splits it. Each worker is sent only the genome rows it
plays. Several matches: those rows and the worker's list of ``MatchPlan`` out, its list of
``MatchResult`` back. One free-for-all on 2 or more workers: each block's rows out, then every
step the observations once per node (``ray.put``) and each block's actions back (measured by
replaying the generation's match in this process, recording every step). Ray serialises with the same pickle
protocol (numpy buffers out of band), so the sizes are what travels to within a few bytes per
object.

The Ray cluster is started here with one logical CPU slot per worker of both Ray arenas
(1 + 2 = 3 slots on a 2-core machine: a slot is a scheduling unit, and the idle arena's worker
sleeps while the other plays). Run it with the repository and ``scripts/`` on PYTHONPATH; the
workers get the same PYTHONPATH through the runtime environment.
"""

from __future__ import annotations

import json
import os
import pickle
import platform
import shlex
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import torch

from eve_arena.envs.toy_regression import ToyRegressionEnv

REPO = Path(__file__).resolve().parents[1]
BUSY_ENV = "bench_backends:BusyToy"
"""How the workers import the busy world: this module, with ``scripts/`` on PYTHONPATH."""
BACKENDS = (("local", 1), ("ray", 1), ("ray", 2))


class BusyToy(ToyRegressionEnv):
    """The toy world with a step that also spins for ``step_ms`` milliseconds of Python time."""

    def __init__(self, num_agents: int = 4, step_ms: float = 5.0, **kwargs):
        super().__init__(num_agents=num_agents, **kwargs)
        self.step_ms = step_ms

    def step(self, actions):
        until = time.perf_counter() + self.step_ms / 1e3
        while time.perf_counter() < until:  # busy, not asleep: the step holds a core, as real work does
            pass
        return super().step(actions)


@dataclass
class Args:
    generations: int = 21
    """timed generations per backend and world (the median is reported), after one warm-up generation"""
    step_ms: tuple = (0.5, 1, 2, 5, 10)
    """busy-wait milliseconds per step of the busy toy worlds (one world each)"""
    mnist_population: int = 256
    """population of the MNIST worlds"""
    mnist_match_size: int = 32
    """match size of the MNIST world that is split into matches (the other is one free-for-all)"""
    toy_population: int = 64
    """population of the toy and busy worlds"""
    toy_match_size: int = 8
    """match size of the toy and busy worlds"""
    seed: int = 0
    """seeds every arena"""
    data_dir: str = ""
    """directory holding MNIST/raw/ (default: $EVE_ARENA_DATA, else ~/.cache/eve_arena/data)"""
    out: str = ""
    """directory that receives bench_backends.md and bench_backends.json (default: print only)"""
    quick: bool = False
    """smoke run for tests: tiny populations, the busy (1 ms) and toy worlds only, two timed generations"""


def parse_args() -> Args:
    """Builds the command line from Args: one flag per field, its docstring as the help."""
    from results_io import dataclass_parser  # scripts/results_io.py

    parser = dataclass_parser(Args, __doc__.splitlines()[0])
    args = Args(**vars(parser.parse_args()))
    args.step_ms = tuple(args.step_ms)
    if args.quick:
        args.generations, args.step_ms = 2, (1.0,)
        args.mnist_population, args.mnist_match_size, args.toy_population, args.toy_match_size = 16, 4, 8, 2
    if args.generations < 1 or min(args.step_ms, default=0) < 0:
        parser.error("--generations must be a positive integer and --step-ms non-negative")
    if args.toy_match_size < 1 or args.mnist_match_size < 1:
        parser.error("the match sizes must be positive (the MNIST free-for-all is measured as well)")
    return args


def worlds(args: Args) -> list[tuple[str, object]]:
    """``(name, ArenaConfig)`` of every world measured, the costliest matches first."""
    from eve_arena.config import ArenaConfig
    from eve_arena.tournament import TournamentConfig

    mnist = "eve_arena/mnist-v0"
    toy_kwargs = {"batch_size": 256, "max_steps": 4}  # the toy world's own defaults
    toy_tournament = TournamentConfig(match_size=args.toy_match_size)
    made = []
    if not args.quick:  # the quick run stays short, and needs no MNIST files
        split = TournamentConfig(match_size=args.mnist_match_size)
        made += [
            (f"mnist_m{args.mnist_match_size}", ArenaConfig.for_env(mnist, population=args.mnist_population, tournament=split, seed=args.seed)),
            # The MNIST defaults give each process 2 torch threads: 2 workers then run 4 on 2 cores.
            (f"mnist_m{args.mnist_match_size}_1thread", ArenaConfig.for_env(mnist, population=args.mnist_population, tournament=split, seed=args.seed, threads=1)),
            ("mnist_ffa", ArenaConfig.for_env(mnist, population=args.mnist_population, seed=args.seed)),
            ("mnist_ffa_1thread", ArenaConfig.for_env(mnist, population=args.mnist_population, seed=args.seed, threads=1)),
        ]
    for ms in sorted(args.step_ms, reverse=True):
        made.append((f"busy_{ms:g}ms", ArenaConfig(env=BUSY_ENV, env_kwargs={**toy_kwargs, "step_ms": float(ms)}, population=args.toy_population, tournament=toy_tournament, seed=args.seed)))
    made.append(("toy", ArenaConfig(population=args.toy_population, tournament=toy_tournament, seed=args.seed)))
    made.append(("toy_ffa", ArenaConfig(population=args.toy_population, seed=args.seed)))
    return made


class Timed:
    """A backend that records how long each ``play`` took and keeps the last generation's traffic."""

    def __init__(self, backend):
        self.inner, self.play_s, self.last = backend, [], None

    def play(self, everyone, plans, generation):
        started = time.perf_counter()
        results = self.inner.play(everyone, plans, generation)
        self.play_s.append(time.perf_counter() - started)
        self.last = (everyone, plans, results, generation)
        return results

    def close(self) -> None:
        self.inner.close()


def untimed(metrics: dict) -> dict:
    """The metrics without ``time/`` keys, floats as their exact hex form (so NaN equals NaN)."""
    return {k: float(v).hex() if isinstance(v, float) else v for k, v in metrics.items() if not k.startswith("time/")}


def pickled(obj) -> int:
    return len(pickle.dumps(obj, protocol=5))


class StepRecorder:
    """A genome team that records, every step, the pickled observations and each agent's action."""

    def __init__(self, team):
        self.team, self.size, self.name = team, team.size, team.name
        self.observations: list[int] = []
        self.actions: list[list] = []

    def reset(self) -> None:
        self.team.reset()

    def act(self, observations: list, action_space) -> list:
        actions = self.team.act(observations, action_space)
        self.observations.append(pickled(observations))
        self.actions.append(actions)
        return actions


def traffic(everyone: torch.Tensor, plans: list, results: list, arena, generation: int) -> dict:
    """Bytes of one generation, pickled as Ray sends them, for 1, 2 and 100 workers.

    Several matches (and one worker): each working worker's genome rows (``backend.rows_for``)
    and plans out, its results back. One free-for-all on 2 or more workers (``ShardedTeam``):
    each block's rows out, then every step the observations (once per node: ``ray.put``) out and
    each block's actions back; the match is replayed here to record its steps.
    """
    from eve_arena.agents.genome_agent import GenomeTeam
    from eve_arena.backend import rows_for, shard_blocks

    rows = everyone.cpu().numpy()
    recorder = None
    if len(plans) == 1:
        plan = plans[0]
        recorder = StepRecorder(GenomeTeam(arena.config.genome, everyone[plan.genome_seats], device=arena.config.device))
        replayed = arena.player.play_team(recorder, plan, generation)
        assert replayed.returns.tolist() == results[0].returns.tolist(), "the replayed match differs from the one played"
    by_workers = {}
    for w in (1, 2, 100):
        if recorder is not None and w > 1:  # played in shards: each block's rows, then every step
            blocks = shard_blocks(len(plans[0].genome_seats), w)
            seated = rows[plans[0].genome_seats]
            genomes_out = sum(pickled(seated[lo:hi]) for lo, hi in blocks)
            observations = sum(recorder.observations)
            back = sum(pickled(step[lo:hi]) for step in recorder.actions for lo, hi in blocks)
            working = len(blocks)
            by_workers[w] = {"working": working, "genomes_out": genomes_out, "plans_out": observations, "results_back": back, "one_node": genomes_out + observations + back, "one_node_per_worker": genomes_out + working * observations + back}
            continue
        shares = [s for s in (list(range(i, len(plans), w)) for i in range(w)) if s]
        sent = [rows_for([plans[i] for i in s], rows) for s in shares]  # (rows, renumbered plans) per worker
        genomes_out = sum(pickled(worker_rows) for worker_rows, _ in sent)
        out = sum(pickled(worker_plans) for _, worker_plans in sent)
        back = sum(pickled([results[i] for i in s]) for s in shares)
        by_workers[w] = {"working": len(shares), "genomes_out": genomes_out, "plans_out": out, "results_back": back, "one_node": genomes_out + out + back, "one_node_per_worker": genomes_out + out + back}
    # Per-match sizes and the per-list overhead, for the projection to 100 workers with a match each.
    one_plan, one_result = pickled([plans[0]]), pickled([results[0]])
    plan_each = (pickled(plans) - one_plan) / (len(plans) - 1) if len(plans) > 1 else float(one_plan)
    result_each = (pickled(results) - one_result) / (len(results) - 1) if len(results) > 1 else float(one_result)
    return {
        "rows": int(everyone.shape[0]), "genome_size": int(everyone.shape[1]), "genomes": pickled(rows), "matches": len(plans), "sharded": recorder is not None,
        "one_match_rows": pickled(rows_for(plans[:1], rows)[0]),
        "steps": len(recorder.observations) if recorder else None, "observations_per_step": recorder.observations[0] if recorder else None,
        "plan_bytes_each": plan_each, "result_bytes_each": result_each, "list_overhead_plans": one_plan - plan_each, "list_overhead_results": one_result - result_each,
        "by_workers": {str(w): v for w, v in by_workers.items()},
    }


def project_100(t: dict, match_size: int, population: int) -> dict:
    """A projection, not a measurement: the same world grown to 100 matches, one per worker on
    its own node. Each worker gets its one match's rows (its seats, the hall of fame and the
    center: measured) and plan, and returns its one result. None for a free-for-all (one match)."""
    if match_size == 0:
        return None
    out = 100 * (t["one_match_rows"] + t["list_overhead_plans"] + t["plan_bytes_each"])
    back = 100 * (t["list_overhead_results"] + t["result_bytes_each"])
    return {"population": 100 * match_size, "out": out, "back": back, "total": out + back}


def measure_world(name: str, config, generations: int, ray) -> dict:
    """One world on the three backends, generations interleaved; see the module docstring."""
    from eve_arena.arena import Arena

    arenas, startup = {}, {}
    for backend, workers in BACKENDS:
        key = backend if backend == "local" else f"ray{workers}"
        started = time.perf_counter()
        arena = Arena(config, backend=backend, workers=workers)
        if backend == "ray":  # actors start in the background: wait until each has built its worlds
            ray.get([actor.pid.remote() for actor in arena.backend._actors])
        startup[key] = time.perf_counter() - started
        arena.backend = Timed(arena.backend)
        arenas[key] = arena
    keys = list(arenas)
    step_s = {k: [] for k in keys}
    metrics = {k: [] for k in keys}
    load = os.getloadavg()[0]
    try:
        for g in range(generations + 1):  # generation 0 is the warm-up (and the ladder's first evaluation)
            for k in keys[g % len(keys) :] + keys[: g % len(keys)]:
                started = time.perf_counter()
                metrics[k].append(untimed(arenas[k].step()))
                step_s[k].append(time.perf_counter() - started)
        equal = {k: metrics[k] == metrics["local"] and torch.equal(arenas[k].state.champion, arenas["local"].state.champion) for k in keys if k != "local"}
        everyone, plans, results, generation = arenas["local"].backend.last
        sent = traffic(everyone, plans, results, arenas["local"], generation)
    finally:
        for arena in arenas.values():
            arena.close()
    timed = {k: step_s[k][1:] for k in keys}
    play = {k: arenas[k].backend.play_s[1:] for k in keys}
    per_backend = {
        k: {"startup_s": startup[k], "warmup_s": step_s[k][0], "seconds_per_generation": statistics.median(timed[k]), "play_s": statistics.median(play[k]), "generation_s": timed[k], "play_s_all": play[k]}
        for k in keys
    }
    local = per_backend["local"]
    return {
        "name": name, "env": config.env, "env_kwargs": config.env_kwargs, "population": config.population, "match_size": config.tournament.match_size,
        "matches_per_generation": sent["matches"], "threads": config.threads,
        "match_cost_s": local["play_s"] / sent["matches"],
        "backends": per_backend,
        "speedup": {k: local["seconds_per_generation"] / per_backend[k]["seconds_per_generation"] for k in keys if k != "local"},
        "play_speedup": {k: local["play_s"] / per_backend[k]["play_s"] for k in keys if k != "local"},
        "ray1_overhead_s": per_backend["ray1"]["play_s"] - local["play_s"],
        "equal": equal, "bytes": sent, "projection_100": project_100(sent, config.tournament.match_size, config.population),
        "loadavg_1min": [round(load, 2), round(os.getloadavg()[0], 2)],
    }


def break_even(rows: list[dict], key: str = "ray2") -> dict:
    """Where ``key`` pays among the toy-family worlds (one world, growing match cost): the measured
    bracket above which every costlier world pays, and the match cost at speed-up 1 interpolated
    linearly inside it. ``dips``: worlds that did not pay although a cheaper one did (noise, on a
    shared machine)."""
    family = sorted((r for r in rows if r["name"] == "toy" or r["name"].startswith("busy_")), key=lambda r: r["match_cost_s"])
    points = [(r["match_cost_s"], r["speedup"][key], r["name"]) for r in family]
    paying = [s >= 1 for _, s, _ in points]
    first_paying = next((i for i, _ in enumerate(points) if all(paying[i:])), None)
    dips = [n for i, (_, s, n) in enumerate(points) if s < 1 and any(paying[:i])]
    if not points or first_paying is None:
        return {"below": points[-1][2] if points else None, "above": None, "match_cost_s": None, "how": "pays in no measured world", "dips": dips}
    if first_paying == 0:
        return {"below": None, "above": points[0][2], "match_cost_s": None, "how": "pays in every measured world", "dips": dips}
    (c0, s0, n0), (c1, s1, n1) = points[first_paying - 1], points[first_paying]
    cost = c0 + (1 - s0) * (c1 - c0) / (s1 - s0)
    return {"below": n0, "above": n1, "match_cost_s": cost, "how": "interpolated between two measured worlds", "dips": dips}


def fmt_s(seconds: float) -> str:
    return f"{seconds * 1e3:.1f} ms" if seconds < 1 else f"{seconds:.2f} s"


def fmt_b(n: float) -> str:
    for unit, size in (("MB", 1e6), ("kB", 1e3)):
        if n >= size:
            return f"{n / size:.1f} {unit}"
    return f"{n:.0f} B"


def report(results: dict) -> str:
    rows, meta = results["worlds"], results["meta"]
    lines = [
        "| world | matches/gen | local match | local s/gen (play) | Ray×1 s/gen (play) | Ray×2 s/gen (play) | speed-up ×1 | speed-up ×2 | start-up ×1 / ×2 | metrics equal | load (1 min) |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        b = r["backends"]
        lines.append(
            f"| {r['name']} (P={r['population']}, match {r['match_size'] or 'all'}, {r['threads']} thread{'s' if r['threads'] > 1 else ''}) | {r['matches_per_generation']} | {fmt_s(r['match_cost_s'])} | "
            + " | ".join(f"{fmt_s(b[k]['seconds_per_generation'])} ({fmt_s(b[k]['play_s'])})" for k in ("local", "ray1", "ray2"))
            + f" | {r['speedup']['ray1']:.2f}x | {r['speedup']['ray2']:.2f}x | {b['ray1']['startup_s']:.1f} s / {b['ray2']['startup_s']:.1f} s | {'yes' if all(r['equal'].values()) else 'NO'} | {r['loadavg_1min'][0]:.2f} → {r['loadavg_1min'][1]:.2f} |"
        )
    lines += [
        "",
        "Medians of the timed generations. local match: the local run's seconds inside `backend.play` over the matches a generation; "
        "(play): seconds inside `backend.play`, the rest of a generation being the arena's own work in the driver; speed-up: local s/gen ÷ Ray s/gen; "
        "start-up: building the Arena until every worker has answered (not in s/gen); load: the 1-minute load average as the world's generations began and ended.",
    ]
    lines += [
        "",
        "Bytes per generation (pickled, protocol 5); each worker is sent only the genome rows it plays. Several matches: each working worker's rows and plans out, its results back. "
        "One free-for-all (sharded, †) on 2 or more workers: each block's rows out, every step's observations out (once per node), every step's actions back.",
        "",
    ]
    lines += ["| world | all genomes (rows × genes) | rows out ×1 / ×2 / ×100 | plans or observations out ×1 / ×2 / ×100 | back ×1 / ×2 / ×100 | total ×2, one node | ×100, a node each (measured split) | projection: 100 matches on 100 nodes |", "|---|---|---|---|---|---|---|---|"]
    for r in rows:
        t, w, p = r["bytes"], r["bytes"]["by_workers"], r["projection_100"]
        projected = f"{fmt_b(p['total'])} (P={p['population']})" if p else "n/a: one match (sharded: the measured ×100)"
        lines.append(
            f"| {r['name']}{' †' if t['sharded'] else ''} | {fmt_b(t['genomes'])} ({t['rows']} × {t['genome_size']:,}) | {' / '.join(fmt_b(w[k]['genomes_out']) for k in ('1', '2', '100'))} | {' / '.join(fmt_b(w[k]['plans_out']) for k in ('1', '2', '100'))} | "
            f"{' / '.join(fmt_b(w[k]['results_back']) for k in ('1', '2', '100'))} | {fmt_b(w['2']['one_node'])} | {fmt_b(w['100']['one_node_per_worker'])} ({w['100']['working']} working) | "
            f"{projected} |"
        )
    be = results["break_even"]
    if be["match_cost_s"] is not None:
        where = f"between {be['below']} and {be['above']}: 2 workers break even at a match of about {fmt_s(be['match_cost_s'])} of local play ({be['how']})"
    else:
        where = f"{be['how']} ({be['above'] or be['below']})"
    lines += ["", f"Where Ray starts to pay (2 workers, toy-family worlds by match cost): {where}."]
    if be["dips"]:
        lines.append(f"Not monotone: {', '.join(be['dips'])} did not pay although a cheaper world did; the bracket above is the one past which every measured world paid.")
    sharded = [r for r in rows if r["bytes"]["sharded"]]
    if sharded:
        lines.append(
            "One free-for-all (†) is played in shards: the workers develop and act in parallel, while the world's step, the baselines and the arena's own work stay in the driver: "
            + "; ".join(f"{r['name']} {r['speedup']['ray2']:.2f}x ({r['bytes']['steps']} step{'s' if r['bytes']['steps'] != 1 else ''} a match)" for r in sharded)
            + "."
        )
    lines += [
        "Projection (not measured): 100 matches, one per worker on its own node: out = 100 × (m + ℓ + p), back = 100 × (ℓ + r), "
        "with m: one match's genome rows (its seats, the hall of fame and the center), ℓ: list overhead, p, r: one plan, one result, all measured above.",
        f"Ray {meta['ray']}, torch {meta['torch']}, {meta['cpu_count']} CPU cores ({meta['device_name']}), Ray cluster of {meta['ray_cpus']} CPU slots started in {meta['ray_init_s']:.1f} s; "
        f"load average (1 min) {meta['loadavg_start'][0]:.2f} at start, {meta['loadavg_end'][0]:.2f} at end; {meta['wall_s']:.0f} s in all. "
        f"Ray metrics equal to local, bit for bit, in every world: {'yes' if results['all_equal'] else 'NO'}.",
        f"Made by `{meta['command']}` ({meta['provenance'].split(';')[0]}).",
    ]
    return "\n".join(lines)


def main() -> None:
    args = parse_args()
    if args.data_dir:
        os.environ["EVE_ARENA_DATA"] = args.data_dir
    from results_io import provenance, write_atomic  # scripts/results_io.py

    from eve_arena.backend import import_ray

    ray = import_ray()
    started = time.perf_counter()
    load_before = os.getloadavg()
    # The workers import this module (the busy world) and eve_arena from the same places as here.
    path = os.pathsep.join(dict.fromkeys([str(REPO), str(REPO / "scripts"), *filter(None, os.environ.get("PYTHONPATH", "").split(os.pathsep))]))
    env_vars = {"PYTHONPATH": path, **({"EVE_ARENA_DATA": os.environ["EVE_ARENA_DATA"]} if os.environ.get("EVE_ARENA_DATA") else {})}
    ray_cpus = sum(w for b, w in BACKENDS if b == "ray")
    init_started = time.perf_counter()
    ray.init(address="local", num_cpus=ray_cpus, include_dashboard=False, log_to_driver=False, configure_logging=False, runtime_env={"env_vars": env_vars})
    ray_init_s = time.perf_counter() - init_started
    try:
        rows = []
        for name, config in worlds(args):
            rows.append(measure_world(name, config, args.generations, ray))
            r = rows[-1]
            print(f"[{name}] local {fmt_s(r['backends']['local']['seconds_per_generation'])}/gen, Ray×1 {r['speedup']['ray1']:.2f}x, Ray×2 {r['speedup']['ray2']:.2f}x, equal {all(r['equal'].values())}", flush=True)
    finally:
        ray.shutdown()
    meta = {
        "command": "python " + " ".join(shlex.quote(a) for a in sys.argv), "provenance": provenance(), "ray": ray.__version__, "torch": torch.__version__,
        "cpu_count": os.cpu_count(), "device_name": platform.processor() or platform.machine(), "ray_cpus": ray_cpus, "ray_init_s": ray_init_s,
        "generations": args.generations, "quick": args.quick, "loadavg_start": [round(x, 2) for x in load_before], "loadavg_end": [round(x, 2) for x in os.getloadavg()],
        "wall_s": time.perf_counter() - started,
    }
    results = {"meta": meta, "worlds": rows, "break_even": break_even(rows), "all_equal": all(all(r["equal"].values()) for r in rows)}
    table = report(results)
    print(table)
    print(json.dumps(results))
    if args.out:
        out = Path(args.out)
        out.mkdir(parents=True, exist_ok=True)
        write_atomic(str(out / "bench_backends.md"), table + "\n")
        write_atomic(str(out / "bench_backends.json"), json.dumps(results, indent=2) + "\n")
    if not results["all_equal"]:
        sys.exit("the Ray runs' metrics differ from the local run's: see the 'equal' entries in the JSON")


if __name__ == "__main__":
    main()
