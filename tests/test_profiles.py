"""The SLURM workflow profile resolves the whole DAG (dry run, no cluster needed)."""

from __future__ import annotations

import re
from pathlib import Path

import yaml
from test_workflow import copy_repo, snakemake

REPO = Path(__file__).resolve().parents[1]
PROFILE = "workflow/profiles/slurm"


def _resources(text: str) -> dict[str, str]:
    """Rule name -> its `resources:` line in Snakemake's dry-run listing."""
    return dict(
        re.findall(r"^(?:local)?rule (\w+):\n(?:    .*\n)*?    resources: (.*)$", text, re.M)
    )


def test_slurm_profile_dry_run_resolves_the_dag(tmp_path):
    root = copy_repo(tmp_path / "repo")
    out = snakemake(root, "-n", "--workflow-profile", PROFILE)
    text = out.stdout + out.stderr
    assert "This was a dry-run" in text
    res = _resources(text)
    for rule in ("ingest_round", "estimate_indicators", "render_report", "compare_national"):
        assert rule in res, sorted(res)
    # defaults and the heavy rules' set-resources reach the jobs
    assert (
        "mem_mb=8000" in res["estimate_indicators"] and "runtime=60" in res["estimate_indicators"]
    )
    assert "mem_mb=8000" in res["clean_round"]
    assert "mem_mb=2000" in res["compute_weights"] and "runtime=30" in res["compute_weights"]
    assert not (root / "results").exists()


def test_slurm_profile_names_the_executor_and_site_placeholders():
    text = (REPO / PROFILE / "config.yaml").read_text(encoding="utf-8")
    cfg = yaml.safe_load(text)
    assert cfg["executor"] == "slurm"
    assert {"runtime", "mem_mb"} <= set(cfg["default-resources"])
    assert "# slurm_account:" in text and "# slurm_partition:" in text
    # rules too light for a cluster job stay on the submitting node
    smk = (REPO / "workflow/rules/report.smk").read_text(encoding="utf-8")
    local = re.search(r"localrules:\n((?:    \w+,\n)+)", smk).group(1)
    assert {"render_report", "compare_national"} <= set(re.findall(r"\w+", local))
