"""Bernoulli output distribution with a logit link."""

import numpy as np
from scipy import stats
from scipy.special import expit, logit

from sklik.distributions._base import Distribution
from sklik.distributions._support import Support
from sklik.links import Logit


class Bernoulli(Distribution):
    r"""Bernoulli distribution of ``y ∈ {0, 1}`` with one raw logit column.

    .. math::

        -\log \Pr(y \mid \eta) = -y \log\sigma(\eta) - (1-y)\log\sigma(-\eta),
        \qquad \Pr(y = 1) = \sigma(\eta) = 1 / (1 + e^{-\eta}).

    Computed from the logit as :math:`\log(1 + e^{-|\eta|}) + (\max(\eta, 0) -
    y\eta)`: one ``exp`` and one ``log1p``, it never overflows, never takes
    ``log(0)`` and, for ``y ∈ {0, 1}``, is exact to rounding (the bracket is 0
    or ``|η|`` exactly).

    Examples
    --------
    >>> import numpy as np
    >>> from sklik.distributions import Bernoulli
    >>> Bernoulli().nll(np.array([1.0]), np.array([[0.0]]))
    array([0.69314718])
    """

    param_names = ("p",)
    links = (Logit(),)
    support = Support("y in {0, 1}", 0.0, 1.0, include_low=True, include_high=True)
    fisher_is_hessian = True  # the logit is the canonical link
    regression = False  # labels: BernoulliNLLClassifier

    # -- on θ ----------------------------------------------------------------
    def nll_grad_theta(self, y, theta):
        p = theta[:, 0]
        with np.errstate(divide="ignore"):
            nll = -np.where(y > 0, y * np.log(p), 0.0) - np.where(
                y < 1, (1 - y) * np.log1p(-p), 0.0
            )
        return nll, ((p - y) / (p * (1 - p)))[:, None]

    def scipy_from_theta(self, theta):
        return stats.bernoulli(theta[:, 0])

    def start_theta(self, y, sample_weight):
        return np.array([sample_weight @ y / sample_weight.sum()])

    # -- fast paths on η: from the logit, never log(0) -----------------------
    def nll(self, y, eta):
        t = eta[:, 0]
        out = np.log1p(np.exp(-np.abs(t)))
        out += np.maximum(t, 0.0) - y * t
        return out

    def nll_grad(self, y, eta):
        grad = expit(eta[:, :1])
        grad[:, 0] -= y
        return self.nll(y, eta), grad

    def hessian(self, y, eta):
        t = eta[:, 0]
        return (expit(t) * expit(-t))[:, None, None]

    def init_eta(self, y, sample_weight):
        p = sample_weight @ y / sample_weight.sum()
        return np.array([logit(np.clip(p, 1e-15, 1 - 1e-15))])

    def mean(self, eta):
        return expit(eta[:, 0])
