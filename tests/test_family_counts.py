"""The count families (Poisson, NB2, zero-inflated Poisson) against independent fits.

References: statsmodels' GLM, NegativeBinomial and ZeroInflatedPoisson and
scikit-learn's PoissonRegressor on the RAND health insurance experiment
(``randhie``: y = mdvis, the doctor visits, every other column a regressor)
and the ``fair`` affairs data (rounded to counts); direct maximum-likelihood
fits written here from gammaln/digamma formulas where no package has the
model (an x-dependent NB2 dispersion); closed forms for the unconditional
fits. Every comparison is at the reference's own optimum, whose gradient is
asserted to be ~0.
"""

import warnings

import numpy as np
import pytest
import scipy.optimize
from scipy import special, stats
from sklearn.linear_model import PoissonRegressor
from sklearn.model_selection import GridSearchCV, KFold

from sklik import NLLRegressor
from sklik.distributions import NegativeBinomial, Poisson, ZeroInflatedPoisson
from sklik.exceptions import DegenerateFitWarning
from sklik.metrics import neg_nll_scorer

sm = pytest.importorskip("statsmodels.api", reason="the references are statsmodels'")

TOL = 1e-10


@pytest.fixture(scope="module")
def randhie():
    data = sm.datasets.randhie.load_pandas().data
    y = data["mdvis"].to_numpy(dtype=float)
    X = data.drop(columns="mdvis").to_numpy(dtype=float)
    return X, y


@pytest.fixture(scope="module")
def fair():
    data = sm.datasets.fair.load_pandas().data
    y = np.round(data["affairs"].to_numpy(dtype=float))
    X = data.drop(columns="affairs").to_numpy(dtype=float)
    return X, y


def _llf(est, X, y, w=None):
    """The (weighted) log-likelihood Σ w log Pr(y | x) of a fitted estimator."""
    w = np.ones(len(y)) if w is None else w
    return -est.nll(X, y, sample_weight=w) * w.sum()


def _assert_gradient_below_tol(est, X, y, w=None, tol=TOL):
    """The mean NLL's gradient w.r.t. the standardised coefficients is ≤ tol."""
    w = np.ones(len(y)) if w is None else np.asarray(w, dtype=float)
    w = w / w.sum()
    eta = est.model_.predict_eta(X)
    G = est.distribution_.nll_grad(y, eta)[1] * w[:, None]
    mean = w @ X
    sd = np.sqrt(w @ (X - mean) ** 2)
    Z = np.column_stack([(X - mean) / sd, np.ones(len(y))])
    score = Z.T @ G  # rows: the standardised columns, then the intercept
    depends = est.model_.depends_on_x
    entries = [score[:, j] if depends[j] else score[-1:, j] for j in range(G.shape[1])]
    largest = np.max(np.abs(np.concatenate(entries)))
    assert largest <= tol, largest


def _rel(a, b):
    return np.max(np.abs(np.asarray(a) - b) / np.maximum(np.abs(b), 1e-300))


# -- Poisson ---------------------------------------------------------------------
def test_poisson_matches_statsmodels_glm_and_sklearn(randhie):
    X, y = randhie
    est = NLLRegressor("poisson", tol=TOL).fit(X, y)
    _assert_gradient_below_tol(est, X, y)
    glm = sm.GLM(y, sm.add_constant(X), family=sm.families.Poisson()).fit(tol=1e-13)
    assert np.max(np.abs(sm.add_constant(X).T @ (y - glm.mu))) < 1e-6
    np.testing.assert_allclose(est.intercept_[0], glm.params[0], rtol=1e-6)
    np.testing.assert_allclose(est.coef_[0], glm.params[1:], rtol=1e-6)
    np.testing.assert_allclose(est.predict(X), glm.mu, rtol=1e-6)
    np.testing.assert_allclose(_llf(est, X, y), glm.llf, rtol=1e-8)
    skl = PoissonRegressor(alpha=0.0, solver="newton-cholesky", tol=1e-12, max_iter=100)
    skl.fit(X, y)
    np.testing.assert_allclose(est.coef_[0], skl.coef_, rtol=1e-6)
    np.testing.assert_allclose(est.intercept_[0], skl.intercept_, rtol=1e-6)
    np.testing.assert_allclose(est.predict(X), skl.predict(X), rtol=1e-6)
    # the predictive distribution is scipy's Poisson at the fitted mean
    np.testing.assert_allclose(est.predict_dist(X).mean(), glm.mu, rtol=1e-6)
    np.testing.assert_allclose(
        est.predict(X, return_std=True)[1] ** 2, glm.mu, rtol=1e-6
    )


