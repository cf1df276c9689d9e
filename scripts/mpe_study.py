"""A real PettingZoo world: MPE's simple_spread with continuous actions, evolved by the arena.

    python scripts/mpe_study.py --setup mixed       # 3 seeds, 300 generations each
    python scripts/mpe_study.py --setup clones

Each seed is exactly ``eve-arena tournament --env mpe2.simple_spread_v3:parallel_env --env-arg
continuous_actions=True --hidden 16,16 --ranking round`` plus the setup's options (three agents
in every episode, 18 numbers in, 5 actions in [0, 1] out, the default hypernet genome writing an
18-16-16-5 net). simple_spread is cooperative: teammates share most of their reward, so a match
alone ranks almost nothing; ``--ranking round`` plays a round's matches on one seed and ranks
everyone by return across them. Setups: ``mixed``, the default GA, population 64, each match
three different members; ``clones``, PGPE, population 32, every match one member in all three
seats (``--match-size 1 --hall-opponents 0``), two rounds a generation. Every ``--eval-every`` generations the champion plays 8 evaluation episodes
(seeds no training match uses) with two random teammates and with two of the constant policy
(all actions 0: no movement), and the ladder rates it. The references are a team of three random
agents and three constant ones on the same evaluation seeds. The seeds' runs go through
``eve_arena.sweep``: one after another, or ``--backend ray --workers N`` N at a time. Writes
``--out``/SETUP/mpe_study.{md,csv,png}.
"""

from __future__ import annotations

import argparse
import os

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
from results_io import add_sweep_arguments, provenance, save_figure, swept, tournament_config, write_atomic, write_csv  # scripts/results_io.py

from eve_arena.agents.baselines import ConstantPredictor
from eve_arena.envs import world
from eve_arena.evaluator import Copies, RandomAgent, play_field
from eve_arena.runs import read_metrics

WORLD = "mpe2.simple_spread_v3:parallel_env"
WORLD_ARGS = {"continuous_actions": True}
SETUPS = {
    "mixed": ["--population", "64"],
    "clones": ["--population", "32", "--strategy", "pgpe", "--match-size", "1", "--hall-opponents", "0", "--rounds", "2"],
}
COLUMNS = ("generation", "eval/return_vs_random", "eval/return_vs_constant", "eval/return_vs_field", "ladder/rating", "ladder/anchors")


def seed_config(seed: int, args):
    """``eve-arena tournament`` with the setup's options, for one seed."""
    return tournament_config(
        "--env", WORLD, "--env-arg", "continuous_actions=True", "--hidden", "16,16", "--ranking", "round", *SETUPS[args.setup],
        "--generations", str(args.generations), "--eval-every", str(args.eval_every), "--seed", str(seed),
    )


def evaluations(seed: int, run) -> list[dict]:
    """The run's evaluations: the champion's returns beside its ladder rating."""
    return [{"seed": seed, **{k: r[k] for k in COLUMNS}} for r in read_metrics(run) if "ladder/rating" in r]


class NearestLandmark:
    """A hand-written reference: each agent heads for the landmark nearest to it (simple_spread's
    observation holds the landmarks' positions relative to the agent at entries 4-9; action 2
    pushes right, 1 left, 4 up, 3 down)."""

    name = "nearest landmark"

    def __init__(self, size: int):
        self.size = size

    def reset(self) -> None:
        pass

    def act(self, observations: list, action_space) -> list:
        actions = []
        for obs in observations:
            landmarks = np.asarray(obs[4:10]).reshape(3, 2)
            dx, dy = landmarks[np.argmin((landmarks**2).sum(axis=1))]
            push = np.array([0.0, max(-dx, 0), max(dx, 0), max(-dy, 0), max(dy, 0)]) * 3.0
            actions.append(np.clip(push, 0.0, 1.0).astype(action_space.dtype))
        return actions


def greedy_references(episodes: int) -> dict[str, float]:
    """Mean return of three nearest-landmark agents, and of one beside two random agents."""
    def env(seats):
        return world.build(WORLD, WORLD_ARGS, seats, fixed_seats=3)

    team = play_field(env, 3, NearestLandmark, {"nearest landmark": lambda size, seed: NearestLandmark(size)}, episodes, generation=0)
    mixed = play_field(env, 3, NearestLandmark, {"random": lambda size, seed: RandomAgent(size, seed)}, episodes, generation=0)
    return {"team": float(np.mean(team["nearest landmark"].returns)), "with random": float(np.mean(mixed["random"].returns))}


