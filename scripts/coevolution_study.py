"""Does competition that shapes the data help? Solvers co-evolved with challengers against solvers evolved on the fixed distribution.

    python scripts/coevolution_study.py --out results/coevolution
    python scripts/coevolution_study.py --generations 4 --seeds 0 --reach 4 --out /tmp/c   # smoke

Arms, each for ``--generations`` generations from the same seed:

- ``fixed``: the default toy tournament (``ArenaConfig()``: 64 hypernet genomes, the GA, one
  free-for-all a generation on 4 batches of 256 points, x ~ N(0, 1)), champion the best rated;
- ``coevolved (reach R)``: the same solvers, genome, population, strategy, batch and steps in the
  two-role toy world (``envs.toy_challenge``) with 16 challengers (``coevolution``), who choose
  where half of every batch is drawn and are paid regret within reach ``R``.

The solvers see as many batches of the same size in both arms; the challengers only move where
half of them fall. Each champion is scored on the toy task's held-out quadrature (validation,
x ~ N(0, 1)) and on a wider one (x ~ N(0, 2^2) within the challengers' bounds, ``WideToyTask``)
every ``--every`` generations; at the end on the test quadratures of both (report only).

Writes ``coevolution.json`` (every run's curve, provenance), ``coevolution.md`` (medians over
seeds) and ``coevolution.png`` under ``--out``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time

from results_io import provenance, run_side_by_side, save_figure, write_atomic  # scripts/results_io.py

FIXED = "fixed"


def arm_name(reach: float | None) -> str:
    return FIXED if reach is None else f"coevolved (reach {reach:g})"


def one_run(reach: float | None, seed: int, generations: int, every: int) -> dict:
    import torch

    from eve_arena.arena import Arena
    from eve_arena.challenge_heldout import WideToyTask
    from eve_arena.coevolution import TOY_WORLD_KWARGS, Coevolution, CoevolutionConfig
    from eve_arena.config import ArenaConfig
    from eve_arena.tasks import ToyTask
    from eve_arena.train import heldout_scores

    torch.set_num_threads(1)
    base = ArenaConfig(seed=seed, hall_of_fame=0, eval_every=10**9)
    if reach is None:
        runner = Arena(base)
        step, champion = runner.step, lambda: runner.state.champion
    else:
        runner = Coevolution(CoevolutionConfig(seed=seed, env_kwargs={**TOY_WORLD_KWARGS, **base.env_kwargs, "reach": reach}, ladder_every=0))
        step, champion = runner.step, lambda: runner.champion
    tasks = {"original": ToyTask("quadratic"), "wide": WideToyTask("quadratic")}

    def scores(split: str) -> dict:
        return {name: float(heldout_scores(base.genome, champion()[None], task, split=split)["loss"][0]) for name, task in tasks.items()}

    curve, last = [], {}
    started = time.process_time()
    for generation in range(generations):
        last = step()
        if (generation + 1) % every == 0 or generation + 1 == generations:
            curve.append({"generation": generation + 1, **{f"{k}_heldout_mse": v for k, v in scores("heldout").items()},
                          **{k: v for k, v in last.items() if k.startswith("challenger/")}})
    final = {f"{k}_test_mse": v for k, v in scores("test").items()} | {f"{k}_heldout_mse": v for k, v in scores("heldout").items()}
    return {"arm": arm_name(reach), "reach": reach, "seed": seed, "generations": generations, "cpu_s": round(time.process_time() - started, 1), "curve": curve, "final": final}


def summarise(runs: list[dict], arms: list[str]) -> list[dict]:
    rows = []
    for arm in arms:
        mine = sorted((r for r in runs if r["arm"] == arm), key=lambda r: r["seed"])
        row = {"arm": arm, "seeds": [r["seed"] for r in mine], "cpu_s": statistics.median(r["cpu_s"] for r in mine)}
        for key in ("original_heldout_mse", "wide_heldout_mse", "original_test_mse", "wide_test_mse"):
            row[key] = [r["final"][key] for r in mine]
            row[f"{key}_median"] = statistics.median(row[key])
        rows.append(row)
    return rows


def verdicts(summary: list[dict]) -> list[str]:
    """The issue's target, per co-evolved arm, on validation medians: better on the wide data, at
    most 10% worse on the original."""
    fixed = next(r for r in summary if r["arm"] == FIXED)
    lines = []
    for row in summary:
        if row["arm"] == FIXED:
            continue
        wide = row["wide_heldout_mse_median"] < fixed["wide_heldout_mse_median"]
        cost = row["original_heldout_mse_median"] / fixed["original_heldout_mse_median"] - 1
        met = wide and cost <= 0.10
        lines.append(f"- {row['arm']}: wide held-out median MSE {row['wide_heldout_mse_median']:.3g} against {fixed['wide_heldout_mse_median']:.3g} ({'better' if wide else 'not better'}); "
                     f"original held-out {cost:+.0%} against the fixed arm: target **{'met' if met else 'missed'}**.")
    return lines


def markdown(summary: list[dict], meta: dict) -> str:
    def cell(row: dict, key: str) -> str:
        return f"**{row[key + '_median']:.3g}** ({', '.join(f'{v:.3g}' for v in row[key])})"

    lines = [
        f"Toy quadratic, {meta['generations']} generations, seeds {', '.join(map(str, meta['seeds']))}: the champion's MSE, median over seeds (each seed in brackets, seed order). "
        "Held-out: the validation quadrature; test: the midpoint rule on other points (report only). Original: x ~ N(0, 1); wide: x ~ N(0, 2^2) within [-4, 4].",
        "",
        "| arm | original: held-out | wide: held-out | original: test | wide: test | CPU s / run |",
        "|---|---|---|---|---|---|",
    ]
    for row in summary:
        lines.append(f"| {row['arm']} | {cell(row, 'original_heldout_mse')} | {cell(row, 'wide_heldout_mse')} | {cell(row, 'original_test_mse')} | {cell(row, 'wide_test_mse')} | {row['cpu_s']:.0f} |")
    lines += ["", *verdicts(summary), "", f"{meta['provenance']}; wall time {meta['wall_s'] / 60:.1f} min.", ""]
    return "\n".join(lines)


def plot(runs: list[dict], arms: list[str], path: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(12, 4.5))
    for ax, key, title in zip(axes, ("original_heldout_mse", "wide_heldout_mse"), ("original: x ~ N(0, 1)", "wide: x ~ N(0, 2^2) within [-4, 4]")):
        for index, arm in enumerate(arms):
            for k, run in enumerate(r for r in runs if r["arm"] == arm):
                ax.plot([c["generation"] for c in run["curve"]], [c[key] for c in run["curve"]], color=f"C{index}", lw=1.2, alpha=0.8, label=arm if k == 0 else None)
        ax.set(xlabel="generation", ylabel="champion's held-out MSE (log)", title=title, yscale="log")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    fig.tight_layout()
    save_figure(fig, path)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--generations", type=int, default=300)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--reach", type=float, nargs="+", default=[1.5, 4.0], help="the co-evolved arms' reach (the world's default: 4)")
    parser.add_argument("--every", type=int, default=20, help="generations between the champions' held-out scores")
    parser.add_argument("--parallel", type=int, default=2, help="runs side by side, one torch thread each")
    parser.add_argument("--out", default="results/coevolution")
    parser.add_argument("--one", nargs=3, metavar=("REACH", "SEED", "PATH"), help=argparse.SUPPRESS)  # a worker: one run ('fixed' for no challengers), JSON to PATH
    args = parser.parse_args()
    if args.generations < 1 or args.every < 1 or args.parallel < 1 or any(r <= 0 for r in args.reach):
        parser.error("--generations, --every and --parallel must be at least 1, --reach positive")
    if args.one:
        reach, seed, path = args.one
        write_atomic(path, json.dumps(one_run(None if reach == FIXED else float(reach), int(seed), args.generations, args.every)))
        return

    runs_dir = os.path.join(args.out, "runs")
    os.makedirs(runs_dir, exist_ok=True)
    arms = [None, *args.reach]
    jobs = [(reach, seed, os.path.join(runs_dir, f"{arm_name(reach).replace(' ', '_').replace('(', '').replace(')', '')}-seed{seed}.json")) for seed in args.seeds for reach in arms]
    started = time.perf_counter()
    run_side_by_side([(f"{arm_name(reach)} seed {seed}", [sys.executable, os.path.abspath(__file__), "--one", FIXED if reach is None else str(reach), str(seed), path,
                                                           "--generations", str(args.generations), "--every", str(args.every)]) for reach, seed, path in jobs], args.parallel, "coevolution_study")
    runs = []
    for _, _, path in jobs:
        with open(path) as fh:
            runs.append(json.load(fh))
    names = [arm_name(reach) for reach in arms]
    summary = summarise(runs, names)
    meta = {"provenance": provenance(), "generations": args.generations, "seeds": args.seeds, "reach": args.reach, "wall_s": round(time.perf_counter() - started, 1)}
    write_atomic(os.path.join(args.out, "coevolution.json"), json.dumps({"meta": meta, "summary": summary, "runs": runs}, indent=1))
    write_atomic(os.path.join(args.out, "coevolution.md"), markdown(summary, meta))
    plot(runs, names, os.path.join(args.out, "coevolution.png"))
    print(markdown(summary, meta))


if __name__ == "__main__":
    main()
