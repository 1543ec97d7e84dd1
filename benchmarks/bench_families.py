"""Each sklik family against its fastest peer, on the same objective, at equal accuracy.

Run from the repository root::

    PYTHONPATH=. python benchmarks/bench_families.py --quick          # ~2 minutes
    PYTHONPATH=. python benchmarks/bench_families.py --json out.json  # < 10 minutes
    PYTHONPATH=. python benchmarks/bench_families.py --full --json out.json  # ~1 hour
    PYTHONPATH=. python benchmarks/bench_families.py --only 'NB2' --threads 1
    PYTHONPATH=. python benchmarks/bench_families.py --profile 'NB2 n=1e5'

For each case (a family, seeded synthetic data or a real data set shipped
with statsmodels), in one process, the script

1. computes a reference optimum of the mean NLL independently of sklik and
   of the peers (its own per-sample NLLs and η-gradients, L-BFGS then
   Newton on the standardised columns, gradient sup-norm ≈ 1e-11, the
   gradient checked against differences; the LAD fit by the dual LP;
   least squares on log y), re-polished from any tool's answer that beats it;
2. for BLAS at 1 and 2 threads (threadpoolctl): fits every tool once
   (warm-up, used for accuracy), then times the tools interleaved for
   several rounds; reports medians and the median of per-round ratios;
3. reports each tool's relative objective gap (f − f*) / |f*| and, per
   case, the fastest peer that reaches a gap ≤ 1e-8 (or, when none does,
   the fastest peer at its own accuracy, flagged).
"""

import argparse
import cProfile
import io
import json
import os
import pstats
import sys
import time
import warnings

import numpy as np
from bench_fit import PAUSE_S, blas_thread_settings, machine_info
from families import report
from families.cases import default_cases, full_cases, quick_cases, tools_for
from families.data import real, synthetic
from families.objectives import mean_nll, polish_from, reference_optimum
from families.tools import prepare
from threadpoolctl import threadpool_limits

GAP_TARGET = 1e-8
_pause = [PAUSE_S]


def _fit(tool, X, y, prep):
    time.sleep(_pause[0])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        start = time.perf_counter()
        est = tool.fit(X, y, prep)
        return time.perf_counter() - start, est


def load(case):
    if case.data == "synthetic":
        return synthetic(case.kind, case.n, case.p)
    return real(case.data)


def run_case(case, rounds, thread_settings, slow, log, budget=10.0):
    t0 = time.perf_counter()
    X, y = load(case)
    case.n, case.p = X.shape
    log(
        f"\n## {case.name}  (n={case.n}, p={case.p}; "
        f"data {time.perf_counter() - t0:.1f}s)"
    )
    t0 = time.perf_counter()
    with threadpool_limits(limits=max(thread_settings), user_api="blas"):
        W_ref, b_ref, gnorm, gcheck = reference_optimum(
            case.family, X, y, case.depends, np.random.default_rng(0)
        )
    f_ref = mean_nll(case.family, X, y, W_ref, b_ref)
    log(
        f"reference: f*={f_ref:.12g}, grad={gnorm:.1e}, gradient check "
        f"{gcheck:.1e} ({time.perf_counter() - t0:.1f}s)"
    )
    alpha_hat = float(np.exp(b_ref[1])) if case.kind == "nb2" else None
    tools = tools_for(case, alpha_hat)
    prep = prepare(X, y, tools)
    answers, timings = {}, []
    for threads in thread_settings:
        with threadpool_limits(limits=threads, user_api="blas"):
            times = {t.name: [] for t in tools}
            for tool in tools:  # warm-up; its answer gives the accuracy
                try:
                    t, est = _fit(tool, X, y, prep)
                except Exception as exc:  # a peer failing is a result too
                    log(f"  [{threads} thr] {tool.name}: failed ({exc!r:.120})")
                    times.pop(tool.name)
                    continue
                answers.setdefault(tool.name, tool.extract(est, X, y))
                if t > slow:
                    times[tool.name].append(t)
            spent = dict.fromkeys(times, 0.0)
            for _ in range(rounds):
                for tool in tools:
                    tt = times.get(tool.name)
                    if tt is None or (tt and tt[0] > slow) or spent[tool.name] > budget:
                        continue
                    t = _fit(tool, X, y, prep)[0]
                    tt.append(t)
                    spent[tool.name] += t
            timings.append((threads, times))
    # Accuracy: a tool that beats the reference re-polishes it.
    values = {
        name: mean_nll(case.family, X, y, W, b) for name, (W, b) in answers.items()
    }
    best = min(values, key=values.get)
    if values[best] < f_ref - 1e-15 * abs(f_ref) and case.family not in (
        "laplace",
        "lognormal",
    ):
        W2, b2, g2 = polish_from(case.family, X, y, case.depends, *answers[best])
        f2 = mean_nll(case.family, X, y, W2, b2)
        log(
            f"reference re-polished from {best}: {f_ref:.15g} -> {f2:.15g} "
            f"(grad {g2:.1e})"
        )
        f_ref = min(f_ref, f2, values[best])
    f_ref = min(f_ref, values[best]) if case.family == "laplace" else f_ref
    records = []
    for threads, times in timings:
        base = np.array(times[tools[0].name])  # sklik's fit comes first
        for tool in tools:
            if tool.name not in times:
                continue
            tt = np.array(times[tool.name])
            if tool.role == "sklik":
                ratio = 1.0
            elif len(tt) == len(base):  # timed in the same rounds: paired ratios
                ratio = float(np.median(base / tt))
            else:  # a slow tool timed fewer times: the ratio of the medians
                ratio = float(np.median(base) / np.median(tt))
            gap = (values[tool.name] - f_ref) / abs(f_ref)
            rec = dict(
                case=case.name,
                kind=case.kind,
                data=case.data,
                n=case.n,
                p=case.p,
                threads=threads,
                tool=tool.name,
                role=tool.role,
                median_s=float(np.median(tt)),
                rounds=len(tt),
                ratio_sklik_over_tool=ratio,
                rel_gap=float(gap),
                f=values[tool.name],
                f_ref=f_ref,
                ref_grad=gnorm,
                ref_grad_check=gcheck,
            )
            records.append(rec)
            log(
                f"  [{threads} thr] {tool.name:40s} {rec['median_s']:9.4f}s "
                f"x{len(tt)}  ratio {ratio:7.3f}  gap {gap:9.2e}"
            )
    return records


