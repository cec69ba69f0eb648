"""Post-coding of "other, specify" answers (issue 14).

A configured table maps a normalised free-text answer to a category of the coded column it
specifies (``cleaning.post_coding`` in config/config.yaml). Normalised
(:func:`hhsurvey.survey.text.normalise`) = Unicode NFKC, zero-width characters removed, case
folded, surrounding and repeated spaces removed, so that a Lao answer typed with a zero-width
space matches its entry. Only rows whose coded column holds the ``from`` category ("other")
are changed; each change is one row of the cleaning log (rule ``post_code``), and the answers
left uncoded are counted in the job's log. A category the rule codes into that the instrument
does not offer (e.g. military/police insurance, answered as "other") is added to the column's
categories, whether or not an answer of the round uses it, so that the catalogue can name it.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from hhsurvey.errors import InputError
from hhsurvey.survey.io import format_keys
from hhsurvey.survey.text import normalise as normalise_text

logger = logging.getLogger(__name__)

__all__ = ["normalise", "post_code"]

RULE = "post_code"


def normalise(text: Any) -> str:
    """NFKC, zero-width characters removed, case-folded, single spaces, trimmed; "" for
    missing."""
    return normalise_text(text)


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
    is_source = (table[target].astype("string") == source).fillna(False)
    mask = is_source & new.notna()
    uncoded = int((is_source & table[text_col].notna() & new.isna()).sum())
    if uncoded:
        logger.info(
            "%s.%s: %d '%s, specify' answer(s) left uncoded (no entry of "
            "cleaning.post_coding matches them; their %s stays '%s')",
            name,
            text_col,
            uncoded,
            source,
            target,
            source,
        )
    out = table.copy()
    col = out[target]
    if isinstance(col.dtype, pd.CategoricalDtype):
        extra = [c for c in dict.fromkeys(mapping.values()) if c not in col.cat.categories]
        if extra:
            col = col.cat.add_categories(extra)
            out[target] = col
    if not mask.any():
        return out, pd.DataFrame(columns=list(log_columns))
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
