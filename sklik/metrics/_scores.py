"""Scores of a predictive distribution: the log score, Brier and interval scores."""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from sklik.distributions import LabelDistribution
from sklik.distributions.label import label_codes
from sklik.metrics._common import (
    check_confidence,
    check_interval,
    check_real,
    check_shape,
    columns,
    dist_name,
    is_discrete,
    is_distribution_list,
    per_sample,
    weighted_mean,
    wrap_angle,
)


def log_likelihood(dist: Any, y: ArrayLike) -> np.ndarray:
    """log Pr(y) under one vectorised distribution: logpmf if discrete, else logpdf.

    Discrete means having ``logpmf`` (scipy's discrete distributions, sklik's
    count distributions and ``LabelDistribution``, whose y may be labels of
    any type); otherwise y must be real and ``logpdf`` is used. An angle under
    a von Mises is first taken modulo 2π into the turn around the location
    (scipy's density is periodic already; the reduction makes the score not
    depend on that).
    """
    if is_discrete(dist):
        y = np.asarray(y)
        values = np.asarray(dist.logpmf(y), dtype=np.float64)
    elif hasattr(dist, "logpdf"):
        y = check_real(y, "y_true")
        if dist_name(dist) == "vonmises":
            values = np.asarray(dist.logpdf(wrap_angle(dist, y)[0]), dtype=np.float64)
        else:
            values = np.asarray(dist.logpdf(y), dtype=np.float64)
    else:
        raise TypeError(
            "dist must have a logpdf or logpmf method (a frozen scipy.stats "
            "distribution, sklik's own, or sklik's LabelDistribution); got "
            f"{type(dist).__name__}."
        )
    return check_shape(values, y, "log-likelihoods")


def log_score(
    y_true: ArrayLike,
    dist: Any,
    *,
    sample_weight: ArrayLike | None = None,
) -> float:
    r"""Mean negative log-likelihood (the log score) of y under a distribution.

    .. math::

        \mathrm{NLL} = -\frac{\sum_i s_i \log p_i(y_i)}{\sum_i s_i}

    with :math:`p_i` the density (continuous) or probability mass (discrete)
    of the i-th predictive distribution. It is the quantity sklik's
    estimators minimise, and ``log_score(y, est.predict_dist(X))`` equals
    ``est.nll(X, y)``. Lower is better.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,) or (n_samples, n_outputs)
        Observed values (or labels, for a distribution over labels).
    dist : distribution or list of distributions
        A vectorised distribution of any family, whose shape is that of
        ``y_true``: one with ``logpmf`` is discrete (a frozen discrete
        ``scipy.stats`` distribution, sklik's count distributions, or
        sklik's ``LabelDistribution``), else ``logpdf`` is used (a frozen
        continuous ``scipy.stats`` distribution or sklik's own; angles
        under a ``scipy.stats.vonmises`` are taken modulo 2π); or a list with
        one such distribution per column of ``y_true`` (what
        ``MultiOutputNLL.predict_dist`` returns).
    sample_weight : array-like of shape (n_samples,), default=None
        Non-negative weights of the samples.

    Returns
    -------
    nll : float
        Weighted mean over samples of the negative log-likelihood, summed
        over outputs. Infinite if some y has probability zero.

    Examples
    --------
    >>> import numpy as np
    >>> from scipy import stats
    >>> from sklik.metrics import log_score
    >>> dist = stats.norm(loc=[0.0, 1.0], scale=[1.0, 2.0])
    >>> # (0.5 log 2π + 0.5² / 2) and (0.5 log 2π + log 2), averaged
    >>> round(log_score([0.5, 1.0], dist), 6)
    1.328012
    >>> round(log_score([0.5, 1.0], dist, sample_weight=[1, 0]), 6)
    1.043939
    >>> # discrete families use the probability mass
    >>> round(log_score([0, 2], stats.poisson([1.0, 2.0])), 6)
    1.153426
    """
    if is_distribution_list(dist):
        y = columns(y_true, len(dist))
        per_output = [log_likelihood(d, y[:, j]) for j, d in enumerate(dist)]
        values = np.sum([per_sample(v, np.sum) for v in per_output], axis=0)
    else:
        values = per_sample(log_likelihood(dist, y_true), np.sum)
    if np.any(np.isnan(values)):
        raise ValueError(
            "the log-likelihood is NaN for some samples: check y_true and the "
            "distribution's parameters."
        )
    return weighted_mean(-values, sample_weight)


