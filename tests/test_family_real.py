"""The student_t, von_mises and laplace families against independent fits.

Every reference is computed at test time by another implementation:
statsmodels' ``TLinearModel`` (the t regression, numerical derivatives) on
``stackloss`` and ``engel``, polished by Newton steps on a few lines of
textbook likelihood code until its own gradient vanishes; ``scipy.stats``'
``t.fit``, ``vonmises.fit`` and ``laplace.fit`` for the unconditional fits
(polished the same way where scipy's optimiser is inexact); statsmodels'
``QuantReg(q=0.5)`` and an LP of scipy's ``linprog`` for the Laplace
location. Tolerances: coefficients and predictions 1e-6 relative,
maximised log-likelihoods 1e-8 relative.

No angle data ship with statsmodels or scikit-learn (their datasets hold no
directions, times of day or other circular variables), so the von Mises
regression is checked on simulated wind-direction-like data (fixed seed).

The Laplace fits with an x-dependent location (or weights) go through the
exact least-absolute-deviations solver (``sklik.solvers._laplace``).
"""

import warnings

import numpy as np
import pytest
import statsmodels.api as sm
from draws import design
from scipy import integrate, optimize, special, stats
from statsmodels.miscmodels.tmodel import TLinearModel
from statsmodels.regression.quantile_regression import QuantReg

from sklik import NLLRegressor
from sklik.distributions import Laplace, StudentT, VonMises
from sklik.exceptions import DegenerateFitWarning

COEF_RTOL = 1e-6
LOGLIK_RTOL = 1e-8


def rel_err(a, ref):
    """Largest absolute difference relative to the largest reference entry."""
    a, ref = np.asarray(a, dtype=float), np.asarray(ref, dtype=float)
    return np.max(np.abs(a - ref)) / np.max(np.abs(ref))


def llf(reg, X, y, sample_weight=None):
    """sklik's maximised (weighted) log-likelihood: its nll is the mean."""
    total = len(y) if sample_weight is None else np.sum(sample_weight)
    return -reg.nll(X, y, sample_weight) * total


def sklik_params(reg):
    """Per parameter, the intercept then the coefficients if it depends on x."""
    out = []
    for j in range(len(reg.param_names_)):
        out.append([reg.intercept_[j]])
        if np.any(reg.coef_[j]):
            out.append(reg.coef_[j])
    return np.concatenate(out)


def fd_hessian(grad, theta):
    """Central differences of an analytic gradient (for Newton polishing)."""
    h = 1e-5 * np.maximum(1.0, np.abs(theta))
    cols = [
        (grad(theta + e) - grad(theta - e)) / (2 * e[k])
        for k, e in enumerate(np.diag(h))
    ]
    H = np.column_stack(cols)
    return 0.5 * (H + H.T)


def polish(nll, grad, theta, steps=6):
    """BFGS to a tight tolerance, then Newton steps; the optimum and its gradient."""
    theta = optimize.minimize(
        nll, theta, jac=grad, method="BFGS", options={"gtol": 1e-10}
    ).x
    for _ in range(steps):
        theta = theta - np.linalg.solve(fd_hessian(grad, theta), grad(theta))
    return theta, grad(theta)


def reference_gradient_at(reg, X, Zs, grad):
    """A reference's gradient at sklik's fit, for the mean NLL, w.r.t. the
    coefficients of standardised columns and a location in units of y's
    spread (what ``tol`` bounds; ``grad`` is built on y / spread)."""
    eta = reg.model_.predict_eta(X)
    theta = [np.linalg.lstsq(Z, e, rcond=None)[0] for Z, e in zip(Zs, eta.T)]
    return grad(np.concatenate(theta)) / len(X)


