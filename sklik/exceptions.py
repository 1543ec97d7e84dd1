"""Warnings sklik issues beyond scikit-learn's own."""

from sklearn.exceptions import ConvergenceWarning

__all__ = ["DegenerateFitWarning", "NotIdentifiedWarning"]


class DegenerateFitWarning(ConvergenceWarning):
    """The likelihood has no maximum, and the fit reports a boundary instead.

    Issued when the fitted spread collapses because the location fits some
    training samples exactly (a scale that would go to zero there), and by
    the classifiers when the classes are separable. A subclass of
    scikit-learn's ``ConvergenceWarning``.
    """


class NotIdentifiedWarning(UserWarning):
    """Some parameters are not identified: their standard errors are NaN."""
