"""Run a rule script: logging to the rule's log file and clean failure on bad input."""

from __future__ import annotations

import logging
import sys
import warnings
from collections.abc import Callable
from typing import Any

from hhsurvey.errors import InputError

log = logging.getLogger("hhsurvey")


def setup_logging(logfile: str | None) -> None:
    """Send hhsurvey and Python warnings to the rule's log file (and stderr)."""
    handlers: list[logging.Handler] = [logging.StreamHandler(sys.stderr)]
    if logfile:
        handlers.append(logging.FileHandler(logfile, mode="w", encoding="utf-8"))
    logging.basicConfig(
        level=logging.INFO,
        format="%(levelname)s %(name)s: %(message)s",
        handlers=handlers,
        force=True,
    )
    logging.captureWarnings(True)
    warnings.simplefilter("default")


def run_rule(main: Callable[[Any], None], smk: Any) -> None:
    """Call ``main(smk)``; an :class:`InputError` ends the job with its message, no traceback."""
    setup_logging(smk.log[0] if len(smk.log) else None)
    try:
        main(smk)
    except InputError as err:
        log.error("%s", err.message)
        sys.exit(2)
