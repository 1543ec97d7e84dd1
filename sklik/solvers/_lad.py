"""Exact weighted least absolute deviations: the Laplace location's MLE.

``weighted_lad`` minimises Σᵢ sᵢ|yᵢ − xᵢ·w − b| through the LP's *dual*,
solved by HiGHS (``scipy.optimize.linprog(method="highs")``)::

    maximise Σᵢ yᵢdᵢ  subject to  Xᵀd = 0,  Σᵢ dᵢ = 0 (with an intercept),
                                   −sᵢ ≤ dᵢ ≤ sᵢ,

whose equality multipliers are (w, b). The dual has p (+1) rows where the
primal (w, b, u⁺, u⁻) has n, and is far faster (``benchmarks/bench_lad.py``,
n = 1e4, p = 20: 0.59 s against 16 s for the primal and 11 s for
``QuantileRegressor(solver="highs")``). Above 5000 rows Portnoy-Koenker
globs cut it further: 0.14 s there; at n = 1e5, 1.3 s against 39 s for the
plain dual and over 300 s for the other two.

The answer is then made exact: simplex steps in floating point from HiGHS's
multipliers to a vertex whose implied dual is feasible (``_finish``), the
vertex re-solved from its interpolated rows, and optimality verified by the
duality gap (≤ 1e-9 relative, else RuntimeError).
"""

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.optimize import linprog

from sklik._chunks import row_chunks
from sklik._validation import check_sample_weight
from sklik.solvers._lad_vertex import (
    _dense,
    _dual_feasible,
    _finish,
    _null_space,
    _polish,
    _vertex_dual,
    _zero_residuals,
)

_GAP_TOL = 1e-9  # relative duality gap accepted as optimal
_SMALL = 5000  # up to this many rows the dual LP is solved whole
_SUB, _BAND = 0.25, 2  # globs: subsample m = _SUB (kn)^⅔, middle M = _BAND m
# HiGHS's tightest (default 1e-7 let Xᵀd = 0 fail by 2e-8 with weights over
# 8 decades, a 1e-4 relative loss); it cost no time in bench_lad's cases.
_TOL = {"primal_feasibility_tolerance": 1e-10, "dual_feasibility_tolerance": 1e-10}


@dataclass(frozen=True)
class LADResult:
    """Result of :func:`weighted_lad`.

    Attributes
    ----------
    coef : ndarray of shape (p,)
    intercept : float
        0.0 without ``fit_intercept``.
    objective : float
        Σᵢ sᵢ |yᵢ − xᵢ·w − b| at (coef, intercept).
    n_iter : int or None
        HiGHS's simplex iterations, over all the LPs solved.
    status : str
        HiGHS's message.
    dual : ndarray of shape (n,)
        The certificate: −sᵢ ≤ dᵢ ≤ sᵢ, dᵢ = sᵢ sign(rᵢ) where rᵢ ≠ 0, and
        Xᵀd = 0 (and Σd = 0 with an intercept), to rounding.
    duality_gap : float
        |objective − yᵀd| / objective in the standardised units (over
        1e-4 Σᵢ sᵢ(|yᵢ| + |xᵢ||w|) instead when the objective is smaller:
        near-exact fits, where rounding is all there is); at most 1e-9.
    n_zero_residuals : int
        Residuals zero to rounding; at a vertex their rows span [X, 1], so
        there are at least ``rank`` of them.
    rank : int
        Numerical rank of [X, 1] (X without intercept), rows of weight > 0.
    """

    coef: np.ndarray
    intercept: float
    objective: float
    n_iter: int | None
    status: str
    dual: np.ndarray
    duality_gap: float
    n_zero_residuals: int
    rank: int


