"""Closed forms of the CRPS, one per scipy family, elementwise and vectorised.

Each function takes the observations and the parameters of a frozen
``scipy.stats`` distribution (as read by ``frozen_params``: its shape
parameters by scipy's names, ``loc`` and, for continuous families, ``scale``)
and returns the CRPS of every element, broadcast with y. The formulas are
those collected by Jordan, Krüger & Lerch (2019), "Evaluating probabilistic
forecasts with scoringRules", J. Stat. Softw. 90(12), and its vignette
"Closed form expressions for the continuous ranked probability score"; the
original source of each is named at its function. Each is checked against
the numerical integral of the definition in tests/test_crps.py.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from scipy import special, stats

from sklik.metrics._crps_numeric import crps_discrete

_INV_SQRT_PI = 1.0 / np.sqrt(np.pi)

Params = dict[str, np.ndarray]


def _check(params: Params, family: str, *, positive=(), nonnegative=()) -> None:
    """Reject parameters outside the family's domain with a clear error."""
    for name in ("loc", *positive, *nonnegative):
        if name in params and not np.all(np.isfinite(params[name])):
            raise ValueError(f"{family}: {name} contains NaN or infinity.")
    for name in positive:
        if np.any(params[name] <= 0):
            raise ValueError(f"{family}: {name} must be positive.")
    for name in nonnegative:
        if np.any(params[name] < 0):
            raise ValueError(f"{family}: {name} must be non-negative.")


def normal_kernel(y: np.ndarray, mu: np.ndarray, sigma: np.ndarray) -> np.ndarray:
    """σ[u(2Φ(u) − 1) + 2φ(u) − 1/√π], u = (y − μ)/σ; |y − μ| where σ = 0.

    Gneiting, Raftery, Westveld & Goldman (2005), Mon. Weather Rev. 133, eq. 5.
    """
    y, mu, sigma = np.broadcast_arrays(y, mu, sigma)
    positive = sigma > 0
    u = np.divide(y - mu, sigma, out=np.zeros_like(y, dtype=np.float64), where=positive)
    return np.where(
        positive,
        sigma
        * (
            u * (2.0 * stats.norm.cdf(u) - 1.0) + 2.0 * stats.norm.pdf(u) - _INV_SQRT_PI
        ),
        np.abs(y - mu),
    )


def normal(y: np.ndarray, p: Params) -> np.ndarray:
    _check(p, "norm", nonnegative=("scale",))
    return normal_kernel(y, p["loc"], p["scale"])


def laplace(y: np.ndarray, p: Params) -> np.ndarray:
    """σ(|u| + exp(−|u|) − 3/4) (scoringRules, Jordan et al. 2019)."""
    _check(p, "laplace", positive=("scale",))
    u = np.abs(y - p["loc"]) / p["scale"]
    return p["scale"] * (u + np.exp(-u) - 0.75)


def logistic(y: np.ndarray, p: Params) -> np.ndarray:
    """σ(u − 2 log F(u) − 1) (scoringRules; Taillardat et al. 2016).

    −log F(u) = log(1 + e^−u) is computed as ``logaddexp(0, −u)``, exact in
    both tails.
    """
    _check(p, "logistic", positive=("scale",))
    u = (y - p["loc"]) / p["scale"]
    return p["scale"] * (u + 2.0 * np.logaddexp(0.0, -u) - 1.0)


def student_t(y: np.ndarray, p: Params) -> np.ndarray:
    """σ[u(2F_ν(u) − 1) + 2f_ν(u)(ν + u²)/(ν − 1) − 2√ν B(½, ν−½)/((ν−1) B(½, ν/2)²)].

    Jordan et al. (2019), scoringRules' ``crps_t``. The CRPS is infinite for
    ν ≤ 1, where the mean does not exist; ν = ∞ is the normal.
    """
    _check(p, "t", positive=("scale",))
    nu, scale = p["df"], p["scale"]
    if np.any(np.isnan(nu) | (nu <= 0)):
        raise ValueError("t: df must be positive.")
    u = (y - p["loc"]) / scale
    finite = nu > 1
    # ν ≤ 1 (infinite CRPS) and ν = ∞ (the normal) are filled in below
    nu_ok = np.where(finite & np.isfinite(nu), nu, 2.0)
    # B(½, ν−½)/B(½, ν/2)² as ratios Γ(x+½)/Γ(x) ("poch"): through betaln it
    # loses 1e-9 at ν = 1e6 (cancelling log-gammas); this keeps ~1e-13.
    ratio = special.poch(nu_ok / 2, 0.5) ** 2 / (
        np.sqrt(np.pi) * special.poch(nu_ok - 0.5, 0.5)
    )
    value = scale * (
        u * (2.0 * stats.t.cdf(u, nu_ok) - 1.0)
        + 2.0 * stats.t.pdf(u, nu_ok) * (nu_ok + u * u) / (nu_ok - 1.0)
        - 2.0 * np.sqrt(nu_ok) / (nu_ok - 1.0) * ratio
    )
    value = np.where(np.isinf(nu), normal_kernel(y, p["loc"], scale), value)
    return np.where(finite, value, np.inf)


