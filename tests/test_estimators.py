"""Estimator behaviour: mappings to scikit-learn, bad input, state handling."""

import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.datasets import load_breast_cancer, load_diabetes, load_iris, load_wine
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LinearRegression, LogisticRegression, Ridge
from sklearn.preprocessing import StandardScaler
from sklearn.utils.class_weight import compute_sample_weight

from sklik import (
    BernoulliNLLClassifier,
    CategoricalNLLClassifier,
    GaussianNLLRegressor,
    MultiOutputNLL,
)
from sklik._starts import cold_start

ALL = [GaussianNLLRegressor, BernoulliNLLClassifier, CategoricalNLLClassifier]


def _scaled(loader):
    X, y = loader(return_X_y=True)
    return StandardScaler().fit_transform(X), y


# -- the same objective as scikit-learn ------------------------------------------
@pytest.mark.parametrize("alpha", [1e-3, 1e-1])
def test_bernoulli_equals_logistic_regression(alpha):
    X, y = _scaled(load_breast_cancer)
    # tol: the gradient bound that makes 1e-6 agreement a promise, not luck
    ours = BernoulliNLLClassifier(alpha=alpha, tol=1e-11).fit(X, y)
    ref = LogisticRegression(
        C=1 / (alpha * len(y)), tol=1e-12, max_iter=10_000, solver="newton-cholesky"
    ).fit(X, y)
    np.testing.assert_allclose(ours.coef_, ref.coef_, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(ours.intercept_, ref.intercept_, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(ours.predict_proba(X), ref.predict_proba(X), atol=1e-9)


@pytest.mark.parametrize("alpha", [0.0, 1e-2])
def test_categorical_equals_multinomial_logistic_regression(alpha):
    X, y = _scaled(load_wine)
    X = X[:, :4]  # four features: the classes overlap, so the MLE exists at alpha=0
    ours = CategoricalNLLClassifier(alpha=alpha, tol=1e-11).fit(X, y)
    C = np.inf if alpha == 0 else 1 / (alpha * len(y))
    ref = LogisticRegression(C=C, tol=1e-12, max_iter=10_000).fit(X, y)
    np.testing.assert_allclose(ours.predict_proba(X), ref.predict_proba(X), atol=1e-8)
    # sklearn's multinomial coefficients are centred as well
    np.testing.assert_allclose(ours.coef_, ref.coef_, rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("fit_intercept", [True, False])
def test_homoscedastic_gaussian_equals_least_squares(fit_intercept):
    X, y = load_diabetes(return_X_y=True)
    ours = GaussianNLLRegressor(fit_intercept=fit_intercept).fit(X, y)
    ref = LinearRegression(fit_intercept=fit_intercept).fit(X, y)
    np.testing.assert_allclose(ours.coef_, ref.coef_, rtol=1e-9)
    np.testing.assert_allclose(ours.intercept_, ref.intercept_, rtol=1e-9, atol=1e-9)
    rss = np.sum((y - ref.predict(X)) ** 2)
    assert ours.scale_ == pytest.approx(np.sqrt(rss / len(y)), rel=1e-12)


def test_gaussian_penalty_maps_to_ridge_with_fitted_scale():
    X, y = load_diabetes(return_X_y=True)
    # tol=1e-10: an identity at the optimum, not at tol=1e-8's stopping point
    ours = GaussianNLLRegressor(alpha=1e-4, tol=1e-10).fit(X, y)
    sd_y = np.std(y)  # the penalty is on coefficients in units of y's spread
    ref = Ridge(alpha=1e-4 * ours.scale_**2 * len(y) / sd_y**2, tol=1e-12).fit(X, y)
    np.testing.assert_allclose(ours.coef_, ref.coef_, rtol=1e-7)
    assert not np.allclose(ours.coef_, LinearRegression().fit(X, y).coef_, rtol=1e-3)


@pytest.mark.parametrize("solver", ["newton", "lbfgs", "newton-cg"])
@pytest.mark.parametrize("heteroscedastic", [False, True])
def test_every_solver_reaches_the_same_optimum(solver, heteroscedastic):
    X, y = load_diabetes(return_X_y=True)
    ref = GaussianNLLRegressor(heteroscedastic=heteroscedastic).fit(X, y)
    ours = GaussianNLLRegressor(
        heteroscedastic=heteroscedastic, solver=solver, max_iter=5000, tol=1e-7
    ).fit(X, y)
    np.testing.assert_allclose(
        ours.predict(X, return_std=True), ref.predict(X, return_std=True), rtol=1e-5
    )


@pytest.mark.parametrize(
    "est",
    [GaussianNLLRegressor(heteroscedastic=True), CategoricalNLLClassifier(alpha=1e-2)],
    ids=repr,
)
def test_sparse_and_dense_agree(est):
    X, y = load_diabetes(return_X_y=True)
    if hasattr(est, "predict_proba"):
        y = np.digitize(y, np.quantile(y, [0.33, 0.66]))
    X[np.abs(X) < 0.02] = 0.0
    dense = est.__class__(**est.get_params()).fit(X, y)
    for fmt in (sp.csr_matrix, sp.csc_matrix):
        sparse = est.__class__(**est.get_params()).fit(fmt(X), y)
        np.testing.assert_allclose(sparse.coef_, dense.coef_, rtol=1e-6, atol=1e-8)


def test_categorical_with_two_classes_matches_bernoulli_at_alpha_zero():
    X, y = _scaled(load_breast_cancer)
    X = X[:, :3]
    cat = CategoricalNLLClassifier().fit(X, y)
    ber = BernoulliNLLClassifier().fit(X, y)
    assert cat.decision_function(X).shape == (len(y),)
    np.testing.assert_allclose(
        cat.decision_function(X), ber.decision_function(X), rtol=1e-7, atol=1e-8
    )
    np.testing.assert_allclose(cat.coef_.sum(axis=0), 0.0, atol=1e-10)


def test_class_weight_balanced_equals_its_sample_weights():
    X, y = _scaled(load_breast_cancer)
    balanced = BernoulliNLLClassifier(alpha=1e-2, class_weight="balanced").fit(X, y)
    weighted = BernoulliNLLClassifier(alpha=1e-2).fit(
        X, y, sample_weight=compute_sample_weight("balanced", y)
    )
    np.testing.assert_allclose(balanced.coef_, weighted.coef_, rtol=1e-10)
    custom = BernoulliNLLClassifier(alpha=1e-2, class_weight={0: 1.0, 1: 3.0}).fit(X, y)
    assert not np.allclose(custom.coef_, weighted.coef_)


@pytest.mark.parametrize("Est", ALL)
def test_no_weights_equal_unit_weights(Est):
    X, y = _scaled(load_iris)
    y = y % 2 if Est is BernoulliNLLClassifier else y
    a = Est(alpha=1e-2).fit(X, y)
    b = Est(alpha=1e-2).fit(X, y, sample_weight=np.ones(len(y)))
    np.testing.assert_array_equal(a.coef_, b.coef_)


def test_warm_start_reuses_the_previous_solution():
    X, y = _scaled(load_breast_cancer)
    cold = BernoulliNLLClassifier(alpha=1e-3).fit(X, y)
    warm = BernoulliNLLClassifier(alpha=1e-3, warm_start=True).fit(X, y)
    warm.set_params(alpha=1.1e-3).fit(X, y)
    fresh = BernoulliNLLClassifier(alpha=1.1e-3).fit(X, y)
    np.testing.assert_allclose(warm.coef_, fresh.coef_, rtol=1e-5)
    assert warm.n_iter_ < cold.n_iter_


def test_convergence_warning_when_max_iter_is_too_small():
    X, y = _scaled(load_breast_cancer)
    with pytest.warns(ConvergenceWarning, match="max_iter"):
        BernoulliNLLClassifier(alpha=1e-3, max_iter=1).fit(X, y)


def test_complete_separation_warns_and_stays_finite():
    X = np.array([[-2.0], [-1.0], [1.0], [2.0]])
    y = np.array([0, 0, 1, 1])
    with pytest.warns(ConvergenceWarning, match="separable.*alpha > 0"):
        clf = BernoulliNLLClassifier().fit(X, y)
    assert np.all(np.isfinite(clf.coef_))
    np.testing.assert_array_equal(clf.predict(X), y)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        BernoulliNLLClassifier(alpha=1e-2).fit(X, y)


# -- MultiOutputNLL ---------------------------------------------------------------
def test_multioutput_mixed_families():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 3))
    label = np.where(X[:, 0] + rng.logistic(size=300) > 0, "left", "right")
    pos = X @ [1.0, 2.0, 0.0] + rng.normal(size=300)
    Y = np.column_stack([label, pos.astype(object), (2 * pos).astype(object)])
    model = MultiOutputNLL(
        outputs=[
            CategoricalNLLClassifier(),
            GaussianNLLRegressor(),
            GaussianNLLRegressor(),
        ]
    ).fit(X, Y)
    pred = model.predict(X)
    assert pred.shape == (300, 3) and pred.dtype == object
    assert set(pred[:, 0]) <= {"left", "right"}
    parts = [est.nll(X, Y[:, j]) for j, est in enumerate(model.outputs_)]
    assert model.nll(X, Y) == pytest.approx(sum(parts), rel=1e-12)
    # mixed kinds: the score is the log-likelihood (-nll), not accuracy and R²
    assert model.score(X, Y) == pytest.approx(-model.nll(X, Y), rel=1e-12)
    assert len(model.predict_dist(X)) == 3


def test_multioutput_default_is_independent_gaussians():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(100, 2))
    Y = np.column_stack([X @ [1.0, -1.0], X @ [0.5, 2.0]]) + rng.normal(size=(100, 2))
    model = MultiOutputNLL().fit(X, Y)
    for j in range(2):
        single = GaussianNLLRegressor().fit(X, Y[:, j])
        np.testing.assert_allclose(model.outputs_[j].coef_, single.coef_)
    mean, std = model.predict(X, return_std=True)
    assert mean.shape == std.shape == (100, 2) and mean.dtype == np.float64


