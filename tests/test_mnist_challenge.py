"""The two-role MNIST world: challengers choose and transform the digits, and are paid regret within reach."""

import os

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
from pettingzoo.test import parallel_api_test  # noqa: E402

from eve_arena.envs.mnist_challenge import ACTION_SIZE, MNISTChallengeEnv, transform_images, transformed_split  # noqa: E402
from eve_arena.envs.plugins import check_contract  # noqa: E402
from eve_arena.envs.challenge import INVALID_CHALLENGE  # noqa: E402
from eve_arena.errors import UserError  # noqa: E402
from tests.conftest import check_image, needs_mnist, window_pixels  # noqa: E402

pytestmark = needs_mnist
SMALL = {"train_limit": 600}


def make(**kwargs) -> MNISTChallengeEnv:
    return MNISTChallengeEnv(**SMALL | kwargs)


def choice(digits=None, rotation=0.0, shift=(0.0, 0.0), noise=0.0) -> np.ndarray:
    """A challenger's action: digit logits (default: all equal), rotation, shift right and down, noise."""
    logits = np.zeros(10) if digits is None else np.asarray(digits)
    return np.concatenate([logits, [rotation, *shift, noise]]).astype(np.float32)


def favouring(digit: int) -> np.ndarray:
    return np.where(np.arange(10) == digit, 10.0, -10.0)


def oracle(env) -> np.ndarray:
    """Confident, right logits for the batch the solvers see now."""
    return (8.0 * np.eye(10)[env._y]).astype(np.float32)


def share(env, s: int) -> tuple[np.ndarray, np.ndarray]:
    mine = env._share_of == s
    return env._x[mine], env._y[mine]


def training_rows(env, x: np.ndarray) -> np.ndarray:
    """For each image, whether it is one of the training images as stored (untransformed)."""
    stored = {row.tobytes() for row in env.task.arrays("train")[0]}
    return np.array([row.tobytes() in stored for row in x])


def test_passes_the_parallel_api_test_and_names_its_roles():
    env = make(num_solvers=3, num_challengers=2, batch_size=16)
    parallel_api_test(env, num_cycles=10)
    assert env.roles == {"solver": ["solver_0", "solver_1", "solver_2"], "challenger": ["challenger_0", "challenger_1"]}
    assert env.observation_space("solver_0")["x"].shape == (16, 784) and env.action_space("solver_2").shape == (16, 10)
    assert env.action_space("challenger_1").shape == (ACTION_SIZE,) and env.observation_space("challenger_0").shape == (24,)
    with pytest.raises(UserError, match="its agents come in roles"):
        check_contract(env, "mnist_challenge")


@pytest.mark.parametrize(("batch_size", "base_fraction", "sizes"), [(50, 0.4, [20, 10, 10, 10]), (41, 0.4, [16, 8, 8, 9])])
def test_shares_have_the_requested_sizes(batch_size, base_fraction, sizes):
    env = make(num_solvers=1, num_challengers=3, batch_size=batch_size, base_fraction=base_fraction)
    obs, _ = env.reset(seed=0)
    assert np.bincount(env._share_of).tolist() == sizes and obs["solver_0"]["x"].shape == (batch_size, 784)
    obs, *_ = env.step({"solver_0": oracle(env)} | {a: choice(rotation=10.0) for a in env.challengers})
    assert obs["solver_0"]["x"].shape == (batch_size, 784) and obs["solver_0"]["prev_y"].shape == (batch_size,)


