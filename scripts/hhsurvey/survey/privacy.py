"""Free-text privacy: "other, specify" answers are scanned for personal identifiers at ingest.

Before any free text leaves ingest it is compared with the round's own identifiers (the names,
phone numbers and GPS coordinates of every household, read from the columns the codebook lists
under `pii:` and never written anywhere) and with phone-number and coordinate patterns. Each
match is replaced by a marker such as ``[redacted: phone]``; the cleaning log counts the
redactions by cell without ever showing the value. A data owner who wants no verbatim answer
at all sets ``report.show_verbatim: false``: every free-text cell is then withheld.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

REDACTION_COLUMNS = ["table", "row", "column", "raw_variable", "kinds"]

# A phone number: 7 or more digits, possibly with +, spaces, dots, dashes or brackets between.
PHONE = re.compile(r"(?<![\w.])\+?\d(?:[\s().-]{0,2}\d){6,}(?![\w])")
# A coordinate: a decimal number with four or more decimals (about 10 m), optional sign.
COORDINATE = re.compile(r"(?<![\w.])-?\d{1,3}\.\d{4,}(?![\d.])")
# Name parts shorter than this are not searched alone (they match ordinary words).
MIN_NAME_PART = 4


@dataclass
class Identifiers:
    """The round's identifiers: name strings and phone digit strings to search for."""

    names: set[str] = field(default_factory=set)
    phones: set[str] = field(default_factory=set)
    coordinates: set[str] = field(default_factory=set)


def _digits(s: str) -> str:
    return re.sub(r"\D", "", s)


def collect_identifiers(columns: list[pd.Series]) -> Identifiers:
    """Identifiers from the `pii:` columns of the raw files, sorted into names, phones, GPS."""
    ids = Identifiers()
    for s in columns:
        if pd.api.types.is_numeric_dtype(s):
            for v in s.dropna().to_numpy(dtype="float64"):
                for decimals in (6, 5, 4):
                    ids.coordinates.add(f"{v:.{decimals}f}".rstrip("0").rstrip("."))
            continue
        for v in s.dropna().astype(str):
            v = v.strip()
            if not v:
                continue
            digits = _digits(v)
            if len(digits) >= 7:
                ids.phones.add(digits)
                ids.phones.add(digits[-8:])  # the local part without a country/area prefix
            elif re.search(r"[^\W\d_]", v):
                ids.names.add(v.casefold())
                ids.names.update(
                    p.casefold() for p in re.split(r"[\s,.'-]+", v) if len(p) >= MIN_NAME_PART
                )
    return ids


def _name_pattern(names: set[str]) -> re.Pattern | None:
    if not names:
        return None
    alts = "|".join(re.escape(n) for n in sorted(names, key=len, reverse=True))
    return re.compile(rf"(?<!\w)(?:{alts})(?!\w)", re.IGNORECASE)


def redact_text(values: pd.Series, ids: Identifiers) -> tuple[pd.Series, pd.Series]:
    """Redact identifiers in free text; return the new text and, per cell, the kinds found
    ("name, phone", or empty)."""
    names = _name_pattern(ids.names)
    coords = sorted(ids.coordinates, key=len, reverse=True)

    def one(text: str) -> tuple[str, str]:
        kinds: list[str] = []

        def phone(m: re.Match) -> str:
            kinds.append("phone")
            return "[redacted: phone]"

        def coordinate(m: re.Match) -> str:
            kinds.append("coordinates")
            return "[redacted: coordinates]"

        def name(m: re.Match) -> str:
            kinds.append("name")
            return "[redacted: name]"

        out = text
        for c in coords:  # coordinates first: 18.923925 is also eight digits
            if c in out:
                kinds.append("coordinates")
                out = out.replace(c, "[redacted: coordinates]")
        out = COORDINATE.sub(coordinate, out)
        out = PHONE.sub(phone, out)
        for digits in ids.phones:  # a household's own phone written with odd separators
            spaced = r"[\s().+-]{0,2}".join(re.escape(d) for d in digits)
            out, n = re.subn(spaced, "[redacted: phone]", out)
            kinds += ["phone"] * n
        if names is not None:
            out = names.sub(name, out)
        return out, ", ".join(sorted(set(kinds)))

    text = values.astype("string")
    new = text.copy()
    kinds = pd.Series("", index=values.index, dtype="str")
    for i in np.flatnonzero(text.notna().to_numpy()):
        idx = text.index[i]
        new.loc[idx], kinds.loc[idx] = one(str(text.loc[idx]))
    return new.astype("str").where(text.notna(), np.nan), kinds
