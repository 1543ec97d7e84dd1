"""The classification part of the tour: sklik vs ``LogisticRegression``."""

import numpy as np
from sklearn.datasets import load_breast_cancer, load_wine
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklik import BernoulliNLLClassifier, CategoricalNLLClassifier
from sklik.demo._common import out_of_fold, say
from sklik.demo._format import Table
from sklik.distributions import LabelDistribution
from sklik.metrics import log_score


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
            say(progress, f"classification, {name}: {label}")
            log_proba = out_of_fold(
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
