"""The normal mixture's predictive distribution (see :mod:`._predictive`)."""

import numpy as np
from scipy import special, stats

from sklik.distributions._predictive import (
    _array_text,
    _as_params,
    _Frozen,
    _random_state,
)


class NormalMixtureDistribution(_Frozen):
    r"""Mixture of K normals per sample: Σ_k w_k N(μ_k, σ_k²).

    Parameters
    ----------
    weights : array_like of shape (n, K)
        Mixing weights, non-negative, each row summing to one within 1e-8
        (they are then divided by the sum). A 1-D (K,) array is one mixture.
    locs : array_like of shape (n, K)
        Component means, finite.
    scales : array_like of shape (n, K)
        Component standard deviations, positive and finite.

    Notes
    -----
    ``logpdf``, ``logcdf`` and ``logsf`` are log-sum-exps over the
    components; ``ppf`` solves log cdf(y) = log q (log sf for q > 1/2) by
    Newton's method safeguarded by bisection inside the bracket of the
    component quantiles, vectorised over the samples, to a relative 1e-14.
    With K = 1 every method gives scipy's ``norm`` exactly.

    Examples
    --------
    >>> import numpy as np
    >>> from sklik.distributions._mixture_predictive import NormalMixtureDistribution
    >>> weights = [[0.5, 0.5], [0.9, 0.1]]
    >>> locs, scales = [[-1.0, 1.0], [0.0, 5.0]], [[0.5, 0.5], [1.0, 2.0]]
    >>> dist = NormalMixtureDistribution(weights, locs, scales)
    >>> dist.mean(), dist.var()
    (array([0. , 0.5]), array([1.25, 3.55]))
    >>> dist.cdf(dist.ppf(0.3))
    array([0.3, 0.3])
    >>> dist.rvs(size=(4, 2), random_state=0).shape
    (4, 2)
    """

    def __init__(self, weights, locs, scales):
        names = ("weights", "locs", "scales")
        weights, locs, scales = _as_params(names, weights, locs, scales)
        if weights.ndim == 0:
            raise ValueError("weights, locs and scales need an axis of K components")
        if not np.all(np.isfinite(weights) & (weights >= 0)):
            raise ValueError("weights must be finite and non-negative")
        total = weights.sum(axis=-1, keepdims=True)
        if not np.all(np.abs(total - 1.0) <= 1e-8):
            raise ValueError("each row of weights must sum to 1 (within 1e-8)")
        if not np.all(np.isfinite(locs)):
            raise ValueError("locs must be finite")
        if not np.all(np.isfinite(scales) & (scales > 0)):
            raise ValueError("scales must be positive and finite")
        self.weights, self.locs, self.scales = weights / total, locs, scales
        self._batch_shape = weights.shape[:-1]

    @property
    def kwds(self) -> dict:
        """The parameters by name."""
        return {"weights": self.weights, "locs": self.locs, "scales": self.scales}

    def __repr__(self) -> str:
        return (
            f"NormalMixtureDistribution(n_components={self.weights.shape[-1]}, "
            f"weights={_array_text(self.weights)}, locs={_array_text(self.locs)}, "
            f"scales={_array_text(self.scales)})"
        )

    def _log_weights(self):
        with np.errstate(divide="ignore"):
            return np.log(self.weights)

    def _per_component(self, method, y):
        """scipy's norm.<method> of y against every component, shape (..., K)."""
        y = np.asarray(y, dtype=float)[..., None]
        return getattr(stats.norm, method)(y, self.locs, self.scales)

    def logpdf(self, y) -> np.ndarray:
        """log density, a log-sum-exp over the components."""
        terms = self._log_weights() + self._per_component("logpdf", y)
        return special.logsumexp(terms, axis=-1)[()]

    def pdf(self, y) -> np.ndarray:
        """Density Σ w_k φ_k(y)."""
        return (self.weights * self._per_component("pdf", y)).sum(axis=-1)[()]

    def cdf(self, y) -> np.ndarray:
        """Σ w_k Φ_k(y)."""
        return (self.weights * self._per_component("cdf", y)).sum(axis=-1)[()]

    def sf(self, y) -> np.ndarray:
        """Σ w_k (1 - Φ_k(y)), accurate in the upper tail."""
        return (self.weights * self._per_component("sf", y)).sum(axis=-1)[()]

    def logcdf(self, y) -> np.ndarray:
        """log cdf, a log-sum-exp (accurate in the lower tail)."""
        terms = self._log_weights() + self._per_component("logcdf", y)
        return special.logsumexp(terms, axis=-1)[()]

    def logsf(self, y) -> np.ndarray:
        """log sf, a log-sum-exp (accurate in the upper tail)."""
        terms = self._log_weights() + self._per_component("logsf", y)
        return special.logsumexp(terms, axis=-1)[()]

    def ppf(self, q) -> np.ndarray:
        """Quantile function, by safeguarded Newton steps (see Notes)."""
        q = np.asarray(q, dtype=float)
        shape = np.broadcast_shapes(q.shape, self._batch_shape)
        n_comp = self.weights.shape[-1]
        q = np.broadcast_to(q, shape).ravel()
        w, loc, scale = (
            np.broadcast_to(a, (*shape, n_comp)).reshape(-1, n_comp)
            for a in (self.weights, self.locs, self.scales)
        )
        out = np.full(q.shape, np.nan)
        out[q == 0] = -np.inf
        out[q == 1] = np.inf
        inner = np.flatnonzero((q > 0) & (q < 1))
        component_q = stats.norm.ppf(q[inner, None], loc[inner], scale[inner])
        used = w[inner] > 0
        lo = np.where(used, component_q, np.inf).min(axis=1)
        hi = np.where(used, component_q, -np.inf).max(axis=1)
        out[inner] = lo
        open_ = lo < hi  # K = 1 (or equal quantiles): the bracket is the answer
        rows = inner[open_]
        out[rows] = _solve_quantile(
            q[rows], w[rows], loc[rows], scale[rows], lo[open_], hi[open_]
        )
        return out.reshape(shape)[()]

    def rvs(self, size=None, random_state=None) -> np.ndarray:
        """Draws of shape ``size``: a component by its weight, then its normal."""
        shape = self._rvs_shape(size)
        rng = _random_state(random_state)
        n_comp = self.weights.shape[-1]
        cum = np.cumsum(np.broadcast_to(self.weights, (*shape, n_comp)), axis=-1)
        cum /= cum[..., -1:]  # a last zero weight can never be drawn
        u = rng.random(shape)
        k = (u[..., None] >= cum[..., :-1]).sum(axis=-1, keepdims=True)
        loc = np.take_along_axis(np.broadcast_to(self.locs, cum.shape), k, -1)
        scale = np.take_along_axis(np.broadcast_to(self.scales, cum.shape), k, -1)
        return (loc[..., 0] + scale[..., 0] * rng.standard_normal(shape))[()]

    def mean(self) -> np.ndarray:
        """Σ w_k μ_k."""
        return (self.weights * self.locs).sum(axis=-1)[()]

    def var(self) -> np.ndarray:
        """Law of total variance: Σ w_k σ_k² + Σ w_k (μ_k - mean)²."""
        centred = self.locs - (self.weights * self.locs).sum(axis=-1, keepdims=True)
        return (self.weights * (self.scales**2 + centred**2)).sum(axis=-1)[()]

    def support(self) -> tuple[np.ndarray, np.ndarray]:
        """(-inf, inf) for every sample."""
        inf = np.full(self._batch_shape, np.inf)
        return (-inf)[()], inf[()]


