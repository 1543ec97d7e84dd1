"""The tour's figure: held-out predictive intervals of the regressions."""

import numpy as np
from scipy.stats import norm

from sklik.demo._common import INTERVAL
from sklik.demo._format import TourResult

#: Name of the figure :func:`plot_bands` writes in the output folder.
FIGURE_NAME = "predictive_bands.png"


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
