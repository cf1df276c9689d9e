"""Does the degenerate challenger lose? Evolved solvers played against fixed challenger choices, under the chosen reward and the old one.

    python scripts/degenerate_challenger.py --out results/coevolution
    python scripts/degenerate_challenger.py --generations 2 --episodes 2 --seeds 0 --out /tmp/d   # smoke

A degenerate challenger asks what no solver can answer, or inflates every loss: on the toy
quadratic, inputs at the bound (x = 4, where f = 162), as narrow as allowed. For each seed and
setting this co-evolves solvers and challengers (``Coevolution(CoevolutionConfig(seed,
ladder_every=0))``, ``--generations``), then plays the evolved solver population (the solver
strategy's last proposal) in the toy challenge world with one challenger seat per fixed choice
``(center, spread)``, all in the same ``--episodes`` seeded episodes: every choice meets the same
solvers, base draws and scale. A choice pays on the step after it is made, so only steps after
the first count. Per choice: the mean pay (the world's challenger reward: regret within reach)
per step, the fraction of those steps within reach, and its rank by pay.

Settings:

- ``chosen``: ``eve-arena coevolve``'s world (``TOY_WORLD_KWARGS``: base_fraction 0.875,
  min_spread 0.5, solver_score log_share, reach 4);
- ``bounded``: the same with ``regret="bounded"``, (median - best) / (median + scale), at most 1;
- ``old`` (``--compare``, on by default): the settings before them (base_fraction 0.5, min_spread
  0.05, solver_score mse), where a share of one point at the bound was the challengers' best.

Writes ``degenerate.json`` (every seed's numbers, provenance) and ``degenerate.md`` (medians over
seeds, a verdict per setting) under ``--out``.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import time

import numpy as np

from results_io import provenance, write_atomic  # scripts/results_io.py

OLD = {"base_fraction": 0.5, "min_spread": 0.05, "solver_score": "mse", "regret": "ratio"}
"""The toy co-evolution's world settings before base_fraction, min_spread and log_share were chosen."""
DEGENERATE = "at the bound, as narrow as allowed"
EVOLVED = "evolved challengers' median"
# (name, center, spread); a spread of None is the world's min_spread.
FIXED_CHOICES = (
    (DEGENERATE, 4.0, None),
    ("at the bound, broad", 4.0, 4.0),
    ("far", 3.0, 0.5),
    ("mid", 2.0, 0.5),
    ("mid, broader", 2.0, 1.0),
    ("the wide target N(0, 2^2)", 0.0, 2.0),
    ("the base N(0, 1)", 0.0, 1.0),
)


def settings() -> dict[str, dict]:
    """``{setting: world settings}``: the chosen toy world, it with the bounded regret, and the old one."""
    from eve_arena.coevolution import TOY_WORLD_KWARGS

    return {"chosen": dict(TOY_WORLD_KWARGS), "bounded": {**TOY_WORLD_KWARGS, "regret": "bounded"}, "old": {**TOY_WORLD_KWARGS, **OLD}}


def choices_for(env_kwargs: dict, evolved: tuple[float, float] | None = None) -> list[dict]:
    """The fixed choices in a world (the degenerate one at its ``min_spread``), then the evolved
    challengers' median choice when given, each clipped to the challengers' bounds."""
    from eve_arena.envs.toy_challenge import MIN_SPREAD

    bound, narrow = env_kwargs.get("x_bound", 4.0), env_kwargs.get("min_spread", MIN_SPREAD)
    made = [(name, center, narrow if spread is None else spread) for name, center, spread in FIXED_CHOICES]
    if evolved is not None:
        made.append((EVOLVED, *evolved))
    return [{"choice": name, "center": float(np.clip(center, -bound, bound)), "spread": float(np.clip(spread, narrow, bound))} for name, center, spread in made]


