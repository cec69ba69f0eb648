"""Documentation lives in the repository (issue 17, "Docs"): README.md and docs/ point at
nothing outside it, and every relative link they hold resolves to a file of the repository."""

from __future__ import annotations

import re

import pytest
from testpaths import REPO

ROOT = REPO
DOCS = ["raw_layout.md", "definitions.md", "codebook.md", "methods.md"]
FILES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def test_docs_exist_and_the_readme_links_them():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for name in DOCS:
        assert (ROOT / "docs" / name).stat().st_size > 1000, name
        assert f"](docs/{name}" in readme, name


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_nothing_points_outside_the_repository(path):
    text = path.read_text(encoding="utf-8")
    for outside in ("../shared", "/work/shared", "shared/survey", "shared/reference"):
        assert outside not in text, (path.name, outside)


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_relative_links_resolve(path):
    text = path.read_text(encoding="utf-8")
    for target in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", text):
        if re.match(r"[a-z]+:", target):
            continue  # an URL
        resolved = (path.parent / target).resolve()
        assert resolved.exists(), (path.name, target)
        assert resolved.is_relative_to(ROOT), (path.name, target)
