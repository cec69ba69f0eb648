"""Cleaning with a complete log (docs/definitions.md "Consumption and out-of-pocket spending").

Every change to a value is one row of the cleaning log: table, keys, variable, old value, new
value, rule, reason. No record is dropped silently: records outside the analysis (modules of
non-responding households) are listed as exclusions, and the row counts of raw, clean and
excluded reconcile.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from hhsurvey.prepare.amounts import AMOUNT_COLUMNS
from hhsurvey.prepare.checks import KEYS
from hhsurvey.prepare.outliers import above_bound, extreme_amounts
from hhsurvey.prepare.postcode import post_code
from hhsurvey.prepare.skips import impute_filters
from hhsurvey.prepare.village_scale import rescale_villages, village_scale
from hhsurvey.survey.io import format_keys

log = logging.getLogger(__name__)

Tables = dict[str, pd.DataFrame]
Step = tuple[Tables, list[pd.DataFrame]]  # the tables after a step, and the step's log rows
LOG_COLUMNS = ["table", "keys", "variable", "old_value", "new_value", "rule", "reason"]

# Amounts that enter OOP or consumption (imputed); others (transport, food and lodging of care)
# are imputed too because the "incl. transport and food" sensitivity variant uses them.
NOT_IMPUTED_ITEMS = {"nonfood": ["durables", "taxes_fees"]}


def _log(
    df: pd.DataFrame, table: str, mask: pd.Series, var: str, old, new, rule: str, reason: str
) -> pd.DataFrame:
    m = mask.fillna(False).to_numpy()
    if not m.any():
        return pd.DataFrame(columns=LOG_COLUMNS)
    sub = df.loc[m]

    def as_text(v):
        return (v[m] if isinstance(v, pd.Series) else pd.Series(v, index=df.index)[m]).astype(str)

    return pd.DataFrame(
        {
            "table": table,
            "keys": format_keys(sub, KEYS[table]),
            "variable": var,
            "old_value": as_text(old).to_numpy(),
            "new_value": as_text(new).to_numpy(),
            "rule": rule,
            "reason": reason,
        }
    )


def impute_median(
    df: pd.DataFrame, col: str, groups: list[str], donors: pd.Series
) -> tuple[pd.Series, pd.Series]:
    """Impute missing ``col`` by the median of donors in the same groups (then overall).

    Returns the new values and the imputation source ("group", "all strata" or "zero").
    """
    values = df[col]
    miss = values.isna()
    out = values.copy()
    source = pd.Series(pd.NA, index=df.index, dtype="str")
    if not miss.any():
        return out, source
    pool = df.loc[donors.fillna(False) & values.notna()]
    # unweighted median, the average of the two middle values for an even count (pandas'
    # grouped median: the same numbers as np.median per group, without a call per group)
    med = pool.groupby(groups, observed=True)[col].median()
    key = (
        pd.MultiIndex.from_frame(df.loc[miss, groups])
        if len(groups) > 1
        else df.loc[miss, groups[0]]
    )
    fill = pd.Series(med.reindex(key).to_numpy(), index=df.index[miss])
    source.loc[fill.index[fill.notna()]] = "group"
    coarse = groups[:-1]  # drop the stratum: same item (and recall) in all strata
    if fill.isna().any() and coarse:
        med2 = pool.groupby(coarse, observed=True)[col].median()
        need = fill.index[fill.isna()]
        k2 = (
            pd.MultiIndex.from_frame(df.loc[need, coarse])
            if len(coarse) > 1
            else df.loc[need, coarse[0]]
        )
        fill.loc[need] = med2.reindex(k2).to_numpy()
        source.loc[need[~np.isnan(fill.loc[need].to_numpy())]] = "all strata"
    rest = fill.isna()
    fill = fill.where(~rest, 0.0)
    source.loc[fill.index[rest.to_numpy()]] = "zero"
    out.loc[fill.index] = fill.to_numpy()
    return out, source


def clean_tables(
    tables: Tables,
    special: pd.DataFrame,
    params: dict,
    redactions: pd.DataFrame | None = None,
) -> tuple[Tables, pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Apply the cleaning rules, one step after the other; each step logs its own rows.

    Returns the clean tables, the cleaning log, the excluded records (table, keys, reason) and
    the row reconciliation (table, raw, clean, excluded).
    """
    logs = [*_special_codes_logged(special), *_redactions_logged(redactions)]
    hh = tables["household"]
    responding = hh.loc[
        hh["result"].isin(params["responding"]), ["village", "hh", params["strata"]]
    ]
    out, excluded = _keep_responding(tables, responding[["village", "hh"]])
    out, rows = _documented_treatments(tables, out, params)
    logs += rows
    for step in (_ranges_to_missing, _no_care_zero_spending, _negative_to_missing, _cap_amounts):
        out, rows = step(out, params)
        logs += rows
    out, rows = _impute_amounts(out, responding.set_index(["village", "hh"])[params["strata"]])
    logs += rows
    out, rows = _post_code(out, params)
    logs += rows
    cleaning_log = (
        pd.concat([x for x in logs if len(x)], ignore_index=True)
        if any(len(x) for x in logs)
        else pd.DataFrame(columns=LOG_COLUMNS)
    )
    cleaning_log = cleaning_log.astype("str")
    exclusions = (
        pd.concat(excluded, ignore_index=True)
        if excluded
        else pd.DataFrame(
            {
                "table": pd.Series(dtype="str"),
                "keys": pd.Series(dtype="str"),
                "reason": pd.Series(dtype="str"),
            }
        )
    )
    recon = pd.DataFrame(
        {
            "table": list(tables),
            "raw": [len(tables[t]) for t in tables],
            "clean": [len(out[t]) for t in tables],
            "excluded": [int((exclusions["table"] == t).sum()) for t in tables],
        }
    )
    recon = recon.assign(reconciles=recon["raw"] == recon["clean"] + recon["excluded"])
    log.info("cleaning: %d log rows, %d excluded records", len(cleaning_log), len(exclusions))
    return out, cleaning_log, exclusions, recon


