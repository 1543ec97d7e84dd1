"""The likelihood-ratio test of two nested fitted sklik models."""

from dataclasses import dataclass
from typing import Any

from numpy.typing import ArrayLike
from scipy import stats
from sklearn.base import is_classifier

from sklik._base import NLLEstimator
from sklik.inference._information import analyse, check_summarisable

#: llf_full may fall below llf_restricted by this much (relative to |llf|,
#: the optimisers' tolerance) before the models are called not nested.
_LLF_RTOL = 1e-6


@dataclass(frozen=True)
class LRTestResult:
    """The result of :func:`lr_test`.

    Attributes
    ----------
    statistic : float
        ``2 (llf_full - llf_restricted)``.
    df : int
        The difference in the number of free parameters.
    pvalue : float
        ``P(χ²_df ≥ statistic)``.
    llf_restricted, llf_full : float
        The two maximised log-likelihoods.
    """

    statistic: float
    df: int
    pvalue: float
    llf_restricted: float
    llf_full: float


def _kind(est, X) -> str:
    """What the likelihood is a density of: labels, counts (a pmf) or reals."""
    if is_classifier(est):
        return f"labels {list(est.classes_)}"
    return "pmf" if hasattr(est.predict_dist(X), "logpmf") else "density"


def lr_test(
    restricted: NLLEstimator,
    full: NLLEstimator,
    X: Any,
    y: ArrayLike,
    sample_weight: ArrayLike | None = None,
) -> LRTestResult:
    """Likelihood-ratio test of a restricted model against a fuller one.

    The statistic ``2 (llf_full - llf_restricted)`` is asymptotically χ²
    with as many degrees of freedom as the full model has free parameters
    more, when the restricted model is the full one with some parameters
    fixed (nested) at an interior point. Nesting is the caller's
    responsibility (sklik cannot see it); checked are: both are unpenalised
    linear sklik fits of the same y (labels with the same classes, or both
    densities, or both probability mass functions), the full model has more
    free parameters, and its llf is not below the restricted one's (beyond
    the optimisers' tolerance). Where the restriction lies on the boundary
    of the full model (the Poisson is the negative binomial with dispersion
    0; a constant is a variance component of zero) the χ² p-value is
    conservative: the limit is an even mixture of χ²_0 and χ²_1 for one
    such parameter, whose p-value is half of ``pvalue``.

    Parameters
    ----------
    restricted, full : fitted sklik estimators
    X : {array-like, sparse matrix} or tuple of two
        The training data of both, or ``(X_restricted, X_full)`` when the
        restricted model uses fewer columns.
    y : array-like of shape (n_samples,)
    sample_weight : array-like of shape (n_samples,), default=None

    Returns
    -------
    result : LRTestResult

    Examples
    --------
    >>> from sklearn.datasets import load_diabetes
    >>> from sklik import GaussianNLLRegressor
    >>> from sklik.inference import lr_test
    >>> X, y = load_diabetes(return_X_y=True)
    >>> small = GaussianNLLRegressor().fit(X[:, :4], y)
    >>> large = GaussianNLLRegressor().fit(X, y)
    >>> result = lr_test(small, large, (X[:, :4], X), y)
    >>> result.df, round(result.statistic, 2), f"{result.pvalue:.2g}"
    (6, 96.37, '1.4e-18')
    """
    X_restricted, X_full = X if isinstance(X, tuple) else (X, X)
    for est in (restricted, full):
        check_summarisable(est)
    kinds = _kind(restricted, X_restricted), _kind(full, X_full)
    if kinds[0] != kinds[1]:
        raise ValueError(
            f"The two models' likelihoods are not of the same y: {kinds[0]} against "
            f"{kinds[1]}; a likelihood ratio compares models of the same data."
        )
    info = [
        analyse(
            est,
            X_,
            y,
            sample_weight,
            "observed" if est.distribution_.has_hessian else "expected",
        )
        for est, X_ in ((restricted, X_restricted), (full, X_full))
    ]
    llf_r, llf_f = info[0].llf, info[1].llf
    df = info[1].rank - info[0].rank
    if df <= 0:
        raise ValueError(
            f"The full model has {info[1].rank} free parameters, the restricted one "
            f"{info[0].rank}: the full model must have more (pass the restricted "
            "model first)."
        )
    if llf_f < llf_r - _LLF_RTOL * max(1.0, abs(llf_f)):
        raise ValueError(
            f"The full model's log-likelihood ({llf_f:.6g}) is below the restricted "
            f"one's ({llf_r:.6g}): the models are not nested, or a fit did not "
            "converge."
        )
    statistic = max(2.0 * (llf_f - llf_r), 0.0)
    pvalue = float(stats.chi2.sf(statistic, df))
    return LRTestResult(float(statistic), int(df), pvalue, float(llf_r), float(llf_f))
