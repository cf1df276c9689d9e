"""The command line as a user meets it: one-line errors, nothing lost, every subcommand runs."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from eve_arena.cli import main
from tests.conftest import needs_mnist

CLI = [sys.executable, "-m", "eve_arena.cli"]
TINY = ["--population", "8", "--generations", "6", "--batch-size", "16", "--steps", "2", "--checkpoint-every", "3", "--hall-every", "2", "--no-progress"]


# `python -m eve_arena.cli` does not import from the current directory (a run directory must not
# decide what module:Class imports), so the tests' plug-ins are put on PYTHONPATH, as a user would.
REPO = str(Path(__file__).resolve().parents[1])
ENV = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [REPO, os.environ.get("PYTHONPATH")]))}


def run_cli(*args, check_ok=False):
    proc = subprocess.run([*CLI, *args], capture_output=True, text=True, timeout=120, env=ENV)
    if check_ok:
        assert proc.returncode == 0, proc.stderr
    return proc


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--env", "eve_arena/toy_cubic-v0"], "unknown environment 'eve_arena/toy_cubic-v0'"),
        (["--population", "0"], "--population: must be a positive integer, got '0'"),
        (["--population", "-3"], "--population: must be a positive integer"),
        (["--population", "4", "--match-size", "6"], "population (4) is smaller than the match size (6)"),
        (["--generations", "ten"], "--generations: must be a positive integer, got 'ten'"),
        (["--sigma", "-0.5"], "--sigma: must be a finite non-negative number"),
        (["--sigma", "nan"], "--sigma: must be a finite non-negative number"),
        (["--sigma-decay", "0"], "sigma decay must be in (0, 1]"),
        (["--crossover", "1.5"], "crossover probability must be in [0, 1]"),
        (["--baseline", "oracle"], "unknown baseline 'oracle'"),
        (["--strategy", "nes"], "unknown strategy 'nes'; choose one of ga, pgpe, cmaes"),
        (["--strategy", "pgpe", "--population", "7"], "antithetic sampling needs an even population, got 7; use 8"),
        (["--strategy", "pgpe", "--strategy-arg", "stdev=-0.1"], "PGPE stdev must be a positive finite number, got -0.1"),
        (["--strategy", "pgpe", "--strategy-arg", "optimizer=sgd"], "unknown PGPE optimizer 'sgd'; choose one of clipup, adam"),
        (["--strategy", "pgpe", "--strategy-arg", "velocity=1"], "unknown settings ['velocity'] for strategy 'pgpe'"),
        (["--strategy", "cmaes", "--strategy-arg", "sigma=-1"], "CMA-ES sigma must be a positive finite number, got -1"),
        (["--env", "eve_arena/mnist-v0", "--data-dir", "/nonexistent/mnist"], "MNIST not found in data dir /nonexistent/mnist (given): missing train-images-idx3-ubyte"),
        (["--env-arg", ":=1"], "does not take ':', which came from --env-arg"),  # found by test_fuzz_cli
        (["--baseline", "tests.test_tournament:WrongShapeAgent"], "agent 'wrong-shape' (seat agent_8) returned an action of shape (3,)"),
    ],
)
def test_bad_input_is_one_clear_line(tmp_path, args, message):
    proc = run_cli("tournament", "--out", str(tmp_path / "run"), *TINY, *args)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert message in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1, proc.stderr


def test_resume_and_render_errors_are_one_line(tmp_path):
    for args in (["resume", str(tmp_path / "nowhere")], ["render", str(tmp_path / "nowhere"), "--gif", str(tmp_path / "x.gif")]):
        proc = run_cli(*args)
        assert proc.returncode == 2 and "Traceback" not in proc.stderr and "not found" in proc.stderr
    (tmp_path / "fresh").mkdir()
    assert main(["tournament", "--out", str(tmp_path / "fresh"), *TINY, "--generations", "1", "--checkpoint-every", "5"]) == 0
    proc = run_cli("render", str(tmp_path / "fresh"), "--gif", str(tmp_path / "x.gif"))
    assert proc.returncode == 0  # a finished run always has its final checkpoint


def test_envs_lists_the_toy_worlds():
    out = run_cli("envs", check_ok=True).stdout
    assert "eve_arena/toy_quadratic-v0" in out and "eve_arena/toy_linear-v0" in out
    assert "eve-arena coevolve --world eve_arena/toy_challenge-v0" in out  # a world with roles says how it is run


def test_tournament_resume_render_round_trip(tmp_path):
    run = tmp_path / "run"
    out = run_cli("tournament", "--out", str(run), *TINY, "--baseline", "constant", check_ok=True).stdout
    assert "champion held-out loss" in out
    again = run_cli("tournament", "--out", str(run), *TINY)
    assert again.returncode == 2 and "already holds a run" in again.stderr
    run_cli("resume", str(run), "--generations", "8", "--no-progress", check_ok=True)
    assert len((run / "metrics.jsonl").read_text().splitlines()) == 8
    run_cli("render", str(run), "--gif", str(tmp_path / "match.gif"), "--frames", str(tmp_path / "frames"), check_ok=True)
    from PIL import Image

    gif = Image.open(tmp_path / "match.gif")
    assert gif.n_frames == 3  # after reset, then two steps
    assert len(list((tmp_path / "frames").glob("frame_*.png"))) == 3


def test_corrupted_config_is_a_clear_error(tmp_path):
    run = tmp_path / "run"
    run_cli("tournament", "--out", str(run), *TINY, check_ok=True)
    (run / "config.json").write_text("{not json")
    proc = run_cli("resume", str(run))
    assert proc.returncode == 2 and "config.json is not valid JSON" in proc.stderr and "Traceback" not in proc.stderr


@needs_mnist
def test_a_worlds_defaults_reach_the_run_and_user_options_override_them(tmp_path):
    from eve_arena.cli import build_parser, config_from_args

    config = config_from_args(build_parser().parse_args(["tournament", "--out", str(tmp_path), "--env", "eve_arena/mnist-v0"]))
    assert (config.strategy, config.champion_by, config.genome.target) == ("pgpe", "heldout", (784, 10, 10, 10))
    assert config.strategy_kwargs == {"optimizer": "adam", "center_lr": 0.006, "stdev": 0.04, "stdev_lr": 0.09, "center_lr_decay": 0.99985} and config.threads == 2
    other = config_from_args(build_parser().parse_args(["tournament", "--out", str(tmp_path), "--env", "eve_arena/mnist-v0", "--strategy", "ga", "--population", "32"]))
    assert (other.strategy, other.strategy_kwargs, other.population, other.champion_by) == ("ga", {}, 32, "heldout")


def test_python_m_does_not_import_from_the_current_directory(tmp_path):
    """A module planted in the working directory (a run directory, say) is not what module:Class imports."""
    (tmp_path / "planted.py").write_text("raise SystemExit('planted code ran')\n")
    proc = subprocess.run([*CLI, "tournament", "--out", str(tmp_path / "run"), "--env", "planted:World", *TINY], capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert proc.returncode == 2 and "planted code ran" not in proc.stderr + proc.stdout
    assert "cannot import 'planted'" in proc.stderr


def test_resume_says_where_a_plug_in_comes_from(tmp_path):
    run = tmp_path / "run"
    example = Path(REPO) / "examples" / "sine_arena"
    env = {**ENV, "PYTHONPATH": os.pathsep.join([str(example), ENV["PYTHONPATH"]])}
    subprocess.run([*CLI, "tournament", "--out", str(run), "--env", "sine_arena.env:SineArenaEnv", *TINY], check=True, capture_output=True, text=True, timeout=120, env=env)
    proc = subprocess.run([*CLI, "resume", str(run), "--generations", "7", "--no-progress"], capture_output=True, text=True, timeout=120, env=env)
    assert proc.returncode == 0, proc.stderr
    assert f"config.json names sine_arena.env:SineArenaEnv; importing sine_arena from {example / 'sine_arena' / '__init__.py'}" in proc.stderr


def test_version():
    from eve_arena import __version__

    proc = run_cli("--version", check_ok=True)
    assert proc.stdout.strip() == f"eve-arena {__version__}"


def test_print_config_resolves_the_worlds_defaults_and_reads_back(tmp_path, capsys):
    from eve_arena.config import ArenaConfig

    assert main(["tournament", "--env", "eve_arena/toy_sinusoid-v0", "--print-config", "--generations", "9", "--heldout-every", "4"]) == 0
    printed = capsys.readouterr().out
    (tmp_path / "printed.json").write_text(printed)
    config = ArenaConfig.from_file(tmp_path / "printed.json")
    assert config == ArenaConfig.for_env("eve_arena/toy_sinusoid-v0", generations=9, heldout_every=4)
    assert not (tmp_path / "run").exists()


def test_a_partial_config_file_takes_its_worlds_defaults_and_flags_win(tmp_path, capsys):
    (tmp_path / "mine.toml").write_text('env = "eve_arena/mnist-v0"\npopulation = 32\n[strategy_kwargs]\ncenter_lr = 0.004\n')
    assert main(["tournament", "--config", str(tmp_path / "mine.toml"), "--generations", "7", "--print-config"]) == 0
    config = __import__("json").loads(capsys.readouterr().out)
    assert (config["env"], config["population"], config["generations"], config["strategy"], config["threads"]) == ("eve_arena/mnist-v0", 32, 7, "pgpe", 2)
    assert config["strategy_kwargs"]["center_lr"] == 0.004 and config["strategy_kwargs"]["optimizer"] == "adam"  # merged with the world's


def test_a_config_file_runs_and_is_recorded(tmp_path):
    import json

    (tmp_path / "mine.json").write_text(json.dumps({"population": 8, "generations": 4, "env_kwargs": {"batch_size": 16, "max_steps": 2}}))
    run_cli("tournament", "--config", str(tmp_path / "mine.json"), "--out", str(tmp_path / "run"), "--seed", "5", "--no-progress", check_ok=True)
    recorded = json.loads((tmp_path / "run" / "config.json").read_text())
    assert (recorded["population"], recorded["generations"], recorded["seed"], recorded["env_kwargs"]) == (8, 4, 5, {"batch_size": 16, "max_steps": 2})
    assert recorded["provenance"]["command"].startswith("eve-arena tournament --config")


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        ("typo.json", '{"generatons": 3}', "unknown setting 'generatons' (did you mean 'generations'?)"),
        ("nested.json", '{"genome": {"dpeth": 2}}', "unknown setting 'genome.dpeth' (did you mean 'genome.depth'?)"),
        ("type.json", '{"population": "64"}', "setting population must be a whole number, got '64'"),
        ("broken.json", '{"population": ', "is not valid JSON"),
        ("broken.toml", "population = ", "is not valid TOML"),
        ("list.json", "[1, 2]", "holds a list; it must hold the settings as an object"),
        ("conf.yaml", "population: 3", "YAML is not read"),
        ("missing.json", None, "missing.json not found"),
    ],
)
def test_a_bad_config_file_is_one_line_naming_it(tmp_path, capsys, name, text, message):
    if text is not None:
        (tmp_path / name).write_text(text)
    assert main(["tournament", "--config", str(tmp_path / name), "--out", str(tmp_path / "run")]) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1, err
    assert not (tmp_path / "run").exists()


def test_out_is_required_unless_printing(capsys):
    assert main(["tournament", "--generations", "3"]) == 2
    assert "--out is required" in capsys.readouterr().err


def test_the_ray_backend_without_ray_is_one_line_and_makes_no_run_dir(tmp_path, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "ray", None)  # as if Ray were not installed
    assert main(["tournament", "--out", str(tmp_path / "run"), "--backend", "ray"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["eve-arena: error: --backend ray needs Ray: pip install 'eve-arena[ray]'"]
    assert not (tmp_path / "run").exists()
