"""Evolution alone on MNIST: a tournament of depth-1 hypernet genomes for a fixed wall-clock budget.

    python scripts/mnist_evolution.py --minutes 10            # the MNIST world's defaults (PGPE)
    python scripts/mnist_evolution.py --minutes 10 --strategy ga

Each generation is one `Arena.step` of `ArenaConfig.for_env("eve_arena/mnist-v0")`: the
population plays a free-for-all on a batch of training images, ratings give fitness, the
strategy breeds; the champion is picked on the 5,000 validation images. When the budget is spent
the champion's accuracy on the 10,000 test images is reported (and never used for anything else).
"""

from __future__ import annotations

import argparse
import json
import time

import torch

from eve_arena.arena import Arena
from eve_arena.config import ArenaConfig
from eve_arena.train import heldout_scores

if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10.0, help="wall-clock budget")
    parser.add_argument("--generations", type=int, default=10**9, help="stop earlier after this many generations")
    parser.add_argument("--population", type=int, default=64, help="genomes per generation")
    parser.add_argument("--strategy", default=None, help="ga, pgpe or cmaes (default: the world's, pgpe)")
    parser.add_argument("--strategy-args", default=None, help='JSON settings of the strategy, e.g. \'{"center_lr": 0.05}\'')
    parser.add_argument("--train-limit", type=int, default=None, help="use only the first N training images (smoke tests)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the run")
    parser.add_argument("--every", type=int, default=100, help="print the champion's validation accuracy every N generations")
    args = parser.parse_args()

    overrides = {"population": args.population, "seed": args.seed, "hall_of_fame": 0, "heldout_pool": 2}
    if args.strategy:
        overrides["strategy"] = args.strategy
        overrides["strategy_kwargs"] = {}
    if args.strategy_args:
        overrides["strategy_kwargs"] = json.loads(args.strategy_args)
    base = ArenaConfig.for_env("eve_arena/mnist-v0")
    overrides["env_kwargs"] = {**base.env_kwargs, "train_limit": args.train_limit}
    config = ArenaConfig.for_env("eve_arena/mnist-v0", **overrides)
    arena = Arena(config)

    started, metrics = time.perf_counter(), {}
    while time.perf_counter() - started < 60 * args.minutes and arena.state.generation < args.generations:
        metrics = arena.step()
        if arena.state.generation % args.every == 0:
            print(f"generation {arena.state.generation}: champion validation accuracy {metrics['champion/heldout_accuracy']:.4f} ({time.perf_counter() - started:.0f} s)", flush=True)
    seconds = time.perf_counter() - started
    test = heldout_scores(config.genome, arena.state.champion[None], arena.task(), config.device, split="test")
    print(json.dumps({
        "strategy": config.strategy, "strategy_kwargs": config.strategy_kwargs, "population": config.population,
        "genome_params": config.genome.genome_size, "generations": arena.state.generation, "wall_s": round(seconds, 1),
        "champion_validation_accuracy": metrics.get("champion/heldout_accuracy"), "champion_test_accuracy": float(test["accuracy"][0]),
        "torch_threads": torch.get_num_threads(),
    }))
