"""The MNIST world's design choices, each compared with the defaults on the validation split.

    python scripts/mnist_design_study.py --minutes 1.5 --seeds 3 --out results/mnist_design
    python scripts/mnist_design_study.py --variants default,clipup --seeds 2 --minutes 1
    python scripts/mnist_design_study.py --variants default,hyper_32,depth2,depth2_uncentred --seeds 3 --minutes 3 --out results/mnist_depth
    python scripts/mnist_design_study.py --train-limit 512 --generations 3 --seeds 1   # smoke

Every arm is ``ArenaConfig.for_env("eve_arena/mnist-v0")`` with one factor changed (``default``
changes none), driven as ``scripts/mnist_evolution.py`` drives it: ``Arena.step`` until a fixed
time budget of generations is spent (``--minutes``; data loading and set-up come before the
clock), with one torch thread, ``--parallel`` runs side by side. A fixed time budget is fair to
variants that are slower per generation (a wider hypernet, a larger population, single weights
instead of columns): what they buy per generation must pay for the generations they lose. The
budget is the run's own CPU time by default (``--clock cpu``): on a machine shared with other
work, wall time would hand fewer generations to whichever arm ran during a busy spell.
Each run records the champion's validation accuracy (the 5,000 held-out training images the
arena already picks the champion on) every ``--every`` generations and at the end. Only after
the last generation does it score the champion on the 10,000 test images, for the report: the
ranking and the verdicts read validation accuracy alone.

A verdict says a variant is better or worse than the defaults only when the two arms' ranges of
final validation accuracy over seeds do not overlap; otherwise it is ``within noise``.

Writes ``results.json`` (every run's curve and final figures, the summary, provenance),
``results.md`` (the table) and ``results.png`` (every run's validation curve) under ``--out``; each run's own JSON lands in ``--out/runs/``.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import sys
import time
from dataclasses import dataclass

from results_io import provenance, run_side_by_side, write_atomic  # scripts/results_io.py

ENV = "eve_arena/mnist-v0"
HERE = os.path.dirname(os.path.abspath(__file__))


def variants() -> dict[str, tuple[str, dict]]:
    """Each arm's one-line description and its overrides of the MNIST defaults (``ArenaConfig`` fields)."""
    from eve_arena.envs import ENV_DEFAULTS, MNIST_GENOME

    kwargs = ENV_DEFAULTS[ENV]["strategy_kwargs"]
    return {
        "default": ("the MNIST defaults", {}),
        # ClipUp's center_lr is a step length in norm, not Adam's per-coordinate rate: 0.05 (max
        # speed 0.1) is the world's ClipUp setting before Adam replaced it.
        "clipup": ("ClipUp instead of Adam (center_lr 0.05, max speed 0.1)", {"strategy_kwargs": {**kwargs, "optimizer": "clipup", "center_lr": 0.05}}),
        "center_out": ("PGPE's center does not play (nor can it be champion)", {"strategy": "pgpe_center_out"}),
        "emit_weight": ("hypernet emits single weights, not columns", {"genome": {**MNIST_GENOME, "emit": "weight"}}),
        "hyper_16": ("hypernet hidden 16-16 (default 24-24)", {"genome": {**MNIST_GENOME, "hyper_hidden": ((16, 16), (16, 16))}}),
        "hyper_32": ("hypernet hidden 32-32 (default 24-24)", {"genome": {**MNIST_GENOME, "hyper_hidden": ((32, 32), (32, 32))}}),
        "population_128": ("population 128 (default 64)", {"population": 128}),
        # The seed's chapter 6 genome (scripts/seed_mnist.py): a hyper-hypernet that builds a
        # 32-32 column hypernet, with and without its generated units centred.
        "depth2": ("hyper-hypernet 36-36 -> column hypernet 32-32, units centred (chapter 6)", {"genome": {**MNIST_GENOME, "depth": 2, "hyper_hidden": ((32, 32), (36, 36)), "center_units": True}}),
        "depth2_uncentred": ("hyper-hypernet as chapter 6, units not centred", {"genome": {**MNIST_GENOME, "depth": 2, "hyper_hidden": ((32, 32), (36, 36))}}),
        "constant_lr": ("constant center_lr (no 0.99985 decay)", {"strategy_kwargs": {**kwargs, "center_lr_decay": 1.0}}),
    }


