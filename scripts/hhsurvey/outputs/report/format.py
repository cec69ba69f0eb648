"""Formatting of result values for the reports (baseline and change): plain strings only.

DHS conventions: ``*`` for a suppressed estimate, ``( )`` for a caution one; percentages with one
decimal; LAK whole with thousands separators. The unit of an indicator comes from the catalogue
(``unit``) and is printed once, from :data:`UNIT_TEXT`, never from its label.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterable, Mapping
from typing import Any

import pandas as pd

from hhsurvey.cells import finite, truthy
from hhsurvey.errors import InputError

__all__ = [
    "DECIMALS",
    "DESIGN_TEXT",
    "DOMAIN_TEXT",
    "NOT_APPLICABLE",
    "NOT_ESTIMABLE",
    "NOT_ESTIMATED",
    "MULTIPLICITY_NAMES",
    "MULTIPLICITY_TEXT",
    "NOT_IN_INSTRUMENT",
    "NO_FIGURE",
    "UNIT_TEXT",
    "finite",
    "flag_of",
    "fmt_change",
    "fmt_change_ci",
    "fmt_ci",
    "fmt_count",
    "fmt_estimate",
    "fmt_number",
    "fmt_p",
    "fmt_pct",
    "lang_of",
    "precision_class",
    "PRECISION_MARKS",
    "level_text",
    "read_csv",
    "require",
    "text_of",
    "truthy",
    "unit_text",
]

#: The multiplicity methods (config ``differences`` and ``change``): their proper names (not
#: translated) and in words (the report's Methods).
MULTIPLICITY_NAMES = {
    "benjamini_hochberg": "Benjamini-Hochberg",
    "holm": "Holm",
    "bonferroni": "Bonferroni",
}
MULTIPLICITY_TEXT = {
    "benjamini_hochberg": "the Benjamini-Hochberg procedure (false discovery rate)",
    "holm": "Holm's procedure (family-wise error rate)",
    "bonferroni": "the Bonferroni correction (family-wise error rate)",
    "none": "no procedure (no adjustment)",
}
NOT_ESTIMATED = "not estimated in this run"
NOT_IN_INSTRUMENT = "not in this round's instrument"
NO_FIGURE = "no national figure"
#: A structural zero (the ``flag`` of indicators.csv): the event is impossible in the group.
NOT_APPLICABLE = "not applicable"
#: A standard error of 0 (the ``precision`` of indicators.csv): no interval can be given.
NOT_ESTIMABLE = "not estimable"

UNIT_TEXT = {
    "percent": "%",
    "percentage_points": "percentage points",
    "lak": "LAK",
    "ratio": "ratio",
    "rate": "per person per year",
    "per_1000": "per 1,000 per year",
    "nights": "nights",
    "index": "index (-1 to 1)",
}
DOMAIN_TEXT = {
    "area": "Area",
    "sex": "Sex",
    "age_group": "Age group (years)",
    "quintile": "Consumption quintile",
    "insured_status": "Insurance status",
    "scheme": "Insurance scheme",
    "ep_provider_group": "First provider",
    "threshold": "Threshold",
}
DESIGN_TEXT = {
    "person": "persons (household weight)",
    "household": "households (household weight)",
    "household_pop": "population (household weight x household size)",
}
DECIMALS = {
    "percent": 1,
    "percentage_points": 1,
    "lak": 0,
    "ratio": 2,
    "rate": 2,
    "per_1000": 1,
    "nights": 1,
    "index": 3,
}
SCALE = {"percent": 100.0, "percentage_points": 100.0}


#: The DHS-style marks of precision, one symbol per class (the tables' footnote explains them;
#: the numbers behind them are in the estimates file's ``precision_note``): ``low``, the
#: precision rule flags the estimate (column ``precision``); ``review``, its note asks for a
#: review (few degrees of freedom, no case observed).
PRECISION_MARKS = {"low": "\u2020", "review": "\u2021"}


def precision_class(row: Mapping[str, Any]) -> str:
    """``low``, ``review`` or "" for a result row; never for a suppressed estimate."""
    if flag_of(row.get("flag")) == "suppressed":
        return ""
    if text_of(row.get("precision")).strip().lower() == "low":
        return "low"
    return "review" if "review" in text_of(row.get("precision_note")).lower() else ""


def text_of(x: Any) -> str:
    """A cell as text, missing as ""."""
    return "" if x is None or (isinstance(x, float) and math.isnan(x)) or x is pd.NA else str(x)


def flag_of(x: Any) -> str:
    return "" if pd.isna(x) else str(x)


def unit_text(unit: str, range_: Any = None) -> str:
    """The unit as printed (``index (-1 to 1)``; a catalogue ``range`` overrides the default)."""
    if unit == "index" and isinstance(range_, list | tuple) and len(range_) == 2:
        return f"index ({range_[0]:g} to {range_[1]:g})"
    return UNIT_TEXT.get(unit, unit)


def fmt_number(x: Any, unit: str, extra_decimals: int = 0) -> str:
    """A value in its display unit: proportions as percent with one decimal, LAK whole with
    thousands separators, indices with three decimals. Blank when missing."""
    if not finite(x):
        return ""
    d = max(DECIMALS.get(unit, 2) + extra_decimals, 0)
    return f"{float(x) * SCALE.get(unit, 1.0):,.{d}f}"


def fmt_estimate(x: Any, unit: str, flag: str) -> str:
    """DHS convention: ``*`` for suppressed, ``(x)`` for caution; "not applicable" for a
    structural zero."""
    if flag == "suppressed":
        return "*"
    if flag == NOT_APPLICABLE:
        return NOT_APPLICABLE
    text = fmt_number(x, unit)
    return f"({text})" if flag == "caution" and text else text


def fmt_ci(lo: Any, hi: Any, unit: str, flag: str) -> str:
    """``lo–hi`` (en dash), parenthesised for caution, blank for suppressed or missing. Bounds
    that would print alike get more decimals: a printed interval never has zero width."""
    if flag in ("suppressed", NOT_APPLICABLE) or not (finite(lo) and finite(hi)):
        return ""
    extra = 0
    while fmt_number(lo, unit, extra) == fmt_number(hi, unit, extra) and extra < 4:
        extra += 1
    text = f"{fmt_number(lo, unit, extra)}\u2013{fmt_number(hi, unit, extra)}"
    return f"({text})" if flag == "caution" else text


def fmt_count(x: Any) -> str:
    return f"{round(float(x)):,d}" if finite(x) else ""


def fmt_pct(x: Any, decimals: int = 1) -> str:
    return f"{float(x) * 100:.{decimals}f}\u00a0%" if finite(x) else ""


def level_text(domain: str, level: Any) -> str:
    text = text_of(level)
    if domain == "quintile":
        return {"1": "1 (poorest)", "5": "5 (richest)"}.get(text, text)
    if domain == "scheme":
        return text.upper() if len(text) <= 4 else text.replace("_", " ").capitalize()
    return text.replace("_", " ").capitalize() if text.islower() else text


def lang_of(text: str) -> str:
    """Return "lo" when the text contains Lao script (U+0E80-U+0EFF), so that browsers and
    screen readers treat it as Lao; else "" (the page language applies)."""
    return "lo" if any("\u0e80" <= ch <= "\u0eff" for ch in text) else ""


def read_csv(path: str | os.PathLike[str]) -> pd.DataFrame:
    """A result CSV with empty cells as missing and nothing else reinterpreted."""
    try:
        return pd.read_csv(path, keep_default_na=False, na_values=[""])
    except FileNotFoundError:
        raise InputError(
            "a result table the report needs is missing", str(path), "run the workflow first"
        ) from None


def require(df: pd.DataFrame, columns: Iterable[str], path: str) -> None:
    """An InputError naming the documented columns *df* lacks."""
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise InputError(
            f"the table lacks column(s) {', '.join(missing)}",
            str(path),
            "rebuild it with the current pipeline (the report reads its documented columns)",
        )


def plain(x: Any) -> Any:
    """Nested mappings/sequences as plain dicts/lists (Snakemake passes its own types)."""
    if isinstance(x, Mapping):
        return {str(k): plain(v) for k, v in x.items()}
    if isinstance(x, list | tuple):
        return [plain(v) for v in x]
    return x


def fmt_change(x: Any, unit: str) -> str:
    """A change in the indicator's display unit, signed: ``+5.3``, ``-0.8``, ``0.0``."""
    text = fmt_number(x, unit)
    if not text:
        return ""
    if text.lstrip("-").strip("0.,") == "":
        return text.lstrip("-")  # no "-0.0" or "+0.0"
    return text if text.startswith("-") else f"+{text}"


def fmt_change_ci(lo: Any, hi: Any, unit: str) -> str:
    """``lo to hi`` in the display unit (signed), blank when either bound is missing."""
    if not (finite(lo) and finite(hi)):
        return ""
    return f"{fmt_change(lo, unit)} to {fmt_change(hi, unit)}"


def fmt_p(p: Any) -> str:
    """Two-sided p-value with three decimals, ``<0.001`` below that; blank when missing."""
    if not finite(p):
        return ""
    return "<0.001" if float(p) < 0.001 else f"{float(p):.3f}"