# -- Student-t ---------------------------------------------------------------------
def t_likelihood(Zs, y):
    """The t with loc = Z₀·b, log σ = Z₁·c, log ν = Z₂·d: the textbook summed
    NLL (scipy's logpdf) and its gradient."""
    sizes = np.cumsum([0] + [Z.shape[1] for Z in Zs])

    def etas(theta):
        return [Z @ theta[a:b] for Z, a, b in zip(Zs, sizes[:-1], sizes[1:])]

    def nll(theta):
        mu, ls, ln = etas(theta)
        return -stats.t.logpdf(y, df=np.exp(ln), loc=mu, scale=np.exp(ls)).sum()

    def grad(theta):
        mu, ls, ln = etas(theta)
        nu, sigma = np.exp(ln), np.exp(ls)
        z = (y - mu) / sigma
        w = (nu + 1.0) / (nu + z * z)
        g_nu = nu * (
            0.5 * special.digamma(nu / 2)
            - 0.5 * special.digamma((nu + 1) / 2)
            + 0.5 / nu
            + 0.5 * np.log1p(z * z / nu)
            - (nu + 1) * z * z / (2 * nu * (nu + z * z))
        )
        parts = [-w * z / sigma, 1.0 - w * z * z, g_nu]
        return np.concatenate([Z.T @ g for Z, g in zip(Zs, parts)])

    return nll, grad


def tlinear_reference(X, y):
    """statsmodels' TLinearModel, then polished; params as sklik's (log σ, log ν)."""
    model = TLinearModel(y, sm.add_constant(X))
    res = model.fit(method="bfgs", maxiter=5000, gtol=1e-6, disp=0)
    assert res.mle_retvals["converged"]
    sm_params = np.r_[res.params[:-2], np.log(res.params[-1]), np.log(res.params[-2])]
    Z, to_user = design(X)
    Zs = [Z, Z[:, :1], Z[:, :1]]
    nll, grad = t_likelihood(Zs, y)
    fitted = sm.add_constant(X) @ res.params[:-2]
    start = np.r_[np.linalg.lstsq(Z, fitted, rcond=None)[0], sm_params[-2:]]
    theta, g = polish(nll, grad, start)
    assert np.max(np.abs(g)) < 1e-9 * len(y)
    return np.r_[to_user(theta[:-2]), theta[-2:]], -nll(theta), sm_params, res.llf


def stackloss():
    data = sm.datasets.stackloss.load_pandas()
    return data.exog.to_numpy(dtype=float), data.endog.to_numpy(dtype=float)


def engel():
    data = sm.datasets.engel.load_pandas().data
    return data[["income"]].to_numpy(dtype=float), data["foodexp"].to_numpy(dtype=float)


@pytest.mark.parametrize("data", [stackloss, engel])
def test_student_t_matches_statsmodels_tlinearmodel(data):
    X, y = data()
    reference, ref_llf, sm_params, sm_llf = tlinear_reference(X, y)
    reg = NLLRegressor("student_t", tol=1e-10).fit(X, y)
    params = sklik_params(reg)
    np.testing.assert_allclose(params, reference, rtol=COEF_RTOL, atol=1e-9)
    assert llf(reg, X, y) == pytest.approx(ref_llf, rel=LOGLIK_RTOL)
    # statsmodels' own optimum (numerical gradients, gtol 1e-6) is close too
    np.testing.assert_allclose(params, sm_params, rtol=1e-4)
    assert llf(reg, X, y) == pytest.approx(sm_llf, rel=1e-9)
    Z, _ = design(X)
    assert (
        rel_err(reg.predict(X), sm.add_constant(X) @ reference[: X.shape[1] + 1])
        < COEF_RTOL
    )
    spread = y.std()
    _, grad = t_likelihood([Z, Z[:, :1], Z[:, :1]], y / spread)
    eta_int = reg.model_.predict_eta(X) - [0.0, np.log(spread), 0.0]
    eta_int[:, 0] /= spread
    theta = [
        np.linalg.lstsq(Zj, e, rcond=None)[0]
        for Zj, e in zip([Z, Z[:, :1], Z[:, :1]], eta_int.T)
    ]
    assert np.max(np.abs(grad(np.concatenate(theta)) / len(y))) < 2 * reg.tol


def star98():
    """Pupils above the national median (counts) on four school covariates."""
    data = sm.datasets.star98.load_pandas()
    X = data.exog[["LOWINC", "PERASIAN", "PERBLACK", "PERHISP"]].to_numpy(dtype=float)
    return X, data.endog["NABOVE"].to_numpy(dtype=float)


