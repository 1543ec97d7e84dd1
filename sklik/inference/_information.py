"""The information matrix of a fitted linear sklik model, on the user's parameters.

The fit's objective works on internal parameters φ: coefficients of
standardised columns, on η in the family's internal units, of the *mean*
negative log-likelihood. The parameters a user reads (``coef_``,
``intercept_``) are a fixed linear map of φ, θ = T·φ (T from
:meth:`LinearModel.to_user` applied to unit vectors, times the units'
scale), with inverse φ = M·θ (from :meth:`LinearModel.params_for`). The
information w.r.t. θ is therefore Mᵀ·H_φ·M·Σs (Σs turns the mean into the
sum), and the covariance T·H_φ⁻¹·Tᵀ/Σs. The inverse is taken on φ, whose
columns are standardised (well conditioned whatever the units and offsets of
X), after a symmetric diagonal scaling; its eigen-decomposition gives the
directions the data do not identify.

A shift-invariant block (softmax logits) is reported as contrasts against
its first column, r = L·θ, with the embedding θ = P·r (first column zero):
the contrasts are estimable, so L·T·H_φ⁺·Tᵀ·Lᵀ is the same for every
generalised inverse H_φ⁺, and the shift directions are no warning.
"""

import copy
import inspect
import os
import warnings
from dataclasses import dataclass

import numpy as np
from sklearn.base import is_classifier
from sklearn.utils.validation import check_is_fitted

from sklik._base import NLLEstimator
from sklik._separation import (
    MAX_LP_NONZEROS,
    SEPARATION_GATE,
    lp_size,
    separating_direction,
)
from sklik._validation import check_sample_weight
from sklik.exceptions import NotIdentifiedWarning
from sklik.models import LinearModel

#: Eigenvalues of the diagonally scaled information (unit diagonal) below
#: this fraction of the largest are null directions. Exactly collinear
#: columns give ~1e-16 (rounding); columns whose standardised difference is
#: 1e-5 of their spread give ~4e-11 and are still identified. Separation is
#: not found this way (every curvature is small then, the scaled ones not):
#: the classifiers' linear programme finds it.
NULL_RTOL = 1e-12

#: Log-likelihood the data could still gain from the fitted parameters
#: (half the Newton decrement, sum scale) above which the summary warns
#: that the parameters are not the maximum-likelihood estimate on them.
SCORE_GAP_TOL = 1e-3


#: A reported parameter is not identified when its direction in φ makes a
#: cosine above this with a null direction (rounding gives ~1e-12 here).
INVOLVEMENT_TOL = 1e-6


@dataclass
class Information:
    """What the analysis of the information at the fit gives (all on the sum scale)."""

    names: list
    params: np.ndarray
    information: np.ndarray
    cov_factor: np.ndarray  # F with F·Fᵀ = cov (k, rank): no over- or underflow
    rank: int
    unidentified: list
    llf: float
    nobs: float
    score_gap: float  # log-likelihood the data could still gain (Newton decrement)
    blocks: list  # per reported parameter block: (param column, slice, has_intercept)


def check_summarisable(est) -> None:
    """Raise a clear error unless ``est`` is a fitted, unpenalised linear sklik fit."""
    if not isinstance(est, NLLEstimator):
        raise TypeError(
            "summary() and lr_test() take a fitted sklik estimator (NLLRegressor, "
            "GaussianNLLRegressor, BernoulliNLLClassifier, CategoricalNLLClassifier "
            f"or MultiOutputNLL); got {type(est).__name__}."
        )
    check_is_fitted(est)
    if est.alpha > 0:
        raise ValueError(
            f"{type(est).__name__} was fitted with alpha={est.alpha!r} > 0: a "
            "penalised fit is not the maximum-likelihood estimate, and the inverse "
            "information is not the covariance of its coefficients. Refit with "
            "alpha=0 for standard errors."
        )
    if not isinstance(est.model_, LinearModel):
        raise ValueError(
            f"{type(est).__name__} was fitted with model={est.model!r}: standard "
            "errors, coefficients and a summary exist only for the linear model "
            "(model='linear'); a network's weights are not identified."
        )
    if getattr(est, "class_weight", None) is not None:
        raise ValueError(
            "The fit used class_weight, which reweights the likelihood: the inverse "
            "information is then not the covariance of the coefficients. Refit "
            "with class_weight=None (frequency weights go in sample_weight)."
        )


