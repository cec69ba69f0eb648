"""Rule render_brief: the two-page brief of a round in one language (self-contained HTML)."""

from hhsurvey.cli import run_rule
from hhsurvey.outputs.brief.build import write_brief

#: Named inputs the brief reads (the rest are rerun triggers).
TABLES = (
    "indicators",
    "comparison",
    "differences",
    "weights_diagnostics",
    "frame",
    "catalogue",
    "brief",
    "scenarios",
)


def main(smk) -> None:
    write_brief(
        paths={k: str(getattr(smk.input, k, "") or "") for k in TABLES},
        round_meta=smk.params.round_meta,
        config=smk.params.config,
        lang=smk.wildcards.lang,
        template=smk.input.template,
        css=smk.input.css,
        locale_dir=smk.params.locale_dir,
        out=smk.output.html,
    )


if __name__ == "__main__":
    run_rule(main, snakemake)  # noqa: F821 (injected by Snakemake)
