"""The contract every model f[x, φ] of sklik fulfils.

.. warning:: Experimental: the Model interface may change between minor
   releases.
"""

from abc import ABC, abstractmethod

import numpy as np


class Model(ABC):
    """f[x, φ]: the features X to the raw distribution parameters η (n, P).

    A model is set up for one fit (it knows which columns of η depend on x
    and how the training columns are standardised), maps a flat parameter
    vector φ to η and back-propagates a gradient with respect to η to one
    with respect to φ. Nothing outside the model assumes η is linear in φ:
    directional derivatives go through :meth:`jvp`.

    After the fit, :meth:`fitted` stores φ̂ and the map from internal to
    user η, and :meth:`predict_eta` is the fitted f[x, φ̂].
    """

    #: Whether :meth:`jvp` (Jacobian-vector products) is available.
    has_jvp: bool = False
    #: Whether :meth:`gram` (Σ JᵢᵀCᵢJᵢ, for Newton's method) and
    #: :meth:`column_grams` are available.
    has_gram: bool = False

    @property
    @abstractmethod
    def n_params(self) -> int:
        """Length of φ."""

    @property
    @abstractmethod
    def depends_on_x(self) -> np.ndarray:
        """(P,) bool: which columns of η are functions of x."""

    @abstractmethod
    def init_params(self, eta0: np.ndarray, random_state=None) -> np.ndarray:
        """φ whose η is ``eta0`` (P,) for every sample (or nearly, for a network)."""

    @abstractmethod
    def forward(self, X, phi: np.ndarray) -> tuple[np.ndarray, object]:
        """η (n, P) at φ and what :meth:`backward` and :meth:`jvp` need."""

    @abstractmethod
    def backward(self, cache, G: np.ndarray) -> np.ndarray:
        """∂/∂φ of Σ_ij G_ij η_ij, for G (n, P) the gradient w.r.t. η."""

    @abstractmethod
    def penalty_weights(self) -> np.ndarray:
        """Per entry of φ, the weight of its square in the L2 penalty."""

    @abstractmethod
    def output_entries(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The output layer's entries of φ: (index in φ, row, column of η).

        A shift-invariant block of η is centred over these: adding one
        vector to every output column of the block is the flat direction.
        """

    def column_entries(self, column: int) -> np.ndarray:
        """Indices of the output layer's entries of φ that feed η column ``column``."""
        index, _, col = self.output_entries()
        return index[col == column]

    def prepare(self, X):
        """The X the fit reads (default: X itself); e.g. columns rescaled."""
        return X

    def column_mask(self, column: int) -> np.ndarray:
        """Which output rows feed η column ``column`` (for sharing Gram blocks)."""
        _, row, col = self.output_entries()
        return row[col == column]

    def jvp(self, cache, v: np.ndarray) -> np.ndarray:
        """Optional: ∂η/∂φ · v, shape (n, P): a new array, the caller's to overwrite."""
        raise NotImplementedError(f"{type(self).__name__} has no jvp.")

    def gram(self, X, C) -> np.ndarray:
        """Optional: Σᵢ JᵢᵀCᵢJᵢ over φ (see :meth:`LinearModel.gram`)."""
        raise NotImplementedError(f"{type(self).__name__} has no gram.")

    def column_grams(self, X, c) -> list[np.ndarray]:
        """Optional, with :meth:`gram`: its blocks on the diagonal, per column of η.

        For C diagonal with ``c`` (n, P) its diagonals; see
        :meth:`LinearModel.column_grams`.
        """
        raise NotImplementedError(f"{type(self).__name__} has no gram.")

    def curvature_diagonal(self, column_curvature: np.ndarray) -> np.ndarray | None:
        """Optional: an estimate of the Hessian's diagonal for a preconditioner.

        ``column_curvature`` (P,) is the weighted mean curvature of each
        column of η. None: no estimate (no preconditioning).
        """
        return None

    # -- the fitted model -------------------------------------------------------
    def fitted(self, phi: np.ndarray, output_scale: np.ndarray) -> "Model":
        """Store φ̂ and the factor from the model's output to η; returns self.

        ``output_scale`` is the family's ``EtaUnits.scale``: user η is the
        output times it.
        """
        self.phi_ = np.asarray(phi, dtype=np.float64)
        self.output_scale_ = np.asarray(output_scale, dtype=np.float64)
        return self

    def predict_eta(self, X) -> np.ndarray:
        """f[x, φ̂] on the user's scale of η, shape (n, P)."""
        eta = self.forward(X, self.phi_)[0]
        eta *= self.output_scale_
        return eta
