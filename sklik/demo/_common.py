"""What the parts of the tour share: the interval level and out-of-fold fits."""

import numpy as np
from sklearn.base import clone

#: Nominal coverage of the predictive intervals the tour checks.
INTERVAL = 0.9


def out_of_fold(model, X, y, cv, method):
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


def say(progress, message):
    """Pass ``message`` to the ``progress`` callback, if there is one."""
    if progress is not None:
        progress(message)
