"""Proper scoring rules for predictive distributions, and scorers built on them.

The functions score a predictive distribution against what was observed
(lower is better, like scikit-learn's ``*_loss`` functions), except
:func:`interval_coverage`, a rate to compare with the nominal level. The
scorers (``neg_*_scorer``, :func:`make_interval_scorer`,
:func:`make_coverage_scorer`) have scikit-learn's signature
``scorer(estimator, X, y, sample_weight=None)`` and return greater-is-better
values, so they can be passed as ``scoring=`` to ``GridSearchCV`` and
``cross_validate``. They request ``sample_weight`` through scikit-learn's
metadata routing: with ``sklearn.set_config(enable_metadata_routing=True)``,
weights passed as ``params={"sample_weight": w}`` weight the held-out scores
too.

The scorers get the predictive distribution through scikit-learn's own
methods, which ``Pipeline`` and the search objects forward: ``predict_proba``
(or ``predict_log_proba``) and ``classes_`` for classifiers, and
``predict(X, return_std=True)`` for regressors, read as a Normal
distribution. They therefore work with any estimator offering these, sklik's
or not (e.g. ``BayesianRidge``, ``GaussianProcessRegressor``). An estimator
that has ``predict_dist`` (a bare sklik estimator) is asked for it directly;
for ``MultiOutputNLL`` the scores are summed over the outputs.

With several outputs (``y`` of shape (n_samples, n_outputs), a list of
per-output distributions or 2-D parameter arrays) the scores of a sample are
summed over its outputs, as the joint log-likelihood of independent outputs
is; coverage and width are averaged over them.
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike
from scipy import stats
from sklearn.base import is_classifier
from sklearn.utils.metadata_routing import MetadataRequest

from sklik._validation import check_sample_weight
from sklik.distributions import LabelDistribution
from sklik.distributions.label import label_codes

__all__ = [
    "brier_score",
    "crps_normal",
    "interval_coverage",
    "interval_score",
    "log_score",
    "make_coverage_scorer",
    "make_interval_scorer",
    "mean_interval_width",
    "neg_brier_scorer",
    "neg_crps_scorer",
    "neg_nll_scorer",
]

_INV_SQRT_PI = 1.0 / np.sqrt(np.pi)


# -- helpers ------------------------------------------------------------------
def _weighted_mean(per_sample: np.ndarray, sample_weight) -> float:
    """Weighted mean over samples; samples of weight zero are left out entirely.

    Leaving them out (instead of multiplying by 0) keeps an infinite score of a
    zero-weight sample from turning the mean into NaN.
    """
    sw = check_sample_weight(sample_weight, per_sample.shape[0])
    used = sw > 0
    return float(np.average(per_sample[used], weights=sw[used]))


def _per_sample(values: np.ndarray, reduce) -> np.ndarray:
    """Collapse the outputs axis of a (n, m) array; a (n,) array is kept."""
    if values.ndim == 1:
        return values
    if values.ndim == 2:
        return reduce(values, axis=1)
    raise ValueError(f"expected 1-D or 2-D values; got shape {values.shape}.")


def _dist_name(dist) -> str | None:
    """scipy's name of a frozen ``scipy.stats`` distribution, else None."""
    return getattr(getattr(dist, "dist", None), "name", None)


def _check_real(y: ArrayLike, name: str) -> np.ndarray:
    y = np.asarray(y, dtype=np.float64)
    if y.ndim not in (1, 2) or y.shape[0] == 0:
        raise ValueError(
            f"{name} must be a non-empty 1-D or 2-D array; got shape {y.shape}."
        )
    if not np.all(np.isfinite(y)):
        raise ValueError(f"{name} contains NaN or infinity.")
    return y