def references(episodes: int) -> dict[str, float]:
    """Mean return of a team of three random agents, and of three constant ones, on the evaluation seeds."""
    def env(seats):
        return world.build(WORLD, WORLD_ARGS, seats, fixed_seats=3)

    field = {"random": lambda size, seed: RandomAgent(size, seed), "constant": lambda size, seed: Copies(ConstantPredictor(), size)}
    out = {}
    for name, make in field.items():
        played = play_field(env, 3, lambda size, make=make: make(size, 0), {name: make}, episodes, generation=0)
        out[name] = float(np.mean(played[name].returns))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--setup", choices=SETUPS, default="clones")
    parser.add_argument("--generations", type=int, default=300)
    parser.add_argument("--eval-every", type=int, default=25)
    add_sweep_arguments(parser)
    parser.add_argument("--out", default="results/mpe")
    parser.add_argument("--references", action="store_true", help="only the hand-written and random references (references.md), no evolution")
    args = parser.parse_args()
    if args.references:
        refs, greedy = references(8), greedy_references(8)
        text = (
            f"simple_spread (continuous actions), mean return over the 8 evaluation seeds. {provenance()}.\n\n| team | return |\n|---|---|\n"
            f"| three random agents | {refs['random']:.2f} |\n| three constant agents (no movement) | {refs['constant']:.2f} |\n"
            f"| three nearest-landmark agents (hand-written) | {greedy['team']:.2f} |\n| one nearest-landmark agent, two random | {greedy['with random']:.2f} |\n"
        )
        os.makedirs(args.out, exist_ok=True)
        write_atomic(os.path.join(args.out, "references.md"), text)
        print(text)
        return
    args.out = os.path.join(args.out, args.setup)
    os.makedirs(args.out, exist_ok=True)
    configs = {f"run_{k}": seed_config(seed, args) for k, seed in enumerate(args.seeds)}
    with swept(configs, args) as run_dirs:
        per_seed = [evaluations(seed, run_dirs[key]) for seed, key in zip(args.seeds, configs)]
    rows = [r for seed_rows in per_seed for r in seed_rows]
    write_csv(os.path.join(args.out, "mpe_study.csv"), rows)
    refs = references(8)
    lines = [
        f"MPE simple_spread (continuous actions, 3 agents, 25 steps), setup {args.setup} (`{' '.join(SETUPS[args.setup])}`), {args.generations} generations, `--ranking round`. "
        f"Champion's mean return over 8 evaluation episodes (unseen seeds); higher is better. {provenance()}.",
        "",
        f"References on the same seeds: three random agents {refs['random']:.2f}, three constant agents (no movement) {refs['constant']:.2f}.",
        "",
        "| seed | with random teammates, first | with random teammates, last (best) | with constant teammates, first | with constant teammates, last (best) | ladder rating, first | ladder rating, last |",
        "|---|---|---|---|---|---|---|",
    ]
    for seed_rows in per_seed:
        first, last = seed_rows[0], seed_rows[-1]
        best = {k: max(r[k] for r in seed_rows) for k in ("eval/return_vs_random", "eval/return_vs_constant")}
        lines.append(
            f"| {first['seed']} | {first['eval/return_vs_random']:.2f} | {last['eval/return_vs_random']:.2f} ({best['eval/return_vs_random']:.2f}) | "
            f"{first['eval/return_vs_constant']:.2f} | {last['eval/return_vs_constant']:.2f} ({best['eval/return_vs_constant']:.2f}) | {first['ladder/rating']:.2f} | {last['ladder/rating']:.2f} |"
        )
    write_atomic(os.path.join(args.out, "mpe_study.md"), "\n".join(lines) + "\n")
    fig, axes = plt.subplots(1, 2, figsize=(12, 4))
    for ax, key, ref in ((axes[0], "eval/return_vs_random", "random"), (axes[1], "eval/return_vs_constant", "constant")):
        for k, seed_rows in enumerate(per_seed):
            ax.plot([r["generation"] for r in seed_rows], [r[key] for r in seed_rows], "o-", ms=3, color=f"C{k}", label=f"champion, seed {seed_rows[0]['seed']}")
        ax.axhline(refs[ref], color="0.4", ls=":", label=f"three {ref} agents")
        ax.set_xlabel("generation")
        ax.set_ylabel("mean evaluation return")
        ax.set_title(f"simple_spread: champion with two {ref} teammates")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    fig.tight_layout()
    save_figure(fig, os.path.join(args.out, "mpe_study.png"))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
