"""sklik._lad: exact weighted least absolute deviations and weighted medians.

References are computed at test time by other implementations: statsmodels'
``QuantReg`` (iteratively reweighted least squares) on the Engel data,
scikit-learn's ``QuantileRegressor(solver="highs")`` (the primal LP, its own
formulation), a plain dual LP without sklik's preprocessing, and brute force.

LAD solutions can be non-unique (a face of optimal solutions), so objective
values are compared everywhere (to 1e-9 relative) and coefficients only where
the solution is unique, which ``is_unique`` certifies: the zero residuals span
[X, 1] on exactly rank-many rows and the dual dᵢ there is strictly inside
(−sᵢ, sᵢ), so that every direction increases the objective.
"""

import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from scipy.optimize import linprog, minimize
from sklearn.base import clone
from sklearn.datasets import load_diabetes
from sklearn.linear_model import QuantileRegressor
from statsmodels.datasets import engel
from statsmodels.regression.quantile_regression import QuantReg
from statsmodels.tools.sm_exceptions import ConvergenceWarning

from sklik.solvers import _lad, _penalised_lad
from sklik.solvers._lad import LADResult, weighted_lad, weighted_median
from sklik.solvers._penalised_lad import penalised_lad

REL = 1e-9


def objective(X, y, s, coef, intercept):
    return float(s @ np.abs(y - X @ coef - intercept))


def design(X, fit_intercept=True):
    X = X.toarray() if sp.issparse(X) else np.asarray(X, dtype=float)
    return np.hstack([X, np.ones((len(X), 1))]) if fit_intercept else X


def residuals(res, X, y):
    return y - X @ res.coef - res.intercept


def zero_rows(res, X, y, fit_intercept=True):
    """Residuals zero to rounding, judged on the scale of each row's terms."""
    A = design(X, fit_intercept)
    beta = np.append(res.coef, res.intercept) if fit_intercept else res.coef
    return np.abs(residuals(res, X, y)) <= 1e-9 * (np.abs(y) + np.abs(A) @ np.abs(beta))


def is_unique(res, X, y, s, fit_intercept=True):
    A, zero = design(X, fit_intercept), zero_rows(res, X, y, fit_intercept)
    if zero.sum() != A.shape[1] or np.linalg.matrix_rank(A[zero]) != A.shape[1]:
        return False
    return bool(np.all(np.abs(res.dual[zero]) < s[zero] * (1 - 1e-9)))


def assert_optimal(res, X, y, s, fit_intercept=True):
    """Subgradient optimality and vertex checks, independently of sklik.

    0 ∈ ∂f: there are dᵢ ∈ [−sᵢ, sᵢ], dᵢ = sᵢ sign(rᵢ) where rᵢ ≠ 0, with
    [X, 1]ᵀd = 0. Checked on the returned dual, and again by a feasibility
    LP over the d of the zero residuals only (the others are fixed by signs).
    """
    A, r = design(X, fit_intercept), residuals(res, X, y)
    zero = zero_rows(res, X, y, fit_intercept)
    d = res.dual
    assert res.objective == pytest.approx(objective(X, y, s, res.coef, res.intercept))
    assert np.all(np.abs(d) <= s * (1 + 1e-9) + 1e-12 * s.max())  # rounding
    assert np.allclose(d[~zero], s[~zero] * np.sign(r[~zero]), rtol=1e-9, atol=0)
    A_n = A / np.maximum(np.abs(A).max(axis=0), 1e-300)  # columns of unit size
    assert np.all(np.abs(A_n.T @ d) <= 1e-9 * (np.abs(A_n).T @ np.abs(d)).max())
    u = s / s.max()  # the LP in units of the largest weight
    fixed = A_n[~zero].T @ (u[~zero] * np.sign(r[~zero]))
    lp = linprog(
        np.zeros(zero.sum()),
        A_eq=A_n[zero].T,
        b_eq=-fixed,
        bounds=np.column_stack([-u[zero], u[zero]]),
        method="highs",
    )
    assert lp.status == 0, lp.message  # a subgradient certificate exists
    # a vertex: the zero residuals span [X, 1] (weight-0 rows do not count;
    # columns in units 1e-6…1e6 are normalised for the rank)
    rank = np.linalg.matrix_rank(A_n[s > 0])
    assert np.linalg.matrix_rank(A_n[zero & (s > 0)]) >= rank
    assert res.rank == rank and res.n_zero_residuals >= rank
    assert res.duality_gap <= REL


def random_problem(n, p, seed, heavy=False):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, p))
    noise = rng.standard_cauchy(n) if heavy else rng.laplace(size=n)
    y = X @ rng.standard_normal(p) + 2.0 + noise * np.exp(0.5 * X[:, 0])
    s = np.exp(-0.5 * X[:, 0]) * rng.uniform(0.5, 2.0, n)
    return X, y, s


