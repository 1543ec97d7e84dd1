"""Negative binomial (NB2) output distribution: mean (log) and dispersion (log)."""

import copy

import numpy as np
from scipy import stats

from sklik.distributions._base import Distribution
from sklik.distributions._special import (
    _log1pmx_ratios,
    nbinom2_logpmf,
    nbinom2_logpmf_grad,
    nbinom2_logpmf_hess,
)
from sklik.distributions._support import NON_NEGATIVE
from sklik.distributions.poisson import LOG_MEAN_AT_ZERO, all_zero_message
from sklik.links import Log

#: Where η is evaluated: log μ ≤ 100, log α ≤ 20 and log(αμ) ≤ 30, inside
#: which the NB2 functions of _special are accurate (checked against finite
#: differences; beyond, their dispersion derivatives overflow, as (y − μ)³
#: does past 1e102). No count data set's maximum lies outside: e^100 ≈ 3e43,
#: e^20 ≈ 5e8 and e^30 ≈ 1e13.
_LOG_MEAN_MAX, _LOG_DISPERSION_MAX, _LOG_PRODUCT_MAX = 100.0, 20.0, 30.0
#: and log μ ≥ −700: μ stays positive (1e-304), so log μ is finite.
_LOG_MEAN_MIN = 700.0

#: The guard: log(α·ȳ) below which a penalty holds the dispersion. There the
#: NB2 is the Poisson to 1e-10 in its variance, and an interior maximum so
#: close to the boundary could be told from it only with ~1e20 samples; the
#: penalty makes the boundary (where the likelihood has its supremum but no
#: maximum) a well-posed end point instead of a flat direction.
LOG_GUARD = float(np.log(1e-10))

#: The fitted NB2 is called the Poisson at a sample where α·μ is below this:
#: its variance is the Poisson's to 1e-6 (an interior maximum there could be
#: told from the boundary only with ~1e12 samples). A fit whose supremum is at
#: the boundary creeps along the flat direction until its gradient, α times
#: the slope of the NLL in α, is below tol: usually far below this.
BOUNDARY = 1e-6


