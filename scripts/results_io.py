"""Atomic writers for the scripts' result files: a killed script never leaves half a table."""

from __future__ import annotations

import csv
import io
import os


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


def provenance() -> str:
    """The commit (``-dirty`` with uncommitted changes) and the command line that made a result."""
    import subprocess
    import sys

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
