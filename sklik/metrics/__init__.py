"""Proper scoring rules for predictive distributions, and scorers built on them.

The functions score a predictive distribution against what was observed
(lower is better, like scikit-learn's ``*_loss`` functions), except
:func:`interval_coverage`, a rate to compare with the nominal level, and
:func:`pit`, which returns the values whose histogram shows calibration.
:func:`log_score`, :func:`crps` and :func:`pit` take the predictive
distribution of any family: a frozen ``scipy.stats`` distribution (what
sklik's regressors' ``predict_dist`` returns where scipy has the family) or
sklik's own, with the same methods; a distribution with ``logpmf`` is
discrete. The scorers (``neg_*_scorer``, :func:`make_interval_scorer`,
:func:`make_coverage_scorer`) have scikit-learn's signature
``scorer(estimator, X, y, sample_weight=None)`` and return greater-is-better
values, so they can be passed as ``scoring=`` to ``GridSearchCV`` and
``cross_validate``. They request ``sample_weight`` through scikit-learn's
metadata routing: with ``sklearn.set_config(enable_metadata_routing=True)``,
weights passed as ``params={"sample_weight": w}`` weight the held-out scores
too.

An estimator that has ``predict_dist`` (a bare sklik estimator of any
family, or a ``Pipeline`` ending in one) is asked for it directly; for
``MultiOutputNLL`` the scores are summed over the outputs. Anything else is
asked through scikit-learn's own methods, which ``Pipeline`` and the search
objects forward: ``predict_proba`` (or ``predict_log_proba``) and
``classes_`` for classifiers, and ``predict(X, return_std=True)`` for
regressors, read as a Normal distribution. The scorers therefore work with
any estimator offering these, sklik's or not (e.g. ``BayesianRidge``,
``GaussianProcessRegressor``).

With several outputs (``y`` of shape (n_samples, n_outputs), a list of
per-output distributions or 2-D parameter arrays) the scores of a sample are
summed over its outputs, as the joint log-likelihood of independent outputs
is; coverage and width are averaged over them.
"""

from sklik.metrics._calibration import interval_coverage, mean_interval_width, pit
from sklik.metrics._crps import crps, crps_normal
from sklik.metrics._scorers import (
    make_coverage_scorer,
    make_interval_scorer,
    neg_brier_scorer,
    neg_crps_scorer,
    neg_nll_scorer,
)
from sklik.metrics._scores import brier_score, interval_score, log_score

__all__ = [
    "brier_score",
    "crps",
    "crps_normal",
    "interval_coverage",
    "interval_score",
    "log_score",
    "make_coverage_scorer",
    "make_interval_scorer",
    "mean_interval_width",
    "neg_brier_scorer",
    "neg_crps_scorer",
    "neg_nll_scorer",
    "pit",
]