class NegativeBinomial(Distribution):
    r"""Negative binomial (NB2) of counts: mean μ (log) and dispersion α (log).

    .. math::

        \Pr(y \mid \mu, \alpha) = \frac{\Gamma(y + r)}{\Gamma(r)\, y!}
        \Bigl(\frac{r}{r + \mu}\Bigr)^{r} \Bigl(\frac{\mu}{r + \mu}\Bigr)^{y},
        \qquad r = 1/\alpha, \quad \mu = e^{\eta_0}, \quad \alpha = e^{\eta_1},

    with mean μ and variance μ + αμ² (NB2). Names elsewhere: R's
    ``glm.nb`` θ = 1/α, statsmodels' ``NegativeBinomial(loglike_method="nb2")``
    alpha = α, glum's theta = 1/α, scipy's ``nbinom(n=1/α, p=1/(1 + αμ))``.

    The log-pmf and its derivatives come from
    :func:`~sklik.distributions._special.nbinom2_logpmf`, accurate for every
    α ≥ 0 and equal to the Poisson's at α = 0 (scipy's ``nbinom.logpmf``
    loses log10(1/α) digits there).

    α → 0 is a boundary, not an error: where the counts are not overdispersed
    given x, the likelihood grows towards the Poisson (log α → −∞) and has no
    maximum. A guard (a penalty ½(floor − log α)² below α·ȳ = 1e-10, zero
    above) keeps that direction from being flat, and a fit that ends with
    α·μ < 1e-6 at every sample warns
    (:class:`~sklik.exceptions.DegenerateFitWarning`) that the Poisson is the
    better model.

    Capabilities: the observed Hessian and the expected (Fisher) information.
    The information costs a sum over counts (``costly_fisher``): Newton's
    method starts from the observed Hessian (no Fisher scoring; 4x faster on
    randhie) and takes the information's direction where the Hessian is not
    positive definite. The mean
    block of the information is μ/(1 + αμ) and the parameters are orthogonal;
    I_αα has no closed form, and the closed form's parts cancel to O(α²μ) as
    α → 0, so it is summed over y as E[S²] of the α-score S, by a recursion
    of a few multiplications per count, to a tail below 1e-13 (see
    :func:`_dispersion_information`; 0.14 s for randhie's 20190 samples). It
    is needed: near a weakly overdispersed optimum the observed Hessian is
    indefinite (the NLL is not convex in log α below α*/2), and a
    curvature-free step along that direction ends on the flat boundary.

    Non-integer y ≥ 0 use the same formula (Γ(y + 1) for y!), as
    :class:`~sklik.distributions.poisson.Poisson` does. η is evaluated inside
    −700 ≤ log μ ≤ 100, log α ≤ 20 and log(αμ) ≤ 30, where the NB2 functions
    are accurate (far beyond any count data's maximum).

    Examples
    --------
    >>> import numpy as np
    >>> from sklik import NLLRegressor
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(500, 1))
    >>> mean = np.exp(1.0 + 0.5 * X[:, 0])
    >>> y = rng.negative_binomial(n=2.0, p=2.0 / (2.0 + mean))  # α = 0.5
    >>> reg = NLLRegressor("negative_binomial").fit(X, y)
    >>> reg.param_names_
    ('mean', 'dispersion')
    >>> slope, dispersion = reg.coef_[0, 0], np.exp(reg.intercept_[1])
    >>> bool(abs(slope - 0.5) < 0.15), bool(abs(dispersion - 0.5) < 0.2)
    (True, True)
    """

    param_names = ("mean", "dispersion")
    links = (Log(), Log())
    support = NON_NEGATIVE
    fisher_is_hessian = False
    costly_fisher = True

    # -- on θ ----------------------------------------------------------------
    def nll_grad_theta(self, y, theta):
        mu, a = theta[:, 0], theta[:, 1]
        d_mean, d_disp = nbinom2_logpmf_grad(y, mu, a)
        return -nbinom2_logpmf(y, mu, a), -np.column_stack([d_mean, d_disp])

    def hessian_theta(self, y, theta):
        h_mm, h_ma, h_aa = nbinom2_logpmf_hess(y, theta[:, 0], theta[:, 1])
        out = np.empty((len(y), 2, 2))
        out[:, 0, 0], out[:, 1, 1] = -h_mm, -h_aa
        out[:, 0, 1] = out[:, 1, 0] = -h_ma
        return out

    def scipy_from_theta(self, theta):
        mu, a = theta[:, 0], theta[:, 1]
        return stats.nbinom(1.0 / a, 1.0 / (1.0 + a * mu))

    def start_theta(self, y, sample_weight):
        mean, var = _moments(y, sample_weight / sample_weight.sum())
        excess = (var - mean) / mean**2 if mean > 0 else 1.0
        return np.array([max(mean, np.finfo(float).eps), max(excess, 1e-8)])

    # -- fast paths on η ---------------------------------------------------------
    @staticmethod
    def _parts(eta):
        """log μ, log α (capped), μ, α, log(1 + αμ) and 1/(1 + αμ)."""
        t_mu = np.clip(eta[:, 0], -_LOG_MEAN_MIN, _LOG_MEAN_MAX)
        t_a = np.minimum(
            np.minimum(eta[:, 1], _LOG_DISPERSION_MAX), _LOG_PRODUCT_MAX - t_mu
        )
        log1p_x = np.logaddexp(0.0, t_mu + t_a)
        return t_mu, t_a, np.exp(t_mu), np.exp(t_a), log1p_x, np.exp(-log1p_x)

    def nll(self, y, eta):
        _, _, mu, a, _, _ = self._parts(eta)
        return -nbinom2_logpmf(y, mu, a)

    def nll_grad(self, y, eta):
        t_mu, _, mu, a, log1p_x, inv = self._parts(eta)
        grad = np.empty(eta.shape)
        # ∂/∂log μ = (μ - y)/(1 + αμ), with μ/(1 + αμ) from logs (no inf/inf)
        grad[:, 0] = np.exp(t_mu - log1p_x) - y * inv
        grad[:, 1] = -a * nbinom2_logpmf_grad(y, mu, a)[1]
        return -nbinom2_logpmf(y, mu, a), grad

    def hessian(self, y, eta):
        t_mu, t_a, mu, a, log1p_x, inv = self._parts(eta)
        with np.errstate(over="ignore", divide="ignore"):  # in the unused ∂²/∂μ²
            _, _, h_aa = nbinom2_logpmf_hess(y, mu, a)
        d_disp = nbinom2_logpmf_grad(y, mu, a)[1]
        mu_inv = np.exp(t_mu - log1p_x)  # μ/(1 + αμ)
        out = np.empty((len(y), 2, 2))
        out[:, 0, 0] = mu_inv * (1.0 + a * y) * inv
        # -(αμ/(1 + αμ))·(μ - y)/(1 + αμ)
        out[:, 0, 1] = out[:, 1, 0] = -np.exp(t_mu + t_a - log1p_x) * (mu_inv - y * inv)
        out[:, 1, 1] = -a * (a * h_aa + d_disp)
        return out

    def fisher(self, eta):
        """Expected information w.r.t. η: diag(μ/(1 + αμ), α²·I_αα).

        The mean block is analytic and the two parameters are orthogonal;
        I_αα = E[S²], S the α-score, is summed over y (see
        :func:`_dispersion_information`).
        """
        t_mu, _, mu, a, log1p_x, _ = self._parts(eta)
        out = np.zeros((eta.shape[0], 2, 2))
        out[:, 0, 0] = np.exp(t_mu - log1p_x)
        out[:, 1, 1] = a * a * _dispersion_information(mu, a)
        return out

    #: log α below which the guard acts (``for_data`` sets it from ȳ).
    log_dispersion_floor: float = LOG_GUARD

    def init_eta(self, y, sample_weight):
        """The intercept-only MLE: μ = the weighted mean of y, α by a 1-D search.

        The score of α has one root when the weighted variance (divisor Σw)
        exceeds the mean (Levin & Reeds 1977), found by Newton's method on
        log α safeguarded by bisection, over the distinct values of y; else
        the supremum is at α = 0 (the Poisson), and the start is the guard.
        """
        w = sample_weight / sample_weight.sum()
        mean, var = _moments(y, w)
        if not mean > 0:  # every y is 0: μ → 0, α does not matter
            return np.array([LOG_MEAN_AT_ZERO, 0.0])
        if not var > mean:
            return np.array([np.log(mean), self.log_dispersion_floor])
        values, inverse = np.unique(y[w > 0], return_inverse=True)
        weights = np.bincount(inverse, weights=w[w > 0])
        s = _root_log_dispersion(values, weights, mean, np.log((var - mean) / mean**2))
        return np.array([np.log(mean), s])

    def for_data(self, y, sample_weight):
        """The family with its guard at α·ȳ = 1e-10 (ȳ the weighted mean of y)."""
        dist = copy.copy(self)
        mean = sample_weight @ y / sample_weight.sum()
        if mean > 0:
            dist.log_dispersion_floor = LOG_GUARD - float(np.log(mean))
        return dist

    def guard(self, eta):
        """½(floor − log α)² below the floor, where the likelihood has no maximum."""
        below = self.log_dispersion_floor - eta[:, 1]
        if not np.any(below >= 0):
            return None
        # The curvature counts at the floor itself, where a fit at the boundary
        # starts: the likelihood's own there (α times its slope in α, ~1e-10)
        # would make a Newton step along the flat direction ~1e9 long.
        curvature = np.zeros(eta.shape)
        curvature[:, 1] = below >= 0
        below = np.maximum(below, 0.0)
        grad = np.zeros(eta.shape)
        grad[:, 1] = -below
        return 0.5 * below * below, grad, curvature

    def degenerate_message(self, y, eta, sample_weight):
        """Every y is 0, or the fit ended at the boundary α·μ < BOUNDARY everywhere.

        (With an x-dependent dispersion, some samples in the tail of exp(x·v)
        may have α·μ that small at an interior maximum: only a fit that is
        the Poisson everywhere is called degenerate.)
        """
        message = all_zero_message(self.name, y, sample_weight)
        if message or not np.all(eta[:, 0] + eta[:, 1] < np.log(BOUNDARY)):
            return message
        return (
            f"The fitted {self.name} dispersion went to its boundary 0 "
            f"(dispersion·mean < {BOUNDARY:g} at every sample): the counts "
            "are not overdispersed given x, and the likelihood grows towards "
            "the Poisson (dispersion → 0) with no maximum short of it. Use "
            "distribution='poisson': the same fit with one parameter fewer, "
            "so the better model by AIC or BIC."
        )

    def mean(self, eta):
        return np.exp(np.minimum(eta[:, 0], _LOG_MEAN_MAX))

    def std(self, eta):
        t_mu, _, _, _, log1p_x, _ = self._parts(eta)
        return np.exp(0.5 * (t_mu + log1p_x))  # √(μ(1 + αμ))


