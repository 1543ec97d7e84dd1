"""dask arrays at the estimators' door: lazy checks, persisted rows, blockwise output.

A dask X is checked without computing it (dtype, dimensions, chunking). A
fit then persists it by rows (:class:`~sklik.backends.RowBlocks`) and its
first pass, the columns' largest magnitudes (which the model's
standardisation needs anyway), finds any NaN or infinity and raises
scikit-learn's own error. y and the sample weights are placed beside X's
rows (:class:`~sklik.backends._target.RowVector`) and checked there: like
X, they never come to the client (but for the families that need all of
y at once, :mod:`sklik.backends._target_stats`).
"""

import warnings

import numpy as np
from sklearn.utils import assert_all_finite
from sklearn.utils.validation import column_or_1d, validate_data

from sklik._validation import check_sample_weight, naming_the_input
from sklik.backends import _target_stats as target_stats
from sklik.backends._rows import RowBlocks
from sklik.backends._target import RowVector, as_row_vector, place


def is_dask_array(X) -> bool:
    """Whether X is a dask array (without importing dask).

    Examples
    --------
    >>> import numpy as np
    >>> import dask.array as da
    >>> is_dask_array(np.ones(3)), is_dask_array(da.ones(3))
    (False, True)
    """
    import sys

    module = sys.modules.get("dask.array")
    return module is not None and isinstance(X, module.Array)


def check_dask_X(X):
    """X as float64 chunked by rows only, checked without computing it."""
    if X.ndim != 2:
        raise ValueError(
            "X: Expected a 2-D dask array of shape (n_samples, n_features); got "
            f"{X.ndim}-D, shape {X.shape}."
        )
    if X.dtype.kind == "c":
        raise ValueError("X: Complex data not supported.")
    if X.dtype.kind not in "biuf":
        raise ValueError(f"X must hold real numbers only: its dtype is {X.dtype}.")
    if not isinstance(getattr(X, "_meta", None), np.ndarray):
        raise TypeError(
            "X: only dask arrays of numpy blocks are supported; got blocks of "
            f"{type(getattr(X, '_meta', None)).__name__}."
        )
    if any(np.isnan(size) for size in X.chunks[0]):
        raise ValueError(
            "X: the dask array's chunk sizes are unknown (as after a boolean "
            "mask, or DataFrame.values): call X.compute_chunk_sizes(), or "
            "DataFrame.to_dask_array(lengths=True), first."
        )
    if X.dtype != np.float64:
        X = X.astype(np.float64)
    if X.numblocks[1] > 1:  # rows are the unit of every pass: one chunk of columns
        X = X.rechunk({1: -1})
    return X


def _check_features(est, shape, reset):
    """n_features_in_ and feature names, set or checked as validate_data does."""
    with naming_the_input():
        validate_data(est, np.zeros((min(shape[0], 1), shape[1])), reset=reset)


def _check_target(est, y, n_samples):
    """y checked as scikit-learn's check_X_y checks it, without computing it.

    Its shape, dtype and length here; its values (NaN, infinity) where it
    is placed (:func:`place_target`).
    """
    name = type(est).__name__
    if y is None:
        raise ValueError(
            f"This {name} estimator requires y to be passed, but the target y is None."
        )
    if isinstance(y, RowVector):  # placed by an earlier validation
        length = len(y)
    else:
        if not is_dask_array(y):
            y = np.asarray(y)
        if y.ndim == 2 and y.shape[1] == 1:  # column_or_1d's warning, then ravel
            column_or_1d(np.zeros((1, 1), dtype=y.dtype), warn=True)
            y = y[:, 0]
        elif y.ndim != 1:  # column_or_1d's error (a view: no values are read)
            column_or_1d(np.broadcast_to(np.zeros((), dtype=y.dtype), y.shape))
        if y.dtype.kind == "c":
            raise ValueError("y: Complex data not supported.")
        if is_dask_array(y) and np.isnan(y.shape[0]):
            raise ValueError(
                "y: the dask array's chunk sizes are unknown: call "
                "y.compute_chunk_sizes() first."
            )
        length = y.shape[0]
    if length != n_samples:
        raise ValueError(
            "X and y: Found input variables with inconsistent numbers of samples: "
            f"[{n_samples}, {length}]"
        )
    return y


def place_target(est, rows, y) -> RowVector:
    """y split like X's rows on the workers, its values checked there."""
    if isinstance(y, RowVector):
        return y
    y = place(rows, y)
    target_stats.check_finite(y, type(est).__name__)
    return y


