"""The normal-mixture family (mixture density networks) and its predictive law."""

import pickle

import numpy as np
import pytest
from scipy import integrate, stats
from scipy.special import expit
from sklearn.mixture import GaussianMixture
from threadpoolctl import threadpool_limits

from sklik import NLLRegressor
from sklik.distributions import NormalMixture
from sklik.distributions.mixture import NormalMixtureDistribution
from sklik.exceptions import DegenerateFitWarning
from sklik.models import MLP


@pytest.fixture(autouse=True)
def _one_blas_thread():
    # small matrices on a shared machine: one BLAS thread is much the fastest
    with threadpool_limits(limits=1, user_api="blas"):
        yield


def _random_eta(k, n, seed):
    rng = np.random.default_rng(seed)
    eta = np.hstack(
        [
            rng.normal(size=(n, k)),
            rng.normal(scale=2.0, size=(n, k)),
            rng.normal(scale=0.5, size=(n, k)),
        ]
    )
    y = rng.normal(scale=2.0, size=n)
    return eta, y


# -- the likelihood and its derivatives ---------------------------------------
@pytest.mark.parametrize("k", [1, 3])
def test_gradient_against_finite_differences(k):
    dist = NormalMixture(n_components=k)
    eta, y = _random_eta(k, 9, seed=k)
    nll, grad = dist.nll_grad(y, eta)
    assert np.allclose(nll, -dist.to_scipy(eta).logpdf(y), rtol=1e-12)
    h = 1e-6
    for j in range(3 * k):
        step = np.zeros(3 * k)
        step[j] = h
        fd = (dist.nll(y, eta + step) - dist.nll(y, eta - step)) / (2 * h)
        assert np.allclose(grad[:, j], fd, rtol=1e-6, atol=1e-8)