def quantile_regressor(X, y, s, fit_intercept=True):
    qr = QuantileRegressor(
        quantile=0.5, alpha=0.0, solver="highs", fit_intercept=fit_intercept
    )
    return qr.fit(X, y, sample_weight=s)


# --------------------------------------------------------------- references


def test_engel_against_statsmodels_quantreg():
    data = engel.load_pandas().data
    x, y = data[["income"]].to_numpy(), data["foodexp"].to_numpy()
    s = np.ones_like(y)
    with warnings.catch_warnings():
        # IRLS reports "convergence cycle detected" on Engel; fine at p_tol
        warnings.simplefilter("ignore", ConvergenceWarning)
        ref = QuantReg(y, np.hstack([np.ones_like(x), x])).fit(
            q=0.5, p_tol=1e-12, max_iter=10_000
        )
    res = weighted_lad(x, y)
    f_ref = objective(x, y, s, ref.params[1:], ref.params[0])
    assert res.objective <= f_ref * (1 + REL)
    assert res.objective == pytest.approx(f_ref, rel=REL)
    assert is_unique(res, x, y, s)
    # IRLS approaches the vertex to ~1e-8; the vertex itself is exact: the
    # line through the two interpolated households
    np.testing.assert_allclose([res.intercept, *res.coef], ref.params, rtol=1e-7)
    i, j = np.flatnonzero(zero_rows(res, x, y))
    slope = (y[j] - y[i]) / (x[j, 0] - x[i, 0])
    np.testing.assert_allclose(res.coef, [slope], rtol=1e-14)
    np.testing.assert_allclose(res.intercept, y[i] - slope * x[i, 0], rtol=1e-13)
    assert_optimal(res, x, y, s)


@pytest.mark.parametrize("scaled", [True, False])
def test_diabetes_against_quantile_regressor(scaled):
    X, y = load_diabetes(return_X_y=True, scaled=scaled)
    s = np.ones_like(y)
    res, ref = weighted_lad(X, y), quantile_regressor(X, y, s)
    f_ref = objective(X, y, s, ref.coef_, ref.intercept_)
    assert res.objective == pytest.approx(f_ref, rel=REL)
    assert is_unique(res, X, y, s)
    np.testing.assert_allclose(res.coef, ref.coef_, rtol=1e-8)
    np.testing.assert_allclose(res.intercept, ref.intercept_, rtol=1e-8)
    assert_optimal(res, X, y, s)


@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("heavy", [False, True])
def test_weighted_random_against_quantile_regressor(fit_intercept, heavy):
    X, y, s = random_problem(400, 6, seed=1, heavy=heavy)
    res = weighted_lad(X, y, s, fit_intercept=fit_intercept)
    ref = quantile_regressor(X, y, s, fit_intercept)
    f_ref = objective(X, y, s, ref.coef_, ref.intercept_)
    assert res.objective == pytest.approx(f_ref, rel=REL)
    assert is_unique(res, X, y, s, fit_intercept)
    np.testing.assert_allclose(res.coef, ref.coef_, rtol=1e-8, atol=1e-10)
    assert res.intercept == pytest.approx(ref.intercept_, rel=1e-8, abs=1e-10)
    assert_optimal(res, X, y, s, fit_intercept)


def plain_dual(A, y, s):
    """The dual LP as is: no standardisation, shift, globs or polishing."""
    res = linprog(
        -y,
        A_eq=A.T,
        b_eq=np.zeros(A.shape[1]),
        bounds=np.column_stack([-s, s]),
        method="highs",
    )
    assert res.status == 0
    return float(s @ np.abs(y - A @ -res.eqlin.marginals))


def record_lp_sizes(monkeypatch):
    sizes, solve_dual = [], _lad._solve_dual

    def recorded(A, *args):
        sizes.append(A.shape[0])
        return solve_dual(A, *args)

    monkeypatch.setattr(_lad, "_solve_dual", recorded)
    return sizes


@pytest.mark.parametrize("sparse", [False, True])
def test_large_n_globbed_path_is_exact(sparse, monkeypatch):
    """Above 5000 rows sklik solves with Portnoy-Koenker globs: same optimum,
    and no LP on all the rows (escapes, fix-ups and a doubled middle here)."""
    X, y, s = random_problem(12_000, 4, seed=2, heavy=True)
    s = s * np.exp(np.random.default_rng(0).uniform(-6, 6, len(s)))
    if sparse:
        X = np.where(np.abs(X) < 0.7, 0.0, X)
    sizes = record_lp_sizes(monkeypatch)
    res = weighted_lad(sp.csr_array(X) if sparse else X, y, s)
    assert max(sizes) < len(y) / 2
    assert res.objective == pytest.approx(plain_dual(design(X), y, s), rel=REL)
    assert is_unique(res, X, y, s)
    assert_optimal(res, X, y, s)


