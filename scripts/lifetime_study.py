"""Lifetime-adaptive against fixed agents on the sinusoid family, rated head to head.

    python scripts/lifetime_study.py              # 3 seeds: evolution, backprop references, head-to-head
    python scripts/lifetime_study.py --change-every 4 --out results/lifetime/within_episode
                                                  # and a new curve in the middle of every episode

On ``toy_sinusoid-v0`` every episode is a new curve ``A sin(x + phi)``: before an episode an agent
can know the family, not the curve. Four kinds of agent, one of each per seed:

- ``evolved plastic``: a GA tournament of hypernet genomes with ``lifetime='plastic'``, whose
  plasticity hypernet writes each weight's step size for learning from the feedback (``lifetime``);
- ``evolved fixed``: the same tournament with fixed-lifetime hypernets, their hidden layers widened
  to (nearly) the same parameter count;
- ``backprop plastic``: the plastic genome trained by Adam through whole episodes (the way MAML
  trains an initialisation, here with the per-weight step sizes as well);
- ``backprop fixed``: the fixed genome trained by Adam on curves of the family.

Then all of them meet in one head-to-head tournament on curves none was trained on (another
``change_seed``): every episode is a free-for-all of every agent, rated by OpenSkill as the
arena rates matches. Writes ``--out``/lifetime_study.{md,csv,png}.
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
import torch
from results_io import save_figure, write_atomic, write_csv  # scripts/results_io.py
from safetensors.torch import load_file

from eve_arena import ratings
from eve_arena.agents.genome_agent import GenomeTeam
from eve_arena.config import ArenaConfig
from eve_arena.envs import make_env
from eve_arena.founders import fresh_genomes
from eve_arena.genome import GenomeSpec
from eve_arena.lifetime import lifetime_losses
from eve_arena.match import play_match
from eve_arena.runs import CHAMPION_FILE, read_metrics, run_arena, start_run
from eve_arena.tasks import curve_at

WORLD = "eve_arena/toy_sinusoid-v0"
KINDS = ("evolved plastic", "evolved fixed", "backprop plastic", "backprop fixed")
EVAL_CURVES = 10_000
"""``change_seed`` of the head-to-head: its curves are drawn apart from those of training (seed 0)."""


def genomes_for(args) -> tuple[GenomeSpec, GenomeSpec]:
    """The plastic genome, and the fixed one whose hypernet widths bring it nearest in size."""
    plastic = dataclasses.replace(
        ArenaConfig.for_env(WORLD).genome, target=tuple(args.target), lifetime="plastic",
        plasticity_lr=args.plasticity_lr, plasticity_hidden=tuple(args.plasticity_hidden), plasticity_rule=args.rule,
    )
    fixed = dataclasses.replace(plastic, lifetime="fixed")
    widths = [(a, b) for a in range(1, 64) for b in range(1, 64)]
    best = min(widths, key=lambda w: (abs(dataclasses.replace(fixed, hyper_hidden=(w, w)).genome_size - plastic.genome_size), abs(w[0] - w[1])))
    return plastic, dataclasses.replace(fixed, hyper_hidden=(best, best))


def evolve(spec: GenomeSpec, seed: int, args, scratch: Path) -> tuple[torch.Tensor, list[dict]]:
    config = ArenaConfig.for_env(WORLD, genome=spec, generations=args.generations, seed=seed, checkpoint_every=args.generations, env_kwargs=env_kwargs(args))
    run_dir = scratch / f"{spec.lifetime}_seed{seed}"
    start_run(config, run_dir)
    run_arena(run_dir, progress=False)
    return load_file(str(run_dir / CHAMPION_FILE))["genome"], read_metrics(run_dir)


def env_kwargs(args) -> dict:
    within = {"change_unit": "step", "change_every": args.change_every} if args.change_every else {}
    return {"batch_size": args.batch_size, "max_steps": args.steps, **within}


def episodes(rng: np.random.Generator, count: int, args, curve_seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """``xs (S, count, B, 1)`` and ``ys (S, count, B)``: ``count`` episodes, each on a new curve of
    the family, or with ``--change-every`` a new curve every so many steps (``curve_seed``
    numbers the draws, as the env's ``change_seed`` does)."""
    xs, ys = [], []
    every = args.change_every or args.steps
    for _ in range(count):
        x, y = [], []
        for start in range(0, args.steps, every):
            task = curve_at("sinusoid", float(rng.integers(2**31)), curve_seed)
            curve_x, curve_y = task.sample(rng, min(every, args.steps - start) * args.batch_size)
            x.append(curve_x)
            y.append(curve_y)
        xs.append(np.concatenate(x).reshape(args.steps, args.batch_size))
        ys.append(np.concatenate(y).reshape(args.steps, args.batch_size))
    return torch.from_numpy(np.stack(xs, 1))[..., None], torch.from_numpy(np.stack(ys, 1))


def backprop(spec: GenomeSpec, seed: int, args) -> tuple[torch.Tensor, list[float]]:
    """One genome trained by Adam on the mean loss over whole episodes, a batch of new curves per step."""
    genome = fresh_genomes(spec, 1, torch.Generator().manual_seed(seed)).requires_grad_(True)
    optimizer = torch.optim.Adam([genome], lr=args.lr)
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, args.backprop_steps)
    rng = np.random.default_rng([seed, 1])
    trace = []
    for _ in range(args.backprop_steps):
        xs, ys = episodes(rng, args.curves_per_step, args, curve_seed=0)
        loss = lifetime_losses(spec, genome.expand(args.curves_per_step, -1), xs, ys).mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        schedule.step()
        trace.append(float(loss.detach()))
    return genome.detach(), trace


