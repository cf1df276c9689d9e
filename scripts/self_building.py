"""Self-building and residual genomes, measured: the numbers behind README's "Self-building" table.

Three studies, each writing a markdown table, a CSV and a plot under ``--out``:

    python scripts/self_building.py tradeoff --world toy      # rho against task score over the replication weight
    python scripts/self_building.py tradeoff --world mnist
    python scripts/self_building.py heredity --world toy      # self-built lineages in a tournament, mutation off
    python scripts/self_building.py residual --world toy      # residual against plain hypernets, backprop and evolution

``tradeoff`` trains a self-building genome by backprop on ``task loss + weight * rho`` for each
weight and reports the test score, rho, the weight norm ||theta||, the test score of the
genome's self-built child (one self-copy: what reproduction by self-building would pass on), and
that of a noisy twin as far from the genome as the child, in a random direction.
``heredity`` trains genomes with a low and a high rho, fills a GA population with copies of one,
and lets it reproduce only by self-building (no mutation, no crossover, no elites) for 10
generations, recording the champion's held-out score. ``residual`` compares a hypernet that
writes a change to a seeded random net with the plain hypernet of the same genome size.
"""

from __future__ import annotations

import argparse
import dataclasses
import math
import os
import sys
import time
from multiprocessing import get_context

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import torch
from results_io import provenance, save_figure, write_atomic, write_csv  # scripts/results_io.py

from eve_arena.arena import Arena, initial_state
from eve_arena.config import ArenaConfig
from eve_arena.envs import DEFAULT_ENV, NAMESPACE
from eve_arena.errors import UserError
from eve_arena.founders import fresh_genomes
from eve_arena.heredity import jacobian_norm
from eve_arena.selfbuild import exact_copies, fidelity, self_copy
from eve_arena.tasks import MNISTTask, ToyTask
from eve_arena.train import fit, heldout_scores

WORLDS = {"toy": DEFAULT_ENV, "mnist": f"{NAMESPACE}/mnist-v0"}
LR = {"toy": 3e-3, "mnist": 3e-3}  # the column hypernet's tuned lr (scripts/seed_mnist.py); the toy chapters' lr
STEPS = {"toy": 10_000, "mnist": 20_000}


def world_spec(world: str, **changes):
    """The world's default tournament genome (``ArenaConfig.for_env``) with ``changes``."""
    return dataclasses.replace(ArenaConfig.for_env(WORLDS[world]).genome, **changes)


def world_env_kwargs(world: str, data_dir: str | None) -> dict:
    """The world's default environment settings, pointed at ``data_dir`` for MNIST."""
    env_kwargs = dict(ArenaConfig.for_env(WORLDS[world]).env_kwargs)
    if data_dir and world == "mnist":
        env_kwargs["data_dir"] = data_dir
    return env_kwargs


def world_task(world: str, data_dir: str | None):
    return ToyTask("quadratic") if world == "toy" else MNISTTask(data_dir=data_dir)


def score_of(world: str, spec, genomes: torch.Tensor, task, split: str = "test") -> np.ndarray:
    """Test MSE (toy, lower is better) or test accuracy (MNIST, higher is better) of each genome."""
    scores = heldout_scores(spec, genomes, task, split=split)
    return scores["loss"] if world == "toy" else scores["accuracy"]


SCORE_NAME = {"toy": "test MSE", "mnist": "test accuracy"}


# ---------------------------------------------------------------------------------------------
# tradeoff: rho against the task over the replication weight


def train_self_builder(job: tuple) -> dict:
    world, depth, self_build, weight, seed, steps, regenerate, data_dir = job
    torch.set_num_threads(1)
    spec = world_spec(world, depth=depth, self_build=self_build)
    task = world_task(world, data_dir)
    started = time.time()
    result = fit(spec, task, steps=steps, lr=LR[world], seed=seed, replication_weight=weight, regenerate_every=regenerate)
    genome = result.genomes
    with torch.no_grad():
        rho, norm = fidelity(spec, genome)
        child = genome.clone()
        child[:, : spec.builder_size] = self_copy(spec, genome)
        child_rho = fidelity(spec, child)[0]
        # Control: the parent moved as far as its child is from it, in a random direction. Tells
        # whether a child fails by how much its copy is off, or by which way.
        error = (child - genome).norm()
        noise = torch.randn(genome.shape, generator=torch.Generator().manual_seed(seed))
        twin = genome + noise / noise.norm() * error
    return {
        "world": world, "depth": depth, "self_build": self_build, "replication_weight": weight, "regenerate_every": regenerate, "seed": seed,
        "genome_params": spec.genome_size, "steps": steps,
        "score": float(score_of(world, spec, genome, task)[0]), "rho": float(rho[0]), "weight_norm": float(norm[0]),
        "start_norm": float(fresh_genomes(spec, 1, torch.Generator().manual_seed(seed)).norm()),  # fit starts from this genome
        "child_score": float(score_of(world, spec, child, task)[0]), "child_rho": float(child_rho[0]),
        "noisy_twin_score": float(score_of(world, spec, twin, task)[0]),
        "seconds": round(time.time() - started, 1), "rho_curve": result.rho[:, 0],
    }