def _documented_treatments(tables: Tables, out: Tables, params: dict) -> Step:
    """0. The treatments the config chose for what validation found (each change logged):
    a village's amounts recorded in another unit rescaled (``cleaning.village_amount_scale:
    rescale``; found on the tables as ingested, as validation found it), and blank filter
    questions imputed from their follow-ups (``cleaning.blank_filter: impute``)."""
    logs: list[pd.DataFrame] = []
    if params.get("village_amount_scale") == "rescale":
        scale = village_scale(tables, params.get("village_scale_ratio", 30.0))
        out, rows = rescale_villages(out, scale)
        logs += rows
        for r in scale.dropna(subset=["factor"]).itertuples():
            log.warning(
                "village %s: %s amounts x%.3g of the same items elsewhere; multiplied by %g "
                "(cleaning.village_amount_scale: rescale, logged in cleaning_log.csv)",
                r.village,
                r.table,
                r.ratio,
                r.factor,
            )
    if params.get("blank_filter", "impute") == "impute":
        out, rows = impute_filters(out)
        logs += rows
        if rows:
            log.warning(
                "%d blank filter question(s) imputed from their follow-ups (rule "
                "filter_imputed in cleaning_log.csv)",
                sum(len(r) for r in rows),
            )
    return out, logs


def _special_codes_logged(special: pd.DataFrame) -> list[pd.DataFrame]:
    """1. Don't know / refused amounts and ages were set to missing at ingest; log them here."""
    if not len(special):
        return []
    return [
        special.assign(
            old_value=special["code"].astype(str) + " (" + special["meaning"] + ")",
            new_value="missing",
            variable=special["column"],
            rule="dk_refused_to_missing",
            reason="user-missing code (don't know / refused) is not a value",
        )[LOG_COLUMNS]
    ]


