"""Predictive distributions of sklik's own, for the families scipy does not have.

Each behaves like a frozen, vectorised ``scipy.stats`` distribution whose
parameters are arrays with one entry (or row) per sample: the methods
broadcast their argument against the parameters as scipy's do, ``rvs``
follows scipy's ``size`` convention, and the objects are plain classes of
numpy arrays, so they pickle.
"""

import numpy as np
from scipy import special, stats


def _random_state(random_state):
    """A numpy Generator or RandomState from None, a seed or either of them."""
    if isinstance(random_state, np.random.Generator | np.random.RandomState):
        return random_state
    return np.random.default_rng(random_state)


def _as_params(names, *values):
    """Float64 copies of the parameters, broadcast together, or a ValueError."""
    arrays = [np.asarray(v, dtype=float) for v in values]
    try:
        return [np.array(a) for a in np.broadcast_arrays(*arrays)]
    except ValueError:
        shapes = ", ".join(f"{n} {a.shape}" for n, a in zip(names, arrays))
        raise ValueError(f"the shapes of {shapes} do not broadcast") from None


class _Frozen:
    """What the frozen distributions share: quantile summaries and rvs shapes."""

    _batch_shape: tuple[int, ...] = ()

    def std(self) -> np.ndarray:
        """Standard deviation, ``sqrt(var())``."""
        return np.sqrt(self.var())

    def median(self) -> np.ndarray:
        """Median, ``ppf(0.5)``."""
        return self.ppf(0.5)

    def interval(self, confidence) -> tuple[np.ndarray, np.ndarray]:
        """Equal-tailed interval ``(ppf((1 - c)/2), ppf((1 + c)/2))``, as scipy."""
        confidence = np.asarray(confidence, dtype=float)
        if np.any((confidence < 0) | (confidence > 1)):
            raise ValueError("confidence must be between 0 and 1 inclusive")
        return self.ppf((1.0 - confidence) / 2), self.ppf((1.0 + confidence) / 2)

    def _rvs_shape(self, size) -> tuple[int, ...]:
        if size is None:
            return self._batch_shape
        shape = (int(size),) if np.ndim(size) == 0 else tuple(int(s) for s in size)
        try:
            matches = np.broadcast_shapes(shape, self._batch_shape) == shape
        except ValueError:
            matches = False
        if not matches:
            raise ValueError(
                f"size {shape} does not match the broadcast shape of the "
                f"parameters {self._batch_shape}"
            )
        return shape


def _array_text(a) -> str:
    return np.array2string(np.asarray(a), precision=6, threshold=6, separator=", ")


