"""Scorers for ``scoring=`` in scikit-learn's model selection (greater is better)."""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike
from scipy import stats
from sklearn.base import is_classifier
from sklearn.pipeline import Pipeline
from sklearn.utils.metadata_routing import MetadataRequest

from sklik.distributions import LabelDistribution
from sklik.metrics._calibration import interval_coverage
from sklik.metrics._common import (
    check_confidence,
    check_real,
    columns,
    dist_name,
    wrap_angle,
)
from sklik.metrics._crps import crps
from sklik.metrics._scores import brier_score, interval_score, log_score


def _has_predict_dist(estimator: Any) -> bool:
    """Whether the estimator, or the last step of a (nested) pipeline, has one."""
    if isinstance(estimator, Pipeline):
        return len(estimator) > 0 and _has_predict_dist(estimator[-1])
    return hasattr(estimator, "predict_dist")


def _sklik_dist(estimator: Any, X: ArrayLike) -> Any:
    """``predict_dist`` of the estimator, or of a pipeline's last step at X."""
    if not isinstance(estimator, Pipeline):
        return estimator.predict_dist(X)
    if len(estimator) > 1:
        X = estimator[:-1].transform(X)
    return _sklik_dist(estimator[-1], X)


def _predictive_dist(estimator: Any, X: ArrayLike) -> Any:
    """The predictive distribution of a fitted estimator (or pipeline) at X.

    sklik estimators are asked for ``predict_dist``, which gives the
    distribution of their own family (a Poisson regressor's is a Poisson);
    so is the last step of a ``Pipeline`` that ends in one, at X transformed
    by the steps before it. Anything else is asked through the methods
    scikit-learn's meta-estimators forward: class probabilities for
    classifiers, ``predict(X, return_std=True)`` (read as a Normal) for
    regressors.
    """
    if _has_predict_dist(estimator):
        return _sklik_dist(estimator, X)
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

    ``-log_score(y, predictive distribution)``; for a sklik estimator of any
    family (its ``predict_dist``) this is ``-estimator.nll(X, y,
    sample_weight)``. Works for classifiers (from ``predict_proba``) and for
    other regressors with ``predict(X, return_std=True)`` (read as a
    Normal), bare or inside a ``Pipeline``.

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
    """Scorer: minus the mean CRPS of the predictive distributions (greater is better).

    ``-crps(y, predictive distribution)``: for a sklik regressor of any
    family (its ``predict_dist``, bare or as the last step of a
    ``Pipeline``), and for any other regressor with ``predict(X,
    return_std=True)``, read as a Normal. See :func:`crps`.

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
    >>> from sklik.metrics import crps, crps_normal, neg_crps_scorer
    >>> X, y = load_diabetes(return_X_y=True)
    >>> reg = GaussianNLLRegressor().fit(X, y)
    >>> neg_crps_scorer(reg, X, y) == -crps(y, reg.predict_dist(X))
    True
    >>> neg_crps_scorer(reg, X, y) == -crps_normal(y, reg.predict_dist(X))
    True
    """
    return -crps(y, _predictive_dist(estimator, X), sample_weight=sample_weight)


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


def _in_turn(dist: Any, y: ArrayLike) -> ArrayLike:
    """Angles under a von Mises, read in the turn around its location.

    Its interval lies in (loc − π, loc + π], so an angle given in another
    turn (y in [0, 2π) against a location near π, say) is first brought
    there, as :func:`crps` and :func:`pit` do.
    """
    if dist_name(dist) != "vonmises":
        return y
    return wrap_angle(dist, check_real(y, "y_true"))[0]


class _IntervalScorer:
    """Scorer from the central ``confidence`` intervals of the predictions."""

    def __init__(self, confidence: float, kind: str):
        self.confidence = check_confidence(confidence)
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
            if any(dist_name(d) == "vonmises" for d in dist):
                y = columns(y, len(dist))
                y = np.column_stack([_in_turn(d, y[:, j]) for j, d in enumerate(dist)])
        else:
            lower, upper = dist.interval(self.confidence)
            y = _in_turn(dist, y)
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
    Angles under a ``scipy.stats.vonmises`` are first taken modulo 2π into
    the turn around its location, where its interval lies.

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
    the width), so do not select models by it alone. Angles under a
    ``scipy.stats.vonmises`` are read as by :func:`make_interval_scorer`.

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
