"""scripts/reproduce_seed.py on a tiny budget: it runs end to end and writes every output."""

import csv
import math
import re
import statistics
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import needs_mnist, png_size

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "reproduce_seed.py"
COLUMNS = ["chapter", "config", "task", "seed", "genome_params", "target_params", "test_mse", "heldout_mse"]
RUNS = {("1", "direct"), ("2", "seed"), ("2", "fourier"), ("5", "fourier"), ("5", "centred")}
CLAIM_LINE = re.compile(r"^CLAIM (PASS|FAIL): depth-1 fourier hypernet on the quadratic task: (\d+)/(\d+) seeds within 1\.5x of the direct net's median test MSE \(needs >= (\d+)\)$", re.M)


def test_quick_run_writes_csv_table_and_plots(tmp_path):
    proc = subprocess.run([sys.executable, str(SCRIPT), "--quick", "--out", str(tmp_path)], capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr[-2000:]
    (claim,) = CLAIM_LINE.findall(proc.stdout)

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
        assert all(math.isfinite(float(r[k])) and float(r[k]) >= 0 for k in ("test_mse", "heldout_mse"))
    direct = [r for r in rows if r["config"] == "direct"]
    assert all(r["genome_params"] == r["target_params"] for r in direct)
    mse = {}
    for r in rows:
        mse.setdefault((r["chapter"], r["config"], r["task"]), []).append(float(r["test_mse"]))
    assert all(a != b for a, b in mse.values())  # each seed its own initialisation and data: no two runs alike

    # The verdict follows from the CSV by the script's rule: 2 quick seeds need ceil(9 * 2 / 10) = 2 within 1.5x.
    direct_median = {task: statistics.median(mse["1", "direct", task]) for task in ("linear", "quadratic")}
    within = {key: sum(v <= 1.5 * direct_median[key[2]] for v in values) for key, values in mse.items()}
    verdict, claimed, seeds, needed = claim
    assert (int(claimed), int(seeds), int(needed)) == (within["2", "fourier", "quadratic"], 2, 2)
    assert verdict == ("PASS" if int(claimed) >= 2 else "FAIL")

    # The table: one row per chapter/config/task whose numbers are the CSV's, and the same verdict.
    table = (tmp_path / "results.md").read_text()
    assert table.count("\n| ") == 1 + len(RUNS) * 2  # header + one row per chapter/config/task
    for line in [line for line in table.splitlines() if line.startswith("| ")][1:]:
        ch, cfg, task, genome, target, heldout_median, median, low, high, seeds_within = (c.strip() for c in line.strip("|").split("|"))
        values = mse[ch, cfg, task]
        assert float(heldout_median) == pytest.approx(statistics.median(float(r["heldout_mse"]) for r in rows if (r["chapter"], r["config"], r["task"]) == (ch, cfg, task)), rel=1e-3)
        assert int(target) == 46 and int(genome) == int(next(r["genome_params"] for r in rows if (r["chapter"], r["config"]) == (ch, cfg)))
        assert [float(median), float(low), float(high)] == pytest.approx([statistics.median(values), min(values), max(values)], rel=1e-3)
        assert seeds_within == f"{within[ch, cfg, task]}/2"
    assert f"**CLAIM {verdict}: " in table
    pngs = sorted(p.name for p in tmp_path.glob("*.png"))
    assert pngs == ["chapter1_direct.png", "chapter2_fourier.png", "chapter2_seed.png", "chapter5_centred.png", "chapter5_fourier.png"]
    assert all(png_size(tmp_path / p) == (450, 1100) for p in pngs)  # 11 x 4.5 inches at 100 dpi, not blank
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
