"""Where the repository is: the one place that knows the library's depth in the tree.

Defaults that live in the repository (``config/report.yaml``, ``config/simulate.yaml``, the
translation catalogues under ``report/locale``) are found from :data:`REPO`, so moving a module
inside the package never changes what it reads. :func:`is_inside` is the fence of a round: a
path the config or a codebook names must stay inside the folder it belongs to (docs/security.md).
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
