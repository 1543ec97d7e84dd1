"""The base class holding the maximum-likelihood recipe for every estimator."""

import numbers
import warnings
from abc import abstractmethod

import numpy as np
from sklearn.base import BaseEstimator, clone
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils.validation import check_is_fitted, validate_data

from sklik._starts import cold_start
from sklik._summary_mixin import SummaryMixin
from sklik._validation import (
    check_param,
    check_real,
    check_sample_weight,
    keep_state_on_error,
    naming_the_input,
)
from sklik.backends import _target_stats as target_stats
from sklik.backends import dask_rows, is_dask_array, is_distributed, make_objective
from sklik.backends._target import RowVector
from sklik.exceptions import DegenerateFitWarning
from sklik.models import LinearModel
from sklik.solvers import SOLVERS, solve

#: The attributes of a linear fit (absent with any other model).
_LINEAR_ATTRIBUTES = (
    "coef_",
    "intercept_",
    "scale_",
    "scale_coef_",
    "scale_intercept_",
)


class NLLEstimator(SummaryMixin, BaseEstimator):
    """Fit a model of a distribution's parameters by maximum likelihood.

    The recipe lives here, once: validate, encode y and pick the
    distribution (``_encode_target``), standardise y into the family's
    units, build the model (``_make_model``), minimise the penalised mean
    NLL from the intercept-only optimum (or the previous fit), check the
    optimum, and keep the fitted model (``model_``), through which every
    prediction goes. Subclasses say which columns of η depend on x
    (``_depends_on_x``) and how the fit is exposed (``_store_fit``).
    """

    def _validate_params(self):
        check_param("alpha", self.alpha, numbers.Real, 0.0)
        check_param("fit_intercept", self.fit_intercept, bool)
        check_param("max_iter", self.max_iter, numbers.Integral, 1)
        check_param("tol", self.tol, numbers.Real, 0.0, include_low=False)
        check_param("warm_start", self.warm_start, bool)
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

    def _make_model(self, X, sample_weight, depends_on_x):
        """The model f[x, φ] to fit, set up for X (``model=``).

        ``"linear"``, or a model specification with a ``build(X,
        sample_weight, depends_on_x, fit_intercept)`` method returning a
        :class:`~sklik.models.Model` (e.g. ``sklik.models.MLP``), cloned
        first so the estimator's parameter is never changed.
        """
        if isinstance(self.model, str) and self.model == "linear":
            return LinearModel.from_data(
                X, sample_weight, depends_on_x, self.fit_intercept
            )
        if (
            hasattr(self.model, "build")
            and hasattr(self.model, "get_params")
            and not isinstance(self.model, type)  # MLP, not MLP()
        ):
            spec = clone(self.model)
            return spec.build(X, sample_weight, depends_on_x, self.fit_intercept)
        raise ValueError(
            "model must be 'linear' or a model specification such as "
            f"sklik.models.MLP(...); got {self.model!r}."
        )

    def _store_fit(self):
        """Expose a linear fit (``self.model_``) as coef_, intercept_, ...

        Called only for the linear model; with any other model the fitted
        network is ``model_`` and these attributes do not exist.
        """

    def _check_solution(self, objective, phi) -> bool:
        """Hook: warn if the optimum does not exist (separable classes, say).

        Returns whether it warned; no convergence warning follows then.
        """
        return False

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
        objective, units = self._objective(X, y, sample_weight)
        del y  # (a dask y's pieces on the workers: the objective has its codes)
        dist, model = objective.dist, objective.model
        result = solve(
            objective,
            self._start(objective, units),
            self.solver,
            self.max_iter,
            self.tol,
        )
        degenerate = self._check_degenerate(objective, result.phi)
        if not (self._check_solution(objective, result.phi) or degenerate):
            self._check_convergence(result)
        self.distribution_ = dist
        self.n_iter_ = result.n_iter
        self.model_ = model.fitted(result.phi, units.scale)
        for name in _LINEAR_ATTRIBUTES:  # (a refit may change the model)
            self.__dict__.pop(name, None)
        if isinstance(self.model_, LinearModel):
            self._store_fit()
        return self

    def _objective(self, X, y, sample_weight):
        """The objective of the fit on validated X and y, and the family's units."""
        if isinstance(y, RowVector):  # y and the weights stay on the workers
            sw = dask_rows.place_weights(X, sample_weight)
            y_enc, sw, dist = self._encode_target(y, sw)
            y_int, units = target_stats.units(dist, y_enc, sw)
        else:
            sw = check_sample_weight(sample_weight, X.shape[0])
            y_enc, sw, dist = self._encode_target(y, sw)
            y_int, units = dist.units(y_enc, sw)
        model = self._make_model(X, sw, self._depends_on_x(dist))
        X = model.prepare(X)
        # NLLObjective for X in memory, DaskObjective for its rows on dask
        objective = make_objective(
            X, y_int, sw, dist, model, self.alpha, units.offset, solver=self.solver
        )
        return objective, units

    def _validate_X_y(self, X, y, reset):
        if is_distributed(X):  # checked lazily, persisted by rows
            return dask_rows.validate_fit(self, X, y, reset)
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

    def _start(self, objective, units):
        """The previous fit (warm start, same shapes) or the cold start."""
        model = objective.model
        previous = getattr(self, "model_", None)
        if self.warm_start and isinstance(previous, LinearModel):
            W, b = previous.coef_intercept()
            if W.shape == (model.n_features, objective.dist.n_params):
                return model.params_for(W, b, units.scale)
        if self.warm_start and hasattr(model, "warm_params"):  # a network
            phi = model.warm_params(previous, units.scale)
            if phi is not None:
                return phi
        return cold_start(objective)

    def _check_convergence(self, result):
        """Warn if the gradient stayed above tol (or a network's loss rule failed)."""
        # A network's L-BFGS fit is judged by its loss (sklik.models.MLP).
        converged = getattr(result, "converged", None)
        if converged is not None:
            if not converged:
                warnings.warn(
                    f"The optimiser stopped after {result.n_iter} iterations "
                    f"({result.message}) before the objective improved by less "
                    f"than tol={self.tol:g} in each of "
                    f"n_iter_no_change={self.model.n_iter_no_change} consecutive "
                    "iterations. Increase max_iter, or loosen tol.",
                    ConvergenceWarning,
                    stacklevel=4,
                )
            return
        if not result.grad_norm <= self.tol:
            warnings.warn(
                f"The optimiser stopped after {result.n_iter} iterations "
                f"({result.message}) with gradient sup-norm {result.grad_norm:.3g} "
                f"> tol={self.tol:g}. Increase max_iter, loosen tol, or "
                "add regularisation (alpha > 0).",
                ConvergenceWarning,
                stacklevel=4,
            )

    def _check_degenerate(self, objective, phi) -> bool:
        """Warn if the family says the fit has no maximum (and return whether).

        The gradient of such a fit is meaningless (rounding amplified by
        1/σ², or a boundary at infinity): no convergence test follows.
        """
        message = objective.degenerate_message(phi)  # (rows may be remote)
        if message:
            warnings.warn(message, DegenerateFitWarning, stacklevel=4)
        return bool(message)

    # -- using the fit ----------------------------------------------------
    def __getattr__(self, name):
        # A network has no coefficients: say so, not just "no attribute".
        model = self.__dict__.get("model_") if name in _LINEAR_ATTRIBUTES else None
        if model is not None and not isinstance(model, LinearModel):
            raise AttributeError(
                f"{type(self).__name__} was fitted with model="
                f"{self.__dict__.get('model')!r}: {name} exists only for the "
                "linear model (model='linear'); the fitted network is model_."
            )
        raise AttributeError(
            f"{type(self).__name__!r} object has no attribute {name!r}"
        )

    def _validate_X(self, X):
        check_is_fitted(self)
        if is_dask_array(X):  # checked lazily, predicted blockwise
            return dask_rows.validate_predict(self, X)
        check_real(X, "X")
        with naming_the_input():
            return validate_data(
                self, X, reset=False, accept_sparse=("csr", "csc"), dtype=np.float64
            )

    def _eta(self, X) -> np.ndarray:
        """η = f[x, φ̂] on the user's scale, shape (n_samples, P)."""
        X = self._validate_X(X)
        if is_dask_array(X):  # a dask array, block by block
            return dask_rows.map_rows(self, "_eta", X)
        return self.model_.predict_eta(X)

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
        eta = self._eta(X)
        if is_dask_array(eta):  # η computed on the workers, n×P numbers
            eta = eta.compute()
        return self.distribution_.to_scipy(eta)

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
        if is_dask_array(X):  # summed where the rows are
            return dask_rows.nll(self, X, y, sample_weight)
        eta = self._eta(X)
        y_enc = self._encode_new_target(y, eta.shape[0])
        sw = check_sample_weight(sample_weight, eta.shape[0])
        return float(np.average(self.distribution_.nll(y_enc, eta), weights=sw))

    @abstractmethod
    def _encode_new_target(self, y, n_samples):
        """Encode y given to ``nll`` the way the distribution expects."""
