"""MNIST arena: k agents classify the same batch of digits, scored against each other.

| | |
|---|---|
| Import | ``pettingzoo.make("parallel", "eve_arena/mnist-v0")`` |
| Actions | continuous |
| Parallel API | yes |
| Agents | ``agent_0 .. agent_{k-1}`` |
| Action shape | ``(batch_size, 10)`` float32: class logits per image |
| Observation shape | Dict ``x``, ``prev_x`` ``(batch_size, 784)`` float32, ``prev_y`` ``(batch_size,)`` int64 |

Each step draws one batch from the 55,000 MNIST training images (pixels normalised with the
standard mean 0.1307 and std 0.3081) that every agent sees. Each agent answers with logits.

### Observations
``x`` is this step's batch. ``prev_x`` and ``prev_y`` are the previous step's images and true
labels (``prev_y`` is -1 on the first step): the feedback for agents that adapt within an episode.

### Rewards
Cross-entropy is the score (a proper scoring rule, so honest confidence pays): agent i gets
the mean of the other agents' loss minus its own (alone: minus its own). ``infos[agent]``
holds ``loss``, ``accuracy`` (NaN when invalid) and ``invalid``. NaN or inf logits lose the step
(scored strictly worse than every valid agent); a wrong shape raises ``ValueError`` naming the
agent and both shapes.

### Arguments
``num_agents`` (k >= 1), ``batch_size``, ``max_steps`` (truncation), ``data_dir`` (holds
``MNIST/raw/``; default ``$EVE_ARENA_DATA``, else ``~/.cache/eve_arena/data``),
``train_limit`` (use only the first N training images), ``render_mode`` ("human" |
"rgb_array" | None). ``reset(options={"ratings": {...}, "labels": {...}})`` feeds the scoreboard.

### Version History
* v0: first release.
"""

from __future__ import annotations

from eve_arena.envs.supervised import SupervisedArenaEnv, steps_from_cycles
from eve_arena.tasks import MNISTTask


def _renderer(agent_ids, render_mode, fps):
    from eve_arena.envs.mnist_render import MNISTRenderer  # pygame loads only when drawing

    return MNISTRenderer(agent_ids, render_mode, fps)


class MNISTEnv(SupervisedArenaEnv):
    """The MNIST world: ``SupervisedArenaEnv`` over an ``MNISTTask``."""

    def __init__(self, num_agents: int = 4, batch_size: int = 64, max_steps: int = 4, data_dir: str | None = None, train_limit: int | None = None, render_mode: str | None = None):
        task = MNISTTask(data_dir, train_limit)
        task.arrays("train")  # a missing or damaged data directory fails here, with its one-line error
        super().__init__(task, _renderer, num_agents, batch_size, max_steps, render_mode, name="mnist_v0")


def parallel_env(**kwargs) -> MNISTEnv:
    return MNISTEnv(**steps_from_cycles(kwargs))
