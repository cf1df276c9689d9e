"""Several runs at once: one config per seed (or any settings), each in its own run directory.

    eve-arena sweep --out runs/seeds --seeds 0 1 2 3 --backend ray --workers 2

On the local backend the runs go one after another in this process; on Ray each run is a task
on its own worker, ``workers`` at a time. A sweep started again finishes what is unfinished and
leaves finished runs alone, so a killed sweep loses at most each run's generations since its
last checkpoint. At the end, one table: a row per run, from its own metrics.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

from eve_arena.config import ArenaConfig
from eve_arena.errors import UserError
from eve_arena.runs import CHAMPION_FILE, CONFIG_FILE, progress_figures, read_metrics, run_arena, start_run

SWEEP_TABLE = "sweep.md"
SWEEP_ROWS = "sweep.json"


def sweep(configs: dict[str, ArenaConfig], out: str | Path, backend: str = "local", workers: int = 1, ray_address: str | None = None) -> list[dict]:
    """Runs every ``configs[name]`` in ``out/name`` and returns a row per run (also written to
    ``out/sweep.md`` and ``out/sweep.json``)."""
    out = Path(out)
    if not configs:
        raise UserError("a sweep needs at least one run")
    for name, config in configs.items():
        run_dir = out / name
        if (run_dir / CONFIG_FILE).exists():
            if ArenaConfig.load(run_dir / CONFIG_FILE) != config:
                raise UserError(f"{run_dir} holds a run with other settings than this sweep's {name}; choose another --out")
        else:
            start_run(config, run_dir)
    todo = [name for name in configs if not (out / name / CHAMPION_FILE).exists()]
    seconds: dict[str, float | None] = dict.fromkeys(configs)  # None: finished before this call
    if backend == "ray":
        seconds.update(_on_ray(out, todo, workers, ray_address))
    elif backend == "local":
        if workers != 1:
            raise UserError("a local sweep runs one run at a time; use --backend ray --workers N for several at once")
        for name in todo:
            seconds[name] = _one_run(out / name)
    else:
        raise UserError(f"unknown backend {backend!r}; choose local or ray")
    rows = [summary_row(name, out / name, seconds[name]) for name in configs]
    (out / SWEEP_ROWS).write_text(json.dumps(rows, indent=2) + "\n")
    (out / SWEEP_TABLE).write_text(table(rows))
    return rows


def _one_run(run_dir: Path) -> float:
    started = time.perf_counter()
    run_arena(run_dir, progress=False)
    return time.perf_counter() - started


def _on_ray(out: Path, names: list[str], workers: int, address: str | None) -> dict[str, float]:
    from eve_arena.backend import ray_cluster

    with ray_cluster(workers, address) as ray:
        task = ray.remote(num_cpus=1, max_retries=3)(_one_run)  # a retried run resumes from its checkpoint
        refs = {name: task.remote(out / name) for name in names}
        seconds = {}
        for name, ref in refs.items():
            try:
                seconds[name] = ray.get(ref)
            except ray.exceptions.RayTaskError as exc:
                cause = getattr(exc, "cause", None)
                raise UserError(f"run {out / name} stopped: {cause if isinstance(cause, UserError) else exc}; the sweep's finished runs are kept, start it again to finish") from None
        return seconds


def summary_row(name: str, run_dir: Path, seconds: float | None) -> dict:
    rows = read_metrics(run_dir)
    shown: dict = {}
    for row in rows:
        shown = progress_figures(row, shown)
    return {"run": name, "seed": ArenaConfig.load(run_dir / CONFIG_FILE).seed, "generations": len(rows), **shown, "wall_s": None if seconds is None else round(seconds, 1)}


def table(rows: list[dict]) -> str:
    columns = list(dict.fromkeys(key for row in rows for key in row))
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    for row in rows:
        lines.append("| " + " | ".join(_cell(row.get(c)) for c in columns) + " |")
    return "\n".join(lines) + "\n"


def _cell(value) -> str:
    return f"{value:.4g}" if isinstance(value, float) else ("" if value is None else str(value))
