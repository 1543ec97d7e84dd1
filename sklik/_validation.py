"""Input checks shared by every estimator: errors name the argument at fault."""

import contextlib
import functools
import numbers
import re

import numpy as np
import scipy.sparse as sp


def as_real_array(a, name) -> np.ndarray:
    """``a`` as float64 (no copy if it already is); errors name the argument.

    The error keeps the type numpy raised (ValueError or TypeError) and its
    text, prefixed by which argument could not be read as real numbers.
    """
    try:
        arr = a if sp.issparse(a) else np.asarray(a)
        if arr.dtype.kind != "c":
            return arr.astype(np.float64, copy=False)
    except (ValueError, TypeError) as exc:
        raise type(exc)(f"{name} must hold real numbers only: {exc}") from exc
    raise ValueError(f"{name}: Complex data not supported.")


def check_real(a, name) -> None:
    """Raise a ValueError/TypeError naming ``name`` unless a holds real numbers.

    Numeric arrays pass without a copy; anything else (lists, object or
    string columns) is test-converted so that the error says which argument
    is at fault, before scikit-learn's validation sees it.
    """
    if hasattr(a, "dtypes"):  # a DataFrame: one dtype per column
        kinds = {getattr(dt, "kind", "O") for dt in a.dtypes}
    else:
        kinds = {getattr(getattr(a, "dtype", None), "kind", "O")}
    if kinds <= set("biuf"):
        return
    as_real_array(a, name)


@contextlib.contextmanager
def naming_the_input():
    """Prefix "X: " to scikit-learn's validation errors that name no argument.

    ``check_array`` says "Expected 2D array" or "Found array with 0
    sample(s)" without saying which array; here it can only be X (or, for
    inconsistent lengths, X and y). The exception type and text are kept.
    """
    try:
        yield
    except ValueError as exc:
        message = str(exc)
        if re.search(r"\b(X|y|sample_weight)\b", message):
            raise
        name = "X and y" if "inconsistent numbers of samples" in message else "X"
        raise type(exc)(f"{name}: {message}") from exc


def check_sample_weight(sample_weight, n_samples) -> np.ndarray:
    """Validated float64 weights (a new array; the caller's is never changed)."""
    if sample_weight is None:
        return np.ones(n_samples)
    if isinstance(sample_weight, numbers.Number):
        sample_weight = np.full(n_samples, sample_weight)
    sw = np.array(as_real_array(sample_weight, "sample_weight"), dtype=np.float64)
    if sw.ndim != 1 or sw.shape[0] != n_samples:
        raise ValueError(
            f"sample_weight must have shape ({n_samples},); got {sw.shape}."
        )
    if not np.all(np.isfinite(sw)):
        raise ValueError("sample_weight contains NaN or infinity.")
    if np.any(sw < 0):
        raise ValueError("sample_weight contains negative values.")
    if not sw.sum() > 0:
        raise ValueError("sample_weight sums to zero: at least one must be positive.")
    return sw


def check_param(name, value, kind, low=None, include_low=True):
    """Raise a ValueError naming ``name`` unless value is of ``kind`` and >= low."""
    is_bool = isinstance(value, bool | np.bool_)
    if kind is bool:
        ok = is_bool
    else:
        ok = isinstance(value, kind) and not is_bool and bool(np.isfinite(value))
        if ok and low is not None:
            ok = bool(value >= low if include_low else value > low)
    if not ok:
        kind_name = {
            numbers.Real: "a finite real number",
            numbers.Integral: "an integer",
            bool: "a bool",
        }[kind]
        bound = "" if low is None else f" {'>=' if include_low else '>'} {low}"
        raise ValueError(f"{name} must be {kind_name}{bound}; got {value!r}.")


def keep_state_on_error(fit):
    """Decorate ``fit`` so that if it raises, the estimator is left as it was.

    A failed refit therefore never half-updates a fitted estimator: the
    previous fit stays complete and usable.
    """

    @functools.wraps(fit)
    def wrapper(self, *args, **kwargs):
        previous_state = dict(self.__dict__)
        try:
            return fit(self, *args, **kwargs)
        except BaseException:
            self.__dict__.clear()
            self.__dict__.update(previous_state)
            raise

    return wrapper
