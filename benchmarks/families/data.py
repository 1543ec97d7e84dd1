"""Seeded synthetic data per family, and real data sets that ship with statsmodels.

Synthetic X is bench_fit's: correlated columns with scales 0.1–10 and offsets
±5 (unstandardised, as users pass them). Each parameter that depends on x
gets η = x·w with a chosen standard deviation about a chosen centre.
"""

import numpy as np
from bench_fit import _std_direction, correlated_X
from scipy.special import expit


def _eta(rng, X, sd, centre):
    e = X @ _std_direction(rng, X, 1, sd)[:, 0]
    return e - e.mean() + centre


def synthetic(kind, n, p, seed=0):
    """(X, y) for a case kind (a family, or a family with x-dependent shape)."""
    rng = np.random.default_rng(seed)
    X = correlated_X(rng, n, p)
    if kind in ("poisson",):
        y = rng.poisson(np.exp(_eta(rng, X, 0.5, 1.0))).astype(float)
    elif kind in ("gamma", "gamma_mean"):
        mu, k = np.exp(_eta(rng, X, 0.5, 1.0)), 2.0
        y = rng.gamma(k, mu / k)
    elif kind in ("nb2", "nb_alpha_x"):
        mu = np.exp(_eta(rng, X, 0.5, 1.0))
        alpha = (
            np.exp(_eta(rng, X, 0.5, np.log(0.5)))
            if kind == "nb_alpha_x"
            else np.full(n, 0.5)
        )
        r = 1.0 / alpha
        y = rng.negative_binomial(r, r / (r + mu)).astype(float)
    elif kind == "zip":
        lam = np.exp(_eta(rng, X, 0.5, 1.0))
        y = rng.poisson(lam) * (rng.random(n) >= 0.3)
        y = y.astype(float)
    elif kind == "beta":
        mu = expit(_eta(rng, X, 1.0, 0.0))
        phi = np.exp(_eta(rng, X, 0.5, 2.0))
        y = np.clip(rng.beta(mu * phi, (1 - mu) * phi), 1e-12, 1 - 1e-12)
    elif kind == "student_t":
        y = _eta(rng, X, 1.0, 0.0) + rng.standard_t(4.0, n)
    elif kind == "hetero":
        y = _eta(rng, X, 1.0, 0.0) + np.exp(_eta(rng, X, 0.5, 0.0)) * (
            rng.standard_normal(n)
        )
    elif kind == "laplace":
        y = _eta(rng, X, 1.0, 0.0) + rng.laplace(size=n)
    elif kind == "lognormal":
        y = np.exp(_eta(rng, X, 1.0, 0.0) + 0.5 * rng.standard_normal(n))
    else:
        raise ValueError(kind)
    return X, y


def real(name):
    """(X, y) of a real data set shipped with statsmodels (no download)."""
    import statsmodels.api as sm

    if name == "randhie":  # doctor visits: counts with excess zeros
        d = sm.datasets.randhie.load_pandas()
        return d.exog.to_numpy(float), d.endog.to_numpy(float)
    if name == "fair":  # affairs > 0 (a positive, skewed duration-like amount)
        df = sm.datasets.fair.load_pandas().data
        df = df[df["affairs"] > 0]
        return df.drop(columns="affairs").to_numpy(float), df["affairs"].to_numpy(float)
    if name == "star98":  # share of students above the national median
        df = sm.datasets.star98.load_pandas().data
        y = df["NABOVE"] / (df["NABOVE"] + df["NBELOW"])
        return df.drop(columns=["NABOVE", "NBELOW"]).to_numpy(float), y.to_numpy(float)
    if name == "engel":  # food expenditure against income (heteroscedastic)
        df = sm.datasets.engel.load_pandas().data
        return df[["income"]].to_numpy(float), df["foodexp"].to_numpy(float)
    raise ValueError(name)
