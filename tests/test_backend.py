"""Backends: the same run, bit for bit, on this process or on Ray workers, and a killed worker costs nothing."""

import os
import signal
import threading
import time
from pathlib import Path

import pytest
import torch

from eve_arena.arena import Arena
from eve_arena.envs.toy_regression import ToyRegressionEnv
from eve_arena.errors import UserError
from eve_arena.runs import read_metrics, run_arena, start_run
from eve_arena.tournament import TournamentConfig

ray = pytest.importorskip("ray", reason="Ray is not installed: pip install 'eve-arena[ray]' (CI installs it with the test extra)")

REPO = str(Path(__file__).resolve().parents[1])


class SlowToy(ToyRegressionEnv):
    """The toy world with a step that costs real time, so a worker can be killed mid-generation."""

    def step(self, actions):
        time.sleep(0.02)
        return super().step(actions)


class LeavingToy(ToyRegressionEnv):
    """The toy world whose last agent leaves the episode after its first step."""

    def step(self, actions):
        observations, rewards, terminations, truncations, infos = super().step(actions)
        if self.agents and self._step == 1:
            terminations[self.agents[-1]] = True
            observations.pop(self.agents.pop())
        return observations, rewards, terminations, truncations, infos


@pytest.fixture(scope="module")
def cluster():
    # Three CPUs on this 2-core machine: a Ray cluster's CPUs are slots, and three workers must
    # play the same run as one. PYTHONPATH lets workers import this module's world.
    ray.init(address="local", num_cpus=3, include_dashboard=False, log_to_driver=False, configure_logging=False, runtime_env={"env_vars": {"PYTHONPATH": REPO}})
    yield
    ray.shutdown()


def untimed(run_dir: Path) -> list[dict]:
    return [{k: v for k, v in row.items() if not k.startswith("time/")} for row in read_metrics(run_dir)]


@pytest.fixture
def matches_config(tiny_config):
    # Several matches a generation (population 12 in matches of 4), so workers share them.
    return tiny_config(generations=6, checkpoint_every=3, tournament=TournamentConfig(match_size=4, rounds=2))


def test_ray_plays_the_local_run_bit_for_bit_with_any_number_of_workers(cluster, tmp_path, matches_config):
    start_run(matches_config, tmp_path / "local")
    local = run_arena(tmp_path / "local", progress=False)
    for workers in (1, 2, 3):
        out = tmp_path / f"ray{workers}"
        start_run(matches_config, out)
        state = run_arena(out, progress=False, backend="ray", workers=workers)
        assert torch.equal(state.champion, local.champion), workers
        assert untimed(out) == untimed(tmp_path / "local"), workers


@pytest.mark.parametrize("genome", [{}, {"target": (1, 8, 8, 1), "encoding": "fourier", "fourier_features": 8, "lifetime": "plastic"}], ids=["hypernet", "plastic"])
def test_a_free_for_all_sharded_over_workers_is_the_local_run_bit_for_bit(cluster, tmp_path, tiny_config, genome):
    # One match a generation (population 20, hall 3, center 1: 24 genome seats), so each worker
    # develops and acts for a block of it; 3 workers take blocks of 8, 2 take blocks of 12.
    from eve_arena.genome import GenomeSpec

    config = tiny_config(population=20, generations=4, checkpoint_every=2, strategy="pgpe", genome=GenomeSpec(**genome))
    start_run(config, tmp_path / "local")
    local = run_arena(tmp_path / "local", progress=False)
    for workers in (2, 3):
        out = tmp_path / f"ray{workers}"
        start_run(config, out)
        state = run_arena(out, progress=False, backend="ray", workers=workers)
        assert torch.equal(state.champion, local.champion), workers
        assert untimed(out) == untimed(tmp_path / "local"), workers


def test_a_run_resumes_onto_the_other_backend(cluster, tmp_path, matches_config):
    start_run(matches_config, tmp_path / "whole")
    whole = run_arena(tmp_path / "whole", progress=False)
    start_run(matches_config, tmp_path / "moved")
    run_arena(tmp_path / "moved", progress=False, backend="ray", workers=2, stop_after=4)  # checkpoint at 3
    resumed = run_arena(tmp_path / "moved", progress=False)  # and on to the end in this process
    assert torch.equal(resumed.champion, whole.champion)
    assert untimed(tmp_path / "moved") == untimed(tmp_path / "whole")


