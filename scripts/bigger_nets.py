"""Bigger MNIST nets from a genome no larger than today's: hypernet against direct genomes.

    python scripts/bigger_nets.py --minutes 10 --out results/bigger_nets
    python scripts/bigger_nets.py --targets 784-100-10 --minutes 0.1 --backprop-steps 20 --train-limit 1000 --out /tmp/b   # smoke

For each target net (``--targets``), two genomes:

- ``hypernet``: the MNIST world's column hypernet (Fourier pixel coordinates) with the widest
  equal hidden layers that keep it at most ``--max-genome`` parameters: the genome stays the
  size it is for the seed's 8,070-weight net while the net it builds grows tenfold and more;
- ``direct``: the target's weights themselves.

Each genome is measured twice:

- by evolution: the MNIST world's defaults (PGPE, population 64, a free-for-all on 256 training
  images a generation, the champion picked on the 5,000 validation images) for ``--minutes`` of
  wall time with ``--threads`` torch threads, one run after another; the champion's test
  accuracy at the end (report only);
- by backprop: its ceiling, ``train.fit`` for ``--backprop-steps`` Adam steps on batches of 128
  (lr 3e-3 for the hypernet, 1e-3 for the direct net, the seed chapters' choices), test and
  validation accuracy.

Writes ``bigger_nets.json`` (every run, its validation curve, provenance), ``bigger_nets.md``
(the table) and ``bigger_nets.png`` (validation accuracy against wall time) under ``--out``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time

import torch
from results_io import provenance, save_accuracy_plot, write_atomic  # scripts/results_io.py

from eve_arena.arena import Arena
from eve_arena.config import ArenaConfig
from eve_arena.envs import MNIST_GENOME
from eve_arena.errors import UserError
from eve_arena.genome import GenomeSpec
from eve_arena.tasks import MNISTTask
from eve_arena.train import fit, heldout_scores

ENV = "eve_arena/mnist-v0"
LR = {"hypernet": 3e-3, "direct": 1e-3}


def parse_target(text: str) -> tuple[int, ...]:
    sizes = tuple(int(s) for s in text.split("-"))
    if len(sizes) < 2 or sizes[0] != 784 or sizes[-1] != 10 or min(sizes) < 1:
        raise UserError(f"target {text!r}: an MNIST net reads 784 pixels and answers 10 classes, e.g. 784-100-10")
    return sizes


def genomes_for(target: tuple[int, ...], max_genome: int) -> dict[str, GenomeSpec]:
    """The hypernet with the widest equal hidden layers within ``max_genome``, and the direct genome."""
    fitting = [h for h in range(1, 65) if GenomeSpec(**{**MNIST_GENOME, "target": target, "hyper_hidden": ((h, h), (h, h))}).genome_size <= max_genome]
    if not fitting:
        raise UserError(f"no column hypernet for {target} fits in {max_genome} parameters; raise --max-genome")
    width = max(fitting)
    return {"hypernet": GenomeSpec(**{**MNIST_GENOME, "target": target, "hyper_hidden": ((width, width), (width, width))}), "direct": GenomeSpec(target=target, depth=0)}


def evolve(spec: GenomeSpec, args) -> dict:
    base = ArenaConfig.for_env(ENV)
    config = ArenaConfig.for_env(ENV, genome=spec, seed=args.seed, threads=args.threads, hall_of_fame=0, eval_every=10**9,
                                 env_kwargs={**base.env_kwargs, "train_limit": args.train_limit, "data_dir": args.data_dir})
    arena = Arena(config)
    arena.task().arrays("train")  # the data loads before the clock starts
    curve, started = [], time.perf_counter()
    while time.perf_counter() - started < 60 * args.minutes:
        metrics = arena.step()
        if arena.state.generation % args.every == 0:
            curve.append({"generation": arena.state.generation, "seconds": round(time.perf_counter() - started, 1), "validation_accuracy": metrics["champion/heldout_accuracy"]})
    wall = time.perf_counter() - started
    scores = {split: float(heldout_scores(spec, arena.state.champion[None], arena.task(), config.device, split=split)["accuracy"][0]) for split in ("heldout", "test")}
    return {"generations": arena.state.generation, "wall_s": round(wall, 1), "validation_accuracy": scores["heldout"], "test_accuracy": scores["test"], "curve": curve,
            "strategy": config.strategy, "strategy_kwargs": config.strategy_kwargs, "population": config.population}


def backprop(name: str, spec: GenomeSpec, args) -> dict:
    task = MNISTTask(data_dir=args.data_dir, train_limit=args.train_limit)
    started = time.perf_counter()
    genome = fit(spec, task, steps=args.backprop_steps, lr=LR[name], batch_size=128, seed=args.seed).genomes
    return {"steps": args.backprop_steps, "lr": LR[name], "seconds": round(time.perf_counter() - started, 1),
            **{f"{key}_accuracy": float(heldout_scores(spec, genome, task, split=split)["accuracy"][0]) for key, split in (("validation", "heldout"), ("test", "test"))}}


def markdown(rows: list[dict], meta: dict) -> str:
    lines = [
        f"MNIST nets larger than the seed's, evolved for {meta['minutes']:g} min of wall time on {meta['threads']} torch threads (the MNIST world's defaults, seed {meta['seed']}), and trained by backprop for "
        f"{meta['backprop_steps']:,} Adam steps (batches of 128) for the ceiling. Test accuracy on the 10,000 test images (report only); the champion is picked on validation.",
        "",
        "| target net | target weights | genome | genome parameters | evolution: test % | validation % | generations | backprop: test % | validation % |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(f"| {r['target']} | {r['target_params']:,} | {r['genome']} | {r['genome_params']:,} | {100 * r['evolution']['test_accuracy']:.1f} | {100 * r['evolution']['validation_accuracy']:.1f} "
                     f"| {r['evolution']['generations']:,} | {100 * r['backprop']['test_accuracy']:.1f} | {100 * r['backprop']['validation_accuracy']:.1f} |")
    lines += ["", f"{meta['provenance']}; wall time {meta['wall_s'] / 60:.1f} min.", ""]
    return "\n".join(lines)


def plot(rows: list[dict], path: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 5))
    for index, r in enumerate(rows):
        curve = r["evolution"]["curve"]
        if curve:
            style = "-" if r["genome"] == "hypernet" else "--"
            ax.plot([c["seconds"] / 60 for c in curve], [100 * c["validation_accuracy"] for c in curve], style, color=f"C{index // 2}",
                    label=f"{r['target']}: {r['genome']} ({r['genome_params']:,} parameters)")
    ax.set(xlabel="wall minutes", ylabel="champion's validation accuracy %", title="Bigger MNIST nets by evolution: hypernet (solid) against direct (dashed) genomes")
    save_accuracy_plot(fig, ax, path)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--targets", nargs="+", default=["784-100-10", "784-256-128-10"], help="target nets, input-hidden...-output")
    parser.add_argument("--genomes", nargs="+", choices=("hypernet", "direct"), default=["hypernet", "direct"])
    parser.add_argument("--max-genome", type=int, default=4000, help="most parameters of the hypernet genome")
    parser.add_argument("--minutes", type=float, default=10.0, help="wall-clock budget of each evolution run")
    parser.add_argument("--threads", type=int, default=2, help="torch threads of each evolution run")
    parser.add_argument("--backprop-steps", type=int, default=10_000, help="Adam steps of each backprop ceiling")
    parser.add_argument("--every", type=int, default=25, help="record the champion's validation accuracy every N generations")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--data-dir", default=None, help="directory holding MNIST/raw/ (default $EVE_ARENA_DATA)")
    parser.add_argument("--train-limit", type=int, default=None, help="use only the first N training images (smoke runs)")
    parser.add_argument("--out", default="results/bigger_nets")
    args = parser.parse_args()
    try:
        targets = [parse_target(t) for t in args.targets]
        plans = [(target, genomes_for(target, args.max_genome)) for target in targets]
        MNISTTask(data_dir=args.data_dir).arrays("train")
    except UserError as error:
        sys.exit(f"bigger_nets: {error}")
    torch.set_num_threads(args.threads)
    started, rows = time.perf_counter(), []
    for target, specs in plans:
        for name in args.genomes:
            spec = specs[name]
            label = "-".join(map(str, target))
            print(f"{label} {name} ({spec.genome_size:,} parameters): evolving for {args.minutes:g} min", flush=True)
            evolution = evolve(spec, args)
            ceiling = backprop(name, spec, args)
            rows.append({"target": label, "target_params": spec.target_size, "genome": name, "genome_params": spec.genome_size, "hyper_hidden": spec.hyper_hidden if spec.depth else None,
                         "evolution": evolution, "backprop": ceiling})
            print(f"  evolution: test {evolution['test_accuracy']:.4f} after {evolution['generations']} generations; backprop: test {ceiling['test_accuracy']:.4f}", flush=True)
    meta = {"provenance": provenance(), "minutes": args.minutes, "threads": args.threads, "backprop_steps": args.backprop_steps, "seed": args.seed, "max_genome": args.max_genome,
            "train_limit": args.train_limit, "wall_s": round(time.perf_counter() - started, 1), "load_average": os.getloadavg()}
    os.makedirs(args.out, exist_ok=True)
    write_atomic(os.path.join(args.out, "bigger_nets.json"), json.dumps({"meta": meta, "rows": rows}, indent=1))
    write_atomic(os.path.join(args.out, "bigger_nets.md"), markdown(rows, meta))
    plot(rows, os.path.join(args.out, "bigger_nets.png"))
    print(markdown(rows, meta))


if __name__ == "__main__":
    main()
