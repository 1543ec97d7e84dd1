"""Beta output distribution of proportions: mean (logit) and precision (log)."""

import numpy as np
from scipy import special, stats

from sklik.distributions._base import Distribution
from sklik.distributions._gamma_functions import (
    _HALF_LOG_2PI,
    LOG_PRECISION_DEGENERATE,
    LOG_PRECISION_GUARD,
    WithGuard,
    e_and_p,
    e_minus_q,
    expm1mx,
    per_value,
    precision_guard,
    precision_message,
    rest_and_e,
    stirling_rest,
    x2_trigamma_minus_x,
)
from sklik.distributions._support import UNIT_INTERVAL
from sklik.links import Log, Logit

#: log φ up to which the textbook formulas (differences of lgamma, ψ, ψ') keep
#: enough digits for a start.
_TEXTBOOK_LOG_PRECISION = np.log(1e8)
#: log φ is evaluated within these bounds: φ and φ·(anything finite) stay
#: representable, far beyond the guard (log φ ≤ 46 at any optimum).
_LOG_PRECISION_BOUNDS = (-700.0, 700.0)


class Beta(Distribution):
    r"""Beta distribution of y in (0, 1) with mean μ (logit) and precision φ (log).

    .. math::

        -\log \Pr(y \mid \mu, \phi) = \log B(a, b) - (a - 1)\log y
        - (b - 1)\log(1 - y),
        \qquad a = \mu\phi, \quad b = (1 - \mu)\phi,

    with μ = 1/(1 + e^{-η₀}) and φ = e^{η₁}: E[y] = μ and
    Var[y] = μ(1 - μ)/(1 + φ). This is the beta regression of Ferrari &
    Cribari-Neto (2004), with the precision model of Smithson & Verkuilen
    (2006) for ``x_dependent="all"``: R's ``betareg`` (``phi``) and
    statsmodels' ``BetaModel`` (``precision``); scipy's
    ``stats.beta(a, b)``.

    The NLL is computed as ``φ·KL(μ‖y) + R(a) + R(b) - R(φ) + …`` with the
    Bernoulli divergence KL = μ·(r - 1 - log r) + (1 - μ)·(s - 1 - log s),
    r = y/μ and s = (1 - y)/(1 - μ), and R the rest of Stirling's series
    (see :mod:`~sklik.distributions._gamma_functions`): no difference of
    large numbers at any precision. The expected information (Ferrari &
    Cribari-Neto's, on η) and the observed Hessian are analytic, in terms
    of Q(x) = x²ψ'(x) - x. A y of exactly 0 or 1 has no density: transform
    y by (y·(n - 1) + 0.5)/n first (Smithson & Verkuilen 2006). Where every
    y equals its fitted mean the precision has no maximum: a guard stops it
    at 1e20 and the fit warns.

    Examples
    --------
    >>> import numpy as np
    >>> from sklik import NLLRegressor
    >>> X = np.array([[0.0], [1.0], [2.0], [3.0], [4.0]])
    >>> y = np.array([0.12, 0.3, 0.41, 0.72, 0.8])
    >>> reg = NLLRegressor("beta").fit(X, y)
    >>> reg.param_names_
    ('mean', 'precision')
    >>> reg.predict(np.array([[2.0]])).round(3)
    array([0.46])
    >>> print(f"{reg.predict_dist(np.array([[2.0]])).std()[0]:.3f}")
    0.042
    """

    param_names = ("mean", "precision")
    links = (Logit(), Log())
    support = UNIT_INTERVAL
    fisher_is_hessian = False  # the Hessian on η depends on y

    # -- on θ: the textbook formulas (the η fast paths below agree) ----------
    def nll_grad_theta(self, y, theta):
        mu, phi = theta[:, 0], theta[:, 1]
        a, b = mu * phi, (1.0 - mu) * phi
        log_y, log_1my = np.log(y), np.log1p(-y)
        nll = (
            special.gammaln(a)
            + special.gammaln(b)
            - special.gammaln(phi)
            - (a - 1.0) * log_y
            - (b - 1.0) * log_1my
        )
        psi_a, psi_b = special.psi(a), special.psi(b)
        resid = (log_y - log_1my) - (psi_a - psi_b)  # y* - μ*
        grad = np.column_stack(
            [
                -phi * resid,
                -(mu * resid + log_1my - psi_b + special.psi(phi)),
            ]
        )
        return nll, grad

    def fisher_theta(self, theta):
        mu, phi = theta[:, 0], theta[:, 1]
        t_a, t_b = special.polygamma(1, mu * phi), special.polygamma(1, (1 - mu) * phi)
        out = np.empty((len(mu), 2, 2))
        out[:, 0, 0] = phi**2 * (t_a + t_b)
        out[:, 0, 1] = out[:, 1, 0] = phi * (mu * t_a - (1.0 - mu) * t_b)
        out[:, 1, 1] = mu**2 * t_a + (1 - mu) ** 2 * t_b - special.polygamma(1, phi)
        return out

    def hessian_theta(self, y, theta):
        mu = theta[:, 0]
        resid = (np.log(y) - np.log1p(-y)) - (
            special.psi(mu * theta[:, 1]) - special.psi((1.0 - mu) * theta[:, 1])
        )
        out = self.fisher_theta(theta)
        out[:, 0, 1] -= resid
        out[:, 1, 0] = out[:, 0, 1]
        return out

    def scipy_from_theta(self, theta):
        mu, phi = theta[:, 0], theta[:, 1]
        return stats.beta(mu * phi, (1.0 - mu) * phi)

    def start_theta(self, y, sample_weight):
        w = sample_weight / sample_weight.sum()
        mean = w @ y
        var = w @ (y - mean) ** 2
        phi = mean * (1.0 - mean) / var - 1.0 if var > 0 else np.inf
        return np.array([mean, phi if phi > 0 else 1.0])

    # -- fast paths on η -----------------------------------------------------------
    def _pieces(self, y, eta):
        """Everything the NLL and its derivatives share, overflow-free."""
        log_phi = np.clip(eta[:, 1], *_LOG_PRECISION_BOUNDS)
        phi = np.exp(log_phi)
        lm = -np.logaddexp(0.0, -eta[:, 0])  # log μ
        l1m = -np.logaddexp(0.0, eta[:, 0])  # log(1 - μ)
        mu, om = special.expit(eta[:, 0]), special.expit(-eta[:, 0])
        a = mu * phi  # (0 where it underflows: its log is what counts there)
        p = {"log_phi": log_phi, "phi": phi, "lm": lm, "l1m": l1m, "mu": mu, "om": om}
        p.update(a=a, b=om * phi, log_a=lm + log_phi, log_b=l1m + log_phi)
        p["c"] = a * om  # μ(1 - μ)φ
        log_y, log_1my = np.log(y), np.log1p(-y)
        p["log_y"], p["log_1my"] = log_y, log_1my
        p["logit_resid"] = (log_y - log_1my) - eta[:, 0]  # logit y - η₀
        kl = _weighted_expm1mx(mu, y, log_y - lm)
        kl += _weighted_expm1mx(om, 1.0 - y, log_1my - l1m)
        with np.errstate(over="ignore"):
            p["phi_kl"] = phi * kl
        return p

    def _nll(self, p, rest_a, rest_b, rest_phi):
        out = p["phi_kl"] + (p["log_y"] + p["log_1my"])
        out -= 0.5 * (p["log_phi"] + p["lm"] + p["l1m"]) - _HALF_LOG_2PI
        out += rest_a
        out += rest_b
        out -= rest_phi
        return out

    def nll(self, y, eta):
        p = self._pieces(y, eta)
        return self._nll(
            p,
            stirling_rest(p["a"], p["log_a"]),
            stirling_rest(p["b"], p["log_b"]),
            per_value(stirling_rest, p["phi"], p["log_phi"]),
        )

    def nll_grad(self, y, eta):
        p = self._pieces(y, eta)
        rest_a, e_a = rest_and_e(p["a"], p["log_a"])
        rest_b, e_b = rest_and_e(p["b"], p["log_b"])
        rest_phi, e_phi = per_value(rest_and_e, p["phi"], p["log_phi"])
        grad = np.empty(eta.shape)
        with np.errstate(over="ignore"):
            grad[:, 0] = p["mu"] * e_b - p["om"] * e_a - p["c"] * p["logit_resid"]
        grad[:, 1] = p["phi_kl"] + e_phi - e_a - e_b
        return self._nll(p, rest_a, rest_b, rest_phi), grad

    def hessian(self, y, eta):
        p = self._pieces(y, eta)
        mu, om, c, resid = p["mu"], p["om"], p["c"], p["logit_resid"]
        e_a, p_a = e_and_p(p["a"], p["log_a"])
        e_b, p_b = e_and_p(p["b"], p["log_b"])
        p_phi = per_value(e_minus_q, p["phi"], p["log_phi"])
        out = np.empty((eta.shape[0], 2, 2))
        with np.errstate(over="ignore", invalid="ignore"):
            c_resid = c * resid
            out[:, 0, 0] = (
                c * (1.0 - (om - mu) * resid)
                + mu * om * (e_a + e_b)
                - om * om * p_a
                - mu * mu * p_b
            )
            out[:, 0, 1] = out[:, 1, 0] = mu * p_b - om * p_a - c_resid
            out[:, 1, 1] = p["phi_kl"] + p_phi - p_a - p_b
        return out

    def fisher(self, eta):
        log_phi = np.clip(eta[:, 1], *_LOG_PRECISION_BOUNDS)
        lm, l1m = -np.logaddexp(0.0, -eta[:, 0]), -np.logaddexp(0.0, eta[:, 0])
        mu, om = np.exp(lm), np.exp(l1m)
        q_a = x2_trigamma_minus_x(np.exp(lm + log_phi), lm + log_phi)
        q_b = x2_trigamma_minus_x(np.exp(l1m + log_phi), l1m + log_phi)
        q_phi = per_value(x2_trigamma_minus_x, np.exp(log_phi), log_phi)
        out = np.empty((eta.shape[0], 2, 2))
        out[:, 0, 0] = om * om * q_a + mu * mu * q_b + np.exp(lm + l1m + log_phi)
        out[:, 0, 1] = out[:, 1, 0] = om * q_a - mu * q_b
        out[:, 1, 1] = q_a + q_b - q_phi
        return out

    def mean(self, eta):
        return special.expit(eta[:, 0])

    def std(self, eta):
        mu = special.expit(eta[:, 0])
        with np.errstate(over="ignore"):
            return np.sqrt(mu * special.expit(-eta[:, 0]) / (1.0 + np.exp(eta[:, 1])))

    # -- the data ----------------------------------------------------------------
    def check_y(self, y):
        try:
            return super().check_y(y)
        except ValueError as exc:
            y = np.asarray(y, dtype=np.float64)
            bad = y[~self.support.contains(y)]
            if not np.all((bad == 0.0) | (bad == 1.0)):  # not proportions at all
                raise
            raise ValueError(
                f"{exc.args[0]} A proportion of exactly 0 or 1 has no beta "
                "density; Smithson & Verkuilen (2006) suggest transforming y "
                "by (y·(n - 1) + 0.5)/n, n the number of samples."
            ) from None

    def init_eta(self, y, sample_weight):
        """The intercept-only MLE: damped Newton on the NLL with the guard.

        As the default's, but judged and solved on the curvature scaled to a
        unit diagonal: at a large precision the mean's curvature is
        μ(1 - μ)φ and the precision's about ½, a well-conditioned problem
        whose raw matrix the default takes for singular. Where every y is
        equal the result is the guarded optimum the solver confirms.
        """
        return _intercept_only(self, y, sample_weight)

    def guard(self, eta):
        return precision_guard(eta, 1)

    def degenerate(self, eta):
        return eta[:, 1] > LOG_PRECISION_DEGENERATE

    def degenerate_message(self, y, eta, sample_weight):
        return precision_message(
            self,
            eta,
            sample_weight,
            "precision",
            "a standard deviation below 1e-7·√(μ(1 - μ))",
        )


