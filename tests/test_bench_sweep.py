"""scripts/bench_sweep.py in a smoke run: both sweeps run, and their champions agree."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("ray", reason="Ray is not installed: pip install 'eve-arena[ray]' (CI installs it with the test extra)")

REPO = Path(__file__).resolve().parents[1]


def test_bench_sweep_smoke(tmp_path):
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO), str(REPO / "scripts")])}
    done = subprocess.run([sys.executable, str(REPO / "scripts" / "bench_sweep.py"), "--seeds", "0", "1", "--generations", "3", "--out", str(tmp_path)], capture_output=True, text=True, timeout=300, env=env)
    assert done.returncode == 0, done.stderr
    report = json.loads((tmp_path / "bench_sweep.json").read_text())
    assert report["same_champions"] is True and report["seeds"] == [0, 1] and report["generations"] == 3
    assert report["speedup"] == pytest.approx(report["local_s"] / report["ray_s"])
    assert f"{report['speedup']:.2f}x | yes |" in (tmp_path / "bench_sweep.md").read_text()