def register_center_out() -> None:
    """``pgpe_center_out``: PGPE whose center the arena does not seat. The arena seats a strategy's
    center when the strategy has a ``center`` method (``Arena._center``); this one has none."""
    from eve_arena.strategies import PGPE, STRATEGIES

    @dataclass(frozen=True)
    class PGPECenterOut(PGPE):
        center = None

    STRATEGIES.setdefault("pgpe_center_out", PGPECenterOut)


def one_run(arm: str, seed: int, minutes: float, generations: int, train_limit: int | None, every: int, clock: str = "cpu") -> dict:
    """One arm on one seed with one torch thread: the champion's validation curve, its final
    validation accuracy, and then (report only) its test accuracy."""
    import torch

    from eve_arena.arena import Arena
    from eve_arena.config import ArenaConfig
    from eve_arena.genome import GenomeSpec
    from eve_arena.train import heldout_scores

    register_center_out()
    description, changes = variants()[arm]
    base = ArenaConfig.for_env(ENV)
    overrides = {"seed": seed, "threads": 1, "hall_of_fame": 0, "eval_every": 10**9, "env_kwargs": {**base.env_kwargs, "train_limit": train_limit}, **changes}
    if "genome" in overrides:
        overrides["genome"] = GenomeSpec(**{**GenomeSpec().to_dict(), "encoding": "fourier", **overrides["genome"]})
    config = ArenaConfig.for_env(ENV, **overrides)
    arena = Arena(config)
    arena.task().arrays("train")  # load the data before the clock starts
    curve, metrics = [], {}
    spent = time.process_time if clock == "cpu" else time.perf_counter
    started, cpu_started = time.perf_counter(), time.process_time()
    budget_started = spent()
    while spent() - budget_started < 60 * minutes and arena.state.generation < generations:
        metrics = arena.step()
        if arena.state.generation % every == 0:
            curve.append({"generation": arena.state.generation, "seconds": round(time.perf_counter() - started, 1), "cpu_seconds": round(time.process_time() - cpu_started, 1),
                          "validation_accuracy": metrics["champion/heldout_accuracy"]})
    wall, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    validation = float(heldout_scores(config.genome, arena.state.champion[None], arena.task(), config.device, split="heldout")["accuracy"][0])
    test = float(heldout_scores(config.genome, arena.state.champion[None], arena.task(), config.device, split="test")["accuracy"][0])  # report only
    return {"arm": arm, "description": description, "seed": seed, "strategy": config.strategy, "strategy_kwargs": config.strategy_kwargs, "population": config.population,
            "hyper_hidden": config.genome.hyper_hidden, "emit": config.genome.emit, "genome_params": config.genome.genome_size, "torch_threads": torch.get_num_threads(),
            "clock": clock, "generations": arena.state.generation, "wall_s": round(wall, 1), "cpu_s": round(cpu, 1),
            "seconds_per_generation": round(wall / max(arena.state.generation, 1), 4), "cpu_seconds_per_generation": round(cpu / max(arena.state.generation, 1), 4),
            "validation_accuracy": validation, "champion_is_center": metrics.get("champion/is_center"), "curve": curve, "test_accuracy_report_only": test, "load_average": os.getloadavg()}


