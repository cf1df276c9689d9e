"""A run on disk: RUN_DIR holds the config, checkpoints, metrics, champion and plots.

``run_arena`` drives ``Arena.step`` and hangs persistence off it. Order per generation: the
metrics line is appended first, then (every ``checkpoint_every`` and at the end) the checkpoint;
a resumed run drops metric lines newer than its checkpoint and replays those generations, which
come out identical because each generation's randomness is derived from (seed, generation).
"""

from __future__ import annotations

import contextlib
import json
import math
import signal
import threading
from collections.abc import Callable, Sequence
from pathlib import Path

import torch
from safetensors.torch import save_file
from tqdm import tqdm

from eve_arena import checkpoint, provenance
from eve_arena.arena import Arena, ArenaState
from eve_arena.champion import CHAMPION_FILE
from eve_arena.config import ArenaConfig, read_provenance
from eve_arena.errors import UserError, warn
from eve_arena.ladder import LadderState
from eve_arena.run_lock import RunLock
from eve_arena.strategies.base import pack_state, unpack_state

CONFIG_FILE = "config.json"
METRICS_FILE = "metrics.jsonl"
EVAL_FILE = "eval.jsonl"
"""One line per champion evaluation: its metrics, the anchors' ratings, every episode's steps."""
CHECKPOINT_DIR = "checkpoints"


def state_to_checkpoint(state: ArenaState) -> tuple[dict[str, torch.Tensor], dict]:
    tensors = {
        "hall/genomes": state.hall_genomes, "hall/ids": state.hall_ids, "hall/generations": state.hall_generations,
        "hall/mu": torch.from_numpy(state.hall_mu), "hall/sigma": torch.from_numpy(state.hall_sigma),
        "baselines/mu": torch.from_numpy(state.baseline_mu), "baselines/sigma": torch.from_numpy(state.baseline_sigma),
        "champion/genome": state.champion, "champion/rating": torch.from_numpy(state.champion_rating),
        "ladder/mu": torch.from_numpy(state.ladder.mu), "ladder/sigma": torch.from_numpy(state.ladder.sigma), "ladder/genomes": state.ladder.genomes,
    }
    strategy_tensors, scalars = pack_state(state.strategy_state)
    tensors.update(strategy_tensors)
    meta = {"generation": state.generation, "strategy_scalars": scalars, "strategy_state": type(state.strategy_state).__name__, "ladder_names": state.ladder.names}
    return tensors, meta


def run_identity(config: ArenaConfig) -> dict:
    """What a checkpoint records of its run, so one from another run is refused (``check_fits``)."""
    return {"population": config.population, "seed": config.seed, "genome": config.genome.to_json(), "strategy": config.strategy}


def state_from_checkpoint(config: ArenaConfig, tensors: dict[str, torch.Tensor], meta: dict) -> ArenaState:
    return ArenaState(
        generation=int(meta["generation"]), strategy_state=unpack_state(config.make_strategy().state_type, tensors, meta["strategy_scalars"]),
        hall_genomes=tensors["hall/genomes"], hall_ids=tensors["hall/ids"], hall_generations=tensors["hall/generations"],
        hall_mu=tensors["hall/mu"].numpy(), hall_sigma=tensors["hall/sigma"].numpy(),
        baseline_mu=tensors["baselines/mu"].numpy(), baseline_sigma=tensors["baselines/sigma"].numpy(),
        champion=tensors["champion/genome"], champion_rating=tensors["champion/rating"].numpy(),
        ladder=LadderState(list(meta["ladder_names"]), tensors["ladder/mu"].numpy(), tensors["ladder/sigma"].numpy(), tensors["ladder/genomes"]) if "ladder_names" in meta else None,
    )


def load_run(run_dir: Path) -> tuple[ArenaConfig, ArenaState | None]:
    """The run's config and its newest good checkpoint's state (None before the first one)."""
    config = ArenaConfig.load(run_dir / CONFIG_FILE)
    if not checkpoint.list_checkpoints(run_dir / CHECKPOINT_DIR):
        rows = read_metrics(run_dir)
        if rows:  # the state is gone, not yet to come: starting over would pass for a resume
            raise UserError(f"{run_dir} has metrics for {len(rows)} generation(s) but no checkpoint in {run_dir / CHECKPOINT_DIR}: restore the checkpoints, or start a new run with `eve-arena tournament`")
        return config, None
    tensors, meta, path = checkpoint.load_latest(run_dir / CHECKPOINT_DIR, fits=lambda t, m: check_fits(config, t, m))
    recorded = meta.get("provenance") or read_provenance(run_dir / CONFIG_FILE)
    changes = provenance.differences(recorded) if recorded else []
    if changes:
        warn(f"{path.name} was written with {', '.join(changes)}; the resumed generations may not match an uninterrupted run bit for bit")
    return config, state_from_checkpoint(config, tensors, meta)


