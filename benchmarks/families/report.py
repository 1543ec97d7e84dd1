"""Tables of a run: the summary (sklik vs the fastest accurate peer) and details."""

from importlib.metadata import PackageNotFoundError, version

from bench_fit import list_table_head

GAP_TARGET = 1e-8


def peer_versions():
    out = {}
    for name in ("scikit-learn", "statsmodels", "glum", "gamlss", "scipy", "numpy"):
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = None
    return out


def _gap(g):
    if g != g:
        return "–"
    flag = "" if g <= GAP_TARGET else " ✗"
    return f"{max(g, 0.0):.0e}{flag}"


def summary_rows(records):
    """Per (case, threads): sklik, the fastest peer at gap ≤ 1e-8, and a note."""
    groups = {}
    for r in records:
        groups.setdefault((r["case"], r["threads"]), []).append(r)
    rows = []
    for (case, threads), recs in groups.items():
        sk = next(r for r in recs if r["role"] == "sklik")
        peers = [r for r in recs if r["role"] == "peer"]
        good = [r for r in peers if r["rel_gap"] <= GAP_TARGET]
        note = ""
        if not good:
            good = peers
            note = "no peer reaches 1e-8: fastest at its own accuracy"
        best = min(good, key=lambda r: r["median_s"]) if good else None
        rows.append((case, threads, sk, best, note))
    return rows


def markdown(records):
    lines = [
        "| case | threads | sklik (s) | fastest peer (gap ≤ 1e-8) | peer (s) "
        "| sklik / peer | sklik gap | peer gap | note |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for case, threads, sk, best, note in summary_rows(records):
        if best is None:
            continue
        lines.append(
            f"| {case} | {threads} | {sk['median_s']:.3f} | {best['tool']} "
            f"| {best['median_s']:.3f} | **{best['ratio_sklik_over_tool']:.2f}** "
            f"| {_gap(sk['rel_gap'])} | {_gap(best['rel_gap'])} | {note} |"
        )
    lines += [
        "",
        "| case | threads | tool | role | median (s) | rounds | sklik / tool | gap |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in records:
        lines.append(
            f"| {r['case']} | {r['threads']} | {r['tool']} | {r['role']} "
            f"| {r['median_s']:.4f} | {r['rounds']} "
            f"| {r['ratio_sklik_over_tool']:.2f} | {_gap(r['rel_gap'])} |"
        )
    return "\n".join(lines)


def rst_table(records):
    """The summary as a list-table, one row per case, both thread counts."""
    rows = summary_rows(records)
    threads = sorted({t for _, t, _, _, _ in rows})
    by_case = {}
    for case, t, sk, best, note in rows:
        by_case.setdefault(case, {})[t] = (sk, best, note)
    header = ["case", "fastest peer (gap ≤ 1e-8)"]
    for t in threads:
        header += [f"sklik {t} thr (s)", f"peer {t} thr (s)", f"ratio {t} thr"]
    header += ["sklik gap", "peer gap"]
    lines = list_table_head(header)
    for case, per in by_case.items():
        sk0, best0, note0 = per[threads[0]]
        if best0 is None:
            continue
        peer = best0["tool"] + (" ✗ (none reaches 1e-8)" if note0 else "")
        for t in threads[1:]:  # the fastest peer may differ with the threads
            if (
                t in per
                and per[t][1] is not None
                and per[t][1]["tool"] != best0["tool"]
            ):
                peer += f"; at {t} thr: {per[t][1]['tool']}"
        cells = [case, peer]
        for t in threads:
            if t not in per or per[t][1] is None:
                cells += ["–", "–", "–"]
                continue
            sk, best, _ = per[t]
            cells += [
                f"{sk['median_s']:.3f}",
                f"{best['median_s']:.3f}",
                f"**{best['ratio_sklik_over_tool']:.2f}**",
            ]
        cells += [_gap(sk0["rel_gap"]), _gap(best0["rel_gap"])]
        lines.append("   * - " + "\n     - ".join(cells))
    return "\n".join(lines)
