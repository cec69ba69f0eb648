"""Text as people type it, made comparable: labels and free text in any script.

Two texts that a reader sees as the same must compare equal whatever the keyboard or the
export did to them: :func:`normalise` applies Unicode NFKC (compatibility forms folded, e.g.
Lao ``ໜ`` and ``ຫນ``, full-width Latin letters), removes the invisible zero-width characters
(:data:`ZERO_WIDTH`, which a Lao keyboard or a copy from a word processor leaves inside words),
folds case and collapses white space. It serves the value-label check against the codebook
(Lao-script labels included) and the post-coding of "other, specify" answers.
:func:`strip_invisible` is the clean-up applied to every free-text answer at ingest.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

import pandas as pd

__all__ = ["ZERO_WIDTH", "has_letters", "normalise", "strip_invisible"]

#: Invisible characters removed before any comparison: zero-width space, non-joiner and
#: joiner, word joiner, zero-width no-break space (byte-order mark), soft hyphen, Mongolian
#: vowel separator.
ZERO_WIDTH = re.compile("[\u200b\u200c\u200d\u2060\ufeff\u00ad\u180e]")


def normalise(text: Any) -> str:
    """NFKC, zero-width characters removed, case-folded, single spaces, trimmed; "" for a
    missing value."""
    if text is None or text is pd.NA or (isinstance(text, float) and text != text):
        return ""
    folded = ZERO_WIDTH.sub("", unicodedata.normalize("NFKC", str(text))).casefold()
    return " ".join(unicodedata.normalize("NFKC", folded).split())


def strip_invisible(values: pd.Series) -> tuple[pd.Series, int]:
    """Free text without zero-width characters (NFC otherwise unchanged), and the number of
    answers that held one."""
    text = values.astype("string")
    hit = text.str.contains(ZERO_WIDTH, regex=True).fillna(False)
    if not hit.any():
        return values, 0
    cleaned = text.str.replace(ZERO_WIDTH, "", regex=True).str.strip()
    return cleaned.mask(cleaned == "").astype("str").where(text.notna()), int(hit.sum())


def has_letters(text: str) -> bool:
    """Whether a text holds a letter of any script (a label worth comparing)."""
    return any(unicodedata.category(ch).startswith("L") for ch in str(text))
