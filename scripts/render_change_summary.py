"""Rule render_change_summary: the change report's summary in one language (HTML)."""

from hhsurvey.cli import run_rule
from hhsurvey.outputs.change_report import ROLES
from hhsurvey.outputs.summaries import write_change_summary


def main(smk) -> None:
    config = smk.params.config
    paths = {"change": smk.input.change, "catalogue": smk.input.catalogue}
    for k, role in enumerate(ROLES):
        paths[role] = {"indicators": smk.input.indicators[k]}
    write_change_summary(
        paths=paths,
        rounds=smk.params.rounds,
        config=config,
        lang=smk.wildcards.lang,
        template=smk.input.template,
        css=smk.input.css,
        locale_dir=smk.params.locale_dir,
        out=smk.output.html,
        fonts=list(config.get("report", {}).get("fonts", {}).get("lao", [])),
    )


if __name__ == "__main__":
    run_rule(main, snakemake)  # noqa: F821 (injected by Snakemake)
