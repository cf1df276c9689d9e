"""Evolution alone on the toy quadratic world: the default run over several seeds, and a longer run.

    python scripts/toy_evolution.py                  # writes results/toy_evolution.{md,csv}
    python scripts/toy_evolution.py --seeds 0 1 --long-generations 0   # quicker

Each run is exactly `eve-arena tournament --seed S` with the defaults (quadratic toy task,
depth-1 Fourier-coordinate hypernet genomes, population 64, 1000 generations), run by
`eve_arena.sweep` (one after another, or with `--backend ray --workers N` N at a time); the long
run raises population and generations. No backprop anywhere: fitness is the tournament rating.
The table gives the champion's held-out MSE (its expected squared error over x ~ N(0, 1), by
the task's quadrature, plus the noise variance; the target's variance is about 200) and the
wall time on the machine that ran it.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import numpy as np
from results_io import provenance, write_atomic, write_csv  # scripts/results_io.py

from eve_arena.config import ArenaConfig
from eve_arena.sweep import sweep

if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4], help="seeds of the default-sized runs")
    parser.add_argument("--generations", type=int, default=1000, help="generations of the default-sized runs (fewer for a smoke run)")
    parser.add_argument("--long-population", type=int, default=128, help="population of the long run")
    parser.add_argument("--long-generations", type=int, default=4000, help="generations of the long run (0: skip it)")
    parser.add_argument("--backend", choices=("local", "ray"), default="local", help="local: one run after another, each timed alone; ray: --workers runs at a time (wall times then share the machine)")
    parser.add_argument("--workers", type=int, default=1, help="ray: runs at a time")
    parser.add_argument("--out", type=Path, default=Path("results"), help="where the table goes")
    args = parser.parse_args()

    configs = {f"seed_{seed}": ArenaConfig(seed=seed, generations=args.generations) for seed in args.seeds}
    if args.long_generations:
        configs["long"] = ArenaConfig(population=args.long_population, generations=args.long_generations, seed=0)
    with tempfile.TemporaryDirectory() as tmp:
        swept = sweep(configs, tmp, backend=args.backend, workers=args.workers)
    rows = [
        {"population": config.population, "generations": config.generations, "seed": config.seed, "champion_heldout_mse": row["held-out loss"], "wall_s": row["wall_s"]}
        for config, row in zip(configs.values(), swept)
    ]
    for row in rows:
        print(row, flush=True)

    args.out.mkdir(parents=True, exist_ok=True)
    write_csv(str(args.out / "toy_evolution.csv"), rows)
    default = [r for r in rows if r["population"] == 64 and r["generations"] == args.generations]
    lines = ["| run | population | generations | seed | champion held-out MSE | wall time (s) |", "|---|---|---|---|---|---|"]
    for r in rows:
        kind = "default" if r in default else "long"
        lines.append(f"| {kind} | {r['population']} | {r['generations']} | {r['seed']} | {r['champion_heldout_mse']:.3f} | {r['wall_s']:.0f} |")
    if default:
        mses = np.array([r["champion_heldout_mse"] for r in default])
        lines.append("")
        lines.append(f"Default runs: median champion held-out MSE {np.median(mses):.3f} (max {mses.max():.3f}); {int((mses <= 2.0).sum())} of {len(mses)} at or below 2.0.")
    lines.append("")
    ray = f" --backend ray --workers {args.workers}" if args.backend == "ray" else ""
    lines.append("Made by `python scripts/toy_evolution.py " + " ".join(f"--seeds {' '.join(map(str, args.seeds))}".split()) + (f" --generations {args.generations}" if args.generations != 1000 else "") + f" --long-population {args.long_population} --long-generations {args.long_generations}{ray}` ({provenance().split(';')[0]}).")
    write_atomic(str(args.out / "toy_evolution.md"), "\n".join(lines) + "\n")
    print("\n".join(lines))