def summarise(runs: list[dict], arms: list[str]) -> list[dict]:
    """One row per arm, ranked by mean final validation accuracy; verdicts against ``default``
    only where the seed ranges do not overlap. Test accuracy is carried along, never read."""

    def stats(values: list[float]) -> dict:
        return {"mean": statistics.fmean(values), "std": statistics.stdev(values) if len(values) > 1 else math.nan, "min": min(values), "max": max(values)}

    rows = []
    for arm in arms:
        mine = sorted((r for r in runs if r["arm"] == arm), key=lambda r: r["seed"])
        if not mine:
            continue
        val = stats([r["validation_accuracy"] for r in mine])
        rows.append({"arm": arm, "description": mine[0]["description"], "seeds": [r["seed"] for r in mine], "validation": val,
                     "generations_mean": statistics.fmean(r["generations"] for r in mine), "cpu_seconds_per_generation_mean": statistics.fmean(r["cpu_seconds_per_generation"] for r in mine),
                     "test_report_only": stats([r["test_accuracy_report_only"] for r in mine])})
    rows.sort(key=lambda row: -row["validation"]["mean"])
    default = next((row for row in rows if row["arm"] == "default"), None)
    for rank, row in enumerate(rows, 1):
        row["rank_by_validation"] = rank
        if default is None or row is default:
            row["verdict_vs_default"] = "-"
        elif row["validation"]["min"] > default["validation"]["max"]:
            row["verdict_vs_default"] = "better"
        elif row["validation"]["max"] < default["validation"]["min"]:
            row["verdict_vs_default"] = "worse"
        else:
            row["verdict_vs_default"] = "within noise"
    return rows


