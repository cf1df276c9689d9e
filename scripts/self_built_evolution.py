"""Evolution by self-built reproduction against copying, on the toy world: the issue's target (b).

    python scripts/self_built_evolution.py                      # writes results/self_building/evolution_toy.{md,csv}
    python scripts/self_built_evolution.py --seeds 0 --generations 50 --out /tmp/sbe   # a smoke run

Each run is ``eve-arena tournament --seed S`` on the default toy world with one genome for both
arms: a residual self-builder whose own net has hidden widths ``--hyper-hidden`` on a grid of
``--grid-step`` (the genome whose trained founders copy themselves exactly in
``self_building.py heredity``). ``copy``: children are copies of their parents, then mutated (the
default GA). ``self``: a copy of the parent is mutated and the mutant builds the child
(``--reproduction self --mutate parent``, developmental mutation). Both start from the same
fresh genomes, so neither starts from a trained self-copier. Runs go through ``eve_arena.sweep``
(``--backend ray --workers N`` for N at a time). Reported per arm: each seed's champion held-out
MSE at the last generation, the median, the ratio of the medians (target: self at most 1.5x
copy), and the share of generations whose champion copied itself exactly.
"""

from __future__ import annotations

import argparse
import math
import os

import numpy as np
from results_io import add_sweep_arguments, provenance, swept, tournament_config, write_atomic, write_csv  # scripts/results_io.py

from eve_arena.runs import read_metrics

ARMS = {"copy": ["--reproduction", "copy"], "self": ["--reproduction", "self", "--mutate", "parent"]}


def arm_rows(arm: str, seed: int, run) -> dict:
    rows = read_metrics(run)
    last = rows[-1]
    exact = [r["champion/copy_exact"] for r in rows if "champion/copy_exact" in r]
    return {
        "arm": arm, "seed": seed, "generations": len(rows), "champion_heldout_mse": last["champion/heldout_loss"],
        "champion_child_heldout_mse": last.get("champion/child_heldout_loss", math.nan),
        "exact_copy_share": float(np.mean(exact)) if exact else math.nan, "broken_genomes_last": last.get("population/broken_genomes", 0),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    parser.add_argument("--generations", type=int, default=1000)
    parser.add_argument("--grid-step", type=float, default=0.05)
    parser.add_argument("--hyper-hidden", default="16,16")
    add_sweep_arguments(parser)
    parser.add_argument("--out", default="results/self_building")
    args = parser.parse_args()
    genome = ["--self-build", "residual", "--grid-step", str(args.grid_step), "--hyper-hidden", args.hyper_hidden]
    configs = {
        f"{arm}_{seed}": tournament_config("--seed", str(seed), "--generations", str(args.generations), *genome, *flags)
        for arm, flags in ARMS.items() for seed in args.seeds
    }
    with swept(configs, args) as runs:
        rows = [arm_rows(arm, seed, runs[f"{arm}_{seed}"]) for arm in ARMS for seed in args.seeds]
    os.makedirs(args.out, exist_ok=True)
    write_csv(os.path.join(args.out, "evolution_toy.csv"), rows)
    medians = {arm: float(np.median([r["champion_heldout_mse"] for r in rows if r["arm"] == arm])) for arm in ARMS}
    ratio = medians["self"] / medians["copy"]
    genome_size = configs[next(iter(configs))].genome.genome_size
    lines = [
        f"Toy world, {args.generations} generations, population 64, a residual self-builder on a grid of {args.grid_step:g} "
        f"(hidden {args.hyper_hidden}, {genome_size:,} parameters) for both arms; copy: children copied, then mutated; "
        "self: a mutated copy of the parent builds the child. The champion's held-out MSE at the last generation.",
        "",
        "| arm | seed | champion held-out MSE | its child's held-out MSE | generations with an exact copy | broken genomes at the end |",
        "|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(f"| {r['arm']} | {r['seed']} | {r['champion_heldout_mse']:.4g} | {r['champion_child_heldout_mse']:.4g} | {r['exact_copy_share']:.0%} | {r['broken_genomes_last']} |")
    verdict = "met" if ratio <= 1.5 else "missed"
    lines += [
        "",
        f"Median champion held-out MSE: copy {medians['copy']:.4g}, self {medians['self']:.4g}; self / copy = {ratio:.3g} (target at most 1.5: {verdict}).",
        "",
        provenance(),
    ]
    write_atomic(os.path.join(args.out, "evolution_toy.md"), "\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