def brier_score(
    y_true: ArrayLike,
    proba: Any,
    *,
    labels: ArrayLike | None = None,
    sample_weight: ArrayLike | None = None,
) -> float:
    r"""Mean multiclass Brier score of class probabilities.

    .. math::

        \mathrm{BS} = \frac{1}{\sum_i s_i}\sum_i s_i \sum_{k=1}^{K}
        (p_{ik} - \mathbb 1\{y_i = c_k\})^2,

    the squared distance between the predicted probability vector and the
    one-hot observed label, between 0 and 2. This is the multiclass form for
    every K, so for two classes it is twice the customary binary Brier score
    (``sklearn.metrics.brier_score_loss`` with ``scale_by_half=True``). A
    strictly proper scoring rule; lower is better.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        Observed labels, of any type.
    proba : LabelDistribution, frozen ``scipy.stats.bernoulli`` or array-like
        The predictive distribution of a sklik classifier
        (``clf.predict_dist(X)``), which carries its labels; a frozen
        Bernoulli (labels 0 and 1); or an array of shape (n_samples,
        n_classes) of probabilities (``clf.predict_proba(X)``), whose columns
        follow ``labels``.
    labels : array-like of shape (n_classes,), default=None
        The label of each column of an array ``proba`` (``clf.classes_``).
        None means the sorted distinct labels of ``y_true``, which must then
        number n_classes. Not allowed with a distribution.
    sample_weight : array-like of shape (n_samples,), default=None
        Non-negative weights of the samples.

    Returns
    -------
    brier : float

    Examples
    --------
    >>> import numpy as np
    >>> from sklik.distributions import LabelDistribution
    >>> from sklik.metrics import brier_score
    >>> dist = LabelDistribution(np.log([[0.7, 0.2, 0.1], [0.1, 0.1, 0.8]]),
    ...                          ["cat", "dog", "eel"])
    >>> round(brier_score(["cat", "dog"], dist), 6)  # (0.14 + 1.46) / 2
    0.8
    >>> round(brier_score(["cat", "dog"], dist.probs, labels=["cat", "dog", "eel"]), 6)
    0.8
    """
    if isinstance(proba, LabelDistribution) or dist_name(proba) == "bernoulli":
        if labels is not None:
            raise ValueError("labels must be None when proba is a distribution.")
        if isinstance(proba, LabelDistribution):
            probs, labels = proba.probs, proba.classes
        else:
            p = np.asarray(proba.mean(), dtype=np.float64)
            probs, labels = np.column_stack([1.0 - p, p]), np.array([0, 1])
    else:
        probs = np.asarray(proba, dtype=np.float64)
    y = np.asarray(y_true)
    if y.ndim != 1:
        raise ValueError(f"y_true must be 1-D; got shape {y.shape}.")
    if labels is None:
        labels = np.unique(y)
    labels = np.asarray(labels)
    if probs.ndim != 2 or probs.shape != (y.shape[0], len(labels)):
        raise ValueError(
            f"proba must have shape (n_samples, n_classes) = ({y.shape[0]}, "
            f"{len(labels)}); got {probs.shape}. Pass labels= (e.g. clf.classes_) "
            "when y_true does not hold every class."
        )
    if not np.all(np.isfinite(probs)):
        raise ValueError("proba contains NaN or infinity.")
    codes = label_codes(y, labels)
    diff = probs.copy()
    diff[np.arange(len(codes)), codes] -= 1.0
    return weighted_mean(np.sum(diff * diff, axis=1), sample_weight)


def interval_score(
    y_true: ArrayLike,
    lower: ArrayLike,
    upper: ArrayLike,
    *,
    confidence: float,
    sample_weight: ArrayLike | None = None,
) -> float:
    r"""Mean interval score of central prediction intervals (lower is better).

    With :math:`a = 1 - \text{confidence}`, the interval score of
    :math:`[l, u]` at an observation :math:`y` is (Gneiting & Raftery, 2007)

    .. math::

        (u - l) + \tfrac{2}{a}(l - y)\,\mathbb 1\{y < l\}
        + \tfrac{2}{a}(y - u)\,\mathbb 1\{y > u\}:

    the width, plus a penalty for each miss proportional to its distance. It
    is a proper scoring rule for the central interval between the
    :math:`a/2` and :math:`1 - a/2` quantiles, so it rewards calibration and
    sharpness at once.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,) or (n_samples, n_outputs)
        Observed values.
    lower, upper : array-like, broadcastable to ``y_true``
        Bounds of the central intervals, ``lower <= upper``.
    confidence : float in (0, 1)
        The nominal level of the intervals, e.g. 0.9.
    sample_weight : array-like of shape (n_samples,), default=None
        Non-negative weights of the samples.

    Returns
    -------
    score : float
        Weighted mean over samples, summed over outputs.

    Examples
    --------
    >>> from sklik.metrics import interval_score
    >>> # widths 2 and 2; the second misses by 1: penalty 2 / 0.1 * 1 = 20
    >>> round(interval_score([0.0, 3.0], [-1, 0], [1, 2], confidence=0.9), 6)
    12.0
    """
    a = 1.0 - check_confidence(confidence)
    y = check_real(y_true, "y_true")
    lower, upper = check_interval(y.shape, lower, upper)
    if not (np.all(np.isfinite(lower)) and np.all(np.isfinite(upper))):
        raise ValueError("the interval bounds contain infinity.")
    below = np.clip(lower - y, 0.0, None)
    above = np.clip(y - upper, 0.0, None)
    score = (upper - lower) + (2.0 / a) * (below + above)
    return weighted_mean(per_sample(score, np.sum), sample_weight)
