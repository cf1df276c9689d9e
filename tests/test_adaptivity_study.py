"""scripts/adaptivity_study.py on a tiny budget: it runs both genomes and the backprop reference through a changing world and reports each change."""

import csv
import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "adaptivity_study.py"


def test_adaptivity_study_smoke(tmp_path):
    args = ["--worlds", "switch", "--seeds", "0", "--generations", "9", "--change-every", "3", "--out", str(tmp_path)]
    proc = subprocess.run([sys.executable, str(SCRIPT), *args], check=False, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    with (tmp_path / "adaptivity_study.csv").open() as fh:
        rows = list(csv.DictReader(fh))
    assert [(r["genome"], int(r["changes"])) for r in rows] == [("hypernet", 2), ("direct", 2), ("backprop", 2)]
    assert int(rows[0]["genome_params"]) > int(rows[1]["genome_params"]) == int(rows[2]["genome_params"])
    for kind in ("direct", "backprop"):
        assert (tmp_path / "runs" / f"switch_{kind}_seed0" / "adaptivity.json").is_file()
    assert (tmp_path / "adaptivity_study.png").stat().st_size > 10_000
    report = (tmp_path / "adaptivity_study.md").read_text()
    assert "| switch | hypernet | " in report and "Hidden units of the backprop net (of 10)" in report