def weighted_median(y, sample_weight=None) -> float:
    """Minimiser of Σᵢ sᵢ |yᵢ − m|: the weighted median, exactly.

    When the minimisers form an interval (half of the weight at or below a
    point, the other half at or above the next one: an even number of equal
    weights, for instance) the midpoint of that interval is returned; every
    point of it attains the same objective. O(n log n) (one sort).

    Parameters
    ----------
    y : array-like of shape (n,)
    sample_weight : array-like of shape (n,), optional
        Non-negative weights, at least one positive; rows of weight 0 are
        ignored. Default: all ones.

    Returns
    -------
    float

    Examples
    --------
    >>> from sklik.solvers._lad import weighted_median
    >>> weighted_median([1.0, 2.0, 10.0])
    2.0
    >>> weighted_median([1.0, 2.0, 3.0, 10.0])  # any m in [2, 3] is optimal
    2.5
    >>> weighted_median([1.0, 2.0, 10.0], [1.0, 1.0, 3.0])
    10.0
    """
    y = np.asarray(y, dtype=np.float64).ravel()
    s = check_sample_weight(sample_weight, y.shape[0])
    if not np.all(np.isfinite(y)):
        raise ValueError("y contains NaN or infinity.")
    keep = s > 0
    values, inverse = np.unique(y[keep], return_inverse=True)  # sorts once
    w = np.bincount(inverse.ravel(), weights=s[keep], minlength=len(values))
    half = 0.5 * w.sum()
    below = np.cumsum(w)  # weight at or below values[k]
    above = np.cumsum(w[::-1])[::-1]  # weight at or above values[k]
    lo = values[np.flatnonzero(below >= half)[0]]
    hi = values[np.flatnonzero(above >= half)[-1]]
    lo, hi = min(lo, hi), max(lo, hi)  # equal unless a tie at half the weight
    return float(lo + 0.5 * (hi - lo))


def weighted_lad(X, y, sample_weight=None, *, fit_intercept=True) -> LADResult:
    """Exact weighted least absolute deviations, by the LP's dual in HiGHS.

    Minimises Σᵢ sᵢ |yᵢ − xᵢ·w − b| over w (and b when ``fit_intercept``;
    else b = 0). Columns of X (and y) are standardised internally, dense
    columns centred too when there is an intercept, so columns spanning
    1e-6…1e6 units are handled; the coefficients are transformed back.

    LAD solutions need not be unique (two points' median is any value
    between them): a whole face of the LP can be optimal. A vertex of it is
    returned (its zero residuals span [X, 1]); every optimal solution has
    the same objective, so compare objectives, not coefficients, unless the
    solution is known to be unique. Along collinear columns the coefficients
    are the minimum-norm ones in standardised units.

    Parameters
    ----------
    X : ndarray or scipy.sparse matrix of shape (n, p)
        Sparse X is never densified (only the few interpolated rows are).
    y : array-like of shape (n,)
    sample_weight : array-like of shape (n,), optional
        Non-negative weights sᵢ (for a Laplace fit, 1/scaleᵢ; they may span
        many orders of magnitude). Rows of weight 0 are dropped before the
        solve and cannot influence the result. Default: all ones.
    fit_intercept : bool, default=True

    Returns
    -------
    LADResult

    Raises
    ------
    RuntimeError
        If HiGHS fails (never infeasible, d = 0 being feasible, nor
        unbounded, the bounds being finite: only numerical trouble or a
        limit) or the duality gap exceeds 1e-9.

    Examples
    --------
    >>> import numpy as np
    >>> from sklik.solvers._lad import weighted_lad
    >>> X = np.array([[0.0], [1.0], [2.0], [3.0]])
    >>> res = weighted_lad(X, [1.0, 3.0, 5.0, 100.0])
    >>> res.coef, res.intercept, res.objective
    (array([2.]), 1.0, 93.0)
    """
    X, y, s = _checked(X, y, sample_weight)
    n, p = X.shape
    if p == 0 and not fit_intercept:
        d, obj = np.sign(y) * s, float(s @ np.abs(y))
        return LADResult(np.zeros(0), 0.0, obj, None, "nothing to fit", d, 0.0, 0, 0)

    A, yt, st, units = _standardised(X, y, s, fit_intercept)
    keep, centre, scale, y_centre, y_scale = units
    Xk, yk, sk = X[keep], y[keep], s[keep]

    if yt.any():
        beta, d, n_iter, message = _solve(A, yt, st, np.random.default_rng(0))
        n_iter, message = int(n_iter), str(message)
    else:  # y constant (or 0 without intercept): the zero fit is exact
        beta, d = np.zeros(A.shape[1]), np.zeros_like(st)
        n_iter, message = 0, "y is constant: no LP solved"
    null_A = _null_space(A)
    rank = A.shape[1] - len(null_A)
    beta = _finish(A, yt, st, beta, null_A)
    beta, rows = _polish(A, yt, st, beta)

    # Optimality: a feasible dual d with yᵀd = Σ sᵢ|rᵢ| (see LADResult for
    # the scale). Two candidates: HiGHS's, and the one the vertex implies.
    fitted = A @ beta
    zero = _zero_residuals(A, yt, beta)
    objective_t = float(st @ np.abs(yt - fitted))
    floor = 1e-4 * float(st @ (np.abs(yt) + abs(A) @ np.abs(beta)))
    gaps = [
        (abs(objective_t - yt @ c) / max(objective_t, floor, 1e-300), i, c)
        for i, c in enumerate((_vertex_dual(A, yt, st, beta, zero), d))
        if c is not None and _dual_feasible(A, st, c)
    ]
    gap, _, d = min(gaps, default=(np.inf, 0, d))
    gap = float(gap)
    if gap > _GAP_TOL:
        raise RuntimeError(
            f"weighted_lad: relative duality gap {gap:.3g} > {_GAP_TOL:g} "
            f"after HiGHS's {message!r}"
        )

    def original_units(beta, shift):
        w = beta[:p] / scale * y_scale
        return w, (shift + y_scale * beta[p] - centre @ w if fit_intercept else 0.0)

    w, b = original_units(beta, y_centre)
    if rows is not None:  # one refinement step, residuals in the units of y
        r = yk[rows] - Xk[rows] @ w - b
        dw, db = original_units(np.linalg.lstsq(_dense(A[rows]), r / y_scale)[0], 0.0)
        if sk @ np.abs(yk - Xk @ (w + dw) - (b + db)) <= sk @ np.abs(yk - Xk @ w - b):
            w, b = w + dw, b + db
    dual = np.zeros(n)
    dual[keep] = d * sk.max()
    objective, n_zero = float(s @ np.abs(y - X @ w - b)), int(zero.sum())
    return LADResult(w, float(b), objective, n_iter, message, dual, gap, n_zero, rank)


