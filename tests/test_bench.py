"""scripts/bench.py --quick runs end to end and reports every measurement (timings are never asserted)."""

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "bench.py"
SECTIONS = {
    "batched_vs_loop": ["batched_s", "loop_s", "speedup"],
    "lifetime_step": ["batched_s", "loop_s", "speedup"],
    "throughput": ["develop_gflop", "act_gflop", "develop_act_gflops", "matmul_gflops", "fraction_of_matmul"],
    "arena_scaling": ["seconds_per_generation", "seconds_per_member", "time_ratio", "population_ratio"],
    "default_tournament": ["seconds", "generations_per_second"],
    "default_tournament_scaling": ["seconds_per_generation", "time_ratio", "population_ratio"],
}


def positive_finite(value) -> bool:
    values = value if isinstance(value, list) else [value]
    return bool(values) and all(isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) and v > 0 for v in values)


def test_quick_bench_writes_table_and_json(tmp_path):
    from eve_arena.data.mnist import FILES, find_idx, resolve_data_dir

    raw = Path(resolve_data_dir(None)) / "MNIST" / "raw"
    if not all(find_idx(raw, name) for name in FILES.values()):
        pytest.skip(f"real MNIST not found under {raw} (set EVE_ARENA_DATA or put it in ../shared/data)")
    proc = subprocess.run([sys.executable, str(SCRIPT), "--quick", "--out", str(tmp_path)], check=False, capture_output=True, text=True, timeout=180, env=dict(os.environ))
    assert proc.returncode == 0, proc.stderr[-2000:]

    printed = json.loads(proc.stdout.strip().splitlines()[-1])  # the last line printed is the JSON line
    written = json.loads((tmp_path / "bench.json").read_text())
    assert printed == written
    for section, keys in SECTIONS.items():
        assert section in written, section
        for key in keys:
            assert positive_finite(written[section][key]), (section, key, written[section][key])
    scaling = written["arena_scaling"]
    assert len(scaling["populations"]) == len(scaling["seconds_per_generation"]) == len(scaling["seconds_per_member"]) >= 2

    cost = written["cost_curve"]
    assert [p["target"] for p in cost["by_target"]] == [[784, 10, 10, 10], [784, 40, 10]]  # --quick's nets
    assert [p["batch"] for p in cost["by_batch"]] == [32, 64]
    for point in cost["by_target"] + cost["by_batch"]:
        assert point["genome_size"] <= cost["max_genome"] == 4000
        assert all(positive_finite(point[k]) for k in ("seconds_per_generation", "develop_act_gflops", "fraction_of_matmul"))
        assert point["fraction_of_matmul"] == pytest.approx(point["develop_act_gflops"] / written["throughput"]["matmul_gflops"])

    table = (tmp_path / "bench.md").read_text()
    assert table.startswith("| measurement | value |")
    assert "speed-up" in table and "GFLOP/s" in table and "gen/s" in table
    assert "default tournament generation (toy), P=16" in table and "time(P=16) / time(P=8), toy" in table
    assert "| 784-40-10 | 31,810 |" in table
