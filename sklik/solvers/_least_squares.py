"""Weighted least squares on the linear model's standardised columns."""

import numpy as np
import scipy.linalg
import scipy.sparse as sp


class LeastSquares:
    """Weighted least squares fits of single columns of η, sharing one Gram matrix.

    Fits a target t by one column of η, ``η_j = X·w + b``, minimising
    Σ wᵢ (tᵢ - η_ij)². The Gram matrix is formed (one pass over X) and its
    conditioning judged once, for any number of targets and for every column
    with the same design. Well-conditioned problems are solved with it and
    one step of iterative refinement; ill-conditioned dense ones by LAPACK's
    SVD-based ``gelsd`` on the standardised columns (the minimum-norm
    solution when X is rank deficient), sparse ones by the pseudo-inverse of
    the Gram matrix. Needs a model with ``gram`` (the linear model).
    """

    def __init__(self, objective, column=0):
        self.objective = objective
        self.gram = objective.design_gram(column)
        eig = np.linalg.eigvalsh(self.gram)
        self.well_conditioned = eig[0] > 1e-10 * eig[-1]

    def coefficients(self, target, column, refine=True) -> np.ndarray:
        """φ's entries for η column ``column``, refined once if ``refine``."""
        objective = self.objective
        if self.well_conditioned:  # (numpy's solver: see newton_direction)
            coef = self._solve(target, column)
            if refine:  # iterative refinement: solve again for the residual
                coef += self._solve(self.residuals(target, column, coef), column)
            return coef
        if sp.issparse(objective.X):
            pinv = np.linalg.pinv(self.gram, rtol=1e-12, hermitian=True)
            return pinv @ _column_rhs(objective, target, column)
        return _dense_lstsq(objective, target, column)

    def residuals(self, target, column, coef) -> np.ndarray:
        """t - η_j for φ's entries ``coef`` of η column ``column``."""
        model = self.objective.model
        phi = np.zeros(model.n_params)
        phi[model.eta_column == column] = coef
        return target - model.forward(self.objective.X, phi)[0][:, column]

    def _solve(self, target, column):
        rhs = _column_rhs(self.objective, target, column)
        return np.linalg.solve(self.gram, rhs)


def _column_rhs(objective, target, column):
    """Zᵀ·W·t on the standardised columns."""
    model = objective.model
    G = np.zeros((len(target), model.depends_on_x.shape[0]))
    G[:, column] = objective.w * target
    return model.backward(objective.X, G)[model.eta_column == column]


def _dense_lstsq(objective, target, column):
    model, X, sw = objective.model, objective.X, np.sqrt(objective.w)
    cols = []
    if model.mask[:-1, column].any():
        cols.append((X - model.x_offset) / model.x_scale)
    if model.mask[-1, column]:
        cols.append(np.ones((X.shape[0], 1)))
    Z = np.hstack(cols) * sw[:, None]
    # Singular values at rounding level are zero (as in the Newton solver's
    # root direction): LAPACK's default cutoff, eps·s_max, keeps the ~1e-15
    # that rounding leaves of an exact collinearity (B-spline columns sum to
    # the intercept) and returns coefficients of 1e14 along it.
    cond = np.finfo(float).eps * max(Z.shape)
    return scipy.linalg.lstsq(Z, target * sw, cond=cond, lapack_driver="gelsd")[0]
