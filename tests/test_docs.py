"""The user guide's code runs: every ``>>>`` block in docs/user_guide is a doctest."""

import doctest
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
