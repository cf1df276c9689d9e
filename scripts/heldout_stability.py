"""How stable the toy world's held-out MSE is: random samples of x ~ N(0, 1) against quadratures.

    python scripts/heldout_stability.py        # writes results/heldout_stability.{md,json}, ~2 min on 2 idle cores

The quadratic toy target 10x^2 + 2 grows fast in the tails, and a ReLU net extrapolates it with
straight lines, so a net's squared error at |x| > 3 can be hundreds of times its median: the MSE
on n random points is dominated by the few that land in the tails. This script takes a few
trained nets (the champion of the default tournament, seed 0, at three generations, and two
backprop fits of the seed's chapters 1 and 2) and scores each

* against a reference: the expected squared error over x ~ N(0, 1) plus the noise variance, by a
  trapezoid rule on 480,001 points of [-12, 12] weighted by the normal density;
* on ``--draws`` random samples of n points (``ToyTask.sample`` on seeds (10000 + d, 7); d = 0 was
  the held-out split before) for n = 2,000, 20,000 and 200,000: the spread over draws;
* on ``ToyTask.heldout()`` and ``ToyTask.test()``, what the arena scores champions on now: the
  trapezoid and the midpoint rule on about 1,000 points of [-8, 8], weighted by the density;
* on equal-weight quantile midpoints of N(0, 1) (x_i = the (i + 1/2)/n quantile), an alternative
  that needs no weights: its ratio to the reference, for several n.
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np
import torch
from results_io import provenance, write_atomic  # scripts/results_io.py

from eve_arena.arena import Arena
from eve_arena.config import ArenaConfig
from eve_arena.develop import predict
from eve_arena.genome import GenomeSpec
from eve_arena.tasks import ToyTask
from eve_arena.train import fit, heldout_loss, heldout_scores


def trained_nets(generations: tuple[int, ...], fit_steps: int) -> list[tuple[str, GenomeSpec, torch.Tensor]]:
    """``(name, spec, (1, D) genome)``: tournament champions at ``generations``, then two backprop fits."""
    nets = []
    arena = Arena(ArenaConfig.for_env("eve_arena/toy_quadratic-v0", seed=0, generations=max(generations)))
    for g in range(max(generations)):
        arena.step()
        if g + 1 in generations:
            nets.append((f"tournament champion, generation {g + 1}", arena.config.genome, arena.state.champion[None].clone()))
    task = ToyTask()
    for name, spec, lr in [
        ("backprop, direct 1-5-5-1 net (chapter 1)", GenomeSpec(target=(1, 5, 5, 1), depth=0), 0.3),
        ("backprop, depth-1 hypernet (chapter 2)", arena.config.genome, 1e-2),
    ]:
        nets.append((f"{name}, {fit_steps} steps", spec, fit(spec, task, steps=fit_steps, lr=lr, batch_size=1024, seed=0).genomes))
    return nets


@torch.no_grad()
def squared_errors(spec: GenomeSpec, genome: torch.Tensor, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """``(n,)`` float64 squared error of the net at ``x`` against ``y``, in chunks."""
    out = [predict(spec, genome, torch.from_numpy(x[i : i + 500_000]).reshape(-1, 1))[0, :, 0].numpy() for i in range(0, len(x), 500_000)]
    return (np.concatenate(out).astype(np.float64) - y) ** 2


def reference(spec: GenomeSpec, genome: torch.Tensor, task: ToyTask, points: int = 480_001, bound: float = 12.0) -> float:
    """E[(f(x) - net(x))^2] + noise^2 over x ~ N(0, 1): trapezoid rule on [-bound, bound]."""
    x = np.linspace(-bound, bound, points)
    w = np.exp(-0.5 * x**2)
    w[[0, -1]] *= 0.5
    e = squared_errors(spec, genome, x.astype(np.float32), task.truth(x.astype(np.float32)).astype(np.float64))
    return float((w * e).sum() / w.sum()) + task.noise**2


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--draws", type=int, default=20, help="random samples per n (default: 20)")
    parser.add_argument("--sizes", type=int, nargs="+", default=[2000, 20000, 200000], help="random sample sizes (default: 2000 20000 200000)")
    parser.add_argument("--quantile-sizes", type=int, nargs="+", default=[2000, 5000, 20000, 100000], help="quantile-midpoint sizes (default: 2000 5000 20000 100000)")
    parser.add_argument("--generations", type=int, nargs="+", default=[200, 500, 1000], help="tournament generations whose champions are scored (default: 200 500 1000)")
    parser.add_argument("--fit-steps", type=int, default=2000, help="Adam steps of the backprop fits (default: 2000)")
    parser.add_argument("--out", default="results", help="directory for heldout_stability.{md,json} (default: results)")
    args = parser.parse_args()
    torch.set_num_threads(1)
    started = time.time()
    task = ToyTask()
    nets = trained_nets(tuple(args.generations), args.fit_steps)
    rows = []
    for name, spec, genome in nets:
        ref = reference(spec, genome, task)
        row = {"net": name, "reference": ref, "heldout": float(heldout_loss(spec, genome, task)[0])}
        row["test"] = float(heldout_scores(spec, genome, task, split="test")["loss"][0])
        row["random"] = {}
        for n in args.sizes:
            draws = np.array([squared_errors(spec, genome, *(lambda s: (s[0], s[1].astype(np.float64)))(task.sample(np.random.default_rng([10_000 + d, 7]), n))).mean() for d in range(args.draws)])
            row["random"][n] = {"mean": float(draws.mean()), "sd": float(draws.std(ddof=1)), "min": float(draws.min()), "max": float(draws.max())}
        row["quantile_midpoints"] = {}
        for n in args.quantile_sizes:
            x = torch.special.ndtri(torch.from_numpy((np.arange(n) + 0.5) / n)).numpy().astype(np.float32)
            row["quantile_midpoints"][n] = float(squared_errors(spec, genome, x, task.truth(x).astype(np.float64)).mean()) + task.noise**2
        rows.append(row)
        print(f"{name}: reference {ref:.4g}, heldout {row['heldout']:.4g}, test {row['test']:.4g}, " + ", ".join(f"n={n}: {v['mean']:.3g} ± {v['sd']:.2g} [{v['min']:.3g}, {v['max']:.3g}]" for n, v in row["random"].items()), flush=True)

    made = provenance()
    lines = [
        "# Toy held-out MSE: random samples against quadrature (scripts/heldout_stability.py)",
        "",
        "Task: y = 10x^2 + 2 + N(0, 0.1^2), x ~ N(0, 1). Reference: the expected squared error plus the noise variance, by a trapezoid rule on 480,001 points over [-12, 12] weighted by the normal density.",
        f"Random: {args.draws} draws of n points each (`ToyTask.sample` on seeds (10000 + d, 7), the old held-out split at n = 2,000): mean ± standard deviation [min, max] over draws.",
        "Held-out and test now: `ToyTask.heldout()` (trapezoid rule, 1,001 points of [-8, 8]) and `ToyTask.test()` (midpoint rule, the 1,000 cell centres), weighted by the density, each point with the target plus and minus one noise standard deviation.",
        "Quantile midpoints (rejected): equal weights at the n quantile midpoints of N(0, 1), plus the noise variance; the table shows the ratio to the reference. They miss the tails beyond the outermost point.",
        "",
        "| net | reference | held-out now | test now | " + " | ".join(f"random n={n:,}" for n in args.sizes) + " | random n for a 0.5% sd | " + " | ".join(f"quantile midpoints n={n:,} / ref" for n in args.quantile_sizes) + " |",
        "|---" * (5 + len(args.sizes) + len(args.quantile_sizes)) + "|",
    ]
    for r in rows:
        cells = [r["net"], f"{r['reference']:.4g}", f"{r['heldout']:.4g}", f"{r['test']:.4g}"]
        cells += [f"{v['mean']:.3g} ± {v['sd']:.2g} [{v['min']:.3g}, {v['max']:.3g}]" for v in r["random"].values()]
        largest = r["random"][max(args.sizes)]
        cells.append(f"{max(args.sizes) * (largest['sd'] / r['reference'] / 0.005) ** 2:.1e}")  # the sd shrinks as 1 / sqrt(n)
        cells += [f"{v / r['reference']:.4f}" for v in r["quantile_midpoints"].values()]
        lines.append("| " + " | ".join(cells) + " |")
    worst = max(max(abs(r["heldout"] / r["reference"] - 1), abs(r["test"] / r["reference"] - 1)) for r in rows)
    spread = max(r["random"][args.sizes[0]]["max"] / r["random"][args.sizes[0]]["min"] for r in rows)
    lines += [
        "",
        f"Held-out and test now against the reference: at most {100 * worst:.3f}% apart over these {len(rows)} nets (a quadrature: the same figure on every call). Random samples of {args.sizes[0]:,} points: up to {spread:.1f}x between the lowest and highest of {args.draws} draws for one net.",
        "",
        f"{made}; {time.time() - started:.0f} s.",
    ]
    write_atomic(f"{args.out}/heldout_stability.md", "\n".join(lines) + "\n")
    write_atomic(f"{args.out}/heldout_stability.json", json.dumps({"provenance": made, "draws": args.draws, "rows": rows}, indent=1) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
