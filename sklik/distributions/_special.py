"""Log-densities and special functions the families need, stable where scipy's are not.

Everything is vectorised float64 numpy and broadcasts its arguments.

* :func:`nbinom2_logpmf` (with :func:`nbinom2_logpmf_grad` and
  :func:`nbinom2_logpmf_hess`): the NB2 negative binomial in its mean and
  dispersion. ``scipy.stats.nbinom.logpmf(y, r, r/(r+mean))`` computes
  ``lgamma(y+r) - lgamma(r)`` and ``r·log p`` for r = 1/dispersion by
  differences of numbers of size r·log r, and loses about log10(r) digits
  (measured in ``tests/test_predictive.py``: 6.7 correct digits left at
  dispersion 1e-8, 2.8 at 1e-12, none at 1e-16). Here every term that tends
  to zero with the dispersion is computed as a function of the dispersion
  ``a`` itself: Stirling's series in a = 1/r for the gamma and digamma
  differences, and ``log1p(u) - u`` with u = a(y - mean)/(1 + a·mean) for
  the rest, so the log-pmf tends to the Poisson log-pmf and the derivatives
  to the Poisson ones with full accuracy.

The Bessel functions of the von Mises family are in
:mod:`sklik.distributions._bessel`.
"""

from fractions import Fraction

import numpy as np
from scipy import special

# Above r = 1/dispersion = _R_SERIES the gamma and digamma differences come
# from Stirling's series; with the terms below their truncation error is
# below 1e-17 there (the series' terms shrink until k ≈ πr).
_R_SERIES = 10.0
_BERNOULLI = tuple(  # B_2, B_4, ..., B_24
    Fraction(p, q)
    for p, q in [
        (1, 6), (-1, 30), (1, 42), (-1, 30), (5, 66), (-691, 2730), (7, 6),
        (-3617, 510), (43867, 798), (-174611, 330), (854513, 138),
        (-236364091, 2730),
    ]
)  # fmt: skip
# lgamma(x) = (x - 1/2) log x - x + log(2π)/2 + Σ_k _LGAMMA_C[k-1] x^(1-2k)
_LGAMMA_C = tuple(float(b / (2 * k * (2 * k - 1))) for k, b in enumerate(_BERNOULLI, 1))
# digamma(x) = log x - 1/(2x) - Σ_k _DIGAMMA_C[k-1] x^(-2k)
_DIGAMMA_C = tuple(float(b / (2 * k)) for k, b in enumerate(_BERNOULLI, 1))


def _terms(coefs, a):
    """The leading coefficients whose terms c_k·a^(2k-2) matter at max(a).

    A term is kept while 2k·|c_k|·max(a)^(2k-2) > 1e-18: 3 terms at a = 1e-3,
    all 12 near a = 0.1 (r = 10).
    """
    a_max = float(np.max(a, initial=0.0))
    size = [2 * k * abs(c) * a_max ** (2 * k - 2) for k, c in enumerate(coefs, 1)]
    return coefs[: max((k for k, t in enumerate(size, 1) if t > 1e-18), default=1)]


def _broadcast(*args):
    """Writable float64 copies of the arguments, broadcast together."""
    arrays = np.broadcast_arrays(*(np.asarray(a, dtype=float) for a in args))
    return [np.array(a) for a in arrays]


def _log1pmx_ratios(u, need_h=True):
    """g = (log1p(u) - u)/u² and h = (g + 1/2)/u for u > -1, accurate near 0.

    Near 0 (-1/2 ≤ u ≤ 1) through w = u/(2 + u), log1p(u) = 2·atanh(w):
    with S(w) = Σ_{k≥1} w^(2k-2)/(2k+1), g = -(1-w)/2 + (1-w)²·w·S/2 and
    h = (1-w)·(1 + (1-w)²·S)/4, sums of like-signed terms (|w| ≤ 1/3, so 18
    terms of S reach 1e-18). Elsewhere log1p(u) - u loses at most a factor 4.
    Both forms are evaluated everywhere (on clipped arguments) and selected:
    cheaper than boolean indexing.
    """
    u = np.asarray(u, dtype=float)
    near = (u >= -0.5) & (u <= 1.0)
    w = np.clip(u, -0.5, 1.0)
    w /= 2.0 + w
    w2, s = w * w, np.full_like(w, 1.0 / 37.0)
    for k in range(17, 0, -1):
        s = s * w2 + 1.0 / (2 * k + 1)
    one_w = 1.0 - w
    with np.errstate(divide="ignore", invalid="ignore"):
        far = np.where(near, 2.0, u)  # any argument where the series is used
        g_far = (np.log1p(far) - far) / far**2
        g = np.where(near, 0.5 * one_w * (one_w * w * s - 1.0), g_far)
        if not need_h:
            return g, None
        h = np.where(near, 0.25 * one_w * (1.0 + one_w**2 * s), (g_far + 0.5) / far)
    return g, h


