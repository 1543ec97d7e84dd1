"""Gamma output distribution: mean (log) and shape (log)."""

import numpy as np
from scipy import stats

from sklik.distributions._base import Distribution, EtaUnits
from sklik.distributions._gamma_functions import (
    _HALF_LOG_2PI,
    LOG_PRECISION_DEGENERATE,
    LOG_PRECISION_GUARD,
    e_minus_q,
    expm1mx,
    per_value,
    precision_guard,
    precision_message,
    stirling_rest,
    x2_trigamma_minus_x,
    x_log_minus_digamma,
)
from sklik.distributions._location_scale import weighted_mean_sd
from sklik.distributions._support import POSITIVE
from sklik.links import Log

#: log k is evaluated within these bounds: k, 1/k and k·(anything finite)
#: stay representable, far beyond the guard (log k ≤ 46 at any optimum).
_LOG_SHAPE_BOUNDS = (-700.0, 700.0)


class Gamma(Distribution):
    r"""Gamma distribution with parameters mean μ (log) and shape k (log).

    .. math::

        -\log \Pr(y \mid \mu, k) = \log\Gamma(k) - k \log\frac{k}{\mu}
        - (k - 1)\log y + \frac{k y}{\mu},
        \qquad \mu = e^{\eta_0}, \quad k = e^{\eta_1},

    so that E[y] = μ and Var[y] = μ²/k. This is the gamma GLM with a log
    link (statsmodels' ``GLM(family=Gamma(link=Log()))``, whose ``scale`` is
    1/k, and R's ``glm(family=Gamma("log"))``, whose dispersion is 1/k);
    scipy's ``stats.gamma(a=k, scale=μ/k)``. The mean's maximum-likelihood
    estimate does not depend on the shape.

    The NLL is computed as ``k·(r - 1 - log r) + log y + R(k) + ½log(2π/k)``
    with r = y/μ and R the rest of Stirling's series (see
    :mod:`~sklik.distributions._gamma_functions`): no difference of large
    numbers for any k. The expected information on η is diagonal, with k
    for the mean and k²ψ'(k) - k (→ ½) for the shape. The fit sees y
    divided by its weighted mean, so y of any magnitude is representable.
    Where every y equals its fitted mean (a constant y) the shape has no
    maximum: a guard stops it at a coefficient of variation of 1e-10 and
    the fit warns.

    Examples
    --------
    >>> import numpy as np
    >>> from sklik import NLLRegressor
    >>> X = np.array([[0.0], [1.0], [2.0], [3.0], [4.0]])
    >>> y = np.array([1.2, 2.3, 3.1, 7.4, 12.0])
    >>> reg = NLLRegressor("gamma").fit(X, y)
    >>> reg.param_names_
    ('mean', 'shape')
    >>> reg.predict(np.array([[5.0]])).round(2)
    array([21.42])
    >>> print(f"{reg.predict_dist(np.array([[5.0]])).std()[0]:.2f}")
    2.20
    """

    param_names = ("mean", "shape")
    links = (Log(), Log())
    support = POSITIVE
    fisher_is_hessian = False  # the observed Hessian depends on y

    # -- on θ (the generic contract; the η fast paths below agree) -----------
    def nll_grad_theta(self, y, theta):
        mu, k = theta[:, 0], theta[:, 1]
        log_k = np.log(k)
        t = np.log(y) - np.log(mu)
        dev = expm1mx(t)  # r - 1 - log r
        nll = k * dev + np.log(y) - 0.5 * log_k + _HALF_LOG_2PI
        nll += stirling_rest(k, log_k)
        grad = np.column_stack(
            [-k * np.expm1(t) / mu, dev - x_log_minus_digamma(k, log_k) / k]
        )
        return nll, grad

    def fisher_theta(self, theta):
        mu, k = theta[:, 0], theta[:, 1]
        out = np.zeros((len(mu), 2, 2))
        out[:, 0, 0] = k / mu**2
        out[:, 1, 1] = x2_trigamma_minus_x(k, np.log(k)) / k**2
        return out

    def hessian_theta(self, y, theta):
        mu, k = theta[:, 0], theta[:, 1]
        r = y / mu
        out = np.empty((len(mu), 2, 2))
        out[:, 0, 0] = k * (2.0 * r - 1.0) / mu**2
        out[:, 0, 1] = out[:, 1, 0] = (1.0 - r) / mu
        out[:, 1, 1] = x2_trigamma_minus_x(k, np.log(k)) / k**2
        return out

    def scipy_from_theta(self, theta):
        return stats.gamma(a=theta[:, 1], scale=theta[:, 0] / theta[:, 1])

    def start_theta(self, y, sample_weight):
        mean = sample_weight @ y / sample_weight.sum()
        return np.array([mean, _shape_start(_mean_deviance(y, sample_weight, mean))])

    # -- fast paths on η ---------------------------------------------------------
    def _pieces(self, y, eta):
        """log k, k, t = log r and the deviance r - 1 - log r, overflow-free."""
        log_k = np.clip(eta[:, 1], *_LOG_SHAPE_BOUNDS)
        k = np.exp(log_k)
        with np.errstate(divide="ignore"):
            t = np.log(y) - eta[:, 0]
        return log_k, k, t, expm1mx(t)

    @staticmethod
    def _nll(k_dev, log_y, log_k, k):
        """k·(r - 1 - log r) + log y + ½log(2π/k) + R(k)."""
        out = k_dev + log_y
        out -= 0.5 * log_k - _HALF_LOG_2PI
        out += per_value(stirling_rest, k, log_k)
        return out

    def nll(self, y, eta):
        log_k, k, t, dev = self._pieces(y, eta)
        with np.errstate(over="ignore"):
            k_dev = k * dev
        return self._nll(k_dev, t + eta[:, 0], log_k, k)  # log y = t + η0

    def nll_grad(self, y, eta):
        log_k, k, t, dev = self._pieces(y, eta)
        with np.errstate(over="ignore"):
            k_dev = k * dev
            grad = np.empty(eta.shape)
            np.multiply(k, np.expm1(t), out=grad[:, 0])
        np.negative(grad[:, 0], out=grad[:, 0])
        np.subtract(k_dev, per_value(x_log_minus_digamma, k, log_k), out=grad[:, 1])
        return self._nll(k_dev, t + eta[:, 0], log_k, k), grad

    def hessian(self, y, eta):
        log_k, k, t, dev = self._pieces(y, eta)
        out = np.empty((eta.shape[0], 2, 2))
        with np.errstate(over="ignore"):
            out[:, 0, 0] = k * np.exp(t)
            out[:, 0, 1] = out[:, 1, 0] = -k * np.expm1(t)
            # g1 + Q(k) = k·dev - E(k) + Q(k) = k·dev - P(k)
            out[:, 1, 1] = k * dev - per_value(e_minus_q, k, log_k)
        return out

    def fisher(self, eta):
        log_k = np.clip(eta[:, 1], *_LOG_SHAPE_BOUNDS)
        k = np.exp(log_k)
        out = np.zeros((eta.shape[0], 2, 2))
        out[:, 0, 0] = k
        out[:, 1, 1] = per_value(x2_trigamma_minus_x, k, log_k)
        return out

    def mean(self, eta):
        with np.errstate(over="ignore"):
            return np.exp(eta[:, 0])

    def std(self, eta):
        with np.errstate(over="ignore"):
            return np.exp(eta[:, 0] - 0.5 * eta[:, 1])

    # -- the data ----------------------------------------------------------------
    def units(self, y, sample_weight):
        return mean_units(self, y, sample_weight)

    def init_eta(self, y, sample_weight):
        """The mean's MLE is the weighted mean; the shape solves
        log k - ψ(k) = mean(r - 1 - log r) (Newton from Minka's start),
        with the guard where the right side is 0."""
        w = sample_weight / sample_weight.sum()
        mean = weighted_mean_sd(y, w)[0]
        return np.array([np.log(mean), _log_shape(_mean_deviance(y, w, mean))])

    def guard(self, eta):
        return precision_guard(eta, 1)

    def degenerate(self, eta):
        return eta[:, 1] > LOG_PRECISION_DEGENERATE

    def degenerate_message(self, y, eta, sample_weight):
        return precision_message(
            self, eta, sample_weight, "shape", "a coefficient of variation below 1e-7"
        )


