"""sklik's own predictive distributions and the special functions the families use."""

import math
import pickle
from decimal import Decimal, localcontext
from functools import partial

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from scipy import integrate, special, stats

from sklik.distributions._bessel import (
    bessel_ratio,
    bessel_ratio_derivative,
    log_bessel_i0,
    log_bessel_i1,
)
from sklik.distributions._mixture_predictive import NormalMixtureDistribution
from sklik.distributions._predictive import ZeroInflatedPoissonDistribution
from sklik.distributions._special import (
    nbinom2_logpmf,
    nbinom2_logpmf_grad,
    nbinom2_logpmf_hess,
)

RATES = np.array([0.0, 1e-12, 0.3, 1.0, 2.5, 30.0, 400.0])


def _zip(seed=0, n=300):
    rng = np.random.default_rng(seed)
    rate, pi = rng.uniform(0, 20, n), rng.uniform(0, 1, n)
    pi[:30], pi[30:60], rate[60:90] = 0.0, 1.0, 0.0
    return ZeroInflatedPoissonDistribution(rate, pi)


def _mixture(seed=0, n=200, k=3):
    rng = np.random.default_rng(seed)
    weights = rng.dirichlet(np.full(k, 0.7), n)
    return NormalMixtureDistribution(
        weights, rng.normal(0, 4, (n, k)), rng.uniform(0.05, 3, (n, k))
    )


# ---------------------------------------------------------------- ZIP


def test_zip_with_zero_prob_zero_is_scipys_poisson_exactly():
    dist, pois = ZeroInflatedPoissonDistribution(RATES, 0.0), stats.poisson(RATES)
    k = np.arange(-2, 600)[:, None]
    for method in ("logpmf", "pmf", "cdf", "sf", "logcdf", "logsf"):
        assert_array_equal(getattr(dist, method)(k), getattr(pois, method)(k))
    q = np.r_[0, 1e-300, 1e-9, np.linspace(1e-3, 1 - 1e-3, 999), 1 - 1e-12, 1][:, None]
    assert_array_equal(dist.ppf(q), pois.ppf(q))
    for method in ("mean", "var", "std", "median"):
        assert_array_equal(getattr(dist, method)(), getattr(pois, method)())


@pytest.mark.parametrize("pi", [0.0, 1e-300, 1e-9, 0.3, 0.9, 1 - 1e-12, 1.0])
def test_zip_pmf_sums_to_one_with_its_mean_and_variance(pi):
    dist = ZeroInflatedPoissonDistribution(RATES, pi)
    k = np.arange(0, 1000)[:, None]
    pmf = dist.pmf(k)
    # exp(logpmf) at λ = 400 carries scipy's Poisson rounding, ~1e-13
    assert_allclose(pmf.sum(axis=0), 1.0, rtol=5e-13)
    assert_allclose(np.cumsum(pmf, axis=0)[:60], dist.cdf(k[:60]), rtol=1e-13)
    mean = (k * pmf).sum(axis=0)
    assert_allclose(dist.mean(), mean, rtol=1e-12, atol=1e-300)
    var = ((k - mean) ** 2 * pmf).sum(axis=0)
    assert_allclose(dist.var(), var, rtol=1e-11, atol=1e-300)


def _log_p0_reference(rate, pi):
    """log(π + (1-π)e^(-λ)) with 60 significant digits (decimal arithmetic)."""
    with localcontext() as ctx:
        ctx.prec = 60
        pi, rate = Decimal(pi), Decimal(rate)
        return float((pi + (1 - pi) * (-rate).exp()).ln())


@pytest.mark.parametrize("pi", [1e-300, 1e-12, 1e-3, 0.2, 0.25, 0.5, 0.9, 1 - 1e-10])
@pytest.mark.parametrize("rate", [1e-20, 1e-8, 0.1, 1.0986, 5.0, 50.0, 700.0])
def test_zip_log_probability_of_zero_has_full_relative_accuracy(pi, rate):
    got = ZeroInflatedPoissonDistribution(rate, pi).logpmf(0)
    assert got == pytest.approx(_log_p0_reference(rate, pi), rel=1e-15, abs=0)


