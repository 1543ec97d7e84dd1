"""The regression part of the tour: predictive intervals, scored held out."""

import numpy as np
from scipy.stats import norm
from sklearn.datasets import load_breast_cancer, load_diabetes
from sklearn.linear_model import BayesianRidge
from sklearn.model_selection import KFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklik import GaussianNLLRegressor
from sklik.demo._common import INTERVAL, out_of_fold, say
from sklik.demo._format import Bands, Table
from sklik.metrics import (
    crps_normal,
    interval_coverage,
    log_score,
    mean_interval_width,
)


def regression_scores(y, mean, std, level=INTERVAL) -> dict[str, float]:
    """Held-out scores of Normal predictive distributions.

    The scores are :mod:`sklik.metrics`' :func:`~sklik.metrics.log_score`,
    :func:`~sklik.metrics.crps_normal`, :func:`~sklik.metrics.interval_coverage`
    and :func:`~sklik.metrics.mean_interval_width`, applied to
    ``Normal(mean, std)``, plus R² of the means.

    Parameters
    ----------
    y, mean, std : ndarray of shape (n_samples,)
        Observed values and the predicted means and standard deviations.
    level : float, default=0.9
        Nominal coverage of the central predictive interval.

    Returns
    -------
    scores : dict
        ``nll`` (mean negative log-density), ``crps`` (mean CRPS),
        ``coverage`` (fraction of y inside the central ``level`` interval),
        ``width`` (mean width of that interval) and ``r2``.

    Examples
    --------
    >>> import numpy as np
    >>> from sklik.demo import regression_scores
    >>> y = np.array([0.0, 1.0, 2.0, 10.0])
    >>> s = regression_scores(y, np.array([0.0, 1.0, 2.0, 3.0]), np.ones(4))
    >>> s["coverage"], round(s["width"], 3)
    (0.75, 3.29)
    """
    lo, hi = norm.interval(level, loc=mean, scale=std)
    return {
        "nll": log_score(y, norm(loc=mean, scale=std)),
        "crps": crps_normal(y, mean, std),
        "coverage": interval_coverage(y, lo, hi),
        "width": mean_interval_width(lo, hi),
        "r2": float(1.0 - np.mean((y - mean) ** 2) / np.var(y)),
    }


def _regression_data():
    """The two regression tasks: label, X, y and a one-line description."""
    X, y = load_diabetes(return_X_y=True)
    yield (
        "diabetes",
        X,
        y,
        "disease progression after one year from 10 baseline variables",
    )
    data = load_breast_cancer()  # no as_frame: pandas is not a dependency
    names = list(data.feature_names)
    features = [i for i, name in enumerate(names) if name.startswith("mean ")]
    yield (
        "breast cancer: worst area",
        data.data[:, features],
        data.data[:, names.index("worst area")],
        "largest cell-nucleus area from the 10 mean measurements",
    )


REGRESSORS = {
    "sklik Gaussian, constant σ": GaussianNLLRegressor(),
    "sklik Gaussian, σ(x)": GaussianNLLRegressor(heteroscedastic=True),
    "sklearn BayesianRidge": BayesianRidge(),
}


def regression_tour(seed=0, n_splits=5, progress=None):
    """Predictive intervals on two regression tasks, scored held out.

    Compares sklik's homoscedastic and heteroscedastic
    :class:`~sklik.GaussianNLLRegressor` with scikit-learn's
    :class:`~sklearn.linear_model.BayesianRidge` (whose ``return_std=True``
    also gives a predictive standard deviation), every model after a
    ``StandardScaler``, with ``n_splits``-fold cross-validation.

    Parameters
    ----------
    seed : int, default=0
        Seed of the fold shuffling.
    n_splits : int, default=5
    progress : callable or None, default=None
        Called with a short message before each step.

    Returns
    -------
    tables : list of Table
        Held-out NLL, CRPS, 90% interval coverage and width, and R², per task.
    bands : list of Bands
        The held-out means and standard deviations, for :func:`plot_bands`.

    Examples
    --------
    >>> from sklik.demo import regression_tour
    >>> tables, bands = regression_tour(seed=0)
    >>> [row[0] for row in tables[0].rows]
    ['sklik Gaussian, constant σ', 'sklik Gaussian, σ(x)', 'sklearn BayesianRidge']
    >>> bands[1].title
    'breast cancer: worst area'
    """
    tables, bands = [], []
    cv = KFold(n_splits, shuffle=True, random_state=seed)
    for name, X, y, about in _regression_data():
        table = Table(
            f"Regression: {name} ({X.shape[0]} samples, {X.shape[1]} features), "
            f"{n_splits}-fold held out",
            ["NLL", "CRPS", f"{INTERVAL:.0%} cover", f"{INTERVAL:.0%} width", "R²"],
            note=about,
        )
        means, stds = {}, {}
        for label, est in REGRESSORS.items():
            say(progress, f"regression, {name}: {label}")
            pipe = make_pipeline(StandardScaler(), est)
            mean, std = out_of_fold(
                pipe, X, y, cv, lambda m, Xt: m.predict(Xt, return_std=True)
            )
            s = regression_scores(y, mean, std)
            table.rows.append(
                [label, s["nll"], s["crps"], s["coverage"], s["width"], s["r2"]]
            )
            means[label], stds[label] = mean, std
        tables.append(table)
        bands.append(Bands(name, y, means, stds))
    return tables, bands