def exponential(y: np.ndarray, p: Params) -> np.ndarray:
    """|x| − 2σF(x) + σ/2 with x = y − loc, σ = 1/rate (scoringRules ``crps_exp``)."""
    _check(p, "expon", positive=("scale",))
    x, scale = y - p["loc"], p["scale"]
    cdf = -np.expm1(-np.clip(x, 0.0, None) / scale)
    return np.abs(x) - 2.0 * scale * cdf + 0.5 * scale


def gamma(y: np.ndarray, p: Params) -> np.ndarray:
    """x(2F_α(x) − 1) − σα(2F_{α+1}(x) − 1) − σ/B(½, α), x = y − loc, σ = 1/rate.

    Möller & Scheuerer (2013), via scoringRules' ``crps_gamma`` (whose
    vignette misprints the last term as α/B(½, α)).
    """
    _check(p, "gamma", positive=("a", "scale"))
    a, scale = p["a"], p["scale"]
    x = y - p["loc"]
    t = np.clip(x, 0.0, None) / scale
    return (
        x * (2.0 * special.gammainc(a, t) - 1.0)
        - scale * a * (2.0 * special.gammainc(a + 1.0, t) - 1.0)
        - scale * np.exp(-special.betaln(0.5, a))
    )


def lognormal(y: np.ndarray, p: Params) -> np.ndarray:
    """x(2Φ(z) − 1) − 2e^{μ+σ²/2}(Φ(z − σ) − Φ(−σ/√2)), z = (log x − μ)/σ.

    Baran & Lerch (2015), via scoringRules' ``crps_lnorm``; x = y − loc,
    μ = log(scale), σ = s. For x ≤ 0 both Φ(z) and Φ(z − σ) are 0.
    """
    _check(p, "lognorm", positive=("s", "scale"))
    sigma, scale = p["s"], p["scale"]
    x = y - p["loc"]
    positive = x > 0
    log_x = np.log(np.where(positive, x, 1.0))
    z = (log_x - np.log(scale)) / sigma
    cdf = np.where(positive, stats.norm.cdf(z), 0.0)
    cdf_shifted = np.where(positive, stats.norm.cdf(z - sigma), 0.0)
    mean = scale * np.exp(0.5 * sigma * sigma)
    return x * (2.0 * cdf - 1.0) - 2.0 * mean * (
        cdf_shifted - stats.norm.sf(sigma / np.sqrt(2.0))
    )


def uniform(y: np.ndarray, p: Params) -> np.ndarray:
    """w(|u − c| + c² − c + 1/3), u = (y − a)/w, c = clip(u, 0, 1) (scoringRules)."""
    _check(p, "uniform", positive=("scale",))
    width = p["scale"]
    u = (y - p["loc"]) / width
    c = np.clip(u, 0.0, 1.0)
    return width * (np.abs(u - c) + c * c - c + 1.0 / 3.0)


def beta(y: np.ndarray, p: Params) -> np.ndarray:
    """w[x(2F(x) − 1) + α/(α+β)(1 − 2F_{α+1,β}(x) − 2B(2α, 2β)/(α B(α, β)²))].

    Taillardat, Mestre, Zamo & Naveau (2016), via scoringRules'
    ``crps_beta``; x = (y − loc)/w on the support [loc, loc + w].
    """
    _check(p, "beta", positive=("a", "b", "scale"))
    a, b, width = p["a"], p["b"], p["scale"]
    x = (y - p["loc"]) / width
    t = np.clip(x, 0.0, 1.0)
    ratio = np.exp(special.betaln(2 * a, 2 * b) - 2 * special.betaln(a, b) - np.log(a))
    return width * (
        x * (2.0 * special.betainc(a, b, t) - 1.0)
        + a / (a + b) * (1.0 - 2.0 * special.betainc(a + 1.0, b, t) - 2.0 * ratio)
    )


