"""Post-coding of "other, specify" answers (issue 14).

A configured table maps a normalised free-text answer to a category of the coded column it
specifies (``cleaning.post_coding`` in config/config.yaml). Normalised = Unicode NFC, lower
case, surrounding and repeated spaces removed. Only rows whose coded column holds the
``from`` category ("other") are changed; each change is one row of the cleaning log (rule
``post_code``). A category the instrument does not offer (e.g. military/police insurance,
answered as "other") is added to the column's categories, and listed in ``categories``.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from hhsurvey.errors import InputError
from hhsurvey.survey.io import format_keys

__all__ = ["normalise", "post_code"]

RULE = "post_code"


def normalise(text: Any) -> str:
    """NFC, lower case, single spaces, trimmed; "" for missing."""
    if text is None or (isinstance(text, float) and text != text) or text is pd.NA:
        return ""
    return " ".join(unicodedata.normalize("NFC", str(text)).casefold().split())


def post_code(
    table: pd.DataFrame,
    name: str,
    rule: Mapping[str, Any],
    keys: Sequence[str],
    log_columns: Sequence[str],
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Apply one post-coding rule to *table* (named *name*); return it and its log rows."""
    text_col, target = str(rule["text"]), str(rule["target"])
    source = str(rule.get("from", "other"))
    mapping = {normalise(k): str(v) for k, v in (rule.get("map") or {}).items()}
    for col in (text_col, target):
        if col not in table:
            raise InputError(
                f"post-coding names column '{col}', which table '{name}' lacks",
                "config/config.yaml cleaning.post_coding",
                "name an existing text column and the coded column it specifies",
            )
    new = table[text_col].map(normalise).map(mapping)
    mask = (table[target].astype("string") == source).fillna(False) & new.notna()
    if not mask.any():
        return table, pd.DataFrame(columns=list(log_columns))
    out = table.copy()
    col = out[target]
    if isinstance(col.dtype, pd.CategoricalDtype):
        extra = [c for c in dict.fromkeys(new[mask]) if c not in col.cat.categories]
        if extra:
            col = col.cat.add_categories(extra)
    old = out[target].astype("string")
    col = col.copy()
    col[mask] = new[mask]
    out[target] = col
    sub = out.loc[mask]
    log = pd.DataFrame(
        {
            "table": name,
            "keys": format_keys(sub, list(keys)),
            "variable": target,
            "old_value": old[mask].to_numpy(),
            "new_value": new[mask].to_numpy(),
            "rule": RULE,
            "reason": "'other, specify' answer '"
            + table.loc[mask, text_col].astype(str).to_numpy()
            + "' post-coded (config cleaning.post_coding)",
        }
    )
    return out, log[list(log_columns)]
