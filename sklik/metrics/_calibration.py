"""Calibration: the probability integral transform and interval coverage."""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike
from sklearn.utils import check_random_state

from sklik.metrics._common import (
    check_interval,
    check_real,
    check_shape,
    columns,
    dist_name,
    is_discrete,
    is_distribution_list,
    per_sample,
    reject_labels,
    weighted_mean,
    wrap_angle,
)


def _pit_values(y_true: ArrayLike, dist: Any, rng: np.random.RandomState) -> np.ndarray:
    reject_labels(dist, "the PIT")
    y = check_real(y_true, "y_true")
    if dist_name(dist) == "vonmises":
        y = wrap_angle(dist, y)[0]
    upper = check_shape(np.asarray(dist.cdf(y), dtype=np.float64), y, "probabilities")
    if not is_discrete(dist):
        return upper
    # F(y−1) + U·Pr(Y = y) for counts; a non-integer y (probability 0) gets F(y)
    lower = np.asarray(dist.cdf(np.ceil(y) - 1.0), dtype=np.float64)
    lower = np.broadcast_to(lower, y.shape)
    return lower + rng.uniform(size=y.shape) * (upper - lower)


def pit(
    y_true: ArrayLike,
    dist: Any,
    *,
    random_state: int | np.random.RandomState | None = None,
) -> np.ndarray:
    r"""Probability integral transform: the predictive CDF at each observation.

    For a continuous predictive distribution :math:`F_i`, the PIT value of
    :math:`y_i` is :math:`F_i(y_i)`. If the predictions are calibrated (y
    does come from them), the PIT values are uniform on (0, 1): a histogram
    of them that is U-shaped means too narrow predictions, hump-shaped too
    wide, sloped biased (Gneiting, Balabdaoui & Raftery, 2007).

    For a discrete distribution (one with ``logpmf``, on the integers) the
    CDF jumps at y, and the randomised PIT of Czado, Gneiting & Held (2009),

    .. math::

        F_i(y_i - 1) + U_i\,\Pr_i(Y = y_i), \qquad U_i \sim \mathrm{U}(0, 1),

    is uniform under calibration too. An angle under a
    ``scipy.stats.vonmises`` is read in the turn
    :math:`(\mu - \pi, \mu + \pi]` around the predicted location, so its PIT
    is the probability of the arc from :math:`\mu - \pi` to y.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,) or (n_samples, n_outputs)
        Observed values.
    dist : distribution or list of distributions
        A vectorised distribution with ``cdf`` whose parameters broadcast to
        the shape of ``y_true`` (e.g. ``reg.predict_dist(X)``); or a list with
        one such distribution per column of ``y_true``. Not class
        probabilities, which have no order.
    random_state : int, RandomState instance or None, default=None
        Draws the uniforms of the randomised PIT of discrete distributions;
        unused for continuous ones.

    Returns
    -------
    pit : ndarray of shape (n_samples,) or (n_samples, n_outputs)
        Values in [0, 1], one per observation.

    Examples
    --------
    >>> import numpy as np
    >>> from scipy import stats
    >>> from sklik.metrics import pit
    >>> pit([0.0, 1.0], stats.norm([0.0, 0.0], [1.0, 2.0])).round(4)
    array([0.5   , 0.6915])
    >>> # counts: uniform between F(y - 1) and F(y)
    >>> u = pit([2, 2], stats.poisson([2.0, 2.0]), random_state=0)
    >>> low, high = stats.poisson.cdf([1, 2], 2.0)
    >>> bool(np.all((low <= u) & (u <= high)))
    True
    """
    rng = check_random_state(random_state)
    if is_distribution_list(dist):
        y = columns(y_true, len(dist))
        return np.column_stack(
            [_pit_values(y[:, j], d, rng) for j, d in enumerate(dist)]
        )
    return _pit_values(y_true, dist, rng)


def interval_coverage(
    y_true: ArrayLike,
    lower: ArrayLike,
    upper: ArrayLike,
    *,
    sample_weight: ArrayLike | None = None,
) -> float:
    """Weighted fraction of observations inside their prediction interval.

    For well calibrated central intervals at level ``c`` (e.g.
    ``reg.predict_dist(X).interval(c)``, for a distribution of any family)
    the coverage is close to ``c``, and should be so within any subgroup of
    the samples, not only overall. For a discrete distribution the closed
    interval between scipy's quantiles covers at least ``c``.
    Coverage alone is not a score: an interval as wide as the real line
    covers everything. Compare with :func:`mean_interval_width`, or use the
    proper :func:`interval_score`.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,) or (n_samples, n_outputs)
        Observed values.
    lower, upper : array-like, broadcastable to ``y_true``
        Bounds of the intervals, ``lower <= upper``; the interval is closed.
        ``interval_coverage(y, *dist.interval(0.9))`` passes both.
    sample_weight : array-like of shape (n_samples,), default=None
        Non-negative weights of the samples.

    Returns
    -------
    coverage : float
        Between 0 and 1; with several outputs, averaged over them.

    Examples
    --------
    >>> from sklik.metrics import interval_coverage
    >>> interval_coverage([0.0, 1.0, 5.0, 2.0], [-1, 0, 0, 3], [1, 2, 4, 4])
    0.5
    >>> interval_coverage([0.0, 5.0], [-1, 0], [1, 4], sample_weight=[3, 1])
    0.75
    """
    y = check_real(y_true, "y_true")
    lower, upper = check_interval(y.shape, lower, upper)
    inside = ((lower <= y) & (y <= upper)).astype(np.float64)
    return weighted_mean(per_sample(inside, np.mean), sample_weight)


def mean_interval_width(
    lower: ArrayLike,
    upper: ArrayLike,
    *,
    sample_weight: ArrayLike | None = None,
) -> float:
    """Weighted mean width ``upper - lower`` of prediction intervals.

    The sharpness of the intervals: of two models with the right coverage,
    the one with narrower intervals is the more informative.

    Parameters
    ----------
    lower, upper : array-like of shape (n_samples,) or (n_samples, n_outputs)
        Bounds of the intervals, ``lower <= upper``.
        ``mean_interval_width(*dist.interval(0.9))`` passes both.
    sample_weight : array-like of shape (n_samples,), default=None
        Non-negative weights of the samples.

    Returns
    -------
    width : float
        With several outputs, averaged over them.

    Examples
    --------
    >>> from sklik.metrics import mean_interval_width
    >>> mean_interval_width([0.0, 1.0], [1.0, 4.0])
    2.0
    >>> mean_interval_width([0.0, 1.0], [1.0, 4.0], sample_weight=[3, 1])
    1.5
    """
    upper = check_real(upper, "upper")
    lower, upper = check_interval(upper.shape, lower, upper)
    if not np.all(np.isfinite(lower)):
        raise ValueError("lower contains infinity.")
    return weighted_mean(per_sample(upper - lower, np.mean), sample_weight)