def markdown(summary: list[dict], meta: dict) -> str:
    def pct(s: dict) -> str:
        spread = f" ± {100 * s['std']:.1f}" if not math.isnan(s["std"]) else ""
        return f"{100 * s['mean']:.1f}{spread} ({100 * s['min']:.1f}–{100 * s['max']:.1f})"

    unit = "CPU time" if meta["clock"] == "cpu" else "wall time"
    budget = f"{meta['minutes']:g} min of {unit}" if meta["generations"] >= 10**9 else f"at most {meta['generations']} generations or {meta['minutes']:g} min of {unit}"
    lines = [
        f"Each run: {budget} of generations, one torch thread, {meta['parallel']} runs side by side on a {os.cpu_count()}-core machine; "
        f"shorter than the 10-minute, 2-thread headline run of `scripts/mnist_evolution.py`, so slow-acting choices (the step size's decay) are judged early."
        + (f" Training images limited to {meta['train_limit']} (smoke run)." if meta["train_limit"] else ""),
        "Validation accuracy: the champion on the 5,000 held-out training images, mean ± sample std over seeds (range). "
        "Rank and verdict read validation only: a verdict needs the seed ranges not to overlap. Test accuracy (10,000 images) is measured once per run after its last generation and is report-only.",
        "",
        "| rank (validation) | variant | seeds | validation accuracy % | verdict vs default | generations (mean) | CPU s / generation | test accuracy % (report only) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for row in summary:
        lines.append(f"| {row['rank_by_validation']} | {row['arm']}: {row['description']} | {len(row['seeds'])} | {pct(row['validation'])} | {row['verdict_vs_default']} "
                     f"| {row['generations_mean']:,.0f} | {row['cpu_seconds_per_generation_mean']:.3f} | {pct(row['test_report_only'])} |")
    lines += ["", f"{meta['provenance']}; wall time {meta['wall_s'] / 60:.1f} min.", ""]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=1.5, help="time budget of each run's generations (see --clock)")
    parser.add_argument("--clock", choices=("cpu", "wall"), default="cpu", help="what --minutes measures: the run's own CPU time (fair on a shared machine) or wall time")
    parser.add_argument("--generations", type=int, default=10**9, help="stop a run earlier after this many generations")
    parser.add_argument("--seeds", type=int, default=3, help="seeds per arm (0, 1, ...)")
    parser.add_argument("--variants", default=",".join(variants()), help="comma-separated arms; default is always among them")
    parser.add_argument("--parallel", type=int, default=2, help="runs side by side (one torch thread each)")
    parser.add_argument("--train-limit", type=int, default=None, help="use only the first N training images (smoke tests)")
    parser.add_argument("--every", type=int, default=50, help="record the champion's validation accuracy every N generations")
    parser.add_argument("--out", default="results/mnist_design", help="directory for results.json, results.md and runs/")
    parser.add_argument("--summarise-only", action="store_true", help="run nothing: summarise the run files already in --out/runs (a study cut short)")
    parser.add_argument("--one", nargs=2, metavar=("ARM", "SEED"), help=argparse.SUPPRESS)  # a worker: one run, JSON to --out
    args = parser.parse_args()

    if args.one:
        result = one_run(args.one[0], int(args.one[1]), args.minutes, args.generations, args.train_limit, args.every, args.clock)
        write_atomic(args.out, json.dumps(result, indent=1))
        return

    arms = ["default", *[a for a in args.variants.split(",") if a and a != "default"]]
    unknown = sorted(set(arms) - set(variants()))
    if unknown:
        sys.exit(f"unknown variants {unknown}; choose from {', '.join(variants())}")
    meta = {"provenance": provenance(), "minutes": args.minutes, "generations": args.generations, "seeds": args.seeds, "parallel": args.parallel, "train_limit": args.train_limit,
            "env": ENV, "clock": args.clock}
    runs_dir = os.path.join(args.out, "runs")
    os.makedirs(runs_dir, exist_ok=True)
    # Seed-major order: each arm's seeds are spread over the study, so a busy spell of the shared
    # machine does not fall on one arm alone.
    jobs = [(arm, seed) for seed in range(args.seeds) for arm in arms]
    started = time.perf_counter()
    commands = [
        (f"{arm} seed {seed}", [sys.executable, os.path.join(HERE, "mnist_design_study.py"), "--one", arm, str(seed), "--minutes", str(args.minutes), "--clock", args.clock, "--generations", str(args.generations),
                                "--every", str(args.every), "--out", os.path.join(runs_dir, f"{arm}-seed{seed}.json")] + (["--train-limit", str(args.train_limit)] if args.train_limit else []))
        for arm, seed in jobs
    ]
    run_side_by_side([] if args.summarise_only else commands, args.parallel)
    runs = []
    for arm, seed in jobs:
        path = os.path.join(runs_dir, f"{arm}-seed{seed}.json")
        if os.path.exists(path):
            with open(path) as fh:
                runs.append(json.load(fh))
    if args.summarise_only:
        meta["wall_s"] = round(sum(r["wall_s"] for r in runs) / max(args.parallel, 1), 1)  # the runs' own time, side by side
    else:
        meta["wall_s"] = round(time.perf_counter() - started, 1)
    summary = summarise(runs, arms)
    write_atomic(os.path.join(args.out, "results.json"), json.dumps({"meta": meta, "summary": summary, "runs": runs}, indent=1))
    write_atomic(os.path.join(args.out, "results.md"), markdown(summary, meta))
    plot(runs, arms, meta, os.path.join(args.out, "results.png"))
    print(markdown(summary, meta))


def plot(runs: list[dict], arms: list[str], meta: dict, path: str) -> None:
    """Each run's champion validation curve against the run's own time, one colour per arm."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from results_io import save_figure

    clock = "cpu_seconds" if meta["clock"] == "cpu" else "seconds"
    fig, ax = plt.subplots(figsize=(8, 5))
    for index, arm in enumerate(arms):
        mine = [r for r in runs if r["arm"] == arm]
        for k, run in enumerate(sorted(mine, key=lambda r: r["seed"])):
            points = [(c[clock] / 60, 100 * c["validation_accuracy"]) for c in run["curve"]]
            label = f"{arm} ({run['genome_params']:,} params, {len(mine)} seeds)" if k == 0 else None
            if points:
                ax.plot(*zip(*points), color=f"C{index}", alpha=0.8, lw=1.2, label=label)
    ax.set(xlabel=f"{'CPU' if meta['clock'] == 'cpu' else 'wall'} minutes of the run", ylabel="champion's validation accuracy %", title="MNIST by evolution: one line per seed")
    ax.grid(alpha=0.3)
    ax.legend(loc="lower right", fontsize=8)
    fig.tight_layout()
    save_figure(fig, path)


if __name__ == "__main__":
    main()