def _moments(y, w):
    """Weighted mean and variance (divisor Σw, w normalised)."""
    mean = float(w @ y)
    return mean, float(w @ (y - mean) ** 2)


def _root_log_dispersion(values, weights, mean, s0, max_iter=100):
    """The root in s = log α of the α-score of the intercept-only NLL.

    h(s) = Σ_k w_k ∂nll/∂s (y_k; mean, e^s) is negative below the root and
    positive above; Newton's steps on h are kept inside the bracket and
    replaced by bisection where they leave it.
    """

    def h_and_slope(s):
        a = np.exp(s)
        d1 = nbinom2_logpmf_grad(values, mean, a)[1]
        d2 = nbinom2_logpmf_hess(values, mean, a)[2]
        return -a * (weights @ d1), -a * (weights @ (a * d2 + d1))

    lo, hi = s0, s0
    while h_and_slope(lo)[0] >= 0.0 and lo > -700.0:
        lo -= 2.0
    while h_and_slope(hi)[0] <= 0.0 and hi < 700.0:
        hi += 2.0
    s = min(max(s0, lo), hi)
    for _ in range(max_iter):
        h, slope = h_and_slope(s)
        if h == 0.0:
            break
        lo, hi = (s, hi) if h < 0 else (lo, s)
        step = -h / slope if slope > 0 else np.nan
        new = s + step
        if not lo < new < hi:
            new = 0.5 * (lo + hi)
        if abs(new - s) <= 1e-14 * max(1.0, abs(s)):
            s = new
            break
        s = new
    return s


