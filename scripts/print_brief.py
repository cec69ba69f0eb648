"""Rule print_brief: the brief printed to an A4 PDF by Debian's Chromium (Playwright, offline)."""

from hhsurvey.cli import run_rule
from hhsurvey.outputs.brief.build import print_pdf


def main(smk) -> None:
    print_pdf(smk.input.html, smk.output.pdf, chromium=smk.params.chromium, date=smk.params.date)


if __name__ == "__main__":
    run_rule(main, snakemake)
