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

import warnings
from typing import Any

import numpy as np
import sklearn
from numpy.typing import ArrayLike
from scipy import stats
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

from sklik.distributions import LabelDistribution
from sklik.distributions.label import label_codes


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
    return _join(dists, tests, y)


# -- joining the folds' distributions into one, in the samples' order ---------
def _kind(dist: Any) -> str:
    scipy = _is_frozen_scipy(dist)
    return f"scipy.stats.{dist.dist.name}" if scipy else type(dist).__name__


def _is_frozen_scipy(dist: Any) -> bool:
    return isinstance(
        getattr(dist, "dist", None), stats.rv_continuous | stats.rv_discrete
    )


def _scipy_params(dist: Any) -> dict[str, Any]:
    """A frozen scipy distribution's parameters by name (shapes, loc, scale)."""
    gen = dist.dist
    names = [s.strip() for s in gen.shapes.split(",")] if gen.shapes else []
    names += ["loc", "scale"] if isinstance(gen, stats.rv_continuous) else ["loc"]
    return {**dict(zip(names, dist.args)), **dist.kwds}


def _place(parts: list[dict], tests: list[np.ndarray], n: int) -> dict[str, Any]:
    """Per-fold parameter arrays (batch axis first) into arrays over all samples."""
    defaults = {"loc": 0.0, "scale": 1.0}
    names = list(dict.fromkeys(name for part in parts for name in part))
    out = {}
    for fold, (part, test) in enumerate(zip(parts, tests)):
        values = [np.asarray(part.get(name, defaults.get(name))) for name in names]
        shape = np.broadcast_shapes(*(v.shape for v in values)) or (len(test),)
        if shape[0] != len(test):
            raise ValueError(
                f"the predictive distribution of fold {fold} has batch shape "
                f"{shape} for {len(test)} test samples."
            )
        for name, value in zip(names, values):
            if name not in out:
                dtype = np.result_type(*(np.asarray(p.get(name, 0.0)) for p in parts))
                out[name] = np.empty((n, *shape[1:]), dtype=dtype)
            out[name][test] = np.broadcast_to(value, shape)
    return out


def _labels(y: Any, output: int | None) -> np.ndarray | None:
    """The labels of y (or of one of its columns), numeric if they are numbers."""
    y = np.asarray(y)
    if output is not None:
        y = y[:, output] if y.ndim == 2 else None
    if y is None or y.ndim != 1:
        return None
    if y.dtype == object:
        typed = np.asarray(y.tolist())
        return typed if typed.dtype.kind in "biufUS" else y
    return y


def _join_labels(dists, tests, n, labels):
    """One LabelDistribution over every class of y and of the folds."""
    known = [d.classes for d in dists]
    try:
        classes = np.unique(
            np.concatenate([*known, *([labels] * (labels is not None))])
        )
    except (TypeError, ValueError):  # labels not comparable with the classes
        classes = np.unique(np.concatenate(known))
    log_probs = np.full((n, len(classes)), -np.inf)
    for fold, (dist, test) in enumerate(zip(dists, tests)):
        if len(dist.classes) < len(classes):
            warnings.warn(
                f"fold {fold} was trained on {len(dist.classes)} of the "
                f"{len(classes)} classes: the others have probability 0 for its "
                "test samples. A stratified cross-validation avoids that.",
                UserWarning,
                stacklevel=4,
            )
        columns = label_codes(dist.classes, classes)
        log_probs[np.ix_(test, columns)] = dist.log_probs
    return LabelDistribution(log_probs, classes)


def _join(dists: list, tests: list[np.ndarray], y: Any, output: int | None = None):
    """The folds' distributions as one over all samples, in the samples' order."""
    n = sum(len(test) for test in tests)
    first = dists[0]
    if isinstance(first, list | tuple):  # one distribution per output
        if any(not isinstance(d, list | tuple) or len(d) != len(first) for d in dists):
            raise ValueError("the folds predict different numbers of outputs.")
        return [_join([d[j] for d in dists], tests, y, j) for j in range(len(first))]
    kinds = [_kind(d) for d in dists]
    if len(set(kinds)) > 1:
        raise ValueError(
            "the folds' predictive distributions are of different families "
            f"({', '.join(f'fold {k}: {kind}' for k, kind in enumerate(kinds))}), "
            "so they cannot be joined into one distribution. Fix the family, or "
            "score the model per fold with "
            "cross_validate(..., scoring=sklik.metrics.neg_nll_scorer)."
        )
    if isinstance(first, LabelDistribution):
        return _join_labels(dists, tests, n, _labels(y, output))
    if _is_frozen_scipy(first):
        return first.dist(**_place([_scipy_params(d) for d in dists], tests, n))
    if isinstance(getattr(first, "kwds", None), dict):  # sklik's own distributions
        return type(first)(**_place([d.kwds for d in dists], tests, n))
    raise TypeError(
        f"cannot join predictive distributions of type {_kind(first)}: expected "
        "frozen scipy.stats distributions, LabelDistribution, or distributions "
        "whose constructor takes their kwds."
    )
