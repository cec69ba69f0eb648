"""Shared fixtures: one real run of the whole workflow on the demo data per test session."""

from pathlib import Path

import pytest
from test_workflow import copy_repo, snakemake


@pytest.fixture(scope="session")
def demo_run(tmp_path_factory) -> Path:
    """A copy of the repository in which `snakemake --cores 2` has built the demo report."""
    root = copy_repo(tmp_path_factory.mktemp("run") / "repo")
    snakemake(root, "--cores", "2")
    return root
