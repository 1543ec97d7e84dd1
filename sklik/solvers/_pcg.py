"""Newton directions by conjugate gradients, preconditioned by the curvature's blocks.

Where η has several columns (K softmax logits), the dense curvature matrix
over φ has (K·p)² entries and costs n·(K·p)²/2 to form and (K·p)³/3 to
factorise, while its blocks on the diagonal, one per column of η, cost
K·n·p² together, and a product with the whole matrix about 4·n·K·p. The
blocks carry the design's scales and correlations, what makes conjugate
gradients slow on the bare matrix; the softmax's coupling between the
columns is what is left for CG to resolve, in about ten products.
"""

import math

import numpy as np
from scipy.linalg import lapack

from sklik._chunks import row_chunks

#: Hessian-vector products a direction is expected to take (the cost rule).
_EXPECTED_PRODUCTS = 12

#: How much cheaper than the dense matrix the products must promise to be.
_MARGIN = 2.0

#: Products after which a direction counts as slow: the next one gets a
#: fresh preconditioner (the blocks of the current point).
SLOW_DIRECTION = 12

#: Weights below this fraction of their column's mean are left out of the
#: preconditioner's blocks: at most that fraction of the column's curvature,
#: while late in a fit most samples are certain and drop out of most blocks.
_NEGLIGIBLE = 1e-2


def prefers_products(objective) -> bool:
    """Whether block-preconditioned CG is cheaper than forming the dense matrix.

    Only for X in this process (each product is a pass over X: on dask
    workers a round trip each) and a linear model, whose blocks are Gram
    matrices of the design.
    """
    model = objective.model
    if not (objective.rows_local and model.has_gram and model.has_jvp):
        return False
    sizes = [len(model.column_entries(j)) for j in range(objective.dist.n_params)]
    m = sum(sizes)
    dense = m * m / 2
    products = sum(s * s for s in sizes) + _EXPECTED_PRODUCTS * 4 * m
    return dense > _MARGIN * products


def diagonal_blocks(objective, phi, fisher):
    """The curvature matrix's blocks, one per column of η: [(entries, block)].

    The model's Gram matrices of each column's own curvature (the per-sample
    matrices' diagonals), plus the penalty; the centring term is the
    preconditioner's to handle (:class:`BlockPreconditioner`). Where that
    curvature is one constant per column (the intercept-only start), each
    block is the cached design Gram matrix times it.
    """
    model, penalty = objective.model, objective.penalty
    constant = _constant_curvature(objective.dist, objective.eta(phi), fisher)
    if constant is not None:
        grams = [c * objective.design_gram(j) for j, c in enumerate(constant)]
    else:
        c = _own_curvature(objective, phi, fisher)
        c[np.abs(c) < _NEGLIGIBLE * np.mean(np.abs(c), axis=0)] = 0.0
        grams = model.column_grams(objective.X, c)
    blocks = []
    for j, gram in enumerate(grams):
        entries = model.column_entries(j)
        gram[np.diag_indices_from(gram)] += penalty[entries]
        blocks.append((entries, gram))
    return blocks


def _constant_curvature(dist, eta, fisher):
    """The per-column curvature if it is the same at every sample, else None.

    So where every row of η is the same and the curvature is the Fisher
    information, a function of η alone (the weights are the design Gram's).
    """
    if not (dist.has_fisher and (fisher or dist.fisher_is_hessian)):
        return None
    if not np.all(eta == eta[0]):
        return None
    return np.diagonal(dist.fisher(eta[:1])[0]).copy()


def _own_curvature(objective, phi, fisher):
    """Each column's own weighted curvature at every sample, shape (n, P)."""
    dist, y, w = objective.dist, objective.y, objective.w
    eta = objective.eta(phi)
    if dist.hessian_factors is not None:
        a, b = dist.hessian_factors(y, eta)
        return (a - b * b) * w[:, None]
    diag = np.arange(dist.n_params)
    return np.concatenate(
        [
            objective.curvature(eta, rows, fisher)[:, diag, diag]
            for rows in row_chunks(len(eta), dist.n_params**2)
        ]
    )


def block_preconditioner(objective, phi, fisher) -> "BlockPreconditioner":
    """M⁻¹ at φ from the curvature's diagonal blocks (:func:`diagonal_blocks`)."""
    return BlockPreconditioner(
        diagonal_blocks(objective, phi, fisher),
        len(phi),
        objective.centring_groups,
        objective.penalty,
    )


