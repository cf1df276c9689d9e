"""Atomic writers for the scripts' result files (a killed script never leaves half a table), and
what several scripts share: their command lines, and their runs by ``eve_arena.sweep``."""

from __future__ import annotations

import contextlib
import csv
import io
import os
import sys


def write_atomic(path: str, text: str) -> None:
    with open(path + ".tmp", "w", newline="") as fh:
        fh.write(text)
    os.replace(path + ".tmp", path)


def write_csv(path: str, rows: list[dict]) -> None:
    """``rows`` (dicts with the same keys, in column order) as a CSV file with a header."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    write_atomic(path, buffer.getvalue())


def save_figure(fig, path: str, dpi: int = 100) -> None:
    """Saves and closes a matplotlib figure."""
    import matplotlib.pyplot as plt

    fig.savefig(path + ".tmp.png", dpi=dpi)
    plt.close(fig)
    os.replace(path + ".tmp.png", path)


def run_side_by_side(commands: list[tuple[str, list[str]]], parallel: int, program: str = "") -> None:
    """Runs ``(label, argv)`` commands, ``parallel`` at a time, each with one BLAS thread; the
    first that fails ends the study with one line naming it."""
    import subprocess
    import sys
    import time

    env = {**os.environ, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    started, pending, running = time.perf_counter(), list(commands), []
    while pending or running:
        while pending and len(running) < parallel:
            label, argv = pending.pop(0)
            running.append((label, subprocess.Popen(argv, env=env)))
            print(f"started {label} ({time.perf_counter() - started:.0f} s)", flush=True)
        time.sleep(0.2)
        for label, process in list(running):
            if process.poll() is not None:
                running.remove((label, process))
                if process.returncode != 0:
                    sys.exit(f"{program + ': ' if program else ''}run {label} failed (exit {process.returncode})")
                print(f"finished {label} ({time.perf_counter() - started:.0f} s)", flush=True)


def save_accuracy_plot(fig, ax, path: str) -> None:
    """Finishes an accuracy-against-time plot (0 to 100 %, a grid, the legend bottom right) and saves it."""
    ax.set_ylim(0, 100)
    ax.grid(alpha=0.3)
    ax.legend(loc="lower right", fontsize=8)
    fig.tight_layout()
    save_figure(fig, path)


def provenance() -> str:
    """The commit (``-dirty`` with uncommitted changes) and the command line that made a result."""
    import subprocess

    here = os.path.dirname(os.path.abspath(__file__))

    def git(*args: str) -> str:
        try:
            return subprocess.run(["git", *args], cwd=here, capture_output=True, text=True, check=True).stdout.strip()
        except (OSError, subprocess.CalledProcessError):
            return ""

    commit = git("rev-parse", "--short", "HEAD") or "unknown"
    # Dirty means code that differs from the commit; results being rewritten do not count.
    if git("status", "--porcelain", "--untracked-files=no", "--", ":/", ":(exclude,top)results"):
        commit += "-dirty"
    return f"commit {commit}; made by `python {' '.join(sys.argv)}`"


def dataclass_parser(settings: type, description: str) -> "argparse.ArgumentParser":
    """A command line built from a dataclass of settings: one ``--flag`` per field, its default
    from the field and its help from the docstring under it. Tuples take several values, of
    str or float where the default holds one, else of int."""
    import argparse
    import ast
    import dataclasses
    import inspect
    import itertools

    body = ast.parse(inspect.getsource(settings)).body[0].body
    helps = {a.target.id: b.value.value for a, b in itertools.pairwise(body) if isinstance(a, ast.AnnAssign) and isinstance(b, ast.Expr)}
    parser = argparse.ArgumentParser(description=description)
    for f in dataclasses.fields(settings):
        flag = "--" + f.name.replace("_", "-")
        if isinstance(f.default, bool):
            parser.add_argument(flag, action=argparse.BooleanOptionalAction, default=f.default, help=helps[f.name])
        elif isinstance(f.default, tuple):
            kind = next((k for k in (str, float) if any(isinstance(v, k) for v in f.default)), int)
            parser.add_argument(flag, type=kind, nargs="+", default=f.default, help=f"{helps[f.name]} (default: {' '.join(map(str, f.default))})")
        else:
            parser.add_argument(flag, type=type(f.default), default=f.default, help=f"{helps[f.name]} (default: {f.default})")
    return parser


def tournament_config(*flags: str):
    """The ArenaConfig that ``eve-arena tournament FLAGS`` runs, built by the CLI's own parser."""
    from eve_arena.cli import build_parser, config_from_args
    from eve_arena.errors import UserError

    try:
        return config_from_args(build_parser().parse_args(["tournament", *flags]))
    except UserError as exc:  # e.g. a world that is not installed: one line, not a traceback
        raise SystemExit(_error_line(exc)) from None


def _error_line(exc: Exception) -> str:
    return f"{os.path.basename(sys.argv[0])}: error: {exc}"


def add_sweep_arguments(parser) -> None:
    """``--backend`` and ``--workers``: how ``swept`` runs a study's runs."""
    parser.add_argument("--backend", choices=("local", "ray"), default="local", help="local: one run after another; ray: --workers runs at a time (pip install 'eve-arena[ray]')")
    parser.add_argument("--workers", type=int, default=1, help="ray: runs at a time (default 1)")


@contextlib.contextmanager
def swept(configs: dict, args):
    """Runs every ``configs[name]`` by ``eve_arena.sweep`` (``args.backend``, ``args.workers``)
    in a temporary directory, and yields ``{name: run directory}`` while the runs are there to read."""
    import tempfile
    from pathlib import Path

    from eve_arena.errors import UserError
    from eve_arena.sweep import sweep

    with tempfile.TemporaryDirectory() as scratch:
        try:
            sweep(configs, scratch, backend=args.backend, workers=args.workers)
        except UserError as exc:  # e.g. --workers 2 without --backend ray: one line, not a traceback
            raise SystemExit(_error_line(exc)) from None
        yield {name: Path(scratch) / name for name in configs}