def _objective(est, X, y, sample_weight):
    """The fit's objective on (X, y), built by the estimator's own recipe.

    On a shallow copy: the hooks set target attributes (``classes_``), which
    must not change on the fitted estimator.
    """
    probe = copy.copy(est)
    X, y = probe._validate_X_y(X, y, reset=False)
    sw = check_sample_weight(sample_weight, X.shape[0])
    objective, units = probe._objective(X, y, sw)
    classes = getattr(est, "classes_", None)
    if classes is not None and not np.array_equal(probe.classes_, classes):
        raise ValueError(
            f"y has the classes {probe.classes_.tolist()}; the estimator was fitted "
            f"on {classes.tolist()}. Pass the data it was fitted on."
        )
    if not np.array_equal(objective.model.mask, est.model_.mask):
        raise ValueError(
            "The estimator's parameters changed since it was fitted; refit it."
        )
    return objective, units, sw


def _user_layout(mask):
    """The (row, column) of the augmented matrix [W; b] of each user parameter.

    Per column of η in order: its intercept (if free), then its coefficients.
    """
    p, n_eta = mask.shape[0] - 1, mask.shape[1]
    entries = []
    for j in range(n_eta):
        rows = ([p] if mask[p, j] else []) + [r for r in range(p) if mask[r, j]]
        entries.extend((r, j) for r in rows)
    return entries


def _user_maps(model, scale):
    """T (user θ ← φ) and M (φ ← user θ), from the model's own maps."""
    entries = _user_layout(model.mask)
    rows, cols = np.array(entries).T
    prescale = getattr(model, "x_prescale", None)
    pre = np.ones(model.n_features) if prescale is None else prescale
    k = model.n_params
    T = np.empty((k, k))
    for i, unit in enumerate(np.eye(k)):
        W, b = model.to_user(unit)
        A = np.vstack([W / pre[:, None], b]) * scale
        T[:, i] = A[rows, cols]
    M = np.empty((k, k))
    for i, (r, j) in enumerate(entries):
        A = np.zeros(model.mask.shape)
        A[r, j] = 1.0
        M[:, i] = model.params_for(A[:-1], A[-1], scale)
    return T, M, entries


def _reporting(dist, entries, n_params):
    """L (reported ← θ), P (θ ← reported) and the column/contrast of each row."""
    first = {}
    for block in dist.blocks:
        if block.shift_invariant:
            for c in block.columns[1:]:
                first[c] = block.columns[0]
    index = {e: i for i, e in enumerate(entries)}
    kept = [i for i, (_, j) in enumerate(entries) if j not in set(first.values())]
    L = np.zeros((len(kept), n_params))
    P = np.zeros((n_params, len(kept)))
    for out, i in enumerate(kept):
        r, j = entries[i]
        L[out, i] = P[i, out] = 1.0
        if j in first:
            L[out, index[(r, first[j])]] = -1.0
    return L, P, [entries[i] for i in kept], first


def _scaled_eigen(H):
    """Eigen-decomposition of D⁻¹HD⁻¹ (unit diagonal), with D."""
    d = np.sqrt(np.clip(np.diag(H), 0.0, None))
    d[~(d > 0)] = 1.0
    lam, V = np.linalg.eigh(H / np.outer(d, d))
    return lam, V, d


def external_stacklevel() -> int:
    """``stacklevel`` for a ``warnings.warn`` in the caller: the first frame
    outside sklik.inference (the user's call, however it got here)."""
    here = os.path.dirname(os.path.abspath(__file__))
    frame, level = inspect.currentframe().f_back, 1
    while frame is not None and os.path.dirname(frame.f_code.co_filename) == here:
        frame, level = frame.f_back, level + 1
    return level


