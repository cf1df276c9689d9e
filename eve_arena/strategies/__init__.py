"""Strategies behind one ask/tell interface; ``STRATEGIES`` maps CLI names to them."""

from eve_arena.strategies.base import Strategy
from eve_arena.strategies.ga import GAState, GeneticAlgorithm

STRATEGIES = {"ga": GeneticAlgorithm}

__all__ = ["STRATEGIES", "GAState", "GeneticAlgorithm", "Strategy"]
