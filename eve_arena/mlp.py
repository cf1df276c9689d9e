"""Batched multilayer perceptrons whose parameters live in flat rows: one row per agent.

A population of P nets of the same shape is a ``(P, D)`` tensor. ``unflatten`` views it as
per-layer weight and bias tensors and ``forward`` runs all P nets in one batched matmul per
layer, so nothing loops over agents in Python.

Flat layout, layer by layer: the weight matrix ``(out, in)`` row-major, then the bias ``(out,)``.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

Layers = list[tuple[torch.Tensor, torch.Tensor]]

ACTIVATIONS = {
    "relu": torch.relu,
    "tanh": torch.tanh,
    "elu": torch.nn.functional.elu,
}


@dataclass(frozen=True)
class MLPShape:
    """Layer widths ``(in, hidden..., out)`` of a fully connected net."""

    sizes: tuple[int, ...]

    def __post_init__(self) -> None:
        if len(self.sizes) < 2 or any(int(s) < 1 for s in self.sizes):
            raise ValueError(f"an MLP needs at least two positive layer sizes, got {self.sizes}")

    @property
    def layers(self) -> list[tuple[int, int]]:
        """``(fan_out, fan_in)`` of each linear layer."""
        return [(o, i) for i, o in zip(self.sizes[:-1], self.sizes[1:])]

    @property
    def num_layers(self) -> int:
        return len(self.sizes) - 1

    @property
    def num_params(self) -> int:
        return sum(o * i + o for o, i in self.layers)

    def fan_in_per_param(self) -> torch.Tensor:
        """``(num_params,)`` the fan-in of the layer each parameter belongs to."""
        parts = [torch.full((o * i + o,), float(i)) for o, i in self.layers]
        return torch.cat(parts)


def unflatten(flat: torch.Tensor, shape: MLPShape) -> Layers:
    """Views ``(P, D)`` parameter rows as ``[(W (P, out, in), b (P, out)), ...]``."""
    if flat.shape[-1] != shape.num_params:
        raise ValueError(f"expected rows of {shape.num_params} parameters for {shape.sizes}, got {flat.shape[-1]}")
    layers: Layers = []
    at = 0
    for out, inp in shape.layers:
        w = flat[:, at : at + out * inp].reshape(-1, out, inp)
        at += out * inp
        b = flat[:, at : at + out]
        at += out
        layers.append((w, b))
    return layers


def forward(layers: Layers, x: torch.Tensor, activation: str = "relu", within: tuple[int, int] | None = None) -> torch.Tensor:
    """Runs P nets at once.

    Args:
        layers: from ``unflatten``: P nets' weights.
        x: ``(B, in)`` inputs shared by all nets, or ``(P, B, in)`` one batch per net.
        within: ``(population, start)`` when these P nets are rows ``start .. start + P`` of a
            larger population run in shards (``backend.ShardedTeam``): their activations are
            laid out in memory as the whole population's are, so each net's outputs are, bit for
            bit, what the whole batch gives it (MKL may sum in another order for other strides).

    Returns:
        ``(P, B, out)``; hidden layers use ``activation``, the last layer is linear.
    """
    act = ACTIVATIONS[activation]
    in_place = not torch.is_grad_enabled() and activation == "relu"
    h = x
    for index, (w, b) in enumerate(layers):
        if h.dim() == 2:
            # A shared (B, in) batch meets all P nets in one (B, in) x (in, P * out) matmul: one
            # large GEMM runs several times faster than P thin ones (out is 10 on MNIST), and so
            # does its backward, which a plastic population's lifetime step takes every step.
            p, out, inp = w.shape
            total, start = within or (p, 0)
            z, bias = h @ w.reshape(p * out, inp).T, b
            if within is not None:  # the shard's columns in the whole population's (B, total * out)
                z, bias = _placed(z, start * out, total * out), _placed(b.T, start, total).T
            z = z.reshape(len(h), total, out)
            z = z.add_(bias) if in_place else z + bias
            if index < len(layers) - 1:  # before the shard is cut out, so that it keeps the whole's layout
                z = z.relu_() if in_place else act(z)
            h = z.transpose(0, 1)[start : start + p]
            continue
        h = torch.baddbmm(b.unsqueeze(1), h, w.transpose(1, 2))  # bias fused into the matmul
        if index < len(layers) - 1:
            # Without autograd, work in place: these (P, B, hidden) tensors are the memory traffic.
            h = h.relu_() if in_place else act(h)
    return h


def _placed(part: torch.Tensor, start: int, width: int) -> torch.Tensor:
    """``part`` ``(rows, k)`` as columns ``start .. start + k`` of zeros ``(rows, width)``."""
    whole = part.new_zeros(len(part), width)
    whole[:, start : start + part.shape[1]] = part
    return whole


def he_init(shape: MLPShape, count: int, generator: torch.Generator, dtype=torch.float32) -> torch.Tensor:
    """``(count, D)`` rows of He-initialised weights (normal, std sqrt(2 / fan_in)) with zero biases."""
    parts = []
    for out, inp in shape.layers:
        parts.append(torch.randn(count, out * inp, generator=generator, dtype=dtype) * (2.0 / inp) ** 0.5)
        parts.append(torch.zeros(count, out, dtype=dtype))
    return torch.cat(parts, dim=1)
