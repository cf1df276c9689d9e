"""eve-arena: hypernetwork genomes evolved through rated PettingZoo tournaments.

    from eve_arena import ArenaConfig, run, load_champion
    run(ArenaConfig(generations=200), "runs/demo", callbacks=[print])
    net = load_champion("runs/demo")        # a torch.nn.Module

Importing the package registers its worlds with PettingZoo (``pettingzoo.make("parallel",
"eve_arena/toy_quadratic-v0")``). The engine: genome specs and their development (``genome``,
``coordinates``, ``develop``), tournaments and ratings (``match``, ``tournament``, ``ratings``,
``ladder``), strategies, the arena loop (``arena``) and a run on disk (``runs``), the worlds
(``envs``). ``eve-arena --help`` is the command line; docs/python-api.md the Python side.
"""

import importlib

__version__ = "0.1.0"

from eve_arena import envs  # noqa: E402  (registers our worlds with PettingZoo)

# The API loads on first use, so `import eve_arena` (and `eve-arena --help`) stays quick.
_API = {"Arena": "eve_arena.arena", "ArenaConfig": "eve_arena.config", "Champion": "eve_arena.champion", "load_champion": "eve_arena.champion", "run": "eve_arena.runs"}

__all__ = ["Arena", "ArenaConfig", "Champion", "__version__", "envs", "load_champion", "run"]


def __getattr__(name: str):
    if name in _API:
        return getattr(importlib.import_module(_API[name]), name)
    raise AttributeError(f"module 'eve_arena' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_API))
