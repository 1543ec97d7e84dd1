"""Per-sample NLLs and their η-gradients, written here independently of sklik.

Every family is in sklik's parametrisation (the one of ``NLLRegressor``):
column j of η is parameter j on its link scale. ``nll_grad(family, y, E)``
returns the per-sample negative log-likelihood (n,) and its gradient with
respect to the columns of η (n, P). The reference optimum of a case is
polished by Newton's method on the standardised columns with these
gradients; the per-sample Hessians are central differences of the analytic
η-gradients (their error only slows Newton, it cannot move the optimum),
and the gradient itself is checked against differences of the objective.
"""

import numpy as np
import scipy.linalg
import scipy.optimize
from scipy.special import digamma, expit, gammaln, log1p, polygamma

#: Parameters (in sklik's order) and links of each family benchmarked.
FAMILIES = {
    "normal": ("loc", "scale"),
    "poisson": ("mean",),
    "exponential": ("mean",),
    "gamma": ("mean", "shape"),
    "negative_binomial": ("mean", "dispersion"),
    "zero_inflated_poisson": ("rate", "zero_prob"),
    "beta": ("mean", "precision"),
    "student_t": ("loc", "scale", "df"),
    "laplace": ("loc", "scale"),
    "lognormal": ("meanlog", "sdlog"),
}


def nll_grad(family, y, E):
    """Per-sample NLL (n,) and dNLL/dη (n, P) at η = E (n, P)."""
    G = np.empty_like(E)
    if family == "poisson":
        mu = np.exp(E[:, 0])
        G[:, 0] = mu - y
        return mu - y * E[:, 0] + gammaln(y + 1.0), G
    if family == "exponential":
        r = y * np.exp(-E[:, 0])
        G[:, 0] = 1.0 - r
        return E[:, 0] + r, G
    if family == "normal":
        z = (y - E[:, 0]) * np.exp(-E[:, 1])
        G[:, 0] = -z * np.exp(-E[:, 1])
        G[:, 1] = 1.0 - z * z
        return 0.5 * np.log(2 * np.pi) + E[:, 1] + 0.5 * z * z, G
    if family == "gamma":
        k, r = np.exp(E[:, 1]), y * np.exp(-E[:, 0])
        G[:, 0] = k * (1.0 - r)
        G[:, 1] = k * (-E[:, 1] - 1.0 + E[:, 0] + digamma(k) - np.log(y) + r)
        f = -k * E[:, 1] + k * E[:, 0] + gammaln(k) - (k - 1.0) * np.log(y) + k * r
        return f, G
    if family == "negative_binomial":
        mu, a = np.exp(E[:, 0]), np.exp(E[:, 1])
        r = 1.0 / a
        G[:, 0] = r * (mu - y) / (r + mu)
        lr = np.log(r / (r + mu))
        dr = digamma(y + r) - digamma(r) + lr + 1.0 - (r + y) / (r + mu)
        G[:, 1] = r * dr
        ll = (
            gammaln(y + r)
            - gammaln(r)
            - gammaln(y + 1.0)
            + r * lr
            + y * (E[:, 0] - np.log(r + mu))
        )
        return -ll, G
    if family == "zero_inflated_poisson":
        lam, pi = np.exp(E[:, 0]), expit(E[:, 1])
        zero = y == 0
        e = np.exp(-lam)
        q = pi + (1.0 - pi) * e
        f = np.where(
            zero,
            -np.log(q),
            -np.log1p(-pi) + lam - y * E[:, 0] + gammaln(y + 1.0),
        )
        G[:, 0] = np.where(zero, (1.0 - pi) * e * lam / q, lam - y)
        G[:, 1] = np.where(zero, -pi * (1.0 - pi) * (1.0 - e) / q, pi)
        return f, G
    if family == "beta":
        mu, phi = expit(E[:, 0]), np.exp(E[:, 1])
        a, b = mu * phi, (1.0 - mu) * phi
        ly, l1y = np.log(y), log1p(-y)
        f = -(gammaln(phi) - gammaln(a) - gammaln(b) + (a - 1) * ly + (b - 1) * l1y)
        da, db = digamma(a) - ly, digamma(b) - l1y
        G[:, 0] = phi * mu * (1.0 - mu) * (da - db)
        G[:, 1] = a * da + b * db - phi * digamma(phi)
        return f, G
    if family == "student_t":
        s, nu = np.exp(E[:, 1]), np.exp(E[:, 2])
        z = (y - E[:, 0]) / s
        q = nu + z * z
        f = (
            -gammaln((nu + 1) / 2)
            + gammaln(nu / 2)
            + 0.5 * np.log(nu * np.pi)
            + E[:, 1]
            + (nu + 1) / 2 * log1p(z * z / nu)
        )
        G[:, 0] = -(nu + 1) * z / (s * q)
        G[:, 1] = 1.0 - (nu + 1) * z * z / q
        dnu = (
            -0.5 * digamma((nu + 1) / 2)
            + 0.5 * digamma(nu / 2)
            + 0.5 / nu
            + 0.5 * log1p(z * z / nu)
            - (nu + 1) * z * z / (2 * nu * q)
        )
        G[:, 2] = nu * dnu
        return f, G
    if family == "laplace":
        r = np.abs(y - E[:, 0]) * np.exp(-E[:, 1])
        G[:, 0] = -np.sign(y - E[:, 0]) * np.exp(-E[:, 1])
        G[:, 1] = 1.0 - r
        return np.log(2.0) + E[:, 1] + r, G
    if family == "lognormal":
        ly = np.log(y)
        z = (ly - E[:, 0]) * np.exp(-E[:, 1])
        G[:, 0] = -z * np.exp(-E[:, 1])
        G[:, 1] = 1.0 - z * z
        return 0.5 * np.log(2 * np.pi) + E[:, 1] + 0.5 * z * z + ly, G
    raise ValueError(family)


