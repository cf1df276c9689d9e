"""scripts/mnist_evolution.py on a tiny budget: it runs and reports test accuracy."""

import json
import subprocess
import sys
from pathlib import Path

from tests.conftest import needs_mnist

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "mnist_evolution.py"


@needs_mnist
def test_mnist_evolution_script_smoke():
    args = ["--generations", "3", "--population", "8", "--train-limit", "2000", "--every", "1"]
    proc = subprocess.run([sys.executable, str(SCRIPT), *args], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout.strip().splitlines()[-1])
    assert report["generations"] == 3 and report["strategy"] == "pgpe"
    assert 0.0 <= report["champion_test_accuracy"] <= 1.0
    assert "generation 3: champion validation accuracy" in proc.stdout
