"""Changing toy worlds: the regression target changes during a run, on a schedule.

| | |
|---|---|
| Import | ``pettingzoo.make("parallel", "eve_arena/toy_sinusoid-v0")`` (or ``toy_drift-v0``, ``toy_switch-v0``) |
| Actions | continuous, ``(batch_size,)`` float32: one prediction per input |
| Observation | Dict ``x``, ``prev_x``, ``prev_y``, each ``(batch_size,)`` float32 |

The toy world (``toy_regression``) with a target from a family of curves (``tasks.CurveTask``):

- ``sinusoid``: ``A sin(x + phi)``, A in [0.1, 5], phi in [0, pi], x in [-5, 5] (MAML's benchmark);
- ``drift``: ``a x^2 + b x + c`` with a, b, c in [-10, 10], best with ``change_mode="gradual"``:
  the coefficients then drift smoothly from one phase's draw to the next;
- ``switch``: the seed's two targets in turn, ``10x + 2`` and ``10x^2 + 2``.

A ``schedules.Schedule`` says when: every ``change_every`` generations (the arena passes the
generation as ``reset(options={"generation": g})``), every ``change_every`` steps within an
episode (each episode's sequence drawn from its seed), or every episode (the task numbered by
the episode's seed); abrupt or gradual; seeded by ``change_seed``. ``infos[agent]["phase"]`` and the env's ``phase`` attribute hold the phase:
its integer part numbers the task, a fraction is a blend between two. An agent that adapts
within its life reads the previous step's inputs and targets in ``prev_x`` and ``prev_y``.

### Arguments
Those of ``toy_regression`` but ``task``, and ``family``, ``change_every``, ``change_unit``
("generation" | "step" | "episode"), ``change_mode`` ("abrupt" | "gradual"), ``change_seed``.

### Version History
* v0: first release.
"""

from __future__ import annotations

from eve_arena.envs.changing import ChangingArenaEnv
from eve_arena.envs.supervised import steps_from_cycles
from eve_arena.envs.toy_regression import _renderer
from eve_arena.schedules import Schedule
from eve_arena.tasks import CurveTask, curve_at


class ChangingToyEnv(ChangingArenaEnv):
    def __init__(
        self,
        num_agents: int = 4,
        family: str = "sinusoid",
        change_every: int = 20,
        change_unit: str = "generation",
        change_mode: str = "abrupt",
        change_seed: int = 0,
        batch_size: int = 64,
        max_steps: int = 8,
        noise: float = 0.1,
        render_mode: str | None = None,
    ):
        self.family, self.noise = family, noise
        super().__init__(Schedule(change_every, change_unit, change_mode, change_seed), _renderer, num_agents, batch_size, max_steps, render_mode, name=f"toy_{family}_v0")

    def task_for(self, phase: float) -> CurveTask:
        return curve_at(self.family, phase, self.draw_seed, self.noise)


def parallel_env(**kwargs) -> ChangingToyEnv:
    return ChangingToyEnv(**steps_from_cycles(kwargs))
