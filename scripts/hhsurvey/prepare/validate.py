"""Validation of the canonical tables: a declared catalogue of checks, each with a severity.

Errors (duplicate keys, orphan records, a completed interview without a roster, a birth
recorded for a man, a frame village without a positive measure of size, households from a
village that is not a selected village of the frame) stop the run with a message naming the file, variable, rule, offending
keys and the fix. Warnings (skip-pattern violations, out-of-range values, implausible ages,
dates outside fieldwork, extreme amounts) are recorded in ``validation.csv`` and shown in the
report; the cleaning stage decides what to do about them and logs it.

Missing files, missing variables and unknown codes are caught earlier, at ingest
(:mod:`hhsurvey.survey.io`), because the canonical tables cannot be built without them; they are
listed in :data:`INGEST_CHECKS` so the catalogue documents them too.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import numpy as np
import pandas as pd

from hhsurvey.errors import InputError, first_keys
from hhsurvey.prepare.amounts import AMOUNT_COLUMNS
from hhsurvey.prepare.checks import KEYS, Check, Tables, flagged
from hhsurvey.prepare.frame_checks import frame_total_findings, listing_ratio_findings
from hhsurvey.prepare.outliers import above_bound, extreme_amounts
from hhsurvey.prepare.sample_checks import sample_checks
from hhsurvey.prepare.skips import skip_checks
from hhsurvey.prepare.village_scale import rescale_villages, village_checks, village_scale
from hhsurvey.survey.io import format_keys

VALIDATION_COLUMNS = ["check", "severity", "table", "file", "keys", "variable", "value", "message"]

INGEST_CHECKS = {
    "missing_file": "a module file named in the codebook is absent (error, at ingest)",
    "missing_variable": "a raw variable named in the codebook is absent (error, at ingest)",
    "unknown_code": "a code in the data is not in the codebook (error, at ingest)",
    "wrong_type": "a numeric variable holds text (error, at ingest)",
    "unreadable_file": "a file is truncated or not of its declared format (error, at ingest)",
    "outside_round": "a codebook `file:` leaves the round's raw folder (error, at ingest)",
    "non_integer_key": "an identifier or count holds a fraction (error, at ingest)",
    "duplicate_column": "a CSV header names a column twice (error, at ingest)",
    "label_contradiction": "value labels (in any script) contradict the codebook (error, at ingest)",
}


def _dupes(table: str) -> Callable[[Tables, dict], pd.DataFrame]:
    def find(t: Tables, p: dict) -> pd.DataFrame:
        df = t[table]
        return df.loc[df.duplicated(KEYS[table], keep=False), KEYS[table]].assign(value="duplicate")

    return find


def _orphans(child: str, parent: str, on: list[str]) -> Callable[[Tables, dict], pd.DataFrame]:
    """Records without their parent record at all (a household record of another result
    code is a parent: :func:`_of_nonresponding`)."""

    def find(t: Tables, p: dict) -> pd.DataFrame:
        c, par = t[child], t[parent]
        m = c[on].merge(par[on].drop_duplicates(), on=on, how="left", indicator=True)
        return c.loc[(m["_merge"] == "left_only").to_numpy(), KEYS[child]].assign(value="no parent")

    return find


def _of_nonresponding(t: Tables, p: dict) -> pd.DataFrame:
    """Households whose result code is not a responding one but whose module records (roster,
    food, non-food) are there: one row per household, the code and the records found."""
    hh = t["household"]
    other = hh[~hh["result"].isin(p["responding"]) & hh["result"].notna()]
    files = p.get("files", {})
    found = []
    for module in ("person", "food", "nonfood"):
        n = t[module].groupby(["village", "hh"]).size().rename(module)
        found.append(n)
    counts = pd.concat(found, axis=1).fillna(0).astype(int)
    keys = pd.MultiIndex.from_frame(other[["village", "hh"]])
    counts = counts.reindex(keys, fill_value=0)
    has = counts.sum(axis=1) > 0
    rows = other.loc[has.to_numpy(), ["village", "hh"]]
    detail = [
        ", ".join(f"{files.get(m, m)}: {k}" for m, k in row.items() if k)
        for _, row in counts[has.to_numpy()].iterrows()
    ]
    return rows.assign(
        value=[
            f"{r} (records in {d})"
            for r, d in zip(other.loc[has.to_numpy(), "result"].astype(str), detail, strict=True)
        ]
    )


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


def _op4_when_sought(t: Tables, p: dict) -> pd.DataFrame:
    e = t["episode"]
    return flagged(
        e, "episode", (e["sought"] == "yes") & e["reason_no_care"].notna(), e["reason_no_care"]
    )


def _spend_no_care(t: Tables, p: dict) -> pd.DataFrame:
    e = t["episode"]
    cost = e[list(AMOUNT_COLUMNS["episode"])].fillna(0).sum(axis=1)
    return flagged(e, "episode", (e["sought"] == "no") & (cost > 0), cost)


def _range(table: str, col: str, key: str) -> Callable[[Tables, dict], pd.DataFrame]:
    def find(t: Tables, p: dict) -> pd.DataFrame:
        df = t[table]
        return flagged(df, table, df[col] > p[key], df[col])

    return find


def _young_mother(t: Tables, p: dict) -> pd.DataFrame:
    b = _with_person(t, "birth", ["age"])
    at_birth = b["age"] - b["months_since"] / 12.0
    return flagged(b, "birth", at_birth < p["min_mother_age"], at_birth.round(1))


def _date_window(t: Tables, p: dict) -> pd.DataFrame:
    hh = t["household"]
    d = hh["interview_date"]
    out = (d < pd.Timestamp(p["fieldwork_start"])) | (d > pd.Timestamp(p["fieldwork_end"]))
    return flagged(
        hh, "household", out & hh["result"].isin(p["responding"]), d.dt.strftime("%Y-%m-%d")
    )


def _negative(table: str) -> Callable[[Tables, dict], pd.DataFrame]:
    def find(t: Tables, p: dict) -> pd.DataFrame:
        df = t[table]
        parts = []
        for col in AMOUNT_COLUMNS[table]:
            parts.append(flagged(df, table, df[col] < 0, df[col]).assign(variable=col))
        return pd.concat(parts, ignore_index=True)

    return find


def _above_bound(table: str) -> Callable[[Tables, dict], pd.DataFrame]:
    def find(t: Tables, p: dict) -> pd.DataFrame:
        df = t[table]
        parts = [
            flagged(
                df, table, above_bound(df, table, col, p.get("amount_bounds", {})), df[col]
            ).assign(variable=col)
            for col in AMOUNT_COLUMNS[table]
        ]
        return pd.concat(parts, ignore_index=True)

    return find


def _extreme(table: str) -> Callable[[Tables, dict], pd.DataFrame]:
    def find(t: Tables, p: dict) -> pd.DataFrame:
        df = t[table]
        parts = []
        for col, item in AMOUNT_COLUMNS[table].items():
            flag = extreme_amounts(
                df, col, item, p["extreme_mad_threshold"], list(AMOUNT_COLUMNS[table])
            )
            parts.append(flagged(df, table, flag, df[col]).assign(variable=col))
        return pd.concat(parts, ignore_index=True)

    return find


def _ill_without_episode(t: Tables, p: dict) -> pd.DataFrame:
    per = t["person"]
    ill = per[per["ill_30d"] == "yes"]
    m = ill[KEYS["person"]].merge(t["episode"][KEYS["episode"]], how="left", indicator=True)
    return ill.loc[(m["_merge"] == "left_only").to_numpy(), KEYS["person"]].assign(value="yes")


def _episode_not_ill(t: Tables, p: dict) -> pd.DataFrame:
    e = _with_person(t, "episode", ["ill_30d"])
    return flagged(e, "episode", e["ill_30d"].notna() & (e["ill_30d"] != "yes"), e["ill_30d"])


def _child_age(t: Tables, p: dict) -> pd.DataFrame:
    c = _with_person(t, "child", ["age"])
    return flagged(c, "child", c["age"] >= 5, c["age"])


def _hh_count(t: Tables, p: dict) -> pd.DataFrame:
    fr = t["frame"]
    fr = fr[fr["selected"] == 1].drop_duplicates("village").set_index("village")["sampled_hh"]
    n = t["household"].groupby("village").size()
    diff = n[n != fr.reindex(n.index)]
    return pd.DataFrame(
        {
            "village": diff.index,
            "value": [f"{n[v]} interviewed vs {fr.get(v)} sampled" for v in diff.index],
        }
    )


def _frame_size(t: Tables, p: dict) -> pd.DataFrame:
    fr = t["frame"]
    bad = ~np.isfinite(fr["mos_hh"]) | (fr["mos_hh"] <= 0)
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


def _frame_duplicates(t: Tables, p: dict) -> pd.DataFrame:
    fr = t["frame"]
    dup = fr["village"].duplicated(keep=False)
    return fr.loc[dup, ["village"]].assign(
        value=np.where(fr.loc[dup, "selected"] == 1, "duplicate (selected)", "duplicate")
    )


def _stratum_mismatch(t: Tables, p: dict) -> pd.DataFrame:
    strata = p.get("strata", "area")
    hh, fr = t["household"], t["frame"].drop_duplicates("village")
    m = hh[["village", "hh", strata]].merge(
        fr[["village", strata]], on="village", how="inner", suffixes=("", "_frame")
    )
    a, b = m[strata].astype("str"), m[f"{strata}_frame"].astype("str")
    bad = (a != b) & m[strata].notna() & m[f"{strata}_frame"].notna()
    return m.loc[bad, ["village", "hh"]].assign(
        value=(a[bad] + " in the household file vs " + b[bad] + " in the frame").to_numpy()
    )


def _blank_result(t: Tables, p: dict) -> pd.DataFrame:
    hh = t["household"]
    return hh.loc[hh["result"].isna(), ["village", "hh"]].assign(value="blank")


def _blank_recall(t: Tables, p: dict) -> pd.DataFrame:
    nf = t["nonfood"]
    bad = nf["recall"].isna() & nf["value"].notna()
    return nf.loc[bad, ["village", "hh", "item"]].assign(
        recall="", value=nf.loc[bad, "value"].astype(str)
    )[KEYS["nonfood"] + ["value"]]


def _age_range(t: Tables, p: dict) -> pd.DataFrame:
    df = t["person"]
    return flagged(df, "person", (df["age"] > p["max_age"]) | (df["age"] < 0), df["age"])


def catalogue() -> list[Check]:
    """The declared checks, in the order they run (the order of ``validation.csv``)."""
    return [
        *_key_checks(),
        *_record_errors(),
        *sample_checks(),
        *_answer_warnings(),
        *skip_checks(),
        *_cross_module_warnings(),
        *village_checks(),
        *_amount_checks(),
    ]


def _key_checks() -> list[Check]:
    """Errors of the keys: duplicated records, and records without their parent record."""
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
                tuple(f"{child}.{k}" for k in on),
            )
        )
    checks.append(
        Check(
            "records_of_nonresponding_household",
            "error",
            "household",
            "result",
            "a household with roster, food or non-food records has a result code "
            "({household.result}) among weights.responding_results, the interviews the "
            "weights count",
            "if these interviews are usable (e.g. partly completed with the modules filled), "
            "add their result code to weights.responding_results in the config (the weights "
            "then count them as respondents); otherwise remove their module records or "
            "correct the result code in {household}",
            _of_nonresponding,
            show_values=True,
        )
    )
    return checks


def _record_errors() -> list[Check]:
    """Errors in the frame and the records that the weights or the analysis cannot get past."""
    return [
        Check(
            "frame_duplicate_village",
            "error",
            "frame",
            "village",
            "each village appears once in the frame (selected or not): a duplicated row "
            "counts its census households twice in the stage-1 probabilities",
            "remove the duplicated row from {frame}, or give the second village its own code "
            "({frame.village})",
            _frame_duplicates,
        ),
        Check(
            "blank_result",
            "error",
            "household",
            "result",
            "every sampled household has a result code ({household.result}); a blank one can "
            "be neither a respondent nor a non-respondent in the weights",
            "enter the result code of these households in {household}",
            _blank_result,
        ),
        Check(
            "stratum_mismatch",
            "error",
            "household",
            "area",
            "the stratum of a household ({household.area}) is the stratum of its village in "
            "the frame, which set the selection probabilities",
            "correct {household.area} in {household}, or the village's stratum in {frame}",
            _stratum_mismatch,
            ("household.area", "frame.area"),
        ),
        Check(
            "blank_recall_period",
            "error",
            "nonfood",
            "recall",
            "every non-food amount has its recall period ({nonfood.recall}), which sets how "
            "it is annualised",
            "enter the recall period of these items in {nonfood}",
            _blank_recall,
        ),
        Check(
            "frame_measure_of_size",
            "error",
            "frame",
            "mos_hh",
            "every village of the frame has a positive measure of size (census households), "
            "the basis of the stage-1 probabilities",
            "enter the census household count of the village in {frame}; a village with no "
            "households should be removed from the frame",
            _frame_size,
        ),
        Check(
            "village_not_in_frame",
            "error",
            "household",
            "village",
            "every village of {household} is a selected village of the frame (selected = 1), "
            "whose probability and listing counts give the weights",
            "add the village to {frame} with selected = 1 and its listing counts, or correct "
            "the village code ({household.village}) in {household}",
            _village_not_selected,
            ("household.village", "frame.village", "frame.selected"),
        ),
        Check(
            "completed_without_roster",
            "error",
            "household",
            "result",
            "a completed interview ({household.result}) has at least one roster member",
            "enter the roster or correct the result code",
            _no_roster,
            ("household.result",),
        ),
        Check(
            "birth_to_man",
            "error",
            "birth",
            "line",
            "the mother of a birth is a woman on the roster",
            "correct the mother's line number ({birth.line}) in {birth}",
            _birth_men,
            ("person.sex", "birth.line"),
        ),
    ]


def _answer_warnings() -> list[Check]:
    """Warnings on single records: skip patterns, ranges, the listing count, ages, dates."""
    return [
        Check(
            "skip_op4_when_care_sought",
            "warning",
            "episode",
            "reason_no_care",
            "{episode.reason_no_care} (reason for not seeking care) is asked only when no care "
            "was sought ({episode.sought})",
            "the reason is ignored by every indicator",
            _op4_when_sought,
        ),
        Check(
            "spending_without_care",
            "warning",
            "episode",
            "cost_*",
            "no episode spending is expected when no care was sought ({episode.sought})",
            "kept as reported (it may be self-medication); check the questionnaire",
            _spend_no_care,
        ),
        Check(
            "age_out_of_range",
            "warning",
            "person",
            "age",
            "age ({person.age}) outside [0, validation.max_age] (negative or above the maximum)",
            "set to missing by cleaning",
            _age_range,
        ),
        Check(
            "listing_vs_census",
            "warning",
            "frame",
            "listed_hh",
            "the households listed in a selected village are within "
            "validation.listing_ratio of its census size (mos_hh)",
            "kept: the weights use the listing; check the village code and the census count "
            "in {frame}",
            listing_ratio_findings,
        ),
        Check(
            "weighted_total_vs_frame",
            "warning",
            "frame",
            "mos_hh",
            "the households the weights add up to are within validation.frame_total_tolerance "
            "of the frame's census count (sum of mos_hh)",
            "kept: the weights follow the listing; the report notes the gap (check the frame)",
            frame_total_findings,
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
    ]


def _cross_module_warnings() -> list[Check]:
    """Warnings between modules: illness vs episodes, the child module, households per village."""
    return [
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
            "the households in {household} per village equal sampled_hh of the frame",
            "weights use sampled_hh / listed_hh from the frame",
            _hh_count,
        ),
    ]


def _amount_checks() -> list[Check]:
    """Warnings on amounts, three per table: negative, above the absolute bound, extreme."""
    checks: list[Check] = []
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
                f"amount_above_bound_{table}",
                "warning",
                table,
                "amounts",
                "amount above the absolute plausibility bound of its table "
                "(validation.amount_bounds, LAK per record), whatever the number of observations",
                "capped like an extreme amount by cleaning (always, even when "
                "`cleaning.extreme_amounts` is keep)",
                _above_bound(table),
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


_PLACEHOLDER = re.compile(r"\{(\w+)(?:\.(\w+))?\}")


def render(text: str, names: dict[str, str], files: dict[str, str]) -> str:
    """Put the round's own names into a check's text: ``{table}`` becomes the table's raw file
    and ``{table.column}`` its raw variable, as the round's codebook maps them (canonical
    names when no codebook is known)."""

    def sub(m: re.Match) -> str:
        table, column = m.group(1), m.group(2)
        if column is None:
            return files.get(table, f"the {table} file")
        return names.get(f"{table}.{column}", column)

    return _PLACEHOLDER.sub(sub, text)


def run_checks(tables: Tables, params: dict, files: dict[str, str]) -> pd.DataFrame:
    """Run every check; return the findings as a tidy table (one row per offending record).

    ``params["raw_names"]`` (optional) maps "table.column" to the round's raw variable, so
    that messages use the round's own names."""
    names = params.get("raw_names", {})
    # villages whose amounts are a power of ten off the others: one village-level finding;
    # when the config rescales them, the record-level checks see the rescaled amounts
    scale = village_scale(tables, params.get("village_scale_ratio", 30.0))
    params = {**params, "village_scale": scale, "files": files}
    if params.get("village_amount_scale") == "rescale":
        tables = rescale_villages(tables, scale)[0]
    rows: list[pd.DataFrame] = []
    for chk in catalogue():
        if chk.table not in tables:
            continue
        found = chk.find(tables, params)
        if found.empty:
            continue
        keys = [k for k in found.columns if k not in ("value", "variable", "file")]
        rows.append(
            pd.DataFrame(
                {
                    "check": chk.id,
                    "severity": chk.severity_for(params),
                    "table": chk.table,
                    "file": found["file"] if "file" in found else files.get(chk.table, ""),
                    "keys": format_keys(found, keys),
                    "variable": found["variable"] if "variable" in found else chk.variable,
                    "value": found["value"].astype(str).to_numpy(),
                    "message": render(f"{chk.description}; {chk.fix}", names, files),
                }
            )
        )
    if not rows:
        return pd.DataFrame({c: pd.Series(dtype="str") for c in VALIDATION_COLUMNS})
    return pd.concat(rows, ignore_index=True)[VALIDATION_COLUMNS]


