"""Our MNIST evolution beside the peers a researcher would otherwise use, in one run.

    pip install -e ".[peer]"     # EvoTorch and EvoX, optional: never needed by eve-arena itself
    python scripts/peer_compare.py --minutes 4 --seeds 3 --out results/peers
    python scripts/peer_compare.py --minutes 0.2 --marks 0.1 --seeds 1 --train-limit 2000 --out /tmp/p   # smoke

Arms, each with one torch thread, ``--parallel`` of them side by side:

- ``eve-arena``: the MNIST world's defaults (``ArenaConfig.for_env("eve_arena/mnist-v0")``): 64
  hypernet genomes of 2,626 parameters that build the seed's 784-10-10-10 net, a free-for-all on
  256 training images a generation, OpenSkill ratings as fitness, PGPE. Its answer at any time is
  the arena's champion.
- ``evotorch-pgpe``: EvoTorch's PGPE (population 64, Adam, centred ranks) on the seed's net's
  8,070 weights directly, fitness the cross-entropy on 256 fresh training images a generation.
  Its answer is the search distribution's center.
- ``evox-openes``: EvoX's OpenES (population 64, Adam, mirrored sampling) the same way.

Every peer starts from a He-initialised net. The budget clock (``--clock``) is the run's own CPU
time by default, so that a busy spell of a shared machine does not hand one arm fewer
generations. It runs only while the arm steps: scoring the answer is done with the clock
stopped. Every ``--every`` seconds of budget the answer is scored on the 5,000 validation images
(the curve, and the time to 80/85/90%); at each of ``--marks`` (minutes) and at the end on the
10,000 test images, for the report only.

Writes ``peers.json`` (every run's curve and marks, provenance), ``peers.md`` (the table) and
``peers.png`` (validation curves) under ``--out``.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import sys
import time

import numpy as np
from results_io import provenance, run_side_by_side, save_accuracy_plot, write_atomic  # scripts/results_io.py

ENV = "eve_arena/mnist-v0"
SEED_NET = (784, 10, 10, 10)
ARMS = ("eve-arena", "evotorch-pgpe", "evox-openes")
PEER_SETTINGS = {
    # Not tuned here: EvoX's as the issue measured it; EvoTorch's centre step on the same scale.
    "evotorch-pgpe": {"popsize": 64, "center_learning_rate": 0.01, "stdev_init": 0.05, "stdev_learning_rate": 0.1, "optimizer": "adam", "ranking_method": "centered"},
    "evox-openes": {"pop_size": 64, "learning_rate": 0.01, "noise_stdev": 0.05, "optimizer": "adam"},
}
PEER_MODULES = {"evotorch-pgpe": "evotorch", "evox-openes": "evox"}
HERE = os.path.dirname(os.path.abspath(__file__))


def require_peers(arms: list[str]) -> None:
    """One line saying what to install when a peer's library is missing."""
    import importlib.util

    missing = sorted({PEER_MODULES[a] for a in arms if a in PEER_MODULES and importlib.util.find_spec(PEER_MODULES[a]) is None})
    if missing:
        sys.exit(f"peer_compare: {', '.join(missing)} not installed; install the peers with `pip install -e \".[peer]\"` (or leave them out with --arms eve-arena)")


class SeedNet:
    """The seed's 784-10-10-10 ReLU net for a population of flat weight rows, and its scores."""

    def __init__(self, torch_module):
        from eve_arena.mlp import MLPShape

        self.torch = torch_module
        self.shape = MLPShape(SEED_NET)

    def logits(self, rows, x):
        from eve_arena.mlp import forward, unflatten

        return forward(unflatten(rows, self.shape), x, "relu")

    def losses(self, rows, x, y):
        logits = self.logits(rows, x)
        p, b, c = logits.shape
        return self.torch.nn.functional.cross_entropy(logits.reshape(p * b, c), y.repeat(p), reduction="none").reshape(p, b).mean(1)

    def accuracy(self, row, x, y) -> float:
        return float((self.logits(row[None], x)[0].argmax(-1) == y).float().mean())


class Batches:
    """Fresh batches of training images, the same stream for every arm with the same seed."""

    def __init__(self, x, y, size: int, seed: int):
        self.x, self.y, self.size, self.rng = x, y, size, np.random.default_rng(seed)

    def next(self):
        index = self.rng.integers(0, len(self.x), self.size)
        return self.x[index], self.y[index]


