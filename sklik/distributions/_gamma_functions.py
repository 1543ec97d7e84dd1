"""Stable pieces of log Γ and its derivatives for the gamma and beta families.

A gamma shape k or a beta precision φ can be large (near-deterministic
data): then ``lgamma(k) - k·log k`` and ``ψ(k) - log k`` are differences of
numbers far larger than their value, and ``ψ'(k) - 1/k ≈ 1/(2k²)`` keeps
none of its digits. Here every such difference is a function of its own,
from Stirling's series above ``_SERIES_FROM`` and from scipy's functions
below, where the cancellation costs at most two digits:

* :func:`stirling_rest` R(x) = lgamma(x) - (x - ½)·log x + x - ½·log 2π,
* :func:`x_log_minus_digamma` E(x) = x·(log x - ψ(x)), from 1 (x → 0) to ½,
* :func:`x2_trigamma_minus_x` Q(x) = x²·ψ'(x) - x, from 1 (x → 0) to ½,
* :func:`e_minus_q` P(x) = E(x) - Q(x) = x·E'(x), from 0 to 0,
* :func:`expm1mx` expm1(t) - t, accurate near t = 0.

Every function takes x > 0 with log x (so that an x that underflowed to 0
still has its finite log; below ``_TINY`` the limits as x → 0 are used)
and accepts x = inf. Also here: the guard for a precision that the
likelihood would send to infinity (every y equal to its fitted mean).
"""

import numpy as np
from scipy import special

from sklik.distributions._special import _BERNOULLI, _DIGAMMA_C, _LGAMMA_C, _terms

#: From here up Stirling's series (12 terms, fewer for large x) is used: its
#: truncation error is below 1e-20 there.
_SERIES_FROM = 10.0
#: Below this x the leading terms of the expansions at 0 are exact to rounding.
_TINY = 1e-100
_HALF_LOG_2PI = 0.5 * np.log(2.0 * np.pi)

# Q(x) = ½ + Σ_k B_2k x^(1-2k); P(x) = Σ_k (B_2k/(2k) - B_2k) x^(1-2k).
_TRIGAMMA_C = tuple(float(b) for b in _BERNOULLI)
_P_C = tuple(d - b for d, b in zip(_DIGAMMA_C, _TRIGAMMA_C))

#: log of the precision (gamma shape, beta φ) above which the guard acts:
#: a coefficient of variation below 1e-10, where no bounded likelihood of
#: double-precision data has its maximum.
LOG_PRECISION_GUARD = np.log(1e20)
#: log of the precision above which the fitted distribution is called
#: degenerate (coefficient of variation below 1e-7).
LOG_PRECISION_DEGENERATE = np.log(1e14)

# expm1(t) - t = t²·Σ_j t^j/(j+2)! for |t| ≤ _EXPM1MX_NEAR (17 terms: < 1e-18).
_EXPM1MX_NEAR = 0.5
_EXPM1MX_C = tuple(1.0 / float(np.prod(np.arange(1, j + 3))) for j in range(17))


def _horner(coefs, z):
    acc = np.full_like(z, coefs[-1])
    for c in reversed(coefs[:-1]):
        acc *= z
        acc += c
    return acc


def _series(coefs, x):
    """Σ_k coefs[k-1]·x^(1-2k) for x ≥ _SERIES_FROM (0 at x = inf)."""
    inv = 1.0 / x
    coefs = _terms(coefs, inv)
    return inv * _horner(coefs, inv * inv)


