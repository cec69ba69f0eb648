"""Scenarios in the real workflow: adding a benefit package is a configuration edit only."""

from __future__ import annotations

import re
import shutil

import pandas as pd
import pytest
import yaml
from demo_config import packages
from testpaths import FEATURE_CONFIGS
from workflow_tools import feature_config, snakemake

pytestmark = pytest.mark.slow


def test_demo_scenarios_are_built(demo_run):
    out = pd.read_csv(demo_run / "results/baseline/scenarios.csv")
    # the actual situation, then each package of config/config.yaml in its order
    assert list(out["scenario"].unique()) == ["actual", *packages()]
    assert set(out["measure"]) == {"level", "change", "cost", "incidence"}
    assert {"total", "area", "quintile"} <= set(out["domain"])


def test_new_package_is_a_config_edit(demo_run, tmp_path):
    """A package of .test/config/scenario_package.yaml (--configfile, no code or template
    edit) is simulated and shown in the report."""
    work = tmp_path / "work"
    shutil.copytree(demo_run, work)
    name = "scenario_package.yaml"
    (new,) = yaml.safe_load((FEATURE_CONFIGS / name).read_text("utf-8"))["scenarios"]["packages"]
    assert new["id"] not in packages(), "the feature's package must be new to the demo"
    snakemake(
        work, "--cores", "2", "results/report/baseline.html", "--configfile", feature_config(name)
    )
    out = pd.read_csv(work / "results/baseline/scenarios.csv")
    assert list(out["scenario"].unique()) == ["actual", new["id"]]  # lists are replaced
    rows = out[out["scenario"] == new["id"]]
    cost = rows[(rows["indicator"] == "cost_total") & (rows["domain"] == "total")]
    assert len(cost) == 1 and cost["estimate"].iloc[0] > 0 and cost["se"].iloc[0] > 0
    assert set(rows["measure"]) == {"level", "change", "cost", "incidence"}
    # ... and in the report's "What if the NHI paid for…" section (config/report.yaml), with no
    # code or template edit
    html = (work / "results/report/baseline.html").read_text(encoding="utf-8")
    section = re.search(r'<section id="scenarios".*?</section>', html, re.S).group(0)
    assert f'data-scenario="{new["id"]}"' in section
    assert new["label"] in section
