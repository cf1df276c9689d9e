"""Strategies behind one ask/tell interface; ``STRATEGIES`` maps CLI names to them."""

from eve_arena.strategies.base import Strategy
from eve_arena.strategies.cmaes import CMAES, CMAState
from eve_arena.strategies.es import PGPE, PGPEState
from eve_arena.strategies.ga import GAState, GeneticAlgorithm

STRATEGIES = {"ga": GeneticAlgorithm, "pgpe": PGPE, "cmaes": CMAES}

__all__ = ["CMAES", "PGPE", "STRATEGIES", "CMAState", "GAState", "GeneticAlgorithm", "PGPEState", "Strategy"]