def test_transforms_turn_and_move_the_images_and_nothing_leaves_them_alone():
    x = MNISTChallengeEnv(**SMALL).task.arrays("train")[0][:5]
    image = x.reshape(-1, 28, 28)
    rng = np.random.default_rng(0)
    assert np.array_equal(transform_images(x, 0.0, (0.0, 0.0), 0.0, rng), x)
    np.testing.assert_allclose(transform_images(x, 90.0, (0.0, 0.0), 0.0, rng).reshape(-1, 28, 28), np.rot90(image, 1, axes=(1, 2)), atol=1e-4)  # counterclockwise
    moved = transform_images(x, 0.0, (1.0, 2.0), 0.0, rng).reshape(-1, 28, 28)  # one right, two down
    np.testing.assert_allclose(moved[:, 2:, 1:], image[:, :-2, :-1], atol=1e-4)
    assert np.allclose(moved[:, :2, :], image.min()) and np.allclose(moved[:, :, 0], image.min())  # black moved in
    noisy = transform_images(x, 0.0, (0.0, 0.0), 0.5, rng)
    assert 0.2 < np.std(noisy - x) < 0.5 and noisy.min() >= image.min() - 1e-6


def test_a_rotated_share_differs_from_the_base_and_an_untransformed_one_does_not():
    env = make(num_solvers=1, num_challengers=2, batch_size=40)
    env.reset(seed=3)
    env.step({"solver_0": oracle(env), "challenger_0": choice(rotation=30.0), "challenger_1": choice()})
    assert not training_rows(env, share(env, 1)[0]).any()  # every image turned
    assert training_rows(env, share(env, 2)[0]).all() and training_rows(env, share(env, 0)[0]).all()


def test_digit_weights_concentrate_the_sampling():
    env = make(num_solvers=1, num_challengers=2, batch_size=200, base_fraction=0.2)
    env.reset(seed=1)
    env.step({"solver_0": oracle(env), "challenger_0": choice(favouring(3)), "challenger_1": choice()})
    threes, mixed = share(env, 1)[1], share(env, 2)[1]
    assert (threes == 3).mean() > 0.95 and (mixed == 3).mean() < 0.3 and len(np.unique(mixed)) >= 8


def test_out_of_bounds_choices_are_clipped_and_logged_and_nan_loses():
    env = make(num_solvers=2, num_challengers=2, batch_size=30, max_rotation=20.0, max_noise=0.5)
    env.reset(seed=1)
    wild = choice(np.full(10, 50.0), rotation=-90.0, shift=(9.0, -9.0), noise=-1.0)
    _, rewards, _, _, infos = env.step({a: oracle(env) for a in env.solvers} | {"challenger_0": wild, "challenger_1": choice(rotation=np.nan)})
    assert infos["challenger_0"]["clipped"] and infos["challenger_0"]["rotation"] == -20.0 and infos["challenger_0"]["shift"] == (3.0, -3.0) and infos["challenger_0"]["noise"] == 0.0
    assert infos["challenger_1"]["invalid"] and rewards["challenger_1"] == INVALID_CHALLENGE < rewards["challenger_0"]
    assert training_rows(env, share(env, 2)[0]).all() and not training_rows(env, share(env, 1)[0]).any()  # the broken one's share: base draws
    broken = {"solver_0": np.full((30, 10), np.nan, np.float32), "solver_1": oracle(env)}
    _, rewards, _, _, infos = env.step(broken | {a: choice() for a in env.challengers})
    assert infos["solver_0"]["invalid"] and rewards["solver_0"] < rewards["solver_1"]
    assert not infos["challenger_0"]["clipped"] and all(np.isfinite(rewards[a]) for a in env.challengers)
    with pytest.raises(ValueError, match="'challenger_0' sent an action of shape \\(13,\\)"):
        env.step({a: oracle(env) for a in env.solvers} | {"challenger_0": np.zeros(13, np.float32), "challenger_1": choice()})