def test_poisson_sample_weights_match_statsmodels(randhie):
    X, y = randhie
    rng = np.random.default_rng(0)
    counts = rng.integers(0, 4, size=len(y)).astype(float)
    est = NLLRegressor("poisson", tol=TOL).fit(X, y, sample_weight=counts)
    _assert_gradient_below_tol(est, X, y, counts)
    Xc = sm.add_constant(X)
    family = sm.families.Poisson()
    freq = sm.GLM(y, Xc, family=family, freq_weights=counts).fit(tol=1e-13)
    np.testing.assert_allclose(est.coef_[0], freq.params[1:], rtol=1e-6)
    np.testing.assert_allclose(est.predict(X), freq.mu, rtol=1e-6)
    np.testing.assert_allclose(_llf(est, X, y, counts), freq.llf, rtol=1e-8)
    # integer weights are repeated rows
    keep = counts > 0
    rep = NLLRegressor("poisson", tol=TOL).fit(
        np.repeat(X[keep], counts[keep].astype(int), axis=0),
        np.repeat(y[keep], counts[keep].astype(int)),
    )
    np.testing.assert_allclose(est.coef_, rep.coef_, rtol=1e-6)
    # real weights: statsmodels' var_weights give the same estimating equations
    real = rng.uniform(0.2, 3.0, size=len(y))
    est = NLLRegressor("poisson", tol=TOL).fit(X, y, sample_weight=real)
    var = sm.GLM(y, Xc, family=family, var_weights=real).fit(tol=1e-13)
    np.testing.assert_allclose(est.coef_[0], var.params[1:], rtol=1e-6)
    np.testing.assert_allclose(est.intercept_[0], var.params[0], rtol=1e-6)


def test_poisson_rates_with_exposure_match_glm_offset_and_sklearn(randhie):
    """Non-integer y: rate y/e with weight e is the count model with exposure e."""
    X, y = randhie
    exposure = np.random.default_rng(1).uniform(0.5, 4.0, size=len(y))
    counts = np.round(y * exposure)
    rate = counts / exposure
    assert np.any(rate != np.round(rate))
    est = NLLRegressor("poisson", tol=TOL).fit(X, rate, sample_weight=exposure)
    glm = sm.GLM(
        counts, sm.add_constant(X), family=sm.families.Poisson(), exposure=exposure
    ).fit(tol=1e-13)
    np.testing.assert_allclose(est.coef_[0], glm.params[1:], rtol=1e-6)
    np.testing.assert_allclose(est.intercept_[0], glm.params[0], rtol=1e-6)
    skl = PoissonRegressor(alpha=0.0, solver="newton-cholesky", tol=1e-12, max_iter=100)
    skl.fit(X, rate, sample_weight=exposure)
    np.testing.assert_allclose(est.predict(X), skl.predict(X), rtol=1e-6)


def test_poisson_nll_of_non_integer_y_is_the_documented_extension():
    y = np.array([0.0, 0.5, 1.0, 2.25, 7.0])
    eta = np.array([[0.3], [-1.0], [0.0], [1.5], [2.0]])
    mu = np.exp(eta[:, 0])
    expected = mu - y * np.log(mu) + special.gammaln(y + 1.0)
    np.testing.assert_allclose(Poisson().nll(y, eta), expected, rtol=1e-14)
    integer = y == np.round(y)
    np.testing.assert_allclose(
        Poisson().nll(y, eta)[integer],
        -stats.poisson.logpmf(y[integer], mu[integer]),
        rtol=1e-13,
    )
    est = NLLRegressor("poisson").fit(np.zeros((5, 1)), y)
    assert est.nll(np.zeros((5, 1)), y) == pytest.approx(
        np.mean(y.mean() - y * np.log(y.mean()) + special.gammaln(y + 1.0)), rel=1e-12
    )


# -- negative binomial (NB2) -----------------------------------------------------
def _statsmodels_nb2(X, y):
    model = sm.NegativeBinomial(y, sm.add_constant(X), loglike_method="nb2")
    res = model.fit(method="newton", maxiter=100, tol=1e-13, disp=0)
    assert res.mle_retvals["converged"]
    assert np.max(np.abs(model.score(res.params))) < 1e-6
    return res


