"""The base class holding the maximum-likelihood recipe for every estimator."""

import contextlib
import functools
import numbers
import re
from abc import abstractmethod

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted, validate_data

from sklik._objective import NLLObjective
from sklik._solvers import SOLVERS, solve
from sklik.models import LinearModel


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


def _check_param(name, value, kind, low=None, include_low=True):
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


class NLLEstimator(BaseEstimator):
    """Fit a linear model of a distribution's parameters by maximum likelihood.

    Subclasses say which distribution (``_make_distribution``), which columns
    of η depend on x (``_depends_on_x``), how y is encoded and how the fitted
    parameters are exposed (``_store_fit``). The fitting recipe, validation,
    convergence handling and the predictive distribution live here, once.
    """

    def _validate_params(self):
        _check_param("alpha", self.alpha, numbers.Real, 0.0)
        _check_param("fit_intercept", self.fit_intercept, bool)
        _check_param("max_iter", self.max_iter, numbers.Integral, 1)
        _check_param("tol", self.tol, numbers.Real, 0.0, include_low=False)
        _check_param("warm_start", self.warm_start, bool)
        if self.solver not in ("auto", *SOLVERS):
            raise ValueError(
                f"solver must be one of {['auto', *SOLVERS]}; got {self.solver!r}."
            )

    # -- what subclasses provide -------------------------------------------
    @abstractmethod
    def _encode_target(self, y, sample_weight):
        """Validate and encode y, set target-related attributes.

        Returns the encoded y, the (possibly reweighted) sample weights and
        the distribution to fit.
        """

    def _depends_on_x(self, dist) -> list[bool]:
        return [True] * dist.n_params

    @abstractmethod
    def _store_fit(self, W, b):
        """Expose user-scale coefficients W (p, P) and intercepts b (P,)."""

    def _check_solution(self, objective, phi):
        """Hook for warnings about the optimum (e.g. separable classes)."""

    @abstractmethod
    def _fitted_W_b(self):
        """The user-scale (W, b) of the current fit, for warm starts."""

    # -- the recipe -------------------------------------------------------
    @keep_state_on_error
    def fit(self, X, y, sample_weight=None):
        """Fit the model by minimising the penalised negative log-likelihood.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights; None gives every sample weight one.

        Returns
        -------
        self : object
            The fitted estimator. If fit raises, a previously fitted state is
            left untouched and usable.
        """
        self._validate_params()
        X, y = self._validate_X_y(X, y, reset=True)
        sw = check_sample_weight(sample_weight, X.shape[0])
        y_enc, sw, dist = self._encode_target(y, sw)
        model = LinearModel.from_data(
            X,
            sw,
            self._depends_on_x(dist),
            self.fit_intercept,
            dist.eta_scale(y_enc, sw),
        )
        objective = NLLObjective(X, y_enc, sw, dist, model, self.alpha)
        result = solve(
            objective,
            self._start(objective),
            self.solver,
            self.max_iter,
            self.tol,
        )
        self._check_solution(objective, result.phi)
        self.distribution_ = dist
        self.n_iter_ = result.n_iter
        self._store_fit(*model.to_user(result.phi))
        return self

    def _validate_X_y(self, X, y, reset):
        check_real(X, "X")
        with naming_the_input():
            return validate_data(
                self,
                X,
                y,
                reset=reset,
                accept_sparse=("csr", "csc"),
                dtype=np.float64,
                y_numeric=False,
            )

    def _start(self, objective):
        """The previous fit (warm start, same shapes) or :meth:`_cold_start`."""
        model = objective.model
        if self.warm_start and hasattr(self, "n_iter_"):
            W, b = self._fitted_W_b()
            if W.shape == (model.n_features, objective.dist.n_params):
                return model.from_user(W, b)
        return self._cold_start(objective)

    def _cold_start(self, objective):
        """The intercept-only optimum."""
        shape = (objective.model.n_features, objective.dist.n_params)
        eta = objective.dist.init_eta(objective.y, objective.w)
        return objective.model.from_user(np.zeros(shape), eta)

    # -- using the fit ----------------------------------------------------
    def _eta(self, X) -> np.ndarray:
        check_is_fitted(self)
        check_real(X, "X")
        with naming_the_input():
            X = validate_data(
                self, X, reset=False, accept_sparse=("csr", "csc"), dtype=np.float64
            )
        W, b = self._fitted_W_b()
        return np.asarray(X @ W) + b

    def predict_dist(self, X):
        """The predictive distribution Pr(y | f[x, φ̂]) for each row of X.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        dist : frozen distribution
            Vectorised over the samples and picklable.
        """
        return self.distribution_.to_scipy(self._eta(X))

    def nll(self, X, y, sample_weight=None) -> float:
        """Weighted mean negative log-likelihood of y under the fitted model.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)
        sample_weight : array-like of shape (n_samples,), default=None

        Returns
        -------
        nll : float
            ``-average(log Pr(y_i | x_i), weights=sample_weight)``.
        """
        eta = self._eta(X)
        y_enc = self._encode_new_target(y, eta.shape[0])
        sw = check_sample_weight(sample_weight, eta.shape[0])
        return float(np.average(self.distribution_.nll(y_enc, eta), weights=sw))

    @abstractmethod
    def _encode_new_target(self, y, n_samples):
        """Encode y given to ``nll`` the way the distribution expects."""
