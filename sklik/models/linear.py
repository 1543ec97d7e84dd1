"""The linear model η = X·W + b, parametrised on standardised columns."""

import numpy as np
import scipy.sparse as sp

from sklik.models._base import Model
from sklik.models._moments import DenseMoments
from sklik.models._standardise import (
    divide_columns,
    extreme_column_factors,
    weighted_column_moments,
)

#: Columns of η up to which products with X go one column at a time.
_FEW_COLUMNS = 2


class LinearModel(Model):
    """η = X·W + b with one column per distribution parameter.

    .. warning:: Experimental: the Model interface may change between minor
       releases.

    Internally the coefficients act on standardised columns
    ``(x - offset) / scale``; this is a reparametrisation of φ, not a copy of
    X, and it makes first-order solvers insensitive to the units of X. The
    parameter vector φ holds the free entries of the augmented matrix
    ``A = [W_std; b]`` of shape (n_features + 1, P), row by row.

    Parameters
    ----------
    depends_on_x : sequence of bool, length P
        Whether column j of η is a function of x. A column that is not still
        has a free constant, even with ``fit_intercept=False``.
    fit_intercept : bool
        Whether x-dependent columns get an intercept.
    x_offset, x_scale : ndarray of shape (n_features,)
        The standardisation of the columns (offset 0 for sparse X).
    x_null : ndarray of bool, shape (n_features,), default=None
        Columns that are constant and centred: zero, up to rounding, on the
        training data. Their rows of the Gram matrix are set to exact zeros.

    Examples
    --------
    >>> import numpy as np
    >>> from sklik.models import LinearModel
    >>> X = np.array([[0.0], [2.0]])
    >>> m = LinearModel.from_data(X, np.ones(2), [True], fit_intercept=True)
    >>> m.forward(X, m.from_user(np.array([[3.0]]), np.array([1.0])))[0]
    array([[1.],
           [7.]])
    """

    has_jvp = True
    has_gram = True

    def __init__(
        self,
        depends_on_x,
        fit_intercept,
        x_offset,
        x_scale,
        x_null=None,
        x_prescale=None,
    ):
        self._depends_on_x = np.asarray(depends_on_x, dtype=bool)
        self.x_prescale = x_prescale
        self.fit_intercept = bool(fit_intercept)
        self.x_offset = np.asarray(x_offset, dtype=np.float64)
        self.x_scale = np.asarray(x_scale, dtype=np.float64)
        self.x_null = (
            np.zeros(len(self.x_scale), dtype=bool)
            if x_null is None
            else np.asarray(x_null, dtype=bool)
        )
        p, n_eta = len(self.x_scale), len(self._depends_on_x)
        mask = np.zeros((p + 1, n_eta), dtype=bool)
        mask[:p] = self._depends_on_x
        mask[p] = self.fit_intercept | ~self._depends_on_x
        self.mask = mask
        self._full = bool(mask.all())  # φ is all of A: reshapes, no masks
        flat = np.flatnonzero(mask.ravel())
        self._output_entries = (np.arange(len(flat)), flat // n_eta, flat % n_eta)
        self._column_entries = [
            np.flatnonzero(flat % n_eta == j) for j in range(n_eta)
        ]  # (a fit asks for them once per block and step)

    @classmethod
    def from_data(cls, X, sample_weight, depends_on_x, fit_intercept):
        """A model standardised with the weighted moments of X.

        Columns of extreme magnitude (beyond 2**±256) are fitted divided by a
        power of two (:meth:`prepare`), exactly, so that no product over the
        rows overflows or underflows; :meth:`fitted` folds the factor back.
        """
        w = sample_weight / sample_weight.sum()
        center = fit_intercept and not sp.issparse(X)
        prescale = extreme_column_factors(X)
        X = divide_columns(X, prescale)
        offset, scale = weighted_column_moments(X, w, center)
        # A constant column's computed spread is rounding error, not zero:
        # dividing by it would turn that error into an O(1) column.
        rounding = X.shape[0] * np.finfo(np.float64).eps * np.abs(offset)
        constant = ~(scale > rounding) | ~np.isfinite(scale)
        scale[constant] = 1.0
        null = constant & (offset != 0)  # centred to zero
        prescale = None if np.all(prescale == 1.0) else prescale
        return cls(depends_on_x, fit_intercept, offset, scale, null, prescale)

    def prepare(self, X):
        """The X the fit's passes read: columns of extreme magnitude rescaled."""
        return X if self.x_prescale is None else divide_columns(X, self.x_prescale)

    def fitted(self, phi, output_scale):
        """Also fold the columns' prescaling into the standardisation."""
        if self.x_prescale is not None:
            self.x_offset = self.x_offset * self.x_prescale
            self.x_scale = self.x_scale * self.x_prescale
            self.x_prescale = None
        return super().fitted(phi, output_scale)

    @property
    def depends_on_x(self) -> np.ndarray:
        return self._depends_on_x

    @property
    def n_features(self) -> int:
        return len(self.x_scale)

    @property
    def n_params(self) -> int:
        """Length of φ."""
        return int(self.mask.sum())

    @property
    def eta_column(self) -> np.ndarray:
        """For each entry of φ, the column of η it belongs to."""
        return np.flatnonzero(self.mask.ravel()) % self.mask.shape[1]

    @property
    def is_coef(self) -> np.ndarray:
        """For each entry of φ, whether it multiplies a feature (is penalised)."""
        return np.flatnonzero(self.mask.ravel()) < self.n_features * self.mask.shape[1]

    def output_entries(self):
        return self._output_entries

    def column_entries(self, column: int) -> np.ndarray:
        return self._column_entries[column]

    def unpack(self, phi) -> np.ndarray:
        """The augmented matrix ``[W_std; b]`` of shape (n_features + 1, P)."""
        if self._full:
            return np.reshape(phi, self.mask.shape).copy()
        A = np.zeros(self.mask.shape)
        A[self.mask] = phi
        return A

    def to_user(self, phi) -> tuple[np.ndarray, np.ndarray]:
        """Coefficients (n_features, P) and intercepts (P,) on the raw columns."""
        return self._on_raw_columns(self.unpack(phi))

    def _on_raw_columns(self, A):
        """(W, b) on the raw columns for ``A = [W_std; b]``."""
        W = A[:-1] / self.x_scale[:, None]
        return W, A[-1] - np.einsum("i,ij->j", self.x_offset, W)

    def from_user(self, W, b) -> np.ndarray:
        """φ for coefficients W (n_features, P) and intercepts b (P,) on raw columns."""
        A = np.vstack([W * self.x_scale[:, None], b + self.x_offset @ W])
        return A[self.mask]

    def init_params(self, eta0, random_state=None) -> np.ndarray:
        """φ with no coefficients and intercepts ``eta0``."""
        return self.from_user(np.zeros((self.n_features, len(eta0))), eta0)

    def coef_intercept(self) -> tuple[np.ndarray, np.ndarray]:
        """The fitted coefficients (n_features, P) and intercepts (P,), user scale."""
        W, b = self.to_user(self.phi_)
        return W * self.output_scale_, b * self.output_scale_

    def params_for(self, W, b, output_scale) -> np.ndarray:
        """φ for user-scale coefficients and intercepts, given this fit's units.

        (Before :meth:`fitted`, on the columns as :meth:`prepare` rescales them.)
        """
        W = W / output_scale
        if self.x_prescale is not None:
            W = W * self.x_prescale[:, None]
        return self.from_user(W, b / output_scale)

    def penalty_weights(self) -> np.ndarray:
        """Per entry of φ, the weight of its square in ``||W||²`` on raw columns."""
        per_row = np.append(1.0 / self.x_scale**2, 0.0)
        return np.outer(per_row, np.ones(self.mask.shape[1]))[self.mask]

    def curvature_diagonal(self, column_curvature):
        """Exact for standardised columns when the curvature does not depend on x."""
        return column_curvature[self.eta_column]

    def forward(self, X, phi):
        """η of shape (n_samples, P); the cache is X itself (η is linear in φ)."""
        return self._eta(X, phi), X

    def jvp(self, cache, v):
        """∂η/∂φ · v: η itself at v, since η is linear in φ."""
        return self._eta(cache, v)

    def _eta(self, X, phi):
        A = np.reshape(phi, self.mask.shape) if self._full else self.unpack(phi)
        W, b = self._on_raw_columns(A)  # (A, a view of φ, is only read)
        if sp.issparse(X) or W.shape[1] > _FEW_COLUMNS:
            eta = np.asarray(X @ W)
            eta += b  # in place: a temporary of η's size costs page faults
            return eta
        # One matrix-vector product per column, each written contiguously
        # (η in Fortran order): 1.3-2x faster than X @ W with two columns.
        eta = np.empty((X.shape[0], W.shape[1]), order="F")
        for j in range(W.shape[1]):
            if W[:, j].any():  # (a column without coefficients costs nothing)
                np.matmul(X, W[:, j], out=eta[:, j])
                eta[:, j] += b[j]
            else:
                eta[:, j] = b[j]
        return eta

    def backward(self, X, G) -> np.ndarray:
        """∂/∂φ of Σ_ij G_ij η_ij, for G of shape (n_samples, P)."""
        # For dense X, Gᵀ·X reads X as stored (rows): 1.5-3x faster than
        # Xᵀ·G; with few columns, one vector-matrix product per column is
        # faster still. Column sums by einsum: numpy's sum over axis 0 of a
        # narrow C-ordered array is 4x slower.
        if sp.issparse(X):
            gW = np.asarray(X.T @ G)
        elif G.shape[1] > _FEW_COLUMNS:
            gW = (G.T @ X).T
        else:
            gW = np.column_stack(
                [
                    G[:, j] @ X if G[:, j].any() else np.zeros(X.shape[1])
                    for j in range(G.shape[1])
                ]
            )
        gb = np.einsum("ij->j", G)  # (not BLAS: see value_grad_rows)
        A = np.empty(self.mask.shape)
        np.subtract(gW, self.x_offset[:, None] * gb, out=A[:-1])
        A[:-1] /= self.x_scale[:, None]
        A[-1] = gb
        return A.ravel() if self._full else A[self.mask]

    def gram(self, X, C) -> np.ndarray:
        """Σ_i J_iᵀ C_i J_i over φ, for C of shape (n_samples, P, P).

        ``J_i`` is the Jacobian of η_i with respect to φ. ``C`` may also be a
        function of a slice of rows returning those rows' C, or a pair
        ``(a, b)`` of shape (rows, P) each meaning ``C_i = diag(a_i) - b_i
        b_iᵀ``: dense X is then read chunk by chunk without C ever being held
        for every sample (for K classes, C has K² values per sample). Dense X
        is read as stored, and centred chunk by chunk only where a large
        offset would make the products lose digits to cancellation.
        """
        p, n_eta = self.n_features, self.mask.shape[1]
        H = np.zeros((p + 1, n_eta, p + 1, n_eta))
        if sp.issparse(X):
            C = C(slice(None)) if callable(C) else C
            if isinstance(C, tuple):
                a, b = C
                C = -b[:, :, None] * b[:, None, :]
                C[:, np.arange(n_eta), np.arange(n_eta)] += a
            Z = self._sparse_design(X)
            for j in range(n_eta):
                for k in range(j, n_eta):
                    c = C[:, j, k]
                    if c.any():
                        H[:, j, :, k] = (Z.T @ Z.multiply(c[:, None])).toarray()
        else:
            self._moments().add_blocks(X, C if callable(C) else C.__getitem__, H)
        for j in range(n_eta):
            for k in range(j + 1, n_eta):
                H[:, k, :, j] = H[:, j, :, k].T
        flat = self.mask.ravel()
        H = H.reshape(flat.size, flat.size)
        return H if flat.all() else H[np.ix_(flat, flat)]

    def column_grams(self, X, c) -> list[np.ndarray]:
        """Σ_i c_ij z_i z_iᵀ on column j's entries of φ, for each column j of η.

        The curvature matrix's blocks on its diagonal, for ``c`` of shape
        (n_samples, P) the per-sample curvature's diagonal: K·n·p² together
        for K columns, where :meth:`gram` takes K²·n·p²/2. A column whose
        weights are all zero costs nothing, and so does a row of zero weight
        where most are.
        """
        n_eta, size = self.mask.shape[1], self.n_features + 1
        grams = np.zeros((n_eta, size, size))
        used = np.flatnonzero(np.any(c != 0, axis=0))
        if sp.issparse(X):
            Z = self._sparse_design(X)
            for j in used:
                grams[j] = (Z.T @ Z.multiply(c[:, [j]])).toarray()
        else:
            self._moments().add_column_blocks(X, c, used, grams)
        return [
            gram if keep.all() else gram[np.ix_(keep, keep)]
            for gram, keep in zip(grams, self.mask.T)
        ]

    def _moments(self) -> DenseMoments:
        return DenseMoments(self.x_offset, self.x_scale, self.x_null)

    def _sparse_design(self, X):
        """Z = [X / scale, 1] for sparse X (its offset is zero), as CSR."""
        ones = np.ones((X.shape[0], 1))
        return sp.hstack([X @ sp.diags(1.0 / self.x_scale), ones]).tocsr()