def test_student_t_x_dependent_scale_and_df_match_a_direct_ml_fit():
    X, y = star98()
    Z, to_user = design(X)
    nll, grad = t_likelihood([Z, Z, Z], y)
    reg = NLLRegressor("student_t", x_dependent="all", tol=1e-10).fit(X, y)
    p = Z.shape[1]
    start = np.zeros(3 * p)
    start[:p] = np.linalg.lstsq(Z, y, rcond=None)[0]
    start[p], start[2 * p] = np.log(y.std()), np.log(5.0)
    theta, g = polish(nll, grad, start, steps=10)
    assert np.max(np.abs(g)) < 1e-9 * len(y)
    reference = np.concatenate([to_user(theta[k : k + p]) for k in (0, p, 2 * p)])
    np.testing.assert_allclose(sklik_params(reg), reference, rtol=COEF_RTOL, atol=1e-9)
    assert llf(reg, X, y) == pytest.approx(-nll(theta), rel=LOGLIK_RTOL)


@pytest.mark.parametrize("data", ["star98", "engel"])
def test_student_t_unconditional_matches_scipy_fit_polished(data):
    """scipy's fit (a generic optimiser) lands 0.01 below the maximum on engel's
    income: the reference is its fit polished until the gradient vanishes."""
    if data == "star98":
        X, y = star98()
    else:  # income alone: the foodexp column as X
        income, foodexp = engel()
        X, y = foodexp[:, None], income[:, 0]
    df, loc, scale = stats.t.fit(y)
    ones = np.ones((len(y), 1))
    nll, grad = t_likelihood([ones, ones, ones], y)
    theta, g = polish(nll, grad, np.array([loc, np.log(scale), np.log(df)]))
    assert np.max(np.abs(g)) < 1e-9 * len(y)
    reg = NLLRegressor("student_t", x_dependent=(), tol=1e-10).fit(X, y)
    np.testing.assert_allclose(reg.intercept_, theta, rtol=COEF_RTOL)
    assert llf(reg, X, y) == pytest.approx(-nll(theta), rel=LOGLIK_RTOL)
    # scipy's own fit (Nelder-Mead) is at most as good
    assert llf(reg, X, y) >= stats.t(df, loc, scale).logpdf(y).sum() - 1e-9


