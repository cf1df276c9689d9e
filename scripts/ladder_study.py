"""The ladder against the held-out MSE: does the ladder rating rise while evolution works, and stay flat when it does not?

    python scripts/ladder_study.py                   # seeds 0 1 2 and the no-variation control

Each run is exactly ``eve-arena tournament --seed S`` (the default toy world, 1,000
generations); the control is the same with ``--sigma 0 --sigma-min 0 --crossover 0``: no
mutation and no crossover, so no genome is ever new and selection can only re-pick among the
first population. At every evaluation (every 50 generations) the champion's ladder rating
against the frozen anchors (``eve_arena.ladder``) stands beside its held-out MSE. The runs go
through ``eve_arena.sweep``: one after another, or ``--backend ray --workers N`` N at a time.
Writes ``--out``/ladder_study.{md,csv,png}.
"""

from __future__ import annotations

import argparse
import os

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
from results_io import add_sweep_arguments, provenance, save_figure, swept, tournament_config, write_atomic, write_csv  # scripts/results_io.py

from eve_arena.runs import read_metrics

CONTROL = ["--sigma", "0", "--sigma-min", "0", "--crossover", "0"]


def ladder_rows(name: str, run) -> list[dict]:
    """The run's evaluations: the champion's held-out MSE beside its ladder rating."""
    return [
        {"run": name, "generation": r["generation"], "heldout_mse": r["champion/heldout_loss"], "ladder_rating": r["ladder/rating"], "ladder_anchors": r["ladder/anchors"]}
        for r in read_metrics(run) if "ladder/rating" in r
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--generations", type=int, default=1000)
    add_sweep_arguments(parser)
    parser.add_argument("--out", default="results/ladder")
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    runs = [(f"seed {s}", s, []) for s in args.seeds] + [(f"control, seed {args.seeds[0]}", args.seeds[0], CONTROL)]
    configs = {f"run_{k}": tournament_config("--seed", str(seed), "--generations", str(args.generations), *extra) for k, (_, seed, extra) in enumerate(runs)}
    with swept(configs, args) as run_dirs:
        results = [ladder_rows(name, run_dirs[key]) for (name, _, _), key in zip(runs, configs)]
    write_csv(os.path.join(args.out, "ladder_study.csv"), [r for rows in results for r in rows])
    generations = [r["generation"] for r in results[0]]
    lines = [
        f"The default toy tournament ({args.generations} generations): the champion's ladder rating (mu against the frozen anchors) and held-out MSE at every evaluation. "
        f"The control has no mutation and no crossover (`{' '.join(CONTROL)}`). {provenance()}.",
        "",
        "| generation | " + " | ".join(f"{name}: ladder / MSE" for name, _, _ in runs) + " |",
        "|---|" + "---|" * len(runs),
    ]
    for i, g in enumerate(generations):
        lines.append(f"| {g} | " + " | ".join(f"{rows[i]['ladder_rating']:.1f} / {rows[i]['heldout_mse']:.3g}" for rows in results) + " |")
    corr = [float(np.corrcoef([r["ladder_rating"] for r in rows], np.log([r["heldout_mse"] for r in rows]))[0, 1]) for rows in results[: len(args.seeds)]]
    lines += ["", "Correlation of the ladder rating with log held-out MSE over the evaluations, per seed: " + ", ".join(f"{c:.2f}" for c in corr) + "."]
    write_atomic(os.path.join(args.out, "ladder_study.md"), "\n".join(lines) + "\n")
    fig, (ax_ladder, ax_mse) = plt.subplots(1, 2, figsize=(12, 4))
    for k, ((name, _, _), rows) in enumerate(zip(runs, results)):
        style = "--" if name.startswith("control") else "-"
        ax_ladder.plot([r["generation"] for r in rows], [r["ladder_rating"] for r in rows], style, marker="o", ms=3, color=f"C{k}", label=name)
        ax_mse.plot([r["generation"] for r in rows], [r["heldout_mse"] for r in rows], style, marker="o", ms=3, color=f"C{k}", label=name)
    ax_ladder.set_ylabel("ladder rating (mu)")
    ax_mse.set_ylabel("champion held-out MSE (log)")
    ax_mse.set_yscale("log")
    for ax in (ax_ladder, ax_mse):
        ax.set_xlabel("generation")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    fig.tight_layout()
    save_figure(fig, os.path.join(args.out, "ladder_study.png"))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
