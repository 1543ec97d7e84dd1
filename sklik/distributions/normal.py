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

    def _scale_terms(self, eta):
        """log σ, 1/σ and q = e^η / σ = ∂log σ/∂η, without overflow.

        With x = σ_min e^{-η}: log σ = η + log1p(x), q = 1/(1 + x) and
        1/σ = e^{-η} q. η is first raised to max(log σ_min, 0) - 700, where
        σ equals σ_min to the last digit and q is 1e-304: e^{±η} and x stay
        finite.
        The arithmetic is in place: a fresh temporary of n values costs more
        (page faults, once the allocator has returned the last one to the
        system) than the operation itself.
        """
        s = np.array(eta[:, 1])  # a contiguous copy: the ufuncs vectorise
        inv_sigma = np.negative(s)
        if self.scale_floor == 0:
            return s, np.exp(inv_sigma, out=inv_sigma), np.ones_like(s)
        log_floor = np.log(self.scale_floor)
        np.minimum(inv_sigma, min(700.0 - log_floor, 700.0), out=inv_sigma)
        np.negative(inv_sigma, out=s)
        x = np.add(inv_sigma, log_floor)
        np.exp(x, out=x)
        q = np.add(x, 1.0)
        np.reciprocal(q, out=q)
        np.exp(inv_sigma, out=inv_sigma)
        inv_sigma *= q
        s += _log1p(x)
        return s, inv_sigma, q

    def _standardise(self, y, eta):
        """log σ, the residual z = (y - μ)/σ, 1/σ and q = ∂log σ/∂η."""
        log_sigma, inv_sigma, q = self._scale_terms(eta)
        z = np.subtract(y, eta[:, 0])
        z *= inv_sigma
        return log_sigma, z, inv_sigma, q

    def params(self, eta):
        return {"loc": eta[:, 0], "scale": 1.0 / self._scale_terms(eta)[1]}

    def nll(self, y, eta):
        log_sigma, z, _, _ = self._standardise(y, eta)
        z *= z
        return _add_half_z2(log_sigma, z)

    def nll_grad(self, y, eta):
        log_sigma, z, inv_sigma, q = self._standardise(y, eta)
        grad = np.empty_like(eta)
        np.multiply(z, inv_sigma, out=grad[:, 0])
        np.negative(grad[:, 0], out=grad[:, 0])
        z *= z  # z² from here on
        np.subtract(1.0, z, out=inv_sigma)
        np.multiply(inv_sigma, q, out=grad[:, 1])
        return _add_half_z2(log_sigma, z), grad

    def hessian(self, y, eta):
        _, z, inv_sigma, q = self._standardise(y, eta)
        out = np.empty((eta.shape[0], 2, 2))
        out[:, 0, 0] = inv_sigma**2
        out[:, 0, 1] = out[:, 1, 0] = 2.0 * z * q * inv_sigma
        out[:, 1, 1] = 2.0 * (z * q) ** 2 + (1.0 - z * z) * q * (1.0 - q)
        return out

    def fisher(self, eta):
        _, inv_sigma, q = self._scale_terms(eta)
        out = np.zeros((eta.shape[0], 2, 2))
        out[:, 0, 0] = inv_sigma**2
        out[:, 1, 1] = 2.0 * q**2
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


def _add_half_z2(log_sigma, z2):
    """The NLL ½log 2π + log σ + ½z², in place in ``log_sigma`` (z² spent)."""
    z2 *= 0.5
    log_sigma += z2
    log_sigma += 0.5 * _LOG_2PI
    return log_sigma


def _log1p(x):
    """log(1 + x) for x ≥ 0; by its series when every x is below 1e-4.

    There the series to x⁴ is exact to rounding (the next term, x⁵/5, is
    below 2e-17·x) and several times cheaper than ``np.log1p``: with σ's
    floor at 1e-6·sd(y), x is usually about 1e-6.
    """
    if np.max(x, initial=0.0) > 1e-4:
        return np.log1p(x)
    out = np.multiply(x, -0.25)
    for coef in (1.0 / 3.0, -0.5, 1.0):  # Horner, in place
        out += coef
        out *= x
    return out


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
