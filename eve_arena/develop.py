"""Development: a population of genomes becomes the parameters of its prediction nets.

Batched over the population: a ``(P, D)`` genome tensor is pushed down the hypernet chain in
one batched forward per level, never a loop over agents. Differentiable, so the same code
serves evolution and backprop.
"""

from __future__ import annotations

import torch

from eve_arena.genome import (
    GenomeSpec,
    coordinate_table,
    emit_slots,
    on_grid,
    output_gains,
    seed_base,
    subspace_basis,
)
from eve_arena.mlp import Layers, MLPShape, forward, unflatten


def raw_outputs(spec: GenomeSpec, genomes: torch.Tensor) -> list[torch.Tensor]:
    """Each hypernet level's outputs before the fan-in gain, top level first: ``[(P, N_level), ...]``."""
    if genomes.dim() != 2 or genomes.shape[1] != spec.genome_size:
        raise ValueError(f"expected genomes of shape (P, {spec.genome_size}), got {tuple(genomes.shape)}")
    outputs = []
    params = on_grid(spec, genomes)[:, spec.parts["builder"]]
    for level in range(spec.depth, 0, -1):
        raw = coordinate_outputs(spec, unflatten(params, spec.levels[level]), level - 1)
        if spec.center_units:
            raw = _center_units(raw, spec.levels[level - 1])
        outputs.append(raw)
        params = raw * output_gains(spec, level - 1, genomes.device).to(genomes.dtype)
    return outputs


def _center_units(raw: torch.Tensor, shape: MLPShape) -> torch.Tensor:
    """Subtracts from each unit's incoming weights their mean (biases unchanged), for
    ``GenomeSpec.center_units``: the offset a smooth hypernet writes into all of one unit's
    weights can outweigh the part that varies, and every unit of the layer then sees nearly the
    same input direction."""
    parts, start = [], 0
    for out, inp in shape.layers:
        weights = raw[:, start : start + out * inp].reshape(len(raw), out, inp)
        if inp > 1:
            weights = weights - weights.mean(2, keepdim=True)
        parts += [weights.reshape(len(raw), -1), raw[:, start + out * inp : start + out * inp + out]]
        start += out * inp + out
    return torch.cat(parts, 1)


def coordinate_outputs(spec: GenomeSpec, nets: Layers, level: int) -> torch.Tensor:
    """``(P, N)`` what P coordinate hypernets answer for each parameter of the net at ``level``, in
    that net's flat parameter order: the weight hypernets, or (at level 0) the plasticity nets."""
    weight = nets[0][0]
    coords = coordinate_table(spec, level, weight.device).to(weight.dtype)
    raw = forward(nets, coords, spec.activation).reshape(len(weight), -1)  # (P, rows * emit width)
    slots = emit_slots(spec, level, weight.device)
    return raw if slots is None else raw[:, slots]


CHUNK = 4
"""Genomes developed together without autograd: a (P, N, hidden) intermediate for a whole large
population runs to gigabytes of memory traffic; small blocks keep it in cache (on a 2-core CPU,
blocks of 4 ran the MNIST hypernet at P = 256 in about 0.6 of the time of one block)."""


def develop_flat(spec: GenomeSpec, genomes: torch.Tensor) -> torch.Tensor:
    """``(P, genome_size)`` genomes -> ``(P, target_size)`` target-net parameter rows."""
    if not torch.is_grad_enabled() and spec.depth > 0 and len(genomes) > CHUNK:
        return torch.cat([_develop_flat(spec, block) for block in genomes.split(CHUNK)])
    return _develop_flat(spec, genomes)


def _develop_flat(spec: GenomeSpec, genomes: torch.Tensor) -> torch.Tensor:
    if spec.subspace:
        raw_outputs(spec, genomes)  # shape check only
        theta0, projection = subspace_basis(spec, genomes.device)
        return theta0.to(genomes.dtype) + genomes[:, spec.parts["builder"]] @ projection.to(genomes.dtype)
    if spec.depth == 0:
        raw_outputs(spec, genomes)  # shape check only
        return genomes[:, spec.parts["builder"]]
    written = raw_outputs(spec, genomes)[-1] * output_gains(spec, 0, genomes.device).to(genomes.dtype)
    if spec.residual == "seed":
        return seed_base(spec, genomes.device).to(genomes.dtype) + written
    if spec.residual == "parent":
        return genomes[:, spec.parts["base"]] + written
    return written


