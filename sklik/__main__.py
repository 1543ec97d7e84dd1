"""``python -m sklik``: fit each estimator on data shipped with scikit-learn."""

import argparse

from sklik.demo import run


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sklik", description=__doc__)
    parser.add_argument("--seed", type=int, default=0, help="random seed of the splits")
    args = parser.parse_args(argv)
    print(run(seed=args.seed))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