def make_arm(arm: str, seed: int, data_dir: str | None, train_limit: int | None, heldout_every: int | None = None):
    """``(step, answer_accuracy(split))`` for one arm: ``step()`` runs one generation."""
    import torch

    from eve_arena.tasks import MNISTTask

    task = MNISTTask(data_dir=data_dir, train_limit=train_limit)
    splits = {name: tuple(torch.from_numpy(np.array(a)) for a in task.arrays(name)) for name in ("train", "val", "test")}
    if arm == "eve-arena":
        from eve_arena.arena import Arena
        from eve_arena.config import ArenaConfig
        from eve_arena.train import heldout_scores

        base = ArenaConfig.for_env(ENV)
        config = ArenaConfig.for_env(ENV, seed=seed, threads=1, hall_of_fame=0, eval_every=10**9, env_kwargs={**base.env_kwargs, "train_limit": train_limit, "data_dir": data_dir},
                                     heldout_every=heldout_every or base.heldout_every)
        arena = Arena(config)
        arena.task().arrays("train")

        def answer(split: str) -> float:
            name = {"val": "heldout", "test": "test"}[split]
            return float(heldout_scores(config.genome, arena.state.champion[None], arena.task(), config.device, split=name)["accuracy"][0])

        return arena.step, answer, {"genome_params": config.genome.genome_size, "settings": {"strategy": config.strategy, **config.strategy_kwargs, "population": config.population, "heldout_every": config.heldout_every}}

    from eve_arena.mlp import MLPShape, he_init

    torch.manual_seed(seed)
    net = SeedNet(torch)
    start = he_init(MLPShape(SEED_NET), 1, torch.Generator().manual_seed(seed))[0]
    batches = Batches(*splits["train"], 256, seed)
    settings = PEER_SETTINGS[arm]

    def fitness(rows):
        x, y = batches.next()
        with torch.no_grad():
            return net.losses(rows.as_subclass(torch.Tensor), x, y)  # EvoTorch hands out read-only tensors

    if arm == "evotorch-pgpe":
        from evotorch import Problem
        from evotorch.algorithms import PGPE

        problem = Problem("min", fitness, solution_length=start.numel(), initial_bounds=(-0.1, 0.1), vectorized=True)
        searcher = PGPE(problem, center_init=start, **settings)

        def center():
            return searcher.status["center"].as_subclass(torch.Tensor)

        step = searcher.step
    else:
        from evox.algorithms import OpenES
        from evox.core import Problem as EvoXProblem
        from evox.workflows import StdWorkflow

        class CrossEntropy(EvoXProblem):
            def evaluate(self, pop):
                return fitness(pop)

        algorithm = OpenES(center_init=start.clone(), **settings)
        workflow = StdWorkflow(algorithm, CrossEntropy(), opt_direction="min")
        workflow.init_step()

        def center():
            return algorithm.center

        step = workflow.step

    def answer(split: str) -> float:
        with torch.no_grad():
            return net.accuracy(center().detach().float(), *splits[split])

    return step, answer, {"genome_params": start.numel(), "settings": settings}


def one_run(arm: str, seed: int, minutes: float, marks: list[float], every: float, clock: str, data_dir: str | None, train_limit: int | None, heldout_every: int | None = None) -> dict:
    import torch

    torch.set_num_threads(1)
    step, answer, info = make_arm(arm, seed, data_dir, train_limit, heldout_every)
    now = time.process_time if clock == "cpu" else time.perf_counter
    spent, generations, curve, at_marks = 0.0, 0, [], {}
    next_check, pending_marks = every, sorted(m for m in marks if m <= minutes)
    while spent < 60 * minutes:
        started = now()
        step()
        spent += now() - started
        generations += 1
        if spent >= next_check:  # the clock is stopped while the answer is scored
            curve.append({"seconds": round(spent, 2), "generation": generations, "validation_accuracy": answer("val")})
            next_check += every
        while pending_marks and spent >= 60 * pending_marks[0]:
            at_marks[f"{pending_marks.pop(0):g}"] = {"test_accuracy": answer("test"), "generation": generations}
    final = {"test_accuracy": answer("test"), "validation_accuracy": answer("val"), "generation": generations, "seconds": round(spent, 2)}
    return {"arm": arm, "seed": seed, "clock": clock, "minutes": minutes, **info, "generations_per_second": generations / max(spent, 1e-9), "curve": curve, "marks": at_marks, "final": final,
            "torch_threads": torch.get_num_threads(), "load_average": os.getloadavg()}


