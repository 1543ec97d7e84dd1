"""MultiOutputNLL's outputs: their names (as Pipeline's steps) and y's columns."""

import numpy as np


def _column(Y, j):
    """Column j of Y; an object column of numbers or booleans gets their dtype.

    A y that mixes label columns with numeric ones is an object array, in
    which integer labels would not be recognised as class labels.
    """
    col = Y[:, j]
    if col.dtype == object:
        typed = np.asarray(col.tolist())
        if typed.dtype.kind in "biuf":
            return typed
    return col


#: MultiOutputNLL's own parameters: no output may be named as one.
_OWN_PARAMS = ("outputs", "model", "alpha", "solver", "max_iter", "tol")


def _is_pair(item) -> bool:
    return (
        isinstance(item, tuple | list) and len(item) == 2 and isinstance(item[0], str)
    )


def _named(outputs) -> list[tuple[str, object]]:
    """``outputs`` as (name, estimator) pairs; a plain list is named output0, ...

    A TypeError or ValueError says what is wrong with the list itself (not
    with the estimators in it, which ``fit`` checks).
    """
    if outputs is None:
        return []
    if not isinstance(outputs, list | tuple):
        raise TypeError(
            "outputs must be None or a list of sklik estimators (or of "
            f"(name, estimator) pairs), one per column of y; got "
            f"{type(outputs).__name__}."
        )
    pairs = [_is_pair(item) for item in outputs]
    if not any(pairs):
        return [(f"output{j}", est) for j, est in enumerate(outputs)]
    if not all(pairs):
        raise TypeError(
            "outputs must be all estimators or all (name, estimator) pairs, "
            "not a mix of both."
        )
    names = [name for name, _ in outputs]
    for name in names:
        if "__" in name or name in _OWN_PARAMS or not name:
            raise ValueError(
                f"the output name {name!r} is not allowed: names must be "
                "non-empty, must not contain '__' and must not be one of "
                f"{list(_OWN_PARAMS)}."
            )
    duplicated = sorted({name for name in names if names.count(name) > 1})
    if duplicated:
        raise ValueError(f"the output names must be unique; repeated: {duplicated}.")
    return [(name, est) for name, est in outputs]
