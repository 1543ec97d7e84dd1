"""The end-to-end demo behind ``python -m sklik``."""

import numpy as np
from sklearn.datasets import load_breast_cancer, load_diabetes, load_iris, load_linnerud
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklik import (
    BernoulliNLLClassifier,
    CategoricalNLLClassifier,
    GaussianNLLRegressor,
    MultiOutputNLL,
)


def run(seed: int = 0) -> str:
    """Fit every estimator on a held-out split and describe what it learned.

    Examples
    --------
    >>> from sklik.demo import run
    >>> "diabetes" in run(seed=0)
    True
    """
    lines = []
    X, y = load_diabetes(return_X_y=True)
    Xtr, Xte, ytr, yte = train_test_split(X, y, random_state=seed)
    for hetero in (False, True):
        reg = make_pipeline(
            StandardScaler(), GaussianNLLRegressor(heteroscedastic=hetero)
        )
        reg.fit(Xtr, ytr)
        est = reg[-1]
        lo, hi = reg.predict(Xte, return_std=True)[0], None
        dist = est.predict_dist(reg[0].transform(Xte))
        lo, hi = dist.interval(0.9)
        cover = np.mean((yte >= lo) & (yte <= hi))
        kind = "heteroscedastic" if hetero else "homoscedastic"
        nll = est.nll(reg[0].transform(Xte), yte)
        lines.append(
            f"diabetes, {kind:15s} Gaussian: held-out NLL {nll:.3f}, "
            f"R² {reg.score(Xte, yte):.3f}, 90% interval coverage {cover:.1%}"
        )
    for name, loader, clf in [
        ("breast cancer", load_breast_cancer, BernoulliNLLClassifier(alpha=1e-3)),
        ("iris", load_iris, CategoricalNLLClassifier(alpha=1e-3)),
    ]:
        X, y = loader(return_X_y=True)
        Xtr, Xte, ytr, yte = train_test_split(X, y, random_state=seed, stratify=y)
        model = make_pipeline(StandardScaler(), clf).fit(Xtr, ytr)
        nll = model[-1].nll(model[0].transform(Xte), yte)
        lines.append(
            f"{name}, {type(clf).__name__}: held-out log loss {nll:.3f}, "
            f"accuracy {model.score(Xte, yte):.3f}"
        )
    X, Y = load_linnerud(return_X_y=True)
    multi = MultiOutputNLL().fit(X, Y)
    lines.append(
        f"linnerud, MultiOutputNLL (3 Gaussians): training NLL {multi.nll(X, Y):.3f}"
    )
    return "\n".join(lines)
