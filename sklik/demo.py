"""The tour behind ``python -m sklik``: sklik on data shipped with scikit-learn.

Every number is a held-out score: each sample is predicted by a model that
did not see it (k-fold cross-validation, leave-one-out for the 20 athletes of
linnerud), and the held-out predictions of all folds are scored together with
:mod:`sklik.metrics`. The functions here compute and return data; printing
and the command line live in :mod:`sklik.__main__`.
"""

import textwrap
import time
from dataclasses import dataclass, field

import numpy as np
from scipy.stats import norm
from sklearn.base import clone
from sklearn.datasets import (
    load_breast_cancer,
    load_diabetes,
    load_linnerud,
    load_wine,
)
from sklearn.linear_model import BayesianRidge, LogisticRegression
from sklearn.model_selection import KFold, LeaveOneOut, StratifiedKFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklik import (
    BernoulliNLLClassifier,
    CategoricalNLLClassifier,
    GaussianNLLRegressor,
    MultiOutputNLL,
)
from sklik.distributions import LabelDistribution
from sklik.metrics import (
    crps_normal,
    interval_coverage,
    log_score,
    mean_interval_width,
)

#: Nominal coverage of the predictive intervals the tour checks.
INTERVAL = 0.9

#: Name of the figure :func:`plot_bands` writes in the output folder.
FIGURE_NAME = "predictive_bands.png"


@dataclass
class Table:
    """One block of the results: a title, column names, rows and a note.

    Each row is ``[label, value, value, ...]``; values are floats.

    Examples
    --------
    >>> from sklik.demo import Table, format_table
    >>> table = Table("Toy", ["NLL", "90% cover"], [["model", 1.23456, 0.9]])
    >>> print(format_table(table))
    Toy
                NLL  90% cover
    model     1.235      90.0%
    """

    title: str
    columns: list[str]
    rows: list[list] = field(default_factory=list)
    note: str = ""


@dataclass
class Bands:
    """Held-out predictive means and standard deviations of one regression.

    ``mean`` and ``std`` map a model's label to arrays aligned with ``y``.

    Examples
    --------
    >>> import numpy as np
    >>> from sklik.demo import Bands
    >>> b = Bands("toy", np.zeros(3), {"m": np.zeros(3)}, {"m": np.ones(3)})
    >>> b.std["m"]
    array([1., 1., 1.])
    """

    title: str
    y: np.ndarray
    mean: dict[str, np.ndarray]
    std: dict[str, np.ndarray]


@dataclass
class TourResult:
    """What :func:`run_tour` found: the tables, the regression bands, timing.

    Examples
    --------
    >>> from sklik.demo import Table, TourResult, format_result
    >>> result = TourResult(0, [Table("Toy", ["NLL"], [["m", 1.0]])], [], 0.1)
    >>> print(format_result(result).splitlines()[-1])
    m     1.000
    """

    seed: int
    tables: list[Table]
    bands: list[Bands]
    seconds: float


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


