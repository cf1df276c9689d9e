"""GenomeSpec: everything needed to develop a flat genome vector into a prediction net.

Depth 0 is a direct encoding (the genome *is* the target net's parameters). Depth 1: the genome
is the weights of a coordinate hypernetwork that outputs each target parameter from that
parameter's encoded coordinate (Ha et al. 2016, "HyperNetworks"; Stanley et al. 2009, HyperNEAT).
Depth 2: the genome is a hyper-hypernetwork that generates the hypernetwork the same way.

Two further options (see ``selfbuild`` and ``develop``): the genome's own net may also build
itself from its own coordinates (``self_build``, a quine), and the hypernet that writes the
target may write a change to base weights instead of the weights (``residual``).
"""

from __future__ import annotations

import dataclasses
import json
import math
from dataclasses import dataclass
from functools import cached_property

import torch

from eve_arena import coordinates
from eve_arena.errors import UserError
from eve_arena.mlp import ACTIVATIONS, MLPShape, he_init

OUTPUT_SCALINGS = ("fan_in", "none")
EMITS = ("weight", "column")
SELF_BUILDS = ("off", "quine", "residual")
RESIDUALS = ("none", "seed", "parent")
LIFETIMES = ("fixed", "plastic")
PLASTICITY_RULES = ("normalized", "sgd")


