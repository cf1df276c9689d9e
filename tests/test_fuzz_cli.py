"""The CLI under abuse: bad options, broken plug-ins, damaged run directories.

Every case must end with a non-zero exit, one line on stderr, no traceback, and no file outside
a fresh run directory changed. Fixed cases cover what users have actually sent; hypothesis adds
generated garbage for the options that take values. The counts are printed (``-s``) for notes.
"""

import json
import shutil
import string

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from eve_arena.cli import main

TINY = ["--population", "6", "--generations", "2", "--checkpoint-every", "1", "--env-arg", "batch_size=8", "--no-progress"]
RESULTS = {"tried": 0, "refused": 0, "fell back": 0, "ran": 0}


def snapshot(root):
    """Every file under ``root`` with its bytes (the run directory's flock file aside: taking the lock creates it)."""
    return {p.relative_to(root): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file() and p.name != ".lock"}


def refused(root, argv, capsys, fresh=None):
    """Runs the CLI; asserts exit != 0, one line, no traceback, and nothing changed outside ``fresh``."""
    before = snapshot(root)
    try:
        code = main(argv)
    except SystemExit as exit_:  # argparse's own refusals
        code = exit_.code
    err = capsys.readouterr().err
    after = snapshot(root)
    if fresh is not None:
        after = {p: b for p, b in after.items() if not (root / p).is_relative_to(fresh)}
    RESULTS["tried"] += 1
    assert code not in (0, None), (argv, err)
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1, (argv, err)
    assert after == before, (argv, "files changed")
    RESULTS["refused"] += 1
    return err


@pytest.fixture(scope="module")
def finished_run(tmp_path_factory):
    run = tmp_path_factory.mktemp("made") / "run"
    assert main(["tournament", "--out", str(run), *TINY]) == 0
    return run


@pytest.fixture
def workspace(tmp_path, monkeypatch):
    (tmp_path / "pkg_syntax.py").write_text("def broken(:\n")
    (tmp_path / "pkg_raises.py").write_text("raise RuntimeError('import-time failure')\n")
    (tmp_path / "a_file").write_text("not a directory")
    monkeypatch.syspath_prepend(str(tmp_path))
    return tmp_path


BAD_TOURNAMENT_OPTIONS = [
    ["--device", "cuda"], ["--device", "tpu"], ["--device", "meta"], ["--device", "cpu:cpu"], ["--threads", "100000"], ["--threads", "0"],
    ["--population", "0"], ["--population", "-3"], ["--population", "abc"], ["--population", "100000000"], ["--generations", "0"],
    ["--strategy-arg", "sigma=abc"], ["--strategy", "pgpe", "--strategy-arg", "center_lr=[1,2]"], ["--strategy-arg", "elite=2.5"], ["--strategy-arg", "warp=9"],
    ["--strategy", "nes"], ["--env-arg", "foo=1"], ["--env-arg", "=1"], ["--env-arg", "nokey"], ["--env", "no_such_world-v0"], ["--env", "pkg_syntax:World"],
    ["--env", "pkg_raises:World"], ["--env", "pkg_missing:World"], ["--baseline", "pkg_raises:Agent"], ["--baseline", "oracle"], ["--target", "a,b"],
    ["--target", "0,5"], ["--target", "2,5,1"], ["--target", "1,5,1", "--hidden", "3"], ["--hidden", "0"], ["--eval-every", "0"], ["--io", "sideways"],
    ["--match-size", "100"], ["--sigma", "nan"], ["--sigma-decay", "2"], ["--crossover", "-1"], ["--depth", "3"], ["--steps", "0"], ["--batch-size", "x"],
]


@pytest.mark.parametrize("options", BAD_TOURNAMENT_OPTIONS, ids=lambda o: " ".join(o))
def test_bad_tournament_options(workspace, capsys, options):
    refused(workspace, ["tournament", "--out", str(workspace / "run"), *TINY, *options], capsys)
    assert not (workspace / "run").exists()


@pytest.mark.parametrize("out", ["a_file", ""])
def test_bad_out(workspace, capsys, monkeypatch, out):
    monkeypatch.chdir(workspace)
    refused(workspace, ["tournament", "--out", out, *TINY], capsys)


def damage(run, how: str):
    config = run / "config.json"
    data = json.loads(config.read_text())
    if how == "config is a list":
        config.write_text("[1, 2]")
    elif how == "config is not json":
        config.write_text("{not json")
    elif how == "config depth 0 against depth 1 checkpoints":
        data["genome"]["depth"] = 0
        config.write_text(json.dumps(data))
    elif how == "target is not numbers":
        data["genome"]["target"] = ["a", "b"]
        config.write_text(json.dumps(data))
    elif how == "unknown config field":
        data["warp"] = 9
        config.write_text(json.dumps(data))
    elif how == "bad device in config":
        data["device"] = "tpu"
        config.write_text(json.dumps(data))
    elif how == "every checkpoint garbage":
        for path in (run / "checkpoints").glob("*.safetensors"):
            path.write_bytes(b"garbage")
    elif how == "checkpoints deleted":
        shutil.rmtree(run / "checkpoints")
    elif how == "population edited":
        data["population"] = 8
        config.write_text(json.dumps(data))
    elif how == "seed edited":
        data["seed"] = 7
        config.write_text(json.dumps(data))
    else:
        raise ValueError(how)


