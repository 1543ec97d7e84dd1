"""Newton's method with the full curvature matrix, as a class with template methods.

The structure follows scikit-learn's ``NewtonSolver``: :meth:`solve` runs
the loop, and each part of an iteration is a method a variant can replace
(:meth:`setup`, :meth:`update_curvature`, :meth:`inner_solve`,
:meth:`line_search`, :meth:`accept`, :meth:`converged`).
"""

import numpy as np

from sklik.solvers._directions import (
    MAX_ETA_STEP,
    fallback_direction,
    largest_change,
    newton_direction,
)
from sklik.solvers._pcg import (
    SLOW_DIRECTION,
    block_preconditioner,
    conjugate_gradients,
    forcing_term,
    prefers_products,
)
from sklik.solvers._result import SolverResult

#: What the solver needs of the model and the family.
REQUIRES = frozenset({"gram", "curvature"})

#: Relative decrease below which the value of the objective cannot confirm a
#: Newton step: with large coefficients on an ill-conditioned design, rounding
#: in η makes the value noisy at this level, while the gradient still guides.
_UNRESOLVED = 1e-10

#: A step that cuts the gradient's sup-norm at least this much (a digit
#: gained per pass over X) lets the next step reuse its curvature matrix.
_CHORD_SHRINK = 0.1

#: Consecutive steps that change neither the value (beyond rounding) nor the
#: gradient (by half) after which the iterations stop: the gradient is then
#: rounding noise (a degenerate fit, where 1/σ² amplifies it), not a guide.
_STALLED_STEPS = 5


class _Stop(Exception):
    """Ends the iterations with a message."""


