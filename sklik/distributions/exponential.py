"""Exponential output distribution: mean (log)."""

import numpy as np
from scipy import stats

from sklik.distributions._base import Distribution
from sklik.distributions._location_scale import weighted_mean_sd
from sklik.distributions._support import Support
from sklik.distributions.gamma import mean_units
from sklik.links import Log

#: y ≥ 0: a zero y has density 1/μ. (NON_NEGATIVE speaks of counts.)
NON_NEGATIVE_REAL = Support("y >= 0", 0.0, include_low=True, positive_only=True)


class Exponential(Distribution):
    r"""Exponential distribution with parameter mean μ (log link).

    .. math::

        -\log \Pr(y \mid \mu) = \log\mu + \frac{y}{\mu},
        \qquad \mu = e^{\eta_0}, \quad y \ge 0,

    the gamma distribution with shape 1 (statsmodels' gamma GLM with
    ``scale=1``; R's ``glm(family=Gamma("log"))`` with dispersion 1);
    scipy's ``stats.expon(scale=μ)``, whose rate is 1/μ. Var[y] = μ².

    On η the score is 1 - y/μ and the Hessian y/μ, which depends on y
    (hence Fisher scoring first, with the expected information 1). The NLL
    is computed as η + exp(log y - η): never ``0·inf`` at y = 0. The fit
    sees y divided by its weighted mean, so y of any magnitude is
    representable. Where every y of positive weight is 0 the likelihood
    has no maximum (μ → 0) and ``fit`` raises a ValueError.

    Examples
    --------
    >>> import numpy as np
    >>> from sklik import NLLRegressor
    >>> X = np.array([[0.0], [1.0], [2.0], [3.0]])
    >>> y = np.array([0.5, 1.0, 4.0, 6.0])
    >>> reg = NLLRegressor("exponential").fit(X, y)
    >>> reg.param_names_
    ('mean',)
    >>> reg.predict(np.array([[4.0]])).round(2)
    array([17.69])
    >>> float(reg.predict_dist(np.array([[4.0]])).median()[0].round(2))
    12.26
    """

    param_names = ("mean",)
    links = (Log(),)
    support = NON_NEGATIVE_REAL
    fisher_is_hessian = False  # the Hessian on η is y/μ

    # -- on θ (the generic contract; the η fast paths below agree) -----------
    def nll_grad_theta(self, y, theta):
        mu = theta[:, 0]
        return np.log(mu) + y / mu, ((mu - y) / mu**2)[:, None]

    def fisher_theta(self, theta):
        return (1.0 / theta[:, 0] ** 2)[:, None, None]

    def hessian_theta(self, y, theta):
        mu = theta[:, 0]
        return ((2.0 * y - mu) / mu**3)[:, None, None]

    def scipy_from_theta(self, theta):
        return stats.expon(scale=theta[:, 0])

    def start_theta(self, y, sample_weight):
        return np.array([sample_weight @ y / sample_weight.sum()])

    # -- fast paths on η ---------------------------------------------------------
    @staticmethod
    def _ratio(y, eta):
        """r = y/μ = exp(log y - η): 0 at y = 0, inf beyond the range."""
        with np.errstate(divide="ignore", over="ignore"):
            return np.exp(np.log(y) - eta[:, 0])

    def nll(self, y, eta):
        return eta[:, 0] + self._ratio(y, eta)

    def nll_grad(self, y, eta):
        r = self._ratio(y, eta)
        return eta[:, 0] + r, (1.0 - r)[:, None]

    def hessian(self, y, eta):
        return self._ratio(y, eta)[:, None, None]

    def fisher(self, eta):
        return np.ones((eta.shape[0], 1, 1))

    def mean(self, eta):
        with np.errstate(over="ignore"):
            return np.exp(eta[:, 0])

    std = mean

    # -- the data ----------------------------------------------------------------
    def for_data(self, y, sample_weight):
        if not np.any(y[sample_weight > 0] > 0):
            raise ValueError(
                f"The {self.name} family's likelihood has no maximum when every y "
                "(of positive weight) is 0: the fitted mean would be 0."
            )
        return self

    def units(self, y, sample_weight):
        return mean_units(self, y, sample_weight)

    def init_eta(self, y, sample_weight):
        return np.array([np.log(weighted_mean_sd(y, sample_weight)[0])])