def analyse(est, X, y, sample_weight=None, cov_type="observed") -> Information:
    """The information at the fit, its inverse and the identification analysis."""
    check_summarisable(est)
    if cov_type not in ("observed", "expected"):
        raise ValueError(
            f"cov_type must be 'observed' or 'expected'; got {cov_type!r}."
        )
    dist = est.distribution_
    fisher = cov_type == "expected"
    if not fisher and not dist.has_hessian:
        raise ValueError(
            f"The {dist.name} family has no observed information: its likelihood is "
            "not twice differentiable in the location (the least-absolute-deviations "
            "fit of the Laplace), and sandwich standard errors for it need an "
            "estimate of the density of y at the fitted location, which sklik does "
            "not make. cov_type='expected' gives the Fisher information, valid if "
            "the family is right."
        )
    if fisher and not dist.has_fisher:
        raise ValueError(f"The {dist.name} family has no expected information.")
    objective, units, sw = _objective(est, X, y, sample_weight)
    model = objective.model
    T, M, entries = _user_maps(model, units.scale)
    W, b = est.model_.coef_intercept()
    theta = np.append(W, b[None, :], axis=0)[tuple(np.array(entries).T)]
    phi = M @ theta
    eta = objective.eta(phi)
    H = model.gram(objective.X, lambda rows: objective.curvature(eta, rows, fisher))
    total = float(sw.sum())

    L, P, reported, first = _reporting(objective.dist, entries, len(theta))
    R = L @ T
    lam, V, d = _scaled_eigen(H)
    tol = NULL_RTOL * max(lam.max(), 0.0)
    null, negative = ~(np.abs(lam) > tol), lam < -tol
    keep = V[:, lam > tol] / d[:, None]
    H_plus = (keep / lam[lam > tol]) @ keep.T
    # cov = F·Fᵀ; F's rows are on the parameters' own scale, even where their
    # variances (a column of magnitude 1e300) are not representable
    F = R @ (keep / np.sqrt(lam[lam > tol] * total))
    names = _names(est, objective.dist, reported, first)
    flags = {
        "singular": _involved(R, V[:, null] / d[:, None]),
        "negative": _involved(R, V[:, negative] / d[:, None]),
        "separated": _involved(R, _separating_direction(est, objective, eta)),
        "boundary": _at_guard(objective, eta)[[j for _, j in reported]],
    }
    bad = np.logical_or.reduce(list(flags.values()))
    F[bad] = np.nan
    _warn_unidentified(names, flags)
    # (Not for a likelihood that is not smooth: the Laplace's gradient need
    # not vanish at its maximum.)
    grad = objective(phi)[1]
    gap = 0.5 * total * float(grad @ H_plus @ grad) if dist.has_hessian else 0.0
    if gap > SCORE_GAP_TOL and not flags["separated"].any():
        warnings.warn(
            f"The fitted parameters are not the maximum-likelihood estimate on these "
            f"data: moving them would raise the log-likelihood by about {gap:.3g}. "
            "Standard errors are those of the maximum on the data the estimator "
            "was fitted on (with its sample_weight); pass those, or refit (the "
            "fit may not have converged).",
            UserWarning,
            stacklevel=external_stacklevel(),
        )
    G = M @ P
    with np.errstate(over="ignore", invalid="ignore"):  # (inf: not representable)
        information = G.T @ H @ G * total
    return Information(
        names=names,
        params=L @ theta,
        information=information,
        cov_factor=F,
        rank=int(np.sum(lam > tol)),
        unidentified=[name for name, flag in zip(names, bad) if flag],
        llf=-total * est.nll(X, y, sample_weight),
        nobs=total,
        score_gap=gap,
        blocks=_blocks(reported, model.n_features),
    )


def _involved(R, directions):
    """Which rows of R (reported parameters in φ) are not orthogonal to the
    directions (columns; None: none), by the cosine between them."""
    if directions is None or directions.shape[1] == 0:
        return np.zeros(R.shape[0], dtype=bool)
    R_unit = R / np.linalg.norm(R, axis=1)[:, None]
    D_unit = directions / np.linalg.norm(directions, axis=0)
    return np.abs(R_unit @ D_unit).max(axis=1) > INVOLVEMENT_TOL


