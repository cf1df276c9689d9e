"""Plastic genomes: the plasticity hypernet, the lifetime step, and agents that learn within an episode."""

import dataclasses
from pathlib import Path

import numpy as np
import pytest
import torch

from eve_arena.agents.genome_agent import GenomeTeam
from eve_arena.arena import Arena
from eve_arena.develop import develop_flat
from eve_arena.envs import make_env
from eve_arena.errors import UserError
from eve_arena.founders import fresh_genomes
from eve_arena.genome import GenomeSpec
from eve_arena.lifetime import (
    adapt,
    feedback_loss,
    lifetime_batches,
    lifetime_losses,
    step_sizes,
)
from eve_arena.mlp import forward, unflatten
from eve_arena.tasks import ToyTask
from eve_arena.train import heldout_scores

PLASTIC = GenomeSpec(target=(1, 8, 8, 1), encoding="fourier", fourier_features=8, lifetime="plastic")
SINUSOID = "eve_arena/toy_sinusoid-v0"


def test_the_plasticity_net_follows_the_builder_and_leaves_the_developed_net_as_it_was():
    fixed = dataclasses.replace(PLASTIC, lifetime="fixed")
    assert PLASTIC.parts["plasticity"] == slice(fixed.genome_size, PLASTIC.genome_size)
    assert PLASTIC.genome_size - fixed.genome_size == PLASTIC.plasticity_shape.num_params
    plastic_genomes = fresh_genomes(PLASTIC, 3, torch.Generator().manual_seed(4))
    fixed_genomes = fresh_genomes(fixed, 3, torch.Generator().manual_seed(4))
    # The plasticity net is drawn after the builder: adding it changes no developed net.
    assert torch.equal(develop_flat(PLASTIC, plastic_genomes), develop_flat(fixed, fixed_genomes))
    assert torch.allclose(step_sizes(PLASTIC, plastic_genomes), torch.full((3, PLASTIC.target_size), PLASTIC.plasticity_lr))


@pytest.mark.parametrize("spec", [dataclasses.replace(PLASTIC, depth=0), dataclasses.replace(PLASTIC, emit="column")], ids=["direct", "column"])
def test_step_sizes_cover_every_weight_of_any_genome(spec):
    genomes = fresh_genomes(spec, 2, torch.Generator().manual_seed(0))
    genomes[:, spec.parts["plasticity"]] += 0.3 * torch.randn(2, spec.parts["plasticity"].stop - spec.parts["plasticity"].start)
    steps = step_sizes(spec, genomes)
    assert steps.shape == (2, spec.target_size) and (steps > 0).all() and steps.std() > 0
    assert develop_flat(spec, genomes).shape == (2, spec.target_size)


@pytest.mark.parametrize("rule", ["sgd", "normalized"])
def test_a_lifetime_step_moves_each_weight_by_its_step_size_times_its_gradient(rule):
    spec = dataclasses.replace(PLASTIC, depth=0, plasticity_rule=rule)
    flat = fresh_genomes(spec, 2, torch.Generator().manual_seed(1))[:, spec.parts["builder"]]
    steps = torch.rand(2, spec.target_size) * 0.01
    x, y = torch.randn(16, 1), torch.randn(16)
    by_hand = []
    for row in range(2):
        w = flat[row : row + 1].clone().requires_grad_(True)
        loss = ((forward(unflatten(w, spec.levels[0]), x)[0, :, 0] - y) ** 2).mean()
        (g,) = torch.autograd.grad(loss, w)
        if rule == "normalized":
            g = g / g.pow(2).mean().sqrt()
        by_hand.append(w.detach() - steps[row] * g)
    assert torch.allclose(adapt(spec, flat, steps, x, y), torch.cat(by_hand), atol=1e-6)


def test_feedback_loss_reads_labels_as_classes_and_skips_the_missing_ones():
    logits = torch.randn(2, 5, 3)
    labels = torch.tensor([0, 2, -1, 1, -1])
    seen = labels >= 0
    expected = torch.stack([torch.nn.functional.cross_entropy(row[seen], labels[seen]) for row in logits])
    assert torch.allclose(feedback_loss(logits, labels), expected)
    values = torch.randn(5)
    assert torch.allclose(feedback_loss(logits[..., :1], values), ((logits[..., 0] - values) ** 2).mean(1))
    per_net = torch.randn(2, 5)  # agents shown different batches
    assert torch.allclose(feedback_loss(logits[..., :1], per_net), ((logits[..., 0] - per_net) ** 2).mean(1))
    assert torch.allclose(feedback_loss(logits, logits[0]), torch.stack([torch.tensor(0.0), ((logits[1] - logits[0]) ** 2).mean()]))


def test_a_plastic_agent_learns_within_an_episode_and_starts_the_next_one_afresh():
    spec = dataclasses.replace(PLASTIC, plasticity_lr=0.05)
    genomes = fresh_genomes(spec, 2, torch.Generator().manual_seed(0))
    team = GenomeTeam(spec, genomes)
    env = make_env(SINUSOID, num_agents=2, batch_size=64, max_steps=6)
    errors = []
    for episode in range(2):
        observations, _ = env.reset(seed=episode)
        team.reset()
        mse = []
        while env.agents:
            actions = team.act([observations[a] for a in env.agents], env.action_space("agent_0"))
            observations, _, _, _, infos = env.step(dict(zip(env.agents, actions)))
            mse.append(infos["agent_0"]["mse"])
        errors.append(mse)
    # Episodes differ in their curve, but each one starts from the same developed net.
    probe = torch.linspace(-5, 5, 11)[:, None]
    with torch.no_grad():
        born = forward(unflatten(develop_flat(spec, genomes), spec.levels[0]), probe)
        assert not torch.allclose(born, forward(team.layers, probe))  # the net changed during the last episode
        team.reset()
        assert torch.allclose(born, forward(team.layers, probe))
    for mse in errors:
        assert mse[-1] < 0.5 * mse[0], mse


