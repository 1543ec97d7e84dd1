"""Input checks and reductions shared by the scores, the CRPS and the scorers."""

from __future__ import annotations

import numbers
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike
from scipy import stats

from sklik._validation import check_sample_weight
from sklik.distributions import LabelDistribution


def weighted_mean(per_sample: np.ndarray, sample_weight: ArrayLike | None) -> float:
    """Weighted mean over samples; samples of weight zero are left out entirely.

    Leaving them out (instead of multiplying by 0) keeps an infinite score of a
    zero-weight sample from turning the mean into NaN.
    """
    sw = check_sample_weight(sample_weight, per_sample.shape[0])
    used = sw > 0
    return float(np.average(per_sample[used], weights=sw[used]))


def per_sample(values: np.ndarray, reduce: Callable[..., np.ndarray]) -> np.ndarray:
    """Collapse the outputs axis of a (n, m) array; a (n,) array is kept."""
    if values.ndim == 1:
        return values
    if values.ndim == 2:
        return reduce(values, axis=1)
    raise ValueError(f"expected 1-D or 2-D values; got shape {values.shape}.")


def dist_name(dist: Any) -> str | None:
    """scipy's name of a frozen ``scipy.stats`` distribution, else None."""
    return getattr(getattr(dist, "dist", None), "name", None)


def is_distribution_list(dist: Any) -> bool:
    """Whether ``dist`` is a list of per-output distributions."""
    return isinstance(dist, Sequence) and not isinstance(dist, str)


def is_discrete(dist: Any) -> bool:
    """A distribution is discrete iff it has ``logpmf`` (scipy's convention)."""
    return hasattr(dist, "logpmf")


def check_real(y: ArrayLike, name: str) -> np.ndarray:
    y = np.asarray(y, dtype=np.float64)
    if y.ndim not in (1, 2) or y.shape[0] == 0:
        raise ValueError(
            f"{name} must be a non-empty 1-D or 2-D array; got shape {y.shape}."
        )
    if not np.all(np.isfinite(y)):
        raise ValueError(f"{name} contains NaN or infinity.")
    return y


def check_interval(
    y_shape: tuple[int, ...], lower: ArrayLike, upper: ArrayLike
) -> tuple[np.ndarray, np.ndarray]:
    lower = np.broadcast_to(np.asarray(lower, dtype=np.float64), y_shape)
    upper = np.broadcast_to(np.asarray(upper, dtype=np.float64), y_shape)
    if np.any(np.isnan(lower)) or np.any(np.isnan(upper)):
        raise ValueError("the interval bounds contain NaN.")
    if np.any(lower > upper):
        raise ValueError("every lower bound must be at most its upper bound.")
    return lower, upper


def check_confidence(confidence: Any) -> float:
    if (
        not isinstance(confidence, numbers.Real)
        or isinstance(confidence, bool)
        or not 0.0 < confidence < 1.0
    ):
        raise ValueError(f"confidence must be in (0, 1); got {confidence!r}.")
    return float(confidence)


def columns(y_true: ArrayLike, n_outputs: int) -> np.ndarray:
    y = np.asarray(y_true)
    if y.ndim != 2 or y.shape[1] != n_outputs:
        raise ValueError(
            f"y_true must have shape (n_samples, {n_outputs}) for {n_outputs} "
            f"distributions; got {y.shape}."
        )
    return y


def check_shape(values: np.ndarray, y: np.ndarray, what: str) -> np.ndarray:
    """The per-element values must have y's shape (no silent broadcasting)."""
    if values.shape != y.shape:
        raise ValueError(
            f"the distribution gives {what} of shape {values.shape} for "
            f"y_true of shape {y.shape}: their shapes must agree (a column vector "
            "y_true against a 1-D distribution broadcasts to a matrix)."
        )
    return values


def normal_params(dist: Any) -> tuple[np.ndarray, np.ndarray]:
    if dist_name(dist) != "norm":
        raise TypeError(
            "expected a frozen scipy.stats.norm (or mean and std arrays); got "
            f"{type(dist).__name__}."
        )
    return np.asarray(dist.mean(), dtype=np.float64), np.asarray(
        dist.std(), dtype=np.float64
    )


def frozen_params(dist: Any) -> dict[str, np.ndarray] | None:
    """Shape parameters, ``loc`` and ``scale`` of a frozen ``scipy.stats`` object.

    Read from the public ``args`` and ``kwds`` of the frozen distribution and
    the generator's ``shapes``; None for anything that is not a frozen scipy
    distribution. Discrete distributions have no ``scale``.
    """
    gen = getattr(dist, "dist", None)
    if not isinstance(gen, stats.rv_continuous | stats.rv_discrete):
        return None
    names = [s.strip() for s in gen.shapes.split(",")] if gen.shapes else []
    names.append("loc")
    params: dict[str, Any] = {"loc": 0.0}
    if isinstance(gen, stats.rv_continuous):
        names.append("scale")
        params["scale"] = 1.0
    params.update(zip(names, getattr(dist, "args", ())))
    params.update(getattr(dist, "kwds", {}))
    return {k: np.asarray(v, dtype=np.float64) for k, v in params.items()}


def wrap_angle(dist: Any, y: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """y of a von Mises taken modulo its period into (loc − π·scale, loc + π·scale].

    scipy's ``vonmises`` has a 2π-periodic density but a CDF that keeps
    growing by 1 per turn, so the score functions read every angle in the
    turn centred on the location. Returns the wrapped y and the two ends.
    """
    params = frozen_params(dist)
    if params is None:
        raise TypeError("expected a frozen scipy.stats.vonmises.")
    loc, scale = params["loc"], params["scale"]
    half = np.pi * scale
    wrapped = loc + half - np.mod(loc + half - y, 2.0 * half)
    return wrapped, loc - half, loc + half


def reject_labels(dist: Any, what: str) -> None:
    """Class probabilities have no order: no CDF, so no CRPS or PIT."""
    if isinstance(dist, LabelDistribution):
        raise TypeError(
            f"{what} needs a predictive distribution over numbers (a frozen "
            "scipy.stats distribution such as scipy.stats.norm, or sklik's own); "
            "class probabilities (LabelDistribution) have no order: use "
            "brier_score or log_score."
        )
    if not hasattr(dist, "cdf"):
        raise TypeError(
            f"{what} needs a distribution with a cdf method (a frozen scipy.stats "
            f"distribution or sklik's own); got {type(dist).__name__}."
        )
