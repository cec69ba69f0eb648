"""What the engine returns: the one tidy vocabulary of estimates.

Every estimator of the engine returns one row per domain with the columns of
:data:`OUTPUT_COLUMNS` (after the ``by`` columns); tables built on estimates elsewhere (indicators,
changes, scenarios) take these names from here.
"""

from __future__ import annotations

__all__ = ["OUTPUT_COLUMNS"]

#: The tidy columns of an estimate, in order.
OUTPUT_COLUMNS: tuple[str, ...] = (
    "estimate",
    "se",
    "ci_low",
    "ci_high",
    "df",
    "deff",
    "n",
    "n_weighted",
)