def _piecewise(x, log_x, tiny, small, large):
    """large(x) for x ≥ _SERIES_FROM, small(x, log x) between, tiny(x, log x) below.

    Each function returns an array or a tuple of arrays. Boolean indexing
    only where x has values on both sides (a constant shape is one value
    for every sample).
    """
    x = np.asarray(x, dtype=np.float64)
    log_x = np.asarray(log_x, dtype=np.float64)
    is_large = x >= _SERIES_FROM
    if is_large.all():
        return large(x)
    is_tiny = x < _TINY
    if not (is_large.any() or is_tiny.any()):
        return small(x, log_x)
    mid = ~(is_large | is_tiny)
    pieces = [
        (is_large, large(x[is_large])),
        (is_tiny, tiny(x[is_tiny], log_x[is_tiny])),
        (mid, small(x[mid], log_x[mid])),
    ]
    single = not isinstance(pieces[0][1], tuple)
    outs = [np.empty_like(x) for _ in range(1 if single else len(pieces[0][1]))]
    for mask, values in pieces:
        for out, value in zip(outs, (values,) if single else values):
            out[mask] = value
    return outs[0] if single else tuple(outs)


def stirling_rest(x, log_x):
    """R(x) = lgamma(x) - (x - ½)·log x + x - ½·log 2π (≈ 1/(12x) for large x).

    Examples
    --------
    >>> import numpy as np
    >>> from scipy.special import gammaln
    >>> x = np.array([0.5, 30.0])
    >>> bool(np.allclose(stirling_rest(x, np.log(x)) + (x - 0.5) * np.log(x) - x
    ...      + 0.5 * np.log(2 * np.pi), gammaln(x), rtol=1e-14))
    True
    """
    return _piecewise(
        x,
        log_x,
        lambda x, lx: -0.5 * lx - _HALF_LOG_2PI - x * lx + (1.0 - np.euler_gamma) * x,
        lambda x, lx: special.gammaln(x) - (x - 0.5) * lx + x - _HALF_LOG_2PI,
        lambda x: _series(_LGAMMA_C, x),
    )


def x_log_minus_digamma(x, log_x):
    """E(x) = x·(log x - ψ(x)): 1 at x = 0, ½ + 1/(12x) + … for large x."""
    return _piecewise(
        x,
        log_x,
        lambda x, lx: 1.0 + x * lx + np.euler_gamma * x,
        lambda x, lx: x * (lx - special.psi(x)),
        lambda x: 0.5 + _series(_DIGAMMA_C, x),
    )


def x2_trigamma_minus_x(x, log_x):
    """Q(x) = x²·ψ'(x) - x: 1 at x = 0, ½ + 1/(6x) + … for large x."""
    return _piecewise(
        x,
        log_x,
        lambda x, lx: 1.0 - x,
        lambda x, lx: x * x * special.zeta(2.0, x) - x,
        lambda x: 0.5 + _series(_TRIGAMMA_C, x),
    )


def e_minus_q(x, log_x):
    """P(x) = E(x) - Q(x) = x·E'(x): 0 at x = 0, -1/(12x) + … for large x."""
    return e_and_p(x, log_x)[1]


def e_and_p(x, log_x):
    """(E(x), P(x)) with one digamma and one trigamma per value."""

    def small(x, lx):
        e = x * (lx - special.psi(x))
        return e, e - (x * x * special.zeta(2.0, x) - x)

    return _piecewise(
        x,
        log_x,
        lambda x, lx: (
            1.0 + x * lx + np.euler_gamma * x,
            x * lx + (1 + np.euler_gamma) * x,
        ),
        small,
        lambda x: (0.5 + _series(_DIGAMMA_C, x), _series(_P_C, x)),
    )


def rest_and_e(x, log_x):
    """(R(x), E(x)) with the branches chosen once."""
    return _piecewise(
        x,
        log_x,
        lambda x, lx: (
            -0.5 * lx - _HALF_LOG_2PI - x * lx + (1.0 - np.euler_gamma) * x,
            1.0 + x * lx + np.euler_gamma * x,
        ),
        lambda x, lx: (
            special.gammaln(x) - (x - 0.5) * lx + x - _HALF_LOG_2PI,
            x * (lx - special.psi(x)),
        ),
        lambda x: (_series(_LGAMMA_C, x), 0.5 + _series(_DIGAMMA_C, x)),
    )


