"""Weighted moments of the design's rows, the linear model's Gram blocks.

A block Σᵢ cᵢ zᵢzᵢᵀ over standardised rows zᵢ = [(xᵢ - offset) / scale, 1]
is accumulated as the moments of x̃ᵢ = [xᵢ - shift, 1], read as stored, and
moved to z once at the end (z = T·x̃): :func:`add_moments`, then
:func:`moments_to_design`.
"""

import numpy as np


def add_moments(M, x, c, buffer, symmetric=False):
    """Add Σ_i c_i x̃_i x̃_iᵀ to M (of shape (p+1, p+1)), x̃_i = [x_i, 1].

    Only the upper-left block and the last column are set; the weights of a
    diagonal block, if c ≥ 0, take one ``syrk`` of √c·x (``buffer``), or of
    x itself, read in place, if they are all equal.
    """
    p = x.shape[1]
    if symmetric and c[0] >= 0 and np.all(c == c[0]):  # e.g. equal sample weights
        M[:p, :p] += c[0] * (x.T @ x)
        M[:p, p] += c[0] * (np.ones(len(c)) @ x)
    elif symmetric and c.min() >= 0:
        root = np.sqrt(c)
        wx = np.multiply(x, root[:, None], out=buffer)
        M[:p, :p] += wx.T @ wx
        M[:p, p] += root @ wx
    else:
        M[:p, :p] += x.T @ np.multiply(x, c[:, None], out=buffer)
        M[:p, p] += c @ x
    M[p, p] += c.sum()


def moments_to_design(M, T):
    """T·M·Tᵀ for M as :func:`add_moments` leaves it (the upper part set)."""
    full = M.copy()
    full[:-1, :-1] = 0.5 * (M[:-1, :-1] + M[:-1, :-1].T)
    full[-1, :-1] = M[:-1, -1]
    return T @ full @ T.T