def tradeoff(args) -> None:
    world_task(args.world, args.data_dir).sample(np.random.default_rng(0), 1)  # a missing data set fails here, once
    jobs = [(args.world, args.depth, args.self_build, w, s, args.steps or STEPS[args.world], args.regenerate_every, args.data_dir) for w in args.weights for s in args.seeds]
    print(f"{len(jobs)} runs on {args.world}: depth {args.depth} {args.self_build}, {jobs[0][5]} steps, {args.workers} workers", flush=True)
    rows = []
    with get_context("fork").Pool(args.workers) as pool:
        for row in pool.imap_unordered(train_self_builder, jobs):
            rows.append(row)
            print(f"weight {row['replication_weight']:g} seed {row['seed']}: {SCORE_NAME[args.world]} {row['score']:.4g}, rho {row['rho']:.4g}, "
                  f"||theta|| {row['weight_norm']:.3g}; self-built child: {row['child_score']:.4g} (rho {row['child_rho']:.3g}); {row['seconds']} s", flush=True)
    rows.sort(key=lambda r: (r["replication_weight"], r["seed"]))
    name = f"tradeoff_{args.world}_depth{args.depth}_{args.self_build}" + (f"_regen{args.regenerate_every}" if args.regenerate_every else "")
    write_csv(os.path.join(args.out, name + ".csv"), [{k: v for k, v in r.items() if k != "rho_curve"} for r in rows])
    better = "lower" if args.world == "toy" else "higher"
    lines = [
        (
            f"Self-building genome on {args.world} by backprop: depth {args.depth}, self_build={args.self_build}, {rows[0]['genome_params']:,} parameters, "
            f"{rows[0]['steps']:,} Adam steps{f', regenerated every {args.regenerate_every} steps' if args.regenerate_every else ''}. "
            f"Loss = task + weight x rho. {SCORE_NAME[args.world]} ({better} is better) of the genome, of its self-built child, "
            f"and of a noisy twin: the genome moved as far as its child is from it, in a random direction."
        ),
        "",
        f"`python scripts/self_building.py tradeoff --world {args.world} --depth {args.depth} --self-build {args.self_build} --weights {' '.join(f'{w:g}' for w in args.weights)} --seeds {' '.join(map(str, args.seeds))}"
        + (f" --regenerate-every {args.regenerate_every}" if args.regenerate_every else "") + (f" --steps {args.steps}" if args.steps else "") + "`",
        "",
        f"| weight | seed | {SCORE_NAME[args.world]} | rho | ||theta|| (at start) | child's {SCORE_NAME[args.world]} | child's rho | noisy twin's {SCORE_NAME[args.world]} | seconds |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    lines += [
        f"| {r['replication_weight']:g} | {r['seed']} | {r['score']:.4g} | {r['rho']:.3g} | {r['weight_norm']:.3g} ({r['start_norm']:.3g}) | {r['child_score']:.4g} | {r['child_rho']:.3g} | {r['noisy_twin_score']:.4g} | {r['seconds']} |"
        for r in rows
    ]
    write_atomic(os.path.join(args.out, name + ".md"), "\n".join([*lines, "", provenance()]) + "\n")
    plot_tradeoff(rows, args.world, os.path.join(args.out, name + ".png"))
    print(f"wrote {args.out}/{name}.{{md,csv,png}}")


