"""The Student-t's functions of the df and per-sample pieces, stable as df → ∞.

The t's NLL is log σ + log(π)/2 + D(ν) + (ν+1)/2·log1p(z²/ν) with
D(ν) = lgamma(ν/2) - lgamma((ν+1)/2) + log(ν)/2. As ν → ∞ the t tends to
the Normal, and lgamma, digamma and trigamma differences in ν, like
ν·(log1p(u) - u/(1+u)), cancel: here every such term is a function of
a = 1/ν of its own (Stirling's series, series in u), so that the NLL, its
derivatives in (μ, log σ, log ν) and the Fisher information keep their
relative accuracy up to ν = 1e304 (checked against mpmath in
``tests/test_family_real.py``).
"""

import numpy as np
from scipy import special

from sklik.distributions._special import _LGAMMA_C, _log1pmx_ratios

HALF_LOG_PI = 0.5 * np.log(np.pi)
_HALF_LOG_2 = 0.5 * np.log(2.0)

#: Lowest log σ evaluated (as the Normal's): e^{-2η} stays finite.
LOG_SCALE_FLOOR = -350.0
#: log ν is evaluated in this range: ν from 1e-304 to 1e304. Beyond 1e304
#: the t equals the Normal to every digit (its corrections are O(1/ν)), and
#: below 1e-304 the NLL is above 350 per sample.
LOG_DF_RANGE = (-700.0, 700.0)
#: From this ν on, the functions of ν alone come from Stirling's series in
#: a = 1/ν (x = ν/2 ≥ 10: truncation below 1e-20, as in ``_special``); below,
#: from digamma and trigamma, which lose digits to cancellation as ν grows.
_SERIES_DF = 20.0
#: (m, c·2^m) for the Stirling terms c·x^(-m) of lgamma, m = 2k - 1.
_STIRLING = tuple(
    (2 * k - 1, c * 2.0 ** (2 * k - 1)) for k, c in enumerate(_LGAMMA_C, 1)
)
#: Above this df the fitted t is the Normal for practical purposes (excess
#: kurtosis 6/(ν - 4) below 0.006): a fit that ends there, with the NLL still
#: decreasing in ν, has run along the flat direction ν → ∞ of a likelihood
#: whose supremum is the Normal's (see ``StudentT.degenerate_message``).
DF_RUN_OFF = 1e3
#: The largest log(z²/ν) of a finite y (log|y - μ| ≤ 709.8, log σ ≥ -350,
#: log ν ≥ -700): the derivatives at y = ±inf are taken there.
_LOG_U_MAX = 2.0 * (np.log(np.finfo(float).max) - LOG_SCALE_FLOOR) - LOG_DF_RANGE[0]


def t_log_abs_mean(df):
    """E[log |T|] for T ~ t(df): (log ν - ψ(ν/2) - γ - 2 log 2)/2.

    T = Z/√(V/ν) with V ~ χ²_ν: E log|Z| = -(γ + log 2)/2 and
    E log √(V/ν) = (ψ(ν/2) + log(2/ν))/2. It is 0 for the Cauchy (ν = 1) and
    tends to the Normal's -(γ + log 2)/2 as ν → ∞.

    Examples
    --------
    >>> round(float(t_log_abs_mean(1.0)), 12)
    0.0
    >>> bool(t_log_abs_mean(1e12) + (np.euler_gamma + np.log(2)) / 2 < 1e-12)
    True
    """
    nu = np.asarray(df, dtype=np.float64)
    return 0.5 * (np.log(nu) - special.digamma(0.5 * nu) - np.euler_gamma) - np.log(2.0)


def df_functions(t, level=2):
    """The terms of the NLL in ν alone, as functions of t = log ν (clipped).

    D(ν) = lgamma(ν/2) - lgamma((ν+1)/2) + log(ν)/2 (so that the NLL is
    log σ + log(π)/2 + D + (ν+1)/2·log1p(z²/ν)), dD/dt (level ≥ 1), and
    d²D/dt² with the Fisher information of t, ν²·I_νν (Lange, Little &
    Taylor 1989) (level 2). For ν ≥ 20 all four are sums of like-signed
    terms in a = 1/ν: with b = a/(1+a), D = log(2)/2 - a·g(a)/2 +
    Σ c_k 2^m (a^m - b^m), g(a) = (log1p a - a)/a², each term differentiated
    in t exactly; the Fisher information's O(a) terms cancel analytically (it
    is 7a²/2 + O(a³)), so it keeps its relative accuracy up to ν = 1e304.
    Below ν = 20, digamma and trigamma, shifted by one (ψ(x) = ψ(x+1) - 1/x)
    so that ν → 0 is finite. A column of one value (a constant df) is
    computed once.
    """
    if t.size > 1 and t[0] == t[-1] and np.all(t == t[0]):
        return [np.broadcast_to(f, t.shape) for f in df_functions(t[:1], level)]
    nu = np.exp(t)
    out = [np.empty_like(t) for _ in range(2 * level if level else 1)]
    lo = np.flatnonzero(nu < _SERIES_DF)
    if lo.size:
        n = nu[lo]
        half = 0.5 * n
        lo_values = [special.gammaln(half) - special.gammaln(half + 0.5) + 0.5 * t[lo]]
        if level >= 1:
            psi = special.digamma(half + 1.0) - special.digamma(half + 0.5)
            lo_values.append(half * psi - 0.5)
        if level >= 2:  # ν²D'' from ν²ψ'(ν/2) = ν²ψ'(ν/2 + 1) + 4
            trigamma = special.polygamma(1, half + 1.0) - special.polygamma(
                1, half + 0.5
            )
            n2D2 = 0.25 * n * n * trigamma + 0.5
            lo_values.append(lo_values[1] + n2D2)
            lo_values.append(n2D2 + (3.0 - n) / (2.0 * (n + 1.0) * (n + 3.0)))
        for target, value in zip(out, lo_values):
            target[lo] = value
    hi = np.flatnonzero(nu >= _SERIES_DF)
    if hi.size:
        for target, value in zip(out, df_series(np.exp(-t[hi]), level)):
            target[hi] = value
    return out


