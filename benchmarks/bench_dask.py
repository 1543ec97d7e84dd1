"""Logistic regression on a dask cluster: sklik against dask-glm (issue 13).

Run from the repository root::

    PYTHONPATH=. python benchmarks/bench_dask.py                  # ~10 minutes
    PYTHONPATH=. python benchmarks/bench_dask.py --n 2e6 1e7      # a larger n too
    PYTHONPATH=. python benchmarks/bench_dask.py --quick          # a smoke run
    PYTHONPATH=. python benchmarks/bench_dask.py --parts out_of_core

(with ``OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1`` for the client; the
workers' BLAS threads are set by the script).

Two parts, results in ``benchmarks/results-dask.json``:

1. **On a cluster.** A ``LocalCluster`` of 2 worker processes (one thread
   each; BLAS threads per worker 1, then 2, set by threadpoolctl on the
   workers), X (n × 20, seeded, made on the workers) persisted once there.
   Fitted by sklik's ``BernoulliNLLClassifier`` (Newton, and L-BFGS) and
   by dask-glm's ``newton`` and ``lbfgs`` (the algorithms dask-ml's
   ``LogisticRegression`` runs; unpenalised, a column of ones for the
   intercept, their defaults otherwise; ``pip install dask-ml dask-glm``).
   Each tool's answer is scored by its relative objective gap
   (f − f*) / |f*| of the mean NLL, f* from scikit-learn's
   ``newton-cholesky`` on the same rows in memory (tol 1e-12). Reported:
   the median time over repeats (sklik's Newton 3, the others 1: they are
   slower, and a shared machine's load varies more than that), the gap,
   the rounds of tasks (round trips to the workers) and the passes over X
   per fit, the time per round, the workers' peak memory per fit.
   dask-glm builds a fresh dask graph per evaluation (the baseline the
   issue calls ~30x slower per evaluation than one task per worker).
2. **Out of core.** X of 1e7 × 20 (1.6 GB) written to an ``.npy`` file on
   disk in chunks, read lazily by dask (``da.from_array`` over a picklable
   memmap reader, row chunks), fitted by sklik on the cluster in a fresh
   process that measures its own peak RSS (``resource.ru_maxrss``) and the
   workers'.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
from distributed.diagnostics.plugin import SchedulerPlugin

P = 20
CHUNK_ROWS = 250_000
HERE = Path(__file__).resolve().parent


# -- data ---------------------------------------------------------------------------
def make_block(seed, rows, p=P):
    """One block of rows of the design and its 0/1 target (seeded by block).

    Correlated columns (AR(1), ρ = 0.8) of unequal scales and non-zero
    means: standardising the columns does not make the problem spherical,
    so first-order methods need more than a handful of iterations.
    """
    rng = np.random.default_rng(seed)
    lags = np.abs(np.subtract.outer(np.arange(p), np.arange(p)))
    root = np.linalg.cholesky(0.8**lags)
    scale, mean = np.linspace(0.5, 2.0, p), np.linspace(-1.0, 1.0, p)
    X = (rng.normal(size=(rows, p)) @ root.T) * scale + mean
    beta = np.linspace(-0.4, 0.4, p) / scale
    z = 0.3 + (X - mean) @ beta
    y = (rng.uniform(size=rows) < 1.0 / (1.0 + np.exp(-z))).astype(np.float64)
    return X, y


def _block_X(seed, rows):
    return make_block(seed, rows)[0]


def _block_y(seed, rows):
    return make_block(seed, rows)[1]


def _starts(n):
    return list(enumerate(range(0, n, CHUNK_ROWS)))


def make_dask_data(n):
    """The same rows as :func:`make_data`, made on the workers block by block."""
    import dask
    import dask.array as da

    Xs, ys = [], []
    for k, a in _starts(n):
        rows = min(CHUNK_ROWS, n - a)
        Xs.append(da.from_delayed(dask.delayed(_block_X)(k, rows), (rows, P), float))
        ys.append(da.from_delayed(dask.delayed(_block_y)(k, rows), (rows,), float))
    return da.concatenate(Xs), da.concatenate(ys)


def make_data(n):
    blocks = [
        make_block(k, min(CHUNK_ROWS, n - a))
        for k, a in enumerate(range(0, n, CHUNK_ROWS))
    ]
    return np.concatenate([b[0] for b in blocks]), np.concatenate(
        [b[1] for b in blocks]
    )


def mean_nll(X, y, coef, intercept):
    """Mean logistic NLL, computed here (independent of every tool)."""
    total = 0.0
    for a in range(0, len(X), CHUNK_ROWS):
        z = X[a : a + CHUNK_ROWS] @ coef + intercept
        total += float(np.sum(np.logaddexp(0.0, z) - y[a : a + CHUNK_ROWS] * z))
    return total / len(X)


def reference(X, y):
    from sklearn.linear_model import LogisticRegression

    ref = LogisticRegression(
        C=np.inf, solver="newton-cholesky", tol=1e-12, max_iter=100
    )
    ref.fit(X, y)
    return mean_nll(X, y, ref.coef_.ravel(), ref.intercept_[0])


# -- counting rounds ----------------------------------------------------------------
class Rounds:
    """Counts sklik's rounds of one task per worker (and the objective's passes).

    The rounds of :meth:`RowBlocks.run` and of the column statistics and
    binding (``_rows.apply``) are X's; those of ``_target``/``_target_stats``
    read y and the weights only (their checks, labels and reductions).
    """

    def __init__(self):
        import sklik._base
        from sklik.backends import RowBlocks, _rows, _target, _target_stats

        self.rounds, self.target_rounds, self.objectives = 0, 0, []
        run, make = RowBlocks.run, sklik._base.make_objective

        def counted_run(rows, *args, **kwargs):
            self.rounds += 1
            return run(rows, *args, **kwargs)

        def counted(apply, target):
            def counted_apply(*args, **kwargs):
                if target:
                    self.target_rounds += 1
                else:
                    self.rounds += 1
                return apply(*args, **kwargs)

            return counted_apply

        def kept_objective(*args, **kwargs):
            self.objectives.append(make(*args, **kwargs))
            return self.objectives[-1]

        RowBlocks.run, sklik._base.make_objective = counted_run, kept_objective
        _rows.apply = counted(_rows.apply, False)
        _target.apply = counted(_target.apply, True)
        _target_stats.apply = counted(_target_stats.apply, True)

    def sklik_counts(self):
        """Round trips and passes over X of the last sklik fit.

        Every round on X outside the objective reads X (the columns'
        statistics) but binding y and the weights to the workers' shards;
        the objective counts its own passes (a Hessian at the point just
        evaluated reads no X).
        """
        objective = self.objectives[-1]
        setup = self.rounds - objective.round_trips - 1  # (less the binding)
        return {
            "round_trips": self.rounds + self.target_rounds,
            "passes_over_X": setup + objective.passes,
            "rounds_on_y_and_weights": self.target_rounds,
            "objective_round_trips": objective.round_trips,
            "objective_passes": objective.passes,
        }

    def reset(self):
        self.rounds, self.target_rounds, self.objectives = 0, 0, []


# -- the tools ----------------------------------------------------------------------
def fit_sklik(solver):
    from sklik import BernoulliNLLClassifier

    def fit(Xd, yd, Xd1):
        clf = BernoulliNLLClassifier(solver=solver).fit(Xd, yd)
        return clf.coef_.ravel(), clf.intercept_[0]

    return fit


def fit_dask_glm(name):
    from dask_glm import algorithms

    def fit(Xd, yd, Xd1):
        beta = getattr(algorithms, name)(Xd1, yd)
        return beta[:-1], beta[-1]

    return fit


TOOLS = {
    "sklik newton": fit_sklik("newton"),
    "sklik lbfgs": fit_sklik("lbfgs"),
    "dask-glm newton": fit_dask_glm("newton"),
    "dask-glm lbfgs": fit_dask_glm("lbfgs"),
}


def set_blas_threads(n):
    """Set (and report) the BLAS threads of a worker process."""
    from threadpoolctl import threadpool_info, threadpool_limits

    threadpool_limits(n)  # global in the worker process, until set again
    return [d["num_threads"] for d in threadpool_info() if d["user_api"] == "blas"]


def bench_cluster(n, repeats, peer_repeats, threads_list):
    import dask.array as da
    import distributed
    from threadpoolctl import threadpool_limits

    X, y = make_data(n)
    f_star = reference(X, y)
    out = {"n": n, "p": P, "f_star": f_star, "runs": []}
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0"
        ) as cluster,
        distributed.Client(cluster) as client,
        threadpool_limits(1),  # (the client's own BLAS: the Newton steps, p×p)
    ):
        client.register_plugin(CountGraphs())
        Xd, yd = client.persist(make_dask_data(n))
        ones = da.ones((n, 1), chunks=(CHUNK_ROWS, 1))
        Xd1 = client.persist(da.concatenate([Xd, ones], axis=1))
        distributed.wait([Xd, Xd1, yd])
        client.run(_import_sklik)
        out["worker_rss_before_fits_mb"] = sorted(client.run(_rss_mb).values())
        rounds = Rounds()
        for threads in threads_list:
            blas = client.run(set_blas_threads, threads)
            out.setdefault("worker_blas_threads", []).append(sorted(blas.values()))
            for name, fit in TOOLS.items():
                times = []
                # the headline (sklik's default solver) is timed `repeats` times;
                # the other tools, 3 to 10 times slower, `peer_repeats` times
                for _ in range(repeats if name == "sklik newton" else peer_repeats):
                    rounds.reset()
                    client.run(_reset_peak_rss)
                    before = client.run(_rss_mb)
                    graphs = client.run_on_scheduler(_graphs)
                    with warnings.catch_warnings():
                        warnings.simplefilter("ignore")
                        start = time.perf_counter()
                        coef, intercept = fit(Xd, yd, Xd1)
                        times.append(time.perf_counter() - start)
                    graphs = client.run_on_scheduler(_graphs) - graphs
                    peaks = client.run(_peak_rss_mb)
                f = mean_nll(X, y, coef, intercept)
                run = {
                    "tool": name,
                    "blas_threads_per_worker": threads,
                    "seconds_median": float(np.median(times)),
                    "seconds": times,
                    "gap": (f - f_star) / abs(f_star),
                    "load_average_1min": os.getloadavg()[0],  # (a shared machine)
                    # the last fit's peak per worker above its memory before it
                    # (X persisted, its share of X included)
                    "worker_peak_above_before_mb": sorted(
                        peaks[w] - before[w] for w in peaks
                    ),
                }
                if name.startswith("sklik"):
                    run.update(rounds.sklik_counts())
                else:  # (each evaluation: one graph, one round trip)
                    run["round_trips"] = graphs
                run["seconds_per_round_trip"] = (
                    run["seconds_median"] / run["round_trips"]
                )
                out["runs"].append(run)
                print(json.dumps(run), flush=True)
        out["worker_peak_rss_mb"] = sorted(client.run(_peak_rss_mb).values())
    out["X_mb"] = X.nbytes / 2**20
    return out


def _status_mb(field):
    """A field of /proc/self/status in MB (VmHWM: this process image's peak)."""
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    return float("nan")


def _peak_rss_mb():
    return _status_mb("VmHWM")


def _rss_mb():
    return _status_mb("VmRSS")


def _reset_peak_rss():
    """Reset this process's VmHWM to its current RSS (Linux clear_refs "5")."""
    with open("/proc/self/clear_refs", "w") as fh:
        fh.write("5")


def _import_sklik():
    import sklik  # noqa: F401  (the workers' baseline memory includes it)


class CountGraphs(SchedulerPlugin):
    """A scheduler plugin counting the graphs clients submit (round trips)."""

    name = "count-graphs"

    def __init__(self):
        self.n = 0

    def update_graph(self, scheduler, **kwargs):
        self.n += 1


def _graphs(dask_scheduler):
    return dask_scheduler.plugins["count-graphs"].n


# -- out of core --------------------------------------------------------------------
class NpyRows:
    """The rows of an ``.npy`` file, read on demand (pickles as its path)."""

    def __init__(self, path):
        self.path = str(path)
        m = np.load(self.path, mmap_mode="r")
        self.shape, self.dtype, self.ndim = m.shape, m.dtype, m.ndim

    def __getitem__(self, index):
        return np.array(np.load(self.path, mmap_mode="r")[index])


def write_npy(directory, n):
    """X and y in .npy files, written a block of rows at a time."""
    x_path, y_path = Path(directory) / "X.npy", Path(directory) / "y.npy"
    Xm = np.lib.format.open_memmap(x_path, mode="w+", dtype=np.float64, shape=(n, P))
    ym = np.lib.format.open_memmap(y_path, mode="w+", dtype=np.float64, shape=(n,))
    for k, a in enumerate(range(0, n, CHUNK_ROWS)):
        Xm[a : a + CHUNK_ROWS], ym[a : a + CHUNK_ROWS] = make_block(
            k, min(CHUNK_ROWS, n - a)
        )
    Xm.flush()
    ym.flush()
    del Xm, ym
    return x_path, y_path


def out_of_core_child(x_path, y_path):
    """In a fresh process: fit from the files, report peak RSS of all parties."""
    import dask.array as da
    import distributed

    from sklik import BernoulliNLLClassifier

    base = _rss_mb()
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0"
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        Xd = da.from_array(NpyRows(x_path), chunks=(CHUNK_ROWS, P))
        yd = da.from_array(NpyRows(y_path), chunks=CHUNK_ROWS)
        client.run(_import_sklik)
        workers_before = sorted(client.run(_rss_mb).values())
        rounds = Rounds()
        start = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            clf = BernoulliNLLClassifier().fit(Xd, yd)
        seconds = time.perf_counter() - start
        workers = sorted(client.run(_peak_rss_mb).values())
        rows = rounds.objectives[-1].X
        share = [sum(rows.sizes[i] for i in idx) * P * 8 / 2**20 for idx in rows.index]
        result = {
            "n": int(Xd.shape[0]),
            "p": P,
            "X_on_disk_mb": Xd.nbytes / 2**20,
            "seconds": seconds,
            "n_iter": int(clf.n_iter_),
            **rounds.sklik_counts(),
            "client_peak_rss_mb": _peak_rss_mb(),
            "client_rss_after_imports_mb": base,
            "worker_rss_before_fit_mb": workers_before,
            "worker_peak_rss_mb": workers,
            "worker_share_of_X_mb": sorted(share),
            "nll": clf.nll(Xd, yd),
        }
    print("RESULT " + json.dumps(result), flush=True)


def bench_out_of_core(n):
    with tempfile.TemporaryDirectory(dir="/tmp") as directory:
        start = time.perf_counter()
        x_path, y_path = write_npy(directory, n)
        written = time.perf_counter() - start
        env = dict(
            os.environ,
            PYTHONPATH=str(HERE.parent),
            OMP_NUM_THREADS="1",
            OPENBLAS_NUM_THREADS="1",
        )
        proc = subprocess.run(
            [sys.executable, __file__, "--child", str(x_path), str(y_path)],
            capture_output=True,
            text=True,
            env=env,
            check=True,
        )
        line = [ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT ")][-1]
        result = json.loads(line[len("RESULT ") :])
        result["write_seconds"] = written
        print(json.dumps(result), flush=True)
        return result


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=float, nargs="+", default=[2e6])
    parser.add_argument("--oocore-n", type=float, default=1e7)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--peer-repeats", type=int, default=1)
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument(
        "--parts",
        nargs="+",
        default=["cluster", "out_of_core"],
        help="run these parts only; the others' results are kept from --json",
    )
    parser.add_argument("--json", default=str(HERE / "results-dask.json"))
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        return out_of_core_child(*args.child)
    if args.quick:
        args.n, args.oocore_n, args.repeats, args.threads = [2e5], 1e6, 1, [1]
    import dask
    import dask_glm
    import distributed
    import sklearn

    import sklik

    path = Path(args.json)
    results = json.loads(path.read_text()) if path.exists() else {}
    results["versions"] = {
        "sklik": sklik.__version__,
        "dask": dask.__version__,
        "distributed": distributed.__version__,
        "dask_glm": dask_glm.__version__,
        "numpy": np.__version__,
        "scikit-learn": sklearn.__version__,
    }
    if "cluster" in args.parts:
        results["cluster_command"] = " ".join(sys.argv)
        results["cluster"] = [
            bench_cluster(int(n), args.repeats, args.peer_repeats, args.threads)
            for n in args.n
        ]
    if "out_of_core" in args.parts:
        results["out_of_core_command"] = " ".join(sys.argv)
        results["out_of_core"] = bench_out_of_core(int(args.oocore_n))
    path.write_text(json.dumps(results, indent=1) + "\n")


if __name__ == "__main__":
    main()
