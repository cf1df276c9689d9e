"""ArenaConfig: one frozen, typed description of a run, written to RUN_DIR/config.json.

A resumed run rebuilds its config from that file, so what a run did is always on disk beside it.
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path

import torch

from eve_arena.envs import DEFAULT_ENV, ENV_DEFAULTS
from eve_arena.errors import UserError
from eve_arena.genome import GenomeSpec
from eve_arena.strategies import STRATEGIES
from eve_arena.tournament import TournamentConfig


def _check_device(device) -> None:
    """A torch device this machine has: cpu, cuda[:n] with a CUDA build and a GPU, mps on Apple silicon."""
    try:
        kind = torch.device(device).type
    except (RuntimeError, TypeError, ValueError):
        raise UserError(f"device must be cpu, cuda or mps, got {device!r}") from None
    if kind == "cuda" and not torch.cuda.is_available():
        build = "this torch is a CPU build" if torch.version.cuda is None else "no CUDA GPU is visible"
        raise UserError(f"device {device!r}: {build} (torch {torch.__version__}); use --device cpu")
    if kind == "mps" and not torch.backends.mps.is_available():
        raise UserError(f"device {device!r}: MPS is not available here; use --device cpu")
    if kind not in ("cpu", "cuda", "mps"):
        raise UserError(f"device must be cpu, cuda or mps, got {device!r}")


def _is_a(value, hint) -> bool:
    """Whether a setting's value fits its declared type (an int is a float, a bool is neither)."""
    options = typing.get_args(hint) if isinstance(hint, types.UnionType) else (hint,)
    for option in options:
        if option is type(None) and value is None:
            return True
        if option is bool and isinstance(value, bool):
            return True
        if option in (int, float) and isinstance(value, (int, float)) and not isinstance(value, bool) and (option is float or isinstance(value, int)):
            return option is int or math.isfinite(value)
        if option is str and isinstance(value, str):
            return True
    return False


def _describe_type(hint) -> str:
    names = {int: "a whole number", float: "a finite number", str: "a string", bool: "true or false", type(None): "null"}
    options = typing.get_args(hint) if isinstance(hint, types.UnionType) else (hint,)
    return " or ".join(names.get(o, str(o)) for o in options)


