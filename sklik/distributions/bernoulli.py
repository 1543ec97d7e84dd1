"""Bernoulli output distribution with a logit link."""

import numpy as np
from scipy import stats
from scipy.special import expit, logit

from sklik.distributions._base import Distribution


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

    param_names = ("logit",)

    def params(self, eta):
        return {"p": expit(eta[:, 0])}

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

    def to_scipy(self, eta):
        return stats.bernoulli(expit(eta[:, 0]))
