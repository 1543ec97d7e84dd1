"""Degenerate and hostile data, and bad input: nothing breaks, errors explain.

- separable classes (complete and quasi-complete) at alpha=0 warn and stay
  finite; alpha > 0 converges silently;
- heteroscedastic fits on tiny, constant, outlying or repeated data keep σ(x)
  finite without a RuntimeWarning (pyproject makes those errors);
- labels of any type, rare classes, classes missing from a CV fold;
- extreme magnitudes scale exactly; float32 input is computed in float64;
- every bad input raises ValueError/TypeError naming the argument; nothing
  the caller passed is modified; a failed fit keeps the previous fit.
"""

import copy
import re
import warnings

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from sklearn.base import clone
from sklearn.datasets import load_breast_cancer, load_iris
from sklearn.exceptions import ConvergenceWarning, NotFittedError
from sklearn.model_selection import KFold, cross_val_predict, cross_val_score

import sklik._separation
from sklik import (
    BernoulliNLLClassifier,
    CategoricalNLLClassifier,
    GaussianNLLRegressor,
    MultiOutputNLL,
)
from sklik._separation import lp_size, separating_direction
from sklik.exceptions import DegenerateFitWarning
from sklik.models import LinearModel


def fit_recording(est, X, y, sample_weight=None):
    """Fit with every warning recorded; RuntimeWarnings still fail the test."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        warnings.simplefilter("error", RuntimeWarning)
        est.fit(X, y, sample_weight=sample_weight)
    return [w for w in caught if issubclass(w.category, ConvergenceWarning)]


def fit_silently(est, X, y, sample_weight=None):
    """Fit, failing on any warning at all."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return est.fit(X, y, sample_weight=sample_weight)


# -- separation -------------------------------------------------------------
def complete_binary(n=40, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 2))
    y = (X[:, 0] + 0.5 * X[:, 1] > 0).astype(int)
    X[:, 0] += np.where(y == 1, 0.5, -0.5)  # a clear gap
    return X, y