# -- bad input --------------------------------------------------------------------
def _data(Est):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(30, 3))
    y = rng.normal(size=30) if Est is GaussianNLLRegressor else rng.integers(0, 2, 30)
    return X, y


@pytest.mark.parametrize("Est", ALL)
@pytest.mark.parametrize(
    "params,match",
    [
        ({"alpha": -1.0}, "alpha"),
        ({"alpha": np.nan}, "alpha"),
        ({"max_iter": 0}, "max_iter"),
        ({"tol": 0.0}, "tol"),
        ({"solver": "sgd"}, "solver"),
        ({"fit_intercept": "yes"}, "fit_intercept"),
        ({"warm_start": 1}, "warm_start"),
    ],
)
def test_bad_parameters_are_named(Est, params, match):
    X, y = _data(Est)
    with pytest.raises(ValueError, match=match):
        Est(**params).fit(X, y)


@pytest.mark.parametrize("Est", ALL)
def test_bad_data_raises_value_error_naming_the_problem(Est):
    X, y = _data(Est)
    X_nan = X.copy()
    X_nan[3, 1] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        Est().fit(X_nan, y)
    X_inf = X.copy()
    X_inf[0, 0] = np.inf
    with pytest.raises(ValueError, match="infinity"):
        Est().fit(X_inf, y)
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        Est().fit(X, y[:-1])
    with pytest.raises(ValueError, match="2D array"):
        Est().fit(X[:, 0], y)
    with pytest.raises(ValueError, match="negative"):
        Est().fit(X, y, sample_weight=-np.ones(30))
    with pytest.raises(ValueError, match="sums to zero"):
        Est().fit(X, y, sample_weight=np.zeros(30))
    with pytest.raises(ValueError, match="sample_weight must have shape"):
        Est().fit(X, y, sample_weight=np.ones(29))
    with pytest.raises(ValueError, match="features"):
        Est().fit(X, y).predict(X[:, :2])


