"""Genome specs, coordinates and batched development."""

import dataclasses
import json

import pytest
import torch

from eve_arena import coordinates
from eve_arena.develop import develop, develop_flat, predict, raw_outputs
from eve_arena.errors import UserError
from eve_arena.founders import fresh_genomes
from eve_arena.genome import GenomeSpec, coordinate_table
from eve_arena.mlp import MLPShape, forward, unflatten

SPECS = [GenomeSpec(depth=d, encoding=e) for d in (0, 1, 2) for e in coordinates.ENCODINGS]
SPECS += [GenomeSpec(depth=d, encoding=e, emit="column") for d in (1, 2) for e in ("normalized", "fourier")]


def spec_id(spec: GenomeSpec) -> str:
    return f"depth{spec.depth}-{spec.encoding}-{spec.emit}"


def test_seed_defaults_match_the_seed_plan():
    spec = GenomeSpec()
    assert spec.target == (1, 5, 5, 1)
    assert spec.levels[0].num_params == 1 * 5 + 5 + 5 * 5 + 5 + 5 * 1 + 1
    seed_hyper = GenomeSpec(encoding="seed")
    assert seed_hyper.levels[1].sizes == (5, 10, 10, 1)  # the seed's chapter 2 hypernet


def test_raw_coordinates_are_the_seeds_tuple():
    fields = coordinates.raw_fields(MLPShape((2, 3, 1)))
    assert fields.shape == (2 * 3 + 3 + 3 * 1 + 1, 5)
    assert fields[0].tolist() == [1, 0, 0, 0, 0]  # first weight of layer 0
    assert fields[5].tolist() == [1, 0, 2, 1, 0]  # row 2, column 1
    assert fields[6].tolist() == [0, 0, 0, 0, 0] and fields[8].tolist() == [0, 0, 0, 0, 2]  # biases
    assert fields[-1].tolist() == [0, 1, 0, 0, 0]


@pytest.mark.parametrize("encoding", ["normalized", "fourier"])
def test_normalized_fields_lie_in_unit_range(encoding):
    table = coordinates.encode(MLPShape((784, 10, 10)), encoding)
    assert table.shape[1] == coordinates.encoding_dim(MLPShape((784, 10, 10)), encoding, 16)
    assert table[:, :6].abs().max() <= 1.0 + 1e-6
    assert torch.unique(table, dim=0).shape[0] == table.shape[0]  # every parameter has its own coordinate


