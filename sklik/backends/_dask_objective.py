"""DaskObjective: the objective of a fit whose rows live on dask workers."""

import functools
import hashlib

import numpy as np

from sklik._objective import NLLObjective
from sklik.backends import _target_stats as target_stats
from sklik.backends._rows import _not_gathered
from sklik.backends._target import as_row_vector

#: Remembered changes of η between pairs of points (Newton's line search).
_MAX_CHANGES = 64


def point_key(phi) -> str:
    """The name of a point φ on the workers (they remember η by it)."""
    data = np.ascontiguousarray(phi, dtype=np.float64).tobytes()
    return hashlib.blake2b(data, digest_size=12).hexdigest()


def _has_message(dist, y, eta, w) -> bool:
    return dist.degenerate_message(y, eta, w) is not None


class _GatheredOnUse:
    """An n-vector kept on the workers (as ``<name>_rows``), gathered on first use.

    Setting it places new pieces (and forgets the gathered copy).
    """

    def __set_name__(self, owner, name):
        self.name = name

    def __get__(self, objective, owner=None):
        if objective is None:
            return self
        if self.name not in objective._gathered:
            pieces = getattr(objective, f"{self.name}_rows")
            objective._gathered[self.name] = pieces.gather()
        return objective._gathered[self.name]

    def __set__(self, objective, value):
        setattr(objective, f"{self.name}_rows", value)
        objective._gathered.pop(self.name, None)