def normal_data(x_dependent, seed=3, n=400):
    """Normal y whose (residual) sample excess kurtosis is negative: the t's
    likelihood then increases all the way to df = ∞."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 2))
    y = 3.0 + X @ [1.0, -2.0] + 0.7 * rng.normal(size=n)
    resid = (
        y - y.mean()
        if x_dependent == ()
        else y - sm.OLS(y, sm.add_constant(X)).fit().fittedvalues
    )
    assert stats.kurtosis(resid) < 0
    return X, y


@pytest.mark.parametrize("x_dependent", [(), None])
def test_student_t_on_normal_data_runs_off_to_the_normal_with_a_warning(x_dependent):
    X, y = normal_data(x_dependent)
    with pytest.warns(DegenerateFitWarning, match="df ran off to infinity"):
        reg = NLLRegressor("student_t", x_dependent=x_dependent, tol=1e-10).fit(X, y)
    assert np.all(np.isfinite(reg.coef_)) and np.all(np.isfinite(reg.intercept_))
    assert reg.intercept_[2] > np.log(1e4)
    gauss = NLLRegressor("normal", x_dependent=x_dependent, tol=1e-10).fit(X, y)
    # the t at df → ∞ is the Normal: the same fit, to O(1/df)
    np.testing.assert_allclose(reg.coef_[:2], gauss.coef_, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(
        reg.intercept_[:2], gauss.intercept_, rtol=1e-6, atol=1e-8
    )
    assert llf(reg, X, y) == pytest.approx(llf(gauss, X, y), rel=LOGLIK_RTOL)
    assert np.all(np.isfinite(reg.predict(X, return_std=True)))


def test_student_t_heavy_tails_are_not_warned_about():
    rng = np.random.default_rng(3)
    X = rng.normal(size=(300, 2))
    y = X @ [1.0, 0.5] + stats.t(3.0).rvs(size=300, random_state=4)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        reg = NLLRegressor("student_t", tol=1e-10).fit(X, y)
    assert 1.5 < np.exp(reg.intercept_[2]) < 6.0


def test_student_t_nll_is_stable_as_df_grows_to_1e300():
    mpmath = pytest.importorskip("mpmath", reason="the high-precision reference")
    mpmath.mp.dps = 50
    y = np.array([-3.0, -0.2, 0.0, 1.5, 40.0])
    for nu in [1e3, 1e8, 1e15, 1e300]:
        eta = np.column_stack(
            [np.full(5, 0.3), np.full(5, np.log(1.7)), np.full(5, np.log(nu))]
        )
        nll, grad = StudentT().nll_grad(y, eta)

        def exact(yi, t, log_s, mu=0.3):
            n = mpmath.e**t
            z = (yi - mu) / mpmath.e**log_s
            lgammas = mpmath.loggamma(n / 2) - mpmath.loggamma((n + 1) / 2)
            tail = (n + 1) / 2 * mpmath.log1p(z * z / n)
            return log_s + mpmath.log(mpmath.pi * n) / 2 + lgammas + tail

        t0, s0 = mpmath.log(nu), mpmath.log(1.7)
        for i, yi in enumerate(y):
            if nu < 1e20:  # mpmath's lgamma difference needs dps ≫ log10 ν
                assert nll[i] == pytest.approx(float(exact(yi, t0, s0)), rel=1e-14)
                d_t = float(mpmath.diff(lambda t, yi=yi, s0=s0: exact(yi, t, s0), t0))
                assert grad[i, 2] == pytest.approx(d_t, rel=1e-9, abs=1e-25)
        normal = -stats.norm(0.3, 1.7).logpdf(y)
        z = (y - 0.3) / 1.7  # the t's NLL is the Normal's + O((1 + z⁴)/ν)
        assert np.all(np.abs(nll - normal) <= (1.0 + z**4) / nu + 1e-15 * normal)
        assert np.all(np.isfinite(grad)) and np.all(
            np.isfinite(StudentT().hessian(y, eta))
        )
        fisher = StudentT().fisher(eta)
        assert np.all(np.isfinite(fisher)) and fisher[0, 2, 2] >= 0
        if nu < 1e100:  # 7/(2ν²) + O(ν⁻³), Lange et al.'s information of log ν
            assert fisher[0, 2, 2] == pytest.approx(3.5 / nu**2, rel=10.0 / nu)


def test_student_t_std_and_log_abs_mean():
    eta = np.array([[0.0, np.log(2.0), np.log(5.0)], [0.0, 0.0, np.log(1.5)]])
    mean, std = StudentT().mean(eta), StudentT().std(eta)
    np.testing.assert_array_equal(mean, [0.0, 0.0])
    assert std[0] == pytest.approx(stats.t(5.0, scale=2.0).std(), rel=1e-14)
    assert std[1] == np.inf
    from sklik.distributions.student_t import t_log_abs_mean

    for nu in [0.5, 1.0, 3.0, 4.0, 50.0]:  # E log|T| by quadrature
        half = integrate.quad(lambda x, nu=nu: np.log(x) * stats.t(nu).pdf(x), 0, 1)[0]
        half += integrate.quad(
            lambda x, nu=nu: np.log(x) * stats.t(nu).pdf(x), 1, np.inf
        )[0]
        assert t_log_abs_mean(nu) == pytest.approx(2 * half, abs=1e-9)
    assert StudentT().standard_log_abs == pytest.approx(t_log_abs_mean(4.0), rel=1e-15)
    normal = integrate.quad(lambda x: np.log(x) * stats.norm.pdf(x), 0, np.inf)[0]
    assert t_log_abs_mean(1e12) == pytest.approx(2 * normal, abs=1e-9)


@pytest.mark.parametrize("x_dependent", [None, "all"])
@pytest.mark.parametrize("factor", [1e-3, 1e4])
def test_student_t_y_times_c_scales_loc_and_scale(x_dependent, factor):
    X, y = star98()
    a = NLLRegressor("student_t", x_dependent=x_dependent, tol=1e-10).fit(X, y)
    b = NLLRegressor("student_t", x_dependent=x_dependent, tol=1e-10).fit(X, factor * y)
    mean_a, std_a = a.predict(X, return_std=True)
    mean_b, std_b = b.predict(X, return_std=True)
    np.testing.assert_allclose(mean_b, factor * mean_a, rtol=1e-7)
    np.testing.assert_allclose(std_b, factor * std_a, rtol=1e-7)
    np.testing.assert_allclose(b.coef_[2], a.coef_[2], rtol=1e-7, atol=1e-9)  # df
    assert llf(b, X, factor * y) == pytest.approx(
        llf(a, X, y) - len(y) * np.log(factor)
    )


@pytest.mark.parametrize("family", ["student_t", "von_mises", "laplace"])
@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_y_nan_or_inf_raises(family, bad):
    X, y = np.arange(12.0).reshape(6, 2), np.array([0.1, 0.5, -0.3, 1.0, 0.2, 9.0])
    reg = NLLRegressor(family, x_dependent=()).fit(X, y)
    y_bad = y.copy()
    y_bad[2] = bad
    with pytest.raises(ValueError, match=r"NaN|infinity"):
        NLLRegressor(family).fit(X, y_bad)
    with pytest.raises(ValueError, match=r"NaN|infinity"):
        reg.nll(X, y_bad)


# -- von Mises -------------------------------------------------------------------------
def wrap(angle):
    return np.pi - np.mod(np.pi - angle, 2.0 * np.pi)


def wind(x_dependent, seed=0, n=500):
    """Wind-direction-like angles: the hour of day (as sin, cos) and two
    pressure-gradient components turn the direction from a prevailing one;
    the steadiness grows with the first pressure component ("all")."""
    rng = np.random.default_rng(seed)
    hour = rng.uniform(0.0, 24.0, n)
    dp = rng.normal(size=(n, 2))
    X = np.column_stack(
        [np.sin(2 * np.pi * hour / 24), np.cos(2 * np.pi * hour / 24), dp]
    )
    loc = 2.0 + 2.0 * np.arctan(X @ [0.6, -0.3, 0.8, 0.2] - 0.2)
    log_kappa = 1.5 + (0.4 * dp[:, 0] if x_dependent == "all" else 0.0)
    y = stats.vonmises(kappa=np.exp(log_kappa), loc=loc).rvs(random_state=seed + 1)
    return X, wrap(y)


def vm_likelihood(Zl, Zk, y, center):
    """loc = center + 2·arctan(Zl·b), log κ = Zk·c: scipy's summed NLL, gradient."""
    p = Zl.shape[1]

    def nll(theta):
        mu, kappa = center + 2 * np.arctan(Zl @ theta[:p]), np.exp(Zk @ theta[p:])
        return -stats.vonmises.logpdf(y, kappa, loc=mu).sum()

    def grad(theta):
        e, kappa = Zl @ theta[:p], np.exp(Zk @ theta[p:])
        d = y - center - 2 * np.arctan(e)
        ratio = special.i1e(kappa) / special.i0e(kappa)
        g_e = -kappa * np.sin(d) * 2 / (1 + e * e)
        return np.r_[Zl.T @ g_e, Zk.T @ (kappa * (ratio - np.cos(d)))]

    return nll, grad


