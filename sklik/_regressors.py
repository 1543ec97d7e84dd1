"""NLLRegressor (any family) and GaussianNLLRegressor (its Normal, as in v0.1)."""

import copy

import numpy as np
from sklearn.base import RegressorMixin
from sklearn.utils.validation import column_or_1d

from sklik._base import NLLEstimator
from sklik._validation import as_real_array, check_param
from sklik.backends import _target_stats as target_stats
from sklik.backends import dask_rows, is_dask_array, is_distributed
from sklik.backends._target import RowVector
from sklik.distributions import REGISTRY, Distribution, Normal


def regression_families() -> list[str]:
    """The registry names ``NLLRegressor(distribution=...)`` accepts."""
    return sorted(name for name, cls in REGISTRY.items() if cls.regression)


class _Regressor(RegressorMixin, NLLEstimator):
    """What every regressor shares: a real y checked against the family's support,
    the predictive mean and standard deviation from the distribution."""

    def _validate_X_y(self, X, y, reset):
        if is_distributed(X):  # y stays on the workers (a RowVector)
            if not (y is None or is_dask_array(y) or isinstance(y, RowVector)):
                y = as_real_array(y, "y")
            elif is_dask_array(y) and y.dtype.kind not in "biufc":
                as_real_array(np.asarray(y[:1]), "y")  # (the error of the first)
            X, y = super()._validate_X_y(X, y, reset)
            return X, y.astype(np.float64)
        y = y if y is None else as_real_array(y, "y")
        X, y = super()._validate_X_y(X, y, reset)
        return X, column_or_1d(y, warn=True).astype(np.float64)

    def _encode_target(self, y, sample_weight):
        dist = self._make_distribution()
        if isinstance(y, RowVector):  # checked on the workers
            y = target_stats.check_y(dist, y)
            self.param_names_ = dist.param_names
            return y, sample_weight, target_stats.for_data(dist, y, sample_weight)
        y = dist.check_y(y)
        self.param_names_ = dist.param_names
        return y, sample_weight, dist.for_data(y, sample_weight)

    def _encode_new_target(self, y, n_samples):
        y = column_or_1d(as_real_array(y, "y"))
        if y.shape[0] != n_samples:
            raise ValueError(f"y has {y.shape[0]} samples; X has {n_samples}.")
        return self.distribution_.check_y(y)

    def predict(self, X, return_std=False):
        """The predictive mean and, optionally, the predictive standard deviation.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
        return_std : bool, default=False

        Returns
        -------
        mean : ndarray of shape (n_samples,)
            The mean of the predictive distribution (the family's ``predict``:
            the location for the Laplace and the von Mises).
        std : ndarray of shape (n_samples,)
            Only when ``return_std=True``.
        """
        if is_dask_array(X):  # block by block: dask arrays
            return dask_rows.map_rows(self, "predict", X, return_std=return_std)
        eta = self._eta(X)
        mean = self.distribution_.mean(eta)
        if not return_std:
            return mean
        return mean, self.distribution_.std(eta)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        try:
            dist = self._make_distribution()
        except (ValueError, TypeError, KeyError):
            return tags
        tags.target_tags.positive_only = dist.support.positive_only
        return tags