def probe(team, choices: list[dict], env_kwargs: dict, episodes: int, seed: int = 0) -> list[dict]:
    """Plays ``team`` (a ``GenomeTeam``, or anything with ``size``, ``reset`` and ``act``) as the
    solvers of one toy challenge world against one challenger seat per choice, holding each
    choice's ``[center, log spread]`` for ``episodes`` episodes (seeds ``seed * 1000 + e``).
    Returns, per choice, its mean pay per step and the fraction of steps within reach, over the
    steps after the first (a choice pays on the step after it is made)."""
    from eve_arena.envs.toy_challenge import ToyChallengeEnv

    kwargs = {k: v for k, v in env_kwargs.items() if k not in ("num_solvers", "num_challengers")}
    env = ToyChallengeEnv(num_solvers=team.size, num_challengers=len(choices), **kwargs)
    space = env.action_space(env.challengers[0])
    held = {agent: np.clip(np.array([c["center"], math.log(c["spread"])], np.float32), space.low, space.high) for agent, c in zip(env.challengers, choices)}
    pay, within, steps = np.zeros(len(choices)), np.zeros(len(choices)), 0
    for episode in range(episodes):
        observations, _ = env.reset(seed=seed * 1000 + episode)
        team.reset()
        step = 0
        while env.agents:
            answers = team.act([observations[a] for a in env.solvers], env.action_space(env.solvers[0]))
            observations, rewards, _, _, infos = env.step(dict(zip(env.solvers, answers)) | held)
            step += 1
            if step > 1:
                pay += [rewards[a] for a in env.challengers]
                within += [infos[a]["within_reach"] for a in env.challengers]
                steps += 1
    env.close()
    share = int(np.sum(env.frame["share"] == 1))  # the inputs of the first choice's share
    return [{**c, "pay": float(p / steps), "within_reach": float(w / steps), "share_inputs": share} for c, p, w in zip(choices, pay, within)]


def one_seed(env_kwargs: dict, seed: int, generations: int, episodes: int) -> dict:
    """Co-evolves the toy world with ``env_kwargs`` from ``seed``, then probes its solvers."""
    import torch

    from eve_arena.agents.genome_agent import GenomeTeam
    from eve_arena.coevolution import Coevolution, CoevolutionConfig

    torch.set_num_threads(1)
    started = time.process_time()
    run = Coevolution(CoevolutionConfig(seed=seed, env_kwargs=env_kwargs, ladder_every=0))
    for _ in range(generations):
        last = run.step()
    evolved = (last["challenger/center_median"], last["challenger/spread_median"])
    solvers = run.strategies["solver"].ask(run.states["solver"])[0]
    team = GenomeTeam(run.config.roles["solver"].genome, solvers, "solver")
    rows = probe(team, choices_for(env_kwargs, evolved), env_kwargs, episodes, seed)
    return {"seed": seed, "rows": rows, "cpu_s": round(time.process_time() - started, 1)}


def summarise(runs: list[dict]) -> list[dict]:
    """Per choice (in the probe's order): each seed's pay and within-reach fraction, their
    medians over seeds, and the rank by median pay (1: the most)."""
    rows = []
    for i, first in enumerate(runs[0]["rows"]):
        mine = [r["rows"][i] for r in runs]
        rows.append({"choice": first["choice"], "center": [m["center"] for m in mine], "spread": [m["spread"] for m in mine],
                     "pay": [m["pay"] for m in mine], "within_reach": [m["within_reach"] for m in mine],
                     "pay_median": statistics.median(m["pay"] for m in mine), "within_reach_median": statistics.median(m["within_reach"] for m in mine)})
    order = sorted(range(len(rows)), key=lambda i: -rows[i]["pay_median"])
    for rank, i in enumerate(order, 1):
        rows[i]["rank"] = rank
    return rows


