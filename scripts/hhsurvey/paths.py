"""Where the repository is: the one place that knows the library's depth in the tree.

Defaults that live in the repository (``config/report.yaml``, ``config/simulate.yaml``, the
translation catalogues under ``report/locale``) are found from :data:`REPO`, so moving a module
inside the package never changes what it reads.
"""

from __future__ import annotations

from pathlib import Path

#: The repository root (``scripts/hhsurvey/paths.py`` -> two levels up from ``scripts``).
REPO = Path(__file__).resolve().parents[2]
