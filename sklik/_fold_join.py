"""Joining cross-validation folds' predictive distributions into one.

Each fold predicts a distribution for its test samples; the joined one
holds every sample's, in the samples' order: frozen scipy distributions by
their parameters, sklik's by their ``kwds``, label distributions over the
union of the folds' classes.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
from scipy import stats

from sklik.distributions import LabelDistribution
from sklik.distributions.label import label_codes


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


def join_folds(dists: list, tests: list[np.ndarray], y: Any, output: int | None = None):
    """The folds' distributions as one over all samples, in the samples' order."""
    n = sum(len(test) for test in tests)
    first = dists[0]
    if isinstance(first, list | tuple):  # one distribution per output
        if any(not isinstance(d, list | tuple) or len(d) != len(first) for d in dists):
            raise ValueError("the folds predict different numbers of outputs.")
        return [
            join_folds([d[j] for d in dists], tests, y, j) for j in range(len(first))
        ]
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