def complete_three_class(n=60, seed=1):
    rng = np.random.default_rng(seed)
    y = np.repeat([0, 1, 2], n // 3)
    X = rng.normal(scale=0.3, size=(n, 2)) + np.array([[0, 0], [4, 0], [0, 4]])[y]
    return X, y


def quasi_binary():
    """Separable except at x = 0, where both classes occur."""
    x = np.array([-3.0, -2.0, -1.0, 0.0, 0.0, 1.0, 2.0, 3.0])
    y = np.array([0, 0, 0, 0, 1, 1, 1, 1])
    rng = np.random.default_rng(2)
    X = np.column_stack([x, rng.normal(size=len(x))])
    X[4] = X[3]  # the two x = 0 samples coincide: no complete separation
    return X, y


def assert_separable_warning(records):
    messages = [str(w.message) for w in records]
    assert any("separable" in m and "alpha > 0" in m for m in messages), messages


SEPARABLE = {
    "bernoulli_complete": (BernoulliNLLClassifier, complete_binary),
    "categorical_complete": (CategoricalNLLClassifier, complete_three_class),
    "bernoulli_quasi": (BernoulliNLLClassifier, quasi_binary),
    "categorical_quasi_iris": (
        CategoricalNLLClassifier,
        lambda: load_iris(return_X_y=True),
    ),
}


@pytest.mark.parametrize("case", SEPARABLE)
@pytest.mark.parametrize("sparse", [False, True])
def test_separation_at_alpha_zero_warns_and_stays_finite(case, sparse):
    cls, load = SEPARABLE[case]
    X, y = load()
    Xf = sp.csr_matrix(X) if sparse else X
    clf = cls()
    records = fit_recording(clf, Xf, y)
    assert_separable_warning(records)
    if "quasi" in case:
        assert any("quasi-separable" in str(w.message) for w in records)
    assert np.all(np.isfinite(clf.coef_)) and np.all(np.isfinite(clf.intercept_))
    proba = clf.predict_proba(Xf)
    assert np.all(np.isfinite(proba))
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    if "complete" in case:
        np.testing.assert_array_equal(clf.predict(Xf), y)
    else:  # the separated samples are predicted right
        if case == "bernoulli_quasi":
            separated = X[:, 0] != 0
        else:
            separated = y == 0  # setosa
        np.testing.assert_array_equal(clf.predict(Xf)[separated], y[separated])


@pytest.mark.parametrize("case", SEPARABLE)
def test_separation_with_alpha_converges_without_warning(case):
    cls, load = SEPARABLE[case]
    X, y = load()
    newton = fit_silently(cls(alpha=1e-2), X, y)
    lbfgs = fit_silently(cls(alpha=1e-2, solver="lbfgs", max_iter=5000), X, y)
    # The penalised optimum is unique: two solvers find the same one.
    np.testing.assert_allclose(
        newton.predict_proba(X), lbfgs.predict_proba(X), atol=1e-6
    )


def test_quasi_separation_without_intercept_warns():
    X, y = quasi_binary()
    X = X[:, :1] + 0.0  # the x = 0 ties pass through the origin
    assert_separable_warning(
        fit_recording(BernoulliNLLClassifier(fit_intercept=False), X, y)
    )


def test_zero_weight_samples_do_not_count_against_separation():
    X, y = complete_binary()
    X = np.vstack([X, [[3.0, 0.0]]])  # deep in class 1's side, labelled 0
    y = np.append(y, 0)
    weights = np.ones(len(y))
    assert not fit_recording(BernoulliNLLClassifier(), X, y, weights)
    weights[-1] = 0.0
    assert_separable_warning(fit_recording(BernoulliNLLClassifier(), X, y, weights))


@pytest.mark.parametrize("cls", [BernoulliNLLClassifier, CategoricalNLLClassifier])
def test_a_class_of_zero_weight_is_named_as_the_reason(cls):
    """A class present in y but weighted zero has MLE probability 0: the
    warning says that, not "linearly separable"."""
    rng = np.random.default_rng(3)
    X = rng.normal(size=(60, 2))
    n_classes = 2 if cls is BernoulliNLLClassifier else 3
    y = np.arange(60) % n_classes
    sw = np.where(y == n_classes - 1, 0.0, 1.0)
    message = r"classes \[\d\] have zero total weight"
    with pytest.warns(DegenerateFitWarning, match=message):
        clf = cls().fit(X, y, sample_weight=sw)
    assert np.all(np.isfinite(clf.coef_))


def test_separation_warning_reaches_multioutput():
    X, y = complete_binary()
    Y = np.column_stack([y, X[:, 1] + 0.1 * X[:, 0]])
    model = MultiOutputNLL(outputs=[BernoulliNLLClassifier(), GaussianNLLRegressor()])
    assert_separable_warning(fit_recording(model, X, Y))


def test_overlapping_classes_do_not_warn_even_when_the_lp_runs(monkeypatch):
    """Breast cancer, ten features: some fitted probabilities are within
    1e-20 of one (so the LP runs), yet the classes overlap: no warning."""
    calls = []
    original = sklik._separation.separating_direction

    def recording(*args, **kwargs):
        calls.append(1)
        return original(*args, **kwargs)

    monkeypatch.setattr(sklik._separation, "separating_direction", recording)
    X, y = load_breast_cancer(return_X_y=True)
    fit_silently(BernoulliNLLClassifier(), X[:, :10], y)
    assert calls


def test_ordinary_fits_do_not_pay_for_the_separation_test(monkeypatch):
    def forbidden(*args, **kwargs):
        raise AssertionError("the separation LP ran on an ordinary fit")

    monkeypatch.setattr(sklik._separation, "separating_direction", forbidden)
    rng = np.random.default_rng(3)
    X = rng.normal(size=(3000, 5))
    lin = X @ [0.5, -0.3, 0.2, 0.0, 0.1]
    fit_silently(BernoulliNLLClassifier(), X, (lin + rng.logistic(size=3000) > 0))
    fit_silently(
        CategoricalNLLClassifier(),
        X,
        np.digitize(lin + rng.logistic(size=3000), [-0.5, 0.5]),
    )
    # Penalised fits never run it.
    Xs, ys = complete_binary()
    fit_silently(BernoulliNLLClassifier(alpha=1e-3), Xs, ys)


def _quasi_separable_ten_classes():
    """600 samples, 60 features, 10 classes: quasi-separable (the LP says so)
    but not completely; its LP has 658,800 non-zeros, over the limit."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(600, 60)) * rng.uniform(0.1, 10, size=60) + rng.normal(size=60)
    logits = (X / X.std(axis=0)) @ rng.normal(scale=0.4, size=(60, 10))
    return X, (logits + rng.gumbel(size=logits.shape)).argmax(axis=1)


def test_separation_too_large_to_test_still_warns(monkeypatch):
    X, y = _quasi_separable_ten_classes()
    assert lp_size(*X.shape, 10) > sklik._separation.MAX_LP_NONZEROS
    assert separating_direction(X, y, 10) is not None  # (the LP, run here)

    def forbidden(*args, **kwargs):
        raise AssertionError("the separation LP ran beyond its size limit")

    monkeypatch.setattr(sklik._separation, "separating_direction", forbidden)
    with pytest.warns(DegenerateFitWarning, match="probably quasi-separable"):
        CategoricalNLLClassifier().fit(X, y)
    # The same classes with a few samples near certainty only: silence.
    monkeypatch.setattr(sklik._separation, "UNTESTED_SEPARATION_SHARE", 0.9)
    fit_silently(CategoricalNLLClassifier(), X, y)


# -- heteroscedastic fits on degenerate data ----------------------------------
def _degenerate_regression_data():
    rng = np.random.default_rng(4)
    normal = rng.normal(size=(50, 2))
    return {
        "two_points": (np.array([[1.0], [2.0]]), np.array([2.0, 3.0])),
        "three_points": (np.array([[1.0], [2.0], [4.0]]), np.array([2.0, 3.0, 1.0])),
        "constant_y": (normal[:20], np.full(20, 3.0)),
        "constant_zero_y": (normal[:20], np.zeros(20)),
        "outlier_1e6": (normal, np.append(rng.normal(size=49), 1e6)),
        "outlier_1e12": (normal, np.append(rng.normal(size=49), 1e12)),
        "repeated_x": (np.full((30, 2), 5.0), rng.normal(size=30)),
        "repeated_x_constant_y": (np.full((30, 1), 5.0), np.ones(30)),
        "interpolated": (normal[:4, :], rng.normal(size=4)),
        "more_features_than_samples": (rng.normal(size=(5, 10)), rng.normal(size=5)),
        "two_x_values": (
            np.repeat([[0.0], [1.0]], 10, axis=0),
            np.append(np.ones(10), rng.normal(size=10)),
        ),
    }


DEGENERATE = _degenerate_regression_data()


@pytest.mark.parametrize("data", DEGENERATE)
@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("alpha", [0.0, 0.1])
def test_heteroscedastic_fit_on_degenerate_data_stays_finite(
    data, fit_intercept, alpha
):
    """No RuntimeWarning (overflow, division) and a finite, positive σ(x).

    Where the mean interpolates samples, the likelihood has no maximum (σ → 0
    there): the guard stops σ at 1e-10 of y's spread and the fit says so
    (a DegenerateFitWarning, allowed here); everything else stays finite.
    """
    X, y = DEGENERATE[data]
    reg = GaussianNLLRegressor(
        heteroscedastic=True, fit_intercept=fit_intercept, alpha=alpha
    )
    fit_recording(reg, X, y)
    rng = np.random.default_rng(5)
    pairs = rng.integers(0, len(X), size=(20, 2))
    between = 0.5 * (X[pairs[:, 0]] + X[pairs[:, 1]])  # inside the data's hull
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        for Xp in (X, between):
            mean, std = reg.predict(Xp, return_std=True)
            assert np.all(np.isfinite(mean))
            assert np.all(np.isfinite(std))
            assert np.all(std > 0)  # exp(log σ)
        assert np.isfinite(reg.nll(X, y))


@pytest.mark.parametrize("heteroscedastic", [True, False])
def test_fit_says_when_the_mean_interpolates_and_sigma_collapses(heteroscedastic):
    X, y = DEGENERATE["more_features_than_samples"]  # the mean interpolates
    with pytest.warns(DegenerateFitWarning, match="no maximum"):
        reg = GaussianNLLRegressor(heteroscedastic=heteroscedastic).fit(X, y)
    # σ stops at the guard, 1e-10 of y's spread, not at zero
    std = reg.predict(X, return_std=True)[1]
    assert np.all(std > 0) and np.all(std < 1e-9 * np.std(y))
    X, y = DEGENERATE["outlier_1e6"]  # 50 samples, 2 features: a maximum
    fit_silently(GaussianNLLRegressor(heteroscedastic=True, alpha=1e-3), X, y)


@pytest.mark.parametrize("data", ["constant_y", "repeated_x_constant_y"])
def test_homoscedastic_fit_on_constant_y(data):
    X, y = DEGENERATE[data]
    with pytest.warns(DegenerateFitWarning, match="degenerate"):
        reg = GaussianNLLRegressor().fit(X, y)
    np.testing.assert_allclose(reg.predict(X), y, rtol=1e-12, atol=0)
    assert 0 < reg.scale_ < 1e-9 * np.abs(y[0])
    assert np.isfinite(reg.nll(X, y))


# -- labels ---------------------------------------------------------------------
LABELS = {
    "strings": np.array(["spam", "eggs", "ham"]),
    "bools": np.array([False, True]),
    "negative_ints": np.array([-7, -1, 3]),
    "integral_floats": np.array([1.0, 2.0, 5.0]),
    "objects": np.array(["a", "b", "c"], dtype=object),
}


@pytest.mark.parametrize("kind", LABELS)
@pytest.mark.parametrize("cls", [BernoulliNLLClassifier, CategoricalNLLClassifier])
def test_labels_of_any_type(kind, cls):
    labels = LABELS[kind] if cls is CategoricalNLLClassifier else LABELS[kind][:2]
    rng = np.random.default_rng(6)
    X = rng.normal(size=(90, 2))
    codes = np.digitize(X[:, 0] + rng.logistic(size=90), [-0.7, 0.7][: len(labels) - 1])
    y = labels[codes]
    clf = fit_silently(cls(), X, y)
    by_code = fit_silently(cls(), X, codes)
    np.testing.assert_array_equal(clf.classes_, np.unique(y))
    assert clf.classes_.dtype == y.dtype
    pred = clf.predict(X)
    assert pred.dtype == y.dtype and set(pred) <= set(labels)
    # Same model as with integer codes (np.unique sorts the labels the same way).
    order = np.argsort(labels)
    np.testing.assert_allclose(
        clf.predict_proba(X), by_code.predict_proba(X)[:, order], atol=1e-12
    )
    assert clf.nll(X, y) == pytest.approx(by_code.nll(X, codes), rel=1e-12)
    dist = clf.predict_dist(X[:3])
    np.testing.assert_allclose(
        dist.pmf(y[:3]),
        clf.predict_proba(X[:3])[np.arange(3), np.searchsorted(clf.classes_, y[:3])],
    )


def test_rare_class_with_one_sample():
    rng = np.random.default_rng(7)
    X = rng.normal(size=(60, 2))
    y = np.where(X[:, 0] > 0, 1, 0)
    y[np.argmax(X[:, 1])] = 2  # one sample of class 2
    for clf in (CategoricalNLLClassifier(alpha=1e-3), CategoricalNLLClassifier()):
        fit_recording(clf, X, y)  # alpha=0: the lone sample is separable
        proba = clf.predict_proba(X)
        assert proba.shape == (60, 3) and np.all(np.isfinite(proba))
        # Its probability may underflow to 0 far away at alpha=0, never its log.
        assert np.all(np.isfinite(clf.predict_log_proba(X)))
        assert np.isfinite(clf.nll(X, y))
        assert clf.predict(X[y == 2])[0] == 2
    assert np.all(proba[:, 2] < 1) and np.all(
        CategoricalNLLClassifier(alpha=1e-3).fit(X, y).predict_proba(X)[:, 2] > 0
    )


def test_class_absent_from_a_training_fold():
    rng = np.random.default_rng(8)
    X = rng.normal(size=(90, 2))
    y = np.repeat(["a", "b", "c"], 30)  # sorted: unshuffled folds drop a class
    X[:, 0] += np.repeat([0.0, 1.0, 2.0], 30)
    with warnings.catch_warnings():
        # scikit-learn's own RuntimeWarning that a training fold lacks a class:
        # the very situation this test sets up on purpose.
        warnings.filterwarnings(
            "ignore", "Number of classes in training fold", RuntimeWarning
        )
        warnings.simplefilter("ignore", ConvergenceWarning)  # 2 classes: separable
        proba = cross_val_predict(
            CategoricalNLLClassifier(alpha=1e-2),
            X,
            y,
            cv=KFold(3),
            method="predict_proba",
        )
        scores = cross_val_score(
            CategoricalNLLClassifier(alpha=1e-2), X, y, cv=KFold(3)
        )
    assert proba.shape == (90, 3) and np.all(np.isfinite(proba))
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    # Each fold's held-out class was never seen in training: probability 0.
    np.testing.assert_array_equal(proba[np.arange(90), np.repeat([0, 1, 2], 30)], 0.0)
    assert np.all(scores == 0.0)
    clf = CategoricalNLLClassifier(alpha=1e-2).fit(X[:60], y[:60])
    with pytest.raises(ValueError, match=r"y contains labels not among the classes"):
        clf.nll(X[60:], y[60:])


# -- extreme magnitudes and float32 --------------------------------------------------
def _magnitude_data():
    rng = np.random.default_rng(9)
    Z = rng.normal(size=(200, 3)) + np.array([1.0, -2.0, 0.5])
    lin = Z @ [1.0, -0.5, 0.3]
    targets = {
        "gaussian": lin + np.exp(0.3 * Z[:, 0]) * rng.normal(size=200),
        "bernoulli": (lin + rng.logistic(size=200) > 0).astype(int),
        "categorical": np.digitize(lin + rng.logistic(size=200), [-1, 1]),
    }
    return Z, targets


MAGNITUDE_Z, MAGNITUDE_TARGETS = _magnitude_data()
MAGNITUDE_ESTIMATORS = {
    "gaussian": GaussianNLLRegressor(),
    "gaussian_newton": GaussianNLLRegressor(solver="newton"),
    "heteroscedastic": GaussianNLLRegressor(heteroscedastic=True),
    "bernoulli": BernoulliNLLClassifier(),
    "categorical": CategoricalNLLClassifier(),
}
EXACT = 1e-12  # "exactly": a few rounding errors


def _outputs(est, X):
    if hasattr(est, "predict_proba"):
        return est.predict_proba(X)
    return np.column_stack(est.predict(X, return_std=True))


@pytest.mark.parametrize("c", [1e8, 1e-8, 1e155, 1e-300])
@pytest.mark.parametrize("name", ["gaussian", "gaussian_newton", "heteroscedastic"])
def test_scaling_y_scales_mean_and_std_exactly(name, c):
    Z, y = MAGNITUDE_Z, MAGNITUDE_TARGETS["gaussian"]
    a = fit_silently(clone(MAGNITUDE_ESTIMATORS[name]), Z, y)
    b = fit_silently(clone(MAGNITUDE_ESTIMATORS[name]), Z, y * c)
    for out_a, out_b in zip(
        a.predict(Z, return_std=True), b.predict(Z, return_std=True)
    ):
        np.testing.assert_allclose(out_b, out_a * c, rtol=EXACT)
    np.testing.assert_allclose(b.coef_, a.coef_ * c, rtol=EXACT)
    # The NLL shifts by log c: the density of y·c is that of y over c.
    assert b.nll(Z, y * c) == pytest.approx(a.nll(Z, y) + np.log(c), rel=EXACT)


@pytest.mark.parametrize("c", [1e8, 1e-8, 1e150, 1e-150])
@pytest.mark.parametrize("name", MAGNITUDE_ESTIMATORS)
def test_scaling_a_column_scales_its_coefficient_exactly(name, c):
    Z = MAGNITUDE_Z
    y = MAGNITUDE_TARGETS[name.split("_")[0].replace("heteroscedastic", "gaussian")]
    col = np.array([c, 1.0, 1.0 / c])
    a = fit_silently(clone(MAGNITUDE_ESTIMATORS[name]), Z, y)
    b = fit_silently(clone(MAGNITUDE_ESTIMATORS[name]), Z * col, y)
    np.testing.assert_allclose(
        _outputs(b, Z * col), _outputs(a, Z), rtol=EXACT, atol=EXACT
    )
    coef_a, coef_b = np.atleast_2d(a.coef_), np.atleast_2d(b.coef_)
    np.testing.assert_allclose(
        coef_b * col, coef_a, rtol=EXACT, atol=EXACT * np.abs(coef_a).max()
    )


@pytest.mark.parametrize("c", [1e300, 1e-300])
@pytest.mark.parametrize("name", MAGNITUDE_ESTIMATORS)
def test_columns_near_the_float_range_are_fitted_exactly(name, c):
    """X·1e300 once gave predictions off by 200 % with only RuntimeWarnings
    (squares overflowed); X·1e-300 lost the columns as constant."""
    Z = MAGNITUDE_Z
    y = MAGNITUDE_TARGETS[name.split("_")[0].replace("heteroscedastic", "gaussian")]
    a = fit_silently(clone(MAGNITUDE_ESTIMATORS[name]), Z, y)
    b = fit_silently(clone(MAGNITUDE_ESTIMATORS[name]), Z * c, y)
    np.testing.assert_allclose(_outputs(b, Z * c), _outputs(a, Z), rtol=EXACT)
    coef_a, coef_b = np.atleast_2d(a.coef_), np.atleast_2d(b.coef_)
    np.testing.assert_allclose(coef_b * c, coef_a, rtol=EXACT)


def test_extreme_x_and_y_together():
    """X ~ 1e8 and y ~ 1e-8 at once, against the unit-scale fit."""
    Z, y = MAGNITUDE_Z, MAGNITUDE_TARGETS["gaussian"]
    for est in (GaussianNLLRegressor(), GaussianNLLRegressor(heteroscedastic=True)):
        a = fit_silently(clone(est), Z, y)
        b = fit_silently(clone(est), Z * 1e8, y * 1e-8)
        np.testing.assert_allclose(
            _outputs(b, Z * 1e8), _outputs(a, Z) * 1e-8, rtol=EXACT
        )
    model = fit_silently(MultiOutputNLL(), Z * 1e-8, np.column_stack([y * 1e8, y]))
    mean, std = model.predict(Z * 1e-8, return_std=True)
    np.testing.assert_allclose(mean[:, 0], mean[:, 1] * 1e8, rtol=EXACT)
    np.testing.assert_allclose(std[:, 0], std[:, 1] * 1e8, rtol=EXACT)


@pytest.mark.parametrize("name", MAGNITUDE_ESTIMATORS)
def test_float32_input_is_computed_in_float64(name):
    target = MAGNITUDE_TARGETS[
        name.split("_")[0].replace("heteroscedastic", "gaussian")
    ]
    X32 = MAGNITUDE_Z.astype(np.float32)
    y32 = target.astype(np.float32) if target.dtype.kind == "f" else target
    a = fit_silently(clone(MAGNITUDE_ESTIMATORS[name]), X32, y32)
    b = fit_silently(
        clone(MAGNITUDE_ESTIMATORS[name]),
        X32.astype(np.float64),
        np.asarray(y32, float),
    )
    # float32 values are exact in float64: the fits must be identical.
    np.testing.assert_array_equal(a.coef_, b.coef_)
    out = _outputs(a, X32)
    assert out.dtype == np.float64
    np.testing.assert_array_equal(out, _outputs(b, X32.astype(np.float64)))
    assert a.coef_.dtype == np.float64


# -- bad input --------------------------------------------------------------------
_RNG = np.random.default_rng(10)
_X = _RNG.normal(size=(20, 2))
_Y = _RNG.normal(size=20)
_YC = (_X[:, 0] > 0).astype(int)


def _with(a, index, value):
    a = np.array(a, dtype=float)
    a[index] = value
    return a


G, B, C = GaussianNLLRegressor, BernoulliNLLClassifier, CategoricalNLLClassifier
# (estimator, X, y, sample_weight, exception, regex naming argument and problem)
BAD_FITS = {
    "X_nan": (G(), _with(_X, (0, 0), np.nan), _Y, None, ValueError, r"X contains NaN"),
    "X_inf": (G(), _with(_X, (0, 0), np.inf), _Y, None, ValueError, r"X contains inf"),
    "X_1d": (G(), _X[:, 0], _Y, None, ValueError, r"X.*Expected 2D array"),
    "X_3d": (G(), _X[:, :, None], _Y, None, ValueError, r"X.*dim 3"),
    "X_no_samples": (G(), _X[:0], _Y[:0], None, ValueError, r"X.*0 sample"),
    "X_no_features": (G(), _X[:, :0], _Y, None, ValueError, r"X.*0 feature"),
    "X_strings": (
        G(),
        np.full((20, 2), "a"),
        _Y,
        None,
        ValueError,
        r"X must hold real",
    ),
    "X_objects": (
        B(),
        np.array([[1, "a"]] * 20, dtype=object),
        _YC,
        None,
        ValueError,
        r"X must hold real",
    ),
    "X_complex": (G(), _X + 1j, _Y, None, ValueError, r"X.*Complex"),
    "lengths": (G(), _X, _Y[:-1], None, ValueError, r"X and y.*inconsistent"),
    "y_nan": (G(), _X, _with(_Y, 0, np.nan), None, ValueError, r"y contains NaN"),
    "y_inf": (G(), _X, _with(_Y, 0, np.inf), None, ValueError, r"y contains inf"),
    "y_2d": (G(), _X, np.column_stack([_Y, _Y]), None, ValueError, r"y should be a 1d"),
    "y_strings_regressor": (
        G(),
        _X,
        np.full(20, "a"),
        None,
        ValueError,
        r"y must hold real",
    ),
    "y_none_values": (G(), _X, [None] * 20, None, ValueError, r"y contains NaN"),
    "y_missing": (G(), _X, None, None, ValueError, r"requires y"),
    "y_continuous_classifier": (B(), _X, _Y, None, ValueError, r"y: Unknown label"),
    "y_one_class": (B(), _X, np.zeros(20), None, ValueError, r"2 classes in y"),
    "y_three_classes_bernoulli": (
        B(),
        _X,
        np.arange(20) % 3,
        None,
        ValueError,
        r"3 classes in y",
    ),
    "y_one_class_categorical": (
        C(),
        _X,
        np.ones(20),
        None,
        ValueError,
        r"classes in y",
    ),
    "sw_negative": (G(), _X, _Y, -np.ones(20), ValueError, r"sample_weight.*negative"),
    "sw_nan": (G(), _X, _Y, np.full(20, np.nan), ValueError, r"sample_weight.*NaN"),
    "sw_inf": (G(), _X, _Y, np.full(20, np.inf), ValueError, r"sample_weight.*inf"),
    "sw_length": (
        G(),
        _X,
        _Y,
        np.ones(19),
        ValueError,
        r"sample_weight must have shape",
    ),
    "sw_2d": (
        G(),
        _X,
        _Y,
        np.ones((20, 1)),
        ValueError,
        r"sample_weight must have shape",
    ),
    "sw_zero": (G(), _X, _Y, np.zeros(20), ValueError, r"sample_weight sums to zero"),
    "sw_strings": (
        G(),
        _X,
        _Y,
        np.full(20, "a"),
        ValueError,
        r"sample_weight must hold",
    ),
    "class_weight_negative": (
        B(class_weight={0: -1.0, 1: 1.0}),
        _X,
        _YC,
        None,
        ValueError,
        r"class_weight must give every class a finite, non-negative",
    ),
    "class_weight_all_zero": (
        B(class_weight={0: 0.0, 1: 0.0}),
        _X,
        _YC,
        None,
        ValueError,
        r"class_weight and sample_weight leave no sample",
    ),
    "class_weight_unknown_label": (
        B(class_weight={5: 1.0}),
        _X,
        _YC,
        None,
        ValueError,
        r"not in class_weight",
    ),
    "class_weight_type": (
        B(class_weight=[1, 2]),
        _X,
        _YC,
        None,
        ValueError,
        r"class_weight must be",
    ),
    "multioutput_y_1d": (MultiOutputNLL(), _X, _Y, None, ValueError, r"y must be 2-D"),
    "multioutput_outputs_length": (
        MultiOutputNLL(outputs=[G()]),
        _X,
        np.column_stack([_Y, _Y]),
        None,
        ValueError,
        r"outputs has 1 estimators but y has 2 columns",
    ),
    "multioutput_outputs_not_estimators": (
        MultiOutputNLL(outputs=[G(), "G"]),
        _X,
        np.column_stack([_Y, _Y]),
        None,
        TypeError,
        r"outputs must hold sklik estimators",
    ),
    "multioutput_outputs_not_a_list": (
        MultiOutputNLL(outputs=G()),
        _X,
        np.column_stack([_Y, _Y]),
        None,
        TypeError,
        r"outputs must be None or a list",
    ),
    "multioutput_X_strings": (
        MultiOutputNLL(),
        np.full((20, 2), "a"),
        np.column_stack([_Y, _Y]),
        None,
        ValueError,
        r"X must hold real",
    ),
}

BAD_PARAMS = {
    "alpha": [-1.0, "a", np.nan, np.inf, None, True],
    "fit_intercept": ["yes", 1, None],
    "max_iter": [0, -5, 1.5, True, None],
    "tol": [0.0, -1e-3, np.nan, np.inf, "small"],
    "warm_start": [1, "no"],
    "solver": ["foo", None],
}


@pytest.mark.parametrize("case", BAD_FITS)
def test_bad_input_raises_an_error_naming_the_argument(case):
    est, X, y, sw, exc, pattern = BAD_FITS[case]
    with pytest.raises(exc, match=pattern):
        clone(est).fit(X, y, sample_weight=sw)


@pytest.mark.parametrize("cls", [G, B, C])
@pytest.mark.parametrize(
    "param, value", [(p, v) for p, values in BAD_PARAMS.items() for v in values]
)
def test_bad_parameter_raises_an_error_naming_it(cls, param, value):
    y = _Y if cls is G else _YC
    with pytest.raises(
        ValueError, match=rf"^{param} must be .*got {re.escape(repr(value))}"
    ):
        cls(**{param: value}).fit(_X, y)


@pytest.mark.parametrize(
    "est, pattern",
    [
        (G(heteroscedastic=True, solver="lstsq"), r"solver='lstsq' is exact only"),
        (G(alpha=1.0, solver="lstsq"), r"solver='lstsq' is exact only"),
        (B(solver="lstsq"), r"solver='lstsq' is exact only"),
        (G(heteroscedastic="yes"), r"heteroscedastic must be a bool"),
        (B(class_weight="balance"), r"class_weight must be None, 'balanced' or a dict"),
    ],
    ids=repr,
)
def test_bad_combinations_raise(est, pattern):
    y = _Y if isinstance(est, G) else _YC
    with pytest.raises(ValueError, match=pattern):
        est.fit(_X, y)


@pytest.mark.parametrize("cls", [G, B, C, MultiOutputNLL])
def test_bad_input_after_fit(cls):
    y = {G: _Y, B: _YC, C: _YC, MultiOutputNLL: np.column_stack([_Y, _Y])}[cls]
    with pytest.raises(NotFittedError):
        cls().predict(_X)
    est = (cls(alpha=0.1) if cls in (B, C) else cls()).fit(_X, y)  # _YC separates
    with pytest.raises(ValueError, match=r"X has 3 features, but .* expecting 2"):
        est.predict(np.ones((3, 3)))
    with pytest.raises(ValueError, match=r"X contains NaN"):
        est.predict(_with(_X, (1, 1), np.nan))
    with pytest.raises(ValueError, match=r"X must hold real"):
        est.predict(np.full((3, 2), "x"))
    with pytest.raises(
        ValueError, match=r"y has 19 samples; X has 20|y must have shape"
    ):
        est.nll(_X, y[:-1])
    with pytest.raises(ValueError, match=r"sample_weight"):
        est.nll(_X, y, sample_weight=-np.ones(20))


def test_nll_with_unknown_labels_or_non_numeric_targets():
    clf = B(alpha=0.1).fit(_X, _YC)
    with pytest.raises(ValueError, match=r"y contains labels not among the classes"):
        clf.nll(_X, np.full(20, 7))
    reg = G().fit(_X, _Y)
    with pytest.raises(ValueError, match=r"y must hold real"):
        reg.nll(_X, np.full(20, "a"))


# -- nothing the caller passed is modified ------------------------------------------
def _inputs(kind, y):
    X = _RNG.normal(size=(30, 3)) * [1.0, 100.0, 0.01] + [0.0, 50.0, -3.0]
    sw = _RNG.uniform(0.5, 2.0, size=30)
    if kind == "fortran":
        X = np.asfortranarray(X)
    elif kind == "float32":
        X = X.astype(np.float32)
    elif kind == "int":
        X = np.round(X).astype(np.int64)
    elif kind == "list":
        X, sw = X.tolist(), sw.tolist()
        y = y.tolist()
    elif kind == "dataframe":
        X, y, sw = pd.DataFrame(X, columns=["a", "b", "c"]), pd.Series(y), pd.Series(sw)
    elif kind == "sparse":
        X = sp.csr_matrix(np.where(np.abs(X) > 1, X, 0.0))
    return X, y, sw


def _snapshot(obj):
    if sp.issparse(obj):
        return (obj.data.copy(), obj.indices.copy(), obj.indptr.copy())
    return copy.deepcopy(obj)


def _assert_same(before, after):
    if isinstance(before, tuple):
        for b, a in zip(before, after):
            np.testing.assert_array_equal(b, a)
    elif isinstance(before, pd.DataFrame | pd.Series):
        assert before.equals(after)
    else:
        np.testing.assert_array_equal(np.asarray(before), np.asarray(after))


INPUT_ESTIMATORS = {
    "gaussian": (GaussianNLLRegressor(), "real"),
    "heteroscedastic": (GaussianNLLRegressor(heteroscedastic=True), "real"),
    "bernoulli": (BernoulliNLLClassifier(class_weight="balanced"), "binary"),
    "categorical": (CategoricalNLLClassifier(alpha=1e-3), "labels"),
    "multioutput": (MultiOutputNLL(), "two_columns"),
}


@pytest.mark.parametrize(
    "kind", ["c", "fortran", "float32", "int", "list", "dataframe", "sparse"]
)
@pytest.mark.parametrize("name", INPUT_ESTIMATORS)
def test_inputs_are_not_modified(name, kind):
    est, target = INPUT_ESTIMATORS[name]
    rng = np.random.default_rng(11)
    y = {
        "real": rng.normal(size=30),
        "binary": rng.integers(0, 2, size=30),
        "labels": np.array(["x", "y", "z"])[rng.integers(0, 3, size=30)],
        "two_columns": rng.normal(size=(30, 2)),
    }[target]
    if kind in ("list", "dataframe") and target == "two_columns":
        y = y.tolist() if kind == "list" else pd.DataFrame(y)
        X, _, sw = _inputs(kind, rng.normal(size=30))
    else:
        X, y, sw = _inputs(kind, y)
    originals = [_snapshot(a) for a in (X, y, sw)]
    est = clone(est)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        est.fit(X, y, sample_weight=sw)
    est.predict(X)
    est.nll(X, y, sample_weight=sw)
    est.score(X, y, sample_weight=sw)
    for before, after in zip(originals, (X, y, sw)):
        _assert_same(before, _snapshot(after))


# -- a failed fit keeps the previous fit -------------------------------------------
def _fitted_state(est):
    return {k: copy.deepcopy(v) for k, v in vars(est).items() if k.endswith("_")}


def _assert_same_state(before, est):
    after = _fitted_state(est)
    assert before.keys() == after.keys()
    for key, value in before.items():
        if isinstance(value, np.ndarray):
            np.testing.assert_array_equal(value, after[key])
        elif isinstance(value, list):  # MultiOutputNLL.outputs_
            assert [type(v) for v in value] == [type(v) for v in after[key]]
            for b, a in zip(value, after[key]):
                np.testing.assert_array_equal(b.coef_, a.coef_)
        elif isinstance(value, int | float | str):
            assert value == after[key]


FAILING_REFITS = {
    # Where the refit fails: input validation (after n_features_in_ would have
    # been reset), the weights, the parameters (after classes_ or the model
    # would have been set), and an interruption inside the optimiser.
    "nan_in_X_of_another_width": lambda est, X, y: est.fit(
        np.full((10, 5), np.nan), y[:10]
    ),
    "bad_sample_weight": lambda est, X, y: est.fit(
        X, y, sample_weight=-np.ones(len(X))
    ),
    "bad_parameter": lambda est, X, y: est.set_params(**_bad_param(est)).fit(
        X[:, :2], y
    ),
    "interrupted": lambda est, X, y: est.fit(X[::-1, :2] * 2.0, y[::-1]),
}


def _bad_param(est):
    if isinstance(est, MultiOutputNLL):
        return {"outputs": [GaussianNLLRegressor()]}  # y has two columns
    if isinstance(est, BernoulliNLLClassifier | CategoricalNLLClassifier):
        return {"class_weight": {0: -1.0, "x": -1.0}}
    return {"solver": "lstsq", "heteroscedastic": True}


@pytest.mark.parametrize("failure", FAILING_REFITS)
@pytest.mark.parametrize("name", INPUT_ESTIMATORS)
def test_failed_refit_leaves_the_previous_fit_usable(name, failure, monkeypatch):
    """``fit`` is all or nothing (documented in its docstring)."""
    est, target = INPUT_ESTIMATORS[name]
    rng = np.random.default_rng(12)
    X = rng.normal(size=(40, 3))
    y = {
        "real": X @ [1.0, 2.0, 0.0] + rng.normal(size=40),
        "binary": (X[:, 0] + rng.logistic(size=40) > 0).astype(int),
        "labels": np.array(["x", "y", "z"])[rng.integers(0, 3, size=40)],
        "two_columns": rng.normal(size=(40, 2)) * [1.0, 5.0],
    }[target]
    est = clone(est)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        est.fit(X, y)
    state = _fitted_state(est)
    before = est.predict(X)
    params = est.get_params(deep=False)
    assert "previously fitted state is" in type(est).fit.__doc__

    if failure == "interrupted":

        def interrupt(self, *args):
            raise KeyboardInterrupt

        # Every solver, the closed form included, evaluates the model.
        monkeypatch.setattr(LinearModel, "forward", interrupt)
        with pytest.raises(KeyboardInterrupt):
            FAILING_REFITS[failure](est, X, y)
        monkeypatch.undo()
    else:
        with pytest.raises((ValueError, TypeError)):
            FAILING_REFITS[failure](est, X, y)
    est.set_params(**params)
    _assert_same_state(state, est)
    np.testing.assert_array_equal(est.predict(X), before)


# -- regressions: hangs and rounding-level spreads ------------------------------------
@pytest.mark.parametrize("solver", ["auto", "newton", "lbfgs", "newton-cg"])
def test_constant_large_y_with_weights_fits_quickly(solver):
    """y constant at ~3e6 with uneven weights and a constant column.

    The weighted spread of y once came out as its mean's rounding error
    (~5e-10) instead of 0: the mean was then measured in units of 5e-10 and
    scipy's trust-ncg inner loop ran forever.
    """
    rng = np.random.default_rng(13)
    X = np.full((34, 1), 1.5)
    y = np.full(34, 2957482.7804301158)
    sw = rng.uniform(0.1, 2.0, size=34)
    reg = GaussianNLLRegressor(alpha=1.0, solver=solver)
    with pytest.warns(DegenerateFitWarning, match="degenerate"):
        reg.fit(X, y, sample_weight=sw)
    np.testing.assert_allclose(reg.predict(X), y, rtol=1e-12)
    assert 0 < reg.predict(X, return_std=True)[1][0] < 1e-9 * y[0]


def test_newton_cg_survives_a_runaway_inner_loop():
    """scipy's CG-Steihaug loop has no iteration cap: with a curvature whose
    steps neither shrink the residual nor reach the trust radius it spins
    forever (as it did on the constant-y data above). sklik caps it."""
    from sklik.solvers.newton_cg import newton_cg

    rotation = np.array([[0.0, 1.0, 0.0], [-1.0, 0.0, 1.0], [0.0, -1.0, 0.0]])

    class RunawayCurvature:
        def __call__(self, phi):
            return 0.5 * phi @ phi, phi

        def hessp(self, phi, v):
            return 1e30 * (v + rotation @ v)

    result = newton_cg(RunawayCurvature(), np.ones(3), max_iter=50, tol=1e-8)
    assert "CG loop did not converge" in result.message
    np.testing.assert_array_equal(result.phi, np.ones(3))


@pytest.mark.parametrize(
    "params", [{}, {"solver": "lbfgs"}, {"heteroscedastic": True}, {"alpha": 1e-3}]
)
def test_wide_sparse_regression_never_forms_a_dense_gram_matrix(params):
    """20,000 × 50,000 CSR once raised "Unable to allocate 74.5 GiB": above
    the size at which "auto" switches to L-BFGS, no p×p matrix is formed
    (closed form and starts included). Here p = 4,000: a Gram matrix would
    take 128 MB; the fit must stay within a few times nnz(X) + p."""
    import tracemalloc

    rng = np.random.default_rng(0)
    n, p = 3000, 4000
    rows, cols = np.repeat(np.arange(n), 10), rng.integers(0, p, size=n * 10)
    X = sp.csr_matrix((rng.normal(size=n * 10), (rows, cols)), shape=(n, p))
    y = X @ (rng.normal(size=p) * (rng.random(p) < 0.05)) + rng.normal(size=n)
    tracemalloc.start()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # max_iter=5: a probe
        GaussianNLLRegressor(max_iter=5, **params).fit(X, y)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 16 * 2**20, f"peak {peak / 2**20:.1f} MiB"


def test_warm_start_with_columns_of_extreme_magnitude_starts_at_the_optimum():
    """The previous fit's coefficients are mapped onto the rescaled columns."""
    Z, y = MAGNITUDE_Z, MAGNITUDE_TARGETS["gaussian"]
    reg = GaussianNLLRegressor(heteroscedastic=True, warm_start=True)
    fit_silently(reg, Z * 1e300, y)
    assert reg.n_iter_ > 0
    fit_silently(reg, Z * 1e300, y)
    assert reg.n_iter_ == 0


ALL_ESTIMATORS = [
    GaussianNLLRegressor(),
    BernoulliNLLClassifier(),
    CategoricalNLLClassifier(),
    MultiOutputNLL(),
]


@pytest.mark.parametrize("est", ALL_ESTIMATORS, ids=repr)
@pytest.mark.parametrize("method", ["predict_dist", "predict", "nll"])
def test_unfitted_estimators_raise_not_fitted_error(est, method):
    """predict_dist once raised AttributeError on an unfitted estimator."""
    X = np.zeros((3, 2))
    args = (X, np.zeros(3)) if method == "nll" else (X,)
    with pytest.raises(NotFittedError):
        getattr(clone(est), method)(*args)


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_nll_with_nan_or_inf_in_y_raises(bad):
    """nll once returned nan for a NaN in y."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 2))
    y = X @ [1.0, 2.0] + rng.normal(size=40)
    reg = GaussianNLLRegressor().fit(X, y)
    y_bad = y.copy()
    y_bad[5] = bad
    with pytest.raises(ValueError, match="NaN or infinity"):
        reg.nll(X, y_bad)
    labels = (y > 0).astype(float)
    clf = BernoulliNLLClassifier().fit(X, labels)
    labels[5] = bad
    with pytest.raises(ValueError, match="not among the classes"):
        clf.nll(X, labels)


def test_a_one_sample_fit_warns_that_it_is_degenerate():
    """A one-sample fit once returned σ = 0 silently (absurdly narrow intervals)."""
    with pytest.warns(DegenerateFitWarning, match="degenerate"):
        reg = GaussianNLLRegressor().fit(np.array([[1.0, 2.0]]), np.array([3.0]))
    assert 0 < reg.scale_ < 1e-9 * 3.0
