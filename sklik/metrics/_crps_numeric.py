"""The CRPS of any distribution from its cdf and ppf, by quadrature or exact sums.

CRPS(F, y) = ∫ (F(z) − 1{z ≥ y})² dz, elementwise over arrays of
distributions and observations. Only ``cdf`` and ``ppf`` are called, with
the node or lattice axis first, so that a vectorised distribution of any
batch shape broadcasts against them (scipy's frozen distributions and
sklik's own alike); nothing here reshapes a distribution.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable

import numpy as np

#: Tail mass left out beyond the first and last quantile (both ends).
TAIL_MASS = 1e-12

# Panel ends, as probabilities: a decade apart in each tail, a tenth apart in
# the bulk. Between two of them the integrand is smooth (y is a panel end
# too, so the jump of the indicator falls on an end) and F changes by at most
# a factor of ten, so that a fixed Gauss-Legendre rule suffices for most
# panels even where the tails are polynomial (Student-t with ν = 1.5: the
# panel [Q(1 − 1e-k), Q(1 − 1e-(k+1))] spans a factor 4.6 in z).
_TAIL = 10.0 ** -np.arange(12.0, 1.0, -1.0)
_BULK = np.array([0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95])
LEVELS = np.concatenate([_TAIL, _BULK, 1.0 - _TAIL[::-1]])

# Each panel is integrated by Gauss-Legendre rules of 20 and 10 nodes; their
# difference estimates the error. Where it exceeds _RTOL times the element's
# CRPS (halved at each depth), the panel is halved, element by element, until
# it does not (at most _MAX_DEPTH times). A smooth panel is done at once;
# a near-singular one (a beta with shapes near 0: 8e-8 relative with the
# 20-node rule alone, 7e-12 refined) or one holding a near-step (a mixture of
# far-apart narrow components) is refined where the two rules disagree.
# Cost: 30 cdf calls per panel and element, 1.2 s for 10_000 normals.
_G20 = np.polynomial.legendre.leggauss(20)
_G10 = np.polynomial.legendre.leggauss(10)
_NODES = np.concatenate([_G20[0], _G10[0]])
_RTOL = 1e-10
_MAX_DEPTH = 48

# Largest number of cdf evaluations held in memory at once.
_BUDGET = 1 << 21

Cdf = Callable[[np.ndarray], np.ndarray]


def lead_axis(values: np.ndarray, ndim: int) -> np.ndarray:
    """A 1-D array shaped (k, 1, ..., 1) to broadcast against ndim trailing axes."""
    return values.reshape(-1, *(1,) * ndim)


def quantiles(ppf: Cdf, levels: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    q = np.asarray(ppf(lead_axis(levels, len(shape))), dtype=np.float64)
    q = np.broadcast_to(q, (len(levels), *shape))
    if np.any(np.isnan(q)):
        raise ValueError(
            "the distribution's ppf gives NaN: check its parameters (the CRPS "
            "is integrated between its quantiles)."
        )
    return q


def _rule(
    cdf: Cdf, a: np.ndarray, b: np.ndarray, y: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """∫_a^b (F(z) − 1{z ≥ y})² dz by 20 nodes, and its error estimate, per element.

    y must not lie inside (a, b): the indicator is read at the midpoint.
    """
    half, mid = 0.5 * (b - a), 0.5 * (a + b)
    above = mid >= y
    squares = np.empty((len(_NODES), *a.shape))
    per_call = max(1, _BUDGET // max(a.size, 1))
    for start in range(0, len(_NODES), per_call):
        nodes = lead_axis(_NODES[start : start + per_call], a.ndim)
        gap = np.asarray(cdf(mid + half * nodes), dtype=np.float64) - above
        squares[start : start + per_call] = gap * gap
    fine = half * np.tensordot(_G20[1], squares[:20], axes=1)
    coarse = half * np.tensordot(_G10[1], squares[20:], axes=1)
    return fine, np.abs(fine - coarse)


def crps_continuous(
    cdf: Cdf,
    breaks: np.ndarray,
    y: np.ndarray,
    lower: np.ndarray | float = -np.inf,
    upper: np.ndarray | float = np.inf,
) -> np.ndarray:
    """∫ (F(z) − 1{z ≥ y})² dz of a continuous F with support [lower, upper].

    y outside the support adds its distance to it (F is 0 below, 1 above).
    Inside, the integral runs between the ``breaks`` (an array of shape
    (k, *y.shape), in practice ``quantiles(ppf, LEVELS, y.shape)``) and y,
    panel by panel, adaptively (see ``_RTOL``). With the quantiles, the
    parts left out, below Q(1e-12) and above Q(1 − 1e-12) when y is within
    them, are at most 1e-12 times the mean distance of that tail from its
    quantile.
    """
    y = np.asarray(y, dtype=np.float64)
    y_in = np.clip(y, lower, upper)
    ends = np.concatenate([breaks, y_in[None]], axis=0)
    ends = np.clip(np.sort(ends, axis=0), lower, upper)
    fine, error = zip(*(_rule(cdf, a, b, y_in) for a, b in itertools.pairwise(ends)))
    fine, error = np.array(fine), np.array(error)
    total = np.abs(y - y_in) + fine.sum(axis=0)
    tol = _RTOL * total
    redo = error > tol
    if not np.any(redo):
        return total
    # Refine the panels that missed the tolerance: one stack per element, and
    # each pass halves the top interval of every element's stack at once.
    total -= np.sum(np.where(redo, fine, 0.0), axis=0)
    flat = [v.reshape(len(ends) - 1, -1) for v in (ends[:-1], ends[1:], redo)]
    n_stack = len(ends) + _MAX_DEPTH
    stack = np.zeros((3, n_stack, y.size))  # a, b, depth
    top = np.zeros(y.size, dtype=np.int64)
    for a, b, flagged in zip(*flat):
        cols = np.flatnonzero(flagged)
        stack[0, top[cols], cols] = a[cols]
        stack[1, top[cols], cols] = b[cols]
        top[cols] += 1
    cols_all = np.arange(y.size)
    y_flat, tol_flat, total_flat = y_in.ravel(), tol.ravel(), total.ravel()
    while np.any(top > 0):
        active = top > 0
        top = top - active
        a, b, depth = stack[:, top, cols_all]
        # elements with nothing left evaluate an empty interval at their y
        a, b = np.where(active, a, y_flat), np.where(active, b, y_flat)
        mid = 0.5 * (a + b)
        for lo, hi in ((a, mid), (mid, b)):
            value, err = _rule(cdf, lo.reshape(y.shape), hi.reshape(y.shape), y_in)
            value, err = value.ravel(), err.ravel()
            done = (err <= tol_flat * 0.5 ** (depth + 1)) | (depth + 1 >= _MAX_DEPTH)
            total_flat += np.where(active & done, value, 0.0)
            cols = np.flatnonzero(active & ~done)
            stack[:, top[cols], cols] = lo[cols], hi[cols], depth[cols] + 1
            top[cols] += 1
    return total_flat.reshape(y.shape)


def crps_discrete(
    cdf: Cdf, ppf: Cdf, y: np.ndarray, skip: np.ndarray | None = None
) -> np.ndarray:
    """Σ over the integers k of ∫_k^{k+1} (F(z) − 1{z ≥ y})² dz, exactly.

    F is a step function on the integers (as scipy's discrete distributions
    and sklik's count distributions are): on [k, k + 1) it is F(k), and the
    indicator is 1 on the part at or above y, so the piece is
    a·F(k)² + (1 − a)·(1 − F(k))² with a = clip(y − k, 0, 1) (a is 0 or 1 for
    an integer y). The sum runs from Q(1e-12) to Q(1 − 1e-12); below and
    above, F is taken as 0 and 1, which adds the distance from y to that
    range when y lies outside it. The work is the width of that range per
    element, in blocks of bounded memory; elements flagged in ``skip`` are
    left out (their sum is 0).
    """
    y = np.asarray(y, dtype=np.float64)
    skip = np.zeros(y.shape, dtype=bool) if skip is None else skip
    # skipped elements ask for the median: the far quantiles of a law with an
    # infinite mean can be costly (scipy's zipf(1.5).ppf(1 - 1e-12) runs out
    # of memory)
    levels = lead_axis(np.array([TAIL_MASS, 1.0 - TAIL_MASS]), y.ndim)
    ends = np.broadcast_to(np.asarray(ppf(np.where(skip, 0.5, levels))), (2, *y.shape))
    if not np.all(np.isfinite(ends)):
        raise ValueError(
            "the distribution's ppf(1e-12) or ppf(1 - 1e-12) is not finite: the "
            "CRPS sum has no finite range."
        )
    first, last = np.floor(ends[0]), np.floor(ends[1])
    width = np.where(skip, 0, last - first + 1.0).astype(np.int64)
    total = np.clip(first - y, 0.0, None) + np.clip(y - (last + 1.0), 0.0, None)
    longest = int(width.max(initial=0))
    block = max(1, min(longest, _BUDGET // max(y.size, 1)))
    for start in range(0, longest, block):
        j = lead_axis(np.arange(start, start + block), y.ndim)
        k = first + j
        step = np.asarray(cdf(k), dtype=np.float64)
        below = np.clip(y - k, 0.0, 1.0)
        piece = below * step * step + (1.0 - below) * (1.0 - step) ** 2
        total += np.sum(np.where(j < width, piece, 0.0), axis=0)
    return total
