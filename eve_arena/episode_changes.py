"""How adaptive the champion is within an episode: for each change of its world, step by step.

``adaptivity`` reports on worlds that change between generations; this module does the same for
the champion's evaluation episodes, whose world can change while the episode runs. An episode
record is a dict ``{"reward": [T floats], "phase": [T floats] (optional), "infos": {name: [T
floats]}}``. A *change* is a step whose phase has a different integer part from the previous
step's (a step with a non-finite phase is skipped: the next finite phase is compared with the
last one before it; an episode without ``phase`` has no changes).
The score is ``reward`` or any info; higher is better except for names ending in loss, mse,
error, err, regret or cost. For each change (a ``StepChange``):

- ``episode``, ``step``, ``phase``: which episode, the first step (0-based) of the new phase, its phase;
- ``before``, ``after``: the score at the step before the change and at the change step;
- ``drop``: ``before - after`` (``after - before`` when lower is better), so a positive drop is
  a loss of skill;
- ``recovery_steps``: steps from the change until the score has regained 90% of the drop, i.e.
  the first step t >= the change step, within the phase, whose score is at least
  ``before - 0.1 * drop`` (at most ``before + 0.1 * drop`` when lower is better); the count is
  t minus the change step, 0 when the change step is already there or the drop is <= 0, and
  ``None`` when it never is before the next change or the episode's end. The rule uses the drop
  rather than a ratio of ``before``, so it holds for negative rewards and any scale. With a
  non-finite ``before`` or ``after`` the drop is NaN and the recovery ``None``;
- ``level``: the mean of the finite scores over the new phase (NaN if there are none).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from eve_arena.errors import UserError  # noqa: E402

RECOVERED = 0.9
LOWER_IS_BETTER = ("loss", "mse", "error", "err", "regret", "cost")


@dataclass
class StepChange:
    episode: int
    step: int
    phase: float
    before: float
    after: float
    drop: float
    recovery_steps: int | None
    level: float


def higher_is_better(key: str) -> bool:
    """False for losses and errors (names ending in loss, mse, error, err, regret, cost), else True."""
    return not key.lower().endswith(LOWER_IS_BETTER)


def episode_scores(episode: dict, key: str) -> np.ndarray:
    """The per-step score ``key``: the reward, or one of the episode's infos."""
    infos = episode.get("infos") or {}
    values = episode.get("reward") if key == "reward" else infos.get(key)
    if values is None:
        there = (["reward"] if "reward" in episode else []) + sorted(infos)
        raise UserError(f"no {key!r} in the episode record; keys there: {', '.join(there) or 'none'}")
    return np.asarray(values, dtype=float).reshape(-1)


def _change_steps(episode: dict) -> list[int]:
    if episode.get("phase") is None:
        return []
    starts, last = [], None
    for t, phase in enumerate(np.floor(np.asarray(episode["phase"], dtype=float))):
        if not np.isfinite(phase):  # an unrecorded phase is no change; compare past it
            continue
        if last is not None and phase != last:
            starts.append(t)
        last = phase
    return starts


def _recovery(before: float, drop: float, phase_scores: np.ndarray, higher: bool) -> int | None:
    if not np.isfinite(drop):
        return None
    if drop <= 0:
        return 0
    slack = (1 - RECOVERED) * drop
    back = phase_scores >= before - slack if higher else phase_scores <= before + slack
    hits = np.flatnonzero(back)  # NaN scores compare False: never counted as back
    return int(hits[0]) if hits.size else None


def _finite_mean(values) -> float:
    values = np.asarray(values, dtype=float)
    values = values[np.isfinite(values)]
    return float(values.mean()) if values.size else float("nan")


def step_changes(episodes: list[dict], key: str = "reward") -> list[StepChange]:
    """One ``StepChange`` per change of phase in each episode, in episode then step order."""
    higher = higher_is_better(key)
    changes = []
    for e, episode in enumerate(episodes):
        scores = episode_scores(episode, key)
        phases = np.asarray(episode.get("phase", []), dtype=float)
        starts = [t for t in _change_steps(episode) if t < len(scores)]
        for n, t in enumerate(starts):
            end = starts[n + 1] if n + 1 < len(starts) else len(scores)
            before, after = float(scores[t - 1]), float(scores[t])
            finite = np.isfinite(before) and np.isfinite(after)
            drop = (before - after if higher else after - before) if finite else float("nan")
            changes.append(StepChange(
                episode=e, step=t, phase=float(phases[t]), before=before, after=after, drop=float(drop),
                recovery_steps=_recovery(before, drop, scores[t:end], higher), level=_finite_mean(scores[t:end]),
            ))
    return changes