def time_to(curve: list[dict], level: float) -> float:
    """Budget seconds until the validation curve first reaches ``level`` (inf if never)."""
    return next((c["seconds"] for c in curve if c["validation_accuracy"] >= level), math.inf)


def summarise(runs: list[dict], arms: list[str], marks: list[float]) -> list[dict]:
    rows = []
    for arm in arms:
        mine = sorted((r for r in runs if r["arm"] == arm), key=lambda r: r["seed"])
        if not mine:
            continue
        row = {"arm": arm, "seeds": [r["seed"] for r in mine], "genome_params": mine[0]["genome_params"], "settings": mine[0]["settings"],
               "generations_per_second": statistics.fmean(r["generations_per_second"] for r in mine)}
        for mark in [f"{m:g}" for m in marks]:
            values = [r["marks"][mark]["test_accuracy"] for r in mine if mark in r["marks"]]
            row[f"test_at_{mark}"] = values
        row["test_at_end"] = [r["final"]["test_accuracy"] for r in mine]
        for level in (0.80, 0.85, 0.90):
            row[f"time_to_{int(level * 100)}"] = [time_to(r["curve"], level) for r in mine]
        rows.append(row)
    return rows


def median_minutes(seconds: list[float]) -> str:
    """The median over seeds of a time to a level, in minutes, and how many seeds reached it (inf: never)."""
    reached = [v for v in seconds if math.isfinite(v)]
    if not reached:
        return "never"
    median = statistics.median(seconds)
    return (f"{median / 60:.2f}" if math.isfinite(median) else "-") + ("" if len(reached) == len(seconds) else f" ({len(reached)}/{len(seconds)} reached)")


def markdown(summary: list[dict], meta: dict) -> str:
    def pct(values: list[float]) -> str:
        if not values:
            return "-"
        spread = f" ± {100 * statistics.stdev(values):.1f}" if len(values) > 1 else ""
        return f"{100 * statistics.fmean(values):.1f}{spread}"

    marks = [f"{m:g}" for m in meta["marks"] if m <= meta["minutes"]]
    unit = "CPU" if meta["clock"] == "cpu" else "wall"
    lines = [
        f"MNIST, the seed's 784-10-10-10 net; {meta['minutes']:g} min of each run's own {unit} time, one torch thread, {meta['parallel']} runs side by side on a {os.cpu_count()}-core machine; "
        f"seeds {', '.join(map(str, meta['seeds']))}. Test accuracy (10,000 images; mean ± sample std over seeds) of each arm's answer at each mark; time to a validation accuracy (5,000 images; median over seeds, {unit} minutes).",
        "",
        "| arm | parameters evolved | " + " | ".join(f"test % at {m} min" for m in marks) + " | test % at the end | time to 80% | to 85% | to 90% | generations / s |",
        "|---|---|" + "---|" * len(marks) + "---|---|---|---|---|",
    ]
    for row in summary:
        lines.append(f"| {row['arm']} | {row['genome_params']:,} | " + " | ".join(pct(row[f"test_at_{m}"]) for m in marks)
                     + f" | {pct(row['test_at_end'])} | {median_minutes(row['time_to_80'])} | {median_minutes(row['time_to_85'])} | {median_minutes(row['time_to_90'])} | {row['generations_per_second']:.1f} |")
    lines += ["", "Settings: " + "; ".join(f"{row['arm']} {json.dumps(row['settings'])}" for row in summary), "", f"{meta['provenance']}; wall time {meta['wall_s'] / 60:.1f} min.", ""]
    return "\n".join(lines)