def test_zip_logpmf_for_positive_real_and_negative_y():
    dist = ZeroInflatedPoissonDistribution([0.0, 3.0, 3.0], [0.5, 1e-300, 0.2])
    y = np.array([[2.5], [1.0], [-1.0], [-1e-300], [np.inf], [np.nan]])
    got = dist.logpmf(y)
    cont = np.log1p(-0.2) + 2.5 * np.log(3.0) - 3.0 - math.lgamma(3.5)
    assert_allclose(got[0, 2], cont, rtol=1e-15)
    assert got[0, 0] == -np.inf and got[1, 0] == -np.inf  # λ = 0: all mass at 0
    assert got[1, 1] == stats.poisson.logpmf(1, 3.0)  # log1p(-1e-300) = 0
    assert np.all(got[2:5] == -np.inf) and np.all(np.isnan(got[5]))
    assert np.all(dist.pmf(y[2:5]) == 0.0)


def test_zip_ppf_is_the_exact_discrete_quantile():
    dist = _zip()
    q = np.random.default_rng(1).uniform(size=(200, dist.rate.size))
    k = dist.ppf(q)
    assert np.all(k == np.floor(k)) and np.all(k >= 0)
    assert np.all(dist.cdf(k) >= q)
    assert np.all((k == 0) | (dist.cdf(k - 1) < q))
    # round trip wherever k carries probability the float cdf can resolve
    k = np.arange(0, 60)[:, None]
    cdf = dist.cdf(k)
    resolved = (cdf > dist.cdf(k - 1)) & (cdf < 1)
    assert_array_equal(dist.ppf(cdf)[resolved], np.broadcast_to(k, cdf.shape)[resolved])


def test_zip_ppf_at_the_mass_at_zero_and_the_ends():
    dist = ZeroInflatedPoissonDistribution([2.0, 0.0, 2.0], [0.3, 0.2, 1.0])
    p0 = dist.cdf(0)  # [0.3 + 0.7e^-2, 1, 1]: q = 1 is +inf, as in scipy
    assert_array_equal(dist.ppf(p0), [0, np.inf, np.inf])
    below_above = np.nextafter(p0[0], [0.0, 1.0])[:, None]
    assert_array_equal(dist.ppf(below_above)[:, 0], [0, 1])
    assert_array_equal(dist.ppf(np.nextafter(1.0, 0))[1:], [0, 0])
    assert_array_equal(dist.ppf(0.0), [-1, -1, -1])  # scipy's convention
    assert_array_equal(dist.ppf(1.0), [np.inf] * 3)
    assert np.all(np.isnan(dist.ppf([[-0.1], [1.1], [np.nan]])))
    lo, hi = dist.interval(0.9)
    assert_array_equal(lo, dist.ppf(0.05)) and assert_array_equal(hi, dist.ppf(0.95))
    assert_array_equal(dist.median(), dist.ppf(0.5))
    assert_allclose(dist.sf([[0.0], [3.0]]) + dist.cdf([[0.0], [3.0]]), 1.0)


def test_zip_monte_carlo_moments():
    # 400 000 draws per distribution: the sample mean is within 5 standard
    # errors sqrt(var/N) of the mean, the sample variance within 5 of its own
    # standard error sqrt((μ4 - σ⁴)/N) (μ4 summed exactly over the support).
    dist = ZeroInflatedPoissonDistribution([0.5, 3.0, 12.0], [0.1, 0.4, 0.8])
    n_draws = 400_000
    draws = dist.rvs(size=(n_draws, 3), random_state=42)
    mean, var = dist.mean(), dist.var()
    assert np.all(np.abs(draws.mean(axis=0) - mean) < 5 * np.sqrt(var / n_draws))
    k = np.arange(0, 400)[:, None]
    mu4 = ((k - mean) ** 4 * dist.pmf(k)).sum(axis=0)
    se_var = np.sqrt((mu4 - var**2) / n_draws)
    assert np.all(np.abs(draws.var(axis=0) - var) < 5 * se_var)
    assert draws.dtype == np.int64


# ------------------------------------------------------------ mixture


def _moment(y, dist, centre, power):
    return (y - centre) ** power * dist.pdf(y)


