"""The context of the round report: every value the templates show, as plain values.

:func:`build_context` turns the result tables of a round into strings, numbers and lists of
dicts; the sections, their order and their figures come from ``config/report.yaml`` and the
catalogue (:mod:`hhsurvey.outputs.report.spec`).
"""

from __future__ import annotations

import base64
import math
import os
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from hhsurvey.errors import InputError
from hhsurvey.outputs.i18n import LocaleFormat
from hhsurvey.outputs.money import Money
from hhsurvey.outputs.report.format import (
    DESIGN_TEXT,
    MULTIPLICITY_TEXT,
    NO_FIGURE,
    NOT_ESTIMATED,
    NOT_IN_INSTRUMENT,
    finite,
    flag_of,
    fmt_ci,
    fmt_count,
    fmt_estimate,
    fmt_number,
    fmt_pct,
    level_text,
    text_of,
    unit_text,
)
from hhsurvey.outputs.report.provenance import provenance, report_date
from hhsurvey.outputs.report.spec import Catalogue, ReportSpec
from hhsurvey.outputs.report.tables import (
    comparison_rows,
    determinants,
    national_refs,
    other_answers,
    quintile_table,
    section_tables,
)
from hhsurvey.prepare.poverty import line_table

__all__ = [
    "build_context",
    "data_quality",
    "figure_context",
    "frame_tolerance",
    "money_context",
    "methods_context",
    "survey_context",
]


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


def frame_gap(weighted: float, census: float, tolerance: float = 0.05) -> str:
    """The note when the weighted household total is more than *tolerance* away from the
    frame's census count (the validation warning ``weighted_total_vs_frame``), else ""."""
    if not (finite(weighted) and finite(census)) or census <= 0:
        return ""
    gap = weighted / census - 1
    if abs(gap) <= tolerance:
        return ""
    side = "above" if gap > 0 else "below"
    return (
        f"The weights add up to {fmt_count(weighted)} households, {abs(gap) * 100:.1f} % {side} "
        f"the {fmt_count(census)} households of the frame's census counts (more than the "
        f"{tolerance * 100:g} % the validation accepts). The weights follow the fresh listing of "
        "each selected village, so the gap reflects listing counts that differ from the census "
        "(growth since the census, or listing errors) and sampling variation in which villages "
        "were drawn; totals (not shares or means) inherit it. The validation findings list it "
        "as the warning weighted_total_vs_frame."
    )


def survey_context(
    diag: pd.DataFrame,
    frame: pd.DataFrame | None,
    row_counts: pd.DataFrame,
    round_meta: Mapping[str, Any],
    design: Mapping[str, Any],
    frame_tolerance: float = 0.05,
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
            names[text_of(r["village"])] = {
                "en": text_of(r.get("village_en")),
                "lo": text_of(r.get("village_lo")),
                "area": level_text("", text_of(r.get("area"))),
            }
    villages = []
    vdiag = diag.loc[diag["scope"] == "village"]
    village_notes: dict[str, list[str]] = {}
    for code, note in zip(vdiag["level"].astype(str), vdiag["note"].map(text_of), strict=True):
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
        "frame_gap": frame_gap(
            d("weighted_households"), d("frame_households_census"), frame_tolerance
        ),
        "certainty_own_stratum": bool(design.get("certainty_own_stratum", True)),
        "n_psu": int(n_psu) if finite(n_psu) else 0,
        "sample": sample,
        "weights": weights,
        "strata": strata,
        "villages": villages,
        "villages_flagged": notes_flagged,
        "fieldwork_start": text_of(fw.get("start")),
        "fieldwork_end": text_of(fw.get("end")),
        "strata_var": text_of(design.get("strata", "")),
        "psu_var": text_of(design.get("psu", "")),
        "lonely_psu": text_of(design.get("lonely_psu", "")),
        "level": fmt_pct(design.get("level", 0.95), 0),
    }


#: Cleaning rules (cleaning_log.csv, column ``rule``) in words; others: underscores to spaces.
RULE_TEXT = {
    "no_care_zero_spending": "blank spending of an episode without care set to 0",
    "dk_refused_to_missing": "\u201cdon\u2019t know\u201d or refused set to missing",
    "impute_median": "imputed by the median of the item in the stratum",
    "post_code": "\u201cother, specify\u201d answer coded to its category",
    "out_of_range_to_missing": "out-of-range value set to missing",
    "extreme_capped": "extreme amount capped",
    "free_text_redacted": "free text redacted",
    "verbatim_withheld": "verbatim answer withheld",
}


def in_words(text: str) -> str:
    """A check description or code as a reader reads it: ``{episode.sought}`` placeholders
    become the item's name, configuration keys (``validation.max_age``) "the configured
    limit", identifiers lose their underscores."""
    text = re.sub(r"\{\w+\.(\w+)\}", lambda m: m.group(1).replace("_", " "), text_of(text))
    text = re.sub(r"\b[a-z]+(?:_[a-z]+)*\.[a-z]+(?:_[a-z]+)+\b", "the configured limit", text)
    text = re.sub(r"\b[a-z]+\.[a-z]+_[a-z_]+\b", "the configured limit", text)
    return text.replace("{", "(").replace("}", ")")


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
            "check": text_of(r["check"]),
            "severity": text_of(r["severity"]),
            "table": text_of(r["table"]),
            "records": fmt_count(r["records"]),
            "description": in_words(r["description"]),
        }
        for r in summary.to_dict("records")
    ]
    sample = []
    if findings is not None and not findings.empty:
        f = findings.sort_values(["severity", "check", "table", "keys"], kind="stable")
        for r in f.head(limit).to_dict("records"):
            row = {
                k: text_of(r.get(k)) for k in ("check", "severity", "table", "variable", "value")
            }
            # "record", not "keys": jinja2 would resolve f.keys to the dict method.
            sample.append(
                row | {"record": text_of(r.get("keys")), "message": text_of(r.get("message"))}
            )
    log = cleaning_log.assign(
        **{c: cleaning_log[c].map(text_of) for c in ("table", "variable", "rule", "reason")}
    )
    groups = (
        log.groupby(["table", "rule"], sort=True)
        .agg(
            changes=("rule", "size"),
            items=("variable", lambda v: ", ".join(sorted(set(v)))),
        )
        .reset_index()
    )
    cleaning = [
        {
            "table": r["table"],
            "rule": RULE_TEXT.get(r["rule"], r["rule"].replace("_", " ")),
            "variable": r["items"].replace("_", " "),
            "changes": fmt_count(r["changes"]),
        }
        for r in groups.to_dict("records")
    ]
    post_coded = log.loc[log["rule"] == "post_code"].assign(
        new_value=lambda d: d["new_value"].map(text_of)
    )
    counts = [
        {
            "table": text_of(r["table"]),
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
        # "other, specify" answers coded back into a category (hhsurvey.prepare.postcode)
        "post_coded": len(post_coded),
        "post_coded_by": [
            {"variable": v, "category": c, "n": int(n)}
            for (v, c), n in post_coded.groupby(["variable", "new_value"]).size().items()
        ],
        "row_counts": counts,
        "all_reconcile": all(c["reconciles"] == "yes" for c in counts),
    }


def methods_context(catalogue: Catalogue, config: Mapping[str, Any]) -> dict[str, Any]:
    ind = config.get("indicators", {})
    pl = config.get("poverty_lines", {})
    definitions = [
        {
            "id": e.id,
            "label": e.label,
            "unit": unit_text(e.unit),
            "design": DESIGN_TEXT.get(e.unit_of_analysis, e.unit_of_analysis),
            "universe": text_of(e.universe) or "all",
            "definition": e.definition,
            "description": e.description,
            "denominator": text_of(e.denominator),
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
        "ctp_beta": text_of(ctp.get("beta", 0.56)),
        "ctp_band": f"{float(band[0]) * 100:g}th\u2013{float(band[1]) * 100:g}th",
        "ctp_threshold": fmt_pct(ctp.get("threshold", 0.4), 0),
        "ctp_excluded": ", ".join(map(text_of, ctp.get("exclude_food_items", []))),
        "revised_threshold": fmt_pct((ind.get("revised_sdg") or {}).get("threshold", 0.4), 0),
        "u5_excluded": ", ".join(map(text_of, ind.get("u5_excluded_sources", []))),
        "replicates": {"jkn": "JKn jackknife"}.get(
            text_of(ind.get("replicate_method", "jkn")), text_of(ind.get("replicate_method"))
        ),
        # above this many PSUs the jackknife deletes groups of PSUs (hhsurvey.analysis.indicators.composites)
        "jkn_max_psus": int(ind.get("jkn_max_psus", 200)),
        "national_line": text_of((pl.get("national") or {}).get("source", "")),
        "international_line": text_of((pl.get("international") or {}).get("source", "")),
        "lak_per_usd_ppp": fmt_number((pl.get("ppp") or {}).get("lak_per_usd_ppp"), "lak"),
        "ppp_year": text_of((pl.get("ppp") or {}).get("year", "")),
        "ppp_source": text_of((pl.get("ppp") or {}).get("source", "")),
        "lines": poverty_line_rows(pl, config.get("prices") or {}),
        "che_curve_max": fmt_pct(ind.get("che_curve_max", 0.4), 0),
        "price_source": text_of((config.get("prices") or {}).get("source", "")),
        "rse_for_proportions": bool(
            (ind.get("precision") or {}).get("relative_se_for_proportions", False)
        ),
    }


def poverty_line_rows(
    poverty_lines: Mapping[str, Any], prices: Mapping[str, Any]
) -> list[dict[str, str]]:
    """Each poverty line as Methods prints it: value, price year, conversion to base-year LAK and
    the ASSUMPTION mark (hhsurvey.prepare.poverty.line_table, the conversion the indicators use)."""
    if not poverty_lines or not prices:
        return []
    return [
        {
            "line": text_of(r["line"]),
            "value": fmt_number(r["value"], "lak"),
            "value_unit": text_of(r["value_unit"]),
            "price_year": text_of(r["price_year"]),
            "conversion": text_of(r["conversion"]),
            "annual": fmt_number(r["annual_lak_base_year"], "lak"),
            "base_year": text_of(r["base_year"]),
            "assumption": bool(r["assumption"]),
            "source": text_of(r["source"]),
        }
        for r in line_table(poverty_lines, prices).to_dict("records")
    ]


def figure_context(
    names: Sequence[str],
    paths: Sequence[str],
    comparison: pd.DataFrame | None,
    spec: ReportSpec,
) -> dict[str, dict[str, str]]:
    """Each figure as a base64 SVG data URI with its title and alt text from the registry."""
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
        f = spec.figures.get(name)
        title = f.title if f else name.replace("_", " ").capitalize()
        alt = f.alt if f else ""
        if name == "national_comparison" and comparison is not None:
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
        if c["national_unit"] != "fraction" or not finite(c["national_value"]):
            continue
        flag = flag_of(c["flag"])
        local = (
            "suppressed"
            if flag == "suppressed"
            else f"{fmt_estimate(c['estimate'], 'percent', flag)} % "
            f"(95 % CI {fmt_ci(c['ci_low'], c['ci_high'], 'percent', flag)})"
        )
        parts.append(
            f"{text_of(c['label']) or c['indicator']}: Vang Vieng {local}, Lao PDR "
            f"{fmt_number(c['national_value'], 'percent')} % ({text_of(c['national_year'])})."
        )
    return " ".join(parts) or "No national figure in percent for this round."


def _caption(text: str, level: str) -> str:
    return text.replace("{level}", level)


def sections_context(
    spec: ReportSpec,
    tables: Mapping[str, Mapping[str, Any]],
    figures: Mapping[str, Any],
    level: str,
) -> list[dict[str, Any]]:
    """The spec's sections with their tables, figures (those rendered) and blocks."""
    out = []
    for s in spec.sections:
        t = tables.get(s.key, {"rows": [], "by": []})
        if s.kind == "indicators" and not t["rows"]:
            continue  # an empty indicators section (e.g. "other") is left out
        out.append(
            {
                "key": s.key,
                "kind": s.kind,
                "title": s.title,
                "intro": s.intro,
                "annex": s.annex,
                "template": s.template,
                "figures": [
                    {"name": n, "caption": _caption(c, level)} for n, c in s.figures if n in figures
                ],
                "blocks": list(s.blocks),
                "notes": dict(s.notes),
            }
            | dict(t)
        )
    return out


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
    spec: ReportSpec,
    frame: pd.DataFrame | None,
    person: pd.DataFrame | None,
    episode: pd.DataFrame | None,
    determinants_path: str | None,
    figures: Mapping[str, Mapping[str, str]],
    round_meta: Mapping[str, Any],
    config: Mapping[str, Any],
    input_files: Mapping[str, str],
    not_in_instrument: set[str] = frozenset(),
    summary: Mapping[str, Any] | None = None,
    files: Sequence[Mapping[str, str]] = (),
    files_folder: str = "",
    money: Money | None = None,
    differences: pd.DataFrame | None = None,
    repo: str | os.PathLike[str] | None = None,
    environ: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """Everything the templates show, as plain values (no Markup).

    *summary* fills the executive summary (:func:`hhsurvey.outputs.summary.round_summary`):
    ``messages`` (a list of ``{"text": str, "indicators": [ids]}`` or plain strings),
    ``cascade_svg`` (SVG bytes or text), ``tiles``, ``scenario``, ``statements`` and
    ``findings``; each is optional and renders only when present. *files*: the files written
    beside the report (:func:`hhsurvey.outputs.report.files.write_report_files`)."""
    indicators = indicators.assign(flag=indicators["flag"].map(flag_of))
    comparison = comparison.assign(
        flag=comparison["flag"].map(flag_of), status=comparison["status"].map(text_of)
    )
    refs = national_refs(comparison)
    tables = section_tables(catalogue, spec, indicators, comparison, refs, not_in_instrument)
    design = config.get("design", {})
    ind_cfg = config.get("indicators", {})
    level = fmt_pct(design.get("level", 0.95), 0)
    title = text_of(round_meta.get("title", "")) or "Household health survey"
    name = text_of(round_meta.get("name", ""))
    return {
        "lang": text_of((config.get("report") or {}).get("lang", "en")) or "en",
        "title": title,
        "round": name,
        "running_foot": f"{title} \u00b7 round {name}" if name else title,
        "synthetic": bool(round_meta.get("synthetic", False)),
        "date": report_date(config, environ),
        "price_year": text_of(round_meta.get("price_year", "")),
        "national_round": text_of(round_meta.get("national_round", "")),
        "level": level,
        "suppress_below": ind_cfg.get("suppress_below", 25),
        "caution_below": ind_cfg.get("caution_below", 50),
        "summary": summary_context(summary),
        "survey": survey_context(
            weights_diagnostics,
            frame,
            row_counts,
            round_meta,
            design,
            frame_tolerance(config),
        ),
        "differences": differences_context(differences, config),
        "sections": sections_context(spec, tables, figures, level),
        "quintiles": quintile_table(catalogue, indicators, catalogue.plotted("quintile_gradient")),
        "comparison": comparison_rows(catalogue, comparison, refs),
        "scheme_other": other_answers(person, "scheme_other"),
        "reason_other": other_answers(episode, "reason_other"),
        "quality": data_quality(validation_summary, validation, cleaning_log, row_counts),
        "determinants": determinants(determinants_path),
        "methods": methods_context(catalogue, config),
        "money": money_context(money or Money(), text_of(round_meta.get("price_year", ""))),
        "figures": dict(figures),
        "provenance": provenance(manifest, input_files, config, repo),
        "files": [dict(f) for f in files],
        "files_folder": files_folder,
        "config_file": next((dict(f) for f in files if f["file"] == "configuration.csv"), None),
        "not_estimated": NOT_ESTIMATED,
        "not_in_instrument": NOT_IN_INSTRUMENT,
        "no_figure": NO_FIGURE,
    }


def differences_context(
    differences: pd.DataFrame | None, config: Mapping[str, Any]
) -> dict[str, Any]:
    """The families of tested differences (config ``differences``) with the number of tests
    of each in this round (differences.csv), and the multiplicity method in words."""
    fams = ((config.get("differences") or {}).get("families")) or []
    tests: dict[str, int] = {}
    if differences is not None and not differences.empty:
        tested = differences.loc[differences["p_value"].notna()]
        tests = tested.groupby("family").size().to_dict()
    methods = sorted({str(f.get("multiplicity", "benjamini_hochberg")) for f in fams})
    return {
        "families": [
            {"id": f["id"], "label": text_of(f.get("label")), "tests": int(tests.get(f["id"], 0))}
            for f in fams
        ],
        "method": " and ".join(MULTIPLICITY_TEXT.get(m, m) for m in methods) or "none",
    }


def frame_tolerance(config: Mapping[str, Any]) -> float:
    """The gap allowed between the weighted household total and the frame's census count
    (config ``validation.frame_total_tolerance``; 5 % when absent)."""
    return float((config.get("validation") or {}).get("frame_total_tolerance", 0.05))


def summary_context(summary: Mapping[str, Any] | None) -> dict[str, Any]:
    """The executive summary's slots (:func:`hhsurvey.outputs.summary.round_summary`): key
    messages (each with the indicator ids it rests on), the cascade chart as a data URI, the
    four tiles, the scenario line, the statements of "What this means" and the key findings;
    empty where the stage that fills them is absent."""
    summary = summary or {}
    messages = []
    for m in summary.get("messages") or []:
        if isinstance(m, Mapping):
            messages.append(
                {
                    "text": text_of(m.get("text")),
                    "indicators": [str(i) for i in m.get("indicators") or []],
                }
            )
        else:
            messages.append({"text": text_of(m), "indicators": []})
    svg = summary.get("cascade_svg")
    if isinstance(svg, str):
        svg = svg.encode("utf-8")
    return {
        "messages": [m for m in messages if m["text"]],
        "cascade_src": "data:image/svg+xml;base64," + base64.b64encode(svg).decode("ascii")
        if svg
        else "",
        "cascade_alt": text_of(summary.get("cascade_alt"))
        or "Care cascade by insurance status: population, ill, sought care, paid out of pocket, "
        "catastrophic spending and impoverished, each with its 95 % confidence interval.",
        "tiles": list(summary.get("tiles") or []),
        "scenario": summary.get("scenario"),
        "statements": list(summary.get("statements") or []),
        "findings": list(summary.get("findings") or []),
    }


def money_context(money: Money, price_year: str) -> dict[str, Any]:
    """The rate, its source and the yardsticks as Methods and the cover print them."""
    fmt = LocaleFormat("en")
    return {
        "usd": f"{fmt.number(money.lak_per_usd, 0)} LAK" if money.lak_per_usd else "",
        "usd_year": text_of(money.usd_year),
        "usd_source": money.usd_source.strip().rstrip("."),
        "usd_assumption": money.usd_assumption,
        "household_size": fmt.number(money.persons_per_household, 2)
        if money.persons_per_household
        else "not known",
        "consumption": money.lak_usd(money.consumption_per_household, fmt, str)
        if money.consumption_per_household
        else "not estimated in this run",
        "nhi": money.nhi_text(fmt, str),
        "nhi_source": money.nhi_source.strip().rstrip("."),
        "price_year": price_year,
    }
