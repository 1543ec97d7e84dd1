"""GaussianNLLRegressor: linear regression that predicts a Normal distribution."""

import warnings

import numpy as np
from sklearn.base import RegressorMixin
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils.validation import column_or_1d

from sklik._base import NLLEstimator
from sklik._solvers import LeastSquares, log_scale_excess
from sklik._validation import as_real_array, check_param
from sklik.distributions import Normal
from sklik.distributions.normal import weighted_mean_sd

#: σ floor as a fraction of the weighted standard deviation of y.
SCALE_FLOOR_RATIO = 1e-6

#: E[log χ²₁] = -γ - log 2: the mean of log r² - log σ² for Normal residuals.
_MEAN_LOG_CHI2 = -(np.euler_gamma + np.log(2.0))


def _constant_log_scale(model, dist, sigma):
    """The log-scale entries of φ for a constant σ (no x-dependence)."""
    no_coef = np.zeros((model.n_features, 2))
    eta = np.array([0.0, log_scale_excess(sigma, dist)])
    return model.from_user(no_coef, eta)[model.eta_column == 1]


def _constant_scale_value(objective, phi, sigma):
    """The objective at φ whose σ is the constant rms residual ``sigma``.

    The mean NLL is then that of a single residual of size ``sigma``: no pass
    over X.
    """
    eta = np.array([[0.0, log_scale_excess(sigma, objective.dist)]])
    return objective.dist.nll(np.array([sigma]), eta)[0] + objective.penalty_value(phi)


def _scale_floor(y, sample_weight):
    """σ_min: a tiny fraction of y's spread (or magnitude), so that y·c gives σ·c."""
    spread = weighted_mean_sd(y, sample_weight)[1]
    if not spread > 0:
        spread = np.max(np.abs(y), initial=0.0)
    return SCALE_FLOOR_RATIO * spread if spread > 0 else SCALE_FLOOR_RATIO


