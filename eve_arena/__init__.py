"""eve-arena: hypernetwork genomes evolved through rated PettingZoo tournaments.

The engine: genome specs and their development (``genome``, ``coordinates``, ``develop``),
tournaments and ratings (``match``, ``tournament``, ``ratings``), strategies, the arena loop
(``arena``, ``runs``) and the worlds (``envs``). ``eve-arena --help`` is the command line.
"""

__version__ = "0.1.0"
