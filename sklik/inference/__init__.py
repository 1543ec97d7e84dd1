"""Inference for unpenalised linear sklik fits: standard errors, tests, intervals.

:func:`summary` gives a :class:`LikelihoodSummary` (estimates on the link
scale with standard errors from the observed or expected information at the
maximum-likelihood estimate, z-tests, Wald intervals, llf, AIC, BIC);
:func:`lr_test` the likelihood-ratio test of two nested fits;
:meth:`LikelihoodSummary.predict` delta-method intervals for the predicted
mean. Everything is computed on request from the training data: ``fit``
stores none and pays nothing.
"""

from sklik.exceptions import NotIdentifiedWarning
from sklik.inference._lr import LRTestResult, lr_test
from sklik.inference._prediction import MeanPrediction
from sklik.inference._summary import LikelihoodSummary, summary

__all__ = [
    "LRTestResult",
    "LikelihoodSummary",
    "MeanPrediction",
    "NotIdentifiedWarning",
    "lr_test",
    "summary",
]
