"""Coordinates of the weights a hypernetwork generates, and their encodings.

Each parameter of a generated net gets one row that says where it sits: the seed's tuple
``(is_weight, layer, row, column, bias_index)``. A coordinate hypernetwork reads the encoded
row and outputs that one parameter. Encodings:

- ``seed``: the raw integers, exactly as the seed's chapter 2 fed them (reproduction only: raw
  indices up to the layer width make training fragile, which the seed saw as "works maybe 50%").
- ``normalized``: every index field scaled to [-1, 1] by its layer's width, the layer one-hot.
  With an ``input_grid`` (28 x 28 for MNIST) the first layer's column is also given as the
  pixel's (row, column) in the image, so nearby pixels get nearby coordinates.
- ``fourier``: the normalized row plus random Fourier features ``sin/cos(2 pi B z)`` of it
  (Tancik et al. 2020, "Fourier features let networks learn high frequency functions"), with
  ``B ~ N(0, scale^2)`` fixed by a seed so a genome is still only its vector.

A hypernet may also emit a whole column per row (``columns=True``): one row per input unit of
each layer (every weight that unit sends on) and one per layer's biases, each row answered with
``max(out widths)`` values, of which a layer uses its first ``out`` (Ha et al. 2016 emit weight
slices the same way). MNIST's first layer then needs 784 hypernet passes, not 7,840.
``column_slots`` says where each parameter's value sits in those answers.
"""

from __future__ import annotations

import math

import torch

from eve_arena.mlp import MLPShape

ENCODINGS = ("seed", "normalized", "fourier")


def column_fields(shape: MLPShape) -> torch.Tensor:
    """``(rows, 5)`` the same tuples for column emission: per layer, its input columns then its bias row."""
    rows = []
    for layer, (_, inp) in enumerate(shape.layers):
        zeros = torch.zeros(inp, dtype=torch.long)
        rows.append(torch.stack([torch.ones(inp, dtype=torch.long), torch.full((inp,), layer), zeros, torch.arange(inp), zeros], 1))
        rows.append(torch.tensor([[0, layer, 0, 0, 0]]))
    return torch.cat(rows)


def column_slots(shape: MLPShape) -> torch.Tensor:
    """``(num_params,)`` for each parameter in flat order, its index in the ``(rows, width)`` column
    answers flattened row-major, ``width = max(out widths)``: weight ``W[o, i]`` of a layer is slot
    ``o`` of the row of input ``i``; bias ``b[o]`` is slot ``o`` of the layer's bias row."""
    width = max(out for out, _ in shape.layers)
    slots, first_row = [], 0
    for out, inp in shape.layers:
        o, i = torch.meshgrid(torch.arange(out), torch.arange(inp), indexing="ij")
        slots += [((first_row + i) * width + o).reshape(-1), (first_row + inp) * width + torch.arange(out)]
        first_row += inp + 1
    return torch.cat(slots)


def raw_fields(shape: MLPShape) -> torch.Tensor:
    """``(num_params, 5)`` integer tuples ``(is_weight, layer, row, column, bias_index)`` in flat order."""
    rows = []
    for layer, (out, inp) in enumerate(shape.layers):
        r, c = torch.meshgrid(torch.arange(out), torch.arange(inp), indexing="ij")
        n = out * inp
        rows.append(torch.stack([torch.ones(n, dtype=torch.long), torch.full((n,), layer), r.reshape(-1), c.reshape(-1), torch.zeros(n, dtype=torch.long)], 1))
        j = torch.arange(out)
        rows.append(torch.stack([torch.zeros(out, dtype=torch.long), torch.full((out,), layer), torch.zeros(out, dtype=torch.long), torch.zeros(out, dtype=torch.long), j], 1))
    return torch.cat(rows)


def _scale(index: torch.Tensor, size: torch.Tensor) -> torch.Tensor:
    """Maps ``0..size-1`` onto [-1, 1]; a field of width 1 sits at 0."""
    span = (size - 1).clamp(min=1).to(torch.float32)
    return torch.where(size > 1, 2.0 * index.to(torch.float32) / span - 1.0, torch.zeros_like(span))


def normalized(shape: MLPShape, input_grid: tuple[int, int] | None = None, columns: bool = False) -> torch.Tensor:
    """``(rows, 4 + num_layers [+ 2])``: is_weight, row, column, bias index in [-1, 1],
    layer one-hot, and with ``input_grid`` the first layer's pixel row and column in [-1, 1]."""
    f = column_fields(shape) if columns else raw_fields(shape)
    outs = torch.tensor([o for o, _ in shape.layers])[f[:, 1]]
    ins = torch.tensor([i for _, i in shape.layers])[f[:, 1]]
    is_weight = f[:, 0].bool()
    fields = torch.stack(
        [
            f[:, 0].to(torch.float32) * 2.0 - 1.0,
            torch.where(is_weight, _scale(f[:, 2], outs), torch.zeros(())),
            torch.where(is_weight, _scale(f[:, 3], ins), torch.zeros(())),
            torch.where(is_weight, torch.zeros(()), _scale(f[:, 4], outs)),
        ],
        1,
    )
    onehot = torch.nn.functional.one_hot(f[:, 1], shape.num_layers).to(torch.float32)
    parts = [fields, onehot]
    if input_grid is not None:
        height, width = input_grid
        if height * width != shape.sizes[0]:
            raise ValueError(f"input grid {height}x{width} does not match the {shape.sizes[0]} inputs of the net")
        on_grid = is_weight & (f[:, 1] == 0)
        pixel_row = torch.where(on_grid, _scale(f[:, 3] // width, torch.tensor(height)), torch.zeros(()))
        pixel_col = torch.where(on_grid, _scale(f[:, 3] % width, torch.tensor(width)), torch.zeros(()))
        parts.append(torch.stack([pixel_row, pixel_col], 1))
    return torch.cat(parts, 1)


def encoding_dim(shape: MLPShape, encoding: str, fourier_features: int, input_grid: tuple[int, int] | None = None) -> int:
    grid = 2 if input_grid is not None else 0
    if encoding == "seed":
        return 5
    if encoding == "normalized":
        return 4 + shape.num_layers + grid
    if encoding == "fourier":
        return 4 + shape.num_layers + grid + 2 * fourier_features
    raise ValueError(f"unknown coordinate encoding {encoding!r}; choose one of {', '.join(ENCODINGS)}")


def encode(shape: MLPShape, encoding: str, fourier_features: int = 16, fourier_scale: float = 1.0, seed: int = 0, input_grid: tuple[int, int] | None = None, columns: bool = False) -> torch.Tensor:
    """``(rows, encoding_dim)`` float32 coordinates of every parameter (or, with ``columns``, every column) of ``shape``."""
    if encoding == "seed":
        return (column_fields(shape) if columns else raw_fields(shape)).to(torch.float32)
    z = normalized(shape, input_grid, columns)
    if encoding == "normalized":
        return z
    if encoding == "fourier":
        g = torch.Generator().manual_seed(seed)
        b = torch.randn(z.shape[1], fourier_features, generator=g) * fourier_scale
        proj = 2.0 * math.pi * z @ b
        return torch.cat([z, torch.sin(proj), torch.cos(proj)], 1)
    raise ValueError(f"unknown coordinate encoding {encoding!r}; choose one of {', '.join(ENCODINGS)}")