def check_fits(config: ArenaConfig, tensors: dict, meta: dict) -> None:
    """Refuses a checkpoint of another run: another genome, population, seed or strategy than
    ``config``'s (config.json was edited, or the file came from elsewhere): the checkpoint wins
    nothing and the run never changes without a word."""
    size = config.genome.genome_size
    champion = tensors.get("champion/genome")
    if champion is None or tuple(champion.shape) != (size,) or tensors["hall/genomes"].shape[1:] != (size,):
        raise UserError(f"checkpoint of generation {meta.get('generation')} holds genomes of another size than this run's {size} (another genome spec or depth)")
    state_type = config.make_strategy().state_type
    if meta.get("strategy_state") != state_type.__name__:
        raise UserError(f"checkpoint of generation {meta.get('generation')} holds a {meta.get('strategy_state')} strategy state, and this run's strategy {config.strategy!r} keeps a {state_type.__name__}")
    for key, value in (("population", config.population), ("seed", config.seed), ("genome", config.genome.to_json()), ("strategy", config.strategy)):
        if key in meta and meta[key] != value:
            raise UserError(f"checkpoint of generation {meta.get('generation')} was written by a run with another {key} than config.json's")
    if not isinstance(meta.get("generation"), int) or meta["generation"] < 0:
        raise UserError(f"checkpoint metadata holds no generation count ({meta.get('generation')!r})")


def read_metrics(run_dir: Path, name: str = METRICS_FILE, skipped: list[int] | None = None) -> list[dict]:
    """The readable rows of ``metrics.jsonl`` (or another of the run's JSON-lines files): every
    line that holds a JSON object with a whole-number ``generation``. The numbers of the lines
    that do not (one cut off by a kill mid-write, a damaged one) go into ``skipped``."""
    path = run_dir / name
    if not path.exists():
        return []
    rows = []
    for number, line in enumerate(path.read_text(errors="replace").splitlines(), start=1):
        try:
            row = json.loads(line)
        except json.JSONDecodeError:
            row = None
        if isinstance(row, dict) and isinstance(row.get("generation"), int) and not isinstance(row["generation"], bool):
            rows.append(row)
        elif skipped is not None and line.strip():
            skipped.append(number)
    return rows


def truncate_rows(run_dir: Path, generation: int) -> None:
    """Keeps every readable metric and evaluation line of the generations before ``generation``
    (the rest will be replayed), and says which lines it could not read and which generations
    before the checkpoint have no row."""
    for name in (METRICS_FILE, EVAL_FILE):
        if not (run_dir / name).exists():
            continue
        skipped: list[int] = []
        rows = [r for r in read_metrics(run_dir, name, skipped) if r["generation"] < generation]
        if skipped:
            warn(f"{run_dir / name}: {len(skipped)} unreadable line(s) left out (line {', '.join(map(str, skipped[:10]))}{', ...' if len(skipped) > 10 else ''}); every readable row is kept")
        if name == METRICS_FILE:
            missing = sorted(set(range(generation)) - {r["generation"] for r in rows})
            if missing:
                warn(f"{run_dir / name} has no row for {len(missing)} generation(s) before the checkpoint ({_ranges(missing)}); they are not replayed")
        tmp = run_dir / f".{name}.tmp"
        tmp.write_text("".join(json.dumps(r) + "\n" for r in rows))
        tmp.replace(run_dir / name)


@contextlib.contextmanager
def time_limit(seconds: float, message: str):
    """Raises ``UserError(message)`` if the block runs past ``seconds`` (0: no limit). A POSIX
    interval timer in the main thread; elsewhere (Windows, worker threads) no limit is kept."""
    usable = seconds > 0 and hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()
    if not usable:
        yield
        return

    def expired(signum, frame):
        raise UserError(message)

    previous = signal.signal(signal.SIGALRM, expired)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _ranges(numbers: list[int]) -> str:
    """``[1, 2, 3, 7]`` -> ``"1-3, 7"``."""
    spans, start = [], numbers[0]
    for previous, current in zip(numbers, numbers[1:] + [None]):
        if current != previous + 1:
            spans.append(f"{start}-{previous}" if previous > start else f"{start}")
            start = current
    return ", ".join(spans)