def _weighted_expm1mx(p, q, t):
    """p·(e^t - 1 - t) for t = log(q/p) ≥ … with q = p·e^t given: never 0·inf.

    Near t = 0 from the series of expm1mx; elsewhere as (q - p) - p·t,
    where the two terms do not cancel to more than a digit.
    """
    near = np.abs(t) <= 0.5
    out = (q - p) - p * t
    if near.any():
        out[near] = p[near] * expm1mx(t[near])
    return out


def _from_sufficient_statistics(mean_log_y, mean_log_1my, eta, max_iter=50):
    """The intercept-only MLE from the means of log y and log(1 - y) alone.

    The beta is an exponential family in (a, b) with these sufficient
    statistics: Fisher scoring (the textbook formulas) needs no pass over
    the data. Its digits at a large precision are those of lgamma's
    differences, so the data polish the result; where the precision runs
    beyond the guard (every y equal) it stops there.
    """
    diff = mean_log_y - mean_log_1my

    def value(e):
        mu, phi = special.expit(e[0]), np.exp(e[1])
        a, b = mu * phi, (1.0 - mu) * phi
        return special.betaln(a, b) - (a - 1.0) * mean_log_y - (b - 1.0) * mean_log_1my

    f = value(eta)
    for _ in range(max_iter):
        mu, om, phi = special.expit(eta[0]), special.expit(-eta[0]), np.exp(eta[1])
        a, b = mu * phi, om * phi
        psi_b = special.psi(b)
        resid = diff - (special.psi(a) - psi_b)
        c = mu * om * phi
        g = -np.array([c * resid, phi * (mu * resid + mean_log_1my - psi_b)])
        g[1] -= phi * special.psi(phi)
        t_a, t_b = special.polygamma(1, a), special.polygamma(1, b)
        F = np.empty((2, 2))
        F[0, 0] = c * c * (t_a + t_b)
        F[0, 1] = F[1, 0] = c * phi * (mu * t_a - om * t_b)
        F[1, 1] = (
            phi * phi * (mu * mu * t_a + om * om * t_b - special.polygamma(1, phi))
        )
        if not (np.all(np.diag(F) > 0) and eta[1] < _TEXTBOOK_LOG_PRECISION):
            break  # lgamma's differences have no digits left: the data take over
        s = 1.0 / np.sqrt(np.diag(F))
        try:
            d = -s * np.linalg.solve(F * np.outer(s, s), g * s)
        except np.linalg.LinAlgError:
            break
        d *= min(1.0, 5.0 / max(np.max(np.abs(d)), 1e-300))
        step = 1.0
        while step > 1e-10:
            f_new = value(eta + step * d)
            if f_new <= f + 1e-4 * step * (g @ d) + 16 * np.finfo(float).eps * abs(f):
                break
            step *= 0.5
        else:
            break
        eta, f = eta + step * d, f_new
        if eta[1] > LOG_PRECISION_GUARD or np.max(np.abs(step * d)) < 1e-12:
            break
    return np.array([eta[0], min(eta[1], LOG_PRECISION_GUARD)])


