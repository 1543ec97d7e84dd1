"""The contract every output distribution Pr(y | θ) of sklik fulfils."""

from abc import ABC, abstractmethod
from dataclasses import dataclass

import numpy as np

from sklik.distributions._support import REAL, Support
from sklik.links import Link


@dataclass(frozen=True)
class Block:
    """Columns of η that belong together.

    Parameters
    ----------
    name : str
        The name ``x_dependent`` uses for the block.
    columns : tuple of int
        Its columns of η.
    shift_invariant : bool, default=False
        Adding one constant to every column of the block leaves the
        likelihood unchanged (softmax logits); the objective then centres
        the block, and nothing else.
    """

    name: str
    columns: tuple[int, ...]
    shift_invariant: bool = False


@dataclass(frozen=True)
class EtaUnits:
    """η on the user's scale from η on the fit's internal scale: scale·η + shift.

    A family whose y has units (a location, a scale) fits an internal y
    free of them, so that nothing the optimiser sees (the penalty included)
    depends on the units of y, and y of any magnitude stays representable.
    The model's output m is then ``η_user / scale``: the internal η is
    ``m + offset`` with the fixed ``offset = -shift / scale``, so that a
    column without a constant (``fit_intercept=False``) stays without one.
    """

    scale: np.ndarray
    shift: np.ndarray

    @classmethod
    def identity(cls, n_params: int) -> "EtaUnits":
        return cls(np.ones(n_params), np.zeros(n_params))

    @property
    def offset(self) -> np.ndarray:
        """The fixed offset from the model's output to the internal η."""
        return -self.shift / self.scale


