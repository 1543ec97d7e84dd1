"""sklik inside scikit-learn's tools: real data, real meta-estimators, no mocks."""

import io
import pickle
import warnings

import joblib
import numpy as np
import pandas as pd
import pytest
import sklearn
from sklearn.base import clone
from sklearn.calibration import CalibratedClassifierCV
from sklearn.compose import ColumnTransformer
from sklearn.datasets import load_breast_cancer, load_diabetes, load_iris
from sklearn.ensemble import StackingRegressor, VotingClassifier
from sklearn.exceptions import NotFittedError
from sklearn.experimental import enable_iterative_imputer  # noqa: F401
from sklearn.impute import IterativeImputer
from sklearn.linear_model import LinearRegression, LogisticRegression, RidgeCV
from sklearn.metrics import accuracy_score, log_loss, r2_score
from sklearn.model_selection import (
    GridSearchCV,
    KFold,
    StratifiedKFold,
    cross_val_score,
    cross_validate,
    train_test_split,
)
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import OneHotEncoder, SplineTransformer, StandardScaler

from sklik import (
    BernoulliNLLClassifier,
    CategoricalNLLClassifier,
    GaussianNLLRegressor,
    MultiOutputNLL,
)
from sklik.exceptions import DegenerateFitWarning
from sklik.metrics import (
    brier_score,
    crps_normal,
    interval_coverage,
    interval_score,
    make_coverage_scorer,
    make_interval_scorer,
    neg_brier_scorer,
    neg_crps_scorer,
    neg_nll_scorer,
)


@pytest.fixture(scope="module")
def diabetes():
    return load_diabetes(return_X_y=True)


@pytest.fixture(scope="module")
def cancer():
    X, y = load_breast_cancer(return_X_y=True)
    return X, np.array(["malignant", "benign"])[y]


# -- model selection -----------------------------------------------------------
def test_grid_search_by_nll_picks_a_sensible_heteroscedastic_spline_model(diabetes):
    X, y = diabetes
    X = X[:, [2]]  # body mass index
    # alpha penalises the mean's coefficients in the units of y and the
    # log-scale's (unitless) with one strength: on y of unit scale one alpha
    # can regularise both.
    y = (y - y.mean()) / y.std()
    pipe = Pipeline(
        [
            ("scale", StandardScaler()),
            ("spline", SplineTransformer()),
            ("reg", GaussianNLLRegressor(heteroscedastic=True)),
        ]
    )
    cv = KFold(5, shuffle=True, random_state=0)
    with warnings.catch_warnings():
        # the unpenalised candidates have no maximum-likelihood fit: sigma(x)
        # collapses in sparsely populated spline spans, which sklik says
        # (asserted in test_hostile), and near-collapsed ones stop where the
        # gradient is rounding noise; the search must still rank them
        warnings.filterwarnings("ignore", category=DegenerateFitWarning)
        warnings.filterwarnings("ignore", "The optimiser stopped")
        search = GridSearchCV(
            pipe,
            {"reg__alpha": [0.0, 1e-3, 1e-2, 1e-1], "spline__n_knots": [3, 5, 10]},
            scoring=neg_nll_scorer,
            cv=cv,
            error_score="raise",
        ).fit(X, y)
    scores = search.cv_results_["mean_test_score"]
    alphas = np.array([p["reg__alpha"] for p in search.cv_results_["params"]])
    assert np.all(np.isfinite(scores))

    # Plain maximum likelihood lets sigma(x) collapse where few samples
    # support a spline: held-out NLL is far worse, and the search avoids it.
    assert search.best_params_["reg__alpha"] > 0
    assert scores[alphas == 0].max() < search.best_score_ - 0.5

    # The chosen model beats simpler models on the same folds.
    def cv_nll(model, data):
        return cross_val_score(model, data, y, scoring=neg_nll_scorer, cv=cv).mean()

    assert search.best_score_ > cv_nll(GaussianNLLRegressor(), np.zeros_like(X))
    assert search.best_score_ > cv_nll(GaussianNLLRegressor(), X)
    assert search.best_score_ > cv_nll(GaussianNLLRegressor(heteroscedastic=True), X)

    # Its spread grows with BMI, and the refit best model gives (mean, std);
    # the search object itself does not forward return_std.
    best = search.best_estimator_
    lo_hi = np.quantile(X, [0.1, 0.9])[:, None]
    _, std = best.predict(lo_hi, return_std=True)
    assert std[1] > 1.3 * std[0]
    with pytest.raises(TypeError, match="return_std"):
        search.predict(lo_hi, return_std=True)
    np.testing.assert_array_equal(search.predict(lo_hi), best.predict(lo_hi))


