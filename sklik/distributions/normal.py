"""Normal (Gaussian) output distribution: loc (identity) and scale (floor + exp)."""

import numpy as np
from scipy import stats

from sklik.distributions._base import Distribution

_LOG_2PI = np.log(2.0 * np.pi)


class Normal(Distribution):
    r"""Normal distribution with raw columns ``(loc, log-scale)``.

    .. math::

        -\log \Pr(y \mid \mu, \sigma) = \tfrac12 \log 2\pi + \log\sigma
        + \frac{(y-\mu)^2}{2\sigma^2},
        \qquad \mu = \eta_0, \quad \sigma = \sigma_{\min} + e^{\eta_1}.

    The floor :math:`\sigma_{\min} \ge 0` keeps the likelihood bounded when the
    mean can interpolate the data; rescaling ``y`` and the floor by ``c``
    rescales the fitted μ and σ by ``c`` exactly.

    Parameters
    ----------
    scale_floor : float, default=0.0
        The lower bound :math:`\sigma_{\min}` of the scale.

    Examples
    --------
    >>> import numpy as np
    >>> from sklik.distributions import Normal
    >>> Normal().nll(np.array([0.0]), np.array([[0.0, 0.0]]))
    array([0.91893853])
    """

    param_names = ("loc", "scale")

    def __init__(self, scale_floor: float = 0.0):
        self.scale_floor = float(scale_floor)

    @classmethod
    def example(cls):
        return cls(scale_floor=0.05)

    def _log_scale(self, eta):
        """log σ = log(σ_min + e^η), computed without overflow."""
        with np.errstate(divide="ignore"):  # log(0) = -inf for a zero floor
            return np.logaddexp(np.log(self.scale_floor), eta[:, 1])

    def _standardise(self, y, eta):
        """log σ, the residual z = (y - μ)/σ and q = e^η / σ = ∂log σ/∂η."""
        log_sigma = self._log_scale(eta)
        z = (y - eta[:, 0]) * np.exp(-log_sigma)
        return log_sigma, z, np.exp(eta[:, 1] - log_sigma)

    def params(self, eta):
        return {"loc": eta[:, 0], "scale": np.exp(self._log_scale(eta))}

    def nll(self, y, eta):
        log_sigma, z, _ = self._standardise(y, eta)
        return 0.5 * _LOG_2PI + log_sigma + 0.5 * z * z

    def nll_grad(self, y, eta):
        log_sigma, z, q = self._standardise(y, eta)
        grad = np.empty_like(eta)
        grad[:, 0] = -z * np.exp(-log_sigma)
        grad[:, 1] = (1.0 - z * z) * q
        return 0.5 * _LOG_2PI + log_sigma + 0.5 * z * z, grad

    def hessian(self, y, eta):
        log_sigma, z, q = self._standardise(y, eta)
        inv_sigma = np.exp(-log_sigma)
        out = np.empty((eta.shape[0], 2, 2))
        out[:, 0, 0] = inv_sigma**2
        out[:, 0, 1] = out[:, 1, 0] = 2.0 * z * q * inv_sigma
        out[:, 1, 1] = 2.0 * (z * q) ** 2 + (1.0 - z * z) * q * (1.0 - q)
        return out

    def fisher(self, eta):
        log_sigma = self._log_scale(eta)
        out = np.zeros((eta.shape[0], 2, 2))
        out[:, 0, 0] = np.exp(-2.0 * log_sigma)
        out[:, 1, 1] = 2.0 * np.exp(2.0 * (eta[:, 1] - log_sigma))
        return out

    def init_eta(self, y, sample_weight):
        mean, sd = weighted_mean_sd(y, sample_weight)
        excess = sd - self.scale_floor
        # With sd at or below the floor the optimum is e^eta -> 0: start far down.
        log_excess = np.log(excess) if excess > 0 else np.log(self.scale_floor) - 30
        return np.array([mean, log_excess])

    def eta_scale(self, y, sample_weight):
        sd = weighted_mean_sd(y, sample_weight)[1]
        size = np.max(np.abs(y), initial=0.0)  # for a constant y
        return np.array([sd if sd > 0 else size if size > 0 else 1.0, 1.0])

    def to_scipy(self, eta):
        return stats.norm(**self.params(eta))


def weighted_mean_sd(y, sample_weight):
    """Weighted mean and standard deviation of y; the sd is exactly 0 if y is constant.

    Deviations are taken from one of the weighted samples first, so that a
    constant y (among samples of positive weight) has a spread of exactly 0,
    not the rounding error of its mean (which, for y ~ 1e6, once made the
    mean's internal units 1e-10 and the optimiser loop forever).
    """
    w = sample_weight / sample_weight.sum()
    pivot = y[np.argmax(w > 0)] if len(y) else 0.0
    d = y - pivot
    shift = w @ d
    return pivot + shift, np.sqrt(w @ (d - shift) ** 2)
