"""Where a fit starts: the intercept-only optimum, or a two-stage location-scale fit."""

import numpy as np

from sklik.distributions._location_scale import LocationScale
from sklik.solvers import fits_dense
from sklik.solvers._least_squares import LeastSquares


def cold_start(objective, random_state=None) -> np.ndarray:
    """The intercept-only optimum, or the two-stage start where it applies."""
    model = objective.model
    eta0 = objective.intercept_only_eta() - objective.eta_offset
    phi0 = model.init_params(eta0, random_state)
    if _two_stage_applies(objective):
        return location_scale_start(objective, phi0)
    return phi0


def _two_stage_applies(objective) -> bool:
    dist, model = objective.dist, objective.model
    if not (isinstance(dist, LocationScale) and model.has_gram):
        return False
    if not fits_dense(objective):  # its Gram matrix would be p×p
        return False
    loc, scale = dist.param_index("loc"), dist.param_index("scale")
    # log σ linear in the same columns as the location, with a constant
    return bool(
        model.depends_on_x[scale]
        and model.depends_on_x[loc]
        and np.array_equal(model.mask[:, loc], model.mask[:, scale])
        and model.mask[-1, scale]
    )


def location_scale_start(objective, intercept_only):
    """Least squares for the location, then for log |r| (Harvey 1976, generalised).

    The location is the least-squares fit; log σ is the least-squares fit
    of log |r| less E[log |Z|] of the family's standard member. Both use one
    Gram matrix, so this costs about one homoscedastic fit, and it saves
    Newton's method its first, most expensive steps. It is taken only if it
    beats both the intercept-only optimum and the least-squares location
    with a constant scale, whose values need no pass over X: a penalty can
    make the unpenalised least-squares coefficients a poor start, and
    vanishing residuals a poor log |r|.
    """
    dist, model, w, y = objective.dist, objective.model, objective.w, objective.y
    loc, scale = dist.param_index("loc"), dist.param_index("scale")
    offset = objective.eta_offset
    least_squares = LeastSquares(objective, column=loc)
    if not (objective.rows_local or least_squares.well_conditioned):
        return intercept_only  # the SVD solve would need every row of a dask X here
    is_loc, is_scale = model.eta_column == loc, model.eta_column == scale
    phi = intercept_only.copy()
    phi[is_loc] = least_squares.coefficients(y - offset[loc], column=loc, refine=False)
    resid = least_squares.residuals(y - offset[loc], loc, phi[is_loc])
    r2 = resid * resid
    spread = w @ r2
    if not spread > 0:
        return intercept_only
    # The other parameters (a Student-t's df too) from the residuals' own fit.
    eta_constant = dist.init_eta(resid, w)
    eta_constant[loc] = 0.0  # the location is φ's own
    constant = phi.copy()
    for j in range(dist.n_params):
        if j != loc:
            constant[model.column_entries(j)] = 0.0
            constant[_intercept_entry(model, j)] = eta_constant[j] - offset[j]
    phi = constant.copy()
    log_abs = 0.5 * np.log(r2 + 1e-12 * spread) - dist.standard_log_abs_at(eta_constant)
    phi[is_scale] = least_squares.coefficients(
        log_abs - offset[scale], column=scale, refine=False
    )
    values = [
        _value_at_constant_eta(objective, intercept_only, y, dist.init_eta(y, w)),
        _value_at_constant_eta(objective, constant, resid, eta_constant),
    ]
    # The start's value comes last: the solver's first evaluation is free.
    if objective(phi)[0] <= min(values):
        return phi
    return (intercept_only, constant)[int(np.argmin(values))]


def _intercept_entry(model, column):
    index, row, col = model.output_entries()
    return index[(col == column) & (row == model.mask.shape[0] - 1)]


def _value_at_constant_eta(objective, phi, target, eta0):
    """The objective at φ, from the residuals it leaves (no pass over X).

    ``target`` is y less the location's x-dependent part at φ, and ``eta0``
    the constant η of the other parameters: the mean NLL is that of a
    constant-η fit to ``target``.
    """
    eta = np.broadcast_to(eta0, (len(target), len(eta0))).copy()
    nll = objective.dist.nll(target, eta)
    return objective.w @ nll + objective.penalty_value(phi)