@pytest.mark.parametrize("data", ["randhie", "fair"])
def test_negative_binomial_matches_statsmodels_nb2(data, request):
    X, y = request.getfixturevalue(data)
    ref = _statsmodels_nb2(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # overdispersed: no boundary warning
        est = NLLRegressor("negative_binomial", tol=TOL).fit(X, y)
    _assert_gradient_below_tol(est, X, y)
    np.testing.assert_allclose(est.coef_[0], ref.params[1:-1], rtol=1e-6)
    np.testing.assert_allclose(est.intercept_[0], ref.params[0], rtol=1e-6)
    np.testing.assert_allclose(np.exp(est.intercept_[1]), ref.params[-1], rtol=1e-6)
    np.testing.assert_allclose(est.predict(X), ref.predict(), rtol=1e-6)
    np.testing.assert_allclose(_llf(est, X, y), ref.llf, rtol=1e-8)
    assert np.all(est.coef_[1] == 0)


def _nb2_logpmf(y, mu, a):
    """The NB2 log-pmf from gammaln: the reference of the direct fits."""
    r = 1.0 / a
    return (
        special.gammaln(y + r)
        - special.gammaln(r)
        - special.gammaln(y + 1.0)
        - r * np.log1p(a * mu)
        + y * (np.log(a * mu) - np.log1p(a * mu))
    )


def test_reference_nb2_formula_is_scipys_at_moderate_dispersion():
    rng = np.random.default_rng(2)
    y = rng.integers(0, 60, 500).astype(float)
    mu, a = rng.uniform(0.1, 30, 500), np.exp(rng.uniform(-3, 3, 500))
    expected = stats.nbinom.logpmf(y, 1.0 / a, 1.0 / (1.0 + a * mu))
    np.testing.assert_allclose(_nb2_logpmf(y, mu, a), expected, rtol=1e-12)


def _direct_nb2_all(X, y):
    """ML fit of log μ = Zβ, log α = Zγ from gammaln/digamma formulas.

    BFGS on the standardised design, polished by Newton steps on a
    finite-difference Hessian of the analytic gradient.
    """
    mean, sd = X.mean(axis=0), X.std(axis=0)
    Z = np.column_stack([np.ones(len(y)), (X - mean) / sd])
    k = Z.shape[1]

    def fun(theta):
        t_mu, t_a = Z @ theta[:k], Z @ theta[k:]
        mu, a = np.exp(t_mu), np.exp(t_a)
        r, x = 1.0 / a, a * mu
        value = -np.mean(_nb2_logpmf(y, mu, a))
        g_mu = (mu - y) / (1.0 + x)
        g_a = -r * (np.log1p(x) - special.digamma(y + r) + special.digamma(r))
        g_a -= (y - mu) / (1.0 + x)
        return value, np.concatenate([Z.T @ g_mu, Z.T @ g_a]) / len(y)

    a0 = (y.var() - y.mean()) / y.mean() ** 2
    theta = np.zeros(2 * k)
    theta[0], theta[k] = np.log(y.mean()), np.log(a0)
    res = scipy.optimize.minimize(
        fun, theta, jac=True, method="BFGS", options={"gtol": 1e-11, "maxiter": 5000}
    )
    theta = res.x
    for _ in range(5):
        g = fun(theta)[1]
        h = 1e-6
        H = np.array(
            [
                (fun(theta + h * e)[1] - fun(theta - h * e)[1]) / (2 * h)
                for e in np.eye(2 * k)
            ]
        )
        theta = theta - np.linalg.solve(0.5 * (H + H.T), g)
    value, g = fun(theta)
    assert np.max(np.abs(g)) < 1e-10
    # back to the raw columns
    scale = np.concatenate([[1.0], 1.0 / sd])
    beta, gamma = theta[:k] * scale, theta[k:] * scale
    beta[0] -= mean @ beta[1:]
    gamma[0] -= mean @ gamma[1:]
    return beta, gamma, -value * len(y)


def test_negative_binomial_dispersion_of_x_matches_a_direct_fit(randhie):
    X, y = randhie
    beta, gamma, llf = _direct_nb2_all(X, y)
    est = NLLRegressor("negative_binomial", x_dependent="all", tol=TOL).fit(X, y)
    _assert_gradient_below_tol(est, X, y)
    np.testing.assert_allclose(est.intercept_, [beta[0], gamma[0]], rtol=1e-6)
    np.testing.assert_allclose(est.coef_, [beta[1:], gamma[1:]], rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(_llf(est, X, y), llf, rtol=1e-8)
    mu, a = np.exp(beta[0] + X @ beta[1:]), np.exp(gamma[0] + X @ gamma[1:])
    np.testing.assert_allclose(est.predict(X), mu, rtol=1e-6)
    np.testing.assert_allclose(
        est.predict(X, return_std=True)[1] ** 2, mu + a * mu**2, rtol=1e-6
    )


def test_negative_binomial_at_tiny_dispersion_is_the_poisson(randhie):
    """At dispersion 1e-14 the fitted estimator's NLL is the Poisson's to 1e-12
    (scipy's nbinom.logpmf has lost its digits there)."""
    X, y = randhie
    est = NLLRegressor("negative_binomial", tol=1e-8).fit(X, y)
    W, b = est.model_.coef_intercept()
    b = b.copy()
    b[1] = np.log(1e-14)
    est.model_.phi_ = est.model_.params_for(W, b, est.model_.output_scale_)
    mu = est.predict(X)
    poisson = -np.mean(stats.poisson.logpmf(y, mu))
    assert est.nll(X, y) == pytest.approx(poisson, rel=1e-12)
    scipy_nb = -np.mean(stats.nbinom.logpmf(y, 1e14, 1.0 / (1.0 + 1e-14 * mu)))
    assert abs(scipy_nb - poisson) > 1e-10 * poisson  # why sklik has its own


def test_negative_binomial_fisher_is_the_exact_expectation():
    """Σ_y Pr(y)·(observed Hessian at y) and Σ_y Pr(y)·g gᵀ, to a tail below
    1e-18, equal the Fisher information (the dispersion entry is a sum over y
    of sklik's own, by another route); mpmath checks α → 0 and large α·μ."""
    rng = np.random.default_rng(9)
    eta = np.column_stack([rng.uniform(-4, 3, 30), rng.uniform(-6, 1.5, 30)])
    eta[:3, 1] = [-30.0, -15.0, -9.0]  # near the Poisson: α·μ down to 1e-13
    dist = NegativeBinomial()
    mu, a = np.exp(eta[:, 0]), np.exp(eta[:, 1])
    frozen = stats.nbinom(1.0 / a, 1.0 / (1.0 + a * mu))
    top = int(frozen.isf(1e-18).max()) + 1
    # every (count, sample) pair in one call: row k·30 + i is y = k at sample i
    yk = np.repeat(np.arange(top, dtype=float), 30)
    etak = np.tile(eta, (top, 1))
    p = np.exp(-dist.nll(yk, etak)).reshape(top, 30)
    H = dist.hessian(yk, etak).reshape(top, 30, 2, 2)
    g = dist.nll_grad(yk, etak)[1].reshape(top, 30, 2)
    F_hess = np.einsum("ki,kiab->iab", p, H)
    F_score = np.einsum("ki,kia,kib->iab", p, g, g)
    F = dist.fisher(eta)
    scale = np.abs(F).max(axis=(1, 2))[:, None, None]
    np.testing.assert_allclose(F_hess / scale, F / scale, atol=1e-10)
    np.testing.assert_allclose(F_score / scale, F / scale, atol=1e-10)
    np.testing.assert_allclose(F[:, 1, 1], F_score[:, 1, 1], rtol=1e-9)
    assert np.all(F[:, 0, 1] == 0) and np.all(F[:, 1, 1] > 0)
    mpmath = pytest.importorskip("mpmath", reason="the reference is mpmath's")
    mpmath.mp.dps = 60
    for m, al in [(3.0, 1e-7), (0.5, 2.0), (40.0, 5.0)]:
        r = 1 / mpmath.mpf(al)
        q = mpmath.mpf(al) * m / (1 + mpmath.mpf(al) * m)
        pmf, cdf, info, j = (1 - q) ** r, 0, 0, 0
        while True:  # I_αα = r⁴(Σ_j P(Y > j)/(r + j)² − α²μ/(1 + αμ))
            cdf += pmf
            info += (1 - cdf) / (r + j) ** 2
            pmf *= (r + j) / (j + 1) * q
            j += 1
            if j > m and 1 - cdf < mpmath.mpf(10) ** -40:
                break
        info = r**4 * (info - m / (r * (r + m)))
        got = dist.fisher(np.log([[m, al]]))[0, 1, 1] / al**2
        assert got == pytest.approx(float(info), rel=1e-12)


@pytest.mark.parametrize("x_dependent", [None, "all"])
def test_negative_binomial_on_underdispersed_counts_warns_and_ends_at_the_poisson(
    x_dependent,
):
    """The supremum is at dispersion 0 (no maximum): the fit ends finite, near
    the Poisson fit, and says the Poisson is the better model. With the
    dispersion a function of x the flat directions are held by the guard."""
    rng = np.random.default_rng(3)
    X = rng.normal(size=(3000, 2))
    mean = np.exp(1.0 + X @ [0.3, -0.2])
    y = rng.binomial(30, mean / 30).astype(float)  # variance < mean
    est = NLLRegressor("negative_binomial", x_dependent=x_dependent, tol=TOL)
    with pytest.warns(DegenerateFitWarning, match="distribution='poisson'"):
        est.fit(X, y)
    assert est.n_iter_ < est.max_iter
    assert np.all(np.isfinite(est.coef_)) and np.all(np.isfinite(est.intercept_))
    mu, sd = est.predict(X, return_std=True)
    assert np.max((sd**2 - mu) / mu**2 * mu) < 1e-6  # dispersion·mean
    poisson = NLLRegressor("poisson", tol=TOL).fit(X, y)
    np.testing.assert_allclose(mu, poisson.predict(X), rtol=1e-6)
    assert poisson.nll(X, y) <= est.nll(X, y) <= poisson.nll(X, y) * (1 + 1e-9)


def test_negative_binomial_on_poisson_counts_warns_only_at_the_boundary():
    """Equidispersed counts: the sample decides; the warning must match it (the
    score of the dispersion at 0 is the sign of Σ((y - μ)² - y))."""
    rng = np.random.default_rng(8)
    X = rng.normal(size=(2000, 1))
    for seed in range(4):
        y = np.random.default_rng(seed).poisson(np.exp(0.5 + 0.4 * X[:, 0]))
        mu = NLLRegressor("poisson", tol=TOL).fit(X, y).predict(X)
        at_boundary = np.sum((y - mu) ** 2 - y) <= 0
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            est = NLLRegressor("negative_binomial", tol=TOL).fit(X, y)
        warned = any(issubclass(w.category, DegenerateFitWarning) for w in caught)
        assert warned == at_boundary
        _assert_gradient_below_tol(est, X[:, :1], y.astype(float))
        assert (np.exp(est.intercept_[1]) * mu.max() < 1e-6) == at_boundary


# -- zero-inflated Poisson -------------------------------------------------------
def _statsmodels_zip(X, y, exog_infl, newton_start=True):
    """statsmodels' Newton fit, from its BFGS fit where its own start fails
    (Newton from its default start diverges with an x-dependent zero_prob)."""
    model = sm.ZeroInflatedPoisson(y, sm.add_constant(X), exog_infl=exog_infl)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the BFGS fit stops short, and says so
        if newton_start:
            res = model.fit(method="newton", maxiter=100, tol=1e-14, disp=0)
        if not newton_start or not res.mle_retvals["converged"]:
            start = model.fit(method="bfgs", maxiter=5000, gtol=1e-10, disp=0).params
            res = model.fit(
                start_params=start, method="newton", maxiter=50, tol=1e-14, disp=0
            )
    assert np.max(np.abs(model.score(res.params))) < 1e-6
    return res


@pytest.mark.parametrize("x_dependent", [None, "all"])
def test_zero_inflated_poisson_matches_statsmodels(randhie, x_dependent):
    X, y = randhie
    Xc = sm.add_constant(X)
    exog_infl = np.ones((len(y), 1)) if x_dependent is None else Xc
    ref = _statsmodels_zip(X, y, exog_infl, newton_start=x_dependent is None)
    est = NLLRegressor("zero_inflated_poisson", x_dependent=x_dependent, tol=TOL)
    est.fit(X, y)
    _assert_gradient_below_tol(est, X, y)
    k_infl = exog_infl.shape[1]
    infl, count = ref.params[:k_infl], ref.params[k_infl:]
    np.testing.assert_allclose(est.intercept_, [count[0], infl[0]], rtol=1e-6)
    np.testing.assert_allclose(est.coef_[0], count[1:], rtol=1e-6)
    if x_dependent == "all":
        np.testing.assert_allclose(est.coef_[1], infl[1:], rtol=1e-6)
    np.testing.assert_allclose(_llf(est, X, y), ref.llf, rtol=1e-8)
    np.testing.assert_allclose(est.predict(X), ref.predict(), rtol=1e-6)
    # predict_dist is the ZIP of the fitted rate and zero_prob
    mean, std = est.predict(X, return_std=True)
    dist = est.predict_dist(X)
    np.testing.assert_allclose(dist.mean(), mean, rtol=1e-13)
    np.testing.assert_allclose(dist.var(), std**2, rtol=1e-12)
    np.testing.assert_allclose(dist.pmf(0), ref.predict(which="prob")[:, 0], rtol=1e-6)


def test_zero_inflated_poisson_fisher_is_the_exact_expectation():
    """Σ_y Pr(y)·(observed Hessian at y) and Σ_y Pr(y)·g gᵀ, summed to a tail
    below 1e-18, equal the analytic Fisher information."""
    rng = np.random.default_rng(4)
    eta = np.column_stack([rng.uniform(-6, 3.5, 40), rng.uniform(-8, 6, 40)])
    dist = ZeroInflatedPoisson()
    lam = np.exp(eta[:, 0])
    top = int(lam.max() + 20.0 * np.sqrt(lam.max()) + 50.0)
    assert stats.poisson.sf(top, lam.max()) < 1e-18  # the tail left out
    F_hess, F_score = np.zeros((40, 2, 2)), np.zeros((40, 2, 2))
    for k in range(top):
        yk = np.full(40, float(k))
        p = dist.to_scipy(eta).pmf(yk)
        F_hess += p[:, None, None] * dist.hessian(yk, eta)
        g = dist.nll_grad(yk, eta)[1]
        F_score += p[:, None, None] * g[:, :, None] * g[:, None, :]
    F = dist.fisher(eta)
    scale = np.abs(F).max(axis=(1, 2))[:, None, None]
    np.testing.assert_allclose(F_hess / scale, F / scale, atol=1e-12)
    np.testing.assert_allclose(F_score / scale, F / scale, atol=1e-12)
    assert np.all(np.linalg.eigvalsh(F) >= -1e-14 * scale[:, :, 0])


def test_zero_inflated_poisson_is_stable_for_tiny_zero_prob_and_rate():
    mpmath = pytest.importorskip("mpmath", reason="the reference is mpmath's")
    mpmath.mp.dps = 50
    etas = [(-30.0, -30.0), (-30.0, 0.0), (0.0, -40.0), (-25.0, -20.0), (4.0, -35.0)]
    eta = np.array(etas)
    dist = ZeroInflatedPoisson()
    y = np.zeros(len(eta))
    nll, grad = dist.nll_grad(y, eta)
    for i, (log_rate, t) in enumerate(etas):
        lam, pi = mpmath.exp(log_rate), 1 / (1 + mpmath.exp(-t))
        p0 = pi + (1 - pi) * mpmath.exp(-lam)
        assert nll[i] == pytest.approx(float(-mpmath.log(p0)), rel=1e-13, abs=0)
        d_l = lam * (1 - pi) * mpmath.exp(-lam) / p0  # λ·s
        d_t = pi - pi / p0
        assert grad[i, 0] == pytest.approx(float(d_l), rel=1e-12, abs=0)
        assert grad[i, 1] == pytest.approx(float(d_t), rel=1e-12, abs=1e-300)


# -- unconditional fits: closed forms -------------------------------------------
def test_unconditional_fits_are_the_closed_form_maxima(randhie):
    X, y = randhie
    w = np.random.default_rng(5).uniform(0.5, 2.0, len(y))
    ybar = np.average(y, weights=w)
    est = NLLRegressor("poisson", x_dependent=()).fit(X, y, sample_weight=w)
    assert np.exp(est.intercept_[0]) == pytest.approx(ybar, rel=1e-12)
    assert np.all(est.coef_ == 0)

    # NB2: μ = ȳ; α the root of the weighted α-score (gammaln/digamma here)
    def score(log_a):
        a = np.exp(log_a)
        r = 1.0 / a
        g = r * (np.log1p(a * ybar) - special.digamma(y + r) + special.digamma(r))
        return np.average(g + (y - ybar) / (1.0 + a * ybar), weights=w)

    log_a = scipy.optimize.brentq(score, -10.0, 5.0, xtol=1e-15, rtol=1e-15)
    est = NLLRegressor("negative_binomial", x_dependent=()).fit(X, y, sample_weight=w)
    assert np.exp(est.intercept_[0]) == pytest.approx(ybar, rel=1e-10)
    assert est.intercept_[1] == pytest.approx(log_a, rel=1e-9)

    # ZIP: λ/(1 − e^−λ) = ȳ/(1 − p̂₀) and (1 − π)λ = ȳ
    p0 = np.average(y == 0, weights=w)
    c = ybar / (1.0 - p0)
    lam = scipy.optimize.brentq(
        lambda t: t / -np.expm1(-t) - c, 1e-9, 100.0, xtol=1e-15
    )
    est = NLLRegressor("zero_inflated_poisson", x_dependent=())
    est.fit(X, y, sample_weight=w)
    assert np.exp(est.intercept_[0]) == pytest.approx(lam, rel=1e-10)
    assert special.expit(est.intercept_[1]) == pytest.approx(
        1.0 - ybar / lam, rel=1e-10
    )


@pytest.mark.parametrize(
    "name", ["poisson", "negative_binomial", "zero_inflated_poisson"]
)
def test_all_zero_counts_end_finite_with_a_warning(name):
    X = np.random.default_rng(6).normal(size=(50, 2))
    y = np.zeros(50)
    with pytest.warns(DegenerateFitWarning, match="Every y"):
        est = NLLRegressor(name, x_dependent="all").fit(X, y)
    assert np.all(np.isfinite(est.coef_)) and np.all(np.isfinite(est.intercept_))
    assert np.all(est.predict(X) < 1e-12)
    assert 0.0 <= est.nll(X, y) < 1e-12


# -- model selection and traps ---------------------------------------------------
def test_grid_search_picks_the_negative_binomial_on_overdispersed_counts(randhie):
    X, y = randhie
    search = GridSearchCV(
        NLLRegressor(),
        {
            "distribution": ["poisson", "negative_binomial"],
            "x_dependent": [None, "all"],
        },
        scoring=neg_nll_scorer,
        cv=KFold(3, shuffle=True, random_state=0),
    ).fit(X, y)
    assert search.best_params_["distribution"] == "negative_binomial"
    # the scorer is minus the held-out mean NLL of the estimator itself
    est = search.best_estimator_
    assert neg_nll_scorer(est, X, y) == pytest.approx(-est.nll(X, y), rel=1e-12)


@pytest.mark.parametrize(
    "name", ["poisson", "negative_binomial", "zero_inflated_poisson"]
)
def test_negative_counts_raise_naming_the_family_and_values(name):
    X = np.arange(12.0).reshape(6, 2)
    y = np.array([0.0, 1.0, -2.0, 3.0, -0.5, 1.0])
    with pytest.raises(ValueError, match=rf"{name} family.*-2\.0"):
        NLLRegressor(name).fit(X, y)
    with warnings.catch_warnings():
        # six counts: the NB2 may well end at the Poisson boundary (warned of)
        warnings.simplefilter("ignore", DegenerateFitWarning)
        est = NLLRegressor(name).fit(X, np.abs(y))
    with pytest.raises(ValueError, match=rf"{name} family.*-0\.5"):
        est.nll(X, y)
    with pytest.raises(ValueError, match="NaN"):
        NLLRegressor(name).fit(X, np.where(y < 0, np.nan, y))
    with pytest.raises(ValueError, match="NaN"):
        est.nll(X, np.where(y < 0, np.nan, y))


@pytest.mark.parametrize(
    "dist", [Poisson(), NegativeBinomial(), ZeroInflatedPoisson()], ids=repr
)
def test_non_integer_counts_are_accepted(dist):
    rng = np.random.default_rng(7)
    X = rng.normal(size=(200, 2))
    y = rng.gamma(2.0, 1.5, size=200) * (rng.random(200) < 0.7)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DegenerateFitWarning)  # y is no count
        est = NLLRegressor(dist, tol=TOL).fit(X, y)
    _assert_gradient_below_tol(est, X, y)
    assert np.isfinite(est.nll(X, y))
