"""The solver registry: sklik's solver names mapped to optimisation routines.

Each solver takes ``(objective, phi0, max_iter, tol)`` and returns a
:class:`SolverResult`, and declares what it needs (``REQUIRES``): Newton's
method the model's ``gram`` and the family's curvature, Newton-CG the
model's ``jvp`` and the curvature, L-BFGS nothing. :func:`choose_solver`
intersects that with the capabilities of the model and the family, and
takes an exact closed form first where one applies. Convergence is judged
in one place, :func:`solve`, by the sup-norm of the objective's gradient
(with respect to the coefficients of the standardised features) against
``tol``.
"""

import numpy as np

from sklik.solvers import lbfgs as _lbfgs
from sklik.solvers import newton as _newton
from sklik.solvers import newton_cg as _newton_cg
from sklik.solvers._result import SolverResult
from sklik.solvers.closed_form import CLOSED_FORMS

__all__ = ["SOLVERS", "SolverResult", "choose_solver", "solve"]

#: Iterative solvers by name, with what each needs.
ITERATIVE = {
    "newton": (_newton.newton, _newton.REQUIRES),
    "lbfgs": (_lbfgs.lbfgs, _lbfgs.REQUIRES),
    "newton-cg": (_newton_cg.newton_cg, _newton_cg.REQUIRES),
}

#: Every solver name an estimator accepts (besides "auto").
SOLVERS = (*ITERATIVE, *CLOSED_FORMS)


def capabilities(objective) -> set[str]:
    """What the model and the family of ``objective`` can give the solvers."""
    dist, model = objective.dist, objective.model
    caps = set()
    if model.has_gram:
        caps.add("gram")
    if model.has_jvp:
        caps.add("jvp")
    if dist.has_hessian or dist.has_fisher:
        caps.add("curvature")
    return caps


def fits_dense(objective) -> bool:
    """Whether a dense curvature matrix over φ is worth forming ("auto"'s limit).

    Newton's Hessian costs n·(p+1)²·P(P+1)/2 per iteration against L-BFGS's
    few products per iteration, but L-BFGS needs several times more
    iterations on softmax logits (K=10, p=50, n=1e5: 224 vs 5, and Newton
    is the faster by 40%), so several columns of η raise the limit. Above
    it no p×p matrix is formed (closed forms and starts included): memory
    stays linear in the size of X plus p.
    """
    limit = 1000 if objective.dist.n_params > 1 else 500
    return objective.model.n_params <= limit


def choose_solver(solver, objective) -> str:
    """Resolve ``"auto"`` and refuse a solver that cannot handle the problem."""
    exact = [name for name, form in CLOSED_FORMS.items() if form.applies(objective)]
    if solver in CLOSED_FORMS:
        if solver not in exact:
            raise ValueError(
                f"solver={solver!r} is exact only {CLOSED_FORMS[solver].condition}; "
                f"choose one of {list(ITERATIVE)}."
            )
        return solver
    caps = capabilities(objective)
    if solver != "auto":
        missing = ITERATIVE[solver][1] - caps
        if missing:
            raise ValueError(
                f"solver={solver!r} needs the {' and '.join(sorted(missing))} that "
                f"this model and family do not give; choose 'lbfgs'."
            )
        return solver
    if exact:
        return exact[0]
    if not _newton.REQUIRES <= caps or not fits_dense(objective):
        return "lbfgs"
    # A likelihood with many local optima (a normal mixture):
    # Newton's saddle-free steps leap to a far one (a collapsed component),
    # the trust region stays near the start.
    if objective.dist.local_optima:
        return "newton-cg"
    return "newton"


def solve(objective, phi0, solver, max_iter, tol) -> SolverResult:
    """Minimise ``objective`` from ``phi0``; the result says whether it converged.

    Converged means a closed form, or the gradient's sup-norm at the last
    iterate is at most ``tol``; the estimator warns otherwise.
    """
    name = choose_solver(solver, objective)
    routine = CLOSED_FORMS[name] if name in CLOSED_FORMS else ITERATIVE[name][0]
    result = routine(objective, phi0, max_iter, tol)
    if not result.exact:
        result.grad_norm = float(np.max(np.abs(objective(result.phi)[1]), initial=0.0))
    return result