def _intercept_only(dist, y, sample_weight, max_iter=100, tol=1e-12):
    """Minimise the weighted mean NLL plus guard over a constant η (2,): from
    the sufficient statistics' optimum, damped Newton steps on the data."""
    w = sample_weight / sample_weight.sum()
    keep = w > 0
    y, w = y[keep], w[keep]
    guarded = WithGuard(dist)
    mean, phi = dist.start_theta(y, w)
    eta = _from_sufficient_statistics(
        w @ np.log(y),
        w @ np.log1p(-y),
        np.array([special.logit(mean), min(np.log(phi), LOG_PRECISION_GUARD)]),
    )

    def value_grad(e):
        E = np.empty((len(y), 2))
        E[:] = e
        nll, g = guarded.nll_grad(y, E)
        return w @ nll, w @ g, E

    f, g, E = value_grad(eta)
    for _ in range(max_iter):
        if not np.max(np.abs(g)) > tol * max(1.0, abs(f)):
            break
        d = None
        for observed in (True, False):
            C = guarded.hessian(y, E) if observed else guarded.fisher(E)
            H = np.einsum("i,ijk->jk", w, C)
            s = 1.0 / np.sqrt(np.abs(np.diag(H)))
            try:
                L = np.linalg.cholesky(H * np.outer(s, s))
            except np.linalg.LinAlgError:
                continue
            if np.min(np.diag(L)) ** 2 > 1e-12:
                d = -s * np.linalg.solve(H * np.outer(s, s), g * s)
                break
        if d is None:  # neither is positive definite: scaled gradient descent
            d = -g * s * s
        d *= min(1.0, 5.0 / max(np.max(np.abs(d)), 1e-300))
        step = 1.0
        while step > 1e-10:
            f_new, g_new, E_new = value_grad(eta + step * d)
            if f_new <= f + 1e-4 * step * (g @ d) + 16 * np.finfo(float).eps * abs(f):
                break
            step *= 0.5
        else:
            break
        eta, f, g, E = eta + step * d, f_new, g_new, E_new
    return eta
