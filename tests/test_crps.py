"""sklik.metrics.crps: closed forms against the integral, the integral against quad."""

import numpy as np
import pytest
from scipy import integrate, stats

from sklik.distributions import LabelDistribution
from sklik.metrics import crps, crps_normal


# -- distributions behind sklik's duck-typed interface (no closed form applies) -
class OpaqueContinuous:
    """A frozen scipy distribution seen only through cdf, ppf, mean and logpdf."""

    def __init__(self, dist):
        self._dist = dist

    def cdf(self, x):
        return self._dist.cdf(x)

    def ppf(self, q):
        return self._dist.ppf(q)

    def mean(self):
        return self._dist.mean()

    def logpdf(self, x):
        return self._dist.logpdf(x)


class OpaqueWithSupport(OpaqueContinuous):
    def support(self):
        return self._dist.support()


class OpaqueDiscrete(OpaqueContinuous):
    def logpmf(self, x):
        return self._dist.logpmf(x)


class ZeroInflatedPoisson:
    """A structural zero with probability pi, else Poisson(rate); vectorised."""

    def __init__(self, rate, pi):
        self.rate, self.pi = np.asarray(rate, float), np.asarray(pi, float)

    def cdf(self, y):
        y = np.asarray(y, float)
        inner = self.pi + (1 - self.pi) * stats.poisson.cdf(y, self.rate)
        return np.where(y < 0, 0.0, inner)

    def ppf(self, q):
        q = np.asarray(q, float)
        p0 = self.pi + (1 - self.pi) * np.exp(-self.rate)
        rescaled = np.clip((q - self.pi) / (1 - self.pi), 0.0, 1.0)
        return np.where(q <= p0, 0.0, stats.poisson.ppf(rescaled, self.rate))

    def logpmf(self, y):
        y = np.asarray(y, float)
        zero = np.log(self.pi + (1 - self.pi) * np.exp(-self.rate))
        return np.where(
            y == 0, zero, np.log1p(-self.pi) + stats.poisson.logpmf(y, self.rate)
        )

    def mean(self):
        return (1 - self.pi) * self.rate


class NormalMixture:
    """Mixtures of normals, one per row: weights, locs, scales of shape (n, K)."""

    def __init__(self, weights, locs, scales):
        self.w, self.m, self.s = (np.asarray(a, float) for a in (weights, locs, scales))

    def cdf(self, z):
        z = np.asarray(z, float)[..., None]
        return np.sum(self.w * stats.norm.cdf(z, self.m, self.s), axis=-1)

    def ppf(self, q):
        q = np.asarray(q, float)
        shape = np.broadcast_shapes(q.shape, self.w.shape[:-1])
        lo = np.broadcast_to(np.min(self.m - 40 * self.s, -1), shape)
        hi = np.broadcast_to(np.max(self.m + 40 * self.s, -1), shape)
        q = np.broadcast_to(q, shape)
        for _ in range(100):  # bisection to rounding
            mid = 0.5 * (lo + hi)
            below = self.cdf(mid) < q
            lo, hi = np.where(below, mid, lo), np.where(below, hi, mid)
        return 0.5 * (lo + hi)

    def logpdf(self, z):
        z = np.asarray(z, float)[..., None]
        return np.log(np.sum(self.w * stats.norm.pdf(z, self.m, self.s), axis=-1))

    def mean(self):
        return np.sum(self.w * self.m, axis=-1)


def _mixture_crps(y, w, m, s):
    """Grimit, Gneiting, Berrocal & Johnson (2006): the CRPS of a normal mixture."""

    def a(mu, var):
        sd = np.sqrt(var)
        return mu * (2 * stats.norm.cdf(mu / sd) - 1) + 2 * sd * stats.norm.pdf(mu / sd)

    first = np.sum(w * a(y[:, None] - m, s**2), axis=1)
    pairs = w[:, :, None] * w[:, None, :]
    second = pairs * a(
        m[:, :, None] - m[:, None, :], s[:, :, None] ** 2 + s[:, None, :] ** 2
    )
    return first - 0.5 * np.sum(second, axis=(1, 2))


def _quad_crps(cdf, y, lower=-np.inf, upper=np.inf):
    """∫ (F(z) - 1{z >= y})² dz by scipy.integrate.quad, split at y.

    (quad visits the far tails, where scipy's genextreme cdf overflows to 0.)
    """
    with np.errstate(over="ignore"):
        return _quad_split(cdf, y, lower, upper)


def _quad_split(cdf, y, lower, upper):
    below, _ = integrate.quad(lambda z: cdf(z) ** 2, lower, y, epsabs=1e-13, limit=500)
    above, _ = integrate.quad(
        lambda z: (1 - cdf(z)) ** 2, y, upper, epsabs=1e-13, limit=500
    )
    return below + above


