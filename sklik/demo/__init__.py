"""The tour behind ``python -m sklik``: sklik on data shipped with scikit-learn.

Every number is a held-out score: each sample is predicted by a model that
did not see it (k-fold cross-validation, leave-one-out for the 20 athletes of
linnerud), and the held-out predictions of all folds are scored together with
:mod:`sklik.metrics`. The functions here compute and return data; printing
and the command line live in :mod:`sklik.__main__`.

This package is the tour's code, not part of sklik's API: run it with
``python -m sklik``.
"""

import time

from sklik.demo._classification import classification_tour
from sklik.demo._common import INTERVAL
from sklik.demo._figure import FIGURE_NAME, plot_bands
from sklik.demo._format import Bands, Table, TourResult, format_result, format_table
from sklik.demo._multioutput import multioutput_tour
from sklik.demo._regression import REGRESSORS, regression_scores, regression_tour

__all__ = [
    "FIGURE_NAME",
    "INTERVAL",
    "REGRESSORS",
    "Bands",
    "Table",
    "TourResult",
    "classification_tour",
    "format_result",
    "format_table",
    "multioutput_tour",
    "plot_bands",
    "regression_scores",
    "regression_tour",
    "run_tour",
]


def run_tour(seed=0, progress=None) -> TourResult:
    """Run the whole tour and return its results (no printing, no files).

    Parameters
    ----------
    seed : int, default=0
        Seed of the cross-validation splits.
    progress : callable or None, default=None
        Called with a short message before each step (the command line
        prints them to stderr).

    Returns
    -------
    result : TourResult
        Render it with :func:`format_result`, draw it with :func:`plot_bands`.

    Examples
    --------
    >>> from sklik.demo import run_tour
    >>> result = run_tour(seed=0)
    >>> [t.title.split(":")[0] for t in result.tables]
    ['Regression', 'Regression', 'Classification', 'Classification', 'Multi-output']
    """
    start = time.perf_counter()
    tables, bands = regression_tour(seed, progress=progress)
    tables += classification_tour(seed, progress=progress)
    tables.append(multioutput_tour(progress=progress))
    return TourResult(seed, tables, bands, time.perf_counter() - start)