def expm1mx(t):
    """expm1(t) - t ≥ 0, to full relative accuracy near t = 0 (inf for t = inf).

    Examples
    --------
    >>> float(expm1mx(np.array(1e-9))) / 5e-19
    1.0000000003333...
    """
    t = np.asarray(t, dtype=np.float64)
    near = np.abs(t) <= _EXPM1MX_NEAR
    if near.all():
        return t * t * _horner(_EXPM1MX_C, t)
    with np.errstate(over="ignore"):
        far = np.expm1(t) - t
    if not near.any():
        return far
    tn = t[near]
    far[near] = tn * tn * _horner(_EXPM1MX_C, tn)
    return far


def per_value(function, x, log_x):
    """function(x, log x), computed once where x is one value for every sample
    (a precision that does not depend on x)."""
    if x.size > 1 and x[0] == x[-1] and np.ptp(x) == 0:
        out = function(x[:1], log_x[:1])
        if isinstance(out, tuple):
            return tuple(np.full(x.shape, o[0]) for o in out)
        return np.full(x.shape, out[0])
    return function(x, log_x)


def precision_guard(eta, column):
    """½(η - g)² above g = LOG_PRECISION_GUARD in ``column`` of η, or None.

    Where every y equals its fitted mean the likelihood grows without bound
    as the precision does; this penalty, zero below the guard (a coefficient
    of variation of 1e-10), keeps the fit finite. Returns the per-sample
    ``(value, gradient, curvature)`` of :meth:`Distribution.guard`.
    """
    above = np.maximum(eta[:, column] - LOG_PRECISION_GUARD, 0.0)
    if not above.any():
        return None
    grad = np.zeros(eta.shape)
    grad[:, column] = above
    curvature = np.zeros(eta.shape)
    curvature[:, column] = above > 0
    return 0.5 * above * above, grad, curvature


def precision_message(dist, eta, sample_weight, precision, spread):
    """The DegenerateFitWarning's text where the ``precision`` (a shape or a
    beta precision, column 1 of η) ran to the guard, or None; ``spread``
    says what a precision of 1e14 means."""
    used = sample_weight > 0
    above = (eta[:, 1] > LOG_PRECISION_DEGENERATE) & used
    if not above.any():
        return None
    return (
        f"The fitted {dist.name} distribution is degenerate: its {precision} "
        f"exceeds 1e14 ({spread}) at "
        f"{int(above.sum())} of {int(used.sum())} training samples, where the "
        "mean fits y exactly. There the likelihood has no maximum (it grows "
        f"without bound with the {precision}; sklik stops it at 1e20), and the "
        "predictive intervals are absurdly narrow. Use more samples than "
        "parameters, alpha > 0, or fewer x-dependent parameters."
    )


class WithGuard:
    """A family with its guard added to the NLL and its derivatives.

    For the intercept-only fit (``_intercept_only.intercept_only_eta``
    minimises ``nll_grad`` alone): where the likelihood has no maximum, the
    start then lies at the guarded optimum the solver confirms.
    """

    def __init__(self, dist):
        self.dist = dist
        self.links, self.n_params = dist.links, dist.n_params
        self.has_hessian, self.has_fisher = dist.has_hessian, dist.has_fisher

    def start_theta(self, y, sample_weight):
        return self.dist.start_theta(y, sample_weight)

    def _add(self, eta, out, part):
        guard = self.dist.guard(eta)
        if guard is not None:
            idx = np.arange(self.n_params)
            if part == 2:
                out[:, idx, idx] += guard[2]
            else:
                out += guard[part]
        return out

    def nll_grad(self, y, eta):
        nll, grad = self.dist.nll_grad(y, eta)
        return self._add(eta, nll, 0), self._add(eta, grad, 1)

    def hessian(self, y, eta):
        return self._add(eta, self.dist.hessian(y, eta), 2)

    def fisher(self, eta):
        return self._add(eta, self.dist.fisher(eta), 2)
