"""LikelihoodSummary: the statistician's view of a fitted sklik estimator."""

import copy
import warnings
from typing import Any

import numpy as np
from numpy.typing import ArrayLike
from scipy import stats
from sklearn.base import clone
from sklearn.utils.validation import check_is_fitted

from sklik._base import NLLEstimator
from sklik._multioutput import MultiOutputNLL, _column
from sklik._validation import check_sample_weight
from sklik.inference._information import analyse, external_stacklevel
from sklik.inference._prediction import MeanPrediction, predict_mean
from sklik.inference._table import summary_html, summary_text


class LikelihoodSummary:
    """Estimates, standard errors and fit statistics of a maximum-likelihood fit.

    Made by :func:`summary` (or an estimator's ``summary`` method) from a
    fitted estimator and the data it was fitted on; a results object apart
    from the estimator, as statsmodels' ``LikelihoodModelResults``. It keeps
    a copy of the fitted estimator (for :meth:`predict`), never the data.

    Attributes
    ----------
    param_names : list of str
        ``"parameter:feature"``, e.g. ``"loc:intercept"``, ``"scale:income"``;
        for softmax logits ``"versicolor vs setosa:petal width (cm)"``.
    params : ndarray of shape (k,)
        Per distribution parameter in its declared order, the intercept, then
        one coefficient per column of X if the parameter depends on x; on the
        link scale and the user's units (``coef_``, ``intercept_``). Softmax
        logits: the K−1 contrasts against the first class.
    bse : ndarray of shape (k,)
        Standard errors: square roots of the diagonal of ``cov_params``; NaN
        for parameters that are not identified.
    zvalues, pvalues : ndarray of shape (k,)
        ``params / bse`` and the two-sided p-values from the standard normal.
    cov_params : ndarray of shape (k, k)
        The inverse of ``information`` (a generalised inverse with NaN rows
        and columns for parameters that are not identified).
    information : ndarray of shape (k, k)
        The observed (``cov_type="observed"``: the Hessian of the summed
        negative log-likelihood at the estimate) or expected (Fisher)
        information with respect to ``params``.
    llf : float
        The maximised log-likelihood Σ sᵢ log Pr(yᵢ | xᵢ) (sample weights as
        frequency weights).
    llnull : float
        That of the unconditional distribution fitted by maximum likelihood
        (no parameter depends on x; the intercept-only model).
    llr, llr_pvalue : float
        ``2 (llf - llnull)`` and its χ² p-value with ``df_model`` degrees.
    k_params : int
        Number of free parameters: the rank of the information.
    df_model : int
        ``k_params`` minus that of the unconditional model.
    aic, bic : float
        ``-2 llf + 2 k_params`` and ``-2 llf + log(nobs) k_params``.
    nobs : float
        Σ sample_weight.
    family, links, cov_type, level, unidentified, estimator
        The family's name, the link of each parameter, the covariance type,
        the default confidence level, the names of parameters that are not
        identified, and the copy of the fitted estimator.

    Examples
    --------
    >>> import numpy as np
    >>> from sklik import NLLRegressor
    >>> from sklik.inference import summary
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(500, 2))
    >>> y = rng.poisson(np.exp(0.5 + X @ [0.3, -0.2]))
    >>> reg = NLLRegressor("poisson").fit(X, y)
    >>> s = summary(reg, X, y)
    >>> s.param_names
    ['mean:intercept', 'mean:x0', 'mean:x1']
    >>> s.conf_int(0.9).round(3)
    array([[ 0.355,  0.477],
           [ 0.232,  0.355],
           [-0.225, -0.103]])
    >>> s.predict(X[:2]).mean_ci_upper.round(3)
    array([1.724, 1.947])
    """

    def __init__(self, estimator, info, llnull, k_null, cov_type, level):
        dist = estimator.distribution_
        self.estimator = copy.deepcopy(estimator)
        self.family = dist.name
        links = dist.links or ("softmax",) * dist.n_params
        self.links = {
            name: link if isinstance(link, str) else type(link).__name__.lower()
            for name, link in zip(dist.param_names, links)
        }
        self.cov_type, self.level = cov_type, level
        self.param_names = list(info.names)
        self.params = info.params
        with np.errstate(over="ignore", under="ignore"):  # (inf/0: not representable)
            self.cov_params = info.cov_factor @ info.cov_factor.T
        self.information = info.information
        self.bse = _row_norms(info.cov_factor)
        self._cov_factor = info.cov_factor
        with np.errstate(divide="ignore", invalid="ignore"):
            self.zvalues = self.params / self.bse
        self.pvalues = 2.0 * stats.norm.sf(np.abs(self.zvalues))
        self.unidentified = list(info.unidentified)
        self.llf, self.llnull, self.nobs = float(info.llf), float(llnull), info.nobs
        self.k_params = info.rank
        self.df_model = info.rank - k_null
        self.llr = 2.0 * (self.llf - self.llnull)
        self.llr_pvalue = float(stats.chi2.sf(self.llr, max(self.df_model, 1)))
        self.aic = -2.0 * self.llf + 2.0 * self.k_params
        self.bic = -2.0 * self.llf + np.log(self.nobs) * self.k_params
        self._blocks = info.blocks

    def conf_int(self, level: float | None = None) -> np.ndarray:
        """Wald confidence intervals ``params ± z·bse``, shape (k, 2).

        Parameters
        ----------
        level : float, default=None
            Coverage in (0, 1); None: the summary's ``level`` (0.95 unless
            asked otherwise).

        Returns
        -------
        intervals : ndarray of shape (k, 2)
            Lower and upper bounds; NaN for parameters not identified.
        """
        z = _normal_quantile(self.level if level is None else level)
        return np.column_stack([self.params - z * self.bse, self.params + z * self.bse])

    def predict(self, X: Any, level: float | None = None) -> MeanPrediction:
        """The predicted mean at X with a delta-method confidence interval.

        The interval is computed on the link scale of the mean and mapped
        through the inverse link (as statsmodels'
        ``GLMResults.get_prediction(X).summary_frame()``); see
        :class:`MeanPrediction`.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
        level : float, default=None
            Coverage; None: the summary's ``level``.

        Returns
        -------
        prediction : MeanPrediction
        """
        z = _normal_quantile(self.level if level is None else level)
        return predict_mean(self.estimator, self._cov_factor, self._blocks, X, z)

    def __str__(self) -> str:
        return summary_text(self)

    def _repr_html_(self) -> str:
        return summary_html(self)

    def __repr__(self) -> str:
        return (
            f"<LikelihoodSummary: {type(self.estimator).__name__}, {self.family}, "
            f"{len(self.params)} parameters, llf={self.llf:.6g}>"
        )