def head_to_head(agents: list[dict], args) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Every agent in every episode on a new curve: ratings ``(mu, sigma)``, and ``(episodes, agents)`` returns and mean MSEs."""
    env = make_env(WORLD, num_agents=len(agents), change_seed=EVAL_CURVES, **env_kwargs(args))
    roster = [GenomeTeam(a["spec"], a["genome"][None], name=a["name"]) for a in agents]
    mu, sigma = ratings.fresh(len(agents))
    seats = np.arange(len(agents))
    returns, mse = [], []
    for episode in range(args.episodes):
        result = play_match(env, roster, seed=episode)
        mu, sigma = ratings.rate_match(mu, sigma, seats, result.returns)
        returns.append(result.returns)
        mse.append(result.info_means["mse"])
    return mu, sigma, np.array(returns), np.array(mse)


@torch.no_grad()
def step_curves(agents: list[dict], args) -> np.ndarray:
    """``(agents, S)`` each agent's mean MSE at each step of an episode, over new curves."""
    xs, ys = episodes(np.random.default_rng([EVAL_CURVES, 2]), args.episodes, args, curve_seed=EVAL_CURVES)
    return np.stack([lifetime_losses(a["spec"], a["genome"].reshape(1, -1).expand(args.episodes, -1), xs, ys).mean(1).numpy() for a in agents])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--generations", type=int, default=400, help="GA generations of each evolved agent")
    parser.add_argument("--batch-size", type=int, default=32, help="inputs per step (the feedback a plastic agent learns from)")
    parser.add_argument("--steps", type=int, default=8, help="steps per episode")
    parser.add_argument("--change-every", type=int, default=0, help="a new curve every this many steps within an episode too (0: one curve per episode)")
    parser.add_argument("--target", type=int, nargs="+", default=[1, 20, 20, 1], help="the agents' net")
    parser.add_argument("--rule", choices=("normalized", "sgd"), default="normalized", help="the plastic genome's learning rule")
    parser.add_argument("--plasticity-lr", type=float, default=0.02, help="the step size a fresh plasticity net writes")
    parser.add_argument("--plasticity-hidden", type=int, nargs="+", default=[8])
    parser.add_argument("--backprop-steps", type=int, default=2000)
    parser.add_argument("--curves-per-step", type=int, default=16, help="backprop: episodes (curves) per Adam step")
    parser.add_argument("--lr", type=float, default=3e-3, help="backprop: Adam's learning rate")
    parser.add_argument("--episodes", type=int, default=300, help="head-to-head episodes")
    parser.add_argument("--out", default="results/lifetime")
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    plastic, fixed = genomes_for(args)
    print(f"plastic genome {plastic.genome_size} parameters (hypernet {plastic.builder_size}, plasticity {plastic.genome_size - plastic.builder_size}); "
          f"fixed genome {fixed.genome_size} (hypernet widths {fixed.hyper_hidden[0]})", flush=True)
    agents, traces = [], {}
    with tempfile.TemporaryDirectory() as scratch:
        for seed in args.seeds:
            for kind, spec in (("evolved plastic", plastic), ("evolved fixed", fixed)):
                started = time.time()
                genome, metrics = evolve(spec, seed, args, Path(scratch))
                agents.append({"kind": kind, "seed": seed, "spec": spec, "genome": genome[0], "name": f"{kind} {seed}", "seconds": round(time.time() - started, 1)})
                traces[(kind, seed)] = [m["population/match_mse_median"] for m in metrics]
                print(f"{kind} seed {seed}: {args.generations} generations in {agents[-1]['seconds']} s, last population median match MSE {traces[(kind, seed)][-1]:.3g}", flush=True)
            for kind, spec in (("backprop plastic", plastic), ("backprop fixed", fixed)):
                started = time.time()
                genome, trace = backprop(spec, seed, args)
                agents.append({"kind": kind, "seed": seed, "spec": spec, "genome": genome[0], "name": f"{kind} {seed}", "seconds": round(time.time() - started, 1)})
                print(f"{kind} seed {seed}: {args.backprop_steps} Adam steps in {agents[-1]['seconds']} s, last episode loss {np.mean(trace[-50:]):.3g}", flush=True)
    mu, sigma, returns, match_mse = head_to_head(agents, args)
    curves = step_curves(agents, args)
    ordinal = ratings.ordinal(mu, sigma)
    rows = [
        {
            "kind": a["kind"], "seed": a["seed"], "genome_params": a["spec"].genome_size, "mu": round(float(mu[i]), 3), "sigma": round(float(sigma[i]), 3),
            "ordinal": round(float(ordinal[i]), 3), "mean_return": round(float(returns[:, i].mean()), 4), "match_mse": round(float(match_mse[:, i].mean()), 4),
            "mse_first_step": round(float(curves[i, 0]), 4), "mse_last_step": round(float(curves[i, -1]), 4), "train_seconds": a["seconds"],
        }
        for i, a in enumerate(agents)
    ]
    write_csv(os.path.join(args.out, "lifetime_study.csv"), rows)
    kind_of = np.array([a["kind"] for a in agents])
    # Head to head, episode by episode: how often an evolved plastic agent out-scores an evolved fixed one.
    plastic_seats, fixed_seats = np.flatnonzero(kind_of == "evolved plastic"), np.flatnonzero(kind_of == "evolved fixed")
    wins = (returns[:, plastic_seats, None] > returns[:, None, fixed_seats]).mean()
    write_atomic(os.path.join(args.out, "lifetime_study.md"), table(rows, args, plastic, fixed, wins))
    plot(agents, curves, mu, sigma, args)
    print(json.dumps({"plastic_beats_fixed": float(wins), "wrote": [f"{args.out}/lifetime_study.{ext}" for ext in ("md", "csv", "png")]}))


