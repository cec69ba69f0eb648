"""The brief's rules in the workflow: which languages a round asks for (snakemake -n)."""

from __future__ import annotations

import pytest
from testpaths import REPO


@pytest.mark.slow
def test_a_round_can_ask_for_the_brief_in_english_only(tmp_path):
    """Dry run: report.languages gives both briefs; a round's own `languages: [en]` one."""
    import subprocess
    import sys

    def jobs(*extra):
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

    assert jobs("--forceall") == {"render_brief": 2, "print_brief": 2}
    cfg = tmp_path / "en_only.yaml"
    cfg.write_text("rounds:\n  baseline:\n    languages: [en]\n", encoding="utf-8")
    assert jobs("--forceall", "--configfile", str(cfg)) == {"render_brief": 1, "print_brief": 1}
