"""What the location-scale families (Normal, Laplace, Student-t) share.

Units: the fit sees y divided by its weighted spread, so the internal loc
is free of y's units (the penalty too) and y of any magnitude is
representable; the fitted loc and log-scale are moved back exactly.

The guard: with the scale a function of x, the likelihood has no maximum
when the location can fit some samples exactly (σ → 0 there). A penalty
½(g − log σ)², with g = log(1e-10) in units of y's spread, acts only below
that scale, where no bounded likelihood has its maximum, and keeps the fit
finite; the estimator then warns that the likelihood is unbounded.
"""

import numpy as np

from sklik.distributions._base import Distribution, EtaUnits
from sklik.links import Identity, Log

#: log σ (internal units: y's spread is 1) below which the guard acts.
LOG_SCALE_GUARD = np.log(1e-10)

#: log σ below which the fitted distribution is called degenerate: the
#: location fits those samples exactly, up to rounding.
LOG_SCALE_DEGENERATE = np.log(1e-7)


class LocationScale(Distribution):
    """A family with a location (identity link) and a scale (log link) first.

    Subclasses give ``standard_log_abs`` = E[log abs(Z)] of their standard
    member (location 0, scale 1): the two-stage start regresses log |r| on x
    and subtracts it.
    """

    param_names = ("loc", "scale")
    links = (Identity(), Log())
    standard_log_abs: float = 0.0

    def units(self, y, sample_weight):
        spread = weighted_mean_sd(y, sample_weight)[1]
        if not spread > 0:  # a constant y: its magnitude, or 1
            spread = float(np.max(np.abs(y), initial=0.0)) or 1.0
        scale = np.ones(self.n_params)
        shift = np.zeros(self.n_params)
        # No shift of the location: a model without intercepts must keep none.
        scale[0], shift[1] = spread, np.log(spread)
        return y / spread, EtaUnits(scale, shift)

    def standard_log_abs_at(self, eta) -> float:
        """E[log abs(Z)] of the standard member at the constant η (P,) of the
        other parameters (a Student-t's df); by default ``standard_log_abs``."""
        return self.standard_log_abs

    def guard(self, eta):
        below = np.maximum(LOG_SCALE_GUARD - eta[:, 1], 0.0)
        if not below.any():
            return None
        grad = np.zeros(eta.shape)
        grad[:, 1] = -below
        curvature = np.zeros(eta.shape)
        curvature[:, 1] = below > 0
        return 0.5 * below * below, grad, curvature

    def degenerate(self, eta):
        return eta[:, 1] < LOG_SCALE_DEGENERATE


def weighted_mean_sd(y, sample_weight):
    """Weighted mean and standard deviation of y (divisor Σw), overflow-free.

    y is divided by its largest magnitude first, so that y of 1e155 or
    1e-300 loses nothing; the sd of a constant y (among samples of positive
    weight) is exactly 0, not the rounding error of its mean: deviations
    are taken from one of the weighted samples.

    Examples
    --------
    >>> import numpy as np
    >>> weighted_mean_sd(np.array([1.0, 3.0]), np.ones(2))
    (2.0, 1.0)
    >>> mean, sd = weighted_mean_sd(np.array([1e200, 3e200]), np.ones(2))
    >>> print(f"{mean:.6g} {sd:.6g}")
    2e+200 1e+200
    """
    w = sample_weight / sample_weight.sum()
    if len(y) == 0:
        return 0.0, 0.0
    big = float(np.max(np.abs(y)))
    unit = big if big > 0 and np.isfinite(big) else 1.0
    pivot = y[np.argmax(w > 0)] / unit
    d = y / unit - pivot
    shift = w @ d
    return float((pivot + shift) * unit), float(np.sqrt(w @ (d - shift) ** 2) * unit)