def mean_nll(family, X, y, W, b):
    """The objective of every case: the mean NLL at user-scale W (p, P), b (P,)."""
    return float(np.mean(nll_grad(family, y, X @ W + b)[0]))


def profile_shape(y, mu):
    """The Gamma shape's MLE given the means: log k by Newton (1-D, untimed)."""
    r = y / mu
    c = np.mean(np.log(r) - r)  # ∂/∂k mean loglik = log k + 1 - ψ(k) + c
    k = 0.5 / max(-1.0 - c, 1e-12)  # Minka's start
    for _ in range(100):
        g = np.log(k) + 1.0 - digamma(k) + c
        h = 1.0 / k - polygamma(1, k)
        step = g / h
        k = max(k - step, k / 10)
        if abs(step) <= 1e-15 * k:
            break
    return float(k)


class Reference:
    """Newton on Z = [(X - m)/s, 1] for a P-parameter family (dense X)."""

    def __init__(self, family, X, y, depends):
        self.family, self.X, self.y = family, X, y
        self.depends = np.asarray(depends, dtype=bool)
        self.m = X.mean(axis=0)
        self.s = X.std(axis=0)
        self.s[self.s == 0] = 1.0
        self.p, self.P = X.shape[1], len(depends)

    # a: for each parameter, (p+1) if it depends on x else 1 (the constant)
    def unpack(self, a):
        W, b, i = np.zeros((self.p, self.P)), np.zeros(self.P), 0
        for j in range(self.P):
            if self.depends[j]:
                Wj = a[i : i + self.p] / self.s
                W[:, j], b[j] = Wj, a[i + self.p] - self.m @ Wj
                i += self.p + 1
            else:
                b[j] = a[i]
                i += 1
        return W, b

    def pack(self, W, b):
        out = []
        for j in range(self.P):
            if self.depends[j]:
                out += [W[:, j] * self.s, [b[j] + self.m @ W[:, j]]]
            else:
                out.append([b[j]])
        return np.concatenate(out)

    def fg(self, a):
        W, b = self.unpack(a)
        f, G = nll_grad(self.family, self.y, self.X @ W + b)
        n = len(self.y)
        parts = []
        for j in range(self.P):
            gj = G[:, j] / n
            if self.depends[j]:
                gW = (self.X.T @ gj - self.m * gj.sum()) / self.s
                parts += [gW, [gj.sum()]]
            else:
                parts.append([gj.sum()])
        return float(np.mean(f)), np.concatenate(parts)

    def hessian(self, a):
        """Σ_i z_i z_iᵀ ⊗ C_i with C_i the η-Hessian by central differences."""
        W, b = self.unpack(a)
        E = self.X @ W + b
        n = len(self.y)
        C = np.empty((n, self.P, self.P))
        for k in range(self.P):
            h = 1e-5 * np.maximum(1.0, np.abs(E[:, k]))
            Ep, Em = E.copy(), E.copy()
            Ep[:, k] += h
            Em[:, k] -= h
            C[:, :, k] = (
                nll_grad(self.family, self.y, Ep)[1]
                - nll_grad(self.family, self.y, Em)[1]
            ) / (2 * h[:, None])
        C = 0.5 * (C + C.transpose(0, 2, 1)) / n
        Z = np.empty((n, self.p + 1))
        Z[:, :-1] = (self.X - self.m) / self.s
        Z[:, -1] = 1.0
        sizes = [self.p + 1 if d else 1 for d in self.depends]
        cols = [slice(self.p + 1 - s, self.p + 1) for s in sizes]  # constant: last
        start = np.cumsum([0, *sizes])
        H = np.zeros((start[-1], start[-1]))
        for j in range(self.P):
            for k in range(j, self.P):
                Zj, Zk = Z[:, cols[j]], Z[:, cols[k]]
                block = Zj.T @ (C[:, j, k][:, None] * Zk)
                H[start[j] : start[j + 1], start[k] : start[k + 1]] = block
                H[start[k] : start[k + 1], start[j] : start[j + 1]] = block.T
        return H

    def polish(self, W, b, gtol=1e-11, max_iter=50):
        """Newton from (W, b) with a backtracking line search; (W, b, |grad|∞)."""
        a = self.pack(W, b)
        f, g = self.fg(a)
        for _ in range(max_iter):
            if np.max(np.abs(g)) <= gtol:
                break
            H = self.hessian(a)
            try:
                d = -scipy.linalg.solve(H, g, assume_a="pos")
            except (np.linalg.LinAlgError, scipy.linalg.LinAlgWarning):
                lam = np.linalg.eigvalsh(H)
                shift = max(0.0, -lam[0]) + 1e-8 * max(lam[-1], 1.0)
                d = -scipy.linalg.solve(H + shift * np.eye(len(g)), g)
            step = 1.0
            while step > 1e-12:
                f_new, g_new = self.fg(a + step * d)
                if f_new <= f + 1e-4 * step * (g @ d) + 1e-15 * abs(f):
                    break
                step *= 0.5
            else:
                break
            a, f, g = a + step * d, f_new, g_new
        W, b = self.unpack(a)
        return W, b, float(np.max(np.abs(g)))

    def gradient_check(self, W, b, rng):
        """Relative error of the analytic gradient against a central difference."""
        a = self.pack(W, b)
        v = rng.standard_normal(a.size)
        v /= np.linalg.norm(v)
        h = 1e-5
        fd = (self.fg(a + h * v)[0] - self.fg(a - h * v)[0]) / (2 * h)
        # at the optimum g·v ≈ 0: check at a point moved away from it
        a1 = a + 1e-2 * v
        g1 = self.fg(a1)[1]
        fd1 = (self.fg(a1 + h * v)[0] - self.fg(a1 - h * v)[0]) / (2 * h)
        return float(abs(fd1 - g1 @ v) / max(abs(fd1), 1e-300)), float(fd)


