"""What runs where the rows live: one shard per dask worker, one task per pass.

A :class:`Shard` holds the blocks of rows of X that one worker keeps (the
persisted chunks themselves, not copies) and, once bound to a fit
(:class:`FitShard`), their y, their normalised weights, the family and the
model. Each pass of the fit is one call of one of its methods: φ comes in,
p-sized (or p×p) sums go out. The arithmetic is :mod:`sklik._row_sums`',
the very functions the numpy objective applies to all rows at once.

Nothing here imports dask: a worker runs plain numpy.
"""

from collections import OrderedDict
from itertools import pairwise

import numpy as np

from sklik._chunks import row_chunks
from sklik._row_sums import (
    curvature_sums_rows,
    design_gram_rows,
    forward_rows,
    gram_rows,
    hessp_rows,
    value_grad_rows,
)


def call(shard, method, args):
    """Run ``shard.method(*args)``: the one function every task of a pass runs."""
    return getattr(shard, method)(*args)


def _largest(blocks_a, blocks_b=None):
    """max |η_a - η_b| (or |η_a|) over blocks, a chunk of rows at a time."""
    largest = 0.0
    for k, (eta, _) in enumerate(blocks_a):
        other = None if blocks_b is None else blocks_b[k][0]
        for rows in row_chunks(*eta.shape):
            change = eta[rows] if other is None else eta[rows] - other[rows]
            largest = max(largest, float(np.max(np.abs(change), initial=0.0)))
    return largest


class Shard:
    """The blocks of rows of X one worker holds, in order, and their numbers.

    Parameters
    ----------
    index : list of int
        The blocks' positions among X's row chunks.
    blocks : list of ndarray
        The blocks themselves (float64, all columns).
    """

    def __init__(self, index, blocks):
        self.index = list(index)
        self.X = list(blocks)

    @property
    def sizes(self):
        return [len(block) for block in self.X]

    # -- column statistics (the model's standardisation) --------------------------
    def column_max_abs(self):
        """max |x| per column (NaN if a NaN is there), a chunk at a time."""
        out = np.zeros(self.X[0].shape[1])
        for block in self.X:
            for rows in row_chunks(*block.shape):
                out = np.maximum(out, np.max(np.abs(block[rows]), axis=0, initial=0))
        return out

    def _split(self, v):
        """This shard's piece of an n-vector, as views per block."""
        edges = np.cumsum([0, *self.sizes])
        return [v[a:b] for a, b in pairwise(edges)]

    def weighted_sum(self, w):
        return sum(wb @ block for wb, block in zip(self._split(w), self.X))

    def weighted_square_deviation(self, w, offset):
        out = np.zeros(len(offset))
        for wb, block in zip(self._split(w), self.X):
            for rows in row_chunks(*block.shape):
                dev = block[rows] - offset
                out += wb[rows] @ (dev * dev)
        return out

    def divided(self, factors):
        """A shard of the blocks with each column divided by its factor (copies)."""
        return Shard(self.index, [block / factors for block in self.X])

    # -- products with the rows (RowBlocks' numpy protocol) -------------------------
    def matmul(self, W):
        """[(block number, X_b @ W)]."""
        return [(i, block @ W) for i, block in zip(self.index, self.X)]

    def rmatmul(self, V):
        """Σ_b V_b @ X_b for V (..., rows of this shard)."""
        edges = np.cumsum([0, *self.sizes])
        return sum(
            V[..., a:b] @ block for (a, b), block in zip(pairwise(edges), self.X)
        )

    def take(self, rows):
        """The rows at these positions within the shard (a copy of those alone)."""
        edges = np.cumsum([0, *self.sizes])
        block_of = np.searchsorted(edges, rows, side="right") - 1
        out = np.empty((len(rows), self.X[0].shape[1]))
        for b in np.unique(block_of):
            here = block_of == b
            out[here] = self.X[b][rows[here] - edges[b]]
        return out

    def bind(self, y, w, dist, model, eta_offset, n_cached):
        """A :class:`FitShard` of these blocks for one fit."""
        return FitShard(self, y, w, dist, model, eta_offset, n_cached)


