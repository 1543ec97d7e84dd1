"""sklik.predict_dist / nll through pipelines and searches; cross_val_predict_dist."""

import numpy as np
import pytest
import sklearn
from scipy import stats
from sklearn.base import BaseEstimator, RegressorMixin, clone
from sklearn.datasets import load_diabetes, load_iris
from sklearn.linear_model import BayesianRidge, LinearRegression
from sklearn.model_selection import (
    GridSearchCV,
    GroupKFold,
    KFold,
    RandomizedSearchCV,
    ShuffleSplit,
    cross_val_predict,
    cross_val_score,
)
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import sklik
from sklik import (
    CategoricalNLLClassifier,
    GaussianNLLRegressor,
    MultiOutputNLL,
    NLLRegressor,
)
from sklik.distributions import LabelDistribution
from sklik.metrics import crps, log_score, neg_crps_scorer, neg_nll_scorer

CV = KFold(5, shuffle=True, random_state=0)


@pytest.fixture(scope="module")
def diabetes():
    X, y = load_diabetes(return_X_y=True)
    return X * 100.0 + 5.0, y  # far from standardised: the scaler matters


def _same_normal(a, b, exact=True):
    assert a.dist.name == b.dist.name == "norm"
    check = np.testing.assert_array_equal if exact else np.testing.assert_allclose
    check(a.mean(), b.mean())
    check(a.std(), b.std())


# -- predict_dist and nll through meta-estimators -----------------------------------
def test_plain_estimator_is_its_own_final_step(diabetes):
    X, y = diabetes
    reg = GaussianNLLRegressor(heteroscedastic=True).fit(X, y)
    _same_normal(sklik.predict_dist(reg, X[:7]), reg.predict_dist(X[:7]))
    assert sklik.nll(reg, X, y) == reg.nll(X, y)


def test_pipeline_transforms_then_asks_the_last_step(diabetes):
    X, y = diabetes
    pipe = make_pipeline(StandardScaler(), GaussianNLLRegressor(alpha=1.0)).fit(X, y)
    Z = pipe[0].transform(X)
    dist = sklik.predict_dist(pipe, X)
    _same_normal(dist, pipe[-1].predict_dist(Z))
    np.testing.assert_array_equal(dist.mean(), pipe.predict(X))
    # the raw X would give another (absurd) distribution: the scaler was applied
    assert not np.allclose(pipe[-1].predict_dist(X).mean(), dist.mean())
    w = np.linspace(0.5, 2.0, len(y))
    assert sklik.nll(pipe, X, y, sample_weight=w) == pipe[-1].nll(Z, y, w)
    assert sklik.nll(pipe, X, y, w) != pytest.approx(sklik.nll(pipe, X, y))
    assert sklik.nll(pipe, X, y) == pytest.approx(-neg_nll_scorer(pipe, X, y))


def test_grid_search_gives_its_best_estimators_distribution(diabetes):
    X, y = diabetes
    search = GridSearchCV(
        GaussianNLLRegressor(), {"alpha": [0.0, 1e3]}, scoring=neg_nll_scorer
    ).fit(X, y)
    _same_normal(sklik.predict_dist(search, X), search.best_estimator_.predict_dist(X))
    assert sklik.nll(search, X, y) == search.best_estimator_.nll(X, y)


def test_grid_search_over_a_pipeline(diabetes):
    X, y = diabetes
    pipe = make_pipeline(StandardScaler(), GaussianNLLRegressor(heteroscedastic=True))
    grid = {"gaussiannllregressor__alpha": [1e-3, 1.0]}
    search = GridSearchCV(pipe, grid, scoring=neg_nll_scorer, cv=3).fit(X, y)
    best = search.best_estimator_
    expected = best[-1].predict_dist(best[0].transform(X))
    _same_normal(sklik.predict_dist(search, X), expected)
    assert sklik.nll(search, X, y) == best[-1].nll(best[0].transform(X), y)


