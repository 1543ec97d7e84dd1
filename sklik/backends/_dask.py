"""dask arrays at the estimators' door: lazy checks, persisted rows, blockwise output.

A dask X is checked without computing it (dtype, dimensions, chunking). A
fit then persists it by rows (:class:`~sklik.backends.RowBlocks`) and its
first pass, the columns' largest magnitudes (which the model's
standardisation needs anyway), finds any NaN or infinity and raises
scikit-learn's own error. y and the sample weights are n-sized and come to
the client (the target's encoding, the family's units and the
intercept-only start read all of y); X never does.
"""

import warnings

import numpy as np
from sklearn.utils import assert_all_finite
from sklearn.utils.validation import column_or_1d, validate_data

from sklik._validation import check_sample_weight, naming_the_input
from sklik.backends._rows import RowBlocks


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
    """y gathered and checked as scikit-learn's check_X_y checks it."""
    name = type(est).__name__
    if y is None:
        raise ValueError(
            f"This {name} estimator requires y to be passed, but the target y is None."
        )
    if is_dask_array(y):
        y = y.compute()
    y = column_or_1d(y, warn=True)
    if y.dtype.kind == "c":
        raise ValueError("y: Complex data not supported.")
    assert_all_finite(y, input_name="y", estimator_name=name)
    if y.shape[0] != n_samples:
        raise ValueError(
            "X and y: Found input variables with inconsistent numbers of samples: "
            f"[{n_samples}, {y.shape[0]}]"
        )
    return y


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
    """(RowBlocks, y as numpy) for ``fit`` on a dask X (y may be dask too)."""
    if not isinstance(X, RowBlocks):
        X = check_dask_X(X)
    y = _check_target(est, y, X.shape[0])
    return place_rows(est, X, reset), y


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
