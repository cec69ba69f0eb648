"""Shared fixtures of every tier (helpers live in tests/support, which is on the path)."""

from pathlib import Path

import pytest
from byo_round import BASELINE_CB, convert_round, hhsurvey
from workflow_tools import copy_repo, snakemake


@pytest.fixture(scope="session")
def demo_run(tmp_path_factory) -> Path:
    """A copy of the repository in which `snakemake --cores 2` has built the demo report; the
    run's console (stdout, then stderr) is kept beside it in ``console.txt``."""
    root = copy_repo(tmp_path_factory.mktemp("run") / "repo")
    proc = snakemake(root, "--cores", "2")
    (root.parent / "console.txt").write_text(proc.stdout + proc.stderr, encoding="utf-8")
    return root


@pytest.fixture(scope="module")
def byo(tmp_path_factory) -> dict:
    """The demo baseline converted as another firm's round, and the codebook drafted for it."""
    tmp = tmp_path_factory.mktemp("byo")
    raw = tmp / "raw"
    renames = convert_round(raw)
    proc = hhsurvey("codebook", "draft", str(raw), "--like", str(BASELINE_CB))
    assert proc.returncode == 0, proc.stderr
    return {"tmp": tmp, "raw": raw, "renames": renames, "text": proc.stdout, "stderr": proc.stderr}