def circular_mean(y, w=None):
    w = np.ones_like(y) if w is None else w
    return np.arctan2(w @ np.sin(y), w @ np.cos(y))


def test_von_mises_unconditional_matches_scipy_fit_polished():
    X, y = wind(None)
    kappa, loc, _ = stats.vonmises.fit(y, fscale=1)
    resultant = np.hypot(np.mean(np.cos(y)), np.mean(np.sin(y)))

    def score(k):  # the MLE of κ: A(κ) = R̄
        return special.i1e(k) / special.i0e(k) - resultant

    kappa = optimize.newton(score, kappa, tol=1e-15, maxiter=100)
    assert abs(score(kappa)) < 1e-15
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        reg = NLLRegressor("von_mises", x_dependent=(), tol=1e-10).fit(X, y)
    assert reg.predict(X[:1])[0] == pytest.approx(circular_mean(y), abs=1e-12)
    assert loc == pytest.approx(circular_mean(y), abs=1e-9)  # scipy's own loc
    assert np.exp(reg.intercept_[1]) == pytest.approx(kappa, rel=1e-10)
    reference = stats.vonmises.logpdf(y, kappa, loc=circular_mean(y)).sum()
    assert llf(reg, X, y) == pytest.approx(reference, rel=LOGLIK_RTOL)


