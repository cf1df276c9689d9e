"""scripts/mnist_evolution.py on a tiny budget: it runs, and its report, curve, table and plot agree."""

import json
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import needs_mnist, png_size

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "mnist_evolution.py"
PROGRESS = re.compile(r"^generation (\d+): champion validation accuracy (\d\.\d{4}) \(\d+ s\)$", re.M)


def images_right(accuracy: float, images: int) -> bool:
    """Whether ``accuracy`` is a whole number of ``images`` (a float32 count over the split)."""
    return abs(accuracy * images - round(accuracy * images)) < 1e-3


@needs_mnist
def test_mnist_evolution_script_smoke(tmp_path):
    from eve_arena.config import ArenaConfig

    args = ["--generations", "3", "--population", "8", "--train-limit", "2000", "--every", "1", "--mark-minutes", "0", "--out", str(tmp_path)]
    proc = subprocess.run([sys.executable, str(SCRIPT), *args], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout.strip().splitlines()[-1])
    genome = ArenaConfig.for_env("eve_arena/mnist-v0").genome
    assert report["generations"] == 3 and report["strategy"] == "pgpe" and report["population"] == 8
    assert (report["genome_params"], report["target_params"]) == (genome.genome_size, genome.target_size)
    assert report["seconds_per_generation"] == pytest.approx(report["wall_s"] / 3, abs=0.05)
    # Accuracies are whole numbers of images of their split: the champion's on the 10,000 test
    # images (at the mark, after generation 1 as --mark-minutes 0 asks, and at the end) and on the
    # 5,000 validation images; not on a match's batch of 256.
    assert report["generations_at_mark"] == 1
    assert all(images_right(report[k], 10_000) for k in ("test_accuracy_at_mark", "champion_test_accuracy"))
    # No learning asserted: 3 generations of PGPE stay at chance (0.05-0.14 over seeds 0-2, at 12 generations too).

    saved = json.loads((tmp_path / "mnist_evolution.json").read_text())
    assert saved["report"] == report
    curve = saved["curve"]
    assert [c["generation"] for c in curve] == [1, 2, 3]  # --every 1: every generation of the requested 3
    assert all(images_right(c["validation_accuracy"], 5_000) for c in curve)
    assert [c["seconds"] for c in curve] == sorted(c["seconds"] for c in curve) and curve[-1]["seconds"] <= report["wall_s"]
    assert report["champion_validation_accuracy"] == curve[-1]["validation_accuracy"]  # the report's is the last generation's
    printed = [(int(g), float(a)) for g, a in PROGRESS.findall(proc.stdout)]
    assert printed == [(c["generation"], round(c["validation_accuracy"], 4)) for c in curve]

    # The README table's row is the report, formatted.
    lines = (tmp_path / "mnist_evolution.md").read_text().splitlines()
    header, row = (line for line in lines if line.startswith("| ") and not line.startswith("|---"))
    assert header.startswith("| genome |") and "test accuracy at 0 min" in header
    cells = [cell.strip() for cell in row.strip("|").split("|")]
    assert cells[0] == f"{report['genome_params']:,}-parameter hypernet -> {report['target_params']:,}-weight net"
    assert cells[1].startswith("pgpe {") and json.loads(cells[1][len("pgpe "):]) == report["strategy_kwargs"]
    assert cells[2:] == [
        "8", f"{100 * report['test_accuracy_at_mark']:.1f}% (1 generations)", f"**{100 * report['champion_test_accuracy']:.1f}%**",
        f"{100 * report['champion_validation_accuracy']:.1f}%", "3", f"{report['wall_s'] / 60:.1f} min", f"{report['seconds_per_generation']:.3f}",
    ]
    assert report["command"] == shlex.join(["python", "scripts/mnist_evolution.py", *args])
    assert any(line.startswith(f"Made by `{report['command']}` (commit ") for line in lines) and report["commit"].startswith("commit ")

    assert png_size(tmp_path / "mnist_evolution.png") == (450, 700)  # figsize (7, 4.5) at 100 dpi