def lad_reference(X, y):
    """Least absolute deviations by the dual LP (HiGHS): (W (p,1), b)."""
    n, p = X.shape
    m, s = X.mean(axis=0), X.std(axis=0)
    s[s == 0] = 1.0
    Z = np.empty((n, p + 1))
    Z[:, :-1] = (X - m) / s
    Z[:, -1] = 1.0
    # max yᵀd  s.t.  Zᵀd = 0, -1 ≤ d ≤ 1; the primal is the equalities' duals
    res = scipy.optimize.linprog(
        -y, A_eq=Z.T, b_eq=np.zeros(p + 1), bounds=(-1, 1), method="highs"
    )
    beta = -res.eqlin.marginals
    # the equality duals give β with Zβ the LAD fit (sign by the check below)
    r1, r2 = np.abs(y - Z @ beta).sum(), np.abs(y + Z @ beta).sum()
    if r2 < r1:
        beta = -beta
    Wj = beta[:-1] / s
    return Wj, beta[-1] - m @ Wj


def intercept_start(family, y):
    """A start for the reference solver: rough intercept-only values."""
    m, sd = float(np.mean(y)), float(np.std(y)) or 1.0
    if family in ("poisson", "exponential"):
        return np.array([np.log(m)])
    if family in ("gamma", "negative_binomial", "zero_inflated_poisson"):
        return np.array([np.log(m), 0.0])
    if family == "beta":
        return np.array([np.log(m / (1 - m)), np.log(10.0)])
    if family == "student_t":
        return np.array([np.median(y), np.log(sd), np.log(5.0)])
    if family in ("normal", "laplace"):
        return np.array([m, np.log(sd)])
    if family == "lognormal":
        return np.array([np.mean(np.log(y)), np.log(np.std(np.log(y)))])
    raise ValueError(family)


