"""The brief's rules in the workflow: which languages a round asks for (snakemake -n)."""

from __future__ import annotations

import subprocess
import sys

import pytest
import yaml
from demo_config import briefs, config, merge
from testpaths import FEATURE_CONFIGS, REPO
from workflow_tools import feature_config

EN_ONLY = "brief_english_only.yaml"


def _jobs(*extra: str) -> dict[str, int]:
    out = subprocess.run(
        [sys.executable, "-m", "snakemake", "-n", "--quiet", "rules", *extra],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return {
        line.split()[0]: int(line.split()[1])
        for line in out.splitlines()
        if line.split()[:1] in (["render_brief"], ["print_brief"])
    }


@pytest.mark.slow
def test_a_round_can_ask_for_the_brief_in_english_only():
    """Dry run: one brief per analysed round and language (report.languages); a round's own
    `languages: [en]` (.test/config/brief_english_only.yaml) leaves that round one brief."""
    n = briefs()
    assert _jobs("--forceall") == {"render_brief": n, "print_brief": n}
    en_only = merge(config(), yaml.safe_load((FEATURE_CONFIGS / EN_ONLY).read_text("utf-8")))
    m = briefs(en_only)
    assert m < n, "the demo's baseline brief should come in more languages than English"
    assert _jobs("--forceall", "--configfile", feature_config(EN_ONLY)) == {
        "render_brief": m,
        "print_brief": m,
    }