def table(rows: list[dict], args, plastic: GenomeSpec, fixed: GenomeSpec, wins: float) -> str:
    command = (
        f"python scripts/lifetime_study.py --rule {args.rule} --plasticity-lr {args.plasticity_lr} --seeds {' '.join(map(str, args.seeds))} --generations {args.generations} --batch-size {args.batch_size} --steps {args.steps} --change-every {args.change_every} "
        f"--backprop-steps {args.backprop_steps} --episodes {args.episodes}"
    )
    lines = [
        (
            f"Lifetime-adaptive against fixed agents on `toy_sinusoid-v0` (a new curve every episode{f' and every {args.change_every} steps within it' if args.change_every else ''}, {args.steps} steps of {args.batch_size} points): "
            f"{len(args.seeds)} seeds of each kind in one head-to-head tournament of {args.episodes} episodes on curves none was trained on, every agent in every episode, rated by OpenSkill. "
            f"Plastic genome: {plastic.genome_size} parameters (hypernet widths {plastic.hyper_hidden[0]}, plasticity net {plastic.plasticity_hidden}, {plastic.plasticity_rule} rule, base step {plastic.plasticity_lr}); "
            f"fixed genome: {fixed.genome_size} (hypernet widths {fixed.hyper_hidden[0]}). Evolved: GA tournaments of {args.generations} generations; "
            f"backprop: {args.backprop_steps} Adam steps of {args.curves_per_step} episodes."
        ),
        "",
        f"`{command}`",
        "",
        f"An evolved plastic agent out-scores an evolved fixed one in {wins:.1%} of head-to-head pairings (episode by episode, every plastic seed against every fixed seed).",
        "",
        "| kind | seeds | parameters | rating ordinal (mu - 3 sigma), per seed | mean match MSE | MSE at step 1 | MSE at the last step |",
        "|---|---|---|---|---|---|---|",
    ]
    for kind in KINDS:
        mine = [r for r in rows if r["kind"] == kind]
        per_seed = ", ".join(f"{r['ordinal']:.2f}" for r in mine)
        lines.append(
            f"| {kind} | {len(mine)} | {mine[0]['genome_params']} | {per_seed} | {np.mean([r['match_mse'] for r in mine]):.3g} | "
            f"{np.mean([r['mse_first_step'] for r in mine]):.3g} | {np.mean([r['mse_last_step'] for r in mine]):.3g} |"
        )
    return "\n".join(lines) + "\n"


