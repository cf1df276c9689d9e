"""A toy world with two roles: solvers answer the batch that challengers choose.

| | |
|---|---|
| Parallel API | yes |
| Agents | ``solver_0 .. solver_{k-1}``, ``challenger_0 .. challenger_{m-1}`` (``roles`` maps each role to its agents) |
| Solver observation | Dict ``x``, ``prev_x``, ``prev_y``, each ``(batch_size,)`` float32, as in the toy world |
| Solver action | ``(batch_size,)`` float32: one prediction per input |
| Challenger observation | ``(3,)`` float32: the episode's progress, and log10(1 + MSE) of the best and of the median solver on the last base share |
| Challenger action | ``(2,)`` float32 in bounds: the center of its inputs in ``[-x_bound, x_bound]`` and their log spread in ``[log(min_spread), log(x_bound)]`` |

The seed's toy task (``f = 10x + 2`` or ``10x^2 + 2``, noise ``N(0, noise^2)``) with an
opponent that shapes the data, as Hillis's parasites shaped the tests of sorting networks. A
step's batch is ``m + 1`` shares: a base share of ``base_fraction`` of the batch drawn as in the
toy world (``x ~ N(0, 1)``), so that the original task stays in every batch, and one share per
challenger in the rest, ``x ~ N(center, spread^2)`` as its action on the step before chose (on
the first step, base draws). Every input is clipped to ``[-x_bound, x_bound]``.

### Rewards
A solver is scored as in the toy world, on the whole batch: the mean of the other solvers'
MSE minus its own. With ``solver_score="log_share"`` it is scored on the log of its MSE (plus
``noise^2``) on each share, weighted by the share's size, instead: scale-free, so a far share on
the quadratic, whose errors grow like x^2, cannot outweigh the base share (``eve-arena
coevolve`` uses it; ``scripts/coevolution_study.py`` says why). A challenger is paid for what is learnable but not yet
learned: the **regret** on its share, the gap between the median solver's MSE and the best
solver's, over the best solver's, counted only while the share is **within reach**: the best
solver's MSE on it at most ``reach`` times the scale ``s`` = the best solver's MSE on the base
share + ``noise^2``:

    reward_j = (median_i L_ij - min_i L_ij) / (min_i L_ij + s)   if min_i L_ij <= reach * s,  else 0.

With ``regret="bounded"`` the gap is taken over the median's loss instead, ``(median - best) /
(median + s)``, in [0, 1): a share at the bound of the quadratic, where the median solver's loss
explodes, then pays no more than any other share the best solver answers and the rest do not.

A challenger that asks what no solver can answer (inputs far out on the quadratic, where every
loss is huge) earns 0; one that asks what every solver answers equally well earns about 0; one
that finds where the best solver is right and the others are not earns the most. A challenger's
reward on a step is for the share it chose on the step before (0 on the first step, and after
an invalid action, whose share was base draws).

### Bad actions
A challenger's action outside its bounds is clipped, and ``infos[agent]["clipped"]`` says so.
An action holding NaN or inf loses: a solver is scored worse than every valid one (as in the
toy world); a challenger gets -1, below any valid challenger, and its share is drawn from the
base distribution. An action of the wrong shape raises ``ValueError`` naming the agent.

### Arguments
``num_solvers`` (k >= 1), ``num_challengers`` (m >= 1), ``task`` ("linear" | "quadratic"),
``batch_size``, ``base_fraction`` (in (0, 1); the challengers' part holds at least one input
each), ``max_steps``, ``noise``, ``x_bound``, ``reach``, ``min_spread`` (in (0, x_bound); 0.05 by
default; at 0.5 a share cannot shrink to one point), ``solver_score`` ("mse" | "log_share"), ``regret`` ("ratio" | "bounded"),
``render_mode`` ("human" | "rgb_array" |
None; any other is refused with a ``UserError``).

### Rendering
``render()`` draws the step just scored (``toy_challenge_render.py``): f(x) over
``[-x_bound, x_bound]``; the batch's targets as dots and its inputs as a rug, coloured by share
(base grey, each challenger its colour); each solver's answers as a thin line, the best solver
on the batch bold; under the axis, each challenger's ``N(center, spread^2)`` that drew its share
(with its regret, or "out" of reach) and, in outline, its choice for the next batch; and
scoreboards of the solvers' and challengers' returns. ``"rgb_array"`` returns an ``(H, W, 3)``
uint8 frame; ``"human"`` shows it in a window, also after every step. The env keeps what the
picture needs in ``frame`` (a dict: ``x``, ``y`` and ``share`` of the scored batch, ``truth``,
``choices`` that drew it and ``next_choices``, ``predictions``, ``infos``, ``returns``); keeping it
changes no reward or observation.

### Version History
* v0: first release; rendering added without a change to the rules.
"""

