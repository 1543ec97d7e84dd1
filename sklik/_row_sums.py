"""The arithmetic of the objective over a set of rows (X, y, the weights w).

:class:`~sklik._objective.NLLObjective` applies these functions to all of X
at once, and the dask backend (:mod:`sklik.backends`) applies the same
functions to each block of rows where it lives and adds up the sums.
"""

import numpy as np

from sklik._chunks import row_chunks


def forward_rows(model, X, phi, eta_offset):
    """(η, cache) of these rows at φ, η including the family's fixed offset."""
    eta, cache = model.forward(X, phi)
    if eta_offset.any():
        eta += eta_offset  # (η is the model's own array)
    return eta, cache


def value_grad_rows(dist, model, y, w, eta, cache):
    """Σᵢ wᵢ (NLLᵢ + guardᵢ) over these rows, and its gradient w.r.t. φ.

    The gradient is None where the value is not finite (no backward pass).
    """
    nll, G = dist.nll_grad(y, eta)
    guard = dist.guard(eta)
    if guard is not None:
        nll = nll + guard[0]
        G += guard[1]
    # einsum's loops, not BLAS: with L-BFGS-B (scipy's OpenBLAS) between
    # evaluations, a call into numpy's OpenBLAS makes the two thread pools
    # fight over the cores (a sparse fit took 2.3x longer at 2 threads).
    with np.errstate(over="ignore", invalid="ignore"):
        value = np.einsum("i,i->", w, nll)
        if not np.isfinite(value):
            return value, None
        G *= w[:, None]  # in place: G is this call's own array
        return value, model.backward(cache, G)


def curvature_rows(dist, y, w, eta, fisher=False, constant=None):
    """Per-sample curvature w.r.t. η of these rows, weighted by w: (m, P, P).

    The Fisher information if ``fisher`` (and the family has it), else the
    observed Hessian (or the Fisher information if that is all there is),
    plus the guard's curvature. Entries where ``constant`` (P, P) is not
    NaN are left out (set to zero): their Gram blocks come from the
    cached design Gram instead.
    """
    use_fisher = dist.has_fisher and (fisher or not dist.has_hessian)
    C = dist.fisher(eta) if use_fisher else dist.hessian(y, eta)
    if constant is not None:
        C[:, ~np.isnan(constant)] = 0.0
    guard = dist.guard(eta)
    if guard is not None:
        idx = np.arange(C.shape[1])
        C[:, idx, idx] += guard[2]
    C[w == 0] = 0.0  # (a zero-weight sample's curvature may be inf: 0·inf)
    C *= w[:, None, None]
    return C


def gram_rows(dist, model, X, y, w, eta, fisher=False, constant=None):
    """The data part of the curvature matrix over these rows (model.gram)."""
    # diag(a) - b bᵀ per sample (softmax): the same matrix, fewer products.
    factors = dist.hessian_factors

    def weighted_curvature(rows):  # per chunk of rows: never (n, P, P) at once
        if factors is not None:
            a, b = factors(y[rows], eta[rows])
            return a * w[rows, None], b * np.sqrt(w[rows, None])
        return curvature_rows(dist, y[rows], w[rows], eta[rows], fisher, constant)

    return model.gram(X, weighted_curvature)


def curvature_times_rows(dist, y, w, eta, fisher=False):
    """u ↦ (Cᵢ uᵢ)ᵢ for the weighted per-sample curvature C of these rows.

    Formed once for many products: ``diag(a) - b bᵀ`` (softmax) as its
    factors, any other as the (m, P, P) matrices. The factors' product
    overwrites u (each product's own η-sized array).
    """
    if dist.hessian_factors is not None:
        a, b = dist.hessian_factors(y, eta)
        if a is b:  # diag(p) - p pᵀ: w·p ∘ (u - p·u), one pass fewer
            wp = a * w[:, None]

            def times(u):
                u -= np.einsum("ij,ij->i", a, u)[:, None]
                u *= wp
                return u

            return times
        a, b = a * w[:, None], b * np.sqrt(w[:, None])

        def times(u):
            bu = np.einsum("ij,ij->i", b, u)
            u *= a
            u -= b * bu[:, None]
            return u

        return times
    C = curvature_rows(dist, y, w, eta, fisher)
    return lambda u: np.einsum("ijk,ik->ij", C, u)


def hessp_operator_rows(dist, model, y, w, eta, cache, fisher=False):
    """v ↦ the data part of the curvature matrix times v over these rows."""
    times = curvature_times_rows(dist, y, w, eta, fisher)
    return lambda v: model.backward(cache, times(model.jvp(cache, v)))


def hessp_rows(dist, model, y, w, eta, cache, v, fisher=False):
    """The data part of the curvature matrix times v over these rows."""
    return hessp_operator_rows(dist, model, y, w, eta, cache, fisher)(v)


def design_gram_rows(model, X, w, column, n_eta):
    """Σᵢ wᵢ JᵢⱼᵀJᵢⱼ over these rows, on column j's entries (``design_gram``)."""
    c = np.zeros((len(w), n_eta))
    c[:, column] = w
    return model.column_grams(X, c)[column]


def curvature_sums_rows(dist, y, w, eta):
    """Σᵢ |weighted curvature of column j of ηᵢ| over these rows, shape (P,)."""
    n_eta = eta.shape[1]
    diag = np.arange(n_eta)
    sums = np.zeros(n_eta)
    fisher = dist.has_fisher
    for rows in row_chunks(eta.shape[0], n_eta * n_eta):
        C = curvature_rows(dist, y[rows], w[rows], eta[rows], fisher)
        sums += np.abs(C[:, diag, diag]).sum(axis=0)
    return sums
