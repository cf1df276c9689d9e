"""scripts/lifetime_study.py and scripts/permuted_mnist_study.py on tiny budgets: every kind of agent is made, rated and reported."""

import csv
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import needs_mnist

SCRIPTS = Path(__file__).resolve().parents[1] / "scripts"


def _run(script: str, args: list[str]) -> None:
    proc = subprocess.run([sys.executable, str(SCRIPTS / script), *args], check=False, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr


@pytest.mark.parametrize("change_every", ["0", "2"], ids=["a-curve-per-episode", "changes-within-the-episode"])
def test_lifetime_study_smoke(tmp_path, change_every):
    args = ["--seeds", "0", "--generations", "3", "--backprop-steps", "3", "--curves-per-step", "2", "--episodes", "4", "--steps", "4", "--change-every", change_every]
    _run("lifetime_study.py", [*args, "--out", str(tmp_path)])
    with (tmp_path / "lifetime_study.csv").open() as fh:
        rows = list(csv.DictReader(fh))
    assert [r["kind"] for r in rows] == ["evolved plastic", "evolved fixed", "backprop plastic", "backprop fixed"]
    plastic, fixed = int(rows[0]["genome_params"]), int(rows[1]["genome_params"])
    assert abs(plastic - fixed) <= 0.01 * plastic  # the same parameter count, to within a percent
    assert (tmp_path / "lifetime_study.png").stat().st_size > 10_000
    assert "out-scores an evolved fixed one in" in (tmp_path / "lifetime_study.md").read_text()


@needs_mnist
def test_permuted_mnist_study_smoke(tmp_path):
    _run("permuted_mnist_study.py", ["--seeds", "0", "--generations", "6", "--change-every", "3", "--plastic-steps", "2", "--out", str(tmp_path)])
    with (tmp_path / "permuted_mnist_study.csv").open() as fh:
        rows = list(csv.DictReader(fh))
    assert [(r["kind"], int(r["changes"])) for r in rows] == [("hypernet", 1), ("direct", 1), ("plastic hypernet", 1), ("backprop", 1)]
    assert all(0.0 <= float(r["final_accuracy"]) <= 1.0 for r in rows)
    assert "| plastic hypernet | " in (tmp_path / "permuted_mnist_study.md").read_text()
