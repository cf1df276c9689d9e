"""The test split stays out of selection: champions are picked on the validation split, which is
the last 5,000 training images, never seen in a match and never the test images.

The arena reads a task's splits through ``MNISTTask.arrays``; the spies below record every split
asked for (after clearing the caches in front of it) and fail on ``test``.
"""

import hashlib

import numpy as np
import pytest

from eve_arena import tasks, train
from eve_arena.arena import Arena
from eve_arena.config import ArenaConfig
from eve_arena.tasks import MNISTTask, ToyTask
from tests.conftest import needs_mnist

SMALL_MNIST = {"batch_size": 32, "max_steps": 1, "train_limit": 2000}


def digests(x: np.ndarray) -> set[bytes]:
    """One short hash per image row: MNIST has no two identical images, so sets of these compare splits."""
    return {hashlib.blake2b(row.tobytes(), digest_size=12).digest() for row in np.ascontiguousarray(x)}


@pytest.fixture
def splits_read(monkeypatch):
    """Every split a task reads from now on, and every ``split`` the arena scores on (cached splits cleared first)."""
    read = {"arrays": [], "scored": []}
    arrays, toy_test = MNISTTask.arrays, ToyTask.test

    def spy_arrays(self, split):
        read["arrays"].append(split)
        return arrays(self, split)

    def spy_toy_test(self, *args, **kwargs):
        read["arrays"].append("test")
        return toy_test(self, *args, **kwargs)

    def spy_scores(*args, **kwargs):
        read["scored"].append(kwargs.get("split", "heldout"))
        return train.heldout_scores(*args, **kwargs)

    monkeypatch.setattr(MNISTTask, "arrays", spy_arrays)
    monkeypatch.setattr(ToyTask, "test", spy_toy_test)
    monkeypatch.setattr("eve_arena.arena.heldout_scores", spy_scores)
    train._split_tensors.cache_clear()
    tasks._shifted_split.cache_clear()
    yield read
    train._split_tensors.cache_clear()  # nothing made through the spies outlives the test
    tasks._shifted_split.cache_clear()


def assert_only_validation(read: dict) -> None:
    assert read["scored"] and set(read["scored"]) == {"heldout"}, f"the arena scored candidates on {read['scored']}"
    assert "test" not in read["arrays"], f"the test split was read: {read['arrays']}"


@needs_mnist
@pytest.mark.parametrize("env", ["eve_arena/mnist-v0", "eve_arena/mnist_permuted-v0"])
def test_arena_step_picks_on_validation_and_never_reads_test(splits_read, env):
    config = ArenaConfig.for_env(env, population=6, hall_of_fame=2, hall_every=1, env_kwargs=SMALL_MNIST, heldout_pool=3)
    assert config.champion_by == "heldout"  # the MNIST worlds' default: the case that could leak
    arena = Arena(config)
    for _ in range(2):
        metrics = arena.step()
    assert "val" in splits_read["arrays"]  # the spy sees the reads: champions were scored on validation
    assert_only_validation(splits_read)
    assert 0.0 <= metrics["champion/heldout_accuracy"] <= 1.0


@needs_mnist
def test_a_whole_mnist_run_never_reads_test(splits_read, tmp_path):
    from eve_arena.runs import read_metrics, run_arena, start_run

    config = ArenaConfig.for_env("eve_arena/mnist-v0", population=6, generations=2, checkpoint_every=1, hall_of_fame=2, hall_every=1, eval_every=1, env_kwargs=SMALL_MNIST, heldout_pool=2)
    start_run(config, tmp_path / "run")
    run_arena(tmp_path / "run", progress=False)
    assert [row["generation"] for row in read_metrics(tmp_path / "run")] == [0, 1]
    assert "val" in splits_read["arrays"]
    assert_only_validation(splits_read)


def test_toy_arena_never_scores_on_the_test_sample(splits_read, tiny_config):
    arena = Arena(tiny_config(population=6, champion_by="heldout", heldout_pool=3))
    for _ in range(2):
        arena.step()
    assert_only_validation(splits_read)


def test_toy_heldout_and_test_points_are_fixed_and_distinct():
    task = ToyTask("quadratic")
    x_held, x_test = task.heldout()[0], task.test()[0]
    assert np.array_equal(x_held, task.heldout()[0])  # fixed: the same points every call
    assert not digests(x_held) & digests(x_test)  # no test point is a held-out one


@needs_mnist
def test_mnist_validation_is_the_last_5000_training_images_and_disjoint_from_test_and_batches():
    from eve_arena.data.mnist import FILES, MEAN, STD, find_idx, read_pair, resolve_data_dir
    from eve_arena.envs.mnist import MNISTEnv

    raw = resolve_data_dir(None) / "MNIST" / "raw"
    train_images, _ = read_pair(find_idx(raw, FILES["train_images"]), find_idx(raw, FILES["train_labels"]), 60_000)
    test_images, _ = read_pair(find_idx(raw, FILES["test_images"]), find_idx(raw, FILES["test_labels"]), 10_000)

    def normalised(images: np.ndarray) -> np.ndarray:
        return (images.reshape(len(images), 784).astype(np.float32) / 255.0 - MEAN) / STD

    task = MNISTTask()
    x_val, y_val = task.heldout()
    x_test, _ = task.test()
    assert x_val.shape == (5_000, 784) and y_val.shape == (5_000,) and x_test.shape == (10_000, 784)
    np.testing.assert_allclose(x_val, normalised(train_images[55_000:]), atol=1e-5)  # rows 55,000..59,999 of the training file
    np.testing.assert_allclose(x_test, normalised(test_images), atol=1e-5)

    val, test = digests(x_val), digests(x_test)
    evolution = digests(normalised(train_images[:55_000]))
    assert len(val) == 5_000 and not val & test and not val & evolution

    drawn = [task.sample(np.random.default_rng(0), 4_000)[0]]  # the whole 55,000 (a draw from 60,000 would hit ~330 validation images)
    env = MNISTEnv(num_agents=2, batch_size=64, max_steps=3)
    for seed in range(3):  # and the batches a match actually shows its agents
        obs, _ = env.reset(seed=seed)
        for _ in range(3):
            drawn.append(np.asarray(obs["agent_0"]["x"]))
            obs, *_ = env.step({a: np.zeros((64, 10), np.float32) for a in env.agents})
    env.close()
    batches = digests(np.concatenate(drawn))
    assert batches <= evolution, "a training batch holds an image from outside the 55,000 training images"
    assert not batches & val and not batches & test
