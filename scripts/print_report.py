"""Rule print_report: the round report as an A4 PDF with bookmarks (Chromium via Playwright)."""

import logging

from hhsurvey.cli import run_rule
from hhsurvey.outputs.pdf import find_chromium, pdf_stamp, print_pdf


def main(smk) -> None:
    pages = print_pdf(
        smk.input.html,
        smk.output.pdf,
        find_chromium(smk.params.chromium),
        stamp=pdf_stamp(smk.params.date),
    )
    logging.getLogger(__name__).info("printed %s: %d pages", smk.output.pdf, pages)


if __name__ == "__main__":
    run_rule(main, snakemake)
