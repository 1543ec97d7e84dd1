"""Column moments and units shared by every model f[x, φ]."""

import numpy as np
import scipy.sparse as sp

from sklik._chunks import row_chunks


def weighted_column_moments(X, w, center: bool):
    """Weighted mean (or 0) and root-mean-square deviation of each column.

    ``w`` sums to one. Dense X is read in row chunks so no copy of X is made;
    rows on dask workers (:class:`~sklik.backends.RowBlocks`) are summed there.
    """
    if hasattr(X, "weighted_moments"):  # rows on dask workers: reductions there
        return X.weighted_moments(w, center)
    if sp.issparse(X):
        mean = np.asarray(X.T @ w).ravel()
        second = np.zeros(X.shape[1])
        # Squares of a chunk at a time: X.multiply(X) would copy all of X.
        if X.format == "csc":
            for cols in row_chunks(X.shape[1], max(1, X.nnz // max(X.shape[1], 1))):
                Xc = X[:, cols]
                second[cols] = Xc.multiply(Xc).T @ w
        else:
            for rows in row_chunks(X.shape[0], max(1, X.nnz // max(X.shape[0], 1))):
                Xr = X[rows]
                second += Xr.multiply(Xr).T @ w[rows]
        offset = mean if center else np.zeros_like(mean)
        var = second - 2 * offset * mean + offset**2
        return offset, np.sqrt(np.clip(var, 0.0, None))
    offset = w @ X if center else np.zeros(X.shape[1])
    var = np.zeros(X.shape[1])
    for rows in row_chunks(*X.shape):
        dev = X[rows] - offset
        var += w[rows] @ (dev * dev)
    return offset, np.sqrt(var)


#: Columns whose largest magnitude lies outside [2**-LIMIT, 2**LIMIT] are
#: divided by a power of two (exactly) before the fit: their squares and
#: products over many rows would otherwise overflow or underflow.
_MAGNITUDE_LIMIT = 256


def extreme_column_factors(X) -> np.ndarray:
    """Per column, a power of two bringing its largest magnitude near 1, or 1.

    1 for every column of ordinary magnitude (and for all-zero columns).

    Examples
    --------
    >>> import numpy as np
    >>> np.log2(extreme_column_factors(np.array([[1e300, 2.0], [-3e299, 0.5]])))
    array([997.,   0.])
    """
    if hasattr(X, "column_max_abs"):  # rows on dask workers: a reduction there
        big = X.column_max_abs()
    elif sp.issparse(X):
        big = np.asarray(abs(X).max(axis=0).todense()).ravel()
    else:  # a chunk of rows at a time: np.abs(X) would copy X
        big = np.zeros(X.shape[1])
        for rows in row_chunks(*X.shape):
            np.maximum(big, np.max(np.abs(X[rows]), axis=0), out=big)
    with np.errstate(divide="ignore"):
        exponent = np.round(np.log2(np.where(big > 0, big, 1.0)))
    extreme = np.abs(exponent) > _MAGNITUDE_LIMIT
    return np.where(extreme, np.exp2(exponent), 1.0)


def divide_columns(X, factors):
    """X with each column divided by its factor (a copy; X itself if all are 1)."""
    if np.all(factors == 1.0):
        return X
    if hasattr(X, "divided"):  # rows on dask workers: divided there
        return X.divided(factors)
    if sp.issparse(X):
        return (X @ sp.diags(1.0 / factors)).asformat(X.format)
    return X / factors