def _row_norms(F) -> np.ndarray:
    """Euclidean norms of the rows, scaled so that no square under- or overflows."""
    big = np.max(np.abs(F), axis=1, keepdims=True, initial=0.0)
    unit = np.where(big > 0, big, 1.0)
    return np.linalg.norm(F / unit, axis=1) * unit[:, 0]


def _normal_quantile(level) -> float:
    if not 0.0 < level < 1.0:
        raise ValueError(f"level must lie in (0, 1); got {level!r}.")
    return float(stats.norm.ppf(0.5 + level / 2.0))


def null_fit(est, X, y, sample_weight):
    """(llf, number of free parameters) of the unconditional ML distribution.

    A clone of the estimator with no parameter depending on x: with
    ``x_dependent=()`` where it has that parameter, else fitted with an
    intercept on one column of zeros (whose coefficient stays zero).
    """
    if "x_dependent" in est.get_params():
        null = clone(est).set_params(x_dependent=(), warm_start=False)
    else:
        null = clone(est).set_params(fit_intercept=True, warm_start=False)
        X = np.zeros((np.shape(y)[0], 1))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        null.fit(X, y, sample_weight)
    for w in caught:  # said of the unconditional fit, not of the estimator's
        warnings.warn(
            f"The unconditional fit (llnull): {w.message}",
            w.category,
            stacklevel=external_stacklevel(),
        )
    total = check_sample_weight(sample_weight, np.shape(y)[0]).sum()
    dist = null.distribution_
    k = dist.n_params - sum(block.shift_invariant for block in dist.blocks)
    return -total * null.nll(X, y, sample_weight), k