def test_globs_that_keep_failing_fall_back_to_the_whole_lp(monkeypatch):
    X, y, s = random_problem(6000, 3, seed=3, heavy=True)
    monkeypatch.setattr(_lad, "_SUB", 0.02)  # subsamples of ~13 rows
    monkeypatch.setattr(_lad, "_BAND", 0.2)
    sizes = record_lp_sizes(monkeypatch)
    res = weighted_lad(X, y, s)
    assert sizes[-1] == len(y)
    assert res.objective == pytest.approx(plain_dual(design(X), y, s), rel=REL)
    assert_optimal(res, X, y, s)


# --------------------------------------------------------------- invariances


def test_integer_weights_equal_repeated_rows():
    X, y, _ = random_problem(120, 3, seed=3)
    w = np.random.default_rng(3).integers(1, 4, len(y))
    res = weighted_lad(X, y, w.astype(float))
    rep = weighted_lad(np.repeat(X, w, axis=0), np.repeat(y, w))
    assert res.objective == pytest.approx(rep.objective, rel=1e-12)
    assert is_unique(res, X, y, w.astype(float))
    np.testing.assert_allclose(res.coef, rep.coef, rtol=1e-10)
    assert res.intercept == pytest.approx(rep.intercept, rel=1e-10)


def test_zero_weight_rows_are_dropped():
    X, y, s = random_problem(150, 4, seed=4)
    s[::3] = 0.0
    y_wild = y.copy()
    y_wild[::3] = 1e9 * np.random.default_rng(4).standard_normal(50)
    res = weighted_lad(X, y_wild, s)
    kept = weighted_lad(X[s > 0], y[s > 0], s[s > 0])
    np.testing.assert_array_equal(res.coef, kept.coef)
    assert res.intercept == kept.intercept
    assert res.objective == pytest.approx(kept.objective, rel=1e-14)
    assert np.all(res.dual[s == 0] == 0)
    assert_optimal(res, X, y_wild, s)


def test_column_scaling_divides_its_coefficient():
    X, y, s = random_problem(200, 4, seed=5)
    c = np.array([1e-6, 1e6, -3.0, 1.0])
    base, scaled = weighted_lad(X, y, s), weighted_lad(X * c, y, s)
    assert is_unique(base, X, y, s)
    np.testing.assert_allclose(scaled.coef, base.coef / c, rtol=1e-9)
    assert scaled.intercept == pytest.approx(base.intercept, rel=1e-9)
    assert scaled.objective == pytest.approx(base.objective, rel=REL)
    assert_optimal(scaled, X * c, y, s)


@pytest.mark.parametrize("fit_intercept", [True, False])
def test_scaling_y_scales_everything(fit_intercept):
    X, y, s = random_problem(200, 4, seed=6)
    base = weighted_lad(X, y, s, fit_intercept=fit_intercept)
    assert is_unique(base, X, y, s, fit_intercept)
    for c in (1e-7, -2.5, 1e8):
        res = weighted_lad(X, c * y, s, fit_intercept=fit_intercept)
        np.testing.assert_allclose(res.coef, c * base.coef, rtol=1e-9)
        assert res.intercept == pytest.approx(c * base.intercept, rel=1e-9)
        assert res.objective == pytest.approx(abs(c) * base.objective, rel=REL)


def test_translating_y_shifts_the_intercept():
    X, y, s = random_problem(200, 4, seed=7)
    base, shifted = weighted_lad(X, y, s), weighted_lad(X, y + 1e4, s)
    assert is_unique(base, X, y, s)
    np.testing.assert_allclose(shifted.coef, base.coef, rtol=1e-8)
    assert shifted.intercept == pytest.approx(base.intercept + 1e4, rel=1e-12)
    assert shifted.objective == pytest.approx(base.objective, rel=1e-9)


def test_offset_columns_and_weights_over_twelve_orders():
    X, y, s = random_problem(300, 5, seed=8)
    s = s * np.exp(np.random.default_rng(8).uniform(-14, 14, len(s)))  # 1e-6..1e6
    units = np.logspace(-6, 6, 5)
    base = weighted_lad(X, y, s)
    assert is_unique(base, X, y, s)
    res = weighted_lad(X * units + 1e3 * units, y, s)
    assert res.objective == pytest.approx(base.objective, rel=REL)
    np.testing.assert_allclose(res.coef * units, base.coef, rtol=1e-7)
    assert_optimal(res, X * units + 1e3 * units, y, s)