class FitShard(Shard):
    """A shard bound to a fit: its rows' y and weights, the family and the model.

    η of the last ``n_cached`` points φ is kept (with the model's cache: for
    the linear model, X itself), so that the Hessian at the point just
    evaluated, and the line search's check of how far η moved, read no X.
    Points are named by a key the client derives from φ.
    """

    def __init__(self, shard, y, w, dist, model, eta_offset, n_cached):
        super().__init__(shard.index, shard.X)
        self.y, self.w = self._split(y), self._split(w)
        self.dist, self.model, self.eta_offset = dist, model, eta_offset
        self.n_cached = n_cached
        self._etas = OrderedDict()

    def _forward(self, phi, key):
        """[(η_b, cache_b)] at φ: remembered, or one pass over the blocks."""
        if key in self._etas:
            self._etas.move_to_end(key)
            return self._etas[key]
        return [forward_rows(self.model, X, phi, self.eta_offset) for X in self.X]

    def _remember(self, key, blocks):
        self._etas[key] = blocks
        self._etas.move_to_end(key)
        while len(self._etas) > self.n_cached:
            self._etas.popitem(last=False)

    def _rows(self, blocks):
        return zip(self.X, self.y, self.w, blocks)

    def value_grad(self, phi, key, gram=None):
        """(Σ w·NLL, its gradient or None, {key: max |Δη|}, data Gram or None).

        The changes of η from every remembered point come in the same pass
        (Newton's line search asks how far its first trial moved η); with
        ``gram=(fisher, constant)`` the curvature matrix at φ too.
        """
        blocks = self._forward(phi, key)
        changes = {
            other: _largest(blocks, kept)
            for other, kept in self._etas.items()
            if other != key
        }
        value, grad = 0.0, np.zeros(len(phi))
        for _, y, w, (eta, cache) in self._rows(blocks):
            part, part_grad = value_grad_rows(self.dist, self.model, y, w, eta, cache)
            value += part
            if part_grad is None:
                grad = None
                break
            grad += part_grad
        H = None
        if gram is not None and grad is not None:
            H = self.gram(phi, key, *gram, blocks=blocks)
        self._remember(key, blocks)
        return value, grad, changes, H

    def gram(self, phi, key, fisher, constant, blocks=None):
        blocks = self._forward(phi, key) if blocks is None else blocks
        self._remember(key, blocks)
        dist, model = self.dist, self.model
        return sum(
            gram_rows(dist, model, X, y, w, eta, fisher, constant)
            for X, y, w, (eta, _) in self._rows(blocks)
        )

    def hessp(self, phi, key, v, fisher):
        blocks = self._forward(phi, key)
        self._remember(key, blocks)
        dist, model = self.dist, self.model
        return sum(
            hessp_rows(dist, model, y, w, eta, cache, v, fisher)
            for _, y, w, (eta, cache) in self._rows(blocks)
        )

    def design_gram(self, column):
        n_eta = self.dist.n_params
        return sum(
            design_gram_rows(self.model, X, w, column, n_eta)
            for X, w in zip(self.X, self.w)
        )

    def curvature_sums(self, phi, key):
        blocks = self._forward(phi, key)
        self._remember(key, blocks)
        return sum(
            curvature_sums_rows(self.dist, y, w, eta)
            for _, y, w, (eta, _) in self._rows(blocks)
        )

    def mean_nll(self, phi, key):
        blocks = self._forward(phi, key)
        return sum(
            float(w @ self.dist.nll(y, eta)) for _, y, w, (eta, _) in self._rows(blocks)
        )

    def eta_change(self, phi, key, old_phi=None, old_key=None):
        """max |η(φ) - η(old φ)| (or |η(φ)|) over the shard's rows."""
        blocks = self._forward(phi, key)
        old = None if old_phi is None else self._forward(old_phi, old_key)
        return _largest(blocks, old)

    def jvp_change(self, phi, key, v):
        """max |∂η/∂φ · v| over the shard's rows."""
        blocks = self._forward(phi, key)
        jvps = [(self.model.jvp(cache, v), None) for _, cache in blocks]
        return _largest(jvps)

    def per_block(self, phi, key, func):
        """[func(y_b, η_b, w_b)] for each block."""
        blocks = self._forward(phi, key)
        return [func(y, eta, w) for _, y, w, (eta, _) in self._rows(blocks)]

    def etas(self, phi, key):
        """[(block number, η_b)]: η itself, for the rare check that words a warning."""
        blocks = self._forward(phi, key)
        return [(i, eta) for i, (eta, _) in zip(self.index, blocks)]
