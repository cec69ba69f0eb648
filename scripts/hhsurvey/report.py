"""The self-contained HTML report of a round (issue 6).

:func:`build_context` turns the result tables of a round into plain Python values (strings,
numbers, lists of dicts); :func:`render` feeds them to the jinja2 templates in
``report/templates`` with autoescape on and ``StrictUndefined``. Every data-derived string -
village names, "other, specify" answers, labels, sources - reaches the page escaped. The only
HTML the templates receive unescaped is produced by :func:`trusted`, the one function that marks
a fragment as :class:`markupsafe.Markup`; it is used for the stylesheet read from the repository,
nothing else.

Rules the report enforces (DEFINITIONS.md "Reporting", NATIONAL_FIGURES.md):

- an estimate flagged ``suppressed`` (unweighted denominator < 25) is never shown, only ``*``;
  a ``caution`` estimate (25-49) is shown in parentheses;
- percentages carry one decimal; unweighted and weighted N are shown beside each estimate;
- a national figure is always shown with its year, source, table/page and definition caveat,
  and "no national figure" where there is none (figures come only from the comparison table);
- output is byte-reproducible: the date is ``SOURCE_DATE_EPOCH`` or ``config.report.date``,
  figures are deterministic SVG, and all mappings are emitted in a fixed order.
"""

from __future__ import annotations

import base64
import hashlib
import math
import os
import platform
import re
import subprocess
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

import pandas as pd
import yaml
from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup

from hhsurvey.compare import INDICATOR_UNITS
from hhsurvey.errors import InputError
from hhsurvey.figures import FIGURES
from hhsurvey.indicators import load_catalogue as _load_catalogue

__all__ = [
    "SECTIONS",
    "build_context",
    "fmt_ci",
    "fmt_estimate",
    "fmt_number",
    "render",
    "render_report",
    "rule_arguments",
    "section_of",
    "trusted",
    "write_html",
]

NOT_ESTIMATED = "not estimated in this run"
NO_FIGURE = "no national figure"
PACKAGES = (
    "pandas",
    "numpy",
    "scipy",
    "statsmodels",
    "pyreadstat",
    "snakemake",
    "matplotlib",
    "seaborn",
    "jinja2",
)


# --------------------------------------------------------------------------- sections


@dataclass(frozen=True)
class Section:
    """A report section: the indicators whose id starts with one of *prefixes* (or whose unit is
    in *units*) are listed in its table, in catalogue order. *expected* names indicators that a
    later stage of the pipeline will add: until they are in the results they are listed as
    "not estimated in this run"."""

    key: str
    title: str
    prefixes: tuple[str, ...] = ()
    units: tuple[str, ...] = ()
    expected: tuple[tuple[str, str], ...] = ()
    intro: str = ""


SECTIONS: tuple[Section, ...] = (
    Section(
        "coverage",
        "Coverage by health insurance and social health protection",
        ("coverage_", "insured_", "scheme_"),
        intro="Self-reported membership of any scheme (INS1) and of each scheme (INS2), among all "
        "persons of responding households.",
    ),
    Section(
        "care",
        "Illness and care-seeking",
        (
            "illness_",
            "ill_",
            "care_",
            "first_provider_",
            "no_care_",
            "forgone_",
            "opd_",
            "admissions_",
            "alos",
        ),
        intro="Illness in the last 30 days, whether and where care was sought, reasons for not "
        "seeking care, and use of outpatient and inpatient services.",
    ),
    Section(
        "oop",
        "Out-of-pocket spending",
        ("oop_",),
        intro="What households paid themselves to providers and for medicines (SDG 3.8.2 scope), "
        "in LAK at base-year prices. Transport and food are not out-of-pocket spending under SDG "
        "3.8.2 and are shown separately.",
    ),
    Section(
        "protection",
        "Financial protection",
        (
            "che_",
            "overshoot_",
            "mpo_",
            "impoverished_",
            "further_impoverished_",
            "poverty_",
            "distress_",
        ),
        expected=(
            (
                "che_ctp_40",
                "Catastrophic spending >= 40 % of capacity to pay (WHO, Xu et al. 2003)",
            ),
            (
                "che_sdg_revised",
                "Large OOP: above 40 % of the discretionary budget (revised SDG 3.8.2)",
            ),
        ),
        intro="Catastrophic spending (SDG 3.8.2, population-weighted), its depth, impoverishment "
        "by out-of-pocket spending and distress financing. Household-weighted companions are "
        "labelled as such.",
    ),
    Section(
        "equity",
        "Equity",
        ("ci_", "kakwani_"),
        units=("index",),
        expected=(
            ("ci_oop", "Concentration index of out-of-pocket spending"),
            ("ci_che_sdg_10", "Concentration index of catastrophic spending (10 %)"),
            ("ci_care_seeking", "Concentration index of care-seeking"),
            ("kakwani_oop", "Kakwani index of out-of-pocket payments"),
        ),
        intro="How indicators vary across consumption quintiles (each a fifth of the population, "
        "ranked by per-capita consumption), and concentration indices.",
    ),
    Section(
        "mch",
        "Mothers and children",
        ("institutional_", "skilled_", "delivery_", "u5_", "anc_", "pnc_", "child_", "birth_"),
        intro="Last birth in the 24 months before the interview, and care-seeking for children "
        "under five (DHS/MICS conventions).",
    ),
)
OTHER_SECTION = Section(
    "other",
    "Other indicators",
    intro="Indicators of the catalogue that belong to none of the sections above.",
)

#: Headline indicators in the order the key findings use (others follow in catalogue order).
KEY_FINDING_ORDER = (
    "coverage_any",
    "illness_30d",
    "care_seeking",
    "forgone_cost",
    "oop_annual_hh_mean",
    "che_sdg_10",
    "che_sdg_25",
    "impoverished_national",
    "distress_financing",
    "skilled_birth_attendance",
    "institutional_delivery",
    "u5_fever_care",
)
MAX_KEY_FINDINGS = 10
MIN_KEY_FINDINGS = 6

