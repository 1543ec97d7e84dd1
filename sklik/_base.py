"""The base class holding the maximum-likelihood recipe for every estimator."""

import numbers
from abc import abstractmethod

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted, validate_data

from sklik._objective import NLLObjective
from sklik._solvers import SOLVERS, solve
from sklik._validation import (
    check_param,
    check_real,
    check_sample_weight,
    keep_state_on_error,
    naming_the_input,
)
from sklik.models import LinearModel


class NLLEstimator(BaseEstimator):
    """Fit a linear model of a distribution's parameters by maximum likelihood.

    Subclasses say which distribution (``_make_distribution``), which columns
    of η depend on x (``_depends_on_x``), how y is encoded and how the fitted
    parameters are exposed (``_store_fit``). The fitting recipe, validation,
    convergence handling and the predictive distribution live here, once.
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