@pytest.mark.parametrize("x_dependent", [None, "all"])
def test_von_mises_x_dependent_loc_matches_a_direct_ml_fit(x_dependent):
    X, y = wind(x_dependent)
    Z, to_user = design(X)
    Zk = Z if x_dependent == "all" else Z[:, :1]
    center = circular_mean(y)
    nll, grad = vm_likelihood(Z, Zk, y, center)
    start = np.zeros(Z.shape[1] + Zk.shape[1])
    theta, g = polish(nll, grad, start, steps=8)
    assert np.max(np.abs(g)) < 1e-9 * len(y)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        reg = NLLRegressor("von_mises", x_dependent=x_dependent, tol=1e-10).fit(X, y)
    assert reg.distribution_.center == pytest.approx(center, abs=1e-14)
    p = Z.shape[1]
    reference = np.r_[
        to_user(theta[:p]), to_user(theta[p:]) if x_dependent else theta[p:]
    ]
    np.testing.assert_allclose(sklik_params(reg), reference, rtol=COEF_RTOL, atol=1e-9)
    assert llf(reg, X, y) == pytest.approx(-nll(theta), rel=LOGLIK_RTOL)
    predicted = wrap(center + 2 * np.arctan(Z @ theta[:p]))
    assert np.max(np.abs(wrap(reg.predict(X) - predicted))) < COEF_RTOL
    assert np.all((reg.predict(X) > -np.pi) & (reg.predict(X) <= np.pi))


def test_von_mises_angles_are_taken_modulo_2pi():
    X, y = wind("all")
    turns = np.random.default_rng(5).integers(-3, 4, size=len(y))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        a = NLLRegressor("von_mises", x_dependent="all", tol=1e-10).fit(X, y)
        b = NLLRegressor("von_mises", x_dependent="all", tol=1e-10).fit(
            X, y + 2 * np.pi * turns
        )
        c = NLLRegressor("von_mises", x_dependent="all", tol=1e-10).fit(
            X, y + 2 * np.pi
        )
    for other in (b, c):
        assert np.max(np.abs(wrap(other.predict(X) - a.predict(X)))) < 1e-9
        np.testing.assert_allclose(
            other.intercept_, a.intercept_, rtol=1e-8, atol=1e-10
        )
    assert a.nll(X, y + 2 * np.pi * turns) == pytest.approx(a.nll(X, y), rel=1e-13)


def test_von_mises_std_is_the_circular_standard_deviation():
    eta = np.array([[0.3, np.log(0.05)], [-2.0, np.log(2.0)], [5.0, np.log(1e6)]])
    dist = VonMises(center=2.5)
    mean, std = dist.mean(eta), dist.std(eta)
    loc = 2.5 + 2 * np.arctan(eta[:, 0])
    np.testing.assert_allclose(mean, wrap(loc), rtol=1e-15)
    assert np.all((mean > -np.pi) & (mean <= np.pi)) and mean[2] < 0 < loc[2]
    for j, kappa in enumerate(np.exp(eta[:, 1])):  # R = E cos(y - μ), by quadrature
        density = stats.vonmises(kappa).pdf
        r = integrate.quad(
            lambda d, f=density: np.cos(d) * f(d),
            -np.pi,
            np.pi,
            epsabs=1e-15,
            points=[0.0],
        )[0]
        assert std[j] == pytest.approx(np.sqrt(-2 * np.log(r)), rel=1e-8)
    assert std[2] == pytest.approx(1e-3, rel=1e-6)  # ≈ 1/√κ


def test_von_mises_exact_fit_is_degenerate_with_a_warning():
    X = np.array([[0.0, 1.0], [1.0, 0.5], [2.0, -1.0]])
    y = np.array([0.3, -2.0, 2.9])  # three angles, three loc parameters
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        reg = NLLRegressor("von_mises", tol=1e-10).fit(X, y)
    assert [w.category for w in caught] == [DegenerateFitWarning]
    assert "von_mises" in str(caught[0].message)
    assert np.all(np.isfinite(reg.coef_)) and np.all(np.isfinite(reg.intercept_))
    np.testing.assert_allclose(reg.predict(X), y, atol=1e-6)
    with pytest.warns(DegenerateFitWarning, match="von_mises"):
        NLLRegressor("von_mises", x_dependent=()).fit(X, np.full(3, 1.25))


def test_von_mises_center_is_the_weighted_circular_mean():
    X, y = wind(None)
    w = np.random.default_rng(6).uniform(0.1, 3.0, size=len(y))
    reg = NLLRegressor("von_mises", x_dependent="all", tol=1e-10).fit(
        X, y, sample_weight=w
    )
    assert reg.distribution_.center == pytest.approx(circular_mean(y, w), abs=1e-14)
    assert reg.distribution_.links[0].center == reg.distribution_.center


