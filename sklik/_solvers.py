"""The solver registry: sklik's solver names mapped to optimisation routines.

Each solver takes ``(objective, phi0, max_iter, tol)`` and returns a
:class:`SolverResult`. Convergence is judged in one place,
:func:`solve`, by the sup-norm of the objective's gradient (with respect to
the coefficients of the standardised features) against ``tol``.
"""

import warnings
from dataclasses import dataclass

import numpy as np
import scipy.linalg
import scipy.optimize
import scipy.sparse as sp
from sklearn.exceptions import ConvergenceWarning

from sklik.distributions import Normal


@dataclass
class SolverResult:
    phi: np.ndarray
    n_iter: int
    message: str = ""
    exact: bool = False  # a closed form: optimal by construction


def lbfgs(objective, phi0, max_iter, tol):
    """Limited-memory BFGS (``scipy.optimize.minimize(method="L-BFGS-B")``)."""
    res = scipy.optimize.minimize(
        objective,
        phi0,
        jac=True,
        method="L-BFGS-B",
        options={"maxiter": max_iter, "gtol": tol, "ftol": 0.0},
    )
    return SolverResult(res.x, int(res.nit), str(res.message))


def newton_cg(objective, phi0, max_iter, tol):
    """Trust-region Newton-CG with Hessian-vector products (``trust-ncg``)."""
    res = scipy.optimize.minimize(
        objective,
        phi0,
        jac=True,
        hessp=objective.hessp,
        method="trust-ncg",
        options={"maxiter": max_iter, "gtol": tol},
    )
    return SolverResult(res.x, int(res.nit), str(res.message))


def _newton_direction(H, g, rcond=1e-10):
    """The minimum-norm solution of H d = -g, or None if H is indefinite.

    Cholesky when H is well conditioned; otherwise the eigendecomposition,
    dropping eigenvalues below ``rcond`` times the largest. Null-space
    directions of a singular H (separable classes, p > n) then get no step,
    instead of a step made of amplified rounding errors.
    """
    try:
        L = scipy.linalg.cholesky(H, lower=True, check_finite=False)
        if np.min(np.diag(L)) ** 2 > rcond * np.max(np.diag(H)):
            return scipy.linalg.cho_solve((L, True), -g, check_finite=False)
    except np.linalg.LinAlgError:
        pass
    eigval, eigvec = scipy.linalg.eigh(H, check_finite=False)
    if eigval[0] < -rcond * abs(eigval[-1]):
        return None
    keep = eigval > rcond * eigval[-1]
    return -eigvec[:, keep] @ ((eigvec[:, keep].T @ g) / eigval[keep])


def newton(objective, phi0, max_iter, tol):
    """Newton's method with the full p×p Hessian and a backtracking line search.

    Where the Hessian is not positive definite (the Gaussian's scale far from
    its optimum) the step uses the Fisher information instead (a scoring
    step). Steps are halved until the Armijo condition holds, with a
    tolerance of a few rounding errors so that the last, tiny steps near the
    optimum are accepted.
    """
    phi = np.array(phi0, dtype=np.float64)
    f, g = objective(phi)
    for it in range(max_iter):
        if np.max(np.abs(g), initial=0.0) <= tol:
            return SolverResult(phi, it, "gradient below tol")
        d = _newton_direction(objective.hessian(phi), g)
        if d is None or g @ d >= 0:
            d = _newton_direction(objective.hessian(phi, fisher=True), g)
        slope = g @ d
        step = 1.0
        while True:
            f_new, g_new = objective(phi + step * d)
            slack = 16 * np.finfo(float).eps * abs(f)
            if f_new <= f + 1e-4 * step * slope + slack:
                break
            step *= 0.5
            if step < 1e-12:
                return SolverResult(phi, it, "line search failed")
        phi, f, g = phi + step * d, f_new, g_new
    return SolverResult(phi, max_iter, "max_iter reached")


