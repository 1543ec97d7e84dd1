"""What a fit needs of y and the weights, reduced where they live (the workers).

Each function takes :class:`~sklik.backends._target.RowVector` arguments
and brings back a few numbers: the labels, the class totals, the weighted
mean and spread, the intercept-only η. The common families (Bernoulli,
Categorical, Normal, Poisson, and the location-scale families' units) are
reduced here; a family whose ``units``, ``for_data`` or ``init_eta`` needs
all of y at once (the mixture's quantiles, an intercept-only Newton fit)
gathers y to this process instead (the documented fallback, as before).
"""

import numpy as np
from sklearn.utils import assert_all_finite
from sklearn.utils.class_weight import compute_class_weight
from sklearn.utils.multiclass import check_classification_targets

from sklik.backends._target import RowVector, apply, map_rows
from sklik.distributions import Bernoulli, Categorical, Distribution, Normal, Poisson
from sklik.distributions._base import EtaUnits
from sklik.distributions._location_scale import LocationScale


# -- checks ------------------------------------------------------------------------
def _finite_message(y, name):
    if y.dtype.kind not in "biufO":
        return None
    try:
        assert_all_finite(y, input_name="y", estimator_name=name)
    except ValueError as exc:
        return str(exc)
    return None


def check_finite(y, name):
    """scikit-learn's error for a NaN or infinity in y, found on the workers."""
    messages = [m for m in apply(_finite_message, y, name) if m]
    if messages:  # (a NaN anywhere is what scikit-learn names first)
        raise ValueError(next((m for m in messages if "NaN" in m), messages[0]))


def _weight_checks(w):
    return bool(np.all(np.isfinite(w))), bool(np.any(w < 0)), float(w.sum())


def check_weights(w):
    """check_sample_weight's checks of placed weights, made on the workers."""
    checks = apply(_weight_checks, w)
    if not all(c[0] for c in checks):
        raise ValueError("sample_weight contains NaN or infinity.")
    if any(c[1] for c in checks):
        raise ValueError("sample_weight contains negative values.")
    if not sum(c[2] for c in checks) > 0:
        raise ValueError("sample_weight sums to zero: at least one must be positive.")
    return w


# -- labels ------------------------------------------------------------------------
def _labels(y):
    try:
        check_classification_targets(y)
    except ValueError as exc:
        return None, str(exc)
    return np.unique(y), None


def labels(y):
    """The sorted labels of y (the union of each piece's), checked as sklearn does."""
    parts = apply(_labels, y)
    for _, message in parts:
        if message:
            raise ValueError(f"y: {message}")
    return np.unique(np.concatenate([classes for classes, _ in parts]))


def _codes(y, classes):
    return np.searchsorted(classes, y).astype(np.intp)


def encode_labels(y, classes):
    """The codes 0..K-1 of y's labels (np.unique's inverse), on the workers."""
    return map_rows(_codes, y, classes, dtype=np.intp)


def _class_totals(codes, w, n_classes):
    return np.bincount(codes, w, minlength=n_classes), int(np.count_nonzero(w > 0))


def class_totals(codes, w, n_classes):
    """(Σ w per class, number of samples of positive weight)."""
    parts = apply(_class_totals, codes, w, n_classes)
    return sum(p[0] for p in parts), sum(p[1] for p in parts)


def _times_class_weight(w, codes, weights):
    return w * weights[codes]


def class_weighted(est_class_weight, classes, codes, w):
    """(class weights, sample weights times their class's), the counts reduced."""
    counts = None
    if isinstance(est_class_weight, str):  # "balanced": the unweighted counts
        ones = RowVector(codes.rows, None)
        counts = class_totals(codes, ones, len(classes))[0]
    # y = the labels once each, weighted by their counts: the same bincount
    cw = compute_class_weight(
        est_class_weight, classes=classes, y=classes, sample_weight=counts
    )
    return cw, map_rows(_times_class_weight, w, codes, cw)


