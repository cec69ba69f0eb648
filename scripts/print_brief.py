"""Rule print_brief: the brief printed to an A4 PDF by Debian's Chromium (Playwright, offline)."""

from hhsurvey.cli import run_rule
from hhsurvey.outputs.pdf import find_chromium, pdf_stamp, print_pdf


def main(smk) -> None:
    print_pdf(
        smk.input.html,
        smk.output.pdf,
        find_chromium(smk.params.chromium),
        stamp=pdf_stamp(smk.params.date),
        outline=False,
    )


if __name__ == "__main__":
    run_rule(main, snakemake)
