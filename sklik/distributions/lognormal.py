"""Log-normal output distribution: meanlog (identity) and sdlog (log) of log y."""

import numpy as np
from scipy import stats

from sklik.distributions._base import Distribution, EtaUnits
from sklik.distributions._location_scale import LOG_SCALE_GUARD, weighted_mean_sd
from sklik.distributions._support import POSITIVE
from sklik.distributions.normal import Normal
from sklik.links import Identity, Log


class LogNormal(Distribution):
    r"""Log-normal distribution: log y ~ Normal(meanlog, sdlog).

    .. math::

        -\log \Pr(y \mid m, s) = \log y + \tfrac12 \log 2\pi + \log s
        + \frac{(\log y - m)^2}{2 s^2},
        \qquad m = \eta_0, \quad s = e^{\eta_1},

    the :class:`~sklik.distributions.Normal` NLL of log y plus the Jacobian
    term log y, computed by that family (composed, not copied: its fast
    paths, Fisher information, guard and units of log y). R's ``dlnorm``
    and statsmodels name the parameters ``meanlog``/``sdlog``; scipy's
    ``stats.lognorm(s=sdlog, scale=exp(meanlog))``. ``predict`` gives the
    mean exp(m + s²/2); the median is exp(m).

    The fit sees log y centred at its weighted mean: y·c shifts meanlog by
    log c, and the fit is otherwise the same. With a constant sdlog at ``alpha=0`` the
    fit is least squares on log y, and sdlog the root mean squared residual
    (divisor Σ sample_weight).

    Examples
    --------
    >>> import numpy as np
    >>> from sklik import NLLRegressor
    >>> X = np.array([[0.0], [1.0], [2.0], [3.0]])
    >>> y = np.array([1.0, 3.0, 6.5, 21.0])
    >>> reg = NLLRegressor("lognormal").fit(X, y)
    >>> reg.param_names_
    ('meanlog', 'sdlog')
    >>> reg.coef_.round(4)
    array([[0.9907],
           [0.    ]])
    >>> reg.predict(np.array([[4.0]])).round(2)
    array([53.73])
    """

    param_names = ("meanlog", "sdlog")
    links = (Identity(), Log())
    support = POSITIVE
    fisher_is_hessian = False  # the Normal's Hessian depends on y
    normal_of = ("meanlog", "sdlog", np.log)
    _normal = Normal()

    # -- on θ (the generic contract; the η fast paths below agree) -----------
    def nll_grad_theta(self, y, theta):
        log_y = np.log(y)
        nll, grad = self._normal.nll_grad_theta(log_y, theta)
        return nll + log_y, grad

    def hessian_theta(self, y, theta):
        return self._normal.hessian_theta(np.log(y), theta)

    def fisher_theta(self, theta):
        return self._normal.fisher_theta(theta)

    def scipy_from_theta(self, theta):
        return stats.lognorm(s=theta[:, 1], scale=np.exp(theta[:, 0]))

    def start_theta(self, y, sample_weight):
        return self._normal.start_theta(np.log(y), sample_weight)

    # -- fast paths on η: the Normal's, on log y -------------------------------------
    def nll(self, y, eta):
        log_y = np.log(y)
        out = self._normal.nll(log_y, eta)
        out += log_y
        return out

    def nll_grad(self, y, eta):
        log_y = np.log(y)
        nll, grad = self._normal.nll_grad(log_y, eta)
        nll += log_y
        return nll, grad

    def hessian(self, y, eta):
        return self._normal.hessian(np.log(y), eta)

    def fisher(self, eta):
        return self._normal.fisher(eta)

    def mean(self, eta):
        with np.errstate(over="ignore"):
            return np.exp(eta[:, 0] + 0.5 * np.exp(2.0 * eta[:, 1]))

    def std(self, eta):
        with np.errstate(over="ignore", divide="ignore"):
            s2 = np.exp(2.0 * eta[:, 1])
            # sd = mean·sqrt(e^{s²} - 1), in logs: exp(m + s² + ½log(expm1(s²)/e^{s²}))
            return np.exp(eta[:, 0] + s2 + 0.5 * np.log(-np.expm1(-s2)))

    # -- the data ----------------------------------------------------------------
    def units(self, y, sample_weight):
        """y divided by its weighted geometric mean s: log y less its mean.

        A change of the units of y (y·c) is a shift of log y, hence of
        meanlog: the fit sees the same internal y, and meanlog's η shifts by
        log s. The guard is the Normal's on the scale of log y: sdlog below
        1e-10 (a relative spread of y of 1e-10, as the gamma's).
        """
        center = weighted_mean_sd(np.log(y), sample_weight)[0]
        with np.errstate(over="ignore", under="ignore", divide="ignore"):
            y_int = y / np.exp(center)  # one rounding per value
        if not np.all((y_int > 0) & np.isfinite(y_int)):  # y spans > 1e308
            return y, EtaUnits.identity(self.n_params)
        return y_int, EtaUnits(np.ones(2), np.array([center, 0.0]))

    def init_eta(self, y, sample_weight):
        eta = self._normal.init_eta(np.log(y), sample_weight)
        if weighted_mean_sd(np.log(y), sample_weight)[1] == 0:
            # A constant y: the guarded optimum (the NLL's slope in log σ is
            # 1 at zero residuals, the guard's 1 unit below it), which the
            # solver confirms at once.
            eta[1] = LOG_SCALE_GUARD - 1.0
        return eta

    def guard(self, eta):
        return self._normal.guard(eta)

    def degenerate(self, eta):
        return self._normal.degenerate(eta)

    def degenerate_message(self, y, eta, sample_weight):
        used = sample_weight > 0
        collapsed = self.degenerate(eta) & used
        if not collapsed.any():
            return None
        return (
            f"The fitted {self.name} distribution is degenerate: its sdlog is "
            f"below 1e-7 at {int(collapsed.sum())} of {int(used.sum())} training "
            "samples, where meanlog fits log y exactly. There the likelihood has "
            "no maximum (it grows without bound as sdlog shrinks; sklik stops "
            "sdlog at 1e-10), and the predictive intervals are absurdly narrow. "
            "Use more samples than parameters, alpha > 0, or fewer x-dependent "
            "parameters."
        )
