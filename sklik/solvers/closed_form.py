"""Exact closed forms, each registered with the predicate that says when it applies.

A closed form is a solver like the others (``(objective, phi0, max_iter,
tol) -> SolverResult``) whose answer is optimal by construction; it declares
``applies(objective)``, and ``choose_solver`` takes the first that does
instead of branching on types.
"""

import numpy as np

from sklik.distributions import Laplace
from sklik.distributions._location_scale import LOG_SCALE_GUARD
from sklik.solvers._laplace import laplace_fit
from sklik.solvers._least_squares import LeastSquares
from sklik.solvers._result import SolverResult


class ClosedForm:
    """A named exact solver with the predicate under which it is exact."""

    name: str = ""
    #: Why the closed form was refused, completing "solver=<name> is exact only ...".
    condition: str = ""

    def applies(self, objective) -> bool:
        raise NotImplementedError

    def __call__(self, objective, phi0, max_iter, tol) -> SolverResult:
        raise NotImplementedError


class GaussianLeastSquares(ClosedForm):
    """The homoscedastic Normal at ``alpha=0``: least squares and the rms residual.

    Also any family that is the Normal of a transform of y (the log-normal:
    least squares on log y; ``Distribution.normal_of``). The mean is the
    weighted least-squares fit (the minimum-norm one on the
    standardised columns when X is rank deficient); σ is the root mean
    squared residual, the maximum-likelihood σ (divisor Σw). Where the
    residuals vanish (the mean interpolates y) the likelihood has no
    maximum and log σ is set at the guard.
    """

    name = "lstsq"
    condition = (
        "for the homoscedastic Normal (or log-normal) with alpha=0, the linear "
        "model and at "
        "most 1000 parameters (above, no dense Gram matrix is formed)"
    )

    def applies(self, objective) -> bool:
        from sklik.solvers import fits_dense

        dist, model = objective.dist, objective.model
        return (
            dist.normal_of is not None
            and model.has_gram
            and not model.depends_on_x[dist.param_index(dist.normal_of[1])]
            and not np.any(objective.penalty)
            and fits_dense(objective)
        )

    def __call__(self, objective, phi0, max_iter, tol):
        model, dist, offset = objective.model, objective.dist, objective.eta_offset
        loc_name, scale_name, transform = dist.normal_of
        loc, scale = dist.param_index(loc_name), dist.param_index(scale_name)
        mean_idx = model.eta_column == loc
        y = objective.y if transform is None else transform(objective.y)
        target = y - offset[loc]
        phi = np.array(phi0, dtype=np.float64)
        least_squares = LeastSquares(objective, column=loc)
        phi[mean_idx] = least_squares.coefficients(target, column=loc)
        resid = least_squares.residuals(target, loc, phi[mean_idx])
        rms = np.sqrt(objective.w @ resid**2)
        log_rms = np.log(rms) if rms > 0 else -np.inf
        log_sigma = max(log_rms, LOG_SCALE_GUARD - 1.0)
        phi[model.eta_column == scale] = log_sigma - offset[scale]
        return SolverResult(phi, 1, "closed form", exact=True)


class LaplaceLAD(ClosedForm):
    """The Laplace: the exact LAD location (an LP; with ``alpha > 0`` the exact
    ridge-penalised LAD, a QP), alternating with the scale's exact fit (see
    :mod:`sklik.solvers._laplace`)."""

    name = "lad"
    condition = "for the Laplace with the linear model"

    def applies(self, objective) -> bool:
        return isinstance(objective.dist, Laplace) and objective.model.has_gram

    def __call__(self, objective, phi0, max_iter, tol):
        return laplace_fit(objective, phi0, max_iter, tol)


#: Every closed form, by solver name; ``choose_solver`` asks each in turn.
CLOSED_FORMS: dict[str, ClosedForm] = {
    "lstsq": GaussianLeastSquares(),
    "lad": LaplaceLAD(),
}
