"""The plain-text and HTML tables of a LikelihoodSummary (statsmodels' layout)."""

import html

import numpy as np

_WIDTH = 10  # each numeric column


def _num(x) -> str:
    """Four decimals in the ordinary range, else four significant digits."""
    if not np.isfinite(x):
        return "nan" if np.isnan(x) else ("inf" if x > 0 else "-inf")
    if x == 0 or 1e-4 <= abs(x) < 1e7:
        return f"{x:.4f}"
    return f"{x:.3e}"


def _link_lines(links):
    """One line if every parameter has the same link, else one per parameter."""
    if len(set(links.values())) == 1:
        return [("Link:", next(iter(links.values())))]
    return [(f"Link {name}:", link) for name, link in links.items()]


def _pvalue(p) -> str:
    return f"{p:.4f}" if p == 0 or not p < 1e-4 else f"{p:.2e}"


def _header(s):
    """The two columns of the header: (label, value) pairs."""
    level = 100 * s.level
    left = [
        ("Estimator:", type(s.estimator).__name__),
        ("Family:", s.family),
        *_link_lines(s.links),
        ("Covariance:", s.cov_type),
        ("Method:", "maximum likelihood"),
        ("Intervals:", f"{level:g}% Wald"),
    ]
    right = [
        ("No. observations:", f"{s.nobs:g}"),
        ("Parameters:", str(s.k_params)),
        ("Df model:", str(s.df_model)),
        ("Log-likelihood:", f"{s.llf:.6g}"),
        ("LL-null:", f"{s.llnull:.6g}"),
        ("LLR p-value:", f"{s.llr_pvalue:.4g}"),
        ("AIC:", f"{s.aic:.6g}"),
        ("BIC:", f"{s.bic:.6g}"),
    ]
    return left, right


def _rows(s):
    low, high = s.conf_int().T
    q = (1 - s.level) / 2
    head = ["coef", "std err", "z", "P>|z|", f"[{q:.3g}", f"{1 - q:.3g}]"]
    body = [
        [name, _num(coef), _num(se), _num(z), _pvalue(p), _num(lo), _num(hi)]
        for name, coef, se, z, p, lo, hi in zip(
            s.param_names, s.params, s.bse, s.zvalues, s.pvalues, low, high
        )
    ]
    return head, body


def summary_text(s) -> str:
    """The table ``print(summary)`` shows."""
    head, body = _rows(s)
    name_width = max([len(row[0]) for row in body] + [12])
    width = name_width + 6 * (_WIDTH + 1)
    left, right = _header(s)
    half = width // 2
    title = f"{type(s.estimator).__name__} results".center(width).rstrip()
    lines = [title, "=" * width]
    for i in range(max(len(left), len(right))):
        a = left[i] if i < len(left) else ("", "")
        b = right[i] if i < len(right) else ("", "")
        lines.append(
            f"{a[0]:<13}{a[1]:>{half - 15}}  "
            + f"{b[0]:<18}{b[1]:>{width - half - 18}}"
        )
    lines.append("=" * width)
    lines.append(" " * name_width + "".join(f" {h:>{_WIDTH}}" for h in head))
    lines.append("-" * width)
    for name, *cells in body:
        lines.append(
            f"{name:<{name_width}}" + "".join(f" {c:>{_WIDTH}}" for c in cells)
        )
    lines.append("=" * width)
    notes = []
    if s.unidentified:
        notes.append(
            f"Not identified (NaN standard errors): {', '.join(s.unidentified)}."
        )
    if any(" vs " in name for name in s.param_names):
        notes.append("Softmax logits as contrasts against the first class.")
    return "\n".join(lines + notes)


def summary_html(s) -> str:
    """The table for notebooks (``_repr_html_``)."""
    esc = html.escape
    left, right = _header(s)
    header_rows = []
    for i in range(max(len(left), len(right))):
        a = left[i] if i < len(left) else ("", "")
        b = right[i] if i < len(right) else ("", "")
        header_rows.append(
            "<tr>"
            + "".join(f"<th>{esc(a[0])}</th><td>{esc(a[1])}</td>")
            + f"<th>{esc(b[0])}</th><td>{esc(b[1])}</td></tr>"
        )
    head, body = _rows(s)
    param_rows = [
        f"<tr><th>{esc(name)}</th>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>"
        for name, *cells in body
    ]
    caption = esc(f"{type(s.estimator).__name__} results")
    return (
        f'<table class="simpletable"><caption>{caption}</caption>'
        + "".join(header_rows)
        + '</table><table class="simpletable"><tr><th></th>'
        + "".join(f"<th>{esc(h)}</th>" for h in head)
        + "</tr>"
        + "".join(param_rows)
        + "</table>"
    )
