"""The Python API as a user meets it: the documented example, the champion as a module, callbacks,
a plug-in strategy, trackers, provenance and PettingZoo manners."""

import dataclasses
import json
import re
import subprocess
import sys
from pathlib import Path
from typing import NamedTuple

import pytest
import torch

from eve_arena import Arena, ArenaConfig, Champion, load_champion, run
from eve_arena.develop import predict
from eve_arena.errors import UserError
from eve_arena.runs import CHECKPOINT_DIR, load_run, read_metrics, run_arena, start_run

REPO = Path(__file__).resolve().parents[1]


def untimed(run_dir: Path) -> list[dict]:
    return [{k: v for k, v in row.items() if not k.startswith("time/")} for row in read_metrics(run_dir)]


def python_blocks(page: Path) -> list[str]:
    """The page's ```python blocks, less those marked { .no-run } (they need a service)."""
    return [code for attrs, code in re.findall(r"```python([^\n]*)\n(.*?)```", page.read_text(), re.S) if "no-run" not in attrs]


def test_the_documented_example_runs_and_its_champion_beats_its_start(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    blocks = python_blocks(REPO / "docs" / "python-api.md")
    assert len(blocks) == 3  # the import line, the example, and two populations
    namespace: dict = {}
    for code in blocks:
        exec(compile(code, "docs/python-api.md", "exec"), namespace)
    assert namespace["state"].generation == 30
    losses = namespace["losses"]
    assert len(losses) == 30 and losses[-1] < losses[0]
    assert "30 generations" in capsys.readouterr().out
    assert namespace["coevolution"].generation == 3 and namespace["metrics"]["generation"] == 2
    assert 0 < namespace["metrics"]["champion/wide_heldout_loss"] < float("inf")


def test_the_champion_is_a_module_that_computes_what_its_genome_develops(tmp_path, tiny_config):
    config = tiny_config(generations=6)
    state = run(config, tmp_path / "run", progress=False)
    net = load_champion(tmp_path / "run")
    assert isinstance(net, torch.nn.Module) and isinstance(net, Champion)
    assert [type(m).__name__ for m in net] == ["Linear", "ReLU", "Linear", "ReLU", "Linear"]
    x = torch.randn(50, 1)
    expected = predict(config.genome, state.champion[None], x)[0]
    torch.testing.assert_close(net(x), expected)
    assert net.generation == 6 and net.env == config.env
    # It is ordinary torch: one optimiser step moves its output.
    before = net(x).detach().clone()
    optimiser = torch.optim.SGD(net.parameters(), lr=1e-3)
    ((net(x) - 10 * x**2 - 2) ** 2).mean().backward()
    optimiser.step()
    assert not torch.allclose(net(x), before)
    # The file itself loads too; a directory without one says how to get it.
    torch.testing.assert_close(load_champion(tmp_path / "run" / "champion.safetensors")(x), before)
    with pytest.raises(UserError, match="holds no champion.safetensors"):
        load_champion(tmp_path)
    (tmp_path / "junk.safetensors").write_bytes(b"not a tensor file")
    with pytest.raises(UserError, match="is not a champion file"):
        load_champion(tmp_path / "junk.safetensors")


def test_callbacks_see_every_generation_in_order(tmp_path, tiny_config):
    seen = []
    run(tiny_config(generations=7), tmp_path / "run", callbacks=[seen.append], progress=False)
    assert [m["generation"] for m in seen] == list(range(7))
    assert seen == read_metrics(tmp_path / "run")


def test_a_raising_callback_stops_the_run_named_with_its_checkpoint_whole(tmp_path, tiny_config):
    config = tiny_config(generations=12, checkpoint_every=5)
    reference = run(config, tmp_path / "whole", progress=False)

    class Tracker:
        def __init__(self):
            self.closed = False

        def __call__(self, metrics):
            if metrics["generation"] == 8:
                raise ConnectionError("tracker server gone")

        def close(self):
            self.closed = True

    tracker = Tracker()
    with pytest.raises(UserError) as caught:
        run(config, tmp_path / "run", callbacks=[tracker], progress=False)
    message = str(caught.value)
    assert "callback " in message and "Tracker" in message and "ConnectionError: tracker server gone" in message
    assert "generation 8" in message and "last checkpoint (generation 5) is whole" in message
    assert tracker.closed
    # Run again with the callback mended: it resumes from generation 5 and ends where an
    # uninterrupted run ends.
    state = run(config, tmp_path / "run", progress=False)
    assert torch.equal(state.champion, reference.champion)
    assert untimed(tmp_path / "run") == untimed(tmp_path / "whole")


def test_run_resumes_its_own_run_and_refuses_another(tmp_path, tiny_config):
    run(tiny_config(generations=4), tmp_path / "run", progress=False)
    state = run(tiny_config(generations=6), tmp_path / "run", progress=False)  # the same run, longer
    assert state.generation == 6 and len(read_metrics(tmp_path / "run")) == 6
    with pytest.raises(UserError, match="holds another run than this config"):
        run(tiny_config(generations=6, seed=3), tmp_path / "run", progress=False)


class HillState(NamedTuple):
    best: torch.Tensor
    population: torch.Tensor
    ids: torch.Tensor
    sigma: float


@dataclasses.dataclass(frozen=True)
class HillClimber:
    """(1+λ): the best of the last population is the parent of the next (a worked plug-in)."""

    sigma: float = 0.05
    state_type = HillState

    def init(self, genomes):
        return HillState(genomes[0].clone(), genomes.clone(), torch.arange(len(genomes)), self.sigma)

    def ask(self, state):
        return state.population, state.ids

    def tell(self, state, fitness, generator):
        best = state.population[int(torch.argmax(torch.nan_to_num(fitness, nan=-torch.inf)))]
        noise = torch.randn(state.population.shape, generator=generator, dtype=state.population.dtype)
        population = best + state.sigma * noise
        population[0] = best
        return HillState(best.clone(), population, state.ids + len(state.ids), state.sigma)


def test_a_plug_in_strategy_runs_checkpoints_and_resumes(tmp_path, tiny_config):
    config = tiny_config(generations=10, checkpoint_every=4, strategy=f"{__name__}:HillClimber", strategy_kwargs={"sigma": 0.1})
    whole = run(config, tmp_path / "whole", progress=False)
    start_run(config, tmp_path / "run")
    run_arena(tmp_path / "run", progress=False, stop_after=6)  # killed after generation 6; checkpoint at 4
    resumed = run_arena(tmp_path / "run", progress=False)
    assert torch.equal(resumed.champion, whole.champion)
    assert type(resumed.strategy_state).__name__ == "HillState"
    with pytest.raises(UserError, match="setting sigma must be a finite number"):
        tiny_config(strategy=f"{__name__}:HillClimber", strategy_kwargs={"sigma": "big"})


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("no_such_module_xyz:Thing", "cannot import 'no_such_module_xyz' for strategy"),
        (f"{__name__}:Missing", "has no class 'Missing'"),
        (f"{__name__}:HillState", "lacks init, ask, tell"),
        ("nes", "unknown strategy 'nes'"),
    ],
)
def test_a_bad_strategy_plug_in_is_one_line(tiny_config, name, message):
    with pytest.raises(UserError, match=re.escape(message)):
        tiny_config(strategy=name)