def place_weights(rows, sample_weight) -> RowVector:
    """The sample weights on the workers (None: ones, never made here)."""
    if sample_weight is None:
        return RowVector(rows, None)
    if not is_dask_array(sample_weight) and not isinstance(sample_weight, RowVector):
        return place(rows, check_sample_weight(sample_weight, rows.shape[0]))
    if sample_weight.ndim != 1 or sample_weight.shape[0] != rows.shape[0]:
        raise ValueError(
            f"sample_weight must have shape ({rows.shape[0]},); "
            f"got {sample_weight.shape}."
        )
    if sample_weight.dtype.kind not in "biuf":
        raise ValueError("sample_weight must hold real numbers only.")
    w = as_row_vector(rows, sample_weight).astype(np.float64)
    return target_stats.check_weights(w)


def place_rows(est, X, reset) -> RowBlocks:
    """X for a fit: checked, persisted by rows, its first pass checks the values."""
    if not isinstance(X, RowBlocks):
        X = check_dask_X(X)
    _check_features(est, X.shape, reset)
    if not isinstance(X, RowBlocks):
        X = RowBlocks.persist(X)
    big = X.column_max_abs()
    if not np.all(np.isfinite(big)):
        assert_all_finite(
            big[~np.isfinite(big)], input_name="X", estimator_name=type(est).__name__
        )
    return X


def validate_fit(est, X, y, reset):
    """(RowBlocks, RowVector y) for ``fit`` on a dask X (y may be dask too).

    y goes where X's rows are, split like them: it never comes here.
    """
    if not isinstance(X, RowBlocks):
        X = check_dask_X(X)
    y = _check_target(est, y, X.shape[0])
    rows = place_rows(est, X, reset)
    return rows, place_target(est, rows, y)


def validate_predict(est, X):
    """A dask X for prediction: checked lazily, float64, chunked by rows."""
    X = check_dask_X(X)
    _check_features(est, X.shape, reset=False)
    return X


def _apply(block, est, method, kwargs):
    result = getattr(est, method)(block, **kwargs)
    return np.stack(result, axis=1) if isinstance(result, tuple) else result


def map_rows(est, method, X, **kwargs):
    """``est.method(block, **kwargs)`` for each block of rows: dask arrays.

    The fitted estimator travels in the graph; each block goes through its
    numpy path (checks included: a NaN raises when the result is computed).
    A method returning a tuple returns a tuple of dask arrays.
    """
    with warnings.catch_warnings():  # (the shape and dtype of one row's output)
        warnings.simplefilter("ignore")
        probe = getattr(est, method)(np.zeros((1, X.shape[1])), **kwargs)
    is_tuple = isinstance(probe, tuple)
    sample = np.stack(probe, axis=1) if is_tuple else np.asarray(probe)
    if sample.ndim == 1:
        out = X.map_blocks(
            _apply,
            est,
            method,
            kwargs,
            drop_axis=1,
            dtype=sample.dtype,
            meta=sample[:0],
        )
    else:
        out = X.map_blocks(
            _apply,
            est,
            method,
            kwargs,
            chunks=(X.chunks[0], sample.shape[1:]),
            dtype=sample.dtype,
            meta=sample[:0],
        )
    if is_tuple:
        return tuple(out[:, j] for j in range(len(probe)))
    return out


def stack_columns(columns):
    """np.column_stack for 1-D dask arrays (dask has no column_stack)."""
    import dask.array as da

    return da.stack(columns, axis=1)


def _weighted_nll(eta, y, w, dist):
    return np.array([w @ dist.nll(y, eta)])


def nll(est, X, y, sample_weight):
    """Weighted mean NLL of y under a fitted estimator, summed where X lives."""
    import dask.array as da

    eta = est._eta(X)
    if is_dask_array(y):
        y = y.compute()
    y = est._encode_new_target(y, eta.shape[0])
    sw = check_sample_weight(sample_weight, eta.shape[0])
    rows = (eta.chunks[0],)
    sums = da.blockwise(
        _weighted_nll,
        "i",
        eta,
        "ij",
        da.from_array(y, chunks=rows),
        "i",
        da.from_array(sw, chunks=rows),
        "i",
        dist=est.distribution_,
        adjust_chunks={"i": 1},
        dtype=np.float64,
        concatenate=True,
    )
    return float(sums.sum().compute() / sw.sum())
