"""Toy regression arena: k agents predict the same noisy function, scored against each other.

| | |
|---|---|
| Import | ``pettingzoo.make("parallel", "eve_arena/toy_quadratic-v0")`` (or ``toy_linear-v0``) |
| Actions | continuous |
| Parallel API | yes |
| Agents | ``agent_0 .. agent_{k-1}`` |
| Action shape | ``(batch_size,)`` float32: one prediction per input |
| Observation shape | Dict ``x``, ``prev_x``, ``prev_y``, each ``(batch_size,)`` float32 |

The seed's chapter 1 task as a competition. Each step draws one batch of inputs
``x ~ N(0, 1)`` that every agent sees; the targets are ``f(x) + N(0, noise^2)`` with
``f = 10x + 2`` (linear) or ``10x^2 + 2`` (quadratic). Each agent answers with its predictions.

### Observations
``x`` is this step's batch. ``prev_x`` and ``prev_y`` are the previous step's inputs and true
targets (zeros on the first step): the feedback an agent that adapts within its life needs.

### Rewards
Agent i gets the mean of the other agents' MSE minus its own (alone: minus its own MSE).
``infos[agent]`` holds ``mse`` (NaN when invalid) and ``invalid``. The scoreboard's cumulative loss sums the scored
losses, penalties included. An agent whose predictions hold NaN or inf
loses the step: it is scored as strictly worse than every valid agent and ``invalid`` is True.
An action of the wrong shape or type raises ``ValueError`` naming the agent and both shapes.

### Arguments
``num_agents`` (k >= 1), ``task`` ("linear" | "quadratic"), ``batch_size``, ``max_steps``
(the episode is truncated after that many steps), ``noise``, ``render_mode``
("human" | "rgb_array" | None). ``reset(options={"ratings": {agent: float}})`` puts ratings on
the scoreboard; ``options={"labels": {agent: str}}`` names the agents there.

### Version History
* v0: first release.
"""

from __future__ import annotations

from eve_arena.envs.supervised import SupervisedArenaEnv, steps_from_cycles
from eve_arena.tasks import ToyTask


def _renderer(agent_ids, render_mode, fps):
    from eve_arena.envs.toy_render import ToyRenderer  # pygame loads only when drawing

    return ToyRenderer(agent_ids, render_mode, fps)


class ToyRegressionEnv(SupervisedArenaEnv):
    """The toy world: ``SupervisedArenaEnv`` over a ``ToyTask``."""

    def __init__(self, num_agents: int = 4, task: str = "quadratic", batch_size: int = 64, max_steps: int = 8, noise: float = 0.1, render_mode: str | None = None):
        super().__init__(ToyTask(task, noise), _renderer, num_agents, batch_size, max_steps, render_mode, name="toy_regression_v0")


def parallel_env(**kwargs) -> ToyRegressionEnv:
    return ToyRegressionEnv(**steps_from_cycles(kwargs))
