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
from hhsurvey.outputs.brief.build import report_summary
from hhsurvey.outputs.report.context import build_context, figure_context
from hhsurvey.outputs.report.format import fmt_ci, fmt_estimate, fmt_number, read_csv, require
from hhsurvey.outputs.report.planning import report_context as planning_context
from hhsurvey.outputs.report.provenance import report_date
from hhsurvey.outputs.report.render import render, trusted, write_html
from hhsurvey.outputs.report.scenarios import report_context as scenario_context
from hhsurvey.outputs.report.spec import (
    DEFAULT_SPEC,
    load_catalogue,
    load_report_spec,
    missing_in_instrument,
    round_categories,
)

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
    """Read the inputs named in *paths*, render, write *out*; return the HTML.

    *summary* (optional) fills the executive summary: ``messages`` and ``cascade_svg``."""
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
    if summary is None and p.get("brief_spec"):
        # the executive summary speaks with the brief's rules (config/brief.yaml)
        summary = report_summary(indicators, comparison, p["catalogue"], p["brief_spec"], config)
    catalogue = load_catalogue(p["catalogue"])
    catalogue.check(spec, p["catalogue"])
    codebook = p.get("codebook") or str(round_meta.get("codebook") or "")
    categories = round_categories(codebook) if codebook and Path(codebook).is_file() else {}
    context = build_context(
        indicators=indicators,
        comparison=comparison,
        validation_summary=read_csv(p["validation"]),
        validation=read_csv(p["validation_findings"]) if p.get("validation_findings") else None,
        cleaning_log=read_csv(p["cleaning_log"]),
        row_counts=read_csv(p["row_counts"]),
        weights_diagnostics=read_csv(p["weights_diagnostics"]),
        manifest=read_csv(p["manifest"]),
        catalogue=catalogue,
        spec=spec,
        frame=parquet("frame"),
        person=parquet("person", ["scheme_other"]),
        episode=parquet("episode", ["reason_other"]),
        determinants_path=p.get("determinants") or None,
        figures=figure_context(figure_names, figure_paths, comparison, spec),
        round_meta=round_meta,
        config=config,
        input_files={k: v for k, v in p.items() if k != "determinants" or v},
        not_in_instrument=missing_in_instrument(catalogue, categories),
        summary=summary,
        download_files={
            "All estimates (CSV)": p["indicators"],
            "All estimates (Excel workbook)": p.get("xlsx", ""),
            "Comparison with national figures (CSV)": p["comparison"],
            "Validation findings (CSV)": p.get("validation_findings", ""),
        },
        repo=repo,
        environ=environ,
    )
    # Sections that later stages add through config/report.yaml (kind include)
    context["scenarios"] = scenario_context(
        read_csv(p["scenarios"]) if p.get("scenarios") else pd.DataFrame(), config
    )
    context["planning"] = planning_context(
        read_csv(p["planning"]) if p.get("planning") else None,
        {i.id: i.label for i in catalogue.entries},
        {i.id: i.unit for i in catalogue.entries},
        config,
    )
    return write_html(context, template, css, out)
