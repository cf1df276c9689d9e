"""Hypernet against direct genomes and a backprop reference in changing toy worlds, by the adaptivity report.

    python scripts/adaptivity_study.py                 # switch and drift, all three, 3 seeds

Each (world, genome, seed) is a default tournament (GA, population 64) on a changing toy world
whose target changes every ``--change-every`` generations; the ``backprop`` reference is the
direct net trained by Adam without restarts, on the four batches of 256 a generation's match
shows (``train.backprop_through_changes``). ``eve_arena.adaptivity`` then
reports every change: the champion's drop, the generations until its held-out MSE is back to
its level before the change over 0.9, and the mean MSE over the phase (the area under the
curve per generation). Writes ``--out``/adaptivity_study.{md,csv,png} and each run's report.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import shutil
import tempfile
import time
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
from results_io import provenance, save_figure, write_atomic, write_csv  # scripts/results_io.py

from eve_arena.adaptivity import write_report
from eve_arena.config import ArenaConfig
from eve_arena.envs import make_env
from eve_arena.runs import read_metrics, run_arena, start_run
from eve_arena.train import backprop_through_changes

WORLDS = {"switch": "eve_arena/toy_switch-v0", "drift": "eve_arena/toy_drift-v0"}


def genome_for(world: str, kind: str):
    default = ArenaConfig.for_env(WORLDS[world]).genome
    return default if kind == "hypernet" else dataclasses.replace(default, depth=0)


def env_kwargs(args) -> dict:
    return {"batch_size": 256, "max_steps": 4, "change_every": args.change_every}


def one_run(world: str, kind: str, seed: int, args, scratch: Path) -> tuple[dict, list[dict]]:
    started = time.time()
    keep = Path(args.out) / "runs" / f"{world}_{kind}_seed{seed}"
    keep.mkdir(parents=True, exist_ok=True)
    run_dir = scratch / keep.name
    if kind == "backprop":
        # The direct net trained by Adam without restarts, on the batches a generation's match shows.
        env = make_env(WORLDS[world], num_agents=1, **env_kwargs(args))
        metrics = backprop_through_changes(genome_for(world, kind), env, args.generations, steps_per_generation=env_kwargs(args)["max_steps"], lr=args.lr, seed=seed)
    else:
        config = ArenaConfig.for_env(WORLDS[world], genome=genome_for(world, kind), generations=args.generations, seed=seed, checkpoint_every=args.generations, env_kwargs=env_kwargs(args))
        start_run(config, run_dir)
        run_arena(run_dir, progress=False)
        metrics = read_metrics(run_dir)
    result = write_report(metrics, run_dir)
    shutil.copy(run_dir / "adaptivity.json", keep / "adaptivity.json")
    summary, changes, params = result["summary"], result["changes"], genome_for(world, kind).genome_size
    row = {
        "world": world, "genome": kind, "genome_params": params, "seed": seed, "changes": summary["changes"],
        "recovered": summary["recovered"], "median_recovery_generations": summary["median_recovery_generations"],
        "mean_drop": summary["mean_drop"], "mean_area": float(np.mean([c["area"] for c in changes])),
        "dead_units_at_end": metrics[-1].get("champion/dead_units", ""), "seconds": round(time.time() - started, 1),
    }
    return row, metrics


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--worlds", nargs="+", choices=WORLDS, default=list(WORLDS))
    parser.add_argument("--genomes", nargs="+", choices=("hypernet", "direct", "backprop"), default=["hypernet", "direct", "backprop"])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--generations", type=int, default=200)
    parser.add_argument("--change-every", type=int, default=20)
    parser.add_argument("--lr", type=float, default=1e-2, help="backprop: Adam's learning rate")
    parser.add_argument("--out", default="results/adaptivity")
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    rows, curves = [], {}
    with tempfile.TemporaryDirectory() as scratch:
        for world in args.worlds:
            for kind in args.genomes:
                for seed in args.seeds:
                    row, metrics = one_run(world, kind, seed, args, Path(scratch))
                    rows.append(row)
                    curves[(world, kind, seed)] = metrics
                    print(f"{world:6s} {kind:8s} seed {seed}: {row['recovered']}/{row['changes']} changes recovered, median {row['median_recovery_generations']} generations, "
                          f"mean drop {row['mean_drop']:.4g}, mean MSE over phases {row['mean_area']:.4g} ({row['seconds']} s)", flush=True)
    write_csv(os.path.join(args.out, "adaptivity_study.csv"), rows)
    lines = [
        (
            f"Hypernet against direct genomes in changing toy worlds: default tournaments (GA, population 64) of {args.generations} generations, "
            f"the target changing every {args.change_every}; champion held-out MSE through each change (`eve_arena.adaptivity`). "
            f"The backprop reference trains the direct net by Adam (lr {args.lr:g}) without restarts, on the four batches of 256 a generation's match shows."
        ),
        "",
        f"`python scripts/adaptivity_study.py --worlds {' '.join(args.worlds)} --genomes {' '.join(args.genomes)} --seeds {' '.join(map(str, args.seeds))} --generations {args.generations} --change-every {args.change_every} --lr {args.lr:g}`",
        "",
        "| world | genome | parameters | changes recovered (to 90% within the phase) | generations to recover (median of the seeds' medians) | mean drop (MSE) | mean MSE over phases, per seed |",
        "|---|---|---|---|---|---|---|",
    ]
    for world in args.worlds:
        for kind in args.genomes:
            mine = [r for r in rows if r["world"] == world and r["genome"] == kind]
            waits = [r["median_recovery_generations"] for r in mine if r["median_recovery_generations"] is not None]
            areas = ", ".join(f"{r['mean_area']:.3g}" for r in mine)
            lines.append(
                f"| {world} | {kind} | {mine[0]['genome_params']} | {sum(r['recovered'] for r in mine)} of {sum(r['changes'] for r in mine)} | "
                f"{np.median(waits) if waits else '-'} | {np.mean([r['mean_drop'] for r in mine]):.4g} | {areas} |"
            )
    if "backprop" in args.genomes:
        dead = "; ".join(f"{world} " + ", ".join(str(r["dead_units_at_end"]) for r in rows if r["world"] == world and r["genome"] == "backprop") for world in args.worlds)
        width = sum(genome_for(args.worlds[0], "backprop").target[1:-1])
        lines += ["", f"Hidden units of the backprop net (of {width}) that answer every held-out input alike at the end of the run, per seed: {dead}."]
    write_atomic(os.path.join(args.out, "adaptivity_study.md"), "\n".join([*lines, "", provenance()]) + "\n")
    fig, axes = plt.subplots(1, len(args.worlds), figsize=(7 * len(args.worlds), 4), squeeze=False)
    for ax, world in zip(axes[0], args.worlds):
        for k, kind in enumerate(args.genomes):
            metrics = curves[(world, kind, args.seeds[0])]
            gens = [m["generation"] for m in metrics]
            ax.plot(gens, [m["champion/heldout_loss"] for m in metrics], color=f"C{k}", label=f"{kind} (seed {args.seeds[0]})")
        for g in range(args.change_every, args.generations, args.change_every):
            ax.axvline(g, color="0.5", lw=0.6, ls=":")
        ax.set_yscale("log")
        ax.set_xlabel("generation (dotted: the target changes)")
        ax.set_ylabel("champion held-out MSE")
        ax.set_title(f"toy {world}")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    fig.tight_layout()
    save_figure(fig, os.path.join(args.out, "adaptivity_study.png"))
    print(json.dumps({"wrote": [f"{args.out}/adaptivity_study.{ext}" for ext in ("md", "csv", "png")]}))


if __name__ == "__main__":
    main()
