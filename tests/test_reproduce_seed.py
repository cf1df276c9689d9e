"""scripts/reproduce_seed.py on a tiny budget: it runs end to end and writes every output."""

import csv
import math
import subprocess
import sys
from pathlib import Path

from tests.conftest import needs_mnist

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "reproduce_seed.py"
COLUMNS = ["chapter", "config", "task", "seed", "genome_params", "target_params", "test_mse"]
RUNS = {("1", "direct"), ("2", "seed"), ("2", "fourier"), ("5", "fourier")}


def test_quick_run_writes_csv_table_and_plots(tmp_path):
    proc = subprocess.run([sys.executable, str(SCRIPT), "--quick", "--out", str(tmp_path)], capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "CLAIM PASS" in proc.stdout or "CLAIM FAIL" in proc.stdout

    with open(tmp_path / "results.csv", newline="") as fh:
        reader = csv.DictReader(fh)
        assert reader.fieldnames == COLUMNS
        rows = list(reader)
    assert len(rows) == len(RUNS) * 2 * 2  # chapter/configs x tasks x 2 quick seeds
    assert {(r["chapter"], r["config"]) for r in rows} == RUNS
    assert {r["task"] for r in rows} == {"linear", "quadratic"}
    assert {r["seed"] for r in rows} == {"0", "1"}
    for r in rows:
        assert int(r["genome_params"]) > 0 and int(r["target_params"]) == 46
        assert math.isfinite(float(r["test_mse"])) and float(r["test_mse"]) >= 0
    direct = [r for r in rows if r["config"] == "direct"]
    assert all(r["genome_params"] == r["target_params"] for r in direct)

    table = (tmp_path / "results.md").read_text()
    assert table.count("\n| ") == 1 + len(RUNS) * 2  # header + one row per chapter/config/task
    pngs = sorted(p.name for p in tmp_path.glob("*.png"))
    assert pngs == ["chapter1_direct.png", "chapter2_fourier.png", "chapter2_seed.png", "chapter5_fourier.png"]
    assert all((tmp_path / p).stat().st_size > 10_000 for p in pngs)
    assert not list(tmp_path.glob("*.tmp*"))


@needs_mnist
def test_quick_mnist_run_writes_csv_table_and_plot(tmp_path):
    proc = subprocess.run([sys.executable, str(SCRIPT), "--world", "mnist", "--quick", "--out", str(tmp_path)], capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stderr[-2000:]
    with open(tmp_path / "mnist.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert {r["config"] for r in rows} == {"direct", "hypernet", "column hypernet", "hyper-hypernet", "subspace"} and len(rows) == 5 * 2
    for r in rows:
        assert int(r["target_params"]) == 8070 and 0.0 <= float(r["test_accuracy"]) <= 1.0
        assert (r["config"] == "direct") == (int(r["genome_params"]) == 8070)
    hypernet = next(r for r in rows if r["config"] == "hypernet")
    assert all(r["genome_params"] == hypernet["genome_params"] for r in rows if r["config"] == "subspace")  # the same budget
    assert all(2 * int(r["genome_params"]) <= 8070 for r in rows if "hypernet" in r["config"])  # at most half the target's
    table = (tmp_path / "mnist.md").read_text()
    assert table.count("\n| ") == 1 + 5 and "random-subspace genome of the same size" in table
    assert (tmp_path / "mnist_training.png").stat().st_size > 10_000


def test_missing_mnist_is_one_line(tmp_path):
    proc = subprocess.run([sys.executable, str(SCRIPT), "--world", "mnist", "--quick", "--data-dir", str(tmp_path / "none"), "--out", str(tmp_path)], capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert proc.stderr.startswith("reproduce_seed.py: error: MNIST not found in data dir") and len(proc.stderr.strip().splitlines()) == 1
