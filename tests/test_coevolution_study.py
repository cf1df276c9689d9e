"""scripts/coevolution_study.py on a tiny budget, in both worlds: every arm runs, and the verdict
reads the world's score the right way up (MSE lower is better, accuracy higher)."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPTS = Path(__file__).resolve().parents[1] / "scripts"


@pytest.mark.parametrize("world", ["toy", "mnist"])
def test_the_study_runs_both_arms_and_judges_them(world, tmp_path):
    args = ["--world", world, "--generations", "2", "--every", "1", "--seeds", "0", "--reach", "4", "--out", str(tmp_path)]
    proc = subprocess.run([sys.executable, str(SCRIPTS / "coevolution_study.py"), *args], check=False, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    result = json.loads((tmp_path / "coevolution.json").read_text())
    assert [row["arm"] for row in result["summary"]] == ["fixed", "coevolved (reach 4)"]
    assert result["meta"]["world"] == world and "commit" in result["meta"]["provenance"]
    for run in result["runs"]:
        assert set(run["final"]) == {"original_heldout", "wide_heldout", "original_test", "wide_test"}
        assert [c["generation"] for c in run["curve"]] == [1, 2]
    assert "target **" in (tmp_path / "coevolution.md").read_text() and (tmp_path / "coevolution.png").is_file()


def test_the_verdict_reads_accuracy_up_and_loss_down():
    sys.path.insert(0, str(SCRIPTS))
    from coevolution_study import verdicts

    def row(arm, original, wide):
        return {"arm": arm, "original_heldout_median": original, "wide_heldout_median": wide}

    assert "target **met**" in verdicts([row("fixed", 0.90, 0.60), row("c", 0.85, 0.70)], "mnist", [])[0]  # 5.6% less accuracy: within 10%
    assert "target **missed**" in verdicts([row("fixed", 0.90, 0.60), row("c", 0.80, 0.70)], "mnist", [])[0]  # 11% less
    assert "target **met**" in verdicts([row("fixed", 1.0, 30.0), row("c", 1.05, 20.0)], "toy", [])[0]
    assert "target **missed**" in verdicts([row("fixed", 1.0, 30.0), row("c", 0.9, 31.0)], "toy", [])[0]  # not better on the wide data


def test_the_paired_comparison_counts_seeds_and_tests_them():
    sys.path.insert(0, str(SCRIPTS))
    from coevolution_study import paired

    runs = [{"world": "toy", "arm": "fixed", "seed": s, "final": {"wide_heldout": 10.0}} for s in range(8)]
    runs += [{"world": "toy", "arm": "c", "seed": s, "final": {"wide_heldout": 5.0}} for s in range(8)]
    stats = paired(runs, "c", "wide_heldout")
    assert stats["ratio"] == pytest.approx(0.5) and stats["better"] == 8 and stats["sign_p"] == pytest.approx(2 / 2**8)
    runs[-1]["final"]["wide_heldout"] = 20.0  # one seed worse: 7 of 8, p = 2 * 9 / 256
    assert paired(runs, "c", "wide_heldout")["sign_p"] == pytest.approx(18 / 256)
