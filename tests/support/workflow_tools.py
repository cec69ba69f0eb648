"""Running the real workflow in a copy of the repository (tests/workflow, tests/browser)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import yaml
from demo_config import merge
from testpaths import FEATURE_CONFIGS, REPO

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

#: The fixed time of every workflow run of the tests (reproducible dates in the outputs).
SOURCE_DATE_EPOCH = "1700000000"


def copy_repo(dst: Path) -> Path:
    """A copy of the repository without outputs, caches, tests and benchmarks (the feature
    configurations of .test/ are copied: a run in the copy names them by relative path)."""
    shutil.copytree(REPO, dst, ignore=IGNORE)
    return dst


def snakemake(cwd: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    """Run Snakemake in *cwd* with a fixed SOURCE_DATE_EPOCH; fail with its output's tail."""
    env = {**os.environ, "SOURCE_DATE_EPOCH": SOURCE_DATE_EPOCH}
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


def feature_config(name: str) -> str:
    """Path of a feature configuration of .test/config/ (e.g. ``"brief_english_only.yaml"``),
    relative to the repository, for ``--configfile`` in the repository or any copy of it."""
    path = FEATURE_CONFIGS / name
    assert path.is_file(), f"no feature configuration {path} (see .test/README.md)"
    return str(path.relative_to(REPO))


def apply_feature_config(root: Path, name: str, target: str = "config/config.yaml") -> None:
    """Merge a feature configuration into *target* of a repository copy, as --configfile
    merges it, but written into the file: the route of a user who edits config/config.yaml,
    and a copy whose later runs need no --configfile to compare like with like."""
    over = yaml.safe_load((FEATURE_CONFIGS / name).read_text(encoding="utf-8"))
    path = root / target
    doc = merge(yaml.safe_load(path.read_text(encoding="utf-8")), over)
    path.write_text(yaml.safe_dump(doc, sort_keys=False, allow_unicode=True), encoding="utf-8")
