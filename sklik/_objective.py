"""The one objective every sklik estimator minimises."""

import numpy as np

from sklik._chunks import row_chunks


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
    model's capabilities (``gram``, ``jvp``).

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

    def __init__(self, X, y, sample_weight, dist, model, alpha, eta_offset=None):
        self.X, self.y, self.dist, self.model = X, y, dist, model
        self.eta_offset = (
            np.zeros(dist.n_params) if eta_offset is None else np.asarray(eta_offset)
        )
        #: Σ sample_weight: the objective is a mean, the log-likelihood a sum.
        self.total_weight = float(sample_weight.sum())
        self.w = sample_weight / self.total_weight
        self.penalty = alpha * model.penalty_weights()
        self._groups = _centring_groups(dist, model)
        self._design_grams = {}
        self._last = (None, None, None)
        self._last_call = (None, None, None)

    # -- η and the cache ---------------------------------------------------------
    def forward(self, phi):
        """(η, cache) at φ; the last point is remembered (no second pass)."""
        last_phi, eta, cache = self._last
        if last_phi is not None and np.array_equal(last_phi, phi):
            return eta, cache
        eta, cache = self.model.forward(self.X, phi)
        if self.eta_offset.any():
            eta += self.eta_offset  # (η is the model's own array)
        self._last = (phi.copy(), eta, cache)
        return eta, cache

    def eta(self, phi) -> np.ndarray:
        return self.forward(phi)[0]

    def jvp(self, phi, v) -> np.ndarray:
        """∂η/∂φ · v at φ, shape (n, P)."""
        return self.model.jvp(self.forward(phi)[1], v)

    # -- value and gradient --------------------------------------------------------
    def _centring(self, phi):
        """Value and gradient of the centring term (0 without an invariant block)."""
        if self._groups is None:
            return 0.0, 0.0
        index, group, n_groups = self._groups
        sums = np.bincount(group, weights=phi[index], minlength=n_groups)
        grad = np.zeros(len(phi))
        grad[index] = sums[group]
        return 0.5 * sums @ sums, grad

    def __call__(self, phi):
        last_phi, last_value, last_grad = self._last_call
        if last_phi is not None and np.array_equal(last_phi, phi):
            return last_value, last_grad.copy()  # e.g. the final convergence check
        eta, cache = self.forward(phi)
        nll, G = self.dist.nll_grad(self.y, eta)
        guard = self.dist.guard(eta)
        if guard is not None:
            nll = nll + guard[0]
            G += guard[1]
        pen = self.penalty * phi
        c_val, c_grad = self._centring(phi)
        # einsum's loops, not BLAS: with L-BFGS-B (scipy's OpenBLAS) between
        # evaluations, a call into numpy's OpenBLAS makes the two thread pools
        # fight over the cores (a sparse fit took 2.3x longer at 2 threads).
        with np.errstate(over="ignore", invalid="ignore"):
            value = np.einsum("i,i->", self.w, nll)
            value += 0.5 * np.einsum("i,i->", phi, pen) + c_val
            if np.isfinite(value):
                G *= self.w[:, None]  # in place: G is this call's own array
                grad = self.model.backward(cache, G) + pen + c_grad
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

        The Fisher information if ``fisher`` (and the family has it), else the
        observed Hessian (or the Fisher information if that is all there is),
        plus the guard's curvature. Entries where ``constant`` (P, P) is not
        NaN are left out (set to zero): their Gram blocks come from the
        cached design Gram instead.
        """
        dist = self.dist
        use_fisher = dist.has_fisher and (fisher or not dist.has_hessian)
        if use_fisher:
            C = dist.fisher(eta[rows])
        else:
            C = dist.hessian(self.y[rows], eta[rows])
        if constant is not None:
            C[:, ~np.isnan(constant)] = 0.0
        guard = dist.guard(eta[rows])
        if guard is not None:
            idx = np.arange(C.shape[1])
            C[:, idx, idx] += guard[2]
        C *= self.w[rows, None, None]
        return C

    def design_gram(self, column) -> np.ndarray:
        """Σᵢ wᵢ JᵢⱼᵀJᵢⱼ over the entries of φ feeding η column ``column``.

        The weighted Gram matrix of that column's design (standardised
        columns and intercept): the least-squares solve and every constant
        block of the Fisher information share it. Formed once per design
        (columns with the same entries share it).
        """
        mask = tuple(self.model.column_mask(column))
        if mask not in self._design_grams:
            n_eta = self.dist.n_params

            def weights(rows):
                w = self.w[rows]
                C = np.zeros((len(w), n_eta, n_eta))
                C[:, column, column] = w
                return C

            idx = self.model.column_entries(column)
            gram = self.model.gram(self.X, weights)[np.ix_(idx, idx)]
            self._design_grams[mask] = gram
        return self._design_grams[mask]

    def _add_curvature_extra(self, H):
        """Add the penalty's and the centring term's curvature to H, in place."""
        H[np.diag_indices_from(H)] += self.penalty
        if self._groups is not None:  # one block of ones per centring group
            index, group, _ = self._groups
            order = np.argsort(group, kind="stable")
            bounds = np.flatnonzero(np.diff(group[order])) + 1
            for members in np.split(index[order], bounds):
                H[np.ix_(members, members)] += 1.0
        return H

    def hessian(self, phi, fisher=False) -> np.ndarray:
        """Hessian of L at φ, or its expected (Fisher) version if ``fisher``.

        Where the family's Fisher information has constant entries (the
        Normal's log σ: 2, uncorrelated with μ), those blocks are the cached
        design Gram times the constant: a Fisher matrix then costs the
        varying blocks only.
        """
        eta = self.eta(phi)
        # diag(a) - b bᵀ per sample (softmax): the same matrix, fewer products.
        factors = self.dist.hessian_factors
        constant = self._constant_fisher() if fisher else None

        def weighted_curvature(rows):  # per chunk of rows: never (n, P, P) at once
            if factors is not None:
                a, b = factors(self.y[rows], eta[rows])
                return a * self.w[rows, None], b * np.sqrt(self.w[rows, None])
            return self.curvature(eta, rows, fisher, constant)

        H = self.model.gram(self.X, weighted_curvature)
        if constant is not None:
            for j in np.flatnonzero(np.nan_to_num(np.diag(constant)) != 0):
                idx = self.model.column_entries(j)
                H[np.ix_(idx, idx)] += constant[j, j] * self.design_gram(j)
        return self._add_curvature_extra(H)

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
        eta, cache = self.forward(phi)
        C = self.curvature(eta, slice(None), fisher)
        CJv = np.einsum("ijk,ik->ij", C, self.model.jvp(cache, v))
        # The centring term is quadratic: its gradient at v is its Hessian times v.
        return self.model.backward(cache, CJv) + self.penalty * v + self._centring(v)[1]

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
        if self._groups is not None:
            index, group, n_groups = self._groups
            centring = np.zeros((n_groups, k))
            centring[group, index] = 1.0
            rows.append(centring)
        return np.vstack(rows)

    def hessian_diagonal_estimate(self, phi) -> np.ndarray:
        """Cheap positive estimate of the Hessian's diagonal at φ (no pass over X).

        Per parameter: the model's estimate from the weighted mean curvature
        of each column of η, plus its penalty weight; ones where the model
        gives none.
        """
        eta = self.eta(phi)
        n_eta = eta.shape[1]
        diag = np.arange(n_eta)
        mean_curv = np.zeros(n_eta)
        fisher = self.dist.has_fisher
        for rows in row_chunks(eta.shape[0], n_eta * n_eta):
            C = self.curvature(eta, rows, fisher)
            mean_curv += np.abs(C[:, diag, diag]).sum(axis=0)
        estimate = self.model.curvature_diagonal(mean_curv)
        if estimate is None:
            return np.ones(len(phi))
        estimate = estimate + self.penalty
        tiny = np.finfo(float).tiny
        return np.where(estimate > tiny, estimate, max(estimate.max(), tiny))


def _centring_groups(dist, model):
    """(index in φ, group, n_groups) of the output entries in shift-invariant blocks.

    One group per (row of the output layer, shift-invariant block); None if
    the family has no such block.
    """
    index, row, column = model.output_entries()
    block_of = np.full(dist.n_params, -1)
    invariant = [b for b in dist.blocks if b.shift_invariant]
    for k, block in enumerate(invariant):
        block_of[list(block.columns)] = k
    keep = block_of[column] >= 0
    if not keep.any():
        return None
    key = row[keep] * len(invariant) + block_of[column[keep]]
    _, group = np.unique(key, return_inverse=True)
    return index[keep], group, int(group.max()) + 1