@dataclass(frozen=True)
class GenomeSpec:
    """How a genome develops. Frozen, hashable and JSON round-trippable, so it rides in checkpoints."""

    target: tuple[int, ...] = (1, 5, 5, 1)
    """Layer widths of the prediction net (the seed's chapter 1 net by default)."""
    depth: int = 1
    """0: direct encoding; 1: hypernet; 2: hyper-hypernet."""
    hyper_hidden: tuple[tuple[int, ...], ...] = ((10, 10), (10, 10))
    """Hidden widths of the hypernet at each level, level 1 first (the seed's 10, 10)."""
    encoding: str = "normalized"
    """Coordinate encoding: seed | normalized | fourier."""
    fourier_features: int = 16
    fourier_scale: float = 1.0
    encoding_seed: int = 0
    """Seeds the fixed Fourier basis, so the genome alone determines the net."""
    output_scaling: str = "fan_in"
    """fan_in: each generated parameter is multiplied by sqrt(2 / fan_in) of its layer (He), so a
    fresh hypernet builds a sensibly initialised net; none: raw outputs, as in the seed."""
    activation: str = "relu"
    """Hidden activation of the target net and of every hypernet."""
    subspace: int = 0
    """Depth 0 only: if > 0, the genome is a point in a random subspace of this dimension, and the
    weights are a fixed random initialisation plus a fixed random projection of it (Li et al.
    2018, "Measuring the intrinsic dimension of objective landscapes"): the baseline a
    hypernet of the same parameter budget has to beat."""
    input_grid: tuple[int, int] | None = None
    """(height, width) of an image input (28, 28 for MNIST): the first layer's coordinates then
    say which pixel a weight reads. Only the target net (level 0) has one."""
    emit: str = "weight"
    """What one pass of the level-1 hypernet writes into the target net: one ``weight`` per
    coordinate, or a whole ``column`` (every weight one input unit sends on, or a layer's biases;
    Ha et al. 2016 emit weight slices alike). Columns need far fewer passes: 807 instead of 8,070
    for MNIST's net, so development is several times cheaper."""
    center_units: bool = False
    """Whether each generated unit's incoming weights are centred (their mean subtracted), at
    every generated level. A coordinate hypernet's outputs are smooth, so the weights it writes
    into one unit share an offset; at depth 2 that offset compounds down two levels, and it left
    one of three MNIST hyper-hypernets at chance from its first step. Centring removes one degree
    of freedom per unit: free for MNIST's 784-wide units, costly for the toy net's 5-wide ones
    (``scripts/reproduce_seed.py`` measures both)."""
    self_build: str = "off"
    """Whether the genome's own net (the top hypernet) also builds itself from its own coordinates:
    ``quine``: it writes its own weights (Chang & Lipson 2018, "Neural Network Quine");
    ``residual``: it writes the change its offspring gets, added to its own weights. The
    self-coordinates are a fixed random projection of each weight's index, so the input stays
    small (``selfbuild.self_coordinates``)."""
    grid_step: float | None = None
    """A self-building genome's own weights on a grid of this spacing (None: no grid). Its weights
    are read rounded to the grid, and the copy it builds for its offspring is rounded back onto
    it, so a copy whose every weight is off by less than half a step is exact: error correction
    by discreteness, as a genetic code's discrete letters correct small copying errors."""
    residual: str = "none"
    """What the hypernet writes into the target net: ``none``: the weights; ``seed``: a change
    added to a fixed random initialisation drawn from ``encoding_seed`` (a genome is still only
    its vector); ``parent``: a change added to base weights the genome carries after its hypernet,
    which reproduction sets to the parent's developed weights (evolution by a GA only)."""
    lifetime: str = "fixed"
    """``fixed``: the developed net holds for the whole episode. ``plastic``: the genome also
    carries a plasticity hypernet that writes, from each weight's coordinate, how far that weight
    moves for its share of the recent error, and the agent changes its own net after every step
    from the feedback in its observation (``lifetime``)."""
    plasticity_hidden: tuple[int, ...] = (8,)
    """Hidden widths of the plasticity hypernet (``lifetime='plastic'``)."""
    plasticity_lr: float = 0.02
    """The step size a fresh plasticity hypernet writes for every weight; it evolves from there."""
    plasticity_rule: str = "normalized"
    """How a weight moves for its gradient g (``lifetime``): ``normalized``: by its step size times
    g over the root mean square of its net's gradient, so a step's size is the genome's choice
    whatever the error's scale; ``sgd``: by its step size times g (Meta-SGD)."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "target", tuple(int(s) for s in self.target))
        object.__setattr__(self, "hyper_hidden", tuple(tuple(int(s) for s in h) for h in self.hyper_hidden))
        object.__setattr__(self, "plasticity_hidden", tuple(int(s) for s in self.plasticity_hidden))
        if self.input_grid is not None:
            object.__setattr__(self, "input_grid", tuple(int(s) for s in self.input_grid))
            if len(self.input_grid) != 2 or self.input_grid[0] * self.input_grid[1] != self.target[0]:
                raise UserError(f"input grid {self.input_grid} must be (height, width) with height * width = {self.target[0]} inputs")
        if self.depth not in (0, 1, 2):
            raise UserError(f"genome depth must be 0, 1 or 2, got {self.depth}")
        if len(self.target) < 2 or min(self.target) < 1:
            raise UserError(f"target layer sizes must be at least two positive integers, got {self.target}")
        if len(self.hyper_hidden) < self.depth:
            raise UserError(f"depth {self.depth} needs hidden sizes for {self.depth} hypernet levels, got {len(self.hyper_hidden)}")
        if any(min(h, default=1) < 1 for h in self.hyper_hidden):
            raise UserError(f"hypernet hidden sizes must be positive, got {self.hyper_hidden}")
        if self.encoding not in coordinates.ENCODINGS:
            raise UserError(f"unknown coordinate encoding {self.encoding!r}; choose one of {', '.join(coordinates.ENCODINGS)}")
        if self.output_scaling not in OUTPUT_SCALINGS:
            raise UserError(f"unknown output scaling {self.output_scaling!r}; choose one of {', '.join(OUTPUT_SCALINGS)}")
        if self.activation not in ACTIVATIONS:
            raise UserError(f"unknown activation {self.activation!r}; choose one of {', '.join(ACTIVATIONS)}")
        if self.subspace < 0 or (self.subspace and self.depth != 0):
            raise UserError(f"subspace must be 0 (off) or a positive dimension with depth 0, got subspace={self.subspace} at depth {self.depth}")
        if self.emit not in EMITS:
            raise UserError(f"unknown emit {self.emit!r}; choose one of {', '.join(EMITS)}")
        if self.emit == "column" and self.depth == 0:
            raise UserError("emit='column' needs a hypernet (depth 1 or 2); a direct genome has nothing to emit")
        if not isinstance(self.center_units, bool) or (self.center_units and self.depth == 0):
            raise UserError(f"center_units must be true or false, and true needs a hypernet (depth 1 or 2) to generate the units; got {self.center_units!r} at depth {self.depth}")
        if self.self_build not in SELF_BUILDS:
            raise UserError(f"unknown self_build {self.self_build!r}; choose one of {', '.join(SELF_BUILDS)}")
        if self.self_build != "off" and (self.depth == 0 or self.subspace):
            raise UserError(f"self_build={self.self_build!r} needs a hypernet (depth 1 or 2) to build itself; a direct genome has no builder")
        if self.grid_step is not None:
            step = self.grid_step
            if isinstance(step, bool) or not isinstance(step, (int, float)) or not math.isfinite(step) or step <= 0:
                raise UserError(f"grid_step must be a positive finite number (the spacing of the genome's grid), got {step!r}; leave it unset for no grid")
            if self.self_build == "off":
                raise UserError("grid_step is for a genome that builds itself (its copy is rounded back onto the grid): set self_build to quine or residual")
            object.__setattr__(self, "grid_step", float(step))
        if self.residual not in RESIDUALS:
            raise UserError(f"unknown residual {self.residual!r}; choose one of {', '.join(RESIDUALS)}")
        if self.residual != "none" and self.depth == 0:
            raise UserError(f"residual={self.residual!r} needs a hypernet (depth 1 or 2) to write the change; a direct genome is its weights")
        if self.lifetime not in LIFETIMES:
            raise UserError(f"unknown lifetime {self.lifetime!r}; choose one of {', '.join(LIFETIMES)}")
        if self.plasticity_rule not in PLASTICITY_RULES:
            raise UserError(f"unknown plasticity rule {self.plasticity_rule!r}; choose one of {', '.join(PLASTICITY_RULES)}")
        if min(self.plasticity_hidden, default=1) < 1 or not self.plasticity_lr > 0:
            raise UserError(f"plasticity hidden sizes must be positive and plasticity_lr > 0, got {self.plasticity_hidden} and {self.plasticity_lr}")
        if self.fourier_features < 1 or self.fourier_scale <= 0:
            raise UserError("fourier_features must be >= 1 and fourier_scale > 0")

    @cached_property
    def levels(self) -> list[MLPShape]:
        """Net shapes from the target (level 0) up to the genome's own net (level ``depth``)."""
        shapes = [MLPShape(self.target)]
        for level in range(1, self.depth + 1):
            below = shapes[-1]
            enc = coordinates.encoding_dim(below, self.encoding, self.fourier_features, self.input_grid if level == 1 else None)
            shapes.append(MLPShape((enc, *self.hyper_hidden[level - 1], self.emit_width(level - 1))))
        return shapes

    def emit_width(self, level: int) -> int:
        """Values one hypernet pass writes into the net at ``level``: 1, or a column of the target."""
        return max(self.target[1:]) if self.emit == "column" and level == 0 else 1

    @property
    def builder_size(self) -> int:
        """Parameters of the genome's own net: the leading part of every genome."""
        return self.subspace or self.levels[self.depth].num_params

    @cached_property
    def plasticity_shape(self) -> MLPShape | None:
        """The plasticity hypernet: the target's coordinates in, a step size per written value out."""
        if self.lifetime == "fixed":
            return None
        enc = coordinates.encoding_dim(self.levels[0], self.encoding, self.fourier_features, self.input_grid)
        return MLPShape((enc, *self.plasticity_hidden, self.emit_width(0)))

    @cached_property
    def parts(self) -> dict[str, slice]:
        """Where each part sits in a genome: the ``builder``, the ``base`` weights (with
        ``residual='parent'``) and the ``plasticity`` hypernet (with ``lifetime='plastic'``); the
        last two are empty slices when absent."""
        base_end = self.builder_size + (self.target_size if self.residual == "parent" else 0)
        plastic_end = base_end + (self.plasticity_shape.num_params if self.plasticity_shape else 0)
        return {"builder": slice(0, self.builder_size), "base": slice(self.builder_size, base_end), "plasticity": slice(base_end, plastic_end)}

    @property
    def genome_size(self) -> int:
        """The builder, then the base weights, then the plasticity hypernet (``parts``)."""
        return self.parts["plasticity"].stop

    @property
    def target_size(self) -> int:
        return self.levels[0].num_params

    def to_dict(self) -> dict:
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}

    @classmethod
    def from_dict(cls, data: dict) -> GenomeSpec:
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise UserError(f"unknown genome spec fields {sorted(unknown)}; known: {sorted(known)}")
        return cls(**data)

    def to_json(self) -> str:
        return json.dumps(self.to_dict())