class GaussianNLLRegressor(RegressorMixin, NLLEstimator):
    r"""Linear regression predicting a Normal distribution, by maximum likelihood.

    The model is :math:`y \mid x \sim \mathcal N(\mu(x), \sigma(x))` with
    :math:`\mu(x) = x \cdot w + b` and :math:`\sigma(x) = \sigma_{\min} +
    e^{x \cdot v + c}` (``heteroscedastic=True``) or a constant
    :math:`\sigma = \sigma_{\min} + e^{c}`. The objective is the weighted mean
    negative log-likelihood plus :math:`\tfrac{\alpha}{2}(\lVert w\rVert^2 +
    \lVert v \rVert^2)`.

    The floor :math:`\sigma_{\min} = 10^{-6}\cdot\mathrm{sd}_s(y)` keeps the
    likelihood bounded when the mean can interpolate the data (without it the
    heteroscedastic likelihood is unbounded); it scales with y, so multiplying
    y by c multiplies μ and σ by c exactly. With ``alpha=0`` and a constant σ
    the fit is ordinary (weighted) least squares, solved exactly; σ is then
    the root mean squared residual. With ``alpha > 0`` the mean coefficients
    equal ``Ridge(alpha=alpha * scale_**2 * sum(sample_weight))``.

    Parameters
    ----------
    alpha : float, default=0.0
        L2 penalty strength on the coefficients (not on intercepts).
    fit_intercept : bool, default=True
        Whether μ(x) and log σ(x) have an intercept. A constant σ always has one.
    heteroscedastic : bool, default=False
        Whether log σ is a linear function of x, fitted jointly with μ.
    solver : {"auto", "lstsq", "newton", "lbfgs", "newton-cg"}, default="auto"
        "auto" takes the exact least-squares solution when it applies
        (constant σ, alpha=0), Newton's method up to 1000 parameters (dense
        or sparse X) and L-BFGS beyond.
    max_iter : int, default=200
        Maximum number of solver iterations.
    tol : float, default=1e-8
        Convergence when the sup-norm of the objective's gradient (w.r.t. the
        coefficients of standardised features) is at most tol.
    warm_start : bool, default=False
        Start from the previous fit's parameters when shapes agree.

    Attributes
    ----------
    coef_ : ndarray of shape (n_features,)
    intercept_ : float
    scale_ : float
        σ of the homoscedastic model.
    scale_coef_ : ndarray of shape (n_features,)
        v, heteroscedastic model only.
    scale_intercept_ : float
        c (for the homoscedastic model ``scale_ = scale_floor_ + exp(c)``).
    scale_floor_ : float
        σ_min.
    distribution_ : Normal
    n_features_in_ : int
    feature_names_in_ : ndarray of str
        Present when X had string column names.
    n_iter_ : int

    Notes
    -----
    Known limits in scikit-learn's tools:

    - ``Pipeline`` forwards ``predict(X, return_std=True)`` but not
      ``predict_dist`` or ``nll``: score pipelines with the scorers of
      :mod:`sklik.metrics` (``neg_nll_scorer``, ``neg_crps_scorer``), which
      use ``return_std``, or call ``pipe[-1].predict_dist(pipe[:-1].transform(X))``.
    - ``GridSearchCV`` (and the other search objects) do not forward
      ``return_std``: call ``search.best_estimator_.predict(X,
      return_std=True)``.
    - ``StackingRegressor`` forwards ``return_std`` to a sklik
      ``final_estimator``; ``VotingRegressor``, ``BaggingRegressor``,
      ``MultiOutputRegressor`` and ``TransformedTargetRegressor`` do not (the
      last could not transform σ anyway). For several targets use
      :class:`~sklik.MultiOutputNLL`.
    - ``IterativeImputer(estimator=GaussianNLLRegressor(),
      sample_posterior=True)`` draws imputations from Normal(μ(x), σ(x)).
    - ``alpha`` penalises the mean's coefficients in the units of y, so its
      effect changes with the units of y; with ``heteroscedastic=True`` the
      same ``alpha`` also penalises the (unitless) log-scale coefficients.
      Standardise y, or search ``alpha`` on a wide logarithmic grid.

    Examples
    --------
    >>> import numpy as np
    >>> from sklik import GaussianNLLRegressor
    >>> X = np.array([[0.0], [1.0], [2.0], [3.0]])
    >>> y = np.array([0.1, 0.9, 2.1, 2.9])
    >>> reg = GaussianNLLRegressor().fit(X, y)
    >>> print(f"{reg.coef_[0]:.4f} {reg.intercept_:.4f} {reg.scale_:.4f}")
    0.9600 0.0600 0.0894
    >>> mean, std = reg.predict(np.array([[4.0]]), return_std=True)
    >>> print(f"{mean[0]:.2f} ± {std[0]:.4f}")
    3.90 ± 0.0894
    >>> reg.predict_dist(np.array([[4.0]])).interval(0.9)[0].round(3)
    array([3.753])
    """

    def __init__(
        self,
        *,
        alpha=0.0,
        fit_intercept=True,
        heteroscedastic=False,
        solver="auto",
        max_iter=200,
        tol=1e-8,
        warm_start=False,
    ):
        self.alpha = alpha
        self.fit_intercept = fit_intercept
        self.heteroscedastic = heteroscedastic
        self.solver = solver
        self.max_iter = max_iter
        self.tol = tol
        self.warm_start = warm_start

    def _validate_params(self):
        super()._validate_params()
        check_param("heteroscedastic", self.heteroscedastic, bool)

    def _validate_X_y(self, X, y, reset):
        y = y if y is None else as_real_array(y, "y")
        X, y = super()._validate_X_y(X, y, reset)
        return X, column_or_1d(y, warn=True).astype(np.float64)

    def _encode_target(self, y, sample_weight):
        return y, sample_weight, Normal(_scale_floor(y, sample_weight))

    def _encode_new_target(self, y, n_samples):
        y = column_or_1d(as_real_array(y, "y"))
        if y.shape[0] != n_samples:
            raise ValueError(f"y has {y.shape[0]} samples; X has {n_samples}.")
        return y

    def _depends_on_x(self, dist):
        return [True, self.heteroscedastic]

    def _cold_start(self, objective):
        """For a heteroscedastic fit, the least-squares start of Harvey (1976).

        The mean is the least-squares fit; log σ is the least-squares fit of
        log r² (r the residuals) less E[log χ²₁], halved. Both use one Gram
        matrix, so this costs about one homoscedastic fit, and it saves
        Newton's method its first, most expensive steps. It is taken only if
        it beats both the intercept-only optimum and the least-squares mean
        with a constant σ (the homoscedastic optimum at alpha=0), whose
        values need no pass over X: a penalty can make the unpenalised
        least-squares coefficients a poor start, and vanishing residuals a
        poor log r². Without an intercept (for log σ too) the start is φ = 0.
        """
        intercept_only = super()._cold_start(objective)
        model, w = objective.model, objective.w
        if not (self.heteroscedastic and model.mask[-1, 1]):
            return intercept_only  # (log σ without a constant)
        least_squares = LeastSquares(objective)
        mean = model.eta_column == 0
        phi = np.zeros(model.n_params)
        phi[mean] = least_squares.coefficients(objective.y, column=0, refine=False)
        resid = least_squares.residuals(objective.y, 0, phi[mean])
        r2 = resid * resid
        spread = w @ r2
        if not spread > 0:
            return intercept_only
        rms = np.sqrt(spread)
        constant = phi.copy()
        constant[~mean] = _constant_log_scale(model, objective.dist, rms)
        log_r2 = np.log(r2 + 1e-12 * spread) - _MEAN_LOG_CHI2
        phi[~mean] = 0.5 * least_squares.coefficients(log_r2, column=1, refine=False)
        sd_y = weighted_mean_sd(objective.y, w)[1]
        values = [
            _constant_scale_value(objective, intercept_only, sd_y),
            _constant_scale_value(objective, constant, rms),
        ]
        # The start's value comes last: the solver's first evaluation is free.
        if objective(phi)[0] <= min(values):
            return phi
        return (intercept_only, constant)[int(np.argmin(values))]

    def _check_solution(self, objective, phi):
        """Warn if σ(x) ran down to its floor at training samples."""
        if not self.heteroscedastic:
            return
        dist = objective.dist
        sigma = dist.params(objective._eta(phi))["scale"]  # (η cached)
        at_floor = (sigma <= (1.0 + 1e-3) * dist.scale_floor) & (objective.w > 0)
        if at_floor.any():
            warnings.warn(
                f"σ(x) ran down to its floor (scale_floor_={dist.scale_floor:.3g}) "
                f"at {at_floor.sum()} of {np.sum(objective.w > 0)} training "
                "samples: the mean fits them exactly, and the likelihood grows "
                "without bound as σ shrinks there, so it has no maximum. Set "
                "alpha > 0, use more samples, or heteroscedastic=False.",
                ConvergenceWarning,
                stacklevel=4,
            )

    def _store_fit(self, W, b):
        self.coef_, self.intercept_ = W[:, 0], float(b[0])
        self.scale_intercept_ = float(b[1])
        self.scale_floor_ = self.distribution_.scale_floor
        self.__dict__.pop("scale_coef_", None)
        self.__dict__.pop("scale_", None)
        if self.heteroscedastic:
            self.scale_coef_ = W[:, 1]
        else:
            self.scale_ = self.scale_floor_ + float(np.exp(b[1]))

    def _fitted_W_b(self):
        scale_coef = getattr(self, "scale_coef_", np.zeros_like(self.coef_))
        W = np.column_stack([self.coef_, scale_coef])
        return W, np.array([self.intercept_, self.scale_intercept_])

    def predict(self, X, return_std=False):
        """Predict the mean μ(x) and, optionally, the standard deviation σ(x).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
        return_std : bool, default=False

        Returns
        -------
        mean : ndarray of shape (n_samples,)
        std : ndarray of shape (n_samples,)
            Only when ``return_std=True``.
        """
        eta = self._eta(X)
        if not return_std:
            return eta[:, 0]
        return eta[:, 0], self.distribution_.params(eta)["scale"]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags
