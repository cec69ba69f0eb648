"""The self-contained "Change since baseline" report (issue 7): ``results/report/change.html``.

Inputs: ``results/change/indicators_change.csv`` (:data:`hhsurvey.engine.results.CHANGE_COLUMNS`), and per
round its ``indicators.csv`` (the DHS flag of every estimate), ``national_comparison.csv`` (the
national figures serving that round) and ``ingest/manifest.csv`` (raw-file checksums).

Everything HTML-related is the round report's (:mod:`hhsurvey.outputs.report.build`): jinja2 with autoescape
and ``StrictUndefined``, the stylesheet as the only :func:`~hhsurvey.outputs.report.build.trusted` fragment, the
CSP, SVG data-URI figures, the number formats, the report date (``SOURCE_DATE_EPOCH`` or
``config.report.date``) and the provenance annex. This module adds only what is specific to a
change between two rounds:

- each round's estimate follows that round's DHS flag: ``*`` when suppressed (unweighted
  denominator < 25), parentheses for caution (25-49);
- a change involving a suppressed estimate is not shown either (``*``, no CI, p-value or
  significance): it would reveal the suppressed estimate; one involving a caution estimate is
  parenthesised; one involving a structural zero reads "not applicable"; a change whose SE is
  0 reads "not estimable" (no interval, no test);
- a change that is not significant is never read as "no change": it is reported with its
  minimum detectable change (``mdc`` of the change table), "this survey could detect only a
  change of X or more"; the summary's significance is that of the headline family adjusted
  for multiple comparisons (``p_adjusted``);
- a change in a percentage is in percentage points, signed (``+5.3``); its CI reads
  ``a to b`` (an en dash between negative numbers would be ambiguous);
- national figures of each round are those of that round's comparison table, cited with year
  and source, or "no national figure".
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from hhsurvey.catalogue.national import comparable
from hhsurvey.engine.columns import CHANGE_COLUMNS
from hhsurvey.outputs.report.context import figure_context
from hhsurvey.outputs.report.files import (
    configuration_table,
    files_folder,
    files_link,
    inputs_table,
    write_report_files,
)
from hhsurvey.outputs.report.format import (
    MULTIPLICITY_TEXT,
    NO_FIGURE,
    NOT_APPLICABLE,
    NOT_ESTIMABLE,
    UNIT_TEXT,
    fmt_change,
    fmt_change_ci,
    fmt_ci,
    fmt_estimate,
    fmt_number,
    fmt_p,
    fmt_pct,
    level_text,
    read_csv,
    truthy,
)
from hhsurvey.outputs.report.format import finite as _finite
from hhsurvey.outputs.report.format import flag_of as _flag
from hhsurvey.outputs.report.format import require as _require
from hhsurvey.outputs.report.format import text_of as _text
from hhsurvey.outputs.report.provenance import provenance, report_date
from hhsurvey.outputs.report.render import write_html
from hhsurvey.outputs.report.spec import (
    DEFAULT_SPEC,
    Catalogue,
    ReportSpec,
    load_catalogue,
    load_report_spec,
)
from hhsurvey.outputs.report.tables import national_value as _national_value
from hhsurvey.prepare.poverty import assumption_marks

__all__ = [
    "ROLES",
    "build_change_context",
    "change_summary",
    "national_trends",
    "fmt_change",
    "fmt_change_ci",
    "fmt_p",
    "headline_frame",
    "headline_rows",
    "render_change_report",
    "round_flags",
]

ROLES = ("baseline", "endline")
#: Unit of a change, by the indicator's unit (a change in a percentage is in points).
CHANGE_UNIT_TEXT = UNIT_TEXT | {"percent": "percentage points"}
CHANGE_UNIT_SHORT = {"percent": "pp", "lak": "LAK"}
SUPPRESSED_NOTE = "not shown: fewer than {n} unweighted cases in the {rounds} round"
NOT_APPLICABLE_NOTE = "not applicable: the event is impossible in this group in the {rounds} round"
#: Flags that keep a change from being shown (the change table blanks it too).
HIDDEN = ("suppressed", NOT_APPLICABLE)
#: Columns of the round tables the report reads.
INDICATOR_COLUMNS = ("indicator", "domain", "level", "flag")
COMPARISON_COLUMNS = (
    "indicator",
    "status",
    "national_value",
    "national_unit",
    "national_year",
    "source",
    "table_page",
    "comparator_id",
    "comparability",
)


# --------------------------------------------------------------------------- formatting


# --------------------------------------------------------------------------- reading


def _key(indicator: Any, domain: Any, level: Any) -> tuple[str, str, str]:
    return (_text(indicator), _text(domain), _text(level))


def round_flags(indicators: pd.DataFrame) -> dict[tuple[str, str, str], str]:
    """DHS flag ("", "caution" or "suppressed") of each (indicator, domain, level) of a round."""
    return {
        _key(r["indicator"], r["domain"], r["level"]): _flag(r["flag"])
        for r in indicators.to_dict("records")
    }


DID_DOMAIN = "difference-in-differences"
DID_LEVEL = re.compile(r"^(?P<column>.+?): (?P<treated>.+) vs (?P<comparison>.+)$")


def row_flags(
    flags: Mapping[str, Mapping[tuple[str, str, str], str]], iid: str, domain: str, level: str
) -> tuple[str, str]:
    """Baseline and endline flags of a change row. A difference-in-differences row (level
    ``"<column>: <treated> vs <comparison>"``) rests on the treated and the comparison estimate
    of each round: it takes the stricter flag of the two."""
    m = DID_LEVEL.match(level) if domain == DID_DOMAIN else None
    out = []
    for role in ROLES:
        if m is None:
            out.append(flags[role].get((iid, domain, level), ""))
        else:
            pair = [
                flags[role].get((iid, m["column"], m[g]), "") for g in ("treated", "comparison")
            ]
            out.append(_change_flag(*pair))
    return out[0], out[1]


def row_label(domain: str, level: str) -> str:
    """Label of a sub-row: the group (e.g. "Rural"), or the difference-in-differences."""
    if domain == DID_DOMAIN:
        return f"Difference-in-differences ({level})"
    return level_text(domain, level)


def _change_flag(fb: str, fe: str) -> str:
    for f in (*HIDDEN, "caution"):
        if f in (fb, fe):
            return f
    return ""


def fmt_mdc(x: Any, unit: str) -> str:
    """The minimum detectable change in words: "6.6 percentage points", "120,000 LAK"."""
    if not _finite(x):
        return ""
    return f"{fmt_number(x, unit)} {CHANGE_UNIT_TEXT.get(unit, unit)}"


def change_cells(
    r: Mapping[str, Any], unit: str, fb: str, fe: str, suppress_below: int
) -> dict[str, Any]:
    """Display strings of one row of the change table: each round under its own DHS flag, the
    change under the stricter of the two."""
    flag = _change_flag(fb, fe)
    hidden = [role for role, f in zip(ROLES, (fb, fe), strict=True) if f == flag]
    cells = {
        "baseline": fmt_estimate(r["baseline"], unit, fb),
        "baseline_ci": fmt_ci(r["baseline_ci_low"], r["baseline_ci_high"], unit, fb),
        "baseline_flag": fb,
        "endline": fmt_estimate(r["endline"], unit, fe),
        "endline_ci": fmt_ci(r["endline_ci_low"], r["endline_ci_high"], unit, fe),
        "endline_flag": fe,
        "flag": flag,
        "mdc": "",
    }
    if flag in HIDDEN:
        note = SUPPRESSED_NOTE if flag == "suppressed" else NOT_APPLICABLE_NOTE
        return cells | {
            "change": "*" if flag == "suppressed" else NOT_APPLICABLE,
            "change_ci": "",
            "p": "",
            "significant": "",
            "sig": False,
            "why": note.format(n=suppress_below, rounds=" and ".join(hidden)),
        }
    change, ci = fmt_change(r["change"], unit), fmt_change_ci(r["ci_low"], r["ci_high"], unit)
    estimable = _text(r.get("precision")) != NOT_ESTIMABLE
    tested = _finite(r["p_value"]) and estimable
    sig = tested and truthy(r["significant"])
    if not estimable:
        ci = NOT_ESTIMABLE
    if flag == "caution":
        change, ci = (f"({t})" if t else "" for t in (change, ci))
    return cells | {
        "change": change,
        "change_ci": ci,
        "p": fmt_p(r["p_value"]) if tested else "",
        "significant": ("yes" if sig else "no") if tested else "",
        "sig": sig,
        "why": "",
        "mdc": fmt_mdc(r.get("mdc"), unit) if _finite(r.get("mdc")) and tested else "",
        # significant on its own but not after the headline family's adjustment
        "unadjusted_only": sig
        and _finite(r.get("p_adjusted"))
        and not truthy(r.get("significant_adjusted", sig)),
    }


# --------------------------------------------------------------------------- national figures


def national_context(
    comparisons: Mapping[str, pd.DataFrame],
    rounds: Mapping[str, Mapping[str, Any]],
    catalogue: Catalogue,
) -> tuple[dict[tuple[str, str], list[dict[str, Any]]], list[dict[str, Any]]]:
    """National figures of each round: the cells of the change tables, keyed by (role,
    indicator), and the rows of the sources table. Tags N1, N2, ... run baseline first."""
    cells: dict[tuple[str, str], list[dict[str, Any]]] = {}
    table = []
    for role in ROLES:
        comp = comparisons[role]
        # the one verdict rule of the report and the brief (hhsurvey.catalogue.national)
        comp = comp.assign(_comparable=comparable(comp))
        for c in comp.loc[comp["status"].map(_text) != NO_FIGURE].to_dict("records"):
            ref = f"N{len(table) + 1}"
            cid = _text(c["comparator_id"])
            item = {
                "ref": ref,
                "anchor": f"nat-{role}-{cid}",
                "value": _national_value(c["national_value"], c["national_unit"]),
                "year": _text(c["national_year"]),
                "context": not c["_comparable"],
            }
            cells.setdefault((role, _text(c["indicator"])), []).append(item)
            table.append(
                item
                | {
                    "role": role,
                    "round": _text(rounds[role]["name"]),
                    "indicator": _text(c["indicator"]),
                    "label": catalogue.label(_text(c["indicator"])),
                    "national_label": _text(c.get("national_label")),
                    "source": _text(c["source"]),
                    "table_page": _text(c["table_page"]),
                    "comparability": _text(c["comparability"]).replace("_", " "),
                    "verdict": _text(c.get("verdict")) if c["_comparable"] else "for context only",
                    "caveat": _text(c.get("caveat")),
                }
            )
    return cells, table


# --------------------------------------------------------------------------- tables


def _ordered_ids(catalogue: Catalogue, change: pd.DataFrame) -> list[str]:
    ids = [e.id for e in catalogue.entries]
    return ids + [i for i in change["indicator"].drop_duplicates() if i not in catalogue.by_id]


def _why_not_compared(iid: str, indicators: Mapping[str, pd.DataFrame]) -> str:
    missing = [r for r in ROLES if iid not in set(indicators[r]["indicator"])]
    if missing:
        return f"not estimated in the {' and '.join(missing)} round"
    return "estimated by threshold only, no overall estimate to compare"


def change_sections(
    catalogue: Catalogue,
    change: pd.DataFrame,
    flags: Mapping[str, Mapping[tuple[str, str, str], str]],
    indicators: Mapping[str, pd.DataFrame],
    national: Mapping[tuple[str, str], list[dict[str, Any]]],
    suppress_below: int,
    spec: ReportSpec,
    alpha: float = 0.05,
) -> list[dict[str, Any]]:
    """One table per indicators section of the report spec: per indicator, its overall change
    then its change by each disaggregation (sub-rows), in catalogue order. Catalogue
    indicators without a change are listed under the table with the reason."""
    sections = [s for s in spec.sections if s.kind == "indicators"]
    out = {s.key: {"rows": [], "not_compared": []} for s in sections}
    by_ind = {i: g for i, g in change.groupby("indicator", sort=False)}
    for iid in _ordered_ids(catalogue, change):
        unit = catalogue.unit(iid)
        key = catalogue.section_of(iid, spec)
        label = catalogue.label(iid)
        if iid not in by_ind:
            out[key]["not_compared"].append(
                {"id": iid, "label": label, "why": _why_not_compared(iid, indicators)}
            )
            continue
        g = by_ind[iid]
        g = pd.concat([g.loc[g["domain"] == "total"], g.loc[g["domain"] != "total"]])
        for r in g.to_dict("records"):
            k = _key(iid, r["domain"], r["level"])
            total = k[1] == "total"
            if _finite(r.get("p_adjusted")):
                r = r | {"significant_adjusted": float(r["p_adjusted"]) < alpha}
            row = change_cells(r, unit, *row_flags(flags, *k), suppress_below)
            row |= {
                "id": iid,
                "domain": k[1],
                "level": k[2],
                "total": total,
                "label": label if total else row_label(k[1], k[2]),
                "unit": UNIT_TEXT.get(unit, unit),
                "method": _text(r["method"]),
                "national": {
                    role: national.get((role, iid), []) if total else None for role in ROLES
                },
            }
            out[key]["rows"].append(row)
    return [
        {"key": s.key, "title": s.title} | out[s.key]
        for s in sections
        if out[s.key]["rows"] or out[s.key]["not_compared"]
    ]


# --------------------------------------------------------------------------- headline


def headline_ids(catalogue: Catalogue, change: pd.DataFrame) -> list[str]:
    """Key indicators (catalogue ``key_rank``) with an overall change, in the order of the
    round report's key findings."""
    with_total = set(change.loc[change["domain"] == "total", "indicator"])
    return [i for i in catalogue.key_findings() if i in with_total]