def poisson(y: np.ndarray, p: Params) -> np.ndarray:
    """(x − λ)(2F(x) − 1) + 2λf(⌊x⌋) − λe^{−2λ}(I₀(2λ) + I₁(2λ)), x = y − loc.

    Wei & Held (2014), via scoringRules' ``crps_pois``; e^{−2λ}I_k(2λ) is
    ``special.ive(k, 2λ)``, which does not overflow.
    """
    _check(p, "poisson", nonnegative=("mu",))
    lam = p["mu"]
    x = y - p["loc"]
    cdf = stats.poisson.cdf(x, lam)
    pmf = stats.poisson.pmf(np.floor(x), lam)
    half_gini = lam * (special.ive(0, 2.0 * lam) + special.ive(1, 2.0 * lam))
    return (x - lam) * (2.0 * cdf - 1.0) + 2.0 * lam * pmf - half_gini


def negative_binomial(y: np.ndarray, p: Params) -> np.ndarray:
    """x(2F(x) − 1) − n(1−p)/p² [p(2F_{n+1,p}(x − 1) − 1) + ₂F₁(n+1, ½; 2; z)].

    Wei & Held (2014), via scoringRules' ``crps_nbinom``; x = y − loc and
    z = −4(1−p)/p². scipy's ``hyp2f1`` at z is NaN or inf from n ≈ 185 on;
    there (n ≥ 100) the function is taken through Pfaff's transformation
    ₂F₁(a, b; c; z) = (1 − z)^(−b) ₂F₁(c − a, b; c; z/(z − 1)), which agrees
    with mpmath to 2e-9 or better for n up to 1e4 and p from 1e-6 to
    1 − 1e-6, but is NaN from n ≈ 1.2e4 on (a negative binomial that close to
    a Poisson): there the CRPS is the exact sum over the counts. Below
    n = 100 the direct value is kept: it agrees to 1e-10, where the
    transformed one, multiplied by n(1−p)/p², can lose 4e-9 of the CRPS
    (n = 0.002, p = 7e-6). All three are checked against the exact sum in
    tests/test_crps.py.
    """
    _check(p, "nbinom", positive=("n", "p"))
    n, prob = p["n"], p["p"]
    if np.any(prob > 1):
        raise ValueError("nbinom: p must be in (0, 1].")
    x = y - p["loc"]
    q = 1.0 - prob
    large = n >= 100
    n_small, n_large = np.where(large, 1.0, n), np.where(large, n, 1.0)
    direct = special.hyp2f1(n_small + 1.0, 0.5, 2.0, -4.0 * q / (prob * prob))
    denominator = prob * prob + 4.0 * q  # p²(1 − z)
    pfaff = special.hyp2f1(1.0 - n_large, 0.5, 2.0, 4.0 * q / denominator)
    hyp = np.where(large, prob / np.sqrt(denominator) * pfaff, direct)
    values = x * (2.0 * stats.nbinom.cdf(x, n, prob) - 1.0) - n * q / (prob * prob) * (
        prob * (2.0 * stats.nbinom.cdf(x - 1.0, n + 1.0, prob) - 1.0) + hyp
    )
    failed = ~np.isfinite(values)
    if np.any(failed):
        x, n, prob = (np.broadcast_to(a, values.shape)[failed] for a in (x, n, prob))
        exact = stats.nbinom(n, prob)
        values = np.array(values)
        values[failed] = crps_discrete(exact.cdf, exact.ppf, x)
    return values


#: scipy's name of a family -> its closed form.
CLOSED_FORMS: dict[str, Callable[[np.ndarray, Params], np.ndarray]] = {
    "norm": normal,
    "laplace": laplace,
    "logistic": logistic,
    "t": student_t,
    "expon": exponential,
    "gamma": gamma,
    "lognorm": lognormal,
    "uniform": uniform,
    "beta": beta,
    "poisson": poisson,
    "nbinom": negative_binomial,
}