def start_run(config: ArenaConfig, run_dir: Path) -> None:
    """Creates RUN_DIR for a new run: a new directory, or an empty one; never one with files in it."""
    check_new_run_dir(run_dir)
    try:
        run_dir.mkdir(parents=True, exist_ok=True)
        config.save(run_dir / CONFIG_FILE, provenance.collect())
    except OSError as exc:
        raise UserError(f"cannot write the run directory {run_dir}: {exc.strerror or exc}; choose another --out") from exc


def check_new_run_dir(run_dir: Path) -> None:
    """Refuses a RUN_DIR that holds a run, is a file, or is not empty, each in one line."""
    if not str(run_dir).strip():
        raise UserError("--out names no directory; give the run a directory of its own, e.g. --out runs/demo")
    if (run_dir / CONFIG_FILE).exists() or checkpoint.list_checkpoints(run_dir / CHECKPOINT_DIR):
        raise UserError(f"{run_dir} already holds a run; continue it with `eve-arena resume {run_dir}` or choose another --out")
    if run_dir.exists() and not run_dir.is_dir():
        raise UserError(f"{run_dir} is a file; --out names the directory a run is written to")
    if run_dir.is_dir() and any(run_dir.iterdir()):
        raise UserError(f"{run_dir} is not empty, and a run is only written to a new or empty directory (nothing in it is touched); choose another --out")


def run(config: ArenaConfig, out: str | Path, *, callbacks: Sequence[Callable[[dict], object]] = (), progress: bool = True, **backend) -> ArenaState:
    """Runs ``config`` in the run directory ``out``, the Python side of ``eve-arena tournament``.

    A new or empty ``out`` starts the run; an ``out`` that holds a run of this same config (but
    perhaps its number of generations) resumes it from its newest checkpoint, so a notebook cell
    run again continues a killed run; one that holds another run is refused. Every callback is
    called with each generation's metrics (the dict written to metrics.jsonl) once they and any
    checkpoint due are on disk: a tracker needs nothing more. Returns the run's final state;
    ``load_champion(out)`` is its champion as a torch module. ``backend``, ``workers`` and
    ``ray_address`` say where matches are played (``Arena``); the run is the same on any."""
    out = Path(out)
    if (out / CONFIG_FILE).exists():
        held = ArenaConfig.load(out / CONFIG_FILE)
        if {**held.to_dict(), "generations": 0} != {**config.to_dict(), "generations": 0}:
            raise UserError(f"{out} holds another run than this config; choose another directory, or resume that run with `eve-arena resume {out}`")
        return run_arena(out, generations=config.generations if held.generations != config.generations else None, progress=progress, callbacks=callbacks, **backend)
    start_run(config, out)
    return run_arena(out, progress=progress, callbacks=callbacks, **backend)


def run_arena(run_dir: Path, generations: int | None = None, progress: bool = True, stop_after: int | None = None, callbacks: Sequence[Callable[[dict], object]] = (), **backend) -> ArenaState:
    """Runs (or resumes) the run in ``run_dir`` up to ``generations`` (default: the config's),
    calling each of ``callbacks`` with every generation's metrics (``run``).

    ``stop_after`` ends the call after that many generations without finishing the run (tests
    use it to simulate a kill).
    """
    ArenaConfig.load(run_dir / CONFIG_FILE)  # not a run directory: say so before locking anything
    with RunLock(run_dir):
        try:
            return _run_locked(run_dir, generations, progress, stop_after, tuple(callbacks), backend)
        finally:
            for callback in callbacks:
                close = getattr(callback, "close", None)
                if callable(close):
                    close()


def _call_back(callbacks: tuple, metrics: dict, run_dir: Path) -> None:
    """Hands the generation's metrics to every callback; one that raises stops the run, named,
    with everything up to this generation already on disk."""
    for callback in callbacks:
        try:
            callback(dict(metrics))
        except Exception as exc:
            name = getattr(callback, "__qualname__", None) or type(callback).__qualname__
            saved = checkpoint.list_checkpoints(run_dir / CHECKPOINT_DIR)
            kept = f"its last checkpoint (generation {checkpoint.generation_of(saved[-1])}) is whole" if saved else "no checkpoint was written yet"
            raise UserError(f"callback {name} raised {type(exc).__name__}: {exc} at generation {metrics.get('generation')}; the run stopped and {kept}: mend the callback and resume ({run_dir})") from exc