def test_nan_in_regression_target_is_rejected():
    X, y = _data(GaussianNLLRegressor)
    y = y.copy()
    y[2] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        GaussianNLLRegressor().fit(X, y)


@pytest.mark.parametrize("Est", [BernoulliNLLClassifier, CategoricalNLLClassifier])
def test_one_class_is_rejected(Est):
    X, _ = _data(Est)
    with pytest.raises(ValueError, match="at least 2 classes"):
        Est().fit(X, np.zeros(30))


def test_three_classes_to_bernoulli_names_the_categorical_classifier():
    X, _ = _data(BernoulliNLLClassifier)
    with pytest.raises(ValueError, match="CategoricalNLLClassifier"):
        BernoulliNLLClassifier().fit(X, np.arange(30) % 3)


def test_lstsq_solver_refuses_problems_it_cannot_solve():
    X, y = _data(GaussianNLLRegressor)
    with pytest.raises(ValueError, match="lstsq"):
        GaussianNLLRegressor(solver="lstsq", heteroscedastic=True).fit(X, y)


@pytest.mark.parametrize("Est", ALL)
@pytest.mark.parametrize("sparse", [False, True])
def test_caller_arrays_are_never_modified(Est, sparse):
    X, y = _data(Est)
    X = X.astype(np.float32)
    X = sp.csr_matrix(X) if sparse else X
    sw = np.linspace(0.5, 2.0, 30)
    X_copy, y_copy, sw_copy = X.copy(), y.copy(), sw.copy()
    est = Est(alpha=1e-2).fit(X, y, sample_weight=sw)
    est.predict(X)
    est.nll(X, y, sample_weight=sw)
    if sparse:
        assert (X != X_copy).nnz == 0
    else:
        np.testing.assert_array_equal(X, X_copy)
    np.testing.assert_array_equal(y, y_copy)
    np.testing.assert_array_equal(sw, sw_copy)


