"""sklik.metrics: scoring rules checked against definitions, and the scorers."""

import pickle

import numpy as np
import pytest
from scipy import integrate, stats
from sklearn.datasets import load_diabetes
from sklearn.linear_model import BayesianRidge, LogisticRegression, Ridge
from sklearn.metrics import brier_score_loss
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklik import (
    BernoulliNLLClassifier,
    CategoricalNLLClassifier,
    GaussianNLLRegressor,
    MultiOutputNLL,
)
from sklik.distributions import LabelDistribution
from sklik.metrics import (
    brier_score,
    crps_normal,
    interval_coverage,
    interval_score,
    log_score,
    make_coverage_scorer,
    make_interval_scorer,
    mean_interval_width,
    neg_brier_scorer,
    neg_crps_scorer,
    neg_nll_scorer,
)


# -- CRPS ----------------------------------------------------------------------
def _crps_by_quadrature(mu, sigma, y):
    """∫ (F(z) - 1{z >= y})² dz, split at y where the integrand jumps."""
    below, _ = integrate.quad(
        lambda z: stats.norm.cdf(z, mu, sigma) ** 2, -np.inf, y, epsabs=1e-13
    )
    above, _ = integrate.quad(
        lambda z: stats.norm.sf(z, mu, sigma) ** 2, y, np.inf, epsabs=1e-13
    )
    return below + above


@pytest.mark.parametrize(
    "mu, sigma, y",
    [
        (0.0, 1.0, 0.0),
        (0.0, 1.0, 0.3),
        (1.5, 0.2, -0.4),
        (-3.0, 5.0, 12.0),
        (100.0, 0.01, 100.02),
        (2.0, 3.0, 2.0 - 7.5),
    ],
)
def test_crps_normal_matches_numerical_integration(mu, sigma, y):
    expected = _crps_by_quadrature(mu, sigma, y)
    np.testing.assert_allclose(crps_normal([y], [mu], [sigma]), expected, rtol=1e-7)
    frozen = stats.norm(loc=[mu], scale=[sigma])
    np.testing.assert_allclose(crps_normal([y], frozen), expected, rtol=1e-7)


def test_crps_normal_vectorised_and_weighted():
    rng = np.random.RandomState(0)
    mu, sigma = rng.normal(size=6), rng.uniform(0.1, 3.0, size=6)
    y = mu + sigma * rng.normal(size=6) * 2
    per_sample = np.array([_crps_by_quadrature(*a) for a in zip(mu, sigma, y)])
    sw = np.array([0.0, 1.0, 2.0, 0.5, 3.0, 1.0])
    np.testing.assert_allclose(crps_normal(y, mu, sigma), per_sample.mean(), rtol=1e-7)
    np.testing.assert_allclose(
        crps_normal(y, mu, sigma, sample_weight=sw),
        np.average(per_sample, weights=sw),
        rtol=1e-7,
    )
    # integer weights are repeats
    reps = np.array([0, 1, 2, 1, 3, 1])
    np.testing.assert_allclose(
        crps_normal(y, mu, sigma, sample_weight=reps),
        crps_normal(y.repeat(reps), mu.repeat(reps), sigma.repeat(reps)),
        rtol=1e-13,
    )


def test_crps_normal_limits_and_invariances():
    y, mu, sigma = np.array([0.3, -2.0, 5.0]), np.array([0.0, 1.0, 5.5]), 0.7
    # sigma -> 0: the absolute error (used exactly at sigma == 0)
    np.testing.assert_allclose(crps_normal(y, mu, 1e-9), np.mean(np.abs(y - mu)))
    assert crps_normal(y, mu, 0.0) == np.mean(np.abs(y - mu))
    # in the units of y: shift invariant, scale equivariant
    base = crps_normal(y, mu, sigma)
    np.testing.assert_allclose(crps_normal(y + 10, mu + 10, sigma), base, rtol=1e-12)
    np.testing.assert_allclose(
        crps_normal(3 * y, 3 * mu, 3 * sigma), 3 * base, rtol=1e-12
    )
    # several outputs: summed per sample
    Y, M = np.column_stack([y, 2 * y]), np.column_stack([mu, mu])
    np.testing.assert_allclose(
        crps_normal(Y, M, sigma),
        crps_normal(y, mu, sigma) + crps_normal(2 * y, mu, sigma),
        rtol=1e-12,
    )


