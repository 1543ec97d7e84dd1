"""RowVector: an n-vector (y, the sample weights) kept where X's rows live.

A dask fit never brings y or the weights to the client: each is split like
X's rows, one piece per shard on the shard's worker (a numpy vector is
scattered a block at a time; a dask one is computed there), and what the
client needs of it is a reduction computed there (:func:`apply`): the
labels, the class totals, the weighted moments. The encoded target and
the normalised weights are new pieces on the same workers. :meth:`gather`
brings a vector here: only families that need all of y at once take it
(see :mod:`sklik.backends._target_stats`).
"""

import uuid

import numpy as np

#: Marks a vector's piece among a task's arguments (tuples travel as such,
#: and dask resolves the futures inside them on the worker).
_PIECE = "sklik-row-vector-piece"


class RowVector:
    """An n-vector split by X's shards, each piece on the shard's worker.

    Parameters
    ----------
    rows : RowBlocks
        The rows it belongs to (their shards, workers and client).
    data : list or None
        Per shard, a future of (or, without a client, the) 1-D array of the
        shard's rows, its blocks in the shard's order; None: every value is
        ``factor`` (weights of one, never materialised here).
    factor : float, default=1.0
        A scalar the pieces are multiplied by where they are used.
    dtype : numpy dtype, default=float64
    """

    ndim = 1

    def __init__(self, rows, data, factor=1.0, dtype=np.float64):
        self.rows, self.data = rows, data
        self.factor, self.dtype = float(factor), np.dtype(dtype)
        self.shape = (rows.shape[0],)

    def __len__(self) -> int:
        return self.shape[0]

    def __repr__(self) -> str:
        return f"RowVector(n={len(self)}, dtype={self.dtype}, on {self.rows!r})"

    def piece(self, k):
        """The argument standing for shard ``k``'s piece in a task."""
        data = None if self.data is None else self.data[k]
        size = sum(self.rows.sizes[i] for i in self.rows.index[k])
        return (_PIECE, data, size, self.factor)

    def __truediv__(self, scalar) -> "RowVector":
        return RowVector(self.rows, self.data, self.factor / scalar, self.dtype)

    def sum(self) -> float:
        """Σ values, summed on the workers."""
        if self.data is None:
            return self.factor * len(self)
        return float(sum(apply(np.sum, self)))

    def astype(self, dtype) -> "RowVector":
        if np.dtype(dtype) == self.dtype:
            return self
        return map_rows(_astype, self, np.dtype(dtype), dtype=dtype)

    def gather(self) -> np.ndarray:
        """All values in this process: n numbers (the fallback, see the module)."""
        out = np.empty(len(self), dtype=self.dtype)
        for k, part in enumerate(apply(_identity, self)):
            start = 0
            for i in self.rows.index[k]:
                size = self.rows.sizes[i]
                out[self.rows.edges[i] : self.rows.edges[i] + size] = part[
                    start : start + size
                ]
                start += size
        return out

    def __array__(self, dtype=None, copy=None):
        out = self.gather()
        return out if dtype is None else out.astype(dtype, copy=False)


def _identity(v):
    return v


def _astype(v, dtype):
    return v.astype(dtype)


def _values(arg):
    """A task's argument with a vector's piece made an array (on the worker)."""
    if not (isinstance(arg, tuple) and len(arg) == 4 and arg[0] == _PIECE):
        return arg
    _, data, size, factor = arg
    if data is None:
        return np.full(size, factor)
    return data if factor == 1.0 else data * factor


def _task(func, args):
    return func(*[_values(a) for a in args])


def apply(func, *args, keep=False, shards=None, only=None, dtype=np.float64):
    """``func(*args)`` on each shard's worker, one task each.

    Each :class:`RowVector` among ``args`` stands for the shard's piece;
    ``shards`` (one per shard: a RowBlocks' shards) are passed first;
    ``only`` runs on that shard alone. Returns the results (small: reductions), or with
    ``keep=True`` a new RowVector of them (pieces that stay on the workers).
    """
    rows = next(a.rows for a in args if isinstance(a, RowVector))
    which = range(len(rows.index)) if only is None else [only]
    calls = []
    for k in which:
        call = [a.piece(k) if isinstance(a, RowVector) else a for a in args]
        calls.append(([] if shards is None else [shards[k]]) + call)
    if rows.client is None:
        results = [_task(func, c) for c in calls]
    else:
        tag = uuid.uuid4().hex[:12]
        name = getattr(func, "__name__", "apply").strip("_")
        results = [
            rows.client.submit(
                _task,
                func,
                tuple(c),
                workers=[rows.workers[k]],
                pure=False,
                key=f"sklik-{name}-{tag}-{k}",
            )
            for k, c in zip(which, calls)
        ]
        if not keep:
            return rows.client.gather(results)
        from distributed import wait

        wait(results)
    if keep:
        return RowVector(rows, results, dtype=dtype)
    return results


def map_rows(func, *args, dtype=np.float64) -> RowVector:
    """A new RowVector, ``func`` of the pieces, computed where they are."""
    return apply(func, *args, keep=True, dtype=dtype)


def _concatenate(*blocks):
    return np.concatenate(blocks) if len(blocks) != 1 else blocks[0]


def place(rows, v) -> RowVector:
    """An n-vector (numpy or dask, 1-D) split by the shards of ``rows``."""
    from sklik.backends._dask import is_dask_array

    dtype = v.dtype
    if is_dask_array(v):
        v = v.rechunk((tuple(rows.sizes),))
        blocks = v.to_delayed().ravel()
        if rows.client is None:
            import dask

            computed = dask.compute(*blocks)
            data = [_concatenate(*(computed[i] for i in idx)) for idx in rows.index]
            return RowVector(rows, data, dtype=dtype)
        from dask import delayed

        parts = [delayed(_concatenate)(*(blocks[i] for i in idx)) for idx in rows.index]
        data = [
            rows.client.compute(part, workers=[w])
            for part, w in zip(parts, rows.workers)
        ]
    else:
        edges = rows.edges
        pieces = [[v[edges[i] : edges[i + 1]] for i in idx] for idx in rows.index]
        if rows.client is None:
            data = [_concatenate(*p) for p in pieces]
            return RowVector(rows, data, dtype=dtype)
        client, tag = rows.client, uuid.uuid4().hex[:12]
        data = []
        for k, (p, w) in enumerate(zip(pieces, rows.workers)):
            scattered = client.scatter(p, workers=[w], hash=False)
            data.append(
                client.submit(
                    _concatenate,
                    *scattered,
                    workers=[w],
                    pure=False,
                    key=f"sklik-place-{tag}-{k}",
                )
            )
    from distributed import wait

    wait(data)
    return RowVector(rows, data, dtype=dtype)


def as_row_vector(rows, v) -> RowVector:
    """``v`` as a RowVector of these rows (placed there if it is not one yet)."""
    from sklik.backends._dask import is_dask_array

    if isinstance(v, RowVector):
        return v
    return place(rows, v if is_dask_array(v) else np.asarray(v))
