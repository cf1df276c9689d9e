"""Strategies behind one ask/tell interface; ``STRATEGIES`` maps CLI names to them, and
``strategy_class`` also takes a plug-in's ``module:Class`` (docs/python-api.md)."""

import importlib

from eve_arena.errors import UserError

from eve_arena.strategies.base import Strategy
from eve_arena.strategies.cmaes import CMAES, CMAState
from eve_arena.strategies.es import PGPE, PGPEState
from eve_arena.strategies.ga import GAState, GeneticAlgorithm

STRATEGIES = {"ga": GeneticAlgorithm, "pgpe": PGPE, "cmaes": CMAES}


def strategy_class(name: str) -> type:
    """The strategy class ``name`` stands for: a built-in, or ``module:Class`` imported.

    A plug-in is a class with ``init``/``ask``/``tell`` (``base.Strategy``) and a ``state_type``:
    the NamedTuple its states are, whose fields are tensors or plain numbers, so that
    checkpoints hold them without pickling."""
    if name in STRATEGIES:
        return STRATEGIES[name]
    if not isinstance(name, str) or ":" not in name:
        raise UserError(f"unknown strategy {name!r}; choose one of {', '.join(STRATEGIES)}, or give your own as module:Class")
    module_name, _, attribute = name.partition(":")
    try:
        module = importlib.import_module(module_name)
    except Exception as exc:  # not found, or the user's module failed while importing
        raise UserError(f"cannot import {module_name!r} for strategy {name!r} ({type(exc).__name__}: {exc}); is it installed, or on PYTHONPATH?") from exc
    cls = getattr(module, attribute, None)
    if not isinstance(cls, type):
        raise UserError(f"{module_name!r} has no class {attribute!r} for strategy {name!r}")
    missing = [method for method in ("init", "ask", "tell") if not callable(getattr(cls, method, None))]
    if missing:
        raise UserError(f"strategy {name!r} lacks {', '.join(missing)}: a strategy has init(genomes), ask(state) and tell(state, fitness, generator)")
    if not hasattr(getattr(cls, "state_type", None), "_fields"):
        raise UserError(f"strategy {name!r} needs a class attribute state_type: the NamedTuple its states are (tensors or plain numbers), so checkpoints can hold them")
    return cls

__all__ = ["CMAES", "PGPE", "STRATEGIES", "CMAState", "GAState", "GeneticAlgorithm", "PGPEState", "Strategy", "strategy_class"]
