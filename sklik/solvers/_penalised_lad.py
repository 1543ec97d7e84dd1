"""Exact weighted least absolute deviations with an L2 penalty (ridge LAD).

``penalised_lad`` minimises F(w, b) = Σᵢ sᵢ |yᵢ − xᵢ·w − b| + ½ Σⱼ λⱼ wⱼ²
(λⱼ > 0, b free): the Laplace location's problem at ``alpha > 0``, a convex
QP, strictly convex in w. On standardised columns and y (as ``weighted_lad``):

1. Huber smoothing with μ shrinking tenfold per stage (Madsen and Nielsen
   1993): once μ is small enough the residuals within ±μ of the smoothed
   optimum are the exact optimum's zero residuals, the others its signs.
2. From that guess, a primal active-set method on the piecewise quadratic
   F: a working set W of zero residuals and the signs σ of the others fix a
   quadratic model, minimised subject to r_W = 0 (a null-space solve); F is
   minimised exactly along the segment towards it (one sort of the
   breakpoints) and a row whose residual vanishes there joins W; a multiplier
   |dᵢ| > sᵢ sends row i out. Every step lowers F.
3. A certificate independent of the path: d on the zero residuals by bounded
   least squares (BVLS) within their boxes; the relative KKT residual or the
   duality gap must be at most 1e-9, else RuntimeError.

Sparse X is never densified: only the rows of W and (p+1)² matrices are.
"""

from dataclasses import dataclass

import numpy as np
import scipy.linalg
import scipy.sparse as sp

from sklik.solvers._huber import huber_minimum, ridge_start, solve_small
from sklik.solvers._lad import _checked, _standardised, weighted_median
from sklik.solvers._lad_certificate import ZERO_TOL, certificate, row_sizes
from sklik.solvers._lad_vertex import _dense

_TOL = 1e-9  # relative KKT residual or duality gap accepted as optimal
_ACTIVE_ZERO = 1e-12  # ... and in the active-set iterations
_STAGES = 16  # smoothing levels μ, each a tenth of the last


@dataclass(frozen=True)
class PenalisedLADResult:
    """Result of :func:`penalised_lad`.

    ``dual`` is the certificate d: |dᵢ| ≤ sᵢ, dᵢ = sᵢ sign(rᵢ) where rᵢ ≠ 0,
    λⱼwⱼ = (Xᵀd)ⱼ and Σd = 0 with an intercept (to rounding);
    ``kkt_residual`` the largest relative violation of those conditions,
    ``duality_gap`` F − D(d) relative to F (one of them at most 1e-9);
    ``objective`` is F at (coef, intercept), ``n_iter`` the smoothing stages
    and active-set steps taken.
    """

    coef: np.ndarray
    intercept: float
    objective: float
    dual: np.ndarray
    kkt_residual: float
    duality_gap: float
    n_iter: int
    n_zero_residuals: int


