"""Normal (Gaussian) output distribution: loc (identity) and scale (log)."""

import numpy as np
from scipy import stats

from sklik.distributions._location_scale import LocationScale, weighted_mean_sd

_LOG_2PI = np.log(2.0 * np.pi)

#: Lowest log σ evaluated: 1/σ stays finite (fits run far above: they are in
#: units of y's spread, where the guard acts at log 1e-10; user-scale values
#: reach down to σ ~ 1e-304, e.g. for y ~ 1e-300).
_LOG_SCALE_FLOOR = -700.0


class Normal(LocationScale):
    r"""Normal distribution with parameters loc μ (identity) and scale σ (log).

    .. math::

        -\log \Pr(y \mid \mu, \sigma) = \tfrac12 \log 2\pi + \log\sigma
        + \frac{(y-\mu)^2}{2\sigma^2},
        \qquad \mu = \eta_0, \quad \sigma = e^{\eta_1}.

    The fast path works on η directly, in place (a fresh temporary of n
    values costs more in page faults than the arithmetic).

    Examples
    --------
    >>> import numpy as np
    >>> from sklik.distributions import Normal
    >>> Normal().nll(np.array([0.0]), np.array([[0.0, 0.0]]))
    array([0.91893853])
    """

    #: E[log abs(Z)] for Z ~ N(0, 1): (−γ − log 2) / 2.
    standard_log_abs = -(np.euler_gamma + np.log(2.0)) / 2
    normal_of = ("loc", "scale", None)

    # -- on θ (the generic contract; the η fast paths below agree) -----------
    def nll_grad_theta(self, y, theta):
        mu, sigma = theta[:, 0], theta[:, 1]
        r = y - mu
        nll = np.log(sigma) + 0.5 * (r / sigma) ** 2 + 0.5 * _LOG_2PI
        grad = np.column_stack([-r / sigma**2, 1.0 / sigma - r**2 / sigma**3])
        return nll, grad

    def hessian_theta(self, y, theta):
        mu, sigma = theta[:, 0], theta[:, 1]
        r = y - mu
        out = np.empty((len(mu), 2, 2))
        out[:, 0, 0] = 1.0 / sigma**2
        out[:, 0, 1] = out[:, 1, 0] = 2.0 * r / sigma**3
        out[:, 1, 1] = 3.0 * r**2 / sigma**4 - 1.0 / sigma**2
        return out

    def fisher_theta(self, theta):
        sigma = theta[:, 1]
        out = np.zeros((len(sigma), 2, 2))
        out[:, 0, 0] = 1.0 / sigma**2
        out[:, 1, 1] = 2.0 / sigma**2
        return out

    def scipy_from_theta(self, theta):
        return stats.norm(loc=theta[:, 0], scale=theta[:, 1])

    def start_theta(self, y, sample_weight):
        mean, sd = weighted_mean_sd(y, sample_weight)
        return np.array([mean, sd if sd > 0 else 1.0])

    # -- fast paths on η -------------------------------------------------------
    def _standardise(self, y, eta):
        """log σ, the residual z = (y - μ)/σ and 1/σ, without overflow."""
        log_sigma = np.maximum(eta[:, 1], _LOG_SCALE_FLOOR)  # a contiguous copy
        inv_sigma = np.negative(log_sigma)
        np.exp(inv_sigma, out=inv_sigma)
        z = np.subtract(y, eta[:, 0])
        with np.errstate(over="ignore", invalid="ignore"):
            z *= inv_sigma
        return log_sigma, z, inv_sigma

    def nll(self, y, eta):
        log_sigma, z, _ = self._standardise(y, eta)
        with np.errstate(over="ignore"):
            z *= z
        return _add_half_z2(log_sigma, z)

    def nll_grad(self, y, eta):
        log_sigma, z, inv_sigma = self._standardise(y, eta)
        grad = np.empty_like(eta)
        with np.errstate(over="ignore", invalid="ignore"):
            np.multiply(z, inv_sigma, out=grad[:, 0])
            np.negative(grad[:, 0], out=grad[:, 0])
            z *= z  # z² from here on
            np.subtract(1.0, z, out=grad[:, 1])
        return _add_half_z2(log_sigma, z), grad

    def hessian(self, y, eta):
        _, z, inv_sigma = self._standardise(y, eta)
        out = np.empty((eta.shape[0], 2, 2))
        with np.errstate(over="ignore"):
            out[:, 0, 0] = inv_sigma**2
            out[:, 0, 1] = out[:, 1, 0] = 2.0 * z * inv_sigma
            out[:, 1, 1] = 2.0 * z * z
        return out

    def fisher(self, eta):
        log_sigma = np.maximum(eta[:, 1], _LOG_SCALE_FLOOR)
        out = np.zeros((eta.shape[0], 2, 2))
        with np.errstate(over="ignore"):
            out[:, 0, 0] = np.exp(-2.0 * log_sigma)
        out[:, 1, 1] = 2.0
        return out

    def constant_fisher(self):
        """log σ's information is 2 for every η, and μ and log σ are orthogonal."""
        return np.array([[np.nan, 0.0], [0.0, 2.0]])

    def init_eta(self, y, sample_weight):
        mean, sd = weighted_mean_sd(y, sample_weight)
        # A constant y has no maximum (σ → 0): start at the guard.
        return np.array([mean, np.log(sd) if sd > 0 else -23.0])

    def mean(self, eta):
        return eta[:, 0].copy()

    def std(self, eta):
        return np.exp(eta[:, 1])


def _add_half_z2(log_sigma, z2):
    """The NLL ½log 2π + log σ + ½z², in place in ``log_sigma`` (z² spent)."""
    z2 *= 0.5
    log_sigma += z2
    log_sigma += 0.5 * _LOG_2PI
    return log_sigma