class ZeroInflatedPoissonDistribution(_Frozen):
    r"""Zero-inflated Poisson: a structural zero with probability π, else Poisson(λ).

    .. math::

        \Pr(0) = \pi + (1 - \pi) e^{-\lambda}, \qquad
        \Pr(k) = (1 - \pi)\, e^{-\lambda} \lambda^k / k! \quad (k \ge 1).

    Mean (1 - π)λ, variance (1 - π)λ(1 + πλ). :meth:`logpmf` takes any real
    y ≥ 0 as the engine's negative log-likelihood does: for y > 0 the Poisson
    term is y·log λ - λ - lgamma(y + 1), the continuous extension scikit-learn's
    Poisson deviance uses too (scipy's ``poisson.logpmf`` is -inf off the
    integers); it is -inf for y < 0. ``cdf``, ``sf`` and ``ppf`` are those of
    the discrete law (``cdf(y) = cdf(floor(y))``).

    Parameters
    ----------
    rate : array_like
        λ ≥ 0, finite.
    zero_prob : array_like
        π in [0, 1]; broadcast with ``rate``.

    Examples
    --------
    >>> import numpy as np
    >>> from sklik.distributions._predictive import ZeroInflatedPoissonDistribution
    >>> dist = ZeroInflatedPoissonDistribution([2.0, 0.5], [0.25, 0.0])
    >>> dist.pmf(0)
    array([0.35150146, 0.60653066])
    >>> dist.mean(), dist.var()
    (array([1.5, 0.5]), array([2.25, 0.5 ]))
    >>> dist.ppf([0.5, 0.95])
    array([1., 2.])
    >>> dist.rvs(size=(3, 2), random_state=0).shape
    (3, 2)
    """

    def __init__(self, rate, zero_prob):
        rate, zero_prob = _as_params(("rate", "zero_prob"), rate, zero_prob)
        if not np.all(np.isfinite(rate) & (rate >= 0)):
            raise ValueError("rate must be finite and non-negative")
        if not np.all((zero_prob >= 0) & (zero_prob <= 1)):
            raise ValueError("zero_prob must lie in [0, 1]")
        self.rate, self.zero_prob = rate, zero_prob
        self._batch_shape = rate.shape

    @property
    def kwds(self) -> dict:
        """The parameters by name."""
        return {"rate": self.rate, "zero_prob": self.zero_prob}

    def __repr__(self) -> str:
        return (
            f"ZeroInflatedPoissonDistribution(rate={_array_text(self.rate)}, "
            f"zero_prob={_array_text(self.zero_prob)})"
        )

    def _with(self, x):
        return np.broadcast_arrays(
            np.asarray(x, dtype=float), self.rate, self.zero_prob
        )

    @staticmethod
    def _log_p0(lam, pi):
        """log(π + (1-π)e^(-λ)) to full relative accuracy.

        The deficit d = (1-π)(1 - e^(-λ)) = 1 - Pr(0) is computed without
        cancellation. For d ≥ 1/2, log-sum-exp of log π and log(1-π) - λ;
        below, -λ + log1p(π·expm1(λ)) when π ≤ 1/4 (λ < log 3 there) and
        log1p(-d) otherwise. At π = 0 both of the first two are -λ exactly.
        """
        with np.errstate(divide="ignore"):
            d = (1.0 - pi) * -np.expm1(-lam)
            lse = np.logaddexp(np.log(pi), np.log1p(-pi) - lam)
            low_pi = -lam + np.log1p(pi * np.expm1(np.minimum(lam, 2.0)))
            return np.where(d >= 0.5, lse, np.where(pi <= 0.25, low_pi, np.log1p(-d)))

    def logpmf(self, y) -> np.ndarray:
        """Log-probability of y (see the class docstring for non-integer y)."""
        y, lam, pi = self._with(y)
        outside = (y < 0) | (y == np.inf)
        y_safe = np.where((y == 0) | outside, 1.0, y)  # nan stays nan
        with np.errstate(divide="ignore"):
            poisson = special.xlogy(y_safe, lam) - special.gammaln(y_safe + 1) - lam
            out = np.where(y == 0, self._log_p0(lam, pi), np.log1p(-pi) + poisson)
        return np.where(outside, -np.inf, out)[()]

    def pmf(self, y) -> np.ndarray:
        """Probability of y, ``exp(logpmf(y))``."""
        return np.exp(self.logpmf(y))

    def cdf(self, y) -> np.ndarray:
        """Pr(Y ≤ y) = π + (1 - π)·Poisson cdf, 0 below 0."""
        y, lam, pi = self._with(y)
        return np.where(y < 0, 0.0, pi + (1.0 - pi) * stats.poisson.cdf(y, lam))[()]

    def sf(self, y) -> np.ndarray:
        """Pr(Y > y) = (1 - π)·Poisson sf, 1 below 0 (accurate in the upper tail)."""
        y, lam, pi = self._with(y)
        return np.where(y < 0, 1.0, (1.0 - pi) * stats.poisson.sf(y, lam))[()]

    def logcdf(self, y) -> np.ndarray:
        """log Pr(Y ≤ y)."""
        y, lam, pi = self._with(y)
        with np.errstate(divide="ignore"):
            out = np.logaddexp(np.log(pi), np.log1p(-pi) + stats.poisson.logcdf(y, lam))
        return np.where(y < 0, -np.inf, out)[()]

    def logsf(self, y) -> np.ndarray:
        """log Pr(Y > y)."""
        y, lam, pi = self._with(y)
        with np.errstate(divide="ignore"):
            out = np.log1p(-pi) + stats.poisson.logsf(y, lam)
        return np.where(y < 0, 0.0, out)[()]

    def ppf(self, q) -> np.ndarray:
        """The smallest integer k with ``cdf(k) ≥ q`` (scipy's -1 at q = 0).

        Pr(0) takes the quantiles up to it; above, scipy's Poisson quantile
        of (q - π)/(1 - π), then a step up or down wherever rounding put it
        off the smallest k with ``cdf(k) ≥ q`` (this class's cdf).
        """
        q, lam, pi = (np.array(a) for a in self._with(q))
        out = np.full(q.shape, np.nan)
        out[q == 0] = -1.0
        out[q == 1] = np.inf
        inner = (q > 0) & (q < 1)
        q, lam, pi = q[inner], lam[inner], pi[inner]
        above = q > pi + (1.0 - pi) * np.exp(-lam)
        with np.errstate(divide="ignore", invalid="ignore"):
            rescaled = np.clip((q - pi) / (1.0 - pi), 0.0, np.nextafter(1.0, 0.0))
        k = np.where(above, stats.poisson.ppf(np.where(above, rescaled, 0.5), lam), 0.0)
        for _ in range(64):  # needed next to a jump: q just above Pr(0), say
            up = self._cdf_int(k, lam, pi) < q
            down = (k >= 1) & (self._cdf_int(k - 1, lam, pi) >= q)
            if not (up.any() or down.any()):
                break
            k = k + up - down
        out[inner] = k
        return out[()]

    @staticmethod
    def _cdf_int(k, lam, pi):
        return pi + (1.0 - pi) * stats.poisson.cdf(k, lam)

    def rvs(self, size=None, random_state=None) -> np.ndarray:
        """Random draws (int64) of shape ``size`` (default: the parameters' shape)."""
        shape = self._rvs_shape(size)
        rng = _random_state(random_state)
        zero = rng.random(shape) < np.broadcast_to(self.zero_prob, shape)
        counts = rng.poisson(np.broadcast_to(self.rate, shape), size=shape)
        return np.where(zero, 0, counts).astype(np.int64)[()]

    def mean(self) -> np.ndarray:
        """(1 - π)λ."""
        return ((1.0 - self.zero_prob) * self.rate)[()]

    def var(self) -> np.ndarray:
        """(1 - π)λ(1 + πλ)."""
        pi, lam = self.zero_prob, self.rate
        return ((1.0 - pi) * lam * (1.0 + pi * lam))[()]

    def support(self) -> tuple[np.ndarray, np.ndarray]:
        """(0, inf) for every sample."""
        zeros = np.zeros(self._batch_shape)
        return zeros[()], (zeros + np.inf)[()]


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
    >>> from sklik.distributions._predictive import NormalMixtureDistribution
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