def lstsq(objective, phi0, max_iter, tol):
    """Exact solution of the homoscedastic Gaussian at ``alpha=0``.

    The mean is the weighted least-squares fit (the minimum-norm one on the
    standardised columns when X is rank deficient), σ is the root mean
    squared residual (floored). Well-conditioned problems use the Gram matrix
    with one step of iterative refinement; ill-conditioned dense ones fall
    back to LAPACK's SVD-based ``gelsd``.
    """
    model, dist = objective.model, objective.dist
    mean_idx = model.eta_column == 0
    phi = np.array(phi0, dtype=np.float64)
    C = np.zeros((len(objective.w), 2, 2))
    C[:, 0, 0] = objective.w
    H = model.gram(objective.X, C)[np.ix_(mean_idx, mean_idx)]
    phi[mean_idx] = 0.0
    eig = np.linalg.eigvalsh(H)
    if eig[0] > 1e-10 * eig[-1]:
        factor = scipy.linalg.cho_factor(H, check_finite=False)
        for _ in range(2):  # solve, then refine once on the residual
            resid = objective.y - model.forward(objective.X, phi)[:, 0]
            phi[mean_idx] += scipy.linalg.cho_solve(factor, _mean_rhs(objective, resid))
    elif sp.issparse(objective.X):
        pinv = np.linalg.pinv(H, rtol=1e-12, hermitian=True)
        phi[mean_idx] = pinv @ _mean_rhs(objective, objective.y)
    else:
        phi[mean_idx] = _dense_lstsq(objective)
    resid = objective.y - model.forward(objective.X, phi)[:, 0]
    phi[~mean_idx] = _log_scale_excess(np.sqrt(objective.w @ resid**2), dist)
    return SolverResult(phi, 1, "closed form", exact=True)


def _mean_rhs(objective, target):
    G = np.zeros((len(target), objective.model.mask.shape[1]))
    G[:, 0] = objective.w * target
    return objective.model.backward(objective.X, G)[objective.model.eta_column == 0]


def _dense_lstsq(objective):
    model, X, sw = objective.model, objective.X, np.sqrt(objective.w)
    cols = [(X - model.x_offset) / model.x_scale] if model.mask[:-1, 0].any() else []
    if model.mask[-1, 0]:
        cols.append(np.ones((X.shape[0], 1)))
    Z = np.hstack(cols) * sw[:, None]
    # φ measures the mean's coefficients in units of eta_scale (y's spread).
    target = objective.y * sw / model.eta_scale[0]
    return scipy.linalg.lstsq(Z, target, lapack_driver="gelsd")[0]


def _log_scale_excess(sigma, dist):
    excess = sigma - dist.scale_floor
    return np.log(excess) if excess > 0 else np.log(dist.scale_floor) - 30.0


SOLVERS = {
    "lbfgs": lbfgs,
    "newton": newton,
    "newton-cg": newton_cg,
    "lstsq": lstsq,
}


def choose_solver(solver, objective):
    """Resolve ``"auto"`` and refuse a solver that cannot handle the problem."""
    exact = (
        isinstance(objective.dist, Normal)
        and not objective.model.depends_on_x[1]
        and not np.any(objective.penalty)
    )
    if solver == "lstsq" and not exact:
        raise ValueError(
            "solver='lstsq' is exact only for the homoscedastic Gaussian with "
            "alpha=0; choose 'newton', 'lbfgs' or 'newton-cg'."
        )
    if solver != "auto":
        return solver
    if exact:
        return "lstsq"
    if objective.model.n_params > 500:
        return "lbfgs"
    return "newton"


def solve(objective, phi0, solver, max_iter, tol, warn_context=""):
    """Minimise ``objective`` from ``phi0``; warn if the gradient stays above tol.

    Returns the result and whether it converged.
    """
    result = SOLVERS[choose_solver(solver, objective)](objective, phi0, max_iter, tol)
    if result.exact:
        return result, True
    grad_norm = np.max(np.abs(objective(result.phi)[1]), initial=0.0)
    converged = bool(grad_norm <= tol)
    if not converged:
        warnings.warn(
            f"The optimiser stopped after {result.n_iter} iterations "
            f"({result.message}) with gradient sup-norm {grad_norm:.3g} > "
            f"tol={tol:g}.{warn_context} Increase max_iter, loosen tol, or "
            "add regularisation (alpha > 0).",
            ConvergenceWarning,
            stacklevel=4,
        )
    return result, converged
