"""A mixture of K normals: the mixture density network's output distribution."""

import numpy as np
import scipy.optimize
from scipy.special import log_softmax, softmax

from sklik.distributions._base import Block, Distribution, EtaUnits
from sklik.distributions._location_scale import (
    LOG_SCALE_DEGENERATE,
    LOG_SCALE_GUARD,
    weighted_mean_sd,
)
from sklik.distributions._mixture_predictive import NormalMixtureDistribution

__all__ = ["NormalMixture", "NormalMixtureDistribution"]

_HALF_LOG_2PI = 0.5 * np.log(2.0 * np.pi)
#: log σ is evaluated in this range (as the Normal's), and |z| capped at 1e150
#: so that z² stays finite: only far outside any fit's range does it matter.
_LOG_SCALE_RANGE = (-700.0, 700.0)
_Z_CAP = 1e150
#: The EM iterations of the intercept-only start: at most this many, with
#: component scales floored at this fraction of y's spread (EM would
#: otherwise follow a component collapsing onto one value).
_EM_ITER = 300
_EM_SCALE_FLOOR = 1e-6


class NormalMixture(Distribution):
    r"""Mixture of K normals: K mixing logits (softmax), K locs, K scales (log).

    .. math::

        -\log \Pr(y \mid \eta) = -\log \sum_{k=1}^K \pi_k\,
        \mathcal N(y; \mu_k, \sigma_k^2), \qquad
        \pi = \operatorname{softmax}(\eta_{1..K}),\;
        \mu_k = \eta_{K+k},\; \sigma_k = e^{\eta_{2K+k}}.

    The output distribution of a mixture density network (*Understanding
    Deep Learning*, Fig. 5.14): with ``model=MLP(...)`` every parameter can
    depend on x, and the predictive distribution may be multimodal. The
    columns of η form three blocks, named for ``x_dependent``:
    ``"weights"`` (the logits; adding a constant to all of them changes
    nothing, so the objective centres them, as the categorical's),
    ``"loc"`` and ``"scale"``. ``predict`` is the mixture mean;
    ``predict_dist`` is a
    :class:`~sklik.distributions.mixture.NormalMixtureDistribution` (``logpdf``,
    ``cdf``, ``ppf`` by root finding, ``rvs``, ``mean``, ``var``,
    ``interval``).

    **Capabilities.** The gradient and the observed Hessian
    (:meth:`hessian`, for ``summary()``'s standard errors and Newton-CG)
    are analytic, from log-sum-exp responsibilities. The Fisher information
    has no closed form and the likelihood is not log-concave: with the
    linear model ``solver="auto"`` takes trust-region Newton-CG (which stays
    near the start; Newton's saddle-free steps can leap to a collapsed
    component), with a network L-BFGS.

    **Collapse.** The likelihood of a normal mixture has no maximum: a
    component whose location sits on one sample gains without bound as its
    scale shrinks. As for the location-scale families, a guard
    ½(g − log σ_k)² per component acts only below g = log(1e-10) in units
    of y's spread — far below any scale at which a bounded likelihood has
    a local maximum — and keeps the fit finite. A component whose scale
    ends below 1e-7 of y's spread at a training sample (collapsed onto the
    samples it accounts for, or drifting where it accounts for none, so
    that the likelihood does not fix its scale) makes the estimator warn
    (:class:`~sklik.exceptions.DegenerateFitWarning`). The guard does not
    bound a scale from above: a component with no weight can drift there.

    **Start.** The intercept-only fit (where every fit starts: a network's
    output biases are set to it) is EM from component means at y's
    weighted quantiles (k + ½)/K, equal weights and scales of y's spread
    over K, polished by L-BFGS to a stationary point.

    Parameters
    ----------
    n_components : int, default=2
        The number of components K (at least 1).

    Examples
    --------
    >>> import numpy as np
    >>> from sklik.distributions import NormalMixture
    >>> dist = NormalMixture(n_components=2)
    >>> eta = np.array([[0.0, 0.0, -1.0, 1.0, np.log(0.5), np.log(0.5)]])
    >>> dist.mean(eta), dist.to_scipy(eta).cdf(0.0)
    (array([0.]), array([0.5]))
    >>> y = np.concatenate([np.full(50, -2.0), np.full(50, 2.0)])
    >>> y += np.random.default_rng(0).normal(scale=0.3, size=100)
    >>> eta0 = dist.init_eta(y, np.ones(100))
    >>> np.round(np.sort(eta0[2:4]), 1)  # the two component means
    array([-2.,  2.])
    """

    #: Many local optima (label switching, collapsing components): "auto"
    #: takes trust-region Newton-CG for the linear model, not Newton's method.
    local_optima = True

    def __init__(self, n_components: int = 2):
        self.n_components = n_components

    @classmethod
    def example(cls):
        return cls(n_components=2)

    def __repr__(self) -> str:
        return f"NormalMixture(n_components={self.n_components})"

    @property
    def _k(self) -> int:
        k = self.n_components
        if isinstance(k, bool) or not isinstance(k, int | np.integer) or k < 1:
            raise ValueError(f"n_components must be an integer >= 1; got {k!r}.")
        return int(k)

    @property
    def param_names(self):
        k = self._k
        return tuple(
            f"{name}_{j}" for name in ("logit", "loc", "scale") for j in range(k)
        )

    @property
    def blocks(self):
        k = self._k
        return (
            Block("weights", tuple(range(k)), shift_invariant=True),
            Block("loc", tuple(range(k, 2 * k))),
            Block("scale", tuple(range(2 * k, 3 * k))),
        )

    def _split(self, eta):
        k = self._k
        return eta[:, :k], eta[:, k : 2 * k], eta[:, 2 * k :]

    # -- on θ: the weights, locs and scales ---------------------------------------
    def theta(self, eta):
        logits, loc, log_scale = self._split(eta)
        scale = np.exp(np.clip(log_scale, *_LOG_SCALE_RANGE))
        return np.hstack([softmax(logits, axis=1), loc, scale])

    def params(self, eta):
        logits, loc, log_scale = self._split(eta)
        return {
            "weights": softmax(logits, axis=1),
            "loc": loc.copy(),
            "scale": np.exp(np.clip(log_scale, *_LOG_SCALE_RANGE)),
        }

    def nll_grad_theta(self, y, theta):
        weights, loc, scale = self._split(theta)
        with np.errstate(divide="ignore"):
            eta = np.hstack([np.log(weights), loc, np.log(scale)])
        nll, resp, z, inv_scale = self._terms(y, eta)
        # -log Σ w_k N_k as written (weights off the simplex are not rescaled),
        # so that the gradient -r_k / w_k is that of the value
        nll -= np.log(weights.sum(axis=1))
        with np.errstate(divide="ignore", invalid="ignore"):
            g_weights = -resp / weights
        return nll, np.hstack(
            [g_weights, -resp * z * inv_scale, resp * (1.0 - z * z) * inv_scale]
        )

    def scipy_from_theta(self, theta):
        weights, loc, scale = self._split(theta)
        return NormalMixtureDistribution(weights, loc, scale)

    def start_theta(self, y, sample_weight):
        w = sample_weight / sample_weight.sum()
        sd = weighted_mean_sd(y, w)[1]
        sd = sd if sd > 0 else 1.0
        k = self._k
        loc = _weighted_quantiles(y, w, (np.arange(k) + 0.5) / k)
        return np.concatenate([np.full(k, 1.0 / k), loc, np.full(k, sd / k)])

    # -- on η: the fast paths -------------------------------------------------------
    def _terms(self, y, eta):
        """NLL (n,), responsibilities r (n, K), z = (y - μ)/σ and 1/σ, overflow-free."""
        logits, loc, log_scale = self._split(eta)
        log_scale = np.clip(log_scale, *_LOG_SCALE_RANGE)
        inv_scale = np.exp(-log_scale)
        with np.errstate(over="ignore", invalid="ignore"):
            z = np.clip((np.asarray(y)[:, None] - loc) * inv_scale, -_Z_CAP, _Z_CAP)
        a = log_softmax(logits, axis=1) - log_scale - 0.5 * z * z - _HALF_LOG_2PI
        top = np.max(a, axis=1, keepdims=True)
        resp = np.exp(a - top)
        total = resp.sum(axis=1, keepdims=True)
        resp /= total
        return -(top[:, 0] + np.log(total[:, 0])), resp, z, inv_scale

    def nll(self, y, eta):
        return self._terms(y, eta)[0]

    def nll_grad(self, y, eta):
        """NLL and its η-gradient: π − r, −r·z/σ and r·(1 − z²) per block."""
        nll, resp, z, inv_scale = self._terms(y, eta)
        logits = self._split(eta)[0]
        with np.errstate(over="ignore"):
            z_over_scale = np.clip(z * inv_scale, -1e300, 1e300)
        grad = np.hstack(
            [softmax(logits, axis=1) - resp, -resp * z_over_scale, resp * (1.0 - z * z)]
        )
        return nll, grad

    def hessian(self, y, eta):
        """The observed Hessian w.r.t. η, (n, 3K, 3K): −E_r[∂²a] − Cov_r[∂a].

        With a_k the log of component k's weighted density and r its
        responsibility, nll = −log Σ_k e^{a_k}; its Hessian is minus the
        responsibility-weighted mean of the a_k's Hessians less the
        responsibility-weighted covariance of their gradients (not positive
        definite in general: the likelihood is not log-concave).
        """
        k = self._k
        _, resp, z, inv_scale = self._terms(y, eta)
        pi = softmax(self._split(eta)[0], axis=1)
        n = len(resp)
        with np.errstate(over="ignore"):  # (far outside any fit: capped)
            dz = np.clip(z * inv_scale, -1e150, 1e150)  # ∂a_k/∂μ_k
            curv_mu = np.minimum(resp * inv_scale * inv_scale, 1e300)
        ds = z * z - 1.0  # ∂a_k/∂log σ_k
        # gradients of a_k: logits e_k − π, μ_k: dz_k, log σ_k: ds_k
        H = np.zeros((n, 3 * k, 3 * k))
        lg, mu, sg = slice(0, k), slice(k, 2 * k), slice(2 * k, 3 * k)
        diag = np.arange(k)
        # −E_r[∂²a]: the softmax's curvature, and per component 1/σ², 2z/σ, 2z²
        H[:, lg, lg] = -pi[:, :, None] * pi[:, None, :]
        H[:, diag, diag] += pi
        H[:, k + diag, k + diag] = curv_mu
        H[:, k + diag, 2 * k + diag] = 2.0 * resp * dz
        H[:, 2 * k + diag, 2 * k + diag] = 2.0 * resp * z * z
        # − Σ_k r_k g_k g_kᵀ, and + ḡḡᵀ (ḡ = minus the gradient)
        H[:, lg, lg] -= (
            -resp[:, :, None] * pi[:, None, :]
            - pi[:, :, None] * resp[:, None, :]
            + pi[:, :, None] * pi[:, None, :]
        )
        H[:, diag, diag] -= resp
        for j, d in ((mu, dz), (sg, ds)):
            block = -pi[:, :, None] * (resp * d)[:, None, :]
            block[:, diag, diag] += resp * d
            H[:, lg, j] -= block
        H[:, k + diag, k + diag] -= resp * dz * dz
        H[:, k + diag, 2 * k + diag] -= resp * dz * ds
        H[:, 2 * k + diag, 2 * k + diag] -= resp * ds * ds
        upper = np.triu_indices(3 * k, 1)
        H[:, upper[1], upper[0]] = H[:, upper[0], upper[1]]
        g_bar = np.hstack([resp - pi, resp * dz, resp * ds])
        H += g_bar[:, :, None] * g_bar[:, None, :]
        return H

    def to_scipy(self, eta):
        return self.scipy_from_theta(self.theta(eta))

    def mean(self, eta):
        logits, loc, _ = self._split(eta)
        return np.einsum("ij,ij->i", softmax(logits, axis=1), loc)

    def std(self, eta):
        return np.sqrt(self.to_scipy(eta).var())

    # -- the data ---------------------------------------------------------------------
    def units(self, y, sample_weight):
        """y over its weighted spread; the locs and log-scales move with it."""
        spread = weighted_mean_sd(y, sample_weight)[1]
        if not spread > 0:  # a constant y: its magnitude, or 1
            spread = float(np.max(np.abs(y), initial=0.0)) or 1.0
        k = self._k
        scale, shift = np.ones(3 * k), np.zeros(3 * k)
        scale[k : 2 * k] = spread
        shift[2 * k :] = np.log(spread)
        return y / spread, EtaUnits(scale, shift)

    def init_eta(self, y, sample_weight):
        """The intercept-only fit: EM from the quantile start, polished by L-BFGS."""
        w = sample_weight / sample_weight.sum()
        keep = w > 0
        y, w = np.asarray(y, dtype=np.float64)[keep], w[keep]
        k = self._k
        center, spread = weighted_mean_sd(y, w)
        if not spread > 0:  # no maximum (σ → 0): start at the guard
            unit = float(np.max(np.abs(y), initial=0.0)) or 1.0
            log_scale = np.full(k, LOG_SCALE_GUARD + np.log(unit))
            return np.concatenate([np.zeros(k), np.full(k, center), log_scale])
        u = (y - center) / spread
        theta = self.start_theta(u, w)
        weights, loc, scale = _em(u, w, theta[:k], theta[k : 2 * k], theta[2 * k :])
        eta = np.concatenate([np.log(weights), loc, np.log(scale)])
        eta = self._polish(u, w, eta)
        eta[:k] -= eta[:k].mean()
        eta[k : 2 * k] = center + spread * eta[k : 2 * k]
        eta[2 * k :] += np.log(spread)
        return eta

    def _polish(self, u, w, eta):
        """L-BFGS on the weighted mean NLL over a constant η, to stationarity."""

        def value_grad(e):
            nll, grad = self.nll_grad(u, np.broadcast_to(e, (len(u), len(e))).copy())
            return w @ nll, w @ grad

        res = scipy.optimize.minimize(
            value_grad,
            eta,
            jac=True,
            method="L-BFGS-B",
            options={"maxiter": 500, "gtol": 1e-13, "ftol": 0.0},
        )
        return res.x if res.fun <= value_grad(eta)[0] else eta

    def guard(self, eta):
        """½(g − log σ_k)² for every component's log σ_k below g (see the class)."""
        k = self._k
        below = np.maximum(LOG_SCALE_GUARD - eta[:, 2 * k :], 0.0)
        if not below.any():
            return None
        grad = np.zeros(eta.shape)
        grad[:, 2 * k :] = -below
        curvature = np.zeros(eta.shape)
        curvature[:, 2 * k :] = below > 0
        return 0.5 * np.sum(below * below, axis=1), grad, curvature

    def degenerate_message(self, y, eta, sample_weight):
        """A component's scale collapsed at training samples (see the class)."""
        k = self._k
        collapsed = eta[:, 2 * k :] < LOG_SCALE_DEGENERATE
        exact = (collapsed & (self._terms(y, eta)[1] > 0.5)).any(axis=1)
        used = sample_weight > 0
        collapsed = collapsed.any(axis=1) & used
        if not collapsed.any():
            return None
        return (
            f"The fitted {self.name} distribution is degenerate: a component's "
            f"scale is below 1e-7 of y's spread at {int(collapsed.sum())} of "
            f"{int(used.sum())} training samples ({int((exact & used).sum())} "
            "of which that component fits exactly). A normal mixture's "
            "likelihood has no maximum there: it grows without bound as a "
            "component's scale shrinks onto the samples it fits (sklik stops "
            "the scale at 1e-10 of y's spread), and does not depend on the "
            "scale of a component that accounts for none; the predictive "
            "densities are absurdly peaked. Use fewer components, repeated "
            "values of y spread out, or alpha > 0."
        )


