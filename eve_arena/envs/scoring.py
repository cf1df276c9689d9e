"""Competitive scoring shared by the worlds: losses in, zero-sum-ish rewards out.

Agent i's reward is the mean of the other agents' losses minus its own (alone: minus its own
loss), so beating the field pays and everyone doing equally well pays nothing. An agent whose
action is NaN or inf is scored as the worst: its loss is replaced by a penalty strictly above
every valid agent's.
"""

from __future__ import annotations

import numpy as np


def penalised_losses(losses: np.ndarray, invalid: np.ndarray, floor: float) -> np.ndarray:
    """Replaces invalid agents' losses by ``max(valid losses, floor) + 1 + |max|``: strictly worst."""
    valid = losses[~invalid]
    worst = max(float(valid.max()) if valid.size else 0.0, floor)
    out = losses.astype(np.float64).copy()
    out[invalid] = worst + 1.0 + abs(worst)
    return out


def competitive_rewards(losses: np.ndarray) -> np.ndarray:
    """``(k,)`` losses -> ``(k,)`` rewards: mean of the others' loss minus one's own."""
    k = len(losses)
    if k == 1:
        return -losses.astype(np.float64)
    # Pairwise differences, so equal losses give exactly zero reward.
    losses = losses.astype(np.float64)
    return (losses[None, :] - losses[:, None]).sum(axis=1) / (k - 1)


def check_action(agent: str, action, expected_shape: tuple[int, ...]) -> np.ndarray:
    """Returns the action as float32, or raises naming the agent, the expected and received shape."""
    try:
        arr = np.asarray(action, dtype=np.float32)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"agent {agent!r} sent an action of type {type(action).__name__} that is not numeric; expected an array of shape {expected_shape}") from exc
    if arr.shape != expected_shape:
        raise ValueError(f"agent {agent!r} sent an action of shape {arr.shape}; expected shape {expected_shape}")
    return arr