def _per_row(y, dist):
    """The CRPS of each row (crps averages; score the rows one at a time)."""
    n = len(y)
    weights = np.eye(n)
    return np.array([crps(y, dist, sample_weight=weights[i]) for i in range(n)])


def _observations(dist):
    """Quantiles from far below to far above the distribution, one per row."""
    levels = np.array([1e-9, 1e-3, 0.1, 0.5, 0.9, 0.999, 1 - 1e-9])
    q = dist.ppf(levels[:, None])
    spread = dist.ppf(0.9) - dist.ppf(0.1)
    return np.vstack([q, q[3] - 30 * spread, q[3] + 30 * spread])


# -- closed forms against the integral ------------------------------------------
CLOSED_FORM_CASES = {
    "norm": stats.norm([0.0, 1e3, -5.0], [1.0, 1e-3, 40.0]),
    "laplace": stats.laplace([0.0, 3.0], [1.0, 0.01]),
    "logistic": stats.logistic([0.0, -2.0], [1.0, 7.0]),
    "t": stats.t(
        [1.05, 1.5, 3.0, 30.0, 1e6], [0.0, 2.0, 0.0, 1.0, 0.0], [1, 3, 1, 0.1, 1]
    ),
    "expon": stats.expon([0.0, 2.0, 0.0], [1.0, 0.1, 1e4]),
    "gamma": stats.gamma(
        [0.05, 0.3, 5.0, 500.0, 2.0], [0, 0, 0, 0, -1], [3, 1, 2, 0.01, 1]
    ),
    "lognorm": stats.lognorm([0.01, 0.5, 2.0, 3.0], 0.0, [100.0, 1.0, 3.0, 1.0]),
    "uniform": stats.uniform([0.0, -3.0], [1.0, 10.0]),
    "beta": stats.beta(
        [0.05, 0.5, 2.0, 0.1, 100.0, 2.0],
        [0.05, 0.5, 5.0, 3.0, 200.0, 3.0],
        [0, 0, 0, 0, 0, 1],
        [1, 1, 1, 1, 1, 4],
    ),
}


@pytest.mark.parametrize("name", sorted(CLOSED_FORM_CASES))
def test_closed_forms_equal_the_numerical_integral(name):
    dist = CLOSED_FORM_CASES[name]
    assert dist.dist.name == name
    for y in _observations(dist):
        exact = _per_row(y, dist)
        numerical = _per_row(y, OpaqueContinuous(dist))
        np.testing.assert_allclose(numerical, exact, rtol=1e-8)
        np.testing.assert_allclose(
            _per_row(y, OpaqueWithSupport(dist)), exact, rtol=1e-8
        )


@pytest.mark.parametrize(
    "dist",
    [
        stats.poisson([0.01, 0.5, 3.0, 40.0, 400.0]),
        stats.poisson(3.0, loc=-2),
        stats.nbinom([0.5, 2.0, 0.01, 50.0, 1e4], [0.01, 0.3, 0.02, 0.9, 0.999]),
        # n >= 100: hyp2f1 through Pfaff's transformation
        stats.nbinom([150.0, 500.0, 3000.0, 1e5], [0.6, 0.05, 0.9, 0.3]),
    ],
    ids=["poisson", "poisson-loc", "nbinom", "nbinom-large-n"],
)
def test_discrete_closed_forms_equal_the_exact_sum(dist):
    shape = np.shape(np.atleast_1d(dist.mean()))
    for y in [np.zeros(shape), *np.floor(_observations(dist)), dist.mean() + 0.5]:
        y = np.broadcast_to(y, shape)
        np.testing.assert_allclose(
            _per_row(y, OpaqueDiscrete(dist)), _per_row(y, dist), rtol=1e-8
        )


# -- the numerical integral and sums against independent computations ----------
@pytest.mark.parametrize(
    "family, params",
    [
        (stats.weibull_min, dict(c=[0.7, 1.5, 4.0], scale=[1.0, 2.0, 0.5])),
        (stats.skewnorm, dict(a=[-4.0, 0.5, 10.0], loc=[0, 1, -3], scale=[1, 0.2, 5])),
        (stats.gennorm, dict(beta=[0.6, 1.0, 8.0], loc=[0.0, 1.0, 2.0])),
        (stats.genextreme, dict(c=[-0.3, 0.0, 0.4])),
    ],
    ids=lambda v: getattr(v, "name", ""),
)
def test_numerical_integral_matches_quad(family, params):
    dist = family(**{k: np.array(v, dtype=float) for k, v in params.items()})
    y = dist.ppf([0.03, 0.5, 0.98])
    expected = []
    for i in range(3):
        row = family(**{k: v[i] for k, v in params.items()})
        expected.append(_quad_crps(row.cdf, y[i], *row.support()))
    np.testing.assert_allclose(_per_row(y, dist), expected, rtol=1e-7)


