"""sklik against independent references, on real and on ill-conditioned data.

Every reference is computed at test time by another implementation:
``numpy.linalg.lstsq``, statsmodels (OLS, Logit, MNLogit, GLM), scikit-learn
(Ridge, LogisticRegression) or, for the heteroscedastic Gaussian that no
library fits, a few lines of independent likelihood code minimised by
``scipy.optimize.minimize(method="trust-exact")``.

Tolerances (the issue's): unpenalised fits reach the reference's maximised
log-likelihood to 1e-9 relative; coefficients and fitted values agree to 1e-6
relative to their largest entry; probabilities to 1e-6 absolute.

Data sets where the unpenalised MLE does not exist are avoided on purpose:
breast cancer with all 30 features and iris with both sepal features (or all
four) are separable, completely or quasi-completely (setosa), so their
maximum-likelihood coefficients are infinite and two optimisers stop at
different, arbitrary points. The subsets used below are not separable, which
``test_reference_data_are_not_separable`` checks with sklik's LP test and
scipy's ``linprog``.
"""

import functools
import warnings

import numpy as np
import pytest
import scipy.optimize
import statsmodels.api as sm
from numpy.polynomial import legendre
from scipy import stats
from scipy.special import expit, log_softmax
from sklearn.datasets import (
    load_breast_cancer,
    load_diabetes,
    load_digits,
    load_iris,
    load_linnerud,
    load_wine,
)
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.preprocessing import SplineTransformer

from sklik import (
    BernoulliNLLClassifier,
    CategoricalNLLClassifier,
    GaussianNLLRegressor,
    MultiOutputNLL,
)
from sklik._separation import separating_direction

LOGLIK_RTOL = 1e-9
COEF_RTOL = 1e-6
PROBA_ATOL = 1e-6


def rel_err(a, ref):
    """Largest absolute difference relative to the largest reference entry."""
    a, ref = np.asarray(a, dtype=float), np.asarray(ref, dtype=float)
    return np.max(np.abs(a - ref)) / np.max(np.abs(ref))


def design(X, fit_intercept):
    return sm.add_constant(X, has_constant="add") if fit_intercept else X


def weights_for(n, kind, seed=0):
    """None, non-integer weights, or integer weights (zeros included)."""
    rng = np.random.default_rng(seed)
    if kind == "none":
        return None
    if kind == "real":
        return rng.uniform(0.2, 3.0, size=n)
    return rng.integers(0, 4, size=n).astype(float)


def fit_quietly(est, X, y, sample_weight=None):
    """Fit, failing on any ConvergenceWarning: the fits here must converge."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        return est.fit(X, y, sample_weight=sample_weight)


def sm_fit(model, **kwargs):
    """A statsmodels fit driven to its own tightest convergence."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # statsmodels' own convergence chatter
        return model.fit(**kwargs)


# -- data -----------------------------------------------------------------
@functools.cache
def diabetes():
    return load_diabetes(return_X_y=True)


@functools.cache
def breast_cancer():
    # The first ten features (the "mean" ones): not separable. All 30 are.
    X, y = load_breast_cancer(return_X_y=True)
    return X[:, :10], y


@functools.cache
def wine():
    # Five features: not separable. All 13 separate the three cultivars.
    X, y = load_wine(return_X_y=True)
    return X[:, :5], y


@functools.cache
def iris_sepal_length():
    # Sepal length alone: the classes overlap. Sepal length and width together
    # separate setosa (quasi-complete separation), as do the petal features.
    X, y = load_iris(return_X_y=True)
    return X[:, :1], y


@functools.cache
def digits_pixels():
    # Ten classes, the four pixels of largest variance: not separable.
    X, y = load_digits(return_X_y=True)
    cols = np.argsort(-X.std(axis=0), kind="stable")[:4]
    return X[:, cols], y


CATEGORICAL_DATA = {
    "wine": wine,
    "iris_sepal_length": iris_sepal_length,
    "digits_pixels": digits_pixels,
}


@pytest.mark.parametrize(
    "load, n_classes",
    [(breast_cancer, 2), (wine, 3), (iris_sepal_length, 3), (digits_pixels, 10)],
)
@pytest.mark.parametrize("fit_intercept", [True, False])
def test_reference_data_are_not_separable(load, n_classes, fit_intercept):
    X, y = load()
    assert separating_direction(X, y, n_classes, fit_intercept=fit_intercept) is None


def test_separable_data_are_recognised():
    """The counter-examples named in the module docstring are separable."""
    X, y = load_iris(return_X_y=True)
    assert separating_direction(X[:, :2], y, 3) is not None
    assert separating_direction(X, y, 3) is not None
    Xb, yb = load_breast_cancer(return_X_y=True)
    assert separating_direction(Xb, yb, 2) is not None


