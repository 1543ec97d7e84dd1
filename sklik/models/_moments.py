"""Weighted moments of a dense design's rows: the linear model's Gram blocks.

A block Σᵢ cᵢ zᵢzᵢᵀ over standardised rows zᵢ = [(xᵢ - offset) / scale, 1]
is accumulated as the moments of x̃ᵢ = [xᵢ - shift, 1], read chunk by
chunk as stored (:func:`add_moments`), and moved to z once at the end
(z = T·x̃, :func:`moments_to_design`). shift = 0 reads X with no copy,
unless a column's offset exceeds 99 times its spread; then the
cancellation would cost more than 4 digits, and each chunk is centred first.
"""

import numpy as np

from sklik._chunks import row_chunks

#: Largest |offset| / spread of a column for which the Gram matrix is formed
#: from the raw column (losing at most ~4 digits to cancellation, of 16).
_MAX_UNCENTRED = 99.0


class DenseMoments:
    """Gram blocks of z = [(x - offset) / scale, 1] over dense X's rows.

    Parameters
    ----------
    offset, scale : ndarray of shape (p,)
        The columns' standardisation.
    null : ndarray of bool, shape (p,)
        Constant, centred columns: their rows of every block are exact zeros
        (rounding noise, not a direction).
    """

    def __init__(self, offset, scale, null):
        self.offset, self.scale = offset, scale
        self.null = np.append(null, False)
        self.centre = bool(np.any(np.abs(offset) > _MAX_UNCENTRED * scale))

    def add_blocks(self, X, C_rows, H):
        """Set H[:, j, :, k] (j ≤ k) to Σ_i C_ijk z_i z_iᵀ, row chunk by chunk.

        ``C_rows(rows)`` gives those rows' C, (m, P, P), or a pair ``(a, b)``
        meaning ``C_i = diag(a_i) - b_i b_iᵀ``. Per chunk, a block whose
        weights are all zero (a Fisher information's off-diagonal block)
        costs nothing; a block with non-negative weights is one symmetric
        rank-k update of √c·x̃ (numpy's ``w.T @ w`` calls ``syrk``), half the
        work of the general product the other blocks take.
        """
        p, n_eta = len(self.scale), H.shape[1]
        low_rank = None  # Σ (x̃ ⊗ b)(x̃ ⊗ b)ᵀ, laid out as H, for diag(a) - b bᵀ
        touched = np.zeros((n_eta, n_eta), dtype=bool)  # blocks with any weight
        for rows, x, buffer in self._chunks(X):
            C = C_rows(rows)
            if isinstance(C, tuple) and C[0].min() >= 0:
                a, b = C
                for j in range(n_eta):
                    add_moments(H[:, j, :, j], x, a[:, j], buffer, True)
                if low_rank is None:
                    low_rank = np.zeros(((p + 1) * n_eta, (p + 1) * n_eta))
                _add_low_rank(low_rank, x, b)
                touched[:] = True
                continue
            if isinstance(C, tuple):
                a, b = C
                C = -b[:, :, None] * b[:, None, :]
                C[:, np.arange(n_eta), np.arange(n_eta)] += a
            for j in range(n_eta):
                for k in range(j, n_eta):
                    c = C[:, j, k]
                    if c.any():
                        add_moments(H[:, j, :, k], x, c, buffer, k == j)
                        touched[j, k] = True
        if low_rank is not None:
            low_rank[p * n_eta :, : p * n_eta] = low_rank[: p * n_eta, p * n_eta :].T
            H -= low_rank.reshape(H.shape)
        T = self._transform()
        for j, k in zip(*np.nonzero(np.triu(touched)), strict=True):
            H[:, j, :, k] = moments_to_design(H[:, j, :, k], T)
        H[self.null] = 0.0
        H[:, :, self.null] = 0.0

    def add_column_blocks(self, X, c, used, grams):
        """Set grams[j] to Σ_i c_ij z_i z_iᵀ for each column j in ``used``.

        Where most of a column's weights are zero, only the other rows are
        read (gathered, then a smaller ``syrk``).
        """
        for j in used:
            rows = np.flatnonzero(c[:, j])
            if len(rows) >= 0.75 * len(c):
                rows = None  # X as stored
            for index, x, buffer in self._chunks(X, rows):
                add_moments(grams[j], x, c[index, j], buffer, symmetric=True)
        T = self._transform()
        for j in used:
            grams[j] = moments_to_design(grams[j], T)
        grams[:, self.null], grams[:, :, self.null] = 0.0, 0.0

    def _chunks(self, X, rows=None):
        """(index, x, buffer) per chunk of X's rows (or of ``rows`` of X, gathered).

        x is the rows as stored (or gathered), centred if :attr:`centre`;
        ``buffer`` has x's shape, for its weighted copy.
        """
        p = len(self.scale)
        n = X.shape[0] if rows is None else len(rows)
        per_chunk = next(row_chunks(n, p + 1), slice(0, 0)).stop
        centred, weighted = np.empty((2, per_chunk, p))
        for part in row_chunks(n, p + 1):
            m = part.stop - part.start
            if rows is None:
                index, x = part, X[part]
                if self.centre:
                    x = np.subtract(x, self.offset, out=centred[:m])
            else:
                index = rows[part]
                x = X[index]
                if self.centre:
                    x -= self.offset  # (a copy already)
            yield index, x, weighted[:m]

    def _transform(self) -> np.ndarray:
        """T with z = T·x̃: from the moments of x̃ = [x - shift, 1] to z's."""
        p = len(self.scale)
        T = np.eye(p + 1)
        if not self.centre:
            T[:p, p] = -self.offset
        return T / np.append(self.scale, 1.0)[:, None]


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


def _add_low_rank(low_rank, x, b):
    """Add Σ (x̃ ⊗ b)(x̃ ⊗ b)ᵀ over these rows to ``low_rank`` (its upper part)."""
    p, n_eta = x.shape[1], b.shape[1]
    # x ⊗ b has P times the chunk's values: it is formed a part of about 2¹⁸
    # values at a time (smaller parts made syrk slower).
    for part in row_chunks(len(x), n_eta * p // 4):
        bp, xp = b[part], x[part]
        xb = (xp[:, :, None] * bp[:, None, :]).reshape(len(bp), -1)
        low_rank[: p * n_eta, : p * n_eta] += xb.T @ xb
        low_rank[: p * n_eta, p * n_eta :] += xb.T @ bp
    low_rank[p * n_eta :, p * n_eta :] += b.T @ b
