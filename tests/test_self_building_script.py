"""scripts/self_building.py on tiny budgets: each study runs end to end on the toy world and writes its files."""

import csv
import math
import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "self_building.py"


def run(*args: str) -> str:
    proc = subprocess.run([sys.executable, str(SCRIPT), *args], check=False, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def rows(path: Path) -> list[dict]:
    with path.open() as fh:
        return list(csv.DictReader(fh))


def test_tradeoff_and_heredity_studies(tmp_path):
    run("tradeoff", "--world", "toy", "--steps", "60", "--weights", "0", "100", "--workers", "1", "--out", str(tmp_path))
    table = rows(tmp_path / "tradeoff_toy_depth1_quine.csv")
    assert [float(r["replication_weight"]) for r in table] == [0.0, 100.0]
    assert all(math.isfinite(float(r[k])) for r in table for k in ("score", "rho", "weight_norm", "start_norm", "child_score"))
    assert all(float(r["noisy_twin_score"]) > 0 for r in table)
    assert float(table[1]["rho"]) < float(table[0]["rho"])  # the replication loss does its job even in 60 steps
    assert (tmp_path / "tradeoff_toy_depth1_quine.png").stat().st_size > 10_000
    assert "`python scripts/self_building.py tradeoff --world toy" in (tmp_path / "tradeoff_toy_depth1_quine.md").read_text()

    out = run("heredity", "--world", "toy", "--steps", "60", "--weights", "0", "--self-builds", "quine", "--generations", "2", "--population", "4", "--out", str(tmp_path))
    assert "after 2 self-built generations" in out
    (lineage,) = rows(tmp_path / "heredity_toy.csv")
    assert lineage["self_build"] == "quine" and int(lineage["generations"]) == 2
    assert (tmp_path / "heredity_toy.png").stat().st_size > 10_000


def test_residual_study(tmp_path):
    run("residual", "--world", "toy", "--steps", "40", "--seeds", "0", "--generations", "3", "--workers", "1", "--out", str(tmp_path))
    table = rows(tmp_path / "residual_toy.csv")
    assert {(r["method"], r["residual"]) for r in table} == {("backprop", "none"), ("backprop", "seed"), ("evolution (ga)", "none"), ("evolution (ga)", "seed"), ("evolution (ga)", "parent")}
    assert all(math.isfinite(float(r["score"])) for r in table)
    sizes = {r["residual"]: int(r["genome_params"]) for r in table}
    assert sizes["none"] == sizes["seed"] < sizes["parent"]  # same budget; a parent base rides in the genome
