"""`eve-arena coevolve`: a population per role, from the command line to the run directory and back."""

import json
import re

import numpy as np
import pytest
from PIL import Image

from eve_arena.cli import main
from eve_arena.coevolve_run import run_coevolution
from eve_arena.runs import read_metrics

SMALL_TOY = ["--population", "solver=8", "--population", "challenger=6", "--env-arg", "batch_size=32", "--env-arg", "max_steps=2", "--env-arg", "num_solvers=4",
             "--env-arg", "num_challengers=2", "--hall-of-fame", "2", "--ladder-every", "2", "--anchor-every", "2", "--ladder-episodes", "1", "--no-progress"]
SMALL_TAG = ["--world", "mpe2.simple_tag_v3:parallel_env", "--env-arg", "continuous_actions=True", "--env-arg", "max_cycles=5", "--env-arg", "num_adversaries=2",
             "--population", "adversary=6", "--population", "agent=6", "--hidden", "adversary=8", "--hidden", "agent=8", "--pairing", "adversary=paired",
             "--hall-of-fame", "1", "--ladder-every", "1", "--anchor-every", "1", "--ladder-episodes", "1", "--no-progress"]


def test_a_toy_coevolution_writes_its_run_and_a_killed_one_resumes_bit_for_bit(tmp_path, capsys):
    whole, killed = tmp_path / "whole", tmp_path / "killed"
    assert main(["coevolve", "--out", str(whole), "--generations", "5", "--checkpoint-every", "2", *SMALL_TOY]) == 0
    out = capsys.readouterr().out
    assert "solver ladder_rating" in out and "champion heldout_loss" in out
    for name in ("config.json", "metrics.jsonl", "champion_solver.safetensors", "champion_challenger.safetensors", "plots/progress.png"):
        assert (whole / name).is_file(), name
    rows = read_metrics(whole)
    assert [r["generation"] for r in rows] == [0, 1, 2, 3, 4]
    assert {"solver/ladder_rating", "challenger/ladder_rating", "solver/return_median", "challenger/regret_median"} <= set(rows[4])
    config = json.loads((whole / "config.json").read_text())
    assert config["roles"]["solver"]["population"] == 8 and config["provenance"]["command"]

    # Killed after three generations: its checkpoint is of generation 2, and the line of generation 2 is replayed.
    killed.mkdir()
    (killed / "config.json").write_text((whole / "config.json").read_text())
    run_coevolution(killed, progress=False, stop_after=3)
    assert len(read_metrics(killed)) == 3
    assert main(["resume", str(killed), "--no-progress"]) == 0
    assert read_metrics(killed) == rows


def test_the_chase_co_evolves_and_renders(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("SDL_VIDEODRIVER", "dummy")
    run = tmp_path / "tag"
    assert main(["coevolve", "--out", str(run), "--generations", "3", *SMALL_TAG]) == 0
    rows = read_metrics(run)
    assert {"adversary/ladder_rating", "agent/ladder_rating", "adversary/return_median", "agent/return_median"} <= set(rows[-1])
    assert not any(k.startswith("champion/") for k in rows[-1])  # no held-out task in MPE: the ladders measure it
    gif = tmp_path / "chase.gif"
    assert main(["render", str(run), "--gif", str(gif)]) == 0
    frames = Image.open(gif)
    assert frames.n_frames == 6  # the reset and five steps
    frame = np.asarray(frames.convert("RGB"))
    assert frame.shape[0] > 100 and len(np.unique(frame.reshape(-1, 3), axis=0)) > 10


def test_the_toy_challenge_renders_its_champions(tmp_path, monkeypatch):
    monkeypatch.setenv("SDL_VIDEODRIVER", "dummy")
    run = tmp_path / "co"
    assert main(["coevolve", "--out", str(run), "--generations", "2", *SMALL_TOY]) == 0
    assert main(["render", str(run), "--frames", str(tmp_path / "frames")]) == 0
    frames = sorted((tmp_path / "frames").glob("*.png"))
    assert len(frames) == 3 and Image.open(frames[-1]).size[0] >= 1000


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["coevolve", "--world", "eve_arena/toy_quadratic-v0", "--print-config"], "has one role \\(agent\\): co-evolution needs a world with roles"),
        (["coevolve", "--population", "prey=3", "--print-config"], "populations names prey, not a role of eve_arena/toy_challenge-v0 \\(its roles: solver, challenger\\)"),
        (["coevolve", "--population", "solver", "--print-config"], "expected ROLE=N"),
        (["coevolve", "--pairing", "solver=both", "--print-config"], "pairing must map roles"),
        (["coevolve", "--generations", "2"], "--out is required"),
        (["tournament", "--env", "eve_arena/toy_challenge-v0", "--out", "unused"], "eve-arena coevolve --world"),
    ],
)
def test_bad_input_is_one_line(argv, message, capsys):
    try:
        code = main(argv)
    except SystemExit as exc:  # argparse's own refusals
        code = exc.code
    assert code == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert re.search(message, err), err
