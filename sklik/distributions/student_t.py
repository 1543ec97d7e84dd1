"""Student's t output distribution: loc (identity), scale (log) and df (log)."""

import numpy as np
from scipy import special, stats

from sklik.distributions._location_scale import LocationScale, weighted_mean_sd
from sklik.distributions._t_functions import (
    DF_RUN_OFF,
    HALF_LOG_PI,
    LOG_DF_RANGE,
    LOG_SCALE_FLOOR,
    df_functions,
    sample_terms,
    t_log_abs_mean,
)
from sklik.links import Identity, Log


class StudentT(LocationScale):
    r"""Student's t distribution: loc μ (identity), scale σ (log), df ν (log).

    .. math::

        -\log \Pr(y \mid \mu, \sigma, \nu) = \log\sigma + \tfrac12\log(\nu\pi)
        + \log\Gamma(\tfrac{\nu}{2}) - \log\Gamma(\tfrac{\nu+1}{2})
        + \tfrac{\nu+1}{2}\log\Bigl(1 + \frac{(y-\mu)^2}{\nu\sigma^2}\Bigr),

    with μ = η₀, σ = e^{η₁}, ν = e^{η₂}. This is scipy's
    ``stats.t(df, loc, scale)``, statsmodels' ``TLinearModel`` (params
    ``df``, ``scale``) and R's ``gamlss.dist::TF(mu, sigma, nu)``; σ is not
    the standard deviation, which is σ·√(ν/(ν-2)) for ν > 2.

    As ν → ∞ the t tends to the Normal: every term is computed as a
    function of 1/ν (series where ψ and lgamma would cancel), so the NLL and
    its derivatives are accurate for ν up to 1e304, where the t is the
    Normal to the last digit. Normal-like data have their likelihood's
    supremum at ν = ∞: the fit then runs along that flat direction until the
    gradient is below ``tol`` and warns
    (:class:`~sklik.exceptions.DegenerateFitWarning`) that the df ran off to
    infinity; the Normal family is the model to use. The scale has the
    location-scale guard (see :class:`LocationScale`).

    Curvature: the expected information in (μ, log σ, log ν) is analytic
    (Lange, Little & Taylor 1989; μ is orthogonal to the other two), and so
    is the observed Hessian. ``predict`` gives loc (the mean for ν > 1, the
    median always); ``return_std`` the standard deviation, inf for ν ≤ 2.

    Examples
    --------
    >>> import numpy as np
    >>> from scipy import stats
    >>> from sklik.distributions import StudentT
    >>> eta = np.array([[0.5, np.log(2.0), np.log(3.0)]])
    >>> StudentT().nll(np.array([1.0]), eta)
    array([1.7352746])
    >>> float(-stats.t(3.0, 0.5, 2.0).logpdf(1.0))
    1.7352746045889...
    >>> big = np.array([[0.5, np.log(2.0), np.log(1e300)]])  # the Normal
    >>> StudentT().nll(np.array([1.0]), big), -stats.norm(0.5, 2.0).logpdf([1.0])
    (array([1.64333571]), array([1.64333571]))
    """

    param_names = ("loc", "scale", "df")
    links = (Identity(), Log(), Log())

    #: The df at which the two-stage start takes ``E[log |T|]`` (see
    #: :attr:`standard_log_abs`): ν = 4, Lange et al.'s robust default.
    start_df = 4.0

    @property
    def standard_log_abs(self) -> float:
        """``E[log |T|]`` at ν = :attr:`start_df`, for the two-stage start.

        It depends on ν, which the start does not know yet (the engine's
        two-stage start reads one number): any constant only shifts the
        start's log-scale intercept, and the value at ν = 4, -1/2, is within
        0.16 of the value for every ν ≥ 2 (ν = 2: -0.347, the Normal:
        -0.635; the Cauchy: 0). :func:`t_log_abs_mean` gives it for any ν.
        """
        return float(t_log_abs_mean(self.start_df))

    def standard_log_abs_at(self, eta) -> float:
        """``E[log |T|]`` at the df of η (P,), e.g. an intercept-only fit's, for a
        two-stage start that knows it (see :attr:`standard_log_abs`)."""
        return float(t_log_abs_mean(np.exp(np.clip(eta[2], *LOG_DF_RANGE))))

    # -- on θ: the textbook formulas (the η fast paths below agree) -----------
    def nll_grad_theta(self, y, theta):
        mu, sigma, nu = theta.T
        r = y - mu
        S = nu * sigma**2 + r**2  # σ²(ν + z²)
        half = 0.5 * nu
        nll = (
            special.gammaln(half)
            - special.gammaln(half + 0.5)
            + 0.5 * np.log(np.pi * nu)
            + np.log(sigma)
            + (half + 0.5) * np.log1p(r**2 / (nu * sigma**2))
        )
        d_nu = (
            0.5 * (special.digamma(half) - special.digamma(half + 0.5))
            + 0.5 * np.log(S / (nu * sigma**2))
            + (nu + 1.0) * sigma**2 / (2.0 * S)
            - 0.5
        )
        grad = np.column_stack(
            [-(nu + 1.0) * r / S, nu * (sigma**2 - r**2) / (sigma * S), d_nu]
        )
        return nll, grad

    def hessian_theta(self, y, theta):
        mu, sigma, nu = theta.T
        r = y - mu
        S = nu * sigma**2 + r**2
        s2 = sigma**2
        out = np.empty((len(mu), 3, 3))
        out[:, 0, 0] = (nu + 1.0) * (S - 2.0 * r**2) / S**2
        out[:, 0, 1] = out[:, 1, 0] = 2.0 * (nu + 1.0) * nu * sigma * r / S**2
        out[:, 0, 2] = out[:, 2, 0] = r * (s2 - r**2) / S**2
        out[:, 1, 1] = (nu + 1.0) * nu * (S - 2.0 * nu * s2) / S**2 + nu / s2
        out[:, 1, 2] = out[:, 2, 1] = (
            (2.0 * nu + 1.0) * sigma / S
            - (nu + 1.0) * nu * sigma * s2 / S**2
            - 1.0 / sigma
        )
        trigamma = special.polygamma(1, 0.5 * nu) - special.polygamma(1, 0.5 * nu + 0.5)
        out[:, 2, 2] = (
            0.25 * trigamma
            + s2 / S
            - (nu + 1.0) * s2**2 / (2.0 * S**2)
            - 1.0 / (2.0 * nu)
        )
        return out

    def fisher_theta(self, theta):
        sigma, nu = theta[:, 1], theta[:, 2]
        out = np.zeros((len(nu), 3, 3))
        out[:, 0, 0] = (nu + 1.0) / ((nu + 3.0) * sigma**2)
        out[:, 1, 1] = 2.0 * nu / ((nu + 3.0) * sigma**2)
        out[:, 1, 2] = out[:, 2, 1] = -2.0 / ((nu + 1.0) * (nu + 3.0) * sigma)
        trigamma = special.polygamma(1, 0.5 * nu) - special.polygamma(1, 0.5 * nu + 0.5)
        out[:, 2, 2] = 0.25 * trigamma - (nu + 5.0) / (
            2.0 * nu * (nu + 1.0) * (nu + 3.0)
        )
        return out

    def scipy_from_theta(self, theta):
        return stats.t(df=theta[:, 2], loc=theta[:, 0], scale=theta[:, 1])

    def start_theta(self, y, sample_weight):
        """Mean, sd and ν = 4 + 6/(excess kurtosis) (moments), ν in [2.5, 100]."""
        w = sample_weight / sample_weight.sum()
        mean, sd = weighted_mean_sd(y, w)
        if not sd > 0:
            return np.array([mean, 1.0, 100.0])
        z = (y - mean) / sd
        excess = w @ z**4 - 3.0
        nu = 100.0 if excess <= 0.06 else float(np.clip(4.0 + 6.0 / excess, 2.5, 100.0))
        return np.array([mean, sd * np.sqrt(max(nu - 2.0, 0.5) / nu), nu])

    # -- fast paths on η -------------------------------------------------------
    def nll(self, y, eta):
        s = np.maximum(eta[:, 1], LOG_SCALE_FLOOR)
        t = np.clip(eta[:, 2], *LOG_DF_RANGE)
        a = np.exp(-t)
        with np.errstate(over="ignore", invalid="ignore"):
            z = (y - eta[:, 0]) * np.exp(-s)
            z2 = z * z
            u = a * z2
            ratio = np.where(u > 0.0, np.log1p(u) / u, 1.0)
            term = (0.5 + 0.5 * a) * z2 * ratio
        bad = np.flatnonzero(~np.isfinite(u))
        if bad.size:  # u overflows: the term from log u
            ell = 2.0 * (np.log(np.abs(y[bad] - eta[bad, 0])) - s[bad]) - t[bad]
            term[bad] = 0.5 * (np.exp(t[bad]) + 1.0) * (ell + np.log1p(np.exp(-ell)))
        return s + HALF_LOG_PI + df_functions(t, 0)[0] + term

    def nll_grad(self, y, eta):
        q = sample_terms(y, eta)
        D, dD = df_functions(q["t"], 1)
        grad = np.empty_like(eta, dtype=np.float64)
        grad[:, 0] = q["g_loc"]
        grad[:, 1] = 1.0 - q["W"]
        grad[:, 2] = dD + q["half_nu_h1"] - 0.5 * q["pu"]
        return q["s"] + HALF_LOG_PI + D + q["term"], grad

    def hessian(self, y, eta):
        q = sample_terms(y, eta, need_hessian=True)
        d2D = df_functions(q["t"])[2]
        a, p, pu, W, g_loc = q["a"], q["p"], q["pu"], q["W"], q["g_loc"]
        shrink = (pu - a * p) / (1.0 + a)  # (u - a)/((1+a)(1+u))
        out = np.empty((eta.shape[0], 3, 3))
        with np.errstate(over="ignore", invalid="ignore"):
            out[:, 0, 0] = q["k_loc"] * (p - pu)
            out[:, 0, 1] = out[:, 1, 0] = -2.0 * g_loc * p
            out[:, 1, 1] = 2.0 * W * p
            out[:, 0, 2] = out[:, 2, 0] = g_loc * shrink
            out[:, 1, 2] = out[:, 2, 1] = -W * shrink
            out[:, 2, 2] = d2D + q["half_nu_h2"] + 0.5 * pu * p
        return out

    def fisher(self, eta):
        s = np.maximum(eta[:, 1], LOG_SCALE_FLOOR)
        t = np.clip(eta[:, 2], *LOG_DF_RANGE)
        a, nu = np.exp(-t), np.exp(t)
        out = np.zeros((eta.shape[0], 3, 3))
        out[:, 0, 0] = (1.0 + a) / (1.0 + 3.0 * a) * np.exp(-2.0 * s)
        out[:, 1, 1] = 2.0 / (1.0 + 3.0 * a)
        out[:, 1, 2] = out[:, 2, 1] = -2.0 / ((1.0 + a) * (nu + 3.0))
        out[:, 2, 2] = df_functions(t)[3]
        return out

    def mean(self, eta):
        return eta[:, 0].copy()

    def std(self, eta):
        """σ·√(ν/(ν-2)) for ν > 2, inf for ν ≤ 2 (the variance is infinite
        for 1 < ν ≤ 2 and undefined for ν ≤ 1; scipy gives nan there)."""
        a = np.exp(-np.clip(eta[:, 2], *LOG_DF_RANGE))
        with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
            sd = np.exp(eta[:, 1]) / np.sqrt(1.0 - 2.0 * a)
        return np.where(a < 0.5, sd, np.inf)

    def degenerate_message(self, y, eta, sample_weight):
        """The scale's collapse (see :class:`LocationScale`), or the df's run-off.

        The df ran off to infinity where the fit ended with ν > 1e3 at every
        sample of positive weight (ν > 1e3 at some of them, with an
        x-dependent df) and the NLL there still decreases towards the Normal:
        per sample, NLL(a) = NLL(a = 0) + a·(1/4 + z²/2 - z⁴/4) + O(a²) in
        a = 1/ν, so the Normal limit is the better one where the weighted
        mean of that slope is ≥ 0 (the sample kurtosis of z is at most 3). A
        finite ν above 1e3 where it is negative is a maximum, and no warning.
        """
        message = super().degenerate_message(y, eta, sample_weight)
        if message:
            return message
        used = sample_weight > 0
        huge = used & (eta[:, 2] > np.log(DF_RUN_OFF))
        if not huge.any():
            return None
        z = (y[huge] - eta[huge, 0]) * np.exp(-eta[huge, 1])
        z2 = z * z
        slope = sample_weight[huge] @ (0.25 + 0.5 * z2 - 0.25 * z2 * z2)
        if slope < 0:
            return None
        return (
            f"The fitted {self.name} df ran off to infinity: it is "
            f"{float(np.exp(np.min(eta[huge, 2]))):.3g} or more at "
            f"{int(huge.sum())} of {int(used.sum())} training samples, and the "
            "likelihood still grows towards df = inf there, the Normal "
            "distribution, where it has its supremum (the residuals' kurtosis "
            "is at most the Normal's). The fit stopped on that flat direction "
            "once the gradient was below tol; the t there is the Normal to "
            "within 1/df. Use distribution='normal': the same fit with one "
            "parameter fewer, so the better model."
        )
