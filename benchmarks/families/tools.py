"""The tools of each case: sklik and its peers, each with its tight settings.

A tool is ``Tool(name, fit, extract, role)``: ``fit(X, y, prep)`` is what
is timed (``prep`` holds the inputs in each peer's preferred form, made
once, untimed: X with a constant column for statsmodels, a DataFrame for
gamlss); ``extract(est, X, y)`` turns the fitted object into sklik's
parametrisation, user-scale ``W`` (p, P) and ``b`` (P,), untimed. Roles:
``"sklik"``; ``"peer"`` (fits the same objective: eligible as the fastest
peer); ``"info"`` (a related but different problem, shown for scale only).
"""

import contextlib
import io
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.optimize
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import (
    GammaRegressor,
    LinearRegression,
    PoissonRegressor,
    QuantileRegressor,
)

from sklik import NLLRegressor

from .objectives import Reference, profile_shape

#: Tolerances given to the peers: as tight as each one accepts, so that it
#: can reach the 1e-8 relative gap the comparison is made at.
SKLEARN_TOL = 1e-10
GLUM_GRADIENT_TOL = 1e-10
SM_NEWTON_TOL = 1e-12
SM_BFGS_GTOL = 1e-10
GAMLSS_C_CRIT = 1e-9
SCIPY_GTOL = 1e-10


@dataclass
class Tool:
    name: str
    fit: Any
    extract: Any
    role: str = "peer"


@dataclass
class Prep:
    X1: Any = None  # X with a leading constant column (statsmodels)
    frame: Any = None  # DataFrame with columns x0.., y (gamlss)
    formula: str = ""


def prepare(X, y, tools):
    prep = Prep()
    names = " ".join(t.name for t in tools)
    if "statsmodels" in names:
        prep.X1 = np.column_stack([np.ones(len(y)), X])
    if "gamlss" in names:
        import pandas as pd

        cols = [f"x{j}" for j in range(X.shape[1])]
        prep.frame = pd.DataFrame(X, columns=cols)
        prep.frame["y"] = y
        prep.formula = " + ".join(cols)
    return prep


def _quiet(fn):
    def wrapped(*args):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return fn(*args)

    return wrapped


# --------------------------------------------------------------------------
# sklik
# --------------------------------------------------------------------------
def sklik_tool(family, x_dependent=None, name="sklik"):
    def fit(X, y, prep):
        return NLLRegressor(family, x_dependent=x_dependent).fit(X, y)

    def extract(est, X, y):
        return est.coef_.T.copy(), est.intercept_.copy()

    return Tool(name, fit, extract, "sklik")


def sklik_exponential_as_gamma_mean():
    """The Gamma mean's MLE does not depend on the shape: sklik's Exponential."""

    def fit(X, y, prep):
        return NLLRegressor("exponential").fit(X, y)

    def extract(est, X, y):
        W = np.zeros((X.shape[1], 2))
        W[:, 0] = est.coef_[0]
        mu = np.exp(X @ W[:, 0] + est.intercept_[0])
        return W, np.array([est.intercept_[0], np.log(profile_shape(y, mu))])

    return Tool("sklik exponential (mean)", fit, extract, "sklik")


# --------------------------------------------------------------------------
# Mean-only GLM peers (Poisson, Gamma mean)
# --------------------------------------------------------------------------
def _mean_extract(P, shape_profile=False):
    def extract(est, X, y):
        coef, intercept = est
        W = np.zeros((X.shape[1], P))
        W[:, 0] = coef
        b = np.zeros(P)
        b[0] = intercept
        if shape_profile:
            b[1] = np.log(profile_shape(y, np.exp(X @ coef + intercept)))
        return W, b

    return extract


def sklearn_glm(family, solver, P=1, shape=False, role="peer"):
    cls = PoissonRegressor if family == "poisson" else GammaRegressor

    @_quiet
    def fit(X, y, prep):
        est = cls(alpha=0.0, solver=solver, tol=SKLEARN_TOL, max_iter=20000)
        est.fit(X, y)
        out = est.coef_, est.intercept_
        if shape:  # the shape's MLE given the mean, timed with the fit
            profile_shape(y, np.exp(X @ est.coef_ + est.intercept_))
        return out

    label = f"sklearn {solver}" + (" + shape MLE" if shape else "")
    return Tool(label, fit, _mean_extract(P, P > 1), role)


def glum_glm(family, P=1, shape=False, role="peer"):
    from glum import GeneralizedLinearRegressor

    @_quiet
    def fit(X, y, prep):
        est = GeneralizedLinearRegressor(
            family=family,
            alpha=0.0,
            gradient_tol=GLUM_GRADIENT_TOL,
            max_iter=1000,
        ).fit(X, y)
        if shape:
            profile_shape(y, np.exp(X @ est.coef_ + est.intercept_))
        return est.coef_, est.intercept_

    return Tool(
        "glum" + (" + shape MLE" if shape else ""), fit, _mean_extract(P, P > 1), role
    )