def test_crps_normal_is_proper():
    """Its expectation under N(0, 1) is smallest at the true distribution."""
    y = stats.norm.ppf((np.arange(20_000) + 0.5) / 20_000)  # N(0, 1) quantiles
    truth = crps_normal(y, 0.0, 1.0)
    for mu, sigma in [(0.2, 1.0), (-0.2, 1.0), (0.0, 0.8), (0.0, 1.25), (0.1, 0.9)]:
        assert crps_normal(y, mu, sigma) > truth


def test_crps_normal_rejects_bad_input():
    with pytest.raises(ValueError, match="non-negative"):
        crps_normal([0.0], [0.0], [-1.0])
    with pytest.raises(TypeError, match="not both"):
        crps_normal([0.0], stats.norm(0, 1), [1.0])
    with pytest.raises(TypeError, match=r"scipy\.stats\.norm"):
        crps_normal([0.0], stats.laplace(0, 1))
    with pytest.raises(ValueError, match="NaN"):
        crps_normal([np.nan], [0.0], [1.0])


# -- log score -----------------------------------------------------------------
def test_log_score_is_the_mean_negative_log_density():
    rng = np.random.RandomState(0)
    mu, sigma = rng.normal(size=5), rng.uniform(0.5, 2, size=5)
    y, sw = rng.normal(size=5), rng.uniform(0, 2, size=5)
    dist = stats.norm(mu, sigma)
    manual = -np.log(
        np.exp(-0.5 * ((y - mu) / sigma) ** 2) / (sigma * np.sqrt(2 * np.pi))
    )
    np.testing.assert_allclose(log_score(y, dist), manual.mean(), rtol=1e-13)
    np.testing.assert_allclose(
        log_score(y, dist, sample_weight=sw), np.average(manual, weights=sw), rtol=1e-13
    )
    # discrete scipy distributions use logpmf
    counts = np.array([0, 3, 1])
    poisson = stats.poisson([0.5, 2.0, 4.0])
    np.testing.assert_allclose(
        log_score(counts, poisson), -np.mean(poisson.logpmf(counts)), rtol=1e-14
    )


def test_log_score_of_labels_and_of_several_outputs():
    labels = LabelDistribution(np.log([[0.2, 0.8], [0.6, 0.4]]), ["a", "b"])
    np.testing.assert_allclose(
        log_score(["b", "b"], labels), -np.mean(np.log([0.8, 0.4])), rtol=1e-14
    )
    normal = stats.norm([0.0, 1.0], [1.0, 2.0])
    Y = np.array([[0.5, "b"], [1.0, "b"]], dtype=object)
    np.testing.assert_allclose(
        log_score(Y, [normal, labels]),
        log_score([0.5, 1.0], normal) + log_score(["b", "b"], labels),
        rtol=1e-14,
    )
    with pytest.raises(ValueError, match="shape"):
        log_score(Y[:, :1], [normal, labels])


def test_log_score_zero_weight_and_impossible_outcomes():
    dist = LabelDistribution([[0.0, -np.inf], [-np.log(2), -np.log(2)]], [0, 1])
    assert log_score([1, 0], dist) == np.inf
    # an impossible outcome of zero weight does not count (and gives no NaN)
    np.testing.assert_allclose(
        log_score([1, 0], dist, sample_weight=[0, 1]), np.log(2), rtol=1e-14
    )


def test_log_score_refuses_broadcasting_a_column_against_a_row():
    dist = stats.norm(np.zeros(3), 1.0)
    with pytest.raises(ValueError, match="shapes must agree"):
        log_score(np.zeros((3, 1)), dist)
    with pytest.raises(TypeError, match="logpdf or logpmf"):
        log_score([0.0], object())