def penalised_lad(
    X, y, sample_weight=None, *, penalty, fit_intercept=True, start=None
) -> PenalisedLADResult:
    """Exact weighted LAD with an L2 penalty on the coefficients.

    Minimises Σᵢ sᵢ |yᵢ − xᵢ·w − b| + ½ Σⱼ λⱼ wⱼ² over w and b (b = 0
    without ``fit_intercept``; the intercept is not penalised).

    Parameters
    ----------
    X : ndarray or scipy.sparse matrix of shape (n, p)
        Sparse X is never densified.
    y : array-like of shape (n,)
    sample_weight : array-like of shape (n,), optional
        Non-negative weights sᵢ; rows of weight 0 are dropped. Default: ones.
    penalty : float or array-like of shape (p,)
        λⱼ > 0 per coefficient (for λ = 0 use ``weighted_lad``).
    fit_intercept : bool, default=True
    start : tuple (coef, intercept), optional
        A point near the solution (a previous solution for nearby weights):
        the exact iterations start there, with no reweighted least squares.

    Returns
    -------
    PenalisedLADResult

    Raises
    ------
    RuntimeError
        If the KKT conditions cannot be certified to 1e-9.

    Examples
    --------
    >>> import numpy as np
    >>> from sklik.solvers._penalised_lad import penalised_lad
    >>> X = np.array([[0.0], [1.0], [2.0], [3.0]])
    >>> res = penalised_lad(X, [1.0, 3.0, 5.0, 100.0], penalty=1.0)
    >>> res.coef, res.intercept, res.objective  # 0 + 0 + 0 + 93 + ½·1·2²
    (array([2.]), 1.0, 95.0)
    """
    X, y, s = _checked(X, y, sample_weight)
    n, p = X.shape
    lam_user = np.broadcast_to(np.asarray(penalty, dtype=float), (p,)).copy()
    if not (np.all(np.isfinite(lam_user)) and np.all(lam_user > 0)):
        raise ValueError("penalty must be positive and finite (λ = 0: weighted_lad).")
    A, yt, st, (keep, centre, scale, y_centre, y_scale) = _standardised(
        X, y, s, fit_intercept
    )
    s_max = s[keep].max()
    # F / (y_scale · max s) in the standardised coefficients β̃ⱼ = scaleⱼwⱼ/y_scale
    lam = np.zeros(A.shape[1])
    lam[:p] = lam_user * y_scale / (scale**2 * s_max)
    group, A, yt, st_rows, st = _merge_duplicates(A, yt, st)

    if start is not None:
        w0, b0 = np.asarray(start[0], dtype=float), float(start[1])
        beta = np.append(w0 * scale, b0 + centre @ w0 - y_centre)[: A.shape[1]]
        beta /= y_scale
    else:
        beta = ridge_start(A, yt, st, lam)
    beta, n_iter = _solve(A, yt, st, lam, beta, fit_intercept, start is not None)
    if fit_intercept:  # b is the weighted median for w: the midpoint of a tie
        beta[p] = 0.0
        beta[p] = weighted_median(yt - A @ beta, st)
    d, kkt, gap, n_zero = certificate(A, yt, st, lam, beta, fit_intercept)
    if not min(kkt, gap) <= _TOL:
        raise RuntimeError(
            f"penalised_lad: relative KKT residual {kkt:.3g} and duality gap "
            f"{gap:.3g} > {_TOL:g} after {n_iter} steps"
        )
    w = beta[:p] / scale * y_scale
    b = y_centre + y_scale * beta[p] - centre @ w if fit_intercept else 0.0
    dual = np.zeros(n)
    dual[keep] = d[group] * (st_rows / st[group]) * s_max  # shared as the weights
    objective = float(s @ np.abs(y - X @ w - b) + 0.5 * lam_user @ w**2)
    return PenalisedLADResult(w, float(b), objective, dual, kkt, gap, n_iter, n_zero)


def _merge_duplicates(A, yt, st):
    """Rows equal in (aᵢ, yᵢ) as one, their weights summed (fewer ties of zero
    residuals; the same F): (group of each row, A, y, the rows' weights, the
    merged weights). Found by sorting a random projection, confirmed exactly.
    """
    n = A.shape[0]
    h = np.column_stack([A @ np.random.default_rng(0).standard_normal(A.shape[1]), yt])
    _, first, group = np.unique(h, axis=0, return_index=True, return_inverse=True)
    group = group.ravel()
    if len(first) == n:
        return np.arange(n), A, yt, st, st
    rep = first[group]
    if sp.issparse(A):
        diff = sp.csr_array(A - A[rep])
        diff.eliminate_zeros()
        same = np.diff(diff.indptr) == 0
    else:
        same = np.all(A == A[rep], axis=1)
    same &= yt == yt[rep]
    if not same.all():  # (projections equal, rows not): those rows stay apart
        apart = np.flatnonzero(~same)
        first = np.append(first, apart)
        group[apart] = len(first) - len(apart) + np.arange(len(apart))
    merged = np.bincount(group, weights=st, minlength=len(first))
    return group, A[first], yt[first], st, merged


def _independent_rows(A, rows):
    """The rows of A among ``rows`` independent of those before them (in order)."""
    if rows.size == 0:
        return rows
    M = _dense(A[rows]).reshape(rows.size, A.shape[1]).T
    R = scipy.linalg.qr(M, mode="r")[0]
    diag = np.abs(np.diag(R))
    norms = np.linalg.norm(M, axis=0)[: len(diag)]
    return rows[: len(diag)][diag > 1e-10 * np.maximum(norms, 1e-300)]