def test_cross_validate_regressor_with_several_scorers(diabetes):
    X, y = diabetes
    pipe = make_pipeline(StandardScaler(), GaussianNLLRegressor(heteroscedastic=True))
    scoring = {
        "nll": neg_nll_scorer,
        "crps": neg_crps_scorer,
        "interval": make_interval_scorer(0.9),
        "coverage": make_coverage_scorer(0.9),
        "r2": "r2",
    }
    res = cross_validate(
        pipe,
        X,
        y,
        scoring=scoring,
        cv=KFold(4, shuffle=True, random_state=0),
        return_estimator=True,
        return_indices=True,
    )
    for k, (est, test) in enumerate(
        zip(res["estimator"], res["indices"]["test"], strict=True)
    ):
        Xt, yt = X[test], y[test]
        mean, std = est.predict(Xt, return_std=True)
        reg, Xs = est[-1], est[:-1].transform(Xt)
        np.testing.assert_allclose(res["test_nll"][k], -reg.nll(Xs, yt), rtol=1e-12)
        np.testing.assert_allclose(
            res["test_crps"][k], -crps_normal(yt, mean, std), rtol=1e-12
        )
        lower, upper = reg.predict_dist(Xs).interval(0.9)
        np.testing.assert_allclose(
            res["test_interval"][k],
            -interval_score(yt, lower, upper, confidence=0.9),
            rtol=1e-12,
        )
        np.testing.assert_allclose(
            res["test_coverage"][k],
            -abs(interval_coverage(yt, lower, upper) - 0.9),
            rtol=1e-12,
        )
        np.testing.assert_allclose(res["test_r2"][k], r2_score(yt, mean), rtol=1e-12)
    assert np.all(res["test_r2"] > 0.3)  # a linear model of diabetes: R² ≈ 0.5


def test_cross_validate_classifier_with_several_scorers():
    X, y = load_iris(return_X_y=True)
    y = np.array(["setosa", "versicolor", "virginica"])[y]
    clf = make_pipeline(StandardScaler(), CategoricalNLLClassifier(alpha=1e-2))
    res = cross_validate(
        clf,
        X,
        y,
        scoring={
            "nll": neg_nll_scorer,
            "log_loss": "neg_log_loss",
            "brier": neg_brier_scorer,
            "accuracy": "accuracy",
        },
        cv=StratifiedKFold(5, shuffle=True, random_state=0),
        return_estimator=True,
        return_indices=True,
    )
    # sklearn's own log loss is the same quantity as sklik's NLL
    np.testing.assert_allclose(res["test_nll"], res["test_log_loss"], rtol=1e-9)
    for k, (est, test) in enumerate(
        zip(res["estimator"], res["indices"]["test"], strict=True)
    ):
        np.testing.assert_allclose(
            res["test_brier"][k],
            -brier_score(y[test], est.predict_proba(X[test]), labels=est.classes_),
            rtol=1e-12,
        )
    assert np.all(res["test_accuracy"] > 0.85)


# -- clone, pickle, joblib -------------------------------------------------------
def _fitted_estimators(diabetes, cancer):
    X, y = diabetes
    Xc, yc = cancer
    Xc = StandardScaler().fit_transform(Xc)
    Xi, yi = load_iris(return_X_y=True)
    noise = np.random.default_rng(0).normal(size=len(y))
    Y = np.column_stack([y, X[:, 0] * 100 + X[:, 3] * 50 + noise])
    return [
        (GaussianNLLRegressor(alpha=1e-4).fit(X, y), X),
        (GaussianNLLRegressor(heteroscedastic=True).fit(X, y), X),
        (BernoulliNLLClassifier(alpha=1e-2).fit(Xc, yc), Xc),
        (CategoricalNLLClassifier(alpha=1e-2).fit(Xi, yi), Xi),
        (MultiOutputNLL().fit(X, Y), X),
        (make_pipeline(SplineTransformer(), GaussianNLLRegressor()).fit(X, y), X),
    ]


def _outputs(est, X):
    """Everything the estimator predicts, as a list of arrays."""
    out = [np.asarray(est.predict(X))]
    if hasattr(est, "predict_proba"):
        out += [est.predict_proba(X), est.predict_log_proba(X)]
    else:
        out += list(est.predict(X, return_std=True))
    if hasattr(est, "predict_dist"):
        dists = est.predict_dist(X)
        for d in dists if isinstance(dists, list) else [dists]:
            out.append(d.probs if hasattr(d, "probs") else d.ppf(0.05))
    return out


