"""Cells of the project's CSV tables read as values: a finite number, a yes/no flag.

The bottom of the package beside :mod:`hhsurvey.errors`: the catalogue (national figures) and
the outputs (report, brief) read the same cells the same way.
"""

from __future__ import annotations

import math
from typing import Any

__all__ = ["finite", "truthy"]


def finite(x: Any) -> bool:
    """True for a finite number (False for blanks, text and NaN)."""
    try:
        return math.isfinite(float(x))
    except (TypeError, ValueError):
        return False


def truthy(x: Any) -> bool:
    """A CSV cell read as a yes/no flag: ``True``, ``true``, ``1``, ``yes``."""
    return str(x).strip().lower() in ("true", "1", "yes")
