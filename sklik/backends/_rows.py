"""RowBlocks: the rows of a dask array X where they live, one shard per worker."""

import uuid

import numpy as np

from sklik.backends._shard import Shard, call
from sklik.backends._target import apply, as_row_vector

#: Most values of X one step may gather into this process (the separation
#: LP's samples, which it takes only when the LP is small): 32 MB.
MAX_GATHERED = 1 << 22


class RowsNotGathered(ValueError):
    """A step needs all rows of a dask X in one place; sklik does not gather them."""


def active_client():
    """The active ``dask.distributed`` client, or None: dask's default scheduler.

    None also where dask's configuration names a local scheduler
    (``dask.config.set(scheduler="threads")``, say) while a client exists.
    """
    try:
        from distributed import default_client
    except ImportError:
        return None
    import dask

    if dask.config.get("scheduler", None) not in (None, "dask.distributed"):
        return None
    try:
        return default_client()
    except ValueError:
        return None


def _not_gathered(what):
    return RowsNotGathered(
        f"X is a dask array whose rows stay where they live (the dask workers): "
        f"{what} needs all of them in one place, and sklik does not gather X. "
        "This is the case of the exact least squares of a rank-deficient or "
        "ill-conditioned design (pass solver='newton'), of the Laplace family's "
        "exact LAD fit (pass solver='lbfgs') and of summary(); compute X into "
        "memory (X.compute()) for them."
    )