def test_a_worker_killed_mid_generation_changes_nothing(cluster, tiny_config):
    config = tiny_config(env=f"{__name__}:SlowToy", generations=2, tournament=TournamentConfig(match_size=4, rounds=2), env_kwargs={"batch_size": 16, "max_steps": 4})
    expected = Arena(config).step()
    arena = Arena(config, backend="ray", workers=2)
    try:
        pids = ray.get([actor.pid.remote() for actor in arena.backend._actors])
        # Each worker plays 3 matches of 4 slow steps (~0.25 s): kill one while it plays.
        killer = threading.Timer(0.15, os.kill, (pids[0], signal.SIGKILL))
        killer.start()
        metrics = arena.step()
        killer.join()
        assert arena.backend.restarts == 1  # the share in flight was played again ...
        assert ray.get(arena.backend._actors[0].pid.remote()) != pids[0]  # ... by a new worker
    finally:
        arena.close()
    assert {k: v for k, v in metrics.items() if not k.startswith("time/")} == {k: v for k, v in expected.items() if not k.startswith("time/")}


def test_a_worker_killed_mid_free_for_all_replays_the_match(cluster, tiny_config):
    config = tiny_config(env=f"{__name__}:SlowToy", generations=2, env_kwargs={"batch_size": 16, "max_steps": 12})
    expected = Arena(config).step()
    arena = Arena(config, backend="ray", workers=2)
    try:
        pids = ray.get([actor.pid.remote() for actor in arena.backend._actors])
        killer = threading.Timer(0.12, os.kill, (pids[1], signal.SIGKILL))  # 12 slow steps: ~0.25 s
        killer.start()
        metrics = arena.step()
        killer.join()
        assert arena.backend.restarts == 1
        assert ray.get(arena.backend._actors[1].pid.remote()) != pids[1]
        assert ray.get(arena.backend._actors[0].pid.remote()) == pids[0]  # the living worker stays
    finally:
        arena.close()
    assert {k: v for k, v in metrics.items() if not k.startswith("time/")} == {k: v for k, v in expected.items() if not k.startswith("time/")}


@pytest.mark.parametrize("backend,workers", [("local", 1), ("ray", 2)])
def test_a_world_whose_agents_leave_early_is_refused_in_one_line_on_either_backend(cluster, tiny_config, backend, workers):
    arena = Arena(tiny_config(env=f"{__name__}:LeavingToy"), backend=backend, workers=workers)
    try:
        with pytest.raises(UserError, match="1 of the 12 genome agents left the episode before its end"):
            arena.step()
    finally:
        arena.close()


def test_a_worker_is_sent_only_the_rows_its_matches_seat():
    import numpy as np

    from eve_arena.backend import MatchPlan, rows_for

    everyone = np.arange(40, dtype=np.float32).reshape(10, 4)
    plans = [MatchPlan(np.array([7, 2, 9]), 1), MatchPlan(np.array([2, 5, 9]), 2)]
    rows, renumbered = rows_for(plans, everyone)
    assert len(rows) == 4  # rows 2, 5, 7 and 9, each once
    for plan, mine in zip(plans, renumbered):
        assert np.array_equal(rows[mine.genome_seats], everyone[plan.genome_seats]) and mine.seed == plan.seed


def test_shard_blocks_are_whole_chunks_that_cover_every_seat():
    from eve_arena.backend import shard_blocks
    from eve_arena.develop import CHUNK

    for seats in range(1, 60):
        for workers in range(1, 6):
            blocks = shard_blocks(seats, workers)
            assert len(blocks) <= workers and blocks[0][0] == 0 and blocks[-1][1] == seats
            assert all(stop == start for (_, stop), (start, _) in zip(blocks, blocks[1:]))
            assert all((stop - start) % CHUNK == 0 for start, stop in blocks[:-1])


def test_bad_backend_settings_are_one_line(cluster, tiny_config, capsys):
    with pytest.raises(UserError, match="more than the Ray cluster's 3 CPUs"):
        Arena(tiny_config(), backend="ray", workers=4)
    from eve_arena.cli import main

    assert main(["tournament", "--out", "/tmp/never-made", "--workers", "2"]) == 2
    assert "--workers and --ray-address are for --backend ray" in capsys.readouterr().err
    assert main(["tournament", "--out", "/tmp/never-made", "--backend", "ray", "--ray-address", "127.0.0.1:1"]) == 2
    assert "cannot reach the Ray cluster at 127.0.0.1:1" in capsys.readouterr().err
    assert not Path("/tmp/never-made").exists()