def profile_case(case, log, top=25):
    """cProfile of sklik's fit (1 thread), sorted by internal and cumulative time."""
    X, y = load(case)
    tool = tools_for(case)[0]
    with threadpool_limits(limits=1, user_api="blas"):
        _fit(tool, X, y, None)
        prof = cProfile.Profile()
        prof.enable()
        t, est = _fit(tool, X, y, None)
        prof.disable()
    log(f"\n## profile: {case.name}, sklik {t:.3f}s, n_iter_={est.n_iter_}")
    for key in ("tottime", "cumulative"):
        out = io.StringIO()
        pstats.Stats(prof, stream=out).strip_dirs().sort_stats(key).print_stats(top)
        log(out.getvalue())


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="a subset, ~2 min")
    parser.add_argument("--full", action="store_true", help="every case, ~1 hour")
    parser.add_argument("--json", metavar="PATH", help="also write the records")
    parser.add_argument("--rounds", type=int, default=None)
    parser.add_argument("--only", default=None, help="cases containing TEXT ('|')")
    parser.add_argument("--threads", default=None, help="e.g. 1,2 (default 1,all)")
    parser.add_argument("--slow", type=float, default=3.0, help="timed once above")
    parser.add_argument("--report", metavar="JSON", help="tables of a saved run")
    parser.add_argument("--profile", metavar="TEXT", help="cProfile sklik's fit")
    args = parser.parse_args(argv)
    if args.report:
        with open(args.report) as fh:
            saved = json.load(fh)
        print(report.markdown(saved["records"]))
        print()
        print(report.rst_table(saved["records"]))
        return saved["records"]
    cases = (
        quick_cases() if args.quick else full_cases() if args.full else default_cases()
    )
    if args.only or args.profile:
        wanted = (args.only or args.profile).split("|")
        cases = [c for c in cases if any(w in c.name for w in wanted)]
    if args.profile:
        _pause[0] = 0.0
        for case in cases:
            profile_case(case, print)
        return []
    rounds = args.rounds or (5 if args.full else 3)
    if not args.full:
        _pause[0] = 0.1
    thread_settings = blas_thread_settings(args.threads)
    info = machine_info()
    info["load_before"] = os.getloadavg()
    info["peers"] = report.peer_versions()

    def log(msg):
        print(msg, flush=True)

    log(f"# sklik families vs peers ({info['date']}), load {info['load_before']}")
    log(f"CPU {info['cpu']}, {info['cores']} cores; BLAS {info['blas']}")
    log(f"versions {info['peers']}; sklik from {info['sklik_file']}")
    log(f"rounds {rounds}; threads {thread_settings}")
    records, start = [], time.perf_counter()

    def dump():
        if args.json:
            with open(args.json, "w") as fh:
                json.dump({"machine": info, "records": records}, fh, indent=1)

    for case in cases:
        records += run_case(case, rounds, thread_settings, args.slow, log)
        dump()  # after every case, so that an interrupted run keeps its part
    info["load_after"] = os.getloadavg()
    info["total_s"] = time.perf_counter() - start
    dump()
    log(f"\ntotal {info['total_s']:.0f}s; load after {info['load_after']}\n")
    log(report.markdown(records))
    return records


if __name__ == "__main__":
    sys.exit(0 if main() is not None else 1)