def plot(agents: list[dict], curves: np.ndarray, mu: np.ndarray, sigma: np.ndarray, args) -> None:
    fig, (left, right) = plt.subplots(1, 2, figsize=(13, 4.5))
    steps = np.arange(1, curves.shape[1] + 1)
    for k, kind in enumerate(KINDS):
        for i in [i for i, a in enumerate(agents) if a["kind"] == kind]:
            left.plot(steps, curves[i], color=f"C{k}", alpha=0.8, marker="o", ms=3, label=kind if agents[i]["seed"] == args.seeds[0] else None)
    for start in range(args.change_every + 1, curves.shape[1] + 1, args.change_every or curves.shape[1]):
        left.axvline(start - 0.5, color="0.5", lw=0.8, ls=":")  # a new curve from this step on
    left.set_yscale("log")
    left.set_xlabel("step of the episode (a plastic agent has learned from the steps before)" + ("; dotted: a new curve" if args.change_every else ""))
    left.set_ylabel("mean MSE over new curves")
    left.set_title("learning within a life: error at each step")
    left.grid(alpha=0.3)
    left.legend(fontsize=8)
    order = np.argsort(-ratings.ordinal(mu, sigma))
    colours = [f"C{KINDS.index(agents[i]['kind'])}" for i in order]
    right.barh(np.arange(len(order)), mu[order], xerr=3 * sigma[order], color=colours, alpha=0.8)
    right.set_yticks(np.arange(len(order)), [agents[i]["name"] for i in order], fontsize=8)
    right.invert_yaxis()
    right.set_xlabel("OpenSkill mu (bars: +- 3 sigma)")
    right.set_title(f"head-to-head ratings, {args.episodes} episodes on new curves")
    right.grid(alpha=0.3, axis="x")
    fig.tight_layout()
    save_figure(fig, os.path.join(args.out, "lifetime_study.png"))


if __name__ == "__main__":
    main()