# -- Brier score ---------------------------------------------------------------
def test_brier_score_matches_sklearn_multiclass_form():
    rng = np.random.RandomState(0)
    labels = np.array(["ant", "bee", "cat", "dog"])
    proba = rng.dirichlet(np.ones(4), size=50)
    y = labels[rng.randint(0, 4, size=50)]
    sw = rng.uniform(0, 2, size=50)
    expected = brier_score_loss(
        y, proba, labels=labels, sample_weight=sw, scale_by_half=False
    )
    np.testing.assert_allclose(
        brier_score(y, proba, labels=labels, sample_weight=sw), expected, rtol=1e-13
    )
    dist = LabelDistribution(np.log(proba), labels)
    np.testing.assert_allclose(
        brier_score(y, dist, sample_weight=sw), expected, rtol=1e-13
    )


def test_brier_score_binary_is_twice_the_customary_one():
    rng = np.random.RandomState(1)
    p = rng.uniform(size=40)
    y = rng.randint(0, 2, size=40)
    customary = brier_score_loss(y, p)
    np.testing.assert_allclose(
        brier_score(y, np.column_stack([1 - p, p])), 2 * customary, rtol=1e-13
    )
    np.testing.assert_allclose(
        brier_score(y, stats.bernoulli(p)), 2 * customary, rtol=1e-13
    )


def test_brier_score_column_labels():
    proba = np.array([[0.1, 0.9, 0.0], [0.2, 0.2, 0.6]])
    # y holds only two of the three classes: labels are needed
    with pytest.raises(ValueError, match="labels="):
        brier_score([5, 7], proba)
    # columns follow labels, in the order given
    np.testing.assert_allclose(
        brier_score([5, 9], proba, labels=[1, 5, 9]),
        np.mean([0.01 + 0.01 + 0.0, 0.04 + 0.04 + 0.16]),
    )
    with pytest.raises(ValueError, match="not among the classes"):
        brier_score([5, 4], proba, labels=[1, 5, 9])


# -- intervals -----------------------------------------------------------------
def test_interval_metrics_by_hand():
    y = np.array([0.0, 2.0, -3.0, 1.0])
    lower, upper = np.array([-1.0, 0.0, -2.0, 1.0]), np.array([1.0, 1.0, 2.0, 1.0])
    assert interval_coverage(y, lower, upper) == 0.5  # 2.0 above, -3.0 below
    assert interval_coverage(y, lower, upper, sample_weight=[1, 0, 0, 3]) == 1.0
    assert mean_interval_width(lower, upper) == (2 + 1 + 4 + 0) / 4
    # misses by 1 and 1, penalty 2 / 0.2 per unit
    assert interval_score(y, lower, upper, confidence=0.8) == pytest.approx(
        (7 + 10 * (1 + 1)) / 4
    )
    with pytest.raises(ValueError, match="at most"):
        interval_coverage(y, upper, lower)
    with pytest.raises(ValueError, match="confidence"):
        interval_score(y, lower, upper, confidence=1.0)


def test_exact_normal_intervals_cover_at_their_level():
    rng = np.random.RandomState(0)
    mu, sigma = rng.normal(size=50_000), rng.uniform(0.1, 10, size=50_000)
    y = mu + sigma * rng.normal(size=50_000)
    for level in (0.5, 0.9, 0.99):
        lo, hi = stats.norm(mu, sigma).interval(level)
        assert abs(interval_coverage(y, lo, hi) - level) < 4 * np.sqrt(0.25 / 50_000)


def test_interval_score_is_proper():
    """Under N(0, 1) the expected interval score is least at the true quantiles."""
    y = stats.norm.ppf((np.arange(20_000) + 0.5) / 20_000)
    lo, hi = stats.norm.interval(0.9)
    truth = interval_score(y, lo, hi, confidence=0.9)
    for a, b in [(lo * 0.8, hi * 0.8), (lo * 1.2, hi * 1.2), (lo + 0.2, hi + 0.2)]:
        assert interval_score(y, a, b, confidence=0.9) > truth