def test_mixture_pdf_integrates_to_one_with_its_mean_and_variance():
    dist = _mixture(n=8)
    for i in range(8):
        row = NormalMixtureDistribution(dist.weights[i], dist.locs[i], dist.scales[i])
        points = list(row.locs)
        total = integrate.quad(row.pdf, -np.inf, np.inf, epsabs=1e-13)[0]
        assert total == pytest.approx(1.0, abs=1e-10)
        lo, hi = row.ppf(1e-16), row.ppf(1 - 1e-16)
        m1 = integrate.quad(_moment, lo, hi, args=(row, 0.0, 1), points=points)[0]
        assert m1 == pytest.approx(row.mean(), rel=1e-9, abs=1e-9)
        m2 = integrate.quad(_moment, lo, hi, args=(row, m1, 2))[0]
        assert m2 == pytest.approx(row.var(), rel=1e-9)
        y = row.locs[0] + 0.3
        part = integrate.quad(row.pdf, -np.inf, y, epsabs=1e-14)[0]
        assert part == pytest.approx(row.cdf(y), rel=1e-9, abs=1e-12)


def test_mixture_log_functions_agree_and_stay_finite_in_the_tails():
    dist = _mixture(n=50)
    y = np.linspace(-10, 10, 21)[:, None]
    assert_allclose(dist.logpdf(y), np.log(dist.pdf(y)), rtol=1e-13)
    # log(cdf) near 0 has only absolute accuracy: atol
    assert_allclose(dist.logcdf(y), np.log(dist.cdf(y)), rtol=1e-12, atol=1e-15)
    assert_allclose(dist.logsf(y), np.log(dist.sf(y)), rtol=1e-12, atol=1e-15)
    assert_allclose(dist.cdf(y) + dist.sf(y), 1.0, rtol=1e-14)
    far = np.array([[-1e3], [1e3]])
    assert np.all(dist.pdf(far) == 0) and np.all(np.isfinite(dist.logpdf(far)))
    assert np.all(np.isfinite(dist.logcdf(far[:1])))
    assert_allclose(dist.logsf(far[:1]), 0.0, atol=1e-15)


def test_mixture_ppf_inverts_the_cdf_everywhere():
    dist = _mixture(n=2000, k=4)
    rng = np.random.default_rng(3)
    q = rng.uniform(size=2000)
    q[:100] = 10.0 ** -rng.uniform(1, 300, 100)
    q[100:200] = 1 - 10.0 ** -rng.uniform(1, 15, 100)
    y = dist.ppf(q)
    lower = q <= 0.5  # compare on the side where the probability is exact
    assert_allclose(dist.logcdf(y)[lower], np.log(q[lower]), rtol=1e-12)
    assert_allclose(dist.logsf(y)[~lower], np.log1p(-q[~lower]), rtol=1e-12)
    # and the other way round, relative to the scale of y
    y = np.random.default_rng(4).normal(0, 6, 2000)
    # ppf(cdf(y)) - y is the rounding of cdf(y) (a few 1e-16 absolute)
    # divided by the density: large only where the cdf is flat
    cdf = dist.cdf(y)
    back, inner = dist.ppf(cdf), (cdf > 0) & (cdf < 1)  # else ±inf
    bound = 1e-14 * np.abs(y) + 1e-15 / dist.pdf(y)
    assert np.all(np.abs(back - y)[inner] <= bound[inner])
    grid = dist.ppf(np.linspace(0.01, 0.99, 50)[:, None])
    assert np.all(np.diff(grid, axis=0) > 0)
    assert_array_equal(dist.ppf(0.0), -np.inf) and assert_array_equal(
        dist.ppf(1), np.inf
    )
    assert np.all(np.isnan(dist.ppf([[-1.0], [2.0], [np.nan]])))
    assert dist.ppf(np.full((7, 1), 0.5)).shape == (7, 2000)


def test_mixture_with_one_component_is_scipys_norm_exactly():
    rng = np.random.default_rng(5)
    loc, scale = rng.normal(0, 3, 6), rng.uniform(0.1, 4, 6)
    dist = NormalMixtureDistribution(np.ones((6, 1)), loc[:, None], scale[:, None])
    norm = stats.norm(loc, scale)
    y = np.linspace(-40, 40, 17)[:, None]
    for method in ("logpdf", "pdf", "cdf", "sf", "logcdf", "logsf"):
        assert_array_equal(getattr(dist, method)(y), getattr(norm, method)(y))
    q = np.r_[1e-300, 1e-10, 0.05, 0.5, 0.7, 1 - 1e-12][:, None]
    assert_array_equal(dist.ppf(q), norm.ppf(q))
    for method in ("mean", "var", "std", "median"):
        assert_array_equal(getattr(dist, method)(), getattr(norm, method)())
    assert_array_equal(dist.interval(0.8), norm.interval(0.8))