def test_tensorboard_holds_every_metric(tmp_path):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    from eve_arena.cli import main

    code = main(["tournament", "--out", str(tmp_path / "run"), "--population", "8", "--generations", "5", "--batch-size", "16", "--steps", "2", "--no-progress", "--tensorboard", str(tmp_path / "tb")])
    assert code == 0
    events = EventAccumulator(str(tmp_path / "tb"))
    events.Reload()
    rows = read_metrics(tmp_path / "run")
    loss = [(e.step, e.value) for e in events.Scalars("champion/heldout_loss")]
    assert loss == [(r["generation"], pytest.approx(r["champion/heldout_loss"], rel=1e-6)) for r in rows]
    numeric = {k for r in rows for k, v in r.items() if isinstance(v, float) and v == v and abs(v) != float("inf")} - {"generation"}
    assert numeric <= set(events.Tags()["scalars"])


def test_provenance_is_recorded_and_a_resume_under_other_versions_says_so(tmp_path, tiny_config, monkeypatch, capsys):
    from eve_arena import checkpoint, provenance

    config = tiny_config(generations=6, checkpoint_every=3)
    start_run(config, tmp_path / "run")
    run_arena(tmp_path / "run", progress=False, stop_after=4)
    recorded = json.loads((tmp_path / "run" / "config.json").read_text())["provenance"]
    assert recorded["versions"]["torch"] == torch.__version__ and set(recorded["versions"]) == set(provenance.PACKAGES)
    assert "command" in recorded and ArenaConfig.load(tmp_path / "run" / "config.json") == config
    _, meta = checkpoint.load(checkpoint.list_checkpoints(tmp_path / "run" / CHECKPOINT_DIR)[-1])
    assert meta["provenance"]["versions"] == recorded["versions"]
    load_run(tmp_path / "run")
    assert "warning" not in capsys.readouterr().err  # same versions: nothing to say

    monkeypatch.setattr(provenance, "versions", lambda: {**recorded["versions"], "torch": "9.9.9"})
    load_run(tmp_path / "run")
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and f"torch {torch.__version__} -> 9.9.9" in err[0] and "gen_000003" in err[0]


def test_importing_eve_arena_registers_its_worlds_with_pettingzoo():
    code = "import eve_arena, pettingzoo; env = pettingzoo.make('parallel', 'eve_arena/toy_quadratic-v0', num_agents=3, max_cycles=2); print(len(env.possible_agents), env.max_steps)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=REPO)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["3", "2"]


def test_max_cycles_sets_an_episode_length_like_pettingzoos_worlds():
    import pettingzoo

    env = pettingzoo.make("parallel", "eve_arena/toy_sinusoid-v0", num_agents=2, max_cycles=3)
    env.reset(seed=0)
    steps = 0
    while env.agents:
        env.step({a: env.action_space(a).sample() for a in env.agents})
        steps += 1
    assert steps == 3
    with pytest.raises(UserError, match="both set an episode's length"):
        pettingzoo.make("parallel", "eve_arena/toy_quadratic-v0", max_cycles=3, max_steps=4)
