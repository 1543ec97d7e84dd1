"""Limited-memory BFGS: first order, needs nothing of the model but its gradient."""

import numpy as np
import scipy.optimize

from sklik.solvers._result import SolverResult

#: What the solver needs of the model and the family.
REQUIRES = frozenset()


def lbfgs(objective, phi0, max_iter, tol):
    """Limited-memory BFGS (``scipy.optimize.minimize(method="L-BFGS-B")``).

    Diagonally preconditioned: it runs on ψ = D·φ with D² the Hessian's
    diagonal at the start, scaled to a smallest entry of 1. On standardised
    columns the data part of that diagonal is nearly uniform, but the penalty
    on the raw coefficients is not (α/scale² per feature): on sparse data
    with columns of very different scales it made L-BFGS take ten times the
    iterations. L-BFGS-B's own test, on ψ's gradient, is set to
    tol / max(D), which implies φ's; an iteration whose φ-gradient meets
    tol ends the fit first (the stricter ψ test made it spend thirty
    evaluations in rounding noise).
    """
    D = np.sqrt(objective.hessian_diagonal_estimate(phi0))
    D /= D.min()

    def preconditioned(psi):
        value, grad = objective(psi / D)
        return value, grad / D

    def stop_at_tol(intermediate_result):
        # The accepted iterate was the last one evaluated: the cache answers.
        if np.max(np.abs(objective(intermediate_result.x / D)[1])) <= tol:
            raise StopIteration

    res = scipy.optimize.minimize(
        preconditioned,
        phi0 * D,
        jac=True,
        method="L-BFGS-B",
        callback=stop_at_tol,
        options={"maxiter": max_iter, "gtol": tol / D.max(), "ftol": 0.0},
    )
    return SolverResult(res.x / D, int(res.nit), str(res.message))
