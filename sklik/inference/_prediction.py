"""Confidence intervals for the predicted mean, by the delta method."""

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

#: Relative step of the central differences of the mean w.r.t. η (families
#: whose mean is a function of several parameters: error ~1e-10 relative).
_STEP = 1e-6


@dataclass(frozen=True)
class MeanPrediction:
    """The predicted mean with its standard error and confidence interval.

    Attributes
    ----------
    mean : ndarray of shape (n_samples,)
        The predictive mean (what the estimator's ``predict`` returns).
    mean_se : ndarray of shape (n_samples,)
        Its delta-method standard error.
    mean_ci_lower, mean_ci_upper : ndarray of shape (n_samples,)
        The confidence interval: computed on the scale named by ``scale``
        and mapped back, so it respects the mean's range (and is not
        symmetric about the mean).
    scale : str
        Where the interval is symmetric: ``"link"`` (the link of the
        family's first parameter, when the mean is that parameter, as in
        statsmodels' ``get_prediction().summary_frame()`` for GLMs), else
        ``"log"`` (a positive mean of several parameters: zero-inflated
        Poisson, lognormal) or ``"identity"``.
    """

    mean: np.ndarray
    mean_se: np.ndarray
    mean_ci_lower: np.ndarray
    mean_ci_upper: np.ndarray
    scale: str


def _design(X, blocks, n_features):
    """Per column of η: (column, slice of params, its design matrix Z)."""
    ones = np.ones((X.shape[0], 1))
    if sp.issparse(X):
        ones = sp.csr_matrix(ones)
    out = []
    for j, sl, has_intercept in blocks:
        count = sl.stop - sl.start
        parts = [ones] if has_intercept else []
        if count - has_intercept == n_features:
            parts.append(X)
        Z = sp.hstack(parts, format="csr") if sp.issparse(X) else np.hstack(parts)
        out.append((j, sl, Z))
    return out


def eta_covariance(X, factor, blocks, n_features, columns) -> np.ndarray:
    """Cov(ηᵢ) of the given columns of η, shape (n, len(columns), len(columns)).

    From the factor F of the parameters' covariance (F·Fᵀ): ηᵢⱼ's loading on
    it is zᵢⱼ·F, of ordinary magnitude whatever the columns' units.
    """
    design = {j: (sl, Z) for j, sl, Z in _design(X, blocks, n_features)}
    loads = [np.asarray(design[j][1] @ factor[design[j][0]]) for j in columns]
    return np.einsum("aiq,biq->iab", np.array(loads), np.array(loads))


def predict_mean(estimator, factor, blocks, X, z) -> MeanPrediction:
    """The delta-method interval of the predicted mean (see MeanPrediction)."""
    dist = estimator.distribution_
    if dist.shift_invariant:
        raise ValueError(
            f"{type(estimator).__name__} predicts class labels, whose mean is not a "
            "quantity to estimate; the class probabilities are predict_proba."
        )
    X = estimator._validate_X(X)
    eta = estimator.model_.predict_eta(X)
    mean = dist.mean(eta)
    first = dist.theta(eta)[:, 0]
    turns = np.round((mean - first) / (2 * np.pi)) * 2 * np.pi  # circular loc
    gap = np.abs(mean - first - turns)
    if dist.links and np.all(gap <= 1e-9 * (1.0 + np.abs(first))):
        link = dist.links[0]
        var = eta_covariance(X, factor, blocks, estimator.n_features_in_, [0])[:, 0, 0]
        se = np.sqrt(var)
        ends = [link.inverse(eta[:, 0] + s * z * se) + turns for s in (-1.0, 1.0)]
        mean_se = se * np.abs(link.inverse_derivative(eta[:, 0]))
        lower, upper = np.minimum(*ends), np.maximum(*ends)
        return MeanPrediction(mean, mean_se, lower, upper, "link")
    columns = list(range(dist.n_params))
    V = eta_covariance(X, factor, blocks, estimator.n_features_in_, columns)
    log = bool(np.all(mean > 0))
    g = np.log(mean) if log else mean
    grad = np.empty(eta.shape)
    for j in columns:
        h = _STEP * np.maximum(1.0, np.abs(eta[:, j]))
        up, down = eta.copy(), eta.copy()
        up[:, j] += h
        down[:, j] -= h
        g_up, g_down = dist.mean(up), dist.mean(down)
        if log:
            g_up, g_down = np.log(g_up), np.log(g_down)
        grad[:, j] = (g_up - g_down) / (2 * h)
    se = np.sqrt(np.einsum("ij,ijk,ik->i", grad, V, grad))
    if log:
        lower, upper = np.exp(g - z * se), np.exp(g + z * se)
        return MeanPrediction(mean, se * mean, lower, upper, "log")
    return MeanPrediction(mean, se, g - z * se, g + z * se, "identity")