def test_normal_mixture_by_quadrature_equals_its_closed_form():
    rng = np.random.RandomState(0)
    n, k = 40, 3
    w = rng.dirichlet(np.ones(k), size=n)
    m = rng.normal(scale=5, size=(n, k))
    s = rng.uniform(0.05, 3, size=(n, k))
    mix = NormalMixture(w, m, s)
    y = np.concatenate([rng.normal(scale=6, size=n - 2), [-80.0, 300.0]])
    per_row = _mixture_crps(y, w, m, s)
    np.testing.assert_allclose(_per_row(y, mix), per_row, rtol=1e-9)
    # far-apart narrow components: the adaptive panels still find them
    w2, m2, s2 = np.array([[0.37, 0.63]]), np.array([[0.0, 1e3]]), np.array([[1, 1e-3]])
    for y2 in [-5.0, 0.0, 500.0, 999.999, 1000.5]:
        np.testing.assert_allclose(
            crps([y2], NormalMixture(w2, m2, s2)),
            _mixture_crps(np.array([y2]), w2, m2, s2),
            rtol=1e-6,
        )


def _brute_force_sum(dist, y, lo=-100, hi=5000):
    """∫ (F(z) - 1{z >= y})² dz for a distribution on the integers, term by term."""
    k = np.arange(lo, hi)
    step = dist.cdf(k)
    below = np.clip(y - k, 0, 1)  # the part of [k, k + 1) below y
    return np.sum(below * step**2 + (1 - below) * (1 - step) ** 2) + max(lo - y, 0)


@pytest.mark.parametrize(
    "dist",
    [
        stats.binom(10, 0.3),
        stats.geom(0.2),
        stats.skellam(3, 5),
        stats.betabinom(20, 0.5, 0.7),
        stats.bernoulli(0.3),
        stats.poisson(4.0),
        ZeroInflatedPoisson(2.5, 0.3),
    ],
    ids=lambda d: getattr(getattr(d, "dist", None), "name", type(d).__name__),
)
def test_discrete_sums_match_brute_force(dist):
    for y in [-3.0, 0.0, 1.0, 2.5, 7.0, 60.0]:
        np.testing.assert_allclose(
            crps([y], dist), _brute_force_sum(dist, y), rtol=1e-10
        )
    if isinstance(dist, ZeroInflatedPoisson):
        return
    y = np.array([0.0, 2.0, 5.0])  # vectorised, through the generic sum
    expected = [_brute_force_sum(dist, v) for v in y]
    np.testing.assert_allclose(_per_row(y, OpaqueDiscrete(dist)), expected, rtol=1e-10)


def test_bernoulli_crps_is_half_the_brier_score():
    p = np.array([0.1, 0.5, 0.8])
    y = np.array([0.0, 1.0, 1.0])
    np.testing.assert_allclose(crps(y, stats.bernoulli(p)), np.mean((p - y) ** 2))


def test_zero_inflated_poisson_vectorised():
    rate, pi = np.array([0.5, 3.0, 10.0]), np.array([0.0, 0.4, 0.9])
    dist = ZeroInflatedPoisson(rate, pi)
    y = np.array([0.0, 4.0, 12.0])
    expected = [
        _brute_force_sum(ZeroInflatedPoisson(r, q), v) for r, q, v in zip(rate, pi, y)
    ]
    np.testing.assert_allclose(_per_row(y, dist), expected, rtol=1e-10)
    # no inflation: the Poisson's closed form
    np.testing.assert_allclose(
        crps(y, ZeroInflatedPoisson(rate, 0.0)),
        crps(y, stats.poisson(rate)),
        rtol=1e-10,
    )


