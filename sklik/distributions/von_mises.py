"""Von Mises distribution of angles: loc (half-tangent) and concentration (log)."""

import copy

import numpy as np
from scipy import special, stats

from sklik.distributions._base import Distribution
from sklik.distributions._bessel import (
    _ALPHA,
    _ASYMPTOTIC_FROM,
    bessel_ratio,
    bessel_ratio_derivative,
    log_bessel_i0,
)
from sklik.distributions._support import CIRCLE
from sklik.links import HalfTangent, Log

_LOG_2PI = np.log(2.0 * np.pi)
#: log κ is evaluated in this range (κ from 1e-304 to 1e304).
_LOG_KAPPA_RANGE = (-700.0, 700.0)
#: The guard acts where κ exceeds the training angles' own concentration
#: 1e20-fold: a circular spread 1e-10 times theirs, as the location-scale
#: guard's σ at 1e-10 of y's spread (κ ~ 1/σ²).
_LOG_GUARD = np.log(1e20)
#: ... and the fit is called degenerate 1e14-fold above it (spread 1e-7).
_LOG_DEGENERATE = np.log(1e14)
#: Lowest log κ init_eta returns: below, the gradient is O(κ²) < 1e-17.
_LOG_KAPPA_START_FLOOR = -20.0
_ALPHA_F = tuple(float(x) for x in _ALPHA)  # 1 - A(κ) ~ Σ α_n κ^-n, κ ≥ 25


def one_minus_bessel_ratio(kappa):
    """1 - A(κ) = 1 - I1(κ)/I0(κ) with full relative accuracy (κ ≥ 0).

    Directly below κ = 25 (it is above 0.02 there); above, the asymptotic
    series of ``_special`` (1 - A ≈ 1/(2κ), where 1 - I1/I0 would lose
    log10(2κ) digits).

    Examples
    --------
    >>> float(one_minus_bessel_ratio(1e10))
    5.000000000125e-11
    """
    kappa = np.asarray(kappa, dtype=np.float64)
    far = kappa >= _ASYMPTOTIC_FROM
    inv = 1.0 / np.where(far, kappa, _ASYMPTOTIC_FROM)
    series = _horner(_ALPHA_F[1:], inv) * inv
    return np.where(far, series, 1.0 - bessel_ratio(np.where(far, 1.0, kappa)))


def _kappa_terms(t, level=1):
    """κ = e^t (t clipped) and what the η fast paths need of it, each computed once.

    Level 0: κ and log(e^-κ I0(κ)); 1: also 1 - A(κ) and κ·A(κ); 2: also
    κ²·A'(κ), the Fisher information of log κ (→ 1/2 as κ → ∞). For κ ≥ 25
    both come from the asymptotic series of 1 - A; below, κ²A' =
    κ²(1 - A)(1 + A) - κA, which cancels to at most 4e-13 relative (measured
    against mpmath), where the quadrature of ``bessel_ratio_derivative``
    (exact) costs 64 exponentials per sample: that is used for a constant κ,
    computed once for all samples.
    """
    if t.size > 1 and t[0] == t[-1] and np.all(t == t[0]):
        return [np.broadcast_to(f, t.shape) for f in _kappa_terms(t[:1], level)]
    kappa = np.exp(np.clip(t, *_LOG_KAPPA_RANGE))
    i0e = special.i0e(kappa)
    out = [kappa, np.log(i0e)]
    if level < 1:
        return out
    a = special.i1e(kappa) / i0e
    one_m_a = 1.0 - a
    far = np.flatnonzero(kappa >= _ASYMPTOTIC_FROM)
    inv = 1.0 / kappa[far]
    one_m_a[far] = _horner(_ALPHA_F[1:], inv) * inv  # Σ_(n≥1) α_n κ^-n
    a[far] = 1.0 - one_m_a[far]
    out += [one_m_a, kappa * a]
    if level < 2:
        return out
    near = np.minimum(kappa, _ASYMPTOTIC_FROM)  # (the far entries are replaced)
    if kappa.size == 1:
        k2da = near * near * bessel_ratio_derivative(near)
    else:
        k2da = near * (near * one_m_a * (1.0 + a) - a)
    # Σ_(n≥1) n α_n κ^(1-n)
    k2da[far] = _horner([n * _ALPHA_F[n] for n in range(1, len(_ALPHA_F))], inv)
    return [*out, k2da]