def test_mixture_monte_carlo_moments_and_zero_weights():
    # 400 000 draws: sample mean within 5 standard errors sqrt(var/N); the
    # sample variance within 5 of sqrt((μ4 - σ⁴)/N), μ4 by quadrature.
    dist = NormalMixtureDistribution(
        [[0.3, 0.7, 0.0], [0.5, 0.0, 0.5]],
        [[-2, 1, 1e6], [0, 1e6, 5]],
        [[1, 0.5, 1], [2, 1, 1]],
    )
    n_draws = 400_000
    draws = dist.rvs(size=(n_draws, 2), random_state=np.random.default_rng(7))
    assert np.abs(draws).max() < 100  # the zero-weight components at 1e6 never
    mean, var = dist.mean(), dist.var()
    assert np.all(np.abs(draws.mean(axis=0) - mean) < 5 * np.sqrt(var / n_draws))
    for i in range(2):
        row = NormalMixtureDistribution(dist.weights[i], dist.locs[i], dist.scales[i])
        mu4 = integrate.quad(_moment, -60, 60, args=(row, mean[i], 4))[0]
        se = np.sqrt((mu4 - var[i] ** 2) / n_draws)
        assert abs(draws[:, i].var() - var[i]) < 5 * se


# -------------------------------------------------------- both classes


@pytest.mark.parametrize("make", [_zip, _mixture])
def test_rvs_shapes_random_states_and_pickling(make):
    dist = make()
    n = dist.mean().shape[0]
    assert dist.rvs().shape == (n,)
    assert dist.rvs(size=n).shape == (n,)
    assert dist.rvs(size=(4, n)).shape == (4, n)
    with pytest.raises(ValueError, match="size"):
        dist.rvs(size=3)
    assert_array_equal(dist.rvs(random_state=3), dist.rvs(random_state=3))
    assert dist.rvs(random_state=np.random.RandomState(0)).shape == (n,)
    clone = pickle.loads(pickle.dumps(dist))
    y, q = np.linspace(-1, 8, 10)[:, None], np.linspace(0, 1, 10)[:, None]
    for method, args in [("cdf", y), ("sf", y), ("ppf", q), ("interval", 0.9)]:
        assert_array_equal(getattr(clone, method)(args), getattr(dist, method)(args))
    assert_array_equal(clone.mean(), dist.mean())
    assert_array_equal(clone.var(), dist.var())
    assert type(dist).__name__ in repr(dist)
    assert all(name in repr(dist) for name in dist.kwds)
    with pytest.raises(ValueError, match="confidence"):
        dist.interval(1.5)
    assert_allclose(dist.std(), np.sqrt(dist.var()))


def test_scalar_parameters_give_scalars():
    zip_ = ZeroInflatedPoissonDistribution(2.0, 0.1)
    mix = NormalMixtureDistribution([0.4, 0.6], [0.0, 3.0], [1.0, 1.0])
    for dist in (zip_, mix):
        assert np.ndim(dist.mean()) == 0 and np.ndim(dist.cdf(1.0)) == 0
        assert np.ndim(dist.ppf(0.3)) == 0 and np.ndim(dist.rvs()) == 0
        assert dist.rvs(size=5).shape == (5,)


@pytest.mark.parametrize(
    ("args", "match"),
    [
        (([1.0, -1.0], 0.5), "rate"),
        (([1.0, np.nan], 0.5), "rate"),
        (([1.0, np.inf], 0.5), "rate"),
        ((1.0, [0.2, 1.5]), "zero_prob"),
        ((1.0, np.nan), "zero_prob"),
        (([1.0, 2.0], [0.1, 0.2, 0.3]), "rate.*zero_prob"),
    ],
)
def test_zip_validates_its_parameters(args, match):
    with pytest.raises(ValueError, match=match):
        ZeroInflatedPoissonDistribution(*args)