def _run_locked(run_dir: Path, generations: int | None, progress: bool, stop_after: int | None, callbacks: tuple = (), backend: dict | None = None) -> ArenaState:
    config, state = load_run(run_dir)
    if generations is not None:
        if generations < 1:
            raise UserError(f"generations must be a positive integer, got {generations}")
        config = ArenaConfig.from_dict({**config.to_dict(), "generations": generations})
    torch.set_num_threads(config.threads)
    arena = Arena(config, state, **(backend or {}))
    try:
        return _generations(run_dir, config, arena, generations, progress, stop_after, callbacks)
    finally:
        arena.close()


def _generations(run_dir: Path, config: ArenaConfig, arena: Arena, generations: int | None, progress: bool, stop_after: int | None, callbacks: tuple) -> ArenaState:
    if generations is not None:  # recorded once the resumed run has been built, not before
        config.save(run_dir / CONFIG_FILE, read_provenance(run_dir / CONFIG_FILE))
    truncate_rows(run_dir, arena.state.generation)
    total = config.generations
    bar = tqdm(total=total, initial=arena.state.generation, disable=not progress, unit="gen", dynamic_ncols=True)
    done_here = 0
    shown: dict = {}
    with open(run_dir / METRICS_FILE, "a") as metrics_file, open(run_dir / EVAL_FILE, "a") as eval_file:
        while arena.state.generation < total and (stop_after is None or done_here < stop_after):
            with time_limit(config.generation_timeout_s, f"generation {arena.state.generation} ran past its {config.generation_timeout_s:g} s limit (generation_timeout_s); is the world stuck in step()? The last checkpoint is kept"):
                metrics = arena.step()
            done_here += 1
            if arena.evaluation is not None:
                eval_file.write(json.dumps(arena.evaluation) + "\n")
                eval_file.flush()
            metrics_file.write(json.dumps(metrics) + "\n")
            metrics_file.flush()
            generation = arena.state.generation
            if generation % config.checkpoint_every == 0 or generation == total:
                tensors, meta = state_to_checkpoint(arena.state)
                meta.update(run_identity(config), provenance=provenance.collect())
                checkpoint.save(run_dir / CHECKPOINT_DIR, generation, tensors, meta, keep=config.keep_checkpoints)
            _call_back(callbacks, metrics, run_dir)
            bar.update(1)
            shown = progress_figures(metrics, shown)
            bar.set_postfix({k: f"{v:.4g}" if math.isfinite(v) else str(v) for k, v in shown.items()}, refresh=False)
    bar.close()
    if arena.state.generation >= total:
        save_champion(run_dir, config, arena.state)
        from eve_arena.plots import plot_run  # matplotlib loads only when plots are drawn

        evaluations = read_metrics(run_dir, EVAL_FILE)
        # The rungs the last champion played, not every anchor a long run has frozen.
        rungs = {name: evaluations[-1]["anchors"][name] for name in evaluations[-1]["field"]} if evaluations else None
        plot_run(run_dir, read_metrics(run_dir), config, arena.state.champion, arena.task(), rungs)
    return arena.state


# What the progress bar and the end summary show: figures that move while evolution works.
PROGRESS_FIGURES = {
    "champion/heldout_loss": "held-out loss", "champion/heldout_accuracy": "held-out accuracy",
    "ladder/rating": "ladder rating", "eval/return_vs_field": "eval return",
}


def progress_figures(metrics: dict, last: dict | None = None) -> dict:
    """The progress figures in ``metrics``, keeping ``last``'s where this generation had none
    (evaluations come every ``eval_every`` generations)."""
    shown = dict(last or {})
    shown.update({label: metrics[key] for key, label in PROGRESS_FIGURES.items() if key in metrics})
    return shown


def save_champion(run_dir: Path, config: ArenaConfig, state: ArenaState) -> Path:
    """``champion.safetensors``: the champion's genome with its GenomeSpec in the metadata."""
    path = run_dir / CHAMPION_FILE
    tmp = run_dir / f".{CHAMPION_FILE}.tmp"
    meta = {"genome_spec": config.genome.to_json(), "env": config.env, "generation": str(state.generation), "rating": json.dumps(state.champion_rating.tolist())}
    save_file({"genome": state.champion[None].contiguous()}, str(tmp), metadata=meta)
    tmp.replace(path)
    return path
