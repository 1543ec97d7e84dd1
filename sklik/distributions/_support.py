"""Where a family's y may lie: the check that turns bad targets into clear errors."""

import numpy as np

__all__ = ["CIRCLE", "NON_NEGATIVE", "POSITIVE", "REAL", "UNIT_INTERVAL", "Support"]


class Support:
    """The set of values y a family gives positive probability to.

    Parameters
    ----------
    description : str
        How the error message names the set ("y > 0", ...).
    low, high : float
        Bounds of the set.
    include_low, include_high : bool
        Whether the bounds belong to it.
    positive_only : bool
        Whether scikit-learn's checks must generate non-negative targets
        (the ``positive_only`` target tag).
    circular : bool
        Angles: any finite real is accepted and taken modulo 2π into (−π, π].

    Examples
    --------
    >>> import numpy as np
    >>> from sklik.distributions._support import POSITIVE
    >>> POSITIVE.check(np.array([1.0, 2.0]), "gamma")
    array([1., 2.])
    >>> POSITIVE.check(np.array([1.0, 0.0]), "gamma")
    Traceback (most recent call last):
    ...
    ValueError: The gamma family needs y > 0; y has 1 value(s) outside it, e.g. [0.0].
    """

    def __init__(
        self,
        description,
        low=-np.inf,
        high=np.inf,
        *,
        include_low=False,
        include_high=False,
        positive_only=False,
        circular=False,
    ):
        self.description = description
        self.low, self.high = float(low), float(high)
        self.include_low, self.include_high = include_low, include_high
        self.positive_only = positive_only
        self.circular = circular

    def __repr__(self) -> str:
        return f"Support({self.description!r})"

    def contains(self, y: np.ndarray) -> np.ndarray:
        """Whether each value lies in the set (NaN and ±inf never do)."""
        y = np.asarray(y, dtype=np.float64)
        ok = np.isfinite(y)
        if self.circular:
            return ok
        ok &= (y >= self.low) if self.include_low else (y > self.low)
        ok &= (y <= self.high) if self.include_high else (y < self.high)
        return ok

    def check(self, y: np.ndarray, family: str) -> np.ndarray:
        """y, wrapped into (−π, π] if circular; a ValueError naming the family
        and the offending values if some lie outside the set."""
        y = np.asarray(y, dtype=np.float64)
        if not np.all(np.isfinite(y)):
            raise ValueError(
                f"The {family} family needs finite y; y contains NaN or infinity."
            )
        bad = ~self.contains(y)
        if np.any(bad):
            shown = np.unique(y[bad])[:5].tolist()
            raise ValueError(
                f"The {family} family needs {self.description}; y has "
                f"{int(bad.sum())} value(s) outside it, e.g. {shown}."
            )
        if self.circular:
            return np.pi - np.mod(np.pi - y, 2.0 * np.pi)
        return y


REAL = Support("real y")
NON_NEGATIVE = Support(
    "counts y >= 0 (non-negative reals are accepted)",
    0.0,
    include_low=True,
    positive_only=True,
)
POSITIVE = Support("y > 0", 0.0, positive_only=True)
UNIT_INTERVAL = Support("0 < y < 1", 0.0, 1.0, positive_only=True)
CIRCLE = Support("angles in radians", circular=True)
