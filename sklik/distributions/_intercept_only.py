"""The intercept-only fit: the unconditional maximum-likelihood η of a family.

A problem in P parameters with no X: damped Newton steps from the family's
moment start, on the weighted mean NLL. It starts every fit (the output
biases of a model begin at this optimum) and is the whole fit for
``x_dependent=()``, where the solver confirms it.
"""

import numpy as np

#: Largest change of any η entry per step: a quadratic model is not trusted
#: further (and ``exp`` would overflow).
_MAX_STEP = 5.0


def intercept_only_eta(dist, y, sample_weight, max_iter=100, tol=1e-12):
    """Minimise Σ wᵢ nll(yᵢ, η) / Σ w over a constant η (P,).

    Newton's method on the summed observed Hessian where it is positive
    definite, else on the Fisher information, else gradient descent scaled
    by the curvature's absolute eigenvalues; steps are capped at
    ``_MAX_STEP`` and halved until the value decreases. Where the optimum
    lies at infinity (a Student-t's df on Normal data), the iterations stop
    at ``max_iter`` far along the flat direction.

    Examples
    --------
    >>> import numpy as np
    >>> from sklik.distributions import Normal
    >>> y = np.array([1.0, 2.0, 4.0])
    >>> intercept_only_eta(Normal(), y, np.ones(3)).round(4)  # mean, log sd
    array([2.3333, 0.2209])
    """
    w = sample_weight / sample_weight.sum()
    keep = w > 0
    y, w = y[keep], w[keep]
    eta = _finite(
        np.array([link(t) for link, t in zip(dist.links, _start(dist, y, w))])
    )

    def value_grad(e):
        E = np.broadcast_to(e, (len(y), dist.n_params)).copy()
        nll, g = dist.nll_grad(y, E)
        return w @ nll, w @ g, E

    f, g, E = value_grad(eta)
    for _ in range(max_iter):
        if not np.max(np.abs(g)) > tol * max(1.0, abs(f)):
            break
        d = _direction(dist, y, w, E, g)
        d *= min(1.0, _MAX_STEP / max(np.max(np.abs(d)), 1e-300))
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


def _start(dist, y, w):
    theta = np.asarray(dist.start_theta(y, w), dtype=np.float64)
    if theta.shape != (dist.n_params,):
        raise ValueError(
            f"{type(dist).__name__}.start_theta must return shape "
            f"({dist.n_params},); got {theta.shape}."
        )
    return theta


def _finite(eta):
    return np.clip(np.nan_to_num(eta, nan=0.0), -30.0, 30.0)


def _direction(dist, y, w, E, g):
    """Newton's direction from the observed or the expected curvature."""
    candidates = []
    if dist.has_hessian:
        candidates.append(lambda: np.einsum("i,ijk->jk", w, dist.hessian(y, E)))
    if dist.has_fisher:
        candidates.append(lambda: np.einsum("i,ijk->jk", w, dist.fisher(E)))
    H = None
    for curvature in candidates:
        H = curvature()
        try:
            L = np.linalg.cholesky(H)
        except np.linalg.LinAlgError:
            continue
        if np.min(np.diag(L)) ** 2 > 1e-12 * np.max(np.abs(H)):
            return -np.linalg.solve(H, g)
    if H is None:
        return -g
    lam, V = np.linalg.eigh(H)
    lam = np.maximum(np.abs(lam), 1e-8 * max(np.max(np.abs(lam)), 1e-300))
    return -V @ ((V.T @ g) / lam)
