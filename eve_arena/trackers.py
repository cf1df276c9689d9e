"""Trackers: callbacks that send each generation's metrics somewhere else (``runs.run``).

A tracker is any callable taking the metrics dict; one with a ``close()`` has it called when
the run ends or stops. TensorBoard is built in (``--tensorboard DIR``, the ``[tensorboard]``
extra); docs/python-api.md shows Weights & Biases as a three-line callback.
"""

from __future__ import annotations

import math
from pathlib import Path

from eve_arena.errors import UserError


class TensorBoard:
    """Writes every numeric metric as a TensorBoard scalar at step ``generation``."""

    def __init__(self, log_dir: str | Path):
        try:
            from torch.utils.tensorboard import SummaryWriter
        except ImportError:
            raise UserError("--tensorboard needs the tensorboard package: pip install 'eve-arena[tensorboard]'") from None
        try:
            self.writer = SummaryWriter(log_dir=str(log_dir), flush_secs=10)
        except OSError as exc:
            raise UserError(f"cannot write TensorBoard logs to {log_dir}: {exc.strerror or exc}") from None

    def __call__(self, metrics: dict) -> None:
        step = metrics["generation"]
        for key, value in metrics.items():
            if key != "generation" and isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value):
                self.writer.add_scalar(key, value, step)

    def close(self) -> None:
        self.writer.close()
