"""scripts/self_building.py on tiny budgets: each study runs end to end on the toy world, learns,
and writes tables and plots that agree with its CSVs and with each other."""

import csv
import dataclasses
import math
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from tests.conftest import png_size

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "self_building.py"


def run(*args: str) -> str:
    proc = subprocess.run([sys.executable, str(SCRIPT), *args], check=False, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def rows(path: Path) -> list[dict]:
    with path.open() as fh:
        return list(csv.DictReader(fh))


def start_mse(seed: int, **changes) -> tuple[float, float]:
    """``(test MSE, norm)`` of the toy world's default genome with ``changes``, as ``fit`` starts it from ``seed``."""
    from eve_arena.config import ArenaConfig
    from eve_arena.envs import DEFAULT_ENV
    from eve_arena.founders import fresh_genomes
    from eve_arena.tasks import ToyTask
    from eve_arena.train import heldout_scores

    spec = dataclasses.replace(ArenaConfig.for_env(DEFAULT_ENV).genome, **changes)
    genome = fresh_genomes(spec, 1, torch.Generator().manual_seed(seed))
    return float(heldout_scores(spec, genome, ToyTask("quadratic"), split="test")["loss"][0]), float(genome.norm())


def table_rows(path: Path) -> list[list[str]]:
    """The cells of a Markdown table's body rows."""
    lines = [line for line in path.read_text().splitlines() if line.startswith("| ")][1:]
    return [[cell.strip() for cell in line.strip("|").split("|")] for line in lines]


def test_tradeoff_and_heredity_studies(tmp_path):
    run("tradeoff", "--world", "toy", "--steps", "60", "--weights", "0", "100", "--workers", "1", "--out", str(tmp_path))
    table = rows(tmp_path / "tradeoff_toy_depth1_quine.csv")
    assert [float(r["replication_weight"]) for r in table] == [0.0, 100.0]
    assert all(math.isfinite(float(r[k])) for r in table for k in ("score", "rho", "weight_norm", "start_norm", "child_score"))
    assert all(float(r["noisy_twin_score"]) > 0 for r in table)
    assert float(table[1]["rho"]) < float(table[0]["rho"])  # the replication loss does its job even in 60 steps
    untrained, norm = start_mse(0, self_build="quine")
    for r in table:
        assert (int(r["steps"]), int(r["seed"]), r["self_build"]) == (60, 0, "quine")
        assert float(r["start_norm"]) == pytest.approx(norm, rel=1e-5)  # fit starts from the genome start_mse builds
        # 60 Adam steps learn: seed 0 ends at 0.05x (weight 0) and 0.08x (weight 100) the start's test MSE, seeds 0-3 at most 0.47x.
        assert float(r["score"]) < 0.6 * untrained
    md = tmp_path / "tradeoff_toy_depth1_quine.md"
    assert "`python scripts/self_building.py tradeoff --world toy --depth 1 --self-build quine --weights 0 100 --seeds 0 --steps 60`" in md.read_text()
    assert table_rows(md) == [
        [f"{float(r['replication_weight']):g}", r["seed"], f"{float(r['score']):.4g}", f"{float(r['rho']):.3g}", f"{float(r['weight_norm']):.3g} ({float(r['start_norm']):.3g})",
         f"{float(r['child_score']):.4g}", f"{float(r['child_rho']):.3g}", f"{float(r['noisy_twin_score']):.4g}", r["seconds"]]
        for r in table
    ]
    assert png_size(tmp_path / "tradeoff_toy_depth1_quine.png") == (450, 1200)  # figsize (12, 4.5) at 100 dpi

    out = run("heredity", "--world", "toy", "--steps", "60", "--weights", "0", "--self-builds", "quine", "--generations", "2", "--population", "4", "--out", str(tmp_path))
    (lineage,) = rows(tmp_path / "heredity_toy.csv")
    assert lineage["self_build"] == "quine" and int(lineage["generations"]) == 2 and lineage["broken_at"] == ""
    scores = [float(v) for v in lineage["scores"].split()]
    assert len(scores) == 3  # the founders, then 2 self-built generations
    first, last = float(lineage["founder_score"]), float(lineage["score_after"])
    assert f"{first:.4g}" == lineage["scores"].split()[0] and f"{last:.4g}" == lineage["scores"].split()[-1]
    assert float(lineage["relative_change"]) == pytest.approx((last - first) / abs(first))
    assert f"held-out MSE {first:.4g} -> {last:.4g} ({(last - first) / abs(first):+.1%}) after 2 self-built generations" in out
    # The two studies agree: the founders are the weight-0 genome of the tradeoff (same seed, same 60
    # steps), and the first self-built generation is its child; held-out and test splits are two
    # quadratures of the same expected loss, so they agree closely.
    weight0 = table[0]
    assert first == pytest.approx(float(weight0["score"]), rel=0.01) and float(lineage["rho"]) == pytest.approx(float(weight0["rho"]), rel=1e-4)
    assert scores[1] == pytest.approx(float(weight0["child_score"]), rel=0.01)
    assert table_rows(tmp_path / "heredity_toy.md") == [
        ["quine", "0", "0", f"{float(lineage['rho']):.3g}", f"{float(lineage['weight_norm']):.3g}", f"{float(lineage['jacobian_norm']):.3g}", "-", f"{first:.4g}", f"{last:.4g}", f"{float(lineage['relative_change']):+.1%}"]
    ]
    assert png_size(tmp_path / "heredity_toy.png") == (450, 700)  # figsize (7, 4.5) at 100 dpi


def test_residual_study(tmp_path):
    run("residual", "--world", "toy", "--steps", "40", "--seeds", "0", "--generations", "3", "--workers", "1", "--out", str(tmp_path))
    table = rows(tmp_path / "residual_toy.csv")
    assert {(r["method"], r["residual"]) for r in table} == {("backprop", "none"), ("backprop", "seed"), ("evolution (ga)", "none"), ("evolution (ga)", "seed"), ("evolution (ga)", "parent")}
    assert all(math.isfinite(float(r["score"])) for r in table)
    sizes = {r["residual"]: int(r["genome_params"]) for r in table}
    assert sizes["none"] == sizes["seed"] < sizes["parent"]  # same budget; a parent base rides in the genome
    assert [r["budget"] for r in table] == ["40 steps"] * 2 + ["3 generations"] * 3  # the requested budgets, all of them run
    # Backprop learns from the genome it starts from: seed 0 ends at 0.10x (plain) and 0.78x (residual)
    # of the start's test MSE; over seeds 0-3 at most 0.50x and 0.79x.
    backprop = {r["residual"]: float(r["score"]) for r in table if r["method"] == "backprop"}
    assert backprop["none"] < 0.7 * start_mse(0, residual="none")[0]
    assert backprop["seed"] < 0.95 * start_mse(0, residual="seed")[0]
    # The table: one row per (method, residual), its scores and median from the CSV.
    written = {"none": "weights", "seed": "change to a seeded net", "parent": "change to the parent's net"}
    assert table_rows(tmp_path / "residual_toy.md") == [
        [r["method"], written[r["residual"]], f"{int(r['genome_params']):,}", f"{float(r['score']):.4g}", f"{float(r['score']):.4g}", r["budget"]] for r in table
    ]
