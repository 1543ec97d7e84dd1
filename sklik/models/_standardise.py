"""Column moments and units shared by every model f[x, φ]."""

import numpy as np
import scipy.sparse as sp

from sklik._chunks import row_chunks


def weighted_column_moments(X, w, center: bool):
    """Weighted mean (or 0) and root-mean-square deviation of each column.

    ``w`` sums to one. Dense X is read in row chunks so no copy of X is made.
    """
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
