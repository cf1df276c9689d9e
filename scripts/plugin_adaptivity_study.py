"""A plug-in world whose rule changes within an episode: fixed against plastic champions, step by step.

    python scripts/plugin_adaptivity_study.py        # 3 seeds of each, 300 generations

The world is ``examples/sine_arena``'s shifting plane (``sine_arena.shifting``): 16 points of
``(x1, x2)`` a step, the answer ``a x1 + b x2``, a new ``(a, b)`` every 4 of the episode's 12
steps; it knows nothing of eve-arena. Each run is exactly
``eve-arena tournament --env sine_arena.shifting:ShiftingPlane --hyper-hidden 14,18`` (fixed
genomes, widths read from the spaces, the hypernet widened to the plastic genome's size) or ``--env sine_arena.shifting:with_feedback --lifetime plastic`` (the same
world wrapped by ``eve_arena.envs.feedback.Feedback`` so a plastic genome learns from each
step's true answers). Then ``eve-arena adaptivity`` reads the final champion's evaluation
episodes: its squared error at every step, each change a drop, and the steps until it has
regained 90% of the drop. The runs go through ``eve_arena.sweep``: one after another, or
``--backend ray --workers N`` N at a time. Writes ``--out``/plugin_adaptivity.{md,csv,png}.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import numpy as np
from results_io import add_sweep_arguments, provenance, swept, tournament_config, write_atomic, write_csv  # scripts/results_io.py

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "sine_arena"
# The fixed genome's hypernet is widened to the plastic genome's parameter count (849 against 850).
KINDS = {"fixed": ["--env", "sine_arena.shifting:ShiftingPlane", "--hyper-hidden", "14,18"], "plastic": ["--env", "sine_arena.shifting:with_feedback", "--lifetime", "plastic"]}


def run_config(kind: str, seed: int, args):
    """``eve-arena tournament`` for one kind and seed."""
    return tournament_config(*KINDS[kind], "--population", str(args.population), "--generations", str(args.generations), "--seed", str(seed), "--eval-every", str(args.generations))


def read_run(kind: str, seed: int, run: Path) -> dict:
    """The final champion's evaluation episodes, and ``eve-arena adaptivity``'s report on them."""
    from eve_arena.adaptivity import report
    from eve_arena.config import ArenaConfig
    from eve_arena.runs import EVAL_FILE, read_metrics

    within = report(run)["within_episode"]
    last = read_metrics(run, EVAL_FILE)[-1]
    params = ArenaConfig.load(run / "config.json").genome.genome_size
    episodes = [e for entry in last["field"].values() for e in entry["episodes"]]
    return {"kind": kind, "seed": seed, "params": params, "within": within, "episodes": episodes}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--population", type=int, default=64)
    parser.add_argument("--generations", type=int, default=300)
    add_sweep_arguments(parser)
    parser.add_argument("--out", default="results/plugin_adaptivity")
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    # The world is the example package's, imported by name: here, and in Ray's workers.
    sys.path.insert(0, str(EXAMPLE))
    os.environ["PYTHONPATH"] = os.pathsep.join([str(EXAMPLE), *filter(None, [os.environ.get("PYTHONPATH")])])
    jobs = [(kind, seed) for kind in KINDS for seed in args.seeds]
    configs = {f"{kind}_{k}": run_config(kind, seed, args) for k, (kind, seed) in enumerate(jobs)}
    with swept(configs, args) as run_dirs:
        runs = [read_run(kind, seed, run_dirs[key]) for (kind, seed), key in zip(jobs, configs)]
    from eve_arena.episode_changes import mean_curve, plot_step_curves

    rows = []
    for run in runs:
        curve, _ = mean_curve(run["episodes"], "mse")
        w = run["within"]
        rows.append({
            "kind": run["kind"], "seed": run["seed"], "params": run["params"], "changes": w["changes"], "recovered": w["recovered"],
            "median_recovery_steps": w["median_recovery_steps"], "mean_drop": w["mean_drop"], "mean_mse": float(np.nanmean(curve)),
            **{f"mse_step_{t + 1}": float(v) for t, v in enumerate(curve)},
        })
    write_csv(os.path.join(args.out, "plugin_adaptivity.csv"), rows)
    steps = len([k for k in rows[0] if k.startswith("mse_step_")])
    lines = [
        f"The shifting plane (a plug-in world: 12 steps, a new rule every 4), population {args.population}, {args.generations} generations, GA; "
        f"the final champion's squared error over its evaluation episodes (8 against each ladder anchor, unseen seeds), mean per step. {provenance()}.",
        "",
        "| kind | parameters | seed | changes recovered (90% of the drop, within the phase) | median steps to recover | mean drop | mean MSE | " + " | ".join(f"step {t + 1}" for t in range(steps)) + " |",
        "|---|---|---|---|---|---|---|" + "---|" * steps,
    ]
    for r in rows:
        median = "-" if r["median_recovery_steps"] is None else f"{r['median_recovery_steps']:g}"
        lines.append(
            f"| {r['kind']} | {r['params']} | {r['seed']} | {r['recovered']} of {r['changes']} | {median} | {r['mean_drop']:.3g} | {r['mean_mse']:.3g} | "
            + " | ".join(f"{r[f'mse_step_{t + 1}']:.3g}" for t in range(steps)) + " |"
        )
    write_atomic(os.path.join(args.out, "plugin_adaptivity.md"), "\n".join(lines) + "\n")
    curves = {f"{kind} champions ({len(args.seeds)} seeds)": [e for run in runs if run["kind"] == kind for e in run["episodes"]] for kind in KINDS}
    plot_step_curves(curves, "mse", Path(args.out) / "plugin_adaptivity.png")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