# -- moments -----------------------------------------------------------------------
def _first_used(shard, w):
    sizes = [len(block) for block in shard.X]
    used = np.flatnonzero(w > 0)
    if not used.size:
        return None
    local = int(used[0])
    edges = np.cumsum([0, *sizes])
    block = int(np.searchsorted(edges, local, side="right") - 1)
    return shard.index[block], local - int(edges[block]), local


def _value_at(y, local):
    return None if local is None else float(y[local])


def _max_abs(y):
    return float(np.max(np.abs(y), initial=0.0))


def _centred_sum(y, w, unit, pivot):
    d = y / unit - pivot
    return float(w @ d)


def _centred_square_sum(y, w, unit, pivot, shift):
    d = y / unit - pivot - shift
    return float(w @ (d * d))


def weighted_mean_sd(y, sample_weight):
    """:func:`~sklik.distributions._location_scale.weighted_mean_sd`, reduced."""
    w = sample_weight / sample_weight.sum()
    big = max(apply(_max_abs, y))
    unit = big if big > 0 and np.isfinite(big) else 1.0
    firsts = apply(_first_used, w, shards=w.rows.shards)
    k = min(
        (k for k, f in enumerate(firsts) if f is not None),
        key=lambda k: (firsts[k][0], firsts[k][1]),
    )
    (pivot,) = apply(_value_at, y, firsts[k][2], only=k)
    pivot = pivot / unit
    shift = sum(apply(_centred_sum, y, w, unit, pivot))
    square = sum(apply(_centred_square_sum, y, w, unit, pivot, shift))
    return float((pivot + shift) * unit), float(np.sqrt(square) * unit)


def _weighted_sum(y, w):
    return float(w @ y)


# -- a family's view of y ------------------------------------------------------------
def _defines(dist, method) -> bool:
    return getattr(type(dist), method) is not getattr(Distribution, method)


def _in_support(y, dist):
    try:
        dist.check_y(y)
    except ValueError:
        return False
    return True


def _check_y(y, dist):
    return dist.check_y(y)


def check_y(dist, y):
    """y checked against the family's support piece by piece, on the workers.

    Where a piece is outside the support, y comes here for the family's own
    message (an error path: its count and examples are those of all of y).
    """
    if not all(apply(_in_support, y, dist)):
        dist.check_y(y.gather())
    return map_rows(_check_y, y, dist)


def for_data(dist, y, w):
    """The family set up for this data: y comes here only if the family asks."""
    if not _defines(dist, "for_data"):
        return dist
    return dist.for_data(y.gather(), np.asarray(w))


def _divide(y, spread):
    return y / spread


def units(dist, y, w):
    """(internal y, EtaUnits): the location-scale families' reduced here."""
    if not _defines(dist, "units"):
        return dist.units(y, w)  # (as is: y is not read)
    if type(dist).units is LocationScale.units:
        spread = weighted_mean_sd(y, w)[1]
        if not spread > 0:  # as LocationScale.units (its magnitude, or 1)
            spread = max(apply(_max_abs, y)) or 1.0
        scale, shift = np.ones(dist.n_params), np.zeros(dist.n_params)
        scale[0], shift[1] = spread, np.log(spread)
        return map_rows(_divide, y, spread), EtaUnits(scale, shift)
    y_int, eta_units = dist.units(y.gather(), np.asarray(w))
    return y_int, eta_units


def init_eta(dist, y, w):
    """The intercept-only η of the common families from sums over the workers.

    Each family's own ``init_eta`` is called on a few numbers with the
    same sufficient statistic (the weighted mean; the class totals); the
    Normal's from the reduced weighted mean and spread. None where the
    family is not one of these (the caller gathers y then).
    """
    kind = type(dist)
    if kind in (Bernoulli, Poisson):
        mean = sum(apply(_weighted_sum, y, w)) / w.sum()
        return dist.init_eta(np.array([mean]), np.ones(1))
    if kind is Categorical:
        freq = class_totals(y, w, dist.n_classes)[0]
        return dist.init_eta(np.arange(dist.n_classes), freq)
    if kind is Normal:
        mean, sd = weighted_mean_sd(y, w)
        return np.array([mean, np.log(sd) if sd > 0 else -23.0])  # Normal.init_eta
    return None