def _weighted_quantiles(y, w, levels):
    """Weighted quantiles of y at ``levels`` (interpolated on the midpoints)."""
    order = np.argsort(y, kind="stable")
    cum = np.cumsum(w[order])
    mid = (cum - 0.5 * w[order]) / cum[-1]
    return np.interp(levels, mid, y[order])


def _em(u, w, weights, loc, scale):
    """EM for a K-normal mixture of u (weights w summing to one), in place of Newton.

    Stops when no parameter moves by more than 1e-10, or after ``_EM_ITER``
    iterations; scales are floored at ``_EM_SCALE_FLOOR`` (u has spread 1).
    """
    for _ in range(_EM_ITER):
        z = (u[:, None] - loc) / scale
        a = np.log(np.maximum(weights, 1e-300)) - np.log(scale) - 0.5 * z * z
        a -= a.max(axis=1, keepdims=True)
        r = np.exp(a)
        r /= r.sum(axis=1, keepdims=True)
        r *= w[:, None]
        mass = r.sum(axis=0)
        alive = mass > 1e-12
        new_loc = np.where(alive, (r.T @ u) / np.where(alive, mass, 1.0), loc)
        var = np.einsum("ik,ik->k", r, (u[:, None] - new_loc) ** 2)
        new_scale = np.where(alive, np.sqrt(var / np.where(alive, mass, 1.0)), scale)
        new_scale = np.maximum(new_scale, _EM_SCALE_FLOOR)
        new_weights = np.maximum(mass, 1e-12)
        new_weights /= new_weights.sum()
        moved = max(
            np.max(np.abs(new_loc - loc)),
            np.max(np.abs(new_scale - scale)),
            np.max(np.abs(new_weights - weights)),
        )
        weights, loc, scale = new_weights, new_loc, new_scale
        if moved < 1e-10:
            break
    return weights, loc, scale
