"""Running the real workflow in a copy of the repository (tests/workflow, tests/browser)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from testpaths import REPO

IGNORE = shutil.ignore_patterns(
    ".venv",
    "results",
    ".snakemake",
    ".git",
    "__pycache__",
    "*.egg-info",
    ".pytest_cache",
    ".ruff_cache",
    ".hypothesis",
    "tests",
    "benchmarks",
)


def copy_repo(dst: Path) -> Path:
    """A copy of the repository without outputs, caches, tests and benchmarks."""
    shutil.copytree(REPO, dst, ignore=IGNORE)
    return dst


def snakemake(cwd: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    """Run Snakemake in *cwd* with a fixed SOURCE_DATE_EPOCH; fail with its output's tail."""
    env = {**os.environ, "SOURCE_DATE_EPOCH": "1700000000"}
    proc = subprocess.run(
        [sys.executable, "-m", "snakemake", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        env=env,
        timeout=900,
    )
    if check and proc.returncode != 0:
        raise AssertionError(
            f"snakemake {' '.join(args)} failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-6000:]}"
        )
    return proc