# -- Gaussian -------------------------------------------------------------
def gaussian_reference(X, y, sw, fit_intercept):
    """Weighted least squares by numpy.linalg.lstsq; σ² = Σ s r² / Σ s."""
    s = np.ones(len(y)) if sw is None else sw
    Z = design(X, fit_intercept)
    root = np.sqrt(s)
    beta = np.linalg.lstsq(Z * root[:, None], y * root, rcond=None)[0]
    fitted = Z @ beta
    sigma = np.sqrt(s @ (y - fitted) ** 2 / s.sum())
    loglik = s @ stats.norm.logpdf(y, fitted, sigma)
    return beta, fitted, sigma, loglik


@pytest.mark.parametrize("weights", ["none", "real", "integer"])
@pytest.mark.parametrize("fit_intercept", [True, False])
def test_gaussian_matches_lstsq_on_diabetes(fit_intercept, weights):
    X, y = diabetes()
    sw = weights_for(len(y), weights)
    reg = fit_quietly(GaussianNLLRegressor(fit_intercept=fit_intercept), X, y, sw)
    beta, fitted, sigma, loglik = gaussian_reference(X, y, sw, fit_intercept)
    total = len(y) if sw is None else sw.sum()
    assert -reg.nll(X, y, sw) * total == pytest.approx(loglik, rel=LOGLIK_RTOL)
    coef = np.append(reg.intercept_, reg.coef_) if fit_intercept else reg.coef_
    assert rel_err(coef, beta) < COEF_RTOL
    assert rel_err(reg.predict(X), fitted) < COEF_RTOL
    assert reg.scale_ == pytest.approx(sigma, rel=COEF_RTOL)
    if not fit_intercept:
        assert reg.intercept_ == 0.0


@pytest.mark.parametrize("fit_intercept", [True, False])
def test_gaussian_matches_statsmodels_ols(fit_intercept):
    X, y = diabetes()
    reg = fit_quietly(GaussianNLLRegressor(fit_intercept=fit_intercept), X, y)
    ols = sm.OLS(y, design(X, fit_intercept)).fit()
    assert -reg.nll(X, y) * len(y) == pytest.approx(ols.llf, rel=LOGLIK_RTOL)
    assert rel_err(reg.predict(X), ols.fittedvalues) < COEF_RTOL
    assert reg.scale_**2 == pytest.approx(ols.ssr / len(y), rel=COEF_RTOL)


def test_gaussian_weights_match_statsmodels_glm_var_weights():
    X, y = diabetes()
    sw = weights_for(len(y), "real", seed=3)
    reg = fit_quietly(GaussianNLLRegressor(), X, y, sw)
    glm = sm_fit(
        sm.GLM(y, design(X, True), family=sm.families.Gaussian(), var_weights=sw)
    )
    assert rel_err(np.append(reg.intercept_, reg.coef_), glm.params) < COEF_RTOL
    # statsmodels' scale is Σ s r² / (n - p); the MLE divides by Σ s instead.
    df = len(y) - X.shape[1] - 1
    assert reg.scale_**2 == pytest.approx(glm.scale * df / sw.sum(), rel=COEF_RTOL)


@pytest.mark.parametrize("alpha", [0.1, 3.0])
def test_gaussian_penalised_mean_is_ridge(alpha):
    """Documented: coef_ = Ridge(alpha * scale_² * Σs / sd_s(y)²) coefficients."""
    X, y = diabetes()
    sw = weights_for(len(y), "real", seed=1)
    reg = fit_quietly(GaussianNLLRegressor(alpha=alpha), X, y, sw)
    sd_y = np.sqrt(np.cov(y, aweights=sw, ddof=0))
    ridge = Ridge(alpha=alpha * reg.scale_**2 * sw.sum() / sd_y**2, solver="cholesky")
    ridge.fit(X, y, sample_weight=sw)
    assert rel_err(reg.coef_, ridge.coef_) < COEF_RTOL
    assert reg.intercept_ == pytest.approx(ridge.intercept_, rel=COEF_RTOL)
    # σ is the ML scale given the mean: the root weighted mean squared residual.
    resid = y - reg.predict(X)
    assert reg.scale_ == pytest.approx(np.sqrt(sw @ resid**2 / sw.sum()), rel=1e-9)