def _horner(coefs, z):
    """Σ_i coefs[i]·z^i (0 for no coefficients)."""
    acc = np.zeros_like(z)
    for c in reversed(coefs):
        acc = acc * z + c
    return acc


def _lgamma_shift(y, a):
    """D = lgamma(y + r) - lgamma(r) - y·log r for r = 1/a ≥ _R_SERIES, from a.

    By Stirling, D = r·(log1p(t) - t) + (y - 1/2)·log1p(t) + ω(y + r) - ω(r)
    with t = a·y; r·(log1p(t) - t) = y²·a·g(t) and ω(y + r) - ω(r) =
    Σ c_k a^(2k-1) ((1 + t)^(1-2k) - 1): no difference of large numbers.
    """
    t = a * y
    log1p_t = np.log1p(t)
    d = y * y * a * _log1pmx_ratios(t, need_h=False)[0] + (y - 0.5) * log1p_t
    # k = 1 by expm1; k ≥ 2 as a³(q³·H(a²q²) - H(a²)), q = 1/(1 + t) (see
    # _phi_series for why that difference is harmless)
    coefs, q, z0 = _terms(_LGAMMA_C, a)[1:], 1.0 / (1.0 + t), a * a
    d += _LGAMMA_C[0] * a * np.expm1(-log1p_t)
    return d + z0 * a * (q**3 * _horner(coefs, z0 * q * q) - _horner(coefs, z0))


def nbinom2_logpmf(y, mean, dispersion):
    """Log-pmf of the NB2 negative binomial, Var = mean + dispersion·mean².

    log Pr(y) = lgamma(y + r) - lgamma(r) - lgamma(y + 1) + r·log(r/(r + m))
    + y·log(m/(r + m)) with r = 1/dispersion, accurate for every dispersion
    ≥ 0 and equal to the Poisson log-pmf (scipy's arithmetic) at dispersion 0.

    Parameters
    ----------
    y : array_like
        Counts. A non-negative real y uses the same formula (lgamma extends
        it); y < 0 gives -inf.
    mean, dispersion : array_like
        m ≥ 0 and a ≥ 0 (others give nan); all three broadcast.

    Returns
    -------
    ndarray or float

    Examples
    --------
    >>> from scipy import stats
    >>> float(nbinom2_logpmf(3, 2.0, 0.5))  # r = 2, p = r/(r + mean) = 0.5
    -2.0794415416798...
    >>> float(stats.nbinom.logpmf(3, 2.0, 0.5))
    -2.0794415416798...
    >>> float(nbinom2_logpmf(3, 2.0, 0.0)) == float(stats.poisson.logpmf(3, 2.0))
    True
    """
    y, m, a = _broadcast(y, mean, dispersion)
    out = np.full(y.shape, np.nan)
    valid = (m >= 0) & (a >= 0)
    out[valid & ((y < 0) | (y == np.inf))] = -np.inf
    valid &= (y >= 0) & (y < np.inf)
    big = valid & (a <= 1.0 / _R_SERIES)  # r ≥ _R_SERIES, including a = 0
    yb, mb, ab = y[big], m[big], a[big]
    x = ab * mb
    with np.errstate(divide="ignore", invalid="ignore"):
        # -r·log1p(x) is -m - m·x·g(x): for x ≤ 1 (and a = 0) scipy's Poisson
        # log-pmf plus corrections that vanish at a = 0; beyond, -m would cancel
        base = special.xlogy(yb, mb) - special.gammaln(yb + 1)
        x_g = x * _log1pmx_ratios(x, need_h=False)[0]
        base = np.where(x <= 1, (base - mb) - mb * x_g, base - np.log1p(x) / ab)
        out[big] = base + (_lgamma_shift(yb, ab) - yb * np.log1p(x))
        small = valid & ~big
        ys, ms, as_ = y[small], m[small], a[small]
        r = 1.0 / as_
        out[small] = (
            special.gammaln(ys + r)
            - special.gammaln(r)
            - special.gammaln(ys + 1)
            - r * np.log1p(as_ * ms)
            - special.xlog1py(ys, r / ms)
        )
    return out[()]


