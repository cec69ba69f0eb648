"""Rule render_summary: a round's summary in one language (self-contained HTML)."""

from hhsurvey.cli import run_rule
from hhsurvey.outputs.summaries import write_round_summary

#: Named inputs the summary reads (the rest are rerun triggers).
TABLES = (
    "indicators",
    "comparison",
    "weights_diagnostics",
    "catalogue",
    "brief",
    "implications",
    "scenarios",
    "differences",
)


def main(smk) -> None:
    config = smk.params.config
    write_round_summary(
        paths={k: str(getattr(smk.input, k, "") or "") for k in TABLES},
        round_meta=smk.params.round_meta,
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