class Distribution(ABC):
    """An output distribution Pr(y | θ) with θ = h(η) through per-parameter links.

    A family declares ``param_names`` (one per column of η), ``links`` (one
    per parameter), its ``support`` and, on the constrained θ, its negative
    log-likelihood with the gradient (:meth:`nll_grad_theta`), the frozen
    scipy distribution (:meth:`scipy_from_theta`) and a start for the
    intercept-only fit (:meth:`start_theta`). Optional capabilities on θ:
    :meth:`fisher_theta` (expected information) and :meth:`hessian_theta`
    (observed). Everything with respect to η follows by the chain rule;
    a family may override any η-level method with a fast path (glum's
    "generic default, fast path in the subclass"), which the registry tests
    check against the generic default.

    Attributes
    ----------
    param_names : tuple of str
    links : tuple of Link
    support : Support
    fisher_is_hessian : bool
        The Fisher information equals the observed Hessian for every y
        (canonical links): Newton's method then needs no Fisher scoring.
    costly_fisher : bool
        The Fisher information costs much more than the observed Hessian
        (the negative binomial's, a sum over counts): Newton's method then
        starts without Fisher scoring.
    """

    param_names: tuple[str, ...] = ()
    links: tuple[Link, ...] = ()
    support: Support = REAL
    fisher_is_hessian: bool = False
    costly_fisher: bool = False
    #: The likelihood has many local optima (a mixture): ``solver="auto"``
    #: then takes a trust region (Newton-CG), which stays near the start.
    local_optima: bool = False
    #: ``(location, scale, transform)`` when the family is the Normal of
    #: ``transform(y)`` (None: y itself) in these two parameters, the scale
    #: with the log link: with a constant scale and ``alpha=0`` its MLE is
    #: least squares (the ``"lstsq"`` closed form). None: not such a family.
    normal_of: tuple | None = None
    #: Whether ``NLLRegressor`` offers the family (classifiers' are not).
    regression: bool = True
    #: Whether the NLL is differentiable in η everywhere (not the Laplace's
    #: location, |y - μ|): gradient-based optima are then subgradient ones.
    smooth: bool = True
    #: Optional method ``hessian_factors(y, eta) -> (a, b)``, both (n, P),
    #: giving the per-sample Hessian as ``diag(a) - b bᵀ`` (softmax), so the
    #: Gram matrix takes P + 1 products instead of P(P+1)/2. None: not given.
    hessian_factors = None

    # -- structure ---------------------------------------------------------
    @property
    def name(self) -> str:
        """The family's name in messages (its registry name where it has one)."""
        from sklik.distributions import REGISTRY

        for key, cls in REGISTRY.items():
            if type(self) is cls:
                return key
        return type(self).__name__

    @property
    def n_params(self) -> int:
        """Number of raw columns P of η."""
        return len(self.param_names)

    @property
    def blocks(self) -> tuple[Block, ...]:
        """The parameter blocks; by default one per parameter."""
        return tuple(Block(name, (j,)) for j, name in enumerate(self.param_names))

    @property
    def shift_invariant(self) -> bool:
        return any(block.shift_invariant for block in self.blocks)

    def param_index(self, name: str) -> int:
        """The column of η carrying parameter ``name``."""
        try:
            return self.param_names.index(name)
        except ValueError:
            raise KeyError(
                f"{type(self).__name__} has no parameter {name!r}; its "
                f"parameters are {list(self.param_names)}."
            ) from None

    def block(self, name: str) -> Block:
        """The block called ``name``."""
        for block in self.blocks:
            if block.name == name:
                return block
        raise KeyError(
            f"{type(self).__name__} has no parameter {name!r}; its parameters "
            f"are {[b.name for b in self.blocks]}."
        )

    @property
    def has_hessian(self) -> bool:
        """Whether the observed Hessian is available (analytic)."""
        return _overrides(self, "hessian_theta") or _overrides(self, "hessian")

    @property
    def has_fisher(self) -> bool:
        """Whether the expected (Fisher) information is available (analytic)."""
        return (
            _overrides(self, "fisher_theta")
            or _overrides(self, "fisher")
            or (self.fisher_is_hessian and self.has_hessian)
        )

    def constant_fisher(self) -> np.ndarray | None:
        """Optional: (P, P), the entries of the Fisher information w.r.t. η
        that are the same for every η (NaN where they vary), or None.

        The objective then forms those Gram blocks once from the design.
        """
        return None

    # -- what a family provides, on θ --------------------------------------
    @abstractmethod
    def nll_grad_theta(self, y, theta) -> tuple[np.ndarray, np.ndarray]:
        """Per-sample NLL (n,) and its gradient with respect to θ (n, P)."""

    def nll_theta(self, y, theta) -> np.ndarray:
        """Per-sample negative log-likelihood, constants included, shape (n,)."""
        return self.nll_grad_theta(y, theta)[0]

    def fisher_theta(self, theta) -> np.ndarray:
        """Optional: per-sample expected information w.r.t. θ, (n, P, P)."""
        raise NotImplementedError(f"{type(self).__name__} has no Fisher information.")

    def hessian_theta(self, y, theta) -> np.ndarray:
        """Optional: per-sample Hessian of the NLL w.r.t. θ, (n, P, P)."""
        raise NotImplementedError(f"{type(self).__name__} has no analytic Hessian.")

    @abstractmethod
    def scipy_from_theta(self, theta):
        """The frozen, vectorised predictive distribution at θ (n, P)."""

    @abstractmethod
    def start_theta(self, y, sample_weight) -> np.ndarray:
        """θ (P,) to start the intercept-only fit from (moments, say)."""

    # -- η level: the chain rule (fast paths may override) ------------------
    def theta(self, eta) -> np.ndarray:
        """θ = h(η) column by column, shape (n, P)."""
        out = np.empty(eta.shape)
        for j, link in enumerate(self.links):
            out[:, j] = link.inverse(eta[:, j])
        return out

    def _derivatives(self, eta):
        if len(self.links) != self.n_params:
            raise NotImplementedError(
                f"{type(self).__name__} has a block link: it must give its "
                "derivatives with respect to η itself."
            )
        d1, d2 = np.empty(eta.shape), np.empty(eta.shape)
        for j, link in enumerate(self.links):
            d1[:, j] = link.inverse_derivative(eta[:, j])
            d2[:, j] = link.inverse_second_derivative(eta[:, j])
        return d1, d2

    def nll(self, y, eta) -> np.ndarray:
        """Per-sample negative log-likelihood at η, shape (n,)."""
        return self.nll_theta(y, self.theta(eta))

    def nll_grad(self, y, eta) -> tuple[np.ndarray, np.ndarray]:
        """Per-sample NLL (n,) and its gradient with respect to η (n, P)."""
        nll, grad = self.nll_grad_theta(y, self.theta(eta))
        return nll, grad * self._derivatives(eta)[0]

    def hessian(self, y, eta) -> np.ndarray:
        """Per-sample Hessian of the NLL w.r.t. η, (n, P, P).

        ``D H_θ D + diag(∂nll/∂θ · h'')`` with D = diag(h'(η)).
        """
        theta = self.theta(eta)
        d1, d2 = self._derivatives(eta)
        if _overrides(self, "hessian_theta"):
            out = self.hessian_theta(y, theta) * d1[:, :, None] * d1[:, None, :]
        else:
            raise NotImplementedError(f"{type(self).__name__} has no analytic Hessian.")
        idx = np.arange(self.n_params)
        out[:, idx, idx] += self.nll_grad_theta(y, theta)[1] * d2
        return out

    def fisher(self, eta) -> np.ndarray:
        """Per-sample Fisher information w.r.t. η, (n, P, P): D F_θ D.

        Positive semi-definite. Where a family has no Fisher information but
        ``fisher_is_hessian``, the Hessian (which then does not depend on y).
        """
        if _overrides(self, "fisher_theta"):
            d1 = self._derivatives(eta)[0]
            return self.fisher_theta(self.theta(eta)) * d1[:, :, None] * d1[:, None, :]
        if self.fisher_is_hessian:
            return self.hessian(None, eta)
        raise NotImplementedError(f"{type(self).__name__} has no Fisher information.")

    def to_scipy(self, eta):
        """The predictive distribution at η as a frozen, vectorised object."""
        return self.scipy_from_theta(self.theta(eta))

    def mean(self, eta) -> np.ndarray:
        """The predictive mean at η, shape (n,) (what ``predict`` returns)."""
        return np.asarray(self.to_scipy(eta).mean(), dtype=np.float64)

    def std(self, eta) -> np.ndarray:
        """The predictive standard deviation at η, shape (n,)."""
        return np.asarray(self.to_scipy(eta).std(), dtype=np.float64)

    def params(self, eta) -> dict[str, np.ndarray]:
        """The constrained parameters θ by name."""
        theta = self.theta(eta)
        return {name: theta[:, j] for j, name in enumerate(self.param_names)}

    # -- the data ------------------------------------------------------------
    def check_y(self, y) -> np.ndarray:
        """y as float64 in the support; a ValueError naming the family otherwise."""
        return self.support.check(y, self.name)

    def units(self, y, sample_weight) -> tuple[np.ndarray, EtaUnits]:
        """The internal y and how internal η maps to the user's (default: as is)."""
        return y, EtaUnits.identity(self.n_params)

    def init_eta(self, y, sample_weight) -> np.ndarray:
        """The intercept-only maximum-likelihood η, shape (P,).

        By default a few damped Newton steps from :meth:`start_theta` on the
        P-parameter problem (no pass over X).
        """
        from sklik.distributions._intercept_only import intercept_only_eta

        return intercept_only_eta(self, y, sample_weight)

    def guard(self, eta):
        """Optional: a penalty that keeps an unbounded likelihood finite.

        None, or per-sample ``(value, gradient, curvature)`` arrays of shape
        (n,), (n, P), (n, P), zero wherever the likelihood is bounded. The
        objective adds it.
        """
        return None

    def degenerate(self, eta) -> np.ndarray | None:
        """Optional: (n,) bool, the samples at which the fitted distribution is
        degenerate (a scale collapsed to rounding level); None: never."""
        return None

    def degenerate_message(self, y, eta, sample_weight) -> str | None:
        """Why the fit at η has no maximum-likelihood estimate, or None.

        The estimator warns with it (:class:`~sklik.exceptions.DegenerateFitWarning`)
        and skips the convergence test, whose gradient is then meaningless.
        By default the samples :meth:`degenerate` reports, as a collapsed
        scale; a family with another kind of boundary says its own.
        """
        collapsed = self.degenerate(eta)
        if collapsed is None:
            return None
        used = sample_weight > 0
        collapsed = collapsed & used
        if not collapsed.any():
            return None
        return (
            f"The fitted {self.name} distribution is degenerate: its scale is "
            f"below 1e-7 of y's spread at {int(collapsed.sum())} of "
            f"{int(used.sum())} training samples, which the location fits "
            "exactly. There the likelihood has no maximum (it grows without "
            "bound as the scale shrinks; sklik stops the scale at 1e-10 of y's "
            "spread), and the predictive intervals are absurdly narrow. Use more "
            "samples than parameters, alpha > 0, or fewer x-dependent parameters."
        )

    def for_data(self, y, sample_weight) -> "Distribution":
        """The family set up for this training data (default: itself)."""
        return self

    @classmethod
    def example(cls) -> "Distribution":
        """A representative instance, used by the registry-driven tests."""
        return cls()

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


def _overrides(dist, method: str) -> bool:
    """Whether ``dist``'s class defines ``method`` beyond Distribution's default."""
    return getattr(type(dist), method) is not getattr(Distribution, method)
