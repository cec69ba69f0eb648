"""Cluster-level plausibility: a village whose amounts are a power of ten off the others.

A team that records one village's amounts in thousands of kip (or hundreds) leaves every
amount of that village 1,000 (100) times too small, each one plausible on its own: the record
level rules (:mod:`hhsurvey.prepare.amounts`) then raise hundreds of warnings and keep the
amounts. This rule looks at villages instead. Each positive amount is divided by the median of
the same item (the same column, item and recall period) over all villages; a village's ratio
for a table is the median of its amounts' ratios (at least :data:`MIN_AMOUNTS` of them). A
ratio beyond ``validation.village_scale_ratio`` (or below its inverse) is one village-level
finding, naming the tables and the power of ten closest to the ratio.

The treatment is the config's choice, ``cleaning.village_amount_scale``: ``stop`` (the
default: validation stops with the message) or ``rescale``: the village's amounts of that
table are multiplied by the power of ten, every change a row of the cleaning log (rule
``village_rescaled``). A ratio that is not close to a power of ten (within a factor
:data:`POWER_TOLERANCE`) is never rescaled: it stops the run whatever the config says.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from hhsurvey.prepare.amounts import AMOUNT_COLUMNS
from hhsurvey.prepare.checks import KEYS, Check, Tables
from hhsurvey.survey.io import format_keys

__all__ = ["SCALE_COLUMNS", "rescale_villages", "village_checks", "village_scale"]

#: Fewest positive amounts of a village in a table for the table to be judged on its own (a
#: median of five admissions can be 40 times the others' by chance: at 100x the demo, 2,000
#: villages, it was), and of all its tables together for the village to be judged.
MIN_AMOUNTS = 20
#: Largest factor between a village's ratio and the nearest power of ten (of at least 100)
#: for the village to be rescaled by that power (10 ** 0.3: about 2).
POWER_TOLERANCE = 10**0.3
SCALE_COLUMNS = ["village", "table", "ratio", "amounts", "factor"]


def _log_ratios(df: pd.DataFrame, table: str) -> pd.DataFrame:
    """log10(amount / median of the same item over all villages), per positive amount."""
    parts = []
    for col, item in AMOUNT_COLUMNS[table].items():
        x = df[col].where(df[col] > 0)
        groups = [
            df[c] for c in ([item] if item else []) + (["recall"] if table == "nonfood" else [])
        ]
        med = x.groupby(groups, observed=True).transform("median") if groups else x.median()
        parts.append(pd.DataFrame({"village": df["village"], "lr": np.log10(x / med)}))
    return pd.concat(parts, ignore_index=True).dropna()


def village_scale(tables: Tables, ratio: float) -> pd.DataFrame:
    """Villages whose amounts of a table are ``ratio`` times or more off (either way) the same
    items of the other villages: village, table, ratio (the village's median ratio in that
    table), amounts (how many), factor (the power of ten that brings them back, or NaN when
    the ratio is not close to one).

    A table where the village has at least :data:`MIN_AMOUNTS` positive amounts is judged on
    its own; one with fewer (two births, one admission) follows the village's amounts of all
    tables together when those are off and the table's few amounts lie nearer to them than to
    the other villages'."""
    per_table = []
    for table in AMOUNT_COLUMNS:
        df = tables.get(table)
        if df is None or df.empty or df["village"].nunique() < 3:
            continue
        per_table.append(_log_ratios(df, table).assign(table=table))
    if not per_table:
        return pd.DataFrame(columns=SCALE_COLUMNS)
    lr = pd.concat(per_table, ignore_index=True)
    limit = np.log10(ratio)
    pooled = lr.groupby("village")["lr"].agg(["median", "count"])
    pooled_off = pooled["median"].where(
        (pooled["count"] >= MIN_AMOUNTS) & (pooled["median"].abs() >= limit)
    )
    stats = lr.groupby(["village", "table"], sort=False)["lr"].agg(["median", "count"])
    # judged on whole columns (one row per village and table: 120,000 at 1000x the demo); only
    # the villages found off are turned into rows
    med, count = stats["median"].to_numpy(), stats["count"].to_numpy()
    village_off = pooled_off.reindex(stats.index.get_level_values("village")).to_numpy()
    own = (count >= MIN_AMOUNTS) & (np.abs(med) >= limit)
    with np.errstate(invalid="ignore"):
        follows = (
            (count < MIN_AMOUNTS)
            & np.isfinite(village_off)
            & (np.abs(med - village_off) < np.abs(med))
        )
    rows = []
    for i in np.flatnonzero(own | follows):
        village, table = stats.index[i]
        judged = float(med[i]) if own[i] else float(village_off[i])
        power = round(judged)
        close = abs(power) >= 2 and abs(judged - power) <= np.log10(POWER_TOLERANCE)
        rows.append(
            {
                "village": village,
                "table": table,
                "ratio": float(10 ** med[i]),
                "amounts": int(count[i]),
                "factor": float(10.0 ** (-power)) if close else np.nan,
            }
        )
    return pd.DataFrame(rows, columns=SCALE_COLUMNS)