def plot_tradeoff(rows: list[dict], world: str, path: str) -> None:
    fig, (ax, ax_curve) = plt.subplots(1, 2, figsize=(12, 4.5))
    rho = np.array([r["rho"] for r in rows])
    score = np.array([r["score"] for r in rows])
    child = np.array([r["child_score"] for r in rows])
    ax.plot(rho, score, "o", color="tab:blue", label="genome")
    ax.plot(rho, child, "x", color="tab:red", label="its self-built child")
    for r in rows:
        ax.annotate(f"w={r['replication_weight']:g}", (r["rho"], r["score"]), textcoords="offset points", xytext=(4, 4), fontsize=8)
    ax.axvline(0.05, color="0.5", ls=":", lw=1, label="rho = 0.05")
    ax.set_xscale("log")
    if world == "toy":
        ax.set_yscale("log")
    ax.set_xlabel("replication fidelity rho (log; 1 = writing zeros)")
    ax.set_ylabel(SCORE_NAME[world])
    ax.set_title(f"{world}: the task against self-replication")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    for k, r in enumerate(rows):
        curve = r["rho_curve"]
        steps = np.arange(1, len(curve) + 1)
        ax_curve.plot(steps, curve, color=plt.cm.viridis(k / max(len(rows) - 1, 1)), lw=1, label=f"w={r['replication_weight']:g}" if r["seed"] == rows[0]["seed"] else None)
    ax_curve.set_yscale("log")
    ax_curve.set_xlabel("training step")
    ax_curve.set_ylabel("rho")
    ax_curve.set_title("rho during training")
    ax_curve.grid(alpha=0.3)
    ax_curve.legend(fontsize=8)
    fig.tight_layout()
    save_figure(fig, path)


# ---------------------------------------------------------------------------------------------
# heredity: self-built lineages in a tournament with mutation switched off


def lineage(world: str, spec, genome: torch.Tensor, generations: int, population: int, seed: int, data_dir: str | None) -> list[float]:
    """The champion's held-out score in each generation of a GA that only self-builds its young;
    NaN once every genome of a generation is broken (the arena then has no champion)."""
    config = ArenaConfig.for_env(
        WORLDS[world], genome=spec, population=population, generations=generations, seed=seed, strategy="ga", env_kwargs=world_env_kwargs(world, data_dir),
        strategy_kwargs={"reproduction": "self", "sigma": 0.0, "sigma_min": 0.0, "elite": 0, "crossover": 0.0},
        champion_by="heldout", heldout_pool=0, hall_of_fame=0, threads=1,
    )
    state = initial_state(config)
    founders = genome.expand(population, -1).clone()
    state = dataclasses.replace(state, strategy_state=config.make_strategy().init(founders), champion=founders[0].clone())
    arena = Arena(config, state)
    key = "champion/heldout_loss" if world == "toy" else "champion/heldout_accuracy"
    scores = []
    for _ in range(generations):
        metrics = arena.step()
        scores.append(float("nan") if metrics["champion/kept_previous"] else metrics[key])
    return scores


