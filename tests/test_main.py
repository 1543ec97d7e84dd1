"""The ``python -m sklik`` tour: end to end, and what its numbers must say."""

import dataclasses
import re
import subprocess
import sys
import time

import numpy as np
import pytest

import sklik.__main__ as cli
from sklik.demo import FIGURE_NAME, format_result, run_tour


@pytest.fixture(scope="module")
def result():
    return run_tour(seed=0)


def _row(result, title_start, label):
    table = next(t for t in result.tables if t.title.startswith(title_start))
    return dict(zip(table.columns, next(r[1:] for r in table.rows if r[0] == label)))


def test_main_writes_table_and_png(result, tmp_path, capsys):
    pytest.importorskip("matplotlib")
    assert cli.main(["--out", str(tmp_path / "out"), "--seed", "1"]) == 0
    out, err = capsys.readouterr()
    for title in ("Regression: diabetes", "Classification: wine", "Multi-output"):
        assert title in out
    assert "90% cover" in out and "log loss" in out
    # progress goes to stderr, the table to stdout
    assert "[sklik] regression, diabetes" in err
    assert "[sklik]" not in out
    table = (tmp_path / "out" / "results.txt").read_text(encoding="utf-8")
    assert table.startswith("sklik tour (seed 1)")
    # another seed, other splits: other numbers, same tables
    assert table.strip() != format_result(result).strip()
    assert table.count("\n\n") == format_result(result).count("\n\n")
    png = (tmp_path / "out" / FIGURE_NAME).read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 20_000


def test_main_without_matplotlib_says_so(result, tmp_path, capsys, monkeypatch):
    def no_matplotlib(*args, **kwargs):
        raise ImportError("No module named 'matplotlib'")

    monkeypatch.setattr(cli, "plot_bands", no_matplotlib)
    monkeypatch.setattr(cli, "run_tour", lambda seed, progress: result)
    assert cli.main(["--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    lines = [line for line in out.splitlines() if "matplotlib is not" in line]
    assert len(lines) == 1 and "no figure" in lines[0]
    assert not (tmp_path / FIGURE_NAME).exists()
    assert (tmp_path / "results.txt").exists()
    assert re.search(r"finished in \d+\.\d s \(data, fits and scores\); wrote", out)


def test_printed_time_covers_the_whole_run_figure_included(
    result, tmp_path, capsys, monkeypatch
):
    def slow_figure(result, path):
        time.sleep(0.3)
        path.write_bytes(b"png")
        return path

    instant = dataclasses.replace(result, seconds=0.0)  # what run_tour measured
    monkeypatch.setattr(cli, "plot_bands", slow_figure)
    monkeypatch.setattr(cli, "run_tour", lambda seed, progress: instant)
    assert cli.main(["--out", str(tmp_path)]) == 0
    last = capsys.readouterr().out.strip().splitlines()[-1]
    found = re.match(
        r"finished in (\d+\.\d) s \(data, fits, scores and figure\); wrote ", last
    )
    assert found and float(found.group(1)) >= 0.3


def test_help_runs_as_a_module():
    proc = subprocess.run(
        [sys.executable, "-m", "sklik", "--help"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "--seed" in proc.stdout and "--out DIR" in proc.stdout


def test_tour_numbers_tell_the_story(result):
    hetero = _row(result, "Regression: breast cancer", "sklik Gaussian, σ(x)")
    homo = _row(result, "Regression: breast cancer", "sklik Gaussian, constant σ")
    # the spread of worst area grows with size: σ(x) wins on proper scores
    assert hetero["NLL"] < homo["NLL"] - 0.3
    assert hetero["CRPS"] < homo["CRPS"]
    assert abs(hetero["90% cover"] - 0.9) < 0.05
    # same penalty, same model: sklik's classifiers match LogisticRegression
    for title, name in [
        ("Classification: breast cancer", "BernoulliNLLClassifier"),
        ("Classification: wine", "CategoricalNLLClassifier"),
    ]:
        ours = _row(result, title, f"sklik {name}")
        theirs = _row(result, title, "sklearn LogisticRegression")
        assert ours["log loss"] == pytest.approx(theirs["log loss"], abs=1e-3)
        assert ours["accuracy"] > 0.9
    linnerud = _row(result, "Multi-output", "sum over outputs")
    assert linnerud["train NLL"] < linnerud["held-out NLL"]


def test_bands_are_held_out_and_aligned(result):
    for bands in result.bands:
        for label, mean in bands.mean.items():
            assert mean.shape == bands.y.shape
            assert np.all(bands.std[label] > 0)
