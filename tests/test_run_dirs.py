"""Run directories under abuse: nothing a user already has is overwritten, no readable row is lost, one writer at a time."""

import json

import pytest

from eve_arena.cli import main
from eve_arena.errors import UserError
from eve_arena.runs import METRICS_FILE, read_metrics, run_arena, start_run
from eve_arena.run_lock import RunLock

TINY = ["--population", "6", "--generations", "4", "--checkpoint-every", "2", "--env-arg", "batch_size=16", "--no-progress"]


def snapshot(directory):
    return {p.relative_to(directory): p.read_bytes() for p in sorted(directory.rglob("*")) if p.is_file()}


def one_line_refusal(capsys, code, *words):
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and "Traceback" not in err, err
    for word in words:
        assert word in err, err


def test_a_directory_with_the_users_files_is_never_written(tmp_path, capsys):
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "champion.safetensors").write_bytes(b"my own file")
    (mine / METRICS_FILE).write_text('{"loss": 1}\n')
    before = snapshot(mine)
    one_line_refusal(capsys, main(["tournament", "--out", str(mine), *TINY]), "is not empty", "choose another --out")
    assert snapshot(mine) == before


def test_out_that_is_empty_or_a_file_is_refused(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit) as refused:  # argparse's own refusal, in one line
        main(["tournament", "--out", "", *TINY])
    one_line_refusal(capsys, refused.value.code, "argument --out: must name a directory, got ''")
    assert list(tmp_path.iterdir()) == []
    (tmp_path / "a_file").write_text("x")
    one_line_refusal(capsys, main(["tournament", "--out", "a_file", *TINY]), "is a file")
    assert (tmp_path / "a_file").read_text() == "x"


def test_an_empty_directory_is_fine(tmp_path):
    (tmp_path / "empty").mkdir()
    assert main(["tournament", "--out", str(tmp_path / "empty"), *TINY]) == 0


def test_resume_keeps_every_readable_row_and_says_what_it_skipped(tmp_config_run, capsys):
    run = tmp_config_run
    lines = (run / METRICS_FILE).read_text().splitlines()
    assert len(lines) == 2  # two generations, checkpoint at 2
    lines.insert(1, '{"generation": 0, "cut off')
    (run / METRICS_FILE).write_text("\n".join(lines) + "\n")
    run_arena(run, progress=False)
    rows = read_metrics(run)
    assert [r["generation"] for r in rows] == [0, 1, 2, 3]
    assert "1 unreadable line(s) left out (line 2); every readable row is kept" in capsys.readouterr().err


def test_missing_rows_below_the_checkpoint_are_named(tmp_config_run, capsys):
    run = tmp_config_run
    lines = (run / METRICS_FILE).read_text().splitlines()
    (run / METRICS_FILE).write_text(lines[1] + "\n")  # generation 0's row is gone
    run_arena(run, progress=False)
    assert "has no row for 1 generation(s) before the checkpoint (0)" in capsys.readouterr().err
    assert [r["generation"] for r in read_metrics(run)] == [1, 2, 3]


def test_a_run_directory_has_one_writer_at_a_time(tmp_config_run, capsys):
    with RunLock(tmp_config_run):
        one_line_refusal(capsys, main(["resume", str(tmp_config_run), "--no-progress"]), "is in use by process")
    assert main(["resume", str(tmp_config_run), "--no-progress"]) == 0  # released with its holder


def test_a_failed_resume_does_not_rewrite_the_config(tmp_config_run, monkeypatch):
    before = (tmp_config_run / "config.json").read_text()

    def broken(*args, **kwargs):
        raise UserError("the world is gone")

    monkeypatch.setattr("eve_arena.runs.Arena", broken)
    with pytest.raises(UserError, match="the world is gone"):
        run_arena(tmp_config_run, generations=50, progress=False)
    assert (tmp_config_run / "config.json").read_text() == before


@pytest.fixture
def tmp_config_run(tmp_path, tiny_config):
    """A run stopped after two of its four generations, with a checkpoint at 2."""
    run = tmp_path / "run"
    start_run(tiny_config(generations=4, checkpoint_every=2), run)
    run_arena(run, progress=False, stop_after=2)
    assert json.loads((run / "config.json").read_text())["generations"] == 4
    return run


def edit_meta(path, change):
    """Rewrites a checkpoint's metadata JSON in place, leaving its recorded digest as it was."""
    from safetensors import safe_open
    from safetensors.torch import load_file, save_file

    with safe_open(str(path), framework="pt") as f:
        header = dict(f.metadata())
    meta = json.loads(header["meta"])
    change(meta)
    header["meta"] = json.dumps(meta)
    save_file(load_file(str(path)), str(path), metadata=header)


def test_edited_checkpoint_metadata_is_caught_and_the_older_one_used(tmp_path, tiny_config):
    from eve_arena import checkpoint

    run = tmp_path / "run"
    start_run(tiny_config(generations=10), run)
    run_arena(run, progress=False)
    newest = checkpoint.list_checkpoints(run / "checkpoints")[-1]
    edit_meta(newest, lambda meta: meta.update(generation=20))
    with pytest.warns(UserWarning, match="gen_000010.safetensors is damaged.*resuming from the older gen_000005"):
        from eve_arena.runs import load_run

        _, state = load_run(run)
    assert state.generation == 5


def test_a_checkpoint_of_another_run_is_refused(tmp_path, tiny_config):
    from eve_arena import checkpoint
    from eve_arena.runs import load_run

    ours, theirs = tmp_path / "ours", tmp_path / "theirs"
    start_run(tiny_config(generations=5), ours)
    run_arena(ours, progress=False)
    start_run(tiny_config(generations=10, population=16), theirs)
    run_arena(theirs, progress=False)
    stranger = checkpoint.list_checkpoints(theirs / "checkpoints")[-1]
    (ours / "checkpoints" / stranger.name).write_bytes(stranger.read_bytes())  # gen 10: newer than ours
    with pytest.warns(UserWarning, match="another population than config.json's; resuming from the older gen_000005"):
        _, state = load_run(ours)
    assert state.generation == 5


def test_a_garbage_newer_checkpoint_is_pruned_when_a_good_one_is_written(tmp_path, tiny_config):
    from eve_arena import checkpoint

    run = tmp_path / "run"
    start_run(tiny_config(generations=10, checkpoint_every=2), run)
    run_arena(run, progress=False, stop_after=4)
    (run / "checkpoints" / "gen_999999.safetensors").write_bytes(b"garbage")
    with pytest.warns(UserWarning, match="gen_999999.safetensors is damaged"):
        run_arena(run, progress=False)
    assert [p.name for p in checkpoint.list_checkpoints(run / "checkpoints")] == ["gen_000006.safetensors", "gen_000008.safetensors", "gen_000010.safetensors"]


def test_deleted_checkpoints_are_not_a_silent_restart(tmp_config_run, capsys):
    import shutil

    shutil.rmtree(tmp_config_run / "checkpoints")
    one_line_refusal(capsys, main(["resume", str(tmp_config_run), "--no-progress"]), "has metrics for 2 generation(s) but no checkpoint")