def founder(args, spec, weight: float, seed: int) -> tuple[torch.Tensor, float]:
    """A genome trained by backprop on task + weight x rho, and the grid weight it ended with.

    With ``--lineage-depth`` K > 1 or ``--contraction-weight`` c > 0 it is then trained for
    ``--heredity-steps`` more steps with K generations unrolled in the loss, or with c times the
    self-copy map's squared Jacobian norm added (``eve_arena.heredity``): from a trained quine,
    because the plain lineage loss from a fresh genome fell into a net that copies itself by
    forgetting the task.

    With ``--grid-step`` it is then moved onto its grid and trained on task + ``--grid-weight`` x
    grid_miss (``selfbuild.grid_miss``) for ``--grid-train-steps`` more steps. Exactness is a
    constraint, so it is enforced as a penalty method does: while the copy is not yet exact, up
    to ``--grid-rounds`` more rounds of half as many steps, each with the weight 4x higher."""
    task = world_task(args.world, args.data_dir)
    plain = dataclasses.replace(spec, grid_step=None)
    genome = fit(plain, task, steps=args.steps or STEPS[args.world], lr=LR[args.world], seed=seed, replication_weight=weight).genomes
    lineage_depth, contraction_weight = getattr(args, "lineage_depth", 1), getattr(args, "contraction_weight", 0.0)
    if lineage_depth > 1 or contraction_weight:
        genome = fit(plain, task, steps=args.heredity_steps, lr=args.heredity_lr, seed=seed + 1, replication_weight=weight, genomes=genome, lineage_depth=lineage_depth, contraction_weight=contraction_weight).genomes
    if spec.grid_step is None:
        return genome, math.nan
    grid_weight, steps = args.grid_weight, args.grid_train_steps
    for round_ in range(args.grid_rounds + 1):
        if round_:
            if bool(exact_copies(spec, genome)[0]):
                break
            grid_weight, steps = 4 * grid_weight, max(1, steps // 2)
        genome = fit(spec, task, steps=steps, lr=args.grid_lr, seed=seed + 1 + round_, replication_weight=grid_weight, genomes=genome).genomes
    return genome, grid_weight


def hidden_change(args) -> dict:
    """``--hyper-hidden 16,16``: the genome's own net (the top level) with those hidden widths."""
    if not getattr(args, "hyper_hidden", ""):
        return {}
    widths = tuple(int(w) for w in args.hyper_hidden.split(","))
    spec = world_spec(args.world)
    levels = list(spec.hyper_hidden)
    levels[spec.depth - 1] = widths
    return {"hyper_hidden": tuple(levels)}


def heredity(args) -> None:
    rows, curves = [], {}
    for self_build in args.self_builds:
        spec = world_spec(args.world, self_build=self_build, grid_step=args.grid_step, **hidden_change(args))
        for weight in args.weights:
            for seed in args.seeds:
                started = time.time()
                genome, grid_weight = founder(args, spec, weight, seed)
                rho, norm = fidelity(spec, genome)
                jacobian = float(jacobian_norm(dataclasses.replace(spec, grid_step=None), genome)[0])
                exact = bool(exact_copies(spec, genome)[0]) if spec.grid_step else False
                scores = lineage(args.world, spec, genome, args.generations + 1, args.population, seed, args.data_dir)
                label = f"{self_build}, weight {weight:g}, seed {seed} (rho {float(rho[0]):.3g})"
                curves[label] = scores
                first, last = scores[0], scores[-1]
                change = (last - first) / abs(first) if np.isfinite(first) and first != 0 else float("nan")
                broken = next((g for g, v in enumerate(scores) if np.isnan(v)), None)
                rows.append({"self_build": self_build, "replication_weight": weight, "seed": seed, "grid_step": spec.grid_step or "", "grid_weight_at_end": grid_weight, "genome_params": spec.genome_size,
                             "rho": float(rho[0]), "weight_norm": float(norm[0]), "jacobian_norm": jacobian, "exact_copy": exact,
                             "founder_score": first, "score_after": last, "relative_change": change, "broken_at": "" if broken is None else broken,
                             "scores": " ".join(f"{v:.4g}" for v in scores), "generations": args.generations, "seconds": round(time.time() - started, 1)})
                ending = f"{last:.4g} ({change:+.1%})" if broken is None else f"every genome broken from generation {broken}"
                print(f"{label}: held-out {'MSE' if args.world == 'toy' else 'accuracy'} {first:.4g} -> {ending} after {args.generations} self-built generations", flush=True)
    name = f"heredity_{args.world}" + (f"_grid{args.grid_step:g}" if args.grid_step else "")
    name += (f"_lineage{args.lineage_depth}" if args.lineage_depth > 1 else "") + (f"_contraction{args.contraction_weight:g}" if args.contraction_weight else "")
    write_csv(os.path.join(args.out, name + ".csv"), rows)
    metric = "held-out MSE" if args.world == "toy" else "held-out accuracy"
    grid = (
        f" Genomes on a grid of step {args.grid_step:g} ({spec.genome_size:,} parameters): after that training, {args.grid_train_steps:,} more steps (lr {args.grid_lr:g}) on task + {args.grid_weight:g} x grid_miss, then while the copy is not exact up to {args.grid_rounds} rounds of half as many steps at 4x the weight, so that a copy rounds back to its parent."
        if args.grid_step else ""
    )
    if args.lineage_depth > 1 or args.contraction_weight:
        grid = (
            f" Then {args.heredity_steps:,} more steps (lr {args.heredity_lr:g}) with "
            + (f"{args.lineage_depth} generations of self-building unrolled in the loss" if args.lineage_depth > 1 else "")
            + (" and " if args.lineage_depth > 1 and args.contraction_weight else "")
            + (f"{args.contraction_weight:g} x the self-copy map's squared Jacobian norm added" if args.contraction_weight else "")
            + "." + grid
        )
    lines = [
        (
            f"Self-built reproduction on {args.world}: a GA population of {args.population} copies of one genome trained by {args.steps or STEPS[args.world]:,} Adam steps on task + weight x rho.{grid} Children are built by their parents "
            f"(no mutation, no crossover, no elites) for {args.generations} generations. The champion's {metric}, founders first."
        ),
        "",
        f"`python {' '.join(sys.argv)}`",
        "",
        f"| self_build | weight | seed | founder's rho | ||theta|| | self-copy Jacobian norm | exact copy (grid weight at the end) | {metric}: founders | after {args.generations} generations | change |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        after, change = (f"{r['score_after']:.4g}", f"{r['relative_change']:+.1%}") if r["broken_at"] == "" else (f"all broken from generation {r['broken_at']}", "-")
        exact = f"{'yes' if r['exact_copy'] else 'no'} ({r['grid_weight_at_end']:g})" if args.grid_step else "-"
        lines.append(f"| {r['self_build']} | {r['replication_weight']:g} | {r['seed']} | {r['rho']:.3g} | {r['weight_norm']:.3g} | {r['jacobian_norm']:.3g} | {exact} | {r['founder_score']:.4g} | {after} | {change} |")
    write_atomic(os.path.join(args.out, name + ".md"), "\n".join([*lines, "", provenance()]) + "\n")
    fig, ax = plt.subplots(figsize=(7, 4.5))
    for label, scores in curves.items():
        ax.plot(np.arange(len(scores)), scores, "o-", ms=3, label=label)
    if args.world == "toy":
        ax.set_yscale("log")
    ax.set_xlabel("generation (0: the founders)")
    ax.set_ylabel(f"champion's {metric}")
    ax.set_title(f"{args.world}: heredity under self-built reproduction, mutation off")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    save_figure(fig, os.path.join(args.out, name + ".png"))
    print(f"wrote {args.out}/{name}.{{md,csv,png}}")


# ---------------------------------------------------------------------------------------------
# residual: a hypernet writing a change to a seeded random net against the plain one


def residual_backprop(job: tuple) -> dict:
    world, residual, seed, steps, data_dir = job
    torch.set_num_threads(1)
    spec = world_spec(world, residual=residual)
    task = world_task(world, data_dir)
    started = time.time()
    genome = fit(spec, task, steps=steps, lr=LR[world], seed=seed).genomes
    return {"world": world, "method": "backprop", "residual": residual, "seed": seed, "genome_params": spec.genome_size,
            "score": float(score_of(world, spec, genome, task)[0]), "budget": f"{steps} steps", "seconds": round(time.time() - started, 1)}


def residual_evolution(job: tuple) -> dict:
    world, residual, seed, generations, minutes, data_dir = job
    torch.set_num_threads(1)
    overrides = {"threads": 1, "seed": seed, "env_kwargs": world_env_kwargs(world, data_dir)}
    if residual == "parent":
        overrides["strategy"], overrides["strategy_kwargs"] = "ga", {}
    config = ArenaConfig.for_env(WORLDS[world], genome=world_spec(world, residual=residual), generations=generations, **overrides)
    arena = Arena(config)
    started = time.time()
    while arena.state.generation < generations and time.time() - started < minutes * 60:
        arena.step()
    task = arena.task()
    return {"world": world, "method": f"evolution ({config.strategy})", "residual": residual, "seed": seed, "genome_params": config.genome.genome_size,
            "score": float(score_of(world, config.genome, arena.state.champion[None], task)[0]),
            "budget": f"{arena.state.generation} generations", "seconds": round(time.time() - started, 1)}


def residual(args) -> None:
    world_task(args.world, args.data_dir).sample(np.random.default_rng(0), 1)
    steps = args.steps or STEPS[args.world]
    jobs = [(residual_backprop, (args.world, r, s, steps, args.data_dir)) for r in ("none", "seed") for s in args.seeds]
    jobs += [(residual_evolution, (args.world, r, s, args.generations, args.minutes, args.data_dir)) for r in args.evolve for s in args.seeds]
    rows = []
    with get_context("fork").Pool(args.workers) as pool:
        for row in pool.imap_unordered(_call, jobs):
            rows.append(row)
            print(f"{row['method']:18s} residual={row['residual']:6s} seed {row['seed']}: {SCORE_NAME[args.world]} {row['score']:.4g} ({row['budget']}, {row['seconds']} s)", flush=True)
    rows.sort(key=lambda r: (r["method"], ["none", "seed", "parent"].index(r["residual"]), r["seed"]))
    name = f"residual_{args.world}"
    write_csv(os.path.join(args.out, name + ".csv"), rows)
    lines = [
        (
            f"Residual (a change added to a fixed random net drawn from the genome's seed) against plain hypernets on {args.world}, the world's default genome "
            f"otherwise, so the same number of parameters; 'parent' adds the change to the parent's net and carries that net in the genome. {SCORE_NAME[args.world]} of the final net (champion, for evolution)."
        ),
        "",
        f"`python scripts/self_building.py residual --world {args.world} --seeds {' '.join(map(str, args.seeds))} --generations {args.generations} --minutes {args.minutes:g} --evolve {' '.join(args.evolve)}`",
        "",
        f"| method | hypernet writes | parameters | {SCORE_NAME[args.world]} per seed | median | budget |",
        "|---|---|---|---|---|---|",
    ]
    written = {"none": "weights", "seed": "change to a seeded net", "parent": "change to the parent's net"}
    for method in sorted({r["method"] for r in rows}):
        for kind in ("none", "seed", "parent"):
            mine = [r for r in rows if r["method"] == method and r["residual"] == kind]
            if mine:
                scores = [r["score"] for r in mine]
                lines.append(f"| {method} | {written[kind]} | {mine[0]['genome_params']:,} | {', '.join(f'{v:.4g}' for v in scores)} | {np.median(scores):.4g} | {mine[0]['budget']} |")
    write_atomic(os.path.join(args.out, name + ".md"), "\n".join([*lines, "", provenance()]) + "\n")
    print(f"wrote {args.out}/{name}.{{md,csv}}")


def _call(job):
    function, arguments = job
    return function(arguments)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="study", required=True)
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--world", choices=WORLDS, default="toy")
    common.add_argument("--steps", type=int, default=0, help="backprop steps (default: 10,000 toy, 20,000 MNIST)")
    common.add_argument("--data-dir", default=os.environ.get("EVE_ARENA_DATA"), help="directory holding MNIST/raw/")
    common.add_argument("--out", default="results/self_building")
    common.add_argument("--workers", type=int, default=2)
    t = sub.add_parser("tradeoff", parents=[common])
    t.add_argument("--weights", type=float, nargs="+", default=[0, 1, 3, 10, 30, 100, 300])
    t.add_argument("--seeds", type=int, nargs="+", default=[0])
    t.add_argument("--depth", type=int, choices=(1, 2), default=1)
    t.add_argument("--self-build", choices=("quine", "residual"), default="quine")
    t.add_argument("--regenerate-every", type=int, default=0)
    h = sub.add_parser("heredity", parents=[common])
    h.add_argument("--self-builds", nargs="+", choices=("quine", "residual"), default=["quine", "residual"])
    h.add_argument("--weights", type=float, nargs="+", default=[0, 100])
    h.add_argument("--generations", type=int, default=10)
    h.add_argument("--population", type=int, default=8)
    h.add_argument("--seeds", "--seed", type=int, nargs="+", default=[0])
    h.add_argument("--grid-step", type=float, default=None, help="genomes on a grid of this step (GenomeSpec.grid_step); default: none")
    h.add_argument("--grid-train-steps", type=int, default=10_000, help="with --grid-step: Adam steps on the grid after the plain training")
    h.add_argument("--grid-weight", type=float, default=0.3, help="with --grid-step: the weight of grid_miss in those steps")
    h.add_argument("--grid-lr", type=float, default=1e-3, help="with --grid-step: their peak learning rate")
    h.add_argument("--grid-rounds", type=int, default=3, help="with --grid-step: most extra rounds (half the steps, 4x the weight) while the copy is not exact")
    h.add_argument("--lineage-depth", type=int, default=1, help="after the plain training: generations of self-building unrolled in the loss (1: off)")
    h.add_argument("--contraction-weight", type=float, default=0.0, help="after the plain training: weight of the self-copy map's squared Jacobian norm (0: off)")
    h.add_argument("--heredity-steps", type=int, default=5000, help="with --lineage-depth or --contraction-weight: Adam steps of that training")
    h.add_argument("--heredity-lr", type=float, default=1e-3, help="with --lineage-depth or --contraction-weight: its peak learning rate")
    h.add_argument("--hyper-hidden", type=str, default="", help="hidden widths of the genome's own net, e.g. 16,16 (default: the world's)")
    r = sub.add_parser("residual", parents=[common])
    r.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    r.add_argument("--generations", type=int, default=1000, help="evolution: most generations per run (the default tournament runs 1000)")
    r.add_argument("--minutes", type=float, default=3.0, help="evolution: most minutes per run")
    r.add_argument("--evolve", nargs="+", choices=("none", "seed", "parent"), default=["none", "seed", "parent"])
    args = parser.parse_args(argv)
    os.makedirs(args.out, exist_ok=True)
    try:
        {"tradeoff": tradeoff, "heredity": heredity, "residual": residual}[args.study](args)
    except UserError as exc:
        raise SystemExit(f"self_building.py: error: {exc}") from None


if __name__ == "__main__":
    main()