def statsmodels_glm(family, P=1):
    import statsmodels.api as sm

    fam = (
        sm.families.Poisson()
        if family == "poisson"
        else sm.families.Gamma(link=sm.families.links.Log())
    )

    @_quiet
    def fit(X, y, prep):
        res = sm.GLM(y, prep.X1, family=fam).fit(tol=1e-12, maxiter=1000)
        return res.params[1:], res.params[0]

    return Tool("statsmodels GLM (IRLS)", fit, _mean_extract(P, P > 1))


def glum_nb_fixed_alpha(alpha_hat):
    """glum's negative binomial fits the mean at a *fixed* theta (= NB2 α)."""
    from glum import GeneralizedLinearRegressor

    @_quiet
    def fit(X, y, prep):
        est = GeneralizedLinearRegressor(
            family=f"negative.binomial({alpha_hat})",
            alpha=0.0,
            gradient_tol=GLUM_GRADIENT_TOL,
            max_iter=1000,
        ).fit(X, y)
        return est.coef_, est.intercept_

    def extract(est, X, y):
        W, b = _mean_extract(2)(est, X, y)
        b[1] = np.log(alpha_hat)
        return W, b

    return Tool("glum NB, α fixed at the MLE", fit, extract, "info")


# --------------------------------------------------------------------------
# statsmodels likelihood models
# --------------------------------------------------------------------------
def _sm_fit(model, method):
    if method == "newton":
        return model.fit(method="newton", maxiter=500, tol=SM_NEWTON_TOL, disp=0)
    return model.fit(method="bfgs", maxiter=20000, gtol=SM_BFGS_GTOL, disp=0)


def statsmodels_nb2(method):
    import statsmodels.api as sm

    @_quiet
    def fit(X, y, prep):
        model = sm.NegativeBinomial(y, prep.X1, loglike_method="nb2")
        return _sm_fit(model, method).params

    def extract(params, X, y):
        W = np.zeros((X.shape[1], 2))
        W[:, 0] = params[1:-1]
        return W, np.array([params[0], np.log(params[-1])])

    return Tool(f"statsmodels NegativeBinomial ({method})", fit, extract)


def statsmodels_zip(method):
    import statsmodels.api as sm

    @_quiet
    def fit(X, y, prep):
        model = sm.ZeroInflatedPoisson(y, prep.X1, inflation="logit")
        return _sm_fit(model, method).params

    def extract(params, X, y):  # [inflate_const, const, x...]
        W = np.zeros((X.shape[1], 2))
        W[:, 0] = params[2:]
        return W, np.array([params[1], params[0]])

    return Tool(f"statsmodels ZeroInflatedPoisson ({method})", fit, extract)


def statsmodels_beta(method):
    from statsmodels.othermod.betareg import BetaModel

    @_quiet
    def fit(X, y, prep):
        model = BetaModel(y, prep.X1, exog_precision=prep.X1)
        return _sm_fit(model, method).params

    def extract(params, X, y):  # [mean const, mean x..., prec const, prec x...]
        p = X.shape[1]
        W = np.column_stack([params[1 : p + 1], params[p + 2 :]])
        return W, np.array([params[0], params[p + 1]])

    return Tool(f"statsmodels BetaModel ({method})", fit, extract)


def statsmodels_t(method):
    from statsmodels.miscmodels.tmodel import TLinearModel

    @_quiet
    def fit(X, y, prep):
        with contextlib.redirect_stdout(io.StringIO()):  # it prints "running ..."
            model = TLinearModel(y, prep.X1)
        if method == "newton":
            res = model.fit(method="newton", maxiter=500, tol=SM_NEWTON_TOL, disp=0)
        else:
            res = model.fit(method="bfgs", maxiter=20000, gtol=SM_BFGS_GTOL, disp=0)
        return res.params

    def extract(params, X, y):  # [const, x..., df, scale]
        W = np.zeros((X.shape[1], 3))
        W[:, 0] = params[1:-2]
        return W, np.array([params[0], np.log(params[-1]), np.log(params[-2])])

    return Tool(f"statsmodels TLinearModel ({method})", fit, extract)


# --------------------------------------------------------------------------
# gamlss (the Python port of R's gamlss: RS algorithm)
# --------------------------------------------------------------------------
def gamlss_tool(fam_name, sigma_x, convert):
    """``convert(mu_coef, sigma_coef, nu_coef, p)`` -> sklik's (W, b)."""
    import gamlss as gl

    def fit(X, y, prep):
        fam = getattr(gl, fam_name)()
        sigma = "~ " + prep.formula if sigma_x else "~ 1"
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            m = gl.gamlss(
                "y ~ " + prep.formula,
                sigma_formula=sigma,
                family=fam,
                data=prep.frame,
                c_crit=GAMLSS_C_CRIT,
                n_cyc=500,
                cc=GAMLSS_C_CRIT,
                cyc=500,
                trace=False,
            )
        nu = getattr(m, "nu_coefficients", None)
        return (
            np.asarray(m.mu_coefficients, float),
            np.asarray(m.sigma_coefficients, float),
            None if nu is None else np.asarray(nu, float),
        )

    def extract(coefs, X, y):
        return convert(*coefs, X.shape[1])

    label = f"gamlss {fam_name}" + (" σ(x)" if sigma_x else "")
    return Tool(label, fit, extract)