def verdict(setting: str, rows: list[dict]) -> dict:
    """Whether the degenerate choice earns less than the best of the other choices and less than
    their median, on medians over seeds; and in how many seeds it earns less than the best."""
    degenerate = next(r for r in rows if r["choice"] == DEGENERATE)
    others = [r for r in rows if r is not degenerate]
    best = max(others, key=lambda r: r["pay_median"])
    median = statistics.median(r["pay_median"] for r in others)
    seeds = len(degenerate["pay"])
    below = sum(degenerate["pay"][s] < max(r["pay"][s] for r in others) for s in range(seeds))
    loses, below_median = degenerate["pay_median"] < best["pay_median"], degenerate["pay_median"] < median
    outcome = "loses" if loses and below_median else "loses to the best, not to the median" if loses else "does not lose"
    line = (f"- {setting}: the degenerate choice ({DEGENERATE}, rank {degenerate['rank']} of {len(rows)}) earns {degenerate['pay_median']:.4g} a step, "
            f"{'less' if loses else 'not less'} than the best other choice ({best['choice']}, {best['pay_median']:.4g}) and "
            f"{'less' if below_median else 'not less'} than the other choices' median ({median:.4g}); less than the best in {below} of {seeds} seeds: it **{outcome}**.")
    return {"setting": setting, "degenerate": degenerate["pay_median"], "best_other": best["choice"], "best_other_pay": best["pay_median"],
            "others_median": median, "loses": loses, "below_median": below_median, "seeds_below_best": below, "outcome": outcome, "line": line}


def markdown(results: dict, meta: dict) -> str:
    def cell(values: list[float], median: float) -> str:
        return f"**{median:.4g}** ({', '.join(f'{v:.4g}' for v in values)})"

    def where(values: list[float]) -> str:
        return f"{values[0]:g}" if len(set(values)) == 1 else ", ".join(f"{v:.3g}" for v in values)

    lines = [
        f"Toy quadratic: solvers co-evolved for {meta['generations']} generations (seeds {', '.join(map(str, meta['seeds']))}), then played {meta['episodes']} episodes "
        "per seed against fixed challenger choices, all in the same episodes. Pay: a choice's challenger reward per step after the first (regret within reach), "
        "median over seeds (each seed in brackets); within reach: the fraction of those steps; rank by median pay (1: the most). "
        f"The evolved challengers' median: their last generation's median center and spread (per seed).",
        "",
    ]
    for setting, result in results.items():
        world = result["env_kwargs"]
        lines += [f"### {setting}: base_fraction {world['base_fraction']:g}, min_spread {world['min_spread']:g}, solver_score {world['solver_score']}, reach {world['reach']:g} "
                  f"({result['share_inputs']} inputs a choice)", "",
                  "| choice | center | spread | pay / step | within reach | rank |", "|---|---|---|---|---|---|"]
        for row in result["summary"]:
            lines.append(f"| {row['choice']} | {where(row['center'])} | {where(row['spread'])} | {cell(row['pay'], row['pay_median'])} | "
                         f"{cell(row['within_reach'], row['within_reach_median'])} | {row['rank']} |")
        lines.append("")
    lines += [result["verdict"]["line"] for result in results.values()]
    lines += ["", f"{meta['provenance']}; wall time {meta['wall_s'] / 60:.1f} min.", ""]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--generations", type=int, default=300)
    parser.add_argument("--episodes", type=int, default=20, help="probe episodes per seed")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--compare", action=argparse.BooleanOptionalAction, default=True, help="also the old settings (base_fraction 0.5, min_spread 0.05, solver_score mse)")
    parser.add_argument("--out", default="results/coevolution")
    args = parser.parse_args()
    if args.generations < 1 or args.episodes < 1:
        parser.error("--generations and --episodes must be at least 1")
    os.makedirs(args.out, exist_ok=True)
    started = time.perf_counter()
    results = {}
    for setting, env_kwargs in settings().items():
        if setting == "old" and not args.compare:
            continue
        runs = []
        for seed in args.seeds:
            runs.append(one_seed(env_kwargs, seed, args.generations, args.episodes))
            print(f"{setting} seed {seed}: {runs[-1]['cpu_s']:.0f} CPU s", flush=True)
        summary = summarise(runs)
        results[setting] = {"env_kwargs": env_kwargs, "share_inputs": runs[0]["rows"][0]["share_inputs"], "summary": summary, "verdict": verdict(setting, summary), "runs": runs}
    meta = {"provenance": provenance(), "generations": args.generations, "episodes": args.episodes, "seeds": args.seeds, "wall_s": round(time.perf_counter() - started, 1)}
    write_atomic(os.path.join(args.out, "degenerate.json"), json.dumps({"meta": meta, "results": results}, indent=1))
    write_atomic(os.path.join(args.out, "degenerate.md"), markdown(results, meta))
    print(markdown(results, meta))


if __name__ == "__main__":
    main()
