"""Backprop for any GenomeSpec: the seed's chapters 1, 2 and 5 are configurations of one trainer.

Gradients flow through development, so a depth-1 genome is trained as the weights of a
hypernetwork and a depth-2 genome as those of a hyper-hypernetwork. Several independent nets
(one per seed row) train at once as rows of one tensor; Adam's updates are per element, so
rows do not interact.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
import torch

from eve_arena.develop import develop, predict
from eve_arena.errors import UserError
from eve_arena.founders import fresh_genomes
from eve_arena.genome import GenomeSpec, on_grid
from eve_arena.heredity import Contraction, lineage_objective
from eve_arena.lifetime import live
from eve_arena.mlp import ACTIVATIONS, forward, unflatten
from eve_arena.selfbuild import fidelity, grid_miss, self_copy


@dataclass
class FitResult:
    genomes: torch.Tensor
    """``(P, D)`` trained genomes."""
    losses: np.ndarray
    """``(steps, P)`` task loss of each row per step."""
    rho: np.ndarray | None = None
    """``(steps, P)`` replication fidelity per step, for a self-building genome."""
    jacobian_norm: np.ndarray | None = None
    """``(steps, P)`` the power-iteration estimate of the self-copy map's Jacobian norm per step,
    with ``contraction_weight``."""


def fit(
    spec: GenomeSpec,
    task,
    count: int = 1,
    steps: int = 3000,
    lr: float = 3e-3,
    batch_size: int = 256,
    seed: int = 0,
    device: str | torch.device = "cpu",
    genomes: torch.Tensor | None = None,
    replication_weight: float = 0.0,
    regenerate_every: int = 0,
    lineage_depth: int = 1,
    contraction_weight: float = 0.0,
) -> FitResult:
    """Trains ``count`` genomes on ``task`` (anything with ``sample(rng, n)`` and ``loss``) by Adam.

    Each row starts from its own initialisation (``founders.fresh_genomes`` with ``seed``); all rows see the
    same stream of fresh batches. A cosine schedule takes the learning rate to zero.

    A self-building genome minimises ``task loss + replication_weight * rho``; gradients reach
    its weights both as the builder and as the copy to match. A genome on a grid
    (``GenomeSpec.grid_step``) minimises ``task loss + replication_weight * grid_miss`` instead
    (rho is flat under rounding), reads its weights rounded with straight-through gradients, and
    is returned on its grid. ``lineage_depth`` K > 1 unrolls K generations of self-building in
    the objective (``heredity.lineage_objective``): descendants must solve the task and copy
    themselves too. ``contraction_weight`` adds that weight times the squared Jacobian norm of
    the self-copy map (``heredity.Contraction``), so a copy's error shrinks in the next copy.
    Every ``regenerate_every`` steps
    (0: never) each row's weights are replaced by what it builds for itself, as in Chang &
    Lipson's regeneration; a row whose self-copy is not finite keeps its weights.
    """
    if spec.residual == "parent":
        raise UserError("residual='parent' takes its base from the parent at reproduction; backprop has no parent: train residual='seed' instead")
    self_building = spec.self_build != "off"
    if (replication_weight or regenerate_every) and not self_building:
        raise UserError("replication_weight and regenerate_every need a self-building genome (GenomeSpec.self_build 'quine' or 'residual')")
    if not (replication_weight >= 0 and np.isfinite(replication_weight)) or regenerate_every < 0:
        raise UserError(f"replication_weight must be a finite number >= 0 and regenerate_every >= 0, got {replication_weight} and {regenerate_every}")
    _check_heredity_settings(self_building, lineage_depth, contraction_weight)
    generator = torch.Generator().manual_seed(seed)
    start = fresh_genomes(spec, count, generator) if genomes is None else genomes.detach().clone()
    params = start.to(device).requires_grad_(True)
    opt = torch.optim.Adam([params], lr=lr)
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(opt, steps)
    rng = np.random.default_rng(seed)
    history = np.empty((steps, count), np.float32)
    rho_history = np.empty((steps, count), np.float32) if self_building else None
    contraction = Contraction(spec, count, generator, device) if contraction_weight else None
    jacobian_history = np.empty((steps, count), np.float32) if contraction else None
    for step in range(steps):
        x, y = task.sample(rng, batch_size)
        xt = torch.from_numpy(x).to(device).reshape(batch_size, -1)
        yt = torch.from_numpy(y).to(device)
        if lineage_depth > 1:
            objective, per_row = lineage_objective(spec, params, lambda g: task.loss(predict(spec, g, xt), yt), lineage_depth, replication_weight)
        else:
            per_row = task.loss(predict(spec, params, xt), yt)
            objective = per_row
        if self_building:
            with torch.set_grad_enabled(bool(replication_weight) and spec.grid_step is None and lineage_depth == 1):  # only logged, without a weight
                rho = fidelity(spec, params)[0]
            rho_history[step] = rho.detach().cpu().numpy()
            if replication_weight and lineage_depth == 1:
                objective = per_row + replication_weight * (rho if spec.grid_step is None else grid_miss(spec, params))
        if contraction is not None:
            squared, norm = contraction.penalty(params)
            jacobian_history[step] = norm.cpu().numpy()
            objective = objective + contraction_weight * squared
        opt.zero_grad()
        objective.sum().backward()
        opt.step()
        schedule.step()
        history[step] = per_row.detach().cpu().numpy()
        if regenerate_every and (step + 1) % regenerate_every == 0:
            regenerate(spec, params)
    return FitResult(on_grid(spec, params.detach()).cpu(), history, rho_history, jacobian_history)


def _check_heredity_settings(self_building: bool, lineage_depth: int, contraction_weight: float) -> None:
    if isinstance(lineage_depth, bool) or not isinstance(lineage_depth, int | np.integer) or lineage_depth < 1:
        raise UserError(f"lineage_depth must be a whole number of generations >= 1 (1: the genome alone), got {lineage_depth!r}")
    if not (isinstance(contraction_weight, int | float) and np.isfinite(contraction_weight) and contraction_weight >= 0):
        raise UserError(f"contraction_weight must be a finite number >= 0, got {contraction_weight!r}")
    if (lineage_depth > 1 or contraction_weight) and not self_building:
        raise UserError("lineage_depth > 1 and contraction_weight need a self-building genome (GenomeSpec.self_build 'quine' or 'residual')")


@torch.no_grad()
def regenerate(spec: GenomeSpec, params: torch.Tensor) -> None:
    """Replaces each row's builder, in place, by the one it builds for itself (where that is finite)."""
    copy = self_copy(spec, params)
    finite = torch.isfinite(copy).all(1, keepdim=True)
    params[:, : spec.builder_size] = torch.where(finite, copy, params[:, : spec.builder_size])


