"""The multi-output part of the tour: linnerud, leave-one-out."""

import numpy as np
from scipy.stats import norm
from sklearn.base import clone
from sklearn.datasets import load_linnerud
from sklearn.model_selection import LeaveOneOut
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklik import MultiOutputNLL
from sklik.demo._common import say
from sklik.demo._format import Table
from sklik.metrics import log_score


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
    say(progress, "multi-output, linnerud: leave-one-out")
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