def test_pipeline_with_a_search_as_last_step_and_deeper_nesting(diabetes):
    X, y = diabetes
    inner = RandomizedSearchCV(
        GaussianNLLRegressor(), {"alpha": [0.0, 0.1, 10.0]}, n_iter=2, random_state=0
    )
    pipe = make_pipeline(StandardScaler(), inner).fit(X, y)
    Z = pipe[0].transform(X)
    _same_normal(sklik.predict_dist(pipe, X), pipe[-1].best_estimator_.predict_dist(Z))
    # a search over a pipeline that ends in a search
    outer = GridSearchCV(
        make_pipeline(StandardScaler(), clone(inner)),
        {"standardscaler__with_mean": [True, False]},
        cv=3,
    ).fit(X, y)
    best = outer.best_estimator_
    expected = best[-1].best_estimator_.predict_dist(best[0].transform(X))
    _same_normal(sklik.predict_dist(outer, X), expected)


def test_multioutput_in_a_pipeline_gives_one_distribution_per_output(diabetes):
    X, y = diabetes
    Y = np.column_stack([y, X[:, 2] + 10.0 * np.sin(np.arange(len(y)))])
    pipe = make_pipeline(StandardScaler(), MultiOutputNLL()).fit(X, Y)
    dists = sklik.predict_dist(pipe, X)
    assert isinstance(dists, list) and len(dists) == 2
    direct = pipe[-1].predict_dist(pipe[0].transform(X))
    for got, want in zip(dists, direct):
        _same_normal(got, want)
    assert sklik.nll(pipe, X, Y) == pytest.approx(log_score(Y, dists), rel=1e-12)


@pytest.mark.parametrize(
    "make, fitted, pattern",
    [
        (lambda: make_pipeline(StandardScaler(), LinearRegression()), True,
         r"LinearRegression \(reached from Pipeline\) has no predict_dist"),
        (lambda: BayesianRidge(), True, r"^BayesianRidge has no predict_dist"),
        (lambda: GridSearchCV(GaussianNLLRegressor(), {"alpha": [0.0]}), False,
         r"GridSearchCV has no predict_dist.*refit=True"),
        (lambda: GridSearchCV(GaussianNLLRegressor(), {"alpha": [0.0]}, refit=False),
         True, r"GridSearchCV has no predict_dist.*refit=True"),
        (lambda: make_pipeline(StandardScaler(), "passthrough"), True,
         r"the final step 'passthrough'"),
    ],
)  # fmt: skip
def test_no_predict_dist_is_a_type_error_naming_the_type(
    diabetes, make, fitted, pattern
):
    X, y = diabetes
    est = make()
    if fitted:
        est.fit(X, y)
    with pytest.raises(TypeError, match=pattern):
        sklik.predict_dist(est, X)
    with pytest.raises(TypeError, match=pattern.replace("predict_dist", "nll")):
        sklik.nll(est, X, y)


# -- cross_val_predict_dist -----------------------------------------------------
def test_cv_distribution_equals_the_per_fold_fits_in_sample_order(diabetes):
    X, y = diabetes
    pipe = make_pipeline(StandardScaler(), GaussianNLLRegressor(heteroscedastic=True))
    dist = sklik.cross_val_predict_dist(pipe, X, y, cv=CV)
    assert dist.dist.name == "norm" and dist.mean().shape == y.shape
    for train, test in CV.split(X, y):
        fold = clone(pipe).fit(X[train], y[train])
        want = sklik.predict_dist(fold, X[test])
        np.testing.assert_array_equal(dist.kwds["loc"][test], want.mean())
        np.testing.assert_array_equal(dist.kwds["scale"][test], want.std())
    # the means in sample order are scikit-learn's cross_val_predict, exactly
    np.testing.assert_array_equal(dist.mean(), cross_val_predict(pipe, X, y, cv=CV))


