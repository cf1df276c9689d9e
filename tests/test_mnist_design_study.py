"""scripts/mnist_design_study.py: a smoke run writes its files, and the ranking reads validation only."""

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import load_script as load_conftest_script
from tests.conftest import needs_mnist, png_size

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "scripts" / "mnist_design_study.py"


def load_script():
    return load_conftest_script(SCRIPT)


def fake_run(arm: str, seed: int, validation: float, test: float) -> dict:
    return {"arm": arm, "description": arm, "seed": seed, "validation_accuracy": validation, "test_accuracy_report_only": test,
            "generations": 100, "cpu_seconds_per_generation": 0.1}


def test_ranking_and_verdicts_read_validation_not_test():
    study = load_script()
    # Test accuracy runs exactly against validation: a ranking that peeked at it would come out reversed.
    runs = [fake_run("default", s, v, t) for s, v, t in ((0, 0.80, 0.90), (1, 0.82, 0.91))]
    runs += [fake_run("clipup", s, v, t) for s, v, t in ((0, 0.70, 0.99), (1, 0.72, 0.98))]  # worse on validation, ranges apart
    runs += [fake_run("hyper_16", s, v, t) for s, v, t in ((0, 0.81, 0.50), (1, 0.86, 0.40))]  # better mean, ranges overlap
    summary = study.summarise(runs, ["default", "clipup", "hyper_16"])
    assert [row["arm"] for row in summary] == ["hyper_16", "default", "clipup"]
    assert [row["rank_by_validation"] for row in summary] == [1, 2, 3]
    verdicts = {row["arm"]: row["verdict_vs_default"] for row in summary}
    assert verdicts == {"hyper_16": "within noise", "default": "-", "clipup": "worse"}


@needs_mnist
def test_smoke_run_writes_results(tmp_path):
    args = ["--train-limit", "512", "--generations", "2", "--minutes", "1", "--clock", "wall", "--seeds", "2", "--variants", "center_out", "--every", "1", "--out", str(tmp_path)]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    proc = subprocess.run([sys.executable, str(SCRIPT), *args], capture_output=True, text=True, timeout=600, env=env)
    assert proc.returncode == 0, proc.stderr
    saved = json.loads((tmp_path / "results.json").read_text())
    assert saved["meta"]["provenance"].startswith("commit ") and saved["meta"]["train_limit"] == 512 and saved["meta"]["clock"] == "wall"
    runs = saved["runs"]
    assert sorted((r["arm"], r["seed"]) for r in runs) == [("center_out", 0), ("center_out", 1), ("default", 0), ("default", 1)]
    for run in runs:
        assert run["generations"] == 2 and run["torch_threads"] == 1
        assert [c["generation"] for c in run["curve"]] == [1, 2]
        assert 0.0 <= run["validation_accuracy"] <= 1.0 and 0.0 <= run["test_accuracy_report_only"] <= 1.0
    assert all(r["strategy"] == "pgpe_center_out" and r["champion_is_center"] == 0 for r in runs if r["arm"] == "center_out")
    summary = saved["summary"]
    by_validation = sorted(summary, key=lambda row: -row["validation"]["mean"])
    assert [row["arm"] for row in summary] == [row["arm"] for row in by_validation]
    assert [row["rank_by_validation"] for row in summary] == [1, 2]
    assert all(row["seeds"] == [0, 1] for row in summary)
    table = (tmp_path / "results.md").read_text()
    assert "| rank (validation) |" in table and "test accuracy % (report only)" in table and "made by `python" in table
    assert sum(line.startswith("| ") for line in table.splitlines()) == 3
    assert png_size(tmp_path / "results.png") == (500, 800)  # every run's curve, 8 x 5 inches at 100 dpi
