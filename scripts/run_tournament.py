"""Run a tournament: evolve hypernetwork genomes on a PettingZoo world (same job as `eve-arena tournament`).

    python scripts/run_tournament.py --out runs/demo
    python scripts/run_tournament.py --out runs/long --population 128 --generations 3000

Reads top to bottom: arguments, the config they make, the run, a summary. The run directory
gets config.json, metrics.jsonl, checkpoints/, champion.safetensors and plots/.
"""

from __future__ import annotations

import argparse
import dataclasses
from dataclasses import dataclass
from pathlib import Path

from eve_arena.config import ArenaConfig
from eve_arena.envs import DEFAULT_ENV
from eve_arena.runs import read_metrics, run_arena, start_run


@dataclass
class Args:
    out: str = "runs/demo"
    """run directory to create"""
    env: str = DEFAULT_ENV
    """registered environment id"""
    population: int = 64
    """genomes per generation"""
    generations: int = 1000
    """generations to run"""
    seed: int = 0
    """seed of everything random in the run"""
    depth: int = 1
    """0 direct genome, 1 hypernet, 2 hyper-hypernet"""
    encoding: str = "fourier"
    """coordinate encoding: seed, normalized or fourier"""
    progress: bool = True
    """show a progress bar"""


def parse_args() -> Args:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    for f in dataclasses.fields(Args):
        if f.type == "bool":
            parser.add_argument(f"--no-{f.name}", dest=f.name, action="store_false")
        else:
            parser.add_argument(f"--{f.name}", type={"int": int, "str": str}[f.type], default=f.default)
    return Args(**vars(parser.parse_args()))


if __name__ == "__main__":
    args = parse_args()
    config = ArenaConfig(env=args.env, population=args.population, generations=args.generations, seed=args.seed, genome=dataclasses.replace(ArenaConfig().genome, depth=args.depth, encoding=args.encoding))
    out = Path(args.out)
    start_run(config, out)
    state = run_arena(out, progress=args.progress)
    last = read_metrics(out)[-1]
    print(f"generations: {state.generation}")
    print(f"genome: depth {config.genome.depth}, {config.genome.encoding} coordinates, {config.genome.genome_size} parameters -> a {config.genome.target} net of {config.genome.target_size}")
    print(f"champion held-out loss: {last.get('champion/heldout_loss', float('nan')):.4g}")
    print(f"run directory: {out}")
