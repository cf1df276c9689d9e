"""A co-evolution run on disk, as ``runs.py`` is a tournament's: ``eve-arena coevolve``.

RUN_DIR holds ``config.json`` (the ``CoevolutionConfig`` and what made it), ``metrics.jsonl``
(a line a generation), ``checkpoints/``, and at the end ``champion_<role>.safetensors`` for
every role and ``plots/progress.png`` (every role's ladder, and the scored role's held-out
losses). The order per generation is the tournament's: the metrics line first, then any
checkpoint due; a resumed run drops the lines newer than its checkpoint and replays those
generations bit for bit. One process at a time writes a run (``run_lock``).
"""

from __future__ import annotations

import json
import math
from pathlib import Path

from safetensors.torch import save_file
from tqdm import tqdm

from eve_arena import checkpoint, provenance
from eve_arena.coevolution import Coevolution, CoevolutionConfig
from eve_arena.errors import UserError
from eve_arena.run_lock import RunLock
from eve_arena.runs import CHECKPOINT_DIR, CONFIG_FILE, METRICS_FILE, check_new_run_dir, read_metrics, truncate_rows


def is_coevolution_run(run_dir: Path) -> bool:
    """Whether ``run_dir``'s config is a co-evolution's (it has roles), not a tournament's."""
    try:
        return "roles" in json.loads((Path(run_dir) / CONFIG_FILE).read_text())
    except (OSError, ValueError):
        return False


def load_config(run_dir: Path) -> CoevolutionConfig:
    path = Path(run_dir) / CONFIG_FILE
    if not path.is_file():
        raise UserError(f"{path} not found: is {run_dir} a run directory made by `eve-arena coevolve`?")
    try:
        data = json.loads(path.read_text())
    except ValueError as exc:
        raise UserError(f"{path} is not valid JSON ({exc}); it is the run's settings, written when the run started") from exc
    return CoevolutionConfig.from_dict(data)


def start(config: CoevolutionConfig, run_dir: Path) -> None:
    """A new run directory for ``config``: a new or empty directory, never one with files in it."""
    check_new_run_dir(run_dir)
    try:
        run_dir.mkdir(parents=True, exist_ok=True)
        _write_config(run_dir, config, provenance.collect())
    except OSError as exc:
        raise UserError(f"cannot write the run directory {run_dir}: {exc.strerror or exc}; choose another --out") from exc


def run_coevolution(run_dir: Path, generations: int | None = None, progress: bool = True, stop_after: int | None = None) -> Coevolution:
    """Runs (or resumes, from its newest good checkpoint) the co-evolution in ``run_dir`` up to
    ``generations`` (default: the config's). ``stop_after`` ends the call after that many
    generations without finishing (tests use it to simulate a kill)."""
    config = load_config(run_dir)
    if generations is not None:
        config = CoevolutionConfig.from_dict({**config.to_dict(), "generations": generations})
    with RunLock(run_dir):
        saved = checkpoint.list_checkpoints(run_dir / CHECKPOINT_DIR)
        run = Coevolution.resume(config, run_dir / CHECKPOINT_DIR) if saved else Coevolution(config)
        if generations is not None:
            _write_config(run_dir, config, json.loads((run_dir / CONFIG_FILE).read_text()).get("provenance"))
        truncate_rows(run_dir, run.generation)
        bar = tqdm(total=config.generations, initial=run.generation, disable=not progress, unit="gen", dynamic_ncols=True)
        done_here, shown = 0, {}
        with open(run_dir / METRICS_FILE, "a") as metrics_file:
            while run.generation < config.generations and (stop_after is None or done_here < stop_after):
                metrics = run.step()
                done_here += 1
                metrics_file.write(json.dumps(metrics) + "\n")
                metrics_file.flush()
                if run.generation % config.checkpoint_every == 0 or run.generation == config.generations:
                    run.save(run_dir / CHECKPOINT_DIR)
                bar.update(1)
                shown.update(_progress(metrics))
                bar.set_postfix({k.replace("champion/", ""): f"{v:.4g}" if math.isfinite(v) else str(v) for k, v in shown.items()}, refresh=False)
        bar.close()
        if run.generation >= config.generations:
            save_champions(run_dir, run)
            from eve_arena.plots import plot_coevolution  # matplotlib loads only when plots are drawn

            plot_coevolution(read_metrics(run_dir), list(run.roles), run_dir / "plots" / "progress.png")
    return run


def _write_config(run_dir: Path, config: CoevolutionConfig, made_by: dict | None) -> None:
    """``config.json``: the settings, and what made the run (``provenance``)."""
    (run_dir / CONFIG_FILE).write_text(json.dumps({**config.to_dict(), "provenance": made_by}, indent=2) + "\n")


def _progress(metrics: dict) -> dict:
    """The figures that show a co-evolution's progress: every ladder rating and champion score."""
    return {k: v for k, v in metrics.items() if k.endswith("/ladder_rating") or k.startswith("champion/")}


def champion_file(role: str) -> str:
    return f"champion_{role}.safetensors"


def save_champions(run_dir: Path, run: Coevolution) -> list[Path]:
    """``champion_<role>.safetensors`` for every role: the genome, with its GenomeSpec and world."""
    written = []
    for role, genome in run.champions.items():
        path, tmp = run_dir / champion_file(role), run_dir / f".{champion_file(role)}.tmp"
        meta = {"genome_spec": run.specs[role].to_json(), "env": run.config.world, "role": role, "generation": str(run.generation)}
        save_file({"genome": genome[None].contiguous()}, str(tmp), metadata=meta)
        tmp.replace(path)
        written.append(path)
    return written


def summary(run_dir: Path) -> str:
    """The last value of every ladder rating and champion score in the run's metrics."""
    last: dict = {}
    for row in read_metrics(run_dir):
        last.update(_progress(row))
    return ", ".join(f"{k.replace('champion/', 'champion ').replace('/', ' ')} {v:.4g}" for k, v in last.items())
