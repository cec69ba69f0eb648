"""Skip rules: every filter question of the questionnaire against its follow-up questions.

A filter question decides which questions follow (docs/raw_layout.md, "Filter questions"):
``INS1`` (insured) opens ``INS2`` (scheme) and its "other, specify"; ``ILL1`` (ill in the
last 30 days) opens the illness module ``opd.sav``; ``OP1`` (sought care) opens the provider,
the visits and the card (``OP2``, ``OP3``, ``OP6``) when yes and the reason for not seeking
care (``OP4``) when no; ``CA6`` (child taken for advice) opens the source (``CA7``). A filter
left blank while its follow-ups are answered would drop the record from every indicator the
filter defines (care-seeking falls, silently), so each such record is a finding:

* the answer the follow-ups imply is unambiguous: check ``blank_filter_<table>_<column>``,
  an error, or, under ``cleaning.blank_filter: impute`` (the default), a warning and the
  answer imputed by cleaning (rule ``filter_imputed``, one cleaning-log row each);
* follow-ups of both branches are answered: ``blank_filter_unresolved``, always an error.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from hhsurvey.prepare.checks import KEYS, Check, Tables
from hhsurvey.survey.io import format_keys

__all__ = ["FILTERS", "Filter", "blank_filters", "impute_filters", "skip_checks"]


@dataclass(frozen=True)
class Filter:
    """A filter question (a column of ``table``), the follow-ups its "yes" and its "no"
    open (columns of the same table), and a module whose records follow its "yes"."""

    table: str
    column: str
    yes: tuple[str, ...] = ()
    no: tuple[str, ...] = ()
    module: str | None = None

    @property
    def id(self) -> str:
        return f"blank_filter_{self.table}_{self.column}"


#: The filter questions of the questionnaire (docs/raw_layout.md).
FILTERS = (
    Filter("person", "insured", yes=("scheme", "scheme_other")),
    Filter("person", "ill_30d", module="episode"),
    Filter("episode", "sought", yes=("provider", "visits", "used_card"), no=("reason_no_care",)),
    Filter("child", "sought", yes=("source",)),
)
_COLUMNS = ["table", "row", "column", "imputed", "answered"]


def _answered(df: pd.DataFrame, cols: tuple[str, ...]) -> pd.DataFrame:
    return pd.DataFrame({c: df[c].notna() for c in cols if c in df}, index=df.index)


def blank_filters(tables: Tables) -> pd.DataFrame:
    """Every record whose filter question is blank while a follow-up is answered: table, row
    (position in the table), column, the answer implied ("yes", "no", or "" when both
    branches are answered) and the follow-ups answered."""
    parts = []
    for f in FILTERS:
        df = tables.get(f.table)
        if df is None or f.column not in df:
            continue
        yes, no = _answered(df, f.yes), _answered(df, f.no)
        if f.module and f.module in tables:
            keys = KEYS[f.module]
            m = df[keys].merge(tables[f.module][keys].drop_duplicates(), how="left", indicator=True)
            yes[f"record in {f.module}"] = (m["_merge"] == "both").to_numpy()
        any_yes, any_no = yes.any(axis=1), no.any(axis=1)
        hit = df[f.column].isna() & (any_yes | any_no)
        if not hit.any():
            continue
        both = pd.concat([yes, no], axis=1)
        parts.append(
            pd.DataFrame(
                {
                    "table": f.table,
                    "row": df.index[hit],
                    "column": f.column,
                    "imputed": [
                        "" if y and n else ("yes" if y else "no")
                        for y, n in zip(any_yes[hit], any_no[hit], strict=True)
                    ],
                    "answered": [
                        ", ".join(c for c in both.columns if row[c])
                        for _, row in both[hit].iterrows()
                    ],
                }
            )
        )
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=_COLUMNS)


def impute_filters(tables: Tables) -> tuple[Tables, list[pd.DataFrame]]:
    """The tables with every unambiguous blank filter answered as its follow-ups imply, and
    one cleaning-log row per imputed answer (rule ``filter_imputed``)."""
    found = blank_filters(tables)
    found = found[found["imputed"] != ""]
    out, logs = dict(tables), []
    for (table, column), grp in found.groupby(["table", "column"], sort=False):
        df = out[table]
        col = df[column].copy()
        idx = pd.Index(grp["row"])
        col.loc[idx] = grp["imputed"].to_numpy()
        logs.append(
            pd.DataFrame(
                {
                    "table": table,
                    "keys": format_keys(df.loc[idx], KEYS[table]),
                    "variable": column,
                    "old_value": "missing",
                    "new_value": grp["imputed"].to_numpy(),
                    "rule": "filter_imputed",
                    "reason": "blank filter question whose follow-up(s) "
                    + grp["answered"].to_numpy()
                    + " are answered: imputed from them (cleaning.blank_filter: impute)",
                }
            )
        )
        out[table] = df.assign(**{column: col})
    return out, logs


def _find(f: Filter | None):
    def find(t: Tables, p: dict) -> pd.DataFrame:
        found = blank_filters(t)
        if f is None:
            found = found[found["imputed"] == ""]
        else:
            found = found[(found["table"] == f.table) & (found["column"] == f.column)]
            found = found[found["imputed"] != ""]
        parts = []
        for table, grp in found.groupby("table"):
            rows = t[table].loc[pd.Index(grp["row"]), KEYS[table]]
            parts.append(
                rows.assign(
                    value=("blank; answered: " + grp["answered"]).to_numpy(),
                    variable=grp["column"].to_numpy(),
                )
            )
        return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=["value"])

    return find


def skip_checks() -> list[Check]:
    """One check per filter question (relaxed when cleaning imputes), and the unresolved."""
    checks = []
    for f in FILTERS:
        opened = [f"{{{f.table}.{c}}}" for c in (*f.yes, *f.no)]
        if f.module:
            opened.append(f"a record in {{{f.module}}}")
        checks.append(
            Check(
                f.id,
                "error",
                f.table,
                f.column,
                f"the filter question {{{f.table}.{f.column}}} is answered whenever the "
                f"questions it opens ({', '.join(opened)}) are: left blank, it drops the "
                "record from every indicator it defines",
                f"enter the answer in {{{f.table}}}, or set cleaning.blank_filter: impute to "
                "impute it from the follow-ups (each imputation is logged)",
                _find(f),
                relaxed=lambda p: p.get("blank_filter", "impute") == "impute",
            )
        )
    checks.append(
        Check(
            "blank_filter_unresolved",
            "error",
            "episode",
            "sought",
            "a blank filter question ({episode.sought}) whose follow-ups of both answers are "
            "filled (the provider of care and the reason for not seeking it) cannot be imputed",
            "enter the answer in {episode}, and clear the follow-ups that do not apply",
            _find(None),
        )
    )
    return checks
