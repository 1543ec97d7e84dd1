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

from sklik._chunks import row_chunks
from sklik.distributions import Normal


@dataclass
class SolverResult:
    phi: np.ndarray
    n_iter: int
    message: str = ""
    exact: bool = False  # a closed form: optimal by construction


def lbfgs(objective, phi0, max_iter, tol):
    """Limited-memory BFGS (``scipy.optimize.minimize(method="L-BFGS-B")``).

    Diagonally preconditioned: it runs on ψ = D·φ with D² the Hessian's
    diagonal at the start, scaled to a smallest entry of 1. On standardised
    columns the data part of that diagonal is nearly uniform, but the penalty
    on the user-scale coefficients is not (α/scale² per feature): on sparse
    data with columns of very different scales it made L-BFGS take ten times
    the iterations. L-BFGS-B's own test, on ψ's gradient, is set to
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


class _InnerLoopRunaway(Exception):
    """scipy's CG-Steihaug loop exceeded any reasonable number of steps."""


def newton_cg(objective, phi0, max_iter, tol):
    """Trust-region Newton-CG with Hessian-vector products (``trust-ncg``).

    scipy's inner CG-Steihaug loop has no iteration cap, and on a badly
    scaled problem it can run forever; Hessian-vector products are therefore
    capped per outer iteration (CG needs at most len(φ) of them in exact
    arithmetic), ending the fit at the last iterate with a message.
    """
    state = {"products": 0, "phi": np.array(phi0, dtype=np.float64), "nit": 0}
    limit = 10 * len(state["phi"]) + 50

    def callback(intermediate_result):
        state.update(products=0, phi=intermediate_result.x.copy())
        state["nit"] += 1

    def hessp(phi, v):
        state["products"] += 1
        if state["products"] > limit:
            raise _InnerLoopRunaway
        return objective.hessp(phi, v)

    try:
        res = scipy.optimize.minimize(
            objective,
            phi0,
            jac=True,
            hessp=hessp,
            method="trust-ncg",
            callback=callback,
            options={"maxiter": max_iter, "gtol": tol},
        )
    except _InnerLoopRunaway:
        message = "the trust-region subproblem's CG loop did not converge"
        return SolverResult(state["phi"], state["nit"], message)
    return SolverResult(res.x, int(res.nit), str(res.message))


def _unit_diagonal(diag):
    """Jacobi scaling s with s_i² diag_i = 1, or 1 where diag_i is negligible.

    Solving in the scaled coordinates removes the ill-conditioning that mere
    units cause, e.g. a mean measured in sd(y) when an outlier inflates sd(y)
    far beyond the residual scale. Diagonal entries below eps times the
    largest are rounding error (a constant column, centred): scaling them up
    would turn noise into a direction, so they are left alone and the solve
    treats them as the null directions they are.
    """
    keep = diag > np.finfo(float).eps * np.max(diag, initial=0.0)
    return np.where(keep, 1.0 / np.sqrt(np.where(keep, diag, 1.0)), 1.0)


def _newton_direction(H, g, rcond=1e-10):
    """The solution of H d = -g, or None unless H is well conditioned.

    Conditioning is judged on the Jacobi-scaled H (unit diagonal) by its
    Cholesky factor. The linear algebra of the iterations is numpy's, which
    shares one BLAS thread pool with the products over X: scipy's LAPACK
    brings a second OpenBLAS, whose threads, with numpy's still spinning,
    made a 210×210 Cholesky factorisation 40 times slower on two cores.
    """
    s = _unit_diagonal(np.diag(H))
    Hs = H * s[:, None]
    Hs *= s
    try:
        pivots = np.diag(np.linalg.cholesky(Hs))
    except np.linalg.LinAlgError:
        return None
    if np.min(pivots) ** 2 <= rcond:
        return None
    return s * np.linalg.solve(Hs, -g * s)