def _phi_series(y, a, need_prime=False):
    """P1 = -r²·Δφ and P2 = dP1/da for r = 1/a ≥ _R_SERIES (and Δφ').

    Here φ = ψ - log, Δφ = φ(y + r) - φ(r) and Δφ' = φ'(y + r) - φ'(r).
    From ψ(x) = log x - 1/(2x) - Σ_k d_k x^(-2k), every term is a power of
    a times (1 + a·y)^(-j) - 1: finite at a = 0, where P1 = -y/2 and
    P2 = y²/2 - y/6. The k = 1 terms use expm1; the others, a² times
    smaller, are differences of polynomials in z1 = (a/(1 + a·y))² and
    z0 = a², whose cancellation as y -> 0 is below 1e-18 absolute.
    """
    q = 1.0 / (1.0 + a * y)
    em2 = np.expm1(-2.0 * np.log1p(a * y))  # q² - 1
    p1 = -0.5 * y * q + _DIGAMMA_C[0] * em2
    p2 = 0.5 * (y * q) ** 2 - 2.0 * _DIGAMMA_C[0] * y * q**3
    coefs = _terms(_DIGAMMA_C, a)[1:]  # k ≥ 2
    q2, z0 = q * q, a * a
    z1 = z0 * q2
    h_k = coefs  # Σ_k≥2 d_k a^(2k-2) (q^(2k) - 1) = q²·H(z1) - H(z0)
    g_k = tuple((2 * k - 2) * c for k, c in enumerate(coefs, 2))
    j_k = tuple(2 * k * c for k, c in enumerate(coefs, 2))
    p1 += z0 * (q2 * q2 * _horner(h_k, z1) - _horner(h_k, z0))
    j1 = _horner(j_k, z1)
    p2 += (
        a * (q2 * q2 * _horner(g_k, z1) - _horner(g_k, z0)) - y * z0 * q2 * q2 * q * j1
    )
    if not need_prime:
        return p1, p2, None
    prime = 0.5 * z0 * em2 + 2 * _DIGAMMA_C[0] * z0 * a * np.expm1(-3 * np.log1p(a * y))
    prime += z0 * z0 * a * (q2 * q2 * q * j1 - _horner(j_k, z0))
    return p1, p2, prime


def _phi_shifted(y, r):
    """P1 and P2 of _phi_series for r < _R_SERIES, by shifting r up.

    φ(x) = φ(x + n) + Σ_(j<n) log1pmx(1/(x + j)) (from ψ(x) = ψ(x + 1) - 1/x)
    and φ'(x) = φ'(x + 1) + 1/(x²(x + 1)) carry Δφ and Δφ' from
    r' = r + n ≥ _R_SERIES down to r. The logarithms telescope:
    Δφ(r) - Δφ(r') = log1p(-n·y/((y + r)(r + n))) + Σ_j y/((r + j)(y + r + j)),
    a difference that loses 1-2 digits at worst; the digamma differences
    ψ(y + r) - ψ(r) - log1p(y/r) lose up to 3, and r⁴ times a difference of
    trigammas more.
    """
    n = np.ceil(_R_SERIES - r)
    r_up = r + n
    p1_up, _, dphi_prime = _phi_series(y, 1.0 / r_up, need_prime=True)
    dphi = -p1_up / r_up**2 + np.log1p(-n * y / ((y + r) * r_up))
    total = np.zeros_like(y)
    for j in range(int(n.max(initial=0))):
        on = j < n  # a 0/1 factor: cheaper than indexing the rows
        lo, hi = r + j, y + r + j
        total += on / (lo * hi)
        dphi_prime += on * (1.0 / (hi * hi * (hi + 1.0)) - 1.0 / (lo * lo * (lo + 1.0)))
    dphi += y * total
    return -(r**2) * dphi, 2.0 * r**3 * dphi + r**4 * dphi_prime


def _dispersion_terms(y, a):
    """P1 = -r²·[ψ(y+r) - ψ(r) - log1p(y/r)] and P2 = dP1/da, nan where a is."""
    p1, p2 = np.full_like(y, np.nan), np.full_like(y, np.nan)
    if a.size > 1000 and np.fmin.reduce(a) == np.fmax.reduce(a):  # one dispersion:
        values, inverse = np.unique(y, return_inverse=True)  # the few counts
        if 4 * values.size < y.size:
            p1, p2 = _dispersion_terms(values, np.full_like(values, a.flat[0]))
            return p1[inverse], p2[inverse]
    big = a <= 1.0 / _R_SERIES
    p1[big], p2[big], _ = _phi_series(y[big], a[big])
    small = a > 1.0 / _R_SERIES
    p1[small], p2[small] = _phi_shifted(y[small], 1.0 / a[small])
    return p1, p2