def test_gradient_on_theta_against_finite_differences():
    dist = NormalMixture(n_components=3)
    eta, y = _random_eta(3, 6, seed=5)
    theta = dist.theta(eta)
    _, grad = dist.nll_grad_theta(y, theta)
    h = 1e-7
    for j in range(9):
        step = np.zeros(9)
        step[j] = h
        fd = (dist.nll_theta(y, theta + step) - dist.nll_theta(y, theta - step)) / (
            2 * h
        )
        assert np.allclose(grad[:, j], fd, rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("k", [1, 2, 4])
def test_hessian_against_finite_differences_of_the_gradient(k):
    dist = NormalMixture(n_components=k)
    eta, y = _random_eta(k, 8, seed=10 + k)
    H = dist.hessian(y, eta)
    assert np.allclose(H, np.transpose(H, (0, 2, 1)))
    h = 1e-6
    for j in range(3 * k):
        step = np.zeros(3 * k)
        step[j] = h
        fd = (dist.nll_grad(y, eta + step)[1] - dist.nll_grad(y, eta - step)[1]) / (
            2 * h
        )
        assert np.allclose(H[:, :, j], fd, rtol=1e-5, atol=1e-7)


# -- the predictive distribution ------------------------------------------------
def _mixture():
    weights = [[0.2, 0.5, 0.3], [0.6, 0.4, 0.0], [1.0 / 3] * 3]
    locs = [[-3.0, 0.0, 4.0], [1.0, 1.5, 50.0], [0.0, 0.0, 0.0]]
    scales = [[0.5, 1.0, 2.0], [0.1, 3.0, 1.0], [0.2, 1.0, 5.0]]
    return NormalMixtureDistribution(weights, locs, scales)


def _quad(f, lo=-np.inf, hi=np.inf):
    return integrate.quad(f, lo, hi, epsabs=1e-13, epsrel=1e-11, limit=400)[0]


def test_predictive_moments_and_cdf_by_numerical_integration():
    dist = _mixture()
    mean, var = dist.mean(), dist.var()
    assert np.allclose(dist.std(), np.sqrt(var))
    for i in range(3):
        row = NormalMixtureDistribution(dist.weights[i], dist.locs[i], dist.scales[i])
        pdf, mu = row.pdf, mean[i]
        assert _quad(pdf) == pytest.approx(1.0, abs=1e-9)
        assert _quad(lambda t, pdf=pdf: t * pdf(t)) == pytest.approx(mu, abs=1e-8)
        centred = _quad(lambda t, pdf=pdf, mu=mu: (t - mu) ** 2 * pdf(t))
        assert centred == pytest.approx(var[i], rel=1e-8)
        for t in (-4.0, -0.5, 1.2, 6.0):
            assert row.cdf(t) == pytest.approx(_quad(row.pdf, hi=t), abs=1e-9)
            assert np.exp(row.logpdf(t)) == pytest.approx(row.pdf(t), rel=1e-12)
            assert row.sf(t) == pytest.approx(1 - row.cdf(t), abs=1e-14)


def test_ppf_inverts_the_cdf_into_the_tails():
    dist = _mixture()
    q = np.array([1e-12, 1e-6, 0.01, 0.3, 0.5, 0.77, 0.99, 1 - 1e-9])
    y = dist.ppf(q[:, None])
    assert y.shape == (len(q), 3)
    assert np.all(np.diff(y, axis=0) > 0)
    lower = q < 0.5
    assert np.allclose(np.exp(dist.logcdf(y[lower])), q[lower, None], rtol=1e-10)
    assert np.allclose(np.exp(dist.logsf(y[~lower])), 1 - q[~lower, None], rtol=1e-8)
    assert np.all(dist.ppf(0.0) == -np.inf) and np.all(dist.ppf(1.0) == np.inf)
    lo, hi = dist.interval(0.9)
    assert np.allclose(dist.cdf(hi) - dist.cdf(lo), 0.9, rtol=1e-12)
    assert np.allclose(dist.median(), dist.ppf(0.5))


def test_one_component_is_scipys_normal():
    rng = np.random.default_rng(0)
    loc, scale = rng.normal(size=(5, 1)), np.exp(rng.normal(size=(5, 1)))
    dist = NormalMixtureDistribution(np.ones((5, 1)), loc, scale)
    ref = stats.norm(loc[:, 0], scale[:, 0])
    t = np.array([-40.0, -2.0, 0.3, 5.0, 40.0])
    assert np.allclose(dist.logpdf(t), ref.logpdf(t), rtol=1e-13)
    assert np.allclose(dist.logcdf(t), ref.logcdf(t), rtol=1e-13)
    assert np.allclose(dist.logsf(t), ref.logsf(t), rtol=1e-13)
    q = np.array([1e-15, 0.2, 0.5, 0.95, 1 - 1e-12])
    assert np.allclose(dist.ppf(q[:, None]), ref.ppf(q[:, None]), rtol=1e-13)
    assert np.allclose(dist.var(), ref.var())


def test_rvs_follow_the_distribution():
    dist = _mixture()
    draws = dist.rvs(size=(20000, 3), random_state=0)
    assert draws.shape == (20000, 3)
    for i in range(3):
        row = NormalMixtureDistribution(dist.weights[i], dist.locs[i], dist.scales[i])
        assert stats.kstest(draws[:, i], row.cdf).pvalue > 1e-3
        se = np.sqrt(row.var() / 20000)
        assert abs(draws[:, i].mean() - row.mean()) < 5 * se
    # a zero weight is never drawn: the second row has no mass near 50
    assert np.max(draws[:, 1]) < 30.0
    assert np.array_equal(dist.rvs(random_state=3), dist.rvs(random_state=3))
    with pytest.raises(ValueError, match="size"):
        dist.rvs(size=(4, 2))


def test_predictive_distribution_pickles_and_validates():
    dist = _mixture()
    back = pickle.loads(pickle.dumps(dist))
    t = np.linspace(-5, 10, 7)[:, None]
    assert np.array_equal(back.logpdf(t), dist.logpdf(t))
    assert np.array_equal(back.ppf(0.3), dist.ppf(0.3))
    with pytest.raises(ValueError, match="sum to 1"):
        NormalMixtureDistribution([0.5, 0.6], [0.0, 1.0], [1.0, 1.0])
    with pytest.raises(ValueError, match="scales"):
        NormalMixtureDistribution([0.5, 0.5], [0.0, 1.0], [1.0, 0.0])
    with pytest.raises(ValueError, match="n_components"):
        NormalMixture(n_components=0).n_params


# -- initialisation, collapse, the unconditional fit ----------------------------
def test_start_spreads_the_means_over_the_quantiles_of_y():
    rng = np.random.default_rng(1)
    y = rng.gamma(2.0, size=400)
    w = rng.integers(1, 4, size=400).astype(float)
    dist = NormalMixture(n_components=4)
    theta = dist.start_theta(y, w)
    # at the weighted quantiles: the weighted share of y below the k-th mean
    # is (k + 1/2)/K, up to one sample's weight
    share = np.array([w[y < m].sum() for m in theta[4:8]]) / w.sum()
    assert np.all(np.abs(share - (np.arange(4) + 0.5) / 4) <= w.max() / w.sum())
    assert np.all(np.diff(theta[4:8]) > 0)
    assert np.allclose(theta[:4], 0.25)
    # the intercept-only start then finds three separated clusters
    y = np.concatenate([rng.normal(m, 0.3, size=200) for m in (-5.0, 0.0, 7.0)])
    eta = NormalMixture(n_components=3).init_eta(y, np.ones(len(y)))
    assert np.allclose(np.sort(eta[3:6]), [-5.0, 0.0, 7.0], atol=0.1)
    assert np.allclose(np.exp(eta[6:]), 0.3, atol=0.05)


def test_a_repeated_value_collapses_a_component_and_warns():
    rng = np.random.default_rng(0)
    y = np.concatenate([rng.normal(size=200), np.full(50, 1.0)])
    X = rng.normal(size=(250, 1))
    for x_dependent in [(), "all"]:
        reg = NLLRegressor("normal_mixture", x_dependent=x_dependent)
        with pytest.warns(DegenerateFitWarning, match="component's scale"):
            reg.fit(X, y)
        scales = reg.predict_dist(X).scales
        # the guard stops the scale near 1e-10 of y's spread, not at zero
        assert np.all(np.isfinite(reg.predict(X))) and np.isfinite(reg.nll(X, y))
        assert 1e-12 * y.std() < scales.min() < 1e-8 * y.std()


def test_unconditional_fit_matches_sklearns_gaussian_mixture():
    rng = np.random.default_rng(2)
    y = np.concatenate(
        [rng.normal(-2.0, 0.5, 300), rng.normal(1.0, 1.0, 400), rng.normal(4, 0.7, 200)]
    )
    X = rng.normal(size=(len(y), 2))
    reg = NLLRegressor(NormalMixture(n_components=3), x_dependent=()).fit(X, y)
    gm = GaussianMixture(
        n_components=3,
        tol=1e-13,
        max_iter=20000,
        n_init=5,
        reg_covar=0.0,
        random_state=0,
    ).fit(y[:, None])
    assert -reg.nll(X, y) == pytest.approx(gm.score(y[:, None]), abs=1e-6)
    assert -reg.nll(X, y) >= gm.score(y[:, None]) - 1e-9
    fitted = reg.predict_dist(X[:1])
    order, ref = np.argsort(fitted.locs[0]), np.argsort(gm.means_[:, 0])
    assert np.allclose(fitted.locs[0, order], gm.means_[ref, 0], atol=1e-3)
    assert np.allclose(fitted.weights[0, order], gm.weights_[ref], atol=1e-3)
    sd = np.sqrt(gm.covariances_[ref, 0, 0])
    assert np.allclose(fitted.scales[0, order], sd, atol=1e-3)


def test_weights_equal_repeated_rows():
    rng = np.random.default_rng(3)
    X = rng.normal(size=(300, 2))
    y = np.where(rng.random(300) < expit(X[:, 0]), 2.0 + X[:, 1], -2.0) + rng.normal(
        scale=0.5, size=300
    )
    w = rng.integers(0, 4, size=300)
    reg = NLLRegressor("normal_mixture", x_dependent="all", tol=1e-10, max_iter=2000)
    weighted = reg.fit(X, y, sample_weight=w.astype(float))
    a, a_nll = weighted.predict_dist(X), weighted.nll(X, y, w.astype(float))
    repeated = NLLRegressor(**reg.get_params()).fit(X.repeat(w, 0), y.repeat(w))
    b = repeated.predict_dist(X)
    assert repeated.nll(X, y, w.astype(float)) == pytest.approx(a_nll, abs=1e-8)
    assert np.allclose(a.mean(), b.mean(), rtol=1e-5, atol=1e-6)
    assert np.allclose(a.std(), b.std(), rtol=1e-5)


# -- a mixture density network on data whose conditional is known --------------
def _bimodal_truth(x):
    p = expit(2.0 * x)
    return NormalMixtureDistribution(
        np.column_stack([p, 1 - p]),
        np.column_stack([np.sin(2 * x) + 1.5, -1.5 + 0.5 * x]),
        np.column_stack([0.25 + 0.1 * x**2, np.full_like(x, 0.35)]),
    )


def test_mixture_density_network_recovers_a_bimodal_conditional():
    rng = np.random.default_rng(0)
    x, x_test = rng.uniform(-2, 2, 5000), rng.uniform(-2, 2, 20000)
    y = _bimodal_truth(x).rvs(random_state=1)
    truth = _bimodal_truth(x_test)
    y_test = truth.rvs(random_state=2)
    net = MLP((32, 32), "tanh", random_state=0)
    reg = NLLRegressor(
        "normal_mixture", x_dependent="all", model=net, max_iter=2000, tol=1e-6
    ).fit(x[:, None], y)
    gap = reg.nll(x_test[:, None], y_test) + truth.logpdf(y_test).mean()
    assert -0.01 < gap < 0.05
    dist = reg.predict_dist(x_test[:, None])
    mean, std = reg.predict(x_test[:, None], return_std=True)
    assert np.allclose(mean, dist.mean()) and np.allclose(std, dist.std())
    lo, hi = dist.interval(0.9)
    inside = (lo <= y_test) & (y_test <= hi)
    assert inside.mean() == pytest.approx(0.9, abs=0.02)
    decile = np.minimum(((x_test + 2) / 0.4).astype(int), 9)
    by_decile = np.bincount(decile, inside) / np.bincount(decile)
    assert np.all(np.abs(by_decile - 0.9) < 0.05)
    # the fitted predictive distribution pickles with the estimator
    back = pickle.loads(pickle.dumps(reg))
    assert np.array_equal(back.predict(x_test[:5, None]), reg.predict(x_test[:5, None]))
