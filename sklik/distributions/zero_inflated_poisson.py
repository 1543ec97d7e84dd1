"""Zero-inflated Poisson output distribution: rate (log) and zero_prob (logit)."""

import numpy as np
from scipy import special

from sklik.distributions._base import Distribution
from sklik.distributions._predictive import ZeroInflatedPoissonDistribution
from sklik.distributions._support import NON_NEGATIVE
from sklik.distributions.poisson import LOG_MEAN_AT_ZERO, all_zero_message
from sklik.links import Log, Logit

#: Largest log-rate evaluated: e^700 ≈ 1e304 stays finite.
_ETA_MAX = 700.0

#: logit of the zero probability where the data have no more zeros than the
#: Poisson predicts (the MLE is at zero_prob = 0): zero_prob = eps.
LOGIT_AT_BOUNDARY = float(np.log(np.finfo(float).eps))


class ZeroInflatedPoisson(Distribution):
    r"""Zero-inflated Poisson: rate λ (log link) and zero_prob π (logit link).

    A structural zero with probability π, else a Poisson(λ) count:

    .. math::

        \Pr(0) = \pi + (1 - \pi) e^{-\lambda}, \qquad
        \Pr(y) = (1 - \pi)\, e^{-\lambda} \lambda^{y} / y! \quad (y \ge 1),

    λ = e^{η_0}, π = 1/(1 + e^{-η_1}); mean (1 − π)λ (what ``predict``
    returns), variance (1 − π)λ(1 + πλ). statsmodels'
    ``ZeroInflatedPoisson(exog_infl=...)`` and R's ``pscl::zeroinfl`` use the
    same parameters and links (their ``inflate_`` coefficients are those of
    zero_prob). ``predict_dist`` is
    :class:`~sklik.distributions._predictive.ZeroInflatedPoissonDistribution`.

    Everything is computed from η: log Pr(0) as log1p(−d) with the deficit
    d = (1 − π)(1 − e^{−λ}) while d < 1/2, else as a log-sum-exp of log π
    and log(1 − π) − λ, so it is accurate for tiny π and tiny λ alike. With
    z the posterior probability of a structural zero (π/Pr(0) at y = 0, 0
    for y > 0) the gradient is ((1 − z)λ − y, π − z); the observed Hessian
    and the expected (Fisher) information (Lambert 1992) are analytic, in
    products of positive factors where they are sums of like sign.

    Non-integer y > 0 use the continuous extension of the Poisson term,
    y log λ − λ − log Γ(y + 1), as :class:`~sklik.distributions.poisson.Poisson`.

    Examples
    --------
    >>> import numpy as np
    >>> from sklik import NLLRegressor
    >>> y = np.array([0, 0, 0, 0, 1, 2, 3, 2, 0, 4], dtype=float)
    >>> X = np.zeros((10, 1))
    >>> reg = NLLRegressor("zero_inflated_poisson", x_dependent=()).fit(X, y)
    >>> reg.param_names_
    ('rate', 'zero_prob')
    >>> reg.predict(X[:1]).round(10)  # the mean of y
    array([1.2])
    """

    param_names = ("rate", "zero_prob")
    links = (Log(), Logit())
    support = NON_NEGATIVE

    # -- on θ ----------------------------------------------------------------
    def nll_grad_theta(self, y, theta):
        lam, pi = theta[:, 0], theta[:, 1]
        with np.errstate(divide="ignore"):
            eta = np.column_stack([np.log(lam), special.logit(pi)])
        nll, grad = self.nll_grad(y, eta)
        # back from η: ∂/∂λ = (∂/∂η_0)/λ and ∂/∂π = (∂/∂η_1)/(π(1 − π))
        grad[:, 0] /= lam
        grad[:, 1] /= pi * (1.0 - pi)
        return nll, grad

    def scipy_from_theta(self, theta):
        return ZeroInflatedPoissonDistribution(theta[:, 0], theta[:, 1])

    def start_theta(self, y, sample_weight):
        lam, logit_pi = _intercept_only(y, sample_weight / sample_weight.sum())
        return np.array([np.exp(lam), special.expit(logit_pi)])

    # -- fast paths on η ---------------------------------------------------------
    def nll(self, y, eta):
        return self.nll_grad(y, eta)[0]

    def nll_grad(self, y, eta):
        k = _ZeroTerms(eta)
        zero = y == 0
        poisson = -k.log_1mpi + k.rate - y * k.log_rate + special.gammaln(y + 1.0)
        nll = np.where(zero, -k.log_p0, poisson)
        grad = np.empty(eta.shape)
        # (1 − z)λ − y: λ·s at y = 0 (from logs: no inf·0), λ − y above
        grad[:, 0] = np.where(zero, np.exp(k.log_rate + k.log_s), k.rate - y)
        # π − z: −z·d at y = 0 (no cancellation as Pr(0) → 1), π above
        grad[:, 1] = np.where(zero, -np.exp(k.log_z) * k.d, np.exp(k.log_pi))
        return nll, grad

    def hessian(self, y, eta):
        k = _ZeroTerms(eta)
        zero = y == 0
        log_lam, log_z, log_s = k.log_rate, k.log_z, k.log_s
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            h_ll = np.exp(log_lam + log_s) - np.exp(2.0 * log_lam + log_s + log_z)
            h_lt = -np.exp(log_lam + log_z + log_s)
            # π(1 − π) − z·s = (z·d/Pr(0))·b with b = d(1 − π) − (1 − 2π), which
            # is also π² − e^{−λ}(1 − π)²: each form is accurate to eps times
            # its larger term, so the one with the smaller terms is taken;
            # the product is formed in logs (z·d/Pr(0) can overflow as b → 0).
            b_old = k.d * np.exp(k.log_1mpi) + np.tanh(0.5 * k.logit)
            b_new = np.exp(2.0 * k.log_pi) - np.exp(2.0 * k.log_1mpi - k.rate)
            size_old = np.maximum(
                k.d * np.exp(k.log_1mpi), np.abs(np.tanh(0.5 * k.logit))
            )
            size_new = np.maximum(
                np.exp(2.0 * k.log_pi), np.exp(2.0 * k.log_1mpi - k.rate)
            )
            b = np.where(size_new < size_old, b_new, b_old)
            h_tt = np.sign(b) * np.exp(
                log_z + np.log(k.d) - k.log_p0 + np.log(np.abs(b))
            )
        out = np.empty((len(y), 2, 2))
        out[:, 0, 0] = np.where(zero, h_ll, k.rate)
        out[:, 0, 1] = out[:, 1, 0] = np.where(zero, h_lt, 0.0)
        out[:, 1, 1] = np.where(zero, h_tt, np.exp(k.log_pi + k.log_1mpi))
        return out

    def fisher(self, eta):
        """Expected information (Lambert 1992), each entry a product of positives:

        I_00 = λ(s + (1 − π)·z·q) with q = 1 − e^{−λ}(1 + λ),
        I_01 = −λ·π·s and I_11 = π·z·d (z, s, d at y = 0).
        """
        k = _ZeroTerms(eta)
        q = -np.expm1(-k.rate) - k.rate * np.exp(-k.rate)
        with np.errstate(divide="ignore"):
            log_d = np.log(k.d)
        out = np.empty((eta.shape[0], 2, 2))
        out[:, 0, 0] = np.exp(k.log_rate + k.log_s)
        out[:, 0, 0] += np.exp(k.log_rate + k.log_1mpi + k.log_z) * q
        out[:, 0, 1] = out[:, 1, 0] = -np.exp(k.log_rate + k.log_pi + k.log_s)
        out[:, 1, 1] = np.exp(k.log_pi + k.log_z + log_d)
        return out

    def init_eta(self, y, sample_weight):
        return np.array(_intercept_only(y, sample_weight / sample_weight.sum()))

    def degenerate_message(self, y, eta, sample_weight):
        return all_zero_message(self.name, y, sample_weight)

    def mean(self, eta):
        # (1 − π)λ = exp(log λ + log(1 − π))
        return np.exp(np.minimum(eta[:, 0], _ETA_MAX) - np.logaddexp(0.0, eta[:, 1]))

    def std(self, eta):
        lam = np.exp(np.minimum(eta[:, 0], _ETA_MAX))
        pi = special.expit(eta[:, 1])
        return np.sqrt(self.mean(eta) * (1.0 + pi * lam))


