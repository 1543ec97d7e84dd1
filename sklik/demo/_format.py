"""The tour's results as data (tables, regression bands) and as plain text."""

import textwrap
from dataclasses import dataclass, field

import numpy as np


@dataclass
class Table:
    """One block of the results: a title, column names, rows and a note.

    Each row is ``[label, value, value, ...]``; values are floats.

    Examples
    --------
    >>> from sklik.demo import Table, format_table
    >>> table = Table("Toy", ["NLL", "90% cover"], [["model", 1.23456, 0.9]])
    >>> print(format_table(table))
    Toy
                NLL  90% cover
    model     1.235      90.0%
    """

    title: str
    columns: list[str]
    rows: list[list] = field(default_factory=list)
    note: str = ""


@dataclass
class Bands:
    """Held-out predictive means and standard deviations of one regression.

    ``mean`` and ``std`` map a model's label to arrays aligned with ``y``.

    Examples
    --------
    >>> import numpy as np
    >>> from sklik.demo import Bands
    >>> b = Bands("toy", np.zeros(3), {"m": np.zeros(3)}, {"m": np.ones(3)})
    >>> b.std["m"]
    array([1., 1., 1.])
    """

    title: str
    y: np.ndarray
    mean: dict[str, np.ndarray]
    std: dict[str, np.ndarray]


@dataclass
class TourResult:
    """What :func:`run_tour` found: the tables, the regression bands, timing.

    ``seconds`` is the wall time of :func:`run_tour`: loading the data,
    fitting and scoring every model (not drawing the figure).

    Examples
    --------
    >>> from sklik.demo import Table, TourResult, format_result
    >>> result = TourResult(0, [Table("Toy", ["NLL"], [["m", 1.0]])], [], 0.1)
    >>> print(format_result(result).splitlines()[-1])
    m     1.000
    """

    seed: int
    tables: list[Table]
    bands: list[Bands]
    seconds: float


def format_table(table: Table) -> str:
    """Render one :class:`Table` as aligned plain text.

    Coverage and accuracy columns print as percentages, values of 100 or
    more with one decimal, the rest with three; the note is wrapped below.

    Parameters
    ----------
    table : Table

    Returns
    -------
    text : str

    Examples
    --------
    >>> from sklik.demo import Table, format_table
    >>> t = Table("Toy", ["CRPS", "accuracy"], [["a", 123.456, 0.5]], note="a note")
    >>> print(format_table(t))
    Toy
           CRPS  accuracy
    a     123.5     50.0%
      (a note)
    """
    label_width = max(len(r[0]) for r in table.rows)
    widths = [max(len(c), 8) for c in table.columns]
    lines = [table.title]
    header = " " * label_width + "".join(
        f"  {c:>{w}}" for c, w in zip(table.columns, widths)
    )
    lines.append(header)
    for label, *values in table.rows:
        cells = "".join(
            f"  {_fmt(v, c):>{w}}" for v, c, w in zip(values, table.columns, widths)
        )
        lines.append(f"{label:<{label_width}}{cells}")
    if table.note:
        lines.append(
            textwrap.fill(
                f"({table.note})",
                width=88,
                initial_indent="  ",
                subsequent_indent="   ",
            )
        )
    return "\n".join(lines)


def _fmt(value, column) -> str:
    if "cover" in column or column == "accuracy":
        return f"{value:.1%}"
    if abs(value) >= 100:
        return f"{value:.1f}"
    return f"{value:.3f}"


def format_result(result: TourResult) -> str:
    """The whole results table as plain text (what ``python -m sklik`` prints).

    Parameters
    ----------
    result : TourResult

    Returns
    -------
    text : str
    """
    head = (
        f"sklik tour (seed {result.seed}): every score is held out; "
        "NLL, CRPS and log loss: lower is better"
    )
    blocks = [head, *(format_table(t) for t in result.tables)]
    return "\n\n".join(blocks)