def _solve(A, yt, st, lam, beta, fit_intercept, warm):
    """(β, steps): the exact minimiser from β (see the module). After each
    smoothing stage the guess is tried; where it breaks few KKT conditions,
    the active set finishes from it. A start (``warm``) is tried first."""
    k = A.shape[1]
    few = max(4, k // 4)
    if warm:
        r = yt - A @ beta
        typical = float(st @ np.abs(r)) / float(st.sum())
        guess = _guess(A, yt, st, lam, r, 1e-6 * typical, fit_intercept)
        if guess is not None and guess[-1] <= few:
            return _active_set(A, yt, st, lam, *guess[:3], fit_intercept)
    r = yt - A @ beta
    mu = 0.1 * float(st @ np.abs(r)) / float(st.sum()) or 1.0
    for stage in range(1, _STAGES + 1):
        beta = huber_minimum(A, yt, st, lam, beta, mu)
        r = yt - A @ beta
        guess = _guess(A, yt, st, lam, r, mu, fit_intercept)
        if guess is not None and (guess[-1] <= few or stage == _STAGES):
            beta, steps = _active_set(A, yt, st, lam, *guess[:3], fit_intercept)
            return beta, stage + steps
        mu *= 0.1
    work = _independent_rows(A, np.flatnonzero(r == 0))
    beta, steps = _active_set(A, yt, st, lam, beta, work, np.sign(r), fit_intercept)
    return beta, _STAGES + steps


def _guess(A, yt, st, lam, r, mu, fit_intercept):
    """(β, W, σ, violations): the model's minimiser for W = the residuals
    within ±μ (independent rows, smallest first), σ the others' signs, and
    how many KKT conditions fail there; None if W is empty with an intercept."""
    n, k = A.shape
    small = np.flatnonzero(np.abs(r) <= mu)
    small = small[np.argsort(np.abs(r[small]), kind="stable")[: 2 * k]]
    work = _independent_rows(A, small)
    if fit_intercept and work.size == 0:
        return None
    sigma = np.where(r < 0, -1.0, 1.0)
    target, d_work = _model_minimiser(A, yt, st, lam, sigma, work, fit_intercept)
    violations = int(np.sum(np.abs(d_work) > st[work] * (1 + 1e-12)))
    r = yt - A @ target
    off = np.ones(n, dtype=bool)
    off[work] = False
    size = row_sizes(A[off], yt[off], target)
    violations += int(np.sum(sigma[off] * r[off] < -_ACTIVE_ZERO * size))
    if violations and _degenerate_optimum(A, yt, st, lam, target, work, fit_intercept):
        violations = 0
    return target, work, sigma, violations


def _degenerate_optimum(A, yt, st, lam, beta, work, fit_intercept):
    """Whether β is optimal with more zero residuals than W (ties): the
    certificate decides."""
    r = yt - A @ beta
    zero = np.abs(r) <= ZERO_TOL * row_sizes(A, yt, beta)
    if zero.sum() <= len(work):
        return False
    return min(certificate(A, yt, st, lam, beta, fit_intercept)[1:3]) <= _TOL


def _model_minimiser(A, yt, st, lam, sigma, work, fit_intercept):
    """β and d_W minimising −cᵀβ + ½βᵀΛβ (c = Aᵀ(sσ) off W) subject to
    A_Wβ = y_W, by the null-space method in β̃ = Λ^½β (the intercept as is):
    with A_WΛ^-½ = (Q₁R)ᵀ, β̃ = Q₁R⁻ᵀy_W + Q₂z, (Q₂ᵀHQ₂)z = Q₂ᵀ(c̃ − Hβ̃₀),
    H = diag(1, …, 1, 0), d_W = R⁻¹Q₁ᵀ(Hβ̃ − c̃)."""
    k, m = A.shape[1], len(work)
    if fit_intercept and m == 0:
        return None
    off = st * sigma
    off[work] = 0.0
    penalised = lam > 0
    D = np.ones(k)
    D[penalised] = 1.0 / np.sqrt(lam[penalised])
    H = penalised.astype(float)
    c = (A.T @ off) * D
    AW = _dense(A[work]).reshape(m, k) * D
    Q, R = scipy.linalg.qr(AW.T, mode="full")  # k×k, (k×m)
    Q1, Q2, R = Q[:, :m], Q[:, m:], R[:m]
    beta = Q1 @ scipy.linalg.solve_triangular(R, yt[work], trans="T") if m else 0 * c
    if Q2.shape[1]:
        reduced = (Q2.T * H) @ Q2
        g = Q2.T @ (c - H * beta)
        z = solve_small(reduced, g)
        z += solve_small(reduced, g - reduced @ z)  # a step of iterative refinement
        beta = beta + Q2 @ z
    d_work = scipy.linalg.solve_triangular(R, Q1.T @ (H * beta - c)) if m else c[:0]
    return beta * D, d_work


def _line_minimum(r, q, st, zero, lam, beta, delta):
    """(t, row): the exact minimiser t ≥ 0 of F(β + tδ) (rows off W) and the
    row whose residual vanishes there, or None. Zero rows' kinks are at 0."""
    a = float(delta @ (lam * delta))
    moving = ~zero & (q != 0)
    at_zero = zero & (q != 0)
    # the slope at 0⁺: each moving row's −sᵢqᵢ sign(rᵢ), each zero row's +sᵢ|qᵢ|
    slope = float(delta @ (lam * beta))
    slope -= float(st[moving] @ (q[moving] * np.sign(r[moving])))
    slope += float(st[at_zero] @ np.abs(q[at_zero]))
    if slope >= 0:
        if at_zero.any():  # blocked at once by a zero row off W
            cand = np.flatnonzero(at_zero)
            return 0.0, int(cand[np.argmax(st[cand] * np.abs(q[cand]))])
        return 0.0, None
    ahead = np.flatnonzero(moving & (np.sign(q) == np.sign(r)))
    t_break = r[ahead] / q[ahead]
    order = np.argsort(t_break, kind="stable")
    ahead, t_break = ahead[order], t_break[order]
    jumps = 2.0 * st[ahead] * np.abs(q[ahead])
    before = slope + np.concatenate([[0.0], np.cumsum(jumps)[:-1]])  # s₀ + J
    left = before + a * t_break  # the slope just before each breakpoint
    crossing = np.flatnonzero(left + jumps >= 0)  # ... and after it: ≥ 0?
    if crossing.size:
        m = int(crossing[0])
        if left[m] < 0:
            return float(t_break[m]), int(ahead[m])
        return float(-before[m] / a), None
    # beyond the last breakpoint (F grows along every line: a > 0 there)
    total = slope + float(jumps.sum())
    return (float(-total / a) if a > 0 else 0.0), None


def _active_set(A, yt, st, lam, beta, work, sigma, fit_intercept):
    """(β, steps): the exact minimiser from β, W = ``work`` (see the module)."""
    n, k = A.shape
    p = k - 1 if fit_intercept else k
    sigma = np.where(sigma < 0, -1.0, 1.0)
    in_work = np.zeros(n, dtype=bool)
    in_work[work] = True
    abs_A = abs(A)
    max_steps = 10 * (k + 10) + n // 10
    for step in range(1, max_steps + 1):
        r = yt - A @ beta
        r[in_work] = 0.0
        zero = (np.abs(r) <= _ACTIVE_ZERO * row_sizes(A, yt, beta, abs_A)) & ~in_work
        sigma = np.where(zero, sigma, np.where(r < 0, -1.0, 1.0))
        work = np.flatnonzero(in_work)
        solved = None
        if fit_intercept and work.size == 0:
            # the intercept to its exact optimum for the coefficients
            beta = beta.copy()
            beta[p] = 0.0
            t = yt - A @ beta
            beta[p] = weighted_median(t, st)
            hit = np.flatnonzero(t == beta[p])
            if hit.size:
                in_work[hit[0]] = True
                continue
            r = t - beta[p]
            sigma = np.where(r < 0, -1.0, 1.0)
            zero[:] = False
        else:
            solved = _model_minimiser(A, yt, st, lam, sigma, work, fit_intercept)
        if solved is None:  # a tie of the weighted median: the intercept is free
            target = beta.copy()
            target[:p] = (A.T @ (st * sigma))[:p] / lam[:p]
            d_work = np.zeros(0)
        else:
            target, d_work = solved
        delta = target - beta
        q = A @ delta
        q[in_work] = 0.0
        # rows that move by less than rounding do not move (dependent on W)
        sizes = row_sizes(A, yt, beta, abs_A)
        q[np.abs(q) <= _ACTIVE_ZERO * np.maximum(sizes, abs_A @ np.abs(delta))] = 0.0
        ahead = ~zero & ~in_work & (q != 0) & (np.sign(q) == np.sign(r))
        against = zero & (q != 0) & (np.sign(q) == sigma)  # to the side of −σ
        t, row = _line_minimum(r, q, st, zero, lam, beta, delta)
        stuck = t == 0.0 and row is None  # no descent along δ: β is optimal
        if stuck or not (against.any() or np.any(r[ahead] / q[ahead] < 1.0)):
            # the model's minimiser is F's along the segment: the KKT test
            if not stuck:
                beta = target
            excess = np.abs(d_work) / st[work] - 1.0
            if excess.size == 0 or excess.max() <= 1e-12:
                return beta, step
            if _degenerate_optimum(A, yt, st, lam, beta, work, fit_intercept):
                return beta, step
            leave = int(np.argmax(excess))
            in_work[work[leave]] = False
            sigma[work[leave]] = np.sign(d_work[leave])
            continue
        beta = beta + t * delta
        if row is not None and len(_independent_rows(A, np.append(work, row))) > len(
            work
        ):
            in_work[row] = True
    return beta, max_steps