# -- von Mises ---------------------------------------------------------------
def test_von_mises_integrates_over_the_turn_around_its_location():
    kappa, loc = np.array([0.5, 2.0, 50.0]), np.array([0.3, -2.8, 3.0])
    dist = stats.vonmises(kappa, loc=loc)
    y = np.array([2.0, 3.0, -3.1])
    # the same angles in the turn (loc - π, loc + π]
    wrapped = loc + np.pi - np.mod(loc + np.pi - y, 2 * np.pi)
    expected = [
        _quad_crps(
            lambda z, i=i: (
                stats.vonmises.cdf(z, kappa[i], loc=loc[i])
                - stats.vonmises.cdf(loc[i] - np.pi, kappa[i], loc=loc[i])
            ),
            wrapped[i],
            loc[i] - np.pi,
            loc[i] + np.pi,
        )
        for i in range(3)
    ]
    np.testing.assert_allclose(_per_row(y, dist), expected, rtol=1e-8)
    # periodic in y; the same as scipy's von Mises on a line around loc
    for turns in (-2, 1, 5):
        np.testing.assert_allclose(
            _per_row(y + 2 * np.pi * turns, dist), expected, rtol=1e-8
        )
    line = stats.vonmises_line(kappa, loc=loc)
    np.testing.assert_allclose(_per_row(wrapped, line), expected, rtol=1e-8)
    # concentrated: close to the normal with sd 1/sqrt(kappa)
    np.testing.assert_allclose(
        crps([0.1], stats.vonmises(1e4, loc=0.0)),
        crps_normal([0.1], [0.0], [1e-2]),
        rtol=1e-3,
    )


# -- conventions ---------------------------------------------------------------
def test_crps_equals_crps_normal_for_normals_and_keeps_its_conventions():
    rng = np.random.RandomState(0)
    mu, sigma = rng.normal(size=8), rng.uniform(0.1, 3, size=8)
    y, sw = rng.normal(size=8), rng.uniform(0, 2, size=8)
    dist = stats.norm(mu, sigma)
    assert crps(y, dist, sample_weight=sw) == crps_normal(
        y, mu, sigma, sample_weight=sw
    )
    # scale 0: the absolute error, as crps_normal
    assert crps(y, stats.norm(mu, 0.0)) == np.mean(np.abs(y - mu))
    # several outputs: summed per sample; a list of distributions: the same
    Y = np.column_stack([y, 2 * y])
    both = stats.norm(np.column_stack([mu, mu]), np.column_stack([sigma, sigma]))
    np.testing.assert_allclose(
        crps(Y, both), crps(y, dist) + crps(2 * y, dist), rtol=1e-12
    )
    np.testing.assert_allclose(
        crps(Y, [dist, stats.gamma(2.0, scale=sigma)]),
        crps(y, dist) + crps(2 * y, stats.gamma(2.0, scale=sigma)),
        rtol=1e-12,
    )


def test_crps_is_proper_for_a_gamma_and_a_count():
    y = stats.gamma.ppf((np.arange(4000) + 0.5) / 4000, 2.0, scale=1.5)
    truth = crps(y, stats.gamma(2.0, scale=1.5))
    for a, scale in [(2.0, 1.7), (2.0, 1.3), (2.5, 1.5), (1.6, 1.875)]:
        assert crps(y, stats.gamma(a, scale=scale)) > truth
    counts = np.repeat(
        np.arange(30),
        np.round(4000 * stats.poisson.pmf(np.arange(30), 3.0)).astype(int),
    )
    truth = crps(counts, stats.poisson(3.0))
    for mu in (2.7, 3.3):
        assert crps(counts, stats.poisson(mu)) > truth
        assert crps(counts, stats.nbinom(30, 30 / (30 + mu))) > truth


def test_infinite_mean_gives_infinite_crps():
    assert crps([0.0], stats.t(1.0)) == np.inf
    assert crps([0.0], stats.t(0.8)) == np.inf
    assert crps([0.0], OpaqueContinuous(stats.cauchy())) == np.inf
    assert crps([1.0, 2.0], stats.t([1.0, 3.0])) == np.inf
    # discrete: zipf(1.5) has no mean (and its far quantiles are not asked for)
    assert crps([1.0, 3.0], stats.zipf([1.5, 4.0])) == np.inf
    # a sample of weight zero does not count
    finite = crps([2.0], stats.t(3.0))
    assert crps([1.0, 2.0], stats.t([1.0, 3.0]), sample_weight=[0, 1]) == finite


def test_crps_rejects_what_it_cannot_score():
    labels = LabelDistribution(np.log([[0.2, 0.8]]), ["a", "b"])
    with pytest.raises(TypeError, match="brier_score"):
        crps(["a"], labels)
    with pytest.raises(TypeError, match="cdf"):
        crps([0.0], object())
    with pytest.raises(ValueError, match="shapes must agree"):
        crps(np.zeros((3, 1)), stats.gamma(np.ones(3)))
    with pytest.raises(ValueError, match="shapes must agree"):
        crps(np.zeros((3, 1)), OpaqueContinuous(stats.gamma(np.ones(3))))
    with pytest.raises(ValueError, match="scale must be positive"):
        crps([1.0], stats.gamma(2.0, scale=-1.0))
    with pytest.raises(ValueError, match="NaN"):
        crps([np.nan], stats.gamma(2.0))
    with pytest.raises(ValueError, match="shape"):
        crps(np.zeros((2, 1)), [stats.norm(), stats.norm()])
