"""predict_dist agrees with nll; heteroscedastic intervals are calibrated."""

import pickle

import numpy as np
import pytest

from sklik import (
    BernoulliNLLClassifier,
    CategoricalNLLClassifier,
    GaussianNLLRegressor,
    MultiOutputNLL,
)
from sklik.distributions import LabelDistribution
from sklik.metrics import interval_coverage


def _data(seed=0, n=300):
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(n, 3)) * [1.0, 2.0, 0.5] + [0.0, 1.0, -3.0]
    lin = X @ [0.7, -0.4, 1.5] + 4.0
    y_real = lin + np.exp(0.4 * X[:, 0]) * rng.normal(size=n)
    y_bin = np.where(lin - 4.0 + rng.logistic(size=n) > 0, "yes", "no")
    score = lin - 4.0 + rng.logistic(size=n)
    y_cat = np.array([10, 20, 30])[np.digitize(score, [-1.0, 1.0])]
    sw = rng.uniform(0.0, 3.0, size=n)
    sw[:10] = 0.0
    return X, y_real, y_bin, y_cat, sw


def _fitted(name):
    X, y_real, y_bin, y_cat, sw = _data()
    if name == "gaussian":
        return GaussianNLLRegressor().fit(X, y_real, sw), X, y_real
    if name == "gaussian-hetero":
        est = GaussianNLLRegressor(heteroscedastic=True).fit(X, y_real, sw)
        return est, X, y_real
    if name == "bernoulli":
        return BernoulliNLLClassifier(alpha=1e-3).fit(X, y_bin, sw), X, y_bin
    if name == "categorical":
        return CategoricalNLLClassifier(alpha=1e-3).fit(X, y_cat, sw), X, y_cat
    Y = np.column_stack([y_real, 2.0 * y_real + X[:, 1]])
    if name == "multioutput":
        return MultiOutputNLL().fit(X, Y, sw), X, Y
    Y_mixed = np.column_stack([y_real, y_cat.astype(object), y_bin]).astype(object)
    outputs = [
        GaussianNLLRegressor(heteroscedastic=True),
        CategoricalNLLClassifier(alpha=1e-3),
        BernoulliNLLClassifier(alpha=1e-3),
    ]
    return MultiOutputNLL(outputs=outputs).fit(X, Y_mixed, sw), X, Y_mixed


NAMES = [
    "gaussian",
    "gaussian-hetero",
    "bernoulli",
    "categorical",
    "multioutput",
    "multioutput-mixed",
]


def _log_likelihood(dist, y):
    return (
        dist.logpdf(y.astype(np.float64))
        if hasattr(dist, "logpdf")
        else (dist.logpmf(y))
    )


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("weighted", [False, True])
def test_nll_equals_mean_log_density_of_predict_dist(name, weighted):
    est, X, y = _fitted(name)
    rng = np.random.RandomState(1)
    sw = rng.uniform(0.1, 5.0, size=len(X)) if weighted else None
    dist = est.predict_dist(X)
    if isinstance(est, MultiOutputNLL):
        assert isinstance(dist, list) and len(dist) == y.shape[1]
        per_sample = sum(_log_likelihood(d, y[:, j]) for j, d in enumerate(dist))
    else:
        per_sample = _log_likelihood(dist, y)
    assert per_sample.shape == (len(X),)
    expected = -np.average(per_sample, weights=sw)
    np.testing.assert_allclose(est.nll(X, y, sw), expected, rtol=1e-12, atol=1e-12)


def test_multioutput_nll_is_the_sum_of_the_outputs_nll():
    est, X, Y = _fitted("multioutput-mixed")
    _, _, _, _, sw = _data()
    total = sum(out.nll(X, Y[:, j], sw) for j, out in enumerate(est.outputs_))
    np.testing.assert_allclose(est.nll(X, Y, sw), total, rtol=1e-12)


@pytest.mark.parametrize("heteroscedastic", [False, True])
def test_regressor_predict_dist_is_a_frozen_normal_matching_predict(heteroscedastic):
    X, y, *_ = _data()
    est = GaussianNLLRegressor(heteroscedastic=heteroscedastic).fit(X, y)
    dist = est.predict_dist(X[:7])
    assert dist.dist.name == "norm"
    mean, std = est.predict(X[:7], return_std=True)
    np.testing.assert_array_equal(dist.mean(), mean)
    np.testing.assert_allclose(dist.std(), std, rtol=1e-15)
    np.testing.assert_array_equal(est.predict(X[:7]), mean)
    assert np.all(std > 0)
    if heteroscedastic:
        assert np.ptp(std) > 0.1 * std.mean()
    else:
        np.testing.assert_allclose(std, est.scale_, rtol=1e-15)
    restored = pickle.loads(pickle.dumps(dist))
    np.testing.assert_array_equal(restored.ppf(0.95), dist.ppf(0.95))


