"""How adaptive a run was: for each change of its world, the drop, the recovery, the area.

Works from a run directory's files alone. Between generations it reads ``metrics.jsonl``, for
any environment whose metrics carry a phase (``env/phase``: our changing worlds, or a
plugged-in env with a ``phase`` attribute) and a score; within an episode it reads the
champion's evaluation episodes in ``eval.jsonl`` (``episode_changes``), whose steps carry the
phase they were played in. For each change between generations (a generation whose phase has a
new integer part):

- ``drop``: the score in the generation before the change minus the score in its first
  generation (for a loss, the other way round), so a positive drop is a loss of skill;
- ``recovery_generations``: generations from the change until the score is back to 90% of its
  level before it (accuracy >= 0.9 x before; loss <= before / 0.9); ``None`` if it never is
  before the next change or the end of the run;
- ``area``: the mean score over the phase that the change starts (the area under the score
  curve per generation), comparable between runs with the same schedule.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from eve_arena import episode_changes
from eve_arena.errors import UserError

SCORES = {
    # key: (population key, higher is better)
    "champion/heldout_accuracy": ("population/heldout_accuracy_median", True),
    "champion/heldout_loss": ("population/heldout_loss_median", False),
}
RECOVERED = 0.9


@dataclass
class Change:
    generation: int
    """The first generation of the new phase."""
    phase: float
    before: float
    after: float
    drop: float
    recovery_generations: int | None
    area: float
    population_before: float
    population_after: float
    population_drop: float
    population_recovery_generations: int | None


def score_key(rows: list[dict], key: str | None = None) -> str:
    """The champion score to report on: ``key`` if given, else held-out accuracy, else held-out loss."""
    if key is not None:
        if not any(key in r for r in rows):
            raise UserError(f"no {key!r} in the run's metrics; keys there: {', '.join(sorted(rows[-1]))}")
        return key
    for candidate in SCORES:
        if any(candidate in r for r in rows):
            return candidate
    raise UserError("the run's metrics have no held-out score (its environment has no task with heldout()); name a metric with --score")


def population_and_direction(key: str) -> tuple[str | None, bool]:
    """``(the population's matching metric or None, whether higher is better)`` for a score key."""
    return SCORES.get(key, (None, not key.endswith("loss")))


def analyse(rows: list[dict], key: str | None = None) -> tuple[str, list[Change]]:
    """``(score key, one Change per change of phase)`` from a run's metric rows."""
    if not any("env/phase" in r for r in rows):
        raise UserError("the run's metrics have no env/phase: its environment does not change (use a changing world such as eve_arena/toy_switch-v0)")
    key = score_key(rows, key)
    if key in SCORES and not all(key in r for r in rows):
        raise UserError(f"the run scored its champion's {key} only every few generations (heldout_every); a recovery is counted in generations, so run it with --heldout-every 1")
    population_key, higher = population_and_direction(key)
    generations = np.array([r["generation"] for r in rows])
    phases = np.array([r.get("env/phase", np.nan) for r in rows], dtype=float)
    scores = np.array([r.get(key, np.nan) for r in rows], dtype=float)
    population = np.array([r.get(population_key, np.nan) for r in rows], dtype=float) if population_key else np.full(len(rows), np.nan)
    starts = [i for i in range(1, len(rows)) if np.floor(phases[i]) != np.floor(phases[i - 1])]
    changes = []
    for n, i in enumerate(starts):
        end = starts[n + 1] if n + 1 < len(starts) else len(rows)
        phase_scores = scores[i:end]
        changes.append(
            Change(
                generation=int(generations[i]), phase=float(phases[i]), before=float(scores[i - 1]), after=float(scores[i]),
                drop=_drop(scores[i - 1], scores[i], higher), recovery_generations=_recovery(scores[i - 1], phase_scores, higher),
                area=float(np.nanmean(phase_scores)),
                population_before=float(population[i - 1]), population_after=float(population[i]),
                population_drop=_drop(population[i - 1], population[i], higher), population_recovery_generations=_recovery(population[i - 1], population[i:end], higher),
            )
        )
    return key, changes


def _drop(before: float, after: float, higher: bool) -> float:
    return float(before - after) if higher else float(after - before)


def recovery_level(before: float, higher: bool) -> float:
    """The score that counts as back: 90% of an accuracy, a loss over 0.9."""
    return RECOVERED * before if higher else before / RECOVERED


def _recovery(before: float, scores: np.ndarray, higher: bool) -> int | None:
    if not np.isfinite(before):
        return None
    level = recovery_level(before, higher)
    back = scores >= level if higher else scores <= level
    hits = np.flatnonzero(back)
    return int(hits[0]) if hits.size else None


def report(run_dir: Path, key: str | None = None, step_key: str | None = None) -> dict:
    """Analyses ``run_dir``, writes ``adaptivity.json``, ``adaptivity.md`` and ``plots/adaptivity.png``
    (between generations) and ``plots/adaptivity_steps.png`` (within episodes) there, returns the report."""
    from eve_arena.runs import EVAL_FILE, read_metrics

    rows = read_metrics(run_dir)
    if not rows:
        raise UserError(f"{run_dir} has no metrics.jsonl rows: is it a run directory made by `eve-arena tournament`?")
    return write_report(rows, run_dir, key, evaluations=read_metrics(run_dir, EVAL_FILE), step_key=step_key)


def changes_between_generations(rows: list[dict]) -> bool:
    phases = {np.floor(r["env/phase"]) for r in rows if "env/phase" in r and np.isfinite(r["env/phase"])}
    return len(phases) > 1


def write_report(rows: list[dict], directory: Path, key: str | None = None, evaluations: list[dict] | None = None, step_key: str | None = None) -> dict:
    """``report`` for metric rows from anywhere (a tournament's, or ``train.backprop_through_changes``'s),
    and the evaluation records of its champions, written to ``directory``."""
    within = within_episodes(evaluations or [], step_key)
    if within is None and not changes_between_generations(rows):
        if not any("env/phase" in r for r in rows):
            raise UserError("the run's metrics have no env/phase and its evaluation episodes no phase: its world does not change (use a changing world such as eve_arena/toy_switch-v0, or report a phase)")
        raise UserError("the world's phase never changed, between generations or within the champion's evaluation episodes: nothing to report")
    directory.mkdir(parents=True, exist_ok=True)
    from eve_arena.plots import PLOT_DIR, plot_adaptivity

    (directory / PLOT_DIR).mkdir(exist_ok=True)
    result, text = {}, []
    if changes_between_generations(rows):
        key, changes = analyse(rows, key)
        summary = {"run": str(directory), "score": key, **summarise(changes)}
        result.update(summary=summary, changes=[asdict(c) for c in changes])
        text.append(markdown(key, changes, summary))
        population_key, higher = population_and_direction(key)
        levels = [recovery_level(c.before, higher) for c in changes]
        plot_adaptivity(rows, key, population_key, changes, levels, directory / PLOT_DIR / "adaptivity.png", higher)
    else:
        result["summary"] = {"run": str(directory), "changes": 0}
        text.append(f"The world of {directory} did not change between generations.\n")
    if within is not None:
        result["within_episode"] = within["report"]
        text.append(within["markdown"])
        episode_changes.plot_step_curves(within["curves"], within["report"]["score"], directory / PLOT_DIR / "adaptivity_steps.png")
    (directory / "adaptivity.json").write_text(json.dumps(result, indent=2) + "\n")
    (directory / "adaptivity.md").write_text("\n".join(text))
    return result


def within_episodes(evaluations: list[dict], step_key: str | None = None) -> dict | None:
    """The changes inside the last evaluation's episodes (None when none has any), with the
    first and last evaluations' step curves to draw."""
    if not evaluations:
        return None
    last = evaluations[-1]
    episodes = [e for entry in last["field"].values() for e in entry["episodes"]]
    if not episode_changes.step_changes(episodes):
        return None
    key = step_key or default_step_key(episodes)
    changes = episode_changes.step_changes(episodes, key)
    summary = episode_changes.summarise_steps(changes)
    curves = {f"champion of generation {ev['generation']}": [e for entry in ev["field"].values() for e in entry["episodes"]] for ev in (evaluations[0], last)}
    report = {"score": key, "generation": last["generation"], "episodes": len(episodes), **summary, "changes_detail": [asdict(c) for c in changes]}
    heading = f"\nWithin the evaluation episodes of the champion of generation {last['generation']} ({len(episodes)} episodes):\n\n"
    return {"report": report, "markdown": heading + episode_changes.markdown_steps(key, changes, summary), "curves": curves}


def default_step_key(episodes: list[dict]) -> str:
    """A loss the world reports per step (``mse``, ``loss``, ...), else the reward."""
    infos = episodes[0]["infos"] if episodes else {}
    losses = [k for k in infos if not episode_changes.higher_is_better(k)]
    return losses[0] if losses else "reward"


def summarise(changes: list[Change]) -> dict:
    """How many changes the champion recovered from, how fast (median and slowest), the mean drop."""
    recovered = [c.recovery_generations for c in changes if c.recovery_generations is not None]
    return {
        "changes": len(changes), "recovered": len(recovered),
        "median_recovery_generations": float(np.median(recovered)) if recovered else None,
        "max_recovery_generations": max(recovered) if recovered else None,
        "mean_drop": float(np.nanmean([c.drop for c in changes])) if changes else None,
    }


def markdown(key: str, changes: list[Change], summary: dict) -> str:
    lines = [
        (
            f"Adaptivity of {summary['run']} on `{key}`: {summary['changes']} changes, the champion back to {RECOVERED:.0%} of its level "
            f"before the change in {summary['recovered']} of them (median {summary['median_recovery_generations']} generations, at most {summary['max_recovery_generations']})."
        ),
        "",
        "| change at generation | phase | champion before | first after | drop | generations to 90% | area (mean over the phase) | population drop | population generations to 90% |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    lines += [
        f"| {c.generation} | {c.phase:g} | {c.before:.4g} | {c.after:.4g} | {c.drop:.4g} | {_generations(c.recovery_generations)} | {c.area:.4g} | {c.population_drop:.4g} | {_generations(c.population_recovery_generations)} |"
        for c in changes
    ]
    return "\n".join(lines) + "\n"


def _generations(count: int | None) -> str:
    return "not within the phase" if count is None else str(count)