# -- heteroscedastic Gaussian: an independent likelihood, minimised by scipy --
def hetero_reference(X, y, sw, fit_intercept, start):
    """ML fit of y ~ N(Zβ, exp(Zγ)) written from scratch.

    Z's columns are divided by their root mean square (a change of units of
    β and γ that leaves the fitted μ and σ unchanged) so that scipy's
    trust-region Newton sees a well-scaled problem; a few plain Newton steps
    then polish the optimum to rounding level.
    """
    Z = design(X, fit_intercept)
    Z = Z / np.sqrt(np.mean(Z**2, axis=0))
    w = np.ones(len(y)) if sw is None else sw
    w = w / w.sum()
    q = Z.shape[1]

    def parts(theta):
        mu, s = Z @ theta[:q], np.exp(Z @ theta[q:])
        return y - mu, s, s

    def fun(theta):
        r, e, s = parts(theta)
        value = w @ (np.log(s) + 0.5 * (r / s) ** 2) + 0.5 * np.log(2 * np.pi)
        d_mu = -r / s**2
        d_eta = (1 - (r / s) ** 2) * e / s
        return value, np.concatenate([Z.T @ (w * d_mu), Z.T @ (w * d_eta)])

    def hess(theta):
        r, e, s = parts(theta)
        h_mm = 1 / s**2
        h_me = 2 * r * e / s**3
        h_ee = 2 * (r * e) ** 2 / s**4 + (1 - (r / s) ** 2) * (e / s) * (1 - e / s)
        blocks = [[h_mm, h_me], [h_me, h_ee]]
        return np.block([[Z.T @ (Z * (w * h)[:, None]) for h in row] for row in blocks])

    theta = scipy.optimize.minimize(
        fun,
        start(Z),
        jac=True,
        hess=hess,
        method="trust-exact",
        options={"gtol": 1e-10, "maxiter": 1000},
    ).x
    for _ in range(3):
        theta = theta - np.linalg.solve(hess(theta), fun(theta)[1])
    value, grad = fun(theta)
    assert np.max(np.abs(grad)) < 1e-10 * max(1.0, abs(value))
    r, _, s = parts(theta)
    return y - r, s, -value


def weighted_sd(y, sw):
    w = np.ones(len(y)) if sw is None else sw
    return np.sqrt(np.cov(y, aweights=w, ddof=0))


@pytest.mark.parametrize("target", [0, 1, 2])
@pytest.mark.parametrize("fit_intercept", [True, False])
def test_heteroscedastic_gaussian_on_linnerud_reaches_the_reference_optimum(
    target, fit_intercept
):
    """20 athletes, 3 features: a likelihood with more than one local
    optimum. sklik's path (least-squares start, Fisher scoring giving way to
    Newton) must end where an independent trust-region Newton from zero
    ends; a Fisher step taken too eagerly once led elsewhere (a mean NLL of
    0.361 against 0.339 for Weight without intercept)."""
    X, Y = load_linnerud(return_X_y=True)
    y = Y[:, target]
    reg = fit_quietly(
        GaussianNLLRegressor(heteroscedastic=True, fit_intercept=fit_intercept), X, y
    )
    _, _, loglik = hetero_reference(
        X, y, None, fit_intercept, lambda Z: np.zeros(2 * Z.shape[1])
    )
    assert -reg.nll(X, y) == pytest.approx(loglik, rel=LOGLIK_RTOL)


@pytest.mark.parametrize("weights", ["none", "real"])
@pytest.mark.parametrize("fit_intercept", [True, False])
def test_heteroscedastic_gaussian_matches_independent_ml(fit_intercept, weights):
    """Diabetes, with σ(x) a function of all ten features.

    Without an intercept the problem is badly posed but the MLE exists (log σ
    has no constant, so σ(x) ≈ 1 near x = 0 while y ≈ 150): it once made
    Newton stall with overflows at a mean NLL twice the optimum's.
    """
    X, y = diabetes()
    sw = weights_for(len(y), weights, seed=2)
    reg = fit_quietly(
        GaussianNLLRegressor(heteroscedastic=True, fit_intercept=fit_intercept),
        X,
        y,
        sw,
    )

    def start(Z):
        beta = np.linalg.lstsq(Z, y, rcond=None)[0]
        gamma = np.zeros(Z.shape[1])
        if fit_intercept:
            gamma[0] = np.log(np.std(y - Z @ beta))
        return np.concatenate([beta, gamma])

    mean, sigma, loglik = hetero_reference(X, y, sw, fit_intercept, start)
    assert -reg.nll(X, y, sw) == pytest.approx(loglik, rel=LOGLIK_RTOL)
    mu, sd = reg.predict(X, return_std=True)
    assert rel_err(mu, mean) < COEF_RTOL
    assert rel_err(sd, sigma) < COEF_RTOL