def _check_interval(y_shape, lower, upper) -> tuple[np.ndarray, np.ndarray]:
    lower = np.broadcast_to(np.asarray(lower, dtype=np.float64), y_shape)
    upper = np.broadcast_to(np.asarray(upper, dtype=np.float64), y_shape)
    if np.any(np.isnan(lower)) or np.any(np.isnan(upper)):
        raise ValueError("the interval bounds contain NaN.")
    if np.any(lower > upper):
        raise ValueError("every lower bound must be at most its upper bound.")
    return lower, upper


def _check_confidence(confidence) -> float:
    if (
        not isinstance(confidence, numbers.Real)
        or isinstance(confidence, bool)
        or not 0.0 < confidence < 1.0
    ):
        raise ValueError(f"confidence must be in (0, 1); got {confidence!r}.")
    return float(confidence)


def _log_likelihood(dist, y) -> np.ndarray:
    """log Pr(y) under one (vectorised) distribution: logpdf or logpmf."""
    if hasattr(dist, "logpdf"):
        y = _check_real(y, "y_true")
        values = np.asarray(dist.logpdf(y), dtype=np.float64)
    elif hasattr(dist, "logpmf"):
        y = np.asarray(y)
        values = np.asarray(dist.logpmf(y), dtype=np.float64)
    else:
        raise TypeError(
            "dist must have a logpdf or logpmf method (a frozen scipy.stats "
            f"distribution or sklik's LabelDistribution); got {type(dist).__name__}."
        )
    if values.shape != y.shape:
        raise ValueError(
            f"the distribution gives log-likelihoods of shape {values.shape} for "
            f"y_true of shape {y.shape}: their shapes must agree (a column vector "
            "y_true against a 1-D distribution broadcasts to a matrix)."
        )
    return values


def _columns(y_true, n_outputs: int) -> np.ndarray:
    y = np.asarray(y_true)
    if y.ndim != 2 or y.shape[1] != n_outputs:
        raise ValueError(
            f"y_true must have shape (n_samples, {n_outputs}) for {n_outputs} "
            f"distributions; got {y.shape}."
        )
    return y


def _normal_params(dist) -> tuple[np.ndarray, np.ndarray]:
    if _dist_name(dist) != "norm":
        raise TypeError(
            "expected a frozen scipy.stats.norm (or mean and std arrays); got "
            f"{type(dist).__name__}."
        )
    return np.asarray(dist.mean(), dtype=np.float64), np.asarray(
        dist.std(), dtype=np.float64
    )