def plot(runs: list[dict], arms: list[str], meta: dict, path: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 5))
    for index, arm in enumerate(arms):
        for k, run in enumerate(r for r in runs if r["arm"] == arm):
            if run["curve"]:
                ax.plot([c["seconds"] / 60 for c in run["curve"]], [100 * c["validation_accuracy"] for c in run["curve"]], color=f"C{index}", lw=1.2, alpha=0.8,
                        label=f"{arm} ({run['genome_params']:,} parameters)" if k == 0 else None)
    ax.set(xlabel=f"{'CPU' if meta['clock'] == 'cpu' else 'wall'} minutes of the run (one thread)", ylabel="validation accuracy %", title="MNIST by evolution against the peers: one line per seed")
    save_accuracy_plot(fig, ax, path)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=4.0, help="budget of each run (see --clock)")
    parser.add_argument("--marks", type=float, nargs="+", default=[1, 2, 4, 10], help="minutes at which the answer's test accuracy is recorded")
    parser.add_argument("--every", type=float, default=10.0, help="seconds of budget between validation scores of the answer")
    parser.add_argument("--clock", choices=("cpu", "wall"), default="cpu", help="what the budget measures: the run's own CPU time, or wall time")
    parser.add_argument("--seeds", type=int, default=3, help="seeds per arm (0, 1, ...)")
    parser.add_argument("--arms", nargs="+", choices=ARMS, default=list(ARMS))
    parser.add_argument("--parallel", type=int, default=2, help="runs side by side, one torch thread each")
    parser.add_argument("--data-dir", default=None, help="directory holding MNIST/raw/ (default $EVE_ARENA_DATA, else ~/.cache/eve_arena/data)")
    parser.add_argument("--train-limit", type=int, default=None, help="use only the first N training images (smoke runs)")
    parser.add_argument("--heldout-every", type=int, default=None, help="eve-arena: score the champion's candidates on the validation images every N generations (default: the MNIST world's)")
    parser.add_argument("--out", default="results/peers")
    parser.add_argument("--one", nargs=3, metavar=("ARM", "SEED", "PATH"), help=argparse.SUPPRESS)  # a worker: one run, JSON to PATH
    args = parser.parse_args()
    if args.minutes <= 0 or args.every <= 0 or args.seeds < 1 or args.parallel < 1 or (args.heldout_every is not None and args.heldout_every < 1):
        parser.error("--minutes and --every must be positive, --seeds, --parallel and --heldout-every at least 1")
    if args.one:
        arm, seed, path = args.one
        write_atomic(path, json.dumps(one_run(arm, int(seed), args.minutes, args.marks, args.every, args.clock, args.data_dir, args.train_limit, args.heldout_every)))
        return

    require_peers(args.arms)
    from eve_arena.errors import UserError
    from eve_arena.tasks import MNISTTask

    try:
        MNISTTask(data_dir=args.data_dir).arrays("train")  # no data: one line, before any run starts
    except UserError as error:
        sys.exit(f"peer_compare: {error}")
    runs_dir = os.path.join(args.out, "runs")
    os.makedirs(runs_dir, exist_ok=True)
    jobs = [(arm, seed) for seed in range(args.seeds) for arm in args.arms]  # seed-major: no arm gets all the busy spells
    started = time.perf_counter()
    commands = []
    for arm, seed in jobs:
        path = os.path.join(runs_dir, f"{arm}-seed{seed}.json")
        commands.append((f"{arm} seed {seed}", [sys.executable, os.path.abspath(__file__), "--one", arm, str(seed), path, "--minutes", str(args.minutes), "--every", str(args.every), "--clock", args.clock,
                         "--marks", *map(str, args.marks)] + (["--data-dir", args.data_dir] if args.data_dir else []) + (["--train-limit", str(args.train_limit)] if args.train_limit else [])
                         + (["--heldout-every", str(args.heldout_every)] if args.heldout_every else [])))
    run_side_by_side(commands, args.parallel, "peer_compare")
    runs = []
    for arm, seed in jobs:
        with open(os.path.join(runs_dir, f"{arm}-seed{seed}.json")) as fh:
            runs.append(json.load(fh))
    meta = {"provenance": provenance(), "minutes": args.minutes, "marks": args.marks, "clock": args.clock, "seeds": list(range(args.seeds)), "parallel": args.parallel,
            "train_limit": args.train_limit, "wall_s": round(time.perf_counter() - started, 1)}
    summary = summarise(runs, args.arms, [m for m in args.marks if m <= args.minutes])
    write_atomic(os.path.join(args.out, "peers.json"), json.dumps({"meta": meta, "summary": summary, "runs": runs}, indent=1))
    write_atomic(os.path.join(args.out, "peers.md"), markdown(summary, meta))
    plot(runs, args.arms, meta, os.path.join(args.out, "peers.png"))
    print(markdown(summary, meta))


if __name__ == "__main__":
    main()
