"""A run's champion as a plain ``torch.nn.Module``: its genome developed once into the target net.

    from eve_arena import load_champion
    net = load_champion("runs/demo")     # a run directory, or its champion.safetensors
    y = net(torch.randn(100, 1))         # (rows, inputs) -> (rows, outputs): the net's raw outputs

The module is ordinary torch (``nn.Linear`` layers and the genome's activation): fine-tune it,
move it to a device, export it. Its outputs are the net's, before a world turns them into
actions (``agents.io``). A plastic genome's module is its net at birth, before lifetime learning.
"""

from __future__ import annotations

import json
from pathlib import Path

import torch
from safetensors import safe_open

from eve_arena.develop import develop
from eve_arena.errors import UserError
from eve_arena.genome import GenomeSpec

CHAMPION_FILE = "champion.safetensors"

_ACTIVATIONS = {"relu": torch.nn.ReLU, "tanh": torch.nn.Tanh, "elu": torch.nn.ELU}


class Champion(torch.nn.Sequential):
    """The target net a genome develops, as ``Linear, activation, ..., Linear``.

    ``spec`` is the genome's ``GenomeSpec``; ``genome`` its ``(D,)`` parameters; ``env``,
    ``generation`` and ``rating`` are what the run recorded of it (informative only)."""

    def __init__(self, spec: GenomeSpec, genome: torch.Tensor, env: str | None = None, generation: int | None = None, rating: list | None = None):
        layers = []
        with torch.no_grad():
            developed = develop(spec, genome.detach().reshape(1, -1).to(torch.float32))
        for index, (weight, bias) in enumerate(developed):
            linear = torch.nn.Linear(weight.shape[2], weight.shape[1])
            with torch.no_grad():
                linear.weight.copy_(weight[0])
                linear.bias.copy_(bias[0])
            layers.append(linear)
            if index < len(developed) - 1:
                layers.append(_ACTIVATIONS[spec.activation]())
        super().__init__(*layers)
        self.spec, self.genome = spec, genome.detach().clone()
        self.env, self.generation, self.rating = env, generation, rating

    def extra_repr(self) -> str:
        return f"env={self.env!r}, generation={self.generation}, widths={self.spec.target}"


def load_champion(path: str | Path, device: str | torch.device = "cpu") -> Champion:
    """The champion of a finished run (``path`` is its directory or its champion file) as a
    ``torch.nn.Module`` in eval mode on ``device``."""
    path = Path(path)
    file = path / CHAMPION_FILE if path.is_dir() else path
    if not file.is_file():
        where = f"{path} holds no {CHAMPION_FILE}: a run writes it when it finishes (resume it with `eve-arena resume {path}`)" if path.is_dir() else f"{file} not found"
        raise UserError(where)
    try:
        with safe_open(str(file), framework="pt") as f:
            meta = f.metadata() or {}
            genome = f.get_tensor("genome")
        spec = GenomeSpec.from_dict(json.loads(meta["genome_spec"]))
    except Exception as exc:  # safetensors, json and a missing key all mean "not a champion file"
        raise UserError(f"{file} is not a champion file written by eve-arena ({type(exc).__name__}: {exc})") from exc
    if genome.shape[-1] != spec.genome_size:
        raise UserError(f"{file} holds a genome of {genome.shape[-1]} numbers, and its genome spec needs {spec.genome_size}; the file is damaged")
    rating = json.loads(meta["rating"]) if "rating" in meta else None
    generation = int(meta["generation"]) if meta.get("generation", "").isdigit() else None
    return Champion(spec, genome.reshape(-1), env=meta.get("env"), generation=generation, rating=rating).to(device).eval()
