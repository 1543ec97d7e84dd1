"""``python -m sklik``: a tour of sklik on data shipped with scikit-learn.

Fits sklik's estimators and scikit-learn's counterparts on held-out splits of
diabetes, breast cancer, wine and linnerud, prints a table of proper scores
(NLL, CRPS, interval coverage, log loss), and writes the table and a figure of
the predictive bands into an output folder. No download is needed.
"""

import argparse
import sys
import time
from pathlib import Path

from sklik.demo import FIGURE_NAME, format_result, plot_bands, run_tour


def _progress(message):
    print(f"[sklik] {message} ...", file=sys.stderr, flush=True)


def main(argv=None) -> int:
    """Run the tour; ``argv`` as for ``python -m sklik`` (None: sys.argv)."""
    parser = argparse.ArgumentParser(
        prog="python -m sklik",
        description=__doc__.split("\n\n")[1],
    )
    parser.add_argument(
        "--seed", type=int, default=0, help="seed of the cross-validation splits"
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=Path("sklik_output"),
        metavar="DIR",
        help="folder for results.txt and the figure (default: ./sklik_output)",
    )
    args = parser.parse_args(argv)

    # the printed time covers everything main does, the figure included:
    # loading the data, the fits, the scores and writing the files
    start = time.perf_counter()
    result = run_tour(seed=args.seed, progress=_progress)
    text = format_result(result)
    print(text)

    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "results.txt").write_text(text + "\n", encoding="utf-8")
    figure = args.out / FIGURE_NAME
    try:
        plot_bands(result, figure)
    except ImportError:
        print(
            f"\nmatplotlib is not installed, so no figure was drawn "
            f"(pip install matplotlib, then rerun to get {figure}).",
        )
        figure = None
    written = [args.out / "results.txt", *([figure] if figure else [])]
    what = "data, fits, scores and figure" if figure else "data, fits and scores"
    print(
        f"\nfinished in {time.perf_counter() - start:.1f} s ({what}); wrote "
        + ", ".join(str(p) for p in written)
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