def mean_units(dist, y, sample_weight):
    """y divided by its weighted mean s; the mean's η shifts by log s.

    For the log-mean families: the fit sees y of mean 1 (y of 1e300 or
    1e-300 as well), and y·c gives the same internal problem, so the
    mean's prediction is multiplied by c. The weighted mean of a constant
    y is that constant exactly: the internal y is then exactly 1.
    """
    s = weighted_mean_sd(y, sample_weight)[0]
    if not s > 0:  # every weighted y is 0 (the exponential family only)
        s = 1.0
    shift = np.zeros(dist.n_params)
    shift[0] = np.log(s)
    return y / s, EtaUnits(np.ones(dist.n_params), shift)


def _mean_deviance(y, sample_weight, mean):
    """The weighted mean of r - 1 - log r with r = y/mean (0 for a constant y)."""
    w = sample_weight / sample_weight.sum()
    return float(w @ expm1mx(np.log(y) - np.log(mean)))


def _shape_start(s):
    """Minka's (2002) approximation to the k with log k - ψ(k) = s."""
    if not s > 0:
        return np.exp(LOG_PRECISION_GUARD)
    return (3.0 - s + np.sqrt((s - 3.0) ** 2 + 24.0 * s)) / (12.0 * s)


def _log_shape(s, max_iter=50):
    """log k minimising k·s + lgamma(k) - k·log k + k + guard(log k).

    Newton's method on log k: the score is k·s - E(k) (+ the guard's
    gradient above it) and its derivative k·s - P(k) (+1), positive at the
    root; from Minka's start it converges in two or three steps.
    """
    lam = min(np.log(_shape_start(s)), LOG_PRECISION_GUARD + 0.5)
    for _ in range(max_iter):
        k, lam_a = np.exp(np.array([lam])), np.array([lam])
        above = max(lam - LOG_PRECISION_GUARD, 0.0)
        score = k[0] * s - x_log_minus_digamma(k, lam_a)[0] + above
        slope = k[0] * s - e_minus_q(k, lam_a)[0] + (above > 0)
        step = -score / slope if slope > 0 else -np.sign(score)
        lam += np.clip(step, -5.0, 5.0)
        if abs(step) <= 1e-15 * max(1.0, abs(lam)):
            break
    return lam
