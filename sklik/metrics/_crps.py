"""The continuous ranked probability score: of any family, and of Normals."""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike
from scipy import stats

from sklik.metrics._common import (
    check_real,
    check_shape,
    columns,
    dist_name,
    frozen_params,
    is_discrete,
    is_distribution_list,
    normal_params,
    per_sample,
    reject_labels,
    weighted_mean,
    wrap_angle,
)
from sklik.metrics._crps_forms import CLOSED_FORMS, normal_kernel
from sklik.metrics._crps_numeric import (
    LEVELS,
    crps_continuous,
    crps_discrete,
    lead_axis,
    quantiles,
)


def crps_values(y_true: ArrayLike, dist: Any) -> np.ndarray:
    """The CRPS of each element of y_true under one vectorised distribution."""
    reject_labels(dist, "the CRPS")
    y = check_real(y_true, "y_true")
    name = dist_name(dist)
    if name in CLOSED_FORMS:
        values = np.asarray(CLOSED_FORMS[name](y, frozen_params(dist)), dtype=float)
        check_shape(values, y, "CRPS values")
    else:
        # The quadrature evaluates the CDF far out in its tails, where scipy's
        # formulas may overflow on the way to the right limit (genextreme's
        # cdf at -900: exp(900) -> inf -> 0); a NaN that results is caught
        # below.
        with np.errstate(all="ignore"):
            check_shape(np.asarray(dist.cdf(y)), y, "probabilities")
            values = _by_quadrature(y, dist)
    if np.any(np.isnan(values)):
        raise ValueError(
            "the CRPS is NaN for some samples: check y_true and the "
            "distribution's parameters."
        )
    return values


def _by_quadrature(y: np.ndarray, dist: Any) -> np.ndarray:
    """The CRPS of a family without a closed form, from its cdf and ppf."""
    if dist_name(dist) == "vonmises":
        wrapped, lower, upper = wrap_angle(dist, y)
        # scipy's vonmises.ppf is a root search per value (3 ms each, 100 s
        # for 1000 samples at 33 levels): the panel ends are the normal
        # approximation's quantiles instead, clipped to the turn; the
        # adaptive rule makes up for their being approximate.
        params = frozen_params(dist)
        spread = params["scale"] / np.sqrt(params["kappa"])
        center = 0.5 * (lower + upper)
        breaks = center + spread * stats.norm.ppf(lead_axis(LEVELS, y.ndim))
        breaks = np.clip(np.broadcast_to(breaks, (len(LEVELS), *y.shape)), lower, upper)
        return crps_continuous(dist.cdf, breaks, wrapped, lower, upper)
    # the CRPS is finite iff the mean is (E|X − y| is part of it)
    infinite = ~np.isfinite(np.broadcast_to(dist.mean(), y.shape))
    if is_discrete(dist):
        values = crps_discrete(dist.cdf, dist.ppf, y, skip=infinite)
    else:
        lower, upper = _support(dist, y.shape)
        breaks = quantiles(dist.ppf, LEVELS, y.shape)
        values = crps_continuous(dist.cdf, breaks, y, lower, upper)
    return np.where(infinite, np.inf, values)


def _support(dist: Any, shape: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray]:
    """Ends of the support: ``dist.support()`` if there is one, else ppf(0), ppf(1)."""
    if callable(getattr(dist, "support", None)):
        lower, upper = dist.support()
    else:
        lower, upper = dist.ppf(0.0), dist.ppf(1.0)
    lower = np.broadcast_to(np.asarray(lower, dtype=np.float64), shape)
    upper = np.broadcast_to(np.asarray(upper, dtype=np.float64), shape)
    return np.nan_to_num(lower, nan=-np.inf), np.nan_to_num(upper, nan=np.inf)