def _nbinom2_terms(y, mean, dispersion):
    """Shared pieces of the NB2 derivatives (see nbinom2_logpmf_grad)."""
    y, m, a = _broadcast(y, mean, dispersion)
    bad = ~((m >= 0) & (a >= 0) & (y >= 0))
    y[bad] = m[bad] = a[bad] = np.nan
    x, t = a * m, a * y
    v = (y - m) / (1.0 + x)  # u/a, finite as a -> 0
    g, h = _log1pmx_ratios(a * v)
    p1, p2 = _dispersion_terms(y.ravel(), a.ravel())
    return y, m, a, x, t, v, g, h, p1.reshape(y.shape), p2.reshape(y.shape)


def nbinom2_logpmf_grad(y, mean, dispersion):
    """Derivatives of :func:`nbinom2_logpmf` with respect to mean and dispersion.

    With v = (y - m)/(1 + a·m) and u = a·v:
    ∂/∂m = v/m and ∂/∂a = -r²[ψ(y+r) - ψ(r) - log1p(y/r)] - v²·(log1p(u) - u)/u².
    The first term comes from Stirling's series in a for r ≥ 10 (it tends to
    -y/2), the second from a series in u near 0 (it tends to (y - m)²/2), so
    ∂/∂a tends to the Poisson limit ((y - m)² - y)/2 without cancellation.

    Parameters
    ----------
    y, mean, dispersion : array_like
        As in :func:`nbinom2_logpmf`; outside the support (y < 0) or the
        parameter space the derivatives are nan.

    Returns
    -------
    d_mean, d_dispersion : ndarray

    Examples
    --------
    >>> d_mean, d_disp = nbinom2_logpmf_grad(5.0, 2.0, 1e-30)
    >>> float(d_mean), float(d_disp)  # Poisson: (y - m)/m, ((y - m)² - y)/2
    (1.5, 2.0)
    """
    y, m, _, x, _, v, g, _, p1, _ = _nbinom2_terms(y, mean, dispersion)
    with np.errstate(divide="ignore", invalid="ignore"):
        d_mean = np.where(y == 0, -1.0 / (1.0 + x), v / m)
    return d_mean[()], (p1 - v * v * g)[()]


def nbinom2_logpmf_hess(y, mean, dispersion):
    """Second derivatives of :func:`nbinom2_logpmf` in mean and dispersion.

    ∂²/∂m² = -y/m² + a(1 + a·y)/(1 + a·m)², ∂²/∂m∂a = -v/(1 + a·m) and
    ∂²/∂a² = ∂P1/∂a + v²·(2v·h(u) - y/(1 + a·y)) with
    h(u) = (log1p(u) - u + u²/2)/u³, all stable as a -> 0 (see
    :func:`nbinom2_logpmf_grad` for v, u and P1, its first term).

    Parameters
    ----------
    y, mean, dispersion : array_like
        As in :func:`nbinom2_logpmf_grad`.

    Returns
    -------
    d2_mean, d2_mean_dispersion, d2_dispersion : ndarray

    Examples
    --------
    >>> h_mm, h_ma, h_aa = nbinom2_logpmf_hess(5.0, 2.0, 0.0)
    >>> float(h_mm), float(h_ma)  # -y/m², -(y - m)
    (-1.25, -3.0)
    >>> float(h_aa)  # -y³/3 + y²/2 - y/6 + y·m² - 2m³/3
    -15.333333333333...
    """
    y, m, a, x, t, v, g, h, _, p2 = _nbinom2_terms(y, mean, dispersion)
    with np.errstate(divide="ignore", invalid="ignore"):
        # -y/m² + a(1 + a·y)/(1 + a·m)² with the a²·y·m² terms cancelled
        d2_mean = (
            np.where(y == 0, a, -(y * (1.0 + 2.0 * x) - x * m) / (m * m))
            / (1.0 + x) ** 2
        )
        # 2v·h(u) = (2g(u) + 1)/a: for |u| > 1 the form with g cancels less
        u = a * v
        bracket = np.where(
            np.abs(u) > 1.0,
            (2.0 * g + 1.0 / (1.0 + t)) / a,
            2.0 * v * h - y / (1.0 + t),
        )
    d2_cross = -v / (1.0 + x)
    d2_disp = p2 + v * v * bracket
    return d2_mean[()], d2_cross[()], d2_disp[()]