def raise_on_errors(
    findings: pd.DataFrame,
    tables: Tables | None = None,
    names: dict[str, str] | None = None,
    lines: dict[str, str] | None = None,
    files: dict[str, str] | None = None,
) -> None:
    """Stop with one message per failed error-level check (first 20 keys each).

    Messages use the round's raw names (``names``: "table.column" -> raw variable, ``files``:
    table -> raw file). A check that fails on every record of its table points at the
    codebook entry of the variable (``lines``: "table.column" -> "codebook.yaml line N"):
    a wrong mapping, not the data, is then the likely cause."""
    errors = findings[findings["severity"] == "error"]
    if errors.empty:
        return
    names, lines, files = names or {}, lines or {}, files or {}
    by_check = {c: catalogue_by_id()[c] for c in errors["check"].unique()}
    parts = []
    for cid, chk in by_check.items():
        sub = errors[errors["check"] == cid]
        var = sub["variable"].iloc[0]
        raw = names.get(f"{chk.table}.{var}")
        shown = f"{raw} ({var})" if raw and raw != var else var
        values = ""
        if chk.show_values:
            seen = sub["value"].value_counts()
            values = (
                " ("
                + "; ".join(f"{v}" + (f": {n}" if n > 1 else "") for v, n in seen.head(10).items())
                + ")"
            )
        villages = sub["keys"].str.fullmatch(r"village=[^,]*").all()
        text = (
            f"[{cid}] {render(chk.description, names, files)} — violated by {len(sub)} "
            f"{'village' if villages else 'record'}(s){values} in {sub['file'].iloc[0]} "
            f"(variable {shown}): "
            f"{first_keys(sub['keys'].tolist())}."
        )
        n_rows = len(tables[chk.table]) if tables and chk.table in tables else None
        every = bool(n_rows and sub["keys"].nunique() >= n_rows)
        if chk.mappings:
            text += " " + _mapping_first(chk, names, lines, files, every)
        else:
            text += f" Fix: {render(chk.fix, names, files)}."
            if every:
                where = lines.get(f"{chk.table}.{var}", "the round's codebook")
                text += (
                    f" Every record of the table fails this check: the codebook mapping of "
                    f"{raw or var} ({where}) is the likely cause (a wrong variable or code "
                    "mapping)."
                )
        parts.append(text)
    mapped = any(chk.mappings for chk in by_check.values())
    raise InputError(
        f"{len(by_check)} validation error(s):\n  " + "\n  ".join(parts),
        ", ".join(sorted({f for cell in errors["file"] for f in str(cell).split(", ") if f})),
        (
            "check the codebook mappings named above first (`hhsurvey codebook check CONFIG` "
            "runs the cross-file checks); if they are right, correct the raw export (the "
            "pipeline never edits raw/) and rerun"
        )
        if mapped
        else "correct the raw export (the pipeline never edits raw/) and rerun",
    )


def _mapping_first(
    chk: Check, names: dict[str, str], lines: dict[str, str], files: dict[str, str], every: bool
) -> str:
    """The codebook mappings that can break a check, named before the raw export."""
    maps = ", ".join(
        f"{m} ({names[m]}, {lines.get(m, 'the codebook')})" if m in names else m
        for m in chk.mappings
    )
    lead = (
        "Every record of the table fails this check: a wrong codebook mapping is the likely cause."
        if every
        else "A wrong codebook mapping can cause this."
    )
    return (
        f"{lead} Check first the mapping of {maps} (its raw variable and codes); if the "
        f"mapping is right, fix the data: {render(chk.fix, names, files)}."
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