class BlockPreconditioner:
    """z = M⁻¹ r for M the block-diagonal part of the curvature matrix.

    Each block is inverted on its unit-diagonal scaling, with eigenvalues
    below 1e-10 of the largest raised to that floor (a singular block,
    collinear columns at alpha = 0, still gives a positive definite M).
    Entries whose diagonal is exactly zero (a constant column) get no step.

    Softmax logits are invariant to a shift shared by a centring group (one
    row of the output layer across the K classes): the data's curvature is
    zero along such shifts and the objective's centring term, whose
    Hessian is a block of ones per group, acts along them alone, with
    curvature K plus the row's penalty. So M⁻¹ is the blocks' inverse
    between the projections onto the shift-free part, plus the shifts
    divided by their own curvature: the blocks never see the ones that
    couple the classes.
    """

    def __init__(self, blocks, size, groups=None, penalty=None):
        self.size, self.groups = size, groups
        if groups is not None:
            counts = groups.counts
            self.shift_curvature = counts + groups.sums(penalty) / counts
        self.stacked, self.interleaved = None, False
        if len({len(entries) for entries, _ in blocks}) == 1:
            # Blocks of one size: one batched product. Interleaved blocks
            # (entry i in block i mod K: a linear model's K classes) read r
            # as a (rows, K) matrix, not through an index.
            entries = np.stack([entries for entries, _ in blocks])
            inverses = _scaled_inverses(np.stack([block for _, block in blocks]))
            self.stacked = (entries, inverses)
            self.interleaved = entries.size == size and np.array_equal(
                entries, np.arange(size).reshape(-1, len(blocks)).T
            )
        else:
            self.parts = [(e, _scaled_inverses(b[None])[0]) for e, b in blocks]

    def _shifts(self, v):
        """The shift shared by each group's entries of v (their mean)."""
        return self.groups.sums(v) / self.groups.counts

    def _solve_rows(self, r):
        """``__call__`` where row t of the (rows, K) layout of φ is group t."""
        k = len(self.stacked[1])
        R = r.reshape(-1, k)
        shifts = np.add.reduce(R, axis=1) / k  # (the ufunc: no Python wrapper)
        Z = self._solve_blocks((R - shifts[:, None]).ravel()).reshape(-1, k)
        Z += (shifts / self.shift_curvature - np.add.reduce(Z, axis=1) / k)[:, None]
        return Z.ravel()

    def _solve_blocks(self, r):
        if self.interleaved:
            inverses = self.stacked[1]
            columns = r.reshape(-1, len(inverses)).T[:, :, None]
            return np.matmul(inverses, columns)[:, :, 0].T.ravel()
        z = np.zeros(self.size)
        if self.stacked is not None:
            entries, inverses = self.stacked
            z[entries] = np.matmul(inverses, r[entries][:, :, None])[:, :, 0]
        else:
            for entries, inverse in self.parts:
                z[entries] = inverse @ r[entries]
        return z

    def __call__(self, r):
        if self.groups is None:
            return self._solve_blocks(r)
        if self.interleaved and self.groups.tiled:
            return self._solve_rows(r)
        shifts = self._shifts(r)
        z = self._solve_blocks(r - self.groups.spread(shifts))
        z += self.groups.spread(shifts / self.shift_curvature - self._shifts(z))
        return z


def _scaled_inverses(blocks):
    """Each block's inverse on its unit-diagonal scaling, zero where its diagonal is.

    ``blocks`` is a stack (k, s, s).
    """
    diag = np.diagonal(blocks, axis1=1, axis2=2)
    live = diag > 0
    s = np.where(live, 1.0 / np.sqrt(np.where(live, diag, 1.0)), 0.0)
    scaled = blocks * s[:, :, None] * s[:, None, :]
    which, dead = np.nonzero(~live)
    scaled[which, dead, dead] = 1.0  # (their rows are zero: decoupled; s = 0 after)
    inverses = np.stack([_positive_inverse(A) for A in scaled])
    return inverses * s[:, :, None] * s[:, None, :]


def _positive_inverse(A):
    """A⁻¹ for A symmetric with unit diagonal, eigenvalues floored at 1e-10.

    From its Cholesky factor L where A is well conditioned (LAPACK's potrf
    and trtri: A⁻¹ = L⁻ᵀL⁻¹), else from its eigenvalues (a singular block
    still gives a positive definite inverse).
    """
    factor, info = lapack.dpotrf(A, lower=True)
    if info == 0 and np.min(np.diag(factor)) ** 2 > 1e-10:
        inverse, info = lapack.dtrtri(factor, lower=True)
        if info == 0:
            return inverse.T @ inverse
    values, vectors = np.linalg.eigh(A)
    values = np.maximum(values, 1e-10 * values[-1])
    return (vectors / values) @ vectors.T


def conjugate_gradients(hessp, g, precondition, rtol, max_products, guess=None):
    """Approximately solve H d = -g: (d, products), d None on negative curvature.

    Stops once the residual's norm is at most ``rtol`` times the gradient's,
    after ``max_products`` products, or at a direction of non-positive
    curvature: then the iterate so far if there is one (a descent direction,
    as every CG iterate is), else None.

    With a ``guess`` (the last Newton direction), CG starts from its
    multiple that minimises the quadratic model q(d) = g·d + ½ d·Hd, if
    that multiple is positive (one product): every iterate then has
    q(d) < 0 = q(0), so it is still a descent direction.
    """
    d, r = np.zeros_like(g), -g
    target = rtol * math.sqrt(g @ g)
    products = 0
    if guess is not None and g @ guess < 0:
        H_guess = hessp(guess)
        products, curvature = 1, guess @ H_guess
        if curvature > 0:
            step = -(g @ guess) / curvature
            d, r = step * guess, r - step * H_guess
    if math.sqrt(r @ r) <= target:
        return d, products
    z = precondition(r)
    p = z.copy()
    rz = r @ z
    while products < max_products:
        Hp = hessp(p)
        products += 1
        curvature = p @ Hp
        if not curvature > 0:
            return (d if d.any() else None), products
        step = rz / curvature
        d += step * p
        r -= step * Hp
        if math.sqrt(r @ r) <= target:
            break
        z = precondition(r)
        rz, rz_old = r @ z, rz
        p = z + (rz / rz_old) * p
    return d, products


def forcing_term(g) -> float:
    """The relative residual asked of CG: min(1/2, √‖g‖) (superlinear near φ̂)."""
    return min(0.5, float(np.sqrt(np.linalg.norm(g))))