def _intercept_only(y, w):
    """(log λ, logit π) maximising the weighted ZIP likelihood (w sums to 1).

    The score equations are (1 − π)λ = ȳ and Pr(0) = p̂₀ (the weighted share
    of zeros), so λ solves the zero-truncated Poisson mean equation
    λ/(1 − e^{−λ}) = c = ȳ/(1 − p̂₀): λ = c + W₀(−c·e^{−c}) (Lambert's W),
    polished by Newton's method. Where the data have no more zeros than a
    Poisson of mean ȳ (c ≤ 1, or π ≤ 0 from the equations), the maximum is at
    π = 0 and λ = ȳ: π starts at eps. Where every y is 0, λ starts at eps.
    """
    mean = float(w @ y)
    if not mean > 0:
        return LOG_MEAN_AT_ZERO, 0.0
    p0 = float(w @ (y == 0))
    c = mean / (1.0 - p0) if p0 < 1.0 else np.inf
    if c > 1.0 + 1e-12:
        lam = float(np.real(c + special.lambertw(-c * np.exp(-c))))
        lam = max(lam, 1e-300)
        for _ in range(4):  # Newton on λ/m(λ) − c, m(λ) = 1 − e^{−λ}
            m = -np.expm1(-lam)
            q = m - lam * np.exp(-lam)  # m² times the slope of λ/m
            step = (lam / m - c) * m * m / q if q > 0 else 0.0
            lam = lam - step if lam - step > 0 else 0.5 * lam
        pi = 1.0 - mean / lam
        if pi > 0.0:
            return float(np.log(lam)), float(special.logit(pi))
    return float(np.log(mean)), LOGIT_AT_BOUNDARY


class _ZeroTerms:
    """What the derivatives at y = 0 need, from η, in logs where products underflow.

    ``log_rate`` (capped), ``rate`` λ, ``logit`` t, ``log_pi``, ``log_1mpi``,
    the deficit ``d`` = (1 − π)(1 − e^{−λ}) = 1 − Pr(0), ``log_p0`` = log Pr(0),
    and the logs of z = π/Pr(0) and s = 1 − z = (1 − π)e^{−λ}/Pr(0).
    """

    def __init__(self, eta):
        self.log_rate = np.minimum(eta[:, 0], _ETA_MAX)
        self.logit = t = eta[:, 1]
        self.rate = lam = np.exp(self.log_rate)
        self.log_pi = -np.logaddexp(0.0, -t)
        self.log_1mpi = -np.logaddexp(0.0, t)
        self.d = d = special.expit(-t) * -np.expm1(-lam)
        with np.errstate(divide="ignore"):
            self.log_p0 = np.where(
                d < 0.5, np.log1p(-d), np.logaddexp(self.log_pi, self.log_1mpi - lam)
            )
        self.log_z = self.log_pi - self.log_p0
        self.log_s = self.log_1mpi - lam - self.log_p0
