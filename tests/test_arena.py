"""The arena loop end to end: learning, broken genomes, checkpoints, kill and resume."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

from eve_arena import checkpoint
from eve_arena.arena import Arena
from eve_arena.errors import UserError
from eve_arena.genome import GenomeSpec
from eve_arena.runs import (
    CHAMPION_FILE,
    CHECKPOINT_DIR,
    load_run,
    read_metrics,
    run_arena,
    start_run,
)
from tests.conftest import needs_mnist


def test_evolution_improves_the_champion(tiny_config):
    arena = Arena(tiny_config(population=24))
    first = arena.step()
    for _ in range(40):
        last = arena.step()
    assert last["champion/heldout_loss"] < 0.5 * first["champion/heldout_loss"]
    assert {"fitness/best", "rating/champion_mu", "population/heldout_loss_median", "hall_of_fame/size"} <= set(last)
    assert last["hall_of_fame/size"] == 3


def test_a_broken_genome_scores_worst_and_is_never_selected(tiny_config):
    arena = Arena(tiny_config(strategy_kwargs={"elite": 2, "parent_fraction": 0.5}))
    population = arena.state.strategy_state.population.clone()
    population[0] = float("nan")
    population[1] = 1e30  # develops into inf
    arena.state.strategy_state = arena.state.strategy_state._replace(population=population)
    metrics = arena.step()
    assert metrics["population/invalid"] == 2
    assert torch.isfinite(arena.state.strategy_state.population).all()
    assert 0 not in arena.state.strategy_state.ids[:2].tolist() and 1 not in arena.state.strategy_state.ids[:2].tolist()


@pytest.mark.parametrize("strategy", ["pgpe", "cmaes"])
def test_a_search_distributions_center_plays_and_can_be_champion(tiny_config, strategy):
    """Samples this far from the center are garbage; the center (a calibrated net) beats them all."""
    noisy = {"pgpe": {"stdev": 2.0}, "cmaes": {"sigma": 2.0}}[strategy]
    arena = Arena(tiny_config(strategy=strategy, strategy_kwargs=noisy))
    center = arena.strategy.center(arena.state.strategy_state).clone()
    metrics = arena.step()
    assert metrics["champion/is_center"] == 1
    torch.testing.assert_close(arena.state.champion, center.to(torch.float32))
    assert metrics["champion/heldout_loss"] < metrics["population/heldout_loss_median"]


def test_a_ga_has_no_center_and_its_champion_is_a_member(tiny_config):
    arena = Arena(tiny_config())
    population = arena.state.strategy_state.population.clone()
    metrics = arena.step()
    assert metrics["champion/is_center"] == 0
    assert (population == arena.state.champion).all(1).any()


def test_baselines_enter_every_match_and_keep_their_rating(tiny_config):
    arena = Arena(tiny_config(baselines=("constant",)))
    arena.step()
    first = arena.state.baseline_mu.copy()
    metrics = arena.step()
    assert "rating/baseline_constant" in metrics
    assert arena.state.baseline_mu[0] != first[0]


def test_run_directory_holds_config_metrics_checkpoints_champion_plots(tmp_path, tiny_config):
    config = tiny_config(generations=10)
    start_run(config, tmp_path / "run")
    run_arena(tmp_path / "run", progress=False)
    run = tmp_path / "run"
    assert [r["generation"] for r in read_metrics(run)] == list(range(10))
    assert [p.name for p in checkpoint.list_checkpoints(run / CHECKPOINT_DIR)] == ["gen_000005.safetensors", "gen_000010.safetensors"]
    assert load_file(str(run / CHAMPION_FILE))["genome"].shape == (1, config.genome.genome_size)
    assert (run / "plots" / "progress.png").stat().st_size > 0 and (run / "plots" / "champion.png").stat().st_size > 0
    with pytest.raises(UserError, match="already holds a run"):
        start_run(config, run)


def _champion(run: Path) -> torch.Tensor:
    return load_file(str(run / CHAMPION_FILE))["genome"]


@pytest.mark.parametrize("genome", [None, GenomeSpec(encoding="fourier", fourier_features=8, self_build="quine", residual="parent")], ids=["default", "self-building-parent-based"])
def test_stopped_and_resumed_run_matches_an_uninterrupted_one(tmp_path, tiny_config, genome):
    config = tiny_config(generations=17) if genome is None else tiny_config(generations=17, genome=genome)
    for name in ("whole", "stopped"):
        start_run(config, tmp_path / name)
    run_arena(tmp_path / "whole", progress=False)
    run_arena(tmp_path / "stopped", progress=False, stop_after=12)  # last checkpoint at 10: 11, 12 are replayed
    assert not (tmp_path / "stopped" / CHAMPION_FILE).exists()
    run_arena(tmp_path / "stopped", progress=False)
    assert torch.equal(_champion(tmp_path / "whole"), _champion(tmp_path / "stopped"))
    untimed = lambda run: [{k: v for k, v in r.items() if not k.startswith("time/")} for r in read_metrics(run)]  # noqa: E731
    assert untimed(tmp_path / "whole") == untimed(tmp_path / "stopped")


def test_sigkill_mid_run_then_resume_gives_the_same_champion_bit_for_bit(tmp_path):
    args = ["--population", "12", "--generations", "300", "--batch-size", "32", "--steps", "2", "--checkpoint-every", "5", "--hall-every", "3", "--seed", "7", "--no-progress"]
    cli = [sys.executable, "-m", "eve_arena.cli"]
    subprocess.run([*cli, "tournament", "--out", str(tmp_path / "whole"), *args], check=True, capture_output=True)

    killed = tmp_path / "killed"
    proc = subprocess.Popen([*cli, "tournament", "--out", str(killed), *args], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 60
    while len(checkpoint.list_checkpoints(killed / CHECKPOINT_DIR)) < 2 and time.time() < deadline:
        time.sleep(0.01)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert not (killed / CHAMPION_FILE).exists(), "the run finished before it could be killed"
    subprocess.run([*cli, "resume", str(killed), "--no-progress"], check=True, capture_output=True)
    assert torch.equal(_champion(tmp_path / "whole"), _champion(killed))


def test_damaged_newest_checkpoint_falls_back_to_the_previous_one(tmp_path, tiny_config):
    run = tmp_path / "run"
    start_run(tiny_config(generations=10), run)
    run_arena(run, progress=False)
    newest = checkpoint.list_checkpoints(run / CHECKPOINT_DIR)[-1]
    data = bytearray(newest.read_bytes())
    data[-20] ^= 0xFF  # a flipped bit in the tensor data: safetensors itself would not notice
    newest.write_bytes(bytes(data))
    with pytest.warns(UserWarning, match="gen_000010.safetensors is damaged.*resuming from the older gen_000005"):
        _, state = load_run(run)
    assert state.generation == 5
    with pytest.warns(UserWarning):
        run_arena(run, generations=12, progress=False)
    assert [r["generation"] for r in read_metrics(run)] == list(range(12))


def test_truncated_checkpoint_alone_is_a_clear_error(tmp_path, tiny_config):
    run = tmp_path / "run"
    start_run(tiny_config(generations=5), run)
    run_arena(run, progress=False)
    only = checkpoint.list_checkpoints(run / CHECKPOINT_DIR)[-1]
    only.write_bytes(only.read_bytes()[:100])
    with pytest.raises(UserError, match="no checkpoint in .* can be resumed"):
        load_run(run)


def test_a_genome_that_cannot_drive_the_env_is_refused_before_any_work(tiny_config):
    from eve_arena.genome import GenomeSpec

    with pytest.raises(UserError, match="gives rows of 1 inputs but the genome's net takes 3; leave out --target"):
        Arena(tiny_config(genome=GenomeSpec(target=(3, 5, 1))))
    with pytest.raises(UserError, match="wants 1 outputs per row but the genome's net gives 2"):
        Arena(tiny_config(genome=GenomeSpec(target=(1, 5, 2))))


@needs_mnist
def test_mnist_tournament_picks_its_champion_on_the_validation_split(monkeypatch):
    from eve_arena import arena as arena_module
    from eve_arena.config import ArenaConfig
    from eve_arena.develop import predict

    config = ArenaConfig.for_env("eve_arena/mnist-v0", population=8, hall_of_fame=2, hall_every=1, env_kwargs={"batch_size": 32, "max_steps": 1, "train_limit": 2000}, heldout_pool=3)
    assert config.genome.target == (784, 10, 10, 10) and config.genome.genome_size <= config.genome.target_size // 2
    assert config.strategy == "pgpe" and config.champion_by == "heldout"
    pools, scores = [], arena_module.heldout_scores

    def keep_pool(spec, genomes, *args, **kwargs):  # the candidates the arena scores, as it hands them over
        pools.append(genomes.clone())
        return scores(spec, genomes, *args, **kwargs)

    monkeypatch.setattr(arena_module, "heldout_scores", keep_pool)
    arena = Arena(config)
    task = arena.task()
    x, y = (torch.from_numpy(a.copy()) for a in task.arrays("val"))  # the 5,000 validation images, read here on our own
    for generation in range(2):
        metrics = arena.step()
        assert len(pools) == generation + 1
        pool = pools[-1]
        assert config.heldout_pool <= len(pool) <= config.heldout_pool + 1  # the 3 best-rated of 9, and PGPE's center if not among them
        with torch.no_grad():
            logits = predict(config.genome, pool, x)
        loss, accuracy = task.loss(logits, y), task.accuracy(logits, y)
        best = int(loss.argmin())
        assert torch.equal(arena.state.champion, pool[best]), f"generation {generation}: champion is not the pool's lowest validation loss {loss.tolist()}"
        assert metrics["champion/heldout_loss"] == pytest.approx(float(loss[best]), rel=1e-5)
        assert metrics["champion/heldout_loss"] == metrics["population/heldout_loss_best"]
        assert metrics["champion/heldout_accuracy"] == pytest.approx(float(accuracy[best]), abs=1e-6)
    assert {"population/match_loss_median", "population/match_accuracy_median"} <= set(metrics)


@pytest.mark.parametrize("champion_by", ["heldout", "rating"])
def test_heldout_scoring_every_few_generations(tiny_config, champion_by):
    """With heldout_every 3 over 5 generations the held-out split scores generations 0, 3 and the
    last; in between a held-out champion stays as it was, a rated one is picked as ever."""
    arena = Arena(tiny_config(population=6, generations=5, hall_of_fame=0, champion_by=champion_by, heldout_every=3))
    every_generation = Arena(tiny_config(population=6, generations=5, hall_of_fame=0, champion_by=champion_by))  # no hall: its entries would differ
    for generation in range(5):
        before = arena.state.champion.clone()
        metrics, reference = arena.step(), every_generation.step()
        due = generation in (0, 3, 4)
        assert ("champion/heldout_loss" in metrics) == due and ("population/heldout_loss_best" in metrics) == due
        if due or champion_by == "rating":  # the same pick as scoring every generation
            assert torch.equal(arena.state.champion, every_generation.state.champion) and metrics["champion/kept_previous"] == 0
        else:
            assert torch.equal(arena.state.champion, before) and metrics["champion/kept_previous"] == 1
    with pytest.raises(UserError, match="heldout every must be a positive integer"):
        tiny_config(heldout_every=0)
