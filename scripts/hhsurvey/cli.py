"""Run a rule script: logging to the rule's log file and clean failure on bad input."""

from __future__ import annotations

import logging
import sys
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

from hhsurvey.errors import InputError

log = logging.getLogger("hhsurvey")


# Libraries whose INFO messages are noise to a user (fontTools logs every table it subsets)
QUIET_LIBRARIES = ("fontTools", "matplotlib", "PIL", "playwright", "asyncio")


def _console_record(record: logging.LogRecord) -> bool:
    """What reaches the console: the project's warnings and errors, never a Python warning
    (with its source line) from a library; those stay in the rule's log file."""
    return record.name != "py.warnings"


def setup_logging(logfile: str | None, stderr: bool = True) -> None:
    """Send hhsurvey messages and Python warnings to the rule's log file (INFO and above) and
    the project's warnings and errors to stderr (quiet by default: the log file has the rest)."""
    handlers: list[logging.Handler] = []
    if stderr:
        console = logging.StreamHandler(sys.stderr)
        console.setLevel(logging.WARNING)
        console.addFilter(_console_record)
        handlers.append(console)
    if logfile:
        handlers.append(logging.FileHandler(logfile, mode="w", encoding="utf-8"))
    logging.basicConfig(
        level=logging.INFO,
        format="%(levelname)s %(name)s: %(message)s",
        handlers=handlers,
        force=True,
    )
    for name in QUIET_LIBRARIES:
        logging.getLogger(name).setLevel(logging.WARNING)
    logging.captureWarnings(True)
    warnings.simplefilter("default")


# Resource that the SLURM profile (workflow/profiles/slurm) sets to Snakemake's `attempt`.
ATTEMPT_RESOURCE = "hhsurvey_attempt"
NOT_RETRIED = (
    "Not retried: the first attempt of this job stopped on an input error; its message is "
    "printed above and kept in {marker}. Fix the input and run Snakemake again.\n"
)


def _attempt(smk: Any) -> int | None:
    """Snakemake's attempt number when the profile passes it (resubmissions count from 2)."""
    value = getattr(smk.resources, ATTEMPT_RESOURCE, None)
    return int(value) if value is not None else None


def run_rule(main: Callable[[Any], None], smk: Any) -> None:
    """Call ``main(smk)``; an :class:`InputError` ends the job with its message, no traceback.

    Under a profile that resubmits failed jobs (``retries``, e.g. after SLURM killed a job for
    memory), an input error must not be redone: the first attempt leaves the message in
    ``<log>.input-error`` and a resubmission that finds it exits at once (exit code 2) with a
    one-line log, so the message is printed once and the data are not read again. Under that
    profile the messages go to the rule's log only: the job's stderr is the SLURM log, which
    ``--show-failed-logs`` prints next to the rule's log.
    """
    logfile = smk.log[0] if len(smk.log) else None
    attempt = _attempt(smk)
    marker = Path(f"{logfile}.input-error") if logfile and attempt is not None else None
    if marker is not None and attempt > 1 and marker.exists():
        Path(logfile).write_text(NOT_RETRIED.format(marker=marker), encoding="utf-8")
        sys.exit(2)
    setup_logging(logfile, stderr=marker is None)
    if marker is not None:
        marker.unlink(missing_ok=True)
    try:
        main(smk)
    except InputError as err:
        log.error("%s", err.message)
        if marker is not None:
            marker.write_text(err.message + "\n", encoding="utf-8")
        sys.exit(2)
