"""Newton directions that survive ill-conditioned and indefinite curvature."""

import numpy as np
import scipy.linalg

from sklik._chunks import row_chunks

#: Largest square root of the curvature (entries) the Newton solver forms.
_MAX_ROOT_ENTRIES = 1 << 25

#: Largest change of η (the fit's internal units) one Newton step may make:
#: a quadratic model is not trusted further (and ``exp`` would overflow).
MAX_ETA_STEP = 20.0


def unit_diagonal(diag):
    """Jacobi scaling s with s_i² diag_i = 1, or 1 where diag_i is negligible.

    Solving in the scaled coordinates removes the ill-conditioning that mere
    units cause. Diagonal entries below eps times the largest are rounding
    error (a constant column, centred): scaling them up would turn noise
    into a direction, so they are left alone and the solve treats them as
    the null directions they are.
    """
    keep = diag > np.finfo(float).eps * np.max(diag, initial=0.0)
    return np.where(keep, 1.0 / np.sqrt(np.where(keep, diag, 1.0)), 1.0)


def newton_direction(H, g, rcond=1e-10):
    """The solution of H d = -g, or None unless H is well conditioned.

    Conditioning is judged on the Jacobi-scaled H (unit diagonal) by its
    Cholesky factor. Coordinates whose diagonal is exactly zero (a constant
    column, whose rows of the Gram matrix the model zeroes) are null
    directions: they get no step, and the rest is solved without them; a
    merely tiny diagonal (a collapsing scale) is ill-conditioning, for the
    fallback. The
    linear algebra of the iterations is numpy's, which shares one BLAS
    thread pool with the products over X: scipy's LAPACK brings a second
    OpenBLAS, whose threads, with numpy's still spinning, made a 210×210
    Cholesky factorisation 40 times slower on two cores.
    """
    diag = np.diag(H)
    keep = diag != 0.0  # exact zeros: the rows the model zeroes (x_null)
    if not keep.all():
        d = np.zeros_like(g)
        sub = (
            newton_direction(H[np.ix_(keep, keep)], g[keep], rcond)
            if keep.any()
            else None
        )
        if sub is None:
            return None
        d[keep] = sub
        return d
    s = unit_diagonal(diag)
    Hs = H * s[:, None]
    Hs *= s
    try:
        L = np.linalg.cholesky(Hs)
    except np.linalg.LinAlgError:
        return None
    if np.min(np.diag(L)) ** 2 <= rcond:
        return None
    # Two triangular solves with the factor (O(k²)), not a fresh LU (O(k³)):
    # a 650×650 multinomial Hessian's solve went from ~10 ms to ~0.3 ms.
    return s * scipy.linalg.cho_solve((L, True), -g * s, check_finite=False)


def fallback_direction(objective, phi, H, g, rcond=1e-10):
    """A descent direction where Newton's own step (Cholesky of H) is unsafe.

    - H positive semi-definite but singular or ill-conditioned (collinear
      columns, separable classes, p > n): forming H squared the condition
      number of the design, so solve from a square root of the curvature
      instead (:func:`root_direction`).
    - H indefinite (a scale far from its optimum): a Fisher scoring step,
      unless it would change η by more than ``MAX_ETA_STEP``; then H with
      its eigenvalues replaced by their absolute values, floored at 1e-3 of
      the largest ("saddle-free" Newton). Far below the optimal σ the
      observed curvature of log σ (~2z²) is large while the Fisher
      information (2) gives a step of size ~z²/2, a direction that only a
      vanishing step can follow.
    """
    s = unit_diagonal(np.diag(H))
    eigval, eigvec = scipy.linalg.eigh(H * np.outer(s, s), check_finite=False)
    if eigval[0] >= -rcond * abs(eigval[-1]):
        return root_direction(objective, phi, g)
    if objective.dist.has_fisher:
        F = objective.hessian(phi, fisher=True)
        # information below rounding (the Student-t's df → ∞, ~1/ν²): a flat
        # direction, which gets no step instead of failing the whole solve
        info = np.diag(F)
        flat = info <= np.finfo(float).eps * np.max(info, initial=0.0)
        F[flat], F[:, flat] = 0.0, 0.0
        d = newton_direction(F, g)
        if d is not None and largest_change(objective.jvp(phi, d)) <= MAX_ETA_STEP:
            return d
    # |λ| floored at 1e-3 of the largest: a direction of nearly zero negative
    # curvature would otherwise get a step of ~1/|λ| (the NB2's dispersion
    # near its boundary jumped the whole MAX_ETA_STEP onto flat ground).
    magnitude = np.maximum(np.abs(eigval), 1e-3 * np.max(np.abs(eigval)))
    return s * eig_direction(magnitude, eigvec, g * s, rcond)


def eig_direction(eigval, eigvec, g, rcond):
    """-V diag(1/λ) Vᵀ g over the eigenvalues above ``rcond`` times the largest.

    Null-space directions get no step, instead of a step made of amplified
    rounding errors: the minimum-norm solution.
    """
    keep = eigval > rcond * eigval.max()
    return -eigvec[:, keep] @ ((eigvec[:, keep].T @ g) / eigval[keep])


def root_direction(objective, phi, g, rcond=1e-10):
    """A Fisher-scoring step from the SVD of a square root R of the curvature.

    RᵀR is the Fisher information (the Hessian itself for the logit and
    softmax links), so solving through R's singular values loses
    cond(design) digits instead of cond(design)²: unscaled polynomial or
    nearly collinear columns still get an accurate step. Singular values at
    rounding level (exact collinearity, p > n) get no step (minimum norm).
    Problems too large to hold R, or whose rows are not all in this process
    (a dask X: R has a row per sample, not a sum over them), fall back on
    the eigendecomposition of the Fisher information.
    """
    n_rows = objective.X.shape[0] * objective.dist.n_params
    too_large = n_rows * len(phi) > _MAX_ROOT_ENTRIES
    if too_large or not getattr(objective, "rows_local", True):
        F = objective.hessian(phi, fisher=True)
        s = unit_diagonal(np.diag(F))
        eigval, eigvec = scipy.linalg.eigh(F * np.outer(s, s), check_finite=False)
        return s * eig_direction(np.clip(eigval, 0.0, None), eigvec, g * s, rcond)
    root = objective.fisher_root(phi)
    scale = unit_diagonal(np.einsum("ij,ij->j", root, root))
    # QR first: the SVD of the small triangular factor is much cheaper.
    R = scipy.linalg.qr(root * scale, mode="r", check_finite=False)[0][: len(phi)]
    _, s, Vt = scipy.linalg.svd(
        R, full_matrices=False, check_finite=False, lapack_driver="gesvd"
    )
    keep = s > np.finfo(float).eps * max(root.shape) * s[0]
    return -scale * (Vt[keep].T @ ((Vt[keep] @ (g * scale)) / s[keep] ** 2))


def largest_change(eta, old=None):
    """max |η - old| (or |η|, a change already), a chunk of rows at a time.

    No temporaries of η's size (for softmax logits, η is a fifth of X).
    η where the rows live (a dask fit's handle) answers by a reduction there.
    """
    if hasattr(eta, "largest_change"):
        return eta.largest_change(old)
    largest = 0.0
    for rows in row_chunks(*eta.shape):
        change = eta[rows] if old is None else eta[rows] - old[rows]
        largest = max(largest, np.max(np.abs(change), initial=0.0))
    return largest
