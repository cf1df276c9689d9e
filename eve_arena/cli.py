"""The ``eve-arena`` command: parses, builds configs, and calls the library. Nothing else.

    eve-arena tournament --out runs/demo        # evolve on the default toy world
    eve-arena coevolve --out runs/co            # a population per role: solvers and challengers
    eve-arena resume runs/demo                  # continue a stopped run from its checkpoint
    eve-arena render runs/demo --gif match.gif  # the champion against the hall of fame
    eve-arena adaptivity runs/demo              # drops and recoveries at each change of a changing world
    eve-arena envs                              # the registered environments
"""

from __future__ import annotations

import argparse
import ast
import json
import math
import os
import sys
import warnings
from pathlib import Path

from eve_arena.errors import UserError


class _Parser(argparse.ArgumentParser):
    """Bad arguments end in one line that says what is wrong, not a usage dump."""

    def error(self, message: str):
        self.exit(2, f"{self.prog}: error: {message} (see `{self.prog} --help`)\n")


def _checked(convert, ok, what: str):
    """An argparse type: ``convert`` the text, then insist on ``ok``; both failures say ``what``."""

    def parse(text: str):
        try:
            value = convert(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"must be {what}, got {text!r}") from None
        if not ok(value):
            raise argparse.ArgumentTypeError(f"must be {what}, got {text!r}")
        return value

    return parse


_positive_int = _checked(int, lambda v: v >= 1, "a positive integer")
_non_negative_int = _checked(int, lambda v: v >= 0, "a non-negative integer")
_non_negative_float = _checked(float, lambda v: math.isfinite(v) and v >= 0, "a finite non-negative number")


def _directory(text: str) -> Path:
    # Path("") is ".": an empty --out would put the run in the current directory.
    if not text.strip():
        raise argparse.ArgumentTypeError(f"must name a directory, got {text!r}")
    return Path(text)