from __future__ import annotations

import math

import numpy as np
from gymnasium import spaces

from eve_arena.envs.challenge import INVALID_CHALLENGE, ChallengeWorld, challenge_rewards, check_counts, check_regret, share_sizes
from eve_arena.envs.scoring import check_action, competitive_rewards, penalised_losses
from eve_arena.errors import UserError
from eve_arena.tasks import ToyTask

MIN_SPREAD = 0.05
SOLVER_SCORES = ("mse", "log_share")
class ToyChallengeEnv(ChallengeWorld):
    metadata = {"name": "toy_challenge_v0", "render_modes": ["human", "rgb_array"], "render_fps": 4, "is_parallelizable": True}

    def __init__(self, num_solvers: int = 4, num_challengers: int = 2, task: str = "quadratic", batch_size: int = 64, max_steps: int = 4, noise: float = 0.1,
                 x_bound: float = 4.0, reach: float = 4.0, base_fraction: float = 0.5, render_mode: str | None = None, min_spread: float = MIN_SPREAD,
                 solver_score: str = "mse", regret: str = "ratio"):
        check_counts(num_solvers=num_solvers, num_challengers=num_challengers, batch_size=batch_size, max_steps=max_steps)
        if not isinstance(base_fraction, (int, float)) or isinstance(base_fraction, bool) or not 0 < base_fraction < 1:
            raise UserError(f"base_fraction must be a number in (0, 1), got {base_fraction!r}")
        sizes = share_sizes(batch_size, base_fraction, num_challengers, "inputs")
        for arg, value in (("x_bound", x_bound), ("reach", reach)):
            if not isinstance(value, (int, float)) or isinstance(value, bool) or not 0 < value < math.inf:
                raise UserError(f"{arg} must be a positive number, got {value!r}")
        if not isinstance(min_spread, (int, float)) or isinstance(min_spread, bool) or not 0 < min_spread < x_bound:
            raise UserError(f"min_spread must be a number in (0, x_bound = {x_bound:g}), got {min_spread!r}")
        if solver_score not in SOLVER_SCORES:
            raise UserError(f"solver_score must be {' or '.join(map(repr, SOLVER_SCORES))}, got {solver_score!r}")
        if render_mode is not None and render_mode not in self.metadata["render_modes"]:
            raise UserError(f"{self.metadata['name']} draws in render_mode {' or '.join(map(repr, self.metadata['render_modes']))}, or None for no drawing; got {render_mode!r}")
        self.task = ToyTask(task, noise)
        self.solver_score, self.min_spread = solver_score, float(min_spread)
        self.batch_size, self.max_steps, self.x_bound, self.reach = int(batch_size), int(max_steps), float(x_bound), float(reach)
        check_regret(regret)
        self.regret = regret
        self._seat(num_solvers, num_challengers, render_mode)
        # Share j + 1 belongs to challenger j; share 0 is the base share.
        self._share_of = np.repeat(np.arange(num_challengers + 1), sizes)
        inputs = spaces.Box(-np.inf, np.inf, (self.batch_size,), np.float32)
        self._solver_observation = spaces.Dict({"x": inputs, "prev_x": inputs, "prev_y": self.task.target_space(self.batch_size)})
        self._solver_action = spaces.Box(-np.inf, np.inf, (self.batch_size,), np.float32)
        self._challenger_observation = spaces.Box(0.0, np.inf, (3,), np.float32)
        self._challenger_action = spaces.Box(np.array([-x_bound, math.log(self.min_spread)], np.float32), np.array([x_bound, math.log(x_bound)], np.float32), dtype=np.float32)

    def reset(self, seed: int | None = None, options: dict | None = None):
        self._begin_episode(seed)
        self._x, self._y = self._draw(self._choices)
        self._prev_x, self._prev_y = np.zeros_like(self._x), self.task.no_feedback(self.batch_size)
        self._challenger_view = np.zeros(3, np.float32)
        grid = np.linspace(-self.x_bound, self.x_bound, 201)
        self.frame = {
            "title": f"{self.task.name}, challenged", "step": 0, "max_steps": self.max_steps, "x_bound": self.x_bound, "truth": (grid, self.task.truth(grid)),
            "solvers": list(self.solvers), "challengers": list(self.challengers), "share": self._share_of, "x": self._x, "y": None,
            "choices": self._choices, "next_choices": None, "predictions": {}, "infos": {}, "returns": {a: 0.0 for a in self.possible_agents},
        }
        return self._observations(), {a: {} for a in self.agents}

    def _draw(self, choices: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """A batch: base draws, then each challenger's share from its ``(center, log spread)`` (NaN: base)."""
        x = self.task.inputs(self._rng, self.batch_size).astype(np.float64)
        for j, (center, log_spread) in enumerate(choices):
            if np.isfinite(center):
                share = self._share_of == j + 1
                x[share] = center + math.exp(log_spread) * self._rng.standard_normal(int(share.sum()))
        x = np.clip(x, -self.x_bound, self.x_bound).astype(np.float32)
        y = (self.task.truth(x) + self.task.noise * self._rng.standard_normal(self.batch_size)).astype(np.float32)
        return x, y

    def _observations(self) -> dict:
        for arr in (self._x, self._prev_x, self._prev_y):
            arr.flags.writeable = False
        solver = {"x": self._x, "prev_x": self._prev_x, "prev_y": self._prev_y}
        return {a: solver if a.startswith("solver") else self._challenger_view.copy() for a in self.agents}

    def step(self, actions: dict):
        missing = [a for a in self.agents if a not in actions]
        if missing:
            raise ValueError(f"no action for agents {missing}; step() needs one action per live agent")
        preds = np.stack([check_action(a, actions[a], self._solver_action.shape) for a in self.solvers]).astype(np.float64)
        invalid = ~np.isfinite(preds).all(axis=1)
        with np.errstate(over="ignore", invalid="ignore"):
            squared = (preds - self._y) ** 2
        losses = squared.mean(axis=1)
        per_share = np.stack([squared[~invalid][:, self._share_of == s].mean(axis=1) for s in range(len(self.challengers) + 1)], axis=1) if (~invalid).any() else None
        scored = penalised_losses(losses, invalid, floor=self.task.penalty_floor(self._y))
        if self.solver_score == "log_share" and per_share is not None:
            weights = np.bincount(self._share_of, minlength=per_share.shape[1]) / self.batch_size
            logs = np.full(len(losses), np.nan)
            logs[~invalid] = np.log(per_share + self.task.noise**2) @ weights
            scored = penalised_losses(logs, invalid, floor=-np.inf)
        rewards = dict(zip(self.solvers, competitive_rewards(scored).tolist()))
        infos = {a: {"mse": float(losses[i]) if not invalid[i] else float("nan"), "invalid": bool(invalid[i])} for i, a in enumerate(self.solvers)}

        chosen = np.isfinite(self._choices[:, 0])  # a share drawn as its challenger chose on the step before
        if per_share is not None:
            paid, within = challenge_rewards(per_share[:, 1:], per_share[:, 0], self.task.noise, self.reach, self.regret)
        else:  # every solver broke: nothing to learn from
            paid, within = np.zeros(len(self.challengers)), np.zeros(len(self.challengers), bool)
        paid, within = np.where(chosen, paid, 0.0), within & chosen
        next_choices = np.full_like(self._choices, np.nan)
        for j, agent in enumerate(self.challengers):
            raw = check_action(agent, actions[agent], self._challenger_action.shape)
            broken = not np.isfinite(raw).all()
            clipped = np.clip(raw, self._challenger_action.low, self._challenger_action.high)
            if not broken:
                next_choices[j] = clipped
            rewards[agent] = INVALID_CHALLENGE if broken else float(paid[j])
            infos[agent] = {"regret": float(paid[j]), "within_reach": bool(within[j]), "clipped": bool(not broken and (clipped != raw).any()), "invalid": broken,
                            "center": float(clipped[0]) if not broken else float("nan"), "distance": abs(float(clipped[0])) if not broken else float("nan"), "spread": math.exp(float(clipped[1])) if not broken else float("nan")}

        self._step += 1
        truncated = self._step >= self.max_steps
        if per_share is not None:
            base = per_share[:, 0]
            self._challenger_view = np.array([self._step / self.max_steps, math.log10(1 + base.min()), math.log10(1 + float(np.median(base)))], np.float32)
        returns = {a: self.frame["returns"].get(a, 0.0) + rewards[a] for a in self.possible_agents}
        self.frame.update(step=self._step, x=self._x, y=self._y, choices=self._choices, next_choices=next_choices, predictions=dict(zip(self.solvers, preds)), infos=infos, returns=returns)
        return self._end_step(next_choices, rewards, infos, truncated)

    def _make_renderer(self):
        from eve_arena.envs.toy_challenge_render import ChallengeRenderer

        return ChallengeRenderer(self.possible_agents, self.render_mode, self.metadata["render_fps"])


def parallel_env(**kwargs) -> ToyChallengeEnv:
    return ToyChallengeEnv(**kwargs)