def reference_optimum(family, X, y, depends, rng):
    """An optimum independent of sklik and of the peers.

    Laplace: the LAD fit by the dual LP and the scale's closed form;
    log-normal: least squares on log y (exact); otherwise L-BFGS on the
    standardised columns from an intercept-only start, polished by Newton.
    Returns W, b, the final gradient sup-norm and the gradient check.
    """
    p = X.shape[1]
    if family == "laplace":
        w, c = lad_reference(X, y)
        W = np.zeros((p, 2))
        W[:, 0] = w
        s = np.mean(np.abs(y - X @ w - c))
        return W, np.array([c, np.log(s)]), 0.0, float("nan")
    if family == "lognormal":
        m, s = X.mean(axis=0), X.std(axis=0)
        s[s == 0] = 1.0
        Z = np.column_stack([(X - m) / s, np.ones(len(y))])
        beta = scipy.linalg.lstsq(Z, np.log(y), lapack_driver="gelsd")[0]
        W = np.zeros((p, 2))
        W[:, 0] = beta[:-1] / s
        c = beta[-1] - m @ W[:, 0]
        sd = np.sqrt(np.mean((np.log(y) - X @ W[:, 0] - c) ** 2))
        return W, np.array([c, np.log(sd)]), 0.0, float("nan")
    ref = Reference(family, X, y, depends)
    a0 = ref.pack(np.zeros((p, len(depends))), intercept_start(family, y))
    res = scipy.optimize.minimize(
        ref.fg,
        a0,
        jac=True,
        method="L-BFGS-B",
        options={"gtol": 1e-9, "ftol": 1e-15, "maxiter": 20000},
    )
    W, b = ref.unpack(res.x)
    W, b, gnorm = ref.polish(W, b)
    check = ref.gradient_check(W, b, rng)[0]
    return W, b, gnorm, check


def polish_from(family, X, y, depends, W, b):
    """Newton from another point (a tool's answer that beat the reference)."""
    ref = Reference(family, X, y, depends)
    return ref.polish(W, b)
