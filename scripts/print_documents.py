"""Rules print_<round> and print_change: every document of the rule, HTML to an A4 PDF, in one
Chromium session (hhsurvey.outputs.pdf)."""

import logging

from hhsurvey.cli import run_rule
from hhsurvey.outputs.pdf import PrintJob, find_chromium, pdf_stamp, print_documents


def main(smk) -> None:
    jobs = [
        PrintJob(html, pdf, bool(outline))
        for html, pdf, outline in zip(
            smk.input.html, smk.output.pdf, smk.params.outline, strict=True
        )
    ]
    pages = print_documents(
        jobs, find_chromium(smk.params.chromium), stamp=pdf_stamp(smk.params.date)
    )
    log = logging.getLogger(__name__)
    for job, n in zip(jobs, pages, strict=True):
        log.info("printed %s: %d pages", job.out, n)


if __name__ == "__main__":
    run_rule(main, snakemake)  # noqa: F821 (injected by Snakemake)
