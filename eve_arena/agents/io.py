"""How a net meets an environment: observation -> input batch, output batch -> action.

The contract for any environment genome agents play in: an observation is either an array of
inputs or a Dict whose ``"x"`` entry is; it is read as ``(B, in_features)`` (a ``(B,)`` array
is ``B`` scalar inputs). The net's ``(B, out_features)`` outputs are reshaped to the action
space's shape, so the action *is* the agent's output.
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


def outputs_to_actions(outputs: np.ndarray, action_shape: tuple[int, ...]) -> list[np.ndarray]:
    """``(k, B, out)`` net outputs -> k actions of ``action_shape``."""
    k = outputs.shape[0]
    if outputs[0].size != int(np.prod(action_shape)):
        raise ValueError(f"the net's outputs of shape {outputs.shape[1:]} do not fit the action shape {action_shape}")
    return list(outputs.reshape(k, *action_shape))
