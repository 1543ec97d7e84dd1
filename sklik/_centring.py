"""The groups of the centring term: output entries of φ in shift-invariant blocks.

Softmax logits are invariant to a shift shared by a block's columns of η;
the objective pins the shift with ½ Σ_g (Σ_{i ∈ g} φᵢ)², one group g per
row of the output layer and invariant block. With one invariant block
covering every column (the K classes of a linear model), the groups tile φ
in order, K entries each: their sums are then a reshape, not a scatter.
"""

import numpy as np


class CentringGroups:
    """Which entries of φ (``index``) form which group (``group``), of ``n_groups``.

    Parameters
    ----------
    index, group : ndarray of int
        The entries of φ in invariant blocks and the group of each.
    size : int
        The length of φ.
    """

    def __init__(self, index, group, size):
        self.index, self.group, self.size = index, group, size
        self.n_groups = int(group.max()) + 1
        self.counts = np.bincount(group, minlength=self.n_groups)
        width = size // self.n_groups
        #: Whether the groups tile φ in order, ``size / n_groups`` entries each.
        self.tiled = (
            len(index) == size
            and size == width * self.n_groups
            and np.array_equal(index, np.arange(size))
            and np.array_equal(group, np.arange(size) // width)
        )

    def sums(self, v) -> np.ndarray:
        """Per group, the sum of v's entries in it, shape (n_groups,)."""
        if self.tiled:  # (the ufunc's reduce: no Python-level wrapper)
            return np.add.reduce(v.reshape(self.n_groups, -1), axis=1)
        return np.bincount(self.group, v[self.index], minlength=self.n_groups)

    def spread(self, s) -> np.ndarray:
        """The vector over φ with s[g] at each entry of group g, zero elsewhere."""
        if self.tiled:
            return s.repeat(self.size // self.n_groups)
        out = np.zeros(self.size)
        out[self.index] = s[self.group]
        return out

    def members(self) -> list[np.ndarray]:
        """The entries of φ in each group."""
        order = np.argsort(self.group, kind="stable")
        bounds = np.flatnonzero(np.diff(self.group[order])) + 1
        return np.split(self.index[order], bounds)


def centring_groups(dist, model) -> CentringGroups | None:
    """The centring groups of this family and model; None without an invariant block.

    One group per (row of the output layer, shift-invariant block).
    """
    index, row, column = model.output_entries()
    block_of = np.full(dist.n_params, -1)
    invariant = [b for b in dist.blocks if b.shift_invariant]
    for k, block in enumerate(invariant):
        block_of[list(block.columns)] = k
    keep = block_of[column] >= 0
    if not keep.any():
        return None
    key = row[keep] * len(invariant) + block_of[column[keep]]
    _, group = np.unique(key, return_inverse=True)
    return CentringGroups(index[keep], group, model.n_params)
