"""The docs' code runs: the user guide's ``>>>`` blocks and the README's code."""

import doctest
import re
import tomllib
from pathlib import Path

import pytest

GUIDE = Path(__file__).resolve().parents[1] / "docs" / "user_guide"
PAGES = sorted(GUIDE.glob("*.rst"))


def test_the_guide_has_code():
    assert sum("\n   >>> " in p.read_text(encoding="utf-8") for p in PAGES) >= 6


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.stem)
def test_user_guide_page_runs(page):
    result = doctest.testfile(
        str(page),
        module_relative=False,
        optionflags=doctest.NORMALIZE_WHITESPACE | doctest.ELLIPSIS,
        raise_on_error=False,
        verbose=False,
        report=True,
    )
    assert result.failed == 0, f"{result.failed} doctest(s) failed in {page.name}"


# -- the README ---------------------------------------------------------------------
README = GUIDE.parents[1] / "README.md"


def _fenced(language):
    """The README's code blocks fenced as ```language, in order."""
    text = README.read_text(encoding="utf-8")
    return re.findall(rf"^```{language}\n(.*?)^```", text, flags=re.M | re.S)


def test_readme_python_runs_on_data_it_defines(capsys):
    blocks = _fenced("python")
    assert len(blocks) >= 2
    namespace = {}
    for block in blocks:  # one session: later blocks use earlier names
        exec(compile(block, str(README), "exec"), namespace)
    assert namespace["lo"].shape == namespace["X_new"][:, 0].shape
    assert namespace["held_out"].mean().shape == namespace["y"].shape
    printed = float(capsys.readouterr().out)  # the held-out NLL
    assert 4.0 < printed < 7.0


def test_readme_first_command_installs_what_the_tour_needs():
    first = _fenced("bash")[0].strip()
    assert first == "pip install -e '.[tour]' && python -m sklik"
    extras = tomllib.loads((README.parent / "pyproject.toml").read_text("utf-8"))
    tour = extras["project"]["optional-dependencies"]["tour"]
    assert any(req.startswith("matplotlib") for req in tour)


def test_readme_shows_the_tours_real_output():
    from sklik.demo import format_result, run_tour

    *table, last = _fenced("text")[0].rstrip("\n").split("\n")
    assert "\n".join(table).rstrip("\n") == format_result(run_tour(seed=0)), (
        "README.md shows another tour output than `python -m sklik` prints now: "
        "paste the output of a fresh run into the README"
    )
    assert re.fullmatch(
        r"finished in \d+\.\d s \(data, fits, scores and figure\); wrote "
        r"sklik_output/results.txt, sklik_output/predictive_bands.png",
        last,
    )