# -- Bernoulli ------------------------------------------------------------
@pytest.mark.parametrize("fit_intercept", [True, False])
def test_bernoulli_matches_statsmodels_logit(fit_intercept):
    X, y = breast_cancer()
    clf = fit_quietly(BernoulliNLLClassifier(fit_intercept=fit_intercept), X, y)
    ref = sm_fit(
        sm.Logit(y, design(X, fit_intercept)), method="newton", tol=1e-14, disp=0
    )
    assert -clf.nll(X, y) * len(y) == pytest.approx(ref.llf, rel=LOGLIK_RTOL)
    coef = np.append(clf.intercept_, clf.coef_[0]) if fit_intercept else clf.coef_[0]
    assert rel_err(coef, ref.params) < COEF_RTOL
    np.testing.assert_allclose(
        clf.predict_proba(X)[:, 1], ref.predict(), atol=PROBA_ATOL
    )


@pytest.mark.parametrize("weights", ["real", "integer"])
@pytest.mark.parametrize("fit_intercept", [True, False])
def test_bernoulli_weights_match_statsmodels_glm(fit_intercept, weights):
    X, y = breast_cancer()
    sw = weights_for(len(y), weights, seed=4)
    clf = fit_quietly(BernoulliNLLClassifier(fit_intercept=fit_intercept), X, y, sw)
    Z = design(X, fit_intercept)
    family = sm.families.Binomial()
    freq = sm_fit(sm.GLM(y, Z, family=family, freq_weights=sw), tol=1e-14)
    var = sm_fit(sm.GLM(y, Z, family=family, var_weights=sw), tol=1e-14)
    assert -clf.nll(X, y, sw) * sw.sum() == pytest.approx(freq.llf, rel=LOGLIK_RTOL)
    coef = np.append(clf.intercept_, clf.coef_[0]) if fit_intercept else clf.coef_[0]
    assert rel_err(coef, freq.params) < COEF_RTOL
    assert rel_err(coef, var.params) < COEF_RTOL
    np.testing.assert_allclose(
        clf.predict_proba(X)[:, 1], freq.predict(Z), atol=PROBA_ATOL
    )


# -- Categorical ----------------------------------------------------------
def mnlogit_reference(X, y, fit_intercept, sw=None):
    """MNLogit on the data, with integer weights as repeated rows."""
    if sw is not None:
        reps = sw.astype(int)
        X, y = X.repeat(reps, axis=0), y.repeat(reps)
    Z = design(X, fit_intercept)
    return sm_fit(sm.MNLogit(y, Z), method="newton", tol=1e-14, disp=0, maxiter=100)


@pytest.mark.parametrize("data", CATEGORICAL_DATA)
@pytest.mark.parametrize("weights", ["none", "integer"])
@pytest.mark.parametrize("fit_intercept", [True, False])
def test_categorical_matches_statsmodels_mnlogit(data, fit_intercept, weights):
    X, y = CATEGORICAL_DATA[data]()
    sw = weights_for(len(y), weights, seed=6)
    clf = fit_quietly(CategoricalNLLClassifier(fit_intercept=fit_intercept), X, y, sw)
    ref = mnlogit_reference(X, y, fit_intercept, sw)
    total = len(y) if sw is None else sw.sum()
    assert -clf.nll(X, y, sw) * total == pytest.approx(ref.llf, rel=LOGLIK_RTOL)
    np.testing.assert_allclose(
        clf.predict_proba(X), ref.predict(design(X, fit_intercept)), atol=PROBA_ATOL
    )
    # MNLogit fixes class 0's logit at zero; sklik centres: compare differences.
    full = np.column_stack([clf.intercept_, clf.coef_]).T  # (1 + p, K)
    if not fit_intercept:
        full = full[1:]
    assert rel_err(full[:, 1:] - full[:, :1], ref.params) < COEF_RTOL
    np.testing.assert_allclose(
        clf.coef_.sum(axis=0), 0.0, atol=1e-10 * np.abs(clf.coef_).max()
    )


@pytest.mark.parametrize("alpha", [1e-3, 0.1])
@pytest.mark.parametrize(
    "Est,load,seed",
    [(BernoulliNLLClassifier, breast_cancer, 5), (CategoricalNLLClassifier, wine, 7)],
)
def test_penalised_classifier_matches_sklearn(Est, load, seed, alpha):
    """alpha = 1 / (C Σs), as the docstrings say."""
    X, y = load()
    sw = weights_for(len(y), "real", seed=seed)
    clf = fit_quietly(Est(alpha=alpha), X, y, sw)
    ref = LogisticRegression(
        C=1 / (alpha * sw.sum()), solver="newton-cholesky", tol=1e-12, max_iter=500
    ).fit(X, y, sample_weight=sw)
    assert rel_err(clf.coef_, ref.coef_) < COEF_RTOL
    np.testing.assert_allclose(
        clf.predict_proba(X), ref.predict_proba(X), atol=PROBA_ATOL
    )


