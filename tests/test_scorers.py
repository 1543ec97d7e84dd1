"""sklik.metrics scorers on estimators of any family, bare and in pipelines."""

import numpy as np
import pytest
from scipy import stats
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.datasets import load_diabetes
from sklearn.linear_model import BayesianRidge
from sklearn.model_selection import cross_validate
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import sklik.metrics
from sklik.metrics import (
    crps,
    crps_normal,
    interval_coverage,
    interval_score,
    log_score,
    make_coverage_scorer,
    make_interval_scorer,
    neg_crps_scorer,
    neg_nll_scorer,
    pit,
)


class _FamilyRegressor(RegressorMixin, BaseEstimator):
    """A regressor whose predict_dist is a gamma or a Poisson (hardly fitted)."""

    def __init__(self, family="gamma"):
        self.family = family

    def fit(self, X, y, sample_weight=None):
        self.level_ = float(np.mean(y))
        self.n_features_in_ = np.shape(X)[1]
        return self

    def predict_dist(self, X):
        mean = self.level_ * np.exp(0.3 * np.asarray(X)[:, 0])
        if self.family == "gamma":
            return stats.gamma(2.0, scale=mean / 2.0)
        return stats.poisson(mean)

    def predict(self, X, return_std=False):
        dist = self.predict_dist(X)
        return (dist.mean(), dist.std()) if return_std else dist.mean()


def _family_data(family, n=400, seed=0):
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(n, 2)) * [1.0, 3.0] + [0.0, 5.0]
    mean = 3.0 * np.exp(0.3 * X[:, 0])
    y = rng.gamma(2.0, mean / 2.0) if family == "gamma" else rng.poisson(mean)
    return X, y


@pytest.mark.parametrize("family", ["gamma", "poisson"])
def test_scorers_score_any_family_through_predict_dist(family):
    X, y = _family_data(family)
    sw = np.random.RandomState(1).uniform(0, 2, size=len(y))
    reg = _FamilyRegressor(family).fit(X, y)
    dist = reg.predict_dist(X)
    # a pipeline ending in an estimator with predict_dist is scored by it, at X
    # transformed by the steps before (a Normal from predict(return_std=True)
    # would misread a gamma or a Poisson)
    pipe = make_pipeline(StandardScaler(), _FamilyRegressor(family)).fit(X, y)
    pipe_dist = pipe[-1].predict_dist(pipe[:-1].transform(X))
    for model, expected in [(reg, dist), (pipe, pipe_dist)]:
        np.testing.assert_allclose(
            neg_crps_scorer(model, X, y, sample_weight=sw),
            -crps(y, expected, sample_weight=sw),
            rtol=1e-12,
        )
        np.testing.assert_allclose(
            neg_nll_scorer(model, X, y), -log_score(y, expected), rtol=1e-12
        )
        np.testing.assert_allclose(
            make_interval_scorer(0.8)(model, X, y),
            -interval_score(y, *expected.interval(0.8), confidence=0.8),
            rtol=1e-12,
        )
        np.testing.assert_allclose(
            make_coverage_scorer(0.8)(model, X, y),
            -abs(interval_coverage(y, *expected.interval(0.8)) - 0.8),
            rtol=1e-12,
        )
    normal = stats.norm(*pipe.predict(X, return_std=True))
    assert neg_crps_scorer(pipe, X, y) != -crps(y, normal)
    # in model selection
    res = cross_validate(
        _FamilyRegressor(family), X, y, cv=3, scoring={"crps": neg_crps_scorer}
    )
    assert np.all(np.isfinite(res["test_crps"])) and np.all(res["test_crps"] < 0)


def test_crps_scorer_keeps_the_normal_path_of_other_libraries():
    X, y = load_diabetes(return_X_y=True)
    br = BayesianRidge().fit(X, y)
    mean, std = br.predict(X, return_std=True)
    np.testing.assert_allclose(
        neg_crps_scorer(br, X, y), -crps_normal(y, mean, std), rtol=1e-12
    )
    pipe = make_pipeline(StandardScaler(), BayesianRidge()).fit(X, y)
    mean, std = pipe.predict(X, return_std=True)
    np.testing.assert_allclose(
        neg_crps_scorer(pipe, X, y), -crps_normal(y, mean, std), rtol=1e-12
    )


def test_the_package_exports_crps_and_pit():
    assert {"crps", "pit"} <= set(sklik.metrics.__all__)
    assert sklik.metrics.crps is crps and sklik.metrics.pit is pit


class _AngleRegressor(RegressorMixin, BaseEstimator):
    """Predicts a von Mises around a fixed direction near π (hardly fitted)."""

    def fit(self, X, y):
        self.n_features_in_ = np.shape(X)[1]
        return self

    def predict_dist(self, X):
        n = np.shape(X)[0]
        return stats.vonmises(np.full(n, 4.0), loc=np.full(n, 3.0))


def test_interval_scorers_read_angles_in_the_turn_around_the_location():
    # (few samples: scipy's vonmises.interval is a root search per value)
    rng = np.random.RandomState(0)
    X = rng.normal(size=(100, 1))
    angles = stats.vonmises(4.0, loc=3.0).rvs(size=100, random_state=1)
    in_turn = 3.0 + np.pi - np.mod(3.0 + np.pi - angles, 2 * np.pi)
    reg = _AngleRegressor().fit(X, angles)
    dist = reg.predict_dist(X)
    lo, hi = dist.interval(0.8)
    expected = -abs(interval_coverage(in_turn, lo, hi) - 0.8)
    # the same angles given in (-π, π] or in [0, 2π): the same scores
    for y in (np.mod(angles + np.pi, 2 * np.pi) - np.pi, np.mod(angles, 2 * np.pi)):
        np.testing.assert_allclose(make_coverage_scorer(0.8)(reg, X, y), expected)
        np.testing.assert_allclose(
            make_interval_scorer(0.8)(reg, X, y),
            -interval_score(in_turn, lo, hi, confidence=0.8),
        )
        np.testing.assert_allclose(neg_crps_scorer(reg, X, y), -crps(in_turn, dist))
        np.testing.assert_allclose(neg_nll_scorer(reg, X, y), -log_score(in_turn, dist))
    assert abs(expected) < 0.2  # 0.8 ± 4 standard errors
