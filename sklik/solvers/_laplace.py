"""The Laplace family's exact fit: weighted LAD location, alternating with the scale.

The Laplace NLL, log 2b + |y - μ|/b, is not differentiable in μ: gradient
methods end near the optimum, not at it. Here the location is always the
exact weighted least-absolute-deviations vertex (``_lad.weighted_lad``, an
LP) for the current scales, with weights s/b, and with ``alpha > 0`` the
exact ridge-penalised LAD (``_penalised_lad``, a QP certified by its KKT
conditions), warm-started from the last round's; a constant scale is then
the weighted mean |r| (closed form), an x-dependent one the minimiser of
Σ s (log b + |r|/b) over log b = x·v + c, a smooth convex fit (Newton on
its observed curvature s|r|/b). Each step minimises the objective exactly
over its block, so the alternation only goes down; it ends when a round
no longer lowers it. The answer is a coordinate-wise optimum: the location
is the exact LAD fit for the scales, and the scales the exact fit for the
residuals. With a penalty and a constant scale the alternation converges
only linearly (the penalty's weight relative to the data term moves with
b), so the fixed point b = S(b) is extrapolated from two rounds
(``_fixed_point``), exactly where the rounds share their zero residuals;
an extrapolation that does not lower the objective is dropped.
"""

import numpy as np

from sklik.distributions._location_scale import LOG_SCALE_GUARD
from sklik.solvers._lad import weighted_lad, weighted_median
from sklik.solvers._penalised_lad import penalised_lad
from sklik.solvers._result import SolverResult
from sklik.solvers.newton import NewtonSolver


def laplace_fit(objective, phi0, max_iter, tol) -> SolverResult:
    """Alternate the exact LAD location and the scale's fit (see the module)."""
    dist, model = objective.dist, objective.model
    loc, scale = dist.param_index("loc"), dist.param_index("scale")
    is_loc, is_scale = model.eta_column == loc, model.eta_column == scale
    phi = np.array(phi0, dtype=np.float64)
    value, start, best, extrapolated = np.inf, None, None, False
    # a constant scale with a penalised location: (1/b used, b fitted) per round
    secant = [] if not model.depends_on_x[scale] and np.any(objective.penalty) else None
    for it in range(1, max_iter + 1):
        eta = objective.eta(phi)
        weights = objective.w * np.exp(-eta[:, scale])
        phi[is_loc] = _lad_entries(objective, weights, loc, start)
        used = float(np.exp(eta[0, scale])) if len(eta) else 1.0
        phi, scale_fitted = _fit_scale(objective, phi, loc, scale, tol)
        new_value = objective(phi)[0]
        if extrapolated and not new_value <= value:  # the extrapolation overshot
            phi, secant, extrapolated = best, None, False
            continue
        if np.isfinite(value) and not new_value < value - 4e-16 * abs(value):
            message = "exact LAD location, scale fitted"
            return SolverResult(phi, it, message, exact=scale_fitted)
        value, start, best = new_value, phi, phi.copy()
        if secant is not None:
            fitted = float(np.exp(objective.eta(phi)[0, scale]))
            if abs(fitted - used) <= 4e-16 * used:  # the joint optimum, exactly
                message = "exact LAD location and scale"
                return SolverResult(phi, it, message, exact=scale_fitted)
            secant.append((1.0 / used, fitted))
            b = _fixed_point(secant[-2:])
            extrapolated = b is not None
            if extrapolated:
                phi = phi.copy()
                phi[is_scale] = np.log(b) - objective.eta_offset[scale]
    # not certified: the estimator's convergence test (and warning) decides
    return SolverResult(phi, max_iter, "max_iter reached", exact=False)


def _fixed_point(pairs):
    """The scale b with b = S(b), from the last two rounds' (1/b, S).

    With a constant scale b the penalised location solves its problem with
    weights s/b: for a fixed set of zero residuals and signs its solution is
    affine in 1/b, and so is the mean |r| it leaves, S = s₀ − s₁/b. The
    alternation b ← S(b) converges to the larger root of b² − s₀b + s₁ = 0
    (linearly); two rounds on one such piece give s₀, s₁ and the root at
    once, which the next round confirms (b = S to rounding) or refines.
    """
    if len(pairs) < 2:
        return None
    (v1, s1), (v2, s2) = pairs
    if v1 == v2:
        return None
    slope = -(s2 - s1) / (v2 - v1)
    s0 = s2 + slope * v2
    disc = s0 * s0 - 4.0 * slope
    if not (disc >= 0 and s0 > 0):
        return None
    b = 0.5 * (s0 + np.sqrt(disc))
    return b if b > 0 and np.isfinite(b) else None


def _lad_entries(objective, weights, loc, start=None):
    """φ's location entries: the weighted LAD fit of the internal y, with the
    objective's L2 penalty on the coefficients if it has one (from the
    location of φ ``start``, a previous round's, if given)."""
    model = objective.model
    target = objective.y - objective.eta_offset[loc]
    keep = model.mask[:-1, loc]
    fit_intercept = bool(model.mask[-1, loc])
    if keep.any():
        cols = np.flatnonzero(keep)
        X = objective.X[:, cols] if not keep.all() else objective.X
        # the penalty on φ's entries, ½·pen·φ², is ½·λ·w² on the raw columns
        # (φ = w·x_scale); the intercept, last, is not penalised
        pen = objective.penalty[model.eta_column == loc][: len(cols)]
        if np.any(pen > 0):
            lam = pen * model.x_scale[cols] ** 2
            if start is not None:
                W0, b0 = model.to_user(start)
                start = (W0[cols, loc], b0[loc] if fit_intercept else 0.0)
            fit = penalised_lad(
                X,
                target,
                weights,
                penalty=lam,
                fit_intercept=fit_intercept,
                start=start,
            )
        else:
            fit = weighted_lad(X, target, weights, fit_intercept=fit_intercept)
        coef, intercept = fit.coef, fit.intercept
    else:  # the midpoint of the medians where they form an interval
        coef, intercept = np.zeros(0), weighted_median(target, weights)
    W = np.zeros((model.n_features, model.mask.shape[1]))
    b = np.zeros(model.mask.shape[1])
    W[keep, loc], b[loc] = coef, intercept
    return model.from_user(W, b)[model.eta_column == loc]


def _fit_scale(objective, phi, loc, scale, tol):
    """(φ, whether it converged): the scale's exact fit for the residuals at φ
    (location fixed)."""
    model = objective.model
    is_scale = model.eta_column == scale
    if not model.depends_on_x[scale]:
        resid = objective.y - objective.eta(phi)[:, loc]
        mean_abs = objective.w @ np.abs(resid)
        log_b = np.log(mean_abs) if mean_abs > 0 else -np.inf
        phi = phi.copy()
        phi[is_scale] = max(log_b, LOG_SCALE_GUARD - 1.0) - objective.eta_offset[scale]
        return phi, True
    solver = _ScaleNewton(objective, 100, tol, is_scale, scale=scale, loc=loc)
    result = solver.solve(phi)
    return result.phi, solver.converged()


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
        # the L2 penalty's curvature on the scale's coefficients (alpha > 0)
        self.H = H[np.ix_(self.block, self.block)] + np.diag(
            objective.penalty[self.block]
        )
        self.fresh = True

    def inner_solve(self):
        g = self.g[self.block]
        d = np.zeros_like(self.g)
        lam, V = np.linalg.eigh(self.H)
        lam = np.maximum(lam, 1e-12 * max(lam[-1], 1e-300))
        d[self.block] = -V @ ((V.T @ g) / lam)
        return d