def _at_guard(objective, eta):
    """(P,) bool: the columns of η the family's guard holds at the fit.

    There the likelihood has no maximum (a scale collapsed, the negative
    binomial's dispersion at 0) and the guard's curvature is not information.
    """
    guard = objective.dist.guard(eta)
    if guard is None:
        return np.zeros(eta.shape[1], dtype=bool)
    return np.any(guard[2][objective.w > 0] > 0, axis=0)


def _separating_direction(est, objective, eta):
    """For the logit models: a separating direction in φ (one column), or None.

    As the classifiers' own check after the fit (sklik._separation): gated on
    some sample's own class having a fitted probability within
    SEPARATION_GATE of one, and skipped for programmes beyond
    MAX_LP_NONZEROS.
    """
    if not is_classifier(est):
        return None
    used = objective.w > 0
    own_nll = objective.dist.nll(objective.y, eta)[used]
    if not np.any(own_nll <= -np.log1p(-SEPARATION_GATE)):
        return None
    model, n_classes = objective.model, max(eta.shape[1], 2)
    size = lp_size(int(used.sum()), model.n_features, n_classes, model.fit_intercept)
    if size > MAX_LP_NONZEROS:
        return None
    B = separating_direction(
        objective.X[np.flatnonzero(used)],
        objective.y[used].astype(np.intp),
        n_classes,
        fit_intercept=model.fit_intercept,
        offset=model.x_offset,
        scale=model.x_scale,
    )
    if B is None:
        return None
    if eta.shape[1] == 1:  # one logit: class 1 against class 0
        B = B[:, 1:]
    if not model.fit_intercept:
        B = np.vstack([B, np.zeros(B.shape[1])])
    return B[model.mask][:, None]


_REASONS = {
    "singular": "the information matrix is singular in directions involving {} "
    "(collinear or constant columns: the data determine only combinations of "
    "them; drop the redundant columns)",
    "negative": "the information matrix has negative curvature in directions "
    "involving {} (not a maximum of the likelihood: refit, with more iterations)",
    "separated": "the classes are separable along a direction involving {} (the "
    "maximum-likelihood values are infinite and the fitted ones arbitrary; "
    "alpha > 0 gives a finite fit, without standard errors)",
    "boundary": "the fit of {} stopped at a boundary where the likelihood has no "
    "maximum (a collapsed scale, or the negative binomial's dispersion at 0, "
    "where the Poisson is the model; the fit warned)",
}


def _warn_unidentified(names, flags):
    reasons = [
        _REASONS[kind].format([n for n, f in zip(names, flagged) if f])
        for kind, flagged in flags.items()
        if flagged.any()
    ]
    if reasons:
        warnings.warn(
            "Some parameters are not identified, and their standard errors are "
            f"NaN: {'; '.join(reasons)}.",
            NotIdentifiedWarning,
            stacklevel=external_stacklevel(),
        )


def _labels(est, dist):
    """What each column of η is called in the parameter names."""
    classes = getattr(est, "classes_", None)
    if classes is not None and len(classes) == dist.n_params > 1:
        return [str(c) for c in classes]  # the logits of the classes
    return list(dist.param_names)


def _names(est, dist, reported, first):
    labels = _labels(est, dist)
    features = getattr(est, "feature_names_in_", None)
    if features is None:
        features = [f"x{i}" for i in range(est.n_features_in_)]
    names = []
    for r, j in reported:
        param = labels[j] if j not in first else f"{labels[j]} vs {labels[first[j]]}"
        names.append(f"{param}:{'intercept' if r == len(features) else features[r]}")
    return names


def _blocks(reported, n_features):
    """Per column of η: (column, slice of the reported vector, has an intercept)."""
    out, start = [], 0
    columns = [j for _, j in reported]
    for j in dict.fromkeys(columns):
        count = columns.count(j)
        out.append((j, slice(start, start + count), reported[start][0] == n_features))
        start += count
    return out