DAMAGES = ["config is a list", "config is not json", "config depth 0 against depth 1 checkpoints", "target is not numbers", "unknown config field",
           "bad device in config", "every checkpoint garbage", "checkpoints deleted", "population edited", "seed edited"]


@pytest.mark.parametrize("how", DAMAGES)
@pytest.mark.parametrize("command", ["resume", "render"])
def test_damaged_run_directories(finished_run, tmp_path, capsys, how, command):
    run = tmp_path / "run"
    shutil.copytree(finished_run, run)
    damage(run, how)
    argv = ["resume", str(run), "--generations", "3", "--no-progress"] if command == "resume" else ["render", str(run), "--frames", str(tmp_path / "frames")]
    refused(tmp_path, argv, capsys)


FALLBACKS = ["newest checkpoint garbage", "newest checkpoint's generation edited", "newest checkpoint from another run", "a garbage newer checkpoint", "a cut-off metrics line"]


def fall_back(run, other, how: str):
    from eve_arena import checkpoint

    newest = checkpoint.list_checkpoints(run / "checkpoints")[-1]
    if how == "newest checkpoint garbage":
        newest.write_bytes(newest.read_bytes()[:-40] + b"x" * 40)
    elif how == "newest checkpoint's generation edited":
        from tests.test_run_dirs import edit_meta

        edit_meta(newest, lambda meta: meta.update(generation=meta["generation"] + 7))
    elif how == "newest checkpoint from another run":
        newest.write_bytes(checkpoint.list_checkpoints(other / "checkpoints")[-1].read_bytes())
    elif how == "a garbage newer checkpoint":
        (run / "checkpoints" / "gen_999999.safetensors").write_bytes(b"garbage")
    elif how == "a cut-off metrics line":
        with open(run / "metrics.jsonl", "a") as f:
            f.write('{"generation": 2, "fitn')


@pytest.mark.parametrize("how", FALLBACKS)
def test_damage_that_falls_back_to_an_older_checkpoint_with_a_warning(finished_run, tmp_path_factory, tmp_path, capsys, how):
    other = tmp_path_factory.mktemp("other") / "run"
    assert main(["tournament", "--out", str(other), *TINY, "--population", "8"]) == 0
    run = tmp_path / "run"
    shutil.copytree(finished_run, run)
    capsys.readouterr()
    fall_back(run, other, how)
    if "checkpoint" in how:
        with pytest.warns(UserWarning, match="resuming from the older"):
            code = main(["resume", str(run), "--generations", "3", "--no-progress"])
    else:
        code = main(["resume", str(run), "--generations", "3", "--no-progress"])
    err = capsys.readouterr().err
    assert code == 0 and "Traceback" not in err, err
    assert "checkpoint" in how or "1 unreadable line(s) left out" in err, err
    RESULTS["tried"] += 1
    RESULTS["fell back"] += 1


def test_render_to_the_wrong_kind_of_path(finished_run, tmp_path, capsys):
    (tmp_path / "frames_file").write_text("x")
    (tmp_path / "gif_dir").mkdir()
    refused(tmp_path, ["render", str(finished_run), "--frames", str(tmp_path / "frames_file")], capsys)
    refused(tmp_path, ["render", str(finished_run), "--gif", str(tmp_path / "gif_dir")], capsys)
    refused(tmp_path, ["resume", str(tmp_path / "nowhere")], capsys)


garbage = st.text(alphabet=string.printable, max_size=12)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(option=st.sampled_from(["--population", "--generations", "--seed", "--target", "--hidden", "--sigma", "--threads", "--device", "--strategy-arg", "--env-arg", "--eval-every", "--io"]), value=garbage)
def test_generated_garbage_is_refused_or_runs(workspace, capsys, option, value):
    """Garbage either runs (then it was valid after all) or is refused cleanly; it never crashes."""
    run = workspace / "garbage_run"
    if run.exists():
        shutil.rmtree(run)
    before = snapshot(workspace)
    try:
        code = main(["tournament", "--out", str(run), *TINY, option, value])
    except SystemExit as exit_:
        code = exit_.code
    err = capsys.readouterr().err
    assert "Traceback" not in err
    if code:
        assert len(err.strip().splitlines()) == 1, (option, value, err)
        assert snapshot(workspace) == before
    RESULTS["tried"] += 1
    RESULTS["refused" if code else "ran"] += 1


def test_report_counts():
    """Runs last in this file: every case tried ended one of three ways (with ``-s`` it prints the counts)."""
    print(f"fuzz: tried {RESULTS['tried']}, refused in one line {RESULTS['refused']}, fell back {RESULTS['fell back']}, generated garbage that was valid and ran {RESULTS['ran']}")
    assert RESULTS["tried"] == RESULTS["refused"] + RESULTS["fell back"] + RESULTS["ran"]