def _fallback_direction(objective, phi, H, g, rcond=1e-10):
    """A descent direction where Newton's own step (Cholesky of H) is unsafe.

    - H positive semi-definite but singular or ill-conditioned (collinear
      columns, separable classes, p > n): forming H squared the condition
      number of the design, so solve from a square root of the curvature
      instead (:func:`_root_direction`).
    - H indefinite (the Gaussian's scale far from its optimum): a Fisher
      scoring step, unless it would change η by more than ``_MAX_ETA_STEP``;
      then H with its eigenvalues replaced by their absolute values
      ("saddle-free" Newton). Far below the optimal σ the observed curvature
      of log σ (~2z²) is large while the Fisher information (2) gives a step
      of size ~z²/2, a direction that only a vanishing step can follow.
    """
    s = _unit_diagonal(np.diag(H))
    eigval, eigvec = scipy.linalg.eigh(H * np.outer(s, s), check_finite=False)
    if eigval[0] >= -rcond * abs(eigval[-1]):
        return _root_direction(objective, phi, g)
    d = _newton_direction(objective.hessian(phi, fisher=True), g)
    if d is not None and (
        _largest_change(objective.model.forward(objective.X, d), objective)
        <= _MAX_ETA_STEP
    ):
        return d
    return s * _eig_direction(np.abs(eigval), eigvec, g * s, rcond)


def _eig_direction(eigval, eigvec, g, rcond):
    """-V diag(1/λ) Vᵀ g over the eigenvalues above ``rcond`` times the largest.

    Null-space directions get no step, instead of a step made of amplified
    rounding errors: the minimum-norm solution.
    """
    keep = eigval > rcond * eigval.max()
    return -eigvec[:, keep] @ ((eigvec[:, keep].T @ g) / eigval[keep])


#: Largest square root of the curvature (entries) the Newton solver forms.
_MAX_ROOT_ENTRIES = 1 << 25


def _root_direction(objective, phi, g, rcond=1e-10):
    """A Fisher-scoring step from the SVD of a square root R of the curvature.

    RᵀR is the Fisher information (the Hessian itself for the logit and
    softmax links), so solving through R's singular values loses
    cond(design) digits instead of cond(design)²: unscaled polynomial or
    nearly collinear columns still get an accurate step. Singular values at
    rounding level (exact collinearity, p > n) get no step (minimum norm).
    Problems too large to hold R fall back on the eigendecomposition of the
    Fisher information.
    """
    n_rows = objective.X.shape[0] * objective.model.mask.shape[1]
    if n_rows * len(phi) > _MAX_ROOT_ENTRIES:
        F = objective.hessian(phi, fisher=True)
        s = _unit_diagonal(np.diag(F))
        eigval, eigvec = scipy.linalg.eigh(F * np.outer(s, s), check_finite=False)
        return s * _eig_direction(np.clip(eigval, 0.0, None), eigvec, g * s, rcond)
    root = objective.fisher_root(phi)
    scale = _unit_diagonal(np.einsum("ij,ij->j", root, root))
    # QR first: the SVD of the small triangular factor is much cheaper.
    R = scipy.linalg.qr(root * scale, mode="r", check_finite=False)[0][: len(phi)]
    _, s, Vt = scipy.linalg.svd(
        R, full_matrices=False, check_finite=False, lapack_driver="gesvd"
    )
    keep = s > np.finfo(float).eps * max(root.shape) * s[0]
    return -scale * (Vt[keep].T @ ((Vt[keep] @ (g * scale)) / s[keep] ** 2))


#: Largest change of η, in units of ``Distribution.eta_scale``, one Newton step
#: may make: a quadratic model is not trusted further (and ``exp`` would overflow).
_MAX_ETA_STEP = 20.0


def _largest_change(eta, objective, old=None):
    """max |η - old| (or |η|, a change already) in ``eta_scale`` units.

    A chunk of rows at a time: no temporaries of η's size (for softmax
    logits, η is a fifth of X).
    """
    largest = 0.0
    for rows in row_chunks(*eta.shape):
        change = eta[rows] if old is None else eta[rows] - old[rows]
        change = np.abs(change) / objective.model.eta_scale
        largest = max(largest, np.max(change, initial=0.0))
    return largest


#: Relative decrease below which the value of the objective cannot confirm a
#: Newton step: with large coefficients on an ill-conditioned design, rounding
#: in η makes the value noisy at this level, while the gradient still guides.
_UNRESOLVED = 1e-10


#: A step that cuts the gradient's sup-norm at least this much (a digit
#: gained per pass over X) lets the next step reuse its Hessian.
_CHORD_SHRINK = 0.1


