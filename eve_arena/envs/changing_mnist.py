"""Changing MNIST worlds: the digits or their labels change during a run, on a schedule.

| | |
|---|---|
| Import | ``pettingzoo.make("parallel", "eve_arena/mnist_permuted-v0")`` (or ``mnist_rotated-v0``, ``mnist_label_shift-v0``) |
| Actions | ``(batch_size, 10)`` float32 logits |
| Observation | Dict ``x`` ``(batch_size, 784)``, ``prev_x``, ``prev_y`` (the previous step's images and labels) |

The MNIST world (``mnist``) in phases (``tasks.ShiftedMNISTTask``): phase 0 is plain MNIST; each
later phase has its own pixel permutation (``permuted``), rotation angle (``rotated``) or label
permutation (``label_shift``), drawn from ``change_seed``. The ``schedules.Schedule`` is that of
the changing toy worlds: every ``change_every`` generations (default 20) or steps (each
episode's shifts drawn from its seed), or every episode; only rotations may change gradually. ``infos[agent]["phase"]`` holds the phase, and
champions are scored on the current phase's validation split.

### Arguments
Those of ``mnist``, and ``change_every``, ``change_unit``, ``change_mode``, ``change_seed``.

### Version History
* v0: first release.
"""

from __future__ import annotations

from eve_arena.envs.changing import ChangingArenaEnv
from eve_arena.envs.supervised import steps_from_cycles
from eve_arena.envs.mnist import _renderer
from eve_arena.errors import UserError
from eve_arena.schedules import Schedule
from eve_arena.tasks import ShiftedMNISTTask


class ChangingMNISTEnv(ChangingArenaEnv):
    def __init__(
        self,
        num_agents: int = 4,
        shift: str = "permute",
        change_every: int = 20,
        change_unit: str = "generation",
        change_mode: str = "abrupt",
        change_seed: int = 0,
        batch_size: int = 64,
        max_steps: int = 4,
        data_dir: str | None = None,
        train_limit: int | None = None,
        render_mode: str | None = None,
    ):
        if change_mode == "gradual" and shift != "rotate":
            raise UserError(f"a {shift} shift has no halfway point: use change_mode='abrupt' (only rotations change gradually)")
        self._settings = {"data_dir": data_dir, "train_limit": train_limit, "shift": shift, "shift_seed": change_seed}
        ShiftedMNISTTask(**self._settings).arrays("train")  # a missing or damaged data directory fails here, with its one-line error
        super().__init__(Schedule(change_every, change_unit, change_mode, change_seed), _renderer, num_agents, batch_size, max_steps, render_mode, name=f"mnist_{shift}_v0")

    def task_for(self, phase: float) -> ShiftedMNISTTask:
        return ShiftedMNISTTask(**{**self._settings, "shift_seed": self.draw_seed}, phase=phase)


def parallel_env(**kwargs) -> ChangingMNISTEnv:
    return ChangingMNISTEnv(**steps_from_cycles(kwargs))