def _two(mu, sigma, p, sigma_map=lambda s: s):
    W = np.zeros((p, 2))
    W[:, 0] = mu[1:]
    b = np.array([mu[0], 0.0])
    if len(sigma) > 1:
        W[:, 1] = sigma_map(sigma[1:], slope=True)
        b[1] = sigma_map(sigma[0], slope=False)
    else:
        b[1] = sigma_map(sigma[0], slope=False)
    return W, b


def gamlss_for(kind):
    ident = lambda s, slope: s  # noqa: E731
    if kind in ("nb2", "nb_alpha_x"):  # NBI: Var = μ + σμ², σ (log) = NB2 α
        return gamlss_tool(
            "NBI", kind == "nb_alpha_x", lambda m, s, nu, p: _two(m, s, p, ident)
        )
    if kind == "hetero":  # NO: μ identity, σ log
        return gamlss_tool("NO", True, lambda m, s, nu, p: _two(m, s, p, ident))
    if kind == "zip":  # ZIP: μ log, σ = zero probability (logit)
        return gamlss_tool("ZIP", False, lambda m, s, nu, p: _two(m, s, p, ident))
    if kind == "gamma":  # GA: σ² = 1/shape, log link: log k = -2 log σ

        def conv(m, s, nu, p):
            return _two(m, s, p, lambda v, slope: -2.0 * v)

        return gamlss_tool("GA", False, conv)
    if kind == "student_t":  # TF: μ, σ (log), ν (log) df

        def conv(m, s, nu, p):
            W = np.zeros((p, 3))
            W[:, 0] = m[1:]
            return W, np.array([m[0], s[0], nu[0]])

        return gamlss_tool("TF", False, conv)
    raise ValueError(kind)


# --------------------------------------------------------------------------
# A direct scipy ML fit (L-BFGS on standardised columns, analytic gradient)
# --------------------------------------------------------------------------
def scipy_ml(family, depends):
    def fit(X, y, prep):
        ref = Reference(family, X, y, depends)
        P = len(depends)
        W0, b0 = np.zeros((X.shape[1], P)), np.zeros(P)
        if family == "normal":
            b0 = np.array([y.mean(), np.log(y.std())])
        elif family == "negative_binomial":
            b0 = np.array([np.log(y.mean()), 0.0])
        res = scipy.optimize.minimize(
            ref.fg,
            ref.pack(W0, b0),
            jac=True,
            method="L-BFGS-B",
            options={"gtol": SCIPY_GTOL, "ftol": 1e-15, "maxiter": 20000},
        )
        return ref.unpack(res.x)

    return Tool("scipy L-BFGS (direct ML)", fit, lambda wb, X, y: wb)


# --------------------------------------------------------------------------
# Laplace and log-normal: exact peers plus the profiled scale
# --------------------------------------------------------------------------
def _profiled_scale(kind):
    def extract(est, X, y):
        coef, intercept = est
        W = np.zeros((X.shape[1], 2))
        W[:, 0] = coef
        if kind == "laplace":
            s = np.mean(np.abs(y - X @ coef - intercept))
        else:
            s = np.sqrt(np.mean((np.log(y) - X @ coef - intercept) ** 2))
        return W, np.array([intercept, np.log(s)])

    return extract


def sklearn_quantile():
    @_quiet
    def fit(X, y, prep):
        est = QuantileRegressor(quantile=0.5, alpha=0.0, solver="highs").fit(X, y)
        np.mean(np.abs(y - est.predict(X)))  # the scale's MLE, timed
        return est.coef_, est.intercept_

    return Tool("sklearn QuantileRegressor (highs)", fit, _profiled_scale("laplace"))


def statsmodels_quantreg():
    import statsmodels.api as sm

    @_quiet
    def fit(X, y, prep):
        res = sm.QuantReg(y, prep.X1).fit(q=0.5, max_iter=5000, p_tol=1e-12)
        return res.params[1:], res.params[0]

    return Tool("statsmodels QuantReg (IRLS)", fit, _profiled_scale("laplace"))


def sklearn_linreg_log():
    def fit(X, y, prep):
        ly = np.log(y)
        est = LinearRegression().fit(X, ly)
        np.sqrt(np.mean((ly - est.predict(X)) ** 2))  # σ's MLE, timed
        return est.coef_, est.intercept_

    return Tool("sklearn LinearRegression on log y", fit, _profiled_scale("lognormal"))


def silence_convergence():
    warnings.filterwarnings("ignore", category=ConvergenceWarning)
