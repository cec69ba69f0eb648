"""R's answers or Stata's: the two conventions in which survey packages differ, and their parts.

The engine estimates as R's ``survey`` does by default. Stata (``svy:``) and samplics differ in
two places only, and a design chooses each with one argument
(:class:`hhsurvey.engine.design.SurveyDesign`, ``convention=``, ``missing=``, ``domain_df=``):

* **missing values** of an analysis variable (and of a ``by`` column).
  ``missing="zero_weight"`` (R, ``na.rm=TRUE``): the rows stay in the design with weight 0, as a
  domain, so a PSU whose rows are all missing still counts among the PSUs of its stratum (its
  total is 0). ``missing="drop"`` (Stata, samplics): the rows leave the design before the
  estimate, as R does on ``svydesign(data = data[!is.na(y), ])``; a PSU left without rows is no
  longer a PSU of its stratum, so n_h, the stratum mean of the PSU totals and the design df
  change, and a stratum left with one PSU follows the lonely-PSU rule. The two agree whenever
  every PSU keeps a row;
* **degrees of freedom of a domain**. ``domain_df="domain"`` (R): PSUs minus strata among the
  PSUs that hold a positive-weight row of the domain, R's ``degf(subset(design, domain))``.
  ``domain_df="design"`` (Stata, samplics): the design df for every domain, PSUs minus strata
  of the estimation sample (after ``missing="drop"``, of the rows left). The same rule gives
  the df of a regression's coefficients: R's ``df.residual`` (the domain's df + 1 - the number
  of coefficients) under ``"domain"``, Stata's ``e(df_r)`` (the design df) under ``"design"``.

``convention="r"`` is ``missing="zero_weight", domain_df="domain"``; ``convention="stata"`` is
``missing="drop", domain_df="design"``. Either part can be set on its own (the convention then
reads ``"custom"``). Estimates agree in both; SEs differ only where a PSU loses all its rows,
and intervals wherever a domain does not reach every stratum.

This module holds the names and the row selection; :mod:`hhsurvey.engine.domains` applies the
df rule and :class:`~hhsurvey.engine.design.SurveyDesign` the dropping (a design of the
complete rows, built once per set of analysis columns).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

__all__ = [
    "CONVENTIONS",
    "DOMAIN_DF_RULES",
    "MISSING_RULES",
    "complete_rows",
    "resolve_convention",
    "subset_where",
]

#: The parts of each named convention: (missing, domain_df).
CONVENTIONS: dict[str, tuple[str, str]] = {
    "r": ("zero_weight", "domain"),
    "stata": ("drop", "design"),
}
MISSING_RULES: tuple[str, ...] = ("zero_weight", "drop")
DOMAIN_DF_RULES: tuple[str, ...] = ("domain", "design")


def resolve_convention(
    convention: str, missing: str | None, domain_df: str | None
) -> tuple[str, str, str]:
    """(convention, missing, domain_df): the named convention's parts, each overridable.

    The convention reads ``"custom"`` when a part given on its own differs from it.
    """
    if convention not in CONVENTIONS:
        raise ValueError(f"convention must be one of {tuple(CONVENTIONS)}, got {convention!r}")
    m, df = CONVENTIONS[convention]
    m = m if missing is None else missing
    df = df if domain_df is None else domain_df
    if m not in MISSING_RULES:
        raise ValueError(f"missing must be one of {MISSING_RULES}, got {m!r}")
    if df not in DOMAIN_DF_RULES:
        raise ValueError(f"domain_df must be one of {DOMAIN_DF_RULES}, got {df!r}")
    name = next((k for k, v in CONVENTIONS.items() if v == (m, df)), "custom")
    return name, m, df


def complete_rows(data: pd.DataFrame, columns: Sequence[str]) -> np.ndarray | None:
    """Rows with a value in every one of ``columns`` (those in ``data``), or None when all are.

    Columns not in the data are left to the estimator (which names them in its error).
    """
    cols = [c for c in dict.fromkeys(columns) if c in data.columns]
    if not cols:
        return None
    keep = data[cols].notna().all(axis=1).to_numpy()
    return None if keep.all() else keep


def subset_where(where, keep: np.ndarray, index: pd.Index):
    """A ``where=`` argument for the design of the rows ``keep`` of the data with ``index``
    (a column name is unchanged; a Series or array must be aligned with the whole data)."""
    if where is None or isinstance(where, str):
        return where
    if isinstance(where, pd.Series):
        if not where.index.equals(index):
            raise ValueError("where Series must have the same index as the design data")
        return where.iloc[np.flatnonzero(keep)]
    arr = np.asarray(where)
    if arr.ndim != 1 or len(arr) != len(keep):
        raise ValueError(f"where has length {len(arr)}, data has {len(keep)} rows")
    return arr[keep]