def _horner(coefs, x):
    """Σ_i coefs[i]·x^i."""
    acc = np.zeros_like(x)
    for c in reversed(coefs):
        acc = acc * x + c
    return acc


def _wrap(angle):
    return np.pi - np.mod(np.pi - angle, 2.0 * np.pi)


class VonMises(Distribution):
    r"""Von Mises distribution of angles: loc μ (half-tangent), concentration κ (log).

    .. math::

        -\log \Pr(y \mid \mu, \kappa) = -\kappa\cos(y - \mu) + \log 2\pi
        + \log I_0(\kappa),
        \qquad \mu = c + 2\arctan\eta_0, \quad \kappa = e^{\eta_1},

    for angles y in radians, taken modulo 2π into (-π, π] (any finite y is
    accepted). scipy's ``stats.vonmises(kappa, loc)``; R's
    ``circular::dvonmises(mu, kappa)``; statsmodels has none.

    The link of the location is sklik's choice (the API leaves it open): the
    half-tangent link of Fisher & Lee (1992), μ = c + 2·arctan(η), with the
    center c the weighted circular mean of the training angles (set by
    :meth:`for_data`). An x-dependent location then moves around the whole
    circle from the circular mean, every direction except its antipode,
    and η = 0 (no effect of x) is the circular mean itself. The link is
    one-to-one, so the maximum-likelihood fit is that of the stated model.

    ``predict`` returns the location wrapped into (-π, π]; ``return_std``
    the circular standard deviation √(-2 log A(κ)) with A = I1/I0 the mean
    resultant length (≈ 1/√κ for large κ, infinite at κ = 0, the uniform
    distribution). Curvature: Fisher information diag(κA(κ), A'(κ)) in
    (μ, κ), analytic, and the observed Hessian.

    Where the location can fit every angle exactly, the likelihood grows
    without bound as κ → ∞: a guard acts 1e20-fold above the training
    angles' own concentration (a spread 1e-10 of theirs, as the
    location-scale families' σ guard), and the fit warns.

    Parameters
    ----------
    center : float, default=0.0
        c, the angle at η = 0 of the location's link.
    concentration_unit : float, default=1.0
        The training angles' own concentration, 1/(2(1 - R̄)) with R̄ their
        mean resultant length (at least 1), to which the guard is relative.

    Examples
    --------
    >>> import numpy as np
    >>> from scipy import stats
    >>> from sklik.distributions import VonMises
    >>> y = np.array([0.1, 0.4, -0.2, 6.2])  # 6.2 is the angle 6.2 - 2π
    >>> dist = VonMises().for_data(VonMises.support.check(y, "von_mises"), np.ones(4))
    >>> round(dist.center, 6), round(float(stats.circmean(y, np.pi, -np.pi)), 6)
    (0.053253, 0.053253)
    >>> eta = np.array([[0.0, np.log(8.0)]])  # η = 0: the location is the center
    >>> float(dist.nll(np.array([0.5]), eta)[0])
    0.68112284001...
    >>> float(-stats.vonmises(8.0, loc=dist.center).logpdf(0.5))
    0.68112284001...
    """

    param_names = ("loc", "concentration")
    support = CIRCLE

    def __init__(self, center: float = 0.0, concentration_unit: float = 1.0):
        self.center = center
        self.concentration_unit = concentration_unit

    @property
    def links(self):
        return (HalfTangent(self.center), Log())

    def __repr__(self) -> str:
        if self.center == 0.0 and self.concentration_unit == 1.0:
            return "VonMises()"
        return (
            f"VonMises(center={self.center!r}, "
            f"concentration_unit={self.concentration_unit!r})"
        )

    def for_data(self, y, sample_weight):
        """A copy centred on the weighted circular mean of y (angles in (-π, π])."""
        mean, _, spread = _circular_moments(y, sample_weight)
        out = copy.copy(self)
        out.center = float(mean)
        out.concentration_unit = float(max(1.0, 0.5 / spread)) if spread > 0 else 1.0
        return out

    # -- on θ ------------------------------------------------------------------
    def nll_grad_theta(self, y, theta):
        mu, kappa = theta[:, 0], theta[:, 1]
        d = y - mu
        nll = -kappa * np.cos(d) + _LOG_2PI + log_bessel_i0(kappa)
        grad = np.column_stack([-kappa * np.sin(d), bessel_ratio(kappa) - np.cos(d)])
        return nll, grad

    def hessian_theta(self, y, theta):
        mu, kappa = theta[:, 0], theta[:, 1]
        d = y - mu
        out = np.empty((len(mu), 2, 2))
        out[:, 0, 0] = kappa * np.cos(d)
        out[:, 0, 1] = out[:, 1, 0] = -np.sin(d)
        out[:, 1, 1] = bessel_ratio_derivative(kappa)
        return out

    def fisher_theta(self, theta):
        kappa = theta[:, 1]
        out = np.zeros((len(kappa), 2, 2))
        out[:, 0, 0] = kappa * bessel_ratio(kappa)
        out[:, 1, 1] = bessel_ratio_derivative(kappa)
        return out

    def scipy_from_theta(self, theta):
        # loc wrapped into (-π, π], as predict gives it (the density is periodic)
        return stats.vonmises(kappa=theta[:, 1], loc=_wrap(theta[:, 0]))

    def start_theta(self, y, sample_weight):
        mean, resultant, spread = _circular_moments(y, sample_weight)
        return np.array([mean, np.exp(_best_fisher_log_kappa(resultant, spread))])

    # -- fast paths on η ---------------------------------------------------------
    def _residual(self, y, eta):
        """d = y - μ, 1 - cos d = 2 sin²(d/2) and the link's h'(η)."""
        e = eta[:, 0]
        d = y - (self.center + 2.0 * np.arctan(e))
        half = np.sin(0.5 * d)
        with np.errstate(over="ignore"):
            dh = 2.0 / (1.0 + e * e)
        return d, 2.0 * half * half, dh

    def nll(self, y, eta):
        kappa, log_i0e = _kappa_terms(eta[:, 1], 0)
        one_m_cos = self._residual(y, eta)[1]
        # κ(1 - cos d) + log(e^-κ I0(κ)): no cancellation for large κ
        return kappa * one_m_cos + _LOG_2PI + log_i0e

    def nll_grad(self, y, eta):
        kappa, log_i0e, one_m_a, _ = _kappa_terms(eta[:, 1])
        d, one_m_cos, dh = self._residual(y, eta)
        grad = np.empty((len(d), 2))
        grad[:, 0] = -kappa * np.sin(d) * dh
        grad[:, 1] = kappa * (one_m_cos - one_m_a)
        return kappa * one_m_cos + _LOG_2PI + log_i0e, grad

    def hessian(self, y, eta):
        kappa, _, one_m_a, _, k2da = _kappa_terms(eta[:, 1], 2)
        d, one_m_cos, dh = self._residual(y, eta)
        e = eta[:, 0]
        with np.errstate(over="ignore", invalid="ignore"):
            d2h = -e * dh * dh
        sin_d = np.sin(d)
        out = np.empty((len(d), 2, 2))
        out[:, 0, 0] = kappa * ((1.0 - one_m_cos) * dh * dh - sin_d * d2h)
        out[:, 0, 1] = out[:, 1, 0] = -kappa * sin_d * dh
        out[:, 1, 1] = k2da + kappa * (one_m_cos - one_m_a)
        return out

    def fisher(self, eta):
        _, _, _, k_a, k2da = _kappa_terms(eta[:, 1], 2)
        e = eta[:, 0]
        with np.errstate(over="ignore"):
            dh = 2.0 / (1.0 + e * e)
        out = np.zeros((len(e), 2, 2))
        out[:, 0, 0] = k_a * dh * dh
        out[:, 1, 1] = k2da
        return out

    def mean(self, eta):
        """The location, wrapped into (-π, π]."""
        return _wrap(self.center + 2.0 * np.arctan(eta[:, 0]))

    def std(self, eta):
        """The circular standard deviation √(-2 log A(κ)), A = I1/I0."""
        one_m_a = _kappa_terms(eta[:, 1])[2]
        with np.errstate(divide="ignore"):
            return np.sqrt(-2.0 * np.log1p(-one_m_a))

    def init_eta(self, y, sample_weight):
        """The intercept-only MLE: the circular mean and κ with A(κ) = R̄.

        Newton's method on log A(κ) = log R̄ (R̄ ≤ 1/2) or on
        log(1 - A(κ)) = log(1 - R̄) from Best & Fisher's approximation, with
        1 - R̄ computed as Σw·2sin²((y - ȳ)/2) (no cancellation). All angles
        equal (no maximum): log κ at the guard.
        """
        mean, resultant, spread = _circular_moments(y, sample_weight)
        eta_loc = float(np.tan(0.5 * _wrap(mean - self.center)))
        if not spread > 0:
            return np.array([eta_loc, np.log(self.concentration_unit) + _LOG_GUARD])
        if not resultant > 0:  # the uniform distribution: κ = 0
            return np.array([0.0, _LOG_KAPPA_START_FLOOR])
        t = _best_fisher_log_kappa(resultant, spread)
        for _ in range(50):
            kappa = np.exp(t)
            slope = kappa * bessel_ratio_derivative(kappa)
            if resultant <= 0.5:
                a = bessel_ratio(kappa)
                step = (np.log(resultant) - np.log(a)) * a / slope
            else:
                b = one_minus_bessel_ratio(kappa)
                step = -(np.log(spread) - np.log(b)) * b / slope
            t = t + float(np.clip(step, -5.0, 5.0))
            if abs(step) <= 1e-15 * max(1.0, abs(t)):
                break
        return np.array([eta_loc, max(float(t), _LOG_KAPPA_START_FLOOR)])

    # -- the unbounded likelihood -------------------------------------------------
    def guard(self, eta):
        above = np.maximum(
            eta[:, 1] - np.log(self.concentration_unit) - _LOG_GUARD, 0.0
        )
        if not above.any():
            return None
        grad = np.zeros(eta.shape)
        grad[:, 1] = above
        curvature = np.zeros(eta.shape)
        curvature[:, 1] = above > 0
        return 0.5 * above * above, grad, curvature

    def degenerate(self, eta):
        return eta[:, 1] > np.log(self.concentration_unit) + _LOG_DEGENERATE

    def degenerate_message(self, y, eta, sample_weight):
        used = sample_weight > 0
        collapsed = self.degenerate(eta) & used
        if not collapsed.any():
            return None
        return (
            f"The fitted {self.name} distribution is degenerate: its "
            "concentration is above 1e14 times the training angles' own (a "
            f"circular spread below 1e-7 of theirs) at {int(collapsed.sum())} of "
            f"{int(used.sum())} training samples, which the location fits "
            "exactly. There the likelihood has no maximum (it grows without "
            "bound as the concentration grows; sklik stops it at 1e20 times the "
            "angles' own), and the predictive intervals are absurdly narrow. Use "
            "more samples than parameters, alpha > 0, or fewer x-dependent "
            "parameters."
        )


def _circular_moments(y, sample_weight):
    """Weighted circular mean ȳ, mean resultant length R̄ and 1 - R̄.

    1 - R̄ = Σw(1 - cos(y - ȳ)) = Σw·2sin²((y - ȳ)/2), accurate when the
    angles are concentrated (R̄ near 1).
    """
    w = sample_weight / sample_weight.sum()
    c, s = w @ np.cos(y), w @ np.sin(y)
    mean = float(np.arctan2(s, c))
    half = np.sin(0.5 * (y - mean))
    return mean, float(np.hypot(c, s)), float(w @ (2.0 * half * half))


def _best_fisher_log_kappa(resultant, spread):
    """log κ from Best & Fisher's (1981) approximation to A⁻¹(R̄)."""
    r = resultant
    if r < 0.53:
        kappa = 2.0 * r + r**3 + 5.0 * r**5 / 6.0
    elif r < 0.85:
        kappa = -0.4 + 1.39 * r + 0.43 / spread
    else:
        kappa = 1.0 / (r * spread * (3.0 - r))
    return float(np.log(max(kappa, np.exp(_LOG_KAPPA_START_FLOOR))))
