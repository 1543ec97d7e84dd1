"""sklik.metrics calibration: the PIT, and interval coverage for any family."""

import numpy as np
import pytest
from scipy import stats

from sklik.distributions import LabelDistribution
from sklik.metrics import interval_coverage, mean_interval_width, pit


class ZeroInflatedPoisson:
    """A structural zero with probability pi, else Poisson(rate); vectorised."""

    def __init__(self, rate, pi):
        self.rate, self.pi = np.asarray(rate, float), np.asarray(pi, float)

    def cdf(self, y):
        y = np.asarray(y, float)
        inner = self.pi + (1 - self.pi) * stats.poisson.cdf(y, self.rate)
        return np.where(y < 0, 0.0, inner)

    def logpmf(self, y):
        y = np.asarray(y, float)
        zero = np.log(self.pi + (1 - self.pi) * np.exp(-self.rate))
        return np.where(
            y == 0, zero, np.log1p(-self.pi) + stats.poisson.logpmf(y, self.rate)
        )

    def rvs(self, random_state):
        rng = np.random.RandomState(random_state)
        counts = rng.poisson(self.rate)
        return np.where(rng.uniform(size=counts.shape) < self.pi, 0, counts)


N = 20_000
_RNG = np.random.RandomState(0)
_MU = _RNG.uniform(0.2, 8.0, size=N)

CALIBRATED = {
    "gamma": stats.gamma(_RNG.uniform(0.3, 5, size=N), scale=_MU),
    "lognorm": stats.lognorm(_RNG.uniform(0.1, 2, size=N), scale=_MU),
    "t": stats.t(_RNG.uniform(1.5, 10, size=N), loc=_MU),
    "poisson": stats.poisson(_MU),
    "nbinom": stats.nbinom(2.0, 2.0 / (2.0 + _MU)),
    "zip": ZeroInflatedPoisson(_MU, 0.3),
}


@pytest.mark.parametrize("name", sorted(CALIBRATED))
def test_pit_is_uniform_when_y_comes_from_the_prediction(name):
    dist = CALIBRATED[name]
    y = dist.rvs(random_state=1)
    u = pit(y, dist, random_state=2)
    assert u.shape == (N,)
    assert np.all((u >= 0) & (u <= 1))
    assert stats.kstest(u, "uniform").pvalue > 1e-3
    # a miscalibrated prediction (too narrow, or too low) is caught
    if name in ("gamma", "poisson"):
        wrong = (
            stats.gamma(4.0, scale=_MU / 4)
            if name == "gamma"
            else stats.poisson(_MU * 0.8)
        )
        assert stats.kstest(pit(y, wrong, random_state=2), "uniform").pvalue < 1e-6


def test_pit_of_a_continuous_distribution_is_its_cdf():
    dist = stats.gamma([0.5, 2.0, 9.0], scale=[1.0, 3.0, 0.1])
    y = np.array([0.2, 7.0, 0.8])
    np.testing.assert_array_equal(pit(y, dist), dist.cdf(y))
    # random_state is not used
    np.testing.assert_array_equal(pit(y, dist, random_state=0), pit(y, dist))


def test_randomised_pit_of_counts_lies_between_the_steps():
    dist = stats.nbinom([1.0, 5.0, 0.5, 3.0], [0.3, 0.5, 0.1, 0.9])
    y = np.array([0, 4, 13, 2])
    u = pit(y, dist, random_state=0)
    assert np.all(dist.cdf(y - 1) <= u) and np.all(u <= dist.cdf(y))
    assert np.all(u > dist.cdf(y - 1))  # uniform draws are almost surely inside
    np.testing.assert_array_equal(u, pit(y, dist, random_state=0))
    assert not np.array_equal(u, pit(y, dist, random_state=1))
    # an impossible value (here a non-integer count) gets F(y), not a draw
    np.testing.assert_array_equal(
        pit([2.5], stats.poisson(2.0), random_state=0), stats.poisson.cdf(2, 2.0)
    )
    # duck-typed discrete distributions (logpmf) are randomised too
    zip_ = ZeroInflatedPoisson([1.0, 2.0], [0.5, 0.5])
    v = pit([0, 3], zip_, random_state=0)
    assert 0 <= v[0] <= zip_.cdf(0)[0] and zip_.cdf(2)[1] <= v[1] <= zip_.cdf(3)[1]