def test_the_lifetime_in_a_match_is_the_lifetime_a_trainer_differentiates():
    genomes = fresh_genomes(PLASTIC, 3, torch.Generator().manual_seed(2))
    team = GenomeTeam(PLASTIC, genomes)
    env = make_env(SINUSOID, num_agents=3, batch_size=16, max_steps=4)
    observations, _ = env.reset(seed=5)
    xs, ys, match_mse = [], [], []
    while env.agents:
        xs.append(np.array(observations["agent_0"]["x"]))
        actions = team.act([observations[a] for a in env.agents], env.action_space("agent_0"))
        observations, _, _, _, infos = env.step(dict(zip(env.agents, actions)))
        ys.append(np.array(observations["agent_0"]["prev_y"]))
        match_mse.append([infos[a]["mse"] for a in ("agent_0", "agent_1", "agent_2")])
    losses = lifetime_losses(PLASTIC, genomes, torch.tensor(np.stack(xs))[..., None], torch.tensor(np.stack(ys)))
    assert np.allclose(losses.detach().numpy(), np.array(match_mse), rtol=1e-4)


def test_backprop_through_a_lifetime_reaches_the_plasticity_net():
    genomes = fresh_genomes(PLASTIC, 1, torch.Generator().manual_seed(0)).requires_grad_(True)
    x = torch.rand(1, 32, 1) * 10 - 5
    xs, ys = x.expand(4, -1, -1, -1), 3 * torch.sin(x[..., 0]).expand(4, -1, -1)  # one batch, shown four times
    losses = lifetime_losses(PLASTIC, genomes, xs, ys)
    losses.mean().backward()
    assert genomes.grad[:, PLASTIC.parts["plasticity"]].abs().sum() > 0
    assert losses[-1, 0] < losses[0, 0]  # it learned the batch it keeps seeing
    fixed = dataclasses.replace(PLASTIC, lifetime="fixed")
    still = lifetime_losses(fixed, fresh_genomes(fixed, 1, torch.Generator().manual_seed(0)), xs, ys)
    assert torch.equal(still, still[:1].expand(4, -1))  # a fixed net answers the batch the same every time


def test_a_plastic_tournament_evolves_and_resumes(tmp_path, tiny_config):
    from eve_arena.runs import load_run, run_arena, start_run

    config = tiny_config(env=SINUSOID, genome=PLASTIC, generations=6, checkpoint_every=3)
    for name in ("whole", "stopped"):
        start_run(config, tmp_path / name)
    whole = run_arena(tmp_path / "whole", progress=False)
    run_arena(tmp_path / "stopped", progress=False, stop_after=4)
    resumed = run_arena(tmp_path / "stopped", progress=False)
    assert torch.equal(whole.champion, resumed.champion)
    assert load_run(tmp_path / "whole")[0].genome == PLASTIC


def test_a_plastic_genome_needs_feedback_in_the_observation(tiny_config, monkeypatch):
    monkeypatch.syspath_prepend(str(Path(__file__).resolve().parents[1] / "examples" / "sine_arena"))
    with pytest.raises(UserError, match="plastic genome learns from feedback: .* wrap your world: eve_arena.envs.feedback.Feedback"):
        Arena(tiny_config(env="sine_arena.env:SineArenaEnv", genome=PLASTIC))


def test_a_plastic_genome_needs_a_match_of_more_than_one_step(tiny_config):
    with pytest.raises(UserError, match="matches of one step; set --steps to 2 or more"):
        Arena(tiny_config(env=SINUSOID, genome=PLASTIC, env_kwargs={"batch_size": 8, "max_steps": 1}))


def test_bad_plasticity_settings_are_refused():
    for bad in ({"lifetime": "hebbian"}, {"lifetime": "plastic", "plasticity_rule": "adam"}, {"lifetime": "plastic", "plasticity_lr": 0.0}, {"lifetime": "plastic", "plasticity_hidden": (0,)}):
        with pytest.raises(UserError):
            GenomeSpec(**bad)


def test_the_cli_makes_a_plastic_tournament(tmp_path):
    from eve_arena.cli import main

    main(["tournament", "--out", str(tmp_path / "run"), "--env", SINUSOID, "--lifetime", "plastic", "--plasticity-lr", "0.05", "--population", "8", "--generations", "2", "--no-progress"])
    from eve_arena.config import ArenaConfig

    genome = ArenaConfig.load(tmp_path / "run" / "config.json").genome
    assert (genome.lifetime, genome.plasticity_lr) == ("plastic", 0.05)


def test_a_plastic_genome_is_scored_at_the_end_of_its_life():
    spec = dataclasses.replace(PLASTIC, plasticity_lr=0.05)
    task = ToyTask("linear")
    genomes = fresh_genomes(spec, 3, torch.Generator().manual_seed(0))
    lifetime = lifetime_batches(task, 7, 64, seed=0)
    born, lived = heldout_scores(spec, genomes, task)["loss"], heldout_scores(spec, genomes, task, lifetime=lifetime)["loss"]
    assert (lived < born).all() and lived.mean() < 0.5 * born.mean(), (born, lived)
    fixed = dataclasses.replace(spec, lifetime="fixed")
    assert np.array_equal(heldout_scores(fixed, genomes[:, fixed.parts["builder"]], task, lifetime=lifetime)["loss"], born)