class DaskObjective(NLLObjective):
    """:class:`~sklik._objective.NLLObjective` over rows that live on dask workers.

    The same objective, penalty and curvature: only the sums over rows
    (the ``_data_*`` methods) are replaced, by one task per worker that
    applies :mod:`sklik._row_sums`' row functions to the blocks it holds
    and returns p-sized (or p×p) sums. ``X`` is a
    :class:`~sklik.backends.RowBlocks`; ``y`` and the normalised weights are
    :class:`~sklik.backends._target.RowVector` on the same workers
    (``y_rows``, ``w_rows``): the intercept-only start and the classifiers'
    checks are reductions there. Reading ``y`` or ``w`` gathers them here
    (n numbers each), which only the steps that need all of y at once do:
    the least-squares closed form and two-stage start, the LAD fit, a
    degenerate fit's message, and the families without reductions.

    η never comes here: :meth:`eta` and :meth:`jvp` return handles whose
    only use is ``largest_change`` (Newton's line search and fallback),
    answered by a reduction on the workers, or from the change of η the
    evaluation's own pass measured. Once a Newton solver has asked for the
    curvature matrix, every evaluation forms it in the same pass (a step
    accepted at its first trial then costs one pass, not two).

    Attributes
    ----------
    passes : int
        Rounds of tasks that read X (value and gradient, curvature matrix,
        Hessian-vector product, ...).
    round_trips : int
        All rounds of one task per worker, passes included.
    """

    rows_local = False
    #: Form the curvature matrix in every evaluation once Newton asked for it.
    speculative_gram = True

    def __init__(self, X, y, sample_weight, dist, model, alpha, eta_offset=None):
        self._gathered = {}
        y, sample_weight = as_row_vector(X, y), as_row_vector(X, sample_weight)
        super().__init__(X, y, sample_weight, dist, model, alpha, eta_offset)
        # η of a few points stays on the workers: at most half of X's size.
        self.n_cached = int(np.clip(X.shape[1] // (2 * dist.n_params), 1, 3))
        self._shards = X.bind(
            self.y_rows, self.w_rows, dist, model, self.eta_offset, self.n_cached
        )
        self._cached = []  # the workers' remembered points, oldest first
        self._changes = {}
        self._speculate = None  # the Newton matrix's `fisher`, once asked for
        self._spec = None  # (key, fisher, data Gram) of the last evaluation
        self.passes = 0
        self.round_trips = 0

    def _run(self, method, *args, reads_x=True, key=None, remember=False):
        """One task per worker; mirrors the workers' memory of points."""
        if key is not None:
            reads_x = reads_x or key not in self._cached
            if key in self._cached:
                self._cached.remove(key)
                self._cached.append(key)
            elif remember:
                self._cached = [*self._cached, key][-self.n_cached :]
        self.round_trips += 1
        self.passes += bool(reads_x)
        return self.X.run(method, *args, shards=self._shards)

    # -- y and the weights where the rows live ----------------------------------------
    y = _GatheredOnUse()  # (y_rows: the workers' pieces)
    w = _GatheredOnUse()  # the normalised weights (w_rows)

    def intercept_only_eta(self) -> np.ndarray:
        eta = target_stats.init_eta(self.dist, self.y_rows, self.w_rows)
        return super().intercept_only_eta() if eta is None else eta

    # -- η where the rows live --------------------------------------------------------
    def forward(self, phi):
        raise _not_gathered("η at every sample")

    def eta(self, phi) -> "DistributedEta":
        return DistributedEta(self, np.array(phi, dtype=np.float64))

    def jvp(self, phi, v) -> "DistributedJvp":
        return DistributedJvp(self, np.array(phi, np.float64), np.array(v, np.float64))

    def per_block(self, phi, func) -> list:
        key = point_key(phi)
        parts = self._run("per_block", phi, key, func, reads_x=False, key=key)
        return [result for part in parts for result in part]

    def degenerate_message(self, phi) -> str | None:
        """The family's reason the fit has no maximum, gated on the workers.

        Each block is asked whether the family would complain of its rows
        alone. That is never the case for all of them when the family
        complains of all rows (every family's test is a count, an "every
        sample" or a sum over the rows that some block must share). In the
        rare fit where a block does complain, η at every row (P numbers a
        row; X stays) comes here for the family's own wording.
        """
        if not any(self.per_block(phi, functools.partial(_has_message, self.dist))):
            return None
        return self.dist.degenerate_message(self.y, self._gather_eta(phi), self.w)

    def _gather_eta(self, phi):
        key = point_key(phi)
        out = np.empty((self.X.shape[0], self.dist.n_params))
        for part in self._run("etas", phi, key, reads_x=False, key=key):
            for i, eta in part:
                out[self.X.edges[i] : self.X.edges[i + 1]] = eta
        return out

    def _eta_change(self, phi, old_phi=None) -> float:
        key = point_key(phi)
        old_key = None if old_phi is None else point_key(old_phi)
        for pair in ((key, old_key), (old_key, key)):
            if pair in self._changes:
                return self._changes[pair]
        both_kept = key in self._cached and (old_key is None or old_key in self._cached)
        changes = self._run(
            "eta_change", phi, key, old_phi, old_key, reads_x=not both_kept
        )
        for touched in (key, old_key):  # (the workers' order of memory)
            if touched in self._cached:
                self._cached.remove(touched)
                self._cached.append(touched)
        return max(changes)

    def _jvp_change(self, phi, v) -> float:
        return max(self._run("jvp_change", phi, point_key(phi), v))

    # -- the sums over rows ------------------------------------------------------------
    def _data_value_grad(self, phi):
        key = point_key(phi)
        gram = None
        if self.speculative_gram and self._speculate is not None:
            fisher = self._speculate
            gram = (fisher, self._constant_fisher() if fisher else None)
        results = self._run("value_grad", phi, key, gram, key=key, remember=True)
        value = sum(r[0] for r in results)
        common = set.intersection(*(set(r[2]) for r in results))
        for other in common:
            self._changes[(key, other)] = max(r[2][other] for r in results)
        while len(self._changes) > _MAX_CHANGES:
            self._changes.pop(next(iter(self._changes)))
        if any(r[1] is None for r in results):
            return value, None
        if gram is not None:
            self._spec = (key, gram[0], sum(r[3] for r in results))
        return value, sum(r[1] for r in results)

    def mean_nll(self, phi) -> float:
        key = point_key(phi)
        return float(sum(self._run("mean_nll", phi, key, reads_x=False, key=key)))

    def curvature(self, eta, rows, fisher=False, constant=None):
        raise _not_gathered("the per-sample curvature")

    def _data_design_gram(self, column):
        return sum(self._run("design_gram", column))

    def _data_gram(self, phi, fisher, constant):
        key = point_key(phi)
        self._speculate = bool(fisher)
        if self._spec is not None and self._spec[:2] == (key, bool(fisher)):
            return self._spec[2].copy()  # formed in the evaluation's pass
        return sum(
            self._run("gram", phi, key, fisher, constant, key=key, remember=True)
        )

    def _data_hessp(self, phi, v, fisher):
        key = point_key(phi)
        return sum(self._run("hessp", phi, key, v, fisher, key=key, remember=True))

    def fisher_root(self, phi):
        raise _not_gathered("the square root of the Fisher information")

    def _data_curvature_sums(self, phi):
        key = point_key(phi)
        return sum(
            self._run("curvature_sums", phi, key, reads_x=False, key=key, remember=True)
        )


class DistributedEta:
    """η at φ where the rows live: all Newton's line search asks of it is
    how far it moved (``largest_change``)."""

    def __init__(self, objective, phi):
        self.objective, self.phi = objective, phi
        self.shape = (objective.X.shape[0], objective.dist.n_params)

    def largest_change(self, old=None) -> float:
        return self.objective._eta_change(self.phi, None if old is None else old.phi)


class DistributedJvp:
    """∂η/∂φ · v at φ where the rows live (for ``largest_change``)."""

    def __init__(self, objective, phi, v):
        self.objective, self.phi, self.v = objective, phi, v
        self.shape = (objective.X.shape[0], objective.dist.n_params)

    def largest_change(self, old=None) -> float:
        if old is not None:
            raise TypeError("the change of a Jacobian-vector product is not defined")
        return self.objective._jvp_change(self.phi, self.v)
