"""scripts/simple_tag_coevolution.py on a tiny budget: both roles' ladders, the plot and the chase."""

import json
import os
import subprocess
import sys
from pathlib import Path

from PIL import Image

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "simple_tag_coevolution.py"


def test_the_chase_study_writes_both_ladders_and_the_chase(tmp_path):
    args = ["--generations", "3", "--ladder-every", "1", "--predators", "6", "--prey", "6", "--out", str(tmp_path)]
    proc = subprocess.run([sys.executable, str(SCRIPT), *args], check=False, capture_output=True, text=True, timeout=300, env={**os.environ, "SDL_VIDEODRIVER": "dummy"})
    assert proc.returncode == 0, proc.stderr
    result = json.loads((tmp_path / "simple_tag.json").read_text())
    assert [g for g, _ in result["ladders"]["adversary"]] == [0, 1, 2] and [g for g, _ in result["ladders"]["agent"]] == [0, 1, 2]
    assert result["ladders"]["agent"][0][1] == 25.0  # the first champion is the scale's fixed point
    assert Image.open(tmp_path / "chase.gif").n_frames == 26 and (tmp_path / "progress.png").is_file()
    assert "commit" in (tmp_path / "simple_tag.md").read_text()
