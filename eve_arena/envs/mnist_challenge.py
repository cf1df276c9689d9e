"""An MNIST world with two roles: solvers classify the digits that challengers choose and transform.

| | |
|---|---|
| Parallel API | yes |
| Agents | ``solver_0 .. solver_{k-1}``, ``challenger_0 .. challenger_{m-1}`` (``roles`` maps each role to its agents) |
| Solver observation | Dict ``x``, ``prev_x`` ``(batch_size, 784)`` float32, ``prev_y`` ``(batch_size,)`` int64, as in the MNIST world |
| Solver action | ``(batch_size, 10)`` float32: class logits per image |
| Challenger observation | ``(24,)`` float32 (below) |
| Challenger action | ``(14,)`` float32 in bounds: 10 digit logits in ``[-10, 10]``, rotation (degrees) in ``[-max_rotation, max_rotation]``, shift right and shift down (pixels) each in ``[-max_shift, max_shift]``, noise std in ``[0, max_noise]`` |

The MNIST world (``mnist``) with an opponent that shapes the data, as the toy challenge world
(``toy_challenge``) is the toy world's. A step's batch is ``m + 1`` shares: a base share of
``base_fraction`` of the batch drawn from the training images as in the MNIST world,
untransformed, so that the original task stays in every batch; and one share per challenger in
the rest, drawn from the training images with the digit mix and transformation its action on the
step before chose (on the first step, and after an invalid action, base draws). The digit
logits' softmax weights the classes; an image of the drawn class is then picked uniformly. The
share is rotated about the image centre (positive: counterclockwise as displayed), moved by the
shift (subpixel shifts are bilinear; what moves in is black), then given Gaussian pixel noise of
the chosen std in the *normalised* pixel scale (units of MNIST's pixel std, 0.3081: noise 0.5 is
about 0.15 of full brightness) and clipped to the range a pixel can take. Rotation 0, shift 0
and noise 0 leave the images exactly as they are (``transform_images``).

### Observations
A solver's is the MNIST world's: ``x`` this step's batch, ``prev_x`` and ``prev_y`` the previous
step's images and labels (-1 on the first step). A challenger's, from the last step whose
solvers were not all invalid: ``[progress, best base CE, median base CE, own regret, best
solver's error per class (10), median error per class (10)]``: the episode's progress, the
cross-entropy (log loss, nats) of the best and median solver on the base share, its own last
regret, and each digit's error rate over the whole last batch, of the solver best on the base
share and the median over solvers (a digit absent from the batch keeps its last value; 0.9,
chance, before any step).

### Rewards
A solver is scored as in the MNIST world, on the whole batch: the mean of the other solvers'
cross-entropy minus its own. A challenger is paid the toy challenge world's **regret within
reach** (``challenge.challenge_rewards``) on per-share cross-entropy:

    reward_j = (median_i L_ij - min_i L_ij) / (min_i L_ij + s)   if min_i L_ij <= reach * s,  else 0,

with the scale ``s`` the best solver's cross-entropy on the base share plus ``SCALE_FLOOR`` =
0.1 nats. MNIST's labels carry no noise, so the toy world's noise variance has no counterpart:
without a floor, a best solver near-perfect on the base share (CE near 0) would shrink the reach
to nothing and blow up the regret of tiny differences. 0.1 nats is the loss of putting 90% on
the right digit: with ``reach`` 4 a share stays within reach while its best solver keeps about
two thirds of its probability on the right digits, and a share at chance (ln 10 = 2.3 nats) is
beyond reach once the best base CE is below 0.48. A challenger that asks what no solver can
answer (noise that hides the digit) earns 0; one that finds where the best solver is right and
the median one is not earns the most. Its reward on a step is for the share it chose on the step
before (0 on the first step, and after an invalid action).

### Bad actions
A challenger's action outside its bounds is clipped, and ``infos[agent]["clipped"]`` says so.
An action holding NaN or inf loses: a solver is scored worse than every valid one (as in the
MNIST world); a challenger gets -1, below any valid challenger, and its share is drawn from the
base distribution. An action of the wrong shape raises ``ValueError`` naming the agent.

### Arguments
``num_solvers`` (k >= 1), ``num_challengers`` (m >= 1), ``batch_size``, ``max_steps``,
``base_fraction`` (in (0, 1); the challengers' part holds at least one image each),
``max_rotation`` (degrees, at most 180), ``max_shift`` (pixels, at most 14), ``max_noise``,
``reach``, ``regret`` ("ratio" | "bounded": ``challenge.challenge_rewards``), ``data_dir`` (a directory holding ``MNIST/raw/``, default ``$EVE_ARENA_DATA``, else
``~/.cache/eve_arena/data``; or an ``MNISTTask``), ``train_limit`` (use only the first N
training images), ``render_mode`` ("human" | "rgb_array" | None).

``transformed_split(task, split, rotation, shift, noise, seed)`` gives the validation or test
images, each randomly transformed within those bounds: held-out data for what the challengers
teach.

### Version History
* v0: first release.
"""

