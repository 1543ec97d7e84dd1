"""Laplace (double exponential) output distribution: loc (identity) and scale (log)."""

import numpy as np
from scipy import stats

from sklik.distributions._location_scale import LocationScale

_LOG_2 = np.log(2.0)

#: Lowest log b evaluated (as the Normal's σ): e^{-η} stays finite.
_LOG_SCALE_FLOOR = -700.0


class Laplace(LocationScale):
    r"""Laplace distribution with parameters loc μ (identity) and scale b (log).

    .. math::

        -\log \Pr(y \mid \mu, b) = \log 2b + \frac{|y - \mu|}{b},
        \qquad \mu = \eta_0, \quad b = e^{\eta_1}.

    scipy's ``stats.laplace(loc, scale)``, R's ``extraDistr::dlaplace(mu,
    sigma)``; statsmodels' ``QuantReg(q=0.5)`` fits its location (least
    absolute deviations) without the scale. The mean and the median are μ,
    the standard deviation √2·b.

    The maximum-likelihood location is the weighted least-absolute-deviations
    fit (the weighted median for a constant location), whatever the scale
    when the scale is constant; b is then the weighted mean absolute
    residual. With an x-dependent scale, the location is a weighted LAD fit
    with weights s/b and the scale the exponential fit of ``|r|``, alternated.

    The NLL is not differentiable in μ at y = μ: its gradient is
    sign(y - μ)/b, taken as 0 at y = μ (a subgradient), and there is no
    Hessian in μ (its curvature is zero almost everywhere, and a Dirac
    measure at the data). The Fisher information diag(1/b², 1/b²) in (μ, b),
    diag(1/b², 1) in (μ, log b), is the expected curvature in the
    generalised sense (the score's variance: sign(y - μ)²/b² = 1/b²); a
    Newton-type solver may use it for Fisher scoring, an approximation that
    sklik's exact LAD solver replaces. The family has no ``hessian``, so
    ``has_hessian`` is False.

    Examples
    --------
    >>> import numpy as np
    >>> from scipy import stats
    >>> from sklik.distributions import Laplace
    >>> Laplace().nll(np.array([1.5]), np.array([[0.5, np.log(2.0)]]))
    array([1.88629436])
    >>> -stats.laplace(0.5, 2.0).logpdf([1.5])
    array([1.88629436])
    >>> y, w = np.array([0.0, 1.0, 5.0]), np.ones(3)
    >>> Laplace().init_eta(y, w)  # the median, log of the mean |y - median|
    array([1.        , 0.51082562])
    >>> float(np.log(np.mean(np.abs(y - 1.0))))
    0.5108256237659907
    """

    #: E[log |Z|] for the standard Laplace: |Z| is Exp(1), so -γ.
    standard_log_abs = -np.euler_gamma
    smooth = False  # |y − μ|: the location's MLE comes from the exact LAD solver

    # -- on θ ------------------------------------------------------------------
    def nll_grad_theta(self, y, theta):
        mu, b = theta[:, 0], theta[:, 1]
        r = y - mu
        nll = np.log(2.0 * b) + np.abs(r) / b
        grad = np.column_stack([-np.sign(r) / b, 1.0 / b - np.abs(r) / b**2])
        return nll, grad

    def fisher_theta(self, theta):
        b = theta[:, 1]
        out = np.zeros((len(b), 2, 2))
        out[:, 0, 0] = out[:, 1, 1] = 1.0 / b**2
        return out

    def scipy_from_theta(self, theta):
        return stats.laplace(loc=theta[:, 0], scale=theta[:, 1])

    def start_theta(self, y, sample_weight):
        loc, mad = weighted_median_mad(y, sample_weight)
        return np.array([loc, mad if mad > 0 else 1.0])

    # -- fast paths on η -------------------------------------------------------
    def _standardise(self, y, eta):
        log_b = np.maximum(eta[:, 1], _LOG_SCALE_FLOOR)
        r = y - eta[:, 0]
        with np.errstate(over="ignore"):
            inv_b = np.exp(-log_b)
            abs_z = np.abs(r) * inv_b
        return log_b, r, inv_b, abs_z

    def nll(self, y, eta):
        log_b, _, _, abs_z = self._standardise(y, eta)
        return log_b + _LOG_2 + abs_z

    def nll_grad(self, y, eta):
        log_b, r, inv_b, abs_z = self._standardise(y, eta)
        grad = np.empty((len(r), 2))
        with np.errstate(over="ignore"):
            grad[:, 0] = -np.sign(r) * inv_b
        grad[:, 1] = 1.0 - abs_z
        return log_b + _LOG_2 + abs_z, grad

    def fisher(self, eta):
        log_b = np.maximum(eta[:, 1], _LOG_SCALE_FLOOR)
        out = np.zeros((eta.shape[0], 2, 2))
        with np.errstate(over="ignore"):
            out[:, 0, 0] = np.exp(-2.0 * log_b)
        out[:, 1, 1] = 1.0
        return out

    def init_eta(self, y, sample_weight):
        """The weighted median and the log of the weighted mean ``|y - median|``.

        The exact intercept-only MLE (a constant y, with no maximum, starts
        at the guard). With weights, the NLL's derivative in μ, taken as
        Σ s·sign(y - μ)/b, is the imbalance of the weights on either side
        of the median, not 0: the median is a minimum where 0 lies in the
        subdifferential.
        """
        loc, mad = weighted_median_mad(y, sample_weight)
        return np.array([loc, np.log(mad) if mad > 0 else -23.0])

    def mean(self, eta):
        return eta[:, 0].copy()

    def std(self, eta):
        return np.sqrt(2.0) * np.exp(eta[:, 1])


def weighted_median_mad(y, sample_weight):
    """The weighted median of y and the weighted mean absolute deviation from it.

    The median is the smallest y at which the cumulative weight reaches half
    the total; where the cumulative weight equals half exactly (a tie of the
    two halves, as for an even number of equal weights), the midpoint of the
    interval of medians, so that equal weights give numpy's median.
    Samples of zero weight are ignored.

    Examples
    --------
    >>> import numpy as np
    >>> weighted_median_mad(np.array([3.0, 1.0, 2.0, 10.0]), np.ones(4))
    (2.5, 2.5)
    >>> weighted_median_mad(np.array([3.0, 1.0, 2.0]), np.array([1.0, 1.0, 5.0]))
    (2.0, 0.2857142857142857)
    """
    keep = sample_weight > 0
    y, w = y[keep], sample_weight[keep]
    order = np.argsort(y, kind="stable")
    ys, ws = y[order], w[order]
    cum = np.cumsum(ws)
    half = 0.5 * cum[-1]
    # the cumulative sums carry rounding: "equal to half" within it
    slack = 4.0 * len(ws) * np.finfo(float).eps * cum[-1]
    k = int(np.searchsorted(cum, half - slack))  # first index with cum ≳ half
    if k + 1 < len(ys) and abs(cum[k] - half) <= slack:
        median = 0.5 * (ys[k] + ys[k + 1])
    else:
        median = float(ys[k])
    mad = float(np.sum(ws * np.abs(ys - median)) / cum[-1])
    return float(median), mad