def test_pit_of_von_mises_reads_the_turn_around_the_location():
    dist = stats.vonmises([1.0, 8.0], loc=[0.5, -3.0])
    y = np.array([0.2, 3.0])
    u = pit(y, dist)
    for turns in (-3, 1, 2):
        np.testing.assert_allclose(pit(y + 2 * np.pi * turns, dist), u, atol=1e-12)
    # within the turn (loc - π, loc + π], scipy's cdf itself; 3.0 lies in the
    # turn around -3.0 as 3.0 - 2π
    np.testing.assert_allclose(u, dist.cdf([0.2, 3.0 - 2 * np.pi]), atol=1e-12)
    draws = stats.vonmises(2.0, loc=3.0).rvs(size=N, random_state=0)
    assert (
        stats.kstest(pit(draws, stats.vonmises(2.0, loc=3.0)), "uniform").pvalue > 1e-3
    )


def test_pit_of_several_outputs():
    gamma = stats.gamma([1.0, 2.0], scale=2.0)
    poisson = stats.poisson([1.0, 4.0])
    Y = np.array([[0.5, 0], [3.0, 6]])
    u = pit(Y, [gamma, poisson], random_state=0)
    assert u.shape == (2, 2)
    np.testing.assert_array_equal(u[:, 0], gamma.cdf(Y[:, 0]))
    both = stats.norm(np.zeros((2, 2)), 1.0)
    np.testing.assert_array_equal(pit(Y, both), both.cdf(Y))


def test_pit_rejects_labels_and_mismatched_shapes():
    labels = LabelDistribution(np.log([[0.5, 0.5]]), ["a", "b"])
    with pytest.raises(TypeError, match="no order"):
        pit(["a"], labels)
    with pytest.raises(ValueError, match="shapes must agree"):
        pit(np.zeros((3, 1)), stats.gamma(np.ones(3)))
    with pytest.raises(ValueError, match="shape"):
        pit(np.zeros((3, 1)), [stats.norm(), stats.norm()])


# -- interval coverage and width, any family -------------------------------------
@pytest.mark.parametrize("level", [0.5, 0.9])
def test_interval_coverage_of_a_gamma(level):
    dist = CALIBRATED["gamma"]
    y = dist.rvs(random_state=3)
    lo, hi = dist.interval(level)
    coverage = interval_coverage(y, lo, hi)
    assert abs(coverage - level) < 4 * np.sqrt(level * (1 - level) / N)
    assert mean_interval_width(lo, hi) == pytest.approx(np.mean(hi - lo), rel=1e-12)
    assert mean_interval_width(lo, hi) > 0


@pytest.mark.parametrize("level", [0.5, 0.9])
def test_interval_coverage_of_a_poisson(level):
    """scipy's closed intervals of counts cover at least their level."""
    dist = CALIBRATED["poisson"]
    y = dist.rvs(random_state=4)
    lo, hi = dist.interval(level)
    exact = np.mean(dist.cdf(hi) - dist.cdf(lo - 1))  # Pr(lo <= Y <= hi)
    assert exact >= level
    coverage = interval_coverage(y, lo, hi)
    assert abs(coverage - exact) < 4 * np.sqrt(exact * (1 - exact) / N)
    assert mean_interval_width(lo, hi) == pytest.approx(np.mean(hi - lo), rel=1e-12)
    # a count interval can be a single value: width 0, still covering it
    assert interval_coverage([0], *stats.poisson(0.01).interval(0.9)) == 1.0