def newton(objective, phi0, max_iter, tol):
    """Newton's method with the full p×p Hessian and a backtracking line search.

    Where the Hessian is ill-conditioned or indefinite, the step comes from
    :func:`_fallback_direction`. A step that changes η by more than
    ``_MAX_ETA_STEP`` (in units of the distribution's ``eta_scale``; read
    off the first trial point, which the line search evaluates anyway) is
    shortened to that. Steps are then halved until the Armijo condition
    holds, with a tolerance of a few rounding errors so that the last, tiny
    steps near the optimum are accepted; a step whose promised decrease is
    below ``_UNRESOLVED`` relative is accepted if it reduces the gradient
    instead. Once a full step has cut the gradient tenfold, the next steps
    reuse that Hessian for as long as each cuts the gradient tenfold again
    (chord steps: the Hessian is the costly part of an iteration).

    Where the Fisher information (the expected Hessian) is a different
    matrix, it comes first (Fisher scoring): positive semi-definite, and for
    the Gaussian's orthogonal μ and log σ block diagonal, a third cheaper to
    form. Near the optimum it converges linearly at a small rate when the
    model fits. The observed Hessian takes over at the first step with it
    that is not a full one cutting the gradient tenfold; if that was the
    first step, it is discarded, and Newton's method proper takes its own
    path from the start. (For the logit and softmax links the two matrices
    are one: Newton's method from the start.)
    """
    phi = np.array(phi0, dtype=np.float64)
    f, g = objective(phi)
    eta = objective._eta(phi)  # cached: no extra pass over X
    H, chord, fisher = None, False, not objective.dist.fisher_is_hessian
    for it in range(max_iter):
        if np.max(np.abs(g), initial=0.0) <= tol:
            return SolverResult(phi, it, "gradient below tol")
        if chord:  # converging fast: the last Hessian is still good enough
            d = _newton_direction(H, g)
            chord = d is not None and g @ d < 0
        fresh = not chord
        if fresh:
            H = objective.hessian(phi, fisher=fisher)
            d = _newton_direction(H, g)
        if d is None or g @ d >= 0:
            d = _fallback_direction(objective, phi, H, g)
        slope = g @ d
        if not slope < 0:
            return SolverResult(phi, it, "no descent direction")
        step = 1.0
        while True:
            f_new, g_new = objective(phi + step * d)
            if step == 1.0:
                largest = _largest_change(objective._eta(phi + d), objective, old=eta)
                if largest > _MAX_ETA_STEP:
                    step = _MAX_ETA_STEP / largest
                    continue
            slack = 16 * np.finfo(float).eps * abs(f)
            if f_new <= f + 1e-4 * step * slope + slack:
                break
            if -slope <= _UNRESOLVED * max(abs(f), 1.0) and np.max(
                np.abs(g_new)
            ) < np.max(np.abs(g)):
                break  # a decrease f cannot resolve: judged by the gradient
            step *= 0.5
            if step < 1e-12:
                return SolverResult(phi, it, "line search failed")
        # A full step that cut the gradient tenfold: near the optimum, where
        # the Hessian hardly changes, the next step reuses it (a chord step,
        # one pass over X instead of a new Hessian); a chord step that cuts
        # the gradient less than tenfold is followed by a fresh Hessian.
        shrink = np.max(np.abs(g_new), initial=0.0) / np.max(np.abs(g))
        chord = step == 1.0 and shrink <= _CHORD_SHRINK
        if fisher and not chord:
            # Fisher scoring is not converging fast from here: Newton proper
            # takes over. A fresh Fisher matrix's step is not even taken: on
            # a non-convex likelihood it could lead to another optimum.
            fisher = False
            if fresh:
                continue
        phi, f, g = phi + step * d, f_new, g_new
        eta = objective._eta(phi)  # the point just evaluated: cached
    return SolverResult(phi, max_iter, "max_iter reached")


def lstsq(objective, phi0, max_iter, tol):
    """Exact solution of the homoscedastic Gaussian at ``alpha=0``.

    The mean is the weighted least-squares fit (the minimum-norm one on the
    standardised columns when X is rank deficient), σ is the root mean
    squared residual (floored).
    """
    mean_idx = objective.model.eta_column == 0
    phi = np.array(phi0, dtype=np.float64)
    least_squares = LeastSquares(objective)
    phi[mean_idx] = least_squares.coefficients(objective.y, column=0)
    resid = least_squares.residuals(objective.y, 0, phi[mean_idx])
    sigma = np.sqrt(objective.w @ resid**2)
    phi[~mean_idx] = log_scale_excess(sigma, objective.dist)
    return SolverResult(phi, 1, "closed form", exact=True)


