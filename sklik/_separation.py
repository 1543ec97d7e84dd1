"""Does the unpenalised maximum-likelihood estimate of a logit model exist?

For logistic and multinomial-logit models the MLE exists (is finite) if and
only if the classes are *not* separable, completely or quasi-completely
(Albert & Anderson, 1984): there must be no direction B of the logits with

    z_i · (β_{y_i} − β_j) ≥ 0   for every sample i and every class j ≠ y_i,

strict for at least one (i, j). Along such a direction the likelihood keeps
increasing, so the optimiser's coefficients grow without bound and stop
wherever the gradient happens to fall below the tolerance.

Following Konis (2007), the question is a linear programme: maximise the sum
of those margins with B in the box [-1, 1]; a positive optimum is a
separating direction. Here it is solved by ``scipy.optimize.linprog``
(HiGHS) and the direction it returns is verified on the data, so that a
solver tolerance never creates a spurious warning.

After an unpenalised fit, :func:`separation_gate` (per block of rows) and
:func:`separation_kind` decide whether the programme runs and what the
warning says.
"""

import numpy as np
import scipy.optimize
import scipy.sparse as sp

#: Largest LP (number of constraint nonzeros) solved after a fit. Beyond it the
#: check is skipped: ordinary large fits pay nothing for it.
MAX_LP_NONZEROS = 250_000


def _design(X, offset, scale, fit_intercept):
    """Standardised design Z = [(X - offset) / scale, 1] as a CSR matrix."""
    if sp.issparse(X):
        Z = sp.csr_matrix(X) @ sp.diags(1.0 / scale)
        if np.any(offset):
            Z = sp.csr_matrix(Z.toarray() - offset / scale)
    else:
        Z = sp.csr_matrix((X - offset) / scale)
    if fit_intercept:
        Z = sp.hstack([Z, np.ones((X.shape[0], 1))], format="csr")
    return Z


def lp_size(n_samples, n_features, n_classes, fit_intercept=True):
    """Number of constraint nonzeros of the separation LP (at most)."""
    q = n_features + bool(fit_intercept)
    return n_samples * (n_classes - 1) * 2 * q


def separating_direction(
    X, codes, n_classes, *, fit_intercept=True, offset=None, scale=None, rtol=1e-7
):
    """A direction along which the logit likelihood increases forever, or None.

    Parameters
    ----------
    X : ndarray or sparse matrix of shape (n_samples, n_features)
        The samples that carry weight (zero-weight samples must be dropped).
    codes : ndarray of int of shape (n_samples,)
        Class index of each sample, in ``range(n_classes)``.
    n_classes : int
    fit_intercept : bool, default=True
    offset, scale : ndarray of shape (n_features,), default=None
        Standardisation of the columns (a reparametrisation that keeps the LP
        well scaled; it does not change the answer). None: 0 and 1.
    rtol : float, default=1e-7
        A margin counts as positive above ``rtol`` times the largest row norm
        of the standardised design, and as violated below minus ``rtol``
        times it.

    Returns
    -------
    B : ndarray of shape (n_features + fit_intercept, n_classes) or None
        Logit coefficients (on the standardised columns, reference class 0
        fixed at zero) that separate some samples and misclassify none;
        None if the classes are not separable.
    """
    n, p = X.shape
    offset = np.zeros(p) if offset is None else np.asarray(offset, dtype=float)
    scale = np.ones(p) if scale is None else np.asarray(scale, dtype=float)
    codes = np.asarray(codes, dtype=np.intp)
    Z = _design(X, offset, scale, fit_intercept)
    q = Z.shape[1]
    if q == 0 or n == 0:
        return None
    # One constraint per (sample i, other class j): margin z_i·(β_{y_i} − β_j).
    # Variables: β_1 … β_{K-1} stacked (β_0 ≡ 0 removes the shift invariance).
    rows, own, other = [], [], []
    for j in range(n_classes):
        idx = np.flatnonzero(codes != j)
        rows.append(idx)
        own.append(codes[idx])
        other.append(np.full(len(idx), j))
    rows, own, other = map(np.concatenate, (rows, own, other))
    Zr = Z[rows]
    blocks = []
    for sign, cls in ((1.0, own), (-1.0, other)):
        # Sample i's coefficients land in block cls - 1; class 0 has none.
        keep = sp.diags(sign * (cls > 0).astype(float)) @ Zr
        block_of = np.maximum(cls - 1, 0)
        blocks.append(_place_blocks(keep, block_of, n_classes - 1))
    M = (blocks[0] + blocks[1]).tocsr()  # margins = M @ vec(B)
    res = scipy.optimize.linprog(
        -np.asarray(M.sum(axis=0)).ravel(),
        A_ub=-M,
        b_ub=np.zeros(M.shape[0]),
        bounds=(-1.0, 1.0),
        method="highs",
    )
    if res.status != 0 or -res.fun <= 0:
        return None
    margins = M @ res.x
    unit = rtol * max(float(np.sqrt(Z.multiply(Z).sum(axis=1)).max()), 1.0)
    if margins.min() < -unit or margins.max() <= unit:
        return None
    return np.column_stack([np.zeros(q), res.x.reshape(n_classes - 1, q).T])