def _sizes(text: str) -> tuple[int, ...]:
    try:
        sizes = tuple(int(s) for s in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be comma-separated positive integers like 1,5,5,1, got {text!r}") from None
    if any(s < 1 for s in sizes):
        raise argparse.ArgumentTypeError(f"must be comma-separated positive integers, got {text!r}")
    return sizes


def _key_value(text: str) -> tuple[str, object]:
    """``KEY=VALUE`` with the value read as a literal (numbers, True/False/true/false, None/null,
    lists, dicts, quoted strings), else kept as the text: ``continuous_actions=False`` is False."""
    key, sep, raw = text.partition("=")
    if not sep or not key:
        raise argparse.ArgumentTypeError(f"must look like KEY=VALUE, got {text!r}")
    try:
        return key, json.loads(raw)
    except json.JSONDecodeError:
        pass
    try:
        return key, ast.literal_eval(raw)
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        return key, raw


SWEEP_EXAMPLES = """examples:
  eve-arena sweep --out runs/seeds --seeds 0 1 2 3                        # four toy runs, one after another
  eve-arena sweep --out runs/seeds --seeds 0 1 2 3 --backend ray --workers 2   # two at a time on Ray

Every other setting is tournament's; `--seed` is replaced by each of --seeds. Started again, a
sweep finishes what is unfinished. The table is OUT/sweep.md (and sweep.json)."""


COEVOLVE_EXAMPLES = """examples:
  eve-arena coevolve --out runs/co                                       # solvers and challengers, the two-role toy world
  eve-arena coevolve --out runs/tag --world mpe2.simple_tag_v3:parallel_env --env-arg continuous_actions=True --env-arg max_cycles=25
  eve-arena coevolve --out runs/co --population solver=32 --hidden challenger=16,16 --generations 100
  eve-arena resume runs/co                                               # continue a stopped run
  eve-arena render runs/co --gif co.gif                                  # the champions at play

A population per role of the world (its `roles`, else its agents' names less `_N`); ROLE=VALUE
options set one role's. Writes OUT/metrics.jsonl, OUT/champion_<role>.safetensors and
OUT/plots/progress.png (every role's ladder)."""


TOURNAMENT_EXAMPLES = """examples:
  eve-arena tournament --out runs/demo                                   # the toy world's defaults
  eve-arena tournament --out runs/mnist --env eve_arena/mnist-v0         # MNIST (eve-arena data mnist first)
  eve-arena tournament --out runs/x --config my.json --generations 50    # a config file, one setting overridden
  eve-arena tournament --env eve_arena/mnist-v0 --print-config           # what would run, every default resolved
  eve-arena tournament --out runs/p --env mypkg.worlds:Arena --env-arg size=9   # a plug-in world

Defaults marked "world's" differ between worlds (MNIST runs pgpe on 2 threads, for one):
--print-config shows them. Precedence: flags, then --config, then the world's defaults."""


def _backend_arguments(group) -> None:
    group.add_argument("--backend", choices=("local", "ray"), default="local", help="where matches are played: in this process, or on Ray workers (pip install 'eve-arena[ray]'); the run is the same on both (default local)")
    group.add_argument("--workers", type=_positive_int, default=1, help="ray: worker processes (default 1)")
    group.add_argument("--ray-address", metavar="ADDRESS", help="ray: join this cluster (auto or HOST:PORT) instead of starting a local one")


def _backend(args) -> dict:
    """The run's backend settings, checked before a run directory is made."""
    if args.backend == "local" and (args.workers != 1 or args.ray_address):
        raise UserError("--workers and --ray-address are for --backend ray")
    if args.backend == "ray":
        from eve_arena.backend import check_address, import_ray

        import_ray()
        check_address(args.ray_address)
    return {"backend": args.backend, "workers": args.workers, "ray_address": args.ray_address}


def _run_arguments(t) -> None:
    """The settings of a run, shared by `tournament` and `sweep`."""
    where = t.add_argument_group("run")
    where.add_argument("--out", type=_directory, help="run directory to create (config, checkpoints, metrics, plots); required unless --print-config")
    where.add_argument("--config", type=Path, metavar="FILE", help="settings from a JSON (a run's config.json) or TOML file, whole or in part; flags override it")
    where.add_argument("--print-config", action="store_true", help="print the resolved configuration as JSON (config.json's format) and exit without running")
    where.add_argument("--generations", type=_positive_int, help="generations to run (default 1000)")
    where.add_argument("--seed", type=_non_negative_int, help="seed of everything random in the run (default 0)")
    where.add_argument("--checkpoint-every", type=_positive_int, help="generations between checkpoints (default 25)")
    where.add_argument("--generation-timeout", type=_non_negative_float, help="stop the run if one generation takes longer, in seconds; 0: no limit (default 3600)")
    where.add_argument("--device", help="torch device, e.g. cpu or cuda (default cpu)")
    where.add_argument("--threads", type=_positive_int, help="torch threads (default: the world's; 1, MNIST 2)")
    where.add_argument("--tensorboard", type=Path, metavar="DIR", help="also write every metric to TensorBoard logs in DIR (pip install 'eve-arena[tensorboard]')")
    where.add_argument("--no-progress", action="store_true", help="no progress bar")
    _backend_arguments(where)

    world = t.add_argument_group("world")
    world.add_argument("--env", help="registered environment id or module:Class (see `eve-arena envs`); default eve_arena/toy_quadratic-v0")
    world.add_argument("--env-arg", type=_key_value, action="append", default=[], metavar="KEY=VALUE", help="an argument of the world's constructor, read as JSON or a Python literal (repeatable)")
    world.add_argument("--batch-size", type=_positive_int, help="inputs per environment step (default: the world's; ours 256)")
    world.add_argument("--steps", type=_positive_int, help="steps per match (default: the world's; toy 4, MNIST 1)")
    world.add_argument("--data-dir", help="directory holding MNIST/raw/ (default $EVE_ARENA_DATA, else ~/.cache/eve_arena/data; fill it with `eve-arena data mnist`)")
    world.add_argument("--io", choices=("auto", "rows", "vector"), help="how a net reads the world: a batch of rows, or one vector per agent (default auto; see docs/plugins.md)")

    genome = t.add_argument_group("genome")
    genome.add_argument("--depth", type=int, choices=(0, 1, 2), help="0 direct, 1 hypernet, 2 hyper-hypernet (default 1)")
    genome.add_argument("--encoding", choices=("seed", "normalized", "fourier"), help="coordinate encoding (default fourier)")
    genome.add_argument("--emit", choices=("weight", "column"), help="what one hypernet pass writes: a weight, or a whole column of a layer (default: the world's; weight, MNIST column)")
    genome.add_argument("--target", type=_sizes, help="target net layer sizes, e.g. 1,5,5,1 (default: the first and last from the world's spaces)")
    genome.add_argument("--hidden", type=_sizes, help="hidden widths of the target net, e.g. 16,16; its first and last come from the world (default: the world's; 5,5, MNIST 10,10)")
    genome.add_argument("--hyper-hidden", type=_sizes, help="hidden sizes of every hypernet level, e.g. 10,10 (default: the world's; 10,10, MNIST 24,24)")
    genome.add_argument("--center-units", action=argparse.BooleanOptionalAction, help="centre each generated unit's incoming weights (their mean subtracted): keeps a depth-2 MNIST hyper-hypernet off chance (default off)")
    genome.add_argument("--self-build", choices=("off", "quine", "residual"), help="the genome's net also builds itself: its own weights (quine) or its offspring's change (residual) (default off)")
    genome.add_argument("--grid-step", type=float, help="a self-building genome's weights on a grid of this step; its copy is rounded back onto it, so small copying errors vanish (default none)")
    genome.add_argument("--residual", choices=("none", "seed", "parent"), help="the hypernet writes a change to base weights: a seeded random net, or the parent's net (default none)")
    genome.add_argument("--lifetime", choices=("fixed", "plastic"), help="fixed: the developed net holds all episode; plastic: the genome's plasticity hypernet changes it from feedback after every step (default fixed)")
    genome.add_argument("--plasticity-lr", type=_non_negative_float, help="plastic: the step size a fresh plasticity hypernet writes for every weight (default 0.02)")

    tour = t.add_argument_group("tournament")
    tour.add_argument("--population", type=_positive_int, help="genomes per generation (default 64)")
    tour.add_argument("--match-size", type=_non_negative_int, help="population members per match; 0 = one free-for-all (default 0)")
    tour.add_argument("--rounds", type=_positive_int, help="regroupings per generation (default 1)")
    tour.add_argument("--ranking", choices=("match", "round"), help="rank each match's seats (default), or a whole round's, played on one seed: for cooperative worlds whose teammates share a reward")
    tour.add_argument("--hall-of-fame", type=_non_negative_int, help="most frozen champions kept (default 8)")
    tour.add_argument("--hall-every", type=_positive_int, help="a champion enters the hall every N generations (default 5)")
    tour.add_argument("--hall-opponents", type=_non_negative_int, help="hall-of-fame members in each match (default 2)")
    tour.add_argument("--baseline", action="append", default=None, help="reference agent in every match: constant, backprop or module:Class (repeatable)")

    strategy = t.add_argument_group("strategy")
    strategy.add_argument("--strategy", help="ga, pgpe, cmaes, or your own as module:Class (default: the world's; ga, MNIST pgpe)")
    strategy.add_argument("--strategy-arg", type=_key_value, action="append", default=[], metavar="KEY=VALUE", help="a strategy setting, e.g. center_lr=0.02 for pgpe (repeatable)")
    strategy.add_argument("--sigma", type=_non_negative_float, help="GA: initial mutation std (default 0.03)")
    strategy.add_argument("--sigma-decay", type=_non_negative_float, help="GA: per-generation factor on sigma, in (0, 1] (default 0.997)")
    strategy.add_argument("--sigma-min", type=_non_negative_float, help="GA: floor of the annealed sigma (default 0.003)")
    strategy.add_argument("--elite", type=_non_negative_int, help="GA: individuals copied unchanged (default 4)")
    strategy.add_argument("--parent-fraction", type=_non_negative_float, help="GA: best fraction of the population that breeds, in (0, 1] (default 0.5)")
    strategy.add_argument("--crossover", type=_non_negative_float, help="GA: probability of uniform crossover, in [0, 1] (default 0.5)")
    strategy.add_argument("--reproduction", choices=("copy", "self"), help="GA: a child starts as a copy of its parent, or as the genome its parent builds for it (default copy)")
    strategy.add_argument("--mutate", choices=("child", "parent"), help="GA: mutate the child once made, or a copy of its parent that then makes the child (developmental mutation) (default child)")

    evaluation = t.add_argument_group("evaluation and the ladder")
    evaluation.add_argument("--eval-every", type=_positive_int, help="generations between champion evaluations on the ladder (default 50, and at the end)")
    evaluation.add_argument("--heldout-every", type=_positive_int, help="score candidates on the task's held-out split every N generations and at the end; a held-out champion stays in between (default 1)")
    evaluation.add_argument("--eval-episodes", type=_positive_int, help="evaluation episodes against each ladder anchor (default 8)")
    evaluation.add_argument("--anchor-every", type=_non_negative_int, help="freeze the champion as a ladder anchor every N generations; 0: only the first (default 100)")
    evaluation.add_argument("--anchor-window", type=_non_negative_int, help="rate champions against the newest N frozen champions besides the fixed field (default 6)")


def _role_value(convert, what: str):
    """``ROLE=VALUE`` with VALUE read by ``convert``."""

    def parse(text: str) -> tuple[str, object]:
        role, sep, raw = text.partition("=")
        if not sep or not role:
            raise argparse.ArgumentTypeError(f"expected ROLE={what}, got {text!r}")
        return role, convert(raw)

    return parse


def _coevolve_arguments(c) -> None:
    from eve_arena.envs import TOY_CHALLENGE  # not the co-evolution modules: building the parser must stay cheap

    c.add_argument("--out", type=_directory, help="the run's directory (new or empty)")
    c.add_argument("--world", default=TOY_CHALLENGE, help=f"a world with roles: a registered id or module:Name (default {TOY_CHALLENGE})")
    c.add_argument("--env-arg", type=_key_value, action="append", default=[], metavar="NAME=VALUE", help="an argument of the world's constructor (repeatable)")
    c.add_argument("--population", type=_role_value(_positive_int, "N"), action="append", default=[], metavar="ROLE=N", help="a role's population (repeatable; default: the world's, else 32)")
    c.add_argument("--hidden", type=_role_value(_sizes, "W,W"), action="append", default=[], metavar="ROLE=W,W", help="a role's hidden widths; the net's ends fit the role's spaces")
    c.add_argument("--strategy", type=_role_value(str, "NAME"), action="append", default=[], metavar="ROLE=NAME", help="a role's strategy: ga, pgpe, cmaes or module:Class (default: the world's, else ga)")
    c.add_argument("--pairing", type=_role_value(str, "split|paired"), action="append", default=[], metavar="ROLE=MODE", help="how a role's ladder seats contender and anchor (default: split with 2+ seats)")
    for flag, kind, what in (
        ("--generations", _positive_int, "generations (default 300)"), ("--rounds", _positive_int, "times each player is dealt into a match a generation (default 1)"),
        ("--hall-of-fame", _non_negative_int, "past champions per role playing beside the population (default 0)"), ("--ladder-every", _non_negative_int, "generations between ladder ratings (default 10; 0: none)"),
        ("--ladder-episodes", _positive_int, "episodes against each rung (default 2)"), ("--anchor-every", _non_negative_int, "generations between frozen anchors (default 50)"),
        ("--checkpoint-every", _positive_int, "generations between checkpoints (default 25)"), ("--seed", _non_negative_int, "the run's seed (default 0)"),
    ):
        c.add_argument(flag, type=kind, help=what)
    c.add_argument("--device", help="torch device (default cpu)")
    c.add_argument("--print-config", action="store_true", help="print the settings, every default resolved, and run nothing")
    c.add_argument("--no-progress", action="store_true", help="no progress bar")


def coevolution_config_from_args(args: argparse.Namespace):
    """A CoevolutionConfig from the world's defaults, overridden by every option given."""
    from eve_arena.coevolution import CoevolutionConfig

    overrides = {field: getattr(args, field) for field in ("generations", "rounds", "hall_of_fame", "ladder_every", "ladder_episodes", "anchor_every", "checkpoint_every", "seed", "device") if getattr(args, field) is not None}
    return CoevolutionConfig.for_world(args.world, dict(args.env_arg), populations=dict(args.population), hidden=dict(args.hidden), strategies=dict(args.strategy), pairing=dict(args.pairing), **overrides)


def build_parser() -> argparse.ArgumentParser:
    from eve_arena import __version__

    parser = _Parser(prog="eve-arena", description="Evolve hypernetwork genomes in rated PettingZoo tournaments.", epilog="docs: docs/index.md (mkdocs serve); the Python API: docs/python-api.md")
    parser.add_argument("--version", action="version", version=f"eve-arena {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    t = sub.add_parser("tournament", help="start a run: evolve a population through rated tournaments", epilog=TOURNAMENT_EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    _run_arguments(t)

    w = sub.add_parser("sweep", help="several runs at once, one per seed, each in OUT/seed_S; one table at the end", epilog=SWEEP_EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    w.add_argument("--seeds", type=_non_negative_int, nargs="+", required=True, metavar="SEED", help="the runs' seeds: one run each")
    _run_arguments(w)

    c = sub.add_parser("coevolve", help="evolve a population per role of a world with roles (solvers and challengers, predators and prey)", epilog=COEVOLVE_EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    _coevolve_arguments(c)

    r = sub.add_parser("resume", help="continue a run from its newest good checkpoint")
    r.add_argument("run_dir", type=Path, help="the run's directory (the --out of its tournament)")
    r.add_argument("--generations", type=_positive_int, help="new total number of generations (default: the run's)")
    r.add_argument("--tensorboard", type=Path, metavar="DIR", help="also write every metric to TensorBoard logs in DIR")
    r.add_argument("--no-progress", action="store_true", help="no progress bar")
    _backend_arguments(r)

    v = sub.add_parser("render", help="watch the champion play the hall of fame (window, PNG frames or GIF)")
    v.add_argument("run_dir", type=Path, help="a run directory with at least one checkpoint")
    v.add_argument("--frames", type=Path, help="headless: write PNG frames to this directory")
    v.add_argument("--gif", type=Path, help="headless: write an animated GIF")
    v.add_argument("--episodes", type=_positive_int, default=1, help="matches to play (default 1)")
    v.add_argument("--opponents", type=_non_negative_int, help="newest hall-of-fame members to play (default all)")
    v.add_argument("--seed", type=_non_negative_int, default=0, help="seed of the first match (default 0)")

    a = sub.add_parser("adaptivity", help="how the champion and population coped with each change of a changing world")
    a.add_argument("run_dir", type=Path, help="a run directory of a changing world")
    a.add_argument("--score", help="metric to report on between generations (default: champion/heldout_accuracy, else champion/heldout_loss)")
    a.add_argument("--step-score", help="score to report on within evaluation episodes: reward or an info such as mse (default: a loss the world reports, else reward)")

    sub.add_parser("envs", help="list the registered environments")

    d = sub.add_parser("data", help="download a dataset into the data directory (checksummed, resumable)")
    d.add_argument("dataset", choices=("mnist",), help="the dataset: mnist (the four files of torchvision's layout, MNIST/raw/)")
    d.add_argument("--data-dir", type=Path, help="where to put it (default $EVE_ARENA_DATA, else ~/.cache/eve_arena/data)")
    d.add_argument("--mirror", action="append", default=None, metavar="URL", help="a mirror to try, before the usual ones (repeatable)")
    return parser


def config_from_args(args: argparse.Namespace):
    """An ArenaConfig from the defaults, overridden by every option the user gave."""
    from eve_arena.config import ArenaConfig
    from eve_arena.envs.world import fit_target, probe
    from eve_arena.genome import GenomeSpec
    from eve_arena.tournament import TournamentConfig

    if args.config is not None:
        defaults = ArenaConfig.from_file(args.config, env=args.env)
    else:
        defaults = ArenaConfig.for_env(args.env) if args.env else ArenaConfig()
    base = {f: getattr(defaults, f) for f in ArenaConfig.__dataclass_fields__}
    genome = base["genome"].to_dict()
    for arg, field in (("depth", "depth"), ("encoding", "encoding"), ("target", "target"), ("emit", "emit"), ("center_units", "center_units"), ("self_build", "self_build"), ("grid_step", "grid_step"), ("residual", "residual"), ("lifetime", "lifetime"), ("plasticity_lr", "plasticity_lr")):
        if getattr(args, arg) is not None:
            genome[field] = getattr(args, arg)
    if args.hyper_hidden is not None:
        genome["hyper_hidden"] = (args.hyper_hidden, args.hyper_hidden)
    tournament = dict(base["tournament"].__dict__)
    for arg, field in (("match_size", "match_size"), ("rounds", "rounds"), ("hall_opponents", "hall_of_fame_opponents"), ("ranking", "ranking")):
        if getattr(args, arg) is not None:
            tournament[field] = getattr(args, arg)
    # A world's default strategy settings belong to its default strategy only.
    strategy_kwargs = dict(base["strategy_kwargs"]) if args.strategy in (None, base["strategy"]) else {}
    for arg in ("sigma", "sigma_decay", "sigma_min", "elite", "parent_fraction", "crossover", "reproduction", "mutate"):
        if getattr(args, arg) is not None:
            strategy_kwargs[arg] = getattr(args, arg)
    strategy_kwargs.update(dict(args.strategy_arg))
    env_kwargs = dict(base["env_kwargs"])
    if args.batch_size is not None:
        env_kwargs["batch_size"] = args.batch_size
    if args.steps is not None:
        env_kwargs["max_steps"] = args.steps
    if args.data_dir is not None:
        env_kwargs["data_dir"] = args.data_dir
    env_kwargs.update(dict(args.env_arg))
    if args.target is not None and args.hidden is not None:
        raise UserError("give --target (every width) or --hidden (the hidden ones), not both")
    if args.target is None:
        # The net's first and last widths are facts of the world's spaces.
        shape = probe(defaults.env, env_kwargs, args.io or defaults.io)
        genome["target"] = fit_target((0, *(args.hidden or genome["target"][1:-1]), 0), shape)
    fields = {**base, "genome": GenomeSpec(**genome), "tournament": TournamentConfig(**tournament), "strategy_kwargs": strategy_kwargs, "env_kwargs": env_kwargs}
    for arg, field in (
        ("env", "env"), ("strategy", "strategy"), ("population", "population"), ("generations", "generations"), ("seed", "seed"), ("hall_of_fame", "hall_of_fame"), ("hall_every", "hall_every"),
        ("checkpoint_every", "checkpoint_every"), ("device", "device"), ("threads", "threads"), ("io", "io"), ("eval_every", "eval_every"), ("heldout_every", "heldout_every"), ("eval_episodes", "eval_episodes"), ("anchor_every", "anchor_every"), ("anchor_window", "anchor_window"), ("generation_timeout", "generation_timeout_s"),
    ):
        if getattr(args, arg) is not None:
            fields[field] = getattr(args, arg)
    if args.baseline:
        fields["baselines"] = tuple(args.baseline)
    return ArenaConfig(**fields)


def _settings(args, what: str):
    """The run's backend settings and config, every check done before a run directory exists;
    None after printing them for --print-config."""
    from eve_arena.arena import Arena

    if args.out is None and not args.print_config:
        raise UserError(f"--out is required: the directory {what}, e.g. --out runs/demo (or --print-config to see the settings only)")
    backend = _backend(args)
    config = config_from_args(args)
    if args.print_config:
        print(json.dumps(config.to_dict(), indent=2))
        return None
    Arena(config).env(config.tournament.match_size or config.population)  # unknown env ids fail here
    return backend, config


def _tournament(args) -> None:
    from eve_arena.runs import run_arena, start_run

    settings = _settings(args, "the run is written to")
    if settings is None:
        return
    backend, config = settings
    trackers = _trackers(args)
    start_run(config, args.out)
    print(f"run directory: {args.out}  (resume with `eve-arena resume {args.out}`)")
    _report(run_arena(args.out, progress=not args.no_progress, callbacks=trackers, **backend), args.out)


def _sweep(args) -> None:
    from eve_arena.config import ArenaConfig
    from eve_arena.sweep import SWEEP_TABLE, sweep

    if args.seed is not None:
        raise UserError("a sweep's seeds are --seeds; drop --seed")
    if args.tensorboard is not None:
        raise UserError("--tensorboard is for one run; give each run of a sweep its own with `eve-arena resume RUN --tensorboard DIR`")
    settings = _settings(args, "that holds the sweep's runs")
    if settings is None:
        return
    backend, base = settings
    configs = {f"seed_{seed}": ArenaConfig.from_dict({**base.to_dict(), "seed": seed}) for seed in dict.fromkeys(args.seeds)}
    sweep(configs, args.out, backend=backend["backend"], workers=backend["workers"], ray_address=backend["ray_address"])
    print((args.out / SWEEP_TABLE).read_text(), end="")
    print(f"files: {args.out}/{SWEEP_TABLE}, {args.out}/sweep.json, and a run directory per seed")


def _coevolve(args) -> None:
    from eve_arena.coevolve_run import run_coevolution, start

    if args.out is None and not args.print_config:
        raise UserError("--out is required: the directory the run is written to, e.g. --out runs/co (or --print-config to see the settings only)")
    config = coevolution_config_from_args(args)
    if args.print_config:
        print(json.dumps(config.to_dict(), indent=2))
        return
    start(config, args.out)
    print(f"run directory: {args.out}  (resume with `eve-arena resume {args.out}`)")
    _report_coevolution(run_coevolution(args.out, progress=not args.no_progress), args.out)


def _report_coevolution(run, run_dir: Path) -> None:
    from eve_arena.coevolve_run import champion_file, summary

    print(f"done: {run.generation} generations; {summary(run_dir)}")
    print(f"files: {run_dir}/metrics.jsonl, {', '.join(f'{run_dir}/{champion_file(role)}' for role in run.roles)}, {run_dir}/plots/progress.png")


def _trackers(args) -> list:
    from eve_arena.trackers import TensorBoard

    return [TensorBoard(args.tensorboard)] if args.tensorboard is not None else []


def _announce_imports(run_dir: Path) -> None:
    """A run directory names the code it runs: a ``module:Class`` world or baseline is imported
    on resume and render, so say from where before importing it (run directories from elsewhere
    can run code; docs/plugins.md)."""
    import importlib.util

    from eve_arena.coevolve_run import is_coevolution_run
    from eve_arena.config import ArenaConfig

    if is_coevolution_run(run_dir):  # read as plain JSON: building the config would import the world first
        data = json.loads((run_dir / "config.json").read_text())
        names = [str(data.get("world", "")), *(str(role.get("strategy", "")) for role in (data["roles"] if isinstance(data["roles"], dict) else {}).values() if isinstance(role, dict))]
    else:
        config = ArenaConfig.load(run_dir / "config.json")
        names = [config.env, config.strategy, *config.baselines]
    for name in names:
        if ":" not in name:
            continue
        top = name.partition(":")[0].split(".")[0]
        try:
            spec = importlib.util.find_spec(top)
        except (ImportError, ValueError):
            spec = None
        where = (spec.origin or ", ".join(spec.submodule_search_locations or [])) if spec else "nowhere importable"
        print(f"eve-arena: {run_dir}/config.json names {name}; importing {top} from {where}", file=sys.stderr)


def _resume(args) -> None:
    from eve_arena.coevolve_run import is_coevolution_run, run_coevolution
    from eve_arena.runs import run_arena

    _announce_imports(args.run_dir)
    if is_coevolution_run(args.run_dir):
        if args.tensorboard is not None or args.backend != "local":
            raise UserError(f"{args.run_dir} is a co-evolution: it plays in this process and writes metrics.jsonl only; drop --tensorboard and --backend")
        _report_coevolution(run_coevolution(args.run_dir, generations=args.generations, progress=not args.no_progress), args.run_dir)
        return
    _report(run_arena(args.run_dir, generations=args.generations, progress=not args.no_progress, callbacks=_trackers(args), **_backend(args)), args.run_dir)


def _report(state, run_dir: Path) -> None:
    from eve_arena.runs import progress_figures, read_metrics

    shown: dict = {}
    for row in read_metrics(run_dir):
        shown = progress_figures(row, shown)
    figures = ", ".join(f"champion {label} {value:.4g}" for label, value in shown.items())
    print(f"done: {state.generation} generations" + (f"; {figures}" if figures else ""))
    print(f"files: {run_dir}/metrics.jsonl, {run_dir}/eval.jsonl, {run_dir}/champion.safetensors, {run_dir}/plots/")


def _render(args) -> None:
    from eve_arena.coevolve_run import is_coevolution_run
    from eve_arena.render import render_coevolution, render_run

    _announce_imports(args.run_dir)
    if is_coevolution_run(args.run_dir):
        if args.opponents is not None:
            raise UserError(f"{args.run_dir} is a co-evolution: every role's seats hold its champion and hall of fame; drop --opponents")
        written = render_coevolution(args.run_dir, frames_dir=args.frames, gif=args.gif, episodes=args.episodes, seed=args.seed)
    else:
        written = render_run(args.run_dir, frames_dir=args.frames, gif=args.gif, episodes=args.episodes, seed=args.seed, opponents=args.opponents)
    for path in written[-1:]:
        print(f"wrote {len(written)} file(s), last: {path}")


def _adaptivity(args) -> None:
    from eve_arena.adaptivity import report

    result = report(args.run_dir, args.score, args.step_score)
    print((args.run_dir / "adaptivity.md").read_text(), end="")
    within = result.get("within_episode", {}).get("changes", 0)
    print(f"files: {args.run_dir}/adaptivity.json, {args.run_dir}/adaptivity.md, {args.run_dir}/plots/ ({result['summary']['changes']} changes between generations, {within} within evaluation episodes)")


def _envs(args) -> None:
    from eve_arena.envs import registered
    from eve_arena.envs.plugins import ENTRY_POINT_GROUP, register_from_entry_points

    for env_id, doc in registered().items():
        print(f"{env_id:34s} {doc}")
    for env_id, doc in registered(roles=True).items():
        print(f"{env_id:34s} {doc}; eve-arena coevolve --world {env_id}")
    for env_id, entry in register_from_entry_points().items():
        print(f"{env_id:34s} plug-in ({ENTRY_POINT_GROUP} entry point): {entry}")


def _data(args) -> None:
    from eve_arena.data.download import MIRRORS, download_mnist
    from eve_arena.data.mnist import resolve_data_dir

    data_dir = resolve_data_dir(args.data_dir)
    raw = download_mnist(data_dir, mirrors=[*(args.mirror or []), *MIRRORS])
    print(f"MNIST is in {raw}" + ("" if args.data_dir is None else f"; give runs --data-dir {data_dir} (or set EVE_ARENA_DATA)"))


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    command = {"tournament": _tournament, "coevolve": _coevolve, "resume": _resume, "render": _render, "adaptivity": _adaptivity, "envs": _envs, "data": _data, "sweep": _sweep}[args.command]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("default")
            command(args)
    except UserError as exc:
        print(f"eve-arena: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("eve-arena: interrupted; the newest checkpoint is kept, continue with `eve-arena resume RUN_DIR`", file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    # `python -m eve_arena.cli` puts the current directory first on sys.path; a run directory
    # (or whatever else is there) must not decide what `module:Class` imports.
    if sys.path and sys.path[0] in ("", os.getcwd()):
        sys.path.pop(0)
    sys.exit(main())
