"""Exact weighted LAD: the LP formulations timed side by side.

Run from the repository root::

    PYTHONPATH=. python benchmarks/bench_lad.py              # n = 1e3, 1e4, 1e5
    PYTHONPATH=. python benchmarks/bench_lad.py --n 1000 --p 5 20
    PYTHONPATH=. python benchmarks/bench_lad.py --tools dual weighted_lad

On seeded heteroscedastic Laplace data (y = Xβ + 1 + σᵢεᵢ, σᵢ = exp(xᵢ₀/2),
weights sᵢ = 1/σᵢ: the Laplace location's weighted LAD) it times

- ``primal``: ``linprog(method="highs")`` on (w, b, u⁺, u⁻), n equality rows;
- ``dual``: ``linprog(method="highs")`` on max Σ yᵢdᵢ, Xᵀd = 0, Σd = 0,
  |dᵢ| ≤ sᵢ (p + 1 rows), coefficients = −``eqlin.marginals``, as is;
- ``weighted_lad``: sklik's (the dual, standardised, cost-shifted, with
  Portnoy-Koenker globs above 5000 rows, polished and verified);
- ``sklearn``: ``QuantileRegressor(quantile=0.5, alpha=0, solver="highs")``
  (scikit-learn's own primal LP).

HiGHS is serial; BLAS runs at ``--threads`` (default 1: on a shared 2-core
machine OpenBLAS's threads made sklik's O(np²) steps 10x slower). Slow
solves stop at HiGHS's ``time_limit`` (``--limit``, default 300 s),
shown as ">limit". Each time is the best of up to 5 runs within 5 s. The
"rel. objective" columns are (f − f_best) / f_best.
"""

import argparse
import time
import warnings

import numpy as np
import scipy.sparse as sp
from scipy.optimize import linprog
from sklearn.linear_model import QuantileRegressor
from threadpoolctl import threadpool_limits

from sklik.solvers._lad import weighted_lad


def data(n, p, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, p)) * np.logspace(-1, 1, p)
    sigma = np.exp(0.5 * X[:, 0] / X[:, 0].std())
    y = X @ rng.standard_normal(p) + 1.0 + sigma * rng.laplace(size=n)
    return X, y, 1.0 / sigma


def primal(X, y, s, limit):
    n, p = X.shape
    A = sp.hstack(
        [sp.csr_array(X), np.ones((n, 1)), sp.eye_array(n), -sp.eye_array(n)],
        format="csc",
    )
    c = np.concatenate([np.zeros(p + 1), s, s])
    bounds = [(None, None)] * (p + 1) + [(0, None)] * (2 * n)
    res = linprog(
        c, A_eq=A, b_eq=y, bounds=bounds, method="highs", options={"time_limit": limit}
    )
    return (res.x[:p], res.x[p]) if res.status == 0 else None


def dual(X, y, s, limit):
    n, p = X.shape
    A = sp.csc_array(np.vstack([X.T, np.ones(n)]))
    res = linprog(
        -y,
        A_eq=A,
        b_eq=np.zeros(p + 1),
        bounds=np.column_stack([-s, s]),
        method="highs",
        options={"time_limit": limit},
    )
    if res.status != 0:
        return None
    beta = -res.eqlin.marginals
    return beta[:p], beta[p]


def sklik_lad(X, y, s, limit):
    res = weighted_lad(X, y, s)
    return res.coef, res.intercept


def sklearn_qr(X, y, s, limit):
    qr = QuantileRegressor(
        quantile=0.5, alpha=0.0, solver="highs", solver_options={"time_limit": limit}
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        try:
            qr.fit(X, y, sample_weight=s)
        except Warning:  # ConvergenceWarning: the time limit was hit
            return None
    return qr.coef_, qr.intercept_


TOOLS = {
    "primal": primal,
    "dual": dual,
    "weighted_lad": sklik_lad,
    "sklearn": sklearn_qr,
}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, nargs="+", default=[1000, 10_000, 100_000])
    parser.add_argument("--p", type=int, nargs="+", default=[5, 20, 50])
    parser.add_argument("--limit", type=float, default=300.0)
    parser.add_argument("--threads", type=int, default=1, help="BLAS threads")
    parser.add_argument("--tools", nargs="+", choices=list(TOOLS), default=list(TOOLS))
    args = parser.parse_args(argv)
    with threadpool_limits(args.threads):
        run(args)


def run(args):
    names = args.tools
    print(
        "| n | p | "
        + " | ".join(f"{t} (s)" for t in names)
        + " | "
        + " | ".join(f"{t} rel. objective" for t in names)
        + " |"
    )
    print("|---" * (2 + 2 * len(names)) + "|")
    for n in args.n:
        for p in args.p:
            X, y, s = data(n, p)
            times, objectives = {}, {}
            for name in names:
                tool = TOOLS[name]
                best, out, spent = np.inf, None, 0.0
                for _ in range(5):
                    start = time.perf_counter()
                    out = tool(X, y, s, args.limit)
                    elapsed = time.perf_counter() - start
                    best, spent = min(best, elapsed), spent + elapsed
                    if out is None or spent > 5.0:
                        break
                times[name] = best if out is not None else None
                if out is not None:
                    objectives[name] = float(s @ np.abs(y - X @ out[0] - out[1]))
            f_best = min(objectives.values())
            cells = [">limit" if times[t] is None else f"{times[t]:.3g}" for t in names]
            cells += [
                f"{(objectives[t] - f_best) / f_best:.1e}" if t in objectives else "-"
                for t in names
            ]
            print(f"| {n} | {p} | " + " | ".join(cells) + " |", flush=True)


if __name__ == "__main__":
    main()
