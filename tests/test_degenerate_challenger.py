"""scripts/degenerate_challenger.py: the probe pays nothing for a share no solver can answer, and
the script on a tiny budget writes a row per choice and a verdict that reads its own numbers."""

import json
import math
import re
import subprocess
import sys
from pathlib import Path

import numpy as np

SCRIPTS = Path(__file__).resolve().parents[1] / "scripts"
sys.path.insert(0, str(SCRIPTS))

from degenerate_challenger import DEGENERATE, FIXED_CHOICES, choices_for, probe, settings  # noqa: E402


class ExactWithin:
    """k solvers that answer f = 10x^2 + 2 for |x| <= 3, solver i off by 0.1 * i there, and 0 beyond."""

    size = 4

    def reset(self) -> None:
        pass

    def act(self, observations: list, action_space) -> list:
        x = np.asarray(observations[0]["x"], np.float64)
        return [np.where(np.abs(x) <= 3, 10 * x**2 + 2 + 0.1 * i, 0.0).astype(np.float32) for i in range(self.size)]


def test_the_probe_pays_nothing_beyond_what_any_solver_answers():
    rows = probe(ExactWithin(), choices_for(settings()["chosen"]), settings()["chosen"], episodes=3)
    by = {row["choice"]: row for row in rows}
    assert by[DEGENERATE]["pay"] == 0 and by[DEGENERATE]["within_reach"] == 0  # x near 4: every solver answers 0, out of reach
    assert by["mid"]["within_reach"] == 1 and by["mid"]["pay"] > 0  # x near 2: the best is exact, the median is not
    assert by[DEGENERATE]["spread"] == 0.5 and by[DEGENERATE]["center"] == 4.0


def test_the_script_writes_a_row_per_choice_and_a_verdict_from_its_numbers(tmp_path):
    args = ["--generations", "2", "--episodes", "2", "--seeds", "0", "1", "--out", str(tmp_path)]
    proc = subprocess.run([sys.executable, str(SCRIPTS / "degenerate_challenger.py"), *args], check=False, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    result = json.loads((tmp_path / "degenerate.json").read_text())
    text = (tmp_path / "degenerate.md").read_text()
    assert "commit" in result["meta"]["provenance"] and result["meta"]["seeds"] == [0, 1]
    assert set(result["results"]) == {"chosen", "bounded", "old"}
    for setting, found in result["results"].items():
        names = [row["choice"] for row in found["summary"]]
        assert names == [name for name, _, _ in FIXED_CHOICES] + ["evolved challengers' median"]
        assert sorted(row["rank"] for row in found["summary"]) == list(range(1, len(names) + 1))
        for row in found["summary"]:
            assert all(math.isfinite(p) for p in row["pay"]) and len(row["pay"]) == 2
            assert all(0 <= w <= 1 for w in row["within_reach"])
            assert f"| {row['choice']} |" in text
        pays = {row["choice"]: row["pay_median"] for row in found["summary"]}
        others = [p for name, p in pays.items() if name != DEGENERATE]
        verdict = found["verdict"]
        assert verdict["loses"] == (pays[DEGENERATE] < max(others)) and verdict["best_other_pay"] == max(others)
        assert verdict["below_median"] == (pays[DEGENERATE] < float(np.median(others)))
        line = next(line for line in text.splitlines() if line.startswith(f"- {setting}:"))
        assert re.search(r"it \*\*(loses|loses to the best, not to the median|does not lose)\*\*", line) and verdict["outcome"] in line
        assert ("not less than the best" in line) == (not verdict["loses"])
