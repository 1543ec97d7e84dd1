"""Huber smoothing of the penalised LAD: where its exact solution starts.

F_μ(β) = Σᵢ sᵢ h_μ(rᵢ) + ½βᵀΛβ, with Huber's h_μ(r) = r²/2μ on |r| ≤ μ and
|r| − μ/2 beyond, is convex, smooth and piecewise quadratic; as μ → 0 its
minimiser's residuals within ±μ are the zero residuals of the exact
(μ = 0) optimum and the others have its signs (Madsen and Nielsen 1993),
which :mod:`sklik.solvers._penalised_lad` takes as its first guess.
Arrays are those of its standardised problem (A = [X̃, 1], yt, st, λ).
"""

import numpy as np
import scipy.sparse as sp

from sklik.solvers._lad_vertex import _dense


def _regularised_gram(A, weights, lam, ridge):
    """Aᵀ diag(weights) A + diag(λ), its diagonal raised by ``ridge`` relative."""
    if sp.issparse(A):
        H = _dense(A.T @ A.multiply(weights[:, None])) + np.diag(lam)
    else:
        H = A.T @ (A * weights[:, None]) + np.diag(lam)
    H[np.diag_indices_from(H)] += ridge * np.max(np.diag(H))
    return H


def ridge_start(A, yt, st, lam):
    """The weighted ridge least-squares fit: where the smoothing path starts."""
    return solve_small(_regularised_gram(A, st, lam, 1e-12), A.T @ (st * yt))


def huber_minimum(A, yt, st, lam, beta, mu):
    """β minimising Σ sᵢ h_μ(rᵢ) + ½βᵀΛβ (Huber's h_μ): Newton with exact line
    searches, until the residuals within ±μ and the signs stop changing."""
    pattern = None
    for _ in range(50):
        r = yt - A @ beta
        inside = np.abs(r) <= mu
        new_pattern = np.where(inside, 0, np.sign(r))
        if pattern is not None and np.array_equal(new_pattern, pattern):
            break
        pattern = new_pattern
        psi = np.clip(r / mu, -1.0, 1.0)
        grad = lam * beta - A.T @ (st * psi)
        H = _regularised_gram(A[inside], st[inside] / mu, lam, 1e-13)
        delta = -solve_small(H, grad)  # (numpy's: no warning when ill-conditioned)
        beta = beta + _huber_step(r, A @ delta, st, lam, beta, delta, mu) * delta
    return beta


def _huber_step(r, q, st, lam, beta, delta, mu):
    """The minimiser t of F_μ(β + tδ): safeguarded Newton on its slope."""
    a, b = float(delta @ (lam * delta)), float(delta @ (lam * beta))
    lo, hi, t = 0.0, np.inf, 1.0
    for _ in range(60):
        z = r - t * q
        inside = np.abs(z) <= mu
        slope = b + a * t - float(st @ (np.clip(z / mu, -1.0, 1.0) * q))
        curv = a + float(st[inside] @ q[inside] ** 2) / mu
        lo, hi = (t, hi) if slope < 0 else (lo, t)
        if abs(slope) <= 1e-14 * (abs(b) + float(st @ np.abs(q))) or curv <= 0:
            break
        t_new = t - slope / curv
        if not lo < t_new < hi:
            t_new = 2.0 * lo + 1.0 if hi == np.inf else 0.5 * (lo + hi)
        if t_new == t:
            break
        t = t_new
    return t


def solve_small(M, rhs):
    """M⁻¹ rhs for a small square M; least squares where M is singular."""
    try:
        return np.linalg.solve(M, rhs)
    except np.linalg.LinAlgError:
        return np.linalg.lstsq(M, rhs, rcond=None)[0]