@pytest.mark.parametrize("spec", SPECS, ids=spec_id)
def test_batched_development_equals_a_loop_over_agents(spec):
    genomes = fresh_genomes(spec, 5, torch.Generator().manual_seed(1))
    batched = develop_flat(spec, genomes)
    looped = torch.cat([develop_flat(spec, genomes[i : i + 1]) for i in range(5)])
    assert batched.shape == (5, spec.target_size)
    torch.testing.assert_close(batched, looped, rtol=1e-5, atol=1e-5)
    x = torch.randn(7, 1)
    out = predict(spec, genomes, x)
    assert out.shape == (5, 7, 1)
    one = forward(develop(spec, genomes[2:3]), x, spec.activation)
    torch.testing.assert_close(out[2:3], one, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("spec", [s for s in SPECS if s.depth > 0 and s.encoding != "seed"], ids=spec_id)
def test_fresh_genomes_develop_into_sensibly_initialised_nets(spec):
    genomes = fresh_genomes(spec, 16, torch.Generator().manual_seed(0))
    for raw in raw_outputs(spec, genomes):
        assert raw.mean(1).abs().median() < 0.2
        assert (raw.std(1).median() - 1).abs() < 0.3
    weights = develop_flat(spec, genomes)
    he_std = (2 / 1) ** 0.5 * 0.5  # of order sqrt(2 / fan_in)
    assert 0.2 * he_std < weights.std(1).median() < 3 * he_std
    assert torch.isfinite(predict(spec, genomes, torch.randn(64, 1))).all()


def test_a_column_hypernet_writes_each_column_from_one_pass():
    """W[o, i] is output o of the pass for input i; b[o] output o of the layer's bias pass."""
    spec = GenomeSpec(target=(3, 4, 2), depth=1, encoding="fourier", fourier_features=4, emit="column", output_scaling="none")
    assert spec.levels[1].sizes[-1] == 4 and len(coordinates.column_fields(spec.levels[0])) == (3 + 1) + (4 + 1)
    genome = fresh_genomes(spec, 1, torch.Generator().manual_seed(0))
    answers = forward(unflatten(genome, spec.levels[1]), coordinate_table(spec, 0), spec.activation)[0]  # (rows, 4)
    (w0, b0), (w1, b1) = develop(spec, genome)
    torch.testing.assert_close(w0[0], answers[0:3, :4].T)
    torch.testing.assert_close(b0[0], answers[3, :4])
    torch.testing.assert_close(w1[0], answers[4:8, :2].T)  # layer 2 has 2 outputs: slots 0 and 1
    torch.testing.assert_close(b1[0], answers[8, :2])
    with pytest.raises(UserError, match="needs a hypernet"):
        GenomeSpec(depth=0, emit="column")
    with pytest.raises(UserError, match="unknown emit"):
        GenomeSpec(emit="row")


def test_spec_json_round_trip_and_errors():
    spec = GenomeSpec(target=(1, 4, 1), depth=2, encoding="fourier", fourier_features=4)
    again = GenomeSpec.from_dict(json.loads(spec.to_json()))
    assert again == spec and hash(again) == hash(spec)
    with pytest.raises(UserError, match="depth"):
        GenomeSpec(depth=3)
    with pytest.raises(UserError, match="encoding"):
        GenomeSpec(encoding="binary")
    with pytest.raises(UserError, match="unknown genome spec fields"):
        GenomeSpec.from_dict({"deepness": 1})


def test_wrong_genome_width_is_rejected():
    spec = GenomeSpec()
    with pytest.raises(ValueError, match=str(spec.genome_size)):
        develop_flat(spec, torch.zeros(2, spec.genome_size + 1))
    with pytest.raises(ValueError):
        unflatten(torch.zeros(1, 3), MLPShape((1, 1, 1)))


def test_subspace_genome_is_init_plus_projection():
    spec = GenomeSpec(depth=0, subspace=12)
    genomes = fresh_genomes(spec, 3, torch.Generator().manual_seed(0))
    assert genomes.shape == (3, 12) and not genomes.any()
    base = develop_flat(spec, genomes)
    assert torch.equal(base[0], base[1])  # the zero genome is the fixed random initialisation
    moved = genomes.clone()
    moved[2, 5] = 1.0
    step = develop_flat(spec, moved)[2] - base[2]
    assert step.norm().item() == pytest.approx(1.0, rel=1e-5)  # projection rows are unit vectors
    assert torch.equal(develop_flat(spec, moved), develop_flat(GenomeSpec(depth=0, subspace=12), moved))  # fixed by the seed
    with pytest.raises(UserError, match="subspace"):
        GenomeSpec(depth=1, subspace=12)


def test_pixel_coordinates_follow_the_image_grid():
    spec = GenomeSpec(target=(784, 10, 10), depth=1, encoding="normalized", input_grid=(28, 28))
    table = coordinates.encode(spec.levels[0], "normalized", input_grid=(28, 28))
    assert table.shape[1] == spec.levels[1].sizes[0]
    first_unit = table[:784, -2:]  # weights of unit 0 over the 784 pixels
    assert first_unit[0].tolist() == [-1.0, -1.0] and first_unit[783].tolist() == [1.0, 1.0]
    assert first_unit[27].tolist() == [-1.0, 1.0]  # end of the first image row
    with pytest.raises(UserError, match="input grid"):
        GenomeSpec(target=(100, 10), input_grid=(28, 28))


@pytest.mark.parametrize("sizes,batch", [((1, 5, 5, 1), 64), ((784, 10, 10, 10), 32)])
@pytest.mark.parametrize("activation", ["relu", "tanh"])
def test_a_shard_of_nets_computes_what_the_whole_population_does(sizes, batch, activation):
    # Ray plays one large match in shards (backend.ShardedTeam): each net's outputs, and its
    # lifetime gradient, must be bit for bit those it gets in the whole population's batch.
    shape = MLPShape(sizes)
    population = 23
    flat = torch.randn(population, shape.num_params, generator=torch.Generator().manual_seed(0)) * 0.3
    x = torch.randn(batch, sizes[0], generator=torch.Generator().manual_seed(1))
    whole = flat.clone().requires_grad_(True)
    out = forward(unflatten(whole, shape), x, activation)
    (grad,) = torch.autograd.grad((out**2).sum(), whole)
    for start, stop in ((0, 8), (8, 16), (16, population)):
        part = flat[start:stop].clone().requires_grad_(True)
        shard = forward(unflatten(part, shape), x, activation, within=(population, start))
        (shard_grad,) = torch.autograd.grad((shard**2).sum(), part)
        assert torch.equal(shard, out[start:stop]) and torch.equal(shard_grad, grad[start:stop])
        with torch.no_grad():
            assert torch.equal(forward(unflatten(flat[start:stop], shape), x, activation, within=(population, start)), out[start:stop])


def test_center_units_centres_each_generated_units_incoming_weights():
    """A shared offset in a generated layer's weights once kept an MNIST hyper-hypernet at
    chance; ``center_units`` removes it at both generated levels, and is off by default."""
    spec = GenomeSpec(target=(3, 5, 2), depth=2, hyper_hidden=((6,), (4,)), encoding="fourier", fourier_features=4, center_units=True)
    genomes = fresh_genomes(spec, 3, torch.Generator().manual_seed(0))
    for level, raw in zip((1, 0), raw_outputs(spec, genomes)):
        for w, b in unflatten(raw, spec.levels[level]):
            if w.shape[2] > 1:
                assert torch.allclose(w.mean(2), torch.zeros_like(w.mean(2)), atol=1e-5)
            assert b.abs().sum() > 0  # biases keep their offsets
    plain = dataclasses.replace(spec, center_units=False)
    w, _ = unflatten(raw_outputs(plain, genomes)[1], plain.levels[0])[1]
    assert w.mean(2).abs().max() > 1e-3
    for bad in ("yes", 1):
        with pytest.raises(UserError, match="center_units"):
            GenomeSpec(center_units=bad)
    with pytest.raises(UserError, match="center_units .*depth 0"):
        GenomeSpec(depth=0, center_units=True)
