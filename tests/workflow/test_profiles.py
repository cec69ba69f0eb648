"""The SLURM workflow profile, resolved the way the README's "Cluster" section runs it.

Dry runs (no cluster needed): the README's command, with the README's site profile, gives
every rule that runs as a SLURM job a `runtime` and a `mem_mb` and carries the site's account
and partition; so does the older command-line form `--default-resources slurm_account=...`
(which used to replace the profile's limits). The real cluster run is `make test-cluster`
(tests/cluster/run_cluster.py), which runs the command these helpers extract from the README.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
import yaml
from testpaths import REPO
from workflow_tools import copy_repo, snakemake

PROFILE = "workflow/profiles/slurm"
SITE_PROFILE = "hhsurvey-site"
CLUSTER_SCRIPT = REPO / "tests" / "cluster" / "run_cluster.py"


def _cluster_section() -> str:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    return re.search(r"^## Cluster\n(.*?)^## ", text, re.M | re.S).group(1)


def readme_cluster_command() -> str:
    """The command of the README's "Cluster" section, verbatim (its first `sh` block)."""
    blocks = re.findall(r"```sh\n(.*?)```", _cluster_section(), re.S)
    assert len(blocks) == 1, "the Cluster section must hold exactly one sh block"
    return blocks[0].strip()


def readme_site_profile() -> str:
    """The site profile of the README's "Cluster" section, verbatim (its `yaml` block)."""
    blocks = re.findall(r"```yaml\n(.*?)```", _cluster_section(), re.S)
    assert len(blocks) == 1, "the Cluster section must hold exactly one yaml block"
    return blocks[0]


def _local_rules() -> set[str]:
    """Rules declared `localrules:` or `localrule: True` (they run on the submitting node, not
    as SLURM jobs)."""
    names: set[str] = set()
    for smk in [REPO / "Snakefile", *sorted((REPO / "workflow" / "rules").glob("*.smk"))]:
        text = smk.read_text()
        for block in re.findall(r"^localrules:\n((?:    \w+,?\n)+)", text, re.M):
            names |= set(re.findall(r"\w+", block))
        names |= set(re.findall(r"^rule (\w+):\n(?:    .*\n)*?    localrule: True$", text, re.M))
    return names


def _resources(text: str) -> dict[str, dict[str, str]]:
    """Rule name -> its resolved resources in Snakemake's dry-run listing."""
    found = re.findall(r"^(?:local)?rule (\w+):\n(?:    .*\n)*?    resources: (.*)$", text, re.M)
    return {
        rule: dict(item.split("=", 1) for item in line.split(", ") if "=" in item)
        for rule, line in found
    }


@pytest.fixture(scope="module")
def site_home(tmp_path_factory) -> Path:
    """XDG_CONFIG_HOME holding the README's site profile as ~/.config/snakemake/hhsurvey-site."""
    home = tmp_path_factory.mktemp("xdg")
    (home / "snakemake" / SITE_PROFILE).mkdir(parents=True)
    (home / "snakemake" / SITE_PROFILE / "config.yaml").write_text(readme_site_profile())
    return home


@pytest.fixture(scope="module")
def repo(tmp_path_factory) -> Path:
    return copy_repo(tmp_path_factory.mktemp("profile") / "repo")


def _dry_run(repo: Path, site_home: Path, monkeypatch, *extra: str) -> dict[str, dict]:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(site_home))
    args = shlex.split(readme_cluster_command())
    assert args[0] == ".venv/bin/snakemake"  # runs from a fresh shell, no activation needed
    out = snakemake(repo, "-n", *args[1:], *extra)
    text = out.stdout + out.stderr
    assert "This was a dry-run" in text
    assert f"Using profiles {SITE_PROFILE} and workflow specific profile {PROFILE}" in text
    return _resources(text)


def _job_rules(res: dict[str, dict]) -> dict[str, dict]:
    return {r: v for r, v in res.items() if r not in _local_rules() and r != "all"}


