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