def test_cv_scores_are_the_per_fold_scores_pooled(diabetes):
    X, y = diabetes
    est = GaussianNLLRegressor(heteroscedastic=True)
    pipe = make_pipeline(StandardScaler(), est)
    dist = sklik.cross_val_predict_dist(pipe, X, y, cv=CV)
    sizes = np.array([len(test) for _, test in CV.split(X)])
    for scorer, score in [(neg_nll_scorer, log_score), (neg_crps_scorer, crps)]:
        per_fold = cross_val_score(pipe, X, y, cv=CV, scoring=scorer)
        # a fold's score is a mean over its samples: weight it by its size
        pooled = -np.average(per_fold, weights=sizes)
        assert score(y, dist) == pytest.approx(pooled, rel=1e-12)


def test_fit_params_and_groups_follow_the_folds(diabetes):
    X, y = diabetes
    w = np.random.default_rng(0).uniform(0.1, 3.0, size=len(y))
    groups = np.arange(len(y)) % 7
    cv = GroupKFold(3)
    dist = sklik.cross_val_predict_dist(
        GaussianNLLRegressor(), X, y, cv=cv, groups=groups,
        params={"sample_weight": w},
    )  # fmt: skip
    for train, test in cv.split(X, y, groups):
        assert not set(groups[train]) & set(groups[test])
        fold = GaussianNLLRegressor().fit(X[train], y[train], w[train])
        np.testing.assert_array_equal(dist.mean()[test], fold.predict(X[test]))
    unweighted = sklik.cross_val_predict_dist(GaussianNLLRegressor(), X, y, cv=CV)
    assert not np.allclose(unweighted.mean(), dist.mean())


def test_metadata_routing_routes_weights_and_refuses_groups(diabetes):
    X, y = diabetes
    w = np.random.default_rng(0).uniform(0.1, 3.0, size=len(y))
    expected = sklik.cross_val_predict_dist(
        GaussianNLLRegressor(), X, y, cv=CV, params={"sample_weight": w}
    )
    with sklearn.config_context(enable_metadata_routing=True):
        est = GaussianNLLRegressor().set_fit_request(sample_weight=True)
        dist = sklik.cross_val_predict_dist(
            est, X, y, cv=CV, params={"sample_weight": w}
        )
        with pytest.raises(ValueError, match="pass groups in params"):
            sklik.cross_val_predict_dist(est, X, y, cv=CV, groups=np.zeros(len(y)))
    _same_normal(dist, expected)


def test_parallel_folds_give_the_same_distribution(diabetes):
    X, y = diabetes
    est = GaussianNLLRegressor()
    serial = sklik.cross_val_predict_dist(est, X, y, cv=CV)
    _same_normal(sklik.cross_val_predict_dist(est, X, y, cv=CV, n_jobs=2), serial)


def test_dataframes_are_split_by_position(diabetes):
    pd = pytest.importorskip("pandas")
    X, y = diabetes
    frame = pd.DataFrame(X, index=np.arange(len(y))[::-1] * 3)
    series = pd.Series(y, index=frame.index)
    dist = sklik.cross_val_predict_dist(GaussianNLLRegressor(), frame, series, cv=CV)
    expected = sklik.cross_val_predict_dist(GaussianNLLRegressor(), X, y, cv=CV)
    _same_normal(dist, expected, exact=False)  # a DataFrame's layout: rounding


def test_counts_scipy_and_sklik_own_distributions_are_joined():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(240, 2))
    y = np.where(rng.random(240) < 0.3, 0, rng.poisson(np.exp(0.5 + 0.5 * X[:, 0])))
    for family in ["poisson", "zero_inflated_poisson"]:
        est = NLLRegressor(family)
        dist = sklik.cross_val_predict_dist(est, X, y.astype(float), cv=CV)
        for train, test in CV.split(X):
            want = clone(est).fit(X[train], y[train]).predict_dist(X[test])
            assert type(dist) is type(want)
            for name, value in want.kwds.items():
                np.testing.assert_array_equal(dist.kwds[name][test], value)
            np.testing.assert_array_equal(dist.logpmf(y)[test], want.logpmf(y[test]))