# --------------------------------------------------------- layouts and edges


@pytest.mark.parametrize("fmt", ["csr", "csc"])
@pytest.mark.parametrize("fit_intercept", [True, False])
def test_sparse_equals_dense(fmt, fit_intercept):
    rng = np.random.default_rng(9)
    Xs = sp.random_array((300, 12), density=0.15, format=fmt, rng=rng)
    X = Xs.toarray()
    y = X @ rng.standard_normal(12) + rng.laplace(size=300)
    s = rng.uniform(0.2, 5.0, 300)
    res = weighted_lad(Xs, y, s, fit_intercept=fit_intercept)
    dense = weighted_lad(X, y, s, fit_intercept=fit_intercept)
    assert res.objective == pytest.approx(dense.objective, rel=REL)
    assert is_unique(dense, X, y, s, fit_intercept)
    np.testing.assert_allclose(res.coef, dense.coef, rtol=1e-8, atol=1e-12)
    assert res.intercept == pytest.approx(dense.intercept, rel=1e-8, abs=1e-12)
    assert_optimal(res, X, y, s, fit_intercept)


def test_rank_deficient_columns():
    X, y, s = random_problem(200, 3, seed=10)
    X_def = np.hstack([X, X[:, :1], X @ [[1.0], [-2.0], [0.5]], np.full((200, 1), 7.0)])
    res, full = weighted_lad(X_def, y, s), weighted_lad(X, y, s)
    assert res.objective == pytest.approx(full.objective, rel=REL)
    # the fit (not the split between collinear columns) is unique here
    assert is_unique(full, X, y, s)
    np.testing.assert_allclose(
        X_def @ res.coef + res.intercept, X @ full.coef + full.intercept, rtol=1e-9
    )
    # minimum norm in standardised units: a duplicate shares its column's
    # coefficient equally, a constant column (the intercept's) gets none
    assert res.coef[0] == pytest.approx(res.coef[3], rel=1e-9)
    assert res.coef[5] == pytest.approx(0.0, abs=1e-12)
    assert_optimal(res, X_def, y, s)


@pytest.mark.parametrize("fit_intercept", [True, False])
def test_p_at_least_n_interpolates(fit_intercept):
    rng = np.random.default_rng(11)
    X, y, s = rng.standard_normal((8, 20)), rng.standard_normal(8), np.ones(8)
    res = weighted_lad(X, y, s, fit_intercept=fit_intercept)
    assert res.objective <= 1e-12 * np.abs(y).sum()
    np.testing.assert_allclose(X @ res.coef + res.intercept, y, atol=1e-12)
    assert_optimal(res, X, y, s, fit_intercept)


def test_all_weights_zero_but_one():
    X, y, _ = random_problem(50, 3, seed=12)
    s = np.zeros(50)
    s[17] = 3.0
    res = weighted_lad(X, y, s)
    assert res.objective == pytest.approx(0.0, abs=1e-12)
    assert X[17] @ res.coef + res.intercept == pytest.approx(y[17], rel=1e-14)
    assert_optimal(res, X, y, s)


def test_constant_y():
    X, _, s = random_problem(60, 3, seed=13)
    res = weighted_lad(X, np.full(60, 0.1), s)
    assert res.objective == 0.0
    np.testing.assert_array_equal(res.coef, 0.0)
    assert res.intercept == 0.1
    assert_optimal(res, X, np.full(60, 0.1), s)


def test_no_features():
    y = np.array([3.0, -1.0, 4.0, 1.0, 5.0, 9.0])
    s = np.array([1.0, 2.0, 1.0, 1.0, 0.5, 1.0])
    X = np.empty((6, 0))
    res = weighted_lad(X, y, s)
    m = weighted_median(y, s)
    assert res.objective == pytest.approx(s @ np.abs(y - m), rel=1e-14)
    assert res.intercept in y  # a vertex: one of the data
    bare = weighted_lad(X, y, s, fit_intercept=False)
    assert bare.intercept == 0.0 and bare.objective == s @ np.abs(y)
    assert_optimal(res, X, y, s)


def test_non_unique_median_returns_a_vertex_with_the_optimal_objective():
    y = np.array([1.0, 2.0, 5.0, 7.0])  # any b in [2, 5] is optimal
    res = weighted_lad(np.empty((4, 0)), y, np.ones(4))
    assert res.intercept in (2.0, 5.0)
    assert res.objective == 9.0


