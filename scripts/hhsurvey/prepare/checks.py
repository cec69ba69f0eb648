"""The form of a validation check, shared by the modules that declare checks.

:mod:`hhsurvey.prepare.validate` runs the catalogue; the checks are declared there and in
:mod:`hhsurvey.prepare.sample_checks` (the frame and the sample agree),
:mod:`hhsurvey.prepare.village_scale` (cluster-level plausibility of amounts) and
:mod:`hhsurvey.prepare.skips` (filter questions and their follow-ups).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd

__all__ = ["KEYS", "Check", "Tables", "flagged"]

Tables = dict[str, pd.DataFrame]

KEYS = {
    "household": ["village", "hh"],
    "person": ["village", "hh", "line"],
    "food": ["village", "hh", "item"],
    "nonfood": ["village", "hh", "item", "recall"],
    "episode": ["village", "hh", "line"],
    "admission": ["village", "hh", "line", "admission"],
    "birth": ["village", "hh", "line"],
    "child": ["village", "hh", "line"],
}


@dataclass(frozen=True)
class Check:
    """One declared validation rule.

    ``find`` returns the offending rows (key columns and ``value``; optionally ``variable``
    and ``file``). A check with a documented treatment is an error unless the config chooses
    the treatment: ``relaxed(params)`` true makes its findings warnings, and cleaning applies
    and logs the treatment. ``show_values`` adds the distinct values found to the error
    message (codes and counts, never free text)."""

    id: str
    severity: str  # "error" | "warning"
    table: str
    variable: str
    description: str
    fix: str
    find: Callable[[Tables, dict], pd.DataFrame]
    # codebook entries ("table.column") a wrong mapping of which breaks this check for many
    # records at once: the message names them before the raw export
    mappings: tuple[str, ...] = ()
    relaxed: Callable[[dict], bool] | None = None
    show_values: bool = False

    def severity_for(self, params: dict) -> str:
        """The severity under the config's treatments."""
        if self.relaxed is not None and self.relaxed(params):
            return "warning"
        return self.severity


def flagged(df: pd.DataFrame, table: str, mask: pd.Series, value: pd.Series) -> pd.DataFrame:
    """The keys of the rows of ``df`` where ``mask`` holds, with their ``value`` as text."""
    return df.loc[mask.fillna(False).to_numpy(), KEYS[table]].assign(
        value=value[mask.fillna(False)].astype(str)
    )