#: Indicators of the quintile-gradient figure and equity table, when estimated.
GRADIENT_ORDER = (
    "coverage_any",
    "care_seeking",
    "forgone_cost",
    "che_sdg_10",
    "impoverished_national",
    "distress_financing",
)
PROVIDER_PREFIX = "first_provider_"

UNIT_TEXT = {
    "percent": "%",
    "lak": "LAK",
    "rate": "per person per year",
    "per_1000": "per 1,000 per year",
    "nights": "nights",
    "index": "index (-1 to 1)",
}
DOMAIN_TEXT = {
    "area": "Area",
    "sex": "Sex",
    "age_group": "Age group (years)",
    "quintile": "Consumption quintile",
    "insured_status": "Insurance status",
    "ep_provider_group": "First provider",
}
DESIGN_TEXT = {
    "person": "persons (household weight)",
    "household": "households (household weight)",
    "household_pop": "population (household weight x household size)",
}
#: compare.py units of national figures -> the report's units.
NATIONAL_UNIT = {"fraction": "percent", "per_capita": "rate", "per_1000": "per_1000", "lak": "lak"}


def section_of(indicator_id: str, unit: str = "") -> str:
    """Key of the section an indicator belongs to: by id prefix, then unit, else "other"."""
    for s in SECTIONS:
        if indicator_id.startswith(s.prefixes):
            return s.key
    for s in SECTIONS:
        if unit in s.units:
            return s.key
    return OTHER_SECTION.key


# --------------------------------------------------------------------------- formatting

DECIMALS = {"percent": 1, "lak": 0, "rate": 2, "per_1000": 1, "nights": 1, "index": 3}
SCALE = {"percent": 100.0}


def _finite(x: Any) -> bool:
    try:
        return math.isfinite(float(x))
    except (TypeError, ValueError):
        return False


def fmt_number(x: Any, unit: str, extra_decimals: int = 0) -> str:
    """A value in its display unit: proportions as percent with one decimal, LAK whole with
    thousands separators, indices with three decimals. Blank when missing."""
    if not _finite(x):
        return ""
    d = DECIMALS.get(unit, 2) + extra_decimals
    return f"{float(x) * SCALE.get(unit, 1.0):,.{d}f}"


def fmt_estimate(x: Any, unit: str, flag: str) -> str:
    """DHS convention: ``*`` for suppressed, ``(x)`` for caution."""
    if flag == "suppressed":
        return "*"
    text = fmt_number(x, unit)
    return f"({text})" if flag == "caution" and text else text


def fmt_ci(lo: Any, hi: Any, unit: str, flag: str) -> str:
    """``lo–hi`` (en dash), parenthesised for caution, blank for suppressed or missing."""
    if flag == "suppressed" or not (_finite(lo) and _finite(hi)):
        return ""
    text = f"{fmt_number(lo, unit)}\u2013{fmt_number(hi, unit)}"
    return f"({text})" if flag == "caution" else text


def fmt_count(x: Any) -> str:
    return f"{round(float(x)):,d}" if _finite(x) else ""


def fmt_pct(x: Any, decimals: int = 1) -> str:
    return f"{float(x) * 100:.{decimals}f}\u00a0%" if _finite(x) else ""


def _text(x: Any) -> str:
    return "" if x is None or (isinstance(x, float) and math.isnan(x)) or x is pd.NA else str(x)


def _flag(x: Any) -> str:
    return "" if pd.isna(x) else str(x)


def level_text(domain: str, level: Any) -> str:
    text = _text(level)
    if domain == "quintile":
        return {"1": "1 (poorest)", "5": "5 (richest)"}.get(text, text)
    return text.replace("_", " ").capitalize() if text.islower() else text


# --------------------------------------------------------------------------- reading


def read_csv(path: str | os.PathLike[str]) -> pd.DataFrame:
    """A result CSV with empty cells as missing and nothing else reinterpreted."""
    try:
        return pd.read_csv(path, keep_default_na=False, na_values=[""])
    except FileNotFoundError:
        raise InputError(
            "a result table the report needs is missing", str(path), "run the workflow first"
        ) from None


def _require(df: pd.DataFrame, columns: Iterable[str], path: str) -> None:
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise InputError(
            f"the table lacks column(s) {', '.join(missing)}",
            str(path),
            "rebuild it with the current pipeline (the report reads its documented columns)",
        )


@dataclass
class Catalogue:
    """What the report needs from the indicator catalogue, in catalogue order."""

    entries: list[Any]
    by_id: dict[str, Any] = field(init=False)

    def __post_init__(self) -> None:
        self.by_id = {e.id: e for e in self.entries}

    def label(self, iid: str, default: str = "") -> str:
        e = self.by_id.get(iid)
        return e.label if e is not None else (default or iid)

    def unit(self, iid: str) -> str:
        """Catalogue unit; for an id outside the catalogue, the unit compare.py knows."""
        e = self.by_id.get(iid)
        if e is not None:
            return e.unit
        return {"fraction": "percent", "index": "index"}.get(INDICATOR_UNITS.get(iid, ""), "")


def load_catalogue(path: str | os.PathLike[str]) -> Catalogue:
    return Catalogue(_load_catalogue(str(path)))


def gradient_ids(catalogue: Catalogue, indicators: pd.DataFrame) -> list[str]:
    """Percent indicators shown by quintile: the preferred list, then other headline ones;
    only those with at least three quintiles that are not suppressed."""
    q = indicators.loc[
        (indicators["domain"] == "quintile") & (indicators["flag"].map(_flag) != "suppressed")
    ]
    counts = q.groupby("indicator").size()
    with_q = set(counts.index[counts >= 3])
    pool = [i for i in GRADIENT_ORDER if i in with_q]
    pool += [
        e.id
        for e in catalogue.entries
        if e.headline and e.unit == "percent" and e.id in with_q and e.id not in pool
    ]
    return pool[:6]