# -- MultiOutputNLL -------------------------------------------------------
@pytest.mark.parametrize("weights", ["none", "real"])
@pytest.mark.parametrize("fit_intercept", [True, False])
def test_multioutput_gaussian_matches_lstsq_on_linnerud(fit_intercept, weights):
    X, Y = load_linnerud(return_X_y=True)
    sw = weights_for(len(X), weights, seed=8)
    outputs = [GaussianNLLRegressor(fit_intercept=fit_intercept) for _ in range(3)]
    model = MultiOutputNLL(outputs=outputs).fit(X, Y, sample_weight=sw)
    refs = [
        gaussian_reference(X, Y[:, j], sw, fit_intercept) for j in range(Y.shape[1])
    ]
    fitted = np.column_stack([ref[1] for ref in refs])
    sigma = np.array([ref[2] for ref in refs])
    total = len(X) if sw is None else sw.sum()
    loglik = sum(ref[3] for ref in refs)
    assert -model.nll(X, Y, sw) * total == pytest.approx(loglik, rel=LOGLIK_RTOL)
    assert rel_err(model.predict(X), fitted) < COEF_RTOL
    _, std = model.predict(X, return_std=True)
    np.testing.assert_allclose(std, np.broadcast_to(sigma, std.shape), rtol=COEF_RTOL)


@pytest.mark.parametrize("fit_intercept", [True, False])
def test_multioutput_mixed_families_match_references(fit_intercept):
    """Wine: the cultivar (MNLogit) and the sixth feature (OLS) on five others."""
    Xw, yw = load_wine(return_X_y=True)
    X, Y = Xw[:, :5], np.column_stack([yw, Xw[:, 5]])
    model = MultiOutputNLL(
        outputs=[
            CategoricalNLLClassifier(fit_intercept=fit_intercept),
            GaussianNLLRegressor(fit_intercept=fit_intercept),
        ]
    ).fit(X, Y)
    mn = mnlogit_reference(X, yw, fit_intercept)
    ols = sm.OLS(Xw[:, 5], design(X, fit_intercept)).fit()
    assert -model.nll(X, Y) * len(X) == pytest.approx(mn.llf + ols.llf, rel=LOGLIK_RTOL)
    cat, gauss = model.predict_dist(X)
    np.testing.assert_allclose(
        cat.probs, mn.predict(design(X, fit_intercept)), atol=PROBA_ATOL
    )
    assert rel_err(gauss.mean(), ols.fittedvalues) < COEF_RTOL


# -- ill-conditioned designs ----------------------------------------------
def polynomial_data(degree, n=300, seed=0):
    """Raw monomials x, x², …, x^degree of x ∈ [0, 100] (no scaling at all)."""
    rng = np.random.default_rng(seed)
    x = np.sort(rng.uniform(0, 100, n))
    X = np.vander(x, degree + 1, increasing=True)[:, 1:]
    return x, X, rng


def legendre_basis(x, degree):
    """A well-conditioned basis of the same polynomials (constant included)."""
    return legendre.legvander((x - 50) / 50, degree)


@pytest.mark.parametrize("degree", [8, 10])
@pytest.mark.parametrize("weights", ["none", "real"])
def test_gaussian_polynomial_fit_matches_lstsq(degree, weights):
    """Raw monomials up to x^10 ~ 1e20: the design's condition number is
    astronomical, yet the fitted values are well determined. numpy's lstsq on
    the raw columns is itself off by tens of percent, so the reference is
    lstsq on an orthogonal basis of the same column space."""
    x, X, rng = polynomial_data(degree)
    y = 5 * np.sin(x / 10) + 0.1 * x + rng.normal(size=len(x))
    sw = weights_for(len(x), weights, seed=9)
    reg = fit_quietly(GaussianNLLRegressor(), X, y, sw)
    _, fitted, sigma, loglik = gaussian_reference(
        legendre_basis(x, degree), y, sw, fit_intercept=False
    )
    assert rel_err(reg.predict(X), fitted) < 1e-7
    assert reg.scale_ == pytest.approx(sigma, rel=1e-7)
    total = len(x) if sw is None else sw.sum()
    assert -reg.nll(X, y, sw) * total == pytest.approx(loglik, rel=LOGLIK_RTOL)