def _out_of_fold(model, X, y, cv, method):
    """Held-out outputs of ``method`` for every sample, fold by fold."""
    parts, index = [], []
    for train, test in cv.split(X, y):
        fitted = clone(model).fit(X[train], y[train])
        parts.append(method(fitted, X[test]))
        index.append(test)
    order = np.argsort(np.concatenate(index))
    if isinstance(parts[0], tuple):
        return tuple(np.concatenate(p)[order] for p in zip(*parts))
    return np.concatenate(parts)[order]


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
            _say(progress, f"regression, {name}: {label}")
            pipe = make_pipeline(StandardScaler(), est)
            mean, std = _out_of_fold(
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


def classification_tour(seed=0, n_splits=5, progress=None):
    """Binary and multiclass classification, sklik vs ``LogisticRegression``.

    sklik's classifiers use ``alpha = 1 / n_train``, the penalty of scikit-
    learn's default ``LogisticRegression(C=1.0)``, so the two should agree:
    the same model, fitted by the same likelihood.

    Parameters
    ----------
    seed : int, default=0
        Seed of the (stratified) fold shuffling.
    n_splits : int, default=5
    progress : callable or None, default=None

    Returns
    -------
    tables : list of Table
        Held-out log loss and accuracy per data set.

    Examples
    --------
    >>> from sklik.demo import classification_tour
    >>> tables = classification_tour(seed=0)
    >>> ours, theirs = (row[1] for row in tables[1].rows)  # log losses on wine
    >>> bool(abs(ours - theirs) < 1e-3)
    True
    """
    tasks = [
        ("breast cancer", load_breast_cancer, BernoulliNLLClassifier),
        ("wine", load_wine, CategoricalNLLClassifier),
    ]
    cv = StratifiedKFold(n_splits, shuffle=True, random_state=seed)
    tables = []
    for name, loader, sklik_class in tasks:
        X, y = loader(return_X_y=True)
        classes = np.unique(y)
        table = Table(
            f"Classification: {name} ({X.shape[0]} samples, {X.shape[1]} features, "
            f"{len(classes)} classes), {n_splits}-fold held out",
            ["log loss", "accuracy"],
        )
        n_train = X.shape[0] * (n_splits - 1) / n_splits
        models = {
            f"sklik {sklik_class.__name__}": sklik_class(alpha=1.0 / n_train),
            "sklearn LogisticRegression": LogisticRegression(),
        }
        for label, est in models.items():
            _say(progress, f"classification, {name}: {label}")
            log_proba = _out_of_fold(
                make_pipeline(StandardScaler(), est),
                X,
                y,
                cv,
                lambda m, Xt: m.predict_log_proba(Xt),
            )
            dist = LabelDistribution(log_proba, classes)
            accuracy = float(np.mean(dist.mode() == y))
            table.rows.append([label, log_score(y, dist), accuracy])
        tables.append(table)
    tables[-1].note = (
        "sklik alpha = 1/n_train is LogisticRegression(C=1): same model, same "
        "numbers up to the solvers' tolerance"
    )
    return tables


def multioutput_tour(progress=None):
    """Three body measurements from three exercises (linnerud), jointly.

    A :class:`~sklik.MultiOutputNLL` of three Gaussians, scored by
    leave-one-out over the 20 athletes and compared with the no-feature
    baseline (each output's own training mean and standard deviation).

    Parameters
    ----------
    progress : callable or None, default=None

    Returns
    -------
    table : Table
        Training and held-out NLL per output and summed over outputs.

    Examples
    --------
    >>> from sklik.demo import multioutput_tour
    >>> table = multioutput_tour()
    >>> [row[0] for row in table.rows]
    ['Weight', 'Waist', 'Pulse', 'sum over outputs']
    """
    _say(progress, "multi-output, linnerud: leave-one-out")
    data = load_linnerud()
    X, Y = data.data, data.target
    model = make_pipeline(StandardScaler(), MultiOutputNLL())

    def per_output_nll(Y, mean, std):
        return np.array(
            [log_score(Y[:, j], norm(mean[:, j], std[:, j])) for j in range(Y.shape[1])]
        )

    train = per_output_nll(Y, *clone(model).fit(X, Y).predict(X, return_std=True))
    # held-out and no-feature predictive Normals, one athlete left out at a time
    mean, std = np.zeros(Y.shape), np.zeros(Y.shape)
    base_mean, base_std = np.zeros(Y.shape), np.zeros(Y.shape)
    for tr, te in LeaveOneOut().split(X):
        fitted = clone(model).fit(X[tr], Y[tr])
        mean[te], std[te] = fitted.predict(X[te], return_std=True)
        base_mean[te], base_std[te] = Y[tr].mean(axis=0), Y[tr].std(axis=0)
    held = per_output_nll(Y, mean, std)
    base = per_output_nll(Y, base_mean, base_std)
    table = Table(
        f"Multi-output: linnerud ({X.shape[0]} athletes; "
        f"{', '.join(data.feature_names)} -> {', '.join(data.target_names)})",
        ["train NLL", "held-out NLL", "no-feature NLL"],
    )
    names = [*data.target_names, "sum over outputs"]
    verdict = (
        "predict the body measurements no better than their mean"
        if held.sum() >= base.sum()
        else "predict the body measurements better than their mean does"
    )
    table.note = f"held out = leave-one-out; with 20 athletes the exercises {verdict}"
    for j, label in enumerate(names):
        if j < len(data.target_names):
            table.rows.append([label, train[j], held[j], base[j]])
        else:
            table.rows.append([label, train.sum(), held.sum(), base.sum()])
    return table


def _say(progress, message):
    if progress is not None:
        progress(message)


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


def format_table(table: Table) -> str:
    """Render one :class:`Table` as aligned plain text.

    Coverage and accuracy columns print as percentages, values of 100 or
    more with one decimal, the rest with three; the note is wrapped below.

    Parameters
    ----------
    table : Table

    Returns
    -------
    text : str

    Examples
    --------
    >>> from sklik.demo import Table, format_table
    >>> t = Table("Toy", ["CRPS", "accuracy"], [["a", 123.456, 0.5]], note="a note")
    >>> print(format_table(t))
    Toy
           CRPS  accuracy
    a     123.5     50.0%
      (a note)
    """
    label_width = max(len(r[0]) for r in table.rows)
    widths = [max(len(c), 8) for c in table.columns]
    lines = [table.title]
    header = " " * label_width + "".join(
        f"  {c:>{w}}" for c, w in zip(table.columns, widths)
    )
    lines.append(header)
    for label, *values in table.rows:
        cells = "".join(
            f"  {_fmt(v, c):>{w}}" for v, c, w in zip(values, table.columns, widths)
        )
        lines.append(f"{label:<{label_width}}{cells}")
    if table.note:
        lines.append(
            textwrap.fill(
                f"({table.note})",
                width=88,
                initial_indent="  ",
                subsequent_indent="   ",
            )
        )
    return "\n".join(lines)


def _fmt(value, column) -> str:
    if "cover" in column or column == "accuracy":
        return f"{value:.1%}"
    if abs(value) >= 100:
        return f"{value:.1f}"
    return f"{value:.3f}"


def format_result(result: TourResult) -> str:
    """The whole results table as plain text (what ``python -m sklik`` prints).

    Parameters
    ----------
    result : TourResult

    Returns
    -------
    text : str
    """
    head = (
        f"sklik tour (seed {result.seed}): every score is held out; "
        "NLL, CRPS and log loss: lower is better"
    )
    blocks = [head, *(format_table(t) for t in result.tables)]
    return "\n\n".join(blocks)


def plot_bands(result: TourResult, path, level=INTERVAL):
    """Draw the held-out predictive intervals of the regressions to a PNG.

    One row per regression task and one column per sklik model: the held-out
    residuals y − μ(x) against μ(x), each with its central ``level`` interval
    ±z·σ(x). A constant σ gives bands of one width; σ(x) lets them widen
    where the data spread.

    Needs matplotlib (not a dependency of sklik): raises ``ImportError``
    without it. Uses matplotlib's object API, no ``pyplot`` and no display.

    Parameters
    ----------
    result : TourResult
    path : str or path-like
        Where to write the PNG.
    level : float, default=0.9

    Returns
    -------
    path : str or path-like
        The ``path`` given.

    Examples
    --------
    >>> import os, tempfile
    >>> from sklik.demo import plot_bands, run_tour
    >>> result = run_tour(seed=0)
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = plot_bands(result, os.path.join(folder, "bands.png"))
    ...     os.path.getsize(path) > 10_000
    True
    """
    from matplotlib.figure import Figure

    labels = [k for k in result.bands[0].mean if k.startswith("sklik")]
    n_rows, n_cols = len(result.bands), len(labels)
    fig = Figure(figsize=(5.0 * n_cols, 3.6 * n_rows), layout="constrained")
    axes = fig.subplots(n_rows, n_cols, squeeze=False, sharey="row")
    z = norm.ppf(0.5 + level / 2)
    for row, bands in zip(axes, result.bands):
        for ax, label in zip(row, labels):
            mean, std = bands.mean[label], bands.std[label]
            resid = bands.y - mean
            inside = np.abs(resid) <= z * std
            ax.vlines(mean, -z * std, z * std, color="C0", alpha=0.25, lw=1.2)
            ax.scatter(mean[inside], resid[inside], s=6, color="C0", label="inside")
            ax.scatter(mean[~inside], resid[~inside], s=10, color="C3", label="outside")
            ax.axhline(0.0, color="k", lw=0.6)
            ax.set_title(
                f"{bands.title}\n{label}: {inside.mean():.1%} inside "
                f"the {level:.0%} interval",
                fontsize=9,
            )
            ax.set_xlabel("held-out predicted mean μ(x)")
            ax.set_ylabel("y − μ(x), with ±z·σ(x)")
        row[0].legend(loc="upper left", fontsize=8)
    fig.savefig(path, dpi=110)
    return path