class LeastSquares:
    """Weighted least squares on the model's standardised columns.

    Fits a target t by one column of η, ``η_j = X·w + b``, minimising
    Σ wᵢ (tᵢ - η_ij)². The Gram matrix is formed (one pass over X) and its
    conditioning judged once, for any number of targets. Well-conditioned
    problems are solved with it and one step of iterative refinement;
    ill-conditioned dense ones by LAPACK's SVD-based ``gelsd`` on the
    standardised columns (the minimum-norm solution when X is rank
    deficient), sparse ones by the pseudo-inverse of the Gram matrix.
    """

    def __init__(self, objective):
        self.objective = objective
        model = objective.model

        def weights(rows):  # the curvature of ½Σw(t - η_0)², per chunk of rows
            w = objective.w[rows]
            C = np.zeros((len(w), model.mask.shape[1], model.mask.shape[1]))
            C[:, 0, 0] = w
            return C

        idx = model.eta_column == 0
        gram = model.gram(objective.X, weights)[np.ix_(idx, idx)]
        self.gram = gram / model.eta_scale[0] ** 2
        eig = np.linalg.eigvalsh(self.gram)
        self.well_conditioned = eig[0] > 1e-10 * eig[-1]

    def coefficients(self, target, column, refine=True) -> np.ndarray:
        """φ's entries for η column ``column``, refined once if ``refine``."""
        objective, model = self.objective, self.objective.model
        unit = model.eta_scale[column]
        if self.well_conditioned:  # (numpy's solver: see _newton_direction)
            coef = self._solve(target, column)
            if refine:  # iterative refinement: solve again for the residual
                coef += self._solve(self.residuals(target, column, coef), column)
            return coef
        if sp.issparse(objective.X):
            pinv = np.linalg.pinv(self.gram, rtol=1e-12, hermitian=True)
            return pinv @ _column_rhs(objective, target, column) / unit**2
        return _dense_lstsq(objective, target, column) / unit

    def residuals(self, target, column, coef) -> np.ndarray:
        """t - η_j for φ's entries ``coef`` of η column ``column``."""
        model = self.objective.model
        phi = np.zeros(model.n_params)
        phi[model.eta_column == column] = coef
        return target - model.forward(self.objective.X, phi)[:, column]

    def _solve(self, target, column):
        unit = self.objective.model.eta_scale[column]
        rhs = _column_rhs(self.objective, target, column) / unit
        return np.linalg.solve(self.gram, rhs) / unit


def _column_rhs(objective, target, column):
    """Zᵀ·W·t on the standardised columns (times η_j's scale)."""
    model = objective.model
    G = np.zeros((len(target), model.mask.shape[1]))
    G[:, column] = objective.w * target
    return model.backward(objective.X, G)[model.eta_column == column]


def _dense_lstsq(objective, target, column):
    model, X, sw = objective.model, objective.X, np.sqrt(objective.w)
    cols = []
    if model.mask[:-1, column].any():
        cols.append((X - model.x_offset) / model.x_scale)
    if model.mask[-1, column]:
        cols.append(np.ones((X.shape[0], 1)))
    Z = np.hstack(cols) * sw[:, None]
    # Singular values at rounding level are zero (as in the Newton solver's
    # root direction): LAPACK's default cutoff, eps·s_max, keeps the ~1e-15
    # that rounding leaves of an exact collinearity (B-spline columns sum to
    # the intercept) and returns coefficients of 1e14 along it.
    cond = np.finfo(float).eps * max(Z.shape)
    return scipy.linalg.lstsq(Z, target * sw, cond=cond, lapack_driver="gelsd")[0]


def log_scale_excess(sigma, dist):
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
    # Newton's Hessian costs n·(p+1)²·P(P+1)/2 per iteration against L-BFGS's
    # few products per iteration, but L-BFGS needs several times more
    # iterations on softmax logits (K=10, p=50, n=1e5: 224 vs 5, and Newton
    # is the faster by 40%), so several columns of η raise the limit.
    limit = 1000 if objective.model.mask.shape[1] > 1 else 500
    if objective.model.n_params > limit:
        return "lbfgs"
    return "newton"


def solve(objective, phi0, solver, max_iter, tol):
    """Minimise ``objective`` from ``phi0``; warn if the gradient stays above tol."""
    result = SOLVERS[choose_solver(solver, objective)](objective, phi0, max_iter, tol)
    if result.exact:
        return result
    grad_norm = np.max(np.abs(objective(result.phi)[1]), initial=0.0)
    if not grad_norm <= tol:
        warnings.warn(
            f"The optimiser stopped after {result.n_iter} iterations "
            f"({result.message}) with gradient sup-norm {grad_norm:.3g} > "
            f"tol={tol:g}. Increase max_iter, loosen tol, or "
            "add regularisation (alpha > 0).",
            ConvergenceWarning,
            stacklevel=4,
        )
    return result