@pytest.mark.slow
@pytest.mark.parametrize("configfile", [None, "config/endline.yaml"])
def test_readme_command_gives_every_job_runtime_memory_account_partition(
    repo, site_home, monkeypatch, configfile
):
    extra = ("--configfile", configfile) if configfile else ()
    res = _dry_run(repo, site_home, monkeypatch, *extra)
    jobs = _job_rules(res)
    assert {"ingest_round", "estimate_indicators", "plot_figures"} <= set(jobs), sorted(res)
    if configfile:
        assert {"estimate_change", "plot_change_figures"} <= set(jobs), sorted(res)
    site = yaml.safe_load(readme_site_profile())["default-resources"]
    for rule, r in jobs.items():
        assert "runtime" in r and "mem_mb" in r, f"{rule} has no runtime or mem_mb: {r}"
        assert int(r["runtime"]) > 0 and int(r["mem_mb"]) >= 1000, (rule, r)
        assert r["slurm_account"] == site["slurm_account"], (rule, r)
        assert r["slurm_partition"] == site["slurm_partition"], (rule, r)
        assert r["hhsurvey_attempt"] == "1", (rule, r)
    # sized from the 1000x benchmark: 1.6 GB peak -> 4 GB for the data rules
    assert jobs["estimate_indicators"]["mem_mb"] == "4000"
    assert jobs["plot_figures"]["mem_mb"] == "2000"
    assert not (repo / "results").exists()


@pytest.mark.slow
def test_command_line_account_no_longer_drops_the_limits(repo, monkeypatch, tmp_path):
    # the README's former form: --default-resources on the command line, no site profile
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    out = snakemake(
        repo,
        "-n",
        "--workflow-profile",
        PROFILE,
        "--default-resources",
        "slurm_account=other",
        "slurm_partition=short",
    )
    jobs = _job_rules(_resources(out.stdout + out.stderr))
    assert "clean_round" in jobs
    for rule, r in jobs.items():
        assert "runtime" in r and "mem_mb" in r, f"{rule} lost its limits: {r}"
        assert r["slurm_account"] == "other" and r["slurm_partition"] == "short"


def test_every_rule_that_runs_as_a_job_has_limits_in_the_profile():
    # Rules outside `all` (simulate_demo) or only in some configurations are covered too.
    cfg = yaml.safe_load((REPO / PROFILE / "config.yaml").read_text(encoding="utf-8"))
    rules = set(re.findall(r"^rule (\w+):", "\n".join(_smk_texts()), re.M)) - {"all"}
    missing = sorted(
        r
        for r in rules - _local_rules()
        if not {"runtime", "mem_mb", "hhsurvey_attempt"} <= set(cfg["set-resources"].get(r, {}))
    )
    assert not missing, (
        f"rules without runtime/mem_mb/hhsurvey_attempt under set-resources in {PROFILE}: {missing}"
    )
    for rule, res in cfg["set-resources"].items():
        assert "attempt" in str(res["mem_mb"]), f"{rule}: memory must grow by attempt"


def _smk_texts() -> list[str]:
    paths = [REPO / "Snakefile", *sorted((REPO / "workflow" / "rules").glob("*.smk"))]
    return [p.read_text(encoding="utf-8") for p in paths]


def test_profile_keeps_site_settings_out_and_names_status_command():
    cfg = yaml.safe_load((REPO / PROFILE / "config.yaml").read_text(encoding="utf-8"))
    assert cfg["executor"] == "slurm"
    # a workflow profile overrides a user profile key by key: any default-resources here
    # would silently drop the site profile's account and partition
    assert "default-resources" not in cfg
    assert cfg["slurm-status-command"] == "squeue"
    assert cfg["retries"] >= 1
    # rules too light for a cluster job stay on the submitting node
    assert {"render_report", "compare_national"} <= _local_rules()


def test_readme_cluster_command_is_the_one_the_cluster_test_runs():
    command = readme_cluster_command()
    assert command == f".venv/bin/snakemake --profile {SITE_PROFILE} --workflow-profile {PROFILE}"
    assert "--default-resources" not in command
    script = CLUSTER_SCRIPT.read_text(encoding="utf-8")
    # the cluster test extracts the command and the site profile from the README ...
    assert "command = readme_cluster_command()" in script
    assert "text = readme_site_profile()" in script and "text + TEST_ONLY" in script
    # ... and runs it from a fresh shell: no .venv/bin on PATH, no PYTHONPATH
    assert 'endswith(".venv/bin")' in script and '"PYTHONPATH"' in script
    # ... runs that command, unchanged, for the good and the planted bad input
    assert 'Run("cluster", command,' in script and 'Run("bad", command,' in script
    site = yaml.safe_load(readme_site_profile())
    assert set(site) == {"default-resources"}
    assert set(site["default-resources"]) == {"slurm_account", "slurm_partition"}
