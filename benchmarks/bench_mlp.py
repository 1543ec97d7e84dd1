"""Fit times of sklik's network and scikit-learn's MLP at equal L-BFGS iterations.

Run from the repository root::

    PYTHONPATH=. python benchmarks/bench_mlp.py            # every case, ~10 min
    PYTHONPATH=. python benchmarks/bench_mlp.py --quick    # n = 5000 only
    PYTHONPATH=. python benchmarks/bench_mlp.py --report benchmarks/results-mlp.json

For each case (the same architecture, relu, the same data and the same number
``k`` of L-BFGS iterations for both tools) and for BLAS at 1 and 2 threads
(threadpoolctl), the script fits each tool once (warm-up; its held-out score
is reported), then times the tools interleaved (A B A B …) for ``--rounds``
rounds, each timed fit after a 0.25 s pause (OpenBLAS threads spin for a
while after a call). It reports the median times and the median of the
per-round ratios sklik / scikit-learn (of wall-clock and of CPU time: the
latter is steadier on a loaded machine), and checks that both fits really ran
``k`` iterations (``n_iter_``).

The objectives:

- regression: ``MLPRegressor(solver="lbfgs", tol=0)`` minimises the mean of
  squared error / 2 plus ``alpha / (2 n)`` · ‖W‖²; sklik's
  ``GaussianNLLRegressor(model=MLP(...))`` (homoscedastic: σ is a fitted
  constant) minimises the mean Gaussian NLL plus ``(alpha / n) / 2`` · ‖W‖²,
  the same objective for the mean up to σ. scikit-learn gets standardised X
  (sklik standardises inside its model, within the timed fit);
- classification (``make_moons``): ``MLPClassifier`` and
  ``BernoulliNLLClassifier``, both the mean log loss plus the same penalty.

sklik gets ``tol=1e-300`` and ``n_iter_no_change = k + 1`` so that no stopping
rule fires before ``max_iter = k``; scikit-learn gets ``tol=0``.
"""

import argparse
import json
import os
import platform
import time
import warnings
from pathlib import Path

import numpy as np
import scipy
import sklearn
from sklearn.base import clone
from sklearn.datasets import make_moons
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import log_loss, r2_score
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_info, threadpool_limits

import sklik
from sklik import BernoulliNLLClassifier, GaussianNLLRegressor
from sklik.models import MLP

#: The pause before each timed fit, in seconds (spinning BLAS threads).
PAUSE_S = 0.25
#: scikit-learn's MLP penalty (per-sample-sum scale); sklik gets ALPHA / n.
ALPHA = 1e-4
RESULTS = Path(__file__).with_name("results-mlp.json")


