"""The self-contained HTML report of a round (issue 6): reading the inputs and rendering.

The work is done by small public modules shared with the change report:

- :mod:`hhsurvey.outputs.report.spec` - the report as data (catalogue presentation fields,
  ``config/report.yaml``: sections, figure registry);
- :mod:`hhsurvey.outputs.report.format` - formatting of values (DHS conventions, units);
- :mod:`hhsurvey.outputs.report.tables` - tables as plain values (sections, breakdowns, comparison);
- :mod:`hhsurvey.outputs.report.context` - everything a template shows (:func:`build_context`);
- :mod:`hhsurvey.outputs.report.render` - autoescaped rendering, CSP, the one :func:`trusted` fragment;
- :mod:`hhsurvey.outputs.report.provenance` - date, versions, checksums.

Rules the report enforces (docs/definitions.md "Reporting", NATIONAL_FIGURES.md):

- an estimate flagged ``suppressed`` (unweighted denominator < 25) is never shown, only ``*``;
  a ``caution`` estimate (25-49) is shown in parentheses;
- percentages carry one decimal; unweighted and weighted N are shown beside each estimate;
- a national figure is always shown with its year, source, table/page and definition caveat,
  and "no national figure" where there is none (figures come only from the comparison table);
- an indicator whose questionnaire category the round's codebook lacks reads "not in this
  round's instrument", never 0.0;
- output is byte-reproducible: the date is ``SOURCE_DATE_EPOCH`` or ``config.report.date``,
  figures are deterministic SVG, and all mappings are emitted in a fixed order.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from hhsurvey.engine.columns import TABLE_COLUMNS
from hhsurvey.errors import InputError
from hhsurvey.outputs.brief.build import load_spec as load_brief_spec
from hhsurvey.outputs.brief.build import tiles as brief_tiles
from hhsurvey.outputs.brief.messages import assumption_marks_of
from hhsurvey.outputs.i18n import LocaleFormat
from hhsurvey.outputs.implications import read_differences
from hhsurvey.outputs.money import load_money
from hhsurvey.outputs.report.context import (
    build_context,
    figure_context,
    frame_tolerance,
    survey_context,
)
from hhsurvey.outputs.report.files import (
    configuration_table,
    definitions_table,
    estimates_table,
    files_folder,
    files_link,
    inputs_table,
    write_report_files,
)
from hhsurvey.outputs.report.format import fmt_ci, fmt_estimate, fmt_number, read_csv, require
from hhsurvey.outputs.report.planning import report_context as planning_context
from hhsurvey.outputs.report.provenance import report_date
from hhsurvey.outputs.report.render import render, trusted, write_html
from hhsurvey.outputs.report.scenarios import report_context as scenario_context
from hhsurvey.outputs.report.spec import (
    DEFAULT_SPEC,
    Catalogue,
    load_catalogue,
    load_report_spec,
    missing_in_instrument,
    round_categories,
)
from hhsurvey.outputs.report.tables import national_refs
from hhsurvey.outputs.summary import Words, findings, round_summary

__all__ = [
    "DEFAULT_SPEC",
    "build_context",
    "fmt_ci",
    "fmt_estimate",
    "fmt_number",
    "load_catalogue",
    "read_csv",
    "render",
    "render_report",
    "report_date",
    "rule_arguments",
    "trusted",
    "write_html",
]


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
    summary: Mapping[str, Any] | None = None,
) -> str:
    """Read the inputs named in *paths*, render, write *out* and the files beside it
    (``<out stem>_files/``); return the HTML.

    *summary* (optional) replaces parts of the executive summary the rules write:
    ``messages`` and ``cascade_svg``."""
    p = {k: (str(v) if v else "") for k, v in paths.items()}
    indicators = read_csv(p["indicators"])
    require(indicators, ["indicator", "domain", "level", *TABLE_COLUMNS, "flag"], p["indicators"])
    comparison = read_csv(p["comparison"])
    require(
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

    spec = load_report_spec(p.get("report_spec") or DEFAULT_SPEC)
    # the tested differences between groups (rule estimate_differences), when given
    differences = read_differences(p.get("differences"))
    catalogue = load_catalogue(p["catalogue"])
    catalogue.check(spec, p["catalogue"])
    codebook = p.get("codebook") or str(round_meta.get("codebook") or "")
    categories = round_categories(codebook) if codebook and Path(codebook).is_file() else {}
    not_in_instrument = missing_in_instrument(catalogue, categories)
    diagnostics = read_csv(p["weights_diagnostics"])
    scenarios = read_csv(p["scenarios"]) if p.get("scenarios") else None
    money = load_money(config, indicators, diagnostics)
    full = _summary(
        p, catalogue, indicators, comparison, scenarios, differences, config, money,
        not_in_instrument,
    )  # fmt: skip
    if summary:  # a caller's own messages and cascade (tests) replace the rules' ones
        full |= {k: v for k, v in summary.items() if v is not None}
    frame = parquet("frame")
    row_counts = read_csv(p["row_counts"])
    files = _write_files(
        p, out, indicators, catalogue, config, not_in_instrument, diagnostics, frame, row_counts,
        round_meta,
    )  # fmt: skip
    context = build_context(
        indicators=indicators,
        comparison=comparison,
        validation_summary=read_csv(p["validation"]),
        validation=read_csv(p["validation_findings"]) if p.get("validation_findings") else None,
        cleaning_log=read_csv(p["cleaning_log"]),
        row_counts=row_counts,
        weights_diagnostics=diagnostics,
        manifest=read_csv(p["manifest"]),
        catalogue=catalogue,
        spec=spec,
        frame=frame,
        person=parquet("person", ["scheme_other"]),
        episode=parquet("episode", ["reason_other"]),
        determinants_path=p.get("determinants") or None,
        figures=figure_context(figure_names, figure_paths, comparison, spec),
        round_meta=round_meta,
        config=config,
        input_files={k: v for k, v in p.items() if k != "determinants" or v},
        not_in_instrument=not_in_instrument,
        summary=full,
        files=files,
        files_folder=files_link(out),
        money=money,
        differences=differences,
        repo=repo,
        environ=environ,
    )
    # Sections that later stages add through config/report.yaml (kind include)
    context["scenarios"] = scenario_context(
        scenarios if scenarios is not None else pd.DataFrame(), config, money
    )
    context["planning"] = planning_context(
        read_csv(p["planning"]) if p.get("planning") else None,
        {i.id: i.label for i in catalogue.entries},
        {i.id: i.unit for i in catalogue.entries},
        config,
    )
    return write_html(context, template, css, out)


def _write_files(
    p: Mapping[str, str],
    out: str,
    indicators: pd.DataFrame,
    catalogue: Catalogue,
    config: Mapping[str, Any],
    not_in_instrument: set[str],
    diagnostics: pd.DataFrame,
    frame: pd.DataFrame | None,
    row_counts: pd.DataFrame,
    round_meta: Mapping[str, Any],
) -> list[dict[str, str]]:
    """The files beside the report (hhsurvey.outputs.report.files)."""
    villages = survey_context(
        diagnostics,
        frame,
        row_counts,
        round_meta,
        config.get("design", {}),
        frame_tolerance(config),
    )["villages"]
    return write_report_files(
        files_folder(out),
        tables={
            "estimates": estimates_table(indicators, catalogue, not_in_instrument),
            "villages": pd.DataFrame(villages).rename(columns=VILLAGE_COLUMNS),
            "configuration": configuration_table(config),
            "definitions": definitions_table(catalogue),
            "inputs": inputs_table({k: v for k, v in p.items() if k != "determinants" or v}),
        },
        copies={
            "national_comparison.csv": p["comparison"],
            "validation.csv": p.get("validation_findings", ""),
            "cleaning_log.csv": p["cleaning_log"],
            "scenarios.csv": p.get("scenarios", ""),
            "differences.csv": p.get("differences", ""),
            "endline_planning.csv": p.get("planning", ""),
        },
        labels=FILE_LABELS,
    )


#: Columns of villages.csv (the survey context's village rows).
VILLAGE_COLUMNS = {
    "code": "village",
    "name_en": "name",
    "name_lo": "name_lao",
    "area": "stratum",
    "pi1": "pi1",
    "pi2": "pi2",
    "response_rate": "response_rate",
    "factor": "nonresponse_factor",
    "note": "note",
}
#: Labels of the files written beside the report.
FILE_LABELS = {
    "villages.csv": "Selected villages: selection probabilities, response, non-response factor (CSV)",
    "villages.xlsx": "Selected villages (Excel workbook)",
    "estimates.csv": "Every estimate of this round (CSV)",
    "estimates.xlsx": "Every estimate of this round (Excel workbook)",
    "configuration.csv": "Configuration of the run, one row per setting (CSV)",
    "configuration.xlsx": "Configuration of the run (Excel workbook)",
    "definitions.csv": "Indicator definitions as computed (CSV)",
    "definitions.xlsx": "Indicator definitions as computed (Excel workbook)",
    "national_comparison.csv": "Comparison with national figures, with tests (CSV)",
    "validation.csv": "Validation findings, one row per flagged record (CSV)",
    "cleaning_log.csv": "Cleaning log, one row per changed value (CSV)",
    "scenarios.csv": "Benefit-package scenarios, by area and quintile (CSV)",
    "differences.csv": "Tested differences between groups, with adjusted p-values (CSV)",
    "endline_planning.csv": "Endline planning (CSV)",
    "inputs.csv": "Files this report was rendered from, with their SHA-256 (CSV)",
    "inputs.xlsx": "Files this report was rendered from (Excel workbook)",
}


def _summary(
    p: Mapping[str, str],
    catalogue: Catalogue,
    indicators: pd.DataFrame,
    comparison: pd.DataFrame,
    scenarios: pd.DataFrame | None,
    differences: pd.DataFrame | None,
    config: Mapping[str, Any],
    money: Any,
    not_in_instrument: set[str],
) -> dict[str, Any]:
    """The executive summary (hhsurvey.outputs.summary) in English: with the brief's rules
    when the brief spec is given, else the key findings alone."""
    comparison = comparison.assign(status=comparison["status"].fillna("").astype(str))
    refs = national_refs(comparison)
    if not p.get("brief_spec"):
        w = Words("en", str, money, float(config["design"]["level"]))
        entries = {e.id: e for e in catalogue.entries}
        marks = assumption_marks_of(entries, config)
        return {
            "findings": findings(entries, indicators, comparison, refs, w, not_in_instrument, marks)
        }
    brief = load_brief_spec(p["brief_spec"])
    out = round_summary(
        indicators=indicators,
        comparison=comparison,
        scenarios=scenarios,
        differences=differences,
        catalogue_path=p["catalogue"],
        brief_spec=brief,
        rules_path=p.get("implications") or None,
        config=config,
        money=money,
        not_in_instrument=not_in_instrument,
        refs=refs,
    )
    level = float(config["design"]["level"])
    fmt = LocaleFormat("en")
    entries = {e.id: e for e in catalogue.entries}
    out["tiles"] = brief_tiles(
        indicators,
        entries,
        brief,
        str,
        fmt,
        fmt.number(100 * level) + "%",
        money,
        assumption_marks_of(entries, config),
    )
    return out