def test_deterministic():
    X, y, s = random_problem(7000, 3, seed=14)
    a, b = weighted_lad(X, y, s), weighted_lad(X, y, s)
    np.testing.assert_array_equal(a.coef, b.coef)
    assert a.intercept == b.intercept


def test_result_fields():
    X, y, s = random_problem(100, 2, seed=15)
    res = weighted_lad(X, y, s)
    assert isinstance(res, LADResult)
    assert res.coef.shape == (2,) and isinstance(res.intercept, float)
    assert isinstance(res.n_iter, int) and res.n_iter > 0
    assert "Optimal" in res.status


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"sample_weight": -np.ones(5)}, "negative"),
        ({"sample_weight": np.zeros(5)}, "sums to zero"),
        ({"sample_weight": np.ones(4)}, "shape"),
        ({"y": [1.0, np.nan, 2.0, 3.0, 4.0]}, "finite"),
    ],
)
def test_invalid_input(kwargs, match):
    args = {"X": np.ones((5, 1)), "y": np.arange(5.0), "sample_weight": None}
    args.update(kwargs)
    with pytest.raises(ValueError, match=match):
        weighted_lad(args["X"], args["y"], args["sample_weight"])


def test_lp_failure_raises_with_highs_message(monkeypatch):
    def failing(*args, **kwargs):
        res = linprog(*args, **kwargs)
        res.status, res.message = 4, "HiGHS says: numerical difficulties"
        return res

    monkeypatch.setattr(_lad, "linprog", failing)
    with pytest.raises(RuntimeError, match="numerical difficulties"):
        weighted_lad(np.arange(10.0)[:, None], np.arange(10.0) ** 2)


def perturbed_marginals(size):
    def solve(*args, **kwargs):
        res = linprog(*args, **kwargs)
        noise = np.random.default_rng(0).standard_normal(len(res.eqlin.marginals))
        res.eqlin.marginals = res.eqlin.marginals + size * noise
        return res

    return solve


def test_a_suboptimal_lp_answer_is_caught_by_the_duality_gap(monkeypatch):
    monkeypatch.setattr(_lad, "linprog", perturbed_marginals(1e-3))
    monkeypatch.setattr(_lad, "_finish", lambda A, yt, st, beta, null_A: beta)
    monkeypatch.setattr(_lad, "_polish", lambda A, yt, st, beta: (beta, None))
    X, y, s = random_problem(100, 2, seed=16)
    with pytest.raises(RuntimeError, match="duality gap"):
        weighted_lad(X, y, s)


def test_a_slightly_wrong_lp_answer_is_walked_to_the_optimal_vertex(monkeypatch):
    """HiGHS's tolerance can leave β off the vertex (weights below 1e-10):
    the exact simplex steps of ``_finish`` reach the optimum from there."""
    X, y, s = random_problem(100, 2, seed=16)
    exact = weighted_lad(X, y, s)
    monkeypatch.setattr(_lad, "linprog", perturbed_marginals(1e-6))
    res = weighted_lad(X, y, s)
    assert res.objective == pytest.approx(exact.objective, rel=1e-12)
    np.testing.assert_allclose(res.coef, exact.coef, rtol=1e-12)
    assert_optimal(res, X, y, s)


def test_weights_spanning_twenty_decades():
    """Below HiGHS's 1e-10 tolerance; seeds where the raw LP was 1e-7 off."""
    for seed in (1346, 3588, 3959):
        rng = np.random.default_rng(seed)
        X = rng.integers(0, 2, (12, 3)).astype(float)
        y = rng.standard_normal(12)
        s = np.exp(rng.uniform(-23, 23, 12))
        res = weighted_lad(X, y, s)
        lp = plain_dual(design(X) / 1.0, y, s / s.max()) * s.max()
        assert res.objective <= lp * (1 + REL) + 1e-12 * s @ np.abs(y)
        assert_optimal(res, X, y, s)


# ----------------------------------------------------------- weighted median


def brute_force_minimisers(y, w):
    """Data points minimising Σ wᵢ|yᵢ − m| (the minimum is attained at data)."""
    f = np.array([w @ np.abs(y - v) for v in y])
    return y[np.isclose(f, f.min(), rtol=1e-12, atol=0)], f.min()