@pytest.mark.parametrize(
    ("args", "match"),
    [
        (([[0.5, 0.6]], [[0, 1]], [[1, 1]]), "sum to 1"),
        (([[1.5, -0.5]], [[0, 1]], [[1, 1]]), "weights"),
        (([[0.5, 0.5]], [[0, np.nan]], [[1, 1]]), "locs"),
        (([[0.5, 0.5]], [[0, 1]], [[1, 0]]), "scales"),
        (([[0.5, 0.5]], [[0, 1]], [[1, -np.inf]]), "scales"),
        (([[0.5, 0.5]], [[0, 1, 2]], [[1, 1]]), "weights.*locs.*scales"),
        ((1.0, 0.0, 1.0), "K components"),
    ],
)
def test_mixture_validates_its_parameters(args, match):
    with pytest.raises(ValueError, match=match):
        NormalMixtureDistribution(*args)


# ---------------------------------------------------------- NB2 log-pmf


def _nb2_reference(y, mean, a, prec=80):
    """log-pmf and its 5 derivatives for integer y, in 80-digit decimals.

    For integer y, lgamma(y + r) - lgamma(r) = Σ_(j<y) log(r + j) and
    ψ(y + r) - ψ(r) = Σ 1/(r + j), ψ'(y + r) - ψ'(r) = -Σ 1/(r + j)²: no
    special function, and 80 digits absorb every cancellation for r ≤ 1e20.
    """
    with localcontext() as ctx:
        ctx.prec = prec
        r, m = 1 / Decimal(a), Decimal(mean)
        logp = sum(((r + j).ln() for j in range(y)), Decimal(0))
        logp -= sum((Decimal(j).ln() for j in range(1, y + 1)), Decimal(0))
        logp += r * (r / (r + m)).ln() + y * (m / (r + m)).ln()
        l_r = sum((1 / (r + j) for j in range(y)), Decimal(0))
        l_r += (r / (r + m)).ln() + (m - y) / (r + m)
        l_rr = -sum((1 / (r + j) ** 2 for j in range(y)), Decimal(0))
        l_rr += m / (r * (r + m)) - (m - y) / (r + m) ** 2
        a_ = 1 / r
        return [
            float(v)
            for v in (
                logp,
                (y - m) / (m * (1 + a_ * m)),
                -(r**2) * l_r,
                -y / m**2 + a_ * (1 + a_ * y) / (1 + a_ * m) ** 2,
                -(y - m) / (1 + a_ * m) ** 2,
                2 * r**3 * l_r + r**4 * l_rr,
            )
        ]


def test_nbinom2_equals_scipy_for_moderate_dispersion():
    y = np.arange(0, 120)[:, None, None]
    mean = np.array([0.01, 0.7, 4.0, 60.0])[:, None]
    a = np.array([0.05, 0.3, 1.0, 4.0, 30.0])
    r = 1 / a
    expected = stats.nbinom.logpmf(y, r, r / (r + mean))
    assert_allclose(nbinom2_logpmf(y, mean, a), expected, rtol=1e-12, atol=1e-13)


def test_nbinom2_at_zero_dispersion_is_scipys_poisson_and_tends_to_it():
    y = np.arange(0, 300)[:, None]
    mean = np.array([1e-8, 0.3, 5.0, 200.0])
    poisson = stats.poisson.logpmf(y, mean)
    assert_array_equal(nbinom2_logpmf(y, mean, 0.0), poisson)
    for a in (1e-300, 1e-30, 1e-20):
        assert_allclose(nbinom2_logpmf(y, mean, a), poisson, rtol=2e-16, atol=0)
    # the next term of the expansion: log p - Poisson ≈ a·((y - m)² - y)/2
    a = 1e-9
    shift = nbinom2_logpmf(y, mean, a) - poisson
    first_order = a * ((y - mean) ** 2 - y) / 2
    assert_allclose(shift, first_order, rtol=1e-5, atol=1e-15 * np.abs(poisson).max())


