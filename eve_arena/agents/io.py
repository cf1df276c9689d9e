"""How a net meets an environment: observation -> input batch, output batch -> action.

The contract for any environment genome agents play in: an observation is either an array of
inputs or a Dict whose ``"x"`` entry is; it is read as ``(B, in_features)`` (a ``(B,)`` array
is ``B`` scalar inputs). The net's ``(B, out_features)`` outputs are reshaped to the action
space's shape, so the action *is* the agent's output; where the space bounds it on both sides the
outputs are squashed into the bounds (``low + (high - low) * sigmoid(out)``), where on one side
only they are clipped, and they take the space's dtype.
"""

from __future__ import annotations

import numpy as np


def input_space(observation_space):
    """The space of a net's inputs: the observation space, or its ``"x"`` entry when it is a Dict."""
    entries = getattr(observation_space, "spaces", None)
    return observation_space["x"] if isinstance(entries, dict) and "x" in entries else observation_space


def observation_inputs(observation, in_features: int) -> np.ndarray:
    """``(B, in_features)`` float32 inputs from one agent's observation."""
    x = observation["x"] if isinstance(observation, dict) else observation
    x = np.asarray(x, dtype=np.float32)
    if x.size % in_features:
        raise ValueError(f"observation of shape {x.shape} cannot be read as rows of {in_features} inputs, which the genome's target net takes")
    return x.reshape(-1, in_features)


def outputs_to_actions(outputs: np.ndarray, action_space) -> list[np.ndarray]:
    """``(k, B, out)`` net outputs -> k actions in ``action_space`` (a Box)."""
    shape = action_space.shape
    k = outputs.shape[0]
    if outputs[0].size != int(np.prod(shape)):
        raise ValueError(f"the net's outputs of shape {outputs.shape[1:]} do not fit the action shape {shape}")
    actions = outputs.reshape(k, *shape)
    low, high = getattr(action_space, "low", None), getattr(action_space, "high", None)
    if low is not None and high is not None:
        bounded = np.isfinite(low) & np.isfinite(high)
        if bounded.any():
            with np.errstate(over="ignore", invalid="ignore"):  # huge outputs squash to a bound; unbounded entries are not used
                squashed = low + (high - low) / (1.0 + np.exp(-actions.astype(np.float64)))
            actions = np.where(bounded, squashed, actions)
    return list(within_bounds(actions, action_space))


def within_bounds(action, action_space) -> np.ndarray:
    """``action`` clipped to the space's finite bounds, in the space's dtype."""
    action = np.asarray(action)
    low, high = getattr(action_space, "low", None), getattr(action_space, "high", None)
    if low is not None and high is not None and (np.isfinite(low).any() or np.isfinite(high).any()):
        action = np.clip(action, low, high)
    return action.astype(getattr(action_space, "dtype", np.float32), copy=False)