@pytest.mark.parametrize("n_knots", [3, 5])
def test_gaussian_on_a_spline_basis_matches_lstsq(n_knots):
    """B-spline columns sum to one: exactly collinear with the intercept, up
    to rounding. The exact solver once kept that rounding as a direction
    (coefficients of 1e14, σ off in the fourth digit); the minimum-norm fit
    has small coefficients and numpy's fitted values."""
    X, y = diabetes()
    B = SplineTransformer(n_knots=n_knots).fit_transform(X[:, [2]])
    reg = GaussianNLLRegressor().fit(B, y)
    _, fitted, sigma, _ = gaussian_reference(B, y, None, fit_intercept=True)
    assert rel_err(reg.predict(B), fitted) < 1e-12
    assert reg.scale_ == pytest.approx(sigma, rel=1e-12)
    assert np.max(np.abs(reg.coef_)) < 10 * np.max(np.abs(y))


@pytest.mark.parametrize("degree", [8, 10])
def test_gaussian_polynomial_without_intercept_matches_lstsq(degree):
    x, X, rng = polynomial_data(degree, seed=1)
    y = 5 * np.sin(x / 10) + 0.1 * x + rng.normal(size=len(x))
    reg = fit_quietly(GaussianNLLRegressor(fit_intercept=False), X, y)
    scaled = X / 100.0 ** np.arange(1, degree + 1)  # same span, condition ~1e7
    _, fitted, _, _ = gaussian_reference(scaled, y, None, fit_intercept=False)
    assert rel_err(reg.predict(X), fitted) < 1e-7


@pytest.mark.parametrize("degree", [8, 10, 12])
def test_classifiers_polynomial_fit_reach_reference_optimum(degree):
    x, X, rng = polynomial_data(degree, n=500, seed=2)
    t = 2 * np.sin(x / 15)
    yb = (t + rng.logistic(size=len(x)) > 0).astype(int)
    y3 = np.digitize(t + rng.logistic(size=len(x)), [-1, 1])
    L = legendre_basis(x, degree)
    bern = fit_quietly(BernoulliNLLClassifier(), X, yb)
    ref = sm_fit(sm.Logit(yb, L), method="newton", tol=1e-14, disp=0)
    assert -bern.nll(X, yb) * len(x) == pytest.approx(ref.llf, rel=LOGLIK_RTOL)
    np.testing.assert_allclose(
        bern.predict_proba(X)[:, 1], ref.predict(), atol=PROBA_ATOL
    )
    cat = fit_quietly(CategoricalNLLClassifier(), X, y3)
    ref3 = sm_fit(sm.MNLogit(y3, L), method="newton", tol=1e-14, disp=0)
    assert -cat.nll(X, y3) * len(x) == pytest.approx(ref3.llf, rel=LOGLIK_RTOL)
    np.testing.assert_allclose(cat.predict_proba(X), ref3.predict(), atol=PROBA_ATOL)


def collinear_data(gap, n=400, seed=3):
    """Columns z0 and z0 + gap·z1 (correlation 1 - gap²/2), and z2.

    The reference design spans the same space exactly: the difference of the
    two near-copies is computed without rounding (Sterbenz), then rescaled.
    """
    rng = np.random.default_rng(seed)
    z = rng.normal(size=(n, 3))
    X = np.column_stack([z[:, 0], z[:, 0] + gap * z[:, 1], z[:, 2]])
    diff = X[:, 1] - X[:, 0]
    D = np.column_stack([X[:, 0], diff / diff.std(), X[:, 2]])
    return z, X, D, rng