@pytest.mark.parametrize("name", ["bernoulli", "categorical"])
def test_classifier_predict_dist_is_a_label_distribution(name):
    est, X, y = _fitted(name)
    dist = est.predict_dist(X)
    assert isinstance(dist, LabelDistribution)
    np.testing.assert_array_equal(dist.classes, est.classes_)
    np.testing.assert_allclose(dist.probs, est.predict_proba(X), rtol=1e-14)
    np.testing.assert_array_equal(dist.mode(), est.predict(X))
    # pmf of the labels themselves (strings / non-contiguous integers)
    for k, label in enumerate(est.classes_):
        np.testing.assert_allclose(
            dist.pmf(np.full(len(X), label)), dist.probs[:, k], rtol=1e-14
        )
    # sampling: reproducible, labels of the right type, frequencies follow probs
    draws = dist.rvs(size=4000, random_state=0)
    assert draws.shape == (4000, len(X))
    np.testing.assert_array_equal(draws, dist.rvs(size=4000, random_state=0))
    assert set(np.unique(draws)) <= set(est.classes_)
    freq = np.mean(draws == est.classes_[-1], axis=0)
    np.testing.assert_allclose(freq, dist.probs[:, -1], atol=5 * np.sqrt(0.25 / 4000))
    restored = pickle.loads(pickle.dumps(dist))
    np.testing.assert_array_equal(restored.logpmf(y), dist.logpmf(y))


def test_classifier_predict_dist_rejects_unknown_labels():
    est, X, _ = _fitted("bernoulli")
    with pytest.raises(ValueError, match="not among the classes"):
        est.predict_dist(X[:2]).logpmf(np.array(["yes", "maybe"]))
    with pytest.raises(ValueError, match="not among the classes"):
        est.nll(X[:2], np.array(["yes", "maybe"]))


# -- calibration of the heteroscedastic model ---------------------------------
def _heteroscedastic_data(n, seed):
    """sigma(x) grows 10x from x = 0 to x = 1; log sigma is linear in x."""
    rng = np.random.RandomState(seed)
    x = rng.uniform(0.0, 1.0, size=n)
    sigma = 0.2 * 10.0**x
    y = 1.0 + 3.0 * x + sigma * rng.normal(size=n)
    return x[:, None], y


def _decile_coverages(est, X, y, confidence):
    lower, upper = est.predict_dist(X).interval(confidence)
    edges = np.quantile(X[:, 0], np.linspace(0.0, 1.0, 11))
    decile = np.clip(np.searchsorted(edges, X[:, 0], side="right") - 1, 0, 9)
    overall = interval_coverage(y, lower, upper)
    by_decile = np.array(
        [
            interval_coverage(y[decile == d], lower[decile == d], upper[decile == d])
            for d in range(10)
        ]
    )
    return overall, by_decile


def test_heteroscedastic_intervals_are_calibrated_within_every_decile():
    X, y = _heteroscedastic_data(100_000, seed=0)
    X_test, y_test = _heteroscedastic_data(100_000, seed=1)
    hetero = GaussianNLLRegressor(heteroscedastic=True).fit(X, y)
    homo = GaussianNLLRegressor().fit(X, y)

    overall, by_decile = _decile_coverages(hetero, X_test, y_test, 0.9)
    # 10,000 test points per decile: binomial sd of a coverage is 0.003,
    # so the 1.5 % tolerance is five standard errors.
    assert abs(overall - 0.9) <= 0.015
    np.testing.assert_allclose(by_decile, 0.9, atol=0.015)

    _, homo_by_decile = _decile_coverages(homo, X_test, y_test, 0.9)
    # One sigma for all x: far too wide where sigma is small (over-covers),
    # far too narrow where it is large (under-covers).
    assert homo_by_decile[0] > 0.99
    assert homo_by_decile[-1] < 0.75
    assert np.max(np.abs(homo_by_decile - 0.9)) > 0.09
    # the fitted scale model recovers the truth: log sigma = log 0.2 + x log 10
    np.testing.assert_allclose(hetero.scale_coef_, [np.log(10.0)], rtol=0.02)