@pytest.mark.parametrize("a", [1e-4, 1e-8, 1e-12])
def test_nbinom2_keeps_the_digits_scipy_loses_at_small_dispersion(a):
    # Measured max relative errors over this grid (scipy 1.17):
    #   dispersion  1e-4     1e-8     1e-12
    #   scipy       4.4e-12  1.9e-7   1.5e-3   (11.4, 6.7, 2.8 correct digits)
    #   sklik       1.0e-15  6.9e-16  5.2e-16
    # scipy forms lgamma(y + r) - lgamma(r) and r·log(r/(r + m)) for
    # r = 1/a: differences of numbers of size r·log r.
    r = 1 / a
    ours, theirs = [], []
    for y in (0, 1, 3, 10, 50):
        for mean in (0.5, 3.0, 20.0):
            ref = _nb2_reference(y, mean, a)[0]
            ours.append(abs(nbinom2_logpmf(y, mean, a) - ref) / abs(ref))
            theirs.append(
                abs(stats.nbinom.logpmf(y, r, r / (r + mean)) - ref) / abs(ref)
            )
    assert max(ours) < 3e-15
    lost = -np.log10(max(theirs))
    assert lost < {1e-4: 13, 1e-8: 8.5, 1e-12: 4.5}[a]  # scipy really loses them


@pytest.mark.parametrize(
    "a", [0.0, 1e-20, 1e-12, 1e-6, 1e-3, 0.05, 0.0999, 0.1001, 0.7, 3.0, 100.0]
)
def test_nbinom2_derivatives_against_an_exact_reference(a):
    ys, means = (0, 1, 2, 5, 17, 80, 400), (0.01, 0.9, 6.0, 150.0)
    for y in ys:
        for mean in means:
            got = [nbinom2_logpmf(y, mean, a)]
            got += [*nbinom2_logpmf_grad(y, mean, a), *nbinom2_logpmf_hess(y, mean, a)]
            if a == 0:  # the Poisson limits
                ref = [
                    stats.poisson.logpmf(y, mean),
                    (y - mean) / mean,
                    ((y - mean) ** 2 - y) / 2,
                    -y / mean**2,
                    -(y - mean),
                    -(y**3) / 3 + y**2 / 2 - y / 6 + y * mean**2 - 2 * mean**3 / 3,
                ]
            else:
                ref = _nb2_reference(y, mean, a)
            # each within 1e-13 of its value or of the size of its terms
            scale = [
                1 + y + mean,
                1,
                (1 + y + mean) ** 2,
                1,
                1 + y + mean,
                (1 + y + mean) ** 3,
            ]
            for g, rv, s in zip(got, ref, scale):
                assert abs(g - rv) <= 1e-13 * abs(rv) + 1e-15 * s, (y, mean, g, rv)


def _central(f, mean, a, h_m, h_a, which):
    """Central differences of f(mean, a) in mean ("m") or dispersion ("a")."""
    if which == "m":
        return (f(mean + h_m, a) - f(mean - h_m, a)) / (2 * h_m)
    return (f(mean, a + h_a) - f(mean, a - h_a)) / (2 * h_a)


def test_nbinom2_derivatives_match_finite_differences_for_real_y():
    rng = np.random.default_rng(0)
    y = np.r_[0.0, 0.3, rng.uniform(0, 40, 40)]
    mean = rng.uniform(0.2, 30, y.size)
    a = 10.0 ** rng.uniform(-4, 1.5, y.size)
    steps = (mean, a, 1e-5 * mean, 1e-5 * a)

    def logp(m, b):
        return nbinom2_logpmf(y, m, b)

    def grad(i):
        return lambda m, b: nbinom2_logpmf_grad(y, m, b)[i]

    # each derivative times its step scale, against an O(h²) = 1e-10 error
    # of the logpmf's size (the central difference's truncation and rounding)
    size = np.abs(logp(mean, a)) + 1
    pairs = [
        (nbinom2_logpmf_grad(y, mean, a)[0] * mean, _central(logp, *steps, "m") * mean),
        (nbinom2_logpmf_grad(y, mean, a)[1] * a, _central(logp, *steps, "a") * a),
    ]
    hess = nbinom2_logpmf_hess(y, mean, a)
    pairs += [
        (hess[0] * mean**2, _central(grad(0), *steps, "m") * mean**2),
        (hess[1] * mean * a, _central(grad(0), *steps, "a") * mean * a),
        (hess[2] * a**2, _central(grad(1), *steps, "a") * a**2),
    ]
    for got, want in pairs:
        assert np.all(np.abs(got - want) <= 1e-6 * np.abs(want) + 1e-8 * size)