def summary(
    estimator: NLLEstimator | MultiOutputNLL,
    X: Any,
    y: ArrayLike,
    sample_weight: ArrayLike | None = None,
    *,
    cov_type: str = "observed",
    level: float = 0.95,
) -> "LikelihoodSummary | list[LikelihoodSummary]":
    """The maximum-likelihood summary of a fitted, unpenalised linear sklik model.

    Standard errors come from the inverse information at the estimate,
    computed here from X and y (the estimator stores no training data, and
    ``fit`` pays nothing for this).

    Parameters
    ----------
    estimator : fitted sklik estimator
        ``NLLRegressor`` (any family with an analytic Hessian, any
        ``x_dependent``), ``GaussianNLLRegressor``, ``BernoulliNLLClassifier``,
        ``CategoricalNLLClassifier`` (linear model, ``alpha=0``), or
        ``MultiOutputNLL`` (then one summary per output).
    X : {array-like, sparse matrix} of shape (n_samples, n_features)
        The data the estimator was fitted on.
    y : array-like of shape (n_samples,) or (n_samples, n_outputs)
    sample_weight : array-like of shape (n_samples,), default=None
        The fit's weights, taken as frequency weights.
    cov_type : {"observed", "expected"}, default="observed"
        The observed information (Hessian of the negative log-likelihood) or
        the expected (Fisher) information. They are equal for canonical links
        (Poisson with log, Bernoulli with logit, softmax, the Normal's mean)
        and differ elsewhere (the Normal's log-scale when it depends on x,
        the negative binomial's dispersion, the gamma's log-mean).
    level : float, default=0.95
        Level of the confidence intervals in the table and ``conf_int()``.

    Returns
    -------
    summary : LikelihoodSummary or list of LikelihoodSummary

    Raises
    ------
    ValueError
        For ``alpha > 0``, a model other than the linear one, ``class_weight``,
        or a family without the requested information (the Laplace has no
        observed information).

    Warns
    -----
    NotIdentifiedWarning
        When some parameters are not identified (separable classes, collinear
        columns); their standard errors are NaN.

    Examples
    --------
    >>> from sklearn.datasets import load_diabetes
    >>> from sklik import GaussianNLLRegressor
    >>> from sklik.inference import summary
    >>> X, y = load_diabetes(return_X_y=True, as_frame=True)
    >>> reg = GaussianNLLRegressor().fit(X[["bmi", "bp"]], y)
    >>> s = summary(reg, X[["bmi", "bp"]], y)
    >>> s.param_names
    ['loc:intercept', 'loc:bmi', 'loc:bp', 'scale:intercept']
    >>> s.params.round(2)
    array([152.13, 790.4 , 402.21,   4.09])
    >>> s.bse.round(3).tolist()
    [2.847, 65.157, 65.157, 0.034]
    >>> round(s.llf, 3), s.k_params, s.df_model
    (-2435.744, 4, 2)
    """
    if isinstance(estimator, MultiOutputNLL):
        check_is_fitted(estimator)
        Y = estimator._check_y(y, np.shape(y)[0])
        return [
            summary(
                est,
                X,
                _column(Y, j),
                sample_weight,
                cov_type=cov_type,
                level=level,
            )
            for j, est in enumerate(estimator.outputs_)
        ]
    _normal_quantile(level)
    info = analyse(estimator, X, y, sample_weight, cov_type)
    llnull, k_null = null_fit(estimator, X, y, sample_weight)
    return LikelihoodSummary(estimator, info, llnull, k_null, cov_type, level)