# -- Laplace ---------------------------------------------------------------------------
def lad_lp(A, y, s):
    """min Σ s|y - Aβ| as the LP in (β, u⁺, u⁻) (HiGHS), then the vertex solved
    exactly from its interpolated rows; β and the LP's optimal value."""
    n, k = A.shape
    res = optimize.linprog(
        np.r_[np.zeros(k), s, s],
        A_eq=np.hstack([A, np.eye(n), -np.eye(n)]),
        b_eq=y,
        bounds=[(None, None)] * k + [(0, None)] * (2 * n),
        method="highs",
    )
    assert res.status == 0
    beta = res.x[:k]
    zero = np.abs(y - A @ beta) <= 1e-9 * (np.abs(y) + np.abs(A) @ np.abs(beta))
    if np.linalg.matrix_rank(A[zero]) == k:
        beta = np.linalg.lstsq(A[zero], y[zero], rcond=None)[0]
    assert s @ np.abs(y - A @ beta) <= res.fun * (1 + 1e-12)
    return beta, res.fun


def brute_weighted_median(y, w):
    """The minimiser of Σ w|y - m| among the data (the minimum is at a datum)."""
    costs = np.abs(y[:, None] - y[None, :]).T @ w
    return y[np.argmin(costs)], costs.min() / w.sum()


@pytest.mark.parametrize("n", [101, 100])
def test_laplace_unconditional_is_the_median_and_mean_absolute_deviation(n):
    X, y = engel()
    X, y = X[:n], y[:n]
    loc, scale = stats.laplace.fit(y)
    assert loc == pytest.approx(np.median(y), rel=1e-15)
    assert scale == pytest.approx(np.mean(np.abs(y - loc)), rel=1e-14)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        reg = NLLRegressor("laplace", x_dependent=()).fit(X, y)
    assert reg.predict(X[:1])[0] == pytest.approx(loc, rel=1e-14)
    assert np.exp(reg.intercept_[1]) == pytest.approx(scale, rel=1e-13)
    reference = stats.laplace(loc, scale).logpdf(y).sum()
    assert llf(reg, X, y) == pytest.approx(reference, rel=LOGLIK_RTOL)
    std = reg.predict(X[:1], return_std=True)[1][0]
    assert std == pytest.approx(stats.laplace(loc, scale).std(), rel=1e-14)


def test_laplace_init_eta_is_the_weighted_median_with_a_zero_subgradient():
    rng = np.random.default_rng(7)
    y = stats.laplace(3.0, 0.5).rvs(size=301, random_state=8)
    w = rng.uniform(0.1, 2.0, size=len(y))
    w[::10] = 0.0  # zero weights are ignored
    loc, log_b = Laplace().init_eta(y, w)
    median, mad = brute_weighted_median(y[w > 0], w[w > 0])
    assert loc == median and np.exp(log_b) == pytest.approx(mad, rel=1e-13)
    # 0 is in the subdifferential of Σ w|y - m| at m: |W₊ - W₋| ≤ W₀
    above, below, at = w[y > loc].sum(), w[y < loc].sum(), w[y == loc].sum()
    assert abs(above - below) <= at
    # equal weights and an even n: the midpoint, as numpy's median
    assert Laplace().init_eta(y[:300], np.ones(300))[0] == pytest.approx(
        np.median(y[:300])
    )


def test_laplace_gradient_is_a_subgradient_and_there_is_no_hessian():
    dist = Laplace()
    eta = np.array([[1.0, np.log(2.0)], [1.0, np.log(2.0)], [1.0, np.log(2.0)]])
    _, grad = dist.nll_grad(np.array([1.0, 3.0, -1.0]), eta)
    # sign(y - μ)/b, 0 at y = μ
    np.testing.assert_allclose(grad[:, 0], [0.0, -0.5, 0.5])
    np.testing.assert_allclose(grad[:, 1], [1.0, 0.0, 0.0])  # 1 - |y - μ|/b
    assert not dist.has_hessian and dist.has_fisher and not dist.fisher_is_hessian
    np.testing.assert_allclose(dist.fisher(eta)[0], [[0.25, 0.0], [0.0, 1.0]])
    assert dist.standard_log_abs == pytest.approx(
        integrate.quad(lambda x: np.log(x) * np.exp(-x), 0, np.inf)[0], abs=1e-12
    )


