"""Lifetime learning: a plastic genome changes its own net during an episode, from its feedback.

A ``lifetime='plastic'`` genome carries, after its builder (``GenomeSpec.parts``), a small
plasticity hypernet. It reads the coordinates the weight hypernet reads and writes one number
per weight of the target net: that weight's step size ``eta(c) = plasticity_lr * exp(raw(c))``
(a fresh plasticity net writes raw 0, so every weight starts at ``plasticity_lr``).

During an episode, before each answer after the first, the agent scores its current net on the
previous step's inputs and targets (``prev_x`` and ``prev_y`` in the observation), sends that
error back to every weight as its gradient, and moves each weight by its step size times that
share of the error. The changes add up on the developed net for the rest of the episode (the
development is the residual's base) and are forgotten at the next episode. Two rules
(``GenomeSpec.plasticity_rule``):

- ``sgd``: ``w <- w - eta(c) * g``, ``g = dL/dw``. With one step size for every weight this is
  plain SGD during life; with eta(c) evolved it is Meta-SGD (Li et al. 2017, "Meta-SGD: learning
  to learn quickly for few-shot learning"), the per-weight rates written by a hypernet from
  coordinates instead of stored one per weight.
- ``normalized`` (the default): ``w <- w - eta(c) * g / rms(g)``, the rms over the net's weights.
  The error's scale varies by orders of magnitude between curves and between fresh genomes:
  under the plain rule at the same base step an evolving population's lineages diverge within
  an episode (``scripts/lifetime_study.py --rule sgd --plasticity-lr 0.02``), and at a base step
  small enough to be safe they learn little in a short life. Normalized, how far a net moves per
  step is the genome's own choice, whatever the error's scale.
"""

from __future__ import annotations

import numpy as np
import torch

from eve_arena.develop import coordinate_outputs, develop_flat
from eve_arena.genome import GenomeSpec
from eve_arena.mlp import forward, he_init, unflatten


def init_plasticity(spec: GenomeSpec, count: int, generator: torch.Generator) -> torch.Tensor:
    """``(count, plasticity params)`` fresh plasticity hypernets: He-initialised hidden layers and
    a zero last layer, so every weight starts at the base step size and evolution shapes it."""
    shape = spec.plasticity_shape
    params = he_init(shape, count, generator)
    out, inp = shape.layers[-1]
    params[:, shape.num_params - out * inp - out :] = 0.0
    return params


def step_sizes(spec: GenomeSpec, genomes: torch.Tensor) -> torch.Tensor:
    """``(P, target_size)`` each weight's lifetime step size, written by the genome's plasticity net."""
    raw = coordinate_outputs(spec, unflatten(genomes[:, spec.parts["plasticity"]], spec.plasticity_shape), 0)
    return spec.plasticity_lr * torch.exp(raw)


def feedback_loss(outputs: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """``(P,)`` each net's error on the feedback: ``(P, B, out)`` outputs against targets shared by
    the nets (``(B,)``, or ``(B, out)`` values) or one set per net (a leading ``P``).

    Integer targets are class labels, scored by cross-entropy (a label below 0 means "no label"
    and is skipped); float targets are values, scored by mean squared error.
    """
    p, b, out = outputs.shape
    if targets.dtype.is_floating_point:  # one value per output, shared by the nets or one set per net
        return ((outputs.reshape(p, b * out) - targets.reshape(-1, b * out)) ** 2).mean(1)
    targets = targets.reshape(-1, b).expand(p, b)
    labelled = targets >= 0
    losses = torch.nn.functional.cross_entropy(outputs.reshape(p * b, out), targets.clamp(min=0).reshape(-1), reduction="none").reshape(p, b)
    return (losses * labelled).sum(1) / labelled.sum(1).clamp(min=1)


def adapt(spec: GenomeSpec, flat: torch.Tensor, steps: torch.Tensor, prev_x: torch.Tensor, prev_y: torch.Tensor, create_graph: bool = False, within: tuple[int, int] | None = None) -> torch.Tensor:
    """``(P, target_size)`` the nets after one lifetime step on the feedback ``(prev_x, prev_y)``.

    ``create_graph`` keeps the step differentiable, so that a trainer can backpropagate through a
    whole lifetime into the genome (as MAML does); agents in a tournament leave it off.
    ``within``: as for ``mlp.forward``, when these nets are a shard of a larger population.
    """
    with torch.enable_grad():
        current = flat if create_graph else flat.detach().requires_grad_(True)
        outputs = forward(unflatten(current, spec.levels[0]), prev_x, spec.activation, within)
        # Each net's loss depends on its own row only, so the gradient of the sum is each row's own.
        (gradient,) = torch.autograd.grad(feedback_loss(outputs, prev_y).sum(), current, create_graph=create_graph)
    if spec.plasticity_rule == "normalized":
        gradient = gradient / (gradient.pow(2).mean(1, keepdim=True).sqrt() + 1e-12)
    return current - steps * gradient


def as_targets(prev_y: np.ndarray) -> torch.Tensor:
    """Feedback targets from the observation, keeping integer labels integer."""
    array = np.asarray(prev_y)
    return torch.tensor(array, dtype=torch.long if np.issubdtype(array.dtype, np.integer) else torch.float32)


def lifetime_losses(spec: GenomeSpec, genomes: torch.Tensor, xs: torch.Tensor, ys: torch.Tensor) -> torch.Tensor:
    """``(S, P)`` each net's loss at each step of an episode, as a match scores it, differentiably.

    ``xs`` ``(S, B, in)`` or ``(S, P, B, in)`` and ``ys`` ``(S, B)`` or ``(S, P, B)``: the batch
    of each step. A plastic net answers step ``s`` with what it learned from steps ``0 .. s-1``;
    a fixed one answers every step with its developed net. Backprop through this trains a
    genome's lifetime the way MAML trains an initialisation.
    """
    flat = develop_flat(spec, genomes)
    steps = step_sizes(spec, genomes) if spec.lifetime == "plastic" else None
    losses = []
    for s in range(len(xs)):
        losses.append(feedback_loss(forward(unflatten(flat, spec.levels[0]), xs[s], spec.activation), ys[s]))
        if steps is not None and s + 1 < len(xs):
            flat = adapt(spec, flat, steps, xs[s], ys[s], create_graph=torch.is_grad_enabled() and flat.requires_grad)
    return torch.stack(losses)


def lifetime_batches(task, count: int, batch_size: int, seed, device: str | torch.device = "cpu") -> list[tuple[torch.Tensor, torch.Tensor]]:
    """``count`` feedback batches ``(x (B, in), y (B,))`` from a supervised task's training data,
    drawn from ``seed``: a lifetime to score a plastic genome by (``train.heldout_scores``)."""
    rng = np.random.default_rng(seed)
    batches = []
    for _ in range(count):
        x, y = task.sample(rng, batch_size)
        batches.append((torch.tensor(x, device=device).reshape(batch_size, -1), as_targets(y).to(device)))
    return batches


def live(spec: GenomeSpec, genomes: torch.Tensor, batches: list[tuple[torch.Tensor, torch.Tensor]]) -> torch.Tensor:
    """``(P, target_size)`` the nets of plastic genomes after learning from ``batches`` in turn."""
    flat, steps = develop_flat(spec, genomes), step_sizes(spec, genomes)
    for x, y in batches:
        flat = adapt(spec, flat, steps, x, y)
    return flat
