"""Evolution alone on MNIST: a tournament of depth-1 hypernet genomes for a fixed wall-clock budget.

    python scripts/mnist_evolution.py --minutes 10 --out results      # the MNIST world's defaults
    python scripts/mnist_evolution.py --minutes 10 --strategy ga

Each generation is one `Arena.step` of `ArenaConfig.for_env("eve_arena/mnist-v0")`: the
population plays a free-for-all on a batch of training images, ratings give fitness, the
strategy breeds; the champion is picked on the 5,000 validation images. No gradient anywhere.

The clock covers the generations only (data loading and set-up come before it). Every
``--every`` generations the champion's validation accuracy is printed and recorded; at
``--mark-minutes`` (the peer's budget in the issue, 4 minutes) and at the end, the champion's
accuracy on the 10,000 test images is recorded, for the report only: nothing reads it back.
With ``--out`` the run writes ``mnist_evolution.json`` (the report and the curve) and
``mnist_evolution.png`` (validation accuracy against wall time).
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import sys
import time

import torch
from results_io import provenance, save_figure, write_atomic  # scripts/results_io.py

from eve_arena.arena import Arena
from eve_arena.config import ArenaConfig
from eve_arena.train import heldout_scores

ENV = "eve_arena/mnist-v0"


def test_accuracy(arena: Arena) -> float:
    """The current champion on the 10,000 test images (reports only)."""
    return float(heldout_scores(arena.config.genome, arena.state.champion[None], arena.task(), arena.config.device, split="test")["accuracy"][0])


def plot(curve: list[dict], report: dict, path: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4.5))
    ax.plot([c["seconds"] / 60 for c in curve], [100 * c["validation_accuracy"] for c in curve], label="champion, validation (5,000 images)")
    marks = [(report["mark_minutes"], report.get("test_accuracy_at_mark")), (report["wall_s"] / 60, report["champion_test_accuracy"])]
    ax.scatter([m for m, a in marks if a is not None], [100 * a for m, a in marks if a is not None], color="tab:red", zorder=3, label="champion, test (10,000 images)")
    ax.set(xlabel="wall time (minutes)", ylabel="accuracy %", title=f"MNIST by evolution: {report['strategy']}, population {report['population']},\n{report['genome_params']:,}-parameter hypernet genomes, {report['threads']} torch threads")
    ax.set_ylim(0, 100)
    ax.grid(alpha=0.3)
    ax.legend(loc="lower right")
    fig.tight_layout()
    save_figure(fig, path)


def markdown(report: dict) -> str:
    """The report as the README's table: one row, and the command that made it."""
    at_mark = report.get("test_accuracy_at_mark")
    mark = f"{100 * at_mark:.1f}% ({report['generations_at_mark']:,} generations)" if at_mark is not None else "-"
    return "\n".join([
        f"| genome | strategy | population | test accuracy at {report['mark_minutes']:g} min | test accuracy at the end | validation accuracy | generations | wall time | s / generation |",
        "|---|---|---|---|---|---|---|---|---|",
        f"| {report['genome_params']:,}-parameter hypernet -> {report['target_params']:,}-weight net | {report['strategy']} {json.dumps(report['strategy_kwargs'])} | {report['population']} "
        f"| {mark} | **{100 * report['champion_test_accuracy']:.1f}%** | {100 * report['champion_validation_accuracy']:.1f}% | {report['generations']:,} | {report['wall_s'] / 60:.1f} min | {report['seconds_per_generation']:.3f} |",
        "",
        f"Made by `{report['command']}` ({report['commit']}, {report['torch_threads']} torch threads, load average {report['load_average'][0]:.1f} at the end).",
        "",
    ])


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10.0, help="wall-clock budget of the generations")
    parser.add_argument("--mark-minutes", type=float, default=4.0, help="also record the champion's test accuracy at this time")
    parser.add_argument("--generations", type=int, default=10**9, help="stop earlier after this many generations")
    parser.add_argument("--population", type=int, default=None, help="genomes per generation (default: the world's)")
    parser.add_argument("--strategy", default=None, help="ga, pgpe or cmaes (default: the world's)")
    parser.add_argument("--strategy-args", default=None, help='JSON settings of the strategy, e.g. \'{"center_lr": 0.01}\'')
    parser.add_argument("--threads", type=int, default=None, help="torch threads (default: the world's)")
    parser.add_argument("--train-limit", type=int, default=None, help="use only the first N training images (smoke tests)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the run")
    parser.add_argument("--every", type=int, default=100, help="record the champion's validation accuracy every N generations (at the first scored one from there)")
    parser.add_argument("--heldout-every", type=int, default=None, help="score candidates on the validation images every N generations (default: the world's)")
    parser.add_argument("--out", default=None, help="directory for mnist_evolution.json and .png")
    args = parser.parse_args()

    base = ArenaConfig.for_env(ENV)
    # eval_every: this script measures evolution's own speed against the peer's, and its progress
    # is the champion's validation curve; the ladder's evaluations would only eat the budget.
    overrides = {"seed": args.seed, "hall_of_fame": 0, "env_kwargs": {**base.env_kwargs, "train_limit": args.train_limit}, "eval_every": 10**9}
    for name in ("population", "threads", "strategy", "heldout_every"):
        if getattr(args, name) is not None:
            overrides[name] = getattr(args, name)
    if args.strategy:
        overrides["strategy_kwargs"] = {}
    if args.strategy_args:
        overrides["strategy_kwargs"] = json.loads(args.strategy_args)
    config = ArenaConfig.for_env(ENV, **overrides)
    arena = Arena(config)
    arena.task().arrays("train")  # load the data before the clock starts

    report = {"command": shlex.join(["python", "scripts/mnist_evolution.py", *sys.argv[1:]]), "commit": provenance().split(";")[0], "strategy": config.strategy, "strategy_kwargs": config.strategy_kwargs, "population": config.population,
              "genome_params": config.genome.genome_size, "target_params": config.genome.target_size, "batch_size": config.env_kwargs["batch_size"], "threads": config.threads, "mark_minutes": args.mark_minutes}
    curve, metrics, next_record, validation = [], {}, args.every, None
    started = time.perf_counter()
    while time.perf_counter() - started < 60 * args.minutes and arena.state.generation < args.generations:
        metrics = arena.step()
        validation = metrics.get("champion/heldout_accuracy", validation)  # the last scored champion's
        seconds = time.perf_counter() - started
        if "test_accuracy_at_mark" not in report and seconds >= 60 * args.mark_minutes:
            report["test_accuracy_at_mark"], report["generations_at_mark"] = test_accuracy(arena), arena.state.generation
        if arena.state.generation >= next_record and "champion/heldout_accuracy" in metrics:  # the champion was scored this generation
            next_record += args.every
            curve.append({"generation": arena.state.generation, "seconds": round(seconds, 1), "validation_accuracy": metrics["champion/heldout_accuracy"]})
            print(f"generation {arena.state.generation}: champion validation accuracy {metrics['champion/heldout_accuracy']:.4f} ({seconds:.0f} s)", flush=True)
    report.update(heldout_every=config.heldout_every, generations=arena.state.generation, wall_s=round(time.perf_counter() - started, 1), seconds_per_generation=round((time.perf_counter() - started) / max(arena.state.generation, 1), 4),
                  champion_validation_accuracy=validation, champion_test_accuracy=test_accuracy(arena),
                  torch_threads=torch.get_num_threads(), load_average=os.getloadavg())
    if args.out:
        os.makedirs(args.out, exist_ok=True)
        write_atomic(os.path.join(args.out, "mnist_evolution.json"), json.dumps({"report": report, "curve": curve}, indent=1))
        write_atomic(os.path.join(args.out, "mnist_evolution.md"), markdown(report))
        plot(curve, report, os.path.join(args.out, "mnist_evolution.png"))
    print(json.dumps(report))