from __future__ import annotations

import dataclasses
import functools
import math
import os

import numpy as np
import torch
from gymnasium import spaces

from eve_arena.envs.challenge import INVALID_CHALLENGE, ChallengeWorld, challenge_rewards, check_counts, check_regret, share_sizes
from eve_arena.envs.scoring import check_action, competitive_rewards, penalised_losses
from eve_arena.envs.supervised import steps_from_cycles
from eve_arena.errors import UserError
from eve_arena.tasks import MNISTTask, _blank_pixel

SIDE = 28
LOGIT_BOUND = 10.0
"""Digit logits lie in [-10, 10]: a weight ratio up to e^20, enough to ask for one digit only."""
SCALE_FLOOR = 0.1
"""Nats added to the best base cross-entropy in the challengers' scale (see Rewards)."""
CHANCE_ERROR = 0.9
OBS_SIZE = 4 + 2 * 10
# Where each part of a challenger's action lies.
DIGITS, ROTATION, SHIFT, NOISE = slice(0, 10), 10, slice(11, 13), 13
ACTION_SIZE = 14


def digit_weights(logits: np.ndarray) -> np.ndarray:
    """Softmax of ``(10,)`` digit logits: the share's class weights."""
    e = np.exp(np.asarray(logits, np.float64) - np.max(logits))
    return e / e.sum()


def transform_images(x: np.ndarray, degrees, shift, noise, rng: np.random.Generator) -> np.ndarray:
    """``(n, 784)`` normalised images -> a new ``(n, 784)`` float32 array.

    Image i is rotated by ``degrees[i]`` about its centre (counterclockwise as displayed), moved
    by ``shift[i] = (right, down)`` pixels (bilinear, black moves in), then given Gaussian noise of
    std ``noise[i]`` in the normalised scale and clipped to the pixel range. Scalars broadcast;
    images with no rotation, shift or noise come back exactly as they were."""
    n = len(x)
    degrees = np.broadcast_to(np.asarray(degrees, np.float64), (n,))
    shift = np.broadcast_to(np.asarray(shift, np.float64), (n, 2))
    noise = np.broadcast_to(np.asarray(noise, np.float64), (n,))
    out = np.array(x, dtype=np.float32).reshape(n, SIDE * SIDE)
    background = _blank_pixel()
    moved = (degrees != 0) | (shift != 0).any(axis=1)
    if moved.any():
        theta = np.deg2rad(degrees[moved])
        cos, sin = np.cos(theta), np.sin(theta)
        tx, ty = (shift[moved] * 2 / SIDE).T  # pixels in affine_grid's [-1, 1] coordinates
        # The output at p samples the input at R (p - t): rotated, then moved by t.
        affine = np.stack([np.stack([cos, -sin, -(cos * tx - sin * ty)], 1), np.stack([sin, cos, -(sin * tx + cos * ty)], 1)], 1)
        images = torch.from_numpy(out[moved]).reshape(-1, 1, SIDE, SIDE) - background  # black is 0 for the padding
        grid = torch.nn.functional.affine_grid(torch.tensor(affine, dtype=torch.float32), list(images.shape), align_corners=False)
        out[moved] = (torch.nn.functional.grid_sample(images, grid, align_corners=False) + background).reshape(-1, SIDE * SIDE).numpy()
    noisy = noise > 0
    if noisy.any():
        from eve_arena.data.mnist import MEAN, STD

        jitter = noise[noisy, None] * rng.standard_normal((int(noisy.sum()), SIDE * SIDE))
        out[noisy] = np.clip(out[noisy] + jitter, background, (1 - MEAN) / STD)
    return out


SPLITS = {"heldout": "heldout", "val": "heldout", "test": "test"}