def test_pickle_and_joblib_round_trips_predict_identically(diabetes, cancer):
    for est, X in _fitted_estimators(diabetes, cancer):
        buffer = io.BytesIO()
        joblib.dump(est, buffer)
        buffer.seek(0)
        for restored in (pickle.loads(pickle.dumps(est)), joblib.load(buffer)):
            assert type(restored) is type(est)
            for a, b in zip(_outputs(est, X), _outputs(restored, X), strict=True):
                np.testing.assert_array_equal(a, b)


def test_clone_gives_the_same_unfitted_model(diabetes, cancer):
    for est, X in _fitted_estimators(diabetes, cancer):
        twin = clone(est)
        assert repr(twin) == repr(est)
        with pytest.raises(NotFittedError):
            twin.predict(X)
    # a clone refitted on the same data predicts the same
    X, y = diabetes
    est = GaussianNLLRegressor(heteroscedastic=True, alpha=1e-3).fit(X, y)
    np.testing.assert_allclose(
        clone(est).fit(X, y).predict(X, return_std=True),
        est.predict(X, return_std=True),
        rtol=1e-12,
    )


# -- pandas -----------------------------------------------------------------------
def test_dataframe_input_records_and_checks_feature_names():
    frame = load_diabetes(as_frame=True)
    X, y = frame.data, frame.target
    for est, target in [
        (GaussianNLLRegressor(heteroscedastic=True), y),
        (BernoulliNLLClassifier(), np.where(y > y.median(), "high", "low")),
        (MultiOutputNLL(), pd.DataFrame({"y": y, "y2": 2 * y + X["bmi"]})),
    ]:
        est.fit(X, target)
        np.testing.assert_array_equal(est.feature_names_in_, X.columns)
        expected = est.predict(X)
        with pytest.warns(UserWarning, match="does not have valid feature names"):
            np.testing.assert_array_equal(est.predict(X.to_numpy()), expected)
        with pytest.raises(ValueError, match="feature names should match"):
            est.predict(X.rename(columns={"bmi": "body_mass"}))
        with pytest.raises(ValueError, match="feature names should match"):
            est.predict(X[X.columns[::-1]])


def test_set_output_pandas_upstream_and_column_transformer():
    frame = load_diabetes(as_frame=True)
    X, y = frame.data.copy(), frame.target
    X["sex"] = np.where(X["sex"] > 0, "m", "f")
    numeric = [c for c in X.columns if c != "sex"]
    prep = ColumnTransformer(
        [
            ("num", StandardScaler(), numeric),
            # all levels: collinear with the intercept (a rank-deficient X)
            ("cat", OneHotEncoder(sparse_output=False), ["sex"]),
        ]
    )
    pipe = make_pipeline(prep, GaussianNLLRegressor()).set_output(transform="pandas")
    pipe.fit(X, y)
    reg = pipe[-1]
    assert list(reg.feature_names_in_) == [f"num__{c}" for c in numeric] + [
        "cat__sex_f",
        "cat__sex_m",
    ]
    # the same least-squares fit as scikit-learn's on the same design
    ols = make_pipeline(clone(prep), LinearRegression()).fit(X, y)
    np.testing.assert_allclose(pipe.predict(X), ols.predict(X), rtol=1e-9)
    resid = y - ols.predict(X)
    np.testing.assert_allclose(reg.scale_, np.sqrt(np.mean(resid**2)), rtol=1e-9)
    mean, std = pipe.predict(X, return_std=True)
    np.testing.assert_array_equal(mean, pipe.predict(X))
    np.testing.assert_allclose(std, reg.scale_)