def mean_curve(episodes: list[dict], key: str = "reward") -> tuple[np.ndarray, np.ndarray]:
    """Per-step mean and std over the episodes, up to the shortest one's length, ignoring NaNs."""
    series = [episode_scores(e, key) for e in episodes]
    if not series:
        return np.array([]), np.array([])
    length = min(len(s) for s in series)
    stacked = np.stack([s[:length] for s in series])
    stacked[~np.isfinite(stacked)] = np.nan
    with warnings.catch_warnings():  # a step that is NaN in every episode stays NaN, silently
        warnings.simplefilter("ignore", RuntimeWarning)
        return np.nanmean(stacked, axis=0), np.nanstd(stacked, axis=0)


def common_change_steps(episodes: list[dict]) -> list[int]:
    """Steps where at least half of the episodes change phase (the schedule to mark on a plot)."""
    counts: dict[int, int] = {}
    for episode in episodes:
        for t in _change_steps(episode):
            counts[t] = counts.get(t, 0) + 1
    return sorted(t for t, n in counts.items() if 2 * n >= len(episodes))


def summarise_steps(changes: list[StepChange]) -> dict:
    """How many changes the champion recovered from, how fast (median and slowest), the mean drop and level."""
    recovered = [c.recovery_steps for c in changes if c.recovery_steps is not None]
    drop, level = _finite_mean([c.drop for c in changes]), _finite_mean([c.level for c in changes])
    return {
        "changes": len(changes), "recovered": len(recovered),
        "median_recovery_steps": float(np.median(recovered)) if recovered else None,
        "max_recovery_steps": max(recovered) if recovered else None,
        "mean_drop": drop if np.isfinite(drop) else None,
        "mean_level": level if np.isfinite(level) else None,
    }


def markdown_steps(key: str, changes: list[StepChange], summary: dict) -> str:
    lines = [
        (
            f"Adaptivity within an episode on `{key}`: {summary['changes']} changes, the champion regained {RECOVERED:.0%} of the drop "
            f"in {summary['recovered']} of them (median {summary['median_recovery_steps']} steps, at most {summary['max_recovery_steps']})."
        ),
        "",
        f"| episode | change at step | phase | before | first after | drop | steps to recover {RECOVERED:.0%} | level (mean over the phase) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    lines += [
        f"| {c.episode} | {c.step} | {c.phase:g} | {c.before:.4g} | {c.after:.4g} | {c.drop:.4g} | {_steps(c.recovery_steps)} | {c.level:.4g} |"
        for c in changes
    ]
    return "\n".join(lines) + "\n"


def _steps(count: int | None) -> str:
    return "not within the phase" if count is None else str(count)


def plot_step_curves(curves: dict[str, list[dict]], key: str, path) -> Path:
    """Each label's mean score per step with a ±1 std band, the first label's common changes marked."""
    path = Path(path)
    higher = higher_is_better(key)
    fig, ax = plt.subplots(figsize=(9, 4))
    means = []
    for label, episodes in curves.items():
        mean, std = mean_curve(episodes, key)
        if not mean.size:
            continue
        steps = np.arange(1, mean.size + 1)
        (line,) = ax.plot(steps, mean, label=f"{label} (mean of {len(episodes)})")
        ax.fill_between(steps, mean - std, mean + std, color=line.get_color(), alpha=0.2, lw=0)
        means.append((mean, std))
    first = next(iter(curves.values()), [])
    for n, t in enumerate(common_change_steps(first)):
        ax.axvline(t + 1, color="0.3", lw=1, ls=":", label="world changes" if n == 0 else None)  # x is 1-based
    values = np.concatenate([m for m, _ in means]) if means else np.array([])
    values = values[np.isfinite(values)]
    if not higher and values.size and (values > 0).all():
        ax.set_yscale("log")
        # a band reaching below zero would vanish on a log axis: keep it above the smallest mean
        ax.set_ylim(bottom=values.min() / 2)
    ax.set_xlabel("step")
    ax.set_ylabel(f"{key} ({'higher' if higher else 'lower'} is better{', log' if ax.get_yscale() == 'log' else ''})")
    ax.set_title("adaptivity within an episode")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path