def _place_blocks(Zr, block_of, n_blocks):
    """Row i of Zr placed in column block ``block_of[i]`` of n_blocks blocks."""
    Zr = sp.csr_matrix(Zr)
    q = Zr.shape[1]
    coo = Zr.tocoo()
    cols = coo.col + q * block_of[coo.row]
    return sp.csr_matrix((coo.data, (coo.row, cols)), shape=(Zr.shape[0], q * n_blocks))


#: A sample's own class with fitted probability above 1 - SEPARATION_GATE
#: triggers the (quasi-)separation test after an unpenalised fit.
SEPARATION_GATE = 1e-8

#: Without the linear programme (too large), the share of samples near
#: certainty from which the fit is said to be probably quasi-separable.
UNTESTED_SEPARATION_SHARE = 0.1


def separation_gate(log_proba, y, eta, w):
    """Of these rows' samples of positive weight: (are all classified right,
    how many have their own class's probability within ``SEPARATION_GATE`` of 1)."""
    log_p = log_proba(eta)
    codes, used = y.astype(np.intp), w > 0
    own = log_p[np.arange(len(codes)), codes][used]
    correct = np.argmax(log_p, axis=1)[used] == codes[used]
    return bool(np.all(correct)), int(np.sum(own >= np.log1p(-SEPARATION_GATE)))


def quasi_separable(objective, n_used, n_classes):
    """Whether some samples are separated perfectly (the MLE is at infinity).

    Gated so that ordinary fits pay nothing: the linear programme
    (:func:`separating_direction`) runs only when some sample's own class has a
    fitted probability within ``SEPARATION_GATE`` of one (which a separated
    sample reaches as the optimiser pushes its coefficients towards
    infinity; the caller's gate) and the programme is small enough (its
    samples are then few enough to gather from a dask X). None: too large
    to run.
    """
    model, X = objective.model, objective.X
    if lp_size(n_used, X.shape[1], n_classes, model.fit_intercept) > MAX_LP_NONZEROS:
        return None
    # (the samples are few: a dask fit's labels come here then)
    codes, used = objective.y.astype(np.intp), objective.w > 0
    direction = separating_direction(
        X[np.flatnonzero(used)],
        codes[used],
        n_classes,
        fit_intercept=model.fit_intercept,
        offset=model.x_offset,
        scale=model.x_scale,
    )
    return direction is not None


def separation_kind(all_correct, n_near, objective, n_used, n_classes):
    """How the classes of a linear fit are separated, or None if they are not.

    ``objective`` is None for a network (only "every sample right" is
    known then). Where the linear programme is too large to run, a fit with
    at least ``UNTESTED_SEPARATION_SHARE`` of its samples within
    ``SEPARATION_GATE`` of certainty is said to be probably quasi-separable
    (a fit with a finite maximum rarely puts one sample there).
    """
    if all_correct:
        return "linearly separable"
    if objective is None or not n_near:
        return None
    separable = quasi_separable(objective, n_used, n_classes)
    if separable is None and n_near >= UNTESTED_SEPARATION_SHARE * n_used:
        return (
            f"probably quasi-separable ({n_near} of {n_used} samples have "
            f"their own class's fitted probability within {SEPARATION_GATE:g} "
            "of 1; the linear programme that would settle it is too large to "
            "run here)"
        )
    if separable:
        return "quasi-separable (a hyperplane separates some samples perfectly)"
    return None
