"""Predictive distributions through pipelines and searches, and cross-validated.

scikit-learn's ``Pipeline`` and search objects forward ``predict`` and
``predict_proba`` but not sklik's ``predict_dist`` and ``nll``. The
functions here walk to the estimator that predicts — the last step of a
``Pipeline`` (at X transformed by the steps before it), the
``best_estimator_`` of a fitted search, in any nesting — and ask it.
:func:`cross_val_predict_dist` is ``cross_val_predict`` for whole
distributions: each sample's held-out predictive distribution, the folds
joined into one vectorised distribution in the samples' order.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import sklearn
from numpy.typing import ArrayLike
from sklearn.base import clone, is_classifier
from sklearn.model_selection import check_cv
from sklearn.pipeline import Pipeline
from sklearn.utils import _safe_indexing, indexable
from sklearn.utils.metadata_routing import (
    MetadataRouter,
    MethodMapping,
    process_routing,
)
from sklearn.utils.parallel import Parallel, delayed

from sklik._fold_join import join_folds


def _final(estimator: Any, X: Any, method: str) -> tuple[Any, Any]:
    """The estimator that predicts, X as it sees it; a TypeError if it lacks method."""
    outer = estimator
    while True:
        if isinstance(estimator, Pipeline):
            if len(estimator) > 1:
                X = estimator[:-1].transform(X)
            estimator = estimator[-1]
        elif hasattr(estimator, "best_estimator_"):
            estimator = estimator.best_estimator_
        else:
            break
    if callable(getattr(estimator, method, None)):
        return estimator, X
    what = type(estimator).__name__
    if isinstance(estimator, str) or estimator is None:
        what = f"the final step {estimator!r}"
    if estimator is not outer:
        what += f" (reached from {type(outer).__name__})"
    hint = ""
    if hasattr(estimator, "cv") and hasattr(estimator, "refit"):
        hint = " A search has its best_estimator_ only once fitted with refit=True."
    raise TypeError(
        f"{what} has no {method}: sklik.{method} needs an estimator with "
        f"{method} (a sklik estimator), bare, as the last step of a Pipeline, "
        f"or as the best_estimator_ of a fitted search, in any nesting.{hint}"
    )


def predict_dist(estimator: Any, X: ArrayLike) -> Any:
    """The predictive distribution of a fitted sklik estimator, pipeline or search.

    Walks to the estimator that predicts — the last step of a ``Pipeline``
    (X is transformed by the steps before it), the ``best_estimator_`` of a
    fitted ``GridSearchCV``, ``RandomizedSearchCV`` or any search with
    one, nested in any way — and returns its ``predict_dist(X)``.

    Parameters
    ----------
    estimator : fitted estimator, Pipeline or search
        Ends in an estimator with ``predict_dist`` (any sklik estimator).
    X : {array-like, sparse matrix} of shape (n_samples, n_features)
        As ``estimator.predict`` takes it.

    Returns
    -------
    dist : frozen distribution
        What the final estimator's ``predict_dist`` returns: a frozen,
        vectorised ``scipy.stats`` distribution (or sklik's own where scipy
        lacks the family), a ``LabelDistribution`` for a classifier, a list
        of them for ``MultiOutputNLL``.

    Raises
    ------
    TypeError
        If the final estimator has no ``predict_dist``; the message names
        its type.

    See Also
    --------
    nll : The negative log-likelihood, reached the same way.
    cross_val_predict_dist : Held-out predictive distributions.

    Examples
    --------
    >>> from sklearn.datasets import load_diabetes
    >>> from sklearn.model_selection import GridSearchCV
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> import sklik
    >>> X, y = load_diabetes(return_X_y=True)
    >>> pipe = make_pipeline(StandardScaler(), sklik.GaussianNLLRegressor())
    >>> grid = {"gaussiannllregressor__alpha": [0.0, 1.0]}
    >>> search = GridSearchCV(pipe, grid, scoring=sklik.metrics.neg_nll_scorer)
    >>> dist = sklik.predict_dist(search.fit(X, y), X[:3])  # best pipeline's
    >>> dist.dist.name, dist.mean().shape
    ('norm', (3,))
    >>> lower, upper = dist.interval(0.9)
    >>> bool((lower < dist.mean()).all() and (dist.mean() < upper).all())
    True
    """
    final, X = _final(estimator, X, "predict_dist")
    return final.predict_dist(X)


def nll(
    estimator: Any, X: ArrayLike, y: ArrayLike, sample_weight: ArrayLike | None = None
) -> float:
    """Mean negative log-likelihood of y under a fitted estimator, pipeline or search.

    Walks to the final estimator as :func:`predict_dist` does and returns
    its ``nll(X, y, sample_weight=sample_weight)``.

    Parameters
    ----------
    estimator : fitted estimator, Pipeline or search
        Ends in an estimator with ``nll`` (any sklik estimator).
    X : {array-like, sparse matrix} of shape (n_samples, n_features)
    y : array-like of shape (n_samples,) or (n_samples, n_outputs)
    sample_weight : array-like of shape (n_samples,), default=None

    Returns
    -------
    nll : float
        The weighted mean negative log-likelihood (lower is better). A
        TypeError names the final estimator's type if it has no ``nll``.

    Examples
    --------
    >>> from sklearn.datasets import load_diabetes
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> import sklik
    >>> X, y = load_diabetes(return_X_y=True)
    >>> pipe = make_pipeline(StandardScaler(), sklik.GaussianNLLRegressor()).fit(X, y)
    >>> round(sklik.nll(pipe, X, y), 4)
    5.3982
    >>> from sklik.metrics import log_score
    >>> round(log_score(y, sklik.predict_dist(pipe, X)), 4)
    5.3982
    """
    final, X = _final(estimator, X, "nll")
    return final.nll(X, y, sample_weight=sample_weight)


def _rows_of(value: Any, n_samples: int) -> bool:
    """Whether a fit parameter has one entry per sample (and is split by fold)."""
    shape = getattr(value, "shape", None)
    if shape is not None:
        return len(shape) >= 1 and shape[0] == n_samples
    return isinstance(value, list | tuple) and len(value) == n_samples


def _fit_and_predict_dist(estimator, X, y, train, test, fit_params):
    """Fit on the training rows, predict the distribution of the test rows."""
    n_samples = X.shape[0] if hasattr(X, "shape") else len(X)
    fit_params = {
        k: _safe_indexing(v, train) if _rows_of(v, n_samples) else v
        for k, v in fit_params.items()
    }
    estimator.fit(_safe_indexing(X, train), _safe_indexing(y, train), **fit_params)
    return predict_dist(estimator, _safe_indexing(X, test))


def _routed(estimator, cv, groups, params):
    """The splitter's and the estimator's parameters, routed as scikit-learn does."""
    if not sklearn.get_config()["enable_metadata_routing"]:
        return {"groups": groups}, params
    if groups is not None:
        raise ValueError(
            "groups can only be passed if metadata routing is not enabled via "
            "sklearn.set_config(enable_metadata_routing=True). When routing is "
            "enabled, pass groups in params instead."
        )
    fit = MethodMapping().add(caller="fit", callee="fit")
    split = MethodMapping().add(caller="fit", callee="split")
    router = MetadataRouter(owner="cross_val_predict_dist")
    router.add(splitter=cv, method_mapping=split).add(
        estimator=estimator, method_mapping=fit
    )
    routed = process_routing(router, "fit", **params)
    return routed.splitter.split, routed.estimator.fit


def cross_val_predict_dist(
    estimator: Any,
    X: ArrayLike,
    y: ArrayLike,
    *,
    cv: Any = None,
    groups: ArrayLike | None = None,
    params: dict | None = None,
    n_jobs: int | None = None,
) -> Any:
    """Each sample's held-out predictive distribution, by cross-validation.

    ``cross_val_predict`` for whole distributions: the estimator is cloned
    and fitted on the training part of each split, and
    :func:`predict_dist` (so a ``Pipeline`` or a search works too) gives
    the distribution of the split's test samples. The folds' distributions
    are joined into **one vectorised distribution of the same kind, in the
    order of the samples**: entry i is the prediction of the model that did
    not see sample i. Score it with :mod:`sklik.metrics` (``log_score(y,
    dist)`` is the held-out NLL of all folds pooled), or take its
    ``interval``, ``mean``, ``std``, ``cdf``, ...

    Parameters
    ----------
    estimator : estimator, Pipeline or search
        Unfitted; ends in an estimator with ``predict_dist``.
    X : {array-like, sparse matrix} of shape (n_samples, n_features)
    y : array-like of shape (n_samples,) or (n_samples, n_outputs)
    cv : int, cross-validation generator or iterable, default=None
        As in ``cross_val_predict`` (``None``: 5-fold, stratified for a
        classifier). The test folds must partition the samples.
    groups : array-like of shape (n_samples,), default=None
        Group labels for a group splitter (only without metadata routing;
        with routing pass them in ``params``).
    params : dict, default=None
        Parameters for the estimator's ``fit`` (per-sample ones, such as
        ``sample_weight``, are split with the folds); with metadata routing
        enabled they are routed as in ``cross_val_predict``.
    n_jobs : int, default=None
        Folds fitted in parallel (joblib); ``None`` means 1.

    Returns
    -------
    dist : frozen distribution
        Of the kind ``predict_dist`` returns, with one entry per sample:
        a frozen ``scipy.stats`` distribution with each parameter an array
        over the samples, sklik's own distributions likewise (their
        ``kwds``), a ``LabelDistribution`` over all classes of y (a class a
        fold did not train on has probability 0 there, as in
        ``cross_val_predict(method="predict_proba")``), or for
        ``MultiOutputNLL`` a list of these, one per output.

    Raises
    ------
    ValueError
        If the test folds do not partition the samples, or if the folds'
        distributions are of different families (a search over
        ``distribution`` may pick different ones per fold): score such a
        model per fold with ``cross_validate(...,
        scoring=sklik.metrics.neg_nll_scorer)``.

    See Also
    --------
    predict_dist : The predictive distribution of a fitted model.
    sklearn.model_selection.cross_val_predict : The same for point predictions.

    Examples
    --------
    >>> from sklearn.datasets import load_diabetes
    >>> from sklearn.model_selection import KFold
    >>> import sklik
    >>> from sklik.metrics import interval_coverage, log_score
    >>> X, y = load_diabetes(return_X_y=True)
    >>> cv = KFold(5, shuffle=True, random_state=0)
    >>> dist = sklik.cross_val_predict_dist(sklik.GaussianNLLRegressor(), X, y, cv=cv)
    >>> dist.dist.name, dist.mean().shape        # one Normal per sample
    ('norm', (442,))
    >>> round(log_score(y, dist), 3)             # held-out NLL, folds pooled
    5.42
    >>> round(interval_coverage(y, *dist.interval(0.9)), 3)
    0.894
    """
    X, y, groups = indexable(X, y, groups)
    params = {} if params is None else dict(params)
    cv = check_cv(cv, y, classifier=is_classifier(estimator))
    split_params, fit_params = _routed(estimator, cv, groups, params)
    splits = list(cv.split(X, y, **split_params))
    n_samples = X.shape[0] if hasattr(X, "shape") else len(X)
    tests = [np.asarray(test) for _, test in splits]
    covered = np.sort(np.concatenate(tests)) if tests else np.array([], dtype=int)
    if not np.array_equal(covered, np.arange(n_samples)):
        raise ValueError(
            "cross_val_predict_dist needs test folds that partition the samples "
            f"(each of the {n_samples} samples in exactly one test fold); "
            f"{type(cv).__name__} does not give that."
        )
    dists = Parallel(n_jobs=n_jobs)(
        delayed(_fit_and_predict_dist)(clone(estimator), X, y, train, test, fit_params)
        for train, test in splits
    )
    return join_folds(dists, tests, y)
