"""Trust-region Newton-CG: Hessian-vector products through the model's jvp."""

import numpy as np
import scipy.optimize

from sklik.solvers._result import SolverResult

#: What the solver needs of the model and the family.
REQUIRES = frozenset({"jvp", "curvature"})


class _InnerLoopRunaway(Exception):
    """scipy's CG-Steihaug loop exceeded any reasonable number of steps."""


def newton_cg(objective, phi0, max_iter, tol):
    """Trust-region Newton-CG with Hessian-vector products (``trust-ncg``).

    scipy's inner CG-Steihaug loop has no iteration cap, and on a badly
    scaled problem it can run forever; Hessian-vector products are therefore
    capped per outer iteration (CG needs at most len(φ) of them in exact
    arithmetic), ending the fit at the last iterate with a message.
    """
    state = {"products": 0, "phi": np.array(phi0, dtype=np.float64), "nit": 0}
    limit = 10 * len(state["phi"]) + 50

    def callback(intermediate_result):
        state.update(products=0, phi=intermediate_result.x.copy())
        state["nit"] += 1

    def hessp(phi, v):
        state["products"] += 1
        if state["products"] > limit:
            raise _InnerLoopRunaway
        return objective.hessp(phi, v)

    try:
        res = scipy.optimize.minimize(
            objective,
            phi0,
            jac=True,
            hessp=hessp,
            method="trust-ncg",
            callback=callback,
            options={"maxiter": max_iter, "gtol": tol},
        )
    except _InnerLoopRunaway:
        message = "the trust-region subproblem's CG loop did not converge"
        return SolverResult(state["phi"], state["nit"], message)
    return SolverResult(res.x, int(res.nit), str(res.message))