def headline_rows(
    catalogue: Catalogue,
    change: pd.DataFrame,
    flags: Mapping[str, Mapping[tuple[str, str, str], str]],
    suppress_below: int,
    alpha: float = 0.05,
) -> list[tuple[str, str, dict[str, Any], dict[str, Any]]]:
    """(id, unit, change row, display cells) of each headline indicator's overall change.

    The headline changes are one family of tests: a change is significant when its p-value
    adjusted over the family (``p_adjusted`` of the change table) is below *alpha*."""
    overall = change.loc[change["domain"] == "total"].drop_duplicates("indicator")
    overall = overall.set_index("indicator")
    out = []
    for iid in headline_ids(catalogue, change):
        r = overall.loc[iid].to_dict()
        if _finite(r.get("p_adjusted")):
            r = r | {"significant": float(r["p_adjusted"]) < alpha, "adjusted": True}
            r["significant_adjusted"] = r["significant"]
        unit = catalogue.unit(iid)
        cells = change_cells(r, unit, *row_flags(flags, iid, "total", "total"), suppress_below)
        out.append((iid, unit, r, cells))
    return out


def headline_frame(
    catalogue: Catalogue,
    change: pd.DataFrame,
    flags: Mapping[str, Mapping[tuple[str, str, str], str]],
    suppress_below: int = 25,
    assumptions: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """The overall change of each headline indicator, with both rounds' flags and a one-line
    summary of the change (``note``): the data of the dumbbell chart. An indicator resting on
    an assumption (*assumptions*, e.g. an assumed poverty line) carries the mark in its note."""
    rows = []
    for iid, unit, r, cells in headline_rows(catalogue, change, flags, suppress_below):
        if cells["flag"] in HIDDEN:
            note = f"change {cells['why']}"
        else:
            short = CHANGE_UNIT_SHORT.get(unit, "")
            sig = {"yes": "significant", "no": "not significant"}.get(cells["significant"], "")
            note = ", ".join(t for t in (f"change {cells['change']} {short}".strip(), sig) if t)
        if iid in (assumptions or {}):
            note += "; \u2021 assumed poverty line"
        rows.append(
            {"indicator": iid, "label": catalogue.label(iid), "unit": unit, "note": note}
            | {c: r[c] for c in CHANGE_COLUMNS[3:9]}
            | {"baseline_flag": cells["baseline_flag"], "endline_flag": cells["endline_flag"]}
        )
    columns = ["indicator", "label", "unit", "note", *CHANGE_COLUMNS[3:9]]
    return pd.DataFrame(rows, columns=[*columns, "baseline_flag", "endline_flag"])


def headline_findings(
    catalogue: Catalogue,
    change: pd.DataFrame,
    flags: Mapping[str, Mapping[tuple[str, str, str], str]],
    suppress_below: int,
    alpha: float = 0.05,
    assumptions: Mapping[str, str] | None = None,
) -> list[dict[str, Any]]:
    """Plain-language lines of the headline changes (the template writes the sentence). A
    change that is not significant carries its minimum detectable change (``mdc``); one that
    rests on an assumption (*assumptions*, e.g. an assumed poverty line) carries the mark."""
    out = []
    for iid, unit, r, cells in headline_rows(catalogue, change, flags, suppress_below, alpha):
        suffix = "\u00a0%" if unit == "percent" else f"\u00a0{UNIT_TEXT.get(unit, unit)}"
        adjusted = bool(r.get("adjusted"))
        if adjusted and cells["p"]:
            cells = cells | {"p": fmt_p(r["p_adjusted"])}
        p_name = "adjusted p" if adjusted else "p"
        p_text = f"{p_name} < 0.001" if cells["p"] == "<0.001" else f"{p_name} = {cells['p']}"
        out.append(
            cells
            | {
                "id": iid,
                "label": catalogue.label(iid),
                "baseline_text": _with_unit(cells["baseline"], suffix),
                "endline_text": _with_unit(cells["endline"], suffix),
                "change_unit": CHANGE_UNIT_TEXT.get(unit, unit),
                # In the sentence the CI is not parenthesised again for a caution change.
                "change_ci": cells["change_ci"].removeprefix("(").removesuffix(")"),
                "p_text": p_text if cells["p"] else "",
                "assumption": f"this figure {assumptions[iid]}"
                if iid in (assumptions or {})
                else "",
            }
        )
    return out


def change_summary(findings: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """The change in words: how many key indicators were compared, which rose and which fell
    significantly (labels), which did not change significantly, each with the change this
    survey could have detected (never read as "no change"), and how many were not tested."""
    shown = [f for f in findings if f.get("flag") not in HIDDEN and f.get("change")]
    rose = [
        f["label"] for f in shown if f.get("sig") and not f["change"].strip("(").startswith("-")
    ]
    fell = [f["label"] for f in shown if f.get("sig") and f["change"].strip("(").startswith("-")]
    return {
        "compared": len(shown),
        "rose": rose,
        "fell": fell,
        "not_significant": [
            {"label": f["label"], "mdc": f.get("mdc", "")}
            for f in shown
            if f.get("significant") == "no"
        ],
        "untested": sum(1 for f in shown if not f.get("significant")),
        "not_compared": len(findings) - len(shown),
    }


def national_trends(
    national: Mapping[tuple[str, str], list[dict[str, Any]]],
    catalogue: Catalogue,
    ids: Sequence[str],
) -> list[dict[str, Any]]:
    """Key indicators with a national figure in both rounds' comparison tables: the national
    values and years of each round (the trend in Lao PDR beside the change in Vang Vieng)."""
    out = []
    for iid in ids:
        before, after = national.get(("baseline", iid), []), national.get(("endline", iid), [])
        if before and after:
            out.append(
                {
                    "id": iid,
                    "label": catalogue.label(iid),
                    "baseline": [
                        {"value": n["value"], "year": n["year"], "ref": n["ref"]} for n in before
                    ],
                    "endline": [
                        {"value": n["value"], "year": n["year"], "ref": n["ref"]} for n in after
                    ],
                    "context": any(n["context"] for n in before + after),
                }
            )
    return out


def _with_unit(value: str, suffix: str) -> str:
    """ "24.4 %", or "(24.4 %)" for a caution estimate."""
    if value.startswith("("):
        return f"({value[1:-1]}{suffix})"
    return f"{value}{suffix}"


def dumbbell_alt(frame: pd.DataFrame) -> str:
    """Data summary of the dumbbell chart for its alt text."""
    parts = []
    for r in frame.to_dict("records"):
        unit = r["unit"]
        sides = []
        for role in ROLES:
            f = r[f"{role}_flag"]
            if f == "suppressed":
                sides.append(f"{role} suppressed")
                continue
            ci = fmt_ci(r[f"{role}_ci_low"], r[f"{role}_ci_high"], unit, f)
            sides.append(f"{role} {fmt_estimate(r[role], unit, f)} (95 % CI {ci})")
        parts.append(f"{r['label']}: {', '.join(sides)}; {r['note']}.")
    return " ".join(parts) or "No headline indicator was estimated in both rounds."


# --------------------------------------------------------------------------- rounds, methods


def _cpi(prices: Mapping[str, Any], year: Any) -> str:
    cpi = {str(k): v for k, v in (prices.get("cpi") or {}).items()}
    v = cpi.get(_text(year))
    return f"{float(v):g}" if _finite(v) else ""


def rounds_context(
    rounds: Mapping[str, Mapping[str, Any]], config: Mapping[str, Any]
) -> list[dict[str, Any]]:
    """Name, title, fieldwork, prices and deflator of each round."""
    prices = config.get("prices") or {}
    out = []
    for role in ROLES:
        rc = rounds[role]
        fw = rc.get("fieldwork") or {}
        factor = rc.get("price_factor")
        out.append(
            {
                "role": role,
                "name": _text(rc.get("name")),
                "title": _text(rc.get("title")),
                "fieldwork_start": _text(fw.get("start")),
                "fieldwork_end": _text(fw.get("end")),
                "price_year": _text(rc.get("price_year")),
                "cpi": _cpi(prices, rc.get("price_year")),
                "factor": f"{float(factor):.4f}" if _finite(factor) else "",
                "national_round": _text(rc.get("national_round")),
                "synthetic": bool(rc.get("synthetic", False)),
            }
        )
    return out


def village_overlap(revisits: pd.DataFrame | None, endline: str) -> dict[str, str] | None:
    """The villages the two rounds share and whether their frames agree (revisits.csv of rule
    summarise_revisits), as Methods prints them; None when the table is absent."""
    if revisits is None or revisits.empty:
        return None
    rows = revisits.loc[revisits["round"].map(_text) == endline]
    if rows.empty:
        return None
    r = rows.iloc[0]
    agree = _text(r["frames_agree"]).lower() in ("true", "1", "yes")
    return {
        "shared": _text(r["shared_villages"]),
        "baseline": _text(r["baseline_villages"]),
        "endline": _text(r["endline_villages"]),
        "share": fmt_pct(float(r["shared_share"]), 0),
        "frames_agree": agree,
        "differences": "" if agree else _text(r["frame_differences"]),
    }


def methods_note(
    change: pd.DataFrame,
    rounds: Mapping[str, Mapping[str, Any]],
    catalogue: Catalogue,
    revisits: pd.DataFrame | None = None,
) -> dict[str, Any]:
    """How the SE of each change was obtained: the sample relation between rounds (with the
    villages they share) and which indicators were combined as independent samples."""
    revisited = _text(rounds["endline"].get("revisits"))
    shared = revisited and revisited == _text(rounds["baseline"].get("name"))
    methods = change["method"].map(_text)
    independent = change.loc[methods.str.startswith("independent"), "indicator"]
    return {
        "shared_psus": bool(shared),
        "overlap": village_overlap(revisits, _text(rounds["endline"].get("name"))),
        "independent": [
            {"id": i, "label": catalogue.label(i)} for i in independent.drop_duplicates()
        ],
        "methods": sorted(set(methods) - {""}),
        "by": ", ".join(
            sorted(
                {
                    level_text("", d).lower()
                    for d in change["domain"].map(_text)
                    if d not in ("total", DID_DOMAIN)
                }
            )
        ),
        "did": bool((change["domain"].map(_text) == DID_DOMAIN).any()),
    }


# --------------------------------------------------------------------------- context


def build_change_context(
    *,
    change: pd.DataFrame,
    indicators: Mapping[str, pd.DataFrame],
    comparisons: Mapping[str, pd.DataFrame],
    manifests: Mapping[str, pd.DataFrame],
    catalogue: Catalogue,
    figures: Mapping[str, Mapping[str, str]],
    rounds: Mapping[str, Mapping[str, Any]],
    config: Mapping[str, Any],
    input_files: Mapping[str, str],
    repo: str | os.PathLike[str] | None = None,
    environ: Mapping[str, str] | None = None,
    spec: ReportSpec | None = None,
    revisits: pd.DataFrame | None = None,
    files: Sequence[Mapping[str, str]] = (),
    files_folder: str = "",
) -> dict[str, Any]:
    """Everything the change template shows, as plain values (no Markup). *files*: the files
    written beside the report (:func:`hhsurvey.outputs.report.files.write_report_files`)."""
    spec = spec or load_report_spec(DEFAULT_SPEC)
    ind_cfg = config.get("indicators") or {}
    level = float((config.get("design") or {}).get("level", 0.95))
    suppress_below = int(ind_cfg.get("suppress_below", 25))
    flags = {role: round_flags(indicators[role]) for role in ROLES}
    national, national_rows = national_context(comparisons, rounds, catalogue)
    manifest = pd.concat(
        [manifests[role].assign(_round=_text(rounds[role]["name"])) for role in ROLES],
        ignore_index=True,
    )
    prov = provenance(manifest, input_files, config, repo)
    for row, rnd in zip(prov["raw"], manifest["_round"], strict=True):
        row["round"] = rnd
    prices = config.get("prices") or {}
    round_ctx = rounds_context(rounds, config)
    names = {r["role"]: r["name"] for r in round_ctx}
    assumptions = (
        assumption_marks(catalogue.entries, config["poverty_lines"], prices)
        if config.get("poverty_lines") and prices
        else {}
    )
    findings = headline_findings(catalogue, change, flags, suppress_below, 1 - level, assumptions)
    figures = {name: dict(f) for name, f in figures.items()}
    if "change_dumbbell" in figures:  # the alt text carries the data of the chart
        frame = headline_frame(catalogue, change, flags, suppress_below, assumptions)
        figures["change_dumbbell"]["alt"] += " " + dumbbell_alt(frame)
    title = f"Change since baseline: {names['baseline']} to {names['endline']}"
    return {
        "lang": _text((config.get("report") or {}).get("lang", "en")) or "en",
        "title": title,
        "running_foot": f"{title} \u00b7 Vang Vieng district household health survey",
        "files": [dict(f) for f in files],
        "files_folder": files_folder,
        "config_file": next((dict(f) for f in files if f["file"] == "configuration.csv"), None),
        "rounds": round_ctx,
        "names": names,
        "synthetic": any(r["synthetic"] for r in round_ctx),
        "synthetic_rounds": [r["name"] for r in round_ctx if r["synthetic"]],
        "date": report_date(config, environ),
        "base_year": _text(prices.get("base_year")),
        "base_cpi": _cpi(prices, prices.get("base_year")),
        "price_source": _text(prices.get("source")).strip().rstrip("."),
        "level": fmt_pct(level, 0),
        "alpha": f"{1 - level:.2g}",
        "power": fmt_pct(float((config.get("planning") or {}).get("power", 0.8)), 0),
        "multiplicity": ""
        if (m := _text((config.get("change") or {}).get("multiplicity", "benjamini_hochberg")))
        == "none"
        else MULTIPLICITY_TEXT.get(m, ""),
        "t_quantile": f"{0.5 + level / 2:.3g}",
        "suppress_below": suppress_below,
        "caution_below": int(ind_cfg.get("caution_below", 50)),
        "headline": findings,
        "summary": change_summary(findings),
        "trends": national_trends(national, catalogue, headline_ids(catalogue, change)),
        "sections": change_sections(
            catalogue, change, flags, indicators, national, suppress_below, spec, 1 - level
        ),
        "national": national_rows,
        "methods": methods_note(change, rounds, catalogue, revisits),
        "figures": figures,
        "provenance": prov,
        "no_figure": NO_FIGURE,
    }


# --------------------------------------------------------------------------- entry point


def read_round_tables(paths: Mapping[str, str]) -> dict[str, pd.DataFrame]:
    """indicators.csv, national_comparison.csv and the ingest manifest of one round."""
    tables = {
        "indicators": read_csv(paths["indicators"]),
        "comparison": read_csv(paths["comparison"]),
        "manifest": read_csv(paths["manifest"]),
    }
    _require(tables["indicators"], INDICATOR_COLUMNS, paths["indicators"])
    _require(tables["comparison"], COMPARISON_COLUMNS, paths["comparison"])
    _require(tables["manifest"], ["table", "file", "sha256", "rows"], paths["manifest"])
    return tables


def read_change(path: str) -> pd.DataFrame:
    change = read_csv(path)
    _require(change, CHANGE_COLUMNS, path)
    return change.assign(
        domain=change["domain"].map(_text),
        level=change["level"].map(_text),
        method=change["method"].map(_text),
    )


def render_change_report(
    *,
    paths: Mapping[str, Any],
    rounds: Mapping[str, Mapping[str, Any]],
    figure_names: Sequence[str],
    figure_paths: Sequence[str],
    config: Mapping[str, Any],
    template: str,
    css: str,
    out: str,
    repo: str | os.PathLike[str] | None = None,
    environ: Mapping[str, str] | None = None,
) -> str:
    """Read the inputs, render ``change.html.j2``, write *out*; return the HTML.

    *paths*: ``change``, ``catalogue``, ``national``, ``config_files`` (a list) and, per role
    (``baseline``, ``endline``), a mapping with ``indicators``, ``comparison`` and ``manifest``.
    *rounds*: per role the round's config entry with ``name`` and ``price_factor``.
    """
    change = read_change(str(paths["change"]))
    tables = {role: read_round_tables(paths[role]) for role in ROLES}
    catalogue = load_catalogue(paths["catalogue"])
    spec = load_report_spec(paths.get("report_spec") or DEFAULT_SPEC)
    input_files = {"change": str(paths["change"])}
    for role in ROLES:
        input_files |= {f"{role} {k}": str(v) for k, v in paths[role].items()}
    input_files |= {"catalogue": str(paths["catalogue"]), "national": str(paths["national"])}
    for p in paths.get("config_files") or []:
        input_files[f"config {Path(p).name}"] = str(p)
    files = write_report_files(
        files_folder(out),
        tables={
            "changes": change,
            "configuration": configuration_table(config),
            "inputs": inputs_table(input_files),
        },
        copies={},
        labels={
            "changes.csv": "Every change since baseline, with its test (CSV)",
            "changes.xlsx": "Every change since baseline (Excel workbook)",
            "configuration.csv": "Configuration of the run, one row per setting (CSV)",
            "configuration.xlsx": "Configuration of the run (Excel workbook)",
            "inputs.csv": "Files this report was rendered from, with their SHA-256 (CSV)",
            "inputs.xlsx": "Files this report was rendered from (Excel workbook)",
        },
    )
    context = build_change_context(
        files=files,
        files_folder=files_link(out),
        change=change,
        indicators={role: tables[role]["indicators"] for role in ROLES},
        comparisons={role: tables[role]["comparison"] for role in ROLES},
        manifests={role: tables[role]["manifest"] for role in ROLES},
        catalogue=catalogue,
        figures=figure_context(figure_names, figure_paths, None, spec),
        rounds=rounds,
        config=config,
        input_files=input_files,
        repo=repo,
        environ=environ,
        spec=spec,
        revisits=read_csv(str(paths["revisits"])) if paths.get("revisits") else None,
    )
    return write_html(context, template, css, out)
