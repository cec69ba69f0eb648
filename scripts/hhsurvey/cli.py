"""Run a rule script: logging to the rule's log file and clean failure on bad input.

:func:`run_rule` is the one way a rule script runs. Around the script's ``main`` it

* checks that every Parquet or CSV input under ``results/`` is complete (a file an interrupted
  run left truncated is named, with "delete it and rerun");
* has the script write each output to a temporary file beside it (``.name.partial.ext``),
  renamed to its name only when the script succeeds, so that no partial output is ever left
  behind (a full disk, a crash, a stop on bad input);
* turns a full disk into the project's message naming the outputs it could not write;
* writes every failure to the rule's log: an :class:`~hhsurvey.errors.InputError` as its
  message (no traceback), anything else as a bug report with its traceback.
"""

from __future__ import annotations

import errno
import logging
import os
import shutil
import sys
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

from hhsurvey.errors import InputError
from hhsurvey.paths import staged as staged_path

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
    staged: dict[str, str] = {}
    try:
        check_inputs(getattr(smk, "input", None) or [])
        staged = stage_outputs(smk)
        main(smk)
        publish(staged)
    except InputError as err:
        discard(staged)
        log.error("%s", err.message)
        if marker is not None:
            marker.write_text(err.message + "\n", encoding="utf-8")
        sys.exit(2)
    except OSError as err:
        discard(staged)
        if not disk_full(err):
            log.exception("unexpected error (a bug of the pipeline, not of the data): report it")
            sys.exit(1)
        message = full_disk_error(err, staged or _outputs(smk)).message
        log.error("%s", message)
        sys.exit(2)
    except Exception:
        discard(staged)
        log.exception("unexpected error (a bug of the pipeline, not of the data): report it")
        sys.exit(1)


#: Where the workflow writes; inputs under it are checked before a rule reads them.
RESULTS = "results"
_FULL = (errno.ENOSPC, errno.EDQUOT, errno.EFBIG)


def _outputs(smk: Any) -> list[str]:
    return [str(p) for p in (getattr(smk, "output", None) or [])]


def check_inputs(paths) -> None:
    """Every Parquet and CSV input under ``results/`` is complete: a Parquet file whose footer
    cannot be read, or a CSV file that is empty or does not end with a line break, was left
    by an interrupted run."""
    for p in map(str, paths):
        path = Path(p)
        if not path.parts or path.parts[0] != RESULTS or not path.is_file():
            continue
        problem = ""
        if path.suffix == ".parquet":
            import pyarrow.parquet as pq

            try:
                pq.read_metadata(path)
            except Exception as err:  # pyarrow: ArrowInvalid, OSError
                problem = f"not a complete Parquet file ({err})"
        elif path.suffix == ".csv":
            with open(path, "rb") as fh:
                fh.seek(0, os.SEEK_END)
                size = fh.tell()
                fh.seek(max(size - 1, 0))
                if size == 0 or fh.read(1) != b"\n":
                    problem = "empty or cut off in the middle of a line"
        if problem:
            raise InputError(
                f"the file {path} is truncated or unreadable: {problem}; an interrupted run "
                "(a killed job, a full disk, a power cut) can leave one behind",
                str(path),
                f"delete it and rerun: rm {path} && snakemake --cores all (the workflow "
                "rebuilds it from its inputs)",
            )


def stage_outputs(smk: Any) -> dict[str, str]:
    """Point the script's outputs at temporary files beside them; {final: temporary}."""
    out = getattr(smk, "output", None)
    if not out or not hasattr(out, "_take_names"):
        return {}
    staged = {str(p): str(staged_path(p)) for p in out}
    new = type(out)(toclone=[staged[str(p)] for p in out])
    new._take_names(out._get_names())
    smk.output = new
    return staged


def publish(staged: dict[str, str]) -> None:
    """Rename each temporary output to its name (atomic within a folder)."""
    for final, tmp in staged.items():
        if os.path.exists(tmp):
            os.replace(tmp, final)


def discard(staged: dict[str, str]) -> None:
    """Remove every temporary output: nothing partial is left behind."""
    for tmp in staged.values():
        if Path(tmp).is_dir() and not Path(tmp).is_symlink():
            shutil.rmtree(tmp, ignore_errors=True)  # a folder output (``directory()``)
        else:
            Path(tmp).unlink(missing_ok=True)


def disk_full(err: OSError) -> bool:
    """Whether an error says the disk (or the quota) is full."""
    text = str(err)
    return err.errno in _FULL or "No space left" in text or "errno 28" in text.lower()


def full_disk_error(err: OSError, outputs) -> InputError:
    """The message of a full disk: what could not be written, and that nothing is left."""
    finals = [str(p) for p in outputs]
    missing = [p for p in finals if not os.path.exists(p)] or finals
    folder = os.path.dirname(missing[0]) if missing else "."
    try:
        free = os.statvfs(folder or ".").f_bavail * os.statvfs(folder or ".").f_frsize
        room = f"; {free / 1e6:,.1f} MB free there now"
    except OSError:
        room = ""
    return InputError(
        f"the disk is full ({err.strerror or err}): could not write "
        f"{', '.join(missing)}; no partial file was left behind",
        f"{folder or '.'} (the disk holding results/){room}",
        "free space on that disk (or move the project to a larger one) and rerun; the "
        "outputs already complete are kept",
    )
