"""Sphinx configuration of sklik's documentation.

Build with warnings as errors from the repository root::

    python -m sphinx -W --keep-going -b html docs docs/_build/html

or ``make -C docs html``. The gallery in ``examples/`` is executed on every
build, so a broken example fails the build.
"""

import os
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# Document the checkout being built, not whatever sklik is installed.
sys.path.insert(0, str(ROOT))
os.environ.setdefault("MPLBACKEND", "Agg")

import sklik  # noqa: E402

project = "sklik"
author = "the sklik developers"
copyright = "the sklik developers"
version = release = sklik.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
]

templates_path = ["_templates"]
exclude_patterns = ["_build", "Thumbs.db", ".DS_Store", "auto_examples/*.ipynb"]
default_role = "literal"
nitpicky = False

# -- API reference ----------------------------------------------------------
autosummary_generate = True
autodoc_typehints = "none"
autodoc_default_options = {"members": False, "inherited-members": False}
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = False

# Methods inherited from scikit-learn (score, ...) carry references into
# scikit-learn's own docs (:ref:`r2_score`, :term:`meta-estimator`); render
# those as plain text rather than as broken links.
_SKLEARN_ROLE = re.compile(r":(?:ref|term|doc):`([^`<]*?)\s*(?:<([^>`]+)>)?`")


def _plain_sklearn_references(app, what, name, obj, options, lines):
    if (getattr(obj, "__module__", None) or "").startswith("sklearn"):
        lines[:] = [
            _SKLEARN_ROLE.sub(lambda m: m.group(1) or m.group(2), line)
            for line in lines
        ]


def setup(app):
    app.connect("autodoc-process-docstring", _plain_sklearn_references)


# -- gallery ----------------------------------------------------------------
sphinx_gallery_conf = {
    "examples_dirs": str(ROOT / "examples"),
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"plot_",
    "within_subsection_order": "FileNameSortKey",
    "download_all_examples": False,
    "remove_config_comments": True,
    "doc_module": ("sklik",),
    "backreferences_dir": "gen_modules/backreferences",
    "reference_url": {"sklik": None},
    "abort_on_example_error": True,
    "plot_gallery": "True",
    "image_scrapers": ("matplotlib",),
    "matplotlib_animations": False,
}

# -- HTML -------------------------------------------------------------------
html_theme = "pydata_sphinx_theme"
html_title = f"sklik {release}"
html_static_path = ["_static"]
html_theme_options = {
    "navbar_align": "left",
    "show_toc_level": 2,
    "secondary_sidebar_items": ["page-toc"],
    "footer_start": ["copyright"],
    "footer_end": ["sphinx-version"],
}
html_sidebars = {"index": [], "install": [], "tour": []}
html_show_sourcelink = False


# -- the tour's real output, for tour.rst -------------------------------------
def _write_tour_output():
    """Run ``python -m sklik``'s tour once and keep its table, help and figure."""
    import contextlib
    import io

    from sklik.__main__ import main

    out = Path(__file__).parent / "generated" / "tour"
    out.mkdir(parents=True, exist_ok=True)
    stdout = io.StringIO()
    with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(io.StringIO()):
        main(["--seed", "0", "--out", str(out)])
    help_text = io.StringIO()
    with contextlib.redirect_stdout(help_text), contextlib.suppress(SystemExit):
        main(["--help"])
    (out / "help.txt").write_text(help_text.getvalue(), encoding="utf-8")


_write_tour_output()
