"""Validation of the canonical tables: a declared catalogue of checks, each with a severity.

Errors (duplicate keys, orphan records, a completed interview without a roster, a birth
recorded for a man, a frame village without a positive measure of size, households from a
village that is not a selected village of the frame) stop the run with a message naming the file, variable, rule, offending
keys and the fix. Warnings (skip-pattern violations, out-of-range values, implausible ages,
dates outside fieldwork, extreme amounts) are recorded in ``validation.csv`` and shown in the
report; the cleaning stage decides what to do about them and logs it.

Missing files, missing variables and unknown codes are caught earlier, at ingest
(:mod:`hhsurvey.io`), because the canonical tables cannot be built without them; they are
listed in :data:`INGEST_CHECKS` so the catalogue documents them too.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from hhsurvey.errors import InputError, first_keys
from hhsurvey.io import format_keys

Tables = dict[str, pd.DataFrame]
VALIDATION_COLUMNS = ["check", "severity", "table", "file", "keys", "variable", "value", "message"]

INGEST_CHECKS = {
    "missing_file": "a module file named in the codebook is absent (error, at ingest)",
    "missing_variable": "a raw variable named in the codebook is absent (error, at ingest)",
    "unknown_code": "a code in the data is not in the codebook (error, at ingest)",
    "wrong_type": "a numeric variable holds text (error, at ingest)",
    "unreadable_file": "a file is truncated or not of its declared format (error, at ingest)",
}

# The six spending components of an outpatient episode (OP5A-F) and an admission (IP3A-F).
CARE_COSTS = (
    "cost_consult",
    "cost_medicine",
    "cost_tests",
    "cost_transport",
    "cost_food",
    "cost_informal",
)
# Amount columns per table, with the item column their outlier rule and imputation group by.
AMOUNT_COLUMNS = {
    "household": {"med_self_30d": None, "other_health_12m": None},
    "food": {"buy": "item", "own": "item", "gift": "item"},
    "nonfood": {"value": "item"},
    "episode": dict.fromkeys(CARE_COSTS),
    "admission": dict.fromkeys(CARE_COSTS),
    "birth": {"cost": None},
}


@dataclass(frozen=True)
class Check:
    """One declared validation rule."""

    id: str
    severity: str  # "error" | "warning"
    table: str
    variable: str
    description: str
    fix: str
    find: Callable[[Tables, dict], pd.DataFrame]  # offending rows (keys columns + "value")


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


def _dupes(table: str) -> Callable[[Tables, dict], pd.DataFrame]:
    def find(t: Tables, p: dict) -> pd.DataFrame:
        df = t[table]
        return df.loc[df.duplicated(KEYS[table], keep=False), KEYS[table]].assign(value="duplicate")

    return find


def _orphans(child: str, parent: str, on: list[str]) -> Callable[[Tables, dict], pd.DataFrame]:
    def find(t: Tables, p: dict) -> pd.DataFrame:
        c, par = t[child], t[parent]
        if parent == "household":
            par = par[par["result"].isin(p["responding"])]
        m = c[on].merge(par[on].drop_duplicates(), on=on, how="left", indicator=True)
        return c.loc[(m["_merge"] == "left_only").to_numpy(), KEYS[child]].assign(value="no parent")

    return find


def _no_roster(t: Tables, p: dict) -> pd.DataFrame:
    hh = t["household"]
    resp = hh[hh["result"].isin(p["responding"])]
    has = resp[["village", "hh"]].merge(
        t["person"][["village", "hh"]].drop_duplicates(), how="left", indicator=True
    )
    return resp.loc[(has["_merge"] == "left_only").to_numpy(), ["village", "hh"]].assign(
        value="completed"
    )


def _with_person(t: Tables, table: str, cols: list[str]) -> pd.DataFrame:
    return t[table].merge(
        t["person"][["village", "hh", "line", *cols]], on=["village", "hh", "line"], how="left"
    )


def _birth_men(t: Tables, p: dict) -> pd.DataFrame:
    b = _with_person(t, "birth", ["sex"])
    return b.loc[b["sex"] == "male", KEYS["birth"]].assign(value="male")


def _mask(df: pd.DataFrame, table: str, mask: pd.Series, value: pd.Series) -> pd.DataFrame:
    return df.loc[mask.fillna(False).to_numpy(), KEYS[table]].assign(
        value=value[mask.fillna(False)].astype(str)
    )


def _op4_when_sought(t: Tables, p: dict) -> pd.DataFrame:
    e = t["episode"]
    return _mask(
        e, "episode", (e["sought"] == "yes") & e["reason_no_care"].notna(), e["reason_no_care"]
    )


def _spend_no_care(t: Tables, p: dict) -> pd.DataFrame:
    e = t["episode"]
    cost = e[list(AMOUNT_COLUMNS["episode"])].fillna(0).sum(axis=1)
    return _mask(e, "episode", (e["sought"] == "no") & (cost > 0), cost)


def _range(table: str, col: str, key: str) -> Callable[[Tables, dict], pd.DataFrame]:
    def find(t: Tables, p: dict) -> pd.DataFrame:
        df = t[table]
        return _mask(df, table, df[col] > p[key], df[col])

    return find


def _young_mother(t: Tables, p: dict) -> pd.DataFrame:
    b = _with_person(t, "birth", ["age"])
    at_birth = b["age"] - b["months_since"] / 12.0
    return _mask(b, "birth", at_birth < p["min_mother_age"], at_birth.round(1))


def _date_window(t: Tables, p: dict) -> pd.DataFrame:
    hh = t["household"]
    d = hh["interview_date"]
    out = (d < pd.Timestamp(p["fieldwork_start"])) | (d > pd.Timestamp(p["fieldwork_end"]))
    return _mask(
        hh, "household", out & hh["result"].isin(p["responding"]), d.dt.strftime("%Y-%m-%d")
    )


def _negative(table: str) -> Callable[[Tables, dict], pd.DataFrame]:
    def find(t: Tables, p: dict) -> pd.DataFrame:
        df = t[table]
        parts = []
        for col in AMOUNT_COLUMNS[table]:
            parts.append(_mask(df, table, df[col] < 0, df[col]).assign(variable=col))
        return pd.concat(parts, ignore_index=True)

    return find


def extreme_amounts(df: pd.DataFrame, col: str, item: str | None, threshold: float) -> pd.Series:
    """Robust outlier rule on the log scale, within item (when the table has items).

    A positive amount x is extreme when |log(1+x) - median| / (1.4826 * MAD) > threshold,
    with the median and MAD of log(1+x) over the positive amounts of the same item; groups
    with fewer than 10 positive amounts or a zero MAD are not screened.
    """
    x = df[col]
    lx = np.log1p(x.where(x > 0))
    groups = df[item] if item else pd.Series(0, index=df.index)
    med = lx.groupby(groups, observed=True).transform("median")
    mad = (lx - med).abs().groupby(groups, observed=True).transform("median") * 1.4826
    count = lx.groupby(groups, observed=True).transform("count")
    z = (lx - med).abs() / mad.where(mad > 0)
    return (z > threshold) & (count >= 10)


def _extreme(table: str) -> Callable[[Tables, dict], pd.DataFrame]:
    def find(t: Tables, p: dict) -> pd.DataFrame:
        df = t[table]
        parts = []
        for col, item in AMOUNT_COLUMNS[table].items():
            flag = extreme_amounts(df, col, item, p["extreme_mad_threshold"])
            parts.append(_mask(df, table, flag, df[col]).assign(variable=col))
        return pd.concat(parts, ignore_index=True)

    return find


def _ill_without_episode(t: Tables, p: dict) -> pd.DataFrame:
    per = t["person"]
    ill = per[per["ill_30d"] == "yes"]
    m = ill[KEYS["person"]].merge(t["episode"][KEYS["episode"]], how="left", indicator=True)
    return ill.loc[(m["_merge"] == "left_only").to_numpy(), KEYS["person"]].assign(value="yes")


def _episode_not_ill(t: Tables, p: dict) -> pd.DataFrame:
    e = _with_person(t, "episode", ["ill_30d"])
    return _mask(e, "episode", e["ill_30d"].notna() & (e["ill_30d"] != "yes"), e["ill_30d"])


def _child_age(t: Tables, p: dict) -> pd.DataFrame:
    c = _with_person(t, "child", ["age"])
    return _mask(c, "child", c["age"] >= 5, c["age"])


def _hh_count(t: Tables, p: dict) -> pd.DataFrame:
    fr = t["frame"]
    fr = fr[fr["selected"] == 1].set_index("village")["sampled_hh"]
    n = t["household"].groupby("village").size()
    diff = n[n != fr.reindex(n.index)]
    return pd.DataFrame(
        {
            "village": diff.index,
            "value": [f"{n[v]} in hh.sav vs {fr.get(v)} sampled" for v in diff.index],
        }
    )


def _frame_size(t: Tables, p: dict) -> pd.DataFrame:
    fr = t["frame"]
    bad = fr["mos_hh"].isna() | (fr["mos_hh"] <= 0)
    return fr.loc[bad, ["village"]].assign(value=fr.loc[bad, "mos_hh"].astype(str).to_numpy())


def _village_not_selected(t: Tables, p: dict) -> pd.DataFrame:
    fr = t["frame"]
    selected = set(fr.loc[fr["selected"] == 1, "village"])
    villages = t["household"]["village"].drop_duplicates().sort_values()
    bad = villages[~villages.isin(selected)]
    in_frame = set(fr["village"])
    return pd.DataFrame(
        {
            "village": bad.to_numpy(),
            "value": ["not selected" if v in in_frame else "not in the frame" for v in bad],
        }
    )


def catalogue() -> list[Check]:
    """The declared checks, in the order they run."""
    checks: list[Check] = []
    for table in KEYS:
        checks.append(
            Check(
                f"duplicate_keys_{table}",
                "error",
                table,
                "+".join(KEYS[table]),
                f"the keys {KEYS[table]} identify each record of the {table} table",
                "remove or renumber the duplicated records in the export",
                _dupes(table),
            )
        )
    for child, parent, on in [
        ("person", "household", ["village", "hh"]),
        ("food", "household", ["village", "hh"]),
        ("nonfood", "household", ["village", "hh"]),
        ("episode", "person", ["village", "hh", "line"]),
        ("admission", "person", ["village", "hh", "line"]),
        ("birth", "person", ["village", "hh", "line"]),
        ("child", "person", ["village", "hh", "line"]),
    ]:
        checks.append(
            Check(
                f"orphan_{child}",
                "error",
                child,
                "+".join(on),
                f"every {child} record belongs to a {'responding household' if parent == 'household' else 'person on the roster'}",
                f"add the missing {parent} record or correct the keys of the {child} record",
                _orphans(child, parent, on),
            )
        )
    checks += [
        Check(
            "frame_measure_of_size",
            "error",
            "frame",
            "mos_hh",
            "every village of the frame has a positive measure of size (census households), "
            "the basis of the stage-1 probabilities",
            "enter the census household count of the village in frame.csv; a village with no "
            "households should be removed from the frame",
            _frame_size,
        ),
        Check(
            "village_not_in_frame",
            "error",
            "household",
            "village",
            "every village of hh.sav is a selected village of the frame (selected = 1), "
            "whose probability and listing counts give the weights",
            "add the village to frame.csv with selected = 1 and its listing counts, or correct "
            "the village code (HH1) in hh.sav",
            _village_not_selected,
        ),
        Check(
            "completed_without_roster",
            "error",
            "household",
            "result",
            "a completed interview (HH9 = 1) has at least one roster member",
            "enter the roster or correct the result code",
            _no_roster,
        ),
        Check(
            "birth_to_man",
            "error",
            "birth",
            "line",
            "the mother of a birth is a woman on the roster",
            "correct the mother's line number (HL1) in births.sav",
            _birth_men,
        ),
        Check(
            "skip_op4_when_care_sought",
            "warning",
            "episode",
            "reason_no_care",
            "OP4 (reason for not seeking care) is asked only when OP1 = 2",
            "the reason is ignored by every indicator",
            _op4_when_sought,
        ),
        Check(
            "spending_without_care",
            "warning",
            "episode",
            "cost_*",
            "no episode spending is expected when no care was sought (OP1 = 2)",
            "kept as reported (it may be self-medication); check the questionnaire",
            _spend_no_care,
        ),
        Check(
            "age_out_of_range",
            "warning",
            "person",
            "age",
            "age above the plausible maximum",
            "set to missing by cleaning",
            _range("person", "age", "max_age"),
        ),
        Check(
            "visits_out_of_range",
            "warning",
            "episode",
            "visits",
            "visits above the plausible maximum",
            "set to missing by cleaning",
            _range("episode", "visits", "max_visits"),
        ),
        Check(
            "nights_out_of_range",
            "warning",
            "admission",
            "nights",
            "nights above the plausible maximum",
            "set to missing by cleaning",
            _range("admission", "nights", "max_nights"),
        ),
        Check(
            "mother_age_at_birth",
            "warning",
            "birth",
            "age",
            "mother younger than the minimum age at the birth",
            "kept; check the mother's line number and age",
            _young_mother,
        ),
        Check(
            "date_outside_fieldwork",
            "warning",
            "household",
            "interview_date",
            "interview date outside the fieldwork window",
            "kept; check the date entry",
            _date_window,
        ),
        Check(
            "ill_without_episode",
            "warning",
            "person",
            "ill_30d",
            "a person ill in the last 30 days has an episode record",
            "the person counts as ill without care information",
            _ill_without_episode,
        ),
        Check(
            "episode_not_ill",
            "warning",
            "episode",
            "ill_30d",
            "an episode record belongs to a person reported ill",
            "kept",
            _episode_not_ill,
        ),
        Check(
            "child_over_five",
            "warning",
            "child",
            "age",
            "a child in the under-five module is aged 5 or more",
            "kept in the module",
            _child_age,
        ),
        Check(
            "household_count",
            "warning",
            "household",
            "village",
            "the households in hh.sav per village equal sampled_hh of the frame",
            "weights use sampled_hh / listed_hh from the frame",
            _hh_count,
        ),
    ]
    for table in AMOUNT_COLUMNS:
        checks.append(
            Check(
                f"negative_amount_{table}",
                "warning",
                table,
                "amounts",
                "amounts are zero or positive",
                "set to missing and imputed by cleaning",
                _negative(table),
            )
        )
        checks.append(
            Check(
                f"extreme_amount_{table}",
                "warning",
                table,
                "amounts",
                "amount extreme for its item (|log(1+x) - median| > k x 1.4826 MAD)",
                "kept or capped as `cleaning.extreme_amounts` says",
                _extreme(table),
            )
        )
    return checks


def run_checks(tables: Tables, params: dict, files: dict[str, str]) -> pd.DataFrame:
    """Run every check; return the findings as a tidy table (one row per offending record)."""
    rows: list[pd.DataFrame] = []
    for chk in catalogue():
        if chk.table not in tables:
            continue
        found = chk.find(tables, params)
        if found.empty:
            continue
        keys = [k for k in found.columns if k not in ("value", "variable")]
        rows.append(
            pd.DataFrame(
                {
                    "check": chk.id,
                    "severity": chk.severity,
                    "table": chk.table,
                    "file": files.get(chk.table, ""),
                    "keys": format_keys(found, keys),
                    "variable": found["variable"] if "variable" in found else chk.variable,
                    "value": found["value"].astype(str).to_numpy(),
                    "message": f"{chk.description}; {chk.fix}",
                }
            )
        )
    if not rows:
        return pd.DataFrame({c: pd.Series(dtype="str") for c in VALIDATION_COLUMNS})
    return pd.concat(rows, ignore_index=True)[VALIDATION_COLUMNS]


def raise_on_errors(findings: pd.DataFrame) -> None:
    """Stop with one message per failed error-level check (first 20 keys each)."""
    errors = findings[findings["severity"] == "error"]
    if errors.empty:
        return
    by_check = {c: catalogue_by_id()[c] for c in errors["check"].unique()}
    parts = []
    for cid, chk in by_check.items():
        sub = errors[errors["check"] == cid]
        parts.append(
            f"[{cid}] {chk.description} — violated by {len(sub)} record(s) in {sub['file'].iloc[0]} "
            f"(variable {sub['variable'].iloc[0]}): {first_keys(sub['keys'].tolist())}. Fix: {chk.fix}."
        )
    raise InputError(
        f"{len(by_check)} validation error(s):\n  " + "\n  ".join(parts),
        ", ".join(sorted(set(errors["file"]))),
        "correct the raw export (the pipeline never edits raw/) and rerun",
    )


def catalogue_by_id() -> dict[str, Check]:
    return {c.id: c for c in catalogue()}


def summary(findings: pd.DataFrame) -> pd.DataFrame:
    """Counts of findings by check and severity, for the report."""
    desc = {c.id: c.description for c in catalogue()}
    if findings.empty:
        return pd.DataFrame(
            {
                "check": pd.Series(dtype="str"),
                "severity": pd.Series(dtype="str"),
                "table": pd.Series(dtype="str"),
                "records": pd.Series(dtype="int64"),
                "description": pd.Series(dtype="str"),
            }
        )
    out = (
        findings.groupby(["check", "severity", "table"], sort=True)
        .size()
        .rename("records")
        .reset_index()
    )
    return out.assign(description=out["check"].map(desc))