def _redactions_logged(redactions: pd.DataFrame | None) -> list[pd.DataFrame]:
    """1b. Free text redacted or withheld at ingest: one row per cell, never the value."""
    if redactions is None or not len(redactions):
        return []
    withheld = redactions["kinds"].str.startswith("withheld")
    return [
        redactions.assign(
            variable=redactions["column"],
            old_value="free text (not shown)",
            new_value=np.where(
                withheld, "withheld", "redacted: " + redactions["kinds"].astype(str)
            ),
            rule=np.where(withheld, "verbatim_withheld", "free_text_redacted"),
            reason=np.where(
                withheld,
                "report.show_verbatim is false: no verbatim answer leaves ingest",
                "personal identifier (name, phone number or coordinates) in free text",
            ),
        )[LOG_COLUMNS]
    ]


def _keep_responding(tables: Tables, resp_keys: pd.DataFrame) -> tuple[Tables, list[pd.DataFrame]]:
    """The module records of responding households; the others are listed as exclusions."""
    out: Tables = {}
    excluded: list[pd.DataFrame] = []
    for name, df in tables.items():
        if name in ("frame", "household"):
            out[name] = df
            continue
        m = (
            df.merge(resp_keys, on=["village", "hh"], how="left", indicator=True)["_merge"]
            == "both"
        )
        if (~m).any():
            excluded.append(
                pd.DataFrame(
                    {
                        "table": name,
                        "keys": format_keys(df.loc[~m.to_numpy()], KEYS[name]),
                        "reason": "household did not complete the interview",
                    }
                )
            )
        out[name] = df.loc[m.to_numpy()].reset_index(drop=True)
    return out, excluded


def _ranges_to_missing(tables: Tables, params: dict) -> Step:
    """2. Out-of-range ages, visits, nights -> missing."""
    out, logs = dict(tables), []
    for table, col, key in [
        ("person", "age", "max_age"),
        ("episode", "visits", "max_visits"),
        ("admission", "nights", "max_nights"),
    ]:
        df = out[table]
        bad = df[col] > params[key]
        logs.append(
            _log(
                df,
                table,
                bad,
                col,
                df[col],
                "missing",
                "out_of_range_to_missing",
                f"above {params[key]}",
            )
        )
        if col == "age":  # a negative age is no age
            neg = df[col] < 0
            logs.append(
                _log(df, table, neg, col, df[col], "missing", "out_of_range_to_missing", "below 0")
            )
            bad = bad | neg
        out[table] = df.assign(**{col: df[col].mask(bad)})
    return out, logs


def _no_care_zero_spending(tables: Tables, params: dict) -> Step:
    """3. Episodes where no care was sought: blank spending is zero."""
    logs = []
    ep = tables["episode"]
    no_care = ep["sought"] != "yes"
    for col in AMOUNT_COLUMNS["episode"]:
        blank = no_care & ep[col].isna()
        logs.append(
            _log(
                ep,
                "episode",
                blank,
                col,
                "missing",
                0,
                "no_care_zero_spending",
                "no care sought (OP1 = 2): blank spending is zero",
            )
        )
        ep = ep.assign(**{col: ep[col].mask(blank, 0.0)})
    return {**tables, "episode": ep}, logs


def _negative_to_missing(tables: Tables, params: dict) -> Step:
    """4. Negative amounts -> missing (then imputed)."""
    out, logs = dict(tables), []
    for table, cols in AMOUNT_COLUMNS.items():
        df = out[table]
        for col in cols:
            neg = df[col] < 0
            logs.append(
                _log(
                    df,
                    table,
                    neg,
                    col,
                    df[col],
                    "missing",
                    "negative_to_missing",
                    "amounts cannot be negative",
                )
            )
            df = df.assign(**{col: df[col].mask(neg)})
        out[table] = df
    return out, logs