def crps(
    y_true: ArrayLike,
    dist: Any,
    *,
    sample_weight: ArrayLike | None = None,
) -> float:
    r"""Mean continuous ranked probability score (CRPS) of any predictive distribution.

    For a predictive CDF :math:`F` and an observation :math:`y`,

    .. math::

        \mathrm{CRPS}(F, y) = \int_{-\infty}^{\infty}
        \left(F(z) - \mathbb 1\{z \ge y\}\right)^2 dz
        = \mathbb E_F|Y - y| - \tfrac12 \mathbb E_F|Y - Y'|,

    in the units of y, a strictly proper scoring rule for distributions with
    a finite mean (infinite otherwise). It generalises the absolute error:
    for a point mass at :math:`\mu` it is :math:`|y - \mu|`. Lower is better.

    How it is computed, per family:

    * closed forms (Jordan, Krüger & Lerch 2019, the R package
      scoringRules, and the sources they cite) for the frozen ``scipy.stats``
      ``norm``, ``laplace``, ``logistic``, ``t``, ``expon``, ``gamma``,
      ``lognorm``, ``uniform``, ``beta``, ``poisson`` and ``nbinom``;
    * any other continuous distribution (one with ``logpdf``, ``cdf`` and
      ``ppf``, e.g. sklik's own for families scipy lacks): the integral, by
      adaptive Gauss-Legendre quadrature on panels between 33 quantiles of
      :math:`F` (from :math:`10^{-12}` to :math:`1 - 10^{-12}`) and y, to
      about 1e-9 relative (a mixture of far-apart components much narrower
      than their distance is harder: 1e-7 in the tests);
    * any other discrete distribution (one with ``logpmf``; its values are
      taken to be integers): the exact sum over the integers between its
      :math:`10^{-12}` and :math:`1 - 10^{-12}` quantiles, whose cost grows
      with the width of that range;
    * ``scipy.stats.vonmises``: the angle is read in the turn
      :math:`(\mu - \pi, \mu + \pi]` around the predicted location
      :math:`\mu` (y is taken modulo :math:`2\pi` into it) and the CRPS is
      the integral over that turn. This is not the angular CRPS of Grimit et
      al. (2006): the cut opposite :math:`\mu` depends on the forecast, so
      the score is close to proper only for concentrated forecasts; compare
      von Mises models by :func:`log_score`.

    Class probabilities (``LabelDistribution``) have no order, hence no
    CRPS: use :func:`brier_score`.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,) or (n_samples, n_outputs)
        Observed values.
    dist : distribution or list of distributions
        A vectorised distribution whose parameters broadcast to the shape of
        ``y_true`` (e.g. ``reg.predict_dist(X)``): a frozen ``scipy.stats``
        distribution or an object with the same ``cdf``, ``ppf``, ``mean``
        and ``logpdf`` or ``logpmf`` methods; or a list with one such
        distribution per column of ``y_true`` (what
        ``MultiOutputNLL.predict_dist`` returns).
    sample_weight : array-like of shape (n_samples,), default=None
        Non-negative weights of the samples.

    Returns
    -------
    crps : float
        Weighted mean over samples of the CRPS, summed over outputs.

    See Also
    --------
    crps_normal : the same score from Normal means and standard deviations.
    log_score : the other strictly proper score sklik reports.

    Examples
    --------
    >>> import numpy as np
    >>> from scipy import stats
    >>> from sklik.metrics import crps
    >>> round(crps([0.0], stats.norm(0, 1)), 6)  # (sqrt(2) - 1) / sqrt(pi)
    0.233695
    >>> round(crps([0.0], stats.laplace(0, 1)), 6)  # 1 - 3/4
    0.25
    >>> counts = np.array([0, 3, 1])
    >>> round(crps(counts, stats.poisson([0.5, 2.0, 4.0])), 6)
    0.91801
    >>> # a family without a closed form: by quadrature
    >>> round(crps([1.0, 2.0], stats.weibull_min(1.5, scale=[1.0, 2.0])), 6)
    0.253664
    """
    if is_distribution_list(dist):
        y = columns(y_true, len(dist))
        values = np.sum(
            [per_sample(crps_values(y[:, j], d), np.sum) for j, d in enumerate(dist)],
            axis=0,
        )
    else:
        values = per_sample(crps_values(y_true, dist), np.sum)
    return weighted_mean(values, sample_weight)


def crps_normal(
    y_true: ArrayLike,
    mean: Any,
    std: ArrayLike | None = None,
    *,
    sample_weight: ArrayLike | None = None,
) -> float:
    r"""Mean continuous ranked probability score (CRPS) of Normal predictions.

    For a predictive CDF :math:`F` and an observation :math:`y`,
    :math:`\mathrm{CRPS}(F, y) = \int (F(z) - \mathbb 1\{z \ge y\})^2\,dz`,
    which for :math:`F = \mathcal N(\mu, \sigma^2)` and
    :math:`u = (y - \mu)/\sigma` has the closed form (Gneiting & Raftery, 2007)

    .. math::

        \mathrm{CRPS} = \sigma\left[u\,(2\Phi(u) - 1) + 2\varphi(u)
        - \tfrac{1}{\sqrt\pi}\right].

    It is in the units of y, reduces to the absolute error :math:`|y - \mu|`
    as :math:`\sigma \to 0` (the value used for ``std == 0``), and is a
    strictly proper scoring rule. Lower is better. :func:`crps` scores any
    family, and uses this formula for a frozen ``scipy.stats.norm``.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,) or (n_samples, n_outputs)
        Observed values.
    mean : array-like or frozen ``scipy.stats.norm``
        The predictive means, broadcastable to ``y_true``; or the frozen
        Normal distribution itself (e.g. ``reg.predict_dist(X)``), in which
        case ``std`` must be None.
    std : array-like, default=None
        The predictive standard deviations (non-negative), broadcastable to
        ``y_true``. ``crps_normal(y, *reg.predict(X, return_std=True))``
        passes both.
    sample_weight : array-like of shape (n_samples,), default=None
        Non-negative weights of the samples.

    Returns
    -------
    crps : float
        Weighted mean over samples of the CRPS, summed over outputs.

    Examples
    --------
    >>> import numpy as np
    >>> from scipy import stats
    >>> from sklik.metrics import crps_normal
    >>> round(crps_normal([0.0], [0.0], [1.0]), 6)  # (sqrt(2) - 1) / sqrt(pi)
    0.233695
    >>> dist = stats.norm(loc=[0.0, 2.0], scale=[1.0, 3.0])
    >>> crps_normal([1.0, 2.0], dist) == crps_normal([1.0, 2.0], [0.0, 2.0], [1, 3])
    True
    """
    if std is None:
        mean, std = normal_params(mean)
    elif dist_name(mean) is not None:
        raise TypeError("pass either a frozen distribution or mean and std, not both.")
    y = check_real(y_true, "y_true")
    mu = np.broadcast_to(np.asarray(mean, dtype=np.float64), y.shape)
    sigma = np.broadcast_to(np.asarray(std, dtype=np.float64), y.shape)
    if not np.all(np.isfinite(mu)):
        raise ValueError("mean contains NaN or infinity.")
    if not np.all(np.isfinite(sigma) & (sigma >= 0)):
        raise ValueError("std must be finite and non-negative.")
    return weighted_mean(per_sample(normal_kernel(y, mu, sigma), np.sum), sample_weight)