def _checked(X, y, sample_weight):
    """(X, y, s) as float arrays (sparse X as CSR), checked to be finite,
    2-D and of matching lengths."""
    y = np.asarray(y, dtype=np.float64).ravel()
    X = sp.csr_array(X, dtype=float) if sp.issparse(X) else np.asarray(X, float)
    if X.ndim != 2 or X.shape[0] != y.shape[0]:
        raise ValueError(f"X must be 2-D with {y.shape[0]} rows; got {X.shape}.")
    s = check_sample_weight(sample_weight, y.shape[0])
    data = X.data if sp.issparse(X) else X
    if not (np.isfinite(y).all() and np.isfinite(data).all()):
        raise ValueError("X and y must be finite.")
    return X, y, s


def _standardised(X, y, s, fit_intercept):
    """(A, yt, st, units): the rows of weight > 0 with [X̃, 1] (or X̃), y
    centred on its median (with an intercept) and both over their rms, the
    weights over their largest; units = (rows kept, X's centre and scale,
    y's centre and scale)."""
    keep = np.flatnonzero(s > 0)
    A, centre, scale = _standardised_design(X[keep], fit_intercept)
    yk = y[keep]
    y_centre = float(np.median(yk)) if fit_intercept else 0.0
    y_scale = float(np.sqrt(np.mean((yk - y_centre) ** 2))) or 1.0
    st = s[keep] / s[keep].max()
    return A, (yk - y_centre) / y_scale, st, (keep, centre, scale, y_centre, y_scale)


def _standardised_design(X, fit_intercept):
    """[X̃, 1] (or X̃) with X̃ = (X − centre) / scale; sparse stays sparse.

    Dense columns are centred on their median when there is an intercept
    (the median of a constant column is that constant exactly, so the
    column becomes exactly zero, where a mean could leave rounding noise
    that the scaling would blow up); sparse columns are only scaled.
    """
    n, p = X.shape
    if sp.issparse(X):
        centre = np.zeros(p)
        scale = np.sqrt(np.asarray(X.multiply(X).mean(axis=0)).ravel())
    else:
        centre = np.median(X, axis=0) if fit_intercept and n else np.zeros(p)
        X = X - centre
        scale = np.sqrt(np.mean(X * X, axis=0)) if n else np.ones(p)
    scale[scale == 0] = 1.0
    ones = np.ones((n, 1))
    if sp.issparse(X):
        X = sp.csr_array(X @ sp.diags_array(1.0 / scale))
        A = sp.hstack([X, ones], format="csr") if fit_intercept else X
    else:
        X /= scale
        A = np.hstack([X, ones]) if fit_intercept else X
    return A, centre, scale


