"""Sweeps: several runs at once, each its own run directory, one table; and a two-node Ray cluster."""

from pathlib import Path

import pytest
import torch

from eve_arena.arena import Arena
from eve_arena.champion import load_champion
from eve_arena.cli import main
from eve_arena.runs import read_metrics, run
from eve_arena.sweep import sweep
from eve_arena.tournament import TournamentConfig

REPO = str(Path(__file__).resolve().parents[1])


def test_a_local_sweep_is_its_runs_and_finishes_what_is_unfinished(tmp_path, tiny_config):
    configs = {f"seed_{s}": tiny_config(generations=4, seed=s) for s in (0, 1)}
    rows = sweep(configs, tmp_path / "sweep")
    alone = run(configs["seed_1"], tmp_path / "alone", progress=False)
    assert torch.equal(load_champion(tmp_path / "sweep" / "seed_1").genome, alone.champion)
    for row, (name, config) in zip(rows, configs.items()):
        last = read_metrics(tmp_path / "sweep" / name)[-1]
        assert (row["run"], row["seed"], row["generations"]) == (name, config.seed, 4)
        assert row["held-out loss"] == last["champion/heldout_loss"] and row["wall_s"] > 0
    # Started again: nothing to do, nothing run twice, the same table.
    again = sweep(configs, tmp_path / "sweep")
    assert [r["wall_s"] for r in again] == [None, None]
    assert [r["held-out loss"] for r in again] == [r["held-out loss"] for r in rows]
    assert "| seed_0 | 0 | 4 |" in (tmp_path / "sweep" / "sweep.md").read_text()


def test_the_sweep_command_checks_its_settings(tmp_path, capsys):
    assert main(["sweep", "--out", str(tmp_path / "s"), "--seeds", "0", "--seed", "3"]) == 2
    assert "a sweep's seeds are --seeds; drop --seed" in capsys.readouterr().err
    assert main(["sweep", "--out", str(tmp_path / "s"), "--seeds", "0", "--workers", "2"]) == 2
    assert "--workers and --ray-address are for --backend ray" in capsys.readouterr().err
    assert not (tmp_path / "s").exists()


ray = pytest.importorskip("ray", reason="Ray is not installed: pip install 'eve-arena[ray]' (CI installs it with the test extra)")


def test_a_ray_sweep_runs_two_at_once_and_equals_the_local_one(tmp_path, tiny_config):
    configs = {f"seed_{s}": tiny_config(generations=4, seed=s) for s in (0, 1)}
    sweep(configs, tmp_path / "local")
    sweep(configs, tmp_path / "ray", backend="ray", workers=2)
    assert not ray.is_initialized()  # the sweep's own cluster is gone
    for name in configs:
        assert torch.equal(load_champion(tmp_path / "ray" / name).genome, load_champion(tmp_path / "local" / name).genome)


def test_two_nodes_play_the_local_run(tiny_config):
    from ray.cluster_utils import Cluster

    config = tiny_config(generations=2, tournament=TournamentConfig(match_size=4, rounds=2))
    expected = Arena(config).step()
    cluster = Cluster(initialize_head=True, head_node_args={"num_cpus": 1})
    cluster.add_node(num_cpus=1)
    try:
        ray.init(address=cluster.address, include_dashboard=False, log_to_driver=False, configure_logging=False)
        arena = Arena(config, backend="ray", workers=2)
        nodes = set(ray.get([actor.node.remote() for actor in arena.backend._actors]))
        metrics = arena.step()
        arena.close()
    finally:
        ray.shutdown()
        cluster.shutdown()
    assert len(nodes) == 2  # one worker on each node
    untimed = lambda m: {k: v for k, v in m.items() if not k.startswith("time/")}  # noqa: E731
    assert untimed(metrics) == untimed(expected)
