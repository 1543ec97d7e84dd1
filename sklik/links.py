"""Link functions: the map between a constrained parameter θ and a raw column η.

A family declares one link per parameter; the model predicts η on the whole
real line and the link's inverse gives θ = h(η) in the parameter's domain.
The chain rule through ``inverse_derivative`` and
``inverse_second_derivative`` turns a family's gradient and curvature with
respect to θ into those with respect to η (see
:class:`sklik.distributions.Distribution`). The coefficients ``coef_`` and
``summary()`` report parameters on the link scale.

Examples
--------
>>> import numpy as np
>>> from sklik.links import Log
>>> link = Log()
>>> link.inverse(np.array([0.0, 1.0])).round(4)
array([1.    , 2.7183])
>>> float(link(np.e))
1.0
"""

from abc import ABC, abstractmethod

import numpy as np
from scipy.special import expit, logit

__all__ = ["HalfTangent", "Identity", "Link", "Log", "Logit", "Softmax"]


class Link(ABC):
    """θ = h(η), applied elementwise: h, h', h'' and the link g = h⁻¹ itself."""

    #: Short name used in tables and in ``summary()``.
    name: str = ""

    @abstractmethod
    def __call__(self, theta: np.ndarray) -> np.ndarray:
        """The link g(θ) = η."""

    @abstractmethod
    def inverse(self, eta: np.ndarray) -> np.ndarray:
        """θ = h(η)."""

    @abstractmethod
    def inverse_derivative(self, eta: np.ndarray) -> np.ndarray:
        """dθ/dη = h'(η)."""

    @abstractmethod
    def inverse_second_derivative(self, eta: np.ndarray) -> np.ndarray:
        """d²θ/dη² = h''(η)."""

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"

    def __eq__(self, other) -> bool:
        return type(self) is type(other) and vars(self) == vars(other)

    def __hash__(self) -> int:
        return hash(type(self))


class Identity(Link):
    """θ = η (locations)."""

    name = "identity"

    def __call__(self, theta):
        return np.asarray(theta, dtype=np.float64)

    def inverse(self, eta):
        return np.asarray(eta, dtype=np.float64)

    def inverse_derivative(self, eta):
        return np.ones_like(eta, dtype=np.float64)

    def inverse_second_derivative(self, eta):
        return np.zeros_like(eta, dtype=np.float64)


class Log(Link):
    """θ = exp(η) (scales, rates, means of positive quantities, shapes)."""

    name = "log"

    def __call__(self, theta):
        with np.errstate(divide="ignore"):
            return np.log(theta)

    def inverse(self, eta):
        with np.errstate(over="ignore"):
            return np.exp(eta)

    inverse_derivative = inverse
    inverse_second_derivative = inverse


class Logit(Link):
    """θ = 1 / (1 + exp(−η)) (probabilities, means of proportions)."""

    name = "logit"

    def __call__(self, theta):
        with np.errstate(divide="ignore"):
            return logit(theta)

    def inverse(self, eta):
        return expit(eta)

    def inverse_derivative(self, eta):
        return expit(eta) * expit(-eta)

    def inverse_second_derivative(self, eta):
        p = expit(eta)
        return p * expit(-eta) * (1.0 - 2.0 * p)


class HalfTangent(Link):
    """θ = center + 2·arctan(η), an angle in (center − π, center + π).

    The link of a circular location (Fisher & Lee 1992): it maps the real
    line once around the circle, with η = 0 at ``center``. sklik sets the
    center to the weighted circular mean of the training angles, so only
    the direction opposite the mean is out of reach.

    Parameters
    ----------
    center : float, default=0.0
    """

    name = "half-tangent"

    def __init__(self, center: float = 0.0):
        self.center = float(center)

    def __repr__(self) -> str:
        return f"HalfTangent(center={self.center!r})"

    def __hash__(self) -> int:
        return hash((type(self), self.center))

    def __call__(self, theta):
        return np.tan(0.5 * _wrap(np.asarray(theta, dtype=np.float64) - self.center))

    def inverse(self, eta):
        return self.center + 2.0 * np.arctan(eta)

    def inverse_derivative(self, eta):
        return 2.0 / (1.0 + np.square(eta))

    def inverse_second_derivative(self, eta):
        return -4.0 * eta / np.square(1.0 + np.square(eta))


class Softmax:
    """A block link: probabilities θ = softmax(η) over the columns of a block.

    Not elementwise, so a family with a softmax block computes its gradient
    and curvature with respect to η itself; adding a constant to every
    column of the block leaves θ unchanged (the block's shift invariance).
    """

    name = "softmax"

    def inverse(self, eta):
        from scipy.special import softmax

        return softmax(eta, axis=-1)

    def __repr__(self) -> str:
        return "Softmax()"

    def __eq__(self, other) -> bool:
        return type(self) is type(other)

    def __hash__(self) -> int:
        return hash(type(self))


def _wrap(angle):
    """Angles into (−π, π]."""
    return np.pi - np.mod(np.pi - angle, 2.0 * np.pi)