@pytest.mark.parametrize("gap", [1e-4, 1e-7])
def test_nearly_collinear_columns_reach_reference_optimum(gap):
    """Two columns with correlation 1 - gap²/2, against the same fit on D.

    The heteroscedastic Gaussian has no library reference: it is compared with
    itself fitted on D, the same column space without the collinearity.
    """
    z, X, D, rng = collinear_data(gap)
    n = len(z)
    y = z[:, 0] - z[:, 2] + 0.3 * z[:, 1] + rng.normal(size=n)
    reg = fit_quietly(GaussianNLLRegressor(), X, y)
    assert rel_err(reg.predict(X), gaussian_reference(D, y, None, True)[1]) < 1e-7

    yb = (z[:, 0] - z[:, 2] + z[:, 1] + rng.logistic(size=n) > 0).astype(int)
    bern = fit_quietly(BernoulliNLLClassifier(), X, yb)
    ref = sm_fit(sm.Logit(yb, design(D, True)), method="newton", tol=1e-14, disp=0)
    assert -bern.nll(X, yb) * n == pytest.approx(ref.llf, rel=LOGLIK_RTOL)
    np.testing.assert_allclose(
        bern.predict_proba(X)[:, 1], ref.predict(), atol=PROBA_ATOL
    )

    y3 = np.digitize(z[:, 0] - z[:, 2] + z[:, 1] + rng.logistic(size=n), [-1, 1])
    cat = fit_quietly(CategoricalNLLClassifier(), X, y3)
    ref3 = sm_fit(sm.MNLogit(y3, design(D, True)), method="newton", tol=1e-14, disp=0)
    assert -cat.nll(X, y3) * n == pytest.approx(ref3.llf, rel=LOGLIK_RTOL)
    np.testing.assert_allclose(cat.predict_proba(X), ref3.predict(), atol=PROBA_ATOL)

    yh = y + (np.exp(0.4 * z[:, 2]) - 1) * rng.normal(size=n)
    het = fit_quietly(GaussianNLLRegressor(heteroscedastic=True), X, yh)
    het_d = fit_quietly(GaussianNLLRegressor(heteroscedastic=True), D, yh)
    assert het.nll(X, yh) == pytest.approx(het_d.nll(D, yh), rel=LOGLIK_RTOL)
    for raw, ref in zip(
        het.predict(X, return_std=True), het_d.predict(D, return_std=True)
    ):
        assert rel_err(raw, ref) < COEF_RTOL


ESTIMATORS = {
    "gaussian": GaussianNLLRegressor(),
    "gaussian_newton": GaussianNLLRegressor(solver="newton"),
    "heteroscedastic": GaussianNLLRegressor(heteroscedastic=True),
    "bernoulli": BernoulliNLLClassifier(),
    "categorical": CategoricalNLLClassifier(),
}


def outputs(est, X):
    if hasattr(est, "predict_proba"):
        return est.predict_proba(X)
    return np.column_stack(est.predict(X, return_std=True))


def target_for(name, z, rng):
    lin = z[:, 0] - 0.5 * z[:, 1] + 0.3 * z[:, 2]
    if name == "bernoulli":
        return (lin + rng.logistic(size=len(z)) > 0).astype(int)
    if name == "categorical":
        return np.digitize(lin + rng.logistic(size=len(z)), [-1, 1])
    return lin + np.exp(0.3 * z[:, 0]) * rng.normal(size=len(z))


@pytest.mark.parametrize("name", ESTIMATORS)
def test_columns_differing_by_1e10_in_scale(name):
    """Columns of size 1e5, 1 and 1e-5 against the same data standardised."""
    rng = np.random.default_rng(10)
    z = rng.normal(size=(300, 3))
    y = target_for(name, z, rng)
    X = z * [1e5, 1.0, 1e-5]
    raw = fit_quietly(ESTIMATORS[name].__class__(**ESTIMATORS[name].get_params()), X, y)
    std = fit_quietly(ESTIMATORS[name].__class__(**ESTIMATORS[name].get_params()), z, y)
    np.testing.assert_allclose(outputs(raw, X), outputs(std, z), rtol=1e-8, atol=1e-10)
    # coef_ stays on the user's scale: coefficients scale by 1/column scale.
    coef_raw, coef_std = np.atleast_2d(raw.coef_), np.atleast_2d(std.coef_)
    np.testing.assert_allclose(
        coef_raw * [1e5, 1.0, 1e-5],
        coef_std,
        rtol=1e-7,
        atol=1e-9 * np.abs(coef_std).max(),
    )


@pytest.mark.parametrize("name", ESTIMATORS)
@pytest.mark.parametrize("fit_intercept", [True, False])
def test_affine_rescaling_of_a_column_does_not_change_predictions(name, fit_intercept):
    """x → a·x + b on one column (b only with an intercept, which absorbs it)."""
    rng = np.random.default_rng(11)
    z = rng.normal(size=(300, 3)) + np.array([0.0, 2.0, -1.0])
    y = target_for(name, z, rng)
    X = z.copy()
    X[:, 1] = 1e6 * z[:, 1] + (3e7 if fit_intercept else 0.0)
    params = {**ESTIMATORS[name].get_params(), "fit_intercept": fit_intercept}
    a = fit_quietly(ESTIMATORS[name].__class__(**params), z, y)
    b = fit_quietly(ESTIMATORS[name].__class__(**params), X, y)
    np.testing.assert_allclose(outputs(a, z), outputs(b, X), rtol=1e-8, atol=1e-8)
    if hasattr(a, "predict_proba"):
        np.testing.assert_array_equal(a.predict(z), b.predict(X))


