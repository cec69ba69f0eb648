"""Rule render_report: the self-contained HTML report of a round."""

from hhsurvey.cli import run_rule
from hhsurvey.outputs.report.build import render_report, rule_arguments

#: Named inputs of the rule that the report reads (the rest are rerun triggers).
TABLES = (
    "indicators",
    "xlsx",
    "comparison",
    "differences",
    "validation",
    "validation_findings",
    "cleaning_log",
    "row_counts",
    "weights_diagnostics",
    "manifest",
    "frame",
    "person",
    "episode",
    "catalogue",
    "report_spec",
    "codebook",
    "national",
    "config_file",
    "brief_spec",
    "scenarios",
    "planning",
    "implications",
)


def main(smk) -> None:
    # Optional inputs (the workbook, the report spec, the codebook) may be absent: "".
    paths = {k: getattr(smk.input, k, "") for k in TABLES}
    # Optional until the determinants stage exists: an empty input means "not estimated".
    determinants = smk.input.get("determinants") or []
    if isinstance(determinants, str):
        determinants = [determinants]
    paths["determinants"] = determinants[0] if determinants else ""
    render_report(paths=paths, round_meta=smk.params.round_meta, **rule_arguments(smk))


if __name__ == "__main__":
    run_rule(main, snakemake)  # noqa: F821 (injected by Snakemake)