@pytest.mark.parametrize("seed", range(40))
def test_weighted_median_against_brute_force(seed):
    rng = np.random.default_rng(seed)
    n = rng.integers(1, 9)
    y = rng.integers(-5, 6, n).astype(float)
    w = rng.integers(0, 4, n)
    w[rng.integers(n)] += 1  # at least one positive
    m = weighted_median(y, w.astype(float))
    # integer weights = repeated rows, and numpy's median takes the midpoint
    assert m == np.median(np.repeat(y, w))
    points, f_min = brute_force_minimisers(y[w > 0], w[w > 0].astype(float))
    lo, hi = points.min(), points.max()
    assert m == lo + 0.5 * (hi - lo)  # the midpoint of the minimising interval
    for v in np.linspace(lo, hi, 7):  # every point of it is optimal
        assert w @ np.abs(y - v) == pytest.approx(f_min, rel=1e-14)
    if lo < hi:  # and nothing outside it
        assert w @ np.abs(y - (hi + 0.5)) > f_min
        assert w @ np.abs(y - (lo - 0.5)) > f_min


def test_weighted_median_conventions():
    assert weighted_median([4.0]) == 4.0
    assert weighted_median([1.0, 2.0]) == 1.5
    assert weighted_median([1.0, 2.0, 3.0], [1.0, 0.0, 1.0]) == 2.0  # 0 ignored
    assert weighted_median([1.0, 2.0, 3.0], [1.0, 3.0, 1.0]) == 2.0
    assert weighted_median([1e300, -1e300]) == 0.0  # no overflow
    with pytest.raises(ValueError, match="sums to zero"):
        weighted_median([1.0, 2.0], [0.0, 0.0])


def test_weighted_median_is_the_intercept_only_lad():
    rng = np.random.default_rng(17)
    y, s = rng.standard_normal(301), rng.uniform(0.1, 3.0, 301)
    m = weighted_median(y, s)
    res = weighted_lad(np.empty((301, 0)), y, s)
    assert s @ np.abs(y - m) == pytest.approx(res.objective, rel=1e-14)


# ------------------------------------------------ the L2-penalised LAD (alpha > 0)
# References: weak duality (any d with |dᵢ| ≤ sᵢ and Σd = 0 bounds the optimum
# from below by D(d) = yᵀd − ½Σⱼ(Xᵀd)ⱼ²/λⱼ, whatever solver produced d), and
# scipy's SLSQP on the smooth epigraph reformulation (|rᵢ| ≤ tᵢ) from a start
# that knows nothing of sklik's answer.


def penalised_objective(X, y, s, lam, coef, intercept):
    return objective(X, y, s, coef, intercept) + 0.5 * float(lam @ coef**2)


def dual_bound(X, y, s, lam, d, fit_intercept=True):
    """D(d) after checking that d is dual feasible (to rounding)."""
    assert np.all(np.abs(d) <= s * (1 + 1e-12))
    if fit_intercept:
        assert abs(d.sum()) <= 1e-12 * np.abs(d).sum()
    Xd = np.asarray(X.T @ d).ravel()
    return float(y @ d - 0.5 * np.sum(Xd**2 / lam))


def slsqp_penalised_lad(X, y, s, lam):
    """min Σ sᵢtᵢ + ½Σλw² subject to −t ≤ y − Xw − b ≤ t (b free)."""
    n, p = X.shape
    A = np.hstack([X, np.ones((n, 1))])
    J = np.block([[A, np.eye(n)], [-A, np.eye(n)]])

    def f(z):
        w, t = z[:p], z[p + 1 :]
        return s @ t + 0.5 * lam @ w**2, np.concatenate([lam * w, [0.0], s])

    def g(z):
        r = y - A @ z[: p + 1]
        return np.concatenate([z[p + 1 :] - r, z[p + 1 :] + r])

    med = np.median(y)
    z0 = np.concatenate([np.zeros(p), [med], np.abs(y - med) + 1.0])
    res = minimize(
        f,
        z0,
        jac=True,
        method="SLSQP",
        options={"maxiter": 1000, "ftol": 1e-12},
        constraints=[{"type": "ineq", "fun": g, "jac": lambda z: J}],
    )
    # 8: its line search stalled, at rounding level here (the values decide)
    assert res.status in (0, 8), res.message
    return penalised_objective(X, y, s, lam, res.x[:p], res.x[p])


@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize("strength", [1e-3, 1.0, 1e3])
def test_penalised_lad_is_optimal_by_duality_and_against_slsqp(seed, strength):
    X, y, s = random_problem(40, 3, seed=seed)
    lam = strength * np.array([1.0, 10.0, 0.1])
    res = penalised_lad(X, y, s, penalty=lam)
    F = penalised_objective(X, y, s, lam, res.coef, res.intercept)
    assert res.objective == pytest.approx(F, rel=1e-12)
    assert F - dual_bound(X, y, s, lam, res.dual) <= 1e-9 * F
    theirs = slsqp_penalised_lad(X, y, s, lam)
    assert F <= theirs * (1 + 1e-12)  # nothing beats it ...
    assert F == pytest.approx(theirs, rel=1e-7)  # ... and SLSQP reaches it