class NewtonSolver:
    """Newton's method with a backtracking line search.

    Where the curvature matrix is ill-conditioned or indefinite, the step
    comes from :func:`~sklik.solvers._directions.fallback_direction`. A step
    that changes η by more than ``MAX_ETA_STEP`` (read off the first trial
    point, which the line search evaluates anyway) is shortened to that.
    Steps are then halved until the Armijo condition holds, with a tolerance
    of a few rounding errors so that the last, tiny steps near the optimum
    are accepted; a step whose promised decrease is below ``_UNRESOLVED``
    relative is accepted if it reduces the gradient instead. Once a full
    step has cut the gradient tenfold, the next steps reuse that matrix for
    as long as each cuts the gradient tenfold again (chord steps: the
    matrix is the costly part of an iteration).

    Where the Fisher information (the expected Hessian) is a different
    matrix, it comes first (Fisher scoring): positive semi-definite, and for
    orthogonal parameters (a location and a log-scale) block diagonal, a
    third cheaper to form. The observed Hessian takes over at the first
    step with it that is not a full one cutting the gradient tenfold; if
    that was the first step, it is discarded, and Newton's method proper
    takes its own path from the start. (For canonical links the two
    matrices are one: Newton's method from the start.)

    Where the dense matrix would cost several times more than conjugate
    gradients with Hessian-vector products (several columns of η, as K
    softmax logits), the direction comes from CG preconditioned by the
    matrix's blocks on the diagonal (:mod:`~sklik.solvers._pcg`), solved to
    a relative residual that shrinks with the gradient (inexact Newton).
    The blocks are formed again only after a direction that took more than
    twelve products, and CG starts from the last direction, scaled to
    minimise the quadratic model. CG meeting negative curvature, or needing
    as many products as the dense matrix costs, hands over to the dense
    matrix for the rest of the fit.

    Parameters
    ----------
    objective : NLLObjective
    max_iter : int
    tol : float
        Convergence when the gradient's sup-norm is at most tol.
    """

    def __init__(self, objective, max_iter, tol):
        self.objective, self.max_iter, self.tol = objective, max_iter, tol

    def solve(self, phi0) -> SolverResult:
        self.setup(phi0)
        for it in range(self.max_iter):
            if self.converged():
                return SolverResult(self.phi, it, "gradient below tol")
            try:
                self.update_curvature()
                d = self.inner_solve()
                step, f_new, g_new = self.line_search(d)
                self.accept(d, step, f_new, g_new)
            except _Stop as stop:
                return SolverResult(self.phi, it, str(stop))
        return SolverResult(self.phi, self.max_iter, "max_iter reached")

    # -- the template methods ----------------------------------------------------
    def setup(self, phi0):
        self.phi = np.array(phi0, dtype=np.float64)
        self.f, self.g = self.objective(self.phi)
        self.eta = self.objective.eta(self.phi)  # cached: no extra pass over X
        dist = self.objective.dist
        self.H, self.chord, self.fresh, self.stalled = None, False, True, 0
        self.fisher = (
            dist.has_fisher
            and dist.has_hessian
            and not dist.fisher_is_hessian
            and not dist.costly_fisher
        )
        self.inexact = not self.fisher and prefers_products(self.objective)
        self.preconditioner, self.products, self.direction = None, 0, None

    def converged(self) -> bool:
        return np.max(np.abs(self.g), initial=0.0) <= self.tol

    def update_curvature(self):
        """A fresh curvature matrix, unless the last one is still good (chord).

        Inexact Newton: fresh blocks of it, unless the last direction was fast.
        """
        if self.inexact:
            if self.preconditioner is None or self.products > SLOW_DIRECTION:
                self.preconditioner = block_preconditioner(
                    self.objective, self.phi, self.fisher
                )
            return
        self.fresh = not self.chord
        if self.fresh:
            self.H = self.objective.hessian(self.phi, fisher=self.fisher)

    def inner_solve(self) -> np.ndarray:
        """The Newton direction, or the fallback's where it is unsafe."""
        if self.inexact:
            d = self._cg_direction()
            if d is not None:
                return d
            self.inexact, self.chord = False, False  # the dense matrix from here
            self.update_curvature()
        d = newton_direction(self.H, self.g)
        if (d is None or self.g @ d >= 0) and self.chord:
            self.chord = False  # the old matrix no longer serves: a fresh one
            self.update_curvature()
            d = newton_direction(self.H, self.g)
        if d is None or self.g @ d >= 0:
            d = fallback_direction(self.objective, self.phi, self.H, self.g)
        if not self.g @ d < 0:
            raise _Stop("no descent direction")
        return d

    def _cg_direction(self):
        """The inexact Newton direction by preconditioned CG, or None."""
        cap = max(20, len(self.phi) // 8)  # about the dense matrix's cost
        hessp = self.objective.hessp_operator(self.phi, fisher=self.fisher)
        rtol = forcing_term(self.g)
        d, self.products = conjugate_gradients(
            hessp, self.g, self.preconditioner, rtol, cap, guess=self.direction
        )
        if d is None or not self.g @ d < 0:
            return None
        self.direction = d
        if self.products >= cap:
            self.inexact = False  # this step is taken; the dense matrix from here
        return d

    def line_search(self, d):
        """Backtracking from the full step (capped in η); (step, f, g) accepted."""
        objective, f, g = self.objective, self.f, self.g
        slope = g @ d
        step = 1.0
        while True:
            f_new, g_new = objective(self.phi + step * d)
            if step == 1.0:
                largest = largest_change(objective.eta(self.phi + d), old=self.eta)
                if largest > MAX_ETA_STEP:
                    step = MAX_ETA_STEP / largest
                    continue
            slack = 16 * np.finfo(float).eps * abs(f)
            if f_new <= f + 1e-4 * step * slope + slack:
                return step, f_new, g_new
            if -slope <= _UNRESOLVED * max(abs(f), 1.0) and np.max(
                np.abs(g_new)
            ) < np.max(np.abs(g)):
                return step, f_new, g_new  # a decrease f cannot resolve
            step *= 0.5
            if step < 1e-12:
                raise _Stop("line search failed")

    def accept(self, d, step, f_new, g_new):
        """Take the step; decide on chord steps and the end of Fisher scoring."""
        shrink = np.max(np.abs(g_new), initial=0.0) / np.max(np.abs(self.g))
        flat = abs(self.f - f_new) <= 8 * np.finfo(float).eps * abs(self.f)
        self.stalled = self.stalled + 1 if flat and shrink > 0.5 else 0
        if self.stalled >= _STALLED_STEPS:
            raise _Stop("no progress beyond rounding")
        self.chord = step == 1.0 and shrink <= _CHORD_SHRINK
        if self.fisher and not self.chord:
            # Fisher scoring is not converging fast from here: Newton proper
            # takes over. A fresh Fisher matrix's step is not even taken: on
            # a non-convex likelihood it could lead to another optimum.
            self.fisher = False
            if self.fresh:
                return
        self.phi, self.f, self.g = self.phi + step * d, f_new, g_new
        self.eta = self.objective.eta(self.phi)  # the point just evaluated


def newton(objective, phi0, max_iter, tol):
    """Newton's method (:class:`NewtonSolver`)."""
    return NewtonSolver(objective, max_iter, tol).solve(phi0)