@pytest.mark.parametrize("Est", ALL)
def test_failed_refit_leaves_the_previous_fit_usable(Est):
    X, y = _data(Est)
    est = Est(alpha=1e-2).fit(X, y)
    before = est.predict(X)
    state = {k: v for k, v in vars(est).items() if k.endswith("_")}
    X_bad = X.copy()
    X_bad[0, 0] = np.nan
    with pytest.raises(ValueError):
        est.fit(X_bad[:, :2], y)
    with pytest.raises(ValueError):
        est.set_params(alpha=-1).fit(X, y)
    np.testing.assert_array_equal(est.predict(X), before)
    assert set(state) == {k for k in vars(est) if k.endswith("_")}


def _heteroscedastic_objective(X, y):
    reg = GaussianNLLRegressor(heteroscedastic=True)
    objective, units = reg._objective(X, y, None)
    return objective, units


def test_heteroscedastic_start_is_never_worse_than_the_homoscedastic_fit():
    """The start (least squares for μ, least squares of log r² for log σ) is
    taken only when it beats the homoscedastic optimum, and on data with
    σ(x) = exp(x·v) it recovers v to within its sampling error."""
    X, y = load_diabetes(return_X_y=True)
    obj, units = _heteroscedastic_objective(X, y)
    homoscedastic = GaussianNLLRegressor().fit(X, y).nll(X, y)
    # (the objective is in y's internal units: the NLL less log sd(y))
    assert obj(cold_start(obj))[0] + np.log(units.scale[0]) <= homoscedastic + 1e-12

    rng = np.random.default_rng(0)
    X = rng.normal(size=(20_000, 3)) * [1.0, 5.0, 0.2] + [0.0, 3.0, -1.0]
    v = np.array([0.3, -0.05, 1.0])
    y = X @ [1.0, 2.0, -3.0] + np.exp(X @ v - 0.5) * rng.normal(size=len(X))
    obj, units = _heteroscedastic_objective(X, y)
    start = cold_start(obj)
    W = obj.model.to_user(start)[0] * units.scale
    sd = np.array([1.0, 5.0, 0.2])  # the columns' spreads
    assert np.max(np.abs(W[:, 1] - v) * sd) < 0.05
    homoscedastic = GaussianNLLRegressor().fit(X, y).nll(X, y)
    assert obj(start)[0] + np.log(units.scale[0]) < homoscedastic - 0.1
