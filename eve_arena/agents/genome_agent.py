"""Agents that carry genomes: each is a row of a ``(k, D)`` tensor, developed once, acting batched."""

from __future__ import annotations

import numpy as np
import torch

from eve_arena.agents.io import observation_inputs, outputs_to_actions
from eve_arena.develop import develop_flat
from eve_arena.errors import UserError
from eve_arena.genome import GenomeSpec
from eve_arena.envs.feedback import FEEDBACK_NEEDED
from eve_arena.lifetime import adapt, as_targets, step_sizes
from eve_arena.mlp import forward, unflatten


class GenomeTeam:
    """Drives k agents whose genomes share one ``GenomeSpec``: one develop, one forward per step.

    Agents with fixed lifetimes keep their developed nets for the whole episode; plastic ones
    (``GenomeSpec.lifetime``) change them after every step from the feedback in the observation
    and start each episode again from the developed nets.
    """

    def __init__(self, spec: GenomeSpec, genomes: torch.Tensor, name: str = "genomes", device: str | torch.device = "cpu", within: tuple[int, int] | None = None):
        """``within``: ``(population, start)`` when these are rows ``start ..`` of a larger team
        played in shards (``backend.ShardedTeam``): each net then acts as it would in the whole."""
        if genomes.dim() != 2 or genomes.shape[1] != spec.genome_size:
            raise ValueError(f"expected genomes of shape (k, {spec.genome_size}), got {tuple(genomes.shape)}")
        self._set_up(spec, *develop_nets(spec, genomes, device), name, device, within)

    @classmethod
    def developed(cls, spec: GenomeSpec, born: torch.Tensor, steps: torch.Tensor | None, name: str = "genomes", device: str | torch.device = "cpu") -> GenomeTeam:
        """A team of nets developed already (``develop_nets``): a population dealt into many
        matches develops once a generation, not once a match."""
        team = cls.__new__(cls)
        team._set_up(spec, born, steps, name, device, None)
        return team

    def _set_up(self, spec: GenomeSpec, born: torch.Tensor, steps: torch.Tensor | None, name: str, device, within) -> None:
        self.spec = spec
        self.size = int(born.shape[0])
        self.name = name
        self.device = torch.device(device)
        self.plastic = spec.lifetime == "plastic"
        self.within = within
        self._born, self._steps = born, steps
        self.reset()

    def reset(self) -> None:
        self.flat = self._born
        self.layers = unflatten(self.flat, self.spec.levels[0])
        self._age = 0

    @torch.no_grad()
    def act(self, observations: list, action_space) -> list:
        require_every_agent(self.size, observations)
        in_features = self.spec.target[0]
        x = self._read(observations, lambda o: observation_inputs(o, in_features))
        if self.plastic:
            if self._age:
                self._learn(observations, in_features)
            self._age += 1
        out = forward(self.layers, torch.tensor(x, device=self.device), self.spec.activation, self.within)
        return outputs_to_actions(out.cpu().numpy(), action_space)

    def _learn(self, observations: list, in_features: int) -> None:
        if not isinstance(observations[0], dict) or not {"prev_x", "prev_y"} <= set(observations[0]):
            raise UserError(FEEDBACK_NEEDED)
        prev_x = self._read(observations, lambda o: observation_inputs(o["prev_x"], in_features))
        prev_y = self._read(observations, lambda o: np.asarray(o["prev_y"]))
        self.flat = adapt(self.spec, self.flat, self._steps, torch.tensor(prev_x, device=self.device), as_targets(prev_y).to(self.device), within=self.within)
        self.layers = unflatten(self.flat, self.spec.levels[0])

    @staticmethod
    def _read(observations: list, reader) -> np.ndarray:
        """One array the k nets share when every agent sees the same, else one per agent stacked."""
        # Matches usually show every agent the same batch: read it once and run it once for all k
        # nets; only differing observations are read one by one.
        first = reader(observations[0])
        if all(o is observations[0] for o in observations):
            return first
        rest = [reader(o) for o in observations[1:]]
        return first if all(np.array_equal(r, first) for r in rest) else np.stack([first, *rest])


@torch.no_grad()
def develop_nets(spec: GenomeSpec, genomes: torch.Tensor, device: str | torch.device = "cpu") -> tuple[torch.Tensor, torch.Tensor | None]:
    """``(born, steps)`` for ``GenomeTeam.developed``: the developed nets and, for plastic genomes,
    their step sizes; rows as the genomes'."""
    genomes = genomes.to(device)
    return develop_flat(spec, genomes), step_sizes(spec, genomes) if spec.lifetime == "plastic" else None


def require_every_agent(size: int, observations: list) -> None:
    """A team's nets run as one batch, so all its agents act at every step; a world whose agents
    leave mid-episode is refused in one line rather than handed actions for agents it dropped."""
    if len(observations) != size:
        raise UserError(f"{size - len(observations)} of the {size} genome agents left the episode before its end; genome agents act as one batch and need every agent live until the episode ends for all (end them together, by truncation)")
