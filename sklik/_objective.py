"""The one objective every sklik estimator minimises.

The arithmetic over rows lives in :mod:`sklik._row_sums` (``*_rows``):
:class:`NLLObjective` applies it to all of X at once, and the dask
backend (:mod:`sklik.backends`) applies the same functions to each block of
rows where it lives and adds up the sums.
"""

import numpy as np

from sklik._centring import centring_groups
from sklik._row_sums import (
    curvature_rows,
    curvature_sums_rows,
    design_gram_rows,
    forward_rows,
    gram_rows,
    hessp_operator_rows,
    hessp_rows,
    value_grad_rows,
)


class NLLObjective:
    r"""Weighted mean negative log-likelihood plus an L2 penalty.

    .. math::

        L[\phi] = \frac{1}{\sum_i s_i} \sum_i s_i \,
        \bigl(-\log \Pr(y_i \mid f[x_i, \phi])\bigr)
        + \frac{\alpha}{2} \lVert \mathrm{coef} \rVert^2

    Intercepts and constant (x-independent) parameters are not penalised.
    For each shift-invariant block of the distribution (softmax logits) a
    centring term :math:`\tfrac12 \sum_r (\sum_{j \in B} A_{rj})^2` over the
    model's output layer A is added: it is zero at the centred solution and
    removes the flat direction, so the minimiser is unique while the minimum
    is unchanged. Where a family has a guard (an unbounded likelihood kept
    finite), its penalty is added per sample.

    Calling the object returns ``(value, gradient)``, the form
    ``scipy.optimize.minimize(..., jac=True)`` takes; ``hessian``,
    ``hessp`` and ``fisher_root`` serve the Newton-type solvers through the
    model's capabilities (``gram``, ``jvp``). The sums over rows are the
    ``_data_*`` methods; the dask backend's objective replaces just those.

    Parameters
    ----------
    X : ndarray or sparse matrix of shape (n_samples, n_features)
    y : ndarray of shape (n_samples,)
        Target, encoded (and in the units) the distribution expects.
    sample_weight : ndarray of shape (n_samples,)
        Non-negative weights with a positive sum; normalised here, once.
    dist : Distribution
    model : Model
    alpha : float
        Strength of the L2 penalty.
    eta_offset : ndarray of shape (P,), default=None
        Fixed offset from the model's output to η (the family's units, see
        :class:`~sklik.distributions.EtaUnits`); None: zero.
    """

    #: All rows are in this process: whatever needs them at once (the SVD
    #: of the Fisher square root, an LP over the samples) may have them.
    rows_local = True

    def __init__(self, X, y, sample_weight, dist, model, alpha, eta_offset=None):
        self.X, self.y, self.dist, self.model = X, y, dist, model
        self.eta_offset = (
            np.zeros(dist.n_params) if eta_offset is None else np.asarray(eta_offset)
        )
        #: Σ sample_weight: the objective is a mean, the log-likelihood a sum.
        self.total_weight = float(sample_weight.sum())
        self.w = sample_weight / self.total_weight
        self.penalty = alpha * model.penalty_weights()
        #: The centring term's groups (:class:`~sklik._centring.CentringGroups`)
        self.centring_groups = centring_groups(dist, model)
        self._design_grams = {}
        self._last = (None, None, None)
        self._last_call = (None, None, None)

    # -- η and the cache ---------------------------------------------------------
    def forward(self, phi):
        """(η, cache) at φ; the last point is remembered (no second pass)."""
        last_phi, eta, cache = self._last
        if last_phi is not None and np.array_equal(last_phi, phi):
            return eta, cache
        eta, cache = forward_rows(self.model, self.X, phi, self.eta_offset)
        self._last = (phi.copy(), eta, cache)
        return eta, cache

    def eta(self, phi) -> np.ndarray:
        return self.forward(phi)[0]

    def jvp(self, phi, v) -> np.ndarray:
        """∂η/∂φ · v at φ, shape (n, P)."""
        return self.model.jvp(self.forward(phi)[1], v)

    def per_block(self, phi, func) -> list:
        """``[func(y, η, w)]`` over the blocks of rows (here: one, all rows).

        For checks that need η at every sample (a fit's degeneracy, the
        classes' separation): the dask backend calls ``func`` where each
        block lives and returns only its results.
        """
        return [func(self.y, self.eta(phi), self.w)]

    def intercept_only_eta(self) -> np.ndarray:
        """The family's intercept-only maximum-likelihood η (its ``init_eta``)."""
        return self.dist.init_eta(self.y, self.w)

    def degenerate_message(self, phi) -> str | None:
        """The family's reason why the fit at φ has no maximum, or None."""
        return self.dist.degenerate_message(self.y, self.eta(phi), self.w)

    # -- value and gradient --------------------------------------------------------
    def _centring(self, phi):
        """Value and gradient of the centring term (0 without an invariant block)."""
        if self.centring_groups is None:
            return 0.0, 0.0
        sums = self.centring_groups.sums(phi)
        return 0.5 * sums @ sums, self.centring_groups.spread(sums)

    def _data_value_grad(self, phi):
        """Σᵢ wᵢ (NLLᵢ + guardᵢ) and its gradient (None if not finite)."""
        eta, cache = self.forward(phi)
        return value_grad_rows(self.dist, self.model, self.y, self.w, eta, cache)

    def __call__(self, phi):
        last_phi, last_value, last_grad = self._last_call
        if last_phi is not None and np.array_equal(last_phi, phi):
            return last_value, last_grad.copy()  # e.g. the final convergence check
        value, data_grad = self._data_value_grad(phi)
        pen = self.penalty * phi
        c_val, c_grad = self._centring(phi)
        with np.errstate(over="ignore", invalid="ignore"):
            value += 0.5 * np.einsum("i,i->", phi, pen) + c_val
            if np.isfinite(value) and data_grad is not None:
                grad = data_grad + pen + c_grad
        if not (np.isfinite(value) and np.all(np.isfinite(grad))):
            # Far outside the likelihood's range (a trial step too long): a
            # value no line search accepts, and no pass over X for it.
            value, grad = np.inf, np.zeros(len(phi))
        self._last_call = (phi.copy(), value, grad.copy())
        return value, grad

    def penalty_value(self, phi) -> float:
        """The penalty and centring terms of L at φ (no pass over X)."""
        return 0.5 * phi @ (self.penalty * phi) + self._centring(phi)[0]

    def mean_nll(self, phi) -> float:
        """The data term alone: weighted mean NLL at φ (no guard)."""
        return float(self.w @ self.dist.nll(self.y, self.eta(phi)))

    # -- curvature -----------------------------------------------------------------
    def curvature(self, eta, rows, fisher=False, constant=None):
        """Per-sample curvature w.r.t. η of the given rows, weighted by w: (m, P, P).

        See :func:`curvature_rows`.
        """
        return curvature_rows(
            self.dist, self.y[rows], self.w[rows], eta[rows], fisher, constant
        )

    def design_gram(self, column) -> np.ndarray:
        """Σᵢ wᵢ JᵢⱼᵀJᵢⱼ over the entries of φ feeding η column ``column``.

        The weighted Gram matrix of that column's design (standardised
        columns and intercept): the least-squares solve and every constant
        block of the Fisher information share it. Formed once per design
        (columns with the same entries share it).
        """
        mask = tuple(self.model.column_mask(column))
        if mask not in self._design_grams:
            self._design_grams[mask] = self._data_design_gram(column)
        return self._design_grams[mask]

    def _data_design_gram(self, column):
        return design_gram_rows(self.model, self.X, self.w, column, self.dist.n_params)

    def _add_curvature_extra(self, H):
        """Add the penalty's and the centring term's curvature to H, in place."""
        H[np.diag_indices_from(H)] += self.penalty
        if self.centring_groups is not None:  # one block of ones per centring group
            for members in self.centring_groups.members():
                H[np.ix_(members, members)] += 1.0
        return H

    def hessian(self, phi, fisher=False) -> np.ndarray:
        """Hessian of L at φ, or its expected (Fisher) version if ``fisher``.

        Where the family's Fisher information has constant entries (the
        Normal's log σ: 2, uncorrelated with μ), those blocks are the cached
        design Gram times the constant: a Fisher matrix then costs the
        varying blocks only.
        """
        constant = self._constant_fisher() if fisher else None
        H = self._data_gram(phi, fisher, constant)
        if constant is not None:
            for j in np.flatnonzero(np.nan_to_num(np.diag(constant)) != 0):
                idx = self.model.column_entries(j)
                H[np.ix_(idx, idx)] += constant[j, j] * self.design_gram(j)
        return self._add_curvature_extra(H)

    def _data_gram(self, phi, fisher, constant):
        eta = self.eta(phi)
        return gram_rows(
            self.dist, self.model, self.X, self.y, self.w, eta, fisher, constant
        )

    def _constant_fisher(self):
        """The family's constant Fisher entries, where the design Gram serves.

        Only with the linear model's Gram, only diagonal constants (an
        off-diagonal constant must be zero) and only when the Fisher
        information is what the curvature uses.
        """
        constant = self.dist.constant_fisher()
        if constant is None or not self.model.has_gram or not self.dist.has_fisher:
            return None
        off = ~np.eye(len(constant), dtype=bool) & ~np.isnan(constant)
        if np.any(constant[off] != 0):
            return None
        return constant

    def hessp(self, phi, v, fisher=False) -> np.ndarray:
        """Hessian (or Fisher) matrix times a vector, without forming the matrix.

        For a model non-linear in φ this is the Gauss-Newton product (the
        curvature of η itself is left out).
        """
        return self._data_hessp(phi, v, fisher) + self._extra_times(v)

    def _extra_times(self, v):
        """The penalty's and the centring term's curvature times v."""
        out = self.penalty * v
        if self.centring_groups is not None:  # a block of ones per group
            out += self.centring_groups.spread(self.centring_groups.sums(v))
        return out

    def _data_hessp(self, phi, v, fisher):
        eta, cache = self.forward(phi)
        return hessp_rows(self.dist, self.model, self.y, self.w, eta, cache, v, fisher)

    def hessp_operator(self, phi, fisher=False):
        """v ↦ ``hessp(φ, v)``, the per-sample curvature formed once for all v."""
        eta, cache = self.forward(phi)
        data = hessp_operator_rows(
            self.dist, self.model, self.y, self.w, eta, cache, fisher
        )

        def product(v):
            out = data(v)
            out += self._extra_times(v)
            return out

        return product

    def fisher_root(self, phi) -> np.ndarray:
        """A matrix R of shape (m, len(φ)) with RᵀR = ``hessian(φ, fisher=True)``.

        One block of rows per sample, Cᵢ^½·Jᵢ (Cᵢ the sample's weighted Fisher
        information w.r.t. η, Jᵢ the Jacobian of ηᵢ w.r.t. φ, column by
        column from ``jvp``), then one row per penalised parameter and one
        per centring group. Factorising R rather than RᵀR keeps the digits
        an ill-conditioned design would otherwise cost twice.
        """
        k = len(phi)
        eta, cache = self.forward(phi)
        J = np.stack([self.model.jvp(cache, e) for e in np.eye(k)], axis=2)
        C = self.curvature(eta, slice(None), fisher=True)
        lam, V = np.linalg.eigh(C)
        root = V * np.sqrt(np.clip(lam, 0.0, None))[:, None, :]  # C = root rootᵀ
        rows = np.einsum("npq,npk->nqk", root, J).reshape(-1, k)
        # Entries below eps² of the largest carry no information but can be
        # subnormal numbers, which make LAPACK orders of magnitude slower.
        rows[np.abs(rows) < np.finfo(float).eps ** 2 * np.max(np.abs(rows))] = 0.0
        rows = [rows, np.diag(np.sqrt(self.penalty))[self.penalty > 0]]
        if self.centring_groups is not None:
            groups = self.centring_groups
            centring = np.zeros((groups.n_groups, k))
            centring[groups.group, groups.index] = 1.0
            rows.append(centring)
        return np.vstack(rows)

    def hessian_diagonal_estimate(self, phi) -> np.ndarray:
        """Cheap positive estimate of the Hessian's diagonal at φ (no pass over X).

        Per parameter: the model's estimate from the weighted mean curvature
        of each column of η, plus its penalty weight; ones where the model
        gives none.
        """
        estimate = self.model.curvature_diagonal(self._data_curvature_sums(phi))
        if estimate is None:
            return np.ones(len(phi))
        estimate = estimate + self.penalty
        tiny = np.finfo(float).tiny
        return np.where(estimate > tiny, estimate, max(estimate.max(), tiny))

    def _data_curvature_sums(self, phi):
        return curvature_sums_rows(self.dist, self.y, self.w, self.eta(phi))
