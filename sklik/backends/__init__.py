"""Where the rows of X live, and the objective that sums over them.

numpy arrays, scipy sparse matrices and read-only ``np.memmap`` arrays are
read in place by :class:`~sklik._objective.NLLObjective` (a memmap is not
copied). A dask array is persisted by rows on the workers of the active
``dask.distributed`` client (or, without one, computed into this process
by dask's default scheduler) as :class:`RowBlocks`, and fitted by
:class:`DaskObjective`: one task per worker per pass, φ out and p-sized
sums back. dask is imported only when X is a dask array.
"""

import numpy as np

from sklik._objective import NLLObjective
from sklik.backends import _dask as dask_rows
from sklik.backends._dask import is_dask_array
from sklik.backends._rows import RowBlocks, RowsNotGathered

__all__ = [
    "RowBlocks",
    "RowsNotGathered",
    "dask_rows",
    "is_dask_array",
    "is_distributed",
    "make_objective",
]


def is_distributed(X) -> bool:
    """Whether X's rows live elsewhere: a dask array, or its persisted rows.

    Parameters
    ----------
    X : object
        Anything given as X.

    Returns
    -------
    bool

    Examples
    --------
    >>> import numpy as np
    >>> import dask.array as da
    >>> is_distributed(np.zeros((4, 2))), is_distributed(da.zeros((4, 2)))
    (False, True)
    """
    return isinstance(X, RowBlocks) or is_dask_array(X)


def make_objective(
    X,
    y: np.ndarray,
    sample_weight: np.ndarray,
    dist,
    model,
    alpha: float,
    eta_offset: np.ndarray | None = None,
    *,
    solver: str = "auto",
) -> NLLObjective:
    """The objective for X where it lives: NLLObjective, or DaskObjective.

    For rows on dask workers, steps that are not sums over rows are refused
    here, before any iteration: the Laplace family's exact LAD fit (a linear
    programme over all samples) and the exact least squares of an
    ill-conditioned design (the SVD of all of X).

    Parameters
    ----------
    X : ndarray, sparse matrix or RowBlocks
        The prepared design (a dask X is persisted as :class:`RowBlocks`).
    y, sample_weight : ndarray of shape (n_samples,)
        Encoded target and weights.
    dist, model : Distribution, Model
    alpha : float
        Strength of the L2 penalty.
    eta_offset : ndarray of shape (n_params,), default=None
    solver : str, default="auto"
        The estimator's solver: the steps it would take are checked.

    Returns
    -------
    NLLObjective
        A :class:`~sklik._objective.NLLObjective`, or its dask subclass.

    Raises
    ------
    RowsNotGathered
        When the solver's step needs all rows of a dask X in one place.

    Examples
    --------
    >>> import numpy as np
    >>> from sklik.distributions import REGISTRY
    >>> from sklik.models import LinearModel
    >>> X, y, w = np.arange(8.0).reshape(4, 2), np.array([0.0, 1, 1, 0]), np.ones(4)
    >>> dist = REGISTRY["bernoulli"].example()
    >>> model = LinearModel.from_data(X, w, [True], True)
    >>> objective = make_objective(X, y, w, dist, model, alpha=0.0)
    >>> type(objective).__name__, round(float(objective(np.zeros(3))[0]), 4)
    ('NLLObjective', 0.6931)
    """
    if not isinstance(X, RowBlocks):
        return NLLObjective(X, y, sample_weight, dist, model, alpha, eta_offset)
    from sklik.backends._dask_objective import DaskObjective

    objective = DaskObjective(X, y, sample_weight, dist, model, alpha, eta_offset)
    _refuse_gathering_steps(objective, solver)
    return objective


def _refuse_gathering_steps(objective, solver):
    from sklik.solvers import choose_solver
    from sklik.solvers._least_squares import LeastSquares

    name = choose_solver(solver, objective)
    if name == "lad":
        raise RowsNotGathered(
            "X is a dask array: the Laplace family's exact fit (solver='lad', "
            "what 'auto' takes) solves a linear programme over all "
            "samples, which is not a sum over blocks of rows, and sklik does "
            "not gather X for it. Pass solver='lbfgs' to fit it on the workers "
            "(the location's NLL is not differentiable at the data: the "
            "optimum is then approximate), or compute X into memory."
        )
    if name == "lstsq":
        # the Normal's location, or that of the Normal of a transform of y
        normal_of = getattr(objective.dist, "normal_of", None)
        loc = objective.dist.param_index(normal_of[0] if normal_of else "loc")
        if not LeastSquares(objective, column=loc).well_conditioned:
            raise RowsNotGathered(
                "X is a dask array and its design is rank-deficient or "
                "ill-conditioned (the weighted Gram matrix's condition number "
                "exceeds 1e10): the exact least squares then needs the SVD of "
                "all of X (LAPACK gelsd), which sklik does not gather. Pass "
                "solver='newton' (minimum-norm steps from the curvature's "
                "eigendecomposition, on the workers), alpha > 0, or drop the "
                "collinear columns."
            )
