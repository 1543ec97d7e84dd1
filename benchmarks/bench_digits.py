"""Multinomial logistic regression on digits: sklik against LogisticRegression.

The same objective on both sides: ``CategoricalNLLClassifier(alpha=1/n)``
is ``LogisticRegression(C=1)``. Each tool is fitted ``--rounds`` times,
interleaved, at the BLAS threads given; the table gives medians, the ratio
of medians sklik / tool, each tool's relative objective gap to the best
objective any tool reached, and its held-out accuracy. Run from the
repository root::

    PYTHONPATH=. python benchmarks/bench_digits.py --threads 1,2

``--search`` times a 5-fold ``GridSearchCV`` over the penalty instead
(C in 0.01 ... 100, and the matching ``alpha = 1 / (C · n_fold)``), both
tools at their default settings.
"""

import argparse
import time
import warnings

import numpy as np
from scipy.special import logsumexp
from sklearn.datasets import load_digits
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, train_test_split
from threadpoolctl import threadpool_limits

from sklik import CategoricalNLLClassifier


def objective(X, y, W, b):
    """Mean log loss plus (1/2n)·‖W‖²: LogisticRegression(C=1)'s, divided by n."""
    Z = X @ W.T + b
    n = len(y)
    return np.mean(logsumexp(Z, axis=1) - Z[np.arange(n), y]) + 0.5 / n * np.sum(W**2)


def tools(n):
    return {
        "sklik, defaults": lambda: CategoricalNLLClassifier(alpha=1.0 / n),
        "LogisticRegression, defaults": lambda: LogisticRegression(),
        "LogisticRegression newton-cholesky tol=1e-8": lambda: LogisticRegression(
            solver="newton-cholesky", tol=1e-8, max_iter=1000
        ),
        "LogisticRegression lbfgs tol=1e-10": lambda: LogisticRegression(
            tol=1e-10, max_iter=20000
        ),
    }


def time_interleaved(makers, X, y, threads, rounds):
    """({name: times}, {name: last fit}): the tools fitted in turn, each round."""
    times = {name: [] for name in makers}
    fitted = {}
    with threadpool_limits(threads), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # LogisticRegression's defaults stop early
        for _ in range(rounds):
            for name, make in makers.items():
                time.sleep(0.1)
                start = time.perf_counter()
                fitted[name] = make().fit(X, y)
                times[name].append(time.perf_counter() - start)
    return times, fitted


def run(threads, rounds):
    X, y = load_digits(return_X_y=True)
    Xtr, Xte, ytr, yte = train_test_split(X, y, random_state=0)
    times, fitted = time_interleaved(tools(len(ytr)), Xtr, ytr, threads, rounds)
    values = {
        name: objective(Xtr, ytr, est.coef_, est.intercept_)
        for name, est in fitted.items()
    }
    best = min(values.values())
    sklik_time = np.median(times["sklik, defaults"])
    for name, est in fitted.items():
        median = np.median(times[name])
        print(
            f"| {threads} | {name} | {median:.3f} | {sklik_time / median:.2f} | "
            f"{(values[name] - best) / best:.1e} | {est.score(Xte, yte):.4f} |"
        )


def run_search(threads, rounds):
    """GridSearchCV over the penalty, both tools at their defaults."""
    X, y = load_digits(return_X_y=True)
    Xtr, Xte, ytr, yte = train_test_split(X, y, random_state=0)
    Cs = [0.01, 0.1, 1.0, 10.0, 100.0]
    n_fold = len(ytr) * 4 // 5
    searches = {
        "sklik": lambda: GridSearchCV(
            CategoricalNLLClassifier(), {"alpha": [1 / (C * n_fold) for C in Cs]}
        ),
        "LogisticRegression": lambda: GridSearchCV(LogisticRegression(), {"C": Cs}),
    }
    times, fitted = time_interleaved(searches, Xtr, ytr, threads, rounds)
    scores = {name: search.score(Xte, yte) for name, search in fitted.items()}
    sklik_time = np.median(times["sklik"])
    for name in searches:
        median = np.median(times[name])
        print(
            f"| {threads} | search, {name} | {median:.3f} | {sklik_time / median:.2f} "
            f"| | {scores[name]:.4f} |"
        )


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--threads", default="1,2")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--search", action="store_true")
    args = parser.parse_args(argv)
    print("| threads | tool | median (s) | sklik / tool | objective gap | accuracy |")
    print("|---|---|---|---|---|---|")
    for threads in (int(t) for t in args.threads.split(",")):
        (run_search if args.search else run)(threads, args.rounds)


if __name__ == "__main__":
    main()
