"""scripts/peer_compare.py: a smoke run writes its files; a missing peer or data set is one line."""

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import load_script as load_conftest_script
from tests.conftest import needs_mnist, png_size

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "scripts" / "peer_compare.py"
PEERS = all(importlib.util.find_spec(name) is not None for name in ("evotorch", "evox"))


def load_script():
    return load_conftest_script(SCRIPT)


def run(*args, env=None):
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]), **(env or {})}
    return subprocess.run([sys.executable, str(SCRIPT), *args], capture_output=True, text=True, timeout=600, env=env)


def test_a_missing_peer_says_what_to_install(monkeypatch):
    script = load_script()
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None)
    with pytest.raises(SystemExit, match=r"evotorch, evox not installed; install the peers with `pip install -e \"\.\[peer\]\"`"):
        script.require_peers(list(script.ARMS))
    script.require_peers(["eve-arena"])  # our own arm needs no peer


def test_no_mnist_is_one_line(tmp_path):
    proc = run("--arms", "eve-arena", "--data-dir", str(tmp_path), "--out", str(tmp_path / "out"))
    assert proc.returncode != 0 and proc.stderr.strip().count("\n") == 0 and "MNIST not found" in proc.stderr and "eve-arena data mnist" in proc.stderr


def test_time_to_a_level_reads_the_validation_curve():
    script = load_script()
    curve = [{"seconds": 10, "validation_accuracy": 0.7}, {"seconds": 20, "validation_accuracy": 0.86}, {"seconds": 30, "validation_accuracy": 0.84}]
    assert script.time_to(curve, 0.8) == 20 and script.time_to(curve, 0.85) == 20 and script.time_to(curve, 0.9) == float("inf")
    inf = float("inf")
    assert script.median_minutes([60, 90, 120]) == "1.50" and script.median_minutes([inf, inf]) == "never"
    assert script.median_minutes([60, inf, 120]) == "2.00 (2/3 reached)" and script.median_minutes([60, inf]) == "- (1/2 reached)"  # a median of the unreached is no time


@needs_mnist
def test_smoke_run_writes_table_json_and_plot(tmp_path):
    arms = list(load_script().ARMS) if PEERS else ["eve-arena"]
    proc = run("--minutes", "0.05", "--marks", "0.02", "--every", "1", "--seeds", "1", "--train-limit", "1000", "--arms", *arms, "--out", str(tmp_path))
    assert proc.returncode == 0, proc.stderr[-2000:]
    saved = json.loads((tmp_path / "peers.json").read_text())
    assert saved["meta"]["provenance"].startswith("commit ")
    assert sorted(r["arm"] for r in saved["runs"]) == sorted(arms)
    for r in saved["runs"]:
        assert r["torch_threads"] == 1 and r["final"]["generation"] > 0 and "0.02" in r["marks"]
        assert 0 <= r["final"]["test_accuracy"] <= 1 and all(0 <= c["validation_accuracy"] <= 1 for c in r["curve"])
    table = (tmp_path / "peers.md").read_text()
    assert "| arm | parameters evolved | test % at 0.02 min |" in table and all(f"| {a} |" in table for a in arms)
    assert png_size(tmp_path / "peers.png") == (500, 800)