def on_grid(spec: GenomeSpec, genomes: torch.Tensor) -> torch.Tensor:
    """``genomes`` with their own net's weights rounded to ``spec.grid_step`` (unchanged without a
    grid). The rounding passes gradients straight through, so a genome on a grid trains by
    backprop as if it were not rounded (the straight-through estimator of quantised nets)."""
    if spec.grid_step is None:
        return genomes
    builder = genomes[:, : spec.builder_size]
    rounded = builder + (torch.round(builder / spec.grid_step) * spec.grid_step - builder).detach()
    return torch.cat([rounded, genomes[:, spec.builder_size :]], 1)


def coordinate_table(spec: GenomeSpec, level: int, device: torch.device | str = "cpu") -> torch.Tensor:
    """``(rows, encoding_dim)`` encoded coordinates of the net at ``level``: one row per parameter,
    or per column when the hypernet above emits columns."""
    return _cached_coords(spec, level, str(device))


def output_gains(spec: GenomeSpec, level: int, device: torch.device | str = "cpu") -> torch.Tensor:
    """``(num_params of level,)`` the factor each generated parameter is multiplied by."""
    return _cached_gains(spec, level, str(device))


_COORD_CACHE: dict = {}


def emit_slots(spec: GenomeSpec, level: int, device: torch.device | str = "cpu") -> torch.Tensor | None:
    """``(num_params of level,)`` where each parameter sits in the flattened answers of the hypernet
    that writes ``level`` (see ``coordinates.column_slots``); None when it writes one value per row."""
    if spec.emit_width(level) == 1:
        return None
    key = ("slots", spec, level, str(device))
    if key not in _COORD_CACHE:
        _COORD_CACHE[key] = coordinates.column_slots(spec.levels[level]).to(device)
    return _COORD_CACHE[key]