def _cap_amounts(tables: Tables, params: dict) -> Step:
    """5. Extreme amounts: keep (flagged by validation) or cap at a within-item percentile.

    Amounts above the absolute bound of their table (validation.amount_bounds) are capped
    whatever `extreme_amounts` says and however few amounts the item has."""
    out, logs = dict(tables), []
    for table, cols in AMOUNT_COLUMNS.items():
        df = out[table]
        for col, item in cols.items():
            robust = extreme_amounts(df, col, item, params["extreme_mad_threshold"], list(cols)) & (
                params["extreme_amounts"] == "cap"
            )
            bound = above_bound(df, table, col, params.get("amount_bounds", {}))
            flag = robust | bound
            if not flag.any():
                continue
            grp = df[item] if item else pd.Series(0, index=df.index)
            # the percentile of the item's non-extreme positive amounts: one absurd value
            # cannot lift its own cap
            typical = df[col].where((df[col] > 0) & ~flag)
            cap = typical.groupby(grp, observed=True).transform(
                lambda s: s.quantile(params["cap_percentile"] / 100.0)
            )
            # an item with no typical amount left: the percentile of the column's
            cap = cap.fillna(typical.quantile(params["cap_percentile"] / 100.0))
            high = flag & (df[col] > cap)
            reason = f"capped at P{params['cap_percentile']} of the item's non-extreme amounts"
            logs.append(_log(df, table, high & robust, col, df[col], cap, "extreme_capped", reason))
            logs.append(
                _log(
                    df,
                    table,
                    high & ~robust,
                    col,
                    df[col],
                    cap,
                    "above_bound_capped",
                    f"above the plausibility bound (validation.amount_bounds); {reason}",
                )
            )
            df = df.assign(**{col: df[col].mask(high, cap)})
        out[table] = df
    return out, logs


def _impute_amounts(tables: Tables, strat: pd.Series) -> Step:
    """6. Imputation of missing amounts: unweighted median of the same variable, same item (and
    recall), same stratum; zeros are donors; episodes only from episodes with care sought.

    ``strat``: the stratum of each responding household, indexed by (village, hh)."""
    out, logs = dict(tables), []
    for table, cols in AMOUNT_COLUMNS.items():
        df = out[table]
        st = pd.Series(
            strat.reindex(pd.MultiIndex.from_frame(df[["village", "hh"]])).to_numpy(),
            index=df.index,
        )
        work = df.assign(_stratum=st.astype("str"))
        donors = pd.Series(True, index=df.index)
        if table == "episode":
            donors = work["sought"] == "yes"
        # households that did not respond have no interview to complete: their blank amounts
        # stay blank and nothing is imputed (or logged) for them
        skip = st.isna()
        if table in NOT_IMPUTED_ITEMS:
            skip = skip | work["item"].isin(NOT_IMPUTED_ITEMS[table])
        for col, item in cols.items():
            groups = ([item] if item else []) + (["recall"] if table == "nonfood" else [])
            groups.append("_stratum")
            sub = work.loc[~skip]
            new, source = impute_median(sub, col, groups, donors[~skip])
            idx = sub.index[sub[col].isna()]
            if len(idx):
                base = "median of the same " + "/".join(groups[:-1] + ["stratum"])
                logs.append(
                    pd.DataFrame(
                        {
                            "table": table,
                            "keys": format_keys(work.loc[idx], KEYS[table]),
                            "variable": col,
                            "old_value": "missing",
                            "new_value": new.loc[idx].astype(str).to_numpy(),
                            "rule": "impute_median",
                            "reason": [
                                base + ("" if s == "group" else f"; fallback: {s}")
                                for s in source.loc[idx]
                            ],
                        }
                    )
                )
                work.loc[idx, col] = new.loc[idx]
            work[f"{col}_imputed"] = work.index.isin(idx)
        out[table] = work.drop(columns="_stratum")
    return out, logs


def _post_code(tables: Tables, params: dict) -> Step:
    """Last: "other, specify" answers that name a known category are post-coded (logged)."""
    out, logs = dict(tables), []
    for rule in params.get("post_coding") or []:
        name = str(rule["table"])
        if name in out:
            out[name], rows = post_code(out[name], name, rule, KEYS[name], LOG_COLUMNS)
            logs.append(rows)
    return out, logs
