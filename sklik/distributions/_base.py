"""The contract every output distribution Pr(y | θ) of sklik fulfils."""

from abc import ABC, abstractmethod

import numpy as np


class Distribution(ABC):
    """An output distribution parametrised by raw, unconstrained columns η.

    A distribution maps the model's raw outputs ``eta`` of shape
    ``(n_samples, n_params)`` to its parameters θ through its links and gives
    the full negative log-likelihood of ``y`` and its gradient with respect to
    ``eta``. Subclasses declare ``param_names`` (one per column of ``eta``)
    and implement the abstract methods; everything else in sklik (objective,
    solvers, estimators) works through this interface only.

    Attributes
    ----------
    param_names : tuple of str
        Name of the parameter carried by each column of ``eta``.
    shift_invariant : bool
        True when adding the same constant to every column of ``eta`` leaves
        the likelihood unchanged (softmax logits). The objective then pins the
        flat direction by centring.
    """

    param_names: tuple[str, ...] = ()
    shift_invariant: bool = False
    #: Optional method ``hessian_factors(y, eta) -> (a, b)``, both (n, P),
    #: giving the per-sample Hessian as ``diag(a) - b bᵀ`` (softmax), so the
    #: Gram matrix takes P + 1 products instead of P(P+1)/2. None: not given.
    hessian_factors = None

    @property
    def fisher_is_hessian(self) -> bool:
        """Whether :meth:`fisher` is the Hessian (not overridden: canonical links)."""
        return type(self).fisher is Distribution.fisher

    @property
    def n_params(self) -> int:
        """Number of raw columns P of ``eta``."""
        return len(self.param_names)

    @abstractmethod
    def nll(self, y: np.ndarray, eta: np.ndarray) -> np.ndarray:
        """Per-sample negative log-likelihood, constants included, shape (n,)."""

    @abstractmethod
    def nll_grad(self, y: np.ndarray, eta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Per-sample NLL (n,) and its gradient with respect to ``eta`` (n, P)."""

    @abstractmethod
    def hessian(self, y: np.ndarray, eta: np.ndarray) -> np.ndarray:
        """Per-sample Hessian of the NLL w.r.t. ``eta``, shape (n, P, P)."""

    def fisher(self, eta: np.ndarray) -> np.ndarray:
        """Per-sample Fisher information w.r.t. ``eta``, shape (n, P, P).

        Positive semi-definite; Newton's method falls back on it where the
        summed Hessian is not. Defaults to the Hessian, which is the Fisher
        information already for canonical links (logit, softmax).
        """
        return self.hessian(None, eta)

    @abstractmethod
    def init_eta(self, y: np.ndarray, sample_weight: np.ndarray) -> np.ndarray:
        """The intercept-only maximum-likelihood ``eta``, shape (P,)."""

    @abstractmethod
    def to_scipy(self, eta: np.ndarray):
        """The predictive distribution at ``eta`` as a frozen, vectorised object."""

    @classmethod
    def example(cls) -> "Distribution":
        """A representative instance, used by the registry-driven tests."""
        return cls()

    def eta_scale(self, y: np.ndarray, sample_weight: np.ndarray) -> np.ndarray:
        """Typical size of each column of ``eta`` on this data, shape (P,).

        The model measures its internal parameters in these units, so that
        the optimiser sees a problem whose conditioning does not depend on
        the units of y. Default: ones.
        """
        return np.ones(self.n_params)

    def params(self, eta: np.ndarray) -> dict[str, np.ndarray]:
        """The constrained parameters θ by name (default: the raw columns)."""
        return {name: eta[:, j] for j, name in enumerate(self.param_names)}
