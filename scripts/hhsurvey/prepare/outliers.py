"""Implausible amounts: the robust outlier rule and the absolute bounds.

Shared by validation (which flags them, :mod:`hhsurvey.prepare.validate`) and cleaning (which
caps them, :mod:`hhsurvey.prepare.clean`), so that both read one definition.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

#: Fewest positive amounts for a group's own median and MAD (smaller groups use a wider one).
MIN_GROUP = 10


def _robust_z(lx: pd.Series, groups: pd.Series) -> tuple[pd.Series, pd.Series]:
    """|lx - median| / (1.4826 MAD) within groups, and whether the group can be screened."""
    med = lx.groupby(groups, observed=True).transform("median")
    mad = (lx - med).abs().groupby(groups, observed=True).transform("median") * 1.4826
    count = lx.groupby(groups, observed=True).transform("count")
    usable = (count >= MIN_GROUP) & (mad > 0)
    return (lx - med).abs() / mad.where(mad > 0), usable


def extreme_amounts(
    df: pd.DataFrame,
    col: str,
    item: str | None,
    threshold: float,
    family: list[str] | None = None,
) -> pd.Series:
    """Robust outlier rule on the log scale, within item (when the table has items).

    A positive amount x is extreme when |log(1+x) - median| / (1.4826 * MAD) > threshold,
    with the median and MAD of log(1+x) over the positive amounts of the same item. An item
    with fewer than 10 positive amounts or a zero MAD is screened against the item's family
    (the same column over every item of the table) and, when that is too small too, against
    every amount of the family columns (``family``: e.g. the six cost items of an episode)."""
    x = df[col]
    lx = np.log1p(x.where(x > 0))
    groups = df[item] if item else pd.Series(0, index=df.index)
    z, usable = _robust_z(lx, groups)
    if not usable.all():  # items too small for their own median: the item's family
        z_fam, usable_fam = _robust_z(lx, pd.Series(0, index=df.index))
        z = z.where(usable, z_fam)
        usable = usable | usable_fam
    cols = [c for c in (family or [col]) if c in df.columns]
    if not usable.all() and len(cols) > 1:
        pooled = pd.concat([np.log1p(df[c].where(df[c] > 0)) for c in cols], ignore_index=True)
        med = pooled.median()
        mad = (pooled - med).abs().median() * 1.4826
        if pooled.count() >= MIN_GROUP and mad > 0:
            z = z.where(usable, (lx - med).abs() / mad)
            usable = pd.Series(True, index=df.index)
    return (z > threshold) & usable


def above_bound(df: pd.DataFrame, table: str, col: str, bounds: dict) -> pd.Series:
    """Amounts above the absolute plausibility bound of their table (config
    `validation.amount_bounds`, LAK per record; non-food by recall period)."""
    x = df[col]
    if table == "nonfood":
        recall = df["recall"]
        limits = {"days30": bounds.get("nonfood_30d"), "months12": bounds.get("nonfood_12m")}
        limit = np.select(
            [(recall == period).to_numpy(dtype=bool, na_value=False) for period in limits],
            [np.nan if b is None else float(b) for b in limits.values()],
            default=np.nan,
        )
        return (x > limit).fillna(False)
    b = bounds.get(f"{table}_{col}", bounds.get(table))
    if b is None:
        return pd.Series(False, index=df.index)
    return (x > b).fillna(False)
