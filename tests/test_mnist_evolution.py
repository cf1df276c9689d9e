"""scripts/mnist_evolution.py on a tiny budget: it runs and reports test accuracy."""

import json
import subprocess
import sys
from pathlib import Path

from tests.conftest import needs_mnist

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "mnist_evolution.py"


@needs_mnist
def test_mnist_evolution_script_smoke(tmp_path):
    args = ["--generations", "3", "--population", "8", "--train-limit", "2000", "--every", "1", "--mark-minutes", "0", "--out", str(tmp_path)]
    proc = subprocess.run([sys.executable, str(SCRIPT), *args], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout.strip().splitlines()[-1])
    assert report["generations"] == 3 and report["strategy"] == "pgpe" and report["population"] == 8
    assert 0.0 <= report["champion_test_accuracy"] <= 1.0
    assert "generation 3: champion validation accuracy" in proc.stdout
    assert 0.0 <= report["test_accuracy_at_mark"] <= 1.0 and report["generations_at_mark"] == 1
    saved = json.loads((tmp_path / "mnist_evolution.json").read_text())
    assert saved["report"] == report and [c["generation"] for c in saved["curve"]] == [1, 2, 3]
    assert (tmp_path / "mnist_evolution.png").stat().st_size > 10_000
    table = (tmp_path / "mnist_evolution.md").read_text()
    assert sum(line.startswith("| ") for line in table.splitlines()) == 2 and f"{100 * report['champion_test_accuracy']:.1f}%" in table and "Made by `python scripts/mnist_evolution.py --generations 3" in table