def develop(spec: GenomeSpec, genomes: torch.Tensor) -> Layers:
    """``(P, D)`` genomes -> the P target nets as ``[(W (P, out, in), b (P, out)), ...]``."""
    return unflatten(develop_flat(spec, genomes), spec.levels[0])


def predict(spec: GenomeSpec, genomes: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """Develops and runs the P nets: ``x`` ``(B, in)`` shared or ``(P, B, in)`` -> ``(P, B, out)``."""
    return forward(develop(spec, genomes), x, spec.activation)


RESIDUAL_INIT = 0.1
"""Std of the raw change a fresh residual hypernet writes, against 1 for weights: it starts near
its base net and learns what to change, rather than overwriting the base with noise as large."""


def _raw_std(spec: GenomeSpec, level: int) -> float:
    """The std calibration gives the raw outputs written into ``level``."""
    return RESIDUAL_INIT if level == 0 and spec.residual != "none" else 1.0


def calibrate(spec: GenomeSpec, genomes: torch.Tensor, steps: int = 200, lr: float = 0.02) -> torch.Tensor:
    """Adjusts fresh hypernet genomes so every level's raw outputs have mean 0 and std 1
    (``RESIDUAL_INIT`` for the change a residual hypernet writes).

    A hypernet's outputs are smooth in the coordinates and so correlated: a shared offset adds up
    across a whole generated layer, and at depth 2 it compounds (outputs of 1e4 and more from a
    He-initialised chain). First the top net's last layer is set in closed form; deeper levels,
    which the genome only reaches through the chain, are then fitted by a few Adam steps on
    ``mean^2 + log(std)^2``. Rows are independent, so the result for one genome does not depend
    on the others.
    """
    with torch.no_grad():
        genomes = _standardize_last_layer(spec, genomes)
    if spec.depth < 2:
        return genomes
    params = genomes.clone().requires_grad_(True)
    opt = torch.optim.Adam([params], lr=lr)
    for _ in range(steps):
        raws = raw_outputs(spec, params)  # top level first
        loss = sum(_moment_loss(raw, _raw_std(spec, spec.depth - 1 - k)) for k, raw in enumerate(raws))
        opt.zero_grad()
        loss.backward()
        opt.step()
    return params.detach()


def _moment_loss(raw: torch.Tensor, std: float) -> torch.Tensor:
    return (raw.mean(1) ** 2 / std**2 + torch.log(raw.std(1) / std + 1e-8) ** 2).sum()


def _standardize_last_layer(spec: GenomeSpec, genomes: torch.Tensor) -> torch.Tensor:
    """Rescales the top net's last layer so each of its outputs, over the parameters it writes, has mean 0 and the calibrated std."""
    builder = spec.builder_size
    layers = unflatten(genomes[:, :builder], spec.levels[spec.depth])
    w, b = layers[-1]  # (P, k, hidden), (P, k)
    slots = emit_slots(spec, spec.depth - 1, genomes.device)
    channel = torch.zeros(spec.levels[spec.depth - 1].num_params, dtype=torch.long) if slots is None else slots.cpu() % w.shape[1]
    raw = raw_outputs(spec, genomes)[0] - b[:, channel]  # (P, N) without the last bias
    new_w, new_b = torch.empty_like(w), torch.empty_like(b)
    for c in range(w.shape[1]):
        mine = raw[:, channel == c]
        mean, std = mine.mean(1), mine.std(1).clamp(min=1e-6) / _raw_std(spec, spec.depth - 1)
        new_w[:, c], new_b[:, c] = w[:, c] / std[:, None], -mean / std
    out_params = w.shape[1] * w.shape[2] + w.shape[1]
    return torch.cat([genomes[:, : builder - out_params], new_w.reshape(len(genomes), -1), new_b, genomes[:, builder:]], 1)