# -- labels -----------------------------------------------------------------------
@pytest.mark.parametrize(
    "labels",
    [
        np.array(["benign", "malignant"]),
        np.array([-1, 1]),
        np.array([3, 7]),
        np.array([False, True]),
    ],
    ids=["str", "pm1", "int", "bool"],
)
@pytest.mark.parametrize("cls", [BernoulliNLLClassifier, CategoricalNLLClassifier])
def test_binary_labels_of_any_type(labels, cls):
    X, y01 = load_breast_cancer(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    y = labels[y01]
    clf = cls(alpha=1e-2).fit(X, y)
    np.testing.assert_array_equal(clf.classes_, np.sort(labels))
    pred = clf.predict(X)
    assert pred.dtype == y.dtype and set(pred) <= set(labels)
    proba = clf.predict_proba(X)
    np.testing.assert_allclose(clf.nll(X, y), log_loss(y, proba, labels=clf.classes_))
    rows = np.arange(len(y))
    dist = clf.predict_dist(X)
    np.testing.assert_allclose(dist.pmf(y), proba[rows, y01], rtol=1e-12)
    np.testing.assert_allclose(
        dist.logpmf(y), clf.predict_log_proba(X)[rows, y01], rtol=1e-12
    )
    assert clf.score(X, y) == accuracy_score(y, pred) > 0.95


@pytest.mark.parametrize(
    "labels",
    [np.array(["setosa", "versicolor", "virginica"]), np.array([10, 20, 5])],
    ids=["str", "int"],
)
def test_multiclass_labels_of_any_type(labels):
    X, codes = load_iris(return_X_y=True)
    y = labels[codes]
    clf = CategoricalNLLClassifier(alpha=1e-2).fit(X, y)
    np.testing.assert_array_equal(clf.classes_, np.sort(labels))
    # the same fit whatever the labels are called: compare with integer codes
    ref = CategoricalNLLClassifier(alpha=1e-2).fit(X, codes)
    order = np.argsort(labels)  # classes_ are sorted labels
    np.testing.assert_allclose(
        clf.predict_proba(X), ref.predict_proba(X)[:, order], rtol=1e-8, atol=1e-12
    )
    np.testing.assert_array_equal(clf.predict(X), labels[ref.predict(X)])
    draws = clf.predict_dist(X[:5]).rvs(size=10, random_state=0)
    assert set(np.unique(draws)) <= set(labels)


# -- meta-estimators ---------------------------------------------------------------
def test_calibrated_classifier_cv_around_sklik(cancer):
    X, y = cancer
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.3, random_state=0, stratify=y
    )
    for base in (
        BernoulliNLLClassifier(alpha=1e-2),
        CategoricalNLLClassifier(alpha=1e-2),
    ):
        # isotonic calibration is monotone increasing in decision_function:
        # a wrong sign or shape of the logits would wreck the predictions
        model = CalibratedClassifierCV(
            make_pipeline(StandardScaler(), base), method="isotonic", cv=3
        ).fit(X_train, y_train)
        np.testing.assert_array_equal(model.classes_, ["benign", "malignant"])
        proba = model.predict_proba(X_test)
        np.testing.assert_allclose(proba.sum(axis=1), 1.0)
        # (the majority class alone scores 0.63, a sign error far below)
        assert model.score(X_test, y_test) > 0.9
        # no predict_log_proba on CalibratedClassifierCV: scorers use log(proba)
        nll = neg_nll_scorer(model, X_test, y_test)
        np.testing.assert_allclose(
            nll, -log_loss(y_test, proba, labels=model.classes_), rtol=1e-9
        )


def test_soft_voting_classifier_averages_sklik_probabilities(cancer):
    X, y = cancer
    X = StandardScaler().fit_transform(X)
    vote = VotingClassifier(
        [
            ("bern", BernoulliNLLClassifier(alpha=1e-2)),
            ("cat", CategoricalNLLClassifier(alpha=1e-2)),
            ("logreg", LogisticRegression()),
        ],
        voting="soft",
    ).fit(X, y)
    members = [est.predict_proba(X) for est in vote.estimators_]
    np.testing.assert_allclose(vote.predict_proba(X), np.mean(members, axis=0))
    np.testing.assert_array_equal(vote.classes_, ["benign", "malignant"])
    assert vote.score(X, y) > 0.95
    # the members see encoded labels; the ensemble maps them back
    np.testing.assert_array_equal(vote.estimators_[0].classes_, [0, 1])
    assert set(vote.predict(X)) <= {"benign", "malignant"}


def test_stacking_regressor_forwards_return_std_to_a_sklik_final_estimator(diabetes):
    X, y = diabetes
    X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)
    stack = StackingRegressor(
        [
            ("hetero", GaussianNLLRegressor(heteroscedastic=True)),
            ("ridge", RidgeCV()),
            ("spline", make_pipeline(SplineTransformer(n_knots=3), RidgeCV())),
        ],
        final_estimator=GaussianNLLRegressor(heteroscedastic=True),
    ).fit(X_train, y_train)
    mean, std = stack.predict(X_test, return_std=True)
    Z = stack.transform(X_test)
    np.testing.assert_allclose(mean, stack.final_estimator_.predict(Z))
    np.testing.assert_allclose(
        std, stack.final_estimator_.predict(Z, return_std=True)[1]
    )
    assert r2_score(y_test, mean) > 0.3
    np.testing.assert_allclose(
        neg_nll_scorer(stack, X_test, y_test),
        -stack.final_estimator_.nll(Z, y_test),
        rtol=1e-12,
    )


