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
    For shift-invariant distributions (softmax logits) a centring term
    :math:`\tfrac12 \sum_r (\sum_j A_{rj})^2` on the standardised parameter
    matrix is added: it is zero at the centred solution and removes the flat
    direction, so the minimiser is unique while the minimum is unchanged.

    Calling the object returns ``(value, gradient)``, the form
    ``scipy.optimize.minimize(..., jac=True)`` takes; ``hessian`` and
    ``hessp`` serve the Newton-type solvers.

    Parameters
    ----------
    X : ndarray or sparse matrix of shape (n_samples, n_features)
    y : ndarray of shape (n_samples,)
        Target, encoded as the distribution expects.
    sample_weight : ndarray of shape (n_samples,)
        Non-negative weights with a positive sum; normalised here, once.
    dist : Distribution
    model : LinearModel
    alpha : float
        Strength of the L2 penalty on the user-scale coefficients.
    """

    def __init__(self, X, y, sample_weight, dist, model, alpha):
        self.X, self.y, self.dist, self.model = X, y, dist, model
        self.w = sample_weight / sample_weight.sum()
        self.penalty = alpha * model.penalty_weights()
        self._last = (None, None)
        self._last_call = (None, None, None)

    def _eta(self, phi):
        last_phi, last_eta = self._last
        if last_phi is not None and np.array_equal(last_phi, phi):
            return last_eta
        eta = self.model.forward(self.X, phi)
        self._last = (phi.copy(), eta)
        return eta

    def _centring(self, phi):
        """Value and gradient of the centring term (0 unless shift-invariant)."""
        if not self.dist.shift_invariant:
            return 0.0, 0.0
        row_sums = self.model.unpack(phi).sum(axis=1)
        grad = np.broadcast_to(row_sums[:, None], self.model.mask.shape)
        return 0.5 * row_sums @ row_sums, grad[self.model.mask]

    def __call__(self, phi):
        last_phi, last_value, last_grad = self._last_call
        if last_phi is not None and np.array_equal(last_phi, phi):
            return last_value, last_grad.copy()  # e.g. the final convergence check
        nll, G = self.dist.nll_grad(self.y, self._eta(phi))
        pen = self.penalty * phi
        c_val, c_grad = self._centring(phi)
        # einsum's loops, not BLAS: with L-BFGS-B (scipy's OpenBLAS) between
        # evaluations, a call into numpy's OpenBLAS makes the two thread pools
        # fight over the cores (a sparse fit took 2.3x longer at 2 threads).
        value = np.einsum("i,i->", self.w, nll) + 0.5 * np.einsum("i,i->", phi, pen)
        value += c_val
        G *= self.w[:, None]  # in place: G is this call's own array
        grad = self.model.backward(self.X, G) + pen + c_grad
        self._last_call = (phi.copy(), value, grad.copy())
        return value, grad

    def penalty_value(self, phi) -> float:
        """The penalty and centring terms of L at φ (no pass over X)."""
        return 0.5 * phi @ (self.penalty * phi) + self._centring(phi)[0]

    def mean_nll(self, phi) -> float:
        """The data term alone: weighted mean NLL at φ."""
        return float(self.w @ self.dist.nll(self.y, self._eta(phi)))

    def _add_curvature_extra(self, H):
        """Add the penalty's and the centring term's curvature to H, in place."""
        H[np.diag_indices_from(H)] += self.penalty
        if self.dist.shift_invariant:
            row = np.flatnonzero(self.model.mask.ravel()) // self.model.mask.shape[1]
            H += row[:, None] == row[None, :]
        return H

    def _curvature(self, phi, fisher):
        eta = self._eta(phi)
        return self.dist.fisher(eta) if fisher else self.dist.hessian(self.y, eta)

    def fisher_root(self, phi) -> np.ndarray:
        """A matrix R of shape (m, len(φ)) with RᵀR = ``hessian(φ, fisher=True)``.

        One block of rows per sample, √wᵢ·Cᵢ^½·Jᵢ (Cᵢ the sample's Fisher
        information w.r.t. η, Jᵢ the Jacobian of ηᵢ w.r.t. φ), then one row
        per penalised parameter and, for shift-invariant distributions, one
        per row of the centring term. Factorising R rather than RᵀR keeps
        the digits an ill-conditioned design would otherwise cost twice.
        """
        k = len(phi)
        J = np.stack([self.model.forward(self.X, e) for e in np.eye(k)], axis=2)
        C = self.dist.fisher(self._eta(phi)) * self.w[:, None, None]
        lam, V = np.linalg.eigh(C)
        root = V * np.sqrt(np.clip(lam, 0.0, None))[:, None, :]  # C = root rootᵀ
        rows = np.einsum("npq,npk->nqk", root, J).reshape(-1, k)
        # Entries below eps² of the largest carry no information but can be
        # subnormal numbers, which make LAPACK orders of magnitude slower.
        rows[np.abs(rows) < np.finfo(float).eps ** 2 * np.max(np.abs(rows))] = 0.0
        rows = [rows]
        penalised = self.penalty > 0
        rows.append(np.diag(np.sqrt(self.penalty))[penalised])
        if self.dist.shift_invariant:
            row = np.flatnonzero(self.model.mask.ravel()) // self.model.mask.shape[1]
            rows.append((np.unique(row)[:, None] == row[None, :]).astype(float))
        return np.vstack(rows)

    def hessian(self, phi, fisher=False) -> np.ndarray:
        """Hessian of L at φ, or its expected (Fisher) version if ``fisher``."""
        eta = self._eta(phi)
        # diag(a) - b bᵀ per sample (softmax): the same matrix, fewer products.
        # The canonical link's Fisher information is its Hessian.
        factors = self.dist.hessian_factors

        def weighted_curvature(rows):  # per chunk of rows: never (n, P, P) at once
            if factors is not None:
                a, b = factors(self.y[rows], eta[rows])
                return a * self.w[rows, None], b * np.sqrt(self.w[rows, None])
            c = (
                self.dist.fisher(eta[rows])
                if fisher
                else self.dist.hessian(self.y[rows], eta[rows])
            )
            return c * self.w[rows, None, None]

        return self._add_curvature_extra(self.model.gram(self.X, weighted_curvature))

    def hessian_diagonal_estimate(self, phi) -> np.ndarray:
        """Cheap positive estimate of the Hessian's diagonal at φ.

        Per parameter: the weighted mean Fisher curvature of its column of η
        (in ``eta_scale`` units) plus its penalty weight. On standardised
        columns (mean square one) the data part is exact when the curvature
        does not depend on the feature; it costs no pass over X.
        """
        eta = self._eta(phi)
        n_eta = eta.shape[1]
        diag = np.arange(n_eta)
        mean_curv = np.zeros(n_eta)
        for rows in row_chunks(eta.shape[0], n_eta * n_eta):
            mean_curv += self.w[rows] @ self.dist.fisher(eta[rows])[:, diag, diag]
        col = self.model.eta_column
        estimate = mean_curv[col] * self.model.eta_scale[col] ** 2 + self.penalty
        tiny = np.finfo(float).tiny
        return np.where(estimate > tiny, estimate, max(estimate.max(), tiny))

    def hessp(self, phi, v, fisher=False) -> np.ndarray:
        """Hessian (or Fisher) matrix times a vector, without forming the matrix."""
        C = self._curvature(phi, fisher)
        Jv = self.model.forward(self.X, v)
        CJv = np.einsum("ijk,ik->ij", C, Jv) * self.w[:, None]
        # The centring term is quadratic: its gradient at v is its Hessian times v.
        return (
            self.model.backward(self.X, CJv) + self.penalty * v + self._centring(v)[1]
        )
