"""What every solver returns."""

from dataclasses import dataclass

import numpy as np


@dataclass
class SolverResult:
    """The solver's last iterate and how it got there.

    Attributes
    ----------
    phi : ndarray
        The parameters reached.
    n_iter : int
        Iterations taken.
    message : str
        Why it stopped.
    exact : bool
        A closed form: optimal by construction (no gradient test).
    grad_norm : float
        The gradient's sup-norm at ``phi`` (0 for a closed form).
    """

    phi: np.ndarray
    n_iter: int
    message: str = ""
    exact: bool = False
    grad_norm: float = 0.0
