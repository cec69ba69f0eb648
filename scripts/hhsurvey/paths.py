"""Where the repository is: the one place that knows the library's depth in the tree.

Defaults that live in the repository (``config/report.yaml``, ``config/simulate.yaml``, the
translation catalogues under ``report/locale``) are found from :data:`REPO`, so moving a module
inside the package never changes what it reads. :func:`is_inside` is the fence of a round: a
path the config or a codebook names must stay inside the folder it belongs to (docs/security.md).
:func:`staged` and :func:`final` name the temporary output a rule writes before it is renamed
(:func:`hhsurvey.cli.run_rule`).
"""

from __future__ import annotations

import os
from pathlib import Path

#: The repository root (``scripts/hhsurvey/paths.py`` -> two levels up from ``scripts``).
REPO = Path(__file__).resolve().parents[2]


def is_inside(path: str | Path, base: str | Path, *, follow_links: bool = True) -> bool:
    """Whether ``path`` lies inside the folder ``base``: after removing ``..`` and ``.``
    (lexically, from the working directory) and, with ``follow_links``, once every symbolic
    link of both is resolved as well. A path that names ``base`` itself is inside."""
    lexical = Path(os.path.abspath(path))
    if not lexical.is_relative_to(Path(os.path.abspath(base))):
        return False
    return not follow_links or Path(path).resolve().is_relative_to(Path(base).resolve())


#: The mark of a temporary output (``results/report/.baseline.partial.html``).
PARTIAL = ".partial"


def staged(path: str | Path) -> Path:
    """The temporary name a rule writes *path* under: ``.name.partial.ext`` beside it (a
    folder ``baseline_files`` becomes ``.baseline_files.partial``)."""
    p = Path(path)
    return p.with_name(f".{p.stem}{PARTIAL}{p.suffix}")


def final(path: str | Path) -> Path:
    """The name a temporary output is renamed to (the inverse of :func:`staged`); any other
    path is returned as it is."""
    p = Path(path)
    if not p.name.startswith("."):
        return p
    if p.suffix == PARTIAL:  # a name without extension: ``.baseline_files.partial``
        return p.with_name(p.name[1 : -len(PARTIAL)])
    if p.stem.endswith(PARTIAL):
        return p.with_name(f"{p.stem[1 : -len(PARTIAL)]}{p.suffix}")
    return p