def test_a_fold_missing_a_class_gets_probability_zero_for_it():
    X, y = load_iris(return_X_y=True)
    labels = np.array(["setosa", "versicolor", "virginica"])[y]
    cv = KFold(3, shuffle=True, random_state=0)
    test0 = next(cv.split(X))[1]
    labels[test0[:2]] = "rare"  # only in the first test fold: no fold 0 training
    clf = CategoricalNLLClassifier(alpha=1e-2)
    with pytest.warns(UserWarning, match="fold 0 was trained on 3 of the 4 classes"):
        dist = sklik.cross_val_predict_dist(clf, X, labels, cv=cv)
    assert isinstance(dist, LabelDistribution)
    np.testing.assert_array_equal(dist.classes, np.unique(labels))
    rare = list(dist.classes).index("rare")
    assert np.all(dist.probs[test0, rare] == 0.0)
    assert np.all(dist.logpmf(labels)[test0[:2]] == -np.inf)
    others = np.setdiff1d(np.arange(len(labels)), test0)
    assert np.all(dist.probs[others, rare] > 0.0)  # the other folds saw it
    for train, test in cv.split(X):
        fold = clone(clf).fit(X[train], labels[train])
        cols = np.searchsorted(dist.classes, fold.classes_)
        np.testing.assert_array_equal(
            dist.log_probs[np.ix_(test, cols)], fold.predict_log_proba(X[test])
        )
    # scikit-learn's cross_val_predict fills the missing column with 0 as well
    with pytest.warns(RuntimeWarning, match="Number of classes in training fold"):
        proba = cross_val_predict(clf, X, labels, cv=cv, method="predict_proba")
    np.testing.assert_allclose(dist.probs, proba, rtol=1e-12, atol=1e-300)


def test_multioutput_with_mixed_families_gives_a_list():
    X, y = load_iris(return_X_y=True)
    species = np.array(["setosa", "versicolor", "virginica"], dtype=object)[y]
    Y = np.column_stack([species, X[:, 3]])
    model = MultiOutputNLL(
        [CategoricalNLLClassifier(alpha=1e-2), GaussianNLLRegressor()]
    )
    dists = sklik.cross_val_predict_dist(model, X[:, :3], Y, cv=CV)
    assert isinstance(dists[0], LabelDistribution) and dists[1].dist.name == "norm"
    for train, test in CV.split(X):
        fold = clone(model).fit(X[train, :3], Y[train])
        species_dist, width_dist = fold.predict_dist(X[test, :3])
        np.testing.assert_array_equal(dists[0].log_probs[test], species_dist.log_probs)
        np.testing.assert_array_equal(dists[1].mean()[test], width_dist.mean())
    assert log_score(Y, dists) == pytest.approx(
        -np.average(
            cross_val_score(model, X[:, :3], Y, cv=CV, scoring=neg_nll_scorer),
            weights=[len(test) for _, test in CV.split(X)],
        ),
        rel=1e-12,
    )


class _FoldDependentFamily(RegressorMixin, BaseEstimator):
    """Predicts a Normal or a Laplace depending on its training data."""

    def fit(self, X, y):
        self.loc_ = float(np.mean(y))
        self.laplace_ = bool(X[0, 0] > 0)
        return self

    def predict_dist(self, X):
        family = stats.laplace if self.laplace_ else stats.norm
        return family(loc=self.loc_, scale=1.0)  # scalars: broadcast per sample


def test_scalar_parameters_are_broadcast_and_families_must_agree():
    X = np.repeat([[-1.0], [1.0]], 10, axis=0)
    y = np.arange(20.0)
    dist = sklik.cross_val_predict_dist(_FoldDependentFamily(), -np.abs(X), y, cv=CV)
    assert dist.mean().shape == (20,)
    for train, test in CV.split(X):
        np.testing.assert_array_equal(dist.mean()[test], y[train].mean())
    with pytest.raises(ValueError, match=r"different families \(fold 0: scipy.stats"):
        sklik.cross_val_predict_dist(_FoldDependentFamily(), X, y, cv=KFold(2))


def test_test_folds_must_partition_the_samples(diabetes):
    X, y = diabetes
    with pytest.raises(ValueError, match="partition the samples"):
        sklik.cross_val_predict_dist(
            GaussianNLLRegressor(), X, y, cv=ShuffleSplit(3, random_state=0)
        )