def provider_ids(catalogue: Catalogue) -> list[str]:
    return [e.id for e in catalogue.entries if e.id.startswith(PROVIDER_PREFIX)]


# --------------------------------------------------------------------------- tables


def _estimate_cells(r: Mapping[str, Any], unit: str) -> dict[str, str]:
    flag = _flag(r.get("flag"))
    hide = flag == "suppressed"
    return {
        "estimate": fmt_estimate(r.get("estimate"), unit, flag),
        "ci": fmt_ci(r.get("ci_low"), r.get("ci_high"), unit, flag),
        "se": "" if hide else fmt_number(r.get("se"), unit, 1),
        "deff": "" if hide or not _finite(r.get("deff")) else f"{float(r['deff']):.2f}",
        "df": "" if not _finite(r.get("df")) else f"{float(r['df']):g}",
        "n_unweighted": fmt_count(r.get("n_unweighted")),
        "n_weighted": fmt_count(r.get("n_weighted")),
        "flag": flag,
    }


def _national_refs(comparison: pd.DataFrame) -> dict[str, str]:
    """Reference tag (N1, N2, ...) of each comparator row, in table order."""
    rows = comparison.loc[comparison["status"] != NO_FIGURE, "comparator_id"]
    return {cid: f"N{i}" for i, cid in enumerate(rows, start=1)}


def _national_value(value: Any, unit: str) -> str:
    if unit == "percent_che":
        return f"{fmt_number(value, 'rate')[:-1]}\u00a0% of current health expenditure"
    u = NATIONAL_UNIT.get(unit, "")
    text = fmt_number(value, u)
    return f"{text}\u00a0%" if u == "percent" else text


def section_tables(
    catalogue: Catalogue,
    indicators: pd.DataFrame,
    comparison: pd.DataFrame,
    refs: Mapping[str, str],
) -> dict[str, dict[str, Any]]:
    """Per section: an overall table (one row per indicator) and by-characteristic tables for
    its headline indicators. Indicators missing from the results say so."""
    overall = indicators.loc[indicators["domain"] == "total"].drop_duplicates("indicator")
    overall = overall.set_index("indicator")
    ids = [e.id for e in catalogue.entries]
    ids += [i for i in indicators["indicator"].drop_duplicates() if i not in catalogue.by_id]
    expected = {iid: label for s in SECTIONS for iid, label in s.expected}
    ids += [iid for iid in expected if iid not in ids]
    out: dict[str, dict[str, Any]] = {
        s.key: {"rows": [], "by": []} for s in (*SECTIONS, OTHER_SECTION)
    }
    for iid in ids:
        unit = catalogue.unit(iid)
        key = section_of(iid, unit)
        label = catalogue.label(iid, expected.get(iid, ""))
        row: dict[str, Any] = {"id": iid, "label": label, "unit": UNIT_TEXT.get(unit, unit)}
        row["by_only"] = ""
        if iid in overall.index:
            row |= _estimate_cells(overall.loc[iid].to_dict(), unit) | {"estimated": True}
        else:
            row |= {"estimated": False, "flag": ""}
            rows = indicators.loc[indicators["indicator"] == iid, "domain"]
            if len(rows):
                # e.g. the catastrophic headcount curve: estimates by threshold only.
                domains = ", ".join(
                    DOMAIN_TEXT.get(str(d), str(d)).lower() for d in rows.drop_duplicates()
                )
                row["by_only"] = f"{len(rows)} estimates by {domains}: see the figure and annex"
        row["national"] = [
            {
                "ref": refs.get(c["comparator_id"], ""),
                "anchor": f"cmp-{c['comparator_id']}",
                "value": _national_value(c["national_value"], c["national_unit"]),
                "year": _text(c["national_year"]),
                "context": c["comparability"] == "context_only",
            }
            for c in comparison.loc[
                (comparison["indicator"] == iid) & (comparison["status"] != NO_FIGURE)
            ].to_dict("records")
        ]
        out[key]["rows"].append(row)
        entry = catalogue.by_id.get(iid)
        if entry is not None and entry.headline and row["estimated"]:
            by = indicators.loc[
                (indicators["indicator"] == iid) & (indicators["domain"] != "total")
            ]
            if not by.empty:
                groups = []
                for domain, g in by.groupby("domain", sort=False):
                    groups.append(
                        {
                            "domain": DOMAIN_TEXT.get(str(domain), str(domain).replace("_", " ")),
                            "rows": [
                                {"level": level_text(str(domain), r["level"])}
                                | _estimate_cells(r, unit)
                                for r in g.to_dict("records")
                            ],
                        }
                    )
                out[key]["by"].append(
                    {
                        "id": iid,
                        "label": label,
                        "unit": UNIT_TEXT.get(unit, unit),
                        "total": _estimate_cells(overall.loc[iid].to_dict(), unit),
                        "groups": groups,
                    }
                )
    return out


