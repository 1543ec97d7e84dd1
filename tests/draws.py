"""Test helpers: targets drawn from a family's own predictive distribution, and
a standardised design for the independent reference fits."""

import numpy as np


def draw_targets(dist, eta, random_state, size=None) -> np.ndarray:
    """y ~ ``dist.to_scipy(eta)``, nudged inside an open support.

    A draw can round onto an excluded bound (a beta draw of 1 - 1e-17 is 1.0,
    a gamma draw with shape e^-12 is 0.0): such values move to the nearest
    float inside, as the support check would otherwise rightly refuse them;
    and above a lower bound of 0 to the smallest normal float, not a
    subnormal one, where scipy's reference densities overflow; draws that
    overflow to ±inf (a Student-t with df e^-8) become the median.
    """
    frozen = dist.to_scipy(eta)
    with np.errstate(over="ignore"):  # e.g. a lognormal with sdlog e^5
        y = np.asarray(frozen.rvs(size=size, random_state=random_state), dtype=float)
    if not np.all(np.isfinite(y)):  # overflowed: the median instead
        y = np.where(np.isfinite(y), y, np.broadcast_to(frozen.median(), y.shape))
    support = dist.support
    if support.circular:
        return y
    if not support.include_low and np.isfinite(support.low):
        above = (
            np.finfo(float).tiny
            if support.low == 0
            else np.nextafter(support.low, np.inf)
        )
        y = np.maximum(y, above)
    if not support.include_high and np.isfinite(support.high):
        y = np.minimum(y, np.nextafter(support.high, -np.inf))
    return y


def design(X):
    """[1, standardised X] and the map from its coefficients to the user's."""
    center, spread = X.mean(axis=0), X.std(axis=0)
    Z = np.column_stack([np.ones(len(X)), (X - center) / spread])

    def to_user(c):
        coef = c[1:] / spread
        return np.r_[c[0] - coef @ center, coef]

    return Z, to_user