# -- scorers -------------------------------------------------------------------
@pytest.fixture(scope="module")
def diabetes():
    X, y = load_diabetes(return_X_y=True)
    return X, y


def _classification_data(n=300, seed=0):
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(n, 3))
    score = X @ [1.0, -2.0, 0.5] + rng.logistic(size=n)
    return X, np.array(["low", "mid", "high"])[np.digitize(score, [-1.0, 1.0])]


@pytest.mark.parametrize("heteroscedastic", [False, True])
def test_regression_scorers_equal_the_metrics_bare_and_in_a_pipeline(
    diabetes, heteroscedastic
):
    X, y = diabetes
    sw = np.random.RandomState(0).uniform(0, 2, size=len(y))
    pipe = make_pipeline(
        StandardScaler(), GaussianNLLRegressor(heteroscedastic=heteroscedastic)
    ).fit(X, y)
    reg = pipe[-1]
    Xt = pipe[:-1].transform(X)
    dist = reg.predict_dist(Xt)
    for model, data in [(pipe, X), (reg, Xt)]:
        np.testing.assert_allclose(
            neg_nll_scorer(model, data, y, sample_weight=sw),
            -reg.nll(Xt, y, sw),
            rtol=1e-12,
        )
        np.testing.assert_allclose(
            neg_crps_scorer(model, data, y), -crps_normal(y, dist), rtol=1e-12
        )
        np.testing.assert_allclose(
            make_interval_scorer(0.8)(model, data, y),
            -interval_score(y, *dist.interval(0.8), confidence=0.8),
            rtol=1e-12,
        )
        np.testing.assert_allclose(
            make_coverage_scorer(0.8)(model, data, y),
            -abs(interval_coverage(y, *dist.interval(0.8)) - 0.8),
            rtol=1e-12,
        )


def test_classification_scorers_equal_the_metrics_bare_and_in_a_pipeline():
    X, y = _classification_data()
    pipe = make_pipeline(StandardScaler(), CategoricalNLLClassifier(alpha=1e-3))
    pipe.fit(X, y)
    clf, Xt = pipe[-1], pipe[:-1].transform(X)
    for model, data in [(pipe, X), (clf, Xt)]:
        np.testing.assert_allclose(
            neg_nll_scorer(model, data, y), -clf.nll(Xt, y), rtol=1e-12
        )
        np.testing.assert_allclose(
            neg_brier_scorer(model, data, y),
            -brier_score_loss(
                y, clf.predict_proba(Xt), labels=clf.classes_, scale_by_half=False
            ),
            rtol=1e-12,
        )
    with pytest.raises(TypeError, match="norm"):
        neg_crps_scorer(pipe, X, y)
    with pytest.raises(TypeError, match="continuous"):
        make_interval_scorer()(pipe, X, y)


def test_scorers_on_multioutput_sum_over_outputs(diabetes):
    X, y = diabetes
    noise = np.random.default_rng(0).normal(size=len(y))
    Y = np.column_stack([y, X[:, 0] * 100 + X[:, 3] * 30 + noise])
    model = MultiOutputNLL().fit(X, Y)
    pipe = make_pipeline(StandardScaler(), MultiOutputNLL()).fit(X, Y)
    np.testing.assert_allclose(
        neg_nll_scorer(model, X, Y), -model.nll(X, Y), rtol=1e-12
    )
    np.testing.assert_allclose(
        neg_crps_scorer(model, X, Y),
        -sum(crps_normal(Y[:, j], d) for j, d in enumerate(model.predict_dist(X))),
        rtol=1e-12,
    )
    # the pipeline's last step gives predict_dist; same fit, same score
    np.testing.assert_allclose(
        neg_nll_scorer(pipe, X, Y), neg_nll_scorer(model, X, Y), rtol=1e-7
    )
    # mixed families: through predict_dist
    Xc, yc = _classification_data()
    jitter = np.random.default_rng(1).normal(size=len(yc))
    Ym = np.column_stack([Xc[:, 0] * 2 + 1 + jitter, yc]).astype(object)
    mixed = MultiOutputNLL(
        outputs=[GaussianNLLRegressor(), CategoricalNLLClassifier(alpha=1e-3)]
    ).fit(Xc, Ym)
    np.testing.assert_allclose(
        neg_nll_scorer(mixed, Xc, Ym), -mixed.nll(Xc, Ym), rtol=1e-12
    )


