"""Rule render_change_report: the self-contained HTML report of the change since baseline."""

from hhsurvey.cli import run_rule
from hhsurvey.outputs.change_report import ROLES, render_change_report
from hhsurvey.outputs.report.build import rule_arguments

#: Per-round inputs of the rule (lists in role order: baseline, endline).
ROUND_TABLES = ("indicators", "comparison", "manifest")


def main(smk) -> None:
    paths = {
        "change": smk.input.change,
        "catalogue": smk.input.catalogue,
        "national": smk.input.national,
        "report_spec": smk.input.report_spec,
        "config_files": list(smk.input.config_files),
        "revisits": smk.input.revisits,
    }
    for k, role in enumerate(ROLES):
        paths[role] = {t: smk.input[t][k] for t in ROUND_TABLES}
    render_change_report(paths=paths, rounds=smk.params.rounds, **rule_arguments(smk))


if __name__ == "__main__":
    run_rule(main, snakemake)  # noqa: F821 (injected by Snakemake)
