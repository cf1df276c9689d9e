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


@pytest.fixture(scope="module")
def cluster():
    # Three CPUs on this 2-core machine: a Ray cluster's CPUs are slots, and three workers must
    # play the same run as one. PYTHONPATH lets workers import this module's world.
    ray.init(num_cpus=3, include_dashboard=False, log_to_driver=False, configure_logging=False, runtime_env={"env_vars": {"PYTHONPATH": REPO}})
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


def test_bad_backend_settings_are_one_line(cluster, tiny_config, capsys):
    with pytest.raises(UserError, match="more than the Ray cluster's 3 CPUs"):
        Arena(tiny_config(), backend="ray", workers=4)
    from eve_arena.cli import main

    assert main(["tournament", "--out", "/tmp/never-made", "--workers", "2"]) == 2
    assert "--workers and --ray-address are for --backend ray" in capsys.readouterr().err
    assert main(["tournament", "--out", "/tmp/never-made", "--backend", "ray", "--ray-address", "127.0.0.1:1"]) == 2
    assert "cannot reach the Ray cluster at 127.0.0.1:1" in capsys.readouterr().err
    assert not Path("/tmp/never-made").exists()
