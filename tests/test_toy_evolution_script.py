"""scripts/toy_evolution.py in a smoke run: its rows are its runs' own figures, on either backend."""

import csv
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
ENV = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO), str(REPO / "scripts")])}


def smoke(out: Path, *extra: str) -> list[dict]:
    args = ["--seeds", "0", "1", "--generations", "3", "--long-population", "8", "--long-generations", "4", "--out", str(out), *extra]
    done = subprocess.run([sys.executable, str(REPO / "scripts" / "toy_evolution.py"), *args], capture_output=True, text=True, timeout=300, env=ENV)
    assert done.returncode == 0, done.stderr
    with open(out / "toy_evolution.csv") as f:
        return list(csv.DictReader(f))


def test_toy_evolution_rows_are_its_runs(tmp_path):
    from eve_arena.config import ArenaConfig
    from eve_arena.runs import read_metrics, run

    rows = smoke(tmp_path / "local")
    assert [(r["population"], r["generations"], r["seed"]) for r in rows] == [("64", "3", "0"), ("64", "3", "1"), ("8", "4", "0")]
    run(ArenaConfig(seed=1, generations=3), tmp_path / "alone", progress=False)
    assert float(rows[1]["champion_heldout_mse"]) == pytest.approx(read_metrics(tmp_path / "alone")[-1]["champion/heldout_loss"], rel=1e-6)
    table = (tmp_path / "local" / "toy_evolution.md").read_text()
    assert f"| default | 64 | 3 | 1 | {float(rows[1]['champion_heldout_mse']):.3f} |" in table
    assert "--generations 3 --long-population 8 --long-generations 4`" in table


def test_toy_evolution_on_ray_gives_the_same_figures(tmp_path):
    pytest.importorskip("ray", reason="Ray is not installed: pip install 'eve-arena[ray]'")
    local = smoke(tmp_path / "local")
    on_ray = smoke(tmp_path / "ray", "--backend", "ray", "--workers", "2")
    assert [r["champion_heldout_mse"] for r in on_ray] == [r["champion_heldout_mse"] for r in local]
    assert "--backend ray --workers 2`" in (tmp_path / "ray" / "toy_evolution.md").read_text()