def test_a_challenger_that_asks_the_impossible_earns_nothing():
    """Challenger 0 drowns its digits in noise: no solver does better than chance there (uniform
    logits, 2.3 nats), far beyond reach of a best solver whose base loss is near 0. Challenger 1
    turns its digits: solver 0 still reads them, the median solver does not. Challenger 2 asks
    plain digits every solver reads. Only challenger 1 is paid."""
    env = make(num_solvers=3, num_challengers=3, batch_size=60, max_noise=3.0)

    def answers():
        right, chance = oracle(env), np.zeros((60, 10), np.float32)
        lost = np.isin(env._share_of, [1, 2])  # the noisy and the turned share
        return {"solver_0": np.where((env._share_of == 1)[:, None], chance, right)} | {a: np.where(lost[:, None], chance, right) for a in ("solver_1", "solver_2")}

    choices = {"challenger_0": choice(noise=3.0), "challenger_1": choice(rotation=30.0), "challenger_2": choice()}
    env.reset(seed=0)
    _, first, _, _, _ = env.step(answers() | choices)
    assert all(first[a] == 0 for a in env.challengers)  # the first step's shares were base draws
    _, rewards, _, _, infos = env.step(answers() | choices)
    impossible, learnable, answered = (rewards[a] for a in env.challengers)
    assert impossible == 0 and not infos["challenger_0"]["within_reach"]
    assert learnable > 10 and infos["challenger_1"]["within_reach"]  # ln 10 over (near 0 + the 0.1 floor)
    assert answered == pytest.approx(0, abs=1e-9)


def test_frames_before_and_after_a_step_and_in_a_window():
    env = make(num_solvers=3, num_challengers=2, batch_size=24, render_mode="rgb_array")
    env.reset(seed=0)
    first = env.render()
    check_image(first)
    env.step({a: oracle(env) for a in env.solvers} | {"challenger_0": choice(favouring(7), rotation=25.0, noise=0.3), "challenger_1": choice(rotation=np.nan)})
    after = env.render()
    check_image(after)
    assert after.shape == first.shape == (720, 1280, 3) and not np.array_equal(after, first)
    env.close()
    window = make(num_solvers=2, num_challengers=1, batch_size=12, render_mode="human")
    window.reset(seed=0)
    window.step({a: oracle(window) for a in window.solvers} | {"challenger_0": choice(shift=(2.0, 0.0))})
    assert window.render() is None
    check_image(window_pixels())
    window.close()


def test_transformed_split_is_fixed_by_its_seed_and_within_its_bounds():
    task = make().task
    x, y = task.test()
    same = transformed_split(task, "test", 0.0, 0.0, 0.0, seed=0)
    assert np.array_equal(same[0], x) and np.array_equal(same[1], y)
    a = transformed_split(task, "heldout", 30.0, 3.0, 0.5, seed=1)
    assert a[0].shape == task.heldout()[0].shape and not a[0].flags.writeable
    assert np.array_equal(a[0], transformed_split(task, "heldout", 30.0, 3.0, 0.5, 1)[0])
    assert not np.array_equal(a[0], transformed_split(task, "heldout", 30.0, 3.0, 0.5, 2)[0])
    assert np.isclose(a[0], task.heldout()[0]).all(axis=1).mean() < 0.01  # (nearly) every image changed
    with pytest.raises(UserError, match="split must be 'heldout' or 'test'"):
        transformed_split(task, "train", 0.0, 0.0, 0.0, 0)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"num_solvers": 0}, "num_solvers must be a positive integer"),
        ({"num_challengers": 4, "batch_size": 6}, "batch_size 6 with base_fraction 0.5 leaves 3 images for 4 challengers"),
        ({"base_fraction": 1.0}, r"base_fraction must be a finite number in \(0, 1\)"),
        ({"max_rotation": 200.0}, r"max_rotation must be a finite number in \[0, 180\]"),
        ({"max_shift": -1}, r"max_shift must be a finite number in \[0, 14\]"),
        ({"max_noise": float("inf")}, "max_noise must be a finite number at least 0"),
        ({"reach": 0.0}, "reach must be a finite number above 0"),
        ({"train_limit": 0}, "train_limit must be a positive integer or None"),
        ({"data_dir": 3}, "data_dir must be a directory holding MNIST/raw/ or an MNISTTask"),
        ({"render_mode": "ansi"}, "render_mode must be one of"),
    ],
)
def test_bad_arguments_are_one_line(kwargs, message):
    with pytest.raises(UserError, match=message):
        make(**kwargs)
