"""Permuted MNIST, a new pixel permutation every 20 generations: who is back within 5 generations?

    python scripts/permuted_mnist_study.py          # four kinds of agent, 3 seeds, 200 generations

Each kind meets the same schedule of ``mnist_permuted-v0`` (phase 0 is plain MNIST):

- ``hypernet``: the MNIST world's default tournament (PGPE, the 2,626-parameter hypernet);
- ``direct``: the same tournament with a direct genome (the 8,070 weights themselves);
- ``plastic hypernet``: the hypernet with ``lifetime='plastic'`` in matches of ``--plastic-steps``
  steps: it learns from every batch's labels during a match, and is scored (held out) at the end
  of such a lifetime (``train.heldout_scores``);
- ``backprop``: the same net trained by Adam without restarts, one batch of 256 per generation:
  the data one generation's match shows a fixed agent (``train.backprop_through_changes``).

``eve_arena.adaptivity`` then reports every change on the champion's validation accuracy of the
current phase: the drop, and the generations until it is back to 90% of its level before the
change. Writes ``--out``/permuted_mnist_study.{md,csv,png}.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import tempfile
import time
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
from results_io import save_figure, write_atomic, write_csv  # scripts/results_io.py

from eve_arena.adaptivity import RECOVERED, analyse
from eve_arena.config import ArenaConfig
from eve_arena.envs import make_env
from eve_arena.runs import read_metrics, run_arena, start_run
from eve_arena.train import backprop_through_changes

WORLD = "eve_arena/mnist_permuted-v0"
KINDS = ("hypernet", "direct", "plastic hypernet", "backprop")
SCORE = "champion/heldout_accuracy"


def data_kwargs(args) -> dict:
    return {"data_dir": args.data_dir} if args.data_dir else {}


def evolve(kind: str, seed: int, args, scratch: Path) -> list[dict]:
    default = ArenaConfig.for_env(WORLD)
    genome, env_kwargs = default.genome, {**default.env_kwargs, "change_every": args.change_every, **data_kwargs(args)}
    if kind == "direct":
        genome = dataclasses.replace(genome, depth=0, emit="weight")
    if kind == "plastic hypernet":
        genome = dataclasses.replace(genome, lifetime="plastic", plasticity_lr=args.plasticity_lr)
        env_kwargs["max_steps"] = args.plastic_steps
    config = ArenaConfig.for_env(WORLD, genome=genome, generations=args.generations, seed=seed, checkpoint_every=args.generations, env_kwargs=env_kwargs)
    run_dir = scratch / f"{kind.replace(' ', '_')}_seed{seed}"
    start_run(config, run_dir)
    run_arena(run_dir, progress=False)
    return read_metrics(run_dir)


def backprop(seed: int, args) -> list[dict]:
    genome = dataclasses.replace(ArenaConfig.for_env(WORLD).genome, depth=0, emit="weight")
    env = make_env(WORLD, num_agents=1, change_every=args.change_every, **data_kwargs(args))
    return backprop_through_changes(genome, env, args.generations, steps_per_generation=1, lr=args.lr, seed=seed)


def summarise(kind: str, seed: int, rows: list[dict], args, seconds: float) -> dict:
    _, changes = analyse(rows, SCORE)
    waits = [c.recovery_generations for c in changes]
    back = [w for w in waits if w is not None and w <= args.within]
    return {
        "kind": kind, "seed": seed, "changes": len(changes), f"back_within_{args.within}": len(back),
        "max_generations_to_90pct": max((w for w in waits if w is not None), default=None) if None not in waits else None,
        "mean_accuracy_before": round(float(np.mean([c.before for c in changes])), 4), "mean_drop": round(float(np.mean([c.drop for c in changes])), 4),
        "mean_accuracy_over_phases": round(float(np.mean([c.area for c in changes])), 4), "final_accuracy": round(float(rows[-1][SCORE]), 4), "seconds": round(seconds, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--kinds", nargs="+", choices=KINDS, default=list(KINDS))
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--generations", type=int, default=200)
    parser.add_argument("--change-every", type=int, default=20)
    parser.add_argument("--within", type=int, default=5, help="generations a champion may take to be back to 90%% of its level")
    parser.add_argument("--plastic-steps", type=int, default=16, help="steps of a plastic agent's match (its lifetime)")
    parser.add_argument("--plasticity-lr", type=float, default=0.003)
    parser.add_argument("--lr", type=float, default=1e-2, help="backprop: Adam's learning rate")
    parser.add_argument("--data-dir", help="directory holding MNIST/raw/ (default $EVE_ARENA_DATA)")
    parser.add_argument("--out", default="results/permuted_mnist")
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    rows, curves = [], {}
    with tempfile.TemporaryDirectory() as scratch:
        for kind in args.kinds:
            for seed in args.seeds:
                started = time.time()
                metrics = backprop(seed, args) if kind == "backprop" else evolve(kind, seed, args, Path(scratch))
                curves[(kind, seed)] = [m[SCORE] for m in metrics]
                rows.append(summarise(kind, seed, metrics, args, time.time() - started))
                print(json.dumps(rows[-1]), flush=True)
    write_csv(os.path.join(args.out, "permuted_mnist_study.csv"), rows)
    write_atomic(os.path.join(args.out, "permuted_mnist_study.md"), table(rows, args))
    plot(curves, args)
    print(json.dumps({"wrote": [f"{args.out}/permuted_mnist_study.{ext}" for ext in ("md", "csv", "png")]}))


def table(rows: list[dict], args) -> str:
    within = f"back_within_{args.within}"
    command = (
        f"python scripts/permuted_mnist_study.py --kinds {' '.join(repr(k) if ' ' in k else k for k in args.kinds)} --seeds {' '.join(map(str, args.seeds))} "
        f"--generations {args.generations} --change-every {args.change_every} --plastic-steps {args.plastic_steps} --plasticity-lr {args.plasticity_lr} --lr {args.lr}"
    )
    lines = [
        (
            f"Permuted MNIST (`mnist_permuted-v0`), a new permutation every {args.change_every} generations, {args.generations} generations, seeds {', '.join(map(str, args.seeds))}: "
            f"the champion's validation accuracy on the current phase through each change (`eve_arena.adaptivity`). Plastic agents play matches of {args.plastic_steps} steps "
            f"and are scored after such a lifetime; backprop takes one Adam step (lr {args.lr:g}) of 256 images per generation."
        ),
        "",
        f"`{command}`",
        "",
        f"| kind | changes back to {RECOVERED:.0%} within {args.within} generations | accuracy before a change (mean) | drop (mean) | mean accuracy over the phases | final accuracy, per seed | minutes per run |",
        "|---|---|---|---|---|---|---|",
    ]
    for kind in args.kinds:
        mine = [r for r in rows if r["kind"] == kind]
        finals = ", ".join(f"{r['final_accuracy']:.1%}" for r in mine)
        lines.append(
            f"| {kind} | {sum(r[within] for r in mine)} of {sum(r['changes'] for r in mine)} | {np.mean([r['mean_accuracy_before'] for r in mine]):.1%} | "
            f"{np.mean([r['mean_drop'] for r in mine]):.1%} | {np.mean([r['mean_accuracy_over_phases'] for r in mine]):.1%} | {finals} | {np.mean([r['seconds'] for r in mine]) / 60:.1f} |"
        )
    return "\n".join(lines) + "\n"


def plot(curves: dict, args) -> None:
    fig, ax = plt.subplots(figsize=(11, 4.5))
    for k, kind in enumerate(args.kinds):
        for seed in args.seeds:
            ax.plot(curves[(kind, seed)], color=f"C{k}", lw=1, alpha=0.9 if seed == args.seeds[0] else 0.35, label=kind if seed == args.seeds[0] else None)
    for g in range(args.change_every, args.generations, args.change_every):
        ax.axvline(g, color="0.5", lw=0.6, ls=":")
    ax.set_xlabel("generation (dotted: a new pixel permutation)")
    ax.set_ylabel("champion validation accuracy, current phase")
    ax.set_ylim(0, 1)
    ax.set_title(f"permuted MNIST: every seed ({', '.join(map(str, args.seeds))}), the first drawn darker")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="upper left")
    fig.tight_layout()
    save_figure(fig, os.path.join(args.out, "permuted_mnist_study.png"))


if __name__ == "__main__":
    main()
