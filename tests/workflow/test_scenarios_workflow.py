"""Scenarios in the real workflow: adding a benefit package is a configuration edit only."""

from __future__ import annotations

import re
import shutil

import pandas as pd
import pytest
import yaml
from workflow_tools import snakemake

pytestmark = pytest.mark.slow


def test_demo_scenarios_are_built(demo_run):
    out = pd.read_csv(demo_run / "results/baseline/scenarios.csv")
    assert list(out["scenario"].unique()) == [
        "actual",
        "free_delivery",
        "free_public_outpatient",
        "inpatient_80",
        "poorest_two_quintiles",
    ]
    assert set(out["measure"]) == {"level", "change", "cost", "incidence"}
    assert {"total", "area", "quintile"} <= set(out["domain"])


def test_new_package_is_a_config_edit(demo_run, tmp_path):
    work = tmp_path / "work"
    shutil.copytree(demo_run, work)
    cfg_path = work / "config/config.yaml"
    cfg = yaml.safe_load(cfg_path.read_text(encoding="utf-8"))
    cfg["scenarios"]["packages"].append(
        {
            "id": "free_medicines_uninsured",
            "label": "Free medicines for the uninsured",
            "covers": {"items": ["medicine"]},
            "share": 1.0,
            "eligible": {"insurance": "uninsured"},
        }
    )
    cfg_path.write_text(yaml.safe_dump(cfg, sort_keys=False, allow_unicode=True), encoding="utf-8")
    snakemake(work, "--cores", "2", "results/report/baseline.html")
    out = pd.read_csv(work / "results/baseline/scenarios.csv")
    rows = out[out["scenario"] == "free_medicines_uninsured"]
    cost = rows[(rows["indicator"] == "cost_total") & (rows["domain"] == "total")]
    assert len(cost) == 1 and cost["estimate"].iloc[0] > 0 and cost["se"].iloc[0] > 0
    assert set(rows["measure"]) == {"level", "change", "cost", "incidence"}
    # ... and in the report's "What if the NHI paid for…" section (config/report.yaml), with no
    # code or template edit
    html = (work / "results/report/baseline.html").read_text(encoding="utf-8")
    section = re.search(r'<section id="scenarios".*?</section>', html, re.S).group(0)
    assert 'data-scenario="free_medicines_uninsured"' in section
    assert "Free medicines for the uninsured" in section