@pytest.mark.parametrize("sparse", [False, True])
@pytest.mark.parametrize("fit_intercept", [True, False])
def test_penalised_lad_with_ties_weights_over_decades_and_no_intercept(
    sparse, fit_intercept
):
    rng = np.random.default_rng(7)
    X = rng.integers(0, 3, size=(60, 4)).astype(float)  # many equal rows and ties
    y = rng.integers(0, 3, size=60).astype(float)
    s = 10.0 ** rng.uniform(-4, 4, 60)
    lam = np.array([0.5, 2.0, 1e-2, 10.0])
    res = penalised_lad(
        sp.csr_array(X) if sparse else X, y, s, penalty=lam, fit_intercept=fit_intercept
    )
    F = penalised_objective(X, y, s, lam, res.coef, res.intercept)
    assert F - dual_bound(X, y, s, lam, res.dual, fit_intercept) <= 1e-9 * F
    if not fit_intercept:
        assert res.intercept == 0.0


def test_penalised_lad_integer_weights_equal_repeated_rows():
    X, y, _ = random_problem(80, 3, seed=11)
    w = np.random.default_rng(11).integers(1, 4, len(y))
    res = penalised_lad(X, y, w.astype(float), penalty=2.0)
    rep = penalised_lad(np.repeat(X, w, axis=0), np.repeat(y, w), penalty=2.0)
    assert res.objective == pytest.approx(rep.objective, rel=1e-12)
    np.testing.assert_allclose(res.coef, rep.coef, rtol=1e-9)  # w is unique
    assert res.intercept == pytest.approx(rep.intercept, rel=1e-9)


def test_penalised_lad_tends_to_the_exact_lad_as_the_penalty_vanishes():
    X, y, s = random_problem(60, 3, seed=5)
    lad = weighted_lad(X, y, s)
    assert is_unique(lad, X, y, s)
    gaps = []
    for lam in (1e-2, 1e-4, 1e-6, 1e-8):
        res = penalised_lad(X, y, s, penalty=lam)
        gaps.append(res.objective - lad.objective)
        # between the LAD optimum and the LAD fit's penalised objective
        assert lad.objective <= res.objective * (1 + 1e-12)
        assert res.objective <= lad.objective + 0.5 * lam * lad.coef @ lad.coef + 1e-9
    assert np.all(np.diff(gaps) < 0)
    np.testing.assert_allclose(res.coef, lad.coef, rtol=1e-6)
    assert res.intercept == pytest.approx(lad.intercept, rel=1e-6)


@pytest.mark.parametrize("penalty", [0.0, -1.0, np.inf, np.nan])
def test_penalised_lad_refuses_a_non_positive_penalty(penalty):
    with pytest.raises(ValueError, match="penalty"):
        penalised_lad(np.ones((3, 1)), [1.0, 2.0, 3.0], penalty=penalty)


def test_penalised_lad_raises_when_it_cannot_certify(monkeypatch):
    X, y, s = random_problem(30, 2, seed=2)

    def wrong(A, yt, st, lam, beta, fit_intercept, warm):
        return beta + 0.1, 0  # a point that is not optimal

    monkeypatch.setattr(_penalised_lad, "_solve", wrong)
    with pytest.raises(RuntimeError, match="KKT residual"):
        penalised_lad(X, y, s, penalty=1.0)


# --------------------------------------- NLLRegressor("laplace", alpha > 0): exact


def laplace_objective(X, y, s, coef, intercept, alpha):
    """sklik's documented objective, written out: the weighted mean NLL plus
    alpha/2 (‖w‖²/sd(y)² + ‖v‖²), sd the weighted sd of y (objective.rst)."""
    u = s / s.sum()
    sd = np.sqrt(u @ (y - u @ y) ** 2)
    mu, log_b = X @ coef[0] + intercept[0], X @ coef[1] + intercept[1]
    nll = np.log(2.0) + log_b + np.abs(y - mu) * np.exp(-log_b)
    return u @ nll + 0.5 * alpha * (coef[0] @ coef[0] / sd**2 + coef[1] @ coef[1])


