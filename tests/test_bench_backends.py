"""scripts/bench_backends.py --quick measures both backends end to end and finds the Ray runs equal to the local one (timings are never asserted)."""

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("ray", reason="Ray is not installed: pip install 'eve-arena[ray]' (CI installs it with the test extra)")

REPO = Path(__file__).resolve().parents[1]
SCRIPT = REPO / "scripts" / "bench_backends.py"
BACKEND_KEYS = ["startup_s", "warmup_s", "seconds_per_generation", "play_s"]


def positive_finite(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value) and value > 0


def test_quick_backend_bench_writes_table_and_json_and_ray_equals_local(tmp_path):
    path = os.pathsep.join([str(REPO), str(REPO / "scripts"), os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    proc = subprocess.run([sys.executable, str(SCRIPT), "--quick", "--out", str(tmp_path)], check=False, capture_output=True, text=True, timeout=300, env={**os.environ, "PYTHONPATH": path})
    assert proc.returncode == 0, proc.stderr[-2000:]

    printed = json.loads(proc.stdout.strip().splitlines()[-1])  # the last line printed is the JSON line
    written = json.loads((tmp_path / "bench_backends.json").read_text())
    assert printed == written
    assert written["all_equal"] is True
    assert written["meta"]["quick"] is True and "commit" in written["meta"]["provenance"]
    assert len(written["meta"]["loadavg_start"]) == 3
    names = [w["name"] for w in written["worlds"]]
    assert names == ["busy_1ms", "toy", "toy_ffa"]
    sharded = written["worlds"][2]["bytes"]
    assert sharded["sharded"] and sharded["steps"] == 4 and sharded["by_workers"]["2"]["working"] == 2  # the default toy world: one free-for-all, 4 steps
    for world in written["worlds"]:
        assert set(world["backends"]) == {"local", "ray1", "ray2"}
        for backend in world["backends"].values():
            for key in BACKEND_KEYS:
                assert positive_finite(backend[key]), (world["name"], key, backend[key])
        assert world["equal"] == {"ray1": True, "ray2": True}
        assert all(positive_finite(world["speedup"][k]) for k in ("ray1", "ray2"))
        sent = world["bytes"]
        assert positive_finite(sent["genomes"]) and sent["matches"] == world["matches_per_generation"]
        for workers in ("1", "2", "100"):
            split = sent["by_workers"][workers]
            if not sent["sharded"] or workers == "1":
                assert split["working"] == min(int(workers), sent["matches"])
            assert split["one_node"] == split["genomes_out"] + split["plans_out"] + split["results_back"]
            assert split["genomes_out"] <= sent["genomes"] * split["working"]  # only the rows each worker plays
        if sent["sharded"]:  # every step's observations out, each block's actions back
            assert sent["by_workers"]["2"]["plans_out"] >= sent["steps"] * sent["observations_per_step"] > 0
            assert sent["by_workers"]["2"]["results_back"] > sent["by_workers"]["1"]["results_back"]
            assert world["projection_100"] is None
        else:
            assert positive_finite(world["projection_100"]["total"])
    assert written["break_even"]["how"]

    table = (tmp_path / "bench_backends.md").read_text()
    assert table.startswith("| world | matches/gen |")
    assert "speed-up ×2" in table and "Bytes per generation" in table and "Where Ray starts to pay" in table and "load average" in table
