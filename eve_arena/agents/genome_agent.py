"""Agents that carry genomes: each is a row of a ``(k, D)`` tensor, developed once, acting batched."""

from __future__ import annotations

import numpy as np
import torch

from eve_arena.agents.io import observation_inputs, outputs_to_actions
from eve_arena.develop import develop
from eve_arena.genome import GenomeSpec
from eve_arena.mlp import forward


class GenomeTeam:
    """Drives k agents whose genomes share one ``GenomeSpec``: one develop, one forward per step."""

    def __init__(self, spec: GenomeSpec, genomes: torch.Tensor, name: str = "genomes", device: str | torch.device = "cpu"):
        if genomes.dim() != 2 or genomes.shape[1] != spec.genome_size:
            raise ValueError(f"expected genomes of shape (k, {spec.genome_size}), got {tuple(genomes.shape)}")
        self.spec = spec
        self.size = int(genomes.shape[0])
        self.name = name
        self.device = torch.device(device)
        with torch.no_grad():
            self.layers = develop(spec, genomes.to(self.device))

    def reset(self) -> None:
        pass

    @torch.no_grad()
    def act(self, observations: list, action_space) -> list:
        in_features = self.spec.target[0]
        first = observation_inputs(observations[0], in_features)
        # Matches usually show every agent the same batch: read it once and run it once for all k
        # nets; only differing observations are read one by one.
        inputs = [first] if all(o is observations[0] for o in observations) else [first] + [observation_inputs(o, in_features) for o in observations[1:]]
        if all(np.array_equal(x, first) for x in inputs[1:]):
            x = torch.tensor(first, device=self.device)
        else:
            x = torch.tensor(np.stack(inputs), device=self.device)
        out = forward(self.layers, x, self.spec.activation)
        return outputs_to_actions(out.cpu().numpy(), action_space.shape)
