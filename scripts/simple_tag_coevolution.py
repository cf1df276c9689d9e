"""Predators and prey co-evolved in MPE's simple_tag: both ladders over generations, and the chase.

    python scripts/simple_tag_coevolution.py --out results/simple_tag
    python scripts/simple_tag_coevolution.py --generations 2 --out /tmp/t   # smoke

One ``eve-arena coevolve`` run (``CoevolutionConfig.for_world``) of ``mpe2.simple_tag_v3`` with
continuous actions and 25 steps an episode: 3 adversaries (the predators, one population) chase
1 agent (the prey, another) among 2 obstacles. The predators share their reward, so their ladder
compares contender and anchor in paired episodes; the prey has one seat, so its ladder does too.
Every ``--ladder-every`` generations each role's champion is rated against its own frozen
champions with the other role held by its first champion.

Writes under ``--out``: ``simple_tag.md`` and ``simple_tag.json`` (each role's ladder rating and
median return over the run, provenance), ``progress.png`` (the run's plot: both ladders, both
returns) and ``chase.gif`` (the final champions at play); the run directory is ``runs/run``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import time
from pathlib import Path

from results_io import provenance, write_atomic  # scripts/results_io.py

WORLD = "mpe2.simple_tag_v3:parallel_env"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--generations", type=int, default=100)
    parser.add_argument("--predators", type=int, default=24, help="the adversaries' population")
    parser.add_argument("--prey", type=int, default=16, help="the agents' population")
    parser.add_argument("--ladder-every", type=int, default=10)
    parser.add_argument("--ladder-episodes", type=int, default=8, help="episodes against each rung: the predators are paid only for a catch, which a couple of episodes may not see")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default="results/simple_tag")
    args = parser.parse_args()
    os.environ.setdefault("SDL_VIDEODRIVER", "dummy")

    import torch

    from eve_arena.coevolution import CoevolutionConfig
    from eve_arena.coevolve_run import run_coevolution, start
    from eve_arena.render import render_coevolution
    from eve_arena.runs import read_metrics

    torch.set_num_threads(1)
    config = CoevolutionConfig.for_world(
        WORLD, {"continuous_actions": True, "max_cycles": 25}, populations={"adversary": args.predators, "agent": args.prey},
        generations=args.generations, ladder_every=args.ladder_every, ladder_episodes=args.ladder_episodes, anchor_every=2 * args.ladder_every, pairing={"adversary": "paired"}, seed=args.seed,
    )
    run_dir = Path(args.out) / "runs" / "run"
    shutil.rmtree(run_dir, ignore_errors=True)
    started = time.perf_counter()
    start(config, run_dir)
    run_coevolution(run_dir, progress=False)
    wall = time.perf_counter() - started
    render_coevolution(run_dir, gif=Path(args.out) / "chase.gif", seed=1)
    shutil.copy(run_dir / "plots" / "progress.png", Path(args.out) / "progress.png")

    rows = read_metrics(run_dir)
    ladders = {role: [(r["generation"], r[f"{role}/ladder_rating"]) for r in rows if f"{role}/ladder_rating" in r] for role in ("adversary", "agent")}
    window = max(1, len(rows) // 10)
    returns = {role: {"first": sum(r[f"{role}/return_median"] for r in rows[:window]) / window, "last": sum(r[f"{role}/return_median"] for r in rows[-window:]) / window} for role in ("adversary", "agent")}
    meta = {"provenance": provenance(), "generations": args.generations, "ladder_episodes": args.ladder_episodes, "populations": {"adversary": args.predators, "agent": args.prey}, "seed": args.seed, "wall_s": round(wall, 1)}
    write_atomic(os.path.join(args.out, "simple_tag.json"), json.dumps({"meta": meta, "ladders": ladders, "returns": returns}, indent=1))
    lines = [
        f"MPE simple_tag, {args.generations} generations, {args.predators} predators (adversary) and {args.prey} prey (agent), seed {args.seed}: each role's champion's ladder rating "
        "(mu; against its own frozen champions, the other role held by its first champion; the first champion is pinned at 25), and each role's median return a match, "
        f"averaged over the first and the last {window} generations.",
        "",
        "| role | ladder rating, generation by generation | median return: first | median return: last |",
        "|---|---|---|---|",
    ]
    for role, label in (("adversary", "predators (adversary)"), ("agent", "prey (agent)")):
        ladder = ", ".join(f"g{g} {v:.1f}" for g, v in ladders[role])
        lines.append(f"| {label} | {ladder} | {returns[role]['first']:.2f} | {returns[role]['last']:.2f} |")
    lines += ["", f"{meta['provenance']}; wall time {wall / 60:.1f} min.", ""]
    write_atomic(os.path.join(args.out, "simple_tag.md"), "\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