def test_scorers_work_for_other_libraries_estimators(diabetes):
    """Anything with predict(X, return_std=True) or predict_proba can be scored."""
    X, y = diabetes
    br = BayesianRidge().fit(X, y)
    mean, std = br.predict(X, return_std=True)
    np.testing.assert_allclose(
        neg_nll_scorer(br, X, y), np.mean(stats.norm(mean, std).logpdf(y)), rtol=1e-12
    )
    Xc, yc = _classification_data()
    lr = LogisticRegression().fit(Xc, yc)
    codes = np.searchsorted(lr.classes_, yc)
    np.testing.assert_allclose(
        neg_nll_scorer(lr, Xc, yc),
        np.mean(lr.predict_log_proba(Xc)[np.arange(len(yc)), codes]),
        rtol=1e-12,
    )
    with pytest.raises(TypeError, match="return_std"):
        neg_nll_scorer(Ridge().fit(X, y), X, y)


def test_scorers_are_greater_is_better():
    """A model that knows sigma(x) scores higher than one that does not."""
    rng = np.random.RandomState(0)
    X = rng.uniform(0, 1, size=(4000, 1))
    y = X[:, 0] + 0.1 * 20 ** X[:, 0] * rng.normal(size=4000)
    X_test = rng.uniform(0, 1, size=(4000, 1))
    y_test = X_test[:, 0] + 0.1 * 20 ** X_test[:, 0] * rng.normal(size=4000)
    good = GaussianNLLRegressor(heteroscedastic=True).fit(X, y)
    poor = GaussianNLLRegressor().fit(X, y)
    for scorer in (neg_nll_scorer, neg_crps_scorer, make_interval_scorer(0.9)):
        assert scorer(good, X_test, y_test) > scorer(poor, X_test, y_test)
    Xc, yc = _classification_data(n=2000)
    Xc_test, yc_test = _classification_data(n=2000, seed=1)
    good_clf = CategoricalNLLClassifier(alpha=1e-4).fit(Xc, yc)
    # a classifier blind to the most informative feature
    blind = make_pipeline(StandardScaler(), CategoricalNLLClassifier(alpha=1e-4)).fit(
        Xc * [1, 0, 1], yc
    )
    for scorer in (neg_nll_scorer, neg_brier_scorer):
        assert scorer(good_clf, Xc_test, yc_test) > scorer(
            blind, Xc_test * [1, 0, 1], yc_test
        )


def test_binary_classifier_scorers_with_string_labels():
    X, y = _classification_data()
    y = np.where(y == "high", "high", "not high")
    clf = BernoulliNLLClassifier(alpha=1e-3).fit(X, y)
    np.testing.assert_allclose(neg_nll_scorer(clf, X, y), -clf.nll(X, y), rtol=1e-12)
    p = clf.predict_proba(X)[:, 1]
    np.testing.assert_allclose(
        neg_brier_scorer(clf, X, y),
        -2 * brier_score_loss(y, p, pos_label=clf.classes_[1]),
        rtol=1e-12,
    )


def test_scorer_factories_are_picklable_and_validate():
    scorer = make_interval_scorer(0.8)
    restored = pickle.loads(pickle.dumps(scorer))
    assert repr(restored) == "make_interval_scorer(confidence=0.8)"
    assert repr(pickle.loads(pickle.dumps(make_coverage_scorer(0.5)))) == (
        "make_coverage_scorer(confidence=0.5)"
    )
    for bad in (0.0, 1.0, 1.5, True, "0.9"):
        with pytest.raises(ValueError, match="confidence"):
            make_interval_scorer(bad)
