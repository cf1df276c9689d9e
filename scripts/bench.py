"""Benchmark of the hot path: batched development and acting, FLOP/s, and tournament generations.

    python scripts/bench.py                          # full run, a few minutes at most on 2 CPU cores
    python scripts/bench.py --out results            # also writes results/bench.md and results/bench.json
    python scripts/bench.py --threads 1              # one torch thread (what `eve-arena tournament` uses)
    python scripts/bench.py --device cuda            # the same measurements on a GPU
    python scripts/bench.py --quick --out /tmp/b     # smoke run (seconds), as the test does

One run measures these, so that the ratios compare numbers taken under the same load:

1. ``predict(spec, genomes, x)`` (develop + act) of a population of MNIST hypernet genomes on a
   batch of MNIST training images: batched over the whole population versus a Python loop over
   single genomes (``genomes[i:i+1]``). The batched code should win by 20x or more.
   Beside it, development alone of the same population by a hypernet that emits single weights
   and by one of the same widths that emits columns (the MNIST world's); and one lifetime step
   of the same population made plastic (``lifetime.adapt``: forward, backward and update on the
   batch's labels), batched against a loop over single nets.
2. The GFLOP/s that the batched call achieves (FLOPs counted analytically) against this
   machine's own dense float32 matmul GFLOP/s: the target is 50% or more.
3. Seconds per generation of a real MNIST tournament (``Arena.step``) as the population grows:
   growth should be no faster than linear.
4. Generations per second of the default tournament (``ArenaConfig()``: the toy quadratic world).
5. Seconds per generation of that tournament as its population grows (256, 1,024, 4,096): one
   free-for-all, so the rating update is rated over every seat at once; the target is at most 5x
   the time for 4x the population, from 1,024 to 4,096.
6. The cost curve of an MNIST tournament generation (population 64): as the target net grows
   from the seed's 8,070 weights to about a million, each built by the widest column hypernet
   within 4,000 parameters (``bigger_nets.genomes_for``), and, on the seed's net, as the batch of
   training images grows. Beside each, develop+act's GFLOP/s as a fraction of the matmul's in 2.

It prints a markdown table and then one JSON line. Timings are medians over repeats after
warm-up runs (``time.perf_counter``, with a device synchronisation on CUDA). Numbers depend on the
machine and on what else runs on it: the JSON records the load average and thread count.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import os
import platform
import shlex
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from bigger_nets import genomes_for, parse_target  # scripts/bigger_nets.py
from results_io import dataclass_parser, provenance, write_atomic  # scripts/results_io.py

from eve_arena.arena import Arena
from eve_arena.config import ArenaConfig
from eve_arena.develop import develop_flat, predict
from eve_arena.envs import MNIST_GENOME
from eve_arena.errors import UserError
from eve_arena.founders import fresh_genomes
from eve_arena.genome import GenomeSpec, coordinate_table
from eve_arena.lifetime import adapt, step_sizes
from eve_arena.tasks import MNISTTask


@dataclass
class Args:
    device: str = "cpu"
    """torch device to run on: cpu, cuda, cuda:1, ..."""
    threads: int = 0
    """torch intra-op threads (0: leave torch's default)"""
    population: int = 256
    """genomes developed and run in the batched-vs-loop and GFLOP/s measurements"""
    batch_size: int = 256
    """MNIST training images each net classifies in the batched-vs-loop measurement"""
    repeats: int = 3
    """timed repeats (the median is reported) of the batched call and of the per-agent loop"""
    matmul_size: int = 2048
    """side of the square float32 matmul that measures the machine's dense GFLOP/s"""
    matmul_repeats: int = 7
    """timed repeats of that matmul"""
    arena_populations: tuple = (16, 64, 256, 1024)
    """population sizes of the MNIST tournament generations"""
    arena_generations: int = 3
    """timed MNIST tournament generations per population, after one warm-up generation"""
    toy_generations: int = 100
    """timed generations of the default (toy quadratic) tournament, after a few warm-up ones"""
    toy_populations: tuple = (256, 1024, 4096)
    """population sizes of the default tournament's generations as the population grows"""
    toy_population_generations: int = 2
    """timed generations per population of that curve, after one warm-up generation"""
    cost_targets: tuple = ("784-10-10-10", "784-100-10", "784-256-128-10", "784-1024-256-10")
    """MNIST target nets of the cost curve, smallest first"""
    cost_batches: tuple = (64, 256, 1024, 4096)
    """training images per generation of the cost curve's batch sweep (on the seed's net)"""
    cost_population: int = 64
    """population of the cost curve's tournaments"""
    cost_generations: int = 2
    """timed generations per point of the cost curve, after one warm-up generation"""
    max_genome: int = 4000
    """genome budget of the cost curve's hypernets"""
    seed: int = 0
    """seeds the genomes, the image batch and the arenas"""
    data_dir: str = ""
    """directory holding MNIST/raw/ (default: $EVE_ARENA_DATA, else ~/.cache/eve_arena/data)"""
    out: str = ""
    """directory that receives bench.md and bench.json (default: print only)"""
    quick: bool = False
    """smoke run for tests: tiny populations and batches, one repeat, a few generations"""


def parse_args() -> Args:
    """Builds the command line from Args: one flag per field, its docstring as the help."""
    parser = dataclass_parser(Args, __doc__.splitlines()[0])
    args = Args(**vars(parser.parse_args()))
    args.arena_populations, args.toy_populations, args.cost_batches = tuple(args.arena_populations), tuple(args.toy_populations), tuple(args.cost_batches)
    try:
        args.cost_targets = tuple(parse_target(t) for t in args.cost_targets)
    except UserError as error:
        parser.error(str(error))
    if args.quick:
        args.population, args.batch_size, args.repeats = 16, 32, 1
        args.matmul_size, args.matmul_repeats = 512, 3
        args.arena_populations, args.arena_generations, args.toy_generations = (4, 8), 1, 3
        args.toy_populations, args.toy_population_generations = (8, 16), 1
        args.cost_targets, args.cost_batches, args.cost_population, args.cost_generations = ((784, 10, 10, 10), (784, 40, 10)), (32, 64), 8, 1
    for name in ("population", "batch_size", "repeats", "matmul_size", "matmul_repeats", "arena_generations", "toy_generations", "toy_population_generations", "cost_population", "cost_generations", "max_genome"):
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be a positive integer")
    if args.threads < 0 or min(args.arena_populations) < 3:  # the GA keeps 2 elites: populations need 3 or more
        parser.error("--threads must be >= 0 and --arena-populations all >= 3")
    elite = ArenaConfig().make_strategy().elite
    if min(args.toy_populations) <= elite:
        parser.error(f"--toy-populations must all be above the default tournament's {elite} elites")
    return args


# The MNIST world's hypernet (eve_arena.envs.MNIST_GENOME): a depth-1 Fourier-coordinate
# hypernet (73 -> 24 -> 24 -> 10, 2,626 genes) that writes a 784-10-10-10 classifier (8,070
# weights) a column at a time.
MNIST_SPEC = GenomeSpec(**MNIST_GENOME, depth=1)


def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def median_time(fn, repeats: int, warmup: int, device: torch.device) -> float:
    """Median wall seconds of ``fn()`` over ``repeats`` calls after ``warmup`` untimed ones."""
    for _ in range(warmup):
        fn()
    sync(device)
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        fn()
        sync(device)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def develop_act_flops(spec: GenomeSpec, population: int, batch: int) -> tuple[int, int]:
    """``(develop, act)`` multiply-add FLOPs of ``predict`` (2 per multiply-add; biases and activations not counted).

    Develop: hypernet level l (l = depth .. 1) runs its MLP once per coordinate row of level l - 1
    (a parameter, or a column when it emits columns) and genome, so it costs
    ``2 * P * rows_{l-1} * sum(in * out over level l's layers)``.
    Act: the P target nets each read B inputs: ``2 * P * B * sum(in * out over the target's layers)``.
    """
    develop = 0
    for level in range(spec.depth, 0, -1):
        rows = len(coordinate_table(spec, level - 1))
        develop += 2 * population * rows * sum(o * i for o, i in spec.levels[level].layers)
    act = 2 * population * batch * sum(o * i for o, i in spec.levels[0].layers)
    return develop, act


def arena_config(**overrides) -> tuple[ArenaConfig, list[str]]:
    """An ArenaConfig of the fields that exist, and the names of those that do not (dropped)."""
    known = {f.name for f in dataclasses.fields(ArenaConfig)}
    dropped = sorted(set(overrides) - known)
    return ArenaConfig(**{k: v for k, v in overrides.items() if k in known}), dropped


def cost_point(spec: GenomeSpec, population: int, images: np.ndarray, args: Args, device: torch.device, peak_gflops: float) -> dict:
    """One point of the cost curve: seconds per MNIST tournament generation of ``population``
    genomes of ``spec`` on ``len(images)`` training images, and develop+act's share of the matmul."""
    batch = len(images)
    genomes = fresh_genomes(spec, population, torch.Generator().manual_seed(args.seed)).to(device)
    x = torch.tensor(images, device=device)
    with torch.no_grad():
        predict_s = median_time(lambda: predict(spec, genomes, x), args.cost_generations, warmup=1, device=device)
    del genomes, x
    config = ArenaConfig.for_env("eve_arena/mnist-v0", genome=spec, population=population, env_kwargs={"batch_size": batch, "max_steps": 1}, hall_of_fame=0, eval_every=10**9, seed=args.seed, device=args.device)
    generation_s = median_time(Arena(config).step, args.cost_generations, warmup=1, device=device)
    gflops = sum(develop_act_flops(spec, population, batch)) / predict_s / 1e9
    return {"target": list(spec.target), "target_size": spec.target_size, "genome_size": spec.genome_size, "batch": batch, "population": population,
            "seconds_per_generation": generation_s, "develop_act_s": predict_s, "develop_act_gflops": gflops, "fraction_of_matmul": gflops / peak_gflops}


def yes(ok: bool) -> str:
    return "yes" if ok else "no"


def fmt_s(seconds: float) -> str:
    return f"{seconds * 1e3:.1f} ms" if seconds < 1 else f"{seconds:.2f} s"


if __name__ == "__main__":
    args = parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    if args.data_dir:
        os.environ["EVE_ARENA_DATA"] = args.data_dir
    device = torch.device(args.device)
    torch.manual_seed(args.seed)
    load_before = os.getloadavg()
    bench_started = time.perf_counter()
    meta = {
        "command": "python " + " ".join(shlex.quote(a) for a in sys.argv),
        "device": str(device),
        "device_name": torch.cuda.get_device_name(device) if device.type == "cuda" else platform.processor() or platform.machine(),
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "cpu_count": os.cpu_count(),
        "quick": args.quick,
        "loadavg_start": [round(x, 2) for x in load_before],
    }

    # --- 1. batched vs per-agent loop: predict (develop + act) of P genomes on B MNIST images ---
    spec = MNIST_SPEC
    genomes = fresh_genomes(spec, args.population, torch.Generator().manual_seed(args.seed)).to(device)
    images, labels = MNISTTask(args.data_dir or None).sample(np.random.default_rng(args.seed), args.batch_size)
    x = torch.tensor(images, device=device)  # a copy: the task's arrays are read-only
    with torch.no_grad():
        batched_s = median_time(lambda: predict(spec, genomes, x), args.repeats, warmup=1, device=device)

        def loop() -> None:
            for i in range(args.population):
                predict(spec, genomes[i : i + 1], x)

        for i in range(min(8, args.population)):  # warm-up: a few single-genome calls
            predict(spec, genomes[i : i + 1], x)
        loop_s = median_time(loop, args.repeats, warmup=0, device=device)
    batched = {
        "population": args.population,
        "batch": args.batch_size,
        "genome_size": spec.genome_size,
        "target_size": spec.target_size,
        "batched_s": batched_s,
        "loop_s": loop_s,
        "speedup": loop_s / batched_s,
        "target_speedup": 20.0,
    }
    print(f"[1] batched {fmt_s(batched_s)}, loop {fmt_s(loop_s)}: {batched['speedup']:.1f}x", flush=True)

    # --- 1b. development alone: a hypernet that emits columns against one of the same widths that emits single weights ---
    per_weight = dataclasses.replace(spec, emit="weight")
    emit_s = {}
    with torch.no_grad():
        for emitting in (per_weight, spec):
            population = fresh_genomes(emitting, args.population, torch.Generator().manual_seed(args.seed)).to(device)
            emit_s[emitting.emit] = median_time(functools.partial(develop_flat, emitting, population), args.repeats, warmup=1, device=device)
    emission = {"weight_s": emit_s["weight"], "column_s": emit_s["column"], "speedup": emit_s["weight"] / emit_s["column"], "weight_genome_size": per_weight.genome_size, "column_genome_size": spec.genome_size}
    print(f"[1b] develop: weight emission {fmt_s(emit_s['weight'])}, column emission {fmt_s(emit_s['column'])}: {emission['speedup']:.1f}x", flush=True)

    # --- 1c. a plastic population's lifetime step (forward, backward, update) on the same batch ---
    plastic = dataclasses.replace(spec, lifetime="plastic")
    plastic_genomes = fresh_genomes(plastic, args.population, torch.Generator().manual_seed(args.seed)).to(device)
    y = torch.tensor(labels, device=device)
    with torch.no_grad():
        nets, steps = develop_flat(plastic, plastic_genomes), step_sizes(plastic, plastic_genomes)
        step_batched_s = median_time(lambda: adapt(plastic, nets, steps, x, y), args.repeats, warmup=1, device=device)

        def step_loop() -> None:
            for i in range(args.population):
                adapt(plastic, nets[i : i + 1], steps[i : i + 1], x, y)

        step_loop_s = median_time(step_loop, args.repeats, warmup=1, device=device)
    lifetime = {"population": args.population, "batch": args.batch_size, "batched_s": step_batched_s, "loop_s": step_loop_s, "speedup": step_loop_s / step_batched_s}
    print(f"[1c] lifetime step: batched {fmt_s(step_batched_s)}, loop {fmt_s(step_loop_s)}: {lifetime['speedup']:.1f}x", flush=True)

    # --- 2. achieved GFLOP/s of develop + act against this machine's dense matmul GFLOP/s ---
    develop_flop, act_flop = develop_act_flops(spec, args.population, args.batch_size)
    a = torch.randn(args.matmul_size, args.matmul_size, device=device)
    b = torch.randn(args.matmul_size, args.matmul_size, device=device)
    matmul_s = median_time(lambda: torch.mm(a, b), args.matmul_repeats, warmup=2, device=device)
    del a, b
    achieved = (develop_flop + act_flop) / batched_s / 1e9
    peak = 2 * args.matmul_size**3 / matmul_s / 1e9
    flops = {
        "develop_gflop": develop_flop / 1e9,
        "act_gflop": act_flop / 1e9,
        "develop_act_gflops": achieved,
        "matmul_size": args.matmul_size,
        "matmul_gflops": peak,
        "fraction_of_matmul": achieved / peak,
        "target_fraction": 0.5,
    }
    print(f"[2] develop+act {achieved:.1f} GFLOP/s, matmul {peak:.1f} GFLOP/s: {achieved / peak:.0%}", flush=True)

    # --- 3. seconds per MNIST tournament generation as the population grows ---
    times, dropped = [], []
    for population in args.arena_populations:
        config, dropped = arena_config(
            env="eve_arena/mnist-v0", genome=spec, env_kwargs={"batch_size": 256, "max_steps": 1}, population=population, hall_of_fame=0,
            champion_by="heldout", heldout_pool=4, strategy="ga", strategy_kwargs={"elite": 2}, seed=args.seed, device=args.device,
        )
        arena = Arena(config)
        times.append(median_time(arena.step, args.arena_generations, warmup=1, device=device))
        print(f"[3] population {population}: {fmt_s(times[-1])} per generation", flush=True)
        del arena
    pops = list(args.arena_populations)
    scaling = {
        "populations": pops,
        "seconds_per_generation": times,
        "seconds_per_member": [t / p for t, p in zip(times, pops)],
        "time_ratio": times[-1] / times[0],
        "population_ratio": pops[-1] / pops[0],
        "dropped_config_fields": dropped,
    }

    # --- 4. generations per second of the default tournament (toy quadratic world) ---
    arena = Arena(ArenaConfig(seed=args.seed, device=args.device))
    for _ in range(3):  # warm-up
        arena.step()
    sync(device)
    started = time.perf_counter()
    for _ in range(args.toy_generations):
        arena.step()
    sync(device)
    toy_s = time.perf_counter() - started
    default_config = ArenaConfig()
    toy = {
        "env": default_config.env,
        "population": default_config.population,
        "generations": args.toy_generations,
        "seconds": toy_s,
        "generations_per_second": args.toy_generations / toy_s,
    }
    print(f"[4] default tournament: {toy['generations_per_second']:.2f} generations/s", flush=True)

    # --- 5. seconds per default-tournament generation as the population grows (ratings included) ---
    toy_times = []
    for population in args.toy_populations:
        arena = Arena(ArenaConfig(seed=args.seed, device=args.device, population=population))
        toy_times.append(median_time(arena.step, args.toy_population_generations, warmup=1, device=device))
        print(f"[5] default tournament, population {population}: {fmt_s(toy_times[-1])} per generation", flush=True)
        del arena
    toy_pops = list(args.toy_populations)
    toy_scaling = {"populations": toy_pops, "seconds_per_generation": toy_times, "time_ratio": toy_times[-1] / toy_times[-2] if len(toy_times) > 1 else 1.0,
                   "population_ratio": toy_pops[-1] / toy_pops[-2] if len(toy_pops) > 1 else 1.0, "target_time_ratio_1024_to_4096": 5.0}

    # --- 6. the cost curve: seconds per MNIST generation as the target net and the batch grow ---
    cost_images, _ = MNISTTask(args.data_dir or None).sample(np.random.default_rng(args.seed), max(*args.cost_batches, args.batch_size))
    by_target = []
    for target in args.cost_targets:
        hypernet = genomes_for(target, args.max_genome)["hypernet"]
        by_target.append(cost_point(hypernet, args.cost_population, cost_images[: args.batch_size], args, device, peak))
        print(f"[6] target {'-'.join(map(str, target))} ({hypernet.target_size:,} weights, {hypernet.genome_size:,}-parameter genome): "
              f"{fmt_s(by_target[-1]['seconds_per_generation'])} per generation, develop+act {by_target[-1]['fraction_of_matmul']:.0%} of matmul", flush=True)
    smallest = genomes_for(args.cost_targets[0], args.max_genome)["hypernet"]
    by_batch = []
    for batch in args.cost_batches:
        by_batch.append(cost_point(smallest, args.cost_population, cost_images[:batch], args, device, peak))
        print(f"[6] batch {batch}: {fmt_s(by_batch[-1]['seconds_per_generation'])} per generation, develop+act {by_batch[-1]['fraction_of_matmul']:.0%} of matmul", flush=True)
    cost = {"by_target": by_target, "by_batch": by_batch, "max_genome": args.max_genome}

    meta["loadavg_end"] = [round(x, 2) for x in os.getloadavg()]
    meta["wall_s"] = time.perf_counter() - bench_started
    results = {"meta": meta, "batched_vs_loop": batched, "emission": emission, "lifetime_step": lifetime, "throughput": flops, "arena_scaling": scaling, "default_tournament": toy, "default_tournament_scaling": toy_scaling, "cost_curve": cost}

    # --- report: a markdown table, then one JSON line ---
    P, B = args.population, args.batch_size
    rows = [
        (f"develop+act, P={P}, B={B}: batched", fmt_s(batched_s), ""),
        (f"develop+act, P={P}, B={B}: loop over single genomes", fmt_s(loop_s), ""),
        ("batched speed-up", f"{batched['speedup']:.1f}x", f">= 20x: {yes(batched['speedup'] >= 20)}"),
        (f"develop, P={P}: hypernet emitting single weights ({per_weight.genome_size:,} genes)", fmt_s(emit_s["weight"]), ""),
        (f"develop, P={P}: the same widths emitting columns ({spec.genome_size:,} genes)", fmt_s(emit_s["column"]), f"{emission['speedup']:.1f}x faster"),
        (f"lifetime step of P={P} plastic nets, B={B}: batched", fmt_s(step_batched_s), "forward, backward and update"),
        (f"lifetime step of P={P} plastic nets, B={B}: loop over single nets", fmt_s(step_loop_s), f"{lifetime['speedup']:.1f}x slower"),
        ("develop+act throughput", f"{achieved:.1f} GFLOP/s ({flops['develop_gflop'] + flops['act_gflop']:.2f} GFLOP)", ""),
        (f"dense matmul {args.matmul_size}x{args.matmul_size} float32", f"{peak:.1f} GFLOP/s", ""),
        ("develop+act / matmul", f"{flops['fraction_of_matmul']:.0%}", f">= 50%: {yes(flops['fraction_of_matmul'] >= 0.5)}"),
    ]
    for p, t in zip(pops, times):
        rows.append((f"MNIST tournament generation, P={p}", fmt_s(t), f"{t / p * 1e3:.2f} ms/member"))
    rows.append((f"time(P={pops[-1]}) / time(P={pops[0]})", f"{scaling['time_ratio']:.1f}x", f"<= {scaling['population_ratio']:.0f}x (linear): {yes(scaling['time_ratio'] <= scaling['population_ratio'])}"))
    rows.append((f"default tournament (toy, P={toy['population']}), {args.toy_generations} generations", f"{toy['generations_per_second']:.2f} gen/s", f"{fmt_s(toy_s / args.toy_generations)}/gen"))
    for p, t in zip(toy_pops, toy_times):
        rows.append((f"default tournament generation (toy), P={p}", fmt_s(t), f"{t / p * 1e3:.3f} ms/member"))
    if len(toy_pops) > 1:
        rows.append((f"time(P={toy_pops[-1]}) / time(P={toy_pops[-2]}), toy", f"{toy_scaling['time_ratio']:.1f}x", f"<= 5x for {toy_scaling['population_ratio']:.0f}x the population: {yes(toy_scaling['time_ratio'] <= 5)}"))
    lines = ["| measurement | value | target / note |", "|---|---|---|"] + [f"| {a} | {b} | {c} |" for a, b, c in rows]
    lines += ["", f"The cost curve: seconds per MNIST tournament generation, population {args.cost_population}; each net built by the widest column hypernet within {args.max_genome:,} parameters.", "",
              "| target net | weights | genome | batch | s / generation | develop+act GFLOP/s | of matmul |", "|---|---|---|---|---|---|---|"]
    for point in by_target + by_batch:
        lines.append(f"| {'-'.join(map(str, point['target']))} | {point['target_size']:,} | {point['genome_size']:,} | {point['batch']:,} | {fmt_s(point['seconds_per_generation'])} "
                     f"| {point['develop_act_gflops']:.1f} | {point['fraction_of_matmul']:.0%} |")
    lines.append("")
    lines.append(f"{meta['device']} ({meta['device_name']}), torch {meta['torch']}, torch threads: {meta['threads']}, load average {meta['loadavg_start'][0]:.2f} at start, {meta['loadavg_end'][0]:.2f} at end; {meta['wall_s']:.0f} s in all.")
    if dropped:
        lines.append(f"ArenaConfig has no field(s) {', '.join(dropped)}: dropped from the tournament config.")
    lines.append(f"Made by `{meta['command']}` ({provenance().split(';')[0]}).")
    table = "\n".join(lines)
    line = json.dumps(results)
    print(table)
    print(line)
    if args.out:
        out = Path(args.out)
        out.mkdir(parents=True, exist_ok=True)
        write_atomic(str(out / "bench.md"), table + "\n")
        write_atomic(str(out / "bench.json"), json.dumps(results, indent=2) + "\n")