def _solve_dual(A, yt, st, beta0):
    """(β, d, iterations, message) of the dual LP, its costs shifted by β0.

    As Aᵀd = 0, maximising Σ (yᵢ − aᵢ·β0) dᵢ has the same solutions d, and
    multipliers β − β0: from a good β0 HiGHS's dual simplex starts nearly
    feasible and makes far fewer bound flips (n = 1e5, p = 20: 39 s from
    β0 = 0, 2.2 s from a subsample's LAD fit). Presolve is off: it took 7 s
    of those 39 and reduced nothing (it merges duplicate rows of X, and then
    saved no time either).
    """
    res = linprog(
        -(yt - A @ beta0),
        A_eq=A.T,
        b_eq=np.zeros(A.shape[1]),
        bounds=np.column_stack([-st, st]),
        method="highs",
        options={"presolve": False, **_TOL},
    )
    if res.status != 0 or res.eqlin.marginals is None:
        raise RuntimeError(f"weighted_lad: HiGHS failed: {res.message}")
    return beta0 - res.eqlin.marginals, np.clip(res.x, -st, st), res.nit, res.message


def _solve(A, yt, st, rng):
    """The dual LP on all rows, or with "globs" when there are many.

    Portnoy and Koenker's (1997) preprocessing, exact: solve on a random
    subsample of m = ¼(kn)^⅔ rows (recursively), keep the M = 2m rows whose
    residuals are smallest in units of their standard error, and replace
    the rows above (below) by one "glob" row, their weighted sum. If every
    globbed residual keeps its sign at the reduced LP's solution, that is
    optimal for all rows (the glob's |Σ sᵢrᵢ| equals Σ sᵢ|rᵢ| there and
    bounds it below elsewhere); else the offenders rejoin the middle, or the
    middle doubles when they are many (> M/10). n = 1e5, p = 20: 1.3 s.
    """
    n, k = A.shape
    m = int(_SUB * (k * n) ** (2 / 3))
    if n <= _SMALL or 4 * m >= n:
        return _solve_dual(A, yt, st, np.zeros(k))
    # rows drawn in proportion to their weight, so that heavy rows are in,
    # and weighted by ~1/(inclusion probability): the subsample's objective
    # estimates Σ sᵢ|rᵢ| (uniform draws failed on weights over 5 decades)
    inclusion = np.minimum(1.0, m * st / st.sum())
    sub = np.sort(rng.choice(n, m, replace=False, p=st / st.sum()))
    s_sub = st[sub] / inclusion[sub]
    beta, _, n_iter, message = _solve(A[sub], yt[sub], s_sub / s_sub.max(), rng)
    lam, V = np.linalg.eigh(_dense(A[sub].T @ A[sub]) / m)
    W = V[:, lam > lam[-1] * 1e-12] / np.sqrt(lam[lam > lam[-1] * 1e-12])
    band = np.empty(n)  # ‖aᵢ‖ in the subsample's metric, a chunk at a time
    for rows in row_chunks(n, W.shape[1]):
        band[rows] = np.linalg.norm(A[rows] @ W, axis=1)
    r = yt - A @ beta
    order = np.argsort(np.abs(r) / np.maximum(band, 1e-300))
    mid = np.zeros(n, dtype=bool)
    M = int(_BAND * m)
    while 2 * M < n:
        mid[order[:M]] = True
        signs = np.where(mid, 0.0, np.sign(r))
        mid |= signs == 0
        for _ in range(5):
            beta_new, d, it, message = _glob_solve(A, yt, st, beta, mid, signs)
            n_iter += it
            r_new = yt - A @ beta_new
            bad = signs * r_new < 0
            if not bad.any():
                return beta_new, d, n_iter, message
            if bad.sum() > 0.1 * M:
                break
            mid |= bad
            signs[bad] = 0.0
        M *= 2
    beta, d, it, message = _solve_dual(A, yt, st, beta)
    return beta, d, n_iter + it, message


def _glob_solve(A, yt, st, beta, mid, signs):
    """The LP on the rows in ``mid`` and one glob per sign of the others."""
    rows, ys, ss, members = [A[mid]], [yt[mid]], [st[mid]], []
    for sign in (1.0, -1.0):
        g = signs == sign
        if g.any():
            w = np.where(g, st, 0.0)  # no copy of A's rows
            rows.append(np.atleast_2d(w @ A) / w.sum())
            ys.append([w @ yt / w.sum()])
            ss.append([w.sum()])
            members.append(g)
    stack = sp.vstack if sp.issparse(A) else np.vstack
    A_red = stack(
        [rows[0], *(sp.csr_array(a) if sp.issparse(A) else a for a in rows[1:])]
    )
    s_red = np.concatenate(ss)
    beta, d_red, n_iter, message = _solve_dual(A_red, np.concatenate(ys), s_red, beta)
    d = np.zeros_like(st)
    d[mid] = d_red[: mid.sum()]
    for j, g in enumerate(members):  # a glob's dual shared in proportion to sᵢ
        d[g] = st[g] * (d_red[mid.sum() + j] / s_red[mid.sum() + j])
    return beta, d, n_iter, message