def df_series(b, level):
    """The functions of :func:`df_functions` for a = 1/ν ≤ 1/20 (called b here)."""
    g = _log1pmx_ratios(b, need_h=False)[0]
    l1 = np.log1p(b)
    inv1 = 1.0 / (1.0 + b)
    values = [_HALF_LOG_2 - 0.5 * b * g]
    if level >= 1:
        values.append(-0.5 * b * (g + inv1))
    if level >= 2:
        values.append(-0.5 * b * (g + b * inv1 * inv1))
        values.append(b * b * (5.0 + 3.0 * b) * inv1 * inv1 / (2.0 * (1.0 + 3.0 * b)))
    b_max = float(np.max(b))
    for m, c in _STIRLING:
        # relative to the leading O(a) terms, term m is below c·m²·a^(m-1)
        if abs(c) * m * m * b_max ** (m - 1) < 1e-18:
            break
        cam = c * b**m
        values[0] -= cam * np.expm1(-m * l1)
        if level >= 1:
            e_m = -np.expm1(-(m + 1) * l1)  # 1 - (1+a)^-(m+1)
            values[1] -= m * cam * e_m
        if level >= 2:
            tail = b * np.exp(-(m + 2) * l1)  # a (1+a)^-(m+2)
            values[2] += m * cam * (m * e_m + (m + 1) * tail)
            values[3] += m * (m + 1) * cam * (e_m + tail)
    return values


def sample_terms(y, eta, need_hessian=False):
    """The per-sample pieces of the t's NLL and derivatives in η, overflow-free.

    With z = (y - μ)/σ, a = 1/ν and u = z²/ν = a·z²: p = 1/(1+u), u·p,
    W = (1+a)z²·p = (ν+1)z²/(ν+z²), the location's score -(1+a)z·p/σ, the
    NLL's term (ν+1)/2·log1p(u) = (1+a)z²/2·log1p(u)/u (which tends to z²/2
    as ν → ∞ however small u is) and ν·h(u)/2 with h(u) = log1p(u) - u/(1+u),
    = z²/2·h(u)/u: for u < 0.01, where h cancels, h(u)/u = u·p²·Σ v^k/(k+2)
    with v = u/(1+u) (h = -log(1-v) - v = Σ_(k≥2) v^k/k). Where z² or u
    overflow (or y = ±inf), the same pieces come from ℓ = log u =
    2(log|y - μ| - log σ) - log ν instead.
    """
    s = np.maximum(eta[:, 1], LOG_SCALE_FLOOR)
    t = np.clip(eta[:, 2], *LOG_DF_RANGE)
    a, nu = np.exp(-t), np.exp(t)
    one_a = 1.0 + a
    r = y - eta[:, 0]
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        inv_sigma = np.exp(-s)
        z = r * inv_sigma
        z2 = z * z
        u = a * z2
        p = 1.0 / (1.0 + u)
        pu = u * p
        log1p_u = np.log1p(u)
        ratio = np.where(u > 0.0, log1p_u / u, 1.0)  # log1p(u)/u
        h_u = ratio - p  # h(u)/u, cancelling for small u:
        small = np.flatnonzero(u < 0.01)
        if small.size:
            v = pu[small]
            series = np.full_like(v, 1.0 / 10.0)
            for k in range(7, -1, -1):
                series = series * v + 1.0 / (k + 2)
            h_u[small] = u[small] * p[small] ** 2 * series
        half_z2 = 0.5 * z2
        out = {
            "s": s,
            "t": t,
            "a": a,
            "nu": nu,
            "p": p,
            "pu": pu,
            "term": one_a * half_z2 * ratio,
            "W": one_a * z2 * p,
            "g_loc": -one_a * z * inv_sigma * p,
            "half_nu_h1": half_z2 * h_u,
        }
        if need_hessian:
            out["k_loc"] = one_a * p * inv_sigma * inv_sigma
            out["half_nu_h2"] = half_z2 * (h_u - u * p * p)
        bad = np.flatnonzero(~np.isfinite(u))
        if bad.size:
            far_terms(out, r[bad], bad, need_hessian)
    return out


def far_terms(out, r, rows, need_hessian):
    """The pieces of :func:`sample_terms` where u = z²/ν overflows, from log u.

    At y = ±inf the NLL is inf and its derivative in log ν too: the
    derivatives are taken at the largest finite |y - μ| instead (log u at
    most 2·(709.8 + 350) + 700), so that they stay finite.
    """
    s, t, nu = out["s"][rows], out["t"][rows], out["nu"][rows]
    with np.errstate(over="ignore"):
        ell = 2.0 * (np.log(np.abs(r)) - s) - t  # log u, large
    e = np.exp(-ell)
    log1p_u = ell + np.log1p(e)
    out["term"][rows] = 0.5 * (nu + 1.0) * log1p_u
    log1p_u = np.minimum(log1p_u, _LOG_U_MAX)
    pu = 1.0 / (1.0 + e)
    W = (nu + 1.0) * pu
    out["p"][rows], out["pu"][rows] = e * pu, pu
    out["W"][rows] = W
    out["g_loc"][rows] = -W / r
    out["half_nu_h1"][rows] = 0.5 * nu * (log1p_u - pu)
    if need_hessian:
        out["k_loc"][rows] = W / (r * r)
        out["half_nu_h2"][rows] = 0.5 * nu * (log1p_u - pu - pu * pu)