def rescale_villages(tables: Tables, scale: pd.DataFrame) -> tuple[Tables, list[pd.DataFrame]]:
    """The tables with the amounts of each (village, table) of ``scale`` that has a factor
    multiplied by it, and the cleaning-log rows of every changed amount."""
    out, logs = dict(tables), []
    for r in scale.dropna(subset=["factor"]).itertuples():
        df = out[r.table]
        rows = df["village"] == r.village
        reason = (
            f"the village's {r.table} amounts are x{r.ratio:.3g} of the same items in the "
            f"other villages (median over {r.amounts}): recorded in another unit, multiplied "
            f"by {r.factor:,g} (cleaning.village_amount_scale: rescale)"
        )
        for col in AMOUNT_COLUMNS[r.table]:
            hit = rows & df[col].notna() & (df[col] != 0)
            if not hit.any():
                continue
            new = df[col].where(~hit, df[col] * r.factor)
            logs.append(
                pd.DataFrame(
                    {
                        "table": r.table,
                        "keys": format_keys(df.loc[hit], KEYS[r.table]),
                        "variable": col,
                        "old_value": df.loc[hit, col].astype(str).to_numpy(),
                        "new_value": new[hit].astype(str).to_numpy(),
                        "rule": "village_rescaled",
                        "reason": reason,
                    }
                )
            )
            df = df.assign(**{col: new})
        out[r.table] = df
    return out, logs


def _found(rescalable: bool):
    def find(t: Tables, p: dict) -> pd.DataFrame:
        scale: pd.DataFrame = p.get("village_scale", pd.DataFrame(columns=SCALE_COLUMNS))
        scale = scale[scale["factor"].notna() == rescalable]
        files = p.get("files", {})
        out = []
        for village, grp in scale.groupby("village", sort=True):
            parts = [
                f"{r.table} amounts x{r.ratio:.3g} of the same items elsewhere "
                f"({r.amounts} amounts)"
                + (f"; rescaled, it would be multiplied by {r.factor:,g}" if rescalable else "")
                for r in grp.itertuples()
            ]
            out.append(
                {
                    "village": village,
                    "value": "; ".join(parts),
                    "file": ", ".join(files.get(x, x) for x in grp["table"]),
                }
            )
        return pd.DataFrame(out, columns=["village", "value", "file"])

    return find


def village_checks() -> list[Check]:
    """The village-level plausibility of amounts: rescalable (a treatment the config may
    choose) and not (always an error)."""
    return [
        Check(
            "village_amount_scale",
            "error",
            "household",
            "amounts",
            "the amounts of a village are of the same order as the same items in the other "
            "villages (within validation.village_scale_ratio); these are a power of ten off, "
            "as when a team records amounts in thousands (or hundreds) of kip",
            "ask the survey team in which unit the village's amounts were recorded and "
            "correct the export; or set cleaning.village_amount_scale: rescale to multiply them "
            "by the power of ten shown (each change logged in cleaning_log.csv)",
            _found(rescalable=True),
            relaxed=lambda p: p.get("village_amount_scale") == "rescale",
            show_values=True,
        ),
        Check(
            "village_amount_level",
            "error",
            "household",
            "amounts",
            "the amounts of a village are of the same order as the same items in the other "
            "villages (within validation.village_scale_ratio); these are far off, but not by "
            "a power of ten, so no rescaling can be assumed",
            "ask the survey team how the village's amounts were recorded and correct the "
            "export; if they are right, widen validation.village_scale_ratio in the config",
            _found(rescalable=False),
            show_values=True,
        ),
    ]