@pytest.mark.parametrize("a", [1e-6, 0.05, 2.0])
def test_nbinom2_derivatives_with_one_dispersion_match_row_by_row(a):
    # above 1000 rows with one dispersion the dispersion terms are computed
    # once per distinct count; the result is the same as row by row
    rng = np.random.default_rng(2)
    y = rng.poisson(4.0, 5000).astype(float)
    y[:3] = [0.5, 1e6, -1.0]
    mean = rng.uniform(0.5, 9, 5000)
    whole = [*nbinom2_logpmf_grad(y, mean, a), *nbinom2_logpmf_hess(y, mean, a)]
    for rows in np.array_split(np.arange(5000), 10):  # 500 rows: no shortcut
        part = [*nbinom2_logpmf_grad(y[rows], mean[rows], a)]
        part += [*nbinom2_logpmf_hess(y[rows], mean[rows], a)]
        for w, p in zip(whole, part):
            assert_array_equal(w[rows], p)


def _mp_nb2_logpmf(mpmath, y, mean, a):
    y, r = mpmath.mpf(y), 1 / a
    return (
        mpmath.loggamma(y + r)
        - mpmath.loggamma(r)
        - mpmath.loggamma(y + 1)
        + r * mpmath.log(r / (r + mean))
        + y * mpmath.log(mean / (r + mean))
    )


def test_nbinom2_real_y_against_mpmath():
    mpmath = pytest.importorskip("mpmath")
    cases = [(0.5, 2.0, 1e-9), (3.7, 0.4, 0.2), (12.25, 30.0, 3.0), (2.5, 5.0, 0.06)]
    with mpmath.workdps(60):
        for y, mean, a in cases:
            point = (mpmath.mpf(mean), mpmath.mpf(a))
            ref = _mp_nb2_logpmf(mpmath, y, *point)
            assert nbinom2_logpmf(y, mean, a) == pytest.approx(float(ref), rel=1e-14)
            got = [*nbinom2_logpmf_grad(y, mean, a), *nbinom2_logpmf_hess(y, mean, a)]
            orders = [(1, 0), (0, 1), (2, 0), (1, 1), (0, 2)]
            for g, order in zip(got, orders):
                want = mpmath.diff(partial(_mp_nb2_logpmf, mpmath, y), point, order)
                assert g == pytest.approx(float(want), rel=1e-12)


def test_nbinom2_outside_the_support_and_parameter_space():
    with np.errstate(all="raise"):
        out = nbinom2_logpmf(
            [-1.0, 2.0, 2.0, 0.0, 2.0],
            [1.0, -1.0, 1.0, 0.0, 0.0],
            [0.5, 0.5, -1.0, 0.5, 0.5],
        )
    assert out[0] == -np.inf and np.isnan(out[1]) and np.isnan(out[2])
    assert out[3] == 0.0 and out[4] == -np.inf  # mean 0: all mass at 0
    d_m, d_a = nbinom2_logpmf_grad([-1.0, 0.0], [1.0, 0.0], [0.5, 0.5])
    assert np.isnan(d_m[0]) and np.isnan(d_a[0]) and d_m[1] == -1.0 and d_a[1] == 0.0
    assert nbinom2_logpmf(np.inf, [1.0, 1.0], [0.0, 3.0]).tolist() == [-np.inf] * 2
    assert nbinom2_logpmf(2.0, 1.0, 0.1).ndim == 0


# ------------------------------------------------------------- Bessel


