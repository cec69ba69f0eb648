"""Provenance of a rendered report: date, code version, package versions, checksums, config.

Output is byte-reproducible: the date is ``SOURCE_DATE_EPOCH`` or ``config.report.date``.
"""

from __future__ import annotations

import hashlib
import os
import platform
import subprocess
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

import pandas as pd

from hhsurvey.errors import InputError
from hhsurvey.outputs.report.format import fmt_count, text_of

__all__ = [
    "PACKAGES",
    "code_version",
    "input_name",
    "package_versions",
    "provenance",
    "report_date",
    "sha256_file",
]

PACKAGES = (
    "pandas",
    "numpy",
    "scipy",
    "statsmodels",
    "pyreadstat",
    "snakemake",
    "matplotlib",
    "seaborn",
    "jinja2",
)


def sha256_file(path: str | os.PathLike[str]) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def code_version(repo: str | os.PathLike[str] | None) -> str:
    """``git describe --always --dirty`` of the checkout; in a copy without git history, the
    SHA-256 of the library's sources (``scripts/hhsurvey/**/*.py``, in path order), so the
    report always names the code it was made with."""
    try:
        out = subprocess.run(
            ["git", "describe", "--always", "--dirty"],
            cwd=repo or None,
            capture_output=True,
            text=True,
            timeout=20,
            check=False,
        )
        if out.returncode == 0 and out.stdout.strip():
            return out.stdout.strip()
    except (OSError, subprocess.SubprocessError):
        pass
    return f"sources sha256:{source_digest()[:16]} (no git checkout)"


def source_digest() -> str:
    """SHA-256 over the library's Python sources (relative path and bytes of each file)."""
    root = Path(__file__).resolve().parents[2]
    h = hashlib.sha256()
    for f in sorted(root.rglob("*.py")):
        h.update(f.relative_to(root).as_posix().encode("utf-8") + b"\0")
        h.update(f.read_bytes())
    return h.hexdigest()


def package_versions(names: Sequence[str] = PACKAGES) -> list[tuple[str, str]]:
    out = [("python", platform.python_version())]
    for n in names:
        try:
            out.append((n, metadata.version(n)))
        except metadata.PackageNotFoundError:
            out.append((n, "not installed"))
    return out


def report_date(config: Mapping[str, Any], environ: Mapping[str, str] | None = None) -> str:
    """The fixed date printed on the report: ``SOURCE_DATE_EPOCH`` (UTC), else config."""
    env = os.environ if environ is None else environ
    epoch = env.get("SOURCE_DATE_EPOCH", "").strip()
    if epoch:
        try:
            return datetime.fromtimestamp(int(epoch), tz=UTC).strftime("%Y-%m-%d %H:%M UTC")
        except (ValueError, OverflowError, OSError):
            raise InputError(
                f"SOURCE_DATE_EPOCH is '{epoch}', not a Unix timestamp",
                "environment variable SOURCE_DATE_EPOCH",
                "set it to whole seconds since 1970-01-01 (e.g. `git log -1 --format=%ct`) or unset it",
            ) from None
    return text_of((config.get("report") or {}).get("date", "")) or "undated"


#: The report's inputs (rule input names) in words.
INPUT_TEXT = {
    "indicators": "Estimates of the round",
    "xlsx": "Estimates of the round (workbook)",
    "comparison": "Comparison with national figures",
    "validation": "Validation summary",
    "validation_findings": "Validation findings",
    "cleaning_log": "Cleaning log",
    "row_counts": "Records per table",
    "weights_diagnostics": "Weight diagnostics",
    "manifest": "Ingest manifest",
    "frame": "Sampling frame (cleaned)",
    "person": "Persons (cleaned)",
    "episode": "Illness episodes (cleaned)",
    "catalogue": "Indicator catalogue",
    "report_spec": "Report specification",
    "brief_spec": "Brief specification",
    "implications": "Rules of \u201cWhat this means\u201d",
    "codebook": "Codebook of the round",
    "national": "National reference table",
    "config_file": "Configuration",
    "determinants": "Determinants of care-seeking",
    "scenarios": "Benefit-package scenarios",
    "planning": "Endline planning",
    "differences": "Tested differences",
    "change": "Changes since baseline",
}


def input_name(key: str) -> str:
    """An input of the report in words (``baseline indicators`` -> ``Estimates of the round,
    baseline``)."""
    role, _, rest = key.partition(" ")
    if rest and role in ("baseline", "endline"):
        return f"{input_name(rest)}, {role}"
    if key.startswith("config "):
        return f"Configuration ({key.removeprefix('config ').rsplit('.', 1)[0]})"
    return INPUT_TEXT.get(key, key.replace("_", " ").capitalize())


def provenance(
    manifest: pd.DataFrame,
    inputs: Mapping[str, str],
    config: Mapping[str, Any],
    repo: str | os.PathLike[str] | None,
) -> dict[str, Any]:
    """Raw-file checksums (ingest manifest), checksums of the rendered inputs (named in words),
    code and package versions. The configuration goes to a file beside the report
    (:func:`hhsurvey.outputs.report.files.configuration_table`), not onto the page."""
    raw = [
        {
            "table": text_of(r["table"]),
            "file": text_of(r["file"]),
            "sha256": text_of(r["sha256"]),
            "rows": fmt_count(r["rows"]),
        }
        for r in manifest.to_dict("records")
    ]
    files = [
        {"name": input_name(k), "file": Path(v).name, "sha256": sha256_file(v)}
        for k, v in sorted(inputs.items())
        if v and Path(v).is_file()
    ]
    return {
        "raw": raw,
        "files": files,
        "code_version": code_version(repo),
        "packages": package_versions(),
    }
