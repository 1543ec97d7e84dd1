"""Limited-memory BFGS: first order, needs nothing of the model but its gradient."""

import sys

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

    A model with ``n_iter_no_change`` (a network, whose gradient never gets
    that small) also stops when the objective improved by less than tol in
    each of that many consecutive iterations; the result's ``converged``
    then says whether either rule was met. A model's ``verbose`` > 0 prints
    progress to stderr.
    """
    # A family without curvature (a normal mixture) has no
    # diagonal to estimate: no preconditioning.
    if objective.dist.has_hessian or objective.dist.has_fisher:
        D = np.sqrt(objective.hessian_diagonal_estimate(phi0))
        D /= D.min()
    else:
        D = np.ones(len(phi0))
    progress = _Progress(objective.model, tol)

    def preconditioned(psi):
        value, grad = objective(psi / D)
        return value, grad / D

    def stop_at_tol(intermediate_result):
        # The accepted iterate was the last one evaluated: the cache answers.
        value, grad = objective(intermediate_result.x / D)
        if progress.stop(value, np.max(np.abs(grad), initial=0.0)):
            raise StopIteration

    res = scipy.optimize.minimize(
        preconditioned,
        phi0 * D,
        jac=True,
        method="L-BFGS-B",
        callback=stop_at_tol,
        options={"maxiter": max_iter, "gtol": tol / D.max(), "ftol": 0.0},
    )
    result = SolverResult(res.x / D, int(res.nit), str(res.message))
    if progress.patience is not None:  # judged by the loss rule
        # (status 0: L-BFGS-B's own test, ψ's gradient, which implies φ's;
        # status 2, its line search finding no decrease right after an
        # iteration that improved by less than tol: rounding, the end.)
        stuck = res.status == 2 and progress.stalled > 0
        result.converged = progress.converged or res.status == 0 or stuck
        if progress.converged and not progress.gradient_met:
            result.message = (
                f"the objective improved by less than tol={tol:g} in each of "
                f"{progress.patience} consecutive iterations"
            )
    return result


class _Progress:
    """What the callback watches per iteration besides the gradient.

    For a model with ``n_iter_no_change``, scikit-learn's MLP rule: the
    iterations in a row whose objective is not below the best so far by
    tol; with a model's ``verbose`` > 0, a line on stderr every ``verbose``
    iterations.
    """

    def __init__(self, model, tol):
        self.patience = getattr(model, "n_iter_no_change", None)
        self.verbose = getattr(model, "verbose", 0)
        self.tol = tol
        self.best = np.inf
        self.stalled = self.iteration = 0
        self.converged = self.gradient_met = False

    def stop(self, value, grad_norm) -> bool:
        """Record one iteration; whether the fit has converged."""
        self.iteration += 1
        if self.verbose and self.iteration % self.verbose == 0:
            sys.stderr.write(
                f"Iteration {self.iteration}: objective {value:.10g}, "
                f"gradient sup-norm {grad_norm:.3g}\n"
            )
        if grad_norm <= self.tol:
            self.converged = self.gradient_met = True
            return True
        if self.patience is None:
            return False
        self.stalled = self.stalled + 1 if value > self.best - self.tol else 0
        self.best = min(self.best, value)
        self.converged = self.stalled >= self.patience
        return self.converged