def test_laplace_weighted_unconditional_is_the_weighted_median():
    X, y = engel()
    w = np.random.default_rng(9).uniform(0.1, 2.0, size=len(y))
    median, mad = brute_weighted_median(y, w)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        reg = NLLRegressor("laplace", x_dependent=()).fit(X, y, sample_weight=w)
    assert reg.predict(X[:1])[0] == pytest.approx(median, rel=1e-14)
    assert np.exp(reg.intercept_[1]) == pytest.approx(mad, rel=1e-12)


def test_laplace_location_is_median_regression():
    X, y = engel()
    A = sm.add_constant(X)
    beta, objective = lad_lp(A, y, np.ones(len(y)))
    quantreg = QuantReg(y, A).fit(q=0.5, max_iter=5000, p_tol=1e-10)
    assert np.abs(y - A @ quantreg.params).sum() >= objective * (1 - 1e-12)
    np.testing.assert_allclose(quantreg.params, beta, rtol=1e-4)  # IRLS: inexact
    scale = objective / len(y)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        reg = NLLRegressor("laplace", tol=1e-10).fit(X, y)
    np.testing.assert_allclose(
        np.r_[reg.intercept_[0], reg.coef_[0]], beta, rtol=COEF_RTOL
    )
    assert np.exp(reg.intercept_[1]) == pytest.approx(scale, rel=COEF_RTOL)
    reference = stats.laplace(A @ beta, scale).logpdf(y).sum()
    assert llf(reg, X, y) == pytest.approx(reference, rel=LOGLIK_RTOL)


def laplace_alternating(A, Z, y, sweeps=500):
    """Weighted LAD (the LP) for β given b, the exponential fit of |r| for
    log b = Z·c given β (Newton), alternated until the NLL stops decreasing."""
    c = np.zeros(Z.shape[1])
    c[0] = np.log(np.mean(np.abs(y - np.median(y))))
    value = np.inf
    for _ in range(sweeps):
        beta, _ = lad_lp(A, y, np.exp(-Z @ c))
        r = np.abs(y - A @ beta)
        for _ in range(50):
            q = r * np.exp(-Z @ c)
            step = np.linalg.solve(Z.T @ (q[:, None] * Z), Z.T @ (1.0 - q))
            c = c - step
            if np.max(np.abs(step)) < 1e-14:
                break
        new = np.sum(Z @ c + np.abs(y - A @ beta) * np.exp(-Z @ c)) + len(y) * np.log(2)
        if new >= value - 1e-13 * abs(value):
            break
        value = new
    grad_c = Z.T @ (1.0 - np.abs(y - A @ beta) * np.exp(-Z @ c))
    assert np.max(np.abs(grad_c)) < 1e-9 * len(y)
    return beta, c, new


def test_laplace_x_dependent_scale_matches_alternating_lad_and_exponential_fits():
    X, y = engel()
    A = sm.add_constant(X)
    Z, to_user = design(X)
    beta, c, value = laplace_alternating(A, Z, y)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        reg = NLLRegressor("laplace", x_dependent="all", tol=1e-10).fit(X, y)
    np.testing.assert_allclose(
        sklik_params(reg), np.r_[beta, to_user(c)], rtol=COEF_RTOL
    )
    assert llf(reg, X, y) == pytest.approx(-value, rel=LOGLIK_RTOL)


@pytest.mark.parametrize("x_dependent", [(), None])
@pytest.mark.parametrize("factor", [1e-3, 1e4])
def test_laplace_y_times_c_scales_loc_and_scale(x_dependent, factor):
    X, y = engel()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        a = NLLRegressor("laplace", x_dependent=x_dependent, tol=1e-10).fit(X, y)
        b = NLLRegressor("laplace", x_dependent=x_dependent, tol=1e-10).fit(
            X, factor * y
        )
    mean_a, std_a = a.predict(X, return_std=True)
    mean_b, std_b = b.predict(X, return_std=True)
    np.testing.assert_allclose(mean_b, factor * mean_a, rtol=1e-9)
    np.testing.assert_allclose(std_b, factor * std_a, rtol=1e-9)
