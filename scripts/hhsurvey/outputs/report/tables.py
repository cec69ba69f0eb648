"""The tables of the reports as plain values (lists of dicts of strings).

Shared by the baseline and the change report. Every function is pure: result tables in,
display rows out. Sections and breakdowns come from the catalogue and ``config/report.yaml``
(:mod:`hhsurvey.outputs.report.spec`), never from indicator ids.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from hhsurvey.catalogue.national import comparable
from hhsurvey.outputs.report.format import (
    DOMAIN_TEXT,
    NO_FIGURE,
    NOT_APPLICABLE,
    NOT_ESTIMABLE,
    NOT_ESTIMATED,
    NOT_IN_INSTRUMENT,
    PRECISION_MARKS,
    finite,
    flag_of,
    fmt_ci,
    fmt_count,
    fmt_estimate,
    fmt_number,
    lang_of,
    level_text,
    precision_class,
    read_csv,
    require,
    text_of,
    unit_text,
)
from hhsurvey.outputs.report.spec import Catalogue, ReportSpec

__all__ = [
    "comparison_rows",
    "context_only",
    "determinants",
    "estimate_cells",
    "national_refs",
    "national_value",
    "other_answers",
    "quintile_table",
    "section_tables",
]

#: compare.py units of national figures -> the report's units.
NATIONAL_UNIT = {"fraction": "percent", "per_capita": "rate", "per_1000": "per_1000", "lak": "lak"}


def estimate_cells(r: Mapping[str, Any], unit: str) -> dict[str, str]:
    """Display cells of one result row. A proportion estimated at 0 with a positive upper
    bound reads "0.0 (no case observed; upper bound X)"; a structural zero (flag "not
    applicable") reads "not applicable" and carries its reason; a row whose SE is 0 (precision
    "not estimable") keeps its estimate and reads "not estimable" in place of an interval; a
    row of a precision class carries that class's mark (the table's footnote explains it; the
    numbers stay in the file)."""
    flag = flag_of(r.get("flag"))
    hide = flag in ("suppressed", NOT_APPLICABLE)
    estimate = fmt_estimate(r.get("estimate"), unit, flag)
    if (
        not hide
        and unit == "percent"
        and finite(r.get("estimate"))
        and float(r["estimate"]) == 0.0
        and finite(r.get("ci_high"))
        and float(r["ci_high"]) > 0
    ):
        estimate = f"{estimate} (no case observed; upper bound {fmt_number(r['ci_high'], unit)})"
    precision = text_of(r.get("precision")).strip().lower()
    ci = fmt_ci(r.get("ci_low"), r.get("ci_high"), unit, flag)
    if precision == NOT_ESTIMABLE and not hide:
        ci = NOT_ESTIMABLE
    return {
        "estimate": estimate,
        "ci": ci,
        "se": "" if hide else fmt_number(r.get("se"), unit, 1),
        "deff": "" if hide or not finite(r.get("deff")) else f"{float(r['deff']):.2f}",
        "df": "" if not finite(r.get("df")) else f"{float(r['df']):g}",
        "n_unweighted": fmt_count(r.get("n_unweighted")),
        "n_weighted": fmt_count(r.get("n_weighted")),
        "flag": flag,
        "precision_mark": "" if hide else PRECISION_MARKS.get(precision_class(r), ""),
        "precision_note": text_of(r.get("precision_note")) if flag == NOT_APPLICABLE else "",
    }


def context_only(c: Mapping[str, Any]) -> bool:
    """A comparison row shown for context only (never given a verdict): every row the one
    verdict rule (:func:`hhsurvey.catalogue.national.comparable`, shared with the brief and
    the change report) does not accept."""
    return not bool(comparable(pd.DataFrame([dict(c)])).iloc[0])


def national_refs(comparison: pd.DataFrame) -> dict[str, str]:
    """Reference tag (N1, N2, ...) of each comparator row, in table order."""
    rows = comparison.loc[comparison["status"] != NO_FIGURE, "comparator_id"]
    return {cid: f"N{i}" for i, cid in enumerate(rows, start=1)}


def national_value(value: Any, unit: str) -> str:
    if unit == "percent_che":
        return f"{fmt_number(value, 'rate')[:-1]}\u00a0% of current health expenditure"
    u = NATIONAL_UNIT.get(unit, "")
    text = fmt_number(value, u)
    return f"{text}\u00a0%" if u == "percent" else text


def _national_cells(
    comparison: pd.DataFrame, iid: str, refs: Mapping[str, str]
) -> list[dict[str, Any]]:
    return [
        {
            "ref": refs.get(c["comparator_id"], ""),
            "anchor": f"cmp-{c['comparator_id']}",
            "value": national_value(c["national_value"], c["national_unit"]),
            "year": text_of(c["national_year"]),
            "context": context_only(c),
        }
        for c in comparison.loc[
            (comparison["indicator"] == iid) & (comparison["status"] != NO_FIGURE)
        ].to_dict("records")
    ]


def _by_table(
    iid: str, label: str, unit: str, rows: pd.DataFrame, show_by: Sequence[str], total: Mapping
) -> dict[str, Any] | None:
    groups = []
    for domain in show_by:
        g = rows.loc[rows["domain"] == domain]
        if g.empty:
            continue
        groups.append(
            {
                "key": domain,
                "domain": DOMAIN_TEXT.get(domain, domain.replace("_", " ").capitalize()),
                "rows": [
                    {"level": level_text(domain, r["level"])} | estimate_cells(r, unit)
                    for r in g.to_dict("records")
                ],
            }
        )
    if not groups:
        return None
    return {
        "id": iid,
        "label": label,
        "unit": unit_text(unit),
        "total": estimate_cells(total, unit),
        "groups": groups,
    }


def section_tables(
    catalogue: Catalogue,
    spec: ReportSpec,
    indicators: pd.DataFrame,
    comparison: pd.DataFrame,
    refs: Mapping[str, str],
    not_in_instrument: set[str] = frozenset(),
) -> dict[str, dict[str, Any]]:
    """Per indicators section of the spec: an overall table (one row per indicator, catalogue
    order) and a breakdown table per indicator with ``show_by``. Indicators without results
    say "not estimated in this run"; those the round's questionnaire cannot measure say
    "not in this round's instrument"."""
    overall = indicators.loc[indicators["domain"] == "total"].drop_duplicates("indicator")
    overall = overall.set_index("indicator")
    ids = [e.id for e in catalogue.entries]
    ids += [i for i in indicators["indicator"].drop_duplicates() if i not in catalogue.by_id]
    out: dict[str, dict[str, Any]] = {k: {"rows": [], "by": []} for k in spec.indicator_sections}
    for iid in ids:
        unit = catalogue.unit(iid)
        key = catalogue.section_of(iid, spec)
        label = catalogue.label(iid)
        entry = catalogue.by_id.get(iid)
        row: dict[str, Any] = {
            "id": iid,
            "label": label,
            "unit": unit_text(unit),
            "description": entry.description if entry is not None else "",
            "by_only": "",
            "missing": NOT_ESTIMATED,
            "precision_mark": "",
        }
        if iid in not_in_instrument:
            row |= {"estimated": False, "flag": "", "missing": NOT_IN_INSTRUMENT}
        elif iid in overall.index:
            row |= estimate_cells(overall.loc[iid].to_dict(), unit) | {"estimated": True}
        else:
            row |= {"estimated": False, "flag": ""}
            rows = indicators.loc[indicators["indicator"] == iid, "domain"]
            if len(rows):
                # e.g. the catastrophic headcount curve: estimates by threshold only.
                domains = ", ".join(
                    DOMAIN_TEXT.get(str(d), str(d)).lower() for d in rows.drop_duplicates()
                )
                row["by_only"] = f"{len(rows)} estimates by {domains}: see the figure and the annex"
        row["national"] = _national_cells(comparison, iid, refs)
        out[key]["rows"].append(row)
        if entry is not None and entry.show_by and row["estimated"]:
            t = _by_table(
                iid,
                label,
                unit,
                indicators.loc[indicators["indicator"] == iid],
                entry.show_by,
                overall.loc[iid].to_dict(),
            )
            if t is not None:
                # breakdowns of indicators outside the key findings: on screen and in the
                # estimates file, not in print
                out[key]["by"].append(t | {"extra": entry.key_rank is None})
    return out


def quintile_table(
    catalogue: Catalogue, indicators: pd.DataFrame, ids: Sequence[str]
) -> list[dict[str, Any]]:
    """Rows of the equity table: one indicator per row, quintiles 1-5 and the total; only
    indicators with at least three quintiles that are not suppressed."""
    rows = []
    for iid in ids:
        unit = catalogue.unit(iid)
        sub = indicators.loc[indicators["indicator"] == iid]
        q = sub.loc[sub["domain"] == "quintile"]
        if (q["flag"].map(flag_of) != "suppressed").sum() < 3:
            continue
        cells = []
        for lev in ("1", "2", "3", "4", "5"):
            r = q.loc[q["level"].astype(str) == lev]
            cells.append(
                fmt_estimate(r["estimate"].iloc[0], unit, flag_of(r["flag"].iloc[0]))
                if len(r)
                else ""
            )
        tot = sub.loc[sub["domain"] == "total"]
        total = (
            fmt_estimate(tot["estimate"].iloc[0], unit, flag_of(tot["flag"].iloc[0]))
            if len(tot)
            else ""
        )
        rows.append(
            {
                "id": iid,
                "label": catalogue.label(iid),
                "unit": unit_text(unit),
                "cells": cells,
                "total": total,
            }
        )
    return rows


def comparison_rows(
    catalogue: Catalogue, comparison: pd.DataFrame, refs: Mapping[str, str]
) -> list[dict[str, Any]]:
    """The Vang Vieng vs Lao PDR table: every comparison row, with source and caveat.

    The local estimate is shown in its catalogue unit, the national figure in its own unit;
    no difference and no verdict are shown for context-only figures (never compared)."""
    out = []
    for c in comparison.to_dict("records"):
        unit = catalogue.unit(c["indicator"])
        flag = flag_of(c["flag"])
        has_figure = c["status"] != NO_FIGURE
        context = has_figure and context_only(c)
        compared = has_figure and not context
        diff = ""
        if compared and finite(c["difference"]):
            d = float(c["difference"])
            diff = f"{d * 100:+.1f} pp" if unit == "percent" else f"{fmt_number(d, unit)}"
            if flag == "caution":
                diff = f"({diff})"
        out.append(
            {
                "ref": refs.get(text_of(c["comparator_id"]), ""),
                "anchor": f"cmp-{text_of(c['comparator_id'])}" if has_figure else "",
                "indicator": c["indicator"],
                "label": text_of(c["label"]) or c["indicator"],
                "estimate": fmt_estimate(c["estimate"], unit, flag),
                "ci": fmt_ci(c["ci_low"], c["ci_high"], unit, flag),
                "has_figure": has_figure,
                "national": national_value(c["national_value"], c["national_unit"])
                if has_figure
                else NO_FIGURE,
                "national_label": text_of(c["national_label"]),
                "year": text_of(c["national_year"]),
                "source": text_of(c["source"]),
                "read_in": text_of(c.get("read_in")),
                "table_page": text_of(c["table_page"]),
                "difference": diff,
                "verdict": "for context only, not compared" if context else text_of(c["verdict"]),
                "test": text_of(c["test"]),
                "p_value": f"{float(c['p_value']):.3f}" if finite(c["p_value"]) else "",
                "caveat": text_of(c["caveat"]),
                "comparability": text_of(c["comparability"]).replace("_", " "),
            }
        )
    return out


def other_answers(table: pd.DataFrame | None, column: str, limit: int = 25) -> dict[str, Any]:
    """Distinct "other, specify" answers with counts (unweighted), most frequent first."""
    if table is None or column not in table:
        return {"available": False, "rows": [], "more": 0, "total": 0}
    text = table[column].map(text_of).str.strip()
    text = text[text != ""]
    counts = text.value_counts()
    ordered = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    return {
        "available": True,
        "rows": [{"text": t, "n": int(n), "lang": lang_of(t)} for t, n in ordered[:limit]],
        "more": max(len(ordered) - limit, 0),
        "total": int(len(text)),
    }


#: Determinants: model term -> (characteristic, level as printed); the reference categories.
TERM_TEXT = {
    "quintile_group": ("Consumption quintile", {"Q1": "1 (poorest)", "Q5": "5 (richest)"}),
    "insurance": ("Insurance", {"yes": "Insured", "no": "Not insured"}),
    "sex": ("Sex", {"male": "Male", "female": "Female"}),
    "age_band": ("Age (years)", {"a0-14": "0-14", "a15-49": "15-49", "a50+": "50 and over"}),
}
CONTINUOUS_TEXT = {"dist_hc_30min": "Travel time to the health centre (per 30 minutes)"}
REFERENCE = {
    "quintile_group": "1 (poorest)",
    "insurance": "Not insured",
    "sex": "Female",
    "age_band": "0-14",
}


def _term(term: str) -> tuple[str, str]:
    """``quintile_group[T.Q2]`` -> ("Consumption quintile", "2")."""
    if term in CONTINUOUS_TEXT:
        return CONTINUOUS_TEXT[term], ""
    if "[T." in term:
        var, level = term.split("[T.", 1)
        level = level.rstrip("]")
        name, levels = TERM_TEXT.get(var, (var.replace("_", " ").capitalize(), {}))
        return name, levels.get(level, level.removeprefix("Q"))
    return term.replace("_", " ").capitalize(), ""


def determinants(path: str | None) -> dict[str, Any]:
    """Odds ratios of the care-seeking regression, when that stage has run: readable terms
    grouped by characteristic with the reference category named, travel time per 30 minutes,
    no odds ratio for the intercept; N and the model's df when the table carries them."""
    empty = {"available": False, "groups": [], "n": "", "df": ""}
    if not path or not Path(path).exists():
        return empty
    df = read_csv(path)
    require(df, ["term", "odds_ratio", "or_ci_low", "or_ci_high", "p_value"], path)
    if df.empty:  # the stage ran but had nothing to estimate (e.g. nobody was ill)
        return empty
    groups: dict[str, dict[str, Any]] = {}
    for r in df.to_dict("records"):
        term = text_of(r["term"])
        if term.lower() in ("intercept", "(intercept)"):
            continue
        name, level = _term(term)
        var = term.split("[T.", 1)[0]
        g = groups.setdefault(name, {"name": name, "reference": REFERENCE.get(var, ""), "rows": []})
        g["rows"].append(
            {
                "level": level or "per unit",
                "or": fmt_number(r["odds_ratio"], "rate"),
                "ci": fmt_ci(r["or_ci_low"], r["or_ci_high"], "rate", ""),
                "p": f"{float(r['p_value']):.3f}" if finite(r["p_value"]) else "",
            }
        )
    n = df["n"].iloc[0] if "n" in df else None
    design_df = df["df"].iloc[0] if "df" in df else None
    return {
        "available": True,
        "groups": list(groups.values()),
        "n": fmt_count(n),
        "df": f"{float(design_df):g}" if finite(design_df) else "",
    }