@functools.lru_cache(maxsize=4)
def transformed_split(task: MNISTTask, split: str, rotation: float, shift: float, noise: float, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """The validation (``"heldout"``) or ``"test"`` images, each transformed at random within the
    bounds: rotation uniform in ``[-rotation, rotation]`` degrees, a shift uniform in
    ``[-shift, shift]`` pixels on each axis, noise std uniform in ``[0, noise]`` (normalised
    scale). ``(x (N, 784) float32, y (N,) int64)``, read-only; the same for the same ``seed``."""
    if split not in SPLITS:
        raise UserError(f"split must be 'heldout' or 'test', got {split!r}")
    for arg, value, high in (("rotation", rotation, 180.0), ("shift", shift, SIDE / 2), ("noise", noise, math.inf)):
        _check_number(arg, value, 0.0, high)
    x, y = getattr(task, SPLITS[split])()
    rng = np.random.default_rng(seed)
    n = len(x)
    x = transform_images(x, rng.uniform(-rotation, rotation, n), rng.uniform(-shift, shift, (n, 2)), rng.uniform(0.0, noise, n), rng)
    x.flags.writeable = False
    return x, y


def _check_number(arg: str, value, low: float, high: float = math.inf, open_ends: str = "[]") -> None:
    """A one-line ``UserError`` unless ``value`` is a finite number within the bounds (``open_ends``: "(]", "()", ...)."""
    ok = isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool) and math.isfinite(value)
    ok = ok and (low < value if open_ends[0] == "(" else low <= value) and (value < high if open_ends[1] == ")" else value <= high)
    if not ok:
        where = f"in {open_ends[0]}{low:g}, {high:g}{open_ends[1]}" if math.isfinite(high) else f"{'above' if open_ends[0] == '(' else 'at least'} {low:g}"
        raise UserError(f"{arg} must be a finite number {where}, got {value!r}")


def _task(data_dir, train_limit) -> MNISTTask:
    if train_limit is not None and (not isinstance(train_limit, (int, np.integer)) or isinstance(train_limit, bool) or train_limit < 1):
        raise UserError(f"train_limit must be a positive integer or None, got {train_limit!r}")
    if isinstance(data_dir, MNISTTask):
        return data_dir if train_limit is None else dataclasses.replace(data_dir, train_limit=int(train_limit))
    if data_dir is not None and not isinstance(data_dir, (str, os.PathLike)):
        raise UserError(f"data_dir must be a directory holding MNIST/raw/ or an MNISTTask, got {type(data_dir).__name__}")
    return MNISTTask(None if data_dir is None else str(data_dir), train_limit)