# -- convergence is verified, not assumed ----------------------------------
def standardised_gradient(est, X, y, sw):
    """∂L/∂φ at the fitted coefficients, computed here from the formulas.

    The engine's convention (``sklik.solvers.solve``): φ holds the
    coefficients of the standardised columns (x - mean_s(x)) / sd_s(x)
    (no centring without an intercept; then the root mean square), and the
    intercepts, measured in units of each η column's ``eta_scale`` (sd_s(y)
    for the Gaussian mean, 1 otherwise). So ∂L/∂φ = eta_scale · Zᵀ (w ∘ ∂nll/∂η)
    plus the penalty's gradient, α/2·||W_user / eta_scale||² (the penalty
    does not depend on the units of y).
    """
    w = np.ones(len(y)) if sw is None else sw
    w = w / w.sum()
    center = w @ X if est.fit_intercept else np.zeros(X.shape[1])
    scale = np.sqrt(w @ (X - center) ** 2)
    Z = (X - center) / scale
    if isinstance(est, GaussianNLLRegressor):
        mu, sigma = est.predict(X, return_std=True)
        r = (y - mu) / sigma
        G = np.column_stack([-r / sigma, 1 - r**2])
        W = np.column_stack([est.coef_, getattr(est, "scale_coef_", 0 * est.coef_)])
        eta_scale = np.array([np.sqrt(w @ (y - w @ y) ** 2), 1.0])
        x_dep = [True, est.heteroscedastic]
    else:
        codes = np.searchsorted(est.classes_, y)
        logits = X @ est.coef_.T + est.intercept_
        if logits.shape[1] == 1:
            G = expit(logits) - codes[:, None]
        else:
            G = np.exp(log_softmax(logits, axis=1))
            G[np.arange(len(y)), codes] -= 1
        W, eta_scale, x_dep = est.coef_.T, np.ones(G.shape[1]), [True] * G.shape[1]
    grad_coef = (Z.T @ (w[:, None] * G)) * eta_scale
    grad_coef += est.alpha * W / eta_scale / scale[:, None]
    grad_int = (w @ G) * eta_scale
    parts = [grad_coef[:, x_dep].ravel()]
    free_intercept = [est.fit_intercept or not dep for dep in x_dep]
    parts.append(grad_int[free_intercept])
    return np.concatenate(parts)


@functools.cache
def diabetes_standardised():
    # y standardised: without intercepts μ(0) = 0 and σ(0) = 1 are sensible.
    X, y = diabetes()
    return X, (y - y.mean()) / y.std()


CONVERGENCE_CASES = {
    "gaussian_lstsq": (GaussianNLLRegressor(), diabetes),
    "gaussian_newton_alpha": (GaussianNLLRegressor(alpha=0.01), diabetes),
    "heteroscedastic": (GaussianNLLRegressor(heteroscedastic=True), diabetes),
    "heteroscedastic_newton_cg": (
        GaussianNLLRegressor(heteroscedastic=True, solver="newton-cg", tol=1e-6),
        diabetes_standardised,
    ),
    "bernoulli": (BernoulliNLLClassifier(), breast_cancer),
    "bernoulli_lbfgs_alpha": (
        BernoulliNLLClassifier(alpha=1e-3, solver="lbfgs", max_iter=2000),
        breast_cancer,
    ),
    "categorical": (CategoricalNLLClassifier(), wine),
    "categorical_newton_cg_alpha": (
        CategoricalNLLClassifier(alpha=1e-2, solver="newton-cg", tol=1e-7),
        wine,
    ),
}


@pytest.mark.parametrize("case", CONVERGENCE_CASES)
@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("weights", ["none", "real"])
def test_gradient_at_the_solution_is_below_tol(case, fit_intercept, weights):
    template, load = CONVERGENCE_CASES[case]
    X, y = load()
    sw = weights_for(len(y), weights, seed=12)
    est = template.__class__(
        **{**template.get_params(), "fit_intercept": fit_intercept}
    )
    fit_quietly(est, X, y, sw)
    grad = standardised_gradient(est, X, y, sw)
    assert np.max(np.abs(grad)) <= est.tol
    if isinstance(est, CategoricalNLLClassifier):  # centred: the answer is unique
        np.testing.assert_allclose(est.coef_.sum(axis=0), 0.0, atol=1e-9)


def test_multioutput_outputs_are_converged():
    X, Y = load_linnerud(return_X_y=True)
    model = MultiOutputNLL(
        outputs=[GaussianNLLRegressor(heteroscedastic=True, alpha=0.1)]
        + [GaussianNLLRegressor(solver="newton")] * 2
    ).fit(X, Y)
    for j, est in enumerate(model.outputs_):
        assert np.max(np.abs(standardised_gradient(est, X, Y[:, j], None))) <= est.tol