class RowBlocks:
    """The rows of X, persisted once on the workers that hold them.

    Each worker holding row chunks of X gets one :class:`Shard` of them (the
    chunks themselves, no copy); every pass over X is one task per shard
    (:meth:`run`), which sends its arguments out and p-sized sums back.
    Without a ``dask.distributed`` client, dask's default scheduler computes
    the chunks into this process once, and the passes run here.

    For the code that reads X through numpy's ``@`` (the model's forward
    and backward products, which the least-squares closed form uses) it
    supports ``X @ W`` and ``V @ X``, each one pass (an n-vector travels then,
    never X); any other use of all rows raises :class:`RowsNotGathered`.
    """

    ndim = 2
    dtype = np.dtype(np.float64)

    def __init__(self, shards, index, workers, sizes, client, n_features):
        self.shards, self.index, self.workers = shards, index, workers
        self.sizes, self.client = sizes, client
        self.shape = (int(sum(sizes)), int(n_features))
        self.edges = np.cumsum([0, *sizes])
        self._column_max = None

    @classmethod
    def persist(cls, X) -> "RowBlocks":
        """Persist a validated dask array X (float64, one column chunk) by rows."""
        client = active_client()
        sizes = tuple(int(s) for s in X.chunks[0])
        if client is None:
            import dask

            blocks = dask.compute(*X.to_delayed().ravel())
            index = [i for i, size in enumerate(sizes) if size]
            shard = Shard(index, [blocks[i] for i in index])
            return cls([shard], [index], [None], sizes, None, X.shape[1])
        from distributed import futures_of, wait

        persisted = client.persist(X)
        wait(persisted)
        futures = {future.key: future for future in futures_of(persisted)}
        keys = [row[0] for row in persisted.__dask_keys__()]
        who = client.who_has(list(futures.values()))
        by_worker = {}
        for i, key in enumerate(keys):
            if sizes[i]:
                by_worker.setdefault(who[key][0], []).append(i)
        workers = sorted(by_worker)
        index = [by_worker[w] for w in workers]
        shards = [
            client.submit(
                Shard, idx, [futures[keys[i]] for i in idx], workers=[w], pure=False
            )
            for idx, w in zip(index, workers)
        ]
        wait(shards)
        # The shards hold the chunks: dask may forget its own references now.
        return cls(shards, index, workers, sizes, client, X.shape[1])

    def __len__(self) -> int:
        return self.shape[0]

    def __repr__(self) -> str:
        where = (
            "this process" if self.client is None else f"{len(self.workers)} workers"
        )
        return f"RowBlocks(shape={self.shape}, blocks={len(self.sizes)}, on {where})"

    # -- the passes ---------------------------------------------------------------
    def pieces(self, v):
        """Each shard's rows of an n-vector (or of the last axis of an array)."""
        v = np.asarray(v)
        return [
            np.concatenate(
                [v[..., self.edges[i] : self.edges[i + 1]] for i in idx], axis=-1
            )
            for idx in self.index
        ]

    def run(self, method, *args, shards=None, pieces=None, only=None) -> list:
        """``shard.method(piece, *args)`` on every shard, one task each.

        ``pieces`` (one per shard) travel to the shard's worker first;
        ``shards`` defaults to the X shards (a fit passes its bound ones);
        ``only`` runs on that shard alone.
        """
        shards = self.shards if shards is None else shards
        workers = self.workers
        if only is not None:
            shards, workers = [shards[only]], [workers[only]]
        if pieces is None:
            arguments = [args] * len(shards)
        else:
            arguments = [(piece, *args) for piece in pieces]
        if self.client is None:
            return [call(s, method, a) for s, a in zip(shards, arguments)]
        client = self.client
        if pieces is not None:
            arguments = [
                (client.scatter(a[0], workers=[w], hash=False), *a[1:])
                for a, w in zip(arguments, workers)
            ]
        tag = uuid.uuid4().hex[:12]
        futures = [
            client.submit(
                call,
                shard,
                method,
                a,
                workers=[w],
                pure=False,
                key=f"sklik-{method}-{tag}-{k}",
            )
            for k, (shard, a, w) in enumerate(zip(shards, arguments, workers))
        ]
        return client.gather(futures)

    def bind(self, y, w, dist, model, eta_offset, n_cached) -> list:
        """One :class:`FitShard` per worker, holding its rows of y and w.

        y and w are :class:`~sklik.backends._target.RowVector` (their pieces
        are on the workers already) or numpy vectors (placed first).
        """
        y, w = as_row_vector(self, y), as_row_vector(self, w)
        args = (dist, model, eta_offset, n_cached)
        return apply(_bind, y, w, *args, shards=self.shards, keep=True).data

    # -- column statistics -----------------------------------------------------------
    def column_max_abs(self) -> np.ndarray:
        """max |x| per column (NaN where X has a NaN), one pass, remembered."""
        if self._column_max is None:
            self._column_max = np.max(self.run("column_max_abs"), axis=0)
        return self._column_max

    def weighted_moments(self, w, center):
        """Weighted mean (or 0) and root-mean-square deviation per column.

        ``w`` (summing to one) is a RowVector on the workers, or numpy.
        """
        w = as_row_vector(self, w)
        if center:
            offset = sum(apply(_weighted_sum, w, shards=self.shards))
        else:
            offset = np.zeros(self.shape[1])
        deviation = apply(_square_deviation, w, offset, shards=self.shards)
        return offset, np.sqrt(sum(deviation))

    def divided(self, factors) -> "RowBlocks":
        """X with each column divided by its factor (new blocks on the workers)."""
        if self.client is None:
            shards = [s.divided(factors) for s in self.shards]
        else:
            shards = [
                self.client.submit(call, s, "divided", (factors,), workers=[w])
                for s, w in zip(self.shards, self.workers)
            ]
        rows = RowBlocks(
            shards, self.index, self.workers, self.sizes, self.client, self.shape[1]
        )
        if self._column_max is not None:
            rows._column_max = self._column_max / factors
        return rows

    # -- numpy's @ -----------------------------------------------------------------
    def matmul(self, W) -> np.ndarray:
        """X @ W, gathered: one row of the product per row of X."""
        W = np.asarray(W, dtype=np.float64)
        out = np.empty((self.shape[0], *W.shape[1:]))
        for part in self.run("matmul", W):
            for i, product in part:
                out[self.edges[i] : self.edges[i + 1]] = product
        return out

    def rmatmul(self, V) -> np.ndarray:
        """V @ X for V of shape (..., n_samples): each shard's rows of V travel."""
        return sum(self.run("rmatmul", pieces=self.pieces(np.asarray(V, float))))

    def take(self, rows) -> np.ndarray:
        """X[rows] for a few rows (at most ``MAX_GATHERED`` values)."""
        rows = np.asarray(rows)
        if rows.dtype == bool:
            rows = np.flatnonzero(rows)
        if rows.size * self.shape[1] > MAX_GATHERED:
            raise _not_gathered(f"taking {rows.size} rows of X")
        shard_of = np.zeros(len(self.sizes), dtype=int)
        local_start = np.zeros(len(self.sizes), dtype=int)
        for s, idx in enumerate(self.index):
            shard_of[idx] = s
            local_start[idx] = np.cumsum([0, *[self.sizes[i] for i in idx[:-1]]])
        block = np.searchsorted(self.edges, rows, side="right") - 1
        out = np.empty((len(rows), self.shape[1]))
        for s in np.unique(shard_of[block]):
            here = shard_of[block] == s
            local = local_start[block[here]] + rows[here] - self.edges[block[here]]
            (out[here],) = self.run("take", local, only=s)
        return out

    def __matmul__(self, other):
        return self.matmul(other)

    def __rmatmul__(self, other):
        return self.rmatmul(other)

    def __array_ufunc__(self, ufunc, method, *inputs, out=None, **kwargs):
        if ufunc is np.matmul and method == "__call__" and len(inputs) == 2:
            a, b = inputs
            result = self.matmul(b) if a is self else self.rmatmul(a)
            if out is not None:
                out[0][...] = result
                return out[0]
            return result
        raise _not_gathered(f"numpy's {ufunc.__name__}")

    def __array__(self, dtype=None, copy=None):
        raise _not_gathered("converting X to a numpy array")

    def __getitem__(self, index):
        if isinstance(index, np.ndarray) and index.ndim == 1:
            return self.take(index)
        raise _not_gathered(f"X[{index!r}]")


def _bind(shard, y, w, dist, model, eta_offset, n_cached):
    return shard.bind(y, w, dist, model, eta_offset, n_cached)


def _weighted_sum(shard, w):
    return shard.weighted_sum(w)


def _square_deviation(shard, w, offset):
    return shard.weighted_square_deviation(w, offset)
