"""Changes within an episode: drops, recoveries and levels per step, on synthetic episodes."""

import math

import numpy as np
import pytest

from eve_arena.episode_changes import (
    common_change_steps,
    episode_scores,
    higher_is_better,
    markdown_steps,
    mean_curve,
    plot_step_curves,
    step_changes,
    summarise_steps,
)
from eve_arena.errors import UserError


def episode(reward, phase=None, **infos):
    record = {"reward": reward, "infos": infos}
    if phase is not None:
        record["phase"] = phase
    return record


def test_a_negative_reward_recovers_when_it_regains_ninety_percent_of_the_drop():
    (change,) = step_changes([episode([1, 1, 1, -3, -1, 0.7, 1], [0, 0, 0, 1, 1, 1, 1])])
    assert (change.episode, change.step, change.phase) == (0, 3, 1.0)
    assert change.before == 1 and change.after == -3 and change.drop == pytest.approx(4)
    assert change.recovery_steps == 2  # 0.7 >= 1 - 0.1 * 4 = 0.6; -1 is not
    assert change.level == pytest.approx((-3 - 1 + 0.7 + 1) / 4)


def test_a_loss_in_the_infos_is_lower_is_better():
    assert not higher_is_better("mse") and not higher_is_better("val_loss") and not higher_is_better("regret")
    assert higher_is_better("reward") and higher_is_better("return") and higher_is_better("accuracy")
    ep = episode([0] * 5, [0, 0, 1, 1, 1], mse=[0.1, 0.1, 2.1, 0.5, 0.2])
    (change,) = step_changes([ep], "mse")
    assert change.drop == pytest.approx(2.0)
    assert change.recovery_steps == 2  # 0.2 <= 0.1 + 0.1 * 2 = 0.3; 0.5 is not


def test_a_change_not_recovered_before_the_next_one_or_the_end_is_none():
    ep = episode([1, 1, 0, 0.2, 1, 0, 0.1], [0, 0, 1, 1, 2, 3, 3])
    first, second, third = step_changes([ep])
    assert first.step == 2 and first.recovery_steps is None  # the 1 at step 4 is already phase 2
    assert second.step == 4 and second.drop == pytest.approx(-0.8) and second.recovery_steps == 0  # a gain is no loss
    assert third.step == 5 and third.recovery_steps is None  # 0.1 < 0.9 at the episode's end
    summary = summarise_steps([first, second, third])
    assert summary["changes"] == 3 and summary["recovered"] == 1 and summary["max_recovery_steps"] == 0


def test_no_change_and_no_phase_give_no_changes():
    assert step_changes([episode([1, 2, 3], [0, 0.4, 0.9])]) == []  # same integer part throughout
    assert step_changes([episode([1, 2, 3])]) == []
    assert common_change_steps([episode([1, 2, 3])]) == []
    summary = summarise_steps([])
    assert summary["changes"] == 0 and all(summary[k] is None for k in ("median_recovery_steps", "max_recovery_steps", "mean_drop", "mean_level"))


def test_changes_in_several_episodes_at_different_steps():
    episodes = [
        episode([1, 1, 0, 1, 1, 1], [0, 0, 1, 1, 1, 1]),
        episode([2, 2, 2, 2, 0, 2], [0, 0, 0, 0, 1, 1]),
        episode([3, 3, 0, 3, 0, 3], [0, 0, 1, 1, 2, 2]),
    ]
    changes = step_changes(episodes)
    assert [(c.episode, c.step) for c in changes] == [(0, 2), (1, 4), (2, 2), (2, 4)]
    assert [c.drop for c in changes] == [1, 2, 3, 3] and all(c.recovery_steps == 1 for c in changes)
    assert common_change_steps(episodes) == [2, 4]  # each in two of the three episodes
    assert common_change_steps(episodes[:1] + [episode([1] * 6, [0] * 6)] * 2) == []  # one in three is not half


def test_nan_scores_and_phases():
    ep = episode([1, float("nan"), 1, 1, 0, float("nan"), 1], [0, 0, 1, 1, float("nan"), 2, 2])
    first, second = step_changes([ep])
    assert first.step == 2 and math.isnan(first.drop) and first.recovery_steps is None  # no score before it
    assert first.level == pytest.approx(2 / 3)  # steps 2-4: 1, 1, 0 (the NaN-phase step stays in phase 1)
    # the NaN phase at step 4 is skipped: step 5 (phase 2) is compared with step 3 (phase 1)
    assert second.step == 5 and second.phase == 2 and math.isnan(second.drop) and second.recovery_steps is None
    assert second.level == 1.0  # the NaN score at step 5 is left out
    summary = summarise_steps([first, second])
    assert summary["mean_drop"] is None and summary["recovered"] == 0 and summary["mean_level"] == pytest.approx((2 / 3 + 1) / 2)
    (late,) = step_changes([episode([1, 0, float("nan"), 0.95], [0, 1, 1, 1])])
    assert late.recovery_steps == 2  # the NaN step is not back; 0.95 >= 1 - 0.1 is


def test_mean_curve_over_unequal_lengths_ignores_nans():
    mean, std = mean_curve([episode([1, 2, 3, 4]), episode([3, float("nan"), 5]), episode([2, 2, float("nan")])])
    assert mean.shape == (3,) and std.shape == (3,)
    assert mean == pytest.approx([2, 2, 4]) and std[1] == 0 and std[0] == pytest.approx(np.std([1, 3, 2]))
    mean, _ = mean_curve([episode([0, 0], mse=[float("nan"), 1.0])], "mse")
    assert math.isnan(mean[0]) and mean[1] == 1.0
    assert mean_curve([])[0].size == 0


def test_a_missing_key_is_one_line_naming_the_keys_there():
    with pytest.raises(UserError, match=r"no 'accuracy'.*reward, mse") as raised:
        episode_scores(episode([1], mse=[0.1]), "accuracy")
    assert "\n" not in str(raised.value)


def test_markdown_has_one_row_per_change():
    changes = step_changes([episode([1, 1, -3, 1, 1, 0, 0], [0, 0, 1, 1, 1, 2, 2])])
    text = markdown_steps("reward", changes, summarise_steps(changes))
    rows = [line for line in text.splitlines() if line.startswith("| ") and line[2].isdigit()]
    assert len(rows) == len(changes) == 2
    assert "2 changes" in text and "not within the phase" in rows[1]


def test_the_plot_is_written(tmp_path):
    plastic = [episode([1, 1, -3, 0, 1, 1], [0, 0, 1, 1, 1, 1], mse=[0.1, 0.1, 3, 1, 0.2, 0.1]) for _ in range(3)]
    fixed = [episode([1, 1, -3, -3, -3, -3], [0, 0, 1, 1, 1, 1], mse=[0.1, 0.1, 3, 3, 3, 3]) for _ in range(3)]
    for key in ("reward", "mse"):
        path = plot_step_curves({"plastic champion": plastic, "fixed champion": fixed}, key, tmp_path / "plots" / f"{key}.png")
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and path.stat().st_size > 1000