def _solve_quantile(q, w, loc, scale, lo, hi, max_iter=200):
    """Root y of log cdf(y) = log q for each row, y in the bracket [lo, hi].

    For q > 1/2 the mixture is reflected (y -> -y, q -> 1 - q, computed
    exactly), so the equation is always on a lower tail, where log cdf is
    accurate. H(y) = log cdf(y) - log q increases with H' = pdf/cdf; each step
    is Newton's unless it leaves the bracket or does not halve the step before
    last (then bisection), as Numerical Recipes' rtsafe.
    """
    upper = q > 0.5
    sign = np.where(upper, -1.0, 1.0)
    loc = loc * sign[:, None]
    lo, hi = np.where(upper, -hi, lo), np.where(upper, -lo, hi)
    target = np.where(upper, np.log1p(-q), np.log(q))
    log_w = np.log(w, where=w > 0, out=np.full_like(w, -np.inf))
    log_w_pdf = log_w - np.log(scale) - 0.5 * np.log(2 * np.pi)
    y = 0.5 * (lo + hi)
    step_old = hi - lo
    active = np.arange(q.size)
    for _ in range(max_iter):
        if active.size == 0:
            break
        yc = y[active]
        z = (yc[:, None] - loc[active]) / scale[active]
        log_cdf = special.logsumexp(log_w[active] + special.log_ndtr(z), axis=1)
        log_pdf = special.logsumexp(log_w_pdf[active] - 0.5 * z * z, axis=1)
        h = log_cdf - target[active]
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            step = h / np.exp(log_pdf - log_cdf)
        lo[active] = np.where(h < 0, yc, lo[active])
        hi[active] = np.where(h > 0, yc, hi[active])
        y_new = yc - step
        tol = 1e-14 * (np.abs(yc) + scale[active].min(axis=1))
        done = (h == 0) | (np.abs(step) <= tol)  # a Newton step within tol: taken
        newton = (y_new > lo[active]) & (y_new < hi[active])
        newton &= np.abs(step) <= 0.5 * np.abs(step_old[active])
        bisect = 0.5 * (lo[active] + hi[active])
        y_new = np.where(newton | done, y_new, bisect)
        step_old[active] = np.where(newton, step, hi[active] - lo[active])
        done |= hi[active] - lo[active] <= tol
        y[active] = np.where(h == 0, yc, y_new)
        active = active[~done]
    return sign * y
