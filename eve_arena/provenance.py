"""What made a run: the versions of the packages that compute it, the code's commit, the command.

``config.json`` records it when a run starts, every checkpoint when it is written, and a resume
that finds other versions than its checkpoint's says so in one line: a run resumed under another
torch may not match an uninterrupted one bit for bit.
"""

from __future__ import annotations

import functools
import importlib.metadata
import shlex
import subprocess
import sys
from pathlib import Path

PACKAGES = ("eve-arena", "torch", "numpy", "pettingzoo", "openskill", "cma")
"""The distributions whose versions decide what a run computes (cma is pycma)."""


def versions() -> dict[str, str | None]:
    return dict(_installed_versions())


@functools.lru_cache(maxsize=1)
def _installed_versions() -> dict[str, str | None]:
    """Read once a process: every checkpoint records them, and scanning the installed
    distributions is slow next to a toy generation."""
    found = {}
    for name in PACKAGES:
        try:
            found[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            found[name] = None
    return found


@functools.lru_cache(maxsize=1)
def code_commit() -> str | None:
    """The git commit of the eve_arena code that is running, ``-dirty`` when the package's files
    differ from it; None outside a git checkout (an installed wheel)."""
    package = Path(__file__).resolve().parent

    def git(*args: str) -> str | None:
        try:
            done = subprocess.run(["git", "-C", str(package), *args], capture_output=True, text=True, timeout=10)
        except (OSError, subprocess.TimeoutExpired):
            return None
        return done.stdout.strip() if done.returncode == 0 else None

    commit = git("rev-parse", "HEAD")
    if not commit:
        return None
    changed = git("status", "--porcelain", "--", ".")
    return commit + ("-dirty" if changed else "")


def command_line() -> str:
    """The command that is running, as a shell would take it back (``eve-arena tournament ...``)."""
    argv = list(sys.argv) or ["python"]
    program = Path(argv[0])
    # `python -m eve_arena.cli` is the same command as the eve-arena script.
    argv[0] = "eve-arena" if program.name == "eve-arena" or program.parts[-2:] == ("eve_arena", "cli.py") else program.name
    return shlex.join(argv)


def collect() -> dict:
    return {"versions": versions(), "commit": code_commit(), "command": command_line()}


def differences(recorded: dict, current: dict | None = None) -> list[str]:
    """What changed between a recorded provenance and the running one (``current``, default now),
    as ``"torch 2.12.0 -> 2.13.0"``; the command is not compared (a resume is another command)."""
    current = current or collect()
    changes = []
    old, new = recorded.get("versions") or {}, current.get("versions") or {}
    for name in PACKAGES:
        if name in old and old[name] != new.get(name):
            changes.append(f"{name} {old[name]} -> {new.get(name)}")
    if recorded.get("commit") and current.get("commit") and recorded["commit"] != current["commit"]:
        changes.append(f"commit {recorded['commit'][:12]} -> {current['commit'][:12]}")
    return changes