@dataclass(frozen=True)
class ArenaConfig:
    env: str = DEFAULT_ENV
    """Registered PettingZoo parallel environment id."""
    env_kwargs: dict | None = None
    """Keyword arguments for the environment's constructor, exactly what it is given besides
    ``num_agents`` (set per match, when it takes it). None: the world's defaults from
    ``envs.ENV_DEFAULTS`` (ours: batches of 256, four steps), nothing for a plug-in."""
    population: int = 64
    generations: int = 1000
    seed: int = 0
    genome: GenomeSpec = field(default_factory=lambda: GenomeSpec(encoding="fourier", fourier_features=16))
    tournament: TournamentConfig = field(default_factory=TournamentConfig)
    hall_of_fame: int = 8
    """Most frozen champions kept; the oldest leaves when a new one enters."""
    hall_every: int = 5
    """A generation's champion enters the hall of fame every this many generations."""
    baselines: tuple[str, ...] = ()
    """Reference agents in every match: constant, backprop, or a plug-in module:Class."""
    strategy: str = "ga"
    strategy_kwargs: dict = field(default_factory=dict)
    """Settings of the strategy that differ from its defaults (GA: elite, sigma, ...; pgpe: center_lr, stdev, ...)."""
    champion_by: str = "rating"
    """How the generation's champion is picked: rating (highest ordinal) or heldout (lowest loss on
    the task's held-out split among the ``heldout_pool`` best-rated; never the test split)."""
    heldout_pool: int = 0
    """How many of the best-rated members are scored on the held-out split each generation (0: all)."""
    io: str = "auto"
    """How a net reads the world (``envs.world``): rows (a batch of rows in, an answer per row
    out), vector (the whole observation in, the whole action out) or auto."""
    eval_every: int = 50
    """Every this many generations, and at the end, the champion plays evaluation episodes
    against the ladder's anchors (``evaluator``, ``ladder``)."""
    eval_episodes: int = 8
    """Evaluation episodes against each anchor, on seeds no training match uses."""
    anchor_every: int = 100
    """Every this many generations the champion is frozen as a ladder anchor (0: only the first
    champion); the anchors' ratings never move once set."""
    anchor_window: int = 6
    """A champion is rated against the fixed field and the newest this many frozen champions."""
    generation_timeout_s: float = 3600.0
    """A generation still running after this many seconds (a world stuck inside ``step``) stops
    the run with one line; its last checkpoint is kept. 0: no limit."""
    checkpoint_every: int = 25
    keep_checkpoints: int = 3
    device: str = "cpu"
    threads: int = 1
    """Torch intra-op threads. Tournament nets are tiny, and one thread runs them several times
    faster than two competing ones; the count is recorded so a resumed run computes identically."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "baselines", tuple(self.baselines))
        if self.env_kwargs is None:
            object.__setattr__(self, "env_kwargs", dict(ENV_DEFAULTS.get(self.env, {}).get("env_kwargs", {})))
        if not isinstance(self.env_kwargs, dict):
            raise UserError(f"env_kwargs must be a mapping of constructor arguments, got {self.env_kwargs!r}")
        for name in ("population", "generations", "hall_every", "checkpoint_every", "keep_checkpoints", "threads", "eval_every", "eval_episodes"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise UserError(f"{name.replace('_', ' ')} must be a positive integer, got {value!r}")
        _check_device(self.device)
        cores = os.cpu_count() or 1
        if self.threads > max(4 * cores, 8):
            raise UserError(f"threads must be at most {max(4 * cores, 8)} on this machine ({cores} cores), got {self.threads}")
        if not isinstance(self.generation_timeout_s, (int, float)) or isinstance(self.generation_timeout_s, bool) or not 0 <= self.generation_timeout_s < math.inf:
            raise UserError(f"generation timeout must be a non-negative number of seconds (0: none), got {self.generation_timeout_s!r}")
        if self.champion_by not in ("rating", "heldout"):
            raise UserError(f"champion_by must be rating or heldout, got {self.champion_by!r}")
        if not isinstance(self.heldout_pool, int) or self.heldout_pool < 0:
            raise UserError(f"heldout pool must be a non-negative integer, got {self.heldout_pool!r}")
        if not isinstance(self.anchor_window, int) or isinstance(self.anchor_window, bool) or self.anchor_window < 0:
            raise UserError(f"anchor_window must be a non-negative integer, got {self.anchor_window!r}")
        if not isinstance(self.anchor_every, int) or isinstance(self.anchor_every, bool) or self.anchor_every < 0:
            raise UserError(f"anchor_every must be a non-negative integer, got {self.anchor_every!r}")
        if self.io not in ("auto", "rows", "vector"):
            raise UserError(f"io must be auto, rows or vector, got {self.io!r}")
        if not isinstance(self.hall_of_fame, int) or self.hall_of_fame < 0:
            raise UserError(f"hall of fame size must be a non-negative integer, got {self.hall_of_fame!r}")
        if self.strategy not in STRATEGIES:
            raise UserError(f"unknown strategy {self.strategy!r}; choose one of {', '.join(STRATEGIES)}")
        self.tournament.validate(self.population)
        self._check_memory()
        strategy = self.make_strategy()  # validates the strategy's settings now, before any work
        if getattr(strategy, "reproduction", "copy") == "self" and self.genome.self_build == "off":
            raise UserError("reproduction=self needs a genome that builds itself: set the genome's self_build to quine or residual (--self-build)")
        if self.genome.residual == "parent" and not hasattr(strategy, "reproduction"):
            raise UserError(f"residual=parent takes each child's base from its parent, and strategy {self.strategy!r} has no parents: use --strategy ga or residual=seed")

    def _check_memory(self) -> None:
        """A population that cannot fit in this machine's memory is refused before it is drawn."""
        batch = int(self.env_kwargs.get("batch_size", 256)) if isinstance(self.env_kwargs.get("batch_size", 256), int) else 256
        widths = sum(self.genome.target)
        # Genomes (and the strategy's copies), developed nets, and one batched forward pass.
        need = 4 * self.population * (4 * self.genome.genome_size + 2 * self.genome.target_size + batch * widths)
        have = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") if hasattr(os, "sysconf") else None
        if have and need > have:
            raise UserError(f"a population of {self.population:,} needs about {need / 2**30:.1f} GiB for its genomes, nets and one match, and this machine has {have / 2**30:.1f} GiB; lower --population")

    @classmethod
    def for_env(cls, env: str = DEFAULT_ENV, **overrides) -> "ArenaConfig":
        """The defaults that suit ``env`` (its genome shape, batch, champion picking), then ``overrides``."""
        fields = {"env": env}
        for key, value in ENV_DEFAULTS.get(env, {}).items():
            fields[key] = GenomeSpec(**{**GenomeSpec().to_dict(), "encoding": "fourier", **value}) if key == "genome" else value
        fields.update(overrides)
        return cls(**fields)

    def make_strategy(self):
        cls = STRATEGIES[self.strategy]
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = set(self.strategy_kwargs) - known
        if unknown:
            raise UserError(f"unknown settings {sorted(unknown)} for strategy {self.strategy!r}; known: {sorted(known)}")
        hints = typing.get_type_hints(cls)
        for name, value in self.strategy_kwargs.items():
            if not _is_a(value, hints[name]):
                raise UserError(f"strategy {self.strategy!r} setting {name} must be {_describe_type(hints[name])}, got {value!r}")
        return cls(**self.strategy_kwargs)

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> "ArenaConfig":
        data = dict(data)
        known = {f.name for f in dataclasses.fields(cls)}
        if set(data) - known:
            raise UserError(f"unknown config fields {sorted(set(data) - known)}")
        if "genome" in data:
            data["genome"] = GenomeSpec.from_dict(data["genome"])
        if "tournament" in data:
            data["tournament"] = TournamentConfig(**data["tournament"])
        return cls(**data)

    def save(self, path: Path) -> None:
        path.write_text(json.dumps(self.to_dict(), indent=2) + "\n")

    @classmethod
    def load(cls, path: Path) -> "ArenaConfig":
        if not path.is_file():
            raise UserError(f"{path} not found: is {path.parent} a run directory made by `eve-arena tournament`?")
        try:
            data = json.loads(path.read_text())
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise UserError(f"{path} is not valid JSON ({exc}); restore it from a backup or start a new run") from exc
        if not isinstance(data, dict):
            raise UserError(f"{path} holds a {type(data).__name__}, not a run's settings; restore it from a backup or start a new run")
        try:
            return cls.from_dict(data)
        except (TypeError, ValueError, KeyError, AttributeError) as exc:
            raise UserError(f"{path} does not describe a run ({type(exc).__name__}: {exc}); restore it from a backup or start a new run") from exc