class MNISTChallengeEnv(ChallengeWorld):
    metadata = {"name": "mnist_challenge_v0", "render_modes": ["human", "rgb_array"], "render_fps": 4, "is_parallelizable": True}

    def __init__(self, num_solvers: int = 4, num_challengers: int = 2, batch_size: int = 64, max_steps: int = 4, base_fraction: float = 0.5, max_rotation: float = 30.0,
                 max_shift: float = 3.0, max_noise: float = 0.5, reach: float = 4.0, data_dir=None, train_limit: int | None = None, render_mode: str | None = None, regret: str = "ratio"):
        check_counts(num_solvers=num_solvers, num_challengers=num_challengers, batch_size=batch_size, max_steps=max_steps)
        _check_number("base_fraction", base_fraction, 0.0, 1.0, "()")
        sizes = share_sizes(batch_size, base_fraction, num_challengers, "images")
        for arg, value, high in (("max_rotation", max_rotation, 180.0), ("max_shift", max_shift, SIDE / 2), ("max_noise", max_noise, math.inf)):
            _check_number(arg, value, 0.0, high)
        _check_number("reach", reach, 0.0, open_ends="(]")
        if render_mode is not None and render_mode not in self.metadata["render_modes"]:
            raise UserError(f"render_mode must be one of {self.metadata['render_modes']} or None, got {render_mode!r}")
        self.task = _task(data_dir, train_limit)
        train_y = self.task.arrays("train")[1]  # a missing or damaged data directory fails here, with its one-line error
        self._by_class = np.argsort(train_y, kind="stable")
        self._class_count = np.bincount(train_y, minlength=10)
        self._class_start = np.concatenate([[0], np.cumsum(self._class_count)[:-1]])
        self.batch_size, self.max_steps, self.reach = int(batch_size), int(max_steps), float(reach)
        check_regret(regret)
        self.regret = regret
        self._seat(num_solvers, num_challengers, render_mode)
        # Share j + 1 belongs to challenger j, share 0 is the base share; each is one block of the batch.
        self._share_sizes = sizes
        self._share_of = np.repeat(np.arange(num_challengers + 1), self._share_sizes)
        images = spaces.Box(-np.inf, np.inf, (self.batch_size, SIDE * SIDE), np.float32)
        self._solver_observation = spaces.Dict({"x": images, "prev_x": images, "prev_y": self.task.target_space(self.batch_size)})
        self._solver_action = spaces.Box(-np.inf, np.inf, (self.batch_size, 10), np.float32)
        self._challenger_observation = spaces.Box(0.0, np.inf, (OBS_SIZE,), np.float32)
        low = np.array([-LOGIT_BOUND] * 10 + [-max_rotation, -max_shift, -max_shift, 0.0], np.float32)
        high = np.array([LOGIT_BOUND] * 10 + [max_rotation, max_shift, max_shift, max_noise], np.float32)
        self._challenger_action = spaces.Box(low, high, dtype=np.float32)

    def reset(self, seed: int | None = None, options: dict | None = None):
        self._begin_episode(seed)
        options = options or {}
        self._x, self._y = self._draw(self._choices)
        self._prev_x, self._prev_y = np.zeros_like(self._x), self.task.no_feedback(self.batch_size)
        self._view = np.concatenate([[0.0, 0.0, 0.0, 0.0], np.full(20, CHANCE_ERROR)]).astype(np.float32)
        self._regret = np.zeros(len(self.challengers))
        self.frame = {"step": 0, "max_steps": self.max_steps, "title": "MNIST challenge", "x": self._x, "y": None, "share_of": self._share_of, "choices": self._choices,
                      "predictions": {}, "infos": {}, "shares": None, "cumulative": {a: 0.0 for a in self.agents}, "train_mix": self._class_count / self._class_count.sum(),
                      "ratings": dict(options.get("ratings", {})), "labels": dict(options.get("labels", {}))}
        return self._observations(), {a: {} for a in self.agents}

    def _draw(self, choices: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """A batch: base draws, then each challenger's share as its row of ``choices`` asks (NaN: base)."""
        xs, ys = [], []
        for s, n in enumerate(self._share_sizes):
            choice = choices[s - 1] if s else None
            if choice is None or not np.isfinite(choice).all():
                x, y = self.task.sample(self._rng, int(n))
            else:
                weights = digit_weights(choice[DIGITS]) * (self._class_count > 0)
                classes = self._rng.choice(10, int(n), p=weights / weights.sum())
                index = self._by_class[self._class_start[classes] + self._rng.integers(0, self._class_count[classes])]
                train_x, train_y = self.task.arrays("train")
                x, y = transform_images(train_x[index], choice[ROTATION], choice[SHIFT], choice[NOISE], self._rng), train_y[index]
            xs.append(x)
            ys.append(y)
        return np.concatenate(xs).astype(np.float32), np.concatenate(ys).astype(np.int64)

    def _observations(self) -> dict:
        for arr in (self._x, self._prev_x, self._prev_y):
            arr.flags.writeable = False
        solver = {"x": self._x, "prev_x": self._prev_x, "prev_y": self._prev_y}
        out = {}
        for a in self.agents:
            if a.startswith("solver"):
                out[a] = solver
            else:
                out[a] = self._view.copy()
                out[a][3] = self._regret[self.challengers.index(a)]
        return out

    def _share_scores(self, preds: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Valid solvers' ``(k', m + 1)`` cross-entropy and accuracy on each share."""
        right = preds.argmax(-1) == self._y
        shares = [self._share_of == s for s in range(len(self.challengers) + 1)]
        losses = np.stack([self.task.losses(preds[:, share], self._y[share]) for share in shares], axis=1)
        return losses, np.stack([right[:, share].mean(axis=1) for share in shares], axis=1)

    def _update_view(self, preds: np.ndarray, base_losses: np.ndarray) -> None:
        """The challengers' observation after a step whose valid solvers answered ``preds``."""
        wrong = preds.argmax(-1) != self._y
        best = int(base_losses.argmin())
        self._view[:3] = [self._step / self.max_steps, base_losses[best], np.median(base_losses)]
        for c in range(10):
            digit = self._y == c
            if digit.any():
                errors = wrong[:, digit].mean(axis=1)
                self._view[4 + c], self._view[14 + c] = errors[best], np.median(errors)

    def step(self, actions: dict):
        missing = [a for a in self.agents if a not in actions]
        if missing:
            raise ValueError(f"no action for agents {missing}; step() needs one action per live agent")
        preds = np.stack([check_action(a, actions[a], self._solver_action.shape) for a in self.solvers]).astype(np.float64)
        invalid = ~np.isfinite(preds.reshape(len(self.solvers), -1)).all(axis=1)
        with np.errstate(over="ignore", invalid="ignore"):
            losses = self.task.losses(preds, self._y)
            extra = self.task.step_info(preds, self._y, losses)
        scored = penalised_losses(losses, invalid, floor=self.task.penalty_floor(self._y))
        rewards = dict(zip(self.solvers, competitive_rewards(scored).tolist()))
        infos = {a: {**{key: float(v[i]) if not invalid[i] else float("nan") for key, v in extra.items()}, "invalid": bool(invalid[i])} for i, a in enumerate(self.solvers)}

        chosen = np.isfinite(self._choices).all(axis=1)  # a share drawn as its challenger chose on the step before
        shares = None
        if (~invalid).any():
            share_losses, share_accuracy = self._share_scores(preds[~invalid])
            paid, within = challenge_rewards(share_losses[:, 1:], share_losses[:, 0], math.sqrt(SCALE_FLOOR), self.reach, self.regret)
            shares = {"solver": [self.solvers[i] for i in np.flatnonzero(~invalid)], "loss": share_losses, "accuracy": share_accuracy}
        else:  # every solver broke: nothing to learn from
            paid, within = np.zeros(len(self.challengers)), np.zeros(len(self.challengers), bool)
        paid, within = np.where(chosen, paid, 0.0), within & chosen
        next_choices, broken, clipped = read_choices(actions, self.challengers, self._challenger_action)
        for j, agent in enumerate(self.challengers):
            rewards[agent] = INVALID_CHALLENGE if broken[j] else float(paid[j])
            infos[agent] = {"regret": float(paid[j]), "within_reach": bool(within[j]), "clipped": bool(clipped[j]), "invalid": bool(broken[j]), **_described(next_choices[j])}

        self._step += 1
        self._regret = paid
        if shares is not None:
            self._update_view(preds[~invalid], shares["loss"][:, 0])
        cumulative = self.frame["cumulative"]
        for a in self.possible_agents:
            cumulative[a] += scored[self.solvers.index(a)] if a.startswith("solver") else rewards[a]
        self.frame.update(step=self._step, x=self._x, y=self._y, choices=self._choices, predictions=dict(zip(self.solvers, preds)), infos=infos, shares=shares)
        truncated = self._step >= self.max_steps
        return self._end_step(next_choices, rewards, infos, truncated)

    def _make_renderer(self):
        from eve_arena.envs.mnist_challenge_render import MNISTChallengeRenderer

        return MNISTChallengeRenderer(self.possible_agents, self.render_mode, self.metadata["render_fps"])


def read_choices(actions: dict, challengers: list[str], space: spaces.Box) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The challengers' actions as ``(m, D)`` float64 choices clipped into ``space``, a NaN row for
    an action holding NaN or inf; with ``(m,)`` flags: broken, and clipped (of the unbroken)."""
    raw = np.stack([check_action(a, actions[a], space.shape) for a in challengers])
    broken = ~np.isfinite(raw).all(axis=1)
    choices = np.clip(raw, space.low, space.high)
    clipped = ~broken & (choices != raw).any(axis=1)
    choices = choices.astype(np.float64)
    choices[broken] = np.nan
    return choices, broken, clipped


def _described(choice: np.ndarray) -> dict:
    """A challenger's ``(14,)`` choice in words for ``infos`` (NaN: none)."""
    return {"digit_weights": digit_weights(choice[DIGITS]).tolist(),
            "rotation": float(choice[ROTATION]), "shift": (float(choice[SHIFT][0]), float(choice[SHIFT][1])), "noise": float(choice[NOISE])}


def parallel_env(**kwargs) -> MNISTChallengeEnv:
    return MNISTChallengeEnv(**steps_from_cycles(kwargs))