def test_log_bessel_against_scipy_where_finite_and_asymptotics_beyond():
    x = np.geomspace(0.5, 700, 200)  # below, log(i0(x)) itself cancels
    assert_allclose(log_bessel_i0(x), np.log(special.i0(x)), rtol=1e-14)
    x = np.geomspace(1e-3, 700, 200)
    assert_allclose(log_bessel_i1(x[1:]), np.log(special.i1(x[1:])), rtol=1e-14)
    tiny = np.array([1e-300, 1e-100, 1e-8])
    assert_allclose(log_bessel_i0(tiny), tiny**2 / 4, rtol=1e-15)
    assert_allclose(log_bessel_i1(tiny), np.log(tiny / 2), rtol=1e-15)
    big = np.array([1e3, 1e5, 1e10, 1e300])  # where I0, I1 overflow
    inv = 1 / big
    base = big - 0.5 * np.log(2 * np.pi * big)
    i0_series = inv * (1 / 8 + inv * (9 / 128 + inv * 225 / 3072))
    i1_series = -inv * (3 / 8 + inv * (15 / 128 + inv * 315 / 3072))
    assert_allclose(log_bessel_i0(big), base + np.log1p(i0_series), rtol=1e-15)
    assert_allclose(log_bessel_i1(big), base + np.log1p(i1_series), rtol=1e-15)
    with np.errstate(all="raise"):
        assert log_bessel_i1(0.0) == -np.inf and np.isnan(log_bessel_i1(-1.0))
    assert log_bessel_i0(-3.0) == log_bessel_i0(3.0)
    with np.errstate(all="raise"):
        ends = [log_bessel_i0(np.inf), log_bessel_i1(np.inf), bessel_ratio(np.inf)]
        assert ends == [np.inf, np.inf, 1.0]
        assert bessel_ratio_derivative(np.inf) == 0.0


def test_bessel_ratio_and_its_derivative():
    x = np.r_[np.geomspace(1e-3, 700, 300)]
    assert_allclose(bessel_ratio(x), special.i1(x) / special.i0(x), rtol=1e-14)
    assert bessel_ratio(0.0) == 0.0
    assert_allclose(bessel_ratio(np.array([1e-300, 1e-9])), [5e-301, 5e-10], rtol=1e-15)
    big = np.array([1e3, 1e6, 1e100])
    inv = 1 / big  # 1 - A ~ x/2 + x²/8 + x³/8 + 25x⁴/128 + 13x⁵/32 in x = 1/big
    tail = inv * (
        1 / 2 + inv * (1 / 8 + inv * (1 / 8 + inv * (25 / 128 + inv * 13 / 32)))
    )
    assert_allclose(bessel_ratio(big), 1 - tail, rtol=1e-15)
    # derivative: central differences, the Taylor series at 0, the asymptotic series
    x = np.geomspace(0.05, 200, 80)
    h = 1e-5 * x
    fd = (bessel_ratio(x + h) - bessel_ratio(x - h)) / (2 * h)
    assert_allclose(bessel_ratio_derivative(x), fd, rtol=1e-8)
    small = np.array([0.0, 1e-8, 1e-4])
    assert_allclose(bessel_ratio_derivative(small), 0.5 - 3 * small**2 / 16, rtol=1e-15)
    big = np.array([1e3, 1e8, 1e150])  # 1 - A/x - A² cancels completely here
    inv = 1 / big  # A' = Σ n·α_n x^(-n-1), the derivative of the series above
    series = inv**2 * (
        1 / 2 + inv * (1 / 4 + inv * (3 / 8 + inv * (25 / 32 + inv * 65 / 32)))
    )
    assert_allclose(bessel_ratio_derivative(big), series, rtol=1e-12)
    # continuous where the method changes (x = 25), and positive everywhere
    near = np.nextafter(25.0, [0.0, 100.0])
    assert_allclose(*bessel_ratio_derivative(near), rtol=1e-14)
    assert np.all(bessel_ratio_derivative(np.geomspace(1e-3, 1e150, 500)) > 0)


def test_bessel_against_mpmath():
    mpmath = pytest.importorskip("mpmath")
    mpmath.mp.dps = 50
    for x in np.r_[np.geomspace(1e-3, 1e4, 60), 24.99, 25.0, 25.01]:
        i0, i1 = mpmath.besseli(0, x), mpmath.besseli(1, x)
        ratio = i1 / i0
        assert log_bessel_i0(x) == pytest.approx(float(mpmath.log(i0)), rel=2e-15)
        assert log_bessel_i1(x) == pytest.approx(float(mpmath.log(i1)), rel=2e-15)
        assert bessel_ratio(x) == pytest.approx(float(ratio), rel=2e-15)
        deriv = 1 - ratio / x - ratio**2
        assert bessel_ratio_derivative(x) == pytest.approx(float(deriv), rel=3e-15)