@pytest.mark.parametrize("heteroscedastic", [False, True])
def test_iterative_imputer_samples_from_the_predictive_distribution(
    diabetes, heteroscedastic
):
    X, _ = diabetes
    rng = np.random.RandomState(0)
    j = 5  # s2, well predicted by the other serum measurements
    missing = rng.uniform(size=len(X)) < 0.3
    X_missing = X.copy()
    X_missing[missing, j] = np.nan
    est = GaussianNLLRegressor(heteroscedastic=heteroscedastic)

    def impute(seed):
        imputer = IterativeImputer(
            estimator=est, sample_posterior=True, max_iter=1, random_state=seed
        )
        return imputer, imputer.fit_transform(X_missing)

    imputer, X_imputed = impute(0)
    np.testing.assert_array_equal(X_imputed[~missing], X[~missing])
    # every other column is complete: the model for column j saw them as they are
    (triplet,) = [t for t in imputer.imputation_sequence_ if t.feat_idx == j]
    mu, sigma = triplet.estimator.predict(
        X[missing][:, triplet.neighbor_feat_idx], return_std=True
    )
    # the imputed values are draws from Normal(mu, sigma): standardised, N(0, 1)
    z = (X_imputed[missing, j] - mu) / sigma
    assert abs(z.mean()) < 4 / np.sqrt(len(z))
    assert 0.75 < z.std() < 1.3
    # draws, not the mean: another seed gives other values, the same seed the same
    np.testing.assert_array_equal(impute(0)[1], X_imputed)
    assert not np.allclose(impute(1)[1][missing, j], X_imputed[missing, j])


@pytest.mark.parametrize("value", [1.0, 3.7, -250.0])
@pytest.mark.parametrize(
    "est",
    [
        GaussianNLLRegressor(),
        GaussianNLLRegressor(heteroscedastic=True),
        BernoulliNLLClassifier(alpha=1e-2),
    ],
    ids=repr,
)
def test_a_constant_column_changes_nothing(diabetes, est, value):
    """A column constant on the training data (a one-hot level missing from a
    fold, a passthrough constant) gets coefficient 0 and leaves the fit as is."""
    X, y = diabetes
    if hasattr(est, "predict_proba"):
        y = y > np.median(y)
    X_const = np.column_stack([X, np.full(len(y), value)])
    with_const = clone(est).fit(X_const, y)
    without = clone(est).fit(X, y)
    # the same optimum, up to the solver's tolerance
    for a, b in zip(_outputs(with_const, X_const), _outputs(without, X), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-6 * np.max(np.abs(b)))
    coef = np.ravel(with_const.coef_)
    assert abs(coef[-1]) < 1e-6 * np.max(np.abs(coef))
    if hasattr(with_const, "scale_coef_"):
        assert abs(with_const.scale_coef_[-1]) < 1e-6 * np.max(
            np.abs(with_const.scale_coef_)
        )


def test_scorers_receive_sample_weight_through_metadata_routing(diabetes):
    X, y = diabetes
    sw = np.random.RandomState(0).uniform(0.0, 3.0, size=len(y))
    scoring = {
        "nll": neg_nll_scorer,
        "crps": neg_crps_scorer,
        "interval": make_interval_scorer(0.9),
    }
    with sklearn.config_context(enable_metadata_routing=True):
        est = GaussianNLLRegressor(heteroscedastic=True).set_fit_request(
            sample_weight=True
        )
        res = cross_validate(
            est,
            X,
            y,
            scoring=scoring,
            params={"sample_weight": sw},
            cv=KFold(3, shuffle=True, random_state=0),
            return_estimator=True,
            return_indices=True,
        )
    for k, (fitted, test) in enumerate(
        zip(res["estimator"], res["indices"]["test"], strict=True)
    ):
        Xt, yt, wt = X[test], y[test], sw[test]
        np.testing.assert_allclose(
            res["test_nll"][k], -fitted.nll(Xt, yt, wt), rtol=1e-12
        )
        dist = fitted.predict_dist(Xt)
        np.testing.assert_allclose(
            res["test_crps"][k], -crps_normal(yt, dist, sample_weight=wt), rtol=1e-12
        )
        np.testing.assert_allclose(
            res["test_interval"][k],
            -interval_score(yt, *dist.interval(0.9), confidence=0.9, sample_weight=wt),
            rtol=1e-12,
        )
        # the weights make a difference: unweighted scores are not these
        assert res["test_nll"][k] != pytest.approx(-fitted.nll(Xt, yt), rel=1e-6)
