"""scripts/adaptivity_study.py on a tiny budget: it runs both genomes and the backprop reference
through a changing world, and its CSV, table and plot say what each run's adaptivity report says."""

import csv
import json
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from tests.conftest import png_size

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "adaptivity_study.py"
KINDS = ("hypernet", "direct", "backprop")


def test_adaptivity_study_smoke(tmp_path):
    from eve_arena.config import ArenaConfig

    args = ["--worlds", "switch", "--seeds", "0", "--generations", "9", "--change-every", "3", "--out", str(tmp_path)]
    proc = subprocess.run([sys.executable, str(SCRIPT), *args], check=False, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    with (tmp_path / "adaptivity_study.csv").open() as fh:
        rows = list(csv.DictReader(fh))
    assert [(r["world"], r["genome"], r["seed"]) for r in rows] == [("switch", kind, "0") for kind in KINDS]
    hypernet = ArenaConfig.for_env("eve_arena/toy_switch-v0").genome
    assert [int(r["genome_params"]) for r in rows] == [hypernet.genome_size, hypernet.target_size, hypernet.target_size]  # direct and backprop: the net's own weights

    # Each row is its run's adaptivity report: 9 generations with a change every 3 are changes at 3 and 6.
    for r in rows:
        report = json.loads((tmp_path / "runs" / f"switch_{r['genome']}_seed0" / "adaptivity.json").read_text())
        summary, changes = report["summary"], report["changes"]
        assert summary["score"] == "champion/heldout_loss"
        assert [c["generation"] for c in changes] == [3, 6] and int(r["changes"]) == summary["changes"] == 2
        assert int(r["recovered"]) == summary["recovered"] == sum(c["recovery_generations"] is not None for c in changes)
        median = summary["median_recovery_generations"]
        assert (r["median_recovery_generations"] == "") if median is None else float(r["median_recovery_generations"]) == median
        assert float(r["mean_drop"]) == pytest.approx(summary["mean_drop"]) == pytest.approx(np.mean([c["drop"] for c in changes]))
        assert float(r["mean_area"]) == pytest.approx(np.mean([c["area"] for c in changes]))
        assert all(c["drop"] == pytest.approx(c["after"] - c["before"]) and c["before"] > 0 and c["after"] > 0 for c in changes)  # a loss: the drop is how much it rose
    assert [r["dead_units_at_end"] != "" for r in rows] == [False, False, True]  # only the backprop net reports dead units

    # The table: one row per genome, formatted from the CSV (one seed, so its sums and means are the row's own).
    report_md = (tmp_path / "adaptivity_study.md").read_text()
    for r in rows:
        median = f"{float(r['median_recovery_generations'])}" if r["median_recovery_generations"] else "-"
        line = f"| switch | {r['genome']} | {r['genome_params']} | {r['recovered']} of {r['changes']} | {median} | {float(r['mean_drop']):.4g} | {float(r['mean_area']):.3g} |"
        assert line in report_md.splitlines(), f"{line!r} not in the table"
    backprop = rows[-1]
    width = sum(hypernet.target[1:-1])
    assert f"Hidden units of the backprop net (of {width}) that answer every held-out input alike at the end of the run, per seed: switch {backprop['dead_units_at_end']}." in report_md
    assert 0 <= int(backprop["dead_units_at_end"]) <= width and all(math.isfinite(float(r["mean_area"])) for r in rows)

    assert png_size(tmp_path / "adaptivity_study.png") == (400, 700)  # one world: figsize (7, 4) at 100 dpi
