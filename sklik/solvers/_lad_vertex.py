"""The exact end of a weighted LAD fit: simplex steps to a vertex, and its polish.

HiGHS answers to its tolerances; :func:`_finish` moves from its multipliers
to an optimal vertex in floating point, and :func:`_polish` re-solves that
vertex from its zero residuals (see :mod:`sklik.solvers._lad`).
"""

import numpy as np
import scipy.sparse as sp

_ZERO_TOL = 1e-9  # a zero residual, relative to |yᵢ| + |aᵢ|·|β|


def _zero_residuals(A, yt, beta) -> np.ndarray:
    size = np.abs(yt) + abs(A) @ np.abs(beta) + 1e-5  # yt's mean square is 1
    return np.abs(yt - A @ beta) <= _ZERO_TOL * size


def _vertex_dual(A, yt, st, beta, zero):
    """dᵢ = sᵢ sign(rᵢ) off the zero residuals; on them, Aᵀd = 0 solved."""
    if zero.sum() > 4 * A.shape[1] + 4:
        return None
    d = np.where(zero, 0.0, st * np.sign(yt - A @ beta))
    if zero.any():
        d[zero] = np.linalg.lstsq(_dense(A[zero]).T, -(A.T @ d))[0]
    return d


def _dual_feasible(A, st, d) -> bool:
    """|dᵢ| ≤ sᵢ and Aᵀd = 0, to rounding (max sᵢ is 1)."""
    inside = np.all(np.abs(d) <= st * (1 + 1e-9) + 1e-13)
    return bool(
        inside and np.all(np.abs(A.T @ d) <= 1e-9 * (abs(A).T @ np.abs(d)).max())
    )


def _finish(A, yt, st, beta, null_A):
    """Exact simplex steps from HiGHS's answer to an optimal vertex.

    Each step moves β along a δ that keeps the zero residuals at zero (all
    but one of them) up to where the first other residual reaches zero.
    While the zero residuals do not span A's rows (a degenerate LP can leave
    β inside an optimal face: an even count's median) δ runs along the face,
    where the objective is constant. At a vertex whose implied dual breaks a
    bound, |dⱼ| > sⱼ (weights below HiGHS's 1e-10 tolerance), row j leaves
    and δ descends. A step that would raise the objective is not taken.
    """
    k = A.shape[1]
    for _ in range(4 * k + 4):
        zero = _zero_residuals(A, yt, beta)
        null = _null_space(A[zero])
        if face := len(null) > len(null_A):  # inside a face: δ ∈ null \ null_A
            null = null - (null @ null_A.T) @ null_A
            delta = null[np.argmax(np.linalg.norm(null, axis=1))]
        else:
            d = _vertex_dual(A, yt, st, beta, zero)
            if d is None:
                break
            excess = np.abs(d[zero]) - st[zero] * (1 + 1e-9) - 1e-13
            if excess.max(initial=0.0) <= 0:
                break
            target = np.zeros(zero.sum())
            j = np.argmax(excess)
            target[j] = -np.sign(d[zero][j])
            delta = np.linalg.lstsq(_dense(A[zero]), target)[0]
        r, step = yt - A @ beta, A @ delta
        t = np.divide(r, step, out=np.zeros_like(r), where=(step != 0) & ~zero)
        ahead, behind = t[t > 0].min(initial=np.inf), t[t < 0].max(initial=-np.inf)
        # along a face: downhill if β was not quite optimal, else the nearer end
        slope = -(st * np.sign(r)) @ step
        flat = abs(slope) <= 1e-12 * (st @ np.abs(step))
        back = face and (-behind < ahead if flat else slope > 0)
        t_step = behind if back else ahead
        new = beta + t_step * delta
        # a face move keeps f (to rounding); a descent must lower it
        f_new, f_old = st @ np.abs(yt - A @ new), st @ np.abs(r)
        if not np.isfinite(t_step) or f_new > f_old * (1 + (1e-13 if face else -1e-15)):
            break
        beta = new
    return beta


def _null_space(M) -> np.ndarray:
    """Rows spanning M's null space, from the eigenvectors of MᵀM."""
    k = M.shape[1]
    if M.shape[0] == 0:
        return np.eye(k)
    lam, V = np.linalg.eigh(_dense(M.T @ M))
    return V[:, lam <= max(lam[-1], 0.0) * k * np.finfo(float).eps * 10].T


def _dense(a) -> np.ndarray:
    return a.toarray() if sp.issparse(a) else np.asarray(a)


def _polish(A, yt, st, beta):
    """(β, rows): the vertex re-solved from its zero residuals, if no worse."""
    rows = np.flatnonzero(_zero_residuals(A, yt, beta))
    if rows.size == 0 or rows.size > 4 * A.shape[1] + 4:
        return beta, None
    polished = np.linalg.lstsq(_dense(A[rows]), yt[rows])[0]
    if st @ np.abs(yt - A @ polished) <= (st @ np.abs(yt - A @ beta)) * (1 + 1e-15):
        return polished, rows
    return beta, None