#: Rows of y per block of the sum over y in _dispersion_information (the
#: fastest of 16, 32, 64 and 128 on randhie: 0.14 s for 20190 samples).
_BLOCK = 32

#: Largest count summed per sample (~0.5 s for one sample that needs it all);
#: beyond, the tail is left out and that sample's I_αα is a lower bound, still
#: positive: only where the mean exceeds ~1e5 or α·μ exceeds ~6e3.
_MAX_COUNT = 200_000


def _dispersion_information(mu, a):
    """I_αα = E[S(Y)²] for Y ~ NB2(μ, α), S = ∂ log Pr(y)/∂α, summed over y.

    S(y) = μ²·g(αμ) + μ(μ − y)/(1 + αμ) + Σ_{j<y} j/(1 + αj), with
    g(x) = (log1p(x) − x)/x², is evaluated by recursion in y together with
    Pr(y + 1)/Pr(y) = (1 + αy)/(y + 1)·μ/(1 + αμ), so the sum costs a few
    multiplications per count, has no terms of opposite sign (the closed
    form E[Σ_{j<y}(r + j)^-2] − α²μ/(1 + αμ) cancels to O(α²μ) as α → 0),
    and tends to the Poisson's μ²/2 at α = 0. Per sample it runs to
    μ + 10·sd + 30(1 + αμ) (+5): past the mode the pmf falls at least as
    fast as (αμ/(1 + αμ))^y, so the tail left out is below 1e-13 of the sum
    (measured: 3e-13 against an adaptive sum to 1e-17 over μ in
    [3e-4, 150], α in [2e-9, 20]; 1e-15 against mpmath).
    """
    x = a * mu
    sd = np.sqrt(mu * (1.0 + x))
    last = np.ceil(mu + 10.0 * sd + 30.0 * (1.0 + x) + 5.0)
    capped = last > _MAX_COUNT
    last = np.minimum(last, _MAX_COUNT)
    order = np.argsort(-last, kind="stable")  # the rows still summing: a prefix
    mu, a, x, last = mu[order], a[order], x[order], last[order]
    mu = np.minimum(mu, 1e9)  # (Pr(y+1)/Pr(y))^_BLOCK stays finite
    c = mu / (1.0 + x)
    base = mu * mu * _log1pmx_ratios(x, need_h=False)[0] + mu * c
    with np.errstate(divide="ignore", invalid="ignore"):
        log_p = np.where(x > 0, -mu * np.log1p(x) / x, -mu)  # log Pr(0)
    cum = np.zeros(len(mu))  # Σ_{j<y} j/(1 + αj) at the block's first y
    total, mass = np.zeros(len(mu)), np.zeros(len(mu))
    steps = np.arange(_BLOCK, dtype=float)
    for y0 in range(0, int(last[0]) + 1 if len(mu) else 0, _BLOCK):
        m = int(np.searchsorted(-last, -y0, side="right"))
        ys = y0 + steps
        ay = np.multiply.outer(a[:m], ys)
        ay += 1.0
        inc = ys / ay
        ratio = ay
        ratio /= ys + 1.0
        ratio *= c[:m, None]
        np.cumprod(ratio, axis=1, out=ratio)
        p = np.empty_like(ratio)
        p[:, 0] = 1.0
        p[:, 1:] = ratio[:, :-1]
        p *= np.exp(log_p[:m])[:, None]
        np.cumsum(inc, axis=1, out=inc)
        score = np.empty_like(inc)
        score[:, 0] = 0.0
        score[:, 1:] = inc[:, :-1]
        score += (base[:m] + cum[:m])[:, None]
        score -= np.multiply.outer(c[:m], ys)
        score *= score
        total[:m] += np.einsum("ij,ij->i", p, score)
        mass[:m] += p.sum(axis=1)
        with np.errstate(divide="ignore"):
            log_p[:m] += np.log(ratio[:, -1])
        cum[:m] += inc[:, -1]
    out = np.empty(len(mu))
    out[order] = np.where(capped[order], total, total / np.maximum(mass, 1e-300))
    return out