# -- scoring rules ------------------------------------------------------------
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
        A vectorised distribution with ``logpdf`` (a frozen continuous
        ``scipy.stats`` distribution) or ``logpmf`` (a discrete one, or
        sklik's ``LabelDistribution``) whose shape is that of ``y_true``; or
        a list with one such distribution per column of ``y_true`` (what
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
    """
    if isinstance(dist, Sequence) and not isinstance(dist, str):
        y = _columns(y_true, len(dist))
        columns = [
            _per_sample(_log_likelihood(d, y[:, j]), np.sum) for j, d in enumerate(dist)
        ]
        values = np.sum(columns, axis=0)
    else:
        values = _per_sample(_log_likelihood(dist, y_true), np.sum)
    if np.any(np.isnan(values)):
        raise ValueError(
            "the log-likelihood is NaN for some samples: check y_true and the "
            "distribution's parameters."
        )
    return _weighted_mean(-values, sample_weight)


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
    strictly proper scoring rule. Lower is better.

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
        mean, std = _normal_params(mean)
    elif _dist_name(mean) is not None:
        raise TypeError("pass either a frozen distribution or mean and std, not both.")
    y = _check_real(y_true, "y_true")
    mu = np.broadcast_to(np.asarray(mean, dtype=np.float64), y.shape)
    sigma = np.broadcast_to(np.asarray(std, dtype=np.float64), y.shape)
    if not np.all(np.isfinite(mu)):
        raise ValueError("mean contains NaN or infinity.")
    if not np.all(np.isfinite(sigma) & (sigma >= 0)):
        raise ValueError("std must be finite and non-negative.")
    positive = sigma > 0
    u = np.divide(y - mu, sigma, out=np.zeros_like(y), where=positive)
    crps = np.where(
        positive,
        sigma
        * (
            u * (2.0 * stats.norm.cdf(u) - 1.0) + 2.0 * stats.norm.pdf(u) - _INV_SQRT_PI
        ),
        np.abs(y - mu),
    )
    return _weighted_mean(_per_sample(crps, np.sum), sample_weight)


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
    if isinstance(proba, LabelDistribution) or _dist_name(proba) == "bernoulli":
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
    return _weighted_mean(np.sum(diff * diff, axis=1), sample_weight)


def interval_coverage(
    y_true: ArrayLike,
    lower: ArrayLike,
    upper: ArrayLike,
    *,
    sample_weight: ArrayLike | None = None,
) -> float:
    """Weighted fraction of observations inside their prediction interval.

    For well calibrated central intervals at level ``c`` (e.g.
    ``reg.predict_dist(X).interval(c)``) the coverage is close to ``c``, and
    should be so within any subgroup of the samples, not only overall.
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
    y = _check_real(y_true, "y_true")
    lower, upper = _check_interval(y.shape, lower, upper)
    inside = ((lower <= y) & (y <= upper)).astype(np.float64)
    return _weighted_mean(_per_sample(inside, np.mean), sample_weight)


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
    upper = _check_real(upper, "upper")
    lower, upper = _check_interval(upper.shape, lower, upper)
    if not np.all(np.isfinite(lower)):
        raise ValueError("lower contains infinity.")
    return _weighted_mean(_per_sample(upper - lower, np.mean), sample_weight)


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
    a = 1.0 - _check_confidence(confidence)
    y = _check_real(y_true, "y_true")
    lower, upper = _check_interval(y.shape, lower, upper)
    if not (np.all(np.isfinite(lower)) and np.all(np.isfinite(upper))):
        raise ValueError("the interval bounds contain infinity.")
    below = np.clip(lower - y, 0.0, None)
    above = np.clip(y - upper, 0.0, None)
    score = (upper - lower) + (2.0 / a) * (below + above)
    return _weighted_mean(_per_sample(score, np.sum), sample_weight)


# -- scorers --------------------------------------------------------------------
def _predictive_dist(estimator, X):
    """The predictive distribution of a fitted estimator (or pipeline) at X.

    sklik estimators are asked for ``predict_dist``; anything else through
    the methods scikit-learn's meta-estimators forward: class probabilities
    for classifiers, ``predict(X, return_std=True)`` (as a Normal) for
    regressors.
    """
    if hasattr(estimator, "predict_dist"):
        return estimator.predict_dist(X)
    if is_classifier(estimator):
        if hasattr(estimator, "predict_log_proba"):
            log_proba = estimator.predict_log_proba(X)
        else:
            with np.errstate(divide="ignore"):
                log_proba = np.log(estimator.predict_proba(X))
        return LabelDistribution(log_proba, estimator.classes_)
    try:
        mean, std = estimator.predict(X, return_std=True)
    except TypeError as exc:
        raise TypeError(
            f"{type(estimator).__name__} gives no predictive distribution: it is "
            "not a classifier, has no predict_dist, and its predict does not "
            "accept return_std=True. (GridSearchCV.predict does not forward "
            "return_std: score its best_estimator_.)"
        ) from exc
    return stats.norm(loc=mean, scale=std)


def _normal_columns(dist) -> tuple[np.ndarray, np.ndarray]:
    """Mean and std of a Normal or a list of per-output Normals, as arrays."""
    if isinstance(dist, list):
        params = [_normal_params(d) for d in dist]
        return (
            np.column_stack([m for m, _ in params]),
            np.column_stack([s for _, s in params]),
        )
    return _normal_params(dist)


def _score_request() -> MetadataRequest:
    """The scorers' metadata request: they take ``sample_weight``.

    With ``sklearn.set_config(enable_metadata_routing=True)``,
    ``cross_validate(..., params={"sample_weight": w})`` and the search
    objects then pass each test fold's weights to the scorer. (Without this
    request they would silently score unweighted.)
    """
    request = MetadataRequest(owner="sklik.metrics")
    request.score.add_request(param="sample_weight", alias=True)
    return request


def _routes_sample_weight(scorer):
    scorer.get_metadata_routing = _score_request
    return scorer


@_routes_sample_weight
def neg_nll_scorer(
    estimator: Any, X: ArrayLike, y: ArrayLike, sample_weight: ArrayLike | None = None
) -> float:
    """Scorer: minus the mean negative log-likelihood of y (greater is better).

    ``-log_score(y, predictive distribution)``; for a sklik estimator this is
    ``-estimator.nll(X, y, sample_weight)``. Works for classifiers (from
    ``predict_proba``) and for regressors with ``predict(X, return_std=True)``,
    bare or inside a ``Pipeline``.

    Parameters
    ----------
    estimator : fitted estimator or pipeline
    X : array-like of shape (n_samples, n_features)
    y : array-like of shape (n_samples,) or (n_samples, n_outputs)
    sample_weight : array-like of shape (n_samples,), default=None

    Returns
    -------
    score : float

    Examples
    --------
    >>> from sklearn.datasets import load_diabetes
    >>> from sklearn.model_selection import cross_val_score
    >>> from sklik import GaussianNLLRegressor
    >>> from sklik.metrics import neg_nll_scorer
    >>> X, y = load_diabetes(return_X_y=True)
    >>> scores = cross_val_score(GaussianNLLRegressor(), X, y, scoring=neg_nll_scorer)
    >>> bool(scores.mean() < 0)
    True
    """
    return -log_score(y, _predictive_dist(estimator, X), sample_weight=sample_weight)


@_routes_sample_weight
def neg_crps_scorer(
    estimator: Any, X: ArrayLike, y: ArrayLike, sample_weight: ArrayLike | None = None
) -> float:
    """Scorer: minus the mean CRPS of the Normal predictions (greater is better).

    For regressors whose predictive distribution is Normal: sklik's
    ``GaussianNLLRegressor`` (bare or in a ``Pipeline``) or any regressor
    with ``predict(X, return_std=True)``, read as a Normal.

    Parameters
    ----------
    estimator : fitted estimator or pipeline
    X : array-like of shape (n_samples, n_features)
    y : array-like of shape (n_samples,) or (n_samples, n_outputs)
    sample_weight : array-like of shape (n_samples,), default=None

    Returns
    -------
    score : float

    Examples
    --------
    >>> from sklearn.datasets import load_diabetes
    >>> from sklik import GaussianNLLRegressor
    >>> from sklik.metrics import crps_normal, neg_crps_scorer
    >>> X, y = load_diabetes(return_X_y=True)
    >>> reg = GaussianNLLRegressor().fit(X, y)
    >>> neg_crps_scorer(reg, X, y) == -crps_normal(y, reg.predict_dist(X))
    True
    """
    mean, std = _normal_columns(_predictive_dist(estimator, X))
    return -crps_normal(y, mean, std, sample_weight=sample_weight)


@_routes_sample_weight
def neg_brier_scorer(
    estimator: Any, X: ArrayLike, y: ArrayLike, sample_weight: ArrayLike | None = None
) -> float:
    """Scorer: minus the mean multiclass Brier score (greater is better).

    For classifiers (from ``predict_proba`` and ``classes_``), bare or inside
    a ``Pipeline``; see :func:`brier_score`.

    Parameters
    ----------
    estimator : fitted classifier or pipeline
    X : array-like of shape (n_samples, n_features)
    y : array-like of shape (n_samples,)
    sample_weight : array-like of shape (n_samples,), default=None

    Returns
    -------
    score : float

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklik import CategoricalNLLClassifier
    >>> from sklik.metrics import neg_brier_scorer
    >>> X, y = load_iris(return_X_y=True)
    >>> clf = CategoricalNLLClassifier(alpha=1e-2).fit(X, y)
    >>> bool(-0.2 < neg_brier_scorer(clf, X, y) < 0)
    True
    """
    dist = _predictive_dist(estimator, X)
    if not isinstance(dist, LabelDistribution):
        raise TypeError(
            f"the Brier score needs a classifier; {type(estimator).__name__} "
            "predicts no class probabilities."
        )
    return -brier_score(y, dist, sample_weight=sample_weight)


class _IntervalScorer:
    """Scorer from the central ``confidence`` intervals of the predictions."""

    def __init__(self, confidence: float, kind: str):
        self.confidence = _check_confidence(confidence)
        self.kind = kind

    def __call__(
        self,
        estimator: Any,
        X: ArrayLike,
        y: ArrayLike,
        sample_weight: ArrayLike | None = None,
    ) -> float:
        dist = _predictive_dist(estimator, X)
        if isinstance(dist, LabelDistribution):
            raise TypeError(
                "interval scorers need a regressor's continuous predictive "
                "distribution, not class probabilities."
            )
        if isinstance(dist, list):
            bounds = [d.interval(self.confidence) for d in dist]
            lower = np.column_stack([lo for lo, _ in bounds])
            upper = np.column_stack([hi for _, hi in bounds])
        else:
            lower, upper = dist.interval(self.confidence)
        if self.kind == "coverage":
            coverage = interval_coverage(y, lower, upper, sample_weight=sample_weight)
            return -abs(coverage - self.confidence)
        return -interval_score(
            y, lower, upper, confidence=self.confidence, sample_weight=sample_weight
        )

    def get_metadata_routing(self) -> MetadataRequest:
        return _score_request()

    def __repr__(self) -> str:
        kind = "coverage" if self.kind == "coverage" else "interval"
        return f"make_{kind}_scorer(confidence={self.confidence!r})"


def make_interval_scorer(confidence: float = 0.9) -> _IntervalScorer:
    """A scorer: minus the mean interval score of central intervals.

    The scorer takes the central ``confidence`` interval of each predictive
    distribution (``dist.interval(confidence)``) and returns
    ``-interval_score(y, lower, upper, confidence=confidence)``; greater is
    better. Proper: it rewards calibrated and sharp intervals at once.

    Parameters
    ----------
    confidence : float in (0, 1), default=0.9

    Returns
    -------
    scorer : callable ``scorer(estimator, X, y, sample_weight=None)``
        Picklable, so usable with ``n_jobs > 1``.

    Examples
    --------
    >>> from sklik.metrics import make_interval_scorer
    >>> make_interval_scorer(0.8)
    make_interval_scorer(confidence=0.8)
    """
    return _IntervalScorer(confidence, "interval_score")


def make_coverage_scorer(confidence: float = 0.9) -> _IntervalScorer:
    """A scorer: minus the distance of the interval coverage from its level.

    Returns ``-abs(interval_coverage(y, *dist.interval(confidence)) -
    confidence)``: 0 for exact coverage, negative otherwise. Useful to report
    calibration in ``cross_validate``; it is not a proper score (it ignores
    the width), so do not select models by it alone.

    Parameters
    ----------
    confidence : float in (0, 1), default=0.9

    Returns
    -------
    scorer : callable ``scorer(estimator, X, y, sample_weight=None)``
        Picklable, so usable with ``n_jobs > 1``.

    Examples
    --------
    >>> from sklik.metrics import make_coverage_scorer
    >>> make_coverage_scorer()
    make_coverage_scorer(confidence=0.9)
    """
    return _IntervalScorer(confidence, "coverage")
