"""ArenaConfig: one frozen, typed description of a run, written to RUN_DIR/config.json.

A resumed run rebuilds its config from that file, so what a run did is always on disk beside it.
"""

from __future__ import annotations

import dataclasses
import difflib
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
from eve_arena.strategies import strategy_class
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
    heldout_every: int = 1
    """Held-out scoring runs every this many generations (and on the run's last); in between,
    a ``champion_by="heldout"`` champion stays the last one picked. Scoring costs as much as a
    generation's matches on MNIST, and picking the champion never steers the strategy. The
    adaptivity report counts recoveries in generations, so it needs 1."""
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
        for name in ("population", "generations", "hall_every", "checkpoint_every", "keep_checkpoints", "threads", "eval_every", "eval_episodes", "heldout_every"):
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
        cls = strategy_class(self.strategy)
        if not dataclasses.is_dataclass(cls):  # a plug-in that is no dataclass checks its own settings
            try:
                return cls(**self.strategy_kwargs)
            except (TypeError, ValueError) as exc:
                raise UserError(f"strategy {self.strategy!r} rejected its settings {self.strategy_kwargs}: {exc}") from exc
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
        """A config from ``to_dict``'s form. ``provenance`` (what made a run, written beside the
        settings in config.json) is not a setting and is ignored."""
        data = {k: v for k, v in data.items() if k != PROVENANCE_KEY}
        _check_fields(cls, data, "")
        if "genome" in data:
            _check_fields(GenomeSpec, data["genome"], "genome.")
            data["genome"] = GenomeSpec.from_dict(data["genome"])
        if "tournament" in data:
            _check_fields(TournamentConfig, data["tournament"], "tournament.")
            data["tournament"] = TournamentConfig(**data["tournament"])
        return cls(**data)

    @classmethod
    def from_file(cls, path: Path, env: str | None = None) -> "ArenaConfig":
        """The config a file describes: JSON (config.json's format) or TOML, whole or in part.

        Settings the file leaves out take the defaults of its world (``for_env``; ``env``, when
        given, replaces the file's world), so ``{"env": "eve_arena/mnist-v0", "generations": 100}``
        is the MNIST world's defaults for 100 generations. Nested settings merge key by key;
        ``strategy_kwargs`` only while the strategy is the world's own."""
        path = Path(path)
        data = read_settings(path)
        env = env or data.get("env", DEFAULT_ENV)
        base = cls.for_env(env).to_dict() if isinstance(env, str) else {}
        merged = {**base, **data, "env": env}
        nested = ["genome", "tournament", "env_kwargs"]
        if data.get("strategy", base.get("strategy")) == base.get("strategy"):
            nested.append("strategy_kwargs")  # a world's strategy settings belong to its strategy only
        for key in nested:
            if isinstance(data.get(key), dict) and isinstance(base.get(key), dict):
                merged[key] = {**base[key], **data[key]}
        try:
            return cls.from_dict(merged)
        except UserError as exc:
            raise UserError(f"{path}: {exc}") from None

    def save(self, path: Path, provenance: dict | None = None) -> None:
        data = self.to_dict()
        if provenance is not None:
            data[PROVENANCE_KEY] = provenance
        path.write_text(json.dumps(data, indent=2) + "\n")

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


PROVENANCE_KEY = "provenance"
"""config.json's record of what made the run (``eve_arena.provenance``), beside its settings."""


def read_provenance(path: Path) -> dict | None:
    """The provenance a config.json records, or None (written before it was recorded)."""
    try:
        recorded = json.loads(Path(path).read_text()).get(PROVENANCE_KEY)
    except (OSError, ValueError, AttributeError):
        return None
    return recorded if isinstance(recorded, dict) else None


def read_settings(path: Path) -> dict:
    """The settings in a JSON or TOML file, with one-line errors for a missing, unreadable or
    malformed file."""
    if not path.is_file():
        raise UserError(f"config file {path} not found" + (" (it is a directory)" if path.is_dir() else ""))
    try:
        text = path.read_text()
    except (OSError, UnicodeDecodeError) as exc:
        raise UserError(f"cannot read config file {path}: {exc}") from None
    if path.suffix.lower() in (".yaml", ".yml"):
        raise UserError(f"config file {path}: YAML is not read; write it as JSON (config.json's format) or TOML")
    try:
        if path.suffix.lower() == ".toml":
            import tomllib  # Python 3.11+

            data = tomllib.loads(text)
        else:
            data = json.loads(text)
    except ImportError:
        raise UserError(f"config file {path}: TOML needs Python 3.11 or newer; write it as JSON") from None
    except ValueError as exc:  # JSONDecodeError and TOMLDecodeError
        raise UserError(f"config file {path} is not valid {'TOML' if path.suffix.lower() == '.toml' else 'JSON'}: {exc}") from None
    if not isinstance(data, dict):
        raise UserError(f"config file {path} holds a {type(data).__name__}; it must hold the settings as an object, like a run's config.json")
    return data


def _check_fields(cls, data, prefix: str) -> None:
    """Every key of ``data`` is a field of the dataclass ``cls`` and holds a value of its type:
    a misspelt or mistyped setting is named, never dropped or carried into the run."""
    if not isinstance(data, dict):
        raise UserError(f"{prefix.rstrip('.') or 'the config'} must be an object of settings, got {data!r}")
    hints = typing.get_type_hints(cls)
    for key, value in data.items():
        known = sorted(k for k in hints if not k.startswith("_") and typing.get_origin(hints[k]) is not typing.ClassVar)
        if key not in known:
            close = difflib.get_close_matches(str(key), known, n=1)
            hint = f"did you mean '{prefix}{close[0]}'?" if close else f"known: {', '.join(known)}"
            raise UserError(f"unknown setting '{prefix}{key}' ({hint})")
        if not _fits(value, hints[key]):
            raise UserError(f"setting {prefix}{key} must be {_describe_type(hints[key])}, got {value!r}")


def _fits(value, hint) -> bool:
    """Loose type check of a setting read from a file: scalars exactly (``_is_a``), containers by kind."""
    options = typing.get_args(hint) if isinstance(hint, types.UnionType) else (hint,)
    for option in options:
        origin = typing.get_origin(option) or option
        if origin in (tuple, list) and isinstance(value, (list, tuple)):
            return True
        if origin is dict and isinstance(value, dict):
            return True
        if dataclasses.is_dataclass(origin) and isinstance(value, (dict, origin)):
            return True
        if origin in (int, float, str, bool, type(None)) and _is_a(value, option):
            return True
    return False