def quintile_table(
    catalogue: Catalogue, indicators: pd.DataFrame, ids: Sequence[str]
) -> list[dict[str, Any]]:
    """Rows of the equity table: one indicator per row, quintiles 1-5 and the total."""
    rows = []
    for iid in ids:
        unit = catalogue.unit(iid)
        sub = indicators.loc[indicators["indicator"] == iid]
        cells = []
        for q in ("1", "2", "3", "4", "5"):
            r = sub.loc[(sub["domain"] == "quintile") & (sub["level"].astype(str) == q)]
            cells.append(
                fmt_estimate(r["estimate"].iloc[0], unit, _flag(r["flag"].iloc[0]))
                if len(r)
                else ""
            )
        tot = sub.loc[sub["domain"] == "total"]
        total = (
            fmt_estimate(tot["estimate"].iloc[0], unit, _flag(tot["flag"].iloc[0]))
            if len(tot)
            else ""
        )
        rows.append(
            {
                "id": iid,
                "label": catalogue.label(iid),
                "unit": UNIT_TEXT.get(unit, unit),
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
    no difference is shown for context-only figures (they are never compared)."""
    out = []
    for c in comparison.to_dict("records"):
        unit = catalogue.unit(c["indicator"])
        flag = _flag(c["flag"])
        has_figure = c["status"] != NO_FIGURE
        compared = has_figure and c["comparability"] != "context_only"
        diff = ""
        if compared and _finite(c["difference"]):
            d = float(c["difference"])
            diff = f"{d * 100:+.1f} pp" if unit == "percent" else f"{fmt_number(d, unit)}"
            if flag == "caution":
                diff = f"({diff})"
        out.append(
            {
                "ref": refs.get(_text(c["comparator_id"]), ""),
                "anchor": f"cmp-{_text(c['comparator_id'])}" if has_figure else "",
                "indicator": c["indicator"],
                "label": _text(c["label"]) or c["indicator"],
                "estimate": fmt_estimate(c["estimate"], unit, flag),
                "ci": fmt_ci(c["ci_low"], c["ci_high"], unit, flag),
                "has_figure": has_figure,
                "national": _national_value(c["national_value"], c["national_unit"])
                if has_figure
                else NO_FIGURE,
                "national_label": _text(c["national_label"]),
                "year": _text(c["national_year"]),
                "source": _text(c["source"]),
                "table_page": _text(c["table_page"]),
                "difference": diff,
                "verdict": _text(c["verdict"]),
                "test": _text(c["test"]),
                "p_value": f"{float(c['p_value']):.3f}" if _finite(c["p_value"]) else "",
                "caveat": _text(c["caveat"]),
                "comparability": _text(c["comparability"]).replace("_", " "),
            }
        )
    return out


# --------------------------------------------------------------------------- key findings


def _when(year: str) -> str:
    """ "in 2013", or "year not stated" when the source gives none."""
    return "year not stated" if year.strip().lower() in ("", "not stated") else f"in {year}"


def key_findings(
    catalogue: Catalogue,
    indicators: pd.DataFrame,
    comparison: pd.DataFrame,
    refs: Mapping[str, str],
) -> list[dict[str, Any]]:
    """6-10 findings for headline indicators: estimate, 95 % CI and every national comparator.

    Each finding is a dict of plain strings; the template assembles the sentence. Suppressed
    estimates are skipped (their numbers cannot be shown); caution ones keep their parentheses.
    """
    overall = indicators.loc[indicators["domain"] == "total"].drop_duplicates("indicator")
    overall = overall.set_index("indicator")
    headline = [e.id for e in catalogue.entries if e.headline]
    order = [i for i in KEY_FINDING_ORDER if i in headline]
    order += [i for i in headline if i not in order]
    order += [e.id for e in catalogue.entries if e.id not in order and e.national]
    findings = []
    for iid in order:
        if len(findings) >= MAX_KEY_FINDINGS:
            break
        if iid not in overall.index:
            continue
        r = overall.loc[iid].to_dict()
        flag = _flag(r["flag"])
        if flag == "suppressed" or not _finite(r["estimate"]):
            continue
        if iid not in headline and len(findings) >= MIN_KEY_FINDINGS:
            continue
        unit = catalogue.unit(iid)
        suffix = "\u00a0%" if unit == "percent" else f"\u00a0{UNIT_TEXT.get(unit, unit)}"
        value = fmt_number(r["estimate"], unit) + suffix.rstrip()
        comps = comparison.loc[
            (comparison["indicator"] == iid) & (comparison["status"] != NO_FIGURE)
        ]
        national = []
        for c in comps.to_dict("records"):
            context = c["comparability"] == "context_only"
            national.append(
                {
                    "ref": refs.get(c["comparator_id"], ""),
                    "anchor": f"cmp-{c['comparator_id']}",
                    "value": _national_value(c["national_value"], c["national_unit"]),
                    "when": _when(_text(c["national_year"])),
                    "what": _text(c["national_label"]),
                    "verdict": "for context only, not compared" if context else _text(c["verdict"]),
                    "uncertain": "uncertain source" in _text(c["caveat"]),
                    "differs": c["comparability"] == "definition_differs",
                }
            )
        findings.append(
            {
                "id": iid,
                "label": catalogue.label(iid),
                "estimate": value if flag != "caution" else f"({value})",
                "ci": fmt_ci(r["ci_low"], r["ci_high"], unit, ""),
                "caution": flag == "caution",
                "national": national,
            }
        )
    return findings


# --------------------------------------------------------------------------- the survey


def _diag_index(diag: pd.DataFrame) -> dict[tuple[str, str, str], float]:
    """(scope, level, measure) -> value of the first such row: one pass over the diagnostics
    (the village rows grow with the sample; a scan per village was quadratic)."""
    out: dict[tuple[str, str, str], float] = {}
    keys = zip(
        diag["scope"].astype(str),
        diag["level"].astype(str),
        diag["measure"].astype(str),
        strict=True,
    )
    for key, value in zip(keys, diag["value"], strict=True):
        out.setdefault(key, float(value))
    return out


def _diag_value(diag: pd.DataFrame, measure: str, scope: str = "overall", level: str = "total"):
    return _diag_index(diag).get((scope, level, measure), math.nan)


def survey_context(
    diag: pd.DataFrame,
    frame: pd.DataFrame | None,
    row_counts: pd.DataFrame,
    round_meta: Mapping[str, Any],
    design: Mapping[str, Any],
) -> dict[str, Any]:
    """Design, sample sizes, response rates, weight diagnostics and the village list."""
    index = _diag_index(diag)
    d = lambda m: index.get(("overall", "total", m), math.nan)  # noqa: E731
    persons = row_counts.loc[row_counts["table"] == "person", "clean"]
    sample = [
        ("Villages (PSUs) selected", fmt_count(d("villages_selected"))),
        (
            "Villages with at least one responding household",
            fmt_count(d("villages_with_respondents")),
        ),
        ("Households sampled", fmt_count(d("households_sampled"))),
        ("Households eligible (dwelling occupied and found)", fmt_count(d("households_eligible"))),
        ("Households interviewed (complete)", fmt_count(d("households_responding"))),
        ("Household response rate (interviewed / eligible)", fmt_pct(d("response_rate"))),
        ("Persons in interviewed households", fmt_count(persons.iloc[0]) if len(persons) else ""),
        (
            "Weighted households (estimated households in the district)",
            fmt_count(d("weighted_households")),
        ),
        (
            "Households in the frame (census measure of size)",
            fmt_count(d("frame_households_census")),
        ),
        ("Weighted persons", fmt_count(d("weighted_persons"))),
    ]
    weights = [
        ("Smallest household weight", fmt_number(d("weight_min"), "rate", -1)),
        ("Largest household weight", fmt_number(d("weight_max"), "rate", -1)),
        ("Coefficient of variation of the weights", fmt_number(d("weight_cv"), "rate")),
        (
            "Kish design effect of weighting, households",
            fmt_number(d("kish_deff_households"), "rate"),
        ),
        ("Kish design effect of weighting, persons", fmt_number(d("kish_deff_persons"), "rate")),
    ]
    strata = []
    for level in diag.loc[diag["scope"] == "stratum", "level"].astype(str).drop_duplicates():
        s = lambda m, lv=level: index.get(("stratum", lv, m), math.nan)  # noqa: E731
        strata.append(
            {
                "stratum": level_text("", level),
                "villages": fmt_count(s("villages_selected")),
                "response_rate": fmt_pct(s("response_rate")),
                "weighted": fmt_count(s("weighted_households")),
                "census": fmt_count(s("frame_households_census")),
            }
        )
    names: dict[str, dict[str, str]] = {}
    if frame is not None and "village" in frame:
        for r in frame.to_dict("records"):
            names[_text(r["village"])] = {
                "en": _text(r.get("village_en")),
                "lo": _text(r.get("village_lo")),
                "area": level_text("", _text(r.get("area"))),
            }
    villages = []
    vdiag = diag.loc[diag["scope"] == "village"]
    village_notes: dict[str, list[str]] = {}
    for code, note in zip(vdiag["level"].astype(str), vdiag["note"].map(_text), strict=True):
        village_notes.setdefault(code, [])
        if note:
            village_notes[code].append(note)
    notes_flagged = 0
    for code, notes in village_notes.items():
        v = lambda m, c=code: index.get(("village", c, m), math.nan)  # noqa: E731
        notes_flagged += bool(notes)
        info = names.get(code, {"en": "", "lo": "", "area": ""})
        villages.append(
            {
                "code": code,
                "name_en": info["en"],
                "name_lo": info["lo"],
                "area": info["area"],
                "pi1": fmt_number(v("pi1"), "index"),
                "pi2": fmt_number(v("pi2"), "index"),
                "response_rate": fmt_pct(v("response_rate"), 0),
                "factor": fmt_number(v("nonresponse_factor"), "rate"),
                "note": "; ".join(notes),
            }
        )
    fw = round_meta.get("fieldwork") or {}
    n_psu = d("villages_with_respondents")
    return {
        "n_psu": int(n_psu) if _finite(n_psu) else 0,
        "sample": sample,
        "weights": weights,
        "strata": strata,
        "villages": villages,
        "villages_flagged": notes_flagged,
        "fieldwork_start": _text(fw.get("start")),
        "fieldwork_end": _text(fw.get("end")),
        "strata_var": _text(design.get("strata", "")),
        "psu_var": _text(design.get("psu", "")),
        "lonely_psu": _text(design.get("lonely_psu", "")),
        "level": fmt_pct(design.get("level", 0.95), 0),
    }


# --------------------------------------------------------------------------- free text


def other_answers(table: pd.DataFrame | None, column: str, limit: int = 25) -> dict[str, Any]:
    """Distinct "other, specify" answers with counts (unweighted), most frequent first."""
    if table is None or column not in table:
        return {"available": False, "rows": [], "more": 0, "total": 0}
    text = table[column].map(_text).str.strip()
    text = text[text != ""]
    counts = text.value_counts()
    ordered = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    return {
        "available": True,
        "rows": [{"text": t, "n": int(n), "lang": lang_of(t)} for t, n in ordered[:limit]],
        "more": max(len(ordered) - limit, 0),
        "total": int(len(text)),
    }


def lang_of(text: str) -> str:
    """Return "lo" when the text contains Lao script (U+0E80-U+0EFF), so that browsers and
    screen readers treat it as Lao; else "" (the page language applies)."""
    return "lo" if any("\u0e80" <= ch <= "\u0eff" for ch in text) else ""


# --------------------------------------------------------------------------- data quality


def data_quality(
    summary: pd.DataFrame,
    findings: pd.DataFrame | None,
    cleaning_log: pd.DataFrame,
    row_counts: pd.DataFrame,
    limit: int = 20,
) -> dict[str, Any]:
    """Validation summary, a sample of findings, the cleaning summary and row reconciliation."""
    val = [
        {
            "check": _text(r["check"]),
            "severity": _text(r["severity"]),
            "table": _text(r["table"]),
            "records": fmt_count(r["records"]),
            "description": _text(r["description"]),
        }
        for r in summary.to_dict("records")
    ]
    sample = []
    if findings is not None and not findings.empty:
        f = findings.sort_values(["severity", "check", "table", "keys"], kind="stable")
        for r in f.head(limit).to_dict("records"):
            row = {k: _text(r.get(k)) for k in ("check", "severity", "table", "variable", "value")}
            # "record", not "keys": jinja2 would resolve f.keys to the dict method.
            sample.append(
                row | {"record": _text(r.get("keys")), "message": _text(r.get("message"))}
            )
    log = cleaning_log.assign(
        **{c: cleaning_log[c].map(_text) for c in ("table", "variable", "rule", "reason")}
    )
    groups = (
        log.groupby(["table", "rule", "variable"], sort=True)
        .agg(changes=("rule", "size"), reason=("reason", "first"))
        .reset_index()
    )
    cleaning = [
        {
            "table": r["table"],
            "rule": r["rule"],
            "variable": r["variable"],
            "changes": fmt_count(r["changes"]),
            "reason": r["reason"],
        }
        for r in groups.to_dict("records")
    ]
    counts = [
        {
            "table": _text(r["table"]),
            "raw": fmt_count(r["raw"]),
            "clean": fmt_count(r["clean"]),
            "excluded": fmt_count(r["excluded"]),
            "reconciles": "yes" if str(r["reconciles"]).lower() in ("true", "1") else "NO",
        }
        for r in row_counts.to_dict("records")
    ]
    n_by_sev = summary.groupby("severity")["records"].sum().to_dict() if len(summary) else {}
    return {
        "validation": val,
        "findings_sample": sample,
        "findings_total": 0 if findings is None else len(findings),
        "warnings": fmt_count(n_by_sev.get("warning", 0)),
        "errors": fmt_count(n_by_sev.get("error", 0)),
        "cleaning": cleaning,
        "cleaning_total": len(cleaning_log),
        "row_counts": counts,
        "all_reconcile": all(c["reconciles"] == "yes" for c in counts),
    }


# --------------------------------------------------------------------------- determinants


def determinants(path: str | None) -> dict[str, Any]:
    """Odds ratios of the care-seeking regression, when that stage has run."""
    if not path or not Path(path).exists():
        return {"available": False, "rows": []}
    df = read_csv(path)
    _require(df, ["term", "odds_ratio", "or_ci_low", "or_ci_high", "p_value"], path)
    if df.empty:  # the stage ran but had nothing to estimate (e.g. nobody was ill)
        return {"available": False, "rows": []}
    rows = [
        {
            "term": _text(r["term"]),
            "or": fmt_number(r["odds_ratio"], "rate"),
            "ci": fmt_ci(r["or_ci_low"], r["or_ci_high"], "rate", ""),
            "p": f"{float(r['p_value']):.3f}" if _finite(r["p_value"]) else "",
        }
        for r in df.to_dict("records")
    ]
    return {"available": True, "rows": rows}


# --------------------------------------------------------------------------- provenance


def sha256_file(path: str | os.PathLike[str]) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def code_version(repo: str | os.PathLike[str] | None) -> str:
    """``git describe --always --dirty`` of the checkout, or "unknown" (no git, no repo)."""
    try:
        out = subprocess.run(
            ["git", "describe", "--always", "--dirty"],
            cwd=repo or None,
            capture_output=True,
            text=True,
            timeout=20,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return out.stdout.strip() if out.returncode == 0 and out.stdout.strip() else "unknown"


def package_versions(names: Sequence[str] = PACKAGES) -> list[tuple[str, str]]:
    out = [("python", platform.python_version())]
    for n in names:
        try:
            out.append((n, metadata.version(n)))
        except metadata.PackageNotFoundError:
            out.append((n, "not installed"))
    return out


def report_date(config: Mapping[str, Any], environ: Mapping[str, str] | None = None) -> str:
    """The fixed date printed on the report: ``SOURCE_DATE_EPOCH`` (UTC), else config."""
    env = os.environ if environ is None else environ
    epoch = env.get("SOURCE_DATE_EPOCH", "").strip()
    if epoch:
        try:
            return datetime.fromtimestamp(int(epoch), tz=UTC).strftime("%Y-%m-%d %H:%M UTC")
        except (ValueError, OverflowError, OSError):
            raise InputError(
                f"SOURCE_DATE_EPOCH is '{epoch}', not a Unix timestamp",
                "environment variable SOURCE_DATE_EPOCH",
                "set it to whole seconds since 1970-01-01 (e.g. `git log -1 --format=%ct`) or unset it",
            ) from None
    return _text((config.get("report") or {}).get("date", "")) or "undated"


def provenance(
    manifest: pd.DataFrame,
    inputs: Mapping[str, str],
    config: Mapping[str, Any],
    repo: str | os.PathLike[str] | None,
) -> dict[str, Any]:
    raw = [
        {
            "table": _text(r["table"]),
            "file": _text(r["file"]),
            "sha256": _text(r["sha256"]),
            "rows": fmt_count(r["rows"]),
        }
        for r in manifest.to_dict("records")
    ]
    files = [
        {"name": k, "path": str(v), "sha256": sha256_file(v)}
        for k, v in sorted(inputs.items())
        if v and Path(v).is_file()
    ]
    return {
        "raw": raw,
        "files": files,
        "config_yaml": yaml.safe_dump(
            _plain(config), sort_keys=True, allow_unicode=True, default_flow_style=False
        ),
        "code_version": code_version(repo),
        "packages": package_versions(),
    }


def _plain(x: Any) -> Any:
    """Config as plain dicts/lists (Snakemake passes its own mapping types)."""
    if isinstance(x, Mapping):
        return {str(k): _plain(v) for k, v in x.items()}
    if isinstance(x, list | tuple):
        return [_plain(v) for v in x]
    return x


# --------------------------------------------------------------------------- methods


def methods_context(catalogue: Catalogue, config: Mapping[str, Any]) -> dict[str, Any]:
    ind = config.get("indicators", {})
    pl = config.get("poverty_lines", {})
    definitions = [
        {
            "id": e.id,
            "label": e.label,
            "unit": UNIT_TEXT.get(e.unit, e.unit),
            "design": DESIGN_TEXT.get(e.unit_of_analysis, e.unit_of_analysis),
            "universe": _text(e.universe) or "all",
            "definition": e.definition,
            "denominator": _text(e.denominator),
            "estimator": e.estimator
            + (f" (q = {e.quantile:g})" if e.estimator == "quantile" else "")
            + (f", x {e.scale:g}" if float(e.scale) != 1.0 else ""),
            "standard": e.standard,
        }
        for e in catalogue.entries
    ]
    ctp = ind.get("ctp", {})
    band = ctp.get("food_share_band", [0.45, 0.55])
    return {
        "definitions": definitions,
        "suppress_below": ind.get("suppress_below", 25),
        "caution_below": ind.get("caution_below", 50),
        "thresholds": ", ".join(fmt_pct(t, 0) for t in ind.get("che_thresholds", [0.1, 0.25])),
        "ctp_beta": _text(ctp.get("beta", 0.56)),
        "ctp_band": f"{float(band[0]) * 100:g}th\u2013{float(band[1]) * 100:g}th",
        "ctp_threshold": fmt_pct(ctp.get("threshold", 0.4), 0),
        "ctp_excluded": ", ".join(map(_text, ctp.get("exclude_food_items", []))),
        "revised_threshold": fmt_pct((ind.get("revised_sdg") or {}).get("threshold", 0.4), 0),
        "u5_excluded": ", ".join(map(_text, ind.get("u5_excluded_sources", []))),
        "replicates": {"jkn": "JKn jackknife"}.get(
            _text(ind.get("replicate_method", "jkn")), _text(ind.get("replicate_method"))
        ),
        # above this many PSUs the jackknife deletes groups of PSUs (hhsurvey.indicators)
        "jkn_max_psus": int(ind.get("jkn_max_psus", 200)),
        "national_line": _text((pl.get("national") or {}).get("source", "")),
        "international_line": _text((pl.get("international") or {}).get("source", "")),
        "lak_per_usd_ppp": _text(pl.get("lak_per_usd_ppp", "")),
        "ppp_source": _text(pl.get("ppp_source", "")),
        "che_curve_max": fmt_pct(ind.get("che_curve_max", 0.4), 0),
        "price_source": _text((config.get("prices") or {}).get("source", "")),
    }


# --------------------------------------------------------------------------- figures


def figure_context(
    names: Sequence[str],
    paths: Sequence[str],
    comparison: pd.DataFrame,
) -> dict[str, dict[str, str]]:
    """Each figure as a base64 SVG data URI with its title and alt text."""
    out = {}
    for name, path in zip(names, paths, strict=True):
        try:
            data = Path(path).read_bytes()
        except FileNotFoundError:
            raise InputError(
                "a figure of the report is missing", str(path), "run rule plot_figures first"
            ) from None
        if not data.lstrip().startswith((b"<?xml", b"<svg")):
            raise InputError(
                "the figure is not an SVG file", str(path), "rebuild it with rule plot_figures"
            )
        title, alt = FIGURES.get(name, (name.replace("_", " ").capitalize(), ""))
        if name == "national_comparison":
            alt += " " + _comparison_alt(comparison)
        out[name] = {
            "src": "data:image/svg+xml;base64," + base64.b64encode(data).decode("ascii"),
            "title": title,
            "alt": f"{title}. {alt}".strip(),
            "file": Path(path).name,
        }
    return out


def _comparison_alt(comparison: pd.DataFrame) -> str:
    parts = []
    for c in comparison.to_dict("records"):
        if c["national_unit"] != "fraction" or not _finite(c["national_value"]):
            continue
        flag = _flag(c["flag"])
        local = (
            "suppressed"
            if flag == "suppressed"
            else f"{fmt_estimate(c['estimate'], 'percent', flag)} % "
            f"(95 % CI {fmt_ci(c['ci_low'], c['ci_high'], 'percent', flag)})"
        )
        parts.append(
            f"{_text(c['label']) or c['indicator']}: Vang Vieng {local}, Lao PDR "
            f"{fmt_number(c['national_value'], 'percent')} % ({_text(c['national_year'])})."
        )
    return " ".join(parts) or "No national figure in percent for this round."


# --------------------------------------------------------------------------- context


def build_context(
    *,
    indicators: pd.DataFrame,
    comparison: pd.DataFrame,
    validation_summary: pd.DataFrame,
    validation: pd.DataFrame | None,
    cleaning_log: pd.DataFrame,
    row_counts: pd.DataFrame,
    weights_diagnostics: pd.DataFrame,
    manifest: pd.DataFrame,
    catalogue: Catalogue,
    frame: pd.DataFrame | None,
    person: pd.DataFrame | None,
    episode: pd.DataFrame | None,
    determinants_path: str | None,
    figures: Mapping[str, Mapping[str, str]],
    round_meta: Mapping[str, Any],
    config: Mapping[str, Any],
    input_files: Mapping[str, str],
    repo: str | os.PathLike[str] | None = None,
    environ: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """Everything the templates show, as plain values (no Markup)."""
    indicators = indicators.assign(flag=indicators["flag"].map(_flag))
    comparison = comparison.assign(
        flag=comparison["flag"].map(_flag), status=comparison["status"].map(_text)
    )
    refs = _national_refs(comparison)
    tables = section_tables(catalogue, indicators, comparison, refs)
    grad = gradient_ids(catalogue, indicators)
    design = config.get("design", {})
    ind_cfg = config.get("indicators", {})
    sections = [
        {"key": s.key, "title": s.title, "intro": s.intro} | tables[s.key]
        for s in (*SECTIONS, OTHER_SECTION)
    ]
    annex = []
    for r in indicators.to_dict("records"):
        unit = catalogue.unit(r["indicator"])
        annex.append(
            {
                "id": r["indicator"],
                "domain": DOMAIN_TEXT.get(_text(r["domain"]), _text(r["domain"])),
                "level": level_text(_text(r["domain"]), r["level"]),
                "unit": UNIT_TEXT.get(unit, unit),
            }
            | _estimate_cells(r, unit)
        )
    return {
        "lang": _text((config.get("report") or {}).get("lang", "en")) or "en",
        "title": _text(round_meta.get("title", "")) or "Household health survey",
        "round": _text(round_meta.get("name", "")),
        "synthetic": bool(round_meta.get("synthetic", False)),
        "date": report_date(config, environ),
        "price_year": _text(round_meta.get("price_year", "")),
        "national_round": _text(round_meta.get("national_round", "")),
        "level": fmt_pct(design.get("level", 0.95), 0),
        "suppress_below": ind_cfg.get("suppress_below", 25),
        "caution_below": ind_cfg.get("caution_below", 50),
        "key_findings": key_findings(catalogue, indicators, comparison, refs),
        "survey": survey_context(weights_diagnostics, frame, row_counts, round_meta, design),
        "sections": sections,
        "quintiles": quintile_table(catalogue, indicators, grad),
        "comparison": comparison_rows(catalogue, comparison, refs),
        "scheme_other": other_answers(person, "scheme_other"),
        "reason_other": other_answers(episode, "reason_other"),
        "quality": data_quality(validation_summary, validation, cleaning_log, row_counts),
        "determinants": determinants(determinants_path),
        "methods": methods_context(catalogue, config),
        "annex": annex,
        "figures": dict(figures),
        "provenance": provenance(manifest, input_files, config, repo),
        "not_estimated": NOT_ESTIMATED,
        "no_figure": NO_FIGURE,
    }


# --------------------------------------------------------------------------- rendering


def trusted(html: str) -> Markup:
    """The one place a string becomes Markup: only repository files (the stylesheet) pass.

    It refuses anything that could close the ``<style>`` element it is written into.
    """
    if re.search(r"</\s*style|<\s*script|<!--", html, flags=re.IGNORECASE):
        raise InputError(
            "the stylesheet contains markup (</style>, <script> or <!--)",
            "report/static/report.css",
            "keep the stylesheet plain CSS",
        )
    return Markup(html)  # noqa: S704 - trusted repository file, checked above


def environment(template_dir: str | os.PathLike[str]) -> Environment:
    env = Environment(
        loader=FileSystemLoader(str(template_dir)),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    return env


def csp(css: str) -> str:
    """Content-Security-Policy: nothing may load or run except the inline stylesheet (by hash)
    and data-URI images. Defence in depth behind autoescaping."""
    digest = base64.b64encode(hashlib.sha256(css.encode("utf-8")).digest()).decode("ascii")
    return (
        "default-src 'none'; img-src data:; "
        f"style-src 'sha256-{digest}'; base-uri 'none'; form-action 'none'"
    )


def render(
    context: Mapping[str, Any],
    template: str | os.PathLike[str],
    css: str | os.PathLike[str],
) -> str:
    """Render the report template with the stylesheet inlined."""
    template = Path(template)
    css_text = Path(css).read_text(encoding="utf-8")
    env = environment(template.parent)
    return env.get_template(template.name).render(
        **context, css=trusted(css_text), csp=csp(css_text)
    )


def write_html(
    context: Mapping[str, Any],
    template: str | os.PathLike[str],
    css: str | os.PathLike[str],
    out: str | os.PathLike[str],
) -> str:
    """Render *template* with *context* and write the page to *out* (folders created)."""
    html = render(context, template, css)
    Path(out).parent.mkdir(parents=True, exist_ok=True)
    Path(out).write_text(html, encoding="utf-8")
    return html


def rule_arguments(smk: Any) -> dict[str, Any]:
    """The arguments every report rule passes alike: figures, configuration, template,
    stylesheet, output and the checkout (for the code version)."""
    return {
        "figure_names": smk.params.figure_names,
        "figure_paths": list(smk.input.figures),
        "config": smk.params.config,
        "template": smk.input.template,
        "css": smk.input.css,
        "out": smk.output.html,
        "repo": Path.cwd(),
    }


def render_report(
    *,
    paths: Mapping[str, Any],
    figure_names: Sequence[str],
    figure_paths: Sequence[str],
    round_meta: Mapping[str, Any],
    config: Mapping[str, Any],
    template: str,
    css: str,
    out: str,
    repo: str | os.PathLike[str] | None = None,
    environ: Mapping[str, str] | None = None,
) -> str:
    """Read the inputs named in *paths*, render, write *out*; return the HTML."""
    p = {k: (str(v) if v else "") for k, v in paths.items()}
    indicators = read_csv(p["indicators"])
    _require(
        indicators,
        [
            "indicator",
            "domain",
            "level",
            "estimate",
            "ci_low",
            "ci_high",
            "flag",
            "n_unweighted",
            "n_weighted",
        ],
        p["indicators"],
    )
    comparison = read_csv(p["comparison"])
    _require(
        comparison,
        [
            "indicator",
            "status",
            "national_value",
            "national_unit",
            "source",
            "national_year",
            "caveat",
            "comparator_id",
        ],
        p["comparison"],
    )

    def parquet(key: str, columns: Sequence[str] | None = None) -> pd.DataFrame | None:
        if not p.get(key):
            return None
        try:
            return pd.read_parquet(p[key], columns=list(columns) if columns else None)
        except FileNotFoundError:
            raise InputError(
                "a table the report needs is missing", p[key], "run the workflow first"
            ) from None

    context = build_context(
        indicators=indicators,
        comparison=comparison,
        validation_summary=read_csv(p["validation"]),
        validation=read_csv(p["validation_findings"]) if p.get("validation_findings") else None,
        cleaning_log=read_csv(p["cleaning_log"]),
        row_counts=read_csv(p["row_counts"]),
        weights_diagnostics=read_csv(p["weights_diagnostics"]),
        manifest=read_csv(p["manifest"]),
        catalogue=load_catalogue(p["catalogue"]),
        frame=parquet("frame"),
        person=parquet("person", ["scheme_other"]),
        episode=parquet("episode", ["reason_other"]),
        determinants_path=p.get("determinants") or None,
        figures=figure_context(figure_names, figure_paths, comparison),
        round_meta=round_meta,
        config=config,
        input_files={k: v for k, v in p.items() if k != "determinants" or v},
        repo=repo,
        environ=environ,
    )
    return write_html(context, template, css, out)