@torch.no_grad()
def heldout_scores(spec: GenomeSpec, genomes: torch.Tensor, task, device: str | torch.device = "cpu", split: str = "heldout", lifetime: list | None = None) -> dict[str, np.ndarray]:
    """Each genome's ``loss`` (and ``accuracy``, for classification) on a fixed split of the task.

    ``split`` is ``heldout`` (what champions may be picked on) or ``test`` (reports only).
    ``lifetime``: feedback batches ``[(x, y), ...]`` (``lifetime.lifetime_batches``) a plastic
    genome learns from first, so that it is scored as it plays: at the end of its life.
    A broken genome's loss is inf, never NaN.
    """
    xt, yt, *weights = _split_tensors(task, split, str(device))
    if spec.lifetime == "plastic" and lifetime:
        out = forward(unflatten(live(spec, genomes.to(device), lifetime), spec.levels[0]), xt, spec.activation)
    else:
        out = predict(spec, genomes.to(device), xt)
    loss = task.loss(out, yt, *weights).cpu().numpy()
    scores = {"loss": np.where(np.isfinite(loss), loss, np.inf)}
    if hasattr(task, "accuracy"):
        scores["accuracy"] = task.accuracy(out, yt).cpu().numpy()
    return scores


@functools.lru_cache(maxsize=8)
def _split_tensors(task, split: str, device: str) -> tuple[torch.Tensor, ...]:
    """A task's fixed split as tensors on ``device``, made once: MNIST's validation split is 15 MB,
    and the arena scores champions on it every generation. Tasks are frozen dataclasses, so equal
    settings share an entry, and their splits never change. A split is ``(x, y)``, or ``(x, y,
    weights)`` where it is a quadrature (the toy worlds'): then ``task.loss`` takes the weights."""
    x, y, *weights = getattr(task, split)()
    # A copy: tasks hand out read-only arrays, which torch will not wrap.
    return (torch.tensor(x, device=device).reshape(len(x), -1), torch.tensor(y, device=device), *(torch.tensor(w, device=device) for w in weights))


def heldout_loss(spec: GenomeSpec, genomes: torch.Tensor, task, device: str | torch.device = "cpu") -> np.ndarray:
    """``(P,)`` each genome's loss on the task's fixed held-out sample (inf if broken)."""
    return heldout_scores(spec, genomes, task, device)["loss"]


def backprop_through_changes(
    spec: GenomeSpec, env, generations: int, steps_per_generation: int = 1, lr: float = 3e-3, batch_size: int = 256, seed: int = 0, device: str | torch.device = "cpu"
) -> list[dict]:
    """The backprop reference in a changing world: one net trained by Adam without restarts.

    Each generation the world's schedule (``env``, a changing world) sets the task; the net takes
    ``steps_per_generation`` Adam steps on batches of it and is scored on its held-out split.
    Returns rows shaped like a tournament's metrics, so ``adaptivity.analyse`` reports on them.
    """
    world = getattr(env, "unwrapped", env)
    genome = fresh_genomes(spec, 1, torch.Generator().manual_seed(seed)).to(device).requires_grad_(True)
    optimizer = torch.optim.Adam([genome], lr=lr)
    rng = np.random.default_rng(seed)
    rows = []
    for generation in range(generations):
        world.reset(seed=0, options={"generation": generation})
        task = world.task
        for _ in range(steps_per_generation):
            x, y = task.sample(rng, batch_size)
            loss = task.loss(predict(spec, genome, torch.tensor(x, device=device).reshape(batch_size, -1)), torch.tensor(y, device=device))[0]
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        scores = heldout_scores(spec, genome.detach(), task, device)
        row = {"generation": generation, "env/phase": float(world.phase), **{f"champion/heldout_{k}": float(v[0]) for k, v in scores.items()}}
        rows.append({**row, "champion/dead_units": dead_units(spec, genome.detach(), task, device)})
    return rows


@torch.no_grad()
def dead_units(spec: GenomeSpec, genome: torch.Tensor, task, device: str | torch.device = "cpu") -> int:
    """Hidden units of a ``(1, D)`` genome's net whose output is the same for every input of the
    held-out split (a ReLU that never fires): a net trained without restarts can lose its
    plasticity this way, and answer with a constant."""
    h = _split_tensors(task, "heldout", str(device))[0]
    dead = 0
    for w, b in develop(spec, genome)[:-1]:
        h = ACTIVATIONS[spec.activation](h @ w[0].T + b[0])
        dead += int((h == h[:1]).all(0).sum())
    return dead
