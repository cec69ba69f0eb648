"""Rules receive only the config slices they read (params are a rerun trigger): after a finished
run, editing the endline planning reruns the planning but no brief or summary job, and adding a
language adds that language's brief and summary without rerunning the others; the round's
documents are printed again in its one print job (snakemake -n)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from workflow_tools import snakemake

pytestmark = pytest.mark.slow

BRIEF_RULES = ("render_brief", "render_summary")


def _jobs(root: Path) -> dict[str, int]:
    """Jobs a dry run schedules, by rule (`snakemake -n --quiet rules`)."""
    out = snakemake(root, "-n", "--quiet", "rules").stdout
    jobs = {}
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[1].isdigit() and parts[0] != "total":
            jobs[parts[0]] = int(parts[1])
    return jobs


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, old
    path.write_text(text.replace(old, new), encoding="utf-8")


@pytest.fixture
def finished(demo_run, tmp_path) -> Path:
    """A copy of the finished demo run (modification times kept), with nothing left to do."""
    work = tmp_path / "work"
    shutil.copytree(demo_run, work, symlinks=True)
    assert _jobs(work) == {}
    return work


def test_editing_the_planning_reruns_no_brief_job(finished):
    _edit(
        finished / "config/config.yaml",
        "target_relative_change: 0.25",
        "target_relative_change: 0.3",
    )
    jobs = _jobs(finished)
    assert jobs.get("plan_endline") == 1, jobs
    assert not [r for r in BRIEF_RULES if r in jobs], jobs


def test_adding_a_language_adds_its_brief_only(finished):
    # a third language with a (copied) catalogue, as docs/i18n.md "Adding a language" does
    shutil.copytree(finished / "report/locale/lo", finished / "report/locale/fr")
    _edit(finished / "config/config.yaml", "languages: [en, lo]", "languages: [en, lo, fr]")
    jobs = _jobs(finished)
    assert {r: jobs.get(r) for r in BRIEF_RULES} == {"render_brief": 1, "render_summary": 1}, jobs
    # the round's documents are printed again in its one print job; the report itself reruns
    # too, since it prints the configuration file it was made with (its checksum and every key)
    assert jobs.get("print_baseline") == 1, jobs
