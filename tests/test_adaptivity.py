"""The adaptivity report: drops, recoveries and areas from a run's metrics, on synthetic rows and on a real run."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from eve_arena.adaptivity import analyse
from eve_arena.cli import main
from eve_arena.errors import UserError

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "adaptivity.py"


def rows_of(phases, scores, key="champion/heldout_accuracy"):
    return [{"generation": g, "env/phase": p, key: s} for g, (p, s) in enumerate(zip(phases, scores))]


def test_drops_recoveries_and_areas_of_an_accuracy():
    rows = rows_of([0, 0, 0, 1, 1, 1, 1, 2, 2], [0.5, 0.8, 0.9, 0.3, 0.6, 0.82, 0.9, 0.2, 0.4])
    key, changes = analyse(rows)
    assert key == "champion/heldout_accuracy" and [c.generation for c in changes] == [3, 7]
    first, second = changes
    assert first.before == 0.9 and first.after == 0.3 and first.drop == pytest.approx(0.6)
    assert first.recovery_generations == 2  # 0.82 >= 0.9 * 0.9, two generations after the change
    assert first.area == pytest.approx((0.3 + 0.6 + 0.82 + 0.9) / 4)
    assert second.recovery_generations is None  # 0.4 never reaches 0.81 before the run ends


def test_a_loss_recovers_when_it_is_back_under_its_level_over_point_nine():
    rows = rows_of([0, 0, 1, 1, 1], [5.0, 1.0, 50.0, 1.2, 1.1], key="champion/heldout_loss")
    _, (change,) = analyse(rows)
    assert change.drop == pytest.approx(49.0) and change.recovery_generations == 2  # 1.1 <= 1 / 0.9, 1.2 is not


def test_a_gradual_change_counts_once_per_new_integer_phase():
    rows = rows_of([0, 0.5, 1.0, 1.5, 2.0], [0.9] * 5)
    assert [c.generation for c in analyse(rows)[1]] == [2, 4]


def test_a_run_without_a_changing_world_is_a_clear_error():
    with pytest.raises(UserError, match="no env/phase"):
        analyse([{"generation": 0, "champion/heldout_loss": 1.0}])
    with pytest.raises(UserError, match="no held-out score"):
        analyse([{"generation": 0, "env/phase": 0.0}])
    gaps = rows_of([0, 0, 1, 1], [0.5, 0.8, 0.3, 0.6])
    del gaps[1]["champion/heldout_accuracy"]  # a run with heldout_every 2
    with pytest.raises(UserError, match="--heldout-every 1"):
        analyse(gaps)


def test_cli_and_script_report_a_real_run(tmp_path, capsys):
    run = tmp_path / "run"
    args = ["tournament", "--out", str(run), "--env", "eve_arena/toy_switch-v0", "--population", "12", "--generations", "12", "--env-arg", "change_every=4", "--steps", "2", "--no-progress"]
    assert main(args) == 0
    capsys.readouterr()
    assert main(["adaptivity", str(run)]) == 0
    out = capsys.readouterr().out
    report = json.loads((run / "adaptivity.json").read_text())
    assert [c["generation"] for c in report["changes"]] == [4, 8] and "| 4 | 1 |" in out
    assert (run / "plots" / "adaptivity.png").stat().st_size > 10_000
    proc = subprocess.run([sys.executable, str(SCRIPT), str(run)], check=False, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0 and "summary:" in proc.stdout
    assert main(["adaptivity", str(tmp_path)]) == 2  # not a run directory


def test_the_backprop_reference_follows_the_schedule_and_learns_each_phase():
    from eve_arena.envs import make_env
    from eve_arena.genome import GenomeSpec
    from eve_arena.train import backprop_through_changes

    env = make_env("eve_arena/toy_switch-v0", num_agents=1, batch_size=64, max_steps=1, change_every=10)
    rows = backprop_through_changes(GenomeSpec(depth=0), env, 20, steps_per_generation=30, lr=3e-2)
    assert [r["env/phase"] for r in rows] == [0.0] * 10 + [1.0] * 10
    losses = [r["champion/heldout_loss"] for r in rows]
    assert losses[9] < losses[0] / 2 and losses[19] < losses[10]  # it learns the line, then the parabola
    _, changes = analyse(rows)
    assert [c.generation for c in changes] == [10] and changes[0].drop > 0
    assert all(0 <= r["champion/dead_units"] <= 10 for r in rows)  # of the 5 + 5 hidden units
