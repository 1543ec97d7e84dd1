"""sklik.metrics.log_score for every family: logpmf if discrete, else logpdf."""

import numpy as np
import pytest
from scipy import stats

from sklik.metrics import log_score


class _Mixture:
    """Two-component normal mixtures, one per row: a duck-typed continuous law."""

    def __init__(self, w, m1, m2):
        self.w, self.m1, self.m2 = (np.asarray(a, float) for a in (w, m1, m2))

    def logpdf(self, y):
        return np.log(
            self.w * stats.norm.pdf(y, self.m1)
            + (1 - self.w) * stats.norm.pdf(y, self.m2)
        )


class _Counts:
    """A duck-typed count law with logpdf too: logpmf makes it discrete."""

    def __init__(self, mu):
        self.mu = np.asarray(mu, float)

    def logpmf(self, y):
        return stats.poisson.logpmf(y, self.mu)

    def logpdf(self, y):  # pragma: no cover - must not be used
        raise AssertionError("a distribution with logpmf is discrete")


@pytest.mark.parametrize(
    "dist, y",
    [
        (stats.gamma([0.5, 2.0, 9.0], scale=[1.0, 3.0, 0.1]), [0.2, 7.0, 0.8]),
        (stats.lognorm([0.5, 2.0, 1.0], scale=[1.0, 3.0, 0.1]), [0.2, 7.0, 0.8]),
        (
            stats.t([1.5, 4.0, 30.0], [0.0, 1.0, -2.0], [1.0, 2.0, 0.5]),
            [3.0, 1.0, -2.2],
        ),
        (stats.laplace([0.0, 1.0, 2.0], [1.0, 0.1, 3.0]), [0.5, 1.0, -4.0]),
        (stats.beta([0.5, 2.0, 9.0], [1.0, 3.0, 0.8]), [0.2, 0.7, 0.99]),
        (stats.expon(scale=[1.0, 3.0, 0.1]), [0.2, 7.0, 0.8]),
        (stats.nbinom([0.5, 2.0, 9.0], [0.1, 0.5, 0.9]), [0, 7, 1]),
        (stats.binom(10, [0.1, 0.5, 0.9]), [0, 7, 10]),
        (_Mixture([0.3, 0.5, 0.9], [0.0, 1.0, 2.0], [3.0, -1.0, 0.0]), [0.2, 7.0, 0.8]),
        (_Counts([0.5, 2.0, 4.0]), [0, 3, 1]),
    ],
    ids=[
        "gamma",
        "lognorm",
        "t",
        "laplace",
        "beta",
        "expon",
        "nbinom",
        "binom",
        "mixture",
        "duck-counts",
    ],
)
def test_log_score_of_any_family(dist, y):
    y = np.asarray(y)
    log_p = dist.logpmf(y) if hasattr(dist, "logpmf") else dist.logpdf(y)
    np.testing.assert_allclose(log_score(y, dist), -np.mean(log_p), rtol=1e-14)
    sw = np.array([1.0, 0.0, 2.0])
    np.testing.assert_allclose(
        log_score(y, dist, sample_weight=sw), -np.average(log_p, weights=sw), rtol=1e-14
    )


def test_log_score_of_von_mises_angles_is_periodic():
    dist = stats.vonmises([0.5, 4.0, 30.0], loc=[0.0, 3.0, -2.0])
    y = np.array([1.0, -3.0, -1.9])
    base = log_score(y, dist)
    np.testing.assert_allclose(base, -np.mean(dist.logpdf(y)), rtol=1e-14)
    for turns in (-3, 1, 4):
        np.testing.assert_allclose(
            log_score(y + 2 * np.pi * turns, dist), base, rtol=1e-12
        )


def test_log_score_outside_the_support_is_infinite():
    assert log_score([-1.0], stats.gamma(2.0)) == np.inf
    assert log_score([2.5], stats.poisson(2.0)) == np.inf
