"""A worked example of an environment plugged into eve-arena, in all three ways.

1. Registered: importing this package registers ``sine_arena/sine-v0`` with PettingZoo, so
   ``eve-arena tournament --env sine_arena/sine-v0`` works once ``sine_arena`` is importable.
2. Entry point: ``pyproject.toml`` declares the same id in the ``eve_arena.envs`` group, so
   an installed copy is found without importing anything by hand.
3. Named: ``eve-arena tournament --env sine_arena.env:SineArenaEnv`` builds the class directly.
"""

import pettingzoo

from sine_arena.env import SineArenaEnv, parallel_env

if "sine_arena/sine-v0" not in pettingzoo.parallel_registry:
    pettingzoo.register("parallel", "sine_arena/sine-v0", entry_point="sine_arena.env:parallel_env")

__all__ = ["SineArenaEnv", "parallel_env"]
