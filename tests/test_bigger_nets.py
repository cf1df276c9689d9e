"""scripts/bigger_nets.py: genomes stay within budget while the net grows; a smoke run writes its files."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from eve_arena.errors import UserError
from tests.conftest import load_script, needs_mnist, png_size

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "scripts" / "bigger_nets.py"


def test_the_hypernet_stays_within_its_budget_as_the_net_grows():
    script = load_script(SCRIPT)
    for target in ((784, 100, 10), (784, 256, 128, 10)):
        specs = script.genomes_for(target, 4000)
        assert specs["hypernet"].genome_size <= 4000 < specs["hypernet"].target_size == specs["direct"].genome_size
        wider = specs["hypernet"].hyper_hidden[0][0] + 1
        assert script.GenomeSpec(**{**script.MNIST_GENOME, "target": target, "hyper_hidden": ((wider, wider), (wider, wider))}).genome_size > 4000
    for bad in ("785-100-10", "784-100-11", "784"):
        with pytest.raises(UserError, match="784 pixels and answers 10 classes"):
            script.parse_target(bad)


@needs_mnist
def test_smoke_run_writes_table_json_and_plot(tmp_path):
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    args = ["--targets", "784-100-10", "--minutes", "0.05", "--backprop-steps", "5", "--train-limit", "1000", "--every", "1", "--threads", "1", "--out", str(tmp_path)]
    proc = subprocess.run([sys.executable, str(SCRIPT), *args], capture_output=True, text=True, timeout=600, env=env)
    assert proc.returncode == 0, proc.stderr[-2000:]
    saved = json.loads((tmp_path / "bigger_nets.json").read_text())
    assert [(r["target"], r["genome"]) for r in saved["rows"]] == [("784-100-10", "hypernet"), ("784-100-10", "direct")]
    for r in saved["rows"]:
        assert r["evolution"]["generations"] > 0 and 0 <= r["evolution"]["test_accuracy"] <= 1 and 0 <= r["backprop"]["test_accuracy"] <= 1
    assert "| 784-100-10 | 79,510 | hypernet | 3,980 |" in (tmp_path / "bigger_nets.md").read_text()
    assert png_size(tmp_path / "bigger_nets.png") == (500, 800)
    bad = subprocess.run([sys.executable, str(SCRIPT), "--targets", "784-10-9"], capture_output=True, text=True, timeout=120, env=env)
    assert bad.returncode != 0 and bad.stderr.strip() == "bigger_nets: target '784-10-9': an MNIST net reads 784 pixels and answers 10 classes, e.g. 784-100-10"
