"""The certificate of ridge LAD's optimum, independent of the path to it.

At β, the subgradient d of the absolute values is s·sign(r) off the zero
residuals and, on them, the d within their boxes closest to stationarity
(bounded least squares, BVLS); the relative KKT residual and the duality
gap measure how far β is from the optimum.
"""

import numpy as np
from scipy.optimize import lsq_linear

from sklik.solvers._lad_vertex import _dense

ZERO_TOL = 1e-9  # a zero residual in the certificate, relative to the row's terms


def row_sizes(A, yt, beta, abs_A=None):
    """Per row, the size of its terms, against which a residual is zero."""
    abs_A = abs(A) if abs_A is None else abs_A
    return np.abs(yt) + abs_A @ np.abs(beta) + 1e-5  # yt's mean square is 1


def certificate(A, yt, st, lam, beta, fit_intercept):
    """(d, relative KKT residual, relative duality gap, zero residuals) at β.

    d = s sign(r) off the zero residuals, on them the d within the boxes
    closest to stationarity (BVLS). Column j's stationarity λⱼβⱼ = (Aᵀd)ⱼ
    is judged against λⱼ‖β‖∞ + (|A|ᵀ|d|)ⱼ (λ may span many decades).
    """
    k = A.shape[1]
    p = k - 1 if fit_intercept else k
    abs_A = abs(A)
    r = yt - A @ beta
    zero = np.abs(r) <= ZERO_TOL * row_sizes(A, yt, beta, abs_A)
    d = np.where(zero, 0.0, st * np.sign(r))
    target = lam * beta - A.T @ d
    scale = lam * np.max(np.abs(beta), initial=0.0) + abs_A.T @ st + 1e-300
    rows = np.flatnonzero(zero)
    if rows.size:  # each equation in units of its size
        B = _dense(A[rows]).reshape(rows.size, k).T / scale[:, None]
        lo, hi = -st[rows], st[rows]
        x = np.linalg.lstsq(B, target / scale, rcond=None)[0]  # exact where it fits
        if np.any(np.abs(x) > hi) and rows.size > 1:  # (BVLS wants 2 columns)
            x = lsq_linear(B, target / scale, bounds=(lo, hi), method="bvls").x
        d[rows] = np.clip(x, lo, hi)
    value = float(st @ np.abs(r)) + 0.5 * float(lam @ beta**2)
    stationarity = lam * beta - A.T @ d
    size = lam * np.max(np.abs(beta), initial=0.0) + abs_A.T @ np.abs(d) + 1e-300
    complementarity = float(st @ np.abs(r) - d @ r)
    # near-exact fits (F ≈ 0): relative to 1e-4 of the terms' size, as weighted_lad
    value = max(value, 1e-4 * float(st @ row_sizes(A, yt, beta, abs_A)), 1e-300)
    kkt = max(
        float(np.max(np.abs(stationarity) / size, initial=0.0)),
        complementarity / value,
    )
    # F − D(d) = Σ(sᵢ|rᵢ| − dᵢrᵢ) + ½Σⱼ (λβ − Aᵀd)ⱼ²/λⱼ − b·Σd (the last is
    # zero for a dual-feasible d; here it is rounding, counted in full)
    gap = complementarity + 0.5 * float(np.sum(stationarity[:p] ** 2 / lam[:p]))
    if fit_intercept:
        gap += abs(beta[p] * stationarity[p])
    return d, kkt, gap / value, int(zero.sum())
