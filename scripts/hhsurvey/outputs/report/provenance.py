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
import yaml

from hhsurvey.errors import InputError
from hhsurvey.outputs.report.format import fmt_count, plain, text_of

__all__ = [
    "PACKAGES",
    "code_version",
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
    """``git describe --always --dirty`` of the checkout, or "unknown" (no git, no repo)."""
    try:
        out = subprocess.run(
            ["git", "describe", "--always", "--dirty"],
            cwd=repo or None,
            capture_output=True,
            text=True,
            timeout=20,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return out.stdout.strip() if out.returncode == 0 and out.stdout.strip() else "unknown"


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


def provenance(
    manifest: pd.DataFrame,
    inputs: Mapping[str, str],
    config: Mapping[str, Any],
    repo: str | os.PathLike[str] | None,
) -> dict[str, Any]:
    """Raw-file checksums (ingest manifest), checksums of the rendered inputs, the validated
    configuration as YAML (keys sorted), code and package versions."""
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
        {"name": k, "path": str(v), "sha256": sha256_file(v)}
        for k, v in sorted(inputs.items())
        if v and Path(v).is_file()
    ]
    return {
        "raw": raw,
        "files": files,
        "config_yaml": yaml.safe_dump(
            plain(config), sort_keys=True, allow_unicode=True, default_flow_style=False
        ),
        "code_version": code_version(repo),
        "packages": package_versions(),
    }
