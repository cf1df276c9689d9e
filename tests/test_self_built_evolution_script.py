"""scripts/self_built_evolution.py: both arms run, one row per arm and seed, and the verdict follows the medians."""

import csv
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def test_both_arms_run_and_the_table_reports_their_ratio(tmp_path):
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO), str(REPO / "scripts"), os.environ.get("PYTHONPATH", "")])}
    proc = subprocess.run([sys.executable, str(REPO / "scripts" / "self_built_evolution.py"), "--seeds", "0", "--generations", "3", "--out", str(tmp_path)], capture_output=True, text=True, env=env, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    rows = list(csv.DictReader((tmp_path / "evolution_toy.csv").open()))
    assert [(r["arm"], r["seed"], r["generations"]) for r in rows] == [("copy", "0", "3"), ("self", "0", "3")]
    copy, self_built = (float(r["champion_heldout_mse"]) for r in rows)
    ratio = self_built / copy
    table = (tmp_path / "evolution_toy.md").read_text()
    assert f"self / copy = {ratio:.3g}" in table and ("met" if ratio <= 1.5 else "missed") in table
    assert "929 parameters" in table and "commit" in table
