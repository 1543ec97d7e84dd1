"""The Laplace family's exact fit: weighted LAD location, alternating with the scale.

The Laplace NLL, log 2b + |y - μ|/b, is not differentiable in μ: gradient
methods end near the optimum, not at it. Here the location is always the
exact weighted least-absolute-deviations vertex (``_lad.weighted_lad``, an
LP) for the current scales, with weights s/b; a constant scale is then
the weighted mean |r| (closed form), an x-dependent one the minimiser of
Σ s (log b + |r|/b) over log b = x·v + c, a smooth convex fit (Newton on
its observed curvature s|r|/b). Each step minimises the objective exactly
over its block, so the alternation only goes down; it ends when a round
no longer lowers it. The answer is a coordinate-wise optimum: the location
is the exact LAD fit for the scales, and the scales the exact fit for the
residuals.
"""

import numpy as np

from sklik.distributions._location_scale import LOG_SCALE_GUARD
from sklik.solvers._lad import weighted_lad, weighted_median
from sklik.solvers._result import SolverResult
from sklik.solvers.newton import NewtonSolver


def laplace_fit(objective, phi0, max_iter, tol) -> SolverResult:
    """Alternate the exact LAD location and the scale's fit (see the module)."""
    dist, model = objective.dist, objective.model
    loc, scale = dist.param_index("loc"), dist.param_index("scale")
    is_loc = model.eta_column == loc
    phi = np.array(phi0, dtype=np.float64)
    value = np.inf
    for it in range(1, max_iter + 1):
        eta = objective.eta(phi)
        weights = objective.w * np.exp(-eta[:, scale])
        phi[is_loc] = _lad_entries(objective, weights, loc)
        phi = _fit_scale(objective, phi, loc, scale, tol)
        new_value = objective(phi)[0]
        if np.isfinite(value) and not new_value < value - 4e-16 * abs(value):
            return SolverResult(phi, it, "exact LAD location, scale fitted", exact=True)
        value = new_value
    return SolverResult(phi, max_iter, "max_iter reached", exact=True)


def _lad_entries(objective, weights, loc):
    """φ's location entries: the weighted LAD fit of the internal y."""
    model = objective.model
    target = objective.y - objective.eta_offset[loc]
    keep = model.mask[:-1, loc]
    if keep.any():
        X = objective.X[:, np.flatnonzero(keep)] if not keep.all() else objective.X
        fit = weighted_lad(X, target, weights, fit_intercept=bool(model.mask[-1, loc]))
        coef, intercept = fit.coef, fit.intercept
    else:  # the midpoint of the medians where they form an interval
        coef, intercept = np.zeros(0), weighted_median(target, weights)
    W = np.zeros((model.n_features, model.mask.shape[1]))
    b = np.zeros(model.mask.shape[1])
    W[keep, loc], b[loc] = coef, intercept
    return model.from_user(W, b)[model.eta_column == loc]


def _fit_scale(objective, phi, loc, scale, tol):
    """The scale's exact fit for the residuals at φ (location fixed)."""
    model = objective.model
    is_scale = model.eta_column == scale
    if not model.depends_on_x[scale]:
        resid = objective.y - objective.eta(phi)[:, loc]
        mean_abs = objective.w @ np.abs(resid)
        log_b = np.log(mean_abs) if mean_abs > 0 else -np.inf
        phi = phi.copy()
        phi[is_scale] = max(log_b, LOG_SCALE_GUARD - 1.0) - objective.eta_offset[scale]
        return phi
    solver = _ScaleNewton(objective, 100, tol, is_scale, scale=scale, loc=loc)
    return solver.solve(phi).phi


class _ScaleNewton(NewtonSolver):
    """Newton's method on the scale's entries of φ alone, the location fixed.

    The curvature is the observed one of s·(log b + |r|/b) in log b, s|r|/b,
    plus the guard's: the Laplace family declares no Hessian (its location
    has none), but its scale has one.
    """

    def __init__(self, objective, max_iter, tol, block, *, scale, loc):
        super().__init__(objective, max_iter, tol)
        self.block, self.scale, self.loc = block, scale, loc

    def setup(self, phi0):
        super().setup(phi0)
        self.fisher = False

    def converged(self) -> bool:
        return np.max(np.abs(self.g[self.block]), initial=0.0) <= self.tol

    def update_curvature(self):
        objective, column, loc = self.objective, self.scale, self.loc
        eta = self.eta
        n_eta = eta.shape[1]

        def curvature(rows):
            r = np.abs(objective.y[rows] - eta[rows, loc])
            C = np.zeros((len(r), n_eta, n_eta))
            C[:, column, column] = objective.w[rows] * r * np.exp(-eta[rows, column])
            guard = objective.dist.guard(eta[rows])
            if guard is not None:
                C[:, column, column] += objective.w[rows] * guard[2][:, column]
            return C

        H = objective.model.gram(objective.X, curvature)
        self.H = H[np.ix_(self.block, self.block)]
        self.fresh = True

    def inner_solve(self):
        g = self.g[self.block]
        d = np.zeros_like(self.g)
        lam, V = np.linalg.eigh(self.H)
        lam = np.maximum(lam, 1e-12 * max(lam[-1], 1e-300))
        d[self.block] = -V @ ((V.T @ g) / lam)
        return d