class NLLRegressor(_Regressor):
    """Regression that predicts a distribution of any family, by maximum likelihood.

    y | x follows the chosen family, and each parameter named in
    ``x_dependent`` is a linear function of x on its link scale (GAMLSS
    style); the others are constants fitted jointly. The objective is the
    weighted mean negative log-likelihood plus ``alpha/2`` times the sum of
    squared coefficients (intercepts and constants are not penalised; a
    location's coefficients are measured in units of y's spread, so that
    ``alpha`` does not depend on the units of y).

    Parameters
    ----------
    distribution : str or Distribution, default="normal"
        A registry name (see :func:`regression_families`) or an instance.
    x_dependent : None, "all", str or tuple of str, default=None
        The parameters that are functions of x. None: the first (a GLM
        with estimated dispersion); "all": every one; (): none (the
        unconditional distribution, a baseline).
    model : "linear" or a model specification, default="linear"
        The model f[x, φ] of the x-dependent parameters: the linear model,
        or a network such as ``sklik.models.MLP((32, 32))`` (fitted by
        L-BFGS; ``coef_`` and :meth:`summary` are the linear model's only,
        the fitted network is ``model_``).
    alpha : float, default=0.0
        L2 penalty strength on the coefficients.
    fit_intercept : bool, default=True
    solver : {"auto", "newton", "lbfgs", "newton-cg", "lstsq", "lad"}, default="auto"
        "auto" takes an exact closed form where one applies (least squares
        for the homoscedastic Normal and log-normal at alpha=0, the exact
        LAD for the Laplace), Newton's method up to 500 parameters (1000
        for several parameters of η), L-BFGS beyond.
    max_iter : int, default=200
    tol : float, default=1e-8
        Convergence when the sup-norm of the objective's gradient (w.r.t.
        the coefficients of standardised features) is at most tol.
    warm_start : bool, default=False
        Start from the previous fit's parameters when shapes agree.

    Attributes
    ----------
    distribution_ : Distribution
    param_names_ : tuple of str
    coef_ : ndarray of shape (n_params, n_features)
        On the link scale; zero rows for parameters that do not depend on x.
    intercept_ : ndarray of shape (n_params,)
    model_ : Model
        The fitted model, through which predictions go.
    n_features_in_ : int
    feature_names_in_ : ndarray of str
        Present when X had string column names.
    n_iter_ : int

    Examples
    --------
    >>> import numpy as np
    >>> from sklik import NLLRegressor
    >>> X = np.array([[0.0], [1.0], [2.0], [3.0]])
    >>> y = np.array([0.1, 0.9, 2.1, 2.9])
    >>> reg = NLLRegressor("normal").fit(X, y)
    >>> reg.param_names_
    ('loc', 'scale')
    >>> reg.coef_.round(4)
    array([[0.96],
           [0.  ]])
    >>> reg.predict(np.array([[4.0]])).round(2)
    array([3.9])
    """

    def __init__(
        self,
        distribution="normal",
        *,
        x_dependent=None,
        model="linear",
        alpha=0.0,
        fit_intercept=True,
        solver="auto",
        max_iter=200,
        tol=1e-8,
        warm_start=False,
    ):
        self.distribution = distribution
        self.x_dependent = x_dependent
        self.model = model
        self.alpha = alpha
        self.fit_intercept = fit_intercept
        self.solver = solver
        self.max_iter = max_iter
        self.tol = tol
        self.warm_start = warm_start

    def _make_distribution(self) -> Distribution:
        spec = self.distribution
        if isinstance(spec, Distribution):
            if not spec.regression:
                raise ValueError(
                    f"distribution {spec!r} is a classifier's; use "
                    "BernoulliNLLClassifier or CategoricalNLLClassifier."
                )
            return copy.deepcopy(spec)
        if isinstance(spec, str) and spec in regression_families():
            return REGISTRY[spec]()
        raise ValueError(
            "distribution must be one of "
            f"{regression_families()} or a Distribution instance; got {spec!r}."
        )

    def _x_dependent_names(self, dist) -> tuple[str, ...]:
        spec = self.x_dependent
        blocks = [block.name for block in dist.blocks]
        if spec is None:
            return (blocks[0],)
        if isinstance(spec, str):
            return tuple(blocks) if spec == "all" else (spec,)
        if isinstance(spec, list | tuple):
            return tuple(spec)
        raise ValueError(
            f"x_dependent must be None, 'all', a parameter name or a tuple of "
            f"them; got {spec!r}."
        )

    def _depends_on_x(self, dist):
        names = self._x_dependent_names(dist)
        depends = np.zeros(dist.n_params, dtype=bool)
        for name in names:
            if not isinstance(name, str):
                raise ValueError(f"x_dependent names must be strings; got {name!r}.")
            try:
                block = dist.block(name)
            except KeyError as exc:
                raise ValueError(f"x_dependent: {exc.args[0]}") from None
            depends[list(block.columns)] = True
        return depends

    def _store_fit(self):
        W, b = self.model_.coef_intercept()
        self.coef_, self.intercept_ = W.T.copy(), b


class GaussianNLLRegressor(NLLRegressor):
    r"""Linear regression predicting a Normal distribution, by maximum likelihood.

    The model is :math:`y \mid x \sim \mathcal N(\mu(x), \sigma(x))` with
    :math:`\mu(x) = x \cdot w + b` and :math:`\sigma(x) = e^{x \cdot v + c}`
    (``heteroscedastic=True``) or a constant :math:`\sigma = e^{c}`. It is
    ``NLLRegressor("normal", x_dependent="all")`` (or the default
    ``x_dependent``) with the attributes of sklik 0.1. The objective is
    the weighted mean negative log-likelihood plus
    :math:`\tfrac{\alpha}{2}(\lVert w\rVert^2/s^2 + \lVert v \rVert^2)`,
    with s the weighted standard deviation of y, so that ``alpha`` does not
    depend on the units of y.

    With ``alpha=0`` and a constant σ the fit is ordinary (weighted) least
    squares, solved exactly; σ is then the root mean squared residual (the
    maximum-likelihood σ, divisor Σ sample_weight). With ``alpha > 0`` the
    mean coefficients equal ``Ridge(alpha=alpha * scale_**2 *
    sum(sample_weight) / s**2)``. Where the mean fits training samples
    exactly (more features than samples, a constant y) the likelihood has
    no maximum: the fit warns (:class:`~sklik.exceptions.DegenerateFitWarning`).

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
    model : "linear" or a model specification, default="linear"
        As :class:`NLLRegressor`'s (``sklik.models.MLP`` for a network).

    Attributes
    ----------
    coef_ : ndarray of shape (n_features,)
    intercept_ : float
    scale_ : float
        σ of the homoscedastic model.
    scale_coef_ : ndarray of shape (n_features,)
        v, heteroscedastic model only.
    scale_intercept_ : float
        c (for the homoscedastic model ``scale_ = exp(c)``).
    distribution_ : Normal
    model_ : LinearModel
    n_features_in_ : int
    feature_names_in_ : ndarray of str
        Present when X had string column names.
    n_iter_ : int

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
        model="linear",
    ):
        self.alpha = alpha
        self.fit_intercept = fit_intercept
        self.heteroscedastic = heteroscedastic
        self.solver = solver
        self.max_iter = max_iter
        self.tol = tol
        self.warm_start = warm_start
        self.model = model

    def _validate_params(self):
        super()._validate_params()
        check_param("heteroscedastic", self.heteroscedastic, bool)

    def _make_distribution(self):
        return Normal()

    def _depends_on_x(self, dist):
        return [True, self.heteroscedastic]

    def _store_fit(self):
        W, b = self.model_.coef_intercept()
        self.coef_, self.intercept_ = W[:, 0], float(b[0])
        self.scale_intercept_ = float(b[1])
        if self.heteroscedastic:
            self.scale_coef_ = W[:, 1]
        else:
            self.scale_ = float(np.exp(b[1]))
