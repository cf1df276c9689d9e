"""Agents that play in matches: genome-carrying teams, reference baselines, plug-in agents."""
