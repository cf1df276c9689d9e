"""CMA-ES through pycma: Hansen & Ostermeier (2001, "Completely Derandomized Self-Adaptation in
Evolution Strategies"), or with ``diagonal`` its separable variant sep-CMA-ES (Ros & Hansen 2008,
"A Simple Modification in CMA-ES Achieving Linear Time and Space Complexity").

pycma keeps its state in a live object and samples from numpy's global RNG; ours must be a
NamedTuple of tensors and JSON scalars that continues bit for bit after a checkpoint. So every
``tell`` builds a fresh ``cma.CMAEvolutionStrategy`` with the same options, restores into it what
its ``tell`` and ``ask`` read (mean, step size, covariance and its eigendecomposition or the
diagonal scaling, both evolution paths, the counters), tells it, asks it for the next population
with a ``randn`` drawn from the generator passed to ``tell``, and copies that state back out.
Options that would keep state we do not restore are fixed off: step size by CSA (pycma picks TPA
above 300 dimensions, which carries injected samples between generations), no mirrors, no
elitism. ``test_cma_restore_matches_a_live_pycma_run`` checks the restore against a pycma object
kept alive. The first mean is ``genomes[0]`` (see ``es.py``); pycma minimises, so it is told
centred ranks of the negated fitness.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import ClassVar, NamedTuple

import cma
import numpy as np
import torch

from eve_arena.errors import UserError
from eve_arena.strategies.base import centered_ranks, first_generator

DIAGONAL_ABOVE = 100
"""With ``diagonal=None``, genomes longer than this use sep-CMA-ES. Full CMA-ES learns C at a rate
~2/D^2, so shaping it takes ~D^2/mu_eff generations (~10^4 for the default 521-weight genome), and
it pays an O(D^3) eigendecomposition nearly every generation (~0.8 s a tell at D = 521, against
~0.05 s for a whole toy-task generation). sep-CMA-ES learns its diagonal ~D/3 times faster in
O(D) per generation; on the toy task it did as well as full CMA-ES or better in 300 generations."""


def numpy_rng(generator: torch.Generator) -> np.random.Generator:
    """The numpy generator pycma samples from, seeded by one draw from ``generator``."""
    return np.random.default_rng(int(torch.randint(2**62, (1,), generator=generator)))


class CMAState(NamedTuple):
    population: torch.Tensor
    """``(P, D)`` pycma's candidates in the genomes' dtype; fresh individuals every generation."""
    ids: torch.Tensor
    next_id: int
    mean: torch.Tensor
    """``(D,)`` float64 distribution mean."""
    sigma: float
    """Global step size."""
    pc: torch.Tensor
    """``(D,)`` evolution path of the covariance."""
    ps: torch.Tensor
    """``(D,)`` evolution path of the step size (CSA)."""
    cov: torch.Tensor
    """``(D, D)`` covariance C (full); ``(0, 0)`` when diagonal."""
    cov_eigvecs: torch.Tensor
    """``(D, D)`` B of the last (lazy) eigendecomposition of C; ``(0, 0)`` when diagonal."""
    cov_sqrt_eigvals: torch.Tensor
    """``(D,)`` D of that decomposition; ``(0,)`` when diagonal."""
    scaling: torch.Tensor
    """``(D,)`` per-coordinate scaling that sep-CMA-ES learns; ``(0,)`` when full."""
    iteration: int
    evaluations: int
    cov_updates: int
    """Covariance updates, and the one at which C was last decomposed (pycma decomposes lazily)."""
    cov_decomposed_at: int
    cov_decompositions: int


@dataclass(frozen=True)
class CMAES:
    state_type: ClassVar[type] = CMAState
    sigma: float = 0.03
    """Initial step size (genomes are O(1): weights of a He-initialised net)."""
    diagonal: bool | None = None
    """sep-CMA-ES (diagonal covariance); None: only for genomes longer than ``DIAGONAL_ABOVE``."""

    def __post_init__(self) -> None:
        if not (math.isfinite(self.sigma) and self.sigma > 0):
            raise UserError(f"CMA-ES sigma must be a positive finite number, got {self.sigma}; try 0.03")
        if self.diagonal not in (None, True, False):
            raise UserError(f"CMA-ES diagonal must be true, false or null, got {self.diagonal!r}")

    def init(self, genomes: torch.Tensor) -> CMAState:
        if len(genomes) < 4:
            raise UserError(f"CMA-ES needs a population of at least 4, got {len(genomes)}")
        es = self._new(genomes[0].double().numpy(), len(genomes), first_generator(genomes))
        return self._extract(es, genomes.dtype, 0)

    def ask(self, state: CMAState) -> tuple[torch.Tensor, torch.Tensor]:
        return state.population, state.ids

    def center(self, state: CMAState) -> torch.Tensor:
        return state.mean.to(state.population.dtype)

    def tell(self, state: CMAState, fitness: torch.Tensor, generator: torch.Generator) -> CMAState:
        """The next state given ``fitness`` ``(P,)`` of ``ask``'s population (maximised; NaN ranks last)."""
        p = len(state.population)
        es = self._new(state.mean.numpy(), p, generator)
        self._restore(es, state)
        candidates = list(state.population.double().numpy())  # exactly what ask returned
        es.tell(candidates, (-centered_ranks(fitness)).tolist(), check_points=False)
        return self._extract(es, state.population.dtype, state.next_id + p)

    def options(self, dimension: int, popsize: int, randn) -> dict:
        """pycma's options: ``randn(*shape)`` supplies every standard normal it samples."""
        diagonal = dimension > DIAGONAL_ABOVE if self.diagonal is None else self.diagonal
        return {
            "popsize": popsize, "CMA_diagonal": diagonal, "AdaptSigma": cma.sigma_adaptation.CMAAdaptSigmaCSA,
            "CMA_mirrors": 0, "CMA_elitist": False, "randn": randn,
            "seed": np.nan, "verbose": -9, "verb_log": 0, "verb_disp": 0,  # no global seeding, no output files
        }

    def _new(self, mean: np.ndarray, popsize: int, generator: torch.Generator) -> cma.CMAEvolutionStrategy:
        rng = numpy_rng(generator)
        options = self.options(len(mean), popsize, lambda *shape: rng.standard_normal(shape))
        return cma.CMAEvolutionStrategy(np.array(mean, copy=True), self.sigma, options)

    @staticmethod
    def _restore(es: cma.CMAEvolutionStrategy, s: CMAState) -> None:
        """Puts ``s`` into a freshly built ``es`` as if it had just asked for ``s.population``."""

        def copy(t: torch.Tensor) -> np.ndarray:  # pycma updates its arrays in place
            return np.array(t.numpy(), copy=True)

        es.mean, es.mean_after_tell, es.sigma = copy(s.mean), copy(s.mean), s.sigma
        es.mean_old = es.mean  # tell reads it only to shift it to mean_old_old (used by TPA, not CSA)
        es.pc, es.adapt_sigma.ps = copy(s.pc), copy(s.ps)
        es.countiter, es.countevals = s.iteration, s.evaluations
        if len(s.scaling):  # sep-CMA-ES: the sampler is the identity, the scaling is learned
            es.sigma_vec = cma.transformations.DiagonalDecoding(copy(s.scaling))
            es.sigma_vec.is_identity = False
        else:
            es.sm.C, es.sm.D = copy(s.cov), copy(s.cov_sqrt_eigvals)
            # pycma's B is column-major (LAPACK's layout), and numpy's products round differently by
            # layout: a row-major B drifts from a live run by an ulp within two generations
            es.sm.B = np.array(s.cov_eigvecs.numpy(), order="F", copy=True)
            es.sm.count_tell, es.sm.last_update = s.cov_updates, s.cov_decomposed_at
            es.sm.count_eigen = s.cov_decompositions
            es.sm._inverse_root_C = None  # recomputed from B and D when needed
        es._updateBDfromSM(es.sm)
        # what ask would have recorded about the population it handed out
        es._flgtelldone, es.timer = False, cma.utilities.utils.ElapsedWCTime()
        es.number_of_solutions_asked, es.number_of_injections, es.evaluations_per_f_value = len(s.population), 0, 1
        es._is_independent_sample = len(s.population) * [True]

    @staticmethod
    def _extract(es: cma.CMAEvolutionStrategy, dtype: torch.dtype, first_id: int) -> CMAState:
        """Asks ``es`` for the next population and returns its state."""
        population = torch.from_numpy(np.array(es.ask())).to(dtype)
        p, full = len(population), isinstance(es.sm, cma.sampler.GaussFullSampler)

        def tensor(a) -> torch.Tensor:
            return torch.from_numpy(np.array(a, dtype=np.float64, order="C", copy=True))

        none, no_matrix = torch.empty(0, dtype=torch.float64), torch.empty(0, 0, dtype=torch.float64)
        return CMAState(
            population, torch.arange(first_id, first_id + p), first_id + p,
            tensor(es.mean), float(es.sigma), tensor(es.pc), tensor(es.adapt_sigma.ps),
            tensor(es.sm.C) if full else no_matrix, tensor(es.sm.B) if full else no_matrix,
            tensor(es.sm.D) if full else none, none if full else tensor(np.broadcast_to(es.sigma_vec.scaling, len(es.mean))),
            int(es.countiter), int(es.countevals),
            int(es.sm.count_tell) if full else 0, int(es.sm.last_update) if full else 0, int(es.sm.count_eigen) if full else 0,
        )
