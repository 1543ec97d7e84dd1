"""Poisson output distribution: mean (log link, canonical)."""

import numpy as np
from scipy import special, stats

from sklik.distributions._base import Distribution
from sklik.distributions._support import NON_NEGATIVE
from sklik.links import Log

#: log-mean of the start where every y is 0 (the MLE is at −∞): a mean of
#: machine epsilon, zero to rounding next to a count of one. The gradient
#: there (the mean itself) is below any tolerance a fit uses, so the fit
#: stops at once, finite.
LOG_MEAN_AT_ZERO = float(np.log(np.finfo(float).eps))


class Poisson(Distribution):
    r"""Poisson distribution of counts with parameter mean μ (log link).

    .. math::

        -\log \Pr(y \mid \mu) = \mu - y \log\mu + \log\Gamma(y + 1),
        \qquad \mu = e^{\eta}.

    The log link is canonical: the Hessian with respect to η is μ for
    every y, and equals the Fisher information (``fisher_is_hessian``).
    scipy's ``poisson(mu)``, R's ``glm(family = poisson)``, statsmodels'
    ``GLM(family=Poisson())`` and scikit-learn's ``PoissonRegressor`` use the
    same parametrisation.

    Non-integer y. Any real y ≥ 0 is accepted, as scikit-learn's
    ``PoissonRegressor`` does (rates, with the exposure as
    ``sample_weight``); the negative log-likelihood is then the formula
    above with log Γ(y + 1) (the continuous extension of −log y!), whose
    minimiser in μ is the same as that of the Poisson deviance. For integer
    y it equals ``-scipy.stats.poisson.logpmf``; ``predict_dist`` is
    scipy's Poisson, whose ``logpmf`` is −inf off the integers.

    Where every y (of positive weight) is 0, the maximum-likelihood mean is
    0, which no finite coefficients reach: the fit starts, and stops, at
    the mean ``eps`` = 2.2e-16 (log-mean ≈ −36.04, coefficients 0) and
    warns (:class:`~sklik.exceptions.DegenerateFitWarning`).

    Examples
    --------
    >>> import numpy as np
    >>> from sklik import NLLRegressor
    >>> X = np.array([[0.0], [1.0], [2.0], [3.0]])
    >>> y = np.array([1.0, 1.0, 3.0, 6.0])
    >>> reg = NLLRegressor("poisson").fit(X, y)
    >>> reg.param_names_
    ('mean',)
    >>> round(float(reg.predict(X).sum()), 6)  # the canonical link: Σ mean = Σ y
    11.0
    >>> dist = reg.predict_dist(X[:1])  # scipy's Poisson: Pr(0) = exp(-mean)
    >>> bool(np.isclose(dist.pmf(0)[0], np.exp(-reg.predict(X[:1])[0])))
    True
    """

    param_names = ("mean",)
    links = (Log(),)
    support = NON_NEGATIVE
    fisher_is_hessian = True  # the log link is canonical

    # -- on θ ----------------------------------------------------------------
    def nll_grad_theta(self, y, theta):
        mu = theta[:, 0]
        with np.errstate(divide="ignore", invalid="ignore"):
            nll = mu - special.xlogy(y, mu) + special.gammaln(y + 1.0)
            grad = 1.0 - y / mu
        return nll, grad[:, None]

    def hessian_theta(self, y, theta):
        mu = theta[:, 0]
        with np.errstate(divide="ignore", invalid="ignore"):
            return (y / mu**2)[:, None, None]

    def fisher_theta(self, theta):
        with np.errstate(divide="ignore"):
            return (1.0 / theta[:, 0])[:, None, None]

    def scipy_from_theta(self, theta):
        return stats.poisson(theta[:, 0])

    def start_theta(self, y, sample_weight):
        mean = sample_weight @ y / sample_weight.sum()
        return np.array([mean if mean > 0 else np.exp(LOG_MEAN_AT_ZERO)])

    # -- fast paths on η: the log-mean itself, never log(0) -------------------
    def nll(self, y, eta):
        t = eta[:, 0]
        with np.errstate(over="ignore"):
            out = np.exp(t)
        out -= y * t
        out += special.gammaln(y + 1.0)
        return out

    def nll_grad(self, y, eta):
        t = eta[:, 0]
        with np.errstate(over="ignore"):
            mu = np.exp(t)
        nll = mu - y * t
        nll += special.gammaln(y + 1.0)
        return nll, (mu - y)[:, None]

    def hessian(self, y, eta):
        with np.errstate(over="ignore"):
            return np.exp(eta[:, :1])[:, :, None]

    def fisher(self, eta):
        return self.hessian(None, eta)

    def init_eta(self, y, sample_weight):
        mean = sample_weight @ y / sample_weight.sum()
        return np.array([np.log(mean) if mean > 0 else LOG_MEAN_AT_ZERO])

    def degenerate_message(self, y, eta, sample_weight):
        return all_zero_message(self.name, y, sample_weight)

    def mean(self, eta):
        with np.errstate(over="ignore"):
            return np.exp(eta[:, 0])

    def std(self, eta):
        with np.errstate(over="ignore"):
            return np.exp(0.5 * eta[:, 0])


def all_zero_message(family, y, sample_weight) -> str | None:
    """Why the MLE is on the boundary where every y of positive weight is 0."""
    if np.any(y[sample_weight > 0] != 0):
        return None
    return (
        f"Every y (of positive weight) is 0: the maximum-likelihood "
        f"{family} mean is 0, on the boundary (log-mean → −∞) that no finite "
        f"coefficients reach. sklik stops at the mean {np.finfo(float).eps:.3g} "
        "(log-mean ≈ −36, coefficients 0): it predicts 0 to rounding, and "
        "summary() standard errors are meaningless."
    )
