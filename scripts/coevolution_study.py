"""Does competition that shapes the data help? Solvers co-evolved with challengers against solvers evolved on the fixed distribution.

    python scripts/coevolution_study.py --out results/coevolution
    python scripts/coevolution_study.py --world mnist --generations 3000 --out results/coevolution_mnist
    python scripts/coevolution_study.py --generations 4 --seeds 0 --reach 4 --out /tmp/c   # smoke

Arms, each for ``--generations`` generations from the same seed:

- ``fixed``: the world's tournament (toy: ``ArenaConfig()``, 64 hypernet genomes, the GA, one
  free-for-all a generation on 4 batches of 256 points, x ~ N(0, 1); MNIST: the MNIST
  tournament's genome and PGPE, 2 batches of 256 images a generation), champion the best rated;
- ``coevolved (reach R)``: the same solvers (genome, population, strategy, batch and steps) in
  the world's two-role version (``eve-arena coevolve``'s defaults: 16 challengers, every player
  in one match a generation, no hall of fame), where the challengers choose an eighth of every
  batch after the first step and are paid regret within reach ``R`` (``--env``
  changes the world's settings: ``base_fraction``, ``min_spread``, ``solver_score``).

The solvers see as many batches of the same size in both arms; the challengers only choose what
an eighth of them hold. Each champion is scored on the task's held-out split (validation) and on a
wider one (``challenge_heldout``: toy, x ~ N(0, 2^2) within the challengers' bounds; MNIST, the
validation images turned, shifted and noised within the challengers' bounds) every ``--every``
generations; at the end on the test splits of both (report only). Toy scores are MSE (lower is
better), MNIST's accuracy (higher is better).

Writes ``coevolution.json`` (every run's curve, provenance), ``coevolution.md`` (medians over
seeds) and ``coevolution.png`` under ``--out``.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import sys
import time

from results_io import provenance, run_side_by_side, save_figure, write_atomic  # scripts/results_io.py

FIXED = "fixed"
# What each world's champions are scored by, and how the study's table reads it.
WORLDS = {
    "toy": {"metric": "loss", "higher": False, "unit": "MSE", "title": "Toy quadratic", "wide": "x ~ N(0, 2^2) within [-4, 4]", "original": "x ~ N(0, 1)"},
    "mnist": {"metric": "accuracy", "higher": True, "unit": "accuracy", "title": "MNIST", "wide": "validation/test images turned within 30 deg, shifted within 3 px, noise std within 0.5", "original": "the images as they are"},
}
SPLITS = ("original_heldout", "wide_heldout", "original_test", "wide_test")


def arm_name(reach: float | None) -> str:
    return FIXED if reach is None else f"coevolved (reach {reach:g})"


def runners(world: str, reach: float | None, seed: int, data_dir: str | None, env: dict, settings: dict):
    """``(step, champion, genome spec, {"original": task, "wide": task})`` of one arm."""
    from eve_arena.arena import Arena
    from eve_arena.challenge_heldout import mnist_tasks, toy_tasks
    from eve_arena.envs import MNIST_CHALLENGE
    from eve_arena.coevolution import TOY_WORLD_KWARGS, Coevolution, CoevolutionConfig
    from eve_arena.config import ArenaConfig

    if world == "toy":
        base = ArenaConfig(seed=seed, hall_of_fame=0, eval_every=10**9)
        coevolved = CoevolutionConfig(seed=seed, env_kwargs={**TOY_WORLD_KWARGS, **base.env_kwargs, "reach": reach or 4.0, **env}, ladder_every=0, **settings)
        tasks = toy_tasks(coevolved.env_kwargs)
    else:
        data = {"data_dir": data_dir} if data_dir else {}
        base = ArenaConfig.for_env("eve_arena/mnist-v0", seed=seed, hall_of_fame=0, eval_every=10**9, champion_by="rating", heldout_pool=0, heldout_every=10**9, threads=1, env_kwargs={"batch_size": 256, "max_steps": 2, **data})
        coevolved = CoevolutionConfig.for_world(MNIST_CHALLENGE, {**data, "reach": reach or 4.0, **env}, seed=seed, ladder_every=0, **settings)
        tasks = mnist_tasks(coevolved.env_kwargs)
    tasks = {"original": tasks["heldout"], "wide": tasks[next(k for k in tasks if k != "heldout")]}
    if reach is None:
        arena = Arena(base)
        return arena.step, lambda: arena.state.champion, base.genome, tasks
    run = Coevolution(coevolved)
    return run.step, lambda: run.champions["solver"], coevolved.roles["solver"].genome, tasks


def one_run(world: str, reach: float | None, seed: int, generations: int, every: int, data_dir: str | None = None, env: dict | None = None, settings: dict | None = None) -> dict:
    import torch

    from eve_arena.train import heldout_scores

    torch.set_num_threads(1)
    step, champion, spec, tasks = runners(world, reach, seed, data_dir, env or {}, settings or {})
    metric = WORLDS[world]["metric"]

    def scores(split: str) -> dict:
        return {name: float(heldout_scores(spec, champion()[None], task, split=split)[metric][0]) for name, task in tasks.items()}

    curve, last = [], {}
    started = time.process_time()
    for generation in range(generations):
        last = step()
        if (generation + 1) % every == 0 or generation + 1 == generations:
            curve.append({"generation": generation + 1, **{f"{k}_heldout": v for k, v in scores("heldout").items()},
                          **{k: v for k, v in last.items() if k.startswith("challenger/")}})
    final = {f"{k}_test": v for k, v in scores("test").items()} | {f"{k}_heldout": v for k, v in scores("heldout").items()}
    return {"world": world, "arm": arm_name(reach), "reach": reach, "seed": seed, "generations": generations, "cpu_s": round(time.process_time() - started, 1), "curve": curve, "final": final}


def summarise(runs: list[dict], arms: list[str]) -> list[dict]:
    rows = []
    for arm in arms:
        mine = sorted((r for r in runs if r["arm"] == arm), key=lambda r: r["seed"])
        row = {"arm": arm, "seeds": [r["seed"] for r in mine], "cpu_s": statistics.median(r["cpu_s"] for r in mine)}
        for key in SPLITS:
            row[key] = [r["final"][key] for r in mine]
            row[f"{key}_median"] = statistics.median(row[key])
        rows.append(row)
    return rows


def paired(runs: list[dict], arm: str, key: str) -> dict:
    """Arm against ``fixed`` seed by seed on ``key``: the geometric mean of the ratios, the seeds
    where the arm is better, and the two-sided sign test's p (the seed noise, not a t-test's normality)."""
    fixed = {r["seed"]: r["final"][key] for r in runs if r["arm"] == FIXED}
    mine = {r["seed"]: r["final"][key] for r in runs if r["arm"] == arm}
    seeds = sorted(set(fixed) & set(mine))
    logs = [math.log(mine[s] / fixed[s]) for s in seeds if mine[s] > 0 and fixed[s] > 0]
    higher = WORLDS[runs[0]["world"]]["higher"]
    better = sum(1 for s in seeds if (mine[s] > fixed[s] if higher else mine[s] < fixed[s]))
    n, tail = len(seeds), min(better, len(seeds) - better)
    p = min(1.0, 2 * sum(math.comb(n, k) for k in range(tail + 1)) / 2**n) if n else float("nan")
    return {"ratio": math.exp(statistics.fmean(logs)) if logs else float("nan"), "better": better, "seeds": n, "sign_p": p}


def verdicts(summary: list[dict], world: str, runs: list[dict]) -> list[str]:
    """The issue's target, per co-evolved arm, on validation medians: better on the wide data, at
    most 10% worse on the original (a loss 10% higher, an accuracy 10% lower); and seed by seed,
    whether the difference stands out of the seed noise."""
    higher, unit = WORLDS[world]["higher"], WORLDS[world]["unit"]
    fixed = next(r for r in summary if r["arm"] == FIXED)
    lines = []
    for row in summary:
        if row["arm"] == FIXED:
            continue
        mine, theirs = row["wide_heldout_median"], fixed["wide_heldout_median"]
        wide = mine > theirs if higher else mine < theirs
        change = row["original_heldout_median"] / fixed["original_heldout_median"] - 1
        cost = -change if higher else change
        met = wide and cost <= 0.10
        lines.append(f"- {row['arm']}: wide held-out median {unit} {mine:.4g} against {theirs:.4g} ({'better' if wide else 'not better'}); "
                     f"original held-out {change:+.1%} against the fixed arm ({'a cost' if cost > 0 else 'no cost'}): target **{'met' if met else 'missed'}** on medians.")
        if runs:
            for key, label in (("wide_heldout", "wide"), ("original_heldout", "original")):
                stats = paired(runs, row["arm"], key)
                noise = "outside" if stats["sign_p"] < 0.05 else "inside"
                lines.append(f"  - {label}, seed by seed: {row['arm']}/fixed {unit} ratio {stats['ratio']:.3g} (geometric mean), better on {stats['better']} of {stats['seeds']} seeds, "
                             f"sign test p = {stats['sign_p']:.2g}: {noise} the seed noise.")
    return lines


def markdown(summary: list[dict], meta: dict, runs: list[dict] | None = None) -> str:
    world = WORLDS[meta["world"]]

    def cell(row: dict, key: str) -> str:
        return f"**{row[key + '_median']:.4g}** ({', '.join(f'{v:.4g}' for v in row[key])})"

    lines = [
        f"{world['title']}, {meta['generations']} generations, seeds {', '.join(map(str, meta['seeds']))}: the solvers' champion's {world['unit']} ({'higher' if world['higher'] else 'lower'} is better), "
        "median over seeds (each seed in brackets, seed order). Held-out: the validation split; test: the test split (report only). "
        f"Original: {world['original']}; wide: {world['wide']}.",
        "",
        "| arm | original: held-out | wide: held-out | original: test | wide: test | CPU s / run |",
        "|---|---|---|---|---|---|",
    ]
    for row in summary:
        lines.append(f"| {row['arm']} | {' | '.join(cell(row, key) for key in SPLITS)} | {row['cpu_s']:.0f} |")
    lines += ["", *verdicts(summary, meta["world"], runs), "", f"{meta['provenance']}; wall time {meta['wall_s'] / 60:.1f} min.", ""]
    return "\n".join(lines)


def plot(runs: list[dict], arms: list[str], path: str, world: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(12, 4.5))
    info = WORLDS[world]
    for ax, key, title in zip(axes, ("original_heldout", "wide_heldout"), (f"original: {info['original']}", f"wide: {info['wide']}")):
        for index, arm in enumerate(arms):
            for k, run in enumerate(r for r in runs if r["arm"] == arm):
                ax.plot([c["generation"] for c in run["curve"]], [c[key] for c in run["curve"]], color=f"C{index}", lw=1.2, alpha=0.8, label=arm if k == 0 else None)
        ax.set(xlabel="generation", ylabel=f"champion's held-out {info['unit']}" + ("" if info["higher"] else " (log)"), title=title, yscale="linear" if info["higher"] else "log")
        ax.title.set_fontsize(9)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    fig.tight_layout()
    save_figure(fig, path)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--world", choices=sorted(WORLDS), default="toy")
    parser.add_argument("--data-dir", help="MNIST's data directory (default $EVE_ARENA_DATA)")
    parser.add_argument("--settings", type=json.loads, default={}, help='JSON of the co-evolved arms\' other CoevolutionConfig settings (e.g. \'{"hall_of_fame": 0}\')')
    parser.add_argument("--env", type=json.loads, default={}, help='JSON of the co-evolved arms\' other world settings, over eve-arena coevolve\'s (e.g. \'{"base_fraction": 0.5}\')')
    parser.add_argument("--generations", type=int, default=300)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--reach", type=float, nargs="+", default=[4.0], help="the co-evolved arms' reach (eve-arena coevolve's: 4)")
    parser.add_argument("--every", type=int, default=20, help="generations between the champions' held-out scores")
    parser.add_argument("--parallel", type=int, default=2, help="runs side by side, one torch thread each")
    parser.add_argument("--out", default="results/coevolution")
    parser.add_argument("--one", nargs=3, metavar=("REACH", "SEED", "PATH"), help=argparse.SUPPRESS)  # a worker: one run ('fixed' for no challengers), JSON to PATH
    args = parser.parse_args()
    if args.generations < 1 or args.every < 1 or args.parallel < 1 or any(r <= 0 for r in args.reach):
        parser.error("--generations, --every and --parallel must be at least 1, --reach positive")
    if args.one:
        reach, seed, path = args.one
        write_atomic(path, json.dumps(one_run(args.world, None if reach == FIXED else float(reach), int(seed), args.generations, args.every, args.data_dir, args.env, args.settings)))
        return

    runs_dir = os.path.join(args.out, "runs")
    os.makedirs(runs_dir, exist_ok=True)
    arms = [None, *args.reach]
    jobs = [(reach, seed, os.path.join(runs_dir, f"{arm_name(reach).replace(' ', '_').replace('(', '').replace(')', '')}-seed{seed}.json")) for seed in args.seeds for reach in arms]
    started = time.perf_counter()
    run_side_by_side([(f"{arm_name(reach)} seed {seed}", [sys.executable, os.path.abspath(__file__), "--one", FIXED if reach is None else str(reach), str(seed), path,
                                                           "--world", args.world, *(["--data-dir", args.data_dir] if args.data_dir else []), "--env", json.dumps(args.env), "--settings", json.dumps(args.settings),
                                                           "--generations", str(args.generations), "--every", str(args.every)]) for reach, seed, path in jobs], args.parallel, "coevolution_study")
    runs = []
    for _, _, path in jobs:
        with open(path) as fh:
            runs.append(json.load(fh))
    names = [arm_name(reach) for reach in arms]
    summary = summarise(runs, names)
    meta = {"provenance": provenance(), "world": args.world, "generations": args.generations, "seeds": args.seeds, "reach": args.reach, "env": args.env, "settings": args.settings, "wall_s": round(time.perf_counter() - started, 1)}
    write_atomic(os.path.join(args.out, "coevolution.json"), json.dumps({"meta": meta, "summary": summary, "runs": runs}, indent=1))
    write_atomic(os.path.join(args.out, "coevolution.md"), markdown(summary, meta, runs))
    plot(runs, names, os.path.join(args.out, "coevolution.png"), args.world)
    print(markdown(summary, meta, runs))


if __name__ == "__main__":
    main()