def regression_data(n, p=10, seed=0):
    """A smooth non-linear mean with interactions, noise sd 0.3; n train + 5000 test."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n + 5000, p))
    mean = np.sin(2 * X[:, 0]) + X[:, 1] * X[:, 2] + 0.5 * np.tanh(X[:, 3] + X[:, 4])
    y = mean + 0.3 * rng.standard_normal(n + 5000)
    return X[:n], y[:n], X[n:], y[n:]


def moons_data(n, seed=0):
    """``make_moons(noise=0.3)``: n train + 5000 test rows."""
    X, y = make_moons(n + 5000, noise=0.3, random_state=seed)
    return X[:n], y[:n].astype(np.float64), X[n:], y[n:].astype(np.float64)


def make_case(kind, n, sizes, k):
    """The data and the two estimators (unfitted) of one case."""
    regression = kind == "regression"
    Xtr, ytr, Xte, yte = (regression_data if regression else moons_data)(n)
    Peer = MLPRegressor if regression else MLPClassifier
    Ours = GaussianNLLRegressor if regression else BernoulliNLLClassifier
    peer = Peer(
        hidden_layer_sizes=sizes,
        solver="lbfgs",
        max_iter=k,
        tol=0.0,
        alpha=ALPHA,
        random_state=0,
    )
    ours = Ours(
        model=MLP(sizes, "relu", random_state=0, n_iter_no_change=k + 1),
        max_iter=k,
        tol=1e-300,
        alpha=ALPHA / n,
    )
    scaler = StandardScaler().fit(Xtr)
    data = {
        "ours": (Xtr, ytr, Xte, yte),
        "peer": (scaler.transform(Xtr), ytr, scaler.transform(Xte), yte),
    }
    return data, {"ours": ours, "peer": peer}


def held_out(kind, est, Xte, yte):
    """R² (regression) or log loss (classification) on the test rows."""
    if kind == "regression":
        return float(r2_score(yte, est.predict(Xte)))
    return float(log_loss(yte, est.predict_proba(Xte)[:, 1]))


def fit_seconds(est, X, y):
    """Wall-clock and CPU (all threads of this process) seconds of one fit."""
    time.sleep(PAUSE_S)
    start, cpu = time.perf_counter(), time.process_time()
    est.fit(X, y)
    return time.perf_counter() - start, time.process_time() - cpu


def seed_scores(kind, ests, data, seeds):
    """Held-out scores of fits from the starts ``random_state`` = 1 … seeds - 1."""
    scores = {tool: [] for tool in ests}
    for seed in range(1, seeds):
        for tool, est in ests.items():
            est = clone(est)
            if tool == "ours":
                est.set_params(model__random_state=seed)
            else:
                est.set_params(random_state=seed)
            Xtr, ytr, Xte, yte = data[tool]
            scores[tool].append(held_out(kind, est.fit(Xtr, ytr), Xte, yte))
    return scores


def run_case(kind, n, sizes, k, threads, rounds, seeds=1):
    data, ests = make_case(kind, n, sizes, k)
    out = {
        "kind": kind,
        "n": n,
        "hidden_layer_sizes": list(sizes),
        "max_iter": k,
        "threads": threads,
    }
    with threadpool_limits(threads), warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        for tool, est in ests.items():  # warm-up, also the accuracy
            Xtr, ytr, Xte, yte = data[tool]
            out[f"{tool}_first_s"] = fit_seconds(est, Xtr, ytr)[0]
            out[f"{tool}_n_iter"] = int(est.n_iter_)
            out[f"{tool}_score"] = held_out(kind, est, Xte, yte)
        times = {"ours": [], "peer": []}
        for _ in range(rounds):
            for tool, est in ests.items():
                times[tool].append(fit_seconds(est, *data[tool][:2]))
        more = seed_scores(kind, ests, data, seeds)  # untimed
    for tool in ests:
        wall, cpu = np.array(times[tool]).T
        out[f"{tool}_s"] = float(np.median(wall))
        out[f"{tool}_cpu_s"] = float(np.median(cpu))
        out[f"{tool}_times"] = wall.tolist()
    for tool in ests:
        out[f"{tool}_scores"] = [out[f"{tool}_score"], *more[tool]]
    ours, peer = np.array(times["ours"]), np.array(times["peer"])
    # the median of the per-round ratios, of wall-clock and of CPU time
    out["ratio"], out["cpu_ratio"] = np.median(ours / peer, axis=0).tolist()
    out["equal_iterations"] = out["ours_n_iter"] == out["peer_n_iter"] == k
    return out


def same_case(result):
    """What identifies a result: its case, threads and iterations."""
    sizes = tuple(result["hidden_layer_sizes"])
    name = case_name(result["kind"], result["n"], sizes)
    return name, result["threads"], result["max_iter"]


def case_name(kind, n, sizes):
    return f"{kind} n={n} {tuple(sizes)}"


HEADER = (
    "case",
    "threads",
    "iterations sklik/sklearn",
    "sklik s (CPU s)",
    "sklearn s (CPU s)",
    "ratio",
    "CPU ratio",
    "held-out sklik",
    "held-out sklearn",
)


def spread(result, tool):
    """The held-out score; over several starts, their mean ± standard deviation."""
    scores = result.get(f"{tool}_scores", [result[f"{tool}_score"]])
    if len(scores) == 1:
        return f"{scores[0]:.4f}"
    return f"{np.mean(scores):.4f} ± {np.std(scores, ddof=1):.4f} ({len(scores)})"


def table_rows(results):
    """One row of cells per result."""
    for r in results:
        score = "R²" if r["kind"] == "regression" else "log loss"
        yield (
            case_name(r["kind"], r["n"], tuple(r["hidden_layer_sizes"])),
            str(r["threads"]),
            f"{r['ours_n_iter']}/{r['peer_n_iter']}",
            f"{r['ours_s']:.2f} ({r['ours_cpu_s']:.2f})",
            f"{r['peer_s']:.2f} ({r['peer_cpu_s']:.2f})",
            f"{r['ratio']:.2f}",
            f"{r['cpu_ratio']:.2f}",
            f"{score} {spread(r, 'ours')}",
            spread(r, "peer"),
        )


def table(results):
    """A markdown table of the results."""
    lines = ["| " + " | ".join(HEADER) + " |", "|---" * len(HEADER) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in table_rows(results)]
    return "\n".join(lines)


def rst_table(results):
    """The same table as a reStructuredText list-table (for the docs)."""
    lines = [".. list-table::", "   :header-rows: 1", ""]
    for row in (HEADER, *table_rows(results)):
        lines.append(f"   * - {row[0]}")
        lines += [f"     - {cell}" for cell in row[1:]]
    return "\n".join(lines)


def environment():
    return {
        "python": platform.python_version(),
        "numpy": np.__version__,
        "scipy": scipy.__version__,
        "sklearn": sklearn.__version__,
        "sklik_file": sklik.__file__,
        "cpu_count": os.cpu_count(),
        "blas": [
            {key: info.get(key) for key in ("internal_api", "version", "architecture")}
            for info in threadpool_info()
        ],
        "date": time.strftime("%Y-%m-%d %H:%M"),
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="n = 5000 only")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--iters", type=int, default=100, help="L-BFGS iterations")
    parser.add_argument("--threads", default="1,2")
    parser.add_argument("--json", default=str(RESULTS))
    parser.add_argument("--report", help="print the table of a saved run")
    parser.add_argument(
        "--seeds", type=int, default=1, help="held-out scores over this many starts"
    )
    parser.add_argument("--only", default="", help="cases whose name contains this")
    parser.add_argument(
        "--append", action="store_true", help="add to the results in --json"
    )
    args = parser.parse_args(argv)
    if args.report:
        results = json.loads(Path(args.report).read_text())["results"]
        results.sort(key=lambda r: r["threads"])  # (stable: the cases' order)
        print(table(results), rst_table(results), sep="\n\n")
        return
    sizes_n = (5000,) if args.quick else (5000, 20000)
    cases = [("regression", n, s) for n in sizes_n for s in ((32, 32), (100,))]
    cases += [("classification", 5000, s) for s in ((32, 32), (100,))]
    cases = [c for c in cases if args.only in case_name(*c)]
    env = environment()
    print(f"sklik: {env['sklik_file']}  BLAS: {env['blas']}")
    results = []
    if args.append and Path(args.json).exists():
        results = json.loads(Path(args.json).read_text())["results"]
    for threads in (int(t) for t in args.threads.split(",")):
        for kind, n, sizes in cases:
            result = run_case(
                kind, n, sizes, args.iters, threads, args.rounds, args.seeds
            )
            results = [r for r in results if same_case(r) != same_case(result)]
            results.append(result)
            print(table(results[-1:]).split("\n")[-1], flush=True)
            Path(args.json).write_text(
                json.dumps({"environment": env, "results": results}, indent=1)
            )
    print()
    print(table(sorted(results, key=lambda r: r["threads"])))
    if not all(r["equal_iterations"] for r in results):
        print("WARNING: some fit did not run exactly --iters iterations")


if __name__ == "__main__":
    main()