def _cached_coords(spec: GenomeSpec, level: int, device: str) -> torch.Tensor:
    key = ("coords", spec, level, device)
    if key not in _COORD_CACHE:
        grid = spec.input_grid if level == 0 else None
        columns = spec.emit_width(level) > 1
        table = coordinates.encode(spec.levels[level], spec.encoding, spec.fourier_features, spec.fourier_scale, spec.encoding_seed + level, grid, columns)
        _COORD_CACHE[key] = table.to(device)
    return _COORD_CACHE[key]


def seed_base(spec: GenomeSpec, device: torch.device | str = "cpu") -> torch.Tensor:
    """``(target_size,)`` the fixed He initialisation drawn from ``encoding_seed``: the base of a
    subspace genome and of a ``residual='seed'`` hypernet."""
    key = ("base", spec.target, spec.encoding_seed, str(device))
    if key not in _COORD_CACHE:
        _COORD_CACHE[key] = he_init(spec.levels[0], 1, torch.Generator().manual_seed(spec.encoding_seed))[0].to(device)
    return _COORD_CACHE[key]


def subspace_basis(spec: GenomeSpec, device: torch.device | str = "cpu") -> tuple[torch.Tensor, torch.Tensor]:
    """``(theta0 (target_size,), projection (subspace, target_size))`` of a subspace genome.

    theta0 is a He initialisation, the projection's rows are random unit vectors (as in Li et
    al.), both drawn from ``encoding_seed`` so that the genome alone determines the net.
    """
    key = ("subspace", spec, str(device))
    if key not in _COORD_CACHE:
        g = torch.Generator().manual_seed(spec.encoding_seed)
        theta0 = he_init(spec.levels[0], 1, g)[0]
        projection = torch.randn(spec.subspace, spec.target_size, generator=g)
        projection /= projection.norm(dim=1, keepdim=True)
        _COORD_CACHE[key] = (theta0.to(device), projection.to(device))
    return _COORD_CACHE[key]


def _cached_gains(spec: GenomeSpec, level: int, device: str) -> torch.Tensor:
    key = ("gains", spec, level, device)
    if key not in _COORD_CACHE:
        shape = spec.levels[level]
        if spec.output_scaling == "fan_in":
            gains = (2.0 / shape.fan_in_per_param()) ** 0.5
        else:
            gains = torch.ones(shape.num_params)
        _COORD_CACHE[key] = gains.to(device)
    return _COORD_CACHE[key]