def slsqp_laplace(X, y, s, alpha, x_dependent):
    """The same objective by SLSQP on its epigraph form (|rᵢ| ≤ tᵢ)."""
    n, p = X.shape
    u = s / s.sum()
    sd = np.sqrt(u @ (y - u @ y) ** 2)
    q = 2 * p + 2 if x_dependent else p + 2  # (w, b, [v], c, t)
    A = np.hstack([X, np.ones((n, 1))])
    J = np.zeros((2 * n, q + n))
    J[:n, : p + 1], J[n:, : p + 1] = A, -A
    J[:n, q:] = J[n:, q:] = np.eye(n)

    def unpack(z):
        v = z[p + 1 : 2 * p + 1] if x_dependent else np.zeros(p)
        return z[:p], z[p], v, z[q - 1], z[q:]

    def f(z):
        w, _, v, c, t = unpack(z)
        e = np.exp(-(X @ v + c))
        g_eta = u * (1.0 - t * e)
        grad = np.zeros_like(z)
        grad[:p] = alpha * w / sd**2
        if x_dependent:
            grad[p + 1 : 2 * p + 1] = X.T @ g_eta + alpha * v
        grad[q - 1], grad[q:] = g_eta.sum(), u * e
        value = u @ (X @ v + c + t * e) + 0.5 * alpha * (w @ w / sd**2 + v @ v)
        return value, grad

    def g(z):
        r = y - A @ z[: p + 1]
        return np.concatenate([z[q:] - r, z[q:] + r])

    med = np.median(y)
    z0 = np.zeros(q + n)
    z0[p], z0[q - 1], z0[q:] = med, np.log(np.mean(np.abs(y - med))), np.abs(y - med)
    res = minimize(
        f,
        z0,
        jac=True,
        method="SLSQP",
        options={"maxiter": 2000, "ftol": 1e-12},
        constraints=[{"type": "ineq", "fun": g, "jac": lambda z: J}],
    )
    assert res.status == 0, res.message  # SLSQP says it converged
    w, b, v, c, _ = unpack(res.x)
    return laplace_objective(X, y, s, np.array([w, v]), np.array([b, c]), alpha)


@pytest.mark.parametrize("x_dependent", [None, "all"])
@pytest.mark.parametrize("alpha", [1e-3, 1e-1, 1.0])
def test_laplace_alpha_is_the_exact_penalised_mle(x_dependent, alpha):
    from sklik import NLLRegressor

    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 3)) * [1.0, 3.0, 0.5]
    y = 3.0 + X @ [1.0, -0.5, 2.0] + rng.laplace(size=40) * np.exp(0.3 * X[:, 0])
    s = rng.integers(1, 4, 40).astype(float)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no ConvergenceWarning, nothing
        reg = NLLRegressor("laplace", alpha=alpha, x_dependent=x_dependent)
        reg.fit(X, y, sample_weight=s)
    ours = laplace_objective(X, y, s, reg.coef_, reg.intercept_, alpha)
    theirs = slsqp_laplace(X, y, s, alpha, x_dependent == "all")
    assert ours <= theirs + 1e-12 * abs(theirs)
    assert ours == pytest.approx(theirs, rel=1e-7)


@pytest.mark.parametrize("x_dependent", [None, "all"])
def test_laplace_alpha_weights_equal_repeated_rows(x_dependent):
    from sklik import NLLRegressor

    X, y, _ = random_problem(70, 2, seed=8)
    w = np.random.default_rng(8).integers(1, 4, len(y))
    reg = NLLRegressor("laplace", alpha=0.05, x_dependent=x_dependent)
    weighted = clone(reg).fit(X, y, sample_weight=w)
    repeated = clone(reg).fit(np.repeat(X, w, axis=0), np.repeat(y, w))
    np.testing.assert_allclose(weighted.coef_, repeated.coef_, rtol=1e-7, atol=1e-10)
    np.testing.assert_allclose(weighted.intercept_, repeated.intercept_, rtol=1e-7)


def test_laplace_alpha_to_zero_is_continuous_with_the_exact_lad():
    from sklik import NLLRegressor

    X, y, s = random_problem(80, 3, seed=6)
    exact = NLLRegressor("laplace").fit(X, y, sample_weight=s)
    assert is_unique(weighted_lad(X, y, s), X, y, s)
    for alpha in (1e-4, 1e-6, 1e-8):
        reg = NLLRegressor("laplace", alpha=alpha).fit(X, y, sample_weight=s)
        assert laplace_objective(X, y, s, reg.coef_, reg.intercept_, 0.0) >= (
            laplace_objective(X, y, s, exact.coef_, exact.intercept_, 0.0) - 1e-12
        )
    np.testing.assert_allclose(reg.coef_, exact.coef_, rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(reg.intercept_, exact.intercept_, rtol=1e-6)


def test_laplace_alternation_cut_short_is_not_reported_exact():
    from sklearn.exceptions import ConvergenceWarning

    from sklik import NLLRegressor

    X, y, s = random_problem(60, 2, seed=9)
    reg = NLLRegressor("laplace", alpha=0.1, x_dependent="all", max_iter=1)
    with pytest.warns(ConvergenceWarning, match="max_iter reached"):
        reg.fit(X, y, sample_weight=s)
